"""Backups: every stateful store has a scheduled backup, kept at least the environment's floor.

PostgreSQL archives through the Barman Cloud Plugin: the Cluster names the plugin with isWALArchiver and an
ObjectStore (barmanObjectName), which holds the retention policy; its ScheduledBackups use method `plugin`.
CloudNativePG's in-tree barmanObjectStore is deprecated since 1.26 and gone in 1.31, so a Cluster that still
uses it would stop archiving at that upgrade (plugin-barman-cloud docs, "Migrating from Built-in CloudNativePG
Backup")."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from components.clickhouse.contract import BACKUP_OF_LABEL
from components.postgres.contract import BARMAN_CLOUD_PLUGIN

from .base import CLICKHOUSE, CNPG_CLUSTER, Config, Rule, Setting, Subject, dig, namespace

SCHEDULED_BACKUP = "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup"
OBJECT_STORE = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
CRON_JOB = "kubernetes:batch/v1:CronJob"
_RETENTION = re.compile(r"^(\d+)([dwm])$")
_DAYS = {"d": 1, "w": 7, "m": 30}


def _archiver(cluster: Subject) -> Mapping[str, object] | None:
    """The Barman Cloud Plugin entry that archives the cluster's WAL, if any."""
    for plugin in dig(cluster.props, "spec", "plugins") or []:
        if plugin.get("name") == BARMAN_CLOUD_PLUGIN and plugin.get("isWALArchiver") and plugin.get("enabled") is not False:
            return plugin
    return None


def postgres_backed_up(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    scheduled: dict[tuple[object, object], list[Subject]] = {}
    for s in subjects:
        if s.type == SCHEDULED_BACKUP:
            scheduled.setdefault((namespace(s), dig(s.props, "spec", "cluster", "name")), []).append(s)
    stores = {(namespace(s), dig(s.props, "metadata", "name")): s for s in subjects if s.type == OBJECT_STORE}
    problems = []
    for cluster in (s for s in subjects if s.type == CNPG_CLUSTER):
        name, ns = dig(cluster.props, "metadata", "name"), namespace(cluster)
        archiver = _archiver(cluster)
        retention = None
        if dig(cluster.props, "spec", "backup", "barmanObjectStore") is not None:
            problems.append((cluster.label, f"PostgreSQL cluster {name} archives with the in-tree barmanObjectStore, which CloudNativePG 1.31 removes; use the Barman Cloud Plugin."))
        if archiver is None:
            problems.append((cluster.label, f"PostgreSQL cluster {name} archives no WAL through the Barman Cloud Plugin (spec.plugins: {BARMAN_CLOUD_PLUGIN} with isWALArchiver)."))
        else:
            store_name = dig(archiver, "parameters", "barmanObjectName")
            store = stores.get((ns, store_name))
            if store is None:
                problems.append((cluster.label, f"PostgreSQL cluster {name} archives into ObjectStore {store_name}, which this stack does not declare."))
            else:
                retention = dig(store.props, "spec", "retentionPolicy")
        backups = scheduled.get((ns, name), [])
        if not backups:
            problems.append((cluster.label, f"PostgreSQL cluster {name} has no ScheduledBackup."))
        for backup in backups:
            method, plugin = dig(backup.props, "spec", "method"), dig(backup.props, "spec", "pluginConfiguration", "name")
            if method != "plugin" or plugin != BARMAN_CLOUD_PLUGIN:
                problems.append((backup.label, f"ScheduledBackup of {name} uses method {method!r}, not the Barman Cloud Plugin (method: plugin, pluginConfiguration.name: {BARMAN_CLOUD_PLUGIN})."))
        match = _RETENTION.match(str(retention or ""))
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
        description="Every PostgreSQL cluster archives WAL through the Barman Cloud Plugin into a declared ObjectStore, has a plugin ScheduledBackup, and keeps backups at least the environment's floor.",
        severity="high",
        enforcement="mandatory",
        remediation="Add the plugin (isWALArchiver, barmanObjectName) to spec.plugins, an ObjectStore with retentionPolicy ≥ the floor, and a ScheduledBackup with method plugin.",
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
