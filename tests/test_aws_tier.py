"""The AWS tier as rendered: keys, buckets and their controls, one least-privilege role per workload, trust
in exactly one service account, and Langfuse's S3 settings."""

from __future__ import annotations

import json
from typing import Any

import pytest

from infra.offline_plan.plan import Plan
from tests.conftest import STACKS, container, env_of, find, objects_of, rendered_secrets_hold_no_data, stack_setting

BUCKETS = ("events", "media", "exports", "backups", "access-logs")
IRSA_ROLES = ("web", "worker", "postgres-backup", "clickhouse-backup", "clickhouse-restore-drill", "external-secrets")
# Stacks with the analytics cluster: its servers' role (backups) and its loader's (reads the exports).
ANALYTICS_ROLES = {"analytics-backup": "analytics-clickhouse-backup", "analytics-loader": "analytics-loader"}


def _analytics(stack_files, stack: str) -> bool:
    return bool((stack_files[stack].get("langfuse-rosa:analytics") or {}).get("enabled"))


def resources(plan: Plan, type_suffix: str) -> list[Any]:
    return [r for r in plan.resources if r.type.endswith(type_suffix)]


def by_bucket(plan: Plan, type_suffix: str) -> dict[str, dict[str, Any]]:
    return {r.inputs["bucket"]: r.inputs for r in resources(plan, type_suffix)}


def role_policy(plan: Plan, role: str) -> dict[str, Any]:
    (policy,) = [r for r in resources(plan, ":RolePolicy") if r.inputs["role"] == role]
    return json.loads(policy.inputs["policy"])


def grants(document: dict[str, Any]) -> set[tuple[str, str, str]]:
    """(action, resource, condition as JSON) for every Allow, flattened."""
    found = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
        condition = json.dumps(statement.get("Condition"), sort_keys=True) if "Condition" in statement else ""
        found |= {(action, target, condition) for action in actions for target in targets}
    return found


def data_key_arn(plan: Plan, prefix: str) -> str:
    sse = by_bucket(plan, ":BucketServerSideEncryptionConfiguration")[f"{prefix}-events"]
    return sse["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"]


def _aws(stack_files, stack: str) -> tuple[str, str, str]:
    aws = stack_setting(stack_files, stack, "aws")
    return aws["accountId"], aws["resourcePrefix"], stack_setting(stack_files, stack, "cluster", "region")


# -- buckets ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_five_buckets_each_with_every_control(plans, stack_files, stack):
    plan = plans[stack]
    account, prefix, _ = _aws(stack_files, stack)
    names = [f"{prefix}-{b}" for b in BUCKETS]
    key = data_key_arn(plan, prefix)
    assert key.startswith(f"arn:aws:kms:eu-west-1:{account}:key/")
    sse, public, ownership = (by_bucket(plan, t) for t in (":BucketServerSideEncryptionConfiguration", ":BucketPublicAccessBlock", ":BucketOwnershipControls"))
    versioning, logging, lifecycle = (by_bucket(plan, t) for t in (":BucketVersioning", ":BucketLogging", ":BucketLifecycleConfiguration"))
    for name in names:
        (rule,) = sse[name]["rules"]
        if name.endswith("-access-logs"):
            # Server access logging delivers only to SSE-S3 target buckets (S3 User Guide).
            assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}
        else:
            assert rule == {"applyServerSideEncryptionByDefault": {"kmsMasterKeyId": key, "sseAlgorithm": "aws:kms"}, "bucketKeyEnabled": True}
        assert {k: v for k, v in public[name].items() if k != "bucket"} == {
            "blockPublicAcls": True, "blockPublicPolicy": True, "ignorePublicAcls": True, "restrictPublicBuckets": True,
        }
        assert ownership[name]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
        assert versioning[name]["versioningConfiguration"] == {"status": "Enabled"}
        rules = {r["id"]: r for r in lifecycle[name]["rules"]}
        housekeeping = rules["abort-incomplete-uploads-and-expire-old-versions"]
        assert housekeeping["abortIncompleteMultipartUpload"] == {"daysAfterInitiation": 7}
        assert housekeeping["noncurrentVersionExpiration"]["noncurrentDays"] >= 1
        if name.endswith("-access-logs"):
            assert name not in logging  # a log bucket does not log into itself
            assert rules["expire-logs"]["expiration"]["days"] == 365
        else:
            assert logging[name] == {"bucket": name, "targetBucket": f"{prefix}-access-logs", "targetPrefix": f"{name}/"}
    assert rules_of(lifecycle, f"{prefix}-events")["infrequent-access"]["transitions"] == [{"days": 30, "storageClass": "STANDARD_IA"}]
    assert rules_of(lifecycle, f"{prefix}-exports")["expire-exports"]["expiration"] == {"days": 7}
    buckets = {r.inputs["bucket"]: r for r in resources(plan, ":Bucket")}
    assert all(buckets[name].protect and buckets[name].inputs["forceDestroy"] is False for name in names)


