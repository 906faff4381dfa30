"""Rendered by langfuse-rosa (components/postgres/restore_drill.py), run by the Barman Cloud sidecar image.
  restore-base  restore the newest completed base backup that began before TARGET_TIME (else the newest) into
                WORKDIR/data, then write WORKDIR/base-restored ("<backup id> <start epoch>")
  serve-wal     until WORKDIR/drill-finished exists, answer each WORKDIR/wal/<name>.want with WORKDIR/wal/<name>
                (barman-cloud-wal-restore) or WORKDIR/wal/<name>.rc (its exit code; 1: not in the archive)
"""
import json
import os
import subprocess
import sys
import time
from datetime import timezone
from pathlib import Path

from dateutil import parser

WORKDIR = Path(os.environ["WORKDIR"])
CLOUD = os.environ["BARMAN_CLOUD_ARGS"].split()
STORE = [os.environ["DESTINATION"], os.environ["SERVER_NAME"]]


def when(text):  # the servers run in UTC; a time without an offset is UTC
    moment = parser.parse(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def restore_base():
    started = int(time.time())
    listing = subprocess.run(
        ["barman-cloud-backup-list", *CLOUD, "--format", "json", *STORE], check=True, capture_output=True, text=True
    ).stdout
    target = when(os.environ["TARGET_TIME"]) if os.environ.get("TARGET_TIME") else None
    began = lambda backup: when(backup.get("begin_time_iso") or backup["begin_time"])  # noqa: E731
    done = [b for b in json.loads(listing)["backups_list"] if b.get("status") == "DONE"]
    usable = [b for b in done if target is None or began(b) < target]
    if not usable:
        sys.exit("no completed base backup" + (f" before {target}" if target else ""))
    backup = max(usable, key=began)["backup_id"]
    print(f"restoring base backup {backup}", flush=True)
    subprocess.run(["barman-cloud-restore", *CLOUD, *STORE, backup, str(WORKDIR / "data")], check=True)
    (WORKDIR / "base-restored").write_text(f"{backup} {started}\n")


def serve_wal():
    wal = WORKDIR / "wal"
    wal.mkdir(exist_ok=True)
    parallel = int(os.environ.get("WAL_RESTORE_PARALLEL", "1"))
    prefetch = ["--parallel", str(parallel), "--spool-dir", str(WORKDIR / "wal-spool")] if parallel > 1 else []
    while not (WORKDIR / "drill-finished").exists():
        for want in sorted(wal.glob("*.want")):
            name = want.name[: -len(".want")]
            part = wal / f"{name}.part"
            code = subprocess.run(["barman-cloud-wal-restore", *CLOUD, *prefetch, *STORE, name, str(part)]).returncode
            if code == 0:
                part.rename(wal / name)
            else:
                (wal / f"{name}.rc.part").write_text(f"{code}\n")
                (wal / f"{name}.rc.part").rename(wal / f"{name}.rc")
            want.unlink()
        time.sleep(0.1)


{"restore-base": restore_base, "serve-wal": serve_wal}[sys.argv[1]]()
