"""The settings of the exporter and the weekly summary, read once from their environment (components/tenancy
sets it; the names are the contract's)."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from langfuse_incluster import contract
from langfuse_incluster.budget import BudgetDefaults, defaults_from_environment
from langfuse_incluster.environment import Environment
from langfuse_incluster.exporter.poller import PollSettings


@dataclass(frozen=True)
class UsageSettings:
    mode: str
    api_url: str  # the in-cluster web Service
    ui_url: str  # the public Route: links to traces and sessions
    defaults: BudgetDefaults
    poll: PollSettings
    shared_key: tuple[str, str] | None = field(repr=False)


def usage_settings(env: dict[str, str] | None = None, program: str = "langfuse-usage") -> UsageSettings:
    env = dict(os.environ if env is None else env)

    environment = Environment(program, env)
    need, number = environment.need, environment.number

    mode = need(contract.ENV_MODE)
    if mode not in contract.MODES:
        raise SystemExit(f"{program}: {contract.ENV_MODE}={mode!r}; allowed: {', '.join(contract.MODES)}")
    shared = (need(contract.ENV_SHARED_PUBLIC_KEY), need(contract.ENV_SHARED_SECRET_KEY)) if mode == "shared" else None
    return UsageSettings(
        mode=mode,
        api_url=need(contract.ENV_LANGFUSE_API_URL),
        ui_url=need(contract.ENV_LANGFUSE_UI_URL).rstrip("/"),
        defaults=defaults_from_environment(env),
        poll=PollSettings(
            interval_seconds=number(contract.ENV_POLL_INTERVAL_SECONDS, "300", 0.1, 86400),
            concurrency=int(number(contract.ENV_POLL_CONCURRENCY, "4", 1, 64)),
            top_n=int(number(contract.ENV_TOP_N, "5", 1, 100)),
        ),
        shared_key=shared,
    )
