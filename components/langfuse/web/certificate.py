"""The certificate of a custom Langfuse hostname, issued by cert-manager (Red Hat's cert-manager Operator, from the
cluster layer) into the Secret the Route references. The issuer is the cluster's (e.g. an ACME ClusterIssuer that
solves DNS-01 on Route 53): README, "Custom hostname"."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels


@dataclass(frozen=True)
class IssuedCertificate:
    secret_name: str
    hostname: str
    issuer_kind: str  # ClusterIssuer | Issuer
    issuer_name: str


class RouteCertificate(pulumi.ComponentResource):
    """The Certificate, on its own so the plan shows it apart (kubernetes/route-certificate/) and the app can wait for it."""

    def __init__(
        self,
        name: str,
        certificate: IssuedCertificate,
        namespace: pulumi.Input[str],
        version: str,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("langfuse-rosa:langfuse:RouteCertificate", name, None, opts)
        self.certificate = _certificate(certificate, namespace, version, pulumi.ResourceOptions(parent=self))
        self.register_outputs({"secretName": certificate.secret_name})


def _certificate(
    certificate: IssuedCertificate, namespace: pulumi.Input[str], version: str, opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    name = certificate.secret_name
    return k8s.apiextensions.CustomResource(
        name,
        api_version="cert-manager.io/v1",
        kind="Certificate",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=namespace,
            labels=recommended_labels("langfuse", "web", "langfuse", version),
            # The Route is admitted only once its Secret exists (the API server checks externalCertificate's Secret):
            # pulumi-kubernetes (≥ 4.18) waits for cert-manager's Ready condition before creating it.
            annotations={"pulumi.com/waitFor": "condition=Ready"},
        ),
        spec={
            "secretName": certificate.secret_name,
            "dnsNames": [certificate.hostname],
            "issuerRef": {"group": "cert-manager.io", "kind": certificate.issuer_kind, "name": certificate.issuer_name},
            # A new key at every renewal (cert-manager's default since 1.18, stated so it never depends on the version).
            "privateKey": {"algorithm": "ECDSA", "size": 256, "rotationPolicy": "Always"},
            "usages": ["server auth", "digital signature"],
        },
        opts=opts,
    )
