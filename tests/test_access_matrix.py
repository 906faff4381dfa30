"""The AWS access matrix: every request that reaches the rendered buckets, keys, roles and topics, decided by
Principal Mapper against the rendered policies, must come out as intended here, row by row, in every stack;
iam-simulate (tests/iam_simulate.py), a second, maintained evaluator that also validates each request against
AWS's IAM data, must decide every row the same; every policy document the plan renders must be exercised both
ways; and the policies this project shipped before (IfExists denies, object-ARN encryption context, a replication
trust without a source) must fail the matrix under both evaluators."""

from __future__ import annotations

import copy
import dataclasses
import json

import pytest

from infra.offline_plan.access_matrix import access_matrix, policy_index
from infra.offline_plan.access_requests import Catalogue
from infra.offline_plan.plan import ACCESS_FILE
from tests.conftest import CLUSTER_STACKS, STACKS
from tests.iam_simulate import disagreements, keyed, second_opinions

ALLOW, DENY = True, False

# every environment stack
COMMON = {
    'external-secrets: Decrypt directly (not through Secrets Manager)': DENY,
    'external-secrets: Decrypt through Secrets Manager': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-app-secrets': ALLOW,
    "external-secrets: GetSecretValue of another team's secret": DENY,
    'log delivery: a foreign bucket logs into access-logs': DENY,
    'log delivery: events logs into access-logs': ALLOW,
    'log delivery: exports logs into access-logs': ALLOW,
    'log delivery: media logs into access-logs': ALLOW,
    'other account: Decrypt with key data-key': DENY,
    'other account: Decrypt with key secrets-key': DENY,
    'other account: GetObject from access-logs': DENY,
    'other account: GetObject from events': DENY,
    'other account: GetObject from exports': DENY,
    'other account: GetObject from media': DENY,
    "sts: another service account assumes langfuse-external-secrets's role": DENY,
    "sts: another service account assumes langfuse-web's role": DENY,
    "sts: another service account assumes langfuse-worker's role": DENY,
    'sts: langfuse-external-secrets assumes its role': ALLOW,
    "sts: langfuse-external-secrets's token for another audience": DENY,
    'sts: langfuse-web assumes its role': ALLOW,
    "sts: langfuse-web's token for another audience": DENY,
    'sts: langfuse-worker assumes its role': ALLOW,
    "sts: langfuse-worker's token for another audience": DENY,
    'web: batch export download GetObject': ALLOW,
    'web: delete an event (web never deletes)': DENY,
    'web: ingestion event upload PutObject': ALLOW,
    'web: ingestion event upload asking for SSE-S3 (AES256)': DENY,
    'web: ingestion event upload over plain HTTP': DENY,
    'web: kms:GenerateDataKey (SSE-KMS, via S3)': ALLOW,
    'web: media download GetObject': ALLOW,
    'web: media kms:Decrypt (SSE-KMS, via S3)': ALLOW,
    'web: media upload through a presigned PutObject': ALLOW,
    'worker: batch export AbortMultipartUpload': ALLOW,
    'worker: batch export CompleteMultipartUpload': ALLOW,
    'worker: batch export CreateMultipartUpload': ALLOW,
    'worker: batch export UploadPart': ALLOW,
    'worker: blob-storage integration export PutObject (no SSE header)': ALLOW,
    'worker: event delete DeleteObject': ALLOW,
    'worker: event kms:Decrypt (SSE-KMS, via S3)': ALLOW,
    'worker: event list ListBucket (another prefix)': DENY,
    'worker: event list ListBucket (its prefix)': ALLOW,
    'worker: event read GetObject': ALLOW,
    'worker: export kms:GenerateDataKey (SSE-KMS, via S3)': ALLOW,
    'worker: media delete DeleteObject': ALLOW,
}
# every environment stack: the trail, its bucket and key, its CloudWatch Logs copy and alarms
AUDIT = {
    'alerts: a foreign alarm publishes to audit-alerts': DENY,
    'alerts: alarm audit-BucketPolicyChanged publishes': ALLOW,
    'alerts: alarm audit-KeyDeletionScheduled publishes': ALLOW,
    'alerts: alarm audit-SecretReadRefused publishes': ALLOW,
    "cloudtrail: another trail's GetBucketAcl": DENY,
    'cloudtrail: GetBucketAcl of its bucket': ALLOW,
    'cloudtrail: PutObject a digest file (SSE-S3)': ALLOW,
    'cloudtrail: PutObject a log file': ALLOW,
    'cloudtrail: PutObject a log file asking for SSE-S3': DENY,
    'cloudtrail: PutObject a log file without bucket-owner-full-control': DENY,
    'cloudtrail: another trail assumes the CloudWatch Logs role': DENY,
    'cloudtrail: another trail delivers into the bucket': DENY,
    'cloudtrail: assumes its CloudWatch Logs role': ALLOW,
    'cloudtrail: kms:Decrypt': DENY,
    'cloudtrail: kms:DescribeKey': ALLOW,
    "cloudtrail: kms:GenerateDataKey for another account's trail": DENY,
    'cloudtrail: kms:GenerateDataKey for its log files': ALLOW,
    'cloudtrail logs: PutLogEvents into another log group': DENY,
    'cloudtrail logs: logs:CreateLogStream': ALLOW,
    'cloudtrail logs: logs:PutLogEvents': ALLOW,
    'cloudwatch logs: kms:Decrypt for another log group with the key of cloudtrail': DENY,
    'cloudwatch logs: kms:GenerateDataKey for log group cloudtrail': ALLOW,
    'log delivery: audit logs into access-logs': ALLOW,
    'other account: Decrypt with key audit-key': DENY,
    'other account: GetObject from audit': DENY,
}
# stacks whose stores run in the cluster (dev, staging, prod)
IN_CLUSTER_STORES = {
    'other account: GetObject from backups': DENY,
    'log delivery: backups logs into access-logs': ALLOW,
    'barman: HeadBucket (ListBucket, no prefix)': ALLOW,
    'barman: barman-cloud-backup CompleteMultipartUpload': ALLOW,
    'barman: barman-cloud-backup CreateMultipartUpload': ALLOW,
    'barman: barman-cloud-backup UploadPart': ALLOW,
    'barman: barman-cloud-wal-archive CompleteMultipartUpload': ALLOW,
    'barman: barman-cloud-wal-archive CreateMultipartUpload': ALLOW,
    'barman: barman-cloud-wal-archive PutObject': ALLOW,
    'barman: barman-cloud-wal-archive UploadPart': ALLOW,
    'barman: kms:Decrypt (SSE-KMS, via S3)': ALLOW,
    'barman: kms:GenerateDataKey (SSE-KMS, via S3)': ALLOW,
    'barman: restore GetObject': ALLOW,
    'barman: retention DeleteObject': ALLOW,
    'barman: upload naming another KMS key': DENY,
    'barman: wal-archive with -e aws:kms and no --sse-kms-key-id (aws/s3)': DENY,
    'barman: write into the clickhouse backups': DENY,
    'clickhouse: BACKUP TO S3 CompleteMultipartUpload': ALLOW,
    'clickhouse: BACKUP TO S3 CreateMultipartUpload': ALLOW,
    'clickhouse: BACKUP TO S3 PutObject': ALLOW,
    'clickhouse: BACKUP TO S3 UploadPart': ALLOW,
    'clickhouse: DeleteObject (backup lock)': ALLOW,
    'clickhouse: ListBucket (its prefix)': ALLOW,
    'clickhouse: RESTORE / base_backup GetObject': ALLOW,
    'clickhouse: kms:Decrypt (SSE-KMS, via S3)': ALLOW,
    'clickhouse: kms:GenerateDataKey (SSE-KMS, via S3)': ALLOW,
    'clickhouse: write into the postgres backups': DENY,
    'clickhouse drill: DeleteObject a backup': DENY,
    'clickhouse drill: ListBucket (its prefix)': ALLOW,
    'clickhouse drill: PutObject into its prefix': DENY,
    'clickhouse drill: RESTORE GetObject': ALLOW,
    'clickhouse drill: kms:Decrypt (SSE-KMS, via S3)': ALLOW,
    'clickhouse drill: kms:GenerateDataKey': DENY,
    'clickhouse drill: read the postgres backups': DENY,
    "sts: another service account assumes langfuse-clickhouse-restore-drill's role": DENY,
    'sts: langfuse-clickhouse-restore-drill assumes its role': ALLOW,
    "sts: langfuse-clickhouse-restore-drill's token for another audience": DENY,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-clickhouse': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-postgres-owner': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-redis-auth': ALLOW,
    "sts: another service account assumes langfuse-clickhouse-backup's role": DENY,
    "sts: another service account assumes langfuse-postgres's role": DENY,
    'sts: langfuse-clickhouse-backup assumes its role': ALLOW,
    "sts: langfuse-clickhouse-backup's token for another audience": DENY,
    'sts: langfuse-postgres assumes its role': ALLOW,
    "sts: langfuse-postgres's token for another audience": DENY,
    'worker: write into the clickhouse backups': DENY,
    'worker: write into the postgres backups': DENY,
}
# external mode
EXTERNAL_STORES = {
    'external-secrets: GetSecretValue for ExternalSecret langfuse-clickhouse-external': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-postgres-external': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-redis-external': ALLOW,
}
# SSO, Grafana SSO and Slack are configured
STAGING_AND_PROD = {
    'external-secrets: GetSecretValue for ExternalSecret langfuse-grafana-sso': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-slack': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-sso': ALLOW,
}
# prod: licence, disaster recovery (replication, its alerts, the DR buckets and key)
PROD = {
    'alerts: S3 publishes a replication event of backups': ALLOW,
    'alerts: S3 publishes a replication event of audit': ALLOW,
    'alerts: a foreign alarm publishes to backup-replication-alerts': DENY,
    'alerts: alarm backup-replication-failed publishes': ALLOW,
    'alerts: alarm backup-replication-late publishes': ALLOW,
    'alerts: alarm audit-replication-failed publishes': ALLOW,
    'alerts: alarm audit-replication-late publishes': ALLOW,
    'alerts: another bucket publishes to the topic of backups': DENY,
    'alerts: another bucket publishes to the topic of audit': DENY,
    'log delivery: audit-replica (DR) logs into access-logs (DR)': ALLOW,
    'other account: Decrypt with key dr-audit-key': DENY,
    'other account: GetObject from audit-replica (DR)': DENY,
    'external-secrets: GetSecretValue for ExternalSecret langfuse-license': ALLOW,
    'log delivery: a foreign bucket logs into access-logs (DR)': DENY,
    'log delivery: backups-replica (DR) logs into access-logs (DR)': ALLOW,
    'other account: Decrypt with key dr-backups-key': DENY,
    'other account: GetObject from access-logs (DR)': DENY,
    'other account: GetObject from backups-replica (DR)': DENY,
    'replication: Decrypt the source object': ALLOW,
    'replication: ReplicateObject into another bucket': DENY,
    'replication: S3 assumes the replication role': ALLOW,
    'replication: another service assumes the replication role': DENY,
    "replication: S3, for another account's bucket, assumes the replication role": DENY,
    'replication: S3, for another bucket of the account, assumes the replication role': DENY,
    'replication: kms:Decrypt under the replica key': ALLOW,
    'replication: kms:Encrypt under the replica key': ALLOW,
    'replication: kms:GenerateDataKey under the replica key': ALLOW,
    'replication: s3:GetObjectLegalHold on a source object': ALLOW,
    'replication: s3:GetObjectRetention on a source object': ALLOW,
    'replication: s3:GetObjectVersionAcl on a source object': ALLOW,
    'replication: s3:GetObjectVersionForReplication on a source object': ALLOW,
    'replication: s3:GetObjectVersionTagging on a source object': ALLOW,
    'replication: s3:GetReplicationConfiguration on the source': ALLOW,
    'replication: s3:ListBucket on the source': ALLOW,
    'replication: s3:ReplicateDelete into the DR bucket': ALLOW,
    'replication: s3:ReplicateObject into the DR bucket': ALLOW,
    'replication: s3:ReplicateTags into the DR bucket': ALLOW,
}
# The audit bucket's copy is decided as the backups': the same requests, under its own role and keys.
PROD |= {f"replication of audit: {row.removeprefix('replication: ')}": outcome for row, outcome in PROD.items() if row.startswith("replication: ")}
# the analytics cluster (dev, prod): Langfuse's worker writes the scheduled exports, the loader reads them, the
# analytics servers write their own backups and read no export
ANALYTICS = {
    'analytics clickhouse: BACKUP TO S3 CompleteMultipartUpload': ALLOW,
    'analytics clickhouse: BACKUP TO S3 CreateMultipartUpload': ALLOW,
    'analytics clickhouse: BACKUP TO S3 PutObject': ALLOW,
    'analytics clickhouse: BACKUP TO S3 UploadPart': ALLOW,
    'analytics clickhouse: DeleteObject (backup lock)': ALLOW,
    'analytics clickhouse: ListBucket (its prefix)': ALLOW,
    'analytics clickhouse: RESTORE / base_backup GetObject': ALLOW,
    'analytics clickhouse: kms:Decrypt (SSE-KMS, via S3)': ALLOW,
    'analytics clickhouse: kms:GenerateDataKey (SSE-KMS, via S3)': ALLOW,
    'analytics clickhouse: read an export (the servers read none)': DENY,
    'analytics clickhouse: write into the postgres backups': DENY,
    "analytics clickhouse: write into the serving cluster's backups": DENY,
    'analytics loader: DeleteObject an export': DENY,
    'analytics loader: GetObject a Parquet file': ALLOW,
    'analytics loader: GetObject a batch export': DENY,
    'analytics loader: GetObject a manifest': ALLOW,
    'analytics loader: PutObject into the exports prefix': DENY,
    'analytics loader: kms:Decrypt (SSE-KMS, via S3)': ALLOW,
    'analytics loader: kms:GenerateDataKey': DENY,
    'analytics loader: list the batch exports prefix': DENY,
    'analytics loader: list the exports prefix': ALLOW,
    'external-secrets: GetSecretValue for ExternalSecret analytics-clickhouse-admin': ALLOW,
    'sts: analytics-clickhouse-backup assumes its role': ALLOW,
    "sts: analytics-clickhouse-backup's token for another audience": DENY,
    'sts: analytics-loader assumes its role': ALLOW,
    "sts: analytics-loader's token for another audience": DENY,
    "sts: another service account assumes analytics-clickhouse-backup's role": DENY,
    "sts: another service account assumes analytics-loader's role": DENY,
    'worker: read back a scheduled export': DENY,
    'worker: scheduled export CompleteMultipartUpload': ALLOW,
    'worker: scheduled export CreateMultipartUpload': ALLOW,
    'worker: scheduled export PutObject': ALLOW,
    'worker: scheduled export UploadPart': ALLOW,
    'worker: scheduled export manifest PutObject': ALLOW,
}
# prod's warehouses: a role Snowflake's storage integration assumes, an IAM user for BigQuery's transfers
WAREHOUSES = {
    **{f"{w}: {request}": allowed for w in ("snowflake", "bigquery") for request, allowed in {
        'DeleteObject an export': DENY,
        'GetBucketLocation': ALLOW,
        'GetObject a Parquet file': ALLOW,
        'GetObject a batch export': DENY,
        'GetObject a manifest': ALLOW,
        'PutObject into the exports prefix': DENY,
        'kms:Decrypt (SSE-KMS, via S3)': ALLOW,
        'kms:Decrypt directly (not through S3)': DENY,
        'kms:GenerateDataKey': DENY,
        'list the batch exports prefix': DENY,
        'list the exports prefix': ALLOW,
    }.items()},
    'snowflake: another account assumes the role with the external id': DENY,
    'snowflake: its IAM user assumes the role with the external id': ALLOW,
    'snowflake: its IAM user assumes the role without the external id': DENY,
}
# cluster layers: the EBS key
CLUSTER_LAYER = {
    'ebs: CSI driver CreateGrant for EC2': ALLOW,
    'ebs: CSI driver CreateGrant for itself': DENY,
    'ebs: CSI driver kms:Decrypt': ALLOW,
    'ebs: CSI driver kms:DescribeKey': ALLOW,
    'ebs: CSI driver kms:GenerateDataKeyWithoutPlaintext': ALLOW,
    'ebs: CSI driver kms:ReEncryptFrom': ALLOW,
    'ebs: another role of the account decrypts': DENY,
    'other account: Decrypt with key ebs-key': DENY,
    # the audit log's destination: the collector's role, the log groups' key
    'cloudwatch logs: kms:Decrypt for another log group with the key of api-audit': DENY,
    'cloudwatch logs: kms:Decrypt for another log group with the key of postgresql': DENY,
    'cloudwatch logs: kms:GenerateDataKey for log group api-audit': ALLOW,
    'cloudwatch logs: kms:GenerateDataKey for log group postgresql': ALLOW,
    'log collector: PutLogEvents into another log group (api-audit)': DENY,
    'log collector: PutLogEvents into another log group (postgresql)': DENY,
    'log collector: logs:CreateLogStream into api-audit': ALLOW,
    'log collector: logs:CreateLogStream into postgresql': ALLOW,
    'log collector: logs:PutLogEvents into api-audit': ALLOW,
    'log collector: logs:PutLogEvents into postgresql': ALLOW,
    'other account: Decrypt with key audit-key': DENY,
    "sts: another service account assumes the log collector's role (api-audit)": DENY,
    "sts: another service account assumes the log collector's role (postgresql)": DENY,
    'sts: the log collector assumes its role (api-audit)': ALLOW,
    'sts: the log collector assumes its role (postgresql)': ALLOW,
}


