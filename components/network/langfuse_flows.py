"""Every flow the Langfuse namespace needs, from the components' own ports and labels; nothing else is
allowed (NamespaceIsolation denies the rest). Kubelet probes come from the node, which OVN-Kubernetes
always admits, so they need no rule."""

from __future__ import annotations

from dataclasses import dataclass

from langfuse_incluster import contract as incluster

from components.analytics import contract as analytics
from components.clickhouse import contract as clickhouse
from components.langfuse import contract as langfuse
from components.monitoring import contract as monitoring
from components.network.model import Addresses, Flow, Pods, Port, tcp
from components.network.openshift import (
    DNS,
    DNS_PORTS,
    MONITORING,
    ROUTERS,
    THANOS_QUERIER,
    THANOS_QUERIER_TENANCY_PORT,
    operator,
)
from components.platform.catalog import ALTINITY_CLICKHOUSE, CLOUDNATIVE_PG, GRAFANA_OPERATOR
from components.postgres import contract as postgres
from components.redis import contract as redis

HTTPS = tcp(443)


@dataclass(frozen=True)
class InClusterStores:
    postgres_cluster: str
    clickhouse_installation: str  # also the name of its ClickHouseKeeperInstallation


@dataclass(frozen=True)
class ExternalStores:
    addresses: Addresses
    ports: tuple[Port, ...]


@dataclass(frozen=True)
class LangfuseNetwork:
    stores: InClusterStores | ExternalStores
    api_server: Addresses
    api_server_port: int
    https_egress: Addresses  # S3, STS, Secrets Manager, the SSO issuer, the public route
    grafana: bool
    tenant_controller: bool = False
    usage_reporting: bool = False  # the usage exporter and the weekly summary (with the tenant controller)
    round_trip_monitor: bool = False
    audit_export: bool = False
    analytics: bool = False  # the analytics cluster, its loader and jobs
    shared_project_export: bool = False  # the Job that configures the shared project's export


WEB = Pods("langfuse-web", langfuse.WEB_POD_LABELS)
WORKER = Pods("langfuse-worker", langfuse.WORKER_POD_LABELS)
MIGRATION = Pods("langfuse-migration", langfuse.MIGRATION_POD_LABELS)
STATSD = Pods("statsd-exporter", monitoring.STATSD_POD_LABELS)
BLACKBOX = Pods("blackbox-exporter", monitoring.BLACKBOX_POD_LABELS)
GRAFANA = Pods("grafana", monitoring.GRAFANA_POD_LABELS)
REDIS = Pods("redis", redis.REDIS_POD_LABELS)
SENTINEL = Pods("sentinel", redis.SENTINEL_POD_LABELS)
TENANT_CONTROLLER = Pods(incluster.CONTROLLER_NAME, incluster.POD_LABELS)
ROUND_TRIP_MONITOR = Pods(incluster.MONITOR_NAME, incluster.MONITOR_POD_LABELS)
USAGE_EXPORTER = Pods(incluster.EXPORTER_NAME, incluster.EXPORTER_POD_LABELS)
USAGE_SUMMARY = Pods(incluster.SUMMARY_NAME, incluster.SUMMARY_POD_LABELS)
AUDIT_EXPORT = Pods(incluster.AUDIT_EXPORT_NAME, incluster.AUDIT_EXPORT_POD_LABELS)


