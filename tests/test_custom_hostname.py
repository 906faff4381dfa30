"""A Langfuse hostname outside the cluster's apps domain gets its own certificate: cert-manager issues it (prod, from
an existing ClusterIssuer) or External Secrets brings it from Secrets Manager (staging); the Route references the
Secret (spec.tls.externalCertificate, OpenShift 4.19+) and the router may read exactly that Secret. The config refuses
a hostname nothing would certify, and a certificate the cluster's Route API cannot reference."""

from __future__ import annotations

import pytest

from infra.stack_config import ConfigError, parse_stack_config
from tests.conftest import find, objects_of
from tests.test_stack_config import _dev_values


def _object(plan, kind, name):
    return next(o for o in plan.objects if o.kind == kind and o.name == name)


@pytest.mark.parametrize("stack", ["prod", "staging"])
def test_the_route_references_its_secret_and_the_router_may_read_exactly_that_one(plans, stack):
    plan = plans[stack]
    route = _object(plan, "Route", "langfuse-web")
    assert route.manifest["spec"]["tls"]["externalCertificate"] == {"name": "langfuse-web-tls"}
    role = find(plan, "Role", "langfuse-web-tls-reader")
    assert role["rules"] == [
        {"apiGroups": [""], "resources": ["secrets"], "resourceNames": ["langfuse-web-tls"], "verbs": ["get", "list", "watch"]}
    ]
    binding = find(plan, "RoleBinding", "langfuse-web-tls-reader")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "router", "namespace": "openshift-ingress"}]
    assert binding["roleRef"]["name"] == "langfuse-web-tls-reader"
    # The API server admits the Route only once the Secret exists and the router may read it.
    assert {"Role/langfuse-web-tls-reader", "RoleBinding/langfuse-web-tls-reader"} <= set(route.depends_on)


def test_prod_s_certificate_comes_from_cert_manager_before_the_route(plans):
    plan = plans["prod"]
    certificate = find(plan, "Certificate", "langfuse-web-tls")
    assert certificate["spec"]["dnsNames"] == ["langfuse.example.com"]
    assert certificate["spec"]["secretName"] == "langfuse-web-tls"
    assert certificate["spec"]["issuerRef"] == {
        "group": "cert-manager.io",
        "kind": "ClusterIssuer",
        "name": "letsencrypt-route53",
    }
    assert certificate["metadata"]["annotations"]["pulumi.com/waitFor"] == "condition=Ready"
    assert "Certificate/langfuse-web-tls" in _object(plan, "Route", "langfuse-web").depends_on
    assert not [e for e in objects_of(plan, "ExternalSecret") if e["metadata"]["name"] == "langfuse-web-tls"]
    assert any(p.what == "cert-manager ClusterIssuer letsencrypt-route53" for p in plan.prerequisites)
    assert any(p.what == "DNS record langfuse.example.com" for p in plan.prerequisites)


def test_staging_s_certificate_comes_from_secrets_manager_as_a_tls_secret(plans):
    plan = plans["staging"]
    external = find(plan, "ExternalSecret", "langfuse-web-tls")
    assert external["spec"]["target"]["template"] == {"type": "kubernetes.io/tls"}
    assert {(d["secretKey"], d["remoteRef"]["property"]) for d in external["spec"]["data"]} == {
        ("tls.crt", "tls.crt"),
        ("tls.key", "tls.key"),
    }
    assert "ExternalSecret/langfuse-web-tls" in _object(plan, "Route", "langfuse-web").depends_on
    assert not objects_of(plan, "Certificate")
    needed = {p.what: p.detail for p in plan.prerequisites}
    assert needed["Secrets Manager secret acme/tls/langfuse-staging"].startswith(
        "a JSON object with the keys `tls.crt`, `tls.key` "
    )


def test_dev_keeps_the_router_s_wildcard(plans):
    route = find(plans["dev"], "Route", "langfuse-web")
    assert "externalCertificate" not in route["spec"]["tls"]
    assert not [r for r in objects_of(plans["dev"], "Role") if r["metadata"]["name"] == "langfuse-web-tls-reader"]


def _refused(mutate) -> list[str]:
    values = _dev_values()
    mutate(values)
    with pytest.raises(ConfigError) as refused:
        parse_stack_config("dev", values)
    return refused.value.lines


def test_a_hostname_nothing_certifies_or_a_certificate_the_route_cannot_reference_is_refused():
    outside = _refused(lambda v: v["langfuse"].update(hostname="langfuse.example.com"))
    assert outside == [
        "stack 'dev': langfuse-rosa:langfuse is invalid: hostname langfuse.example.com is not covered by the router's wildcard "
        "certificate (*.apps.rosa-dev.x7k2.p1.openshiftapps.com): set langfuse.certificate (a cert-manager issuer or a Secrets "
        "Manager secret), or browsers get a certificate for another name"
    ]
    issuer = {"issuer": {"name": "letsencrypt"}}
    old = _refused(lambda v: v["langfuse"].update(hostname="langfuse.example.com", certificate=issuer))
    assert "certificate needs cluster.openshiftVersion 4.19 or 4.20" in old[0] and "Technology Preview in 4.18" in old[0]
    both = _refused(
        lambda v: (
            v["cluster"].update(openshiftVersion="4.19"),
            v["langfuse"].update(
                hostname="langfuse.example.com", certificate={**issuer, "secretsManager": {"secretsManagerName": "acme/tls"}}
            ),
        )
    )
    assert "set exactly one of certificate.issuer and certificate.secretsManager" in both[0]
    alone = _refused(lambda v: (v["cluster"].update(openshiftVersion="4.19"), v["langfuse"].update(certificate=issuer)))
    assert "certificate is for langfuse.hostname, which is not set" in alone[0]
    # One label under the apps domain is the wildcard's: no certificate needed.
    values = _dev_values()
    values["langfuse"]["hostname"] = "lf." + values["cluster"]["appsDomain"]
    assert parse_stack_config("dev", values).langfuse.certificate is None
