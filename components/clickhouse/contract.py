"""What the rest of the deployment knows of the ClickHouse installations Altinity's operator runs (Langfuse's,
and the analytics cluster's): their names, their pods' labels and ports, and the labels of the pods that talk to
them. The flow tables, the operators' catalog, the offline plan and the policy pack read it; the standard
library only. How the ports are served and secured: installation.py."""

from __future__ import annotations

from components.common.labels import recommended_labels

INSTALLATION = "langfuse"  # Langfuse's ClickHouseInstallation, and the name of its ClickHouseKeeperInstallation

HTTPS_PORT = 8443
NATIVE_SECURE_PORT = 9440
KEEPER_SECURE_PORT = 2281
# Replicas fetch parts from each other over the interserver port (ClickHouse's default https one); Keepers
# replicate over Raft (the port Altinity's ClickHouseKeeperInstallation examples set). Both are set
# explicitly so NetworkPolicies match.
INTERSERVER_HTTPS_PORT = 9010
KEEPER_RAFT_PORT = 9444
# The operator's `clickhouse.access.scheme: auto` (its config/config.yaml) picks https on the host's https port
# when the host has no http port, which `insecure: no` leaves unassigned.
OPERATOR_ACCESS_PORT = HTTPS_PORT
# ClickHouse's and Keeper's built-in Prometheus endpoint (the <prometheus> server setting).
METRICS_PORT = 9363

# Labels Altinity's operator puts on the pods it creates (seen on its pods, e.g. clickhouse-backup issue #1025).
CHOP_POD_LABELS = {"clickhouse.altinity.com/app": "chop"}  # every ClickHouse server pod of any installation


def server_labels(installation: str) -> dict[str, str]:
    return {"clickhouse.altinity.com/chi": installation}


def keeper_labels(installation: str) -> dict[str, str]:
    return {"clickhouse-keeper.altinity.com/chk": installation}


def backup_service_account(installation: str) -> str:
    return f"{installation}-clickhouse-backup"


def backup_job(installation: str) -> str:
    """The backup CronJob of an installation (backup.py), which the backup alerts read through kube-state-metrics."""
    return f"{installation}-clickhouse-backup"


def restore_drill_service_account(installation: str) -> str:
    return f"{installation}-clickhouse-restore-drill"


CLIENT_NAME = "clickhouse-client"  # app.kubernetes.io/name of every job pod that runs clickhouse-client


def client_pod_labels(client_name: str) -> dict[str, str]:
    """The pods of the backup and schema jobs that connect to an installation (NetworkPolicies select them)."""
    return {"app.kubernetes.io/name": client_name}


# On every backup CronJob, naming the installation it backs up: the policy pack's clickhouse-backup-scheduled
# looks for it.
BACKUP_OF_LABEL = "langfuse-rosa/backup-of"
# The restore drill restores into a server of its own pod: it reaches S3 and nothing of the serving cluster.
DRILL_LABELS = recommended_labels("clickhouse-restore-drill", "restore-drill", "langfuse")
