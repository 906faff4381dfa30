"""Which ROSA (OpenShift) minor releases the pinned operators install and are supported on: one table, read by
the stack config (which refuses every other release, with the reason), by the offline plan (which validates core
objects against each supported release's Kubernetes schemas) and by the docs (generated from it).

ROSA release -> Kubernetes: each OpenShift minor ships one Kubernetes minor (OpenShift release notes, "About this
release": 4.18 is based on Kubernetes 1.31, 4.19 on 1.32, 4.20 on 1.33). ROSA offers the OpenShift minors Red Hat
currently supports on it (ROSA docs, "Red Hat OpenShift Service on AWS update life cycle"; `rosa list versions`
shows the ones a cluster can be created with or upgraded to).

Per operator, the CSV this project pins (components/platform/catalog.py) and what limits where it installs (OLM
refuses a CSV whose minKubeVersion is above the cluster's Kubernetes):
- CloudNativePG 1.30 (its own catalog image): CSV minKubeVersion 1.31; no upper bound declared; a community
  operator that supports no OpenShift release (catalog.py).
- Altinity ClickHouse operator 0.26.3 (community-operators): CSV minKubeVersion 1.16.0 (operators/clickhouse/0.26.3
  in redhat-openshift-ecosystem/community-operators-prod); no OpenShift range.
- Red Hat's External Secrets Operator 1.1 (redhat-operators, stable-v1): CSV minKubeVersion 1.31 (bundle of
  openshift/external-secrets-operator).
- Red Hat's Custom Metrics Autoscaler 2.19 (redhat-operators, stable): Red Hat lists OpenShift 4.12-4.21 as
  supported (catalog.py).
- Grafana Operator 5.22.2 (community-operators, v5): CSV minKubeVersion 1.23.0 (operators/grafana-operator/5.22.2
  in community-operators-prod); no OpenShift range.
- Red Hat's cert-manager Operator 1.19 (redhat-operators, stable-v1): CSV minKubeVersion 1.31.0 (openshift/
  cert-manager-operator branch cert-manager-1.19); public deployment notes run 1.19.0 (with Custom Metrics
  Autoscaler 2.18) on OpenShift 4.20.
- Red Hat OpenShift Logging (redhat-operators): CSV minKubeVersion 1.18.3, and each line's bundle lists the
  OpenShift releases whose catalog carries it (openshift/cluster-logging-operator Makefile OPENSHIFT_VERSIONS): 6.4
  v4.16-v4.19, 6.5 v4.19-v4.22. No one line spans 4.18-4.20, so this is the one pin that depends on the release:
  6.4 on 4.18, 6.5 on 4.19 and 4.20 (4.19 takes 6.5 so that the line a cluster runs is still listed after its
  next upgrade; OLM moves a 6.4 to 6.5 when the channel changes: catalog.py).

So the floor is 4.18, the first release with Kubernetes 1.31. The ceiling is the newest release every pin above
is known to install on: 4.20. 4.21 and later are refused until someone confirms each pinned CSV in that release's
catalogs (`oc get packagemanifest -n openshift-marketplace <package> -o yaml` on such a cluster) and adds it to
SUPPORTED; the plan then validates against its Kubernetes schemas too, and the docs' table follows.
"""

from __future__ import annotations

from dataclasses import dataclass

from components.platform.catalog import (
    ALTINITY_CLICKHOUSE,
    CERT_MANAGER,
    CLOUDNATIVE_PG,
    CLUSTER_OPERATORS,
    CUSTOM_METRICS_AUTOSCALER,
    EXTERNAL_SECRETS,
    GRAFANA_OPERATOR,
    OPENSHIFT_LOGGING,
    OPENSHIFT_LOGGING_6_5,
    OperatorPackage,
)


@dataclass(frozen=True)
class OperatorSupport:
    package: OperatorPackage
    name: str
    min_kubernetes: str | None  # the CSV's minKubeVersion (major.minor), None when it declares none
    openshift_range: str  # where its vendor supports or publishes it
    by_release: tuple[tuple[str, OperatorPackage], ...] = ()  # OpenShift minor -> its own pin, where it differs

    def package_on(self, openshift_version: str) -> OperatorPackage:
        return dict(self.by_release).get(openshift_version, self.package)


