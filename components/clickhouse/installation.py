"""ClickHouseCluster: a ClickHouseInstallation (1 shard x N replicas, cluster `default`) and its Keeper.

- Cluster name `default`: Langfuse's clustered migrations run `ON CLUSTER default` (CLICKHOUSE_CLUSTER_NAME).
- One shard: refused otherwise at config time (infra/stack_config/data_tier.py).
- TLS everywhere, with certificates OpenShift's service CA issues (docs/decisions.md, "TLS inside ClickHouse"):
  - clients: https 8443 and native 9440, with the client Service's certificate; the plaintext 8123 and 9000
    are closed (cluster `secure: yes`, `insecure: no`, Altinity docs/security_hardening.md "Disabling
    insecure connections", and `_removed_` settings, which the operator writes as `remove="1"`, pkg/xml).
  - replicas fetch parts over interserver HTTPS (9010; `interserver_http_port` removed, as the same page's
    "Forcing HTTPS for replication" shows; ClickHouse refuses both at once, programs/server/Server.cpp).
  - the servers reach Keeper on its secure client port 2281; Keepers replicate over Raft with TLS
    (`raft_configuration.secure`, src/Coordination/KeeperStateManager.cpp); Keeper's plaintext 2181 is closed.
  - the servers verify Keeper's and each other's certificates against the service CA; the names are not
    checked on 26.3.33.24 (see SERVER_CLIENT_OPENSSL). Raft peers do not verify each other (see KEEPER_OPENSSL).
  - the operator reaches the servers over HTTPS 8443: with no http port, its `scheme: auto` picks https
    (pkg/controller/chi/worker-migrator.go, pkg/metrics/clickhouse/exporter.go; e2e test_010034), and it does
    not verify the certificate (pkg/model/clickhouse/connection.go hard-codes InsecureSkipVerify).
- Users from a Secret, stored hashed: the operator reads password_sha256_hex from the Secret.
- restricted-v2: the clickhouse-server entrypoint supports an arbitrary non-root UID (it skips chown and
  runs as the current user, docker/server/entrypoint.sh); data lives on the PVC (fsGroup-writable), logs go
  to the console and an emptyDir, so no SCC needs to be granted.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.aws.secrets_manager import SecretsManagerSettings
from components.clickhouse.backup import ClickHouseBackup, ClickHouseBackupArgs, ClickHouseBackupPolicy, s3_endpoint_config
from components.clickhouse.contract import (
    HTTPS_PORT,
    INTERSERVER_HTTPS_PORT,
    KEEPER_RAFT_PORT,
    KEEPER_SECURE_PORT,
    METRICS_PORT,
    NATIVE_SECURE_PORT,
    backup_service_account,
    keeper_labels,
    restore_drill_service_account,
    server_labels,
)
from components.clickhouse.credentials import USERNAME, clickhouse_credentials
from components.clickhouse.images import CLICKHOUSE_KEEPER, CLICKHOUSE_SERVER
from components.clickhouse.restore import ClickHouseRestoreDrill, ClickHouseRestoreDrillArgs
from components.common.dns import service_fqdn
from components.common.labels import recommended_labels
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.resources import Resources
from components.common.scheduling import ZONE_KEY
from components.common.service_account import service_account
from components.monitoring.series import ExportedSeries

CLUSTER_NAME = "default"  # Langfuse runs its migrations ON CLUSTER default
DATABASE = "default"  # Langfuse's tables live in the default database

# What the servers' and Keepers' PodMonitors (below) bring in that alerts read (alerts.py). ClickHouse's built-in
# endpoint writes system.metrics as ClickHouseMetrics_<metric> and system.asynchronous_metrics as
# ClickHouseAsyncMetrics_<metric> (src/Server/PrometheusMetricsWriter.h). ReadonlyReplica is a current metric
# (src/Common/CurrentMetrics.cpp; tests/monitoring/test_alert_series.py finds it in chdb's system.metrics);
# ReplicasMaxAbsoluteDelay a server's asynchronous one (src/Interpreters/ServerAsynchronousMetrics.cpp), and
# KeeperIsLeader Keeper's (src/Coordination/KeeperAsynchronousMetrics.cpp), neither of which chdb computes.
SERVER_SERIES = frozenset({"ClickHouseMetrics_ReadonlyReplica", "ClickHouseAsyncMetrics_ReplicasMaxAbsoluteDelay"})
KEEPER_SERIES = frozenset({"ClickHouseAsyncMetrics_KeeperIsLeader"})
EXPORTED_SERIES = (
    ExportedSeries(kind="PodMonitor", name="clickhouse", series=SERVER_SERIES),
    ExportedSeries(kind="PodMonitor", name="clickhouse-keeper", series=KEEPER_SERIES),
)

SERVICE_CA_DIR = "/etc/clickhouse-server/service-ca"
KEEPER_TLS_DIR = "/etc/clickhouse-keeper/tls"
# The servers' outbound TLS (interserver fetches, Keeper, S3): the service CA and the system CAs (S3),
# strict chain verification, and no name check. Poco leaves `extendedVerification` off unless set
# (SSLManager.cpp); turning it on breaks Keeper on 26.3.33.24: its client connects by resolved address and
# gives Poco no host name, so the certificate is checked against the pod IP, which the service CA's
# certificates do not carry (src/Common/ZooKeeper/ZooKeeperImpl.cpp, ZooKeeper::connect; fixed by ClickHouse
# PR #116724, backported to 26.3.33.122). Turn it on with an image that has that fix.
SERVER_CLIENT_OPENSSL = (
    "<client>"
    f"<caConfig>{SERVICE_CA_DIR}/service-ca.crt</caConfig>"
    "<loadDefaultCAFile>true</loadDefaultCAFile>"
    "<verificationMode>strict</verificationMode>"
    "<extendedVerification>false</extendedVerification>"
    "<invalidCertificateHandler><name>RejectCertificateHandler</name></invalidCertificateHandler>"
    "<disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>"
    "</client>"
)
PROMETHEUS_SETTINGS = {
    "prometheus/endpoint": "/metrics",
    "prometheus/port": METRICS_PORT,
    "prometheus/metrics": 1,
    "prometheus/events": 1,
    "prometheus/asynchronous_metrics": 1,
}
METRICS_CONTAINER_PORT = {"name": "metrics", "containerPort": METRICS_PORT, "protocol": "TCP"}
# Keeper holds only replication metadata: ClickHouse's guidance for small clusters is well under a core.
KEEPER_RESOURCES = Resources(cpu_request="250m", cpu_limit="1000m", memory="1Gi")


@dataclass(frozen=True)
class ClickHouseClusterArgs:
    namespace: pulumi.Input[str]
    name: str
    secrets: SecretsManagerSettings
    store: str  # SecretStore the credentials come through
    replicas: int
    keeper_replicas: int
    storage_class: str
    storage_size: str
    keeper_storage_size: str
    resources: Resources  # per replica
    zone_anti_affinity: str  # required | preferred
    backup_role_arn: pulumi.Input[str]  # IAM role of the servers' service account: they write the backups
    backup_url: pulumi.Input[str]  # https://<bucket>.s3.<region>.amazonaws.com/<prefix>, no trailing slash
    backup_kms_key_arn: pulumi.Input[str]  # the bucket's key; its policy refuses uploads without it
    backup_policy: ClickHouseBackupPolicy
    service_ca_config_map: str
    drill_schedule: str
    drill_role_arn: pulumi.Input[str]  # the restore drill's own role: reads the backup prefix, nothing else


@dataclass(frozen=True)
class InstallationShape:
    """What a ClickHouseInstallation and its Keeper are made of, beyond the users and files of their purpose
    (shared by Langfuse's serving cluster and the analytics cluster, components/analytics)."""

    name: str  # of the ClickHouseInstallation and its ClickHouseKeeperInstallation
    namespace: pulumi.Input[str]
    cluster: str  # the cluster's name in remote_servers (ON CLUSTER, Distributed)
    shards: int
    replicas: int
    keeper_replicas: int
    storage_class: str
    storage_size: str
    keeper_storage_size: str
    resources: Resources  # per server
    zone_anti_affinity: str  # required | preferred
    service_account: str  # the servers' (its IAM role writes their backups)
    service_ca_config_map: str


def installation_shape(args: ClickHouseClusterArgs) -> InstallationShape:
    return InstallationShape(
        name=args.name, namespace=args.namespace, cluster=CLUSTER_NAME, shards=1, replicas=args.replicas, keeper_replicas=args.keeper_replicas,
        storage_class=args.storage_class, storage_size=args.storage_size, keeper_storage_size=args.keeper_storage_size, resources=args.resources,
        zone_anti_affinity=args.zone_anti_affinity, service_account=backup_service_account(args.name),
        service_ca_config_map=args.service_ca_config_map,
    )


class ClickHouseCluster(pulumi.ComponentResource):
    service_host: str  # host name relative to the namespace's DNS
    credentials_secret: str
    tls_secret: str

    def __init__(self, name: str, args: ClickHouseClusterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:clickhouse:ClickHouseCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        credentials = clickhouse_credentials(f"{args.name}-clickhouse", args.namespace, args.secrets, args.store, child)
        self.credentials_secret = f"{args.name}-clickhouse"
        self.tls_secret = f"{args.name}-clickhouse-tls"
        # The servers run BACKUP/RESTORE ... S3 themselves, under this account; the pod identity webhook gives
        # them the backup role.
        service_account(backup_service_account(args.name), args.namespace, args.backup_role_arn, child)
        service_account(restore_drill_service_account(args.name), args.namespace, args.drill_role_arn, child)
        keeper = k8s.apiextensions.CustomResource(
            f"{args.name}-keeper",
            api_version="clickhouse-keeper.altinity.com/v1",
            kind="ClickHouseKeeperInstallation",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name, namespace=args.namespace, labels=recommended_labels("clickhouse-keeper", "coordination", "langfuse")
            ),
            spec=keeper_spec(installation_shape(args)),
            opts=child,
        )
        installation = k8s.apiextensions.CustomResource(
            f"{args.name}-clickhouse",
            api_version="clickhouse.altinity.com/v1",
            kind="ClickHouseInstallation",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name, namespace=args.namespace, labels=recommended_labels("clickhouse", "analytics-database", "langfuse")
            ),
            spec=_installation_spec(args, self.credentials_secret, self.tls_secret),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[keeper, credentials]),
        )
        for kind, selector in (("clickhouse", server_labels(args.name)), ("keeper", keeper_labels(args.name))):
            k8s.apiextensions.CustomResource(
                f"{args.name}-{kind}-metrics",
                api_version="monitoring.coreos.com/v1",
                kind="PodMonitor",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{args.name}-{kind}", namespace=args.namespace, labels=recommended_labels(f"clickhouse-{kind}" if kind == "keeper" else "clickhouse", "metrics", "langfuse")
                ),
                spec={"selector": {"matchLabels": selector}, "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}]},
                opts=pulumi.ResourceOptions(parent=self, depends_on=[installation]),
            )
        # The operator's client Service for a ClickHouseInstallation is `clickhouse-<name>`.
        self.service_host = client_service(args.name)
        self.backup_args = ClickHouseBackupArgs(
            namespace=args.namespace,
            installation=args.name,
            cluster=CLUSTER_NAME,
            database=DATABASE,
            backup_url=args.backup_url,
            policy=args.backup_policy,
            credentials_secret=self.credentials_secret,
            service_ca_config_map=args.service_ca_config_map,
            host=service_fqdn(self.service_host, args.namespace),
            port=NATIVE_SECURE_PORT,
        )
        ClickHouseBackup("backup", self.backup_args, opts=pulumi.ResourceOptions(parent=self, depends_on=[installation]))
        ClickHouseRestoreDrill(
            "restore-drill",
            ClickHouseRestoreDrillArgs(
                namespace=args.namespace,
                installation=args.name,
                database=DATABASE,
                backup_url=args.backup_url,
                full_every_days=args.backup_policy.full_every_days,
                service_account=restore_drill_service_account(args.name),
                storage_class=args.storage_class,
                storage_size=args.storage_size,
                schedule=args.drill_schedule,
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"installation": installation.metadata})


