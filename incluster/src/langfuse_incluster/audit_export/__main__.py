"""`python -m langfuse_incluster.audit_export`: one export run, as the CronJob starts it. Exits non-zero on any
error (the Job retries; the watermark has not moved past anything not uploaded)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

from langfuse_incluster import contract


def main() -> int:
    import boto3
    from kubernetes import client, config

    from langfuse_incluster.audit_export.export import run_once
    from langfuse_incluster.audit_export.sink import S3Sink
    from langfuse_incluster.audit_export.source import PostgresAuditLogs
    from langfuse_incluster.audit_export.state import ConfigMapState

    env = os.environ
    missing = [name for name in (contract.ENV_AUDIT_BUCKET, contract.ENV_AUDIT_PREFIX, contract.ENV_AUDIT_KMS_KEY_ID, contract.ENV_AUDIT_NAMESPACE) if not env.get(name)]
    if missing:
        print(json.dumps({"level": "error", "msg": f"missing environment: {', '.join(missing)}"}))
        return 2
    config.load_incluster_config()
    # libpq reads PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD, PGSSLMODE and PGSSLROOTCERT from the environment.
    result = run_once(
        PostgresAuditLogs(""),
        S3Sink(boto3.client("s3"), env[contract.ENV_AUDIT_BUCKET], env[contract.ENV_AUDIT_KMS_KEY_ID]),
        ConfigMapState(client.CoreV1Api(), env[contract.ENV_AUDIT_NAMESPACE], contract.AUDIT_EXPORT_NAME),
        env[contract.ENV_AUDIT_PREFIX],
        datetime.now(UTC),
    )
    print(json.dumps({"level": "info", "msg": "exported", "key": result.key, "rows": result.rows, "created": result.created,
                      "watermark": result.watermark.isoformat()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
