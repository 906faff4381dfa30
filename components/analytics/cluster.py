"""AnalyticsCluster: the sharded ClickHouse the dashboards and reports read, apart from the one Langfuse serves
from (which stays one shard: Langfuse's deletes and updates fail on Distributed tables).

- Its own ClickHouseInstallation `analytics` (shards x replicas, cluster `analytics`) and Keeper, built as the
  serving cluster's are (components/clickhouse/installation.py: TLS on every port, service-CA certificates,
  restricted-v2, zone spread, the encrypted StorageClass), with users of its own (credentials.py).
- The schema Job runs schema.py's statements ON CLUSTER once per change (pulumi waits for it).
- The loader CronJob (loader.py) runs under its own IAM role, which lists and reads the exports prefix only;
  the servers' role writes their backups (BACKUP ... ON CLUSTER, the serving cluster's CronJob) and reads no
  export.
- Monitoring: ClickHouse's and Keeper's built-in metrics (PodMonitors), and the freshness of the data, served by
  the servers themselves on HTTPS at METRICS_PATH (a predefined query, queries.FRESHNESS, in Prometheus's format),
  scraped as the `metrics` user over verified TLS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from xml.sax.saxutils import escape

import pulumi
import pulumi_kubernetes as k8s

from components.analytics.contract import CLIENT_NAME, INSTALLATION, LOADER_NAME, LOADER_SERVICE_ACCOUNT, PURPOSE, PURPOSE_LABEL
from components.analytics.credentials import HASHES_SECRET, analytics_credentials, client_secret
from components.analytics.loader import loader_script, local_config
from components.analytics.queries import FRESHNESS, LOADED_UNTIL_METRIC, NEWEST_OBSERVATION_METRIC, SKIPPED_MANIFESTS_METRIC
from components.analytics.schema import CLUSTER, DATABASE, schema_statements
from components.aws.secrets_manager import SecretsManagerSettings
from components.clickhouse.backup import (
    CLIENT_CONFIG,
    ClickHouseBackup,
    ClickHouseBackupArgs,
    ClickHouseBackupPolicy,
    ClickHouseClient,
    clickhouse_client_pod,
    s3_endpoint_config,
)
from components.clickhouse.contract import NATIVE_SECURE_PORT, backup_service_account, keeper_labels, server_labels
from components.clickhouse.installation import (
    KEEPER_SERIES,
    SERVER_SERIES,
    InstallationShape,
    client_service,
    installation_spec,
    keeper_spec,
)
from components.common.dns import service_fqdn
from components.common.labels import recommended_labels
from components.common.resources import Resources
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, scripted_cron_job
from components.common.service_account import service_account
from components.monitoring.series import ExportedSeries

PART_OF = "langfuse-analytics"
METRICS_PATH = "/analytics/metrics"
# What its PodMonitors (_pod_monitor below) bring in that alerts read (alerts.py, and the serving cluster's
# ClickHouse alerts, which select by namespace): the built-in endpoints' series, as the serving cluster's, and
# the freshness query at METRICS_PATH (tests/analytics/test_pipeline_chdb.py reads it from a real engine).
EXPORTED_SERIES = (
    ExportedSeries(kind="PodMonitor", name=f"{INSTALLATION}-clickhouse", series=SERVER_SERIES),
    ExportedSeries(kind="PodMonitor", name=f"{INSTALLATION}-keeper", series=KEEPER_SERIES),
    ExportedSeries(
        kind="PodMonitor",
        name=f"{INSTALLATION}-freshness",
        series=frozenset({NEWEST_OBSERVATION_METRIC, LOADED_UNTIL_METRIC, SKIPPED_MANIFESTS_METRIC}),
    ),
)
LOADER_KEY, LOCAL_CONFIG_KEY, SCHEMA_KEY = "load.sh", "local.xml", "schema.sql"
# Grants (ClickHouse SQL): the dashboards and the freshness scrape read, the loader reads and inserts, admin
# owns the schema and runs the backups. Reads of a Distributed table run on the other shards as the same user
# (the cluster's shared secret), so every grant covers the local tables too.
GRANTS = {
    "admin": ["GRANT ALL ON analytics.*", "GRANT CLUSTER ON *.*", "GRANT SELECT ON system.*"],
    "loader": ["GRANT SELECT, INSERT ON analytics.*"],
    "grafana": ["GRANT SELECT ON analytics.*"],
    "metrics": ["GRANT SELECT ON analytics.*"],
}
READ_ONLY_PROFILE = "dashboards"


@dataclass(frozen=True)
class AnalyticsClusterArgs:
    namespace: str
    secrets: SecretsManagerSettings
    store: str
    shards: int
    replicas: int
    keeper_replicas: int
    storage_class: str
    storage_size: str
    keeper_storage_size: str
    resources: Resources  # per server
    zone_anti_affinity: str
    service_ca_config_map: str
    retention_days: int
    backup_role_arn: pulumi.Input[str]  # the servers': write their backups
    backup_url: pulumi.Input[str]  # https://<backups bucket>.s3.<region>.amazonaws.com/<prefix>, no trailing slash
    backup_kms_key_arn: pulumi.Input[str]
    backup_policy: ClickHouseBackupPolicy
    loader_role_arn: pulumi.Input[str]  # the loader's: list and read the exports prefix
    bucket_url: str  # https://<exports bucket>.s3.<region>.amazonaws.com
    exports_prefix: str  # e.g. analytics/ (Langfuse appends <projectId>/...)
    load_schedule: str
    lookback_days: int  # manifests older than this are gone from S3 (its lifecycle): not compared


def metrics_handler_config() -> str:
    """config.d file: the freshness query at METRICS_PATH on the HTTPS port, next to the default handlers
    (ClickHouse docs, HTTP interface, "Predefined HTTP interface": http_handlers, predefined_query_handler,
    <defaults/>)."""
    return (
        "<clickhouse><http_handlers><rule>"
        f"<url>{METRICS_PATH}</url><methods>GET</methods>"
        "<handler><type>predefined_query_handler</type>"
        f"<query>{escape(FRESHNESS)}</query>"
        "<content_type>text/plain; version=0.0.4; charset=utf-8</content_type>"
        "</handler></rule><defaults/></http_handlers></clickhouse>"
    )


def schema_sql(retention_days: int) -> str:
    return "".join(f"{statement};\n\n" for statement in schema_statements(retention_days))


def schema_job_name(retention_days: int) -> str:
    # One Job per schema: a changed statement is a new Job (Jobs are immutable), an unchanged one is left alone.
    return f"analytics-schema-{hashlib.sha256(schema_sql(retention_days).encode()).hexdigest()[:8]}"


class AnalyticsCluster(pulumi.ComponentResource):
    service_host: str  # relative to the namespace
    grafana_secret: str  # username and password of the dashboards' user

    def __init__(self, name: str, args: AnalyticsClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:analytics:AnalyticsCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        ns = args.namespace
        credentials = analytics_credentials(ns, args.secrets, args.store, child)
        tls = f"{INSTALLATION}-clickhouse-tls"
        shape = InstallationShape(
            name=INSTALLATION, namespace=ns, cluster=CLUSTER, shards=args.shards, replicas=args.replicas, keeper_replicas=args.keeper_replicas,
            storage_class=args.storage_class, storage_size=args.storage_size, keeper_storage_size=args.keeper_storage_size,
            resources=args.resources, zone_anti_affinity=args.zone_anti_affinity,
            service_account=backup_service_account(INSTALLATION), service_ca_config_map=args.service_ca_config_map,
        )
        accounts = [
            service_account(shape.service_account, ns, args.backup_role_arn, child),
            service_account(LOADER_SERVICE_ACCOUNT, ns, args.loader_role_arn, child),
        ]
        labels = {PURPOSE_LABEL: PURPOSE}
        keeper = k8s.apiextensions.CustomResource(
            f"{INSTALLATION}-keeper",
            api_version="clickhouse-keeper.altinity.com/v1",
            kind="ClickHouseKeeperInstallation",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=INSTALLATION, namespace=ns, labels={**recommended_labels("clickhouse-keeper", "coordination", PART_OF), **labels}),
            spec=keeper_spec(shape),
            opts=child,
        )
        users: dict = {}
        for user, grants in GRANTS.items():
            users |= {
                f"{user}/password_sha256_hex": {"valueFrom": {"secretKeyRef": {"name": HASHES_SECRET, "key": f"{user}_password_sha256_hex"}}},
                f"{user}/networks/ip": ["::/0"],
                f"{user}/profile": READ_ONLY_PROFILE if user in ("grafana", "metrics") else "default",
                f"{user}/grants/query": grants,
            }
        # The image's default user gets the admin password (no passwordless user on the network).
        users["default/password_sha256_hex"] = {"valueFrom": {"secretKeyRef": {"name": HASHES_SECRET, "key": "admin_password_sha256_hex"}}}
        # readonly 2: reads only, but a client may set its own limits (the Grafana plugin sets max_execution_time;
        # ClickHouse docs, Grafana plugin, "read-only user").
        profiles = {f"{READ_ONLY_PROFILE}/readonly": 2, f"{READ_ONLY_PROFILE}/max_execution_time": 120}
        files = {
            "config.d/s3-backups.xml": s3_endpoint_config(args.backup_url, args.backup_kms_key_arn),
            "config.d/analytics-metrics.xml": metrics_handler_config(),
        }
        installation = k8s.apiextensions.CustomResource(
            f"{INSTALLATION}-clickhouse",
            api_version="clickhouse.altinity.com/v1",
            kind="ClickHouseInstallation",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=INSTALLATION, namespace=ns, labels={**recommended_labels("clickhouse", "analytics", PART_OF), **labels}),
            spec=installation_spec(shape, users, tls, files, profiles),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[keeper, *credentials, *accounts]),
        )
        after_installation = pulumi.ResourceOptions(parent=self, depends_on=[installation])
        for kind, selector in (("clickhouse", server_labels(INSTALLATION)), ("keeper", keeper_labels(INSTALLATION))):
            _pod_monitor(f"{INSTALLATION}-{kind}", ns, selector, [{"port": "metrics", "interval": "30s"}], after_installation)
        self.service_host = client_service(INSTALLATION)
        fqdn = service_fqdn(self.service_host, ns)
        # Every server answers with the whole cluster's freshness (Distributed reads); the alert takes the max.
        _pod_monitor(
            f"{INSTALLATION}-freshness",
            ns,
            server_labels(INSTALLATION),
            [
                {
                    "port": "https",
                    "scheme": "https",
                    "path": METRICS_PATH,
                    "interval": "60s",
                    "basicAuth": {
                        "username": {"name": client_secret("metrics"), "key": "username"},
                        "password": {"name": client_secret("metrics"), "key": "password"},
                    },
                    # Scraped by pod address: the name to verify is the client Service's, which the certificate carries.
                    "tlsConfig": {"ca": {"configMap": {"name": args.service_ca_config_map, "key": "service-ca.crt"}}, "serverName": fqdn},
                }
            ],
            after_installation,
        )

        def client(user: str) -> ClickHouseClient:
            return ClickHouseClient(fqdn, NATIVE_SECURE_PORT, client_secret(user), args.service_ca_config_map)

        schema = schema_sql(args.retention_days)
        job = schema_job_name(args.retention_days)
        job_labels = recommended_labels(CLIENT_NAME, "schema", PART_OF)
        scripts = k8s.core.v1.ConfigMap(
            job,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=job, namespace=ns, labels=job_labels),
            data={SCHEMA_KEY: schema, "client.xml": CLIENT_CONFIG},
            opts=child,
        )
        k8s.batch.v1.Job(
            job,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=job, namespace=ns, labels=job_labels),
            spec=k8s.batch.v1.JobSpecArgs(
                # The servers come up after the operator has reconciled the installation: retry meanwhile.
                backoff_limit=8,
                active_deadline_seconds=1800,
                template=clickhouse_client_pod(
                    client("admin"),
                    job_labels,
                    ["clickhouse-client", "--config-file", f"{SCRIPTS_DIR}/client.xml", "--host", fqdn, "--port", str(NATIVE_SECURE_PORT),
                     "--queries-file", f"{SCRIPTS_DIR}/{SCHEMA_KEY}"],
                    job,
                    {},
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[installation, scripts], custom_timeouts=pulumi.CustomTimeouts(create="35m", update="35m")),
        )
        loader_labels = {**recommended_labels(LOADER_NAME, "loader", PART_OF)}
        exports_url = f"{args.bucket_url}/{args.exports_prefix}"
        scripted_cron_job(
            ScriptedCronJobArgs(
                name=LOADER_NAME,
                namespace=ns,
                labels=loader_labels,
                schedule=args.load_schedule,
                scripts={LOADER_KEY: loader_script(), LOCAL_CONFIG_KEY: local_config(exports_url), "client.xml": CLIENT_CONFIG},
                pod_template=clickhouse_client_pod(
                    client("loader"),
                    loader_labels,
                    ["/bin/bash", f"{SCRIPTS_DIR}/{LOADER_KEY}"],
                    LOADER_NAME,
                    {
                        "BUCKET_URL": args.bucket_url,
                        "EXPORTS_PREFIX": args.exports_prefix,
                        "LOOKBACK_DAYS": str(args.lookback_days),
                        "LOCAL_CONFIG": f"{SCRIPTS_DIR}/{LOCAL_CONFIG_KEY}",
                    },
                    service_account=LOADER_SERVICE_ACCOUNT,
                    # clickhouse-local holds a Parquet row group (up to 128 MiB in Langfuse's exports) while it converts it.
                    resources=("250m", "1Gi", "2", "2Gi"),
                    home_size="1Gi",
                ),
                deadline_seconds=3 * 3600,
                backoff_limit=2,
            ),
            parent=self,
        )
        ClickHouseBackup(
            "backup",
            ClickHouseBackupArgs(
                namespace=ns, installation=INSTALLATION, cluster=CLUSTER, database=DATABASE, backup_url=args.backup_url, policy=args.backup_policy,
                credentials_secret=client_secret("admin"), service_ca_config_map=args.service_ca_config_map, host=fqdn, port=NATIVE_SECURE_PORT,
                client_name=CLIENT_NAME, part_of=PART_OF,
            ),
            opts=after_installation,
        )
        self.grafana_secret = client_secret("grafana")
        self.register_outputs({"installation": installation.metadata})


def _pod_monitor(name: str, namespace: str, selector: dict, endpoints: list[dict], opts: pulumi.ResourceOptions) -> None:
    k8s.apiextensions.CustomResource(
        f"{name}-metrics",
        api_version="monitoring.coreos.com/v1",
        kind="PodMonitor",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name, namespace=namespace, labels=recommended_labels(name, "metrics", PART_OF)),
        spec={"selector": {"matchLabels": selector}, "podMetricsEndpoints": endpoints},
        opts=opts,
    )

