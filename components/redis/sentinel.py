"""SentinelRedis: Valkey data nodes and Sentinels as two StatefulSets, configured by our rendered files.

TLS certificates come from OpenShift's service CA: annotating a headless Service makes it issue a
certificate for `<service>.<namespace>.svc` and, for headless Services, `*.<service>.<namespace>.svc`,
which covers every pod's stable name (the names Sentinel announces and Langfuse connects to).
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.aws.secrets_manager import SecretsManagerSettings
from components.common.env import secret_env
from components.common.labels import recommended_labels
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.scheduling import HOST_KEY, ZONE_KEY, spread
from components.monitoring.series import ExportedSeries
from components.redis.config import MONITORING_USER, SentinelSettings, rendered_files
from components.redis.contract import METRICS_PORT, REDIS_POD_LABELS, REDIS_PORT, SENTINEL_PORT, pod_labels
from components.redis.credentials import PASSWORD_KEYS, redis_credentials
from components.redis.images import REDIS_EXPORTER, VALKEY

TEMPLATE_DIR = "/etc/redis-templates"
CONF_DIR = "/run/redis"
DATA_DIR = "/data"
TLS_DIR = "/etc/redis/tls"
CA_DIR = "/etc/redis/ca"
# What the data nodes' PodMonitor (below) brings in that alerts read (alerts.py): redis_exporter's series, read
# from the real exporter beside a real node in tests/redis/test_sentinel_drill.py.
EXPORTED_SERIES = ExportedSeries(
    kind="PodMonitor",
    name="valkey",
    series=frozenset({"redis_instance_info", "redis_connected_slaves", "redis_memory_used_bytes", "redis_memory_max_bytes"}),
)


@dataclass(frozen=True)
class SentinelRedisArgs:
    namespace: pulumi.Input[str]
    name: str  # prefix: <name>-redis, <name>-sentinel
    replicas: int
    sentinels: int
    settings: SentinelSettings
    memory: str
    storage_class: str
    storage_size: str
    zone_anti_affinity: str  # required | preferred
    service_ca_config_map: pulumi.Input[str]  # ConfigMap with service-ca.crt
    secrets: SecretsManagerSettings
    store: str  # SecretStore the passwords come through


class SentinelRedis(pulumi.ComponentResource):
    sentinel_nodes: pulumi.Output[list[str]]
    data_nodes: pulumi.Output[list[str]]  # host:port of each data node (TLS)
    credentials_secret: str

    def __init__(self, name: str, args: SentinelRedisArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:redis:SentinelRedis", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        redis_name, sentinel_name = f"{args.name}-redis", f"{args.name}-sentinel"
        self.credentials_secret = f"{args.name}-redis-auth"
        secret = redis_credentials(self.credentials_secret, args.namespace, args.secrets, args.store, child)
        config = k8s.core.v1.ConfigMap(
            f"{args.name}-redis-config",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=f"{args.name}-redis-config", namespace=args.namespace, labels=recommended_labels("valkey", "cache", "langfuse")
            ),
            data=rendered_files(args.settings),
            opts=child,
        )
        redis_hosts = _pod_hosts(redis_name, args.replicas, args.namespace)
        sentinel_hosts = _pod_hosts(sentinel_name, args.sentinels, args.namespace)
        env = _script_env(args, redis_hosts, sentinel_hosts, self.credentials_secret)
        after_config = pulumi.ResourceOptions(parent=self, depends_on=[config, secret])

        for role, replicas, port in (("redis", args.replicas, REDIS_PORT), ("sentinel", args.sentinels, SENTINEL_PORT)):
            workload = f"{args.name}-{role}"
            labels = recommended_labels("valkey", role, "langfuse")
            selector = pod_labels(role)
            headless = k8s.core.v1.Service(
                f"{workload}-headless",
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=f"{workload}-headless",
                    namespace=args.namespace,
                    labels=labels,
                    annotations={"service.beta.openshift.io/serving-cert-secret-name": f"{workload}-tls"},
                ),
                spec=k8s.core.v1.ServiceSpecArgs(
                    cluster_ip="None",
                    # Peers must resolve each other while starting, before they are ready.
                    publish_not_ready_addresses=True,
                    selector=selector,
                    ports=[k8s.core.v1.ServicePortArgs(name=role, port=port, target_port=role)],
                ),
                opts=child,
            )
            k8s.apps.v1.StatefulSet(
                workload,
                metadata=k8s.meta.v1.ObjectMetaArgs(name=workload, namespace=args.namespace, labels=labels),
                spec=_stateful_set_spec(args, role, replicas, port, f"{workload}-headless", labels, selector, env),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[config, secret, headless]),
            )
            k8s.policy.v1.PodDisruptionBudget(
                workload,
                metadata=k8s.meta.v1.ObjectMetaArgs(name=workload, namespace=args.namespace, labels=labels),
                spec=k8s.policy.v1.PodDisruptionBudgetSpecArgs(
                    max_unavailable=1, selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector)
                ),
                opts=after_config,
            )

        k8s.apiextensions.CustomResource(
            f"{redis_name}-metrics",
            api_version="monitoring.coreos.com/v1",
            kind="PodMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=redis_name, namespace=args.namespace, labels=recommended_labels("valkey", "redis", "langfuse")),
            spec={"selector": {"matchLabels": REDIS_POD_LABELS}, "podMetricsEndpoints": [{"port": "metrics", "interval": "30s"}]},
            opts=child,
        )
        self.sentinel_nodes = sentinel_hosts.apply(lambda hosts: [f"{h}:{SENTINEL_PORT}" for h in hosts.split()])
        self.data_nodes = redis_hosts.apply(lambda hosts: [f"{h}:{REDIS_PORT}" for h in hosts.split()])
        self.register_outputs({"sentinels": self.sentinel_nodes})


def _metrics_container(args: SentinelRedisArgs, headless: str) -> k8s.core.v1.ContainerArgs:
    """redis_exporter beside each data node, as the monitoring ACL user, verifying the node's certificate."""
    address = pulumi.Output.concat("rediss://$(POD_NAME).", headless, ".", args.namespace, f".svc:{REDIS_PORT}")
    return k8s.core.v1.ContainerArgs(
        name="metrics",
        image=REDIS_EXPORTER,
        image_pull_policy="IfNotPresent",
        args=[
            pulumi.Output.concat("--redis.addr=", address),
            f"--redis.user={MONITORING_USER}",
            f"--tls-ca-cert-file={CA_DIR}/service-ca.crt",
            f"--web.listen-address=:{METRICS_PORT}",
        ],
        env=[
            k8s.core.v1.EnvVarArgs(
                name="POD_NAME",
                value_from=k8s.core.v1.EnvVarSourceArgs(field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path="metadata.name")),
            ),
            secret_env("REDIS_PASSWORD", f"{args.name}-redis-auth", "monitoring-password"),
        ],
        ports=[k8s.core.v1.ContainerPortArgs(name="metrics", container_port=METRICS_PORT, protocol="TCP")],
        resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "20m", "memory": "32Mi"}, limits={"cpu": "200m", "memory": "64Mi"}),
        security_context=restricted_container_security_context(),
        volume_mounts=[k8s.core.v1.VolumeMountArgs(name="ca", mount_path=CA_DIR, read_only=True)],
    )


