"""The score gate's three outcomes through the SDK's v2 metrics call, against the stand-in's `scores-numeric` view:
scores of other names, outside the window or categorical are not counted."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from langfuse_incluster.verify.errors import StepFailed
from langfuse_incluster.verify.gate import GateSettings, parse_window, run_gate, scores_query

NOW = datetime.now(UTC).replace(microsecond=0)


def _seed(langfuse, values, name="helpfulness", age=timedelta(hours=1)):
    for value in values:
        langfuse.ingestion.add_score(langfuse.project.id, name, value, NOW - age)


@pytest.fixture
def scored(langfuse):
    # Noise the gate must not count: another score, scores older than the window, a categorical score.
    _seed(langfuse, [0.0] * 20, name="toxicity")
    _seed(langfuse, [0.0] * 20, age=timedelta(hours=30))
    langfuse.ingestion.add_score(langfuse.project.id, "helpfulness", 0.0, NOW - timedelta(hours=1), data_type="CATEGORICAL")
    return langfuse


def _gate(connection, project="verification", minimum=0.8, min_count=10):
    return run_gate(connection, GateSettings(project, "helpfulness", minimum, timedelta(hours=24), min_count), now=NOW)


def test_the_gate_passes_at_or_above_the_bar(scored, connection):
    _seed(scored, [0.9] * 8 + [0.7] * 4)
    result = _gate(connection)
    assert (result.outcome, result.count) == ("passed", 12) and result.average == pytest.approx((0.9 * 8 + 0.7 * 4) / 12)
    assert result.passed
    assert result.line() == (
        f"score helpfulness in project verification since {(NOW - timedelta(hours=24)).isoformat(timespec='minutes')}: "
        "12 scores, average 0.8333; bar 0.8 over at least 10 scores: passed"
    )


def test_the_gate_fails_below_the_bar(scored, connection):
    _seed(scored, [0.5] * 12)
    result = _gate(connection)
    assert (result.outcome, result.count, result.average) == ("below the bar", 12, 0.5) and not result.passed
    assert result.line().endswith("12 scores, average 0.5; bar 0.8 over at least 10 scores: below the bar")


def test_the_gate_fails_with_too_few_scores_however_good(scored, connection):
    _seed(scored, [1.0] * 3)
    result = _gate(connection)
    assert (result.outcome, result.count) == ("too few scores", 3) and not result.passed


def test_no_score_at_all_is_too_few(langfuse, connection):
    result = _gate(connection)
    assert (result.outcome, result.count, result.average) == ("too few scores", 0, None)
    assert "0 scores, no average" in result.line()


def test_a_key_of_another_project_is_refused(langfuse, connection):
    with pytest.raises(StepFailed, match=r"^the key belongs to project verification \(proj-\d+\), not release-evals: gate with a key of the project it judges$"):
        _gate(connection, project="release-evals")


def test_the_project_may_be_named_by_its_id(scored, connection):
    _seed(scored, [0.9] * 10)
    assert _gate(connection, project=scored.project.id).passed


def test_the_query_asks_the_scores_numeric_view_for_avg_and_count_of_one_score():
    query = scores_query("helpfulness", NOW - timedelta(days=7), NOW)
    assert query["view"] == "scores-numeric"
    assert query["metrics"] == [{"measure": "value", "aggregation": "avg"}, {"measure": "count", "aggregation": "count"}]
    assert query["filters"] == [{"column": "name", "operator": "=", "value": "helpfulness", "type": "string"}]
    assert query["fromTimestamp"].endswith("Z") and json.dumps(query)


@pytest.mark.parametrize("text, expected", [("30m", timedelta(minutes=30)), ("24h", timedelta(hours=24)), ("7d", timedelta(days=7)),
                                            ("24", None), ("0h", None), ("1w", None), ("h", None)])  # fmt: skip
def test_windows(text, expected):
    assert parse_window(text) == expected


def test_the_stand_in_holds_a_scores_query_to_the_server_s_query_schema(langfuse):
    # The scores view's queries meet the same MetricsQueryObjectV2 check as the usage endpoints' (standin_usage).
    query = scores_query("helpfulness", NOW - timedelta(hours=1), NOW) | {"metrics": [{"measure": "value", "aggregation": "mean"}]}
    answer = httpx.get(
        f"{langfuse.url}/api/public/v2/metrics", params={"query": json.dumps(query)}, auth=(langfuse.key.public_key, langfuse.key.secret_key)
    )
    assert answer.status_code == 400 and answer.json()["message"].startswith("Invalid request data: metrics.0.aggregation: 'mean' is not one of")
