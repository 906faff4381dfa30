"""The stack's recovery objectives, derived from what the plan renders (replication, archive_timeout,
schedules, retention), one row per store and failure. RPO: the data a failure can lose; RTO: the time to
serve again. Restore times scale with the data: they are estimated at RESTORE_MIB_PER_SECOND (a
conservative S3-to-gp3 rate for Barman Cloud and ClickHouse restores) and measured for real by the weekly
restore drills, whose duration is in their Job logs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.offline_plan.render import RenderedObject, RenderedResource

RESTORE_MIB_PER_SECOND = 100


@dataclass(frozen=True)
class Objective:
    store: str
    failure: str
    rpo: str
    rto: str
    retention: str


def _find(objects: list[RenderedObject], kind: str, name: str | None = None) -> dict[str, Any] | None:
    return next((o.manifest for o in objects if o.kind == kind and (name is None or o.name == name)), None)


def _gib(quantity: str) -> float:
    units = {"Mi": 1 / 1024, "Gi": 1, "Ti": 1024}
    return float(quantity[:-2]) * units[quantity[-2:]]


def _restore_minutes(gib: float) -> int:
    return max(1, round(gib * 1024 / RESTORE_MIB_PER_SECOND / 60))


def _env(cron: dict[str, Any]) -> dict[str, str]:
    container = cron["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]
    return {e["name"]: e.get("value", "") for e in container["env"]}


def recovery_objectives(objects: list[RenderedObject], resources: list[RenderedResource]) -> list[Objective]:
    rows: list[Objective] = []
    pg = _find(objects, "Cluster")
    if pg is not None:
        spec = pg["spec"]
        sync = spec["postgresql"].get("synchronous", {})
        durable = sync.get("dataDurability") == "required"
        # The Barman Cloud Plugin archives into the ObjectStore its parameters name, under their serverName.
        archiver = next(p["parameters"] for p in spec["plugins"] if p.get("isWALArchiver"))
        store = _find(objects, "ObjectStore", archiver["barmanObjectName"])
        schedule = _find(objects, "ScheduledBackup")["spec"]["schedule"]
        retention = store["spec"]["retentionPolicy"].replace("d", " days")
        rows.append(
            Objective(
                "PostgreSQL",
                f"an instance or a zone ({spec['instances']} instances)",
                "0 (quorum synchronous commit)" if durable else "seconds (synchronous only while the standby is up)",
                "about 1 min (automatic failover)" if spec["instances"] > 1 else "until the pod is rescheduled",
                "—",
            )
        )
        size = _gib(spec["storage"]["size"])
        rows.append(
            Objective(
                "PostgreSQL",
                "the cluster, or bad data (point-in-time restore)",
                f"{spec['postgresql']['parameters']['archive_timeout']} (archive_timeout; WAL to S3 {archiver['serverName']})",
                f"~{_restore_minutes(size)} min to restore {spec['storage']['size']} + WAL replay since the last base backup (`{schedule}`)",
                retention,
            )
        )
    chi = _find(objects, "ClickHouseInstallation", "langfuse")
    cron = _find(objects, "CronJob", "langfuse-clickhouse-backup")
    if chi is not None and cron is not None:
        replicas = chi["spec"]["configuration"]["clusters"][0]["layout"]["replicasCount"]
        rows.append(
            Objective(
                "ClickHouse",
                f"a replica or a zone ({replicas} replicas)" if replicas > 1 else "the server or its zone (1 replica)",
                "inserts not yet fetched by another replica (seconds)" if replicas > 1 else "everything since the last backup",
                "none for reads and writes (other replicas serve); the replica re-fetches its parts"
                if replicas > 1
                else "until the pod is rescheduled; a lost volume needs a restore",
                "—",
            )
        )
        env = _env(cron)
        hours = cron["spec"]["schedule"].split()[1].removeprefix("*/")
        interval = "24 h" if not cron["spec"]["schedule"].split()[1].startswith("*/") else f"{hours} h"
        claim = chi["spec"]["templates"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
        expiry = _lifecycle_days(resources)
        rows.append(
            Objective(
                "ClickHouse",
                "the cluster, or bad data (restore a backup)",
                f"{interval} (BACKUP every {interval}; full every {env['FULL_EVERY_DAYS']} days)",
                f"~{_restore_minutes(_gib(claim))} min to restore {claim} (a full and at most one incremental)",
                f"{expiry - int(env['FULL_EVERY_DAYS'])} days (S3 expires after {expiry})" if expiry else "—",
            )
        )
    rows += _analytics(objects, resources)
    redis = _find(objects, "StatefulSet", "langfuse-redis")
    if redis is not None:
        rows.append(
            Objective(
                "Redis (queues, cache)",
                f"the master ({redis['spec']['replicas']} data nodes, Sentinel)",
                "about a second of writes (asynchronous replication; an isolated master stops taking writes)",
                "~6 s (Sentinel failover; 5.8 s in the drill)",
                "—",
            )
        )
        rows.append(
            Objective(
                "Redis (queues, cache)",
                "every node and its volume",
                "queued jobs not yet processed (not backed up: see README)",
                "minutes (restart empty; Langfuse recreates its queues)",
                "—",
            )
        )
    replication = next((r for r in resources if r.type.endswith("BucketReplicationConfig")), None)
    if replication is not None:
        rtc = replication.inputs["rules"][0]["destination"].get("replicationTime") or {}
        lag = (
            f"within {rtc['time']['minutes']} min by S3 Replication Time Control, a late or failed copy alerts"
            if rtc.get("status") == "Enabled"
            else "usually minutes, no guarantee"
        )
        rows.append(
            Objective(
                "All stores",
                "the region",
                f"the backups' RPO plus S3 replication to the DR region ({lag})",
                "hours: a cluster and the stacks in the DR region, then both restores from the copies",
                "as above, in the DR region",
            )
        )
    return rows


def _analytics(objects: list[RenderedObject], resources: list[RenderedResource]) -> list[Objective]:
    """The analytics cluster: derived data; what its backups do not hold, the loader reloads from the exports S3 keeps."""
    chi = _find(objects, "ClickHouseInstallation", "analytics")
    cron = _find(objects, "CronJob", "analytics-clickhouse-backup")
    if chi is None or cron is None:
        return []
    layout = chi["spec"]["configuration"]["clusters"][0]["layout"]
    shards, replicas = layout["shardsCount"], layout["replicasCount"]
    schedule = cron["spec"]["schedule"].split()[1]
    interval = f"{schedule.removeprefix('*/')} h" if schedule.startswith("*/") else "24 h"
    claim = chi["spec"]["templates"]["volumeClaimTemplates"][0]["spec"]["resources"]["requests"]["storage"]
    exports = _lifecycle_days(resources, "exports", "expire-analytics-exports")
    expiry = _lifecycle_days(resources, "backups", "expire-analytics-backups")
    full = int(_env(cron)["FULL_EVERY_DAYS"])
    reload = f"none for the last {exports} days (the loader reloads the exports S3 keeps)" if exports else "everything since the last backup"
    return [
        Objective(
            "Analytics ClickHouse",
            f"a replica or a zone ({shards} shards x {replicas} replicas)" if replicas > 1 else f"a server or its zone ({shards} shards x 1 replica)",
            "none (the loader's rows reach the shard's other replica; a lost insert is loaded again)" if replicas > 1 else reload,
            "none for reads and writes (the shard's other replica serves)" if replicas > 1 else "until the pod is rescheduled; dashboards show gaps meanwhile",
            "—",
        ),
        Objective(
            "Analytics ClickHouse",
            "the cluster, or bad data (restore a backup)",
            f"{reload}; older history: {interval} (BACKUP every {interval}; full every {full} days)",
            f"~{_restore_minutes(_gib(claim))} min to restore {claim} per shard (shards in parallel), then the loader catches up",
            f"{expiry - full} days (S3 expires after {expiry})" if expiry else "—",
        ),
    ]


def _lifecycle_days(resources: list[RenderedResource], bucket: str = "backups", rule_id: str = "expire-clickhouse-backups") -> int | None:
    for r in resources:
        if r.type.endswith("BucketLifecycleConfiguration") and r.name == bucket:
            for rule in r.inputs.get("rules", []):
                if rule.get("id") == rule_id:
                    return int(rule["expiration"]["days"])
    return None


def objectives_markdown(rows: list[Objective]) -> str:
    lines = ["| store | failure | RPO | RTO | backups kept |", "|---|---|---|---|---|"]
    lines += [f"| {r.store} | {r.failure} | {r.rpo} | {r.rto} | {r.retention} |" for r in rows]
    return "\n".join(lines) + "\n"
