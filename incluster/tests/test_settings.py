"""The in-cluster processes read their settings once from the environment components/ give them; a missing or
malformed value ends the process with one line naming the program and the variable, never a traceback."""

from __future__ import annotations

from datetime import timedelta

import pytest
from langfuse_incluster import contract
from langfuse_incluster.controller.settings import from_environment
from langfuse_incluster.exporter.settings import usage_settings

CONTROLLER_ENV = {
    contract.ENV_MODE: "per-project",
    contract.ENV_PUBLIC_HOST: "https://langfuse.apps.example.com",
    contract.ENV_LANGFUSE_API_URL: "http://langfuse-web:3000",
    contract.ENV_ORG_PUBLIC_KEY: "pk-lf-org",
    contract.ENV_ORG_SECRET_KEY: "sk-lf-org",
    contract.ENV_ROTATION_DAYS: "7",
    contract.ENV_ROTATION_OVERLAP_HOURS: "12",
}


def test_the_controller_reads_its_rotation_from_the_environment():
    settings = from_environment(CONTROLLER_ENV)
    assert (settings.reconcile.rotation, settings.reconcile.overlap) == (timedelta(days=7), timedelta(hours=12))
    assert (settings.public_key, settings.secret_key) == ("pk-lf-org", "sk-lf-org")


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        (contract.ENV_ROTATION_DAYS, "a month", f"{contract.ENV_ROTATION_DAYS}='a month'; allowed: a whole number from 1 to 365"),
        (contract.ENV_ROTATION_DAYS, "0", f"{contract.ENV_ROTATION_DAYS}='0'; allowed: a whole number from 1 to 365"),
        (contract.ENV_ROTATION_OVERLAP_HOURS, "1.5", f"{contract.ENV_ROTATION_OVERLAP_HOURS}='1.5'; allowed: a whole number from 1 to 720"),
        (contract.ENV_ORG_SECRET_KEY, "", f"environment variable {contract.ENV_ORG_SECRET_KEY} is required"),
    ],
)
def test_a_malformed_controller_environment_is_one_line(name, value, message):
    with pytest.raises(SystemExit) as exit_:
        from_environment(CONTROLLER_ENV | {name: value})
    assert str(exit_.value) == f"langfuse-tenant-controller: {message}"


def test_a_malformed_usage_environment_is_one_line():
    env = {
        contract.ENV_MODE: "per-project", contract.ENV_LANGFUSE_API_URL: "http://langfuse-web:3000",
        contract.ENV_LANGFUSE_UI_URL: "https://langfuse.apps.example.com/", contract.ENV_POLL_CONCURRENCY: "lots",
    }
    with pytest.raises(SystemExit) as exit_:
        usage_settings(env)
    assert str(exit_.value) == f"langfuse-usage: {contract.ENV_POLL_CONCURRENCY}='lots'; allowed: a number from 1 to 64"
