"""Turning recorded registrations into reviewable files: one YAML per Kubernetes object, grouped by
component, the other resources' inputs per provider package, and a summary. Deterministic: the same
program and config give byte-identical files. Secret values never reach a file.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pulumi.runtime import rpc

from infra.offline_plan.recorder import Registration

REDACTED = "[redacted]"
SUMMARY_FILE = "summary.yaml"


@dataclass(frozen=True)
class RenderedObject:
    component: str  # component path, e.g. "langfuse/web/workload"
    type: str  # Pulumi type token, e.g. kubernetes:apps/v1:Deployment
    manifest: dict[str, Any]
    depends_on: tuple[str, ...] = ()  # "Kind/name" of the Kubernetes objects Pulumi creates first

    @property
    def api_version(self) -> str:
        return self.manifest["apiVersion"]

    @property
    def kind(self) -> str:
        return self.manifest["kind"]

    @property
    def name(self) -> str:
        return self.manifest.get("metadata", {}).get("name", "")

    @property
    def namespace(self) -> str | None:
        return self.manifest.get("metadata", {}).get("namespace")

    @property
    def path(self) -> str:
        scope = f"{self.namespace}-" if self.namespace else ""
        return f"kubernetes/{self.component}/{self.kind.lower()}-{scope}{self.name}.yaml"


@dataclass(frozen=True)
class RenderedResource:
    """A resource that is not a Kubernetes object (AWS, random, providers): its type and inputs."""

    component: str
    type: str
    name: str
    inputs: dict[str, Any]
    protect: bool
    arn: str | None = None  # what AWS assigns (KMS keys, roles, secrets): policies and requests name resources by it
    region: str | None = None  # AWS resources: the region of the provider they go through

    @property
    def package(self) -> str:
        return "providers" if self.type.startswith("pulumi:providers:") else self.type.split(":", 1)[0]


def render(registrations: list[Registration]) -> tuple[list[RenderedObject], list[RenderedResource]]:
    by_urn = {r.urn: r for r in registrations}
    objects: list[RenderedObject] = []
    resources: list[RenderedResource] = []
    for reg in registrations:
        if not reg.custom:
            continue  # components group things; they are not themselves deployed
        component = component_path(reg, by_urn)
        if reg.type.startswith("kubernetes:"):
            depends_on = tuple(sorted(_object_ref(by_urn[u]) for u in reg.dependencies if u in by_urn and _is_object(by_urn[u])))
            objects.append(RenderedObject(component, reg.type, manifest(reg.inputs), depends_on))
        else:
            resources.append(RenderedResource(component, reg.type, reg.name, clean(reg.inputs), reg.options.get("protect", False), reg.arn, reg.region))
    objects.sort(key=lambda o: o.path)
    resources.sort(key=lambda r: (r.package, r.type, r.name))
    return objects, resources


def _is_object(reg: Registration) -> bool:
    return reg.custom and reg.type.startswith("kubernetes:")


def _object_ref(reg: Registration) -> str:
    return f"{reg.inputs.get('kind')}/{(reg.inputs.get('metadata') or {}).get('name', reg.name)}"


def component_path(reg: Registration, by_urn: dict[str, Registration]) -> str:
    """Names of the enclosing components, outermost first ("stack" for top-level resources)."""
    names: list[str] = []
    parent = by_urn.get(reg.parent)
    while parent is not None:
        names.append(parent.name)
        parent = by_urn.get(parent.parent)
    return "/".join(reversed(names)) or "stack"


def manifest(inputs: dict[str, Any]) -> dict[str, Any]:
    rendered = clean(inputs)
    if rendered.get("kind") == "Secret" and rendered.get("apiVersion") == "v1":
        # Belt and braces: whatever the program marked, no Secret value is ever written out.
        for field in ("data", "stringData"):
            if isinstance(rendered.get(field), dict):
                rendered[field] = {key: REDACTED for key in rendered[field]}
    return rendered


def clean(value: Any) -> Any:
    """Redact secrets (keeping the shape of secret maps), drop Pulumi-internal keys, restore integers.

    gRPC carries numbers as doubles, so 3030 arrives as 3030.0; Kubernetes has no float fields we set.
    """
    if rpc.is_rpc_secret(value):
        return _redact(rpc.unwrap_rpc_secret(value))
    if isinstance(value, dict):
        return {k: clean(v) for k, v in value.items() if not k.startswith("__")}
    if isinstance(value, list):
        return [clean(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_redact(v) for v in value]
    return REDACTED


class ComputedValues:
    """Marks, in what the plan writes, the values only the engine knows (the mocks' stand-ins for KMS key IDs and
    ARNs, Secrets Manager ARNs): each becomes `<computed: arn of aws:kms/key:Key data>`, wherever it appears (inside
    a policy document, an environment variable, a config file). Validation and policy evaluation run on the
    stand-ins, which have the form AWS gives the real values, so a field with a pattern is still checked."""

    def __init__(self, markers: dict[str, str]) -> None:
        self.markers = markers
        # Longest first: an ARN contains its key ID.
        self._pattern = re.compile("|".join(re.escape(v) for v in sorted(markers, key=len, reverse=True))) if markers else None

    def text(self, text: str) -> str:
        return self._pattern.sub(lambda m: self.markers[m.group(0)], text) if self._pattern is not None else text

    def value(self, value: Any) -> Any:
        """`value` with every stand-in marked; parts without one are returned as they are (not copied)."""
        if self._pattern is None:
            return value
        if isinstance(value, str):
            return self.text(value) if self._pattern.search(value) else value
        if isinstance(value, dict):
            marked = {k: self.value(v) for k, v in value.items()}
            return value if all(marked[k] is value[k] for k in value) else marked
        if isinstance(value, list):
            items = [self.value(v) for v in value]
            return value if all(a is b for a, b in zip(items, value, strict=True)) else items
        return value


def counts_by_component(objects: list[RenderedObject], resources: list[RenderedResource]) -> dict[str, dict[str, int]]:
    """{component (two levels deep): {kind or type: count}}, sorted."""
    counter: Counter[tuple[str, str]] = Counter()
    for obj in objects:
        counter[(_top(obj.component), obj.kind)] += 1
    for res in resources:
        counter[(_top(res.component), _type_label(res))] += 1
    table: dict[str, dict[str, int]] = {}
    for (component, kind), count in sorted(counter.items()):
        table.setdefault(component, {})[kind] = count
    return table


def _type_label(res: RenderedResource) -> str:
    """aws:s3/bucket:Bucket -> aws.s3.Bucket (as the Python SDK names it; "Secret" alone would read as a
    Kubernetes Secret); random:index/randomPassword:RandomPassword -> random.RandomPassword."""
    package, module, name = res.type.split(":")
    if res.package == "providers":
        return f"provider/{name}"
    module = module.split("/")[0]
    return f"{package}.{name}" if module == "index" else f"{package}.{module}.{name}"


def _top(component: str) -> str:
    return "/".join(component.split("/")[:2])


def dump_yaml(data: Any) -> str:
    # libyaml's emitter (PyYAML's wheels bundle it), four times faster than the pure-Python one. It folds long
    # double-quoted strings at plain spaces where PyYAML escaped them ("\" line ends); the values are the same.
    return yaml.dump(data, Dumper=yaml.CSafeDumper, sort_keys=True, default_flow_style=False, width=120, allow_unicode=True)


class OutputError(Exception):
    """The output folder cannot be (re)written. One line; the previous output, if any, is left as it was."""


def write_files(out_dir: Path, files: dict[str, str], marker: str = SUMMARY_FILE) -> None:
    """Replace `out_dir` with exactly `files`, or leave it untouched.

    The files are written into a temporary folder beside `out_dir` (same file system) and swapped in by rename
    once all are written, so a failure (disk full, read-only, ...) never leaves a partial output or loses the
    previous one. An existing non-empty folder without `marker` (one of `files`) is not ours: refused, not wiped.
    """
    out_dir = Path(os.path.abspath(out_dir))
    for folder in (out_dir, *out_dir.parents):
        if folder.exists() and not folder.is_dir():
            raise OutputError(f"{out_dir}: {folder} is a file, not a folder: choose another --out")
        if folder.exists():
            break
    if out_dir.is_dir() and any(out_dir.iterdir()) and not (out_dir / marker).is_file():
        raise OutputError(f"{out_dir} exists and holds something other than an earlier output (no {marker}): choose another --out")
    staging = old = None
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.new-", dir=out_dir.parent))
        for relative, text in sorted(files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        if out_dir.exists():
            old = out_dir.parent / f".{out_dir.name}.old-{staging.name.rsplit('-', 1)[1]}"
            out_dir.rename(old)
        try:
            staging.rename(out_dir)
        except OSError:
            if old is not None:
                old.rename(out_dir)
                old = None
            raise
        staging = None
    except OSError as error:
        reason = error.strerror or str(error)
        where = f" ({error.filename})" if error.filename and f"/.{out_dir.name}." not in str(error.filename) else ""
        raise OutputError(f"cannot write {out_dir}: {reason}{where}; nothing was changed") from None
    finally:
        for leftover in (staging, old):
            if leftover is not None:
                shutil.rmtree(leftover, ignore_errors=True)