def expected(stack: str) -> dict[str, bool]:
    if stack.startswith("cluster-"):
        return dict(CLUSTER_LAYER)
    rows = dict(COMMON) | AUDIT
    rows |= EXTERNAL_STORES if stack == "external" else IN_CLUSTER_STORES
    if stack in ("staging", "prod"):
        rows |= STAGING_AND_PROD
    if stack == "prod":
        rows |= PROD | WAREHOUSES
    if stack in ("dev", "prod"):
        rows |= ANALYTICS
    if stack == "staging":
        # Its custom hostname's certificate comes from Secrets Manager (langfuse.certificate.secretsManager).
        rows["external-secrets: GetSecretValue for ExternalSecret langfuse-web-tls"] = ALLOW
    return rows


ALL_STACKS = STACKS + CLUSTER_STACKS + ("external",)
# Bucket, key, trust, role and topic policies: dev/staging 6 buckets + 3 keys + 7 roles x 2 (the trail's CloudWatch
# Logs role among them) + the audit alert topic; prod adds the DR buckets and keys, the replication roles and their
# alert topic; external mode has no backup roles and no backups bucket; a cluster layer renders the EBS key and the
# audit log's key and collector role. The analytics cluster (dev, prod) adds 2 roles x 2; prod's warehouses a role
# (x 2) and a user.
DOCUMENTS = {"dev": 28, "staging": 24, "prod": 41, "external": 17, "cluster-dev": 4, "cluster-staging": 4, "cluster-prod": 4}


