"""The compliance report: for every store the plan renders, where its data lives, how it is encrypted at rest
and in transit, how long it is kept, its backups and their copy, who can read it and what records access to it;
and, from the tenant controller's configuration, how each platform project's data is kept and isolated.

Everything is read off the plan: the rendered resources and objects, and the access matrix's decisions (who can
read is the set of principals whose read requests the matrix allows). Nothing here is a second source of truth.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from components.aws.contract import PURPOSE_TAG
from infra.offline_plan.access_matrix import AccessMatrix
from infra.offline_plan.render import RenderedObject, RenderedResource

READS = ("s3:GetObject", "secretsmanager:GetSecretValue")
HOLDS = {
    "events": "raw ingestion events",
    "media": "media uploads",
    "exports": "batch exports",
    "backups": "PostgreSQL and ClickHouse backups",
    "backups-replica": "copies of the backups",
    "access-logs": "S3 server access logs",
    "audit": "the audit record: CloudTrail log files, Langfuse's audit_logs",
    "audit-replica": "copies of the audit record",
}


@dataclass(frozen=True)
class StoreRow:
    store: str
    holds: str
    region: str
    at_rest: str
    in_transit: str
    retention: str
    backups: str
    readers: tuple[str, ...]
    audited: str


@dataclass(frozen=True)
class ComplianceReport:
    stack: str
    stores: tuple[StoreRow, ...]
    projects: tuple[tuple[str, str], ...]  # (setting, what it means for every project)

    def markdown(self) -> str:
        lines = [
            f"# Compliance report: {self.stack}",
            "",
            "Generated from this plan: the rendered resources and the AWS access matrix's decisions (aws/access-matrix.md).",
            "",
            "## Stores",
            "",
            "| store | holds | region | encryption at rest | in transit | retention | backups and their copy | who can read it | what is audited, and where |",
            "|---|---|---|---|---|---|---|---|---|",
        ]
        for r in self.stores:
            readers = "<br>".join(r.readers) or "—"
            lines.append(
                f"| {r.store} | {r.holds} | {r.region} | {r.at_rest} | {r.in_transit} | {r.retention} | {r.backups} | {readers} | {r.audited} |"
            )
        lines += ["", "## Projects", "", "| setting | every platform project |", "|---|---|"]
        lines += [f"| {setting} | {value} |" for setting, value in self.projects]
        return "\n".join(lines) + "\n"


class _Plan:
    def __init__(self, objects: list[RenderedObject], resources: list[RenderedResource], config: Mapping[str, Any], access: AccessMatrix | None):
        self.objects, self.resources, self.config, self.access = objects, resources, config, access
        self.region = (config.get("langfuse-rosa:cluster") or {}).get("region", "")

    def of(self, type_: str) -> list[RenderedResource]:
        return [r for r in self.resources if r.type == type_]

    def by_bucket(self, type_: str) -> dict[str, dict[str, Any]]:
        return {r.inputs["bucket"]: r.inputs for r in self.of(type_)}

    def find(self, kind: str) -> list[RenderedObject]:
        return [o for o in self.objects if o.kind == kind]

    def key_name(self, arn: str | None) -> str:
        keys = {r.arn: r for r in self.of("aws:kms/key:Key")}
        aliases = {a.inputs["targetKeyId"]: a.inputs["name"] for a in self.of("aws:kms/alias:Alias")}
        key = keys.get(arn or "")
        if key is None:
            return str(arn)
        key_id = key.arn.rsplit("/", 1)[1] if key.arn else ""
        rotation = f", rotated every {key.inputs['rotationPeriodInDays']} days" if key.inputs.get("enableKeyRotation") else ""
        return f"{aliases.get(key_id, key_id)} (customer-managed{rotation})"

    def readers(self, match: Any) -> tuple[str, ...]:
        if self.access is None:
            return ()
        allowed = {row.request.principal.label for row in self.access.rows if row.allowed and row.request.action in READS and match(row.request.resource)}
        return tuple(sorted(allowed)) + ("the account's administrators, through IAM (the key and bucket policies delegate to it)",)


def _trail_audits(plan: _Plan, bucket: str) -> str | None:
    """The trail logging this bucket's object events, and under which prefixes if not all of it."""
    for trail in plan.of("aws:cloudtrail/trail:Trail"):
        prefixes = [
            p
            for selector in trail.inputs.get("advancedEventSelectors") or []
            for field in selector.get("fieldSelectors") or []
            if field.get("field") == "resources.ARN"
            for p in field.get("startsWiths") or []
            if p.startswith(f"arn:aws:s3:::{bucket}/")
        ]
        if prefixes:
            where = "" if f"arn:aws:s3:::{bucket}/" in prefixes else " under " + ", ".join(p.split("/", 1)[1] for p in prefixes)
            return f"CloudTrail {trail.inputs['name']} (object reads and writes{where}) → s3://{trail.inputs['s3BucketName']}, validated"
    return None


