"""Each policy rule fires on the bad case and passes the good one; the pack and the offline plan run the
same functions."""

from __future__ import annotations

import copy
from types import SimpleNamespace

import pytest
from pulumi_policy import EnforcementLevel

from infra.offline_plan.plan import Plan
from infra.offline_plan.policy import evaluate
from policies.pack import pack_policies
from policies.rules import ALL_RULES
from policies.rules.kubernetes_hardening import bounded_resources, pinned_images, restricted_security_context
from tests.conftest import STACKS, find

DEPLOYMENT = "kubernetes:apps/v1:Deployment"


@pytest.fixture
def web(plans):
    return copy.deepcopy(find(plans["prod"], "Deployment", "langfuse-web"))


def _container(manifest):
    return manifest["spec"]["template"]["spec"]["containers"][0]


@pytest.mark.parametrize("stack", STACKS)
def test_rendered_stacks_violate_no_rule(plans, stack):
    assert plans[stack].policy_violations == []


def test_restricted_v2_rule_passes_the_rendered_pod(web):
    assert restricted_security_context(DEPLOYMENT, web) == []


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda m: _container(m)["securityContext"].update(allowPrivilegeEscalation=True), "container web does not set allowPrivilegeEscalation: false."),
        (lambda m: _container(m)["securityContext"].update(capabilities={"drop": ["NET_RAW"]}), "container web does not drop ALL capabilities."),
        (lambda m: _container(m)["securityContext"].update(runAsUser=1001), "container web fixes runAsUser, which restricted-v2 refuses."),
        (lambda m: m["spec"]["template"]["spec"].update(hostNetwork=True), "pod sets hostNetwork."),
        (lambda m: m["spec"]["template"]["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "pod mounts a hostPath volume."),
        (lambda m: _container(m)["securityContext"].update(privileged=True), "container web is privileged."),
    ],
)
def test_restricted_v2_rule_fires(web, mutate, expected):
    mutate(web)
    assert restricted_security_context(DEPLOYMENT, web) == [expected]


def test_restricted_v2_rule_needs_seccomp_and_non_root(web):
    del _container(web)["securityContext"]["seccompProfile"]
    del web["spec"]["template"]["spec"]["securityContext"]["seccompProfile"]
    del _container(web)["securityContext"]["runAsNonRoot"]
    del web["spec"]["template"]["spec"]["securityContext"]["runAsNonRoot"]
    assert restricted_security_context(DEPLOYMENT, web) == [
        "container web may run as root (runAsNonRoot unset).",
        "container web has no RuntimeDefault seccomp profile.",
    ]


@pytest.mark.parametrize("image", ["docker.io/langfuse/langfuse", "docker.io/langfuse/langfuse:latest", "registry:5000/langfuse"])
def test_images_rule_fires_on_latest_or_untagged(web, image):
    _container(web)["image"] = image
    assert pinned_images(DEPLOYMENT, web) == [f"container web image {image!r} is neither version-tagged nor pinned by digest."]


@pytest.mark.parametrize("image", ["docker.io/langfuse/langfuse:4.16.0", "registry:5000/langfuse@sha256:" + "a" * 64])
def test_images_rule_passes_tags_and_digests(web, image):
    _container(web)["image"] = image
    assert pinned_images(DEPLOYMENT, web) == []


def test_resources_rule_fires_without_limits(web):
    assert bounded_resources(DEPLOYMENT, web) == []
    del _container(web)["resources"]["limits"]["memory"]
    assert bounded_resources(DEPLOYMENT, web) == ["container web has no limits for memory."]


def test_rules_ignore_kinds_without_pods(plans):
    route = find(plans["prod"], "Route", "langfuse-web")
    assert all(rule.check("kubernetes:route.openshift.io/v1:Route", route) == [] for rule in ALL_RULES)


def test_pack_wraps_every_rule_with_its_enforcement_and_reports_violations(web):
    policies = {p.name: p for p in pack_policies()}
    assert set(policies) == {r.name for r in ALL_RULES}
    assert all(p.enforcement_level == EnforcementLevel.MANDATORY for p in policies.values())
    _container(web)["image"] = "docker.io/langfuse/langfuse:latest"
    reported: list[str] = []
    policies["images-pinned"].validate(SimpleNamespace(resource_type=DEPLOYMENT, props=web), reported.append)
    assert reported == [
        "container web image 'docker.io/langfuse/langfuse:latest' is neither version-tagged nor pinned by digest. "
        "Remediation: Reference images as registry/name:version@sha256:<digest>."
    ]


def test_a_mandatory_violation_fails_the_offline_plan(plans):
    good = plans["prod"]
    objects = copy.deepcopy(good.objects)
    bad = next(o for o in objects if o.kind == "Deployment")
    _container(bad.manifest)["securityContext"]["privileged"] = True
    violations = evaluate(objects, good.resources)
    assert [(v.rule.name, v.resource) for v in violations] == [("pod-security-restricted-v2", f"Deployment/{bad.name}")]
    failing = Plan(good.stack, objects, good.resources, good.schema_results, violations, good.warnings)
    assert not failing.ok and good.ok
    assert failing.summary()["policy"]["violations"][0]["rule"] == "pod-security-restricted-v2"


def test_policy_pack_starts_as_pulumi_would_run_it():
    """`pulumi preview --policy-pack policies` runs policies/__main__.py, which serves gRPC and prints its port."""
    import subprocess
    import sys

    from tests.conftest import project_path

    pack = subprocess.Popen(
        [sys.executable, str(project_path("policies", "__main__.py"))], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first_line = pack.stdout.readline().strip()
        assert first_line.isdigit() and 0 < int(first_line) < 65536, pack.stderr.read() if not first_line else first_line
    finally:
        pack.kill()
        pack.wait(timeout=10)
