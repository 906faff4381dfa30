"""The namespace's network needs, from the stack's network settings and its backend mode."""

from __future__ import annotations

from components.clickhouse.contract import INSTALLATION as CLICKHOUSE_INSTALLATION
from components.network.langfuse_flows import ExternalStores, InClusterStores, LangfuseNetwork
from components.network.model import Addresses, Port
from components.postgres.contract import CLUSTER_NAME as POSTGRES_CLUSTER
from components.redis.contract import REDIS_PORT
from infra.stack_config import StackConfig


def langfuse_network(config: StackConfig) -> LangfuseNetwork:
    net = config.network
    excluded = tuple(net.cluster_networks)
    return LangfuseNetwork(
        stores=_stores(config),
        api_server=Addresses("api-server", tuple(net.api_server.cidrs), excluded),
        api_server_port=net.api_server.port,
        https_egress=Addresses("https-egress", tuple(net.https_egress_cidrs), excluded),
        grafana=config.monitoring.grafana is not None,
        tenant_controller=config.tenancy.enabled,
        usage_reporting=config.tenancy.enabled and config.tenancy.usage.enabled,
        round_trip_monitor=config.verification.monitor.enabled,
        audit_export=config.audit.langfuse_export.image is not None,
        analytics=config.analytics.enabled,
        shared_project_export=config.analytics.enabled and config.tenancy.enabled and config.langfuse.license_key is None,
    )


def _stores(config: StackConfig) -> InClusterStores | ExternalStores:
    backend = config.backend
    if backend.mode == "in-cluster":
        return InClusterStores(postgres_cluster=POSTGRES_CLUSTER, clickhouse_installation=CLICKHOUSE_INSTALLATION)
    pg, ch, redis = backend.postgres, backend.clickhouse, backend.redis
    assert pg and ch and redis  # guaranteed for mode external by BackendConfig's validator
    # The sentinels name the data nodes at run time; they listen on Redis' default port.
    sentinel_ports = {int(node.rsplit(":", 1)[1]) for node in redis.sentinel.nodes}
    ports = sorted({pg.port, ch.http_port, ch.native_port, REDIS_PORT, *sentinel_ports})
    addresses = Addresses("external-stores", tuple(config.network.external_backend_cidrs), tuple(config.network.cluster_networks))
    return ExternalStores(addresses=addresses, ports=tuple(Port(p) for p in ports))
