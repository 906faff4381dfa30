"""Benchmark (prints figures; not a test): N project namespaces reconciled from empty against the stand-in
Langfuse (every request and response checked against Langfuse's OpenAPI spec), then one steady-state pass.

    .venv/bin/python incluster/benchmark_tenants.py [N]
"""

from __future__ import annotations

import logging
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent / "tests"))

from conftest import Clock, MemorySecrets, Tenant, make_runtime  # noqa: E402
from standin_langfuse import StandInLangfuse  # noqa: E402


def main(count: int) -> None:
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    clock = Clock()
    server = StandInLangfuse(clock=clock)
    server.url = server.start()
    secrets = MemorySecrets()
    runtime = make_runtime(server, secrets, clock)
    tenants = [Tenant(f"project-{i:04d}", runtime, clock, spec={"enabled": True, "retentionDays": 30}) for i in range(count)]
    started = time.perf_counter()
    for t in tenants:
        t.reconcile()
    onboarding = time.perf_counter() - started
    onboarding_calls = len(server.calls)
    per_tenant = Counter(f"{c.method} {'apiKeys' if 'apiKeys' in c.path else 'projects'}" for c in server.calls)
    started = time.perf_counter()
    for t in tenants:
        t.reconcile()
    steady = time.perf_counter() - started
    steady_calls = server.calls[onboarding_calls:]
    server.stop()
    assert not server.violations, server.violations[:3]
    print(f"tenants: {count}")
    print(f"from empty: {onboarding:.1f} s wall, {onboarding_calls} Langfuse calls = {onboarding_calls / count:.2f} per new tenant "
          f"({dict(per_tenant)}), {len(secrets.writes)} Secret writes")
    print(f"steady state: {steady:.2f} s wall, {len(steady_calls)} Langfuse calls, "
          f"{sum(1 for c in steady_calls if c.method != 'GET')} Langfuse writes, {len(secrets.writes) - count} Secret writes, "
          f"{sum(t.patches for t in tenants) - count} status patches")
    print(f"projects: {len(server.projects)}, keys: {len(server.keys)}, OpenAPI violations: {len(server.violations)}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
