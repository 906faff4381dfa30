"""What a ClickHouse backup policy derives: the CronJob schedule of every interval a stack may set, and how long S3
keeps a backup so that every incremental within retention keeps its full."""

from __future__ import annotations

from typing import get_args

from components.clickhouse.backup import ClickHouseBackupPolicy, backup_expiry_days
from infra.stack_config.cron import _Bounds, _field, cronjob_schedule
from infra.stack_config.data_tier import ClickHouseBackupConfig


def test_every_interval_a_stack_may_set_runs_that_often_at_minute_17():
    intervals = get_args(ClickHouseBackupConfig.model_fields["interval_hours"].annotation)
    assert intervals == (1, 2, 3, 4, 6, 8, 12, 24)
    for hours in intervals:
        schedule = ClickHouseBackupPolicy(hours, 7, 30).schedule()
        assert cronjob_schedule(schedule) == schedule  # what Kubernetes accepts
        minute, hour, *every_day = schedule.split()
        runs = sorted(_field(hour, _Bounds("hour", 0, 23), v3=True).values)
        assert (minute, every_day) == ("17", ["*", "*", "*"])
        assert runs == ([3] if hours == 24 else list(range(0, 24, hours))), schedule


def test_a_backup_outlives_its_retention_by_one_cycle_so_the_last_incrementals_keep_their_full():
    # The full of a cycle is written up to fullEveryDays before the cycle's last incremental.
    assert backup_expiry_days(ClickHouseBackupPolicy(6, 7, 35)) == 42
    assert backup_expiry_days(ClickHouseBackupPolicy(24, 1, 30)) == 31
