"""Running the real Pulumi program (infra/__main__.py) under mocks, as `pulumi up` would run it."""

from __future__ import annotations

import asyncio
import contextvars
import logging
import runpy
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
from pulumi.runtime.stack import run_pulumi_func

from infra.offline_plan.recorder import PlanMocks, RecordingMonitor, Registration
from infra.offline_plan.stack_file import PROJECT, read_stack_file


@dataclass(frozen=True)
class ProgramRun:
    stack: str
    registrations: list[Registration]
    warnings: list[str]
    computed: dict[str, str] = field(default_factory=dict)  # stand-ins of values AWS assigns -> their plan markers


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_program(project_root: Path, stack: str, stacks_dir: Path, program: Callable[[], object] | None = None) -> ProgramRun:
    """Execute the program for `stack` and return every resource it registered.

    Raises StackFileError or ConfigError (both one-line messages) without registering anything.
    Each run gets a fresh context, so several stacks can be planned in one process. `program`: another
    program to run under the stack's config instead of infra/ (the size benchmark's copies of it).
    """
    stack_file = read_stack_file(stacks_dir, stack)
    plan_mocks = PlanMocks()
    monitor = RecordingMonitor(plan_mocks)
    # pulumi.log.warn() in the program reaches the mock engine, which logs here.
    collected = _Collect()
    engine_log = logging.getLogger(f"langfuse-rosa.plan.{stack}")
    engine_log.propagate = False
    engine_log.handlers = [collected]

    def execute() -> None:
        # The loop must exist first: set_mocks already registers the root Stack on the current loop.
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            pulumi.runtime.set_mocks(
                plan_mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor, logger=engine_log
            )
            pulumi.runtime.set_all_config(stack_file.config, stack_file.secret_keys)
            # What the Python language host does with `main: infra/` (set_mocks already made the root Stack
            # that the host's run_in_stack would make).
            main = str(project_root / "infra")
            loop.run_until_complete(run_pulumi_func(program or (lambda: runpy.run_path(main, run_name="__main__"))))
        finally:
            asyncio.set_event_loop(None)
            loop.close()

    contextvars.Context().run(execute)
    return ProgramRun(
        stack=stack,
        registrations=sorted(monitor.registrations.values(), key=lambda r: r.urn),
        warnings=sorted(set(collected.messages)),
        computed=dict(plan_mocks.computed),
    )
