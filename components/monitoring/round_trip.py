"""RoundTripMonitor: `langfuse-rosa verify`'s round trip every few minutes, in the cluster, as Prometheus metrics
(the in-cluster image's `python -m langfuse_incluster.monitor`), scraped by user-workload monitoring through a
ServiceMonitor; the alerts on them are in round_trip_alerts.py.

A long-running Deployment, not a CronJob: a CronJob's pod lives for one round trip, too briefly for Prometheus to
scrape, and pushing instead needs a Pushgateway, which OpenShift's user-workload monitoring does not ship (we
would run and secure one more service, whose pushed series never go stale). kube-state-metrics would see only a
Job's success, not its seconds. One replica (exporter_workload: restricted-v2, no API token, a PDB) holds the last
result, and its `last_run` timestamp makes a stalled loop visible as well as a failing round trip.

It reaches Langfuse as SDK users do, through the Route over TLS (the cluster's trusted CA bundle), so the router
is on the path; the NetworkPolicy allows it HTTPS egress and nothing else (components/network/langfuse_flows.py).
It needs no AWS role: the events-bucket check stays in `langfuse-rosa verify`.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from langfuse_incluster import contract

from components.common.env import secret_env
from components.common.labels import recommended_labels
from components.common.refs import ConfigMapKeyRef, SecretKeyRef
from components.monitoring.exporter_workload import ExporterWorkload, exporter_workload
from components.monitoring.series import ExportedSeries

NAME = contract.MONITOR_NAME
CA_DIR = "/etc/round-trip/trusted"
# What its ServiceMonitor (below) brings in that alerts read (round_trip_alerts.py): the monitor's gauges, which
# incluster/tests/verify/test_monitor.py reads from the monitor's registry.
EXPORTED_SERIES = ExportedSeries(
    kind="ServiceMonitor",
    name=NAME,
    series=frozenset({contract.ROUND_TRIP_SUCCESS_METRIC, contract.ROUND_TRIP_QUERYABLE_SECONDS_METRIC, contract.ROUND_TRIP_LAST_RUN_METRIC}),
)


@dataclass(frozen=True)
class RoundTripMonitorArgs:
    namespace: str
    image: str  # the in-cluster image, registry/repository@sha256:...
    url: str  # https://<the Route's host>
    public_key: SecretKeyRef  # the verification project's key
    secret_key: SecretKeyRef
    interval_seconds: int
    read_back_seconds: int
    trusted_ca_bundle: ConfigMapKeyRef  # CAs the Route's certificate chains to


class RoundTripMonitor(pulumi.ComponentResource):
    def __init__(self, name: str, args: RoundTripMonitorArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:monitoring:RoundTripMonitor", name, None, opts)
        labels = recommended_labels(NAME, "round-trip-monitor", "langfuse")
        selector = dict(contract.MONITOR_POD_LABELS)

        def value(env: str, text: str) -> k8s.core.v1.EnvVarArgs:
            return k8s.core.v1.EnvVarArgs(name=env, value=text)

        metrics = k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path="/metrics", port="metrics"), period_seconds=30)
        exporter_workload(
            ExporterWorkload(
                name=NAME,
                namespace=args.namespace,
                labels=labels,
                selector=selector,
                replicas=1,
                container=k8s.core.v1.ContainerArgs(
                    name="monitor",
                    image=args.image,
                    image_pull_policy="IfNotPresent",
                    # The image's entrypoint is the tenant controller; the same image runs the monitor.
                    command=["python", "-m", contract.MONITOR_MODULE],
                    env=[
                        value(contract.ENV_MONITOR_URL, args.url),
                        secret_env(contract.ENV_PUBLIC_KEY, args.public_key.name, args.public_key.key),
                        secret_env(contract.ENV_SECRET_KEY, args.secret_key.name, args.secret_key.key),
                        value(contract.ENV_MONITOR_INTERVAL_SECONDS, str(args.interval_seconds)),
                        value(contract.ENV_MONITOR_READ_BACK_SECONDS, str(args.read_back_seconds)),
                        value(contract.ENV_MONITOR_CA_FILE, f"{CA_DIR}/ca.crt"),
                    ],
                    ports=[k8s.core.v1.ContainerPortArgs(name="metrics", container_port=contract.MONITOR_METRICS_PORT, protocol="TCP")],
                    readiness_probe=metrics,
                    liveness_probe=metrics,
                    resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "20m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "256Mi"}),
                    volume_mounts=[
                        k8s.core.v1.VolumeMountArgs(name="trusted", mount_path=CA_DIR, read_only=True),
                        k8s.core.v1.VolumeMountArgs(name="tmp", mount_path="/tmp"),
                    ],
                ),
                volumes=[
                    k8s.core.v1.VolumeArgs(
                        name="trusted",
                        config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(
                            name=args.trusted_ca_bundle.name, items=[k8s.core.v1.KeyToPathArgs(key=args.trusted_ca_bundle.key, path="ca.crt")]
                        ),
                    ),
                    k8s.core.v1.VolumeArgs(name="tmp", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit="64Mi")),
                ],
                service_ports=[k8s.core.v1.ServicePortArgs(name="metrics", port=contract.MONITOR_METRICS_PORT, target_port="metrics")],
            ),
            parent=self,
        )
        k8s.apiextensions.CustomResource(
            f"{NAME}-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=args.namespace, labels=labels),
            spec={"selector": {"matchLabels": selector}, "endpoints": [{"port": "metrics", "interval": "30s", "scheme": "http"}]},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