def _config(stack_files, stack: str) -> dict:
    return stack_files[stack]


def _matrix(plan, stack_files, stack, objects=None, index=None):
    requests = Catalogue(objects if objects is not None else plan.objects, plan.resources, _config(stack_files, stack)).all()
    account = str(stack_files[stack]["langfuse-rosa:aws"]["accountId"])
    return access_matrix(requests, index or policy_index(plan.resources, account))


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_request_is_decided_as_intended(plans, stack):
    decided = {row.request.id: row.allowed for row in plans[stack].access.rows}
    assert decided == expected(stack)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_every_rendered_policy_document_is_exercised_both_ways(plans, stack):
    matrix = plans[stack].access
    assert len(matrix.documents) == DOCUMENTS[stack]
    for document in matrix.documents:
        outcomes = {row.allowed for row in matrix.rows if document in row.documents}
        assert outcomes == {True, False}, f"{document}: decisions {outcomes}"


@pytest.fixture(scope="module")
def iam_simulate_rows(plans):
    """Every row of every stack, and iam-simulate's decision on each (one node process)."""
    rows = {key: row for stack in ALL_STACKS for key, row in keyed(stack, plans[stack].access.rows).items()}
    return rows, second_opinions(rows)


@pytest.mark.parametrize("stack", ALL_STACKS)
def test_iam_simulate_decides_every_row_as_principal_mapper_does(plans, iam_simulate_rows, stack):
    rows, opinions = iam_simulate_rows
    ours = {key: row for key, row in rows.items() if key.startswith(f"{stack} | ")}
    assert len(ours) == len(plans[stack].access.rows) == len(expected(stack))
    assert disagreements(ours, opinions) == []


