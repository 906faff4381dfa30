"""The analytics cluster: apart from the ClickHouse Langfuse uses, sharded where the environment requires it,
encrypted at rest, and fed through read-only access to the exports.

The analytics cluster is the ClickHouseInstallation (and ClickHouseKeeperInstallation) labelled
`langfuse-rosa/purpose: analytics`; the read-only principals are the IAM roles and users tagged
`langfuse-rosa:access: read-only`, and, tagged or not, the roles named like the loader's and the warehouses'.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlparse

from components.analytics.contract import PURPOSE as ANALYTICS
from components.analytics.contract import PURPOSE_LABEL
from components.aws.contract import READ_ONLY_TAG

from .base import CLICKHOUSE, KEEPER, Config, Rule, Setting, Subject, as_list, dig, env_map, pod_spec, policy_document, statements
from .encryption import storage_class_encrypted, volume_claims

# Actions a reader of the exports needs (policy_documents.prefix_reader, s3_access with READ and list).
READ_ACTIONS = {"s3:getobject", "s3:getobjectversion", "s3:listbucket", "s3:getbucketlocation", "kms:decrypt"}
READ_ONLY_NAMES = re.compile(r"-(analytics-loader|warehouse-[a-z0-9]+)$")
LANGFUSE_CLICKHOUSE_ENV = ("CLICKHOUSE_URL", "CLICKHOUSE_MIGRATION_URL")


def _is_analytics(subject: Subject) -> bool:
    return subject.type in (CLICKHOUSE, KEEPER) and dig(subject.props, "metadata", "labels", PURPOSE_LABEL) == ANALYTICS


def _service(chi: Subject) -> str:
    """The host the operator's client Service gives an installation: clickhouse-<name>.<namespace>.svc."""
    return f"clickhouse-{dig(chi.props, 'metadata', 'name')}.{dig(chi.props, 'metadata', 'namespace')}.svc"


def _langfuse_clickhouse_hosts(subjects: Sequence[Subject]) -> list[tuple[Subject, str, str]]:
    """(workload, variable, host) of every ClickHouse URL a Langfuse container is given."""
    found = []
    for s in subjects:
        spec = pod_spec(s.type, s.props)
        for container in (spec or {}).get("containers") or []:
            for name, var in env_map(container).items():
                if name in LANGFUSE_CLICKHOUSE_ENV and isinstance(var.get("value"), str):
                    found.append((s, name, urlparse(var["value"]).hostname or ""))
    return found


