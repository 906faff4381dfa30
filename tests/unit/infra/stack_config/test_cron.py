"""Schedules as robfig/cron (what the CronJob controller parses with) reads them, and as Kubernetes accepts them."""

from __future__ import annotations

import pytest

from infra.stack_config.cron import CronError, _Bounds, _field, cronjob_schedule


@pytest.mark.parametrize(
    "field, low, high, values",
    # robfig/cron v3.0.1 parser_test.go TestRange/TestField, as sets ("" where robfig returns an error).
    [("5", 0, 7, {5}), ("5-7/2", 0, 7, {5, 7}), ("*", 1, 3, {1, 2, 3}), ("*/2", 1, 3, {1, 3}), ("1,5-7/2,3", 1, 7, {1, 3, 5, 7}),
     ("5--5", 0, 0, ""), ("jan-x", 0, 0, ""), ("2-x", 1, 5, ""), ("*/-12", 0, 0, ""), ("*//2", 0, 0, ""), ("1", 3, 5, ""),
     ("6", 3, 5, ""), ("5-3", 3, 5, ""), ("*/0", 0, 0, "")],
)  # fmt: skip
def test_cron_fields_parse_as_robfig_cron_parses_them(field, low, high, values):
    bounds = _Bounds("field", low, high)
    if values == "":
        with pytest.raises(CronError):
            _field(field, bounds, v3=True)
    else:
        assert _field(field, bounds, v3=True).values == values


@pytest.mark.parametrize(
    "schedule, accepted",
    [("0 5 * * 6", True), ("@daily", True), ("@every 1h30m", True), ("*/15 2-4 ? jan-mar mon-fri", True), ("+5 * * * *", True),
     ("0 5 * * 7", False), ("61 * * * *", False), ("0 0 0 5 * *", False), ("CRON_TZ=UTC 0 5 * * 6", False), ("@every", False),
     ("@fortnightly", False), ("0 0 31 4 *", False), ("0 0 29 2 1", True)],
)  # fmt: skip
def test_cronjob_schedules_are_what_kubernetes_accepts(schedule, accepted):
    try:
        cronjob_schedule(schedule)
        assert accepted
    except CronError:
        assert not accepted
