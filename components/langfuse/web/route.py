"""The OpenShift Route that exposes Langfuse web over HTTPS."""

from __future__ import annotations

from dataclasses import dataclass, field

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
    # The Secret (kubernetes.io/tls, in the namespace) whose certificate the router serves for `hostname`; None: the
    # router's default certificate (the cluster's *.apps wildcard).
    certificate_secret: str | None = None
    # What writes that Secret (cert-manager's Certificate, or the ExternalSecret): the Route waits for it, since the
    # API server refuses a Route whose externalCertificate Secret does not exist yet.
    certificate_source: pulumi.Resource | None = field(default=None, compare=False)

    def hsts_header(self) -> str:
        parts = [f"max-age={self.hsts_max_age_seconds}"]
        if self.hsts_include_subdomains:
            parts.append("includeSubDomains")
        if self.hsts_preload:
            parts.append("preload")
        return ";".join(parts)


# The router reads a Route's externalCertificate Secret as its own service account, and the API server admits the
# Route only if that account may (OpenShift docs, "Creating a route with externally managed certificate": a Role with
# get, list, watch on the Secret by name, bound to openshift-ingress:router).
ROUTER_SERVICE_ACCOUNT = ("openshift-ingress", "router")


def _router_may_read(
    name: str, secret: str, namespace: pulumi.Input[str], labels: dict[str, str], opts: pulumi.ResourceOptions
) -> list[pulumi.Resource]:
    role = k8s.rbac.v1.Role(
        f"{name}-tls-reader",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-tls-reader", namespace=namespace, labels=labels),
        rules=[
            k8s.rbac.v1.PolicyRuleArgs(
                api_groups=[""], resources=["secrets"], resource_names=[secret], verbs=["get", "list", "watch"]
            )
        ],
        opts=opts,
    )
    binding = k8s.rbac.v1.RoleBinding(
        f"{name}-tls-reader",
        metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{name}-tls-reader", namespace=namespace, labels=labels),
        role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=role.metadata.name),
        subjects=[
            k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=ROUTER_SERVICE_ACCOUNT[1], namespace=ROUTER_SERVICE_ACCOUNT[0])
        ],
        opts=opts,
    )
    return [role, binding]


def route(
    name: str,
    settings: RouteSettings,
    namespace: pulumi.Input[str],
    service_name: pulumi.Input[str],
    version: str,
    opts: pulumi.ResourceOptions,
) -> k8s.apiextensions.CustomResource:
    # Edge termination: the router holds the certificate (the cluster's *.apps wildcard, or the custom hostname's
    # from its Secret). Re-encrypt would need TLS in the pod, which Langfuse's Next.js server does not serve; the hop
    # from router to pod stays on the cluster network.
    labels = recommended_labels("langfuse", "web", "langfuse", version)
    tls: dict[str, object] = {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    if settings.certificate_secret is not None:
        tls["externalCertificate"] = {"name": settings.certificate_secret}
        readers = _router_may_read(name, settings.certificate_secret, namespace, labels, opts)
        source = [settings.certificate_source] if settings.certificate_source is not None else []
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=[*readers, *source]))
    return k8s.apiextensions.CustomResource(
        name,
        api_version="route.openshift.io/v1",
        kind="Route",
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name,
            namespace=namespace,
            labels=labels,
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
            "tls": tls,
            "wildcardPolicy": "None",
        },
        opts=opts,
    )
