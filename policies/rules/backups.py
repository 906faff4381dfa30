"""Backups: every stateful store has a scheduled backup, kept at least the environment's floor."""

from __future__ import annotations

import re
from collections.abc import Sequence

from .base import Config, Rule, Setting, Subject, dig

CNPG_CLUSTER = "kubernetes:postgresql.cnpg.io/v1:Cluster"
SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
CLICKHOUSE = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
CRON_JOB = "kubernetes:batch/v1:CronJob"
# A CronJob that backs up a store names it in this label (value: the ClickHouseInstallation's name).
BACKUP_OF_LABEL = "langfuse-rosa/backup-of"
_RETENTION = re.compile(r"^(\d+)([dwm])$")
_DAYS = {"d": 1, "w": 7, "m": 30}


def postgres_backed_up(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    scheduled = {(dig(s.props, "metadata", "namespace"), dig(s.props, "spec", "cluster", "name")) for s in subjects if s.type == SCHEDULED_BACKUP}
    problems = []
    for cluster in (s for s in subjects if s.type == CNPG_CLUSTER):
        name = dig(cluster.props, "metadata", "name")
        if dig(cluster.props, "spec", "backup", "barmanObjectStore") is None and not dig(cluster.props, "spec", "plugins"):
            problems.append((cluster.label, f"PostgreSQL cluster {name} has no backup destination (WAL archiving)."))
        if (dig(cluster.props, "metadata", "namespace"), name) not in scheduled:
            problems.append((cluster.label, f"PostgreSQL cluster {name} has no ScheduledBackup."))
        match = _RETENTION.match(str(dig(cluster.props, "spec", "backup", "retentionPolicy") or ""))
        days = int(match.group(1)) * _DAYS[match.group(2)] if match else 0
        if days < config["minRetentionDays"]:
            problems.append((cluster.label, f"PostgreSQL backups are kept {days} days; this environment requires at least {config['minRetentionDays']}."))
    return problems


def clickhouse_backed_up(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    backed_up = {
        (dig(s.props, "metadata", "namespace"), dig(s.props, "metadata", "labels", BACKUP_OF_LABEL)) for s in subjects if s.type == CRON_JOB
    }
    problems = []
    for s in subjects:
        name = dig(s.props, "metadata", "name")
        if s.type == CLICKHOUSE and (dig(s.props, "metadata", "namespace"), name) not in backed_up:
            problems.append((s.label, f"ClickHouse {name} has no backup CronJob (label {BACKUP_OF_LABEL}: {name})."))
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="postgres-backup-scheduled",
        theme="backups",
        description="Every PostgreSQL cluster archives WAL, has a ScheduledBackup, and keeps backups at least the environment's floor.",
        severity="high",
        enforcement="mandatory",
        remediation="Configure spec.backup (barmanObjectStore) with retentionPolicy ≥ the floor, and a ScheduledBackup for the cluster.",
        stack_check=postgres_backed_up,
        settings=(Setting("minRetentionDays", "integer", 30, "shortest acceptable PostgreSQL backup retention"),),
    ),
    Rule(
        name="clickhouse-backup-scheduled",
        theme="backups",
        description="Every ClickHouseInstallation has a scheduled backup CronJob.",
        severity="high",
        enforcement="mandatory",
        remediation=f"Add the backup CronJob for the installation, labelled {BACKUP_OF_LABEL}: <installation>.",
        stack_check=clickhouse_backed_up,
    ),
)