def _pod_hosts(workload: str, count: int, namespace: pulumi.Input[str]) -> pulumi.Output[str]:
    """Space-separated stable pod names, in ordinal order: what the init scripts take as REDIS_NODES/SENTINEL_NODES."""
    return pulumi.Output.from_input(namespace).apply(
        lambda ns: " ".join(f"{workload}-{i}.{workload}-headless.{ns}.svc" for i in range(count))
    )


def _script_env(args: SentinelRedisArgs, redis_hosts: pulumi.Output[str], sentinel_hosts: pulumi.Output[str], secret: str) -> list:
    env = [
        k8s.core.v1.EnvVarArgs(name="POD_NAME", value_from=k8s.core.v1.EnvVarSourceArgs(
            field_ref=k8s.core.v1.ObjectFieldSelectorArgs(field_path="metadata.name"))),
        k8s.core.v1.EnvVarArgs(name="REDIS_NODES", value=redis_hosts),
        k8s.core.v1.EnvVarArgs(name="SENTINEL_NODES", value=sentinel_hosts),
        k8s.core.v1.EnvVarArgs(name="REDIS_PORT", value=str(REDIS_PORT)),
        k8s.core.v1.EnvVarArgs(name="SENTINEL_PORT", value=str(SENTINEL_PORT)),
        k8s.core.v1.EnvVarArgs(name="BIND_ADDRESS", value="* -::*"),
        # Where the probes reach the pod's own server. valkey-cli verifies the chain, never the host name
        # (valkey src/cli_common.c: SSL_VERIFY_PEER, no host check), so 127.0.0.1 works with the service CA's certificate.
        k8s.core.v1.EnvVarArgs(name="LOCAL_ADDRESS", value="127.0.0.1"),
        k8s.core.v1.EnvVarArgs(name="TEMPLATE_DIR", value=TEMPLATE_DIR),
        k8s.core.v1.EnvVarArgs(name="CONF_DIR", value=CONF_DIR),
        k8s.core.v1.EnvVarArgs(name="DATA_DIR", value=DATA_DIR),
        k8s.core.v1.EnvVarArgs(name="TLS_CERT", value=f"{TLS_DIR}/tls.crt"),
        k8s.core.v1.EnvVarArgs(name="TLS_KEY", value=f"{TLS_DIR}/tls.key"),
        k8s.core.v1.EnvVarArgs(name="TLS_CA", value=f"{CA_DIR}/service-ca.crt"),
        k8s.core.v1.EnvVarArgs(name="REDIS_CLI", value="valkey-cli"),
    ]
    for key, variable in PASSWORD_KEYS.items():
        env.append(secret_env(variable, secret, key))
    return env


