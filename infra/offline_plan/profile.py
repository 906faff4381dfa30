"""Where a plan's time goes: wall time per phase, each second counted once, in the innermost phase running.

Importing modules is a phase of its own wherever it happens (the program imports provider modules lazily,
on first use, in the middle of registering resources), so a slower import and a slower phase read apart.
"""

from __future__ import annotations

import importlib.abc
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

IMPORTS = "imports"


class PlanProfile:
    def __init__(self, startup_imports: float = 0.0) -> None:
        """`startup_imports`: seconds the caller spent importing before the plan began (the CLI's own modules)."""
        self.seconds: dict[str, float] = {IMPORTS: startup_imports} if startup_imports else {}
        self.modules_imported = 0
        self._active: list[str] = []
        self._mark = time.perf_counter()

    @contextmanager
    def phase(self, name: str) -> Iterator[None]:
        self._switch()
        self._active.append(name)
        try:
            yield
        finally:
            self._switch()
            self._active.pop()

    def _switch(self) -> None:
        now = time.perf_counter()
        if self._active:
            current = self._active[-1]
            self.seconds[current] = self.seconds.get(current, 0.0) + now - self._mark
        self._mark = now

    @contextmanager
    def counting_imports(self) -> Iterator[None]:
        """Count the time of every module imported meanwhile as the `imports` phase."""
        clock = _ImportClock(self)
        sys.meta_path.insert(0, clock)
        try:
            yield
        finally:
            sys.meta_path.remove(clock)

    def rows(self) -> list[tuple[str, float]]:
        """(phase, seconds), imports first, then in the order the phases ran."""
        return sorted(self.seconds.items(), key=lambda item: item[0] != IMPORTS)


class _ImportClock(importlib.abc.MetaPathFinder):
    """Finds modules through the finders after it and wraps their loaders, timing lookups and execution."""

    def __init__(self, profile: PlanProfile) -> None:
        self.profile = profile

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        with self.profile.phase(IMPORTS):
            for finder in sys.meta_path[sys.meta_path.index(self) + 1 :]:
                find = getattr(finder, "find_spec", None)
                spec = find(fullname, path, target) if find is not None else None
                if spec is not None:
                    break
            else:
                return None
        if spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _TimedLoader(spec.loader, self.profile)
        return spec


class _TimedLoader(importlib.abc.Loader):
    def __init__(self, loader: Any, profile: PlanProfile) -> None:
        self._loader = loader
        self._profile = profile

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, get_source, ...: the real loader's
        return getattr(self._loader, name)

    def create_module(self, spec: Any) -> Any:
        with self._profile.phase(IMPORTS):  # an extension module loads its shared library here
            return self._loader.create_module(spec)

    def exec_module(self, module: Any) -> None:
        self._profile.modules_imported += 1
        with self._profile.phase(IMPORTS):
            self._loader.exec_module(module)