def test_iam_simulate_refuses_a_request_aws_would_not_see_and_catches_a_disagreement(plans):
    """A misspelt action, an object ARN for a bucket action, a context key the action does not carry, a policy
    with a broken element, and a row whose recorded decision is wrong: each is reported."""
    rows = {row.request.id: row for row in plans["prod"].access.rows}
    put = rows["web: ingestion event upload PutObject"]
    listing = rows["worker: event list ListBucket (its prefix)"]

    def request(row, **changes):
        return dataclasses.replace(row, request=dataclasses.replace(row.request, **changes))

    broken_policy = copy.deepcopy(put.resource_policy)
    broken_policy["Statement"][0]["Effect"] = "Permit"
    bad = {
        "action": request(put, action="s3:PutObjects"),
        "arn": request(listing, resource=listing.request.resource + "/events/"),
        "key": request(put, context={**put.request.context, "s3:x-amz-server-side-encrpytion": "aws:kms"}),
        "policy": dataclasses.replace(put, resource_policy=broken_policy),
        "decision": dataclasses.replace(put, allowed=not put.allowed),
    }
    found = disagreements(bad, second_opinions(bad))
    assert [line.split(":", 1)[0] for line in found] == list(bad)
    assert "invalid.action" in found[0] and "no.resource.types" in found[1]
    assert found[2].endswith("s3:x-amz-server-side-encrpytion") and "Statement[0].Effect" in found[3]
    assert found[4] == "decision: Principal Mapper denies, iam-simulate allows"


