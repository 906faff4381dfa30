"""The unit layer: pure functions of the package, mirrored by path (tests/unit/components/aws/test_policy_documents.py
tests components/aws/policy_documents.py). It runs on its own (`pytest tests/unit`) in seconds because nothing here
plans a stack: the shared conftest above builds its plans only for a test that asks for them, and this refuses to
collect a unit test that does. A test that needs a plan belongs to the whole-plan tests one folder up."""

from __future__ import annotations

from pathlib import Path

import pytest

UNIT = Path(__file__).parent
PLAN_FIXTURES = {"plans"}  # tests/conftest.py: every stack planned by the real program


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    planning = [item.nodeid for item in items if UNIT in item.path.parents and PLAN_FIXTURES & set(getattr(item, "fixturenames", ()))]
    if planning:
        raise pytest.UsageError(f"unit tests may not plan a stack (fixtures {sorted(PLAN_FIXTURES)}): {', '.join(planning)}")
