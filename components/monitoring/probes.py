"""EndpointProbes: a blackbox_exporter and Probe objects that check the TLS endpoints Langfuse depends on —
the public Route (through the router, as users reach it) and the in-cluster TLS services — so that a
failing endpoint and a certificate about to expire (probe_ssl_earliest_cert_expiry) raise alerts.

PostgreSQL is not probed: it negotiates TLS inside its own protocol, which blackbox_exporter cannot speak;
CloudNativePG renews its certificates itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
import yaml

from components.common.dns import service_fqdn
from components.common.labels import recommended_labels
from components.common.refs import ConfigMapKeyRef
from components.monitoring.contract import BLACKBOX_POD_LABELS
from components.monitoring.contract import BLACKBOX_PORT as PORT
from components.monitoring.exporter_workload import ExporterWorkload, exporter_workload
from components.monitoring.series import ExportedSeries

# Public pin (prom/blackbox-exporter v0.28.0); verify with `skopeo inspect` before the first deploy.
BLACKBOX_EXPORTER_IMAGE = "docker.io/prom/blackbox-exporter:v0.28.0@sha256:e753ff9f3fc458d02cca5eddab5a77e1c175eee484a8925ac7d524f04366c2fc"
NAME = "langfuse-blackbox-exporter"
TRUSTED_CA = "/etc/blackbox/trusted/ca.crt"
SERVICE_CA = "/etc/blackbox/service-ca/ca.crt"
# What the Probes (below) bring in that alerts read (probe_alerts.py): blackbox_exporter's probe results, which
# tests/monitoring/test_probes.py reads from Debian's exporter running the rendered modules.
EXPORTED_SERIES = ExportedSeries(
    kind="Probe",
    name="blackbox-exporter",
    series=frozenset({"probe_success", "probe_ssl_earliest_cert_expiry"}),
)


def blackbox_config() -> dict:
    def https(ca_file: str) -> dict:
        return {
            "prober": "http",
            "timeout": "10s",
            "http": {
                "method": "GET",
                "valid_status_codes": [200],
                "fail_if_not_ssl": True,
                "no_follow_redirects": True,
                "preferred_ip_protocol": "ip4",
                "tls_config": {"ca_file": ca_file},
            },
        }

    return {
        "modules": {
            "https_public": https(TRUSTED_CA),
            "https_service": https(SERVICE_CA),
            "tls_service": {
                "prober": "tcp",
                "timeout": "10s",
                "tcp": {"tls": True, "preferred_ip_protocol": "ip4", "tls_config": {"ca_file": SERVICE_CA}},
            },
        }
    }


@dataclass(frozen=True)
class EndpointProbesArgs:
    namespace: pulumi.Input[str]
    replicas: int  # spread over zones when more than one
    trusted_ca_bundle: ConfigMapKeyRef  # CAs the public Route's certificate chains to
    service_ca_bundle: ConfigMapKeyRef  # OpenShift's service CA
    public_urls: Sequence[pulumi.Input[str]]
    service_urls: Sequence[pulumi.Input[str]]  # empty in external mode
    tls_endpoints: pulumi.Input[Sequence[str]] | None


class EndpointProbes(pulumi.ComponentResource):
    def __init__(self, name: str, args: EndpointProbesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:monitoring:EndpointProbes", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = recommended_labels("blackbox-exporter", "probes", "langfuse")
        selector = BLACKBOX_POD_LABELS
        metadata = k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=args.namespace, labels=labels)
        config = k8s.core.v1.ConfigMap(
            NAME, metadata=metadata, data={"blackbox.yaml": yaml.safe_dump(blackbox_config(), sort_keys=False)}, opts=child
        )

        def ca_volume(volume: str, ref: ConfigMapKeyRef) -> k8s.core.v1.VolumeArgs:
            return k8s.core.v1.VolumeArgs(
                name=volume,
                config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=ref.name, items=[k8s.core.v1.KeyToPathArgs(key=ref.key, path="ca.crt")]),
            )

        exporter_workload(
            ExporterWorkload(
                name=NAME,
                namespace=args.namespace,
                labels=labels,
                selector=selector,
                replicas=args.replicas,
                container=k8s.core.v1.ContainerArgs(
                    name="blackbox-exporter",
                    image=BLACKBOX_EXPORTER_IMAGE,
                    image_pull_policy="IfNotPresent",
                    args=["--config.file=/etc/blackbox/config/blackbox.yaml", f"--web.listen-address=:{PORT}"],
                    ports=[k8s.core.v1.ContainerPortArgs(name="http", container_port=PORT, protocol="TCP")],
                    readiness_probe=k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path="/-/healthy", port="http")),
                    liveness_probe=k8s.core.v1.ProbeArgs(http_get=k8s.core.v1.HTTPGetActionArgs(path="/-/healthy", port="http")),
                    resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "10m", "memory": "32Mi"}, limits={"cpu": "200m", "memory": "128Mi"}),
                    volume_mounts=[
                        k8s.core.v1.VolumeMountArgs(name="config", mount_path="/etc/blackbox/config", read_only=True),
                        k8s.core.v1.VolumeMountArgs(name="trusted", mount_path="/etc/blackbox/trusted", read_only=True),
                        k8s.core.v1.VolumeMountArgs(name="service-ca", mount_path="/etc/blackbox/service-ca", read_only=True),
                    ],
                ),
                volumes=[
                    k8s.core.v1.VolumeArgs(name="config", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=NAME)),
                    ca_volume("trusted", args.trusted_ca_bundle),
                    ca_volume("service-ca", args.service_ca_bundle),
                ],
                service_ports=[k8s.core.v1.ServicePortArgs(name="http", port=PORT, target_port="http")],
            ),
            parent=self,
            depends_on=[config],
        )
        prober = pulumi.Output.concat(service_fqdn(NAME, args.namespace), f":{PORT}")
        probes = [("https_public", pulumi.Output.all(*args.public_urls))]
        if args.service_urls:
            probes.append(("https_service", pulumi.Output.all(*args.service_urls)))
        if args.tls_endpoints is not None:
            probes.append(("tls_service", pulumi.Output.from_input(args.tls_endpoints)))
        for module, targets in probes:
            probe = module.replace("_", "-")
            k8s.apiextensions.CustomResource(
                f"{NAME}-{probe}",
                api_version="monitoring.coreos.com/v1",
                kind="Probe",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"langfuse-{probe}", namespace=args.namespace, labels=labels),
                spec={
                    "jobName": f"langfuse-{probe}",
                    "interval": "60s",
                    "scrapeTimeout": "15s",
                    "module": module,
                    "prober": {"url": prober, "scheme": "http", "path": "/probe"},
                    "targets": {"staticConfig": {"static": targets}},
                },
                opts=child,
            )
        self.register_outputs({})