# -- controls: the policies shipped before this matrix existed must fail it --------------------------------


def _old_bucket_policy(bucket: str, key: str) -> dict:
    """The bucket policy as rendered before: Deny on StringNotEqualsIfExists (true when the header is absent)."""
    arn = f"arn:aws:s3:::{bucket}"
    return {"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": [arn, f"{arn}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Sid": "DenyNonKmsUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{arn}/*",
         "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyOtherKmsKeys", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"{arn}/*",
         "Condition": {"StringNotEqualsIfExists": {"s3:x-amz-server-side-encryption-aws-kms-key-id": key}}},
    ]}


def _broken(matrix) -> set[str]:
    """The rows whose decision differs from the intended one, once iam-simulate has decided every row alike."""
    rows = keyed("control", matrix.rows)
    assert disagreements(rows, second_opinions(rows)) == []
    return {row.request.id for row in matrix.rows if row.allowed != expected("prod")[row.request.id]}


def test_the_old_ifexists_bucket_policy_fails_the_matrix(plans, stack_files):
    plan = plans["prod"]
    index = policy_index(plan.resources, str(stack_files["prod"]["langfuse-rosa:aws"]["accountId"]))
    data_key = next(arn for arn, (name, _) in index.keys.items() if name == "data-key")
    for bucket, policy in list(index.buckets.items()):
        old = _old_bucket_policy(bucket, data_key)
        old["Statement"] += [s for s in policy["Statement"] if s["Effect"] == "Allow"]  # log delivery stays
        index.buckets[bucket] = old
    broken = _broken(_matrix(plan, stack_files, "prod", index=index))
    assert broken == {
        # Multipart parts and completions carry no encryption header: every multipart upload fails.
        "barman: barman-cloud-wal-archive UploadPart", "barman: barman-cloud-wal-archive CompleteMultipartUpload",
        "barman: barman-cloud-backup UploadPart", "barman: barman-cloud-backup CompleteMultipartUpload",
        "clickhouse: BACKUP TO S3 UploadPart", "clickhouse: BACKUP TO S3 CompleteMultipartUpload",
        "analytics clickhouse: BACKUP TO S3 UploadPart", "analytics clickhouse: BACKUP TO S3 CompleteMultipartUpload",
        "worker: batch export UploadPart", "worker: batch export CompleteMultipartUpload",
        # Writers that leave encryption to the bucket default (Langfuse's scheduled exports send no header at all).
        "worker: blob-storage integration export PutObject (no SSE header)",
        "worker: scheduled export PutObject", "worker: scheduled export CreateMultipartUpload", "worker: scheduled export UploadPart",
        "worker: scheduled export CompleteMultipartUpload", "worker: scheduled export manifest PutObject",
        "log delivery: events logs into access-logs", "log delivery: media logs into access-logs",
        "log delivery: exports logs into access-logs", "log delivery: backups logs into access-logs",
        "log delivery: backups-replica (DR) logs into access-logs (DR)",
        "log delivery: audit logs into access-logs", "log delivery: audit-replica (DR) logs into access-logs (DR)",
        # CloudTrail's digest files carry SSE-S3; its log files name the audit key, not the one the old policy pinned.
        "cloudtrail: PutObject a digest file (SSE-S3)", "cloudtrail: PutObject a log file",
    }