def _buckets(plan: _Plan) -> list[StoreRow]:
    sse, lock = plan.by_bucket("aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"), plan.by_bucket(
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    )
    lifecycle, logging = plan.by_bucket("aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"), plan.by_bucket("aws:s3/bucketLogging:BucketLogging")
    policies = {r.inputs["bucket"]: json.loads(r.inputs["policy"]) for r in plan.of("aws:s3/bucketPolicy:BucketPolicy")}
    replication = {r.inputs["bucket"]: r.inputs for r in plan.of("aws:s3/bucketReplicationConfig:BucketReplicationConfig")}
    regions = {r.inputs["bucket"]: r.region for r in plan.of("aws:s3/bucket:Bucket")}
    rows = []
    for bucket in plan.of("aws:s3/bucket:Bucket"):
        name, purpose = bucket.inputs["bucket"], (bucket.inputs.get("tags") or {}).get(PURPOSE_TAG, "")
        default = (sse.get(name, {}).get("rules") or [{}])[0].get("applyServerSideEncryptionByDefault") or {}
        at_rest = f"SSE-KMS, key {plan.key_name(default.get('kmsMasterKeyId'))}" if default.get("sseAlgorithm") == "aws:kms" else "SSE-S3 (AES-256, S3-managed)"
        tls = any(s.get("Sid") == "DenyInsecureTransport" for s in policies.get(name, {}).get("Statement", []))
        kept = []
        for rule in lifecycle.get(name, {}).get("rules") or []:
            if rule.get("expiration"):
                kept.append(f"expires after {rule['expiration']['days']} d" + (f" under {rule['filter']['prefix']}" if (rule.get("filter") or {}).get("prefix") else ""))
            if rule.get("noncurrentVersionExpiration"):
                kept.append(f"old versions {rule['noncurrentVersionExpiration']['noncurrentDays']} d")
        retention = (lock.get(name) or {}).get("rule", {}).get("defaultRetention")
        if retention:
            kept.append(f"object lock {retention['mode']} {retention['days']} d")
        copies = [
            f"replicated to {rule['destination']['bucket'].split(':::', 1)[1]} ({regions.get(rule['destination']['bucket'].split(':::', 1)[1])}), within 15 min (RTC)"
            for rule in (replication.get(name) or {}).get("rules", [])
        ]
        audited = [a for a in [_trail_audits(plan, name)] if a]
        if name in logging:
            audited.append(f"server access logs → s3://{logging[name]['targetBucket']}")
        rows.append(
            StoreRow(
                store=f"S3 {name}",
                holds=HOLDS.get(purpose, purpose),
                region=bucket.region or plan.region,
                at_rest=at_rest,
                in_transit="TLS only (bucket policy denies aws:SecureTransport false)" if tls else "not enforced",
                retention="; ".join(kept) or "until deleted",
                backups="; ".join(["versioned", *copies]),
                readers=plan.readers(lambda arn, name=name: arn.startswith(f"arn:aws:s3:::{name}/")),
                audited="; ".join(audited) or "CloudTrail management events only",
            )
        )
    return rows


