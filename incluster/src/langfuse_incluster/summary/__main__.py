"""`python -m langfuse_incluster.summary`: the weekly usage summary (a CronJob of components/tenancy). Reads the
projects like the exporter, sends each one usage query (the exporter's), reads the model prices once, prints
the Markdown record (the Job's log) and posts the Block Kit message to SLACK_WEBHOOK_URL when it is set.
Exit 1 when the post fails (the Job retries), 0 otherwise; projects whose figures fail are listed, not fatal."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

from slack_sdk.webhook import WebhookClient

from langfuse_incluster import contract
from langfuse_incluster.controller.reconcile import LangfuseError
from langfuse_incluster.exporter.__main__ import kubernetes_tenants
from langfuse_incluster.exporter.settings import usage_settings
from langfuse_incluster.summary.render import fallback_text, markdown, slack_blocks
from langfuse_incluster.summary.report import ProjectWeek, WeeklySummary, project_week, weekly_summary
from langfuse_incluster.usage.langfuse_usage import ModelPrice, UsageApi, new_http_client
from langfuse_incluster.usage.queries import ProjectUsage, usage_query
from langfuse_incluster.usage.tenants import Tenant

log = logging.getLogger("langfuse_incluster.summary")


def build_summary(tenants: tuple[Tenant, ...], api_for, now: datetime, concurrency: int = 4) -> WeeklySummary:
    def one(tenant: Tenant) -> ProjectWeek | tuple[str, str]:
        try:
            usage = ProjectUsage.from_rows(api_for(tenant).metrics(usage_query(now, tenant.tag)))
        except LangfuseError as error:
            return tenant.namespace, str(error)
        return project_week(tenant.namespace, tenant.budget, usage, now)

    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(one, tenants))
    models: tuple[ModelPrice, ...] = ()
    if tenants:
        try:
            models = api_for(tenants[0]).models()
        except LangfuseError as error:
            log.warning("no model prices (%s): the summary has no cheaper-model recommendations", error)
    weeks = [r for r in results if isinstance(r, ProjectWeek)]
    failed = [r for r in results if not isinstance(r, ProjectWeek)]
    return weekly_summary(weeks, failed, models, now)


def post(summary: WeeklySummary, url: str) -> None:
    response = WebhookClient(url).send(text=fallback_text(summary), blocks=slack_blocks(summary))
    if response.status_code != 200:
        raise SystemExit(f"langfuse-usage-summary: Slack answered {response.status_code}: {response.body}")


def instant(text: str) -> datetime:
    """--now: an aware instant (the week's bounds are compared with Langfuse's UTC timestamps)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an ISO 8601 instant, e.g. 2026-09-21T08:00:00Z") from None
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError(f"{text!r} has no time zone; add one, e.g. 2026-09-21T08:00:00Z")
    return moment


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m langfuse_incluster.summary", description=__doc__)
    parser.add_argument("--markdown-out", type=Path, default=None, help="also write the Markdown record here")
    parser.add_argument("--now", type=instant, default=None, help="ISO 8601 instant with a zone to report for (default: now)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    settings = usage_settings(program="langfuse-usage-summary")
    now = args.now or datetime.now(UTC)
    tenants = kubernetes_tenants(settings).list()
    http = new_http_client(connections=settings.poll.concurrency)
    summary = build_summary(
        tenants, lambda t: UsageApi(settings.api_url, t.public_key, t.secret_key, http=http), now, settings.poll.concurrency
    )
    text = markdown(summary)
    sys.stdout.write(text)
    if args.markdown_out is not None:
        args.markdown_out.write_text(text)
    url = os.environ.get(contract.ENV_SLACK_WEBHOOK_URL)
    if url:
        post(summary, url)
        log.info("posted the summary of %d projects to Slack", len(summary.projects))


if __name__ == "__main__":
    main()
