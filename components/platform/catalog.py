"""The operators the data tier needs, pinned per OpenShift release.

- CloudNativePG is published only to OperatorHub.io, not to a catalog OpenShift ships, so it gets its own
  CatalogSource: the versioned catalog image each CloudNativePG release pushes (`<operator image>-catalog`,
  cloudnative-pg .github/workflows/release-publish.yml). 1.30 requires Kubernetes 1.31 (CSV minKubeVersion),
  i.e. ROSA 4.18; 1.28.4 is the last release that installs on 4.16 and 4.17 (minKubeVersion 1.23; upstream
  lists 1.29-1.31 as tested, not supported). CloudNativePG's community does not support OpenShift; EDB's
  certified operator is the supported alternative (a different API group).
- Altinity's ClickHouse operator is in Red Hat's `community-operators` catalog as package `clickhouse`,
  channel `latest` (operators/clickhouse in redhat-openshift-ecosystem/community-operators-prod).
"""

from __future__ import annotations

from components.platform.operators import OperatorPackage


def _cloudnative_pg(version: str) -> OperatorPackage:
    return OperatorPackage(
        package="cloudnative-pg",
        channel="stable-v1",
        starting_csv=f"cloudnative-pg.v{version}",
        source="cloudnative-pg",
        namespace="cnpg-system",
        catalog_image=f"ghcr.io/cloudnative-pg/cloudnative-pg:{version}-ubi9-catalog",
    )


CLOUDNATIVE_PG = {"4.16": _cloudnative_pg("1.28.4"), "4.17": _cloudnative_pg("1.28.4"), "4.18": _cloudnative_pg("1.30.0")}

ALTINITY_CLICKHOUSE = OperatorPackage(
    package="clickhouse",
    channel="latest",
    starting_csv="clickhouse-operator.v0.26.3",
    source="community-operators",
    namespace="clickhouse-operator",
)


def data_tier_operators(openshift_version: str) -> tuple[OperatorPackage, ...]:
    return (CLOUDNATIVE_PG[openshift_version], ALTINITY_CLICKHOUSE)
