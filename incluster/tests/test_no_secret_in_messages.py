"""No secret value in a log line: the values that hold a Langfuse secret key leave it out of their repr, so an
error message that lists the pass's actions (or a logged object) never carries one."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from conftest import settings
from langfuse_incluster.controller.langfuse_api import LangfuseClient
from langfuse_incluster.controller.models import LangfuseSpec, LangfuseStatus
from langfuse_incluster.controller.reconcile import Known, run_pass

SECRET = "sk-lf-never-in-a-message"


def test_a_pass_that_does_not_settle_names_its_actions_without_the_secret(standin, secrets):
    known = Known("project-foo", LangfuseSpec(enabled=True), LangfuseStatus(), datetime.now(UTC))
    langfuse = LangfuseClient(standin.url, *standin.org_key, max_retries=0)
    with pytest.raises(RuntimeError) as error:
        run_pass(known, settings(), langfuse, secrets, max_steps=3, key_pair=lambda: ("pk-lf-shown", SECRET))
    message = str(error.value)
    assert "CreateKey(" in message and "WriteSecret(" in message and "pk-lf-shown" in message
    assert SECRET not in message and SECRET not in repr(known)