def analytics_apart(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    installations = [s for s in subjects if s.type == CLICKHOUSE]
    analytics = {_service(s) for s in installations if _is_analytics(s)}
    serving = {_service(s): s for s in installations if not _is_analytics(s)}
    problems, used = [], []
    for workload, variable, host in _langfuse_clickhouse_hosts(subjects):
        name = dig(workload.props, "metadata", "name")
        if host in analytics:
            problems.append((workload.label, f"{name} reaches ClickHouse at {host} ({variable}), the analytics cluster: Langfuse must use its own, single-shard cluster."))
        elif host in serving and serving[host] not in used:
            used.append(serving[host])
    for chi in used:
        for cluster in dig(chi.props, "spec", "configuration", "clusters") or []:
            shards = dig(cluster, "layout", "shardsCount") or 1
            if shards != 1:
                problems.append((chi.label, f"ClickHouse {dig(chi.props, 'metadata', 'name')}, which Langfuse uses, has {shards} shards: Langfuse's deletes and updates fail on Distributed tables."))
    return problems


def analytics_shards(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if resource_type != CLICKHOUSE or dig(props, "metadata", "labels", PURPOSE_LABEL) != ANALYTICS:
        return []
    problems = []
    for cluster in dig(props, "spec", "configuration", "clusters") or []:
        layout = cluster.get("layout") or {}
        shards, replicas = layout.get("shardsCount") or 1, layout.get("replicasCount") or 1
        if shards < config["minAnalyticsShards"]:
            problems.append(f"analytics cluster {cluster.get('name')} has {shards} shard(s); this environment requires at least {config['minAnalyticsShards']}.")
        if replicas < config["minAnalyticsReplicas"]:
            problems.append(f"analytics cluster {cluster.get('name')} has {replicas} replica(s) per shard; this environment requires at least {config['minAnalyticsReplicas']}.")
    return problems


def analytics_encrypted(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    allowed = set(config["encryptedStorageClasses"])
    allowed |= {dig(s.props, "metadata", "name") for s in subjects if s.type.endswith(":StorageClass") and not storage_class_encrypted(s.type, s.props, config)}
    problems = []
    for s in subjects:
        if not _is_analytics(s):
            continue
        claims = volume_claims(s)
        if not claims:
            problems.append((s.label, "the analytics cluster declares no volume claim template, so its data would not be on an encrypted volume."))
        problems += [(s.label, f"{what} uses storage class {cls!r}, not one of the encrypted classes {sorted(allowed)}.") for what, cls in claims if cls not in allowed]
        if s.type == CLICKHOUSE:
            backups = (dig(s.props, "spec", "configuration", "files") or {}).get("config.d/s3-backups.xml")
            key = None if not isinstance(backups, str) else ET.fromstring(backups).findtext("s3/backups/server_side_encryption_kms_key_id")
            if not key:
                problems.append((s.label, "the analytics cluster's backups name no KMS key (config.d/s3-backups.xml server_side_encryption_kms_key_id)."))
    return problems


def _read_only_principals(subjects: Sequence[Subject]) -> dict[str, tuple[Subject, bool]]:
    """name -> (role or user, tagged read-only) of every principal that must be read-only."""
    found = {}
    for s in subjects:
        if s.type not in ("aws:iam/role:Role", "aws:iam/user:User"):
            continue
        name, tags = s.props.get("name"), s.props.get("tags") or {}
        tagged = all(tags.get(k) == v for k, v in READ_ONLY_TAG.items())
        if tagged or READ_ONLY_NAMES.search(str(name)):
            found[str(name)] = (s, tagged)
    return found


def ingestion_read_only(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    principals = _read_only_principals(subjects)
    problems = [
        (s.label, f"{name} reads the exports and must carry the tag {READ_ONLY_TAG} (the read-only principals' marker).")
        for name, (s, tagged) in principals.items()
        if not tagged
    ]
    for s in subjects:
        owner = s.props.get("role") if s.type == "aws:iam/rolePolicy:RolePolicy" else s.props.get("user") if s.type == "aws:iam/userPolicy:UserPolicy" else None
        if owner is None or str(owner) not in principals:
            continue
        for statement in statements(policy_document(s.props.get("policy") or "{}")):
            if statement.get("Effect") != "Allow":
                continue
            if "NotAction" in statement:
                problems.append((s.label, f"{owner}'s policy allows NotAction: a read-only principal names what it may do."))
            writes = sorted(a for a in as_list(statement.get("Action")) if str(a).lower() not in READ_ACTIONS)
            if writes:
                problems.append((s.label, f"{owner} must be read-only, but its policy allows {', '.join(writes)}."))
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="analytics-cluster-apart-from-langfuse",
        theme="analytics",
        description="Langfuse's ClickHouse URLs name its own single-shard installation, never the analytics cluster.",
        severity="critical",
        enforcement="mandatory",
        remediation="Point CLICKHOUSE_URL and CLICKHOUSE_MIGRATION_URL at the serving installation (clickhouse-langfuse); shard only the analytics cluster.",
        stack_check=analytics_apart,
    ),
    Rule(
        name="analytics-cluster-sharded",
        theme="analytics",
        description="The analytics cluster has at least the environment's shards and replicas per shard.",
        severity="high",
        enforcement="mandatory",
        remediation="Raise analytics.shards and analytics.replicas in the stack file (prod: at least 2 x 2).",
        check=analytics_shards,
        settings=(
            Setting("minAnalyticsShards", "integer", 2, "fewest shards of the analytics cluster"),
            Setting("minAnalyticsReplicas", "integer", 2, "fewest replicas of each analytics shard"),
        ),
    ),
    Rule(
        name="analytics-storage-encrypted",
        theme="analytics",
        description="The analytics cluster's volumes (servers and Keeper) are on an encrypted storage class and its backups name a KMS key.",
        severity="high",
        enforcement="mandatory",
        remediation="Use the cluster layer's encrypted StorageClass and keep server_side_encryption_kms_key_id in config.d/s3-backups.xml.",
        stack_check=analytics_encrypted,
        settings=(Setting("encryptedStorageClasses", "array", ["langfuse-gp3-encrypted"], "StorageClasses known to encrypt with a CMK"),),
    ),
    Rule(
        name="analytics-ingestion-read-only",
        theme="analytics",
        description="The roles and users that read Langfuse's exports (the analytics loader, the warehouses) can only list, get and decrypt.",
        severity="high",
        enforcement="mandatory",
        remediation="Grant readers s3:GetObject, s3:GetObjectVersion, s3:ListBucket, s3:GetBucketLocation and kms:Decrypt only, and tag them langfuse-rosa:access=read-only.",
        stack_check=ingestion_read_only,
    ),
)