def client_service(installation: str) -> str:
    return f"clickhouse-{installation}"


def keeper_client_service(installation: str) -> str:
    return f"keeper-{installation}"  # the operator's Service for a ClickHouseKeeperInstallation


def _spread(when_unsatisfiable: str, selector: dict[str, str]) -> dict:
    return {
        "maxSkew": 1,
        "topologyKey": ZONE_KEY,
        "whenUnsatisfiable": when_unsatisfiable,
        "labelSelector": {"matchLabels": selector},
    }


def _pod_spec(
    container: dict,
    resources: dict,
    zone_anti_affinity: str,
    selector: dict[str, str],
    scratch: list[tuple[str, str]],
    mounted: list[tuple[dict, str]],  # (volume, mount path), read-only
) -> dict:
    return {
        "securityContext": restricted_pod_security_context(),
        "automountServiceAccountToken": False,
        "topologySpreadConstraints": [
            _spread("DoNotSchedule" if zone_anti_affinity == "required" else "ScheduleAnyway", selector)
        ],
        "containers": [
            {
                **container,
                "imagePullPolicy": "IfNotPresent",
                "env": [{"name": "TZ", "value": "UTC"}],
                "resources": resources,
                "securityContext": restricted_container_security_context(),
                "volumeMounts": [{"name": volume, "mountPath": path} for volume, path in scratch]
                + [{"name": volume["name"], "mountPath": path, "readOnly": True} for volume, path in mounted],
            }
        ],
        "volumes": [{"name": volume, "emptyDir": {"sizeLimit": "1Gi"}} for volume, _ in scratch] + [volume for volume, _ in mounted],
    }


