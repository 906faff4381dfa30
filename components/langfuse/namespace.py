"""The Langfuse namespace, its service accounts and the cluster's trusted CA bundle."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import MANAGED_BY
from components.langfuse.backend import ConfigMapKeyRef

# The Kubernetes version whose Pod Security Standards we enforce: ROSA 4.16's, the oldest we support.
POD_SECURITY_VERSION = "v1.29"

# OpenShift's Cluster Network Operator fills a ConfigMap carrying this label with the cluster's trusted CA
# bundle (system CAs plus the proxy's additional trust bundle) under the key `ca-bundle.crt`.
INJECT_TRUSTED_CA_LABEL = "config.openshift.io/inject-trusted-cabundle"


@dataclass(frozen=True)
class ServiceAccountSpec:
    name: str
    aws_role_arn: pulumi.Input[str] | None = None


@dataclass(frozen=True)
class LangfuseNamespaceArgs:
    name: str
    service_accounts: tuple[ServiceAccountSpec, ...]


class LangfuseNamespace(pulumi.ComponentResource):
    name: pulumi.Output[str]
    trusted_ca_bundle: ConfigMapKeyRef

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
                        for suffix, value in (("", "restricted"), ("-version", POD_SECURITY_VERSION))
                    },
                },
            ),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = namespace.metadata.name
        in_namespace = pulumi.ResourceOptions(parent=self, depends_on=[namespace])

        for sa in args.service_accounts:
            annotations = None
            if sa.aws_role_arn is not None:
                # ROSA STS: the pod identity webhook exchanges the projected token for this role.
                annotations = {
                    "eks.amazonaws.com/role-arn": sa.aws_role_arn,
                    "eks.amazonaws.com/sts-regional-endpoints": "true",
                }
            k8s.core.v1.ServiceAccount(
                sa.name,
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    name=sa.name, namespace=args.name, annotations=annotations, labels={"app.kubernetes.io/part-of": "langfuse"}
                ),
                automount_service_account_token=False,
                opts=in_namespace,
            )

        bundle = k8s.core.v1.ConfigMap(
            "langfuse-trusted-ca-bundle",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="langfuse-trusted-ca-bundle",
                namespace=args.name,
                labels={INJECT_TRUSTED_CA_LABEL: "true", "app.kubernetes.io/part-of": "langfuse"},
            ),
            # No `data`: the operator owns it, and server-side apply leaves fields we do not set alone.
            opts=in_namespace,
        )
        self.trusted_ca_bundle = ConfigMapKeyRef(name=bundle.metadata.name, key="ca-bundle.crt")
        self.register_outputs({"name": self.name})
