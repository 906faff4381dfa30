"""Strict schema validation of rendered Kubernetes objects against schemas we did not write.

Core kinds: the upstream OpenAPI schemas shipped by `kubernetes-validate`, strict (no unknown fields), for
every Kubernetes version of the ROSA releases we support. Custom resources and OpenShift kinds: the
datree.io CRD catalog schemas carried in schemas/crds, made strict at the root, with metadata checked
as a core ObjectMeta. A kind with neither fails, unless schema_allowlist.yaml names it with a reason.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import yaml

# ROSA 4.16 -> Kubernetes 1.29, 4.17 -> 1.30, 4.18 -> 1.31.
KUBERNETES_VERSIONS = ("1.29.0", "1.30.0", "1.31.0")

_ALLOWLIST_FILE = Path(__file__).with_name("schema_allowlist.yaml")


# kubernetes-validate re-reads and re-parses its schema files (the definitions file is megabytes) on every
# call; they never change, so parse each once. Saves most of a plan's run time.
kubernetes_validate.utils.schema_contents = functools.cache(kubernetes_validate.utils.schema_contents)

@dataclass(frozen=True)
class SchemaResult:
    api_version: str
    kind: str
    name: str
    errors: tuple[str, ...]  # empty when valid
    validated_with: str  # "kubernetes 1.29.0, 1.30.0, 1.31.0" | "schemas/crds/..." | "allow-listed: <reason>"


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
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            continue
        except kubernetes_validate.ValidationError as error:
            errors.append(f"Kubernetes {version}: {_describe(error)}")
        versions.append(version)
    if not versions:
        raise kubernetes_validate.SchemaNotFoundError(manifest.get("kind", ""), ", ".join(KUBERNETES_VERSIONS), manifest.get("apiVersion", ""))
    return tuple(errors), tuple(versions)


def _crd_errors(path: Path, manifest: dict[str, Any]) -> tuple[str, ...]:
    validator = _crd_validator(path)
    errors = [_describe(e) for e in sorted(validator.iter_errors(manifest), key=lambda e: list(e.absolute_path))]
    # The catalog types metadata as a bare object: check it as the ObjectMeta the API server will.
    meta_probe = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": manifest.get("metadata", {})}
    errors += [e.replace("ConfigMap", "metadata") for e in _core_errors(meta_probe)[0]]
    return tuple(errors)


@functools.cache
def _crd_validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text())
    # Strict at the root as well: nothing but the fields the schema knows.
    schema.setdefault("additionalProperties", False)
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft4Validator)
    return cls(schema)


def _describe(error: jsonschema.ValidationError) -> str:
    where = ".".join(str(p) for p in error.absolute_path) or "(root)"
    return f"{where}: {error.message}"