OPERATOR_SUPPORT: tuple[OperatorSupport, ...] = (
    OperatorSupport(CLOUDNATIVE_PG, "CloudNativePG", "1.31", "no OpenShift range (community)"),
    OperatorSupport(ALTINITY_CLICKHOUSE, "Altinity ClickHouse operator", "1.16", "no OpenShift range (community)"),
    OperatorSupport(EXTERNAL_SECRETS, "External Secrets Operator for Red Hat OpenShift", "1.31", "Red Hat"),
    OperatorSupport(CUSTOM_METRICS_AUTOSCALER, "Custom Metrics Autoscaler", None, "Red Hat: 4.12-4.21"),
    OperatorSupport(GRAFANA_OPERATOR, "Grafana Operator", "1.23", "no OpenShift range (community)"),
    OperatorSupport(CERT_MANAGER, "cert-manager Operator for Red Hat OpenShift", "1.31", "Red Hat; run on 4.20"),
    OperatorSupport(
        OPENSHIFT_LOGGING, "Red Hat OpenShift Logging", "1.18", "Red Hat: 6.4 on 4.16-4.19, 6.5 on 4.19-4.22",
        by_release=(("4.19", OPENSHIFT_LOGGING_6_5), ("4.20", OPENSHIFT_LOGGING_6_5)),
    ),
)

# Every OpenShift minor ROSA has offered recently, with its Kubernetes minor; `SUPPORTED` are the ones this
# project installs on.
KUBERNETES_OF_OPENSHIFT: dict[str, str] = {
    "4.14": "1.27",
    "4.15": "1.28",
    "4.16": "1.29",
    "4.17": "1.30",
    "4.18": "1.31",
    "4.19": "1.32",
    "4.20": "1.33",
    "4.21": "1.34",
}
SUPPORTED: tuple[str, ...] = ("4.18", "4.19", "4.20")


def cluster_operators(openshift_version: str) -> tuple[OperatorPackage, ...]:
    """The operators the cluster layer subscribes to on a supported release, each at that release's pin."""
    pins = {o.package.package: o.package_on(openshift_version) for o in OPERATOR_SUPPORT}
    return tuple(pins.get(p.package, p) for p in CLUSTER_OPERATORS)


def _minor(version: str) -> tuple[int, int]:
    major, minor = version.split(".")[:2]
    return int(major), int(minor)


def kubernetes_versions() -> tuple[str, ...]:
    """The Kubernetes minors of the supported releases, oldest first (e.g. "1.31")."""
    return tuple(KUBERNETES_OF_OPENSHIFT[v] for v in SUPPORTED)


def refusal(version: str) -> str:
    """Why `version` (an OpenShift minor, e.g. "4.17") is not supported: the rule the config states."""
    allowed = ", ".join(SUPPORTED)
    kubernetes = KUBERNETES_OF_OPENSHIFT.get(version)
    try:
        below = _minor(version) < _minor(SUPPORTED[0])
    except ValueError:
        return f"must be a supported OpenShift minor release: {allowed}"
    if below:
        blocking = [
            o
            for o in OPERATOR_SUPPORT
            if o.min_kubernetes and (kubernetes is None or _minor(kubernetes) < _minor(o.min_kubernetes))
        ]
        named = [f"{o.name} ({o.package.starting_csv})" for o in blocking]
        names = ", ".join(named[:-1]) + " and " + named[-1] if len(named) > 1 else named[0]
        runs = f"OpenShift {version} runs Kubernetes {kubernetes}" if kubernetes else f"OpenShift {version} is older still"
        return f"must be one of {allowed}: {names} require Kubernetes {blocking[0].min_kubernetes} (CSV minKubeVersion) and {runs}, so OLM would not install them"
    return (
        f"must be one of {allowed}: OpenShift {version} is newer than the releases every pinned operator CSV has been "
        "checked against (components/platform/openshift_support.py says how to add it)"
    )


def support_markdown() -> str:
    """The support table (docs): OpenShift -> Kubernetes -> each operator's channel and CSV."""
    operators = list(OPERATOR_SUPPORT)
    header = "| OpenShift (ROSA) | Kubernetes | " + " | ".join(o.name for o in operators) + " |"
    rows = [header, "| --- | --- | " + " | ".join("---" for _ in operators) + " |"]
    for version in SUPPORTED:
        cells = [f"`{o.package_on(version).channel}` {o.package_on(version).starting_csv}" for o in operators]
        rows.append(f"| {version} | {KUBERNETES_OF_OPENSHIFT[version]} | " + " | ".join(cells) + " |")
    rows.append("| *limits* | | " + " | ".join(_limit(o) for o in operators) + " |")
    refused = [v for v in KUBERNETES_OF_OPENSHIFT if v not in SUPPORTED]
    rows += ["", "Refused, with the reason the config gives:", ""]
    rows += [f"- {v}: {refusal(v)}" for v in refused]
    return "\n".join(rows) + "\n"


def _limit(operator: OperatorSupport) -> str:
    floor = f"minKubeVersion {operator.min_kubernetes}" if operator.min_kubernetes else "no minKubeVersion"
    return f"{floor}; {operator.openshift_range}"
