"""The Barman Cloud Plugin's ObjectStore: where a cluster's WAL archive and base backups go, and how.

The plugin replaces CloudNativePG's in-tree `barmanObjectStore` (deprecated since 1.26, removed in 1.31).
`.spec.configuration` keeps the in-tree schema (barman-cloud's BarmanObjectStoreConfiguration), the retention
policy moves from the Cluster to here, and the folder (serverName) is a plugin parameter on the Cluster, never
the store's (plugin-barman-cloud docs v0.14.0, "Migrating from Built-in CloudNativePG Backup" and "Using the
Barman Cloud Plugin"). The plugin's sidecar runs barman-cloud-* with flags derived from this configuration
(cloudnative-pg/barman-cloud pkg/archiver/command.go, pkg/backup/backup.go), which the PITR drill in the tests
derives the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.postgres.contract import BARMAN_CLOUD_PLUGIN


@dataclass(frozen=True)
class ObjectStoreSettings:
    destination: str  # s3://bucket/prefix
    retention_days: int
    kms_key_arn: pulumi.Input[str]
    wal_max_parallel: int = 4  # WAL files archived (and restored) at once
    backup_jobs: int = 2  # parallel uploads of a base backup


def sse_kms_args(kms_key_arn: pulumi.Input[str]) -> list:
    """Barman Cloud's uploads name the bucket's key: with `-e aws:kms` alone boto3 sends no key id and S3 uses
    the AWS managed key aws/s3, which the bucket policy refuses. barman-cloud-wal-archive and barman-cloud-backup
    take --sse-kms-key-id (barman/clients/cloud_walarchive.py, cloud_backup.py) and pass it as SSEKMSKeyId on
    PutObject and CreateMultipartUpload (barman/cloud_providers/aws_s3.py, _extra_upload_args); the plugin's
    sidecar appends these arguments to the commands (cloudnative-pg/barman-cloud at 950b0f57: pkg/api/config.go
    Append*AdditionalCommandArgs, called by pkg/archiver/command.go and pkg/backup/backup.go)."""
    return [pulumi.Output.from_input(kms_key_arn).apply(lambda arn: f"--sse-kms-key-id={arn}")]


def object_store_spec(s: ObjectStoreSettings) -> dict:
    key_args = sse_kms_args(s.kms_key_arn)
    return {
        "configuration": {
            "destinationPath": s.destination,
            # The pod identity webhook gives every container of the instance pod, the plugin's sidecar (an init
            # container) included, the backup role's web identity (amazon-eks-pod-identity-webhook
            # pkg/handler/handler.go mutates InitContainers too).
            "s3Credentials": {"inheritFromIAMRole": True},
            "wal": {"compression": "gzip", "encryption": "aws:kms", "maxParallel": s.wal_max_parallel, "archiveAdditionalCommandArgs": key_args},
            "data": {"compression": "gzip", "encryption": "aws:kms", "jobs": s.backup_jobs, "additionalCommandArgs": key_args},
        },
        "retentionPolicy": f"{s.retention_days}d",
        # The sidecar compresses and uploads base backups: its own bounds, not the database's.
        "instanceSidecarConfiguration": {
            "resources": {"requests": {"cpu": "100m", "memory": "256Mi"}, "limits": {"cpu": "2", "memory": "1Gi"}}
        },
    }


def wal_archiver(store: str, server_name: str) -> dict:
    """The Cluster's `.spec.plugins` entry: archive WAL and take base backups into `store`, under `server_name`."""
    return {"name": BARMAN_CLOUD_PLUGIN, "isWALArchiver": True, "parameters": {"barmanObjectName": store, "serverName": server_name}}


def recovery_source(store: str, server_name: str) -> dict:
    """An external cluster's `plugin`: the backups in `store` under `server_name`, read only."""
    return {"name": BARMAN_CLOUD_PLUGIN, "parameters": {"barmanObjectName": store, "serverName": server_name}}
