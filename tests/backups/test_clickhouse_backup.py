"""ClickHouse backups over two months of schedule: the rendered backup script is run by bash with a stand-in
for clickhouse-client that keeps a backup store the way the server does (a backup needs its base; a name is
written once), which proves the naming and chaining over 240 runs in seconds. The statements themselves,
a lost full, the S3 endpoint config and every restore run in a real ClickHouse in test_clickhouse_chdb.py;
the retention rule is checked against the cycle here."""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest

from components.clickhouse.backup import ClickHouseBackupPolicy, backup_expiry_days
from tests.conftest import container, env_of, find, objects_of, stack_setting

DAY = 86400
# The stand-in for clickhouse-client: executes BACKUP statements against a directory of backups.
CLIENT = Path(__file__).with_name("clickhouse-client-stand-in.sh")


@pytest.fixture(scope="module")
def rendered(plans):
    plan = plans["prod"]
    cron = find(plan, "CronJob", "langfuse-clickhouse-backup")
    script = find(plan, "ConfigMap", "langfuse-clickhouse-backup")["data"]["backup.sh"]
    return plan, cron, script


def _run(script: str, store: Path, now: int, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", "-c", script], env={**env, "BACKUP_NOW": str(now)}, capture_output=True, text=True, timeout=30)


@pytest.fixture
def client(tmp_path) -> dict[str, str]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    path = bin_dir / "clickhouse-client"
    path.write_text(CLIENT.read_text())
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    store = tmp_path / "store"
    store.mkdir()
    return {"PATH": f"{bin_dir}:{os.environ['PATH']}", "STORE": str(store), "CLIENT_CONFIG": "/dev/null", "CLICKHOUSE_HOST": "h", "CLICKHOUSE_PORT": "9440"}


def test_the_cronjob_runs_the_script_on_the_stack_s_schedule_with_the_cycle_length(rendered, stack_files):
    _, cron, _ = rendered
    backup = stack_setting(stack_files, "prod", "dataTier", "clickhouse")["backup"]
    policy = ClickHouseBackupPolicy(backup["intervalHours"], backup["fullEveryDays"], backup["retentionDays"])
    spec = cron["spec"]
    assert spec["schedule"] == policy.schedule() == f"17 */{backup['intervalHours']} * * *"
    assert spec["concurrencyPolicy"] == "Forbid" and spec["timeZone"] == "Etc/UTC"
    job = spec["jobTemplate"]["spec"]
    env = env_of(container({"spec": job}))
    assert env["FULL_EVERY_DAYS"]["value"] == str(backup["fullEveryDays"])
    assert env["BACKUP_URL"]["value"] == "https://acme-langfuse-prod-backups.s3.eu-west-1.amazonaws.com/clickhouse"
    assert env["CLICKHOUSE_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "langfuse-clickhouse", "key": "password"}
    assert env["CLICKHOUSE_PORT"]["value"] == "9440"
    assert cron["metadata"]["labels"]["langfuse-rosa/backup-of"] == "langfuse"


def test_the_servers_write_backups_with_their_role_and_the_bucket_s_kms_key(rendered):
    plan, _, _ = rendered
    chi = find(plan, "ClickHouseInstallation", "langfuse")["spec"]
    endpoint = chi["configuration"]["files"]["config.d/s3-backups.xml"]
    assert "<endpoint>https://acme-langfuse-prod-backups.s3.eu-west-1.amazonaws.com/clickhouse/</endpoint>" in endpoint
    assert "<use_environment_credentials>true</use_environment_credentials>" in endpoint
    key = re.search(r"<server_side_encryption_kms_key_id>(.+)</server_side_encryption_kms_key_id>", endpoint).group(1)
    data_key = next(r for r in plan.resources if r.type == "aws:kms/key:Key" and r.name.endswith("data-key"))
    assert key.startswith("arn:aws:kms:eu-west-1:777788889999:key/") and data_key is not None
    account = chi["templates"]["podTemplates"][0]["spec"]["serviceAccountName"]
    annotations = find(plan, "ServiceAccount", account)["metadata"]["annotations"]
    assert annotations["eks.amazonaws.com/role-arn"].endswith(":role/acme-langfuse-prod-clickhouse-backup")


def test_two_months_of_runs_chain_every_incremental_on_its_cycle_s_full(rendered, client):
    _, cron, script = rendered
    env = {**client, **{e["name"]: e["value"] for e in container({"spec": cron["spec"]["jobTemplate"]["spec"]})["env"] if "value" in e}}
    full_every = int(env["FULL_EVERY_DAYS"])
    interval = int(re.fullmatch(r"17 \*/(\d+) \* \* \*", cron["spec"]["schedule"]).group(1)) * 3600
    store = Path(client["STORE"])
    start = 1_785_000_000  # 2026-07-25, a Saturday, mid-cycle
    taken: dict[str, tuple[int, str]] = {}
    for now in range(start, start + 60 * DAY, interval):
        result = _run(script, store, now, env)
        assert result.returncode == 0, result.stderr
        name = next(n for n in os.listdir(store) if n != "queries" and n not in taken)
        taken[name] = (now, (store / name).read_text().strip())
    fulls = {n: t for n, (t, base) in taken.items() if n.startswith("full-")}
    incrementals = {n: (t, base) for n, (t, base) in taken.items() if n.startswith("incr-")}
    # The first run of the schedule found no full for its cycle and took it; then one full per cycle.
    assert min(taken, key=lambda n: taken[n][0]).startswith("full-")
    assert len(fulls) == len({(t // DAY) // full_every for t in fulls.values()}) == 60 // full_every + 1
    for name, (when, base) in incrementals.items():
        cycle = (when // DAY) - (when // DAY) % full_every
        assert base == f"full-{_date(cycle * DAY)}", name
        assert base in fulls and fulls[base] <= when < fulls[base] + full_every * DAY, name
    queries = (store / "queries").read_text().splitlines()
    url, first = env["BACKUP_URL"], sorted(incrementals)[0]
    assert f"BACKUP DATABASE default ON CLUSTER 'default' TO S3('{url}/{first}') SETTINGS base_backup = S3('{url}/{incrementals[first][1]}')" in queries
    assert f"BACKUP DATABASE default ON CLUSTER 'default' TO S3('{url}/{incrementals[first][1]}')" in queries


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_s3_keeps_every_backup_within_retention_restorable(plans, stack_files, stack):
    backup = stack_setting(stack_files, stack, "dataTier", "clickhouse").get("backup", {})
    policy = ClickHouseBackupPolicy(backup.get("intervalHours", 24), backup.get("fullEveryDays", 7), backup.get("retentionDays", 30))
    rules = next(r for r in plans[stack].resources if r.type.endswith("BucketLifecycleConfiguration") and r.name == "backups").inputs["rules"]
    (rule,) = [r for r in rules if r["id"] == "expire-clickhouse-backups"]
    assert rule["filter"] == {"prefix": "clickhouse/"}
    expiry = rule["expiration"]["days"]
    assert expiry == backup_expiry_days(policy)
    # The oldest backup still within retention is an incremental whose full is up to a cycle older.
    oldest_kept_age = policy.retention_days
    assert oldest_kept_age + policy.full_every_days <= expiry
    assert not objects_of(plans["external"], "CronJob")


def _date(epoch: int) -> str:
    return subprocess.run(["date", "-u", "-d", f"@{epoch}", "+%Y%m%d"], capture_output=True, text=True, check=True).stdout.strip()
