"""The ProjectSettings CRD as the tenant controller extends it: current with its generator, the platform's schema kept."""

from __future__ import annotations

import yaml

from components.tenancy.crd import EXTENDED_CRD, SCHEMA_FILE, UPSTREAM_CRD, render_extended_crd, render_schema


def test_the_crd_extension_is_current_and_keeps_the_platform_s_schema():
    assert EXTENDED_CRD.read_text() == render_extended_crd(), "run scripts/extend-projectsettings-crd"
    assert SCHEMA_FILE.read_text() == render_schema(), "run scripts/extend-projectsettings-crd"
    upstream, extended = yaml.safe_load(UPSTREAM_CRD.read_text()), yaml.safe_load(EXTENDED_CRD.read_text())
    for part in ("spec", "status"):
        up = upstream["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][part]
        ext = extended["spec"]["versions"][0]["schema"]["openAPIV3Schema"]["properties"][part]
        assert {k: v for k, v in ext["properties"].items() if k != "langfuse"} == up["properties"]
    assert {k: v for k, v in extended["spec"].items() if k != "versions"} == {k: v for k, v in upstream["spec"].items() if k != "versions"}
