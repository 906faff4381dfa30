"""The in-cluster package and the Pulumi side stay apart, over the import graph of every module: the package
(incluster/src) imports neither components nor infra (nor Pulumi); components and infra import of it only
its contract module."""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import project_path

PACKAGE = "langfuse_incluster"


def _imports(root: Path):
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield path, node.module
                yield from ((path, f"{node.module}.{alias.name}") for alias in node.names)


def test_the_in_cluster_package_imports_nothing_of_the_pulumi_side():
    found = [(p.name, m) for p, m in _imports(project_path("incluster", "src")) if m.split(".")[0] in {"components", "infra", "policies", "pulumi", "pulumi_kubernetes"}]
    assert found == []


# The one exception: the `langfuse-rosa usage` command (a tool for people, not part of the Pulumi program) uses the
# package's public client library, so it and the exporter compute the same figures with one code path.
USAGE_COMMAND = "infra/usage_report.py"
USAGE_LIBRARY = (f"{PACKAGE}.usage", f"{PACKAGE}.budget")


def test_the_pulumi_side_imports_only_the_contract():
    found = []
    for top in ("components", "infra", "policies"):
        for path, module in _imports(project_path(top)):
            where = str(path.relative_to(project_path()))
            if module.split(".")[0] != PACKAGE or module in (PACKAGE, f"{PACKAGE}.contract"):
                continue
            if where == USAGE_COMMAND and module.startswith(USAGE_LIBRARY):
                continue
            found.append((where, module))
    assert found == []


def test_the_contract_uses_the_standard_library_only():
    modules = {m.split(".")[0] for _, m in _imports(project_path("incluster", "src", PACKAGE)) if _.name == "contract.py"}
    assert modules <= {"__future__"}


def test_the_check_sees_a_violation(tmp_path):
    (tmp_path / "bad.py").write_text("from langfuse_incluster.controller import reconcile\nimport components.tenancy\n")
    assert [m for _, m in _imports(tmp_path)] == ["langfuse_incluster.controller", "langfuse_incluster.controller.reconcile", "components.tenancy"]
