"""Kubernetes hardening: what OpenShift's restricted-v2 SCC and the `restricted` Pod Security Standard
require, pinned images, bounded resources, no API token where none is used, and default-deny networking."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from components.common.pod_security import NEEDS_API_TOKEN_ANNOTATION

from .base import Config, Rule, Subject, container_check, containers, dig, is_kubernetes, pod_specs, pod_template_path

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def restricted_security_context(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    problems = []
    for pod_label, spec in pod_specs(resource_type, props):
        prefix = "" if pod_label == "pod" else f"{pod_label}: "
        pod_sc = spec.get("securityContext") or {}
        for flag in ("hostNetwork", "hostPID", "hostIPC"):
            if spec.get(flag):
                problems.append(f"{prefix}pod sets {flag}.")
        if any("hostPath" in (v or {}) for v in spec.get("volumes") or []):
            problems.append(f"{prefix}pod mounts a hostPath volume.")
        if "runAsUser" in pod_sc or "fsGroup" in pod_sc:
            problems.append(f"{prefix}pod fixes runAsUser/fsGroup, which restricted-v2 refuses; let the SCC assign them.")
        for label, c in containers(spec):
            sc = c.get("securityContext") or {}
            if sc.get("privileged"):
                problems.append(f"{prefix}{label} is privileged.")
            if sc.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{prefix}{label} does not set allowPrivilegeEscalation: false.")
            if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
                problems.append(f"{prefix}{label} does not drop ALL capabilities.")
            if (sc.get("capabilities") or {}).get("add"):
                problems.append(f"{prefix}{label} adds capabilities.")
            if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
                problems.append(f"{prefix}{label} may run as root (runAsNonRoot unset).")
            if ((sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")) != "RuntimeDefault":
                problems.append(f"{prefix}{label} has no RuntimeDefault seccomp profile.")
            if "runAsUser" in sc:
                problems.append(f"{prefix}{label} fixes runAsUser, which restricted-v2 refuses.")
    return problems


def _pinned_image(label: str, c: Mapping[str, Any]) -> list[str]:
    image = c.get("image") or ""
    name = image.split("@", 1)[0]
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else None
    if tag in (None, "latest") and not _DIGEST.search(image):
        return [f"{label} image {image!r} is neither version-tagged nor pinned by digest."]
    return []


def _bounded_resources(label: str, c: Mapping[str, Any]) -> list[str]:
    resources = c.get("resources") or {}
    problems = []
    for bound in ("requests", "limits"):
        missing = {"cpu", "memory"} - set(resources.get(bound) or {})
        if missing:
            problems.append(f"{label} has no {bound} for {', '.join(sorted(missing))}.")
    return problems


pinned_images = container_check(_pinned_image)
bounded_resources = container_check(_bounded_resources)


def token_not_mounted(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    problems = []
    template = pod_template_path(resource_type) or ("spec", "template")
    for pod_label, spec in pod_specs(resource_type, props):
        annotations = dig(props, *template, "metadata", "annotations") or {}
        if spec.get("automountServiceAccountToken") is not False and NEEDS_API_TOKEN_ANNOTATION not in annotations:
            problems.append(f"{pod_label} mounts a service-account token it does not declare a need for.")
    return problems


def default_deny_network_policy(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    namespaces = [s for s in subjects if is_kubernetes(s.type, "Namespace")]
    denying = set()
    for s in subjects:
        if not is_kubernetes(s.type, "NetworkPolicy"):
            continue
        spec = s.props.get("spec") or {}
        if (
            not (spec.get("podSelector") or {})
            and set(spec.get("policyTypes") or []) == {"Ingress", "Egress"}
            and not spec.get("ingress")
            and not spec.get("egress")
        ):
            denying.add(dig(s.props, "metadata", "namespace"))
    return [
        (ns.label, f"namespace {name} has no default-deny NetworkPolicy (empty podSelector, Ingress and Egress, no rules).")
        for ns in namespaces
        if (name := dig(ns.props, "metadata", "name")) not in denying
    ]


RULES: tuple[Rule, ...] = (
    Rule(
        name="pod-security-restricted-v2",
        theme="kubernetes-hardening",
        description="Pods run under OpenShift's restricted-v2 SCC: non-root with an assigned UID, no privilege "
        "escalation, ALL capabilities dropped, seccomp RuntimeDefault, no privileged containers, host namespaces or hostPath.",
        severity="high",
        enforcement="mandatory",
        remediation="Use components.common.pod_security for pod and container security contexts; do not set runAsUser.",
        check=restricted_security_context,
    ),
    Rule(
        name="images-pinned",
        theme="kubernetes-hardening",
        description="Every container image names a version tag or a digest; never `latest` or untagged.",
        severity="high",
        enforcement="mandatory",
        remediation="Reference images as registry/name:version@sha256:<digest>.",
        check=pinned_images,
    ),
    Rule(
        name="container-resources-bounded",
        theme="kubernetes-hardening",
        description="Every container requests and limits CPU and memory.",
        severity="medium",
        enforcement="mandatory",
        remediation="Set resources.requests and resources.limits for cpu and memory.",
        check=bounded_resources,
    ),
    Rule(
        name="service-account-token-not-mounted",
        theme="kubernetes-hardening",
        description="Pods do not mount a Kubernetes API token unless they call the API (and say so).",
        severity="medium",
        enforcement="mandatory",
        remediation=f"Set automountServiceAccountToken: false, or annotate the pod template with {NEEDS_API_TOKEN_ANNOTATION}: <why>.",
        check=token_not_mounted,
    ),
    Rule(
        name="namespace-default-deny",
        theme="kubernetes-hardening",
        description="Every namespace the stack creates has a default-deny NetworkPolicy for ingress and egress.",
        severity="high",
        enforcement="mandatory",
        remediation="Add a NetworkPolicy with podSelector {} and policyTypes [Ingress, Egress], then allow each needed flow.",
        stack_check=default_deny_network_policy,
    ),
)
