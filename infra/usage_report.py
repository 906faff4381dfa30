"""`langfuse-rosa usage`: cost and usage per project for an on-call engineer without Grafana, from Langfuse itself.

Where the keys come from: the cluster, through the engineer's own kubeconfig (`oc login`; the stack's
cluster.kubeContext unless --context is given), read exactly as the in-cluster usage exporter reads them — the
ProjectSettings (which projects, their budgets) and each project's langfuse-keys Secret (per-project mode) or
the controller's shared project key Secret (shared mode). Secrets Manager holds only the organisation key in
per-project mode, which the v2 metrics API refuses (project keys only), so it cannot serve.

The layering: this module (and no other on the Pulumi side) imports the in-cluster package's public client
library, langfuse_incluster.usage (queries, figures, the tenants reader; no kopf, no Pulumi), so the CLI and the
exporter compute the same figures with one code path; the import contracts (pyproject.toml, tests/test_layering.py)
allow exactly that."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from urllib.parse import urlsplit

import urllib3
import yaml
from kubernetes import client, config
from kubernetes.client.rest import ApiException
from langfuse_incluster.budget import Budget, BudgetDefaults
from langfuse_incluster.usage import figures
from langfuse_incluster.usage.langfuse_usage import LangfuseError, UsageApi, new_http_client
from langfuse_incluster.usage.queries import ProjectUsage, usage_query
from langfuse_incluster.usage.tenants import KubernetesTenants, Tenant

from components.tenancy.controller import KEY_SECRET
from infra.stack_config import StackConfig

SINCE = re.compile(r"^(\d+)d$")


class UsageInputError(Exception):
    """Bad input: one line naming what is allowed."""


def parse_since(value: str | None, now: datetime) -> date:
    """`--since`: Nd (days back) or YYYY-MM-DD; default the first of the month."""
    today = now.astimezone(UTC).date()
    if value is None:
        return today.replace(day=1)
    match = SINCE.match(value)
    if match:
        days = int(match.group(1))
        if not 1 <= days <= 90:
            raise UsageInputError(f"--since = {value!r}: days back must be 1 to 90")
        return today - timedelta(days=days - 1)
    try:
        since = date.fromisoformat(value)
    except ValueError:
        raise UsageInputError(f"--since = {value!r} is invalid: Nd (e.g. 7d) or a date YYYY-MM-DD") from None
    if not today - timedelta(days=90) <= since <= today:
        raise UsageInputError(f"--since = {value!r}: a date within the last 90 days")
    return since


def check_langfuse_url(value: str) -> None:
    """`--langfuse-url`, worded as verify's --url: a URL the HTTP client can ask, never one every row then fails on."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UsageInputError(f"--langfuse-url = {value!r} is invalid: http(s)://<host>")


@dataclass(frozen=True)
class ProjectRow:
    namespace: str
    budget_usd: float
    since_usd: float
    month_usd: float
    today_usd: float
    forecast_usd: float
    tokens: float
    traces: float
    errors_today: float
    top_models: list[tuple[str, float]]
    error: str | None = None


def tenants_from_cluster(stack: StackConfig, kube_context: str | None, kubeconfig: str | None, project: str | None) -> tuple[Tenant, ...]:
    if not stack.tenancy.enabled:
        raise UsageInputError("stack has tenancy.enabled false: no per-project Langfuse usage to report")
    context = kube_context or stack.cluster.kube_context
    try:
        api_client = config.new_client_from_config(config_file=kubeconfig, context=context)
    except (config.ConfigException, OSError, yaml.YAMLError) as error:
        raise UsageInputError(f"no kubeconfig context {context!r}: {error} (oc login first)") from None
    core = client.CoreV1Api(api_client)
    budget = stack.tenancy.usage.default_budget
    defaults = BudgetDefaults(Budget(monthly_usd=budget.monthly_usd, thresholds=tuple(budget.thresholds)), budget.high_cost_usd)
    mode = "per-project" if stack.langfuse.license_key is not None else "shared"
    try:
        shared = _shared_key(core, stack.langfuse.namespace) if mode == "shared" else None
        return KubernetesTenants(client.CustomObjectsApi(api_client), core, mode, defaults, shared).list(project)
    except ApiException as error:
        raise UsageInputError(
            f"the cluster of kubeconfig context {context!r} answered {error.status} {error.reason}: "
            "oc login as a user who may read ProjectSettings and the key Secrets"
        ) from None
    except urllib3.exceptions.HTTPError as error:
        reason = error.reason if isinstance(error, urllib3.exceptions.MaxRetryError) else error
        raise UsageInputError(f"cannot reach the cluster of kubeconfig context {context!r}: {reason}") from None


def _shared_key(core: client.CoreV1Api, namespace: str) -> tuple[str, str]:
    """Shared mode: the shared project's key, from the tenant controller's key Secret (components/tenancy/controller.py)."""
    secret = core.read_namespaced_secret(KEY_SECRET, namespace)
    values = {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}
    if not values.get("public-key") or not values.get("secret-key"):
        raise UsageInputError(
            f"Secret {namespace}/{KEY_SECRET} lacks public-key or secret-key: is the tenant controller's ExternalSecret synced?"
        )
    return values["public-key"], values["secret-key"]


def usage_rows(tenants: tuple[Tenant, ...], langfuse_url: str, since: date, now: datetime) -> list[ProjectRow]:
    http = new_http_client()
    start = datetime.combine(since, time(), UTC)
    today = now.astimezone(UTC).date()
    rows = []
    for tenant in tenants:
        try:
            usage = ProjectUsage.from_rows(UsageApi(langfuse_url, tenant.public_key, tenant.secret_key, http).metrics(usage_query(now, tenant.tag, start)))
        except LangfuseError as error:
            rows.append(ProjectRow(tenant.namespace, tenant.budget.budget.monthly_usd, 0, 0, 0, 0, 0, 0, 0, [], str(error)))
            continue
        window, daily = usage.between(since, today), usage.daily_cost()
        models = sorted(((m, t.cost_usd) for m, t in usage.by_model(since, today).items() if t.cost_usd > 0), key=lambda x: -x[1])[:3]
        rows.append(ProjectRow(
            tenant.namespace, tenant.budget.budget.monthly_usd, window.cost_usd, figures.month_to_date(daily, now),
            usage.between(today, today).cost_usd, figures.forecast_month_end(daily, now), window.tokens, window.traces,
            usage.between(today, today).errors, models,
        ))
    return sorted(rows, key=lambda r: -r.since_usd)
