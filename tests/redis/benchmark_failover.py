"""Benchmark (not a test): run the Sentinel failover drill N times and print median/min/max failover time.

    .venv/bin/python -m tests.redis.benchmark_failover [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

from infra.offline_plan.plan import build_plan
from tests.conftest import find
from tests.redis.loopback import LoopbackSentinel, failover_drill


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--stack", default="prod")
    options = parser.parse_args()
    plan = build_plan(options.stack)
    config_files = find(plan, "ConfigMap", "langfuse-redis-config")["data"]
    stateful_sets = {"redis": find(plan, "StatefulSet", "langfuse-redis"), "sentinel": find(plan, "StatefulSet", "langfuse-sentinel")}
    times = []
    for run in range(1, options.runs + 1):
        with tempfile.TemporaryDirectory() as workdir:
            cluster = LoopbackSentinel(config_files, stateful_sets, Path(workdir), "langfuse")
            try:
                cluster.start()
                result = failover_drill(cluster)
            finally:
                cluster.stop()
        assert not result.lost, f"run {run} lost {len(result.lost)} acknowledged writes"
        times.append(result.failover_seconds)
        print(f"run {run}: failover {result.failover_seconds:.2f} s, {result.acknowledged} acknowledged writes kept")
    print(
        f"failover over {len(times)} runs: median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s"
    )


if __name__ == "__main__":
    main()