def _installation_spec(args: ClickHouseClusterArgs, credentials: str, tls: str) -> dict:
    users = {
        f"{USERNAME}/password_sha256_hex": {"valueFrom": {"secretKeyRef": {"name": credentials, "key": "password_sha256_hex"}}},
        f"{USERNAME}/networks/ip": ["::/0"],
        f"{USERNAME}/profile": "default",
        # What Langfuse needs (SELECT, INSERT, ALTER, CREATE, DELETE on its database, per its ClickHouse
        # docs) plus CLUSTER for its ON CLUSTER migrations.
        f"{USERNAME}/grants/query": [
            "GRANT ALL ON default.*",
            "GRANT CLUSTER ON *.*",
            "GRANT SELECT ON system.*",
        ],
        "default/password_sha256_hex": {
            "valueFrom": {"secretKeyRef": {"name": credentials, "key": "admin_password_sha256_hex"}}
        },
    }
    return installation_spec(
        installation_shape(args), users, tls, {"config.d/s3-backups.xml": s3_endpoint_config(args.backup_url, args.backup_kms_key_arn)}
    )


def installation_spec(shape: InstallationShape, users: dict, tls: str, files: dict, profiles: dict | None = None) -> dict:
    """The ClickHouseInstallation's spec: `shape.shards` x `shape.replicas` servers with TLS on every port, these
    users (and profiles), and `files` beside the TLS configuration."""
    selector = server_labels(shape.name)
    certs_dir = "/etc/clickhouse-server/secrets.d"

    def secret_file(key: str) -> dict:
        return {"valueFrom": {"secretKeyRef": {"name": tls, "key": key}}}

    return {
        "defaults": {
            "templates": {
                "podTemplate": "clickhouse",
                "dataVolumeClaimTemplate": "data",
                "serviceTemplate": "client",
            }
        },
        "configuration": {
            "zookeeper": {
                "nodes": [{"host": service_fqdn(keeper_client_service(shape.name), shape.namespace), "port": KEEPER_SECURE_PORT, "secure": "1"}]
            },
            "users": users,
            **({"profiles": profiles} if profiles else {}),
            "settings": {
                "timezone": "UTC",
                "https_port": HTTPS_PORT,
                "tcp_port_secure": NATIVE_SECURE_PORT,
                # A replica registers its host as `interserver_https_host`, unset here, so its FQDN (Server.cpp:
                # getFQDNOrHostName), the pod's name under its headless host Service.
                "interserver_https_port": INTERSERVER_HTTPS_PORT,
                # The image's config.xml opens these; `_removed_` becomes remove="1" (operator pkg/xml/xml.go).
                "tcp_port": "_removed_",
                "http_port": "_removed_",
                "interserver_http_port": "_removed_",
                "logger/console": 1,
                "logger/level": "information",
                **PROMETHEUS_SETTINGS,
            },
            "files": {
                "config.d/openssl.xml": (
                    "<clickhouse><openSSL><server>"
                    f"<certificateFile>{certs_dir}/tls.crt/{tls}/tls.crt</certificateFile>"
                    f"<privateKeyFile>{certs_dir}/tls.key/{tls}/tls.key</privateKeyFile>"
                    "<verificationMode>none</verificationMode>"
                    "<disableProtocols>sslv2,sslv3,tlsv1,tlsv1_1</disableProtocols>"
                    "<preferServerCiphers>true</preferServerCiphers>"
                    f"</server>{SERVER_CLIENT_OPENSSL}</openSSL></clickhouse>"
                ),
                **files,
                "tls.crt": secret_file("tls.crt"),
                "tls.key": secret_file("tls.key"),
            },
            "clusters": [
                {
                    "name": shape.cluster,
                    "layout": {"shardsCount": shape.shards, "replicasCount": shape.replicas},
                    # Native and HTTP over TLS only: remote_servers use 9440 with secure=1, no plaintext listener.
                    "secure": "yes",
                    "insecure": "no",
                    # Distributed queries authenticate with a generated shared secret, not the default user.
                    "secret": {"auto": "true"},
                }
            ],
        },
        "templates": {
            "podTemplates": [
                {
                    "name": "clickhouse",
                    "podDistribution": [{"type": "ClickHouseAntiAffinity", "scope": "ClickHouseInstallation"}],
                    "spec": {
                        **_pod_spec(
                            {"name": "clickhouse", "image": CLICKHOUSE_SERVER, "ports": [METRICS_CONTAINER_PORT]},
                            shape.resources.requirements(),
                            shape.zone_anti_affinity,
                            selector,
                            [("logs", "/var/log/clickhouse-server"), ("tmp", "/tmp")],
                            [({"name": "service-ca", "configMap": {"name": shape.service_ca_config_map}}, SERVICE_CA_DIR)],
                        ),
                        # The webhook projects a web-identity token for this account's role (BACKUP/RESTORE to S3).
                        "serviceAccountName": shape.service_account,
                    },
                }
            ],
            "volumeClaimTemplates": [_claim("data", shape.storage_class, shape.storage_size)],
            "serviceTemplates": [
                {
                    "name": "client",
                    "metadata": {
                        # OpenShift's service CA issues clickhouse-<name>.<namespace>.svc into this Secret.
                        "annotations": {"service.beta.openshift.io/serving-cert-secret-name": tls}
                    },
                    "spec": {
                        "type": "ClusterIP",
                        "ports": [
                            {"name": "https", "port": HTTPS_PORT, "targetPort": HTTPS_PORT},
                            {"name": "secureclient", "port": NATIVE_SECURE_PORT, "targetPort": NATIVE_SECURE_PORT},
                        ],
                    },
                }
            ],
        },
    }


