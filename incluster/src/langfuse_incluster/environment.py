"""A process's settings as components/ put them in its environment (the names are the contract's): what is
missing or out of range ends the process with one line naming the program, the variable and what is allowed,
never a traceback."""

from __future__ import annotations

import math
from collections.abc import Mapping


class Environment:
    def __init__(self, program: str, env: Mapping[str, str]) -> None:
        self.program, self.env = program, env

    def need(self, name: str) -> str:
        value = self.env.get(name, "")
        if not value:
            raise SystemExit(f"{self.program}: environment variable {name} is required")
        return value

    def number(self, name: str, default: str, low: float, high: float) -> float:
        try:
            value = float(self.env.get(name, default))
        except ValueError:
            value = math.nan
        if not low <= value <= high:
            raise SystemExit(f"{self.program}: {name}={self.env.get(name)!r}; allowed: a number from {low:g} to {high:g}")
        return value

    def integer(self, name: str, default: str, low: int, high: int) -> int:
        text = self.env.get(name, default)
        if not text.isdigit() or not low <= int(text) <= high:
            raise SystemExit(f"{self.program}: {name}={text!r}; allowed: a whole number from {low} to {high}")
        return int(text)
