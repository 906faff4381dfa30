"""Which way knowledge points, over the import graph of every module (import-linter's contracts in pyproject.toml):

    infra ──composes──▶ components ──▶ leaves ◀── policies
                                         ▲
    langfuse_incluster (its own image) ──┘ only through langfuse_incluster.contract, which is itself a leaf

- infra composes the components; components never import infra, nor the policy pack;
- the leaves (components/*/contract.py, the pinned images, components/common/{labels,pod_security,refs}.py, the
  flow vocabulary components/network/{model,openshift}.py, the operators' catalog, langfuse_incluster.contract)
  import only leaves, and so do the central flow tables, the stack config and the policy pack;
- the in-cluster package imports nothing of the Pulumi side (nor Pulumi); the Pulumi side imports of it only its
  contract (and `langfuse-rosa usage` its client library).

Each contract is shown to fail on a reversed import, and the leaves are loaded without site-packages, which is
what proves them standard-library only (a package's __init__ that pulled in a component would show here too)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.conftest import project_path

LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")
CONFIG = tomllib.loads(project_path("pyproject.toml").read_text())["tool"]["importlinter"]
CONTRACTS = {c["name"]: c for c in CONFIG["contracts"]}
LEAF_CONTRACT = next(c for c in CONFIG["contracts"] if c.get("as_packages") is False)


def _modules(pattern: str) -> list[str]:
    """The modules a contract's `*` pattern names (one name per `*`), from the files."""
    if "*" not in pattern:
        return [pattern]
    return sorted(".".join(p.with_suffix("").relative_to(project_path()).parts) for p in project_path().glob(pattern.replace(".", "/") + ".py"))


# The leaves are what the leaf contract lets anything import ("** -> <leaf>").
LEAVES = tuple(m for i in LEAF_CONTRACT["ignore_imports"] if i.startswith("** -> ") for m in _modules(i.removeprefix("** -> ")))
# What must load with the standard library alone: the leaves, the flow tables, and the rules the policy pack runs
# in its own virtualenv (pulumi-policy only; policies/pack.py wraps them).
STANDALONE = (*LEAVES, "components.network.langfuse_flows", "components.network.operator_flows", "policies.rules")

# One reversed import per contract: (importer, imported).
REVERSED = {
    "infra composes the components; components never import infra": ("components.aws.tier", "infra.aws_tier"),
    "components never import the policy pack": ("components.clickhouse.backup", "policies.rules.backups"),
    "the in-cluster package imports nothing of the Pulumi side, nor Pulumi": (
        "langfuse_incluster.controller.reconcile", "components.tenancy.controller"),
    "of the in-cluster package, the Pulumi side imports only the contract (the usage command: its client library)": (
        "components.tenancy.controller", "langfuse_incluster.controller.reconcile"),
    "leaves, the flow tables, the stack config and the policy pack import of the project only leaves": (
        "components.network.langfuse_flows", "components.postgres.cluster"),
}
# More arrows the leaf contract refuses: a leaf reaching up, the stack config and the pack reading a component.
MORE_REVERSED_LEAF_IMPORTS = (
    ("components.postgres.contract", "components.postgres.cluster"),
    ("infra.stack_config.models", "components.langfuse.app"),
    ("policies.rules.analytics", "components.aws.tier"),
)


def _source_roots(root: Path) -> tuple[Path, Path]:
    return root, root / "incluster" / "src"


def _module_file(root: Path, module: str) -> Path:
    base = _source_roots(root)[1] if module.startswith("langfuse_incluster") else root
    path = base.joinpath(*module.split("."))
    return path / "__init__.py" if path.is_dir() else path.with_suffix(".py")


def _env(root: Path) -> dict[str, str]:
    # The copy's packages come before the project's own (installed editable into the virtualenv); no line wrapping.
    return {**os.environ, "PYTHONPATH": os.pathsep.join(map(str, _source_roots(root))), "COLUMNS": "500", "NO_COLOR": "1"}


def _lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(root / "pyproject.toml"), "--no-cache"],
        cwd=root, env=_env(root), capture_output=True, text=True, timeout=120,
    )


