"""The OpenShift Route that exposes Langfuse web over HTTPS."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels


@dataclass(frozen=True)
class RouteSettings:
    """How the Route serves Langfuse: its host, and the router's timeout and HSTS (the stack file's langfuse.route)."""

    hostname: str
    timeout_seconds: int
    hsts_max_age_seconds: int
    hsts_include_subdomains: bool
    hsts_preload: bool

    def hsts_header(self) -> str:
        parts = [f"max-age={self.hsts_max_age_seconds}"]
        if self.hsts_include_subdomains:
            parts.append("includeSubDomains")
        if self.hsts_preload:
            parts.append("preload")
        return ";".join(parts)


def route(
    name: str, settings: RouteSettings, namespace: pulumi.Input[str], service_name: pulumi.Input[str], version: str, opts: pulumi.ResourceOptions
) -> k8s.apiextensions.CustomResource:
    # Edge termination: the router holds the certificate (the ingress controller's, e.g. the cluster's
    # *.apps wildcard or a custom domain's). Re-encrypt would need TLS in the pod, which Langfuse's Next.js
    # server does not serve; the hop from router to pod stays on the cluster network.
    return k8s.apiextensions.CustomResource(
        name,
        api_version="route.openshift.io/v1",
        kind="Route",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=namespace,
            labels=recommended_labels("langfuse", "web", "langfuse", version),
            annotations={
                "haproxy.router.openshift.io/hsts_header": settings.hsts_header(),
                "haproxy.router.openshift.io/timeout": f"{settings.timeout_seconds}s",
                # Langfuse keeps no session state in the pod; spread requests instead of pinning clients.
                "haproxy.router.openshift.io/disable_cookies": "true",
                "haproxy.router.openshift.io/balance": "leastconn",
            },
        ),
        spec={
            "host": settings.hostname,
            "to": {"kind": "Service", "name": service_name, "weight": 100},
            "port": {"targetPort": "http"},
            "tls": {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"},
            "wildcardPolicy": "None",
        },
        opts=opts,
    )
