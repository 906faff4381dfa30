"""Encryption in transit: Routes terminate TLS, redirect HTTP and send HSTS; buckets refuse plain HTTP;
Langfuse verifies PostgreSQL's certificate and speaks TLS to ClickHouse and Redis."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .base import (
    Config,
    Rule,
    Setting,
    Subject,
    as_list,
    containers,
    env_map,
    is_kubernetes,
    pod_specs,
    policy_document,
    statements,
)
from .encryption import buckets

HSTS_ANNOTATION = "haproxy.router.openshift.io/hsts_header"
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"


def route_tls(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if not is_kubernetes(resource_type, "Route"):
        return []
    tls = (props.get("spec") or {}).get("tls") or {}
    problems = []
    if tls.get("termination") not in ("edge", "reencrypt", "passthrough"):
        problems.append("Route does not terminate TLS (spec.tls.termination).")
    elif tls.get("termination") != "passthrough" and tls.get("insecureEdgeTerminationPolicy") != "Redirect":
        problems.append("Route does not redirect plain HTTP to HTTPS (insecureEdgeTerminationPolicy: Redirect).")
    header = ((props.get("metadata") or {}).get("annotations") or {}).get(HSTS_ANNOTATION, "")
    match = re.search(r"max-age=(\d+)", header)
    if match is None:
        problems.append(f"Route sends no HSTS header ({HSTS_ANNOTATION}).")
    elif int(match.group(1)) < config["minHstsMaxAgeSeconds"]:
        problems.append(f"Route's HSTS max-age {match.group(1)} is below {config['minHstsMaxAgeSeconds']}.")
    return problems


def _denies_insecure_transport(document: Mapping[str, Any], bucket: str) -> bool:
    arn = f"arn:aws:s3:::{bucket}"
    for statement in statements(document):
        condition = (statement.get("Condition") or {}).get("Bool") or {}
        if (
            statement.get("Effect") == "Deny"
            and statement.get("Principal") in ("*", {"AWS": "*"})
            and "s3:*" in as_list(statement.get("Action"))
            and {arn, f"{arn}/*"} <= set(as_list(statement.get("Resource")))
            and str(condition.get("aws:SecureTransport")).lower() == "false"
        ):
            return True
    return False


def bucket_denies_insecure_transport(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    policies: dict[str, list[Mapping[str, Any]]] = {}
    for s in subjects:
        if s.type == BUCKET_POLICY:
            policies.setdefault(s.props.get("bucket"), []).append(policy_document(s.props.get("policy")))
    problems = []
    for bucket in buckets(subjects):
        name = bucket.props.get("bucket")
        if not any(_denies_insecure_transport(document, name) for document in policies.get(name, [])):
            problems.append((bucket.label, f"bucket {name} has no policy denying requests without TLS (aws:SecureTransport false)."))
    return problems


def _langfuse_containers(resource_type: str, props: Mapping[str, Any]) -> list[tuple[str, dict[str, Mapping[str, Any]]]]:
    return [(label, env) for _, spec in pod_specs(resource_type, props) for label, c in containers(spec) if (env := env_map(c))]


def langfuse_postgres_tls_verified(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    problems = []
    for label, env in _langfuse_containers(resource_type, props):
        if "DATABASE_HOST" not in env and "DATABASE_URL" not in env:
            continue
        args = dict(part.split("=", 1) for part in (env.get("DATABASE_ARGS") or {}).get("value", "").split("&") if "=" in part)
        # Prisma's sslmode=require encrypts but accepts any certificate unless sslaccept=strict and sslcert name the CA.
        if args.get("sslmode") not in ("require", "verify-full") or args.get("sslaccept") != "strict" or not args.get("sslcert"):
            problems.append(f"{label} connects to PostgreSQL without verifying its certificate (DATABASE_ARGS needs sslmode=require&sslaccept=strict&sslcert=<CA>).")
    return problems


def langfuse_clickhouse_redis_tls(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    problems = []
    for label, env in _langfuse_containers(resource_type, props):
        url = (env.get("CLICKHOUSE_URL") or {}).get("value")
        if url is not None and not str(url).startswith("https://"):
            problems.append(f"{label} reaches ClickHouse over plain HTTP ({url}).")
        if "CLICKHOUSE_MIGRATION_URL" in env and (env.get("CLICKHOUSE_MIGRATION_SSL") or {}).get("value") != "true":
            problems.append(f"{label} runs ClickHouse migrations without TLS (CLICKHOUSE_MIGRATION_SSL).")
        for flag, uses in (("REDIS_TLS_ENABLED", ("REDIS_HOST", "REDIS_SENTINEL_NODES", "REDIS_CONNECTION_STRING")), ("REDIS_SENTINEL_TLS_ENABLED", ("REDIS_SENTINEL_NODES",))):
            if any(u in env for u in uses) and (env.get(flag) or {}).get("value") != "true":
                problems.append(f"{label} talks to Redis without TLS ({flag} is not true).")
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="route-tls-redirect-hsts",
        theme="encryption-in-transit",
        description="Routes terminate TLS, redirect plain HTTP to HTTPS and send an HSTS header.",
        severity="high",
        enforcement="mandatory",
        remediation="Set spec.tls.termination edge (or reencrypt), insecureEdgeTerminationPolicy Redirect and the haproxy.router.openshift.io/hsts_header annotation.",
        check=route_tls,
        settings=(Setting("minHstsMaxAgeSeconds", "integer", 31536000, "shortest acceptable HSTS max-age"),),
    ),
    Rule(
        name="s3-bucket-denies-insecure-transport",
        theme="encryption-in-transit",
        description="Every S3 bucket's policy denies any request made without TLS, on the bucket and its objects.",
        severity="high",
        enforcement="mandatory",
        remediation="Add a BucketPolicy statement: Deny, Principal *, s3:*, bucket and bucket/*, Condition Bool aws:SecureTransport false.",
        stack_check=bucket_denies_insecure_transport,
    ),
    Rule(
        name="langfuse-postgres-tls-verified",
        theme="encryption-in-transit",
        description="Langfuse's connections to PostgreSQL are encrypted and verify the server's certificate.",
        severity="high",
        enforcement="mandatory",
        remediation="Set DATABASE_ARGS to sslmode=require&sslaccept=strict&sslcert=<path of the server's CA> (components.langfuse.environment does).",
        check=langfuse_postgres_tls_verified,
    ),
    Rule(
        name="langfuse-clickhouse-redis-tls",
        theme="encryption-in-transit",
        description="Langfuse reaches ClickHouse over HTTPS (and migrates over TLS) and Redis and Sentinel over TLS.",
        severity="high",
        enforcement="mandatory",
        remediation="Use an https:// CLICKHOUSE_URL, CLICKHOUSE_MIGRATION_SSL true, REDIS_TLS_ENABLED and REDIS_SENTINEL_TLS_ENABLED true.",
        check=langfuse_clickhouse_redis_tls,
    ),
)
