"""Kubernetes recommended labels (app.kubernetes.io/*), derived once per workload."""

from __future__ import annotations

MANAGED_BY = "langfuse-rosa"


def recommended_labels(name: str, component: str, part_of: str, version: str | None = None) -> dict[str, str]:
    """Labels every object of a workload carries."""
    labels = {
        "app.kubernetes.io/name": name,
        "app.kubernetes.io/component": component,
        "app.kubernetes.io/part-of": part_of,
        "app.kubernetes.io/managed-by": MANAGED_BY,
    }
    if version is not None:
        labels["app.kubernetes.io/version"] = version
    return labels


def selector_labels(name: str, component: str) -> dict[str, str]:
    """The stable subset used in selectors; it never contains the version, so upgrades keep matching."""
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/component": component}
