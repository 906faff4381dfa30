"""What the rest of the deployment knows of Langfuse's PostgreSQL: the CloudNativePG Cluster's name, its pods'
labels and ports, the connections the operator holds (the connection budget counts them), the Barman Cloud
Plugin's name and the restore drill's pods. The standard library only."""

from __future__ import annotations

from components.common.labels import recommended_labels

CLUSTER_NAME = "langfuse-postgres"  # the CloudNativePG Cluster's name (and its instances' service account's)

PORT = 5432
# CloudNativePG's instance manager: the operator polls each instance's status on 8000, Prometheus scrapes
# 9187 (CloudNativePG docs, "Instance manager" and "Monitoring").
STATUS_PORT = 8000
METRICS_PORT = 9187
# Connections CloudNativePG's instance manager opens on every instance: at most 3 per database in each of its
# pools (pkg/management/postgres/pool/pool.go, 1.30). As the postgres superuser (probes, role and replication-slot
# reconciliation) in postgres, template1 and the application database: superuser_reserved_connections keeps
# those slots from ordinary roles (PostgreSQL docs, "Connections and Authentication"); PostgreSQL's default of 3
# would let a full application pool starve the operator's probes.
SUPERUSER_RESERVED_CONNECTIONS = 9
# As cnpg_metrics_exporter, an ordinary role with pg_monitor (pkg/management/postgres/metrics_exporter_role.go):
# the default queries read postgres and, for one query, every database (target_databases '*'): postgres and
# langfuse. Replication connections are not counted: WAL senders have their own slots since PostgreSQL 12.
METRICS_EXPORTER_CONNECTIONS = 6

# Labels the operator puts on every instance pod (CloudNativePG docs, "Labels and annotations").
INSTANCE_ROLE = {"cnpg.io/podRole": "instance"}


def cluster_labels(cluster: str) -> dict[str, str]:
    """A Cluster's instances and the operator's jobs for it."""
    return {"cnpg.io/cluster": cluster}


def instance_labels(cluster: str) -> dict[str, str]:
    return {**cluster_labels(cluster), **INSTANCE_ROLE}


# The CNPG-I plugin that archives WAL and takes base backups (the cluster layer deploys it; the policy pack's
# backup rules look for it on every Cluster).
BARMAN_CLOUD_PLUGIN = "barman-cloud.cloudnative-pg.io"
DRILL_LABELS = recommended_labels("postgres-restore-drill", "restore-drill", "langfuse")