def test_the_old_object_arn_replication_policy_fails_the_matrix(plans, stack_files):
    plan = plans["prod"]
    index = policy_index(plan.resources, str(stack_files["prod"]["langfuse-rosa:aws"]["accountId"]))
    (role,) = [arn for arn in index.role_policies if arn.endswith("-backup-replication")]
    (name, policy), = index.role_policies[role]
    old = copy.deepcopy(policy)
    for statement in old["Statement"]:
        condition = statement.get("Condition", {}).get("StringEquals", {})
        if "kms:EncryptionContext:aws:s3:arn" in condition:
            # As rendered before: the object ARN, which S3 no longer sends once bucket keys are on.
            statement["Condition"] = {"StringLike": {**condition, "kms:EncryptionContext:aws:s3:arn": condition["kms:EncryptionContext:aws:s3:arn"] + "/*"}}
        if statement["Sid"] == "ReadSourceVersions":
            statement["Action"] = [a for a in statement["Action"] if a not in ("s3:GetObjectRetention", "s3:GetObjectLegalHold")]
    index.role_policies[role] = [(name, old)]
    broken = _broken(_matrix(plan, stack_files, "prod", index=index))
    assert broken == {
        "replication: Decrypt the source object", "replication: kms:GenerateDataKey under the replica key",
        "replication: kms:Encrypt under the replica key", "replication: kms:Decrypt under the replica key",
        "replication: s3:GetObjectRetention on a source object", "replication: s3:GetObjectLegalHold on a source object",
    }


