"""The one renderer of the components' script files: placeholders filled, fragments inlined, byte for byte, and
a mismatch between a script's placeholders and the values given refused."""

from __future__ import annotations

import importlib
import re
import sys

import pytest

from components.common.script_files import render_script, script_source, script_template


@pytest.fixture
def package(tmp_path, monkeypatch):
    """A package of its own per test, with a scripts/ folder the test fills: (name, folder)."""
    name = "scripts_of_" + re.sub(r"\W", "_", tmp_path.name)
    (tmp_path / name / "scripts").mkdir(parents=True)
    (tmp_path / name / "__init__.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    yield name, tmp_path / name / "scripts"
    sys.modules.pop(name, None)
    script_source.cache_clear()


def test_placeholders_are_filled_and_shell_variables_and_pod_start_marks_are_left(package):
    name, folder = package
    (folder / "init.sh").write_text('#!/bin/sh\nMASTER_NAME=@@MASTER_NAME@@\nsed "s|@BIND@|$BIND_ADDRESS|g" --user @@USER@@ -lt @@GRACE@@\n')
    assert render_script(name, "init.sh", MASTER_NAME="langfuse", USER="sentinel", GRACE=35) == (
        '#!/bin/sh\nMASTER_NAME=langfuse\nsed "s|@BIND@|$BIND_ADDRESS|g" --user sentinel -lt 35\n'
    )


def test_a_value_is_inserted_as_it_is_never_read_for_placeholders(package):
    name, folder = package
    (folder / "load.sh").write_text('s3 "@@STATEMENT@@ FORMAT TSV"\n')
    statement = "SELECT '@@NOT_A_PLACEHOLDER@@', '$url', '\\'UTC\\''"
    assert render_script(name, "load.sh", STATEMENT=statement) == f's3 "{statement} FORMAT TSV"\n'


def test_a_fragment_line_is_replaced_by_the_fragment_and_its_own_fragments_in_place(package):
    name, folder = package
    (folder / "main.sh").write_text("#!/bin/bash\nset -euo pipefail\n. ./chain.sh\nnow=1\n. ./sql.sh\necho . ./sql.sh\n")
    (folder / "chain.sh").write_text("cycle() { echo @@DAYS@@; }\n. ./sql.sh\n")
    (folder / "sql.sh").write_text('sql() { client --query "$1"; }\n')
    assert script_template(name, "main.sh") == (
        "#!/bin/bash\nset -euo pipefail\ncycle() { echo @@DAYS@@; }\n"
        'sql() { client --query "$1"; }\nnow=1\nsql() { client --query "$1"; }\necho . ./sql.sh\n'
    )
    assert render_script(name, "main.sh", DAYS=7).startswith("#!/bin/bash\nset -euo pipefail\ncycle() { echo 7; }\n")


def test_a_carriage_return_in_a_script_survives_byte_for_byte(package):
    # probe.sh holds one inside quotes (tr -d '<CR>'): reading as text would have made it a newline.
    name, folder = package
    (folder / "probe.sh").write_bytes(b"info=$(node INFO | tr -d '\r')\n")
    assert render_script(name, "probe.sh") == "info=$(node INFO | tr -d '\r')\n"


def test_a_placeholder_without_a_value_or_a_value_without_a_placeholder_is_refused(package):
    name, folder = package
    (folder / "backup.sh").write_text("BACKUP DATABASE @@DATABASE@@ ON CLUSTER '@@CLUSTER@@'\n")
    with pytest.raises(ValueError) as missing:
        render_script(name, "backup.sh", DATABASE="default")
    assert str(missing.value) == f"{name} scripts/backup.sh: no value for ['CLUSTER'], no placeholder for []"
    with pytest.raises(ValueError) as unused:
        render_script(name, "backup.sh", DATABASE="default", CLUSTER="default", CLUSTR="default")
    assert str(unused.value) == f"{name} scripts/backup.sh: no value for [], no placeholder for ['CLUSTR']"