# Keeper's TLS: its secure client port and Raft both serve the Keeper client Service's certificate. Raft uses
# one verification mode for its listener and its client (src/Coordination/KeeperServer.cpp, setSSLParams
# gives both contexts openSSL.server's parameters); verifying there means demanding client certificates,
# and the service CA's are serverAuth-only (openshift/library-go pkg/crypto, newServerCertificateTemplate),
# which OpenSSL refuses as client certificates. So Keeper verifies no peer: Raft is encrypted, not
# authenticated (NetworkPolicies admit only Keeper pods to it), and the servers verify Keeper on 2281.
KEEPER_OPENSSL = {
    "openSSL/server/certificateFile": f"{KEEPER_TLS_DIR}/tls.crt",
    "openSSL/server/privateKeyFile": f"{KEEPER_TLS_DIR}/tls.key",
    "openSSL/server/verificationMode": "none",
    "openSSL/server/disableProtocols": "sslv2,sslv3,tlsv1,tlsv1_1",
    "openSSL/server/preferServerCiphers": "true",
}


def keeper_tls_secret(installation: str) -> str:
    return f"{installation}-keeper-tls"


def keeper_spec(shape: InstallationShape) -> dict:
    selector = keeper_labels(shape.name)
    tls = keeper_tls_secret(shape.name)
    keeper = _pod_spec(
        {"name": "clickhouse-keeper", "image": CLICKHOUSE_KEEPER, "ports": [METRICS_CONTAINER_PORT]},
        KEEPER_RESOURCES.requirements(),
        shape.zone_anti_affinity,
        selector,
        [("logs", "/var/log/clickhouse-keeper"), ("tmp", "/tmp")],
        [({"name": "tls", "secret": {"secretName": tls}}, KEEPER_TLS_DIR)],
    )
    # The operator's default liveness probe sends `ruok` to the plaintext client port (pkg/model/chk/creator/
    # probe.go), which is closed; a container that sets its own keeps it (stsEnsureAppContainerProbesSpecified).
    keeper["containers"][0]["livenessProbe"] = {
        "tcpSocket": {"port": KEEPER_SECURE_PORT},
        "initialDelaySeconds": 5,
        "periodSeconds": 5,
        "failureThreshold": 12,
    }
    return {
        "defaults": {"templates": {"podTemplate": "keeper", "dataVolumeClaimTemplate": "data", "serviceTemplate": "client"}},
        "configuration": {
            "clusters": [{"name": "keeper", "layout": {"replicasCount": shape.keeper_replicas}}],
            "settings": {
                # The operator's default keeper config opens 2181 (config/chk/keeper_config.d); closed here.
                "keeper_server/tcp_port": "_removed_",
                "keeper_server/tcp_port_secure": str(KEEPER_SECURE_PORT),
                "keeper_server/raft_configuration/server/port": str(KEEPER_RAFT_PORT),
                "keeper_server/raft_configuration/secure": "true",
                "logger/console": "1",
                **KEEPER_OPENSSL,
                **PROMETHEUS_SETTINGS,
            },
        },
        "templates": {
            "podTemplates": [{"name": "keeper", "spec": keeper}],
            "serviceTemplates": [
                {
                    "name": "client",
                    # The service CA issues keeper-<name>.<namespace>.svc (and, headless, *.keeper-<name>...).
                    "metadata": {"annotations": {"service.beta.openshift.io/serving-cert-secret-name": tls}},
                    "spec": {
                        "clusterIP": "None",
                        "ports": [
                            {"name": "secure-client", "port": KEEPER_SECURE_PORT, "targetPort": KEEPER_SECURE_PORT},
                            {"name": "raft", "port": KEEPER_RAFT_PORT, "targetPort": KEEPER_RAFT_PORT},
                        ],
                    },
                }
            ],
            "volumeClaimTemplates": [_claim("data", shape.storage_class, shape.keeper_storage_size)],
        },
    }


def _claim(name: str, storage_class: str, size: str) -> dict:
    return {
        "name": name,
        "spec": {"storageClassName": storage_class, "accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": size}}},
    }