def test_the_old_replication_trust_without_a_source_fails_the_matrix(plans, stack_files):
    """The trust as rendered before: S3, with no aws:SourceAccount / aws:SourceArn, so S3 replicating any
    account's bucket could be made to assume the role."""
    plan = plans["prod"]
    index = policy_index(plan.resources, str(stack_files["prod"]["langfuse-rosa:aws"]["accountId"]))
    (role,) = [arn for arn in index.trust if arn.endswith("-backup-replication")]
    (statement,) = index.trust[role]["Statement"]
    (source,) = [
        r.inputs["bucket"] for r in plan.resources
        if r.type == "aws:s3/bucketReplicationConfig:BucketReplicationConfig" and r.inputs["role"] == role
    ]
    assert statement["Condition"] == {"StringEquals": {
        "aws:SourceAccount": str(stack_files["prod"]["langfuse-rosa:aws"]["accountId"]), "aws:SourceArn": f"arn:aws:s3:::{source}",
    }}
    index.trust[role] = {**index.trust[role], "Statement": [{k: v for k, v in statement.items() if k != "Condition"}]}
    assert _broken(_matrix(plan, stack_files, "prod", index=index)) == {
        "replication: S3, for another account's bucket, assumes the replication role",
        "replication: S3, for another bucket of the account, assumes the replication role",
    }


