"""Strict schema validation of rendered Kubernetes objects against schemas we did not write.

Core kinds: the upstream OpenAPI schemas shipped by `kubernetes-validate`, strict (no unknown fields), for
every Kubernetes version of the ROSA releases we support. Custom resources and OpenShift kinds: the
datree.io CRD catalog schemas carried in schemas/crds, made strict at the root, with metadata checked
as a core ObjectMeta. A kind with neither fails, unless schema_allowlist.yaml names it with a reason.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml
from referencing import Registry, Resource

from components.platform.openshift_support import kubernetes_versions

# The Kubernetes releases of the supported ROSA releases (4.18 -> 1.31, 4.19 -> 1.32, 4.20 -> 1.33).
KUBERNETES_VERSIONS = tuple(f"{version}.0" for version in kubernetes_versions())

_ALLOWLIST_FILE = Path(__file__).with_name("schema_allowlist.yaml")


@dataclass(frozen=True)
class SchemaResult:
    api_version: str
    kind: str
    name: str
    errors: tuple[str, ...]  # empty when valid
    validated_with: str  # "kubernetes 1.31.0, 1.32.0, 1.33.0" | "schemas/crds/..." | "allow-listed: <reason>"


class SchemaCatalog:
    """The CRD/OpenShift schemas under `schemas_dir`, keyed by (apiVersion, kind)."""

    def __init__(self, schemas_dir: Path, allowlist: dict[tuple[str, str], str] | None = None) -> None:
        self.schemas_dir = schemas_dir
        self.allowlist = load_allowlist() if allowlist is None else allowlist
        self._paths: dict[tuple[str, str], Path] = {}
        crds = schemas_dir / "crds"
        for path in sorted(crds.glob("*/*.json")):
            if path.parent.name == "openshift":
                kind, group, version = path.stem.split("_")
            else:
                group = path.parent.name
                kind, version = path.stem.rsplit("_", 1)
            self._paths[(f"{group}/{version}", kind)] = path

    def validate(self, manifest: dict[str, Any]) -> SchemaResult:
        api_version, kind = manifest.get("apiVersion", ""), manifest.get("kind", "")
        name = manifest.get("metadata", {}).get("name", "")
        path = self._paths.get((api_version, kind.lower()))
        if path is not None:
            errors = _crd_errors(path, manifest)
            where = str(path.relative_to(self.schemas_dir.parent))
            return SchemaResult(api_version, kind, name, errors, where)
        try:
            errors, versions = _core_errors(manifest)
        except kubernetes_validate.SchemaNotFoundError:
            reason = self.allowlist.get((api_version, kind))
            if reason is not None:
                return SchemaResult(api_version, kind, name, (), f"allow-listed: {reason}")
            return SchemaResult(
                api_version, kind, name, (f"no schema for {api_version} {kind}; add one to schemas/ or allow-list it with a reason",), "none"
            )
        return SchemaResult(api_version, kind, name, errors, "kubernetes " + ", ".join(versions))


def load_allowlist(path: Path = _ALLOWLIST_FILE) -> dict[tuple[str, str], str]:
    entries = yaml.safe_load(path.read_text()) or []
    return {(e["apiVersion"], e["kind"]): e["reason"] for e in entries}


def _core_errors(manifest: dict[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Errors against every supported version that serves the kind (a kind GA only in newer releases, such as
    admissionregistration.k8s.io/v1 ValidatingAdmissionPolicy in 1.30, is checked against those), and those
    versions; SchemaNotFoundError when none does."""
    errors, versions = [], []
    for version in KUBERNETES_VERSIONS:
        try:
            validator = _core_validator(version, manifest["apiVersion"], manifest["kind"])
        except kubernetes_validate.SchemaNotFoundError:
            continue
        # What kubernetes_validate.validate raises: the first error (jsonschema's Validator.validate).
        error = next(validator.iter_errors(manifest), None)
        if error is not None:
            errors.append(f"Kubernetes {version}: {_describe(error)}")
        versions.append(version)
    if not versions:
        raise kubernetes_validate.SchemaNotFoundError(manifest.get("kind", ""), ", ".join(KUBERNETES_VERSIONS), manifest.get("apiVersion", ""))
    return tuple(errors), tuple(versions)


@functools.cache
def _core_validator(kubernetes_version: str, api_version: str, kind: str) -> jsonschema.protocols.Validator:
    """The strict validator kubernetes_validate.validate(manifest, kubernetes_version, strict=True) builds, built once.

    That function rescans its version folders, re-reads the megabyte definitions file and builds a fresh
    validator (with an empty $ref cache) on every call; this is its lookup (kubernetes_validate/utils.py,
    1.37.0), done once per (version, apiVersion, kind). Raises SchemaNotFoundError as it does.
    """
    utils = kubernetes_validate.utils
    wanted = utils.major_minor(kubernetes_version)
    # The newest schema folder that is not newer than the wanted version.
    version = [v for v in utils.all_versions() if utils.major_minor(v) <= wanted][-1]
    # rbac.authorization.k8s.io/v1 -> rbac-v1
    api_file = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = f"kubernetes-json-schema/v{version}-local-strict"
    try:
        schema = _schema_file(f"{folder}/{kind.lower()}-{api_file}.json", kubernetes_version)
    except FileNotFoundError:
        raise kubernetes_validate.SchemaNotFoundError(version=wanted, kind=kind, api_version=api_version) from None
    registry = Resource.from_contents(_schema_file(f"{folder}/_definitions.json", kubernetes_version)) @ (
        Resource.from_contents(schema) @ Registry()
    )
    return jsonschema.Draft202012Validator(schema, registry=registry)


# Parsed once per process: the definitions file is shared by every kind of a version.
_schema_file = functools.cache(kubernetes_validate.utils.schema_contents)


def _crd_errors(path: Path, manifest: dict[str, Any]) -> tuple[str, ...]:
    validator = _crd_validator(path)
    errors = [_describe(e) for e in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))]
    # The catalog types metadata as a bare object: check it as the ObjectMeta the API server will.
    meta_probe = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": manifest.get("metadata", {})}
    errors += [e.replace("ConfigMap", "metadata") for e in _core_errors(meta_probe)[0]]
    return tuple(errors)


@functools.cache
def _crd_validator(path: Path) -> jsonschema.protocols.Validator:
    # A keyword written as null (openshift/api's Route has `anyOf: null`) is absent to the API server, which decodes
    # the schema into Go structs (apiextensions JSONSchemaProps); null items of a list (`enum: [null]`) stay.
    schema = _without_null_keywords(json.loads(path.read_text()))
    # Strict at the root as well: nothing but the fields the schema knows.
    schema.setdefault("additionalProperties", False)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema)


def _without_null_keywords(schema: Any) -> Any:
    if isinstance(schema, dict):
        return {k: _without_null_keywords(v) for k, v in schema.items() if v is not None}
    if isinstance(schema, list):
        return [_without_null_keywords(v) for v in schema]
    return schema


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"
