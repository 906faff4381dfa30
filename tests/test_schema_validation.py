"""The schema check inside `plan` catches what the API server would refuse, with schemas we did not write."""

from __future__ import annotations

import copy

import pytest

from infra.offline_plan.validation import KUBERNETES_VERSIONS, SchemaCatalog, load_allowlist
from tests.conftest import find, project_path


@pytest.fixture(scope="module")
def catalog() -> SchemaCatalog:
    return SchemaCatalog(project_path("schemas"), allowlist={})


def test_rendered_deployment_is_valid_for_every_rosa_kubernetes_version(catalog, plans):
    result = catalog.validate(find(plans["prod"], "Deployment", "langfuse-web"))
    assert result.errors == ()
    assert result.validated_with == "kubernetes 1.31.0, 1.32.0, 1.33.0"
    assert KUBERNETES_VERSIONS == ("1.31.0", "1.32.0", "1.33.0")  # ROSA 4.18, 4.19, 4.20


def test_unknown_field_in_a_core_kind_fails_strict_validation(catalog, plans):
    deployment = copy.deepcopy(find(plans["prod"], "Deployment", "langfuse-web"))
    deployment["spec"]["template"]["spec"]["containers"][0]["livenessprobe"] = {}  # typo of livenessProbe
    result = catalog.validate(deployment)
    assert len(result.errors) == 3  # once per Kubernetes version
    assert all("spec.template.spec.containers.0" in e and "'livenessprobe' was unexpected" in e for e in result.errors)


def test_wrong_type_in_a_core_kind_fails(catalog, plans):
    hpa = copy.deepcopy(find(plans["prod"], "HorizontalPodAutoscaler", "langfuse-web"))
    hpa["spec"]["minReplicas"] = "3"
    result = catalog.validate(hpa)
    assert result.errors and all("spec.minReplicas: '3' is not of type 'integer'" in e for e in result.errors)


def test_route_is_validated_against_the_openshift_schema(catalog, plans):
    route = find(plans["prod"], "Route", "langfuse-web")
    assert catalog.validate(route).validated_with == "schemas/crds/route.openshift.io/route_v1.json"
    bad = copy.deepcopy(route)
    bad["spec"]["tls"]["insecureEdgeTerminationPolicy"] = "Redirct"
    assert any(e.startswith("spec.tls.insecureEdgeTerminationPolicy: 'Redirct' is not one of") for e in catalog.validate(bad).errors)


def test_custom_resources_are_strict_at_the_root_and_in_metadata(catalog, plans):
    route = copy.deepcopy(find(plans["prod"], "Route", "langfuse-web"))
    route["specs"] = {}
    route["metadata"]["labels"]["broken"] = 3
    errors = catalog.validate(route).errors
    assert any("'specs' was unexpected" in e for e in errors)
    assert any(e.startswith("Kubernetes 1.31.0: metadata.labels.broken: 3 is not of type 'string'") for e in errors)


def test_kind_without_schema_fails_unless_allow_listed(plans):
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}, "spec": {}}
    strict = SchemaCatalog(project_path("schemas"), allowlist={})
    assert strict.validate(widget).errors == (
        "no schema for example.com/v1 Widget; add one to schemas/ or allow-list it with a reason",
    )
    allowing = SchemaCatalog(project_path("schemas"), allowlist={("example.com/v1", "Widget"): "vendor publishes no CRD"})
    result = allowing.validate(widget)
    assert result.errors == () and result.validated_with == "allow-listed: vendor publishes no CRD"


def test_the_shipped_allowlist_names_only_catalog_source_with_a_reason():
    allowlist = load_allowlist()
    assert list(allowlist) == [("operators.coreos.com/v1alpha1", "CatalogSource")]
    assert "no CatalogSource schema" in allowlist[("operators.coreos.com/v1alpha1", "CatalogSource")]
