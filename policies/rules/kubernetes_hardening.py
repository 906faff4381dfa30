"""Kubernetes hardening: what OpenShift's restricted-v2 SCC and the `restricted` Pod Security Standard
require, plus pinned images and bounded resources."""

from __future__ import annotations

import re
from typing import Any

from .base import Rule, container_check, containers, pod_spec

_DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def restricted_security_context(resource_type: str, props: dict[str, Any]) -> list[str]:
    spec = pod_spec(resource_type, props)
    if spec is None:
        return []
    problems = []
    pod_sc = spec.get("securityContext") or {}
    for flag in ("hostNetwork", "hostPID", "hostIPC"):
        if spec.get(flag):
            problems.append(f"pod sets {flag}.")
    if any("hostPath" in (v or {}) for v in spec.get("volumes") or []):
        problems.append("pod mounts a hostPath volume.")
    if "runAsUser" in pod_sc or "fsGroup" in pod_sc:
        problems.append("pod fixes runAsUser/fsGroup, which restricted-v2 refuses; let the SCC assign them.")
    for label, c in containers(spec):
        sc = c.get("securityContext") or {}
        if sc.get("privileged"):
            problems.append(f"{label} is privileged.")
        if sc.get("allowPrivilegeEscalation") is not False:
            problems.append(f"{label} does not set allowPrivilegeEscalation: false.")
        if "ALL" not in ((sc.get("capabilities") or {}).get("drop") or []):
            problems.append(f"{label} does not drop ALL capabilities.")
        if (sc.get("capabilities") or {}).get("add"):
            problems.append(f"{label} adds capabilities.")
        if not (sc.get("runAsNonRoot") or pod_sc.get("runAsNonRoot")):
            problems.append(f"{label} may run as root (runAsNonRoot unset).")
        if ((sc.get("seccompProfile") or pod_sc.get("seccompProfile") or {}).get("type")) != "RuntimeDefault":
            problems.append(f"{label} has no RuntimeDefault seccomp profile.")
        if "runAsUser" in sc:
            problems.append(f"{label} fixes runAsUser, which restricted-v2 refuses.")
    return problems


def _pinned_image(label: str, c: dict[str, Any]) -> list[str]:
    image = c.get("image") or ""
    name = image.split("@", 1)[0]
    tag = name.rsplit(":", 1)[1] if ":" in name.rsplit("/", 1)[-1] else None
    if tag in (None, "latest") and not _DIGEST.search(image):
        return [f"{label} image {image!r} is neither version-tagged nor pinned by digest."]
    return []


def _bounded_resources(label: str, c: dict[str, Any]) -> list[str]:
    resources = c.get("resources") or {}
    problems = []
    for bound in ("requests", "limits"):
        missing = {"cpu", "memory"} - set(resources.get(bound) or {})
        if missing:
            problems.append(f"{label} has no {bound} for {', '.join(sorted(missing))}.")
    return problems


pinned_images = container_check(_pinned_image)
bounded_resources = container_check(_bounded_resources)


RULES: tuple[Rule, ...] = (
    Rule(
        name="pod-security-restricted-v2",
        description="Pods run under OpenShift's restricted-v2 SCC: non-root with an assigned UID, no privilege "
        "escalation, ALL capabilities dropped, seccomp RuntimeDefault, no host namespaces or hostPath.",
        severity="high",
        enforcement="mandatory",
        remediation="Use components.common.pod_security for pod and container security contexts; do not set runAsUser.",
        check=restricted_security_context,
    ),
    Rule(
        name="images-pinned",
        description="Every container image names a version tag or a digest; never `latest` or untagged.",
        severity="high",
        enforcement="mandatory",
        remediation="Reference images as registry/name:version@sha256:<digest>.",
        check=pinned_images,
    ),
    Rule(
        name="container-resources-bounded",
        description="Every container requests and limits CPU and memory.",
        severity="medium",
        enforcement="mandatory",
        remediation="Set resources.requests and resources.limits for cpu and memory.",
        check=bounded_resources,
    ),
)