def langfuse_flows(network: LangfuseNetwork) -> tuple[Flow, ...]:
    flows = [
        Flow(ROUTERS, WEB, tcp(langfuse.WEB_PORT), "the Route"),
        *(Flow(app, STATSD, (Port(monitoring.STATSD_PORT, "UDP"), Port(monitoring.STATSD_METRICS_PORT)), "DogStatsD, and dd-trace's agent probe") for app in (WEB, WORKER)),
        *(Flow(app, network.https_egress, HTTPS, "S3, STS (web identity), the SSO issuer") for app in (WEB, WORKER)),
        Flow(MONITORING, STATSD, tcp(monitoring.STATSD_METRICS_PORT), "scrape"),
        Flow(MONITORING, BLACKBOX, tcp(monitoring.BLACKBOX_PORT), "probe requests"),
        Flow(BLACKBOX, network.https_egress, HTTPS, "probe of the public route"),
    ]
    if isinstance(network.stores, InClusterStores):
        flows += _in_cluster_store_flows(network)
    else:
        flows += [Flow(app, network.stores.addresses, network.stores.ports, "the external stores") for app in (WEB, WORKER, MIGRATION)]
    if network.grafana:
        flows += [
            Flow(ROUTERS, GRAFANA, tcp(monitoring.GRAFANA_PORT), "Grafana's Route"),
            Flow(operator(GRAFANA_OPERATOR.namespace), GRAFANA, tcp(monitoring.GRAFANA_PORT), "the operator provisions dashboards and datasources"),
            Flow(GRAFANA, THANOS_QUERIER, (THANOS_QUERIER_TENANCY_PORT,), "the datasource (this namespace's series only)"),
            Flow(GRAFANA, network.https_egress, HTTPS, "OAuth token exchange with the SSO issuer"),
        ]
    if network.analytics:
        flows += _analytics_flows(network)
    if network.shared_project_export:
        flows.append(Flow(Pods("blob-exports-job", incluster.EXPORTS_JOB_LABELS), WEB, tcp(langfuse.WEB_PORT), "configures the shared project's export (Langfuse's public API)"))
    if network.tenant_controller:
        flows += [
            Flow(TENANT_CONTROLLER, WEB, tcp(langfuse.WEB_PORT), "projects and API keys (Langfuse's public API)"),
            Flow(TENANT_CONTROLLER, network.api_server, tcp(network.api_server_port), "watches ProjectSettings, writes langfuse-keys"),
            Flow(MONITORING, TENANT_CONTROLLER, tcp(incluster.METRICS_PORT), "scrape (key ages)"),
        ]
    if network.round_trip_monitor:
        flows += [
            Flow(ROUND_TRIP_MONITOR, network.https_egress, HTTPS, "the round trip through the public Route, as SDK users reach Langfuse"),
            Flow(MONITORING, ROUND_TRIP_MONITOR, tcp(incluster.MONITOR_METRICS_PORT), "scrape (round-trip results)"),
        ]
    if network.usage_reporting:
        flows += [
            *(Flow(pods, WEB, tcp(langfuse.WEB_PORT), "v2 metrics and model prices (Langfuse's public API)") for pods in (USAGE_EXPORTER, USAGE_SUMMARY)),
            *(Flow(pods, network.api_server, tcp(network.api_server_port), "reads ProjectSettings and langfuse-keys") for pods in (USAGE_EXPORTER, USAGE_SUMMARY)),
            Flow(MONITORING, USAGE_EXPORTER, tcp(incluster.EXPORTER_METRICS_PORT), "scrape (cost and usage per project)"),
            Flow(USAGE_SUMMARY, network.https_egress, HTTPS, "the weekly summary to Slack's incoming webhook"),
        ]
    if network.audit_export:
        database = (
            (Pods("postgresql", postgres.cluster_labels(network.stores.postgres_cluster)), tcp(postgres.PORT))
            if isinstance(network.stores, InClusterStores)
            else (network.stores.addresses, network.stores.ports)
        )
        flows += [
            Flow(AUDIT_EXPORT, *database, "reads audit_logs"),
            Flow(AUDIT_EXPORT, network.https_egress, HTTPS, "S3 (the audit bucket) and STS (web identity)"),
            Flow(AUDIT_EXPORT, network.api_server, tcp(network.api_server_port), "its watermark ConfigMap"),
        ]
    sources = {f.source.name: f.source for f in flows if isinstance(f.source, Pods)} | {WEB.name: WEB, MIGRATION.name: MIGRATION}
    flows += [Flow(pods, DNS, DNS_PORTS, "name resolution") for pods in sources.values()]
    return tuple(flows)


