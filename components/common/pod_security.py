"""Pod and container security contexts that OpenShift's restricted-v2 SCC admits.

restricted-v2 (OpenShift 4.11+) assigns the UID from the namespace's range (MustRunAsRange), requires
dropping ALL capabilities, forbids privilege escalation and sets seccomp RuntimeDefault. We never set
runAsUser/runAsGroup/fsGroup: the SCC injects them, and a fixed value would be refused.

Why restricted-v2 is enough for Langfuse, although its images declare USER 1001 (evidence, v4.16.0):
- web/Dockerfile and worker/Dockerfile copy the app with `--chown=<1001>` and default modes, so every file
  is world-readable and the entrypoints are `chmod +x`: any UID can read and execute them;
- the runtime code writes nothing to the filesystem (no writeFile/createWriteStream/mkdir under web/src,
  worker/src or packages/shared/src outside scripts and tests), except Next.js' cache under
  web/.next/cache, which gets an emptyDir;
- so a read-only root filesystem and an arbitrary UID work, and no SCC needs to be granted.
"""

from __future__ import annotations

# A pod that needs its service-account token (a controller) says so here; the token-not-mounted policy rule
# (policies/rules/kubernetes_hardening.py) reads it.
NEEDS_API_TOKEN_ANNOTATION = "langfuse-rosa/needs-api-token"


def restricted_pod_security_context() -> dict:
    """Pod-level securityContext (camelCase; typed resources and custom-resource specs both take it)."""
    return {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}


def restricted_container_security_context() -> dict:
    return {
        "allowPrivilegeEscalation": False,
        "capabilities": {"drop": ["ALL"]},
        "privileged": False,
        "readOnlyRootFilesystem": True,
        "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"},
    }
