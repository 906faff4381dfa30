"""The weekly summary as a real process (`python -m langfuse_incluster.summary`) against the stand-in Langfuse and
the loopback Kubernetes API, posting to a local HTTP sink: the Block Kit payload (built with slack_sdk's models,
parsed back by them) carries the figures; the Markdown record has every project; the recommendations come from
Langfuse's model prices."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from datetime import UTC, datetime

import pytest
from slack_sdk.models.blocks import Block
from usage_world import UsageWorld
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

NOW = datetime(2026, 9, 21, 8, 0, tzinfo=UTC)  # a Monday: the week is Sep 14-20


@pytest.fixture
def slack_sink():
    received: list[dict] = []

    def app(environ, start_response):
        received.append(json.loads(Request(environ).get_data()))
        return Response("ok")(environ, start_response)

    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/services/T000/B000/XXXX", received
    server.shutdown()


def _month(w: UsageWorld) -> None:
    """Sep 1-20: project-growing doubles its spend in the second week and its tokens per trace; project-steady
    spends the same every day on an expensive model; project-small a little."""
    for day in range(1, 21):
        hours_ago = (NOW - datetime(2026, 9, day, 12, tzinfo=UTC)).total_seconds() / 3600
        growing = 20.0 if day >= 14 else 10.0
        tokens = 4000 if day >= 14 else 2000
        for _ in range(3):
            w.spend("project-growing", hours_ago, growing / 3, model="claude-sonnet-4", input_tokens=tokens, output_tokens=tokens // 4)
        for _ in range(2):
            w.spend("project-steady", hours_ago, 15.0, model="gpt-4o", input_tokens=1_000_000, output_tokens=1_250_000)
        w.spend("project-small", hours_ago, 0.25, model="gpt-4o-mini")


def test_the_weekly_summary_posts_block_kit_with_the_figures_and_writes_markdown(tmp_path, slack_sink):
    url, received = slack_sink
    w = UsageWorld(NOW)
    w.add_project("project-growing", budget={"monthlyUsd": 400})
    w.add_project("project-steady", budget={"monthlyUsd": 1000})
    w.add_project("project-small")
    _month(w)
    w.start(tmp_path)
    try:
        out = tmp_path / "summary.md"
        result = subprocess.run(
            [sys.executable, "-m", "langfuse_incluster.summary", "--markdown-out", str(out), "--now", NOW.isoformat()],
            env={**os.environ, **w.environment(SLACK_WEBHOOK_URL=url)}, capture_output=True, text=True, timeout=60,
        )
    finally:
        w.stop()
    assert result.returncode == 0, result.stderr
    assert w.langfuse.violations == []
    assert len(received) == 1
    payload = received[0]
    blocks = [Block.parse(b) for b in payload["blocks"]]  # slack_sdk's models read back what was sent
    assert [b.to_dict() for b in blocks] == payload["blocks"]
    assert payload["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "LLM spend, week 2026-09-14 to 2026-09-20", "emoji": True}}
    text = json.dumps(payload)
    # The week: growing 7 x 20 = 140 (Sep 7-13: 7 x 10 = 70), steady 7 x 30 = 210, small 7 x 0.25; total 351.75
    # against 70 + 210 + 1.75 = 281.75 the week before: +25 %.
    assert "$351.75 (+25% week over week)" in text
    assert "*project-growing*: $140.00 this week (+100% week over week)" in text
    # Month to date (Sep 1-20) and burn: growing 13 x 10 + 7 x 20 = 270 of 400 = 68 %; forecast 270 + 20 a day (the last
    # 7 days' mean) x 9 2/3 days left (from Monday 08:00 to Oct 1) = 463.33.
    assert "month $270.00 = 68% of $400.00, forecast $463.33" in text
    assert "project-growing drove" in text and "of the week's growth in spend" in text
    assert "project-growing: tokens per trace rose 100%" in text
    # gpt-4o -> gpt-4o-mini (OpenAI) for project-steady: 14M input and 17.5M output tokens at 0.15/0.60 per M = 12.60 instead of 210.
    assert "project-steady: the week's gpt-4o tokens would have cost $12.60 on gpt-4o-mini (openai) instead of $210.00" in text
    assert "project-growing: the week's claude-sonnet-4 tokens would have cost $0.15 on claude-haiku-3.5 (anthropic)" in text
    assert "project-small: the week's" not in text  # gpt-4o-mini is already its provider's cheapest
    assert "text-embedding" not in text  # not a chat model's alternative
    markdown = out.read_text()
    assert markdown == result.stdout
    assert "| project-small | $1.75 | +0% |" in markdown
    assert markdown.count("| project-") == 3


def test_without_a_webhook_the_summary_is_markdown_only_and_a_failing_project_is_listed(tmp_path):
    w = UsageWorld(NOW)
    w.add_project("project-ok")
    broken = w.add_project("project-broken")
    w.usage.failing_projects.add(broken.project_id)
    w.spend("project-ok", 30, 2.0)
    w.start(tmp_path)
    try:
        result = subprocess.run(
            [sys.executable, "-m", "langfuse_incluster.summary", "--now", NOW.isoformat()],
            env={**os.environ, **w.environment()}, capture_output=True, text=True, timeout=60,
        )
    finally:
        w.stop()
    assert result.returncode == 0, result.stderr
    assert "## Projects without figures" in result.stdout and "- project-broken: Langfuse answered 500" in result.stdout


def test_a_refused_post_fails_the_job(tmp_path):
    from langfuse_incluster.summary.__main__ import post
    from langfuse_incluster.summary.report import weekly_summary

    def refuse(environ, start_response):
        return Response("invalid_blocks", status=400)(environ, start_response)

    server = make_server("127.0.0.1", 0, refuse)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(SystemExit, match="Slack answered 400: invalid_blocks"):
            post(weekly_summary([], [], (), NOW), f"http://127.0.0.1:{server.server_port}/hook")
    finally:
        server.shutdown()


@pytest.mark.parametrize(("text", "needle"), [("last monday", "is not an ISO 8601 instant"), ("2026-09-21T08:00:00", "has no time zone")])
def test_a_bad_now_is_one_line_and_exit_2(text, needle):
    result = subprocess.run([sys.executable, "-m", "langfuse_incluster.summary", "--now", text], capture_output=True, text=True, timeout=60)
    assert result.returncode == 2 and needle in result.stderr and "Traceback" not in result.stderr
