"""LangfuseMetricsExporter: the Prometheus statsd_exporter that receives Langfuse's DogStatsD metrics
(DD_AGENT_HOST points web and worker at its Service) and serves them to user-workload monitoring."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.common.dns import service_fqdn
from components.common.labels import recommended_labels
from components.monitoring.contract import STATSD_METRICS_PORT as METRICS_PORT
from components.monitoring.contract import STATSD_POD_LABELS, STATSD_PORT
from components.monitoring.exporter_workload import ExporterWorkload, exporter_workload
from components.monitoring.series import ExportedSeries
from components.monitoring.statsd_mapping import MAPPING_CONFIG, MAPPINGS

# Public pin (prom/statsd-exporter v0.29.0); verify with `skopeo inspect` before the first deploy.
STATSD_EXPORTER_IMAGE = "docker.io/prom/statsd-exporter:v0.29.0@sha256:632f705804922d50c1c95ba8ff9c8c0cc18d4bbb0cc265dc4f9ae708271c95b3"
NAME = "langfuse-statsd-exporter"
# What its ServiceMonitor (below) brings in: every series of the mapping with a fixed name (a templated one such
# as langfuse_clickhouse_writer_$1_milliseconds cannot be named in advance), an observer's as the histogram
# statsd_exporter writes for it (MAPPING_CONFIG's default observer_type). tests/monitoring/test_statsd_mapping.py
# sends Langfuse's own client's metrics through the mapping.
EXPORTED_SERIES = ExportedSeries(
    kind="ServiceMonitor",
    name="statsd-exporter",
    series=frozenset(
        f"{m['name']}{suffix}"
        for m in MAPPINGS
        if m.get("action") != "drop" and "$" not in m["name"]
        for suffix in (("_bucket", "_sum", "_count") if m.get("match_metric_type") == "observer" else ("",))
    ),
)


@dataclass(frozen=True)
class StatsdTarget:
    """Where Langfuse sends DogStatsD (DD_AGENT_HOST / DD_DOGSTATSD_PORT)."""

    host: pulumi.Input[str]
    port: int
    agent_url: pulumi.Input[str]  # DD_TRACE_AGENT_URL: the exporter's HTTP port (see environment.metrics_env)
    environment: str  # DD_ENV: the series' env label


@dataclass(frozen=True)
class LangfuseMetricsExporterArgs:
    namespace: pulumi.Input[str]
    environment: str
    replicas: int  # spread over zones when more than one


class LangfuseMetricsExporter(pulumi.ComponentResource):
    target: StatsdTarget

    def __init__(self, name: str, args: LangfuseMetricsExporterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:monitoring:LangfuseMetricsExporter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels("statsd-exporter", "metrics", "langfuse")
        selector = STATSD_POD_LABELS
        metadata = k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=args.namespace, labels=labels)
        mapping = k8s.core.v1.ConfigMap(
            f"{NAME}-mapping",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{NAME}-mapping", namespace=args.namespace, labels=labels),
            data={"mapping.yaml": yaml.safe_dump(MAPPING_CONFIG, sort_keys=False)},
            opts=child,
        )
        exporter_workload(
            ExporterWorkload(
                name=NAME,
                namespace=args.namespace,
                labels=labels,
                selector=selector,
                replicas=args.replicas,
                container=k8s.core.v1.ContainerArgs(
                    name="statsd-exporter",
                    image=STATSD_EXPORTER_IMAGE,
                    image_pull_policy="IfNotPresent",
                    args=[
                        "--statsd.mapping-config=/etc/statsd-exporter/mapping.yaml",
                        f"--statsd.listen-udp=:{STATSD_PORT}",
                        "--statsd.listen-tcp=",  # dd-trace sends UDP only
                        f"--web.listen-address=:{METRICS_PORT}",
                    ],
                    ports=[
                        k8s.core.v1.ContainerPortArgs(name="statsd", container_port=STATSD_PORT, protocol="UDP"),
                        k8s.core.v1.ContainerPortArgs(name="metrics", container_port=METRICS_PORT, protocol="TCP"),
                    ],
                    readiness_probe=k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path="/-/ready", port="metrics"), period_seconds=10),
                    liveness_probe=k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path="/-/healthy", port="metrics"), period_seconds=20),
                    resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "50m", "memory": "64Mi"}, limits={"cpu": "500m", "memory": "256Mi"}),
                    volume_mounts=[k8s.core.v1.VolumeMountArgs(name="mapping", mount_path="/etc/statsd-exporter", read_only=True)],
                ),
                volumes=[k8s.core.v1.VolumeArgs(name="mapping", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=f"{NAME}-mapping"))],
                service_ports=[
                    k8s.core.v1.ServicePortArgs(name="statsd", port=STATSD_PORT, target_port="statsd", protocol="UDP"),
                    k8s.core.v1.ServicePortArgs(name="metrics", port=METRICS_PORT, target_port="metrics", protocol="TCP"),
                ],
            ),
            parent=self,
            depends_on=[mapping],
        )
        k8s.apiextensions.CustomResource(
            f"{NAME}-monitor",
            api_version="monitoring.coreos.com/v1",
            kind="ServiceMonitor",
            metadata=metadata,
            spec={
                "selector": {"matchLabels": selector},
                "endpoints": [{"port": "metrics", "interval": "30s", "scheme": "http"}],
            },
            opts=child,
        )
        host = service_fqdn(NAME, args.namespace)
        self.target = StatsdTarget(
            host=host,
            port=STATSD_PORT,
            agent_url=pulumi.Output.concat("http://", host, f":{METRICS_PORT}"),
            environment=args.environment,
        )
        self.register_outputs({"service": NAME})
