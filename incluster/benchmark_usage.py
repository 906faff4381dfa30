"""Benchmark (prints figures; not a test): the usage exporter over N projects (default 1,000) against the
stand-in Langfuse on loopback: one poll cycle's wall time and API calls, the exporter's memory (Python heap
by tracemalloc, and the process's peak RSS), and the size of one scrape. The stand-in's OpenAPI validation is
switched off here (the tests keep it on): it costs far more than the exporter and would be what is measured.

    .venv/bin/python incluster/benchmark_usage.py 1000
"""

from __future__ import annotations

import logging
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))

from langfuse_incluster.budget import Budget, BudgetDefaults, effective_budget  # noqa: E402
from langfuse_incluster.exporter.collector import UsageCollector  # noqa: E402
from langfuse_incluster.exporter.poller import ROTATION, PollSettings, UsagePoller  # noqa: E402
from langfuse_incluster.usage.langfuse_usage import UsageApi, new_http_client  # noqa: E402
from langfuse_incluster.usage.tenants import Tenant  # noqa: E402
from prometheus_client.exposition import generate_latest  # noqa: E402
from usage_world import UsageWorld  # noqa: E402


class _NoValidation:
    class _Valid:
        errors = ()

    def unmarshal_request(self, request):
        return self._Valid()

    def unmarshal_response(self, request, response):
        return self._Valid()


def main(projects: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    now = datetime.now(UTC)
    world = UsageWorld(now)
    defaults = BudgetDefaults(Budget(monthly_usd=1000), 10)
    tenants = []
    for n in range(projects):
        p = world.add_project(f"project-{n:04d}")
        for day in range(14):  # two weeks, three models, some errors: ~3 x 14 x 2 usage rows per project
            for model in ("gpt-4o", "gpt-4o-mini", "claude-sonnet-4"):
                world.spend(p.namespace, 24 * day + 0.1, 0.5, model=model, session=f"s{day % 4}", level="ERROR" if day % 5 == 0 else "DEFAULT")
        tenants.append(Tenant(p.namespace, p.project_id, p.public_key, p.secret_key, effective_budget({}, defaults)))
    world.langfuse_url = world.langfuse.start()
    world.langfuse.openapi = _NoValidation()
    collector = UsageCollector()
    http = new_http_client(connections=4)
    apis: dict[str, UsageApi] = {}

    def api_for(t: Tenant) -> UsageApi:
        return apis.setdefault(t.public_key, UsageApi(world.langfuse_url, t.public_key, t.secret_key, http, collector.count_request))

    poller = UsagePoller(lambda: tuple(tenants), api_for, PollSettings(interval_seconds=0.0, concurrency=4, top_n=5), errors=collector.count_error)
    collector.poller = poller
    print(f"{projects} projects, {len(world.usage.observations)} observations in the stand-in")
    tracemalloc.start()
    for kind in ROTATION:
        calls = len(world.langfuse.calls)
        started = time.perf_counter()
        poller.cycle()
        print(f"cycle ({kind:12}): {time.perf_counter() - started:6.2f} s, {len(world.langfuse.calls) - calls} API calls")
    started = time.perf_counter()
    scrape = generate_latest(collector.registry)
    lines = scrape.count(b"\n")
    print(f"one scrape: {len(scrape) / 1024:.0f} KiB, {lines} lines, rendered in {time.perf_counter() - started:.2f} s")
    current, peak = tracemalloc.get_traced_memory()
    print(f"exporter Python heap: {current / 2**20:.1f} MiB now, {peak / 2**20:.1f} MiB peak (tracemalloc; the stand-in's data excluded)")
    print(f"process peak RSS (exporter + stand-in + its data): {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")
    world.langfuse.stop()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