def _in_cluster_store_flows(network: LangfuseNetwork) -> list[Flow]:
    stores = network.stores
    assert isinstance(stores, InClusterStores)
    pg = Pods("postgresql", postgres.cluster_labels(stores.postgres_cluster))  # instances and the operator's jobs
    ch = Pods("clickhouse", clickhouse.server_labels(stores.clickhouse_installation))
    keeper = Pods("clickhouse-keeper", clickhouse.keeper_labels(stores.clickhouse_installation))
    clickhouse_client = tcp(clickhouse.HTTPS_PORT, clickhouse.NATIVE_SECURE_PORT)
    jobs = Pods("clickhouse-client-jobs", clickhouse.client_pod_labels(clickhouse.CLIENT_NAME))
    return [
        *(Flow(app, pg, tcp(postgres.PORT), "Prisma") for app in (WEB, WORKER, MIGRATION)),
        *(Flow(app, ch, clickhouse_client, "queries and inserts (HTTPS), migrations (native TLS)") for app in (WEB, WORKER, MIGRATION)),
        *(Flow(app, REDIS, tcp(redis.REDIS_PORT), "queues and cache") for app in (WEB, WORKER)),
        *(Flow(app, SENTINEL, tcp(redis.SENTINEL_PORT), "master discovery") for app in (WEB, WORKER)),
        # PostgreSQL: streaming replication, the operator, the API server for the instance manager, backups.
        Flow(pg, pg, tcp(postgres.PORT), "streaming replication and pg_rewind"),
        Flow(operator(CLOUDNATIVE_PG.namespace), pg, tcp(postgres.STATUS_PORT), "instance status"),
        Flow(pg, network.api_server, tcp(network.api_server_port), "the instance manager watches its Cluster"),
        Flow(pg, network.https_egress, HTTPS, "WAL archive and base backups to S3 (Barman Cloud)"),
        Flow(Pods("postgres-restore-drill", dict(postgres.DRILL_LABELS)), network.https_egress, HTTPS, "the drill reads backups from S3"),
        Flow(MONITORING, pg, tcp(postgres.METRICS_PORT), "scrape"),
        # ClickHouse and Keeper.
        Flow(ch, ch, tcp(clickhouse.INTERSERVER_HTTPS_PORT), "replicas fetch parts (interserver HTTPS)"),
        Flow(ch, keeper, tcp(clickhouse.KEEPER_SECURE_PORT), "replication metadata and ON CLUSTER DDL (TLS)"),
        Flow(jobs, ch, tcp(clickhouse.NATIVE_SECURE_PORT), "backup and restore statements"),
        Flow(ch, network.https_egress, HTTPS, "BACKUP / RESTORE to and from S3"),
        # The drill restores into a server of its own pod: it reaches S3 and nothing of the serving cluster.
        Flow(Pods("clickhouse-restore-drill", dict(clickhouse.DRILL_LABELS)), network.https_egress, HTTPS, "the drill reads backups from S3"),
        Flow(keeper, keeper, tcp(clickhouse.KEEPER_RAFT_PORT), "Raft (TLS)"),
        Flow(operator(ALTINITY_CLICKHOUSE.namespace), ch, tcp(clickhouse.OPERATOR_ACCESS_PORT), "the operator's schema and metrics queries (HTTPS)"),
        Flow(BLACKBOX, ch, tcp(clickhouse.HTTPS_PORT), "certificate probe"),
        Flow(MONITORING, ch, tcp(clickhouse.METRICS_PORT), "scrape"),
        Flow(MONITORING, keeper, tcp(clickhouse.METRICS_PORT), "scrape"),
        # Redis Sentinel.
        Flow(REDIS, REDIS, tcp(redis.REDIS_PORT), "replication"),
        Flow(SENTINEL, REDIS, tcp(redis.REDIS_PORT), "monitoring and failover"),
        Flow(REDIS, SENTINEL, tcp(redis.SENTINEL_PORT), "the init script asks for the current master"),
        Flow(SENTINEL, SENTINEL, tcp(redis.SENTINEL_PORT), "sentinels find each other"),
        *(Flow(BLACKBOX, target, tcp(port), "certificate probe") for target, port in ((REDIS, redis.REDIS_PORT), (SENTINEL, redis.SENTINEL_PORT))),
        Flow(MONITORING, REDIS, tcp(redis.METRICS_PORT), "scrape (redis_exporter)"),
    ]


def _analytics_flows(network: LangfuseNetwork) -> list[Flow]:
    """The analytics cluster talks to itself, its Keeper, S3 and its clients; Langfuse's pods never reach it."""
    ch = Pods("analytics-clickhouse", clickhouse.server_labels(analytics.INSTALLATION))
    keeper = Pods("analytics-keeper", clickhouse.keeper_labels(analytics.INSTALLATION))
    loader = Pods("analytics-loader", analytics.LOADER_LABELS)
    jobs = Pods("analytics-client-jobs", analytics.CLIENT_LABELS)
    flows = [
        # Distributed queries and inserts reach the other shards over native TLS; replicas fetch parts over 9010.
        Flow(ch, ch, tcp(clickhouse.NATIVE_SECURE_PORT, clickhouse.INTERSERVER_HTTPS_PORT), "Distributed queries (native TLS) and part fetches"),
        Flow(ch, keeper, tcp(clickhouse.KEEPER_SECURE_PORT), "replication metadata and ON CLUSTER DDL (TLS)"),
        Flow(keeper, keeper, tcp(clickhouse.KEEPER_RAFT_PORT), "Raft (TLS)"),
        Flow(ch, network.https_egress, HTTPS, "BACKUP to S3 (its own prefix)"),
        Flow(loader, ch, tcp(clickhouse.NATIVE_SECURE_PORT), "inserts the exports' rows"),
        Flow(loader, network.https_egress, HTTPS, "reads the exports from S3 (clickhouse-local), STS"),
        Flow(jobs, ch, tcp(clickhouse.NATIVE_SECURE_PORT), "the schema's DDL and the backups"),
        Flow(operator(ALTINITY_CLICKHOUSE.namespace), ch, tcp(clickhouse.OPERATOR_ACCESS_PORT), "the operator's schema and metrics queries (HTTPS)"),
        Flow(BLACKBOX, ch, tcp(clickhouse.HTTPS_PORT), "certificate probe"),
        Flow(MONITORING, ch, tcp(clickhouse.METRICS_PORT, clickhouse.HTTPS_PORT), "scrape: built-in metrics, and freshness (HTTPS)"),
        Flow(MONITORING, keeper, tcp(clickhouse.METRICS_PORT), "scrape"),
    ]
    if network.grafana:
        flows.append(Flow(GRAFANA, ch, tcp(clickhouse.HTTPS_PORT), "the analytics dashboards (ClickHouse datasource)"))
    return flows


__all__ = ["ExternalStores", "InClusterStores", "LangfuseNetwork", "langfuse_flows"]
