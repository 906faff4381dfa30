"""The Langfuse namespace and the CA bundles OpenShift injects into it."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import MANAGED_BY
from components.common.refs import ConfigMapKeyRef

# OpenShift's Cluster Network Operator fills a ConfigMap carrying this label with the cluster's trusted CA
# bundle (system CAs plus the proxy's additional trust bundle) under the key `ca-bundle.crt`.
INJECT_TRUSTED_CA_LABEL = "config.openshift.io/inject-trusted-cabundle"
# OpenShift's service CA operator fills a ConfigMap carrying this annotation with the CA that signs service
# serving certificates, under the key `service-ca.crt`.
INJECT_SERVICE_CA_ANNOTATION = "service.beta.openshift.io/inject-cabundle"


@dataclass(frozen=True)
class LangfuseNamespaceArgs:
    name: str
    pod_security_version: str  # e.g. v1.31: the Kubernetes release of the cluster


class LangfuseNamespace(pulumi.ComponentResource):
    name: pulumi.Output[str]
    trusted_ca_bundle: ConfigMapKeyRef
    service_ca_bundle: ConfigMapKeyRef

    def __init__(self, name: str, args: LangfuseNamespaceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:langfuse:LangfuseNamespace", name, None, opts)
        namespace = k8s.core.v1.Namespace(
            args.name,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=args.name,
                labels={
                    "app.kubernetes.io/managed-by": MANAGED_BY,
                    "app.kubernetes.io/part-of": "langfuse",
                    # Keep OpenShift's label syncer from rewriting the levels below.
                    "security.openshift.io/scc.podSecurityLabelSync": "false",
                    **{
                        f"pod-security.kubernetes.io/{mode}{suffix}": value
                        for mode in ("enforce", "audit", "warn")
                        for suffix, value in (("", "restricted"), ("-version", args.pod_security_version))
                    },
                },
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = namespace.metadata.name
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])
        # No `data` on either: the operators own it, and server-side apply leaves fields we do not set alone.
        trusted = k8s.core.v1.ConfigMap(
            "langfuse-trusted-ca-bundle",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="langfuse-trusted-ca-bundle",
                namespace=args.name,
                labels={INJECT_TRUSTED_CA_LABEL: "true", "app.kubernetes.io/part-of": "langfuse"},
            ),
            opts=in_namespace,
        )
        service_ca = k8s.core.v1.ConfigMap(
            "langfuse-service-ca",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="langfuse-service-ca",
                namespace=args.name,
                labels={"app.kubernetes.io/part-of": "langfuse"},
                annotations={INJECT_SERVICE_CA_ANNOTATION: "true"},
            ),
            opts=in_namespace,
        )
        self.trusted_ca_bundle = ConfigMapKeyRef(name=trusted.metadata.name, key="ca-bundle.crt")
        self.service_ca_bundle = ConfigMapKeyRef(name=service_ca.metadata.name, key="service-ca.crt")
        self.register_outputs({"name": self.name})