def rules_of(lifecycle: dict[str, dict[str, Any]], bucket: str) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in lifecycle[bucket]["rules"]}


@pytest.mark.parametrize("stack", STACKS)
def test_bucket_policies_refuse_plain_http_and_only_encryption_headers_that_are_present_and_wrong(plans, stack_files, stack):
    """Each Deny is guarded by Null false (the header is present): an upload without one gets the bucket default.
    Which requests these let through or refuse is tests/test_access_matrix.py's; this pins the documents."""
    plan = plans[stack]
    _, prefix, _ = _aws(stack_files, stack)
    key = data_key_arn(plan, prefix)
    policies = {name: json.loads(p["policy"]) for name, p in by_bucket(plan, ":BucketPolicy").items()}
    sse, key_id = "s3:x-amz-server-side-encryption", "s3:x-amz-server-side-encryption-aws-kms-key-id"
    for bucket in BUCKETS:
        name = f"{prefix}-{bucket}"
        arn = f"arn:aws:s3:::{name}"
        statements = {s["Sid"]: s for s in policies[name]["Statement"]}
        assert statements["DenyInsecureTransport"] == {
            "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
            "Resource": [arn, f"{arn}/*"], "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
        denies = {sid: s["Condition"] for sid, s in statements.items() if s["Effect"] == "Deny" and sid != "DenyInsecureTransport"}
        assert all(statements[sid]["Action"] == "s3:PutObject" and statements[sid]["Resource"] == f"{arn}/*" for sid in denies)
        assert not any("IfExists" in operator for condition in denies.values() for operator in condition)
        allows = [s for s in statements.values() if s["Effect"] == "Allow"]
        if bucket == "access-logs":
            assert denies == {"DenyOtherEncryption": {"StringNotEquals": {sse: "AES256"}, "Null": {sse: "false"}}}
            # Only S3's log delivery may write here, and only for this account's four data buckets and its audit bucket.
            (delivery,) = allows
            assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
            assert delivery["Condition"]["ArnLike"]["aws:SourceArn"] == sorted(f"arn:aws:s3:::{prefix}-{b}" for b in (*BUCKETS[:4], "audit"))
        else:
            assert denies == {
                "DenyOtherEncryption": {"StringNotEquals": {sse: "aws:kms"}, "Null": {sse: "false"}},
                "DenyOtherKmsKeys": {"StringNotEquals": {key_id: key}, "Null": {key_id: "false"}},
                # aws:kms without a key id means the AWS managed key aws/s3.
                "DenyAwsManagedKey": {"StringEquals": {sse: "aws:kms"}, "Null": {key_id: "true"}},
            }
            assert allows == []


def test_object_lock_and_replication_only_where_the_stack_asks(plans, stack_files):
    for stack in STACKS:
        plan = plans[stack]
        _, prefix, _ = _aws(stack_files, stack)
        locks = by_bucket(plan, ":BucketObjectLockConfiguration")
        replication = {r.inputs["bucket"]: r for r in resources(plan, ":BucketReplicationConfig")}
        # The audit bucket is locked everywhere: compliance mode in prod, governance elsewhere (tests/test_audit.py).
        audit = {f"{prefix}-audit"}
        if stack == "prod":
            dr_region = stack_setting(stack_files, stack, "disasterRecovery", "region")
            replica = f"{prefix}-backups-{dr_region}"
            days = stack_setting(stack_files, stack, "aws", "objectLockDays")
            assert set(locks) == {f"{prefix}-backups", replica} | audit | {f"{prefix}-audit-{dr_region}"}
            assert by_bucket(plan, ":BucketLogging")[replica]["targetBucket"] == f"{prefix}-access-logs-{dr_region}"
            assert all(locks[name]["rule"]["defaultRetention"] == {"days": days, "mode": "GOVERNANCE"} for name in (f"{prefix}-backups", replica))
            assert set(replication) == {f"{prefix}-backups", f"{prefix}-audit"}
            config = replication[f"{prefix}-backups"]
            (rule,) = config.inputs["rules"]
            assert rule["destination"]["bucket"] == f"arn:aws:s3:::{replica}"
            assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"].startswith(f"arn:aws:kms:{dr_region}:")
            assert rule["sourceSelectionCriteria"] == {"sseKmsEncryptedObjects": {"status": "Enabled"}}
            # Replication metrics and Replication Time Control: lag and failures become events and metrics.
            assert rule["destination"]["metrics"] == {"status": "Enabled", "eventThreshold": {"minutes": 15}}
            assert rule["destination"]["replicationTime"] == {"status": "Enabled", "time": {"minutes": 15}}
            dr_sse = by_bucket(plan, ":BucketServerSideEncryptionConfiguration")[replica]["rules"][0]
            assert dr_sse["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"].startswith(f"arn:aws:kms:{dr_region}:")
        else:
            assert set(locks) == audit and replication == {}


# -- keys ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS + ("cluster-prod",))
def test_keys_rotate_are_protected_and_trust_no_wildcard_principal(plans, stack_files, stack):
    keys = resources(plans[stack], ":Key")
    # data, secrets, audit; prod adds the DR copies' keys of backups and audit; a cluster layer has the EBS key and its audit log's
    assert len(keys) == {"prod": 5, "cluster-prod": 2}.get(stack, 3)
    account = stack_setting(stack_files, stack, "aws", "accountId")
    for key in keys:
        assert key.inputs["enableKeyRotation"] is True and key.inputs["rotationPeriodInDays"] == 365
        assert key.protect
        for statement in json.loads(key.inputs["policy"])["Statement"]:
            assert statement["Principal"] != "*" and statement["Principal"].get("AWS") != "*"
            if statement["Principal"].get("AWS") == f"arn:aws:iam::{account}:root":
                assert statement["Sid"] == "AccountAdministersThroughIam"
    aliases = sorted(a.inputs["name"] for a in resources(plans[stack], ":Alias"))
    assert len(aliases) == len(keys) and all(a.startswith("alias/acme-") for a in aliases)


# -- IAM roles for service accounts ---------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_each_role_trusts_exactly_its_service_account_with_the_sts_audience(plans, stack_files, stack):
    plan = plans[stack]
    _, prefix, _ = _aws(stack_files, stack)
    provider = stack_setting(stack_files, stack, "aws", "oidcProviderArn")
    issuer = provider.split(":oidc-provider/", 1)[1]
    namespace = stack_setting(stack_files, stack, "langfuse", "namespace")
    accounts = {
        "web": "langfuse-web", "worker": "langfuse-worker", "postgres-backup": "langfuse-postgres",
        "clickhouse-backup": "langfuse-clickhouse-backup", "external-secrets": "langfuse-external-secrets",
    } | (ANALYTICS_ROLES if _analytics(stack_files, stack) else {})
    roles = {r.inputs["name"]: json.loads(r.inputs["assumeRolePolicy"]) for r in resources(plan, ":Role")}
    for role, service_account in accounts.items():
        (statement,) = roles[f"{prefix}-{role}"]["Statement"]
        assert statement == {
            "Effect": "Allow",
            "Principal": {"Federated": provider},
            "Action": "sts:AssumeRoleWithWebIdentity",
            "Condition": {
                "StringEquals": {
                    f"{issuer}:sub": f"system:serviceaccount:{namespace}:{service_account}",
                    f"{issuer}:aud": "sts.amazonaws.com",
                }
            },
        }
        # And that service account exists, annotated with the role (CloudNativePG makes its own from the template).
        arn = f"arn:aws:iam::{stack_setting(stack_files, stack, 'aws', 'accountId')}:role/{prefix}-{role}"
        if role == "postgres-backup":
            template = find(plan, "Cluster", "langfuse-postgres")["spec"]["serviceAccountTemplate"]
            assert template["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == arn
        else:
            annotations = find(plan, "ServiceAccount", service_account)["metadata"]["annotations"]
            assert annotations["eks.amazonaws.com/role-arn"] == arn
    # And CloudTrail's role into CloudWatch Logs; in prod the two replication roles and the role Snowflake assumes.
    expected = {f"{prefix}-{role}" for role in (*IRSA_ROLES, "audit-cloudwatch-logs")}
    expected |= {f"{prefix}-backup-replication", f"{prefix}-audit-replication", f"{prefix}-warehouse-snowflake"} if stack == "prod" else set()
    expected |= {f"{prefix}-{role}" for role in ANALYTICS_ROLES} if _analytics(stack_files, stack) else set()
    assert set(roles) == expected


@pytest.mark.parametrize("stack", STACKS)
def test_each_role_is_allowed_exactly_what_its_workload_does(plans, stack_files, stack):
    plan = plans[stack]
    account, prefix, region = _aws(stack_files, stack)
    key = data_key_arn(plan, prefix)
    b = {name: f"arn:aws:s3:::{prefix}-{name}" for name in BUCKETS}
    get, put, delete = "s3:GetObject", "s3:PutObject", "s3:DeleteObject"
    multipart = ("s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
    sse_kms = {("kms:Decrypt", key, ""), ("kms:GenerateDataKey", key, "")}

    def objects(bucket: str, prefix_: str, *actions: str) -> set[tuple[str, str, str]]:
        return {(action, f"{b[bucket]}/{prefix_}*", "") for action in actions}

    def listing(bucket: str, prefix_: str | None) -> set[tuple[str, str, str]]:
        condition = json.dumps({"StringLike": {"s3:prefix": [f"{prefix_}*"]}}) if prefix_ else ""
        return {("s3:ListBucket", b[bucket], condition)}

    expected = {
        "web": objects("events", "events/", get, put) | objects("media", "media/", get, put) | objects("exports", "exports/", get) | sse_kms,
        "worker": objects("events", "events/", get, put, delete) | listing("events", "events/")
        | objects("media", "media/", get, put, delete) | listing("media", "media/")
        | objects("exports", "exports/", get, put, delete, *multipart) | listing("exports", "exports/") | sse_kms,
        # Barman Cloud checks the bucket with HeadBucket (s3:ListBucket without a prefix) before it writes.
        "postgres-backup": objects("backups", "postgres/", get, put, delete, *multipart) | listing("backups", None) | sse_kms,
        "clickhouse-backup": objects("backups", "clickhouse/", get, put, delete, *multipart) | listing("backups", "clickhouse/") | sse_kms,
        # The drill's own server reads backups; it can neither write nor delete one, nor make a data key.
        "clickhouse-restore-drill": objects("backups", "clickhouse/", get) | listing("backups", "clickhouse/") | {("kms:Decrypt", key, "")},
    }
    if _analytics(stack_files, stack):
        # The worker writes Langfuse's scheduled exports (and reads none of them back); the loader only reads them.
        expected["worker"] |= objects("exports", "analytics/", put, *multipart)
        expected["analytics-backup"] = objects("backups", "analytics-clickhouse/", get, put, delete, *multipart) | listing("backups", "analytics-clickhouse/") | sse_kms
        expected["analytics-loader"] = objects("exports", "analytics/", get) | listing("exports", "analytics/") | {("kms:Decrypt", key, "")}
    for role, allowed in expected.items():
        assert grants(role_policy(plan, f"{prefix}-{role}")) == allowed, role

    secrets_key = next(r.inputs["kmsKeyId"] for r in resources(plan, ":Secret"))
    referenced = {
        "dev": [],
        "staging": ["acme/slack/langfuse-staging-alerts", "acme/sso/langfuse-grafana-staging", "acme/sso/langfuse-staging", "acme/tls/langfuse-staging"],
        "prod": [
            "acme/langfuse/enterprise-license", "acme/slack/langfuse-prod-alerts", "acme/sso/langfuse-grafana-prod", "acme/sso/langfuse-prod",
        ],
    }[stack]
    secret = f"arn:aws:secretsmanager:{region}:{account}:secret:"
    readable = [f"{secret}{prefix}/*"] + [f"{secret}{name}-??????" for name in referenced]
    via = json.dumps({"StringEquals": {"kms:ViaService": f"secretsmanager.{region}.amazonaws.com"}})
    assert grants(role_policy(plan, f"{prefix}-external-secrets")) == {
        (action, arn, "") for action in ("secretsmanager:DescribeSecret", "secretsmanager:GetSecretValue") for arn in readable
    } | {("kms:Decrypt", secrets_key, via)}


@pytest.mark.parametrize("stack", STACKS + ("external",))
def test_no_role_policy_has_a_wildcard_action_or_an_unbounded_resource(plans, stack):
    policies = [json.loads(r.inputs["policy"]) for r in resources(plans[stack], ":RolePolicy")]
    assert len(policies) >= (3 if stack == "external" else 5)  # external mode: no backup roles
    for action, resource, _ in set().union(*(grants(p) for p in policies)):
        assert "*" not in action, action
        assert resource != "*" and resource.startswith("arn:aws:"), resource


# -- Secrets Manager, External Secrets, Langfuse's S3 settings ------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_generated_secrets_live_under_the_stack_prefix_encrypted_with_the_secrets_key(plans, stack_files, stack):
    plan = plans[stack]
    account, prefix, region = _aws(stack_files, stack)
    secrets = {r.inputs["name"]: r.inputs for r in resources(plan, ":Secret")}
    generated = ("app", "postgres", "clickhouse", "redis") + (("analytics-clickhouse",) if _analytics(stack_files, stack) else ())
    assert set(secrets) == {f"{prefix}/{name}" for name in generated}
    (key,) = {s["kmsKeyId"] for s in secrets.values()}
    assert key.startswith(f"arn:aws:kms:{region}:{account}:key/") and key != data_key_arn(plan, prefix)
    assert {s["recoveryWindowInDays"] for s in secrets.values()} == {stack_setting(stack_files, stack, "aws").get("secretRecoveryDays", 30)}


@pytest.mark.parametrize("stack", STACKS + ("external",))
def test_every_kubernetes_secret_comes_from_an_external_secret_through_the_namespace_store(plans, stack_files, stack):
    plan = plans[stack]
    assert rendered_secrets_hold_no_data(plan)
    namespace = stack_setting(stack_files, stack, "langfuse", "namespace")
    region = stack_setting(stack_files, stack, "cluster", "region")
    store = find(plan, "SecretStore", "aws-secrets-manager")
    assert store["metadata"]["namespace"] == namespace
    assert store["spec"]["provider"]["aws"] == {
        "service": "SecretsManager", "region": region, "auth": {"jwt": {"serviceAccountRef": {"name": "langfuse-external-secrets"}}},
    }
    externals = objects_of(plan, "ExternalSecret")
    assert externals
    for external in externals:
        spec = external["spec"]
        assert spec["secretStoreRef"] == {"name": "aws-secrets-manager", "kind": "SecretStore"}
        assert spec["target"]["name"] == external["metadata"]["name"] and spec["target"]["creationPolicy"] == "Owner"
        assert external["metadata"]["annotations"] == {"pulumi.com/waitFor": "condition=Ready"}
    # Every Secret a pod reads is one of those.
    written = {e["metadata"]["name"] for e in externals}
    for workload in objects_of(plan, "Deployment") + objects_of(plan, "Job") + objects_of(plan, "StatefulSet"):
        pod = workload["spec"]["template"]["spec"]
        for c in pod["containers"] + pod.get("initContainers", []):
            for e in c.get("env", []):
                if "secretKeyRef" in e.get("valueFrom", {}):
                    assert e["valueFrom"]["secretKeyRef"]["name"] in written, (workload["metadata"]["name"], e["name"])
        for volume in pod.get("volumes", []):
            if "secret" in volume and not volume["secret"]["secretName"].endswith(("-ca", "-tls")):
                assert volume["secret"]["secretName"] in written


@pytest.mark.parametrize("stack", STACKS)
def test_langfuse_writes_to_s3_with_its_role_and_the_data_key(plans, stack_files, stack):
    plan = plans[stack]
    _, prefix, region = _aws(stack_files, stack)
    key = data_key_arn(plan, prefix)
    for process in ("web", "worker"):
        env = {name: e.get("value") for name, e in env_of(container(find(plan, "Deployment", f"langfuse-{process}"))).items()}
        for setting, bucket in (("EVENT_UPLOAD", "events"), ("MEDIA_UPLOAD", "media"), ("BATCH_EXPORT", "exports")):
            assert env[f"LANGFUSE_S3_{setting}_BUCKET"] == f"{prefix}-{bucket}"
            assert env[f"LANGFUSE_S3_{setting}_PREFIX"] == f"{bucket}/"
            assert env[f"LANGFUSE_S3_{setting}_REGION"] == region
            assert env[f"LANGFUSE_S3_{setting}_SSE"] == "aws:kms"
            assert env[f"LANGFUSE_S3_{setting}_SSE_KMS_KEY_ID"] == key
        # IRSA only: no static keys, no endpoint override.
        assert not [name for name in env if "ACCESS_KEY" in name or "SECRET_ACCESS" in name or name.endswith("_ENDPOINT")]


def test_prod_licence_key_reaches_langfuse_from_secrets_manager(plans, stack_files):
    ref = stack_setting(stack_files, "prod", "langfuse", "licenseKey")
    env = env_of(container(find(plans["prod"], "Deployment", "langfuse-web")))
    assert env["LANGFUSE_EE_LICENSE_KEY"]["valueFrom"]["secretKeyRef"]["name"] == "langfuse-license"
    assert find(plans["prod"], "ExternalSecret", "langfuse-license")["spec"]["data"] == [
        {"secretKey": "license-key", "remoteRef": {"key": ref["secretsManagerName"], "property": ref["property"]}}
    ]
    assert "LANGFUSE_EE_LICENSE_KEY" not in env_of(container(find(plans["staging"], "Deployment", "langfuse-web")))


@pytest.mark.parametrize("stack", STACKS + ("cluster-prod",))
def test_aws_provider_refuses_other_accounts_and_tags_everything(plans, stack_files, stack):
    providers = [r for r in plans[stack].resources if r.type == "pulumi:providers:aws"]
    assert len(providers) == (2 if stack == "prod" else 1)
    account = stack_setting(stack_files, stack, "aws", "accountId")
    for provider in providers:
        assert json.loads(provider.inputs["allowedAccountIds"]) == [account]
        tags = json.loads(provider.inputs["defaultTags"])["tags"]
        assert tags == {"langfuse-rosa:environment": stack.removeprefix("cluster-"), "langfuse-rosa:stack": stack, "managed-by": "pulumi"}


def test_cluster_layer_configures_external_secrets_to_reach_aws_only_on_https(plans, stack_files):
    plan = plans["cluster-prod"]
    config = find(plan, "ExternalSecretsConfig", "cluster")
    (policy,) = config["spec"]["controllerConfig"]["networkPolicies"]
    assert policy["componentName"] == "ExternalSecretsCoreController"
    cidrs = stack_setting(stack_files, "cluster-prod", "operators").get("externalSecretsEgressCidrs", ["0.0.0.0/0"])
    assert policy["egress"] == [{"to": [{"ipBlock": {"cidr": c}} for c in cidrs], "ports": [{"protocol": "TCP", "port": 443}]}]


def test_prod_plan_lists_the_whole_aws_side(plans):
    counts: dict[str, int] = {}
    for component_counts in plans["prod"].counts().values():
        for kind, n in component_counts.items():
            counts[kind] = counts.get(kind, 0) + n
    assert counts["aws.kms.Key"] == 5  # data, secrets, audit, and the DR copies' keys of backups and audit in the DR region
    for control in ("Bucket", "BucketServerSideEncryptionConfiguration", "BucketPolicy", "BucketVersioning",
                    "BucketLifecycleConfiguration", "BucketPublicAccessBlock", "BucketOwnershipControls"):
        assert counts[f"aws.s3.{control}"] == 9, control  # five buckets and the audit bucket, the two DR replicas and their log bucket
    assert counts["aws.s3.BucketLogging"] == 7 and counts["aws.s3.BucketReplicationConfig"] == 2  # all but the two log buckets
    # Replication failures and lag of both copies: S3 events and two CloudWatch alarms each into one topic that mails a person;
    # the trail's three alarms into the audit topic.
    assert counts["aws.s3.BucketNotification"] == 2 and counts["aws.sns.Topic"] == counts["aws.sns.TopicPolicy"] == 2
    assert counts["aws.cloudwatch.MetricAlarm"] == 7 and counts["aws.sns.TopicSubscription"] == 1
    assert counts["aws.cloudtrail.Trail"] == 1 and counts["aws.cloudwatch.LogGroup"] == 1 and counts["aws.cloudwatch.LogMetricFilter"] == 3
    # Six workloads, two replications, CloudTrail's CloudWatch Logs role, the analytics servers and loader, and the
    # role Snowflake assumes.
    assert counts["aws.iam.Role"] == counts["aws.iam.RolePolicy"] == 12
    assert counts["aws.iam.User"] == counts["aws.iam.UserPolicy"] == 1  # BigQuery's transfers authenticate as a user
    assert counts["aws.secretsmanager.Secret"] == counts["aws.secretsmanager.SecretVersion"] == 5
    # 4 generated, Langfuse SSO, Grafana SSO, licence, Slack; the analytics cluster's users (hashes + 4 clients).
    assert counts["SecretStore"] == 1 and counts["ExternalSecret"] == 13
    cluster = {kind for component_counts in plans["cluster-prod"].counts().values() for kind in component_counts}
    assert {"Subscription", "ExternalSecretsConfig", "aws.kms.Key", "StorageClass", "ClusterLogForwarder", "aws.cloudwatch.LogGroup"} <= cluster


def test_a_failing_or_late_replication_reaches_the_alert_addresses(plans, stack_files):
    plan = plans["prod"]
    _, prefix, region = _aws(stack_files, "prod")
    dr_region = stack_setting(stack_files, "prod", "disasterRecovery", "region")
    (topic,) = [t for t in resources(plan, ":Topic") if t.inputs["name"].endswith("-backup-replication-alerts")]
    topic_arn = f"arn:aws:sns:{region}:{stack_setting(stack_files, 'prod', 'aws', 'accountId')}:{topic.inputs['name']}"
    notifications = {n.inputs["bucket"]: n.inputs for n in resources(plan, ":BucketNotification")}
    assert set(notifications) == {f"{prefix}-backups", f"{prefix}-audit"}
    for bucket, notification in notifications.items():
        assert notification == {"bucket": bucket, "topics": [{"topicArn": topic_arn, "events": [
            "s3:Replication:OperationFailedReplication", "s3:Replication:OperationMissedThreshold", "s3:Replication:OperationNotTracked",
        ]}]}
    alarms = {a.inputs["name"]: a.inputs for a in resources(plan, ":MetricAlarm") if a.inputs["namespace"] == "AWS/S3"}
    assert set(alarms) == {f"{prefix}-{copy}-replication-{what}" for copy in ("backup", "audit") for what in ("failed", "late")}
    for name, alarm in alarms.items():
        source = "backups" if "-backup-" in name else "audit"
        assert alarm["alarmActions"] == [topic_arn]
        assert alarm["dimensions"] == {"SourceBucket": f"{prefix}-{source}", "DestinationBucket": f"{prefix}-{source}-{dr_region}",
                                       "RuleId": f"copy-{source}-to-dr-region"}
        assert alarm["threshold"] == (900 if alarm["metricName"] == "ReplicationLatency" else 0)
    subscriptions = [(s.inputs["protocol"], s.inputs["endpoint"]) for s in resources(plan, ":TopicSubscription")]
    assert subscriptions == [("email", email) for email in stack_setting(stack_files, "prod", "disasterRecovery", "alertEmails")]
