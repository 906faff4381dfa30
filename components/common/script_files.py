"""The scripts the components ship, kept as files in `components/<store>/scripts/` and read as package data.

A script is written as it runs, with two marks that stay valid shell, so ShellCheck reads the file as written:
- `@@NAME@@`, a word the component fills in when it renders the script (a user name, a path, a statement);
- a line `. ./<fragment>.sh`, which is replaced by that file of the same folder (functions shared by scripts).
Shell variables and the `@NAME@` marks the Redis init scripts fill at pod start are left alone.
"""

from __future__ import annotations

import re
from functools import cache
from importlib.resources import files

PLACEHOLDER = re.compile(r"@@([A-Z][A-Z0-9_]*)@@")
INCLUDE = re.compile(r"^\. \./([a-z0-9][a-z0-9-]*\.sh)\n", re.MULTILINE)
SCRIPTS_FOLDER = "scripts"


@cache
def script_source(package: str, name: str) -> str:
    """The file `name` in the `scripts` folder of `package` (e.g. "components.redis"), byte for byte (read_text
    would turn a carriage return into a newline)."""
    return (files(package) / SCRIPTS_FOLDER / name).read_bytes().decode("utf-8")


def script_template(package: str, name: str) -> str:
    """The script with its fragments inlined (theirs too), its placeholders still in place."""
    return INCLUDE.sub(lambda line: script_template(package, line.group(1)), script_source(package, name))


def render_script(package: str, name: str, **values: str | int) -> str:
    """The script with its fragments inlined and every @@NAME@@ replaced by values[NAME]; a placeholder without
    a value, or a value without a placeholder, is a mistake in the caller and raises ValueError."""
    text = script_template(package, name)
    wanted = set(PLACEHOLDER.findall(text))
    if wanted != set(values):
        missing, unused = sorted(wanted - set(values)), sorted(set(values) - wanted)
        raise ValueError(f"{package} {SCRIPTS_FOLDER}/{name}: no value for {missing}, no placeholder for {unused}")
    return PLACEHOLDER.sub(lambda placeholder: str(values[placeholder.group(1)]), text)