def _stateful_set_spec(
    args: SentinelRedisArgs, role: str, replicas: int, port: int, headless: str, labels: dict, selector: dict, env: list
) -> k8s.apps.v1.StatefulSetSpecArgs:
    conf_file = f"{CONF_DIR}/{role}.conf" if role == "sentinel" else f"{CONF_DIR}/redis.conf"
    command = ["valkey-server", conf_file] + (["--sentinel"] if role == "sentinel" else [])

    def probe(mode: str, failures: int) -> k8s.core.v1.ProbeArgs:
        action = k8s.core.v1.ExecActionArgs(command=["sh", f"{TEMPLATE_DIR}/probe.sh", mode])
        return k8s.core.v1.ProbeArgs(exec_=action, period_seconds=5, timeout_seconds=3, failure_threshold=failures)

    # Data nodes: alive while they answer at all, ready while replication is healthy (config.probe_sh).
    alive, ready = ("alive", "ready") if role == "redis" else ("sentinel", "sentinel")
    mounts = [
        k8s.core.v1.VolumeMountArgs(name="templates", mount_path=TEMPLATE_DIR, read_only=True),
        k8s.core.v1.VolumeMountArgs(name="conf", mount_path=CONF_DIR),
        k8s.core.v1.VolumeMountArgs(name="tls", mount_path=TLS_DIR, read_only=True),
        k8s.core.v1.VolumeMountArgs(name="ca", mount_path=CA_DIR, read_only=True),
    ]
    if role == "redis":
        mounts.append(k8s.core.v1.VolumeMountArgs(name="data", mount_path=DATA_DIR))
    memory = args.memory if role == "redis" else "128Mi"
    resources = k8s.core.v1.ResourceRequirementsArgs(
        requests={"cpu": "250m" if role == "redis" else "50m", "memory": memory},
        limits={"cpu": "1000m" if role == "redis" else "250m", "memory": memory},
    )
    zone_rule = "DoNotSchedule" if args.zone_anti_affinity == "required" else "ScheduleAnyway"
    return k8s.apps.v1.StatefulSetSpecArgs(
        service_name=headless,
        replicas=replicas,
        pod_management_policy="OrderedReady",
        selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector),
        template=k8s.core.v1.PodTemplateSpecArgs(
            metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
            spec=k8s.core.v1.PodSpecArgs(
                automount_service_account_token=False,
                security_context=restricted_pod_security_context(),
                termination_grace_period_seconds=30,
                affinity=k8s.core.v1.AffinityArgs(
                    pod_anti_affinity=k8s.core.v1.PodAntiAffinityArgs(
                        required_during_scheduling_ignored_during_execution=[
                            k8s.core.v1.PodAffinityTermArgs(
                                topology_key=HOST_KEY, label_selector=k8s.meta.v1.LabelSelectorArgs(match_labels=selector)
                            )
                        ]
                    )
                ),
                topology_spread_constraints=[spread(ZONE_KEY, zone_rule, selector)],
                init_containers=[
                    k8s.core.v1.ContainerArgs(
                        name="configure",
                        image=VALKEY,
                        image_pull_policy="IfNotPresent",
                        command=["sh", f"{TEMPLATE_DIR}/{role}-init.sh"],
                        env=env,
                        resources=k8s.core.v1.ResourceRequirementsArgs(
                            requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "250m", "memory": "64Mi"}
                        ),
                        security_context=restricted_container_security_context(),
                        volume_mounts=mounts,
                    )
                ],
                containers=[
                    k8s.core.v1.ContainerArgs(
                        name=role,
                        image=VALKEY,
                        image_pull_policy="IfNotPresent",
                        command=command,
                        ports=[k8s.core.v1.ContainerPortArgs(name=role, container_port=port, protocol="TCP")],
                        env=env,
                        resources=resources,
                        security_context=restricted_container_security_context(),
                        # Until the server first answers (5 min): a large AOF loads before the port even opens.
                        startup_probe=probe(alive, 60),
                        liveness_probe=probe(alive, 3),
                        readiness_probe=probe(ready, 3),
                        volume_mounts=mounts,
                    )
                ]
                + ([_metrics_container(args, headless)] if role == "redis" else []),
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name="templates",
                        config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=f"{args.name}-redis-config", default_mode=0o555),
                    ),
                    k8s.core.v1.VolumeArgs(name="conf", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(medium="Memory", size_limit="16Mi")),
                    k8s.core.v1.VolumeArgs(
                        name="tls", secret=k8s.core.v1.SecretVolumeSourceArgs(secret_name=f"{args.name}-{role}-tls", default_mode=0o440)
                    ),
                    k8s.core.v1.VolumeArgs(
                        name="ca",
                        config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                            name=args.service_ca_config_map, items=[k8s.core.v1.KeyToPathArgs(key="service-ca.crt", path="service-ca.crt")]
                        ),
                    ),
                ],
            ),
        ),
        volume_claim_templates=(
            [
                k8s.core.v1.PersistentVolumeClaimArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(name="data"),
                    spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                        access_modes=["ReadWriteOnce"],
                        storage_class_name=args.storage_class,
                        resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": args.storage_size}),
                    ),
                )
            ]
            if role == "redis"
            else None
        ),
    )