_STANDALONE_CHECK = """
import importlib, json, sys
sys.path[:0] = sys.argv[2:]
failed = {}
for module in json.loads(sys.argv[1]):
    try:
        importlib.import_module(module)
    except Exception as error:
        failed[module] = f"{type(error).__name__}: {error}"
ours = sorted(m for m in sys.modules if m.split(".")[0] in ("components", "infra", "policies", "langfuse_incluster"))
others = sorted({m.split(".")[0] for m in sys.modules} - set(sys.stdlib_module_names) - {"components", "policies", "langfuse_incluster", "__main__"})
print(json.dumps({"failed": failed, "loaded": ours, "others": others}))
"""


def _load_standalone(root: Path) -> dict:
    """Import STANDALONE in a Python without site-packages (-S) or the environment (-I): the standard library only."""
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _STANDALONE_CHECK, json.dumps(STANDALONE), *map(str, _source_roots(root))],
        capture_output=True, text=True, timeout=60, check=True,
    )
    return json.loads(result.stdout)


@pytest.fixture(scope="module")
def reversed_tree(tmp_path_factory) -> Path:
    """A copy of the project's packages with every reversed import above appended to its importer."""
    root = tmp_path_factory.mktemp("reversed")
    ignore = shutil.ignore_patterns("__pycache__")
    for package in ("components", "infra", "policies"):
        shutil.copytree(project_path(package), root / package, ignore=ignore)
    shutil.copytree(project_path("incluster", "src"), root / "incluster" / "src", ignore=ignore)
    shutil.copy(project_path("pyproject.toml"), root / "pyproject.toml")
    for importer, imported in (*REVERSED.values(), *MORE_REVERSED_LEAF_IMPORTS):
        with _module_file(root, importer).open("a") as source:
            source.write(f"\nimport {imported}  # reversed on purpose\n")
    return root


def test_every_contract_holds():
    result = _lint_imports(project_path())
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"Contracts: {len(CONTRACTS)} kept, 0 broken." in result.stdout


def test_each_contract_fails_on_a_reversed_import(reversed_tree):
    assert set(REVERSED) == set(CONTRACTS), "one reversed import per contract"
    result = _lint_imports(reversed_tree)
    assert result.returncode == 1, result.stdout + result.stderr
    for name in CONTRACTS:
        assert f"{name} BROKEN" in result.stdout
    for importer, imported in (*REVERSED.values(), *MORE_REVERSED_LEAF_IMPORTS):
        assert f"{importer} -> {imported} (l." in result.stdout, (importer, imported)
    assert f"Contracts: 0 kept, {len(CONTRACTS)} broken." in result.stdout


def test_leaves_the_flow_tables_and_the_pack_rules_load_with_the_standard_library_alone():
    loaded = _load_standalone(project_path())
    assert loaded["failed"] == {} and loaded["others"] == []
    allowed = {".".join(m.split(".")[:i]) for m in STANDALONE for i in range(1, m.count(".") + 1)}  # their packages
    beyond = [m for m in loaded["loaded"] if m not in allowed and m not in STANDALONE and not m.startswith("policies.rules.")]
    assert beyond == []
    assert {"components.clickhouse.contract", "components.common.refs", "components.platform.catalog", "langfuse_incluster.contract"} <= set(LEAVES)


def test_a_leaf_that_reaches_up_does_not_load_without_pulumi(reversed_tree):
    failed = _load_standalone(reversed_tree)["failed"]
    # components.postgres.contract -> cluster (Pulumi); the pack's rules -> components.aws.tier (Pulumi).
    assert failed["components.postgres.contract"] == "ModuleNotFoundError: No module named 'pulumi'"
    assert failed["policies.rules"] == "ModuleNotFoundError: No module named 'pulumi'"


def test_the_in_cluster_package_is_a_distribution_of_its_own():
    """STYLE.md's home for in-cluster code: its own pyproject and Containerfile (tests/tenancy/test_image.py checks
    the image), a uv workspace member, and a root package of the contracts above."""
    root = tomllib.loads(project_path("pyproject.toml").read_text())
    package = tomllib.loads(project_path("incluster", "pyproject.toml").read_text())
    assert root["tool"]["uv"]["workspace"]["members"] == ["incluster"]
    assert package["project"]["name"] == "langfuse-incluster" and not [d for d in package["project"]["dependencies"] if d.startswith("pulumi")]
    assert package["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"] == ["src/langfuse_incluster"]
    assert project_path("incluster", "Containerfile").is_file()
    assert "langfuse_incluster" in CONFIG["root_packages"]
