"""`langfuse-rosa restore`: the manifests it renders for prod (schema-valid, their decisive fields), the steps it
prints, its one-line errors; and the recovery objectives `plan` prints."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import yaml

from infra.offline_plan.plan import PROJECT_ROOT
from infra.offline_plan.reachability import reachability
from infra.offline_plan.render import RenderedObject
from infra.offline_plan.validation import SchemaCatalog
from infra.restore import clickhouse_restore, postgres_restore
from infra.stack_config import ConfigError
from tests.conftest import find, stack_setting
from tests.shellcheck import shellcheck_text

STACKS_DIR = PROJECT_ROOT / "stacks"
TARGET = datetime(2026, 11, 26, 3, 45, tzinfo=UTC)


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "infra.cli", *args], capture_output=True, text=True, timeout=120, cwd=PROJECT_ROOT)


@pytest.fixture(scope="module")
def postgres_plan():
    return postgres_restore("prod", TARGET, STACKS_DIR, PROJECT_ROOT)


def test_the_postgres_recovery_cluster_replaces_the_cluster_from_its_own_backups(plans, postgres_plan):
    (manifest,) = postgres_plan.manifests.values()
    live = find(plans["prod"], "Cluster", "langfuse-postgres")
    spec = manifest["spec"]
    assert manifest["metadata"]["name"] == live["metadata"]["name"]  # same Services, service account and IAM role
    recovery = spec["bootstrap"]["recovery"]
    assert recovery["recoveryTarget"] == {"targetTime": "2026-11-26 03:45:00+00:00"}
    assert recovery["secret"] == live["spec"]["bootstrap"]["initdb"]["secret"] and recovery["database"] == "langfuse"
    # The Barman Cloud Plugin reads the backups from the live cluster's ObjectStore, under its folder...
    (source,) = [c for c in spec["externalClusters"] if c["name"] == recovery["source"]]
    (live_archiver,) = live["spec"]["plugins"]
    store = live_archiver["parameters"]["barmanObjectName"]
    assert find(plans["prod"], "ObjectStore", store)["spec"]["configuration"]["destinationPath"] == "s3://acme-langfuse-prod-backups/postgres"
    assert source["plugin"] == {"name": "barman-cloud.cloudnative-pg.io", "parameters": {"barmanObjectName": store, "serverName": "langfuse-postgres"}}
    assert live_archiver["parameters"]["serverName"] == "langfuse-postgres"
    # ...and the restored cluster archives elsewhere: CloudNativePG refuses to write into the archive it restores from.
    (archiver,) = spec["plugins"]
    assert archiver == {**live_archiver, "parameters": {"barmanObjectName": store, "serverName": "langfuse-postgres-r202611260345"}}
    assert {k: v for k, v in spec.items() if k not in ("bootstrap", "externalClusters", "plugins")} == {
        k: v for k, v in live["spec"].items() if k not in ("bootstrap", "plugins")
    }
    assert SchemaCatalog(PROJECT_ROOT / "schemas").validate(manifest).errors == ()
    assert postgres_plan.stack_change == {
        "langfuse-rosa:dataTier": {
            "postgres": {
                "backup": {"serverName": "langfuse-postgres-r202611260345"},
                "recovery": {"sourceServerName": "langfuse-postgres", "targetTime": "2026-11-26T03:45:00+00:00"},
            }
        }
    }


def test_the_restore_drill_follows_the_new_server_name_after_a_restore(tmp_path, stack_files):
    document = yaml.safe_load((STACKS_DIR / "Pulumi.prod.yaml").read_text())
    document["config"]["langfuse-rosa:dataTier"]["postgres"].update(
        {"backup": {"serverName": "langfuse-postgres-r1"}, "recovery": {"sourceServerName": "langfuse-postgres"}}
    )
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document))
    from infra.offline_plan.plan import build_plan

    plan = build_plan("prod", tmp_path)
    drill = find(plan, "CronJob", "langfuse-postgres-restore-drill")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    env = {e["name"]: e["value"] for e in drill["containers"][0]["env"]}
    assert env["SERVER_NAME"] == "langfuse-postgres-r1"
    assert "recoveryTarget" not in find(plan, "Cluster", "langfuse-postgres")["spec"]["bootstrap"]["recovery"]


def test_restoring_into_the_archive_being_restored_is_refused(tmp_path):
    document = yaml.safe_load((STACKS_DIR / "Pulumi.prod.yaml").read_text())
    document["config"]["langfuse-rosa:dataTier"]["postgres"]["recovery"] = {"sourceServerName": "langfuse-postgres"}
    (tmp_path / "Pulumi.prod.yaml").write_text(yaml.safe_dump(document))
    from infra.offline_plan.plan import build_plan

    with pytest.raises(ConfigError) as caught:
        build_plan("prod", tmp_path)
    assert caught.value.lines == [
        "stack 'prod': langfuse-rosa:dataTier.postgres.recovery is invalid: needs backup.serverName different from "
        "recovery.sourceServerName: CloudNativePG refuses to archive into the backups it restores from"
    ]


def test_the_clickhouse_restore_job_restores_into_a_side_database_with_the_backup_job_s_pod(plans, tmp_path):
    result = clickhouse_restore("prod", "incr-20261126T031700Z", STACKS_DIR, PROJECT_ROOT)
    config_map, job = result.manifests.values()
    script = config_map["data"]["restore.sh"]
    assert shellcheck_text({"restore.sh": script}, tmp_path) == []
    url = "https://acme-langfuse-prod-backups.s3.eu-west-1.amazonaws.com/clickhouse"
    assert "RESTORE DATABASE default AS restored_incr_20261126t031700z ON CLUSTER 'default' FROM S3('$BACKUP_URL/incr-20261126T031700Z')" in script
    pod = job["spec"]["template"]["spec"]
    backup_pod = find(plans["prod"], "CronJob", "langfuse-clickhouse-backup")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert pod["containers"][0]["command"] == ["/bin/bash", "/scripts/restore.sh"]
    assert pod["containers"][0]["env"] == backup_pod["containers"][0]["env"]
    assert {e["name"]: e.get("value") for e in pod["containers"][0]["env"]}["BACKUP_URL"] == url
    assert next(v for v in pod["volumes"] if v["name"] == "scripts")["configMap"]["name"] == config_map["metadata"]["name"]
    catalog = SchemaCatalog(PROJECT_ROOT / "schemas")
    assert [catalog.validate(m).errors for m in result.manifests.values()] == [(), ()]
    # The prod NetworkPolicies let the Job reach ClickHouse's native TLS port, and nothing else of the data tier.
    rendered = RenderedObject(component="restore", type="kubernetes:batch/v1:Job", manifest=job)
    matrix = reachability([*plans["prod"].objects, rendered]).allowed
    reached = {(dst, port) for src, dst, port in matrix if src == "clickhouse-client-restore"}  # a Job is named by its labels
    assert ("ClickHouseInstallation/langfuse", "9440/TCP") in reached
    assert {dst for dst, _ in reached} == {"ClickHouseInstallation/langfuse", "openshift-dns"}
    assert any("EXCHANGE TABLES default.<table> AND restored_incr_20261126t031700z.<table>" in step for step in result.steps)


def test_the_cli_writes_the_manifests_and_prints_the_steps_in_order(tmp_path):
    # A time inside the recovery window (retentionDays) and in the past: what the CLI accepts.
    target = (datetime.now(UTC) - timedelta(days=2)).replace(microsecond=0).isoformat()
    result = _cli("restore", "postgres", "--stack", "prod", "--target-time", target, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "cluster-langfuse-postgres.yaml").is_file()
    assert (tmp_path / "steps.md").read_text().startswith("# Steps, in order\n\n1. Set in stacks/Pulumi.prod.yaml")
    steps = [line for line in result.stdout.splitlines() if line[:2] in {f"{n}." for n in range(1, 10)}]
    assert [s.split(" ", 2)[1] for s in steps] == ["Set", "Stop", "Delete", "Create", "Wait", "Check", "Start", "Take"]
    assert "sourceServerName: langfuse-postgres" in result.stdout


@pytest.mark.parametrize(
    "args, error",
    [
        (
            ["postgres", "--stack", "prod", "--target-time", "2026-11-26 03:45"],
            "error: stack 'prod': --target-time = '2026-11-26 03:45' is invalid: an ISO 8601 time with an offset, like 2026-11-26T03:45:00+00:00",
        ),
        (
            ["clickhouse", "--stack", "prod", "--backup", "latest"],
            "error: stack 'prod': --backup = 'latest' is invalid: a backup name, full-YYYYMMDD or incr-YYYYMMDDTHHMMSSZ",
        ),
        (
            ["clickhouse", "--stack", "external", "--stacks-dir", "examples/stacks", "--backup", "full-20261122"],
            "error: stack 'external': langfuse-rosa:backend.mode is external: its stores are managed outside the cluster, so restore them with their provider's tools",
        ),
    ],
)
def test_bad_restore_input_is_one_line_naming_the_stack(args, error):
    result = _cli("restore", *args)
    assert result.returncode == 2
    assert result.stderr.strip() == error and result.stdout == ""


def test_recovery_objectives_follow_each_stack_s_settings(plans, stack_files):
    prod = {(r.store, r.failure.split(" (")[0]): r for r in plans["prod"].objectives}
    assert prod["PostgreSQL", "the cluster, or bad data"].rpo.startswith("5min (archive_timeout")
    assert prod["ClickHouse", "the cluster, or bad data"].rpo.startswith("6 h (BACKUP every 6 h; full every 7 days)")
    assert prod["ClickHouse", "the cluster, or bad data"].retention == "35 days (S3 expires after 42)"
    assert ("All stores", "the region") in prod
    dev = {(r.store, r.failure.split(" (")[0]): r for r in plans["dev"].objectives}
    assert stack_setting(stack_files, "dev", "dataTier", "postgres")["backup"]["rpoMinutes"] == 15
    assert dev["PostgreSQL", "the cluster, or bad data"].rpo.startswith("15min")
    assert dev["ClickHouse", "the cluster, or bad data"].rpo.startswith("24 h")
    assert ("All stores", "the region") not in dev
    assert plans["external"].objectives == ()


def test_steps_mention_object_lock_only_where_the_bucket_has_it_and_say_oc_cnpg_is_a_plugin(postgres_plan):
    prod = " ".join(postgres_plan.steps)
    assert "its backups in S3 stay, under object lock (35 days), and so does its ObjectStore" in prod
    assert "CloudNativePG's kubectl plugin (`oc cnpg`, installed apart" in prod
    staging = " ".join(postgres_restore("staging", None, STACKS_DIR, PROJECT_ROOT).steps)
    assert "object lock" not in staging and "its backups in S3 stay, and so does its ObjectStore" in staging
