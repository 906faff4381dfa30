"""PostgresCluster: a CloudNativePG Cluster for Langfuse, its backups and its metrics.

- Synchronous replication as a quorum (ANY 1 of the standbys) with durability required: with three instances
  in three zones, a commit survives the loss of any one zone, and the primary never acknowledges a commit
  that only it holds. failoverQuorum makes a failover wait for the same quorum (no promotion of a standby
  that may miss acknowledged commits).
- TLS is enforced: pg_hba rejects every non-TLS connection before CloudNativePG's own rules; TLS 1.3 only.
- The operator creates the Langfuse role and database with the owner's credentials from `<name>-owner`
  (generated into Secrets Manager, materialised by External Secrets); `<name>-ca` holds the CA the server
  certificate is signed with; `<name>-rw` is the primary's Service.
- PostgreSQL pods run under restricted-v2: CloudNativePG sets no fixed UID on OpenShift and its images
  run as any UID (CloudNativePG docs, "Security Context Constraints").
- Backups: the Barman Cloud Plugin (object_store.py) archives WAL and takes the base backups into the
  ObjectStore `<name>-backups`; the cluster layer deploys the plugin.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import pulumi_random as random

from components.aws.secrets_manager import GeneratedSecret, GeneratedSecretArgs, SecretsManagerSettings
from components.common.labels import recommended_labels
from components.common.resources import Resources
from components.common.scheduling import ZONE_KEY
from components.monitoring.series import ExportedSeries
from components.postgres.contract import (
    BARMAN_CLOUD_PLUGIN,
    SUPERUSER_RESERVED_CONNECTIONS,
    instance_labels,
)
from components.postgres.images import POSTGRES_IMAGE
from components.postgres.object_store import (
    ObjectStoreSettings,
    object_store_spec,
    recovery_source,
    wal_archiver,
)
from components.postgres.restore_drill import PostgresRestoreDrill, PostgresRestoreDrillArgs
from components.secrets import SecretValue, external_secret

# pgaudit: DDL and role/privilege changes (GRANT, REVOKE, CREATE/ALTER ROLE), never the values of a statement's
# parameters (they may carry user data), no extra line per relation. Any pgaudit.* parameter makes CloudNativePG add
# pgaudit to shared_preload_libraries and CREATE EXTENSION it in every database (docs, "PostgreSQL Configuration",
# managed extensions, and "Logging", PGAudit logs: records reach the instance's stdout as JSON, logger "pgaudit").
# The standard image ships it (cloudnative-pg/postgres-containers docker-bake.hcl, extensions).
PGAUDIT_PARAMETERS = {"pgaudit.log": "ddl, role", "pgaudit.log_parameter": "off", "pgaudit.log_relation": "off"}

# What the instances' PodMonitor (below) brings in that alerts read (alerts.py): CloudNativePG's default
# monitoring queries (config/manager/default-monitoring.yaml: pg_replication lag and in_recovery, pg_stat_archiver
# last_archived_time and last_failed_time, as cnpg_<query>_<column>) and the Barman Cloud Plugin's backup
# timestamp, which each instance's exporter also serves (plugin-barman-cloud docs v0.14.0, "Observability").
EXPORTED_SERIES = ExportedSeries(
    kind="PodMonitor",
    name="postgresql",
    series=frozenset({
        "cnpg_pg_replication_lag",
        "cnpg_pg_replication_in_recovery",
        "cnpg_pg_stat_archiver_last_archived_time",
        "cnpg_pg_stat_archiver_last_failed_time",
        "barman_cloud_cloudnative_pg_io_last_available_backup_timestamp",
    }),
)


@dataclass(frozen=True)
class PostgresBackup:
    destination: str  # s3://bucket/prefix
    role_arn: str
    retention_days: int
    schedule: str
    archive_timeout_minutes: int  # a partly filled WAL segment is archived after this long: the RPO of a restore
    region: str
    drill_schedule: str  # when the restore drill restores the newest backup into a scratch volume
    drill_storage: str  # that volume's size: the data and the WAL replayed
    server_name: str  # folder of this cluster's backups under destination
    kms_key_arn: pulumi.Input[str]  # the backups bucket's key, named on every upload


@dataclass(frozen=True)
class PostgresRecovery:
    """Bootstrap from backups: the serverName they are under, and the time to replay WAL to (None: the end)."""

    source_server_name: str
    target_time: str | None


@dataclass(frozen=True)
class PostgresClusterArgs:
    namespace: pulumi.Input[str]
    name: str
    secrets: SecretsManagerSettings
    store: str  # SecretStore the owner's credentials come through
    instances: int
    storage_class: str
    storage_size: str
    wal_storage_size: str
    resources: Resources  # per instance
    zone_anti_affinity: str  # required | preferred
    max_connections: int
    backup: PostgresBackup
    recovery: PostgresRecovery | None = None
    audit: bool = True  # pgaudit (PGAUDIT_PARAMETERS)
    database: str = "langfuse"
    owner: str = "langfuse"


class PostgresCluster(pulumi.ComponentResource):
    rw_service: str
    app_secret: str
    ca_secret: str
    object_store: str  # the Barman Cloud Plugin's ObjectStore the cluster archives into

    def __init__(self, name: str, args: PostgresClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:postgres:PostgresCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels("postgresql", "database", "langfuse")
        self.app_secret = f"{args.name}-owner"
        password = random.RandomPassword(f"{args.name}-owner-password", length=40, special=False, opts=child)
        stored = GeneratedSecret(
            "postgres",
            GeneratedSecretArgs(
                short_name="postgres",
                description="PostgreSQL: the Langfuse database owner",
                values={"username": args.owner, "password": password.result},
                settings=args.secrets,
            ),
            opts=child,
        )
        # CloudNativePG takes the owner's credentials from a basic-auth Secret at bootstrap.
        owner = external_secret(
            self.app_secret,
            args.namespace,
            args.store,
            [SecretValue("username", stored.name, "username"), SecretValue("password", stored.name, "password")],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[stored]),
            secret_type="kubernetes.io/basic-auth",
        )
        self.object_store = f"{args.name}-backups"
        store_settings = ObjectStoreSettings(
            destination=args.backup.destination, retention_days=args.backup.retention_days, kms_key_arn=args.backup.kms_key_arn
        )
        store = k8s.apiextensions.CustomResource(
            self.object_store,
            api_version="barmancloud.cnpg.io/v1",
            kind="ObjectStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=self.object_store, namespace=args.namespace, labels=labels),
            spec=object_store_spec(store_settings),
            opts=child,
        )
        cluster = k8s.apiextensions.CustomResource(
            args.name,
            api_version="postgresql.cnpg.io/v1",
            kind="Cluster",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace, labels=labels),
            spec=_cluster_spec(args, self.app_secret, self.object_store),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[owner, store]),
        )
        in_cluster = pulumi.ResourceOptions(parent=self, depends_on=[cluster])
        k8s.apiextensions.CustomResource(
            f"{args.name}-daily",
            api_version="postgresql.cnpg.io/v1",
            kind="ScheduledBackup",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{args.name}-daily", namespace=args.namespace, labels=labels),
            spec={
                "schedule": args.backup.schedule,
                "cluster": {"name": args.name},
                "method": "plugin",
                "pluginConfiguration": {"name": BARMAN_CLOUD_PLUGIN},
                "backupOwnerReference": "self",
                "immediate": True,
            },
            opts=in_cluster,
        )
        k8s.apiextensions.CustomResource(
            f"{args.name}-metrics",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace, labels=labels),
            spec={
                "selector": {"matchLabels": instance_labels(args.name)},
                "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}],
            },
            opts=in_cluster,
        )
        PostgresRestoreDrill(
            "restore-drill",
            PostgresRestoreDrillArgs(
                namespace=args.namespace,
                cluster=args.name,
                server_name=args.backup.server_name,
                store=store_settings,
                region=args.backup.region,
                schedule=args.backup.drill_schedule,
                storage_class=args.storage_class,
                storage_size=args.backup.drill_storage,
            ),
            opts=in_cluster,
        )
        self.rw_service = f"{args.name}-rw"
        self.ca_secret = f"{args.name}-ca"
        self.register_outputs({"cluster": cluster.metadata})


RECOVERY_SOURCE = "backups"


def _bootstrap(args: PostgresClusterArgs, owner_secret: str) -> dict:
    owner = {"database": args.database, "owner": args.owner, "secret": {"name": owner_secret}}
    if args.recovery is None:
        return {"initdb": {**owner, "dataChecksums": True}}
    # CloudNativePG restores the newest base backup before the target and replays WAL up to it (docs,
    # "Recovery"); the roles and data come from the backup, the owner's Secret is the same.
    recovery: dict = {**owner, "source": RECOVERY_SOURCE}
    if args.recovery.target_time is not None:
        recovery["recoveryTarget"] = {"targetTime": args.recovery.target_time}
    return {"recovery": recovery}


def _cluster_spec(args: PostgresClusterArgs, owner_secret: str, store: str) -> dict:
    spec: dict = {
        "instances": args.instances,
        "imageName": POSTGRES_IMAGE,
        "primaryUpdateStrategy": "unsupervised",
        "enableSuperuserAccess": False,
        "enablePDB": True,
        "postgresql": {
            "parameters": {
                "ssl_min_protocol_version": "TLSv1.3",
                "password_encryption": "scram-sha-256",
                "log_checkpoints": "on",
                "log_lock_waits": "on",
                "timezone": "UTC",
                "max_connections": str(args.max_connections),
                "superuser_reserved_connections": str(SUPERUSER_RESERVED_CONNECTIONS),
                "archive_timeout": f"{args.backup.archive_timeout_minutes}min",
                **(PGAUDIT_PARAMETERS if args.audit else {}),
            },
            # Evaluated before CloudNativePG's catch-all `host all all all scram-sha-256`: no plain-TCP client
            # reaches authentication.
            "pg_hba": ["hostnossl all all 0.0.0.0/0 reject", "hostnossl all all ::/0 reject"],
        },
        "bootstrap": _bootstrap(args, owner_secret),
        "storage": {"storageClass": args.storage_class, "size": args.storage_size, "resizeInUseVolumes": True},
        "walStorage": {"storageClass": args.storage_class, "size": args.wal_storage_size, "resizeInUseVolumes": True},
        "resources": args.resources.requirements(),
        "affinity": {
            "enablePodAntiAffinity": True,
            "topologyKey": ZONE_KEY,
            "podAntiAffinityType": args.zone_anti_affinity,
        },
        # The pod identity webhook gives the instances the backup role (ROSA STS).
        "serviceAccountTemplate": {"metadata": {"annotations": {"eks.amazonaws.com/role-arn": args.backup.role_arn}}},
        "plugins": [wal_archiver(store, args.backup.server_name)],
    }
    if args.recovery is not None:
        # The same store, read from the folder being restored (the plugin docs' "Restoring a Cluster").
        spec["externalClusters"] = [{"name": RECOVERY_SOURCE, "plugin": recovery_source(store, args.recovery.source_server_name)}]
    if args.instances >= 3:
        spec["postgresql"]["synchronous"] = {
            "method": "any",
            "number": 1,
            "dataDurability": "required",
            "failoverQuorum": True,
        }
    elif args.instances == 2:
        # Two instances cannot keep a quorum through a failure: stay available, replicate synchronously
        # whenever the standby is there.
        spec["postgresql"]["synchronous"] = {"method": "any", "number": 1, "dataDurability": "preferred"}
    return spec
