"""Container sizes from the stack config: one Resources value per container, whichever store or Langfuse process
it sizes, the sizing of a Langfuse process, and a ClickHouse cluster's backup cadence (serving or analytics)."""

from __future__ import annotations

from components.clickhouse.backup import ClickHouseBackupPolicy
from components.common.resources import Resources
from components.langfuse.process import Sizing
from components.langfuse.workload import Autoscaling
from infra.stack_config.data_tier import ClickHouseBackupConfig, ResourcesConfig
from infra.stack_config.models import WorkloadConfig


def container_resources(sized: ResourcesConfig | WorkloadConfig) -> Resources:
    return Resources(cpu_request=sized.cpu.request, cpu_limit=sized.cpu.limit, memory=sized.memory)


def process_sizing(workload: WorkloadConfig) -> Sizing:
    return Sizing(
        resources=container_resources(workload),
        autoscaling=Autoscaling(
            min_replicas=workload.replicas.min,
            max_replicas=workload.replicas.max,
            target_cpu_utilization=workload.target_cpu_utilization,
            target_memory_utilization=workload.target_memory_utilization,
        ),
        postgres_pool_size=workload.effective_postgres_pool_size,
    )


def clickhouse_backup_policy(backup: ClickHouseBackupConfig) -> ClickHouseBackupPolicy:
    return ClickHouseBackupPolicy(interval_hours=backup.interval_hours, full_every_days=backup.full_every_days, retention_days=backup.retention_days)
