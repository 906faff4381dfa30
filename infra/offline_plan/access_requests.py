"""The request catalogue: what each writer really sends to AWS, read off the rendered plan (which role its pod
runs as, the bucket, prefix and encryption headers its configuration makes it send), each shape cited from the
writer's source or AWS's documentation; plus the requests that must not get through.

Sources cited below (versions: Langfuse v4.16.0, Barman 3.17, ClickHouse master at 18aa59a):
- Langfuse: packages/shared/src/server/services/StorageService.ts (buildS3SseParams: ServerSideEncryption from
  LANGFUSE_S3_*_SSE, SSEKMSKeyId from *_SSE_KMS_KEY_ID only with aws:kms; uploadFile = @aws-sdk/lib-storage
  Upload, uploadJson = PutObject, getSignedUploadUrl = a presigned PutObject with the same SSE parameters);
  worker/src/features/blobstorage/handleBlobStorageIntegrationProjectJob.ts ("KMS SSE is not supported for this
  integration": awsSse undefined, credentials from the default chain when no keys are configured);
  web/src/features/batch-exports/server/getBatchExportStorageClient.ts (web only signs export downloads).
- Barman Cloud: barman/cloud_providers/aws_s3.py (_extra_upload_args: ServerSideEncryption from -e,
  SSEKMSKeyId from --sse-kms-key-id, on upload_fileobj and create_multipart_upload; _upload_part and
  _complete_multipart_upload send neither; _check_bucket_existence = HeadBucket).
- ClickHouse: src/IO/S3/Client.cpp (setKMSHeaders, instantiated for PutObject, CreateMultipartUpload and
  CopyObject: x-amz-server-side-encryption aws:kms and the key id from server_side_encryption_kms_key_id);
  src/IO/S3Common.cpp getSSEKMSConfig (the config keys).
- S3: UploadPart and CompleteMultipartUpload carry no SSE-KMS headers (S3 API reference; botocore's model has
  only SSE-C members on UploadPartRequest) and are authorized as s3:PutObject; HeadBucket as s3:ListBucket.
  With S3 Bucket Keys, S3 calls KMS as the requester with kms:ViaService s3.<region>.amazonaws.com and the
  bucket ARN as encryption context (S3 User Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys").
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlparse

from components.aws.contract import PURPOSE_TAG
from components.platform.audit_forwarding import ROLE_ARN_ANNOTATION
from infra.offline_plan.access_matrix import Request
from infra.offline_plan.iam_evaluator import Principal
from infra.offline_plan.render import RenderedObject, RenderedResource
from policies.rules.analytics import ANALYTICS, PURPOSE_LABEL

ROLE_ANNOTATION = "eks.amazonaws.com/role-arn"
FOREIGN_ACCOUNT = "999999999999"
ADMIN = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
TLS = {"aws:SecureTransport": "true"}
PLAIN_HTTP = {"aws:SecureTransport": "false"}
SSE = "s3:x-amz-server-side-encryption"
SSE_KEY = "s3:x-amz-server-side-encryption-aws-kms-key-id"
LANGFUSE_STORAGE = "langfuse packages/shared/src/server/services/StorageService.ts"
BARMAN_S3 = "barman barman/cloud_providers/aws_s3.py"
CLICKHOUSE_S3 = "ClickHouse src/IO/S3/Client.cpp (setKMSHeaders)"
MULTIPART = "S3 API: UploadPart / CompleteMultipartUpload carry no SSE-KMS headers"


def _langfuse_headers(env: Mapping[str, str | None], kind: str) -> dict[str, str]:
    """buildS3SseParams: ServerSideEncryption from *_SSE; SSEKMSKeyId only alongside aws:kms."""
    sse = env.get(f"LANGFUSE_S3_{kind}_SSE")
    out = {SSE: sse} if sse else {}
    if sse == "aws:kms" and env.get(f"LANGFUSE_S3_{kind}_SSE_KMS_KEY_ID"):
        out[SSE_KEY] = str(env[f"LANGFUSE_S3_{kind}_SSE_KMS_KEY_ID"])
    return out


def _barman_headers(flags: Mapping[str, Any], args_key: str) -> dict[str, str]:
    """_extra_upload_args: ServerSideEncryption from -e, SSEKMSKeyId from --sse-kms-key-id."""
    out = {SSE: flags["encryption"]} if flags.get("encryption") else {}
    for arg in flags.get(args_key) or []:
        if str(arg).startswith("--sse-kms-key-id="):
            out[SSE_KEY] = str(arg).split("=", 1)[1]
    return out


class Catalogue:
    def __init__(self, objects: list[RenderedObject], resources: list[RenderedResource], config: Mapping[str, Any]) -> None:
        self.objects, self.resources = objects, resources
        aws = config.get("langfuse-rosa:aws", {})
        self.account = str(aws["accountId"])
        self.region = config["langfuse-rosa:cluster"]["region"]
        self.oidc_provider = aws.get("oidcProviderArn")
        self.prefix = aws.get("resourcePrefix", "")
        self.csi_role = (config.get("langfuse-rosa:storage") or {}).get("csiDriverRoleArn")
        self.requests: list[Request] = []

    # -- helpers --------------------------------------------------------------------------------------

    def _find(self, kind: str) -> list[RenderedObject]:
        return [o for o in self.objects if o.kind == kind]

    def _of_type(self, suffix: str) -> list[RenderedResource]:
        return [r for r in self.resources if r.type.endswith(suffix)]

    def _service_account_role(self, name: str) -> str | None:
        for sa in self._find("ServiceAccount"):
            if sa.name == name:
                return (sa.manifest["metadata"].get("annotations") or {}).get(ROLE_ANNOTATION)
        return None

    def _role(self, arn: str, who: str) -> Principal:
        return Principal("role", arn, f"{who} (role {arn.rsplit('/', 1)[1]})")

    def _add(self, id: str, writer: str, principal: Principal, action: str, resource: str, context: Mapping[str, str], source: str, **extra: Any) -> None:
        self.requests.append(Request(id, writer, principal, action, resource, {**context}, source, **extra))

    def _bucket_key(self, bucket: str) -> str | None:
        for sse in self._of_type(":BucketServerSideEncryptionConfiguration"):
            if sse.inputs["bucket"] == bucket:
                default = sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]
                return default.get("kmsMasterKeyId")
        return None

    def _bucket_keys(self, bucket: str) -> bool:
        return any(sse.inputs["bucket"] == bucket and sse.inputs["rules"][0].get("bucketKeyEnabled") for sse in self._of_type(":BucketServerSideEncryptionConfiguration"))

    def _via_s3(self, bucket: str, region: str | None = None, key: str = "x") -> dict[str, str]:
        """What S3 tells KMS: the bucket ARN as encryption context with a bucket key, the object's without (S3 User
        Guide, "Reducing the cost of SSE-KMS with Amazon S3 Bucket Keys")."""
        arn = f"arn:aws:s3:::{bucket}" if self._bucket_keys(bucket) else f"arn:aws:s3:::{bucket}/{key}"
        return {"kms:ViaService": f"s3.{region or self.region}.amazonaws.com", "kms:EncryptionContext:aws:s3:arn": arn}

    def _data_key_use(self, id: str, writer: str, principal: Principal, bucket: str, actions: tuple[str, ...]) -> None:
        key = self._bucket_key(bucket)
        if key is None:
            return
        for action in actions:
            self._add(f"{id} {action} (SSE-KMS, via S3)", writer, principal, action, key, {**TLS, **self._via_s3(bucket)},
                      "S3 User Guide: bucket keys, encryption context = bucket ARN")

    def _object_writer(self, id: str, writer: str, principal: Principal, bucket: str, key: str, headers: dict[str, str], source: str,
                       single_put: bool = True) -> None:
        """One writer's upload of `key`: a single PutObject, or multipart (create with headers, parts without)."""
        arn = f"arn:aws:s3:::{bucket}/{key}"
        if single_put:
            self._add(f"{id} PutObject", writer, principal, "s3:PutObject", arn, {**TLS, **headers}, source)
        self._add(f"{id} CreateMultipartUpload", writer, principal, "s3:PutObject", arn, {**TLS, **headers}, source)
        self._add(f"{id} UploadPart", writer, principal, "s3:PutObject", arn, TLS, MULTIPART)
        self._add(f"{id} CompleteMultipartUpload", writer, principal, "s3:PutObject", arn, TLS, MULTIPART)

    # -- writers --------------------------------------------------------------------------------------

    def langfuse(self) -> None:
        for process in ("web", "worker"):
            deployment = next((o for o in self._find("Deployment") if o.name == f"langfuse-{process}"), None)
            if deployment is None:
                continue
            pod = deployment.manifest["spec"]["template"]["spec"]
            role_arn = self._service_account_role(pod["serviceAccountName"])
            env = {e["name"]: e.get("value") for e in pod["containers"][0].get("env", [])}
            if role_arn is None:
                continue
            me = self._role(role_arn, f"langfuse-{process}")
            setting = {kind: (env.get(f"LANGFUSE_S3_{kind}_BUCKET"), env.get(f"LANGFUSE_S3_{kind}_PREFIX") or "")
                       for kind in ("EVENT_UPLOAD", "MEDIA_UPLOAD", "BATCH_EXPORT")}


            events_bucket, events_prefix = setting["EVENT_UPLOAD"]
            media_bucket, media_prefix = setting["MEDIA_UPLOAD"]
            exports_bucket, exports_prefix = setting["BATCH_EXPORT"]
            w = f"langfuse-{process}"
            if process == "web":
                self._add("web: ingestion event upload PutObject", w, me, "s3:PutObject",
                          f"arn:aws:s3:::{events_bucket}/{events_prefix}project/trace/event.json", {**TLS, **_langfuse_headers(env, "EVENT_UPLOAD")},
                          f"{LANGFUSE_STORAGE} uploadJson; shared/src/server/ingestion/processEventBatch.ts")
                self._add("web: media upload through a presigned PutObject", w, me, "s3:PutObject",
                          f"arn:aws:s3:::{media_bucket}/{media_prefix}project/media-id.png", {**TLS, **_langfuse_headers(env, "MEDIA_UPLOAD")},
                          f"{LANGFUSE_STORAGE} getSignedUploadUrl (signed with web's credentials, SSE in the signed request)")
                self._add("web: media download GetObject", w, me, "s3:GetObject", f"arn:aws:s3:::{media_bucket}/{media_prefix}project/media-id.png",
                          TLS, f"{LANGFUSE_STORAGE} getSignedUrl")
                self._add("web: batch export download GetObject", w, me, "s3:GetObject",
                          f"arn:aws:s3:::{exports_bucket}/{exports_prefix}project/export.csv", TLS,
                          "langfuse web/src/features/batch-exports/server/getBatchExportStorageClient.ts")
                self._data_key_use("web:", w, me, events_bucket, ("kms:GenerateDataKey",))
                self._data_key_use("web: media", w, me, media_bucket, ("kms:Decrypt",))
                self._add("web: delete an event (web never deletes)", w, me, "s3:DeleteObject",
                          f"arn:aws:s3:::{events_bucket}/{events_prefix}project/trace/event.json", TLS, "must fail: web has no delete")
                self._add("web: ingestion event upload over plain HTTP", w, me, "s3:PutObject",
                          f"arn:aws:s3:::{events_bucket}/{events_prefix}project/trace/event.json", {**PLAIN_HTTP, **_langfuse_headers(env, "EVENT_UPLOAD")},
                          "must fail: bucket policy DenyInsecureTransport")
                self._add("web: ingestion event upload asking for SSE-S3 (AES256)", w, me, "s3:PutObject",
                          f"arn:aws:s3:::{events_bucket}/{events_prefix}project/trace/event.json", {**TLS, SSE: "AES256"},
                          "must fail: bucket policy DenyOtherEncryption")
            else:
                events = f"arn:aws:s3:::{events_bucket}/{events_prefix}project/trace/event.json"
                self._add("worker: event read GetObject", w, me, "s3:GetObject", events, TLS, f"{LANGFUSE_STORAGE} download")
                self._add("worker: event list ListBucket (its prefix)", w, me, "s3:ListBucket", f"arn:aws:s3:::{events_bucket}",
                          {**TLS, "s3:prefix": f"{events_prefix}project/"}, f"{LANGFUSE_STORAGE} listFiles (ListObjectsV2 Prefix)")
                self._add("worker: event delete DeleteObject", w, me, "s3:DeleteObject", events, TLS, f"{LANGFUSE_STORAGE} deleteFiles")
                self._add("worker: event list ListBucket (another prefix)", w, me, "s3:ListBucket", f"arn:aws:s3:::{events_bucket}",
                          {**TLS, "s3:prefix": "other/"}, "must fail: the worker lists only its prefix")
                self._add("worker: media delete DeleteObject", w, me, "s3:DeleteObject",
                          f"arn:aws:s3:::{media_bucket}/{media_prefix}project/media-id.png", TLS, f"{LANGFUSE_STORAGE} deleteFiles")
                self._object_writer("worker: batch export", w, me, exports_bucket, f"{exports_prefix}project/export.csv",
                                    _langfuse_headers(env, "BATCH_EXPORT"), f"{LANGFUSE_STORAGE} uploadFile (lib-storage Upload); worker handleBatchExportJob.ts",
                                    single_put=False)
                self._add("worker: batch export AbortMultipartUpload", w, me, "s3:AbortMultipartUpload",
                          f"arn:aws:s3:::{exports_bucket}/{exports_prefix}project/export.csv", TLS, "@aws-sdk/lib-storage Upload (abort on failure)")
                self._add("worker: blob-storage integration export PutObject (no SSE header)", w, me, "s3:PutObject",
                          f"arn:aws:s3:::{exports_bucket}/{exports_prefix}blob/project/traces.jsonl", TLS,
                          "langfuse worker/src/features/blobstorage/handleBlobStorageIntegrationProjectJob.ts (awsSse undefined)")
                self._data_key_use("worker: export", w, me, exports_bucket, ("kms:GenerateDataKey",))
                self._data_key_use("worker: event", w, me, events_bucket, ("kms:Decrypt",))
                for store, prefix in (("postgres", "postgres/"), ("clickhouse", "clickhouse/")):
                    backups = self._backups_bucket()
                    if backups:
                        self._add(f"worker: write into the {store} backups", w, me, "s3:PutObject", f"arn:aws:s3:::{backups}/{prefix}x",
                                  {**TLS, **_langfuse_headers(env, "BATCH_EXPORT")}, "must fail: another workload's bucket")

    def _barman_store(self, cluster: RenderedObject) -> tuple[Mapping[str, Any], str]:
        """The barman-cloud configuration a Cluster archives with (the Barman Cloud Plugin's ObjectStore named by
        its WAL-archiver plugin entry) and the folder (serverName) it archives under."""
        (archiver,) = [p for p in cluster.manifest["spec"].get("plugins", []) if p.get("isWALArchiver")]
        parameters = archiver["parameters"]
        (store,) = [o for o in self._find("ObjectStore") if o.name == parameters["barmanObjectName"]]
        return store.manifest["spec"]["configuration"], parameters.get("serverName") or cluster.name

    def _backups_bucket(self) -> str | None:
        for cluster in self._find("Cluster"):
            return urlparse(self._barman_store(cluster)[0]["destinationPath"]).netloc
        return None

    def barman(self) -> None:
        for cluster in self._find("Cluster"):
            spec = cluster.manifest["spec"]
            store, server_name = self._barman_store(cluster)
            role_arn = spec.get("serviceAccountTemplate", {}).get("metadata", {}).get("annotations", {}).get(ROLE_ANNOTATION)
            if role_arn is None:
                continue
            me = self._role(role_arn, f"barman-cloud ({cluster.name})")
            url = urlparse(store["destinationPath"])
            bucket, prefix = url.netloc, f"{url.path.strip('/')}/{server_name}"

            wal = _barman_headers(store["wal"], "archiveAdditionalCommandArgs")
            data = _barman_headers(store["data"], "additionalCommandArgs")
            w = "barman-cloud"
            self._add("barman: HeadBucket (ListBucket, no prefix)", w, me, "s3:ListBucket", f"arn:aws:s3:::{bucket}", TLS,
                      f"{BARMAN_S3} _check_bucket_existence")
            self._object_writer("barman: barman-cloud-wal-archive", w, me, bucket, f"{prefix}/wals/0000000100000000/000000010000000000000001.gz",
                                wal, f"{BARMAN_S3} upload_fileobj / create_multipart_upload, flags -e and --sse-kms-key-id as rendered")
            self._object_writer("barman: barman-cloud-backup", w, me, bucket, f"{prefix}/base/20260101T030000/data.tar.gz",
                                data, f"{BARMAN_S3} create_multipart_upload / _upload_part / _complete_multipart_upload", single_put=False)
            self._add("barman: restore GetObject", w, me, "s3:GetObject", f"arn:aws:s3:::{bucket}/{prefix}/base/20260101T030000/data.tar.gz", TLS,
                      f"{BARMAN_S3} (barman-cloud-restore, barman-cloud-wal-restore)")
            self._add("barman: retention DeleteObject", w, me, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/{prefix}/base/20250101T030000/data.tar.gz",
                      TLS, f"{BARMAN_S3} delete_objects (barman-cloud-backup-delete)")
            self._data_key_use("barman:", w, me, bucket, ("kms:GenerateDataKey", "kms:Decrypt"))
            only_algorithm = {SSE: wal[SSE]} if SSE in wal else {}
            self._add("barman: wal-archive with -e aws:kms and no --sse-kms-key-id (aws/s3)", w, me, "s3:PutObject",
                      f"arn:aws:s3:::{bucket}/{prefix}/wals/0000000100000000/000000010000000000000002.gz", {**TLS, **only_algorithm},
                      "must fail: S3 would use the AWS managed key (bucket policy DenyAwsManagedKey)")
            self._add("barman: upload naming another KMS key", w, me, "s3:PutObject", f"arn:aws:s3:::{bucket}/{prefix}/wals/x.gz",
                      {**TLS, SSE: "aws:kms", SSE_KEY: f"arn:aws:kms:{self.region}:{self.account}:key/00000000-0000-0000-0000-000000000000"},
                      "must fail: bucket policy DenyOtherKmsKeys")
            self._add("barman: write into the clickhouse backups", w, me, "s3:PutObject", f"arn:aws:s3:::{bucket}/clickhouse/full-20260101/x",
                      {**TLS, **wal}, "must fail: another workload's prefix")

    def clickhouse(self) -> None:
        for chi in self._find("ClickHouseInstallation"):
            files = chi.manifest["spec"]["configuration"].get("files", {})
            if "config.d/s3-backups.xml" not in files:
                continue
            config = ET.fromstring(files["config.d/s3-backups.xml"]).find("s3/backups")
            endpoint = urlparse(config.findtext("endpoint"))
            bucket, prefix = endpoint.netloc.split(".s3.", 1)[0], endpoint.path.strip("/")
            key_id = config.findtext("server_side_encryption_kms_key_id")
            # setKMSHeaders: aws:kms whenever a key id is configured, the key id when it is not empty.
            headers = {SSE: "aws:kms", **({SSE_KEY: key_id} if key_id else {})} if key_id is not None else {}
            accounts = {t["spec"].get("serviceAccountName") for t in chi.manifest["spec"]["templates"]["podTemplates"]} - {None}
            analytics = (chi.manifest["metadata"].get("labels") or {}).get(PURPOSE_LABEL) == ANALYTICS
            tag = "analytics clickhouse" if analytics else "clickhouse"
            for account in sorted(accounts):
                role_arn = self._service_account_role(account)
                if role_arn is None:
                    continue
                me = self._role(role_arn, f"clickhouse-server ({account})")
                w = f"{tag} BACKUP/RESTORE"
                self._object_writer(f"{tag}: BACKUP TO S3", w, me, bucket, f"{prefix}/full-20260101/data/default/traces/all_1_1_0.tar",
                                    headers, f"{CLICKHOUSE_S3}; config.d/s3-backups.xml as rendered")
                self._add(f"{tag}: RESTORE / base_backup GetObject", w, me, "s3:GetObject",
                          f"arn:aws:s3:::{bucket}/{prefix}/full-20260101/.backup", TLS, "ClickHouse BackupImpl reads .backup")
                self._add(f"{tag}: ListBucket (its prefix)", w, me, "s3:ListBucket", f"arn:aws:s3:::{bucket}",
                          {**TLS, "s3:prefix": f"{prefix}/full-20260101/"}, "ClickHouse BackupWriterS3 / ListObjectsV2")
                self._add(f"{tag}: DeleteObject (backup lock)", w, me, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/{prefix}/full-20260101/.lock",
                          TLS, "ClickHouse BackupImpl removes its .lock")
                self._data_key_use(f"{tag}:", w, me, bucket, ("kms:GenerateDataKey", "kms:Decrypt"))
                self._add(f"{tag}: write into the postgres backups", w, me, "s3:PutObject", f"arn:aws:s3:::{bucket}/postgres/x",
                          {**TLS, **headers}, "must fail: another workload's prefix")
                if analytics:
                    self._add(f"{tag}: write into the serving cluster's backups", w, me, "s3:PutObject", f"arn:aws:s3:::{bucket}/clickhouse/full-20260101/x",
                              {**TLS, **headers}, "must fail: another workload's prefix")
                    exports = self._analytics_exports()
                    if exports is not None:
                        self._add(f"{tag}: read an export (the servers read none)", w, me, "s3:GetObject",
                                  f"arn:aws:s3:::{exports[0]}/{exports[1]}project/observations_v2/2026-08-03T11-00-00.parquet", TLS,
                                  "must fail: the loader's role reads the exports, the servers' writes backups")

    def _analytics_exports(self) -> tuple[str, str] | None:
        """(bucket, prefix) the analytics loader reads, from its CronJob's environment."""
        for cron in self._find("CronJob"):
            env = {e["name"]: e.get("value") for c in cron.manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
                   for e in c.get("env", [])}
            if "EXPORTS_PREFIX" in env and "BUCKET_URL" in env:
                return urlparse(env["BUCKET_URL"]).netloc.split(".s3.", 1)[0], env["EXPORTS_PREFIX"]
        return None

    def analytics(self) -> None:
        """Langfuse's scheduled exports into the analytics prefix (written by the worker's role, no SSE header:
        handleBlobStorageIntegrationProjectJob.ts), the loader's read of them (clickhouse-local's s3() under its
        own role: a listing, then GetObject of manifests and files), and the warehouses' read of the same files."""
        exports = self._analytics_exports()
        if exports is None:
            return
        bucket, prefix = exports
        manifest = f"arn:aws:s3:::{bucket}/{prefix}project/manifests/2026-08-03T11-00-00.json"
        parquet = f"arn:aws:s3:::{bucket}/{prefix}project/observations_v2/2026-08-03T11-00-00.parquet"
        worker = self._service_account_role("langfuse-worker")
        if worker is not None:
            me, w = self._role(worker, "langfuse-worker"), "langfuse-worker (scheduled blob export)"
            source = "langfuse worker/src/features/blobstorage/handleBlobStorageIntegrationProjectJob.ts (awsSse undefined)"
            self._object_writer("worker: scheduled export", w, me, bucket, f"{prefix}project/observations_v2/2026-08-03T11-00-00.parquet", {}, source)
            self._add("worker: scheduled export manifest PutObject", w, me, "s3:PutObject", manifest, TLS, f"{source}; manifest.ts (uploadFile)")
            self._add("worker: read back a scheduled export", w, me, "s3:GetObject", parquet, TLS, "must fail: the worker only writes the analytics prefix")
        for cron in self._find("CronJob"):
            pod = cron.manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            if not any(e["name"] == "EXPORTS_PREFIX" for c in pod["containers"] for e in c.get("env", [])):
                continue
            role_arn = self._service_account_role(pod.get("serviceAccountName", ""))
            if role_arn is None:
                continue
            me, w = self._role(role_arn, f"analytics loader ({cron.name})"), "analytics loader (clickhouse-local s3())"
            source = "ClickHouse StorageS3 (ListObjectsV2 with the glob's prefix, GetObject); components/analytics/loader.py"
            self._reader("analytics loader", w, me, bucket, prefix, source)
        for kind, label, arn in (("role", "snowflake", self._warehouse_role()), ("user", "bigquery", self._warehouse_user())):
            if arn is None:
                continue
            me = Principal(kind, arn, f"{label} ({kind} {arn.rsplit('/', 1)[1]})")
            self._reader(label, f"{label} (warehouse)", me, bucket, prefix, "Snowflake storage integration / BigQuery Amazon S3 transfer: list and get",
                         location=True)
        snowflake = self._warehouse_role()
        trust = next((r for r in self._of_type(":Role") if r.type == "aws:iam/role:Role" and r.arn == snowflake), None)
        if trust is not None:
            statement = json.loads(trust.inputs["assumeRolePolicy"])["Statement"][0]
            theirs = statement["Principal"]["AWS"]
            them = Principal("user", theirs, f"Snowflake's IAM user ({theirs.split(':')[4]})")  # STORAGE_AWS_IAM_USER_ARN is a user
            external_id = statement["Condition"]["StringEquals"]["sts:ExternalId"]
            w, source = "Snowflake storage integration", "Snowflake docs, storage integration: AssumeRole with the integration's external id"
            self._add("snowflake: its IAM user assumes the role with the external id", w, them, "sts:AssumeRole", snowflake,
                      {**TLS, "sts:ExternalId": external_id}, source, identity_policies=(ADMIN,))
            self._add("snowflake: its IAM user assumes the role without the external id", w, them, "sts:AssumeRole", snowflake, TLS,
                      "must fail: the external id guards against a confused deputy", identity_policies=(ADMIN,))
            other = Principal("role", f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/admin", "another account's admin")
            self._add("snowflake: another account assumes the role with the external id", w, other, "sts:AssumeRole", snowflake,
                      {**TLS, "sts:ExternalId": external_id}, "must fail: the trust names Snowflake's user only", identity_policies=(ADMIN,))

    def _reader(self, who: str, writer: str, me: Principal, bucket: str, prefix: str, source: str, location: bool = False) -> None:
        """What a reader of the exports does, and what it must not."""
        manifest = f"arn:aws:s3:::{bucket}/{prefix}project/manifests/2026-08-03T11-00-00.json"
        parquet = f"arn:aws:s3:::{bucket}/{prefix}project/observations_v2/2026-08-03T11-00-00.parquet"
        self._add(f"{who}: list the exports prefix", writer, me, "s3:ListBucket", f"arn:aws:s3:::{bucket}", {**TLS, "s3:prefix": prefix}, source)
        self._add(f"{who}: GetObject a manifest", writer, me, "s3:GetObject", manifest, TLS, source)
        self._add(f"{who}: GetObject a Parquet file", writer, me, "s3:GetObject", parquet, TLS, source)
        self._data_key_use(f"{who}:", writer, me, bucket, ("kms:Decrypt",))
        key = self._bucket_key(bucket)
        if location:  # a warehouse: it also asks where the bucket is, and uses the key only through S3
            self._add(f"{who}: GetBucketLocation", writer, me, "s3:GetBucketLocation", f"arn:aws:s3:::{bucket}", TLS, source)
            if key is not None:
                self._add(f"{who}: kms:Decrypt directly (not through S3)", writer, me, "kms:Decrypt", key, TLS, "must fail: the key only through S3")
        if key is not None:
            self._add(f"{who}: kms:GenerateDataKey", writer, me, "kms:GenerateDataKey", key, {**TLS, **self._via_s3(bucket)}, "must fail: a reader writes nothing")
        self._add(f"{who}: PutObject into the exports prefix", writer, me, "s3:PutObject", parquet, TLS, "must fail: read-only")
        self._add(f"{who}: DeleteObject an export", writer, me, "s3:DeleteObject", manifest, TLS, "must fail: read-only")
        self._add(f"{who}: list the batch exports prefix", writer, me, "s3:ListBucket", f"arn:aws:s3:::{bucket}", {**TLS, "s3:prefix": "exports/"},
                  "must fail: only the scheduled exports' prefix")
        self._add(f"{who}: GetObject a batch export", writer, me, "s3:GetObject", f"arn:aws:s3:::{bucket}/exports/project/export.csv", TLS,
                  "must fail: only the scheduled exports' prefix")

    def _warehouse_role(self) -> str | None:
        return next((r.arn for r in self._of_type(":Role") if r.type == "aws:iam/role:Role" and str(r.inputs.get("name", "")).endswith("-warehouse-snowflake")), None)

    def _warehouse_user(self) -> str | None:
        return next((r.arn for r in self._of_type(":User") if r.type == "aws:iam/user:User" and str(r.inputs.get("name", "")).endswith("-warehouse-bigquery")), None)

    def clickhouse_restore_drill(self) -> None:
        """The drill's own ClickHouse server reads the newest backup (and its base) under the drill's role; it
        writes, deletes and reads nothing else (components/clickhouse/restore.py)."""
        for cron in self._find("CronJob"):
            pod = cron.manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            env = {e["name"]: e.get("value") for c in pod["containers"] for e in c.get("env", [])}
            if "BACKUP_URL" not in env or "DRILL_DATA" not in env:
                continue
            role_arn = self._service_account_role(pod.get("serviceAccountName", ""))
            if role_arn is None:
                continue
            url = urlparse(env["BACKUP_URL"])
            bucket, prefix = url.netloc.split(".s3.", 1)[0], url.path.strip("/")
            me = self._role(role_arn, f"clickhouse restore drill ({cron.name})")
            w = "clickhouse restore drill"
            self._add("clickhouse drill: ListBucket (its prefix)", w, me, "s3:ListBucket", f"arn:aws:s3:::{bucket}",
                      {**TLS, "s3:prefix": f"{prefix}/"}, "s3() table function over the .backup files (ListObjectsV2)")
            self._add("clickhouse drill: RESTORE GetObject", w, me, "s3:GetObject", f"arn:aws:s3:::{bucket}/{prefix}/full-20260101/.backup", TLS,
                      "ClickHouse BackupImpl reads .backup and the data files")
            self._data_key_use("clickhouse drill:", w, me, bucket, ("kms:Decrypt",))
            for key in filter(None, [self._bucket_key(bucket)]):
                self._add("clickhouse drill: kms:GenerateDataKey", w, me, "kms:GenerateDataKey", key, {**TLS, **self._via_s3(bucket)},
                          "must fail: the drill writes no backup")
            self._add("clickhouse drill: PutObject into its prefix", w, me, "s3:PutObject", f"arn:aws:s3:::{bucket}/{prefix}/full-20260101/x",
                      {**TLS, SSE: "aws:kms"}, "must fail: the drill writes no backup")
            self._add("clickhouse drill: DeleteObject a backup", w, me, "s3:DeleteObject", f"arn:aws:s3:::{bucket}/{prefix}/full-20260101/.backup",
                      TLS, "must fail: the drill deletes no backup")
            self._add("clickhouse drill: read the postgres backups", w, me, "s3:GetObject", f"arn:aws:s3:::{bucket}/postgres/x", TLS,
                      "must fail: another workload's prefix")

    def external_secrets(self) -> None:
        for store in self._find("SecretStore"):
            auth = store.manifest["spec"]["provider"]["aws"]["auth"]["jwt"]["serviceAccountRef"]["name"]
            role_arn = self._service_account_role(auth)
            if role_arn is None:
                continue
            me = self._role(role_arn, "external-secrets")
            generated = {r.inputs["name"]: r for r in self._of_type(":Secret") if r.type == "aws:secretsmanager/secret:Secret"}
            readers: dict[str, str] = {}  # Secrets Manager name -> the first ExternalSecret reading it
            for external in sorted(self._find("ExternalSecret"), key=lambda e: e.name):
                for item in external.manifest["spec"].get("data", []):
                    readers.setdefault(item["remoteRef"]["key"], external.name)
            w = "External Secrets (SecretStore)"
            first_reads = Counter(readers.values())
            for name, reader in sorted(readers.items(), key=lambda item: item[1]):
                # Secrets Manager appends "-" and six characters to a secret's name in its ARN.
                arn = generated[name].arn if name in generated else f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:{name}-AbC123"
                # An ExternalSecret that is the first to read several secrets names each (the request ids stay unique).
                which = f" ({name})" if first_reads[reader] > 1 else ""
                self._add(f"external-secrets: GetSecretValue for ExternalSecret {reader}{which}", w, me, "secretsmanager:GetSecretValue", arn, TLS,
                          "external-secrets providers/v1/aws/secretsmanager (GetSecretValue by name)")
            keys = sorted({r.inputs["kmsKeyId"] for r in generated.values()})
            for key in keys:
                self._add("external-secrets: Decrypt through Secrets Manager", w, me, "kms:Decrypt", key,
                          {**TLS, "kms:ViaService": f"secretsmanager.{self.region}.amazonaws.com"}, "Secrets Manager decrypts as the caller")
                self._add("external-secrets: Decrypt directly (not through Secrets Manager)", w, me, "kms:Decrypt", key, TLS,
                          "must fail: the role decrypts only via Secrets Manager")
            self._add("external-secrets: GetSecretValue of another team's secret", w, me, "secretsmanager:GetSecretValue",
                      f"arn:aws:secretsmanager:{self.region}:{self.account}:secret:other-team/db-AbC123", TLS, "must fail: outside its names")

    def web_identity(self) -> None:
        """Each role's trust, as STS evaluates AssumeRoleWithWebIdentity with the pod's projected token."""
        if not self.oidc_provider:
            return
        issuer = self.oidc_provider.split(":oidc-provider/", 1)[1]
        users: list[tuple[str, str, str]] = []  # (namespace, service account, role ARN)
        for sa in self._find("ServiceAccount"):
            role = (sa.manifest["metadata"].get("annotations") or {}).get(ROLE_ANNOTATION)
            if role:
                users.append((sa.namespace, sa.name, role))
        for cluster in self._find("Cluster"):
            role = cluster.manifest["spec"].get("serviceAccountTemplate", {}).get("metadata", {}).get("annotations", {}).get(ROLE_ANNOTATION)
            if role:
                users.append((cluster.namespace, cluster.name, role))  # CloudNativePG names the account after the cluster
        token = Principal("web-identity", self.oidc_provider, "pod token (cluster OIDC provider)")
        w = "pod identity webhook + STS"
        source = "ROSA STS: AssumeRoleWithWebIdentity with sub = system:serviceaccount:<ns>:<sa>, aud = sts.amazonaws.com"
        for namespace, account, role in sorted(users):
            sub = {f"{issuer}:sub": f"system:serviceaccount:{namespace}:{account}", f"{issuer}:aud": "sts.amazonaws.com"}
            self._add(f"sts: {account} assumes its role", w, token, "sts:AssumeRoleWithWebIdentity", role, sub, source)
            self._add(f"sts: another service account assumes {account}'s role", w, token, "sts:AssumeRoleWithWebIdentity", role,
                      {**sub, f"{issuer}:sub": f"system:serviceaccount:{namespace}:default"}, "must fail: trust names one service account")
            self._add(f"sts: {account}'s token for another audience", w, token, "sts:AssumeRoleWithWebIdentity", role,
                      {**sub, f"{issuer}:aud": "openshift"}, "must fail: trust requires aud sts.amazonaws.com")

    def server_access_logs(self) -> None:
        logging = Principal("service", "logging.s3.amazonaws.com", "S3 log delivery")
        for config in self._of_type(":BucketLogging"):
            source, target = config.inputs["bucket"], config.inputs["targetBucket"]
            context = {**TLS, "aws:SourceArn": f"arn:aws:s3:::{source}", "aws:SourceAccount": self.account}
            self._add(f"log delivery: {self._logical(source)} logs into {self._logical(target)}", "S3 server access logging", logging,
                      "s3:PutObject", f"arn:aws:s3:::{target}/{config.inputs.get('targetPrefix', '')}2026-01-01-00-00-00-ABCDEF", context,
                      "S3 User Guide, Enabling server access logging (logging.s3.amazonaws.com, no SSE header)")
        for bucket in sorted({c.inputs["targetBucket"] for c in self._of_type(":BucketLogging")}):
            self._add(f"log delivery: a foreign bucket logs into {self._logical(bucket)}", "S3 server access logging", logging, "s3:PutObject",
                      f"arn:aws:s3:::{bucket}/x", {**TLS, "aws:SourceArn": "arn:aws:s3:::someone-elses-bucket", "aws:SourceAccount": FOREIGN_ACCOUNT},
                      "must fail: delivery only for this account's buckets")

    def _other_bucket(self, bucket: str) -> str:
        """Another bucket of this stack than `bucket` (the first by name)."""
        return min((r.inputs["bucket"] for r in self._of_type("s3/bucket:Bucket") if r.inputs["bucket"] != bucket), default=f"{bucket}-other")

    def replication(self) -> None:
        for config in self._of_type(":BucketReplicationConfig"):
            role_arn, source = config.inputs["role"], config.inputs["bucket"]
            me = self._role(role_arn, "S3 replication")
            w = "S3 replication"
            what = "replication" if self._logical(source) == "backups" else f"replication of {self._logical(source)}"
            s3 = Principal("service", "s3.amazonaws.com", "S3")
            # S3 assumes the role for a replication configuration, naming the bucket and its owner (S3 User Guide,
            # Setting up permissions for live replication: the trust policy used for replication).
            for_us = {**TLS, "aws:SourceAccount": self.account, "aws:SourceArn": f"arn:aws:s3:::{source}"}
            self._add(f"{what}: S3 assumes the replication role", w, s3, "sts:AssumeRole", role_arn, for_us,
                      "S3 User Guide, Setting up permissions for live replication (trust)")
            self._add(f"{what}: S3, for another account's bucket, assumes the replication role", w, s3, "sts:AssumeRole", role_arn,
                      {**TLS, "aws:SourceAccount": FOREIGN_ACCOUNT, "aws:SourceArn": "arn:aws:s3:::someone-elses-bucket"},
                      "must fail: confused deputy (trust conditions on aws:SourceAccount, aws:SourceArn)")
            self._add(f"{what}: S3, for another bucket of the account, assumes the replication role", w, s3, "sts:AssumeRole", role_arn,
                      {**for_us, "aws:SourceArn": f"arn:aws:s3:::{self._other_bucket(source)}"}, "must fail: only the source bucket's replication")
            self._add(f"{what}: another service assumes the replication role", w, Principal("service", "lambda.amazonaws.com", "Lambda"),
                      "sts:AssumeRole", role_arn, for_us, "must fail: the trust names S3 only")
            obj = "postgres/langfuse-postgres/wals/x.gz" if what == "replication" else "AWSLogs/x.json.gz"
            locked = any(r.inputs["bucket"] == source for r in self._of_type(":BucketObjectLockConfiguration"))
            src = f"arn:aws:s3:::{source}"
            for action in ("s3:GetReplicationConfiguration", "s3:ListBucket"):
                self._add(f"{what}: {action} on the source", w, me, action, src, TLS, "S3 User Guide, Setting up permissions for live replication")
            reads = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
            reads += ["s3:GetObjectRetention", "s3:GetObjectLegalHold"] if locked else []
            for action in reads:
                self._add(f"{what}: {action} on a source object", w, me, action, f"{src}/{obj}", TLS,
                          "S3 User Guide, live replication; Object Lock considerations (Retention, LegalHold)")
            source_key = self._bucket_key(source)
            if source_key:
                self._add(f"{what}: Decrypt the source object", w, me, "kms:Decrypt", source_key, {**TLS, **self._via_s3(source, key=obj)},
                          "S3 User Guide, Replicating encrypted objects; bucket key => bucket ARN context")
            for rule in config.inputs["rules"]:
                destination = rule["destination"]["bucket"].split(":::", 1)[1]
                replica_key = rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"]
                dst_region = replica_key.split(":")[3]
                for action in ("s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags"):
                    self._add(f"{what}: {action} into the DR bucket", w, me, action, f"arn:aws:s3:::{destination}/{obj}", TLS,
                              "S3 User Guide, Setting up permissions for live replication")
                for action in ("kms:GenerateDataKey", "kms:Encrypt", "kms:Decrypt"):
                    self._add(f"{what}: {action} under the replica key", w, me, action, replica_key,
                              {**TLS, **self._via_s3(destination, dst_region, obj)}, "S3 User Guide, Amazon S3 Bucket Keys and replication")
                self._add(f"{what}: ReplicateObject into another bucket", w, me, "s3:ReplicateObject",
                          f"arn:aws:s3:::{source.replace('-backups', '-events')}/x", TLS, "must fail: only the DR bucket")

    def replication_alerts(self) -> None:
        topics = {r.inputs["arn"] for r in self._of_type(":TopicPolicy")}
        for notification in self._of_type(":BucketNotification"):
            for topic in notification.inputs.get("topics", []):
                if topic["topicArn"] not in topics:
                    continue
                s3 = Principal("service", "s3.amazonaws.com", "S3 event notifications")
                logical = self._logical(notification.inputs["bucket"])
                context = {**TLS, "aws:SourceArn": f"arn:aws:s3:::{notification.inputs['bucket']}", "aws:SourceAccount": self.account}
                self._add(f"alerts: S3 publishes a replication event of {logical}", "S3 event notifications", s3, "sns:Publish", topic["topicArn"],
                          context, "S3 User Guide, Receiving replication failure events with Amazon S3 Event Notifications")
                self._add(f"alerts: another bucket publishes to the topic of {logical}", "S3 event notifications", s3, "sns:Publish",
                          topic["topicArn"], {**context, "aws:SourceArn": "arn:aws:s3:::someone-elses-bucket", "aws:SourceAccount": FOREIGN_ACCOUNT},
                          "must fail: confused deputy")
        cloudwatch = Principal("service", "cloudwatch.amazonaws.com", "CloudWatch alarms")
        for alarm in self._of_type(":MetricAlarm"):
            name = alarm.inputs["name"].removeprefix(f"{self.prefix}-")
            for topic in alarm.inputs.get("alarmActions", []):
                self._add(f"alerts: alarm {name} publishes", "CloudWatch", cloudwatch, "sns:Publish", topic,
                          {**TLS, "aws:SourceArn": alarm.arn, "aws:SourceAccount": self.account}, "CloudWatch User Guide, alarm actions to SNS")
        for topic in sorted({topic for alarm in self._of_type(":MetricAlarm") for topic in alarm.inputs.get("alarmActions", [])}):
            self._add(f"alerts: a foreign alarm publishes to {topic.rsplit(':', 1)[1].removeprefix(f'{self.prefix}-')}", "CloudWatch", cloudwatch,
                      "sns:Publish", topic, {**TLS, "aws:SourceArn": f"arn:aws:cloudwatch:{self.region}:{FOREIGN_ACCOUNT}:alarm:x",
                                             "aws:SourceAccount": FOREIGN_ACCOUNT}, "must fail: confused deputy")

    def cloudtrail(self) -> None:
        """The trail's deliveries, as CloudTrail makes them (CloudTrail User Guide, "Amazon S3 bucket policy for
        CloudTrail", "How AWS CloudTrail uses AWS KMS": S3 asks KMS for a data key on CloudTrail's behalf, with the
        trail's ARN as encryption context; "Sending events to CloudWatch Logs")."""
        ct = Principal("service", "cloudtrail.amazonaws.com", "CloudTrail")
        w = "CloudTrail"
        for trail in self._of_type(":Trail"):
            if trail.type != "aws:cloudtrail/trail:Trail" or not trail.arn:
                continue
            bucket, key, arn = trail.inputs["s3BucketName"], trail.inputs.get("kmsKeyId"), trail.arn
            other = f"arn:aws:cloudtrail:{self.region}:{FOREIGN_ACCOUNT}:trail/someone-elses"
            me = {**TLS, "aws:SourceArn": arn, "aws:SourceAccount": self.account}
            them = {**TLS, "aws:SourceArn": other, "aws:SourceAccount": FOREIGN_ACCOUNT}
            acl = {"s3:x-amz-acl": "bucket-owner-full-control"}
            sse = {SSE: "aws:kms", SSE_KEY: key} if key else {}
            logs = f"arn:aws:s3:::{bucket}/AWSLogs/{self.account}/CloudTrail/{self.region}/2026/01/01/{self.account}_CloudTrail_{self.region}_20260101T0000Z_a1.json.gz"
            digest = f"arn:aws:s3:::{bucket}/AWSLogs/{self.account}/CloudTrail-Digest/{self.region}/2026/01/01/{self.account}_CloudTrail-Digest_{self.region}_audit_{self.region}_20260101T000000Z.json.gz"
            source = "CloudTrail User Guide, Amazon S3 bucket policy for CloudTrail"
            self._add("cloudtrail: GetBucketAcl of its bucket", w, ct, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", me, source)
            self._add("cloudtrail: another trail's GetBucketAcl", w, ct, "s3:GetBucketAcl", f"arn:aws:s3:::{bucket}", them, "must fail: aws:SourceArn")
            self._add("cloudtrail: PutObject a log file", w, ct, "s3:PutObject", logs, {**me, **acl, **sse}, f"{source}; SSE-KMS with the trail's key")
            self._add("cloudtrail: PutObject a digest file (SSE-S3)", w, ct, "s3:PutObject", digest, {**me, **acl, SSE: "AES256"},
                      "CloudTrail User Guide, SSE-KMS: digest files are encrypted with SSE-S3")
            self._add("cloudtrail: PutObject a log file without bucket-owner-full-control", w, ct, "s3:PutObject", logs, {**me, **sse},
                      "must fail: s3:x-amz-acl condition")
            self._add("cloudtrail: PutObject a log file asking for SSE-S3", w, ct, "s3:PutObject", logs, {**me, **acl, SSE: "AES256"},
                      "must fail: bucket policy DenyOtherEncryption outside the digest prefix")
            self._add("cloudtrail: another trail delivers into the bucket", w, ct, "s3:PutObject", logs, {**them, **acl, **sse}, "must fail: aws:SourceArn")
            if key:
                context = {**me, "kms:EncryptionContext:aws:cloudtrail:arn": arn}
                self._add("cloudtrail: kms:GenerateDataKey for its log files", w, ct, "kms:GenerateDataKey", key, context,
                          "CloudTrail User Guide, Configure AWS KMS key policies for CloudTrail (encrypt)")
                self._add("cloudtrail: kms:DescribeKey", w, ct, "kms:DescribeKey", key, me, "CloudTrail User Guide, key policies (describe)")
                self._add("cloudtrail: kms:GenerateDataKey for another account's trail", w, ct, "kms:GenerateDataKey", key,
                          {**them, "kms:EncryptionContext:aws:cloudtrail:arn": other}, "must fail: aws:SourceArn and the encryption context")
                self._add("cloudtrail: kms:Decrypt", w, ct, "kms:Decrypt", key, context, "must fail: CloudTrail only encrypts")
            role = trail.inputs.get("cloudWatchLogsRoleArn")
            group = (trail.inputs.get("cloudWatchLogsGroupArn") or "").removesuffix(":*")
            if role and group:
                self._add("cloudtrail: assumes its CloudWatch Logs role", w, ct, "sts:AssumeRole", role, me,
                          "CloudTrail User Guide, Sending events to CloudWatch Logs")
                self._add("cloudtrail: another trail assumes the CloudWatch Logs role", w, ct, "sts:AssumeRole", role, them, "must fail: aws:SourceArn")
                writer = self._role(role, "CloudTrail to CloudWatch Logs")
                stream = f"{group}:log-stream:{self.account}_CloudTrail_{self.region}"
                for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
                    self._add(f"cloudtrail logs: {action}", w, writer, action, stream, TLS, "CloudTrail User Guide, role policy for CloudWatch Logs")
                self._add("cloudtrail logs: PutLogEvents into another log group", w, writer, "logs:PutLogEvents",
                          f"arn:aws:logs:{self.region}:{self.account}:log-group:other:log-stream:x", TLS, "must fail: only the trail's group")
        self._log_group_encryption()

    def _log_group_encryption(self) -> None:
        """CloudWatch Logs encrypting each log group under its key (CloudWatch Logs User Guide, "Encrypt log data in
        CloudWatch Logs using AWS KMS": the regional service principal, the group's ARN as encryption context)."""
        logs = Principal("service", f"logs.{self.region}.amazonaws.com", "CloudWatch Logs")
        for group in self._of_type(":LogGroup"):
            key, arn = group.inputs.get("kmsKeyId"), group.arn
            if not key or not arn:
                continue
            name = group.inputs["name"].removeprefix(f"{self.prefix}-")
            self._add(f"cloudwatch logs: kms:GenerateDataKey for log group {name}", "CloudWatch Logs", logs, "kms:GenerateDataKey", key,
                      {**TLS, "kms:EncryptionContext:aws:logs:arn": arn}, "CloudWatch Logs User Guide, Encrypt log data using AWS KMS")
            self._add(f"cloudwatch logs: kms:Decrypt for another log group with the key of {name}", "CloudWatch Logs", logs, "kms:Decrypt", key,
                      {**TLS, "kms:EncryptionContext:aws:logs:arn": f"arn:aws:logs:{self.region}:{self.account}:log-group:other"},
                      "must fail: only this stack's groups")

    def audit_export(self) -> None:
        """The audit_logs export (langfuse_incluster.audit_export): one PutObject with If-None-Match per window,
        SSE-KMS with the audit key named (boto3 put_object, IfNoneMatch="*", ServerSideEncryption, SSEKMSKeyId)."""
        for cron in self._find("CronJob"):
            pod = cron.manifest["spec"]["jobTemplate"]["spec"]["template"]["spec"]
            env = {e["name"]: e.get("value") for c in pod["containers"] for e in c.get("env", [])}
            if "AUDIT_BUCKET" not in env:
                continue
            role_arn = self._service_account_role(pod.get("serviceAccountName", ""))
            if role_arn is None:
                continue
            me = self._role(role_arn, f"audit_logs export ({cron.name})")
            w, source = "audit_logs export", "langfuse_incluster/audit_export/sink.py (put_object IfNoneMatch='*')"
            bucket, prefix, key = env["AUDIT_BUCKET"], env["AUDIT_PREFIX"], env["AUDIT_KMS_KEY_ID"]
            obj = f"{prefix}2026/01/01/audit_logs-20251231T000000Z-20260101T000000Z.jsonl.gz"
            arn = f"arn:aws:s3:::{bucket}/{obj}"
            headers = {SSE: "aws:kms", SSE_KEY: key}
            self._add("audit export: PutObject a window (If-None-Match)", w, me, "s3:PutObject", arn, {**TLS, **headers, "s3:if-none-match": "*"}, source)
            self._add("audit export: PutObject without If-None-Match (an overwrite)", w, me, "s3:PutObject", arn, {**TLS, **headers},
                      "must fail: role and bucket policy require If-None-Match")
            self._add("audit export: PutObject outside its prefix", w, me, "s3:PutObject", f"arn:aws:s3:::{bucket}/AWSLogs/{self.account}/x",
                      {**TLS, **headers, "s3:if-none-match": "*"}, "must fail: its prefix only")
            self._add("audit export: DeleteObject an export", w, me, "s3:DeleteObject", arn, TLS, "must fail: append-only")
            self._add("audit export: GetObject an export", w, me, "s3:GetObject", arn, TLS, "must fail: it reads nothing back")
            context = {**TLS, **self._via_s3(bucket, key=obj)}
            self._add("audit export: kms:GenerateDataKey (SSE-KMS, via S3)", w, me, "kms:GenerateDataKey", key, context, "S3 SSE-KMS on PutObject")
            self._add("audit export: kms:Decrypt", w, me, "kms:Decrypt", key, context, "must fail: it reads nothing back")

    def log_forwarder(self) -> None:
        """The cluster's log collector: its projected token (audience "openshift": cluster-logging-operator
        internal/collector/collector.go, defaultAudience) for the role its ClusterLogForwarder names, then
        CloudWatch Logs writes into the groups its outputs name."""
        if not self.oidc_provider:
            return
        issuer = self.oidc_provider.split(":oidc-provider/", 1)[1]
        secrets = {(o.namespace, o.name): o for o in self._find("Secret")}
        token = Principal("web-identity", self.oidc_provider, "collector token (cluster OIDC provider)")
        for forwarder in self._find("ClusterLogForwarder"):
            spec, namespace = forwarder.manifest["spec"], forwarder.namespace
            account = spec["serviceAccount"]["name"]
            for output in spec.get("outputs", []):
                cw = output.get("cloudwatch")
                if not cw or cw["authentication"]["type"] != "iamRole":
                    continue
                secret = secrets[(namespace, cw["authentication"]["iamRole"]["roleARN"]["secretName"])]
                role = secret.manifest["metadata"]["annotations"][ROLE_ARN_ANNOTATION]
                w = f"log collector ({forwarder.name})"
                sub = {f"{issuer}:sub": f"system:serviceaccount:{namespace}:{account}", f"{issuer}:aud": "openshift"}
                self._add(f"sts: the log collector assumes its role ({output['name']})", w, token, "sts:AssumeRoleWithWebIdentity", role, sub,
                          "cluster-logging-operator collector.go: projected token, audience openshift")
                self._add(f"sts: another service account assumes the log collector's role ({output['name']})", w, token,
                          "sts:AssumeRoleWithWebIdentity", role, {**sub, f"{issuer}:sub": f"system:serviceaccount:{namespace}:default"},
                          "must fail: trust names one service account")
                me = self._role(role, "log collector")
                group = f"arn:aws:logs:{cw['region']}:{self.account}:log-group:{cw['groupName']}"
                for action in ("logs:CreateLogStream", "logs:PutLogEvents"):
                    self._add(f"log collector: {action} into {cw['groupName'].removeprefix(f'{self.prefix}-')}", w, me, action,
                              f"{group}:log-stream:ip-10-0-1-1.audit", TLS, "Vector aws_cloudwatch_logs sink")
                self._add(f"log collector: PutLogEvents into another log group ({output['name']})", w, me, "logs:PutLogEvents",
                          f"arn:aws:logs:{cw['region']}:{self.account}:log-group:other:log-stream:x", TLS, "must fail: only its groups")

    def ebs(self) -> None:
        for sc in self._find("StorageClass"):
            key = sc.manifest.get("parameters", {}).get("kmsKeyId")
            if not key or not self.csi_role:
                continue
            csi = Principal("role", self.csi_role, "EBS CSI driver (ROSA operator role)")
            w = "EBS CSI driver"
            source = "AWS EBS CSI driver docs, KMS key policy; EC2 gets a grant per attached volume"
            for action in ("kms:GenerateDataKeyWithoutPlaintext", "kms:Decrypt", "kms:DescribeKey", "kms:ReEncryptFrom"):
                self._add(f"ebs: CSI driver {action}", w, csi, action, key, TLS, source)
            self._add("ebs: CSI driver CreateGrant for EC2", w, csi, "kms:CreateGrant", key, {**TLS, "kms:GrantIsForAWSResource": "true"}, source)
            self._add("ebs: CSI driver CreateGrant for itself", w, csi, "kms:CreateGrant", key, {**TLS, "kms:GrantIsForAWSResource": "false"},
                      "must fail: grants only for AWS resources")
            other = Principal("role", f"arn:aws:iam::{self.account}:role/some-other-role", "a role of the account without an IAM grant")
            self._add("ebs: another role of the account decrypts", "anyone", other, "kms:Decrypt", key, TLS, "must fail: no IAM policy grants it")

    def other_account(self) -> None:
        """An administrator of another account: nothing here names it, so nothing lets it in."""
        them = Principal("role", f"arn:aws:iam::{FOREIGN_ACCOUNT}:role/admin", "another account's admin")
        for bucket in sorted(b.inputs["bucket"] for b in self._of_type(":BucketPolicy")):
            self._add(f"other account: GetObject from {self._logical(bucket)}", "another account", them, "s3:GetObject",
                      f"arn:aws:s3:::{bucket}/x", TLS, "must fail: cross-account needs the bucket policy", identity_policies=(ADMIN,))
        for key in sorted(self._key_arns()):
            self._add(f"other account: Decrypt with key {self._key_name(key)}", "another account", them, "kms:Decrypt", key, TLS,
                      "must fail: cross-account needs the key policy", identity_policies=(ADMIN,))

    def _key_arns(self) -> list[str]:
        return [r.arn for r in self._of_type(":Key") if r.type == "aws:kms/key:Key" and r.arn]

    def _key_name(self, arn: str) -> str:
        return next(r.name for r in self._of_type(":Key") if r.arn == arn)

    def _logical(self, bucket: str) -> str:
        """The bucket's purpose (tag), so request ids read the same in every stack."""
        for b in self._of_type(":Bucket"):
            if b.type == "aws:s3/bucket:Bucket" and b.inputs["bucket"] == bucket:
                purpose = (b.inputs.get("tags") or {}).get(PURPOSE_TAG, bucket)
                return f"{purpose} (DR)" if b.component.split("/")[-1].startswith("dr-") else purpose
        return bucket

    def all(self) -> list[Request]:
        for writer in (self.langfuse, self.barman, self.clickhouse, self.clickhouse_restore_drill, self.analytics, self.external_secrets,
                       self.web_identity, self.server_access_logs, self.replication, self.replication_alerts, self.cloudtrail, self.audit_export,
                       self.log_forwarder, self.ebs, self.other_account):
            writer()
        ids = [r.id for r in self.requests]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        assert not duplicates, f"request ids must be unique: {duplicates}"
        return self.requests


def requests_of(objects: list[RenderedObject], resources: list[RenderedResource], config: Mapping[str, Any]) -> Iterator[Request]:
    return iter(Catalogue(objects, resources, config).all())
