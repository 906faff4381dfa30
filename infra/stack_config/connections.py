"""The PostgreSQL connection budget: every connection that can be open at once fits the server's limit.

Each Langfuse pod holds a Prisma pool of `postgresPoolSize` connections (Prisma's connection_limit). The most pods
of a workload that hold a pool at once is a rollout at the autoscaler's ceiling: the new revision at max + surge
(maxSurge 25 %, rounded up, maxUnavailable 0) while the old pods still drain. Web keeps serving, and its pool, for
110 s after SIGTERM and the worker until its jobs end; neither closes Prisma before it exits
(web/src/utils/shutdown.ts, worker/src/utils/shutdown.ts, v4.16.0), and the Deployment controller does not count
terminating pods against maxSurge. So a workload counts 2 × max + surge pods. Add the migration Job and, in
cluster, what CloudNativePG's instance manager holds (components/postgres/cluster.py). A sizing that can exceed the
limit is refused here, with the arithmetic, before anything is created.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.langfuse.contract import MIGRATION_CONNECTIONS, surge_pods
from components.postgres.contract import METRICS_EXPORTER_CONNECTIONS, SUPERUSER_RESERVED_CONNECTIONS
from infra.stack_config.errors import config_key
from infra.stack_config.models import StackConfig, WorkloadConfig


@dataclass(frozen=True)
class PoolDemand:
    workload: str  # web | worker
    max_replicas: int
    pool_size: int

    @property
    def pods(self) -> int:
        return 2 * self.max_replicas + surge_pods(self.max_replicas)

    @property
    def connections(self) -> int:
        return self.pods * self.pool_size

    def describe(self) -> str:
        surge = surge_pods(self.max_replicas)
        return f"{self.workload} {self.pods} pods ({self.max_replicas} max + {surge} surge + {self.max_replicas} draining) × {self.pool_size}"


@dataclass(frozen=True)
class ConnectionBudget:
    pools: tuple[PoolDemand, ...]
    others: tuple[tuple[int, str], ...]  # (connections, what)
    limit_key: tuple[str, ...]  # the config key that holds the limit
    limit: int

    @property
    def demand(self) -> int:
        return sum(p.connections for p in self.pools) + sum(n for n, _ in self.others)

    def arithmetic(self) -> str:
        terms = [p.describe() for p in self.pools] + [f"{n} {what}" for n, what in self.others]
        return f"{' + '.join(terms)} = {self.demand}"


def connection_budget(config: StackConfig) -> ConnectionBudget:
    def demand(name: str, workload: WorkloadConfig) -> PoolDemand:
        return PoolDemand(name, workload.replicas.max, workload.effective_postgres_pool_size)

    pools = (demand("web", config.langfuse.web), demand("worker", config.langfuse.worker))
    migration = (MIGRATION_CONNECTIONS, "migration")
    if config.data_tier is not None:
        others = (
            migration,
            (METRICS_EXPORTER_CONNECTIONS, "metrics exporter"),
            (SUPERUSER_RESERVED_CONNECTIONS, "reserved for the operator (superuser_reserved_connections)"),
        )
        return ConnectionBudget(pools, others, ("dataTier", "postgres", "maxConnections"), config.data_tier.postgres.max_connections)
    assert config.backend.postgres is not None  # external mode: guaranteed by BackendConfig's validator
    return ConnectionBudget(pools, (migration,), ("backend", "postgres", "connectionBudget"), config.backend.postgres.connection_budget)


def budget_errors(stack: str, config: StackConfig) -> list[str]:
    budget = connection_budget(config)
    if budget.demand <= budget.limit:
        return []
    return [
        f"stack '{stack}': {config_key(budget.limit_key)} = {budget.limit} is invalid: must be at least {budget.demand}: "
        f"{budget.arithmetic()}; or lower langfuse.web/worker replicas.max or postgresPoolSize"
    ]