def _secrets(plan: _Plan) -> list[StoreRow]:
    secrets = plan.of("aws:secretsmanager/secret:Secret")
    if not secrets:
        return []
    keys = sorted({plan.key_name(s.inputs.get("kmsKeyId")) for s in secrets})
    windows = sorted({s.inputs.get("recoveryWindowInDays") for s in secrets})
    prefix = secrets[0].inputs["name"].split("/", 1)[0]
    audited = "CloudTrail management events (every GetSecretValue); alarm on a refused read" if plan.of("aws:cloudtrail/trail:Trail") else "—"
    return [
        StoreRow(
            store=f"Secrets Manager {prefix}/*",
            holds=f"{len(secrets)} generated credentials and keys",
            region=secrets[0].region or plan.region,
            at_rest=f"KMS, key {', '.join(keys)}",
            in_transit="TLS (the AWS API)",
            retention=f"until deleted; recoverable {', '.join(map(str, windows))} d after",
            backups="none (regenerated or restored with the stack)",
            readers=plan.readers(lambda arn: ":secretsmanager:" in arn),
            audited=audited,
        )
    ]


def _in_cluster(plan: _Plan) -> list[StoreRow]:
    rows = []
    for cluster in plan.find("Cluster"):
        spec = cluster.manifest["spec"]
        parameters = spec.get("postgresql", {}).get("parameters", {})
        (store,) = [o.manifest for o in plan.find("ObjectStore")] or [{}]
        destination = (store.get("spec") or {}).get("configuration", {}).get("destinationPath", "")
        bucket = urlparse(destination).netloc
        pgaudit = parameters.get("pgaudit.log")
        rows.append(
            StoreRow(
                store=f"PostgreSQL {cluster.name} ({spec['instances']} instances)",
                holds="Langfuse's users, projects, keys, settings, audit_logs",
                region=plan.region,
                at_rest=f"EBS volumes of StorageClass {spec['storage']['storageClass']} (the cluster layer's KMS key)",
                in_transit=f"TLS ≥ {parameters.get('ssl_min_protocol_version', '?')} required (pg_hba rejects plain TCP)",
                retention=f"backups kept {(store.get('spec') or {}).get('retentionPolicy', '?')}",
                backups=f"Barman Cloud: WAL every {parameters.get('archive_timeout', '?')} and daily base backups to {destination}" + _copy_of(plan, bucket),
                readers=("Langfuse web, worker and migration (owner role, Secret langfuse-postgres-owner)",)
                + (("the audit_logs export (as Langfuse's user; it only reads audit_logs)",) if plan_exports(plan) else ())
                + tuple(f"backups: {r}" for r in plan.readers(lambda arn, b=bucket: arn.startswith(f"arn:aws:s3:::{b}/postgres/"))[:-1]),
                audited=(f"pgaudit ({pgaudit}; parameters never logged) in the instances' logs, which the cluster layer forwards to CloudWatch Logs" if pgaudit else "pgaudit off")
                + "; Langfuse's audit_logs: "
                + ("exported daily to the audit bucket (langfuse-audit-logs/)" if plan_exports(plan) else "not exported (audit.langfuseExport.image unset)")
                + "; who reads its Secrets: the API server audit log",
            )
        )
    for chi in plan.find("ClickHouseInstallation"):
        files = chi.manifest["spec"]["configuration"].get("files", {})
        rows.append(
            StoreRow(
                store=f"ClickHouse {chi.name}",
                holds="traces, observations, scores",
                region=plan.region,
                at_rest="EBS volumes of the encrypted StorageClass (the cluster layer's KMS key)",
                in_transit="TLS only (HTTPS and native TLS ports)",
                retention="per project (Langfuse data retention), otherwise until deleted",
                backups=("clickhouse-backup to the backups bucket" + _copy_of(plan, _backups_bucket(plan))) if "config.d/s3-backups.xml" in files else "none",
                readers=("Langfuse web, worker and migration (Secret langfuse-clickhouse)",),
                audited="ClickHouse's own query_log (not forwarded); who reads its Secrets: the API server audit log",
            )
        )
    for sts in (o for o in plan.find("StatefulSet") if o.name.endswith("-redis")):
        rows.append(
            StoreRow(
                store=f"Redis {sts.name}",
                holds="queues and cache (transient)",
                region=plan.region,
                at_rest="EBS volumes of the encrypted StorageClass (the cluster layer's KMS key)",
                in_transit="TLS only",
                retention="until processed or evicted by TTL",
                backups="none (transient; see README)",
                readers=("Langfuse web and worker (Secret langfuse-redis-auth)",),
                audited="who reads its Secrets: the API server audit log",
            )
        )
    return rows


