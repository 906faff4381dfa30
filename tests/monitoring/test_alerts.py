"""The rendered PrometheusRule, checked and unit-tested by promtool (Debian's Prometheus), and every
runbook_url resolving to a section of a runbook in this repository."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import STACKS, find, project_path
from tests.promtool import check_rules, run_rule_tests

NS = "langfuse"  # prod's namespace


def _rules(plans, stack: str = "prod") -> dict:
    return find(plans[stack], "PrometheusRule", "langfuse-alerts")["spec"]


def _all_rules(spec: dict) -> list[dict]:
    return [rule for group in spec["groups"] for rule in group["rules"]]


@pytest.mark.parametrize("stack", STACKS + ("external",))
def test_promtool_accepts_every_rule(plans, tmp_path, stack):
    result = check_rules(_rules(plans, stack), tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_all_rules(_rules(plans, stack)))} rules found" in result.stdout


def test_every_alert_has_severity_summary_description_and_a_runbook_section(plans):
    rules = _all_rules(_rules(plans))
    assert len(rules) >= 20
    names = [r["alert"] for r in rules]
    assert len(names) == len(set(names))
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], rule["alert"]
        url = rule["annotations"]["runbook_url"]
        match = re.fullmatch(r"https://github\.com/acme/langfuse-rosa/blob/main/(docs/runbooks/[a-z]+\.md)#([a-z]+)", url)
        assert match, url
        runbook = project_path(match.group(1))
        assert runbook.is_file(), url
        headings = {line[3:].strip().lower() for line in runbook.read_text().splitlines() if line.startswith("## ")}
        assert match.group(2) in headings, f"{url}: no section '## {rule['alert']}' in {runbook.name}"


def test_the_issue_s_alerts_are_all_there(plans):
    names = {r["alert"] for r in _all_rules(_rules(plans))}
    assert names >= {
        "LangfuseUnavailable", "LangfuseAutoscalerAtMaximum", "LangfuseIngestionBacklogGrowing",
        "PostgresReplicationLag", "PostgresFailover", "PostgresWalArchivingFailing", "PostgresBackupTooOld",
        "ClickHouseReplicaLag", "ClickHouseReadOnlyReplica", "ClickHouseKeeperQuorumLost",
        "RedisNoMaster", "RedisMemoryNearLimit", "PersistentVolumeFillingUp", "CertificateExpiresSoon",
        "ClickHouseBackupTooOld", "RestoreDrillFailing",
    }


# promtool unit tests: each alert fires on the bad series and stays quiet on the good one.
UNIT_TESTS = [
    {
        "name": "ingestion backlog above the threshold and growing fires; a draining one does not",
        "interval": "1m",
        "input_series": [
            {"series": f'langfuse_queue_depth{{namespace="{NS}",queue="ingestion",type="waiting",shard="all"}}', "values": "8000+200x60"},
            {"series": f'langfuse_queue_depth{{namespace="{NS}",queue="otel_ingestion",type="waiting",shard="all"}}', "values": "20000-200x60"},
        ],
        "alert_rule_test": [
            {
                "eval_time": "30m",
                "alertname": "LangfuseIngestionBacklogGrowing",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", "queue": "ingestion"},
                        "exp_annotations": {
                            "summary": "Langfuse's ingestion queue is above 10000 jobs and growing",
                            "description": "The ingestion backlog is 14000 jobs and still rising: traces reach the UI late. "
                            "The worker autoscaler should be adding replicas.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/langfuse.md#langfuseingestionbackloggrowing",
                        },
                    }
                ],
            }
        ],
    },
    {
        "name": "no master fires; a master present does not",
        "interval": "1m",
        "input_series": [
            {"series": f'redis_instance_info{{namespace="{NS}",pod="langfuse-redis-0",role="slave"}}', "values": "1x10"},
            {"series": f'redis_instance_info{{namespace="{NS}",pod="langfuse-redis-1",role="master"}}', "values": "1 1 _x8"},
        ],
        "alert_rule_test": [
            {"eval_time": "1m", "alertname": "RedisNoMaster", "exp_alerts": []},
            {
                "eval_time": "10m",
                "alertname": "RedisNoMaster",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical", "namespace": NS, "role": "master"},
                        "exp_annotations": {
                            "summary": "No Redis master",
                            "description": "No data node reports the master role: Langfuse cannot enqueue or process jobs.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/redis.md#redisnomaster",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a master that loses its replicas fires; replicas of a replica do not count",
        "interval": "1m",
        "input_series": [
            {"series": f'redis_instance_info{{namespace="{NS}",pod="langfuse-redis-0",role="master"}}', "values": "1x10"},
            {"series": f'redis_connected_slaves{{namespace="{NS}",pod="langfuse-redis-0"}}', "values": "2 2 0x8"},
            {"series": f'redis_instance_info{{namespace="{NS}",pod="langfuse-redis-1",role="slave"}}', "values": "1x10"},
            {"series": f'redis_connected_slaves{{namespace="{NS}",pod="langfuse-redis-1"}}', "values": "0x10"},
        ],
        "alert_rule_test": [
            {"eval_time": "2m", "alertname": "RedisMasterWithoutReplica", "exp_alerts": []},
            {
                "eval_time": "6m",
                "alertname": "RedisMasterWithoutReplica",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical", "pod": "langfuse-redis-0"},
                        "exp_annotations": {
                            "summary": "Redis master langfuse-redis-0 has no replica",
                            "description": "No replica is connected to the master: it refuses writes (min-replicas-to-write), so "
                            "Langfuse cannot enqueue, and a failover now would have nothing to promote.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/redis.md#redismasterwithoutreplica",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "Keeper without a leader fires",
        "interval": "1m",
        "input_series": [
            {"series": f'ClickHouseAsyncMetrics_KeeperIsLeader{{namespace="{NS}",pod="chk-langfuse-keeper-0-0-0"}}', "values": "1 1 0x10"},
            {"series": f'ClickHouseAsyncMetrics_KeeperIsLeader{{namespace="{NS}",pod="chk-langfuse-keeper-0-1-0"}}', "values": "0x12"},
        ],
        "alert_rule_test": [
            {"eval_time": "1m", "alertname": "ClickHouseKeeperQuorumLost", "exp_alerts": []},
            {
                "eval_time": "8m",
                "alertname": "ClickHouseKeeperQuorumLost",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical", "installation": "langfuse"},
                        "exp_annotations": {
                            "summary": "ClickHouse Keeper has no leader",
                            "description": "No Keeper member is leader: the ensemble lost its quorum, replicated tables are read-only.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/clickhouse.md#clickhousekeeperquorumlost",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a base backup older than the window fires; a fresh one does not",
        "interval": "1m",
        "input_series": [
            # Seconds since the epoch of the last backup: stuck at 0 here ...
            {"series": f'barman_cloud_cloudnative_pg_io_last_available_backup_timestamp{{namespace="{NS}",pod="langfuse-postgres-1"}}', "values": "0x1800"},
        ],
        "alert_rule_test": [
            {"eval_time": "20h", "alertname": "PostgresBackupTooOld", "exp_alerts": []},
            {
                "eval_time": "27h",
                "alertname": "PostgresBackupTooOld",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical"},
                        "exp_annotations": {
                            "summary": "The newest PostgreSQL base backup is older than 26 h",
                            "description": "No base backup completed within the window; restores replay ever more WAL and the "
                            "retention policy may drop the last good base.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/postgresql.md#postgresbackuptooold",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a volume with 10 % free fires the warning, not the one-day forecast",
        "interval": "1m",
        "input_series": [
            {"series": f'kubelet_volume_stats_available_bytes{{namespace="{NS}",persistentvolumeclaim="data-langfuse-redis-0"}}', "values": "10x30"},
            {"series": f'kubelet_volume_stats_capacity_bytes{{namespace="{NS}",persistentvolumeclaim="data-langfuse-redis-0"}}', "values": "100x30"},
        ],
        "alert_rule_test": [
            {
                "eval_time": "20m",
                "alertname": "PersistentVolumeFillingUp",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", "namespace": NS, "persistentvolumeclaim": "data-langfuse-redis-0"},
                        "exp_annotations": {
                            "summary": "Volume data-langfuse-redis-0 is over 85 % full",
                            "description": "data-langfuse-redis-0 has 10% free.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/storage.md#persistentvolumefillingup",
                        },
                    }
                ],
            },
            {"eval_time": "20m", "alertname": "PersistentVolumeFullInADay", "exp_alerts": []},
        ],
    },
    {
        "name": "a certificate expiring in 10 days warns, not critically",
        "interval": "1m",
        "input_series": [
            {"series": f'probe_ssl_earliest_cert_expiry{{namespace="{NS}",instance="https://langfuse.example.com/api/public/health"}}', "values": "871200x180"},
        ],
        "alert_rule_test": [
            {
                "eval_time": "2h",
                "alertname": "CertificateExpiresSoon",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", "namespace": NS, "instance": "https://langfuse.example.com/api/public/health"},
                        "exp_annotations": {
                            "summary": "The certificate of https://langfuse.example.com/api/public/health expires in under 14 days",
                            "description": "The certificate chain served at https://langfuse.example.com/api/public/health expires "
                            "10d 0h 0m 0s from now.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/certificates.md#certificateexpiressoon",
                        },
                    }
                ],
            },
            {"eval_time": "2h", "alertname": "CertificateExpiresImminently", "exp_alerts": []},
        ],
    },
    {
        "name": "Redis at 90 % of maxmemory warns, not critically",
        "interval": "1m",
        "input_series": [
            {"series": f'redis_memory_used_bytes{{namespace="{NS}",pod="langfuse-redis-0"}}', "values": "90x20"},
            {"series": f'redis_memory_max_bytes{{namespace="{NS}",pod="langfuse-redis-0"}}', "values": "100x20"},
        ],
        "alert_rule_test": [
            {
                "eval_time": "15m",
                "alertname": "RedisMemoryNearLimit",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", "pod": "langfuse-redis-0"},
                        "exp_annotations": {
                            "summary": "Redis langfuse-redis-0 uses 90% of maxmemory",
                            "description": "With noeviction, Redis refuses writes at the limit and ingestion stops. Drain the "
                            "backlog or raise dataTier.redis.memory.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/redis.md#redismemorynearlimit",
                        },
                    }
                ],
            },
            {"eval_time": "15m", "alertname": "RedisMemoryAtLimit", "exp_alerts": []},
        ],
    },
    {
        "name": "WAL archiving that fails after its last success fires; archiving that recovers clears",
        "interval": "1m",
        "input_series": [
            # Archived at minute 2, failing from minute 3 on (the failure time advances, the success does not).
            {"series": f'cnpg_pg_stat_archiver_last_archived_time{{namespace="{NS}",pod="langfuse-postgres-1"}}', "values": "120x20"},
            {"series": f'cnpg_pg_stat_archiver_last_failed_time{{namespace="{NS}",pod="langfuse-postgres-1"}}', "values": "0 0 0 180+60x17"},
            {"series": f'cnpg_pg_stat_archiver_last_archived_time{{namespace="{NS}",pod="langfuse-postgres-2"}}', "values": "0+60x20"},
            {"series": f'cnpg_pg_stat_archiver_last_failed_time{{namespace="{NS}",pod="langfuse-postgres-2"}}', "values": "30x20"},
        ],
        "alert_rule_test": [
            {"eval_time": "5m", "alertname": "PostgresWalArchivingFailing", "exp_alerts": []},
            {
                "eval_time": "12m",
                "alertname": "PostgresWalArchivingFailing",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical", "namespace": NS, "pod": "langfuse-postgres-1"},
                        "exp_annotations": {
                            "summary": "PostgreSQL cannot archive WAL to S3",
                            "description": "langfuse-postgres-1 failed to archive WAL since its last success: point-in-time "
                            "recovery is stuck in the past and pg_wal fills up.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/postgresql.md#postgreswalarchivingfailing",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a ClickHouse backup CronJob that stopped succeeding fires after two missed runs (prod: every 6 h)",
        "interval": "1m",
        "input_series": [
            # Succeeds every minute for 8 h, then never again.
            {"series": f'kube_cronjob_status_last_successful_time{{namespace="{NS}",cronjob="langfuse-clickhouse-backup"}}', "values": "0+60x480 28800x840"},
        ],
        "alert_rule_test": [
            {"eval_time": "20h", "alertname": "ClickHouseBackupTooOld", "exp_alerts": []},
            {
                "eval_time": "22h",
                "alertname": "ClickHouseBackupTooOld",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "critical", "cronjob": "langfuse-clickhouse-backup"},
                        "exp_annotations": {
                            "summary": "The newest ClickHouse backup is older than 13 h",
                            "description": "The backup CronJob has not succeeded within the window: a restore would lose more "
                            "than the stack's RPO.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/backups.md#clickhousebackuptooold",
                        },
                    }
                ],
            },
        ],
    },
    {
        "name": "a restore drill that has not passed for over 15 days warns",
        # Weeks of series: evaluated every 30 minutes (a file of its own), not every minute.
        "evaluation_interval": "30m",
        "interval": "30m",
        "input_series": [
            {"series": f'kube_cronjob_status_last_successful_time{{namespace="{NS}",cronjob="langfuse-postgres-restore-drill"}}', "values": "0x800"},
            {"series": f'kube_cronjob_status_last_successful_time{{namespace="{NS}",cronjob="langfuse-clickhouse-restore-drill"}}', "values": "0+1800x800"},
        ],
        "alert_rule_test": [
            {"eval_time": "14d", "alertname": "RestoreDrillFailing", "exp_alerts": []},
            {
                "eval_time": "16d",
                "alertname": "RestoreDrillFailing",
                "exp_alerts": [
                    {
                        "exp_labels": {"severity": "warning", "cronjob": "langfuse-postgres-restore-drill"},
                        "exp_annotations": {
                            "summary": "The langfuse-postgres-restore-drill has not passed for over 15 days",
                            "description": "The latest backups have not been proven restorable recently: the drill job fails "
                            "or does not run.",
                            "runbook_url": "https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks/backups.md#restoredrillfailing",
                        },
                    }
                ],
            },
        ],
    },
]


def test_promtool_unit_tests_of_the_important_alerts(plans, tmp_path: Path):
    by_interval: dict[str, list[dict]] = {}
    for test in UNIT_TESTS:
        test = dict(test)
        by_interval.setdefault(test.pop("evaluation_interval", "1m"), []).append(test)
    for interval, tests in by_interval.items():
        result = run_rule_tests(_rules(plans), tests, tmp_path, interval=interval, name=f"tests-{interval}.yaml")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "SUCCESS" in result.stdout + result.stderr
    assert len(UNIT_TESTS) >= 5


def test_promtool_unit_tests_can_fail(plans, tmp_path: Path):
    """The harness is live: the same backlog test, expecting silence, fails."""
    wrong = {**UNIT_TESTS[0], "alert_rule_test": [{**UNIT_TESTS[0]["alert_rule_test"][0], "exp_alerts": []}]}
    result = run_rule_tests(_rules(plans), [wrong], tmp_path)
    assert result.returncode != 0