# -- the requests follow what the plan renders, and the evaluator follows AWS ------------------------------


def test_requests_carry_the_headers_the_rendered_configuration_makes_writers_send(plans, stack_files):
    """Drop the key id from Barman's flags or from Langfuse's event-upload settings: those rows are refused."""
    plan = plans["prod"]
    objects = copy.deepcopy(plan.objects)
    for obj in objects:
        if obj.kind == "ObjectStore":
            obj.manifest["spec"]["configuration"]["wal"].pop("archiveAdditionalCommandArgs")
        if obj.kind == "Deployment" and obj.name == "langfuse-web":
            env = obj.manifest["spec"]["template"]["spec"]["containers"][0]["env"]
            env[:] = [e for e in env if e["name"] != "LANGFUSE_S3_EVENT_UPLOAD_SSE_KMS_KEY_ID"]
    decided = {row.request.id: row.allowed for row in _matrix(plan, stack_files, "prod", objects=objects).rows}
    changed = {request for request, allowed in expected("prod").items() if decided[request] != allowed}
    assert changed == {
        "barman: barman-cloud-wal-archive PutObject", "barman: barman-cloud-wal-archive CreateMultipartUpload",
        "web: ingestion event upload PutObject",
    }


def test_the_plan_writes_the_matrix(plans, tmp_path):
    plan = plans["prod"]
    plan.write(tmp_path)
    text = (tmp_path / ACCESS_FILE).read_text()
    assert text.count("\n| ") - 1 == len(plan.access.rows)  # one line per request, less the header
    assert "| barman: barman-cloud-wal-archive UploadPart | barman-cloud (langfuse-postgres) (role acme-langfuse-prod-postgres-backup) | `s3:PutObject` |" in text
    summary = plan.summary()["awsAccessMatrix"]
    assert summary == {"file": ACCESS_FILE, "requests": len(plan.access.rows), "allowed": plan.access.allowed,
                       "policyDocuments": DOCUMENTS["prod"], "documentsNotExercised": []}
    assert json.dumps(summary)


def test_cloudtrail_delivers_only_through_the_digest_exemption_and_its_source_arn(plans, stack_files):
    """Controls for the audit bucket's policy: drop the digest prefix's exemption from the encryption denies, or the
    aws:SourceArn condition from CloudTrail's write, and the matrix sees it."""
    plan = plans["prod"]
    index = policy_index(plan.resources, str(stack_files["prod"]["langfuse-rosa:aws"]["accountId"]))
    (audit,) = [b for b in index.buckets if b.endswith("-audit")]
    policy = copy.deepcopy(index.buckets[audit])
    for statement in policy["Statement"]:
        if "NotResource" in statement:
            statement["Resource"] = f"arn:aws:s3:::{audit}/*"
            del statement["NotResource"]
        if statement.get("Sid") == "AWSCloudTrailWrite":
            del statement["Condition"]["StringEquals"]["aws:SourceArn"]
    index.buckets[audit] = policy
    decided = {row.request.id: row.allowed for row in _matrix(plan, stack_files, "prod", index=index).rows}
    changed = {request for request, allowed in expected("prod").items() if decided[request] != allowed}
    assert changed == {"cloudtrail: PutObject a digest file (SSE-S3)", "cloudtrail: another trail delivers into the bucket"}