def plan_exports(plan: _Plan) -> bool:
    return any(o.name == "langfuse-audit-export" for o in plan.find("CronJob"))


def _backups_bucket(plan: _Plan) -> str:
    return next((r.inputs["bucket"] for r in plan.of("aws:s3/bucket:Bucket") if (r.inputs.get("tags") or {}).get(PURPOSE_TAG) == "backups"), "")


def _copy_of(plan: _Plan, bucket: str) -> str:
    for config in plan.of("aws:s3/bucketReplicationConfig:BucketReplicationConfig"):
        if config.inputs["bucket"] == bucket:
            return f", copied to {config.inputs['rules'][0]['destination']['bucket'].split(':::', 1)[1]}"
    return ", no copy in another region"


def _projects(plan: _Plan) -> tuple[tuple[str, str], ...]:
    controller = next((o for o in plan.find("Deployment") if o.name == "langfuse-tenant-controller"), None)
    if controller is None:
        return (("tenant controller", "not deployed: projects and keys are made by hand in Langfuse; isolation is Langfuse's project membership"),)
    env = {e["name"]: e.get("value") for e in controller.manifest["spec"]["template"]["spec"]["containers"][0].get("env", [])}
    mode = env.get("TENANT_MODE")
    isolated = mode == "per-project"
    return (
        ("isolation", "a Langfuse project and key pair of its own per project namespace" if isolated else "none: every namespace gets the one shared project's key"),
        (
            "retention",
            "ProjectSettings spec.langfuse.retentionDays of each project (0 keeps forever; Langfuse's data-retention)"
            if isolated
            else "the shared project's; a project's retentionDays is refused (per-project retention needs the Enterprise licence)",
        ),
        ("key rotation", f"every {env.get('TENANT_ROTATION_DAYS')} days (spec.langfuse.rotationDays overrides), old key valid {env.get('TENANT_ROTATION_OVERLAP_HOURS')} h"),
        ("off-boarding", f"{env.get('TENANT_DEFAULT_DELETION_POLICY')} by default: Retain keeps the project and its data, Delete deletes a project the controller created"),
    )


def compliance_report(
    stack: str, objects: list[RenderedObject], resources: list[RenderedResource], config: Mapping[str, Any], access: AccessMatrix | None
) -> ComplianceReport | None:
    """The report of an environment stack (None for a cluster layer: it holds no data)."""
    if config.get("langfuse-rosa:layer") == "cluster":
        return None
    plan = _Plan(objects, resources, config, access)
    return ComplianceReport(stack, tuple(_buckets(plan) + _secrets(plan) + _in_cluster(plan)), _projects(plan))


def decoded(config: Mapping[str, str]) -> dict[str, Any]:
    return {key: json.loads(value) if value[:1] in "{[" else value for key, value in config.items()}

