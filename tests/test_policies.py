"""Each policy rule fires on a minimal bad resource (with its message) and passes a good one; the pack
registers every rule; the offline plan runs the same functions, with the same per-environment config, and
fails on a mandatory violation."""

from __future__ import annotations

import copy
import json
import re
import runpy
from typing import Any

import pytest
from click.testing import CliRunner
from pulumi_policy import EnforcementLevel, ResourceValidationPolicy, StackValidationPolicy
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE

from infra.cli import main as cli
from infra.offline_plan.plan import Plan
from infra.offline_plan.policy import evaluate, load_policy_config
from policies.pack import pack_policies
from policies.rules import ALL_RULES, Rule, Subject
from tests.conftest import STACKS, find, project_path
from tests.unit.policies.rules.rule_checks import KEY_ARN, RULES, check, stack_check

DEPLOYMENT = "kubernetes:apps/v1:Deployment"
STATEFULSET = "kubernetes:apps/v1:StatefulSet"
BUCKET = "aws:s3/bucket:Bucket"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def subjects_of(plan: Plan) -> list[Subject]:
    return [Subject(o.type, o.name, copy.deepcopy(o.manifest)) for o in plan.objects] + [
        Subject(r.type, r.name, copy.deepcopy(r.inputs)) for r in plan.resources
    ]


def first(subjects: list[Subject], resource_type: str, **match: Any) -> Subject:
    return next(s for s in subjects if s.type == resource_type and all(s.props.get(k) == v for k, v in match.items()))


@pytest.fixture
def prod(plans) -> list[Subject]:
    return subjects_of(plans["prod"])


@pytest.fixture
def web(plans) -> dict[str, Any]:
    return copy.deepcopy(find(plans["prod"], "Deployment", "langfuse-web"))


def _container(manifest: dict[str, Any]) -> dict[str, Any]:
    return manifest["spec"]["template"]["spec"]["containers"][0]


def _bucket(name: str, purpose: str = "events", **extra: Any) -> Subject:
    return Subject(BUCKET, name, {"bucket": name, "tags": {"langfuse-rosa:purpose": purpose}, **extra})


def _sse(bucket: str, algorithm: str = "aws:kms", key: str | None = KEY_ARN, bucket_key: bool = True) -> Subject:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return Subject(SSE, bucket, {"bucket": bucket, "rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": bucket_key}]})


# -- every rendered stack ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS + ("cluster-dev", "cluster-staging", "cluster-prod", "external"))
def test_rendered_stacks_have_no_mandatory_violation_and_only_the_known_advisories(plans, stack):
    violations = plans[stack].policy_violations
    assert [v for v in violations if v.mandatory] == []
    advisory = sorted({v.rule.name for v in violations})
    assert advisory == []


def test_every_rule_is_evaluated_on_every_stack_with_its_environment_config():
    for environment in ("dev", "staging", "prod"):
        config = load_policy_config(environment)
        assert set(config) <= set(RULES)
        for name, overrides in config.items():
            assert set(overrides) <= {s.name for s in RULES[name].settings} | {"enforcementLevel"}, name
    assert load_policy_config("prod")["backup-bucket-object-lock"]["requireObjectLock"] is True
    assert load_policy_config("dev")["workload-replicas"]["minReplicas"] == 1


# -- encryption at rest ----------------------------------------------------------------------------------------


def test_bucket_encryption_rule(prod):
    assert stack_check("s3-bucket-encrypted-with-cmk", prod) == []
    assert stack_check("s3-bucket-encrypted-with-cmk", [_bucket("b"), _sse("b")]) == []
    assert stack_check("s3-bucket-encrypted-with-cmk", [_bucket("b")]) == [("Bucket/b", "bucket b has no server-side encryption configuration.")]
    assert stack_check("s3-bucket-encrypted-with-cmk", [_bucket("b"), _sse("b", "AES256", None)]) == [
        ("Bucket/b", "bucket b defaults to 'AES256', not SSE-KMS.")
    ]
    assert stack_check("s3-bucket-encrypted-with-cmk", [_bucket("b"), _sse("b", key="alias/aws/s3")]) == [
        ("Bucket/b", "bucket b is encrypted with an AWS-managed key, not a customer-managed one.")
    ]
    # Access-log buckets: SSE-S3, the only target encryption server access logging delivers to; a CMK there
    # means no log ever arrives, and SSE-S3 stays refused for every other bucket.
    assert stack_check("s3-bucket-encrypted-with-cmk", [_bucket("l", "access-logs"), _sse("l", "AES256", None, bucket_key=False)]) == []
    assert stack_check("s3-bucket-encrypted-with-cmk", [_bucket("l", "access-logs"), _sse("l")]) == [
        ("Bucket/l", "bucket l receives server access logs, which S3 delivers only to SSE-S3 (AES256) buckets, not 'aws:kms'.")
    ]
    assert stack_check("s3-bucket-encrypted-with-cmk", [_bucket("b"), _sse("b", bucket_key=False)]) == [
        ("Bucket/b", "bucket b does not use an S3 bucket key.")
    ]


def test_storage_class_rule(plans):
    good = copy.deepcopy(find(plans["cluster-prod"], "StorageClass", "langfuse-gp3-encrypted"))
    storage_class = "kubernetes:storage.k8s.io/v1:StorageClass"
    assert check("storage-class-encrypted", storage_class, good) == []
    good["parameters"].pop("kmsKeyId")
    good["parameters"]["encrypted"] = "false"
    assert check("storage-class-encrypted", storage_class, good) == [
        'EBS StorageClass does not set encrypted: "true".',
        "EBS StorageClass has no customer-managed kmsKeyId.",
    ]


def test_volumes_rule(prod):
    assert stack_check("volumes-on-encrypted-storage-class", prod) == []
    postgres = first(prod, "kubernetes:postgresql.cnpg.io/v1:Cluster")
    postgres.props["spec"]["walStorage"]["storageClass"] = "gp3-csi"
    redis = next(s for s in prod if s.type == STATEFULSET and s.name == "langfuse-redis")
    del redis.props["spec"]["volumeClaimTemplates"][0]["spec"]["storageClassName"]  # the cluster default
    assert stack_check("volumes-on-encrypted-storage-class", prod) == [
        ("Cluster/langfuse-postgres", "walStorage uses storage class 'gp3-csi', not one of the encrypted classes ['langfuse-gp3-encrypted']."),
        ("StatefulSet/langfuse-redis", "volumeClaimTemplate data uses storage class None, not one of the encrypted classes ['langfuse-gp3-encrypted']."),
    ]


def test_database_backups_encrypted_rule(plans):
    store = copy.deepcopy(find(plans["prod"], "ObjectStore", "langfuse-postgres-backups"))
    object_store = "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"
    assert check("database-backups-encrypted", object_store, store) == []
    del store["spec"]["configuration"]["wal"]["encryption"]
    assert check("database-backups-encrypted", object_store, store) == [
        "PostgreSQL wal backups are not encrypted with SSE-KMS (ObjectStore spec.configuration.wal.encryption)."
    ]
    # A cluster still on the in-tree store is checked the same way.
    key = ["--sse-kms-key-id=arn:aws:kms:eu-west-1:111122223333:key/1"]
    in_tree = {"spec": {"backup": {"barmanObjectStore": {"wal": {"encryption": "aws:kms", "archiveAdditionalCommandArgs": key}, "data": {"encryption": "AES256"}}}}}
    assert check("database-backups-encrypted", "kubernetes:postgresql.cnpg.io/v1:Cluster", in_tree) == [
        "PostgreSQL data backups are not encrypted with SSE-KMS (barmanObjectStore.data.encryption)."
    ]
    # aws:kms without --sse-kms-key-id: S3 uses the AWS managed key aws/s3, not ours.
    store = copy.deepcopy(find(plans["prod"], "ObjectStore", "langfuse-postgres-backups"))
    del store["spec"]["configuration"]["data"]["additionalCommandArgs"]
    assert check("database-backups-encrypted", object_store, store) == [
        "PostgreSQL data backups name no KMS key (ObjectStore spec.configuration.data.additionalCommandArgs --sse-kms-key-id): "
        "S3 would use the AWS managed key aws/s3."
    ]


# -- encryption in transit --------------------------------------------------------------------------------------


def test_route_rule(plans):
    route = copy.deepcopy(find(plans["prod"], "Route", "langfuse-web"))
    route_type = "kubernetes:route.openshift.io/v1:Route"
    assert check("route-tls-redirect-hsts", route_type, route) == []
    route["spec"]["tls"]["insecureEdgeTerminationPolicy"] = "Allow"
    route["metadata"]["annotations"]["haproxy.router.openshift.io/hsts_header"] = "max-age=300"
    assert check("route-tls-redirect-hsts", route_type, route) == [
        "Route does not redirect plain HTTP to HTTPS (insecureEdgeTerminationPolicy: Redirect).",
        "Route's HSTS max-age 300 is below 31536000.",
    ]
    del route["spec"]["tls"]
    del route["metadata"]["annotations"]["haproxy.router.openshift.io/hsts_header"]
    assert check("route-tls-redirect-hsts", route_type, route) == [
        "Route does not terminate TLS (spec.tls.termination).",
        "Route sends no HSTS header (haproxy.router.openshift.io/hsts_header).",
    ]


def test_bucket_tls_rule(prod):
    assert stack_check("s3-bucket-denies-insecure-transport", prod) == []
    policy = first(prod, "aws:s3/bucketPolicy:BucketPolicy", bucket="acme-langfuse-prod-media")
    document = json.loads(policy.props["policy"])
    document["Statement"] = [s for s in document["Statement"] if s["Sid"] != "DenyInsecureTransport"]
    policy.props["policy"] = json.dumps(document)
    assert stack_check("s3-bucket-denies-insecure-transport", prod) == [
        ("Bucket/media", "bucket acme-langfuse-prod-media has no policy denying requests without TLS (aws:SecureTransport false).")
    ]


def test_postgres_tls_rule(web):
    assert check("langfuse-postgres-tls-verified", DEPLOYMENT, web) == []
    args = next(e for e in _container(web)["env"] if e["name"] == "DATABASE_ARGS")
    args["value"] = "sslmode=require"
    assert check("langfuse-postgres-tls-verified", DEPLOYMENT, web) == [
        "container web connects to PostgreSQL without verifying its certificate (DATABASE_ARGS needs sslmode=require&sslaccept=strict&sslcert=<CA>)."
    ]


def test_clickhouse_redis_tls_rule(web):
    assert check("langfuse-clickhouse-redis-tls", DEPLOYMENT, web) == []
    env = {e["name"]: e for e in _container(web)["env"]}
    env["CLICKHOUSE_URL"]["value"] = "http://clickhouse-langfuse.langfuse.svc:8123"
    env["REDIS_TLS_ENABLED"]["value"] = "false"
    assert check("langfuse-clickhouse-redis-tls", DEPLOYMENT, web) == [
        "container web reaches ClickHouse over plain HTTP (http://clickhouse-langfuse.langfuse.svc:8123).",
        "container web talks to Redis without TLS (REDIS_TLS_ENABLED is not true).",
    ]


# -- audit ---------------------------------------------------------------------------------------------------------


def test_access_logging_rule(prod):
    assert stack_check("s3-access-logging", prod) == []
    prod.remove(first(prod, "aws:s3/bucketLogging:BucketLogging", bucket="acme-langfuse-prod-exports"))
    assert stack_check("s3-access-logging", prod) == [
        ("Bucket/exports", "bucket acme-langfuse-prod-exports does not log access (no BucketLogging).")
    ]


def test_versioning_rule(prod):
    assert stack_check("s3-versioning", prod) == []
    first(prod, "aws:s3/bucketVersioning:BucketVersioning", bucket="acme-langfuse-prod-events").props["versioningConfiguration"]["status"] = "Suspended"
    assert stack_check("s3-versioning", prod) == [
        ("Bucket/events", "bucket acme-langfuse-prod-events does not keep object versions (BucketVersioning Enabled).")
    ]


def test_object_lock_rule(prod, plans):
    assert stack_check("backup-bucket-object-lock", prod) == []
    prod.remove(first(prod, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", bucket="acme-langfuse-prod-backups"))
    assert stack_check("backup-bucket-object-lock", prod) == [
        ("Bucket/backups", "backup bucket acme-langfuse-prod-backups has no object lock of at least 30 days.")
    ]
    # Not required where the environment says so (dev has no object lock).
    assert stack_check("backup-bucket-object-lock", subjects_of(plans["dev"]), requireObjectLock=False) == []
    assert len(stack_check("backup-bucket-object-lock", subjects_of(plans["dev"]))) == 1


def test_iam_wildcard_rule(prod):
    role_policy = "aws:iam/rolePolicy:RolePolicy"
    assert all(check("iam-no-wildcard-actions", s.type, s.props) == [] for s in prod if s.type == role_policy)
    bad = {"policy": json.dumps({"Statement": [{"Sid": "Admin", "Effect": "Allow", "Action": ["s3:*"], "Resource": "*"}]})}
    assert check("iam-no-wildcard-actions", role_policy, bad) == [
        "statement Admin allows wildcard actions ['s3:*'].",
        "statement Admin allows its actions on every resource (*).",
    ]


# -- Kubernetes hardening -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "mutate, expected",
    [
        (lambda m: _container(m)["securityContext"].update(allowPrivilegeEscalation=True), "container web does not set allowPrivilegeEscalation: false."),
        (lambda m: _container(m)["securityContext"].update(capabilities={"drop": ["NET_RAW"]}), "container web does not drop ALL capabilities."),
        (lambda m: _container(m)["securityContext"].update(runAsUser=1001), "container web fixes runAsUser, which restricted-v2 refuses."),
        (lambda m: m["spec"]["template"]["spec"].update(hostNetwork=True), "pod sets hostNetwork."),
        (lambda m: m["spec"]["template"]["spec"]["volumes"].append({"name": "h", "hostPath": {"path": "/"}}), "pod mounts a hostPath volume."),
        (lambda m: _container(m)["securityContext"].update(privileged=True), "container web is privileged."),
    ],
)
def test_restricted_v2_rule_fires(web, mutate, expected):
    assert check("pod-security-restricted-v2", DEPLOYMENT, web) == []
    mutate(web)
    assert check("pod-security-restricted-v2", DEPLOYMENT, web) == [expected]


def test_restricted_v2_rule_covers_operator_pod_templates(plans):
    chi = copy.deepcopy(find(plans["prod"], "ClickHouseInstallation", "langfuse"))
    chi_type = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
    assert check("pod-security-restricted-v2", chi_type, chi) == []
    template = chi["spec"]["templates"]["podTemplates"][0]
    template["spec"]["containers"][0]["securityContext"]["privileged"] = True
    assert check("pod-security-restricted-v2", chi_type, chi) == [f"pod template {template['name']}: container clickhouse is privileged."]


@pytest.mark.parametrize("image", ["docker.io/langfuse/langfuse", "docker.io/langfuse/langfuse:latest", "registry:5000/langfuse"])
def test_images_rule(web, image):
    assert check("images-pinned", DEPLOYMENT, web) == []
    _container(web)["image"] = image
    assert check("images-pinned", DEPLOYMENT, web) == [f"container web image {image!r} is neither version-tagged nor pinned by digest."]


def test_resources_rule(web):
    assert check("container-resources-bounded", DEPLOYMENT, web) == []
    del _container(web)["resources"]["limits"]["memory"]
    assert check("container-resources-bounded", DEPLOYMENT, web) == ["container web has no limits for memory."]


def test_token_rule(web):
    assert check("service-account-token-not-mounted", DEPLOYMENT, web) == []
    del web["spec"]["template"]["spec"]["automountServiceAccountToken"]
    assert check("service-account-token-not-mounted", DEPLOYMENT, web) == ["pod mounts a service-account token it does not declare a need for."]
    web["spec"]["template"]["metadata"].setdefault("annotations", {})["langfuse-rosa/needs-api-token"] = "leader election"
    assert check("service-account-token-not-mounted", DEPLOYMENT, web) == []


# -- high availability ------------------------------------------------------------------------------------------------


def test_replicas_rule(prod, plans):
    assert stack_check("workload-replicas", prod) == []
    first(prod, "kubernetes:autoscaling/v2:HorizontalPodAutoscaler").props["spec"]["minReplicas"] = 1
    (found,) = stack_check("workload-replicas", prod)
    assert found[1].endswith("runs 1 replica(s); this environment requires at least 2.")
    assert stack_check("workload-replicas", subjects_of(plans["dev"]), minReplicas=1) == []


def test_replicas_rule_lets_the_named_singleton_run_one_replica_and_no_other(plans):
    cluster = subjects_of(plans["cluster-prod"])
    assert stack_check("workload-replicas", cluster) == []  # the Barman Cloud Plugin, one leader-elected replica
    plugin = first(cluster, "kubernetes:apps/v1:Deployment")
    assert stack_check("workload-replicas", cluster, singleReplicaWorkloads=[]) == [
        ("Deployment/barman-cloud", "barman-cloud runs 1 replica(s); this environment requires at least 2.")
    ]
    plugin.props["spec"]["replicas"] = 0
    assert len(stack_check("workload-replicas", cluster)) == 1  # exactly one, not fewer


def test_pdb_rule(prod):
    assert stack_check("workload-pdb", prod) == []
    prod.remove(next(s for s in prod if s.type.endswith(":PodDisruptionBudget") and s.name == "langfuse-worker"))
    assert stack_check("workload-pdb", prod) == [("Deployment/langfuse-worker", "langfuse-worker has no PodDisruptionBudget selecting its pods.")]


def test_zone_spread_rule(web, plans):
    assert check("zone-spread", DEPLOYMENT, web) == []
    spec = web["spec"]["template"]["spec"]
    zone = next(c for c in spec["topologySpreadConstraints"] if c["topologyKey"] == "topology.kubernetes.io/zone")
    zone["whenUnsatisfiable"] = "ScheduleAnyway"
    assert check("zone-spread", DEPLOYMENT, web) == ["pod spread over zones only as a preference; this environment requires a hard constraint."]
    assert check("zone-spread", DEPLOYMENT, web, requireHardZoneSpread=False) == []
    spec["topologySpreadConstraints"].remove(zone)
    assert check("zone-spread", DEPLOYMENT, web, requireHardZoneSpread=False) == ["pod do not spread over zones."]
    cluster = copy.deepcopy(find(plans["prod"], "Cluster", "langfuse-postgres"))
    cluster["spec"]["affinity"]["topologyKey"] = "kubernetes.io/hostname"
    assert check("zone-spread", "kubernetes:postgresql.cnpg.io/v1:Cluster", cluster) == ["PostgreSQL instances do not spread over zones."]


def test_postgres_instances_rule(plans):
    cluster = copy.deepcopy(find(plans["prod"], "Cluster", "langfuse-postgres"))
    cnpg = "kubernetes:postgresql.cnpg.io/v1:Cluster"
    assert check("postgres-instances", cnpg, cluster) == []
    cluster["spec"]["instances"] = 2
    assert check("postgres-instances", cnpg, cluster) == ["PostgreSQL runs 2 instance(s); this environment requires at least 3."]


def test_keeper_rule(plans):
    keeper = copy.deepcopy(find(plans["prod"], "ClickHouseKeeperInstallation", "langfuse"))
    chk = "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation"
    assert check("keeper-quorum", chk, keeper) == []
    keeper["spec"]["configuration"]["clusters"][0]["layout"]["replicasCount"] = 2
    name = keeper["spec"]["configuration"]["clusters"][0]["name"]
    assert check("keeper-quorum", chk, keeper) == [
        f"Keeper ensemble {name} has 2 members; an even ensemble tolerates no more failures than one fewer.",
        f"Keeper ensemble {name} has 2 member(s); this environment requires at least 3.",
    ]


def test_sentinel_rule(prod):
    assert stack_check("sentinel-quorum", prod) == []
    config_map = next(s for s in prod if s.type.endswith(":ConfigMap") and s.name == "langfuse-redis-config")
    config_map.props["data"]["sentinel.conf"] = config_map.props["data"]["sentinel.conf"].replace(" 2\n", " 1\n")
    assert stack_check("sentinel-quorum", prod) == [("StatefulSet/langfuse-sentinel", "Sentinel quorum 1 is not a majority of 3 sentinels.")]


# -- backups ------------------------------------------------------------------------------------------------------------


def test_postgres_backup_rule(prod):
    assert stack_check("postgres-backup-scheduled", prod) == []
    prod.remove(next(s for s in prod if s.type.endswith(":ScheduledBackup")))
    first(prod, "kubernetes:barmancloud.cnpg.io/v1:ObjectStore").props["spec"]["retentionPolicy"] = "7d"
    assert stack_check("postgres-backup-scheduled", prod) == [
        ("Cluster/langfuse-postgres", "PostgreSQL cluster langfuse-postgres has no ScheduledBackup."),
        ("Cluster/langfuse-postgres", "PostgreSQL backups are kept 7 days; this environment requires at least 30."),
    ]


def test_postgres_backup_rule_refuses_the_in_tree_barman_object_store(prod):
    """What the plan rendered before the plugin: in-tree barmanObjectStore with its retention on the Cluster, and a
    barmanObjectStore ScheduledBackup; CloudNativePG 1.31 drops all of it."""
    cluster = first(prod, "kubernetes:postgresql.cnpg.io/v1:Cluster")
    del cluster.props["spec"]["plugins"]
    cluster.props["spec"]["backup"] = {"retentionPolicy": "35d", "barmanObjectStore": {"destinationPath": "s3://b/postgres"}}
    scheduled = first(prod, "kubernetes:postgresql.cnpg.io/v1:ScheduledBackup")
    scheduled.props["spec"]["method"] = "barmanObjectStore"
    del scheduled.props["spec"]["pluginConfiguration"]
    assert stack_check("postgres-backup-scheduled", prod) == [
        ("Cluster/langfuse-postgres", "PostgreSQL cluster langfuse-postgres archives with the in-tree barmanObjectStore, which CloudNativePG 1.31 removes; use the Barman Cloud Plugin."),
        ("Cluster/langfuse-postgres", "PostgreSQL cluster langfuse-postgres archives no WAL through the Barman Cloud Plugin (spec.plugins: barman-cloud.cloudnative-pg.io with isWALArchiver)."),
        ("ScheduledBackup/langfuse-postgres-daily", "ScheduledBackup of langfuse-postgres uses method 'barmanObjectStore', not the Barman Cloud Plugin (method: plugin, pluginConfiguration.name: barman-cloud.cloudnative-pg.io)."),
        ("Cluster/langfuse-postgres", "PostgreSQL backups are kept 0 days; this environment requires at least 30."),
    ]


def test_postgres_backup_rule_needs_the_object_store_the_cluster_names(prod):
    prod.remove(first(prod, "kubernetes:barmancloud.cnpg.io/v1:ObjectStore"))
    assert ("Cluster/langfuse-postgres", "PostgreSQL cluster langfuse-postgres archives into ObjectStore langfuse-postgres-backups, which this stack does not declare.") in stack_check("postgres-backup-scheduled", prod)


def test_clickhouse_backup_rule(prod):
    assert stack_check("clickhouse-backup-scheduled", prod) == []  # prod renders its backup CronJob
    without_backup = [s for s in prod if not (s.type.endswith("CronJob") and s.name == "langfuse-clickhouse-backup")]
    assert stack_check("clickhouse-backup-scheduled", without_backup) == [
        ("ClickHouseInstallation/langfuse", "ClickHouse langfuse has no backup CronJob (label langfuse-rosa/backup-of: langfuse).")
    ]
    cron = Subject("kubernetes:batch/v1:CronJob", "b", {"metadata": {"namespace": "langfuse", "labels": {"langfuse-rosa/backup-of": "langfuse"}}})
    assert stack_check("clickhouse-backup-scheduled", [*without_backup, cron]) == []


# -- the audit record (policies/rules/audit_trail.py, audit_record.py) ---------------------------------------------------

TRAIL = "aws:cloudtrail/trail:Trail"


def _without(subjects: list[Subject], resource_type: str) -> list[Subject]:
    return [s for s in subjects if s.type != resource_type]


def _data_selector(trail: Subject) -> dict[str, Any]:
    return next(s for s in trail.props["advancedEventSelectors"] if any(f["field"] == "resources.ARN" for f in s["fieldSelectors"]))


def test_trail_coverage_rule(prod):
    assert stack_check("cloudtrail-covers-buckets", prod) == []
    assert stack_check("cloudtrail-covers-buckets", _without(prod, TRAIL)) == [
        ("stack", "no CloudTrail trail: nothing records who reads or changes the stack's data and keys.")
    ]
    (arns,) = [f for f in _data_selector(first(prod, TRAIL))["fieldSelectors"] if f["field"] == "resources.ARN"]
    arns["startsWiths"] = [a for a in arns["startsWiths"] if "-media/" not in a]
    assert stack_check("cloudtrail-covers-buckets", prod) == [
        ("Bucket/media", "no trail logs the object reads and writes of bucket acme-langfuse-prod-media (S3 data events).")
    ]
    # Writes only (readOnly false): the reads go unrecorded. And a basic selector over every bucket covers them all.
    arns["startsWiths"].append("arn:aws:s3:::acme-langfuse-prod-media/")
    _data_selector(first(prod, TRAIL))["fieldSelectors"].append({"field": "readOnly", "equals": ["false"]})
    assert {m for _, m in stack_check("cloudtrail-covers-buckets", prod)} >= {
        "no trail logs the object reads of bucket acme-langfuse-prod-events (S3 data events)."
    }
    basic = Subject(TRAIL, "basic", {"eventSelectors": [{"readWriteType": "All", "dataResources": [{"type": "AWS::S3::Object", "values": ["arn:aws:s3"]}]}]})
    assert stack_check("cloudtrail-covers-buckets", _without(prod, TRAIL) + [basic]) == []


def test_trail_management_events_rule(prod):
    assert stack_check("cloudtrail-management-events", prod) == []
    trail = first(prod, TRAIL)
    management = next(s for s in trail.props["advancedEventSelectors"] if s["fieldSelectors"][0]["equals"] == ["Management"])
    management["fieldSelectors"].append({"field": "eventSource", "notEquals": ["kms.amazonaws.com"]})
    trail.props["isMultiRegionTrail"] = False
    assert stack_check("cloudtrail-management-events", prod) == [
        ("Trail/audit", "the trail records one region only (isMultiRegionTrail is not true)."),
        ("Trail/audit", "the trail does not log read and write management events of kms.amazonaws.com."),
    ]
    # AWS's console option "exclude AWS KMS events" on a basic selector, and write-only management events.
    excluded = Subject(TRAIL, "basic", {"isMultiRegionTrail": True, "eventSelectors": [
        {"readWriteType": "WriteOnly", "includeManagementEvents": True, "excludeManagementEventSources": ["kms.amazonaws.com"]}]})
    assert stack_check("cloudtrail-management-events", [excluded]) == [
        ("Trail/basic", "the trail does not log read and write management events of kms.amazonaws.com."),
        ("Trail/basic", "the trail does not log read management events of secretsmanager.amazonaws.com."),
    ]


def test_trail_log_file_validation_rule(prod):
    trail = first(prod, TRAIL)
    assert check("cloudtrail-log-file-validation", TRAIL, trail.props) == []
    assert check("cloudtrail-log-file-validation", TRAIL, {**trail.props, "enableLogFileValidation": False}) == [
        "log file validation is off (enableLogFileValidation): a changed or deleted log file would go unnoticed."
    ]


def test_trail_bucket_rule(prod):
    assert stack_check("cloudtrail-bucket-locked-and-encrypted", prod) == []
    lock = "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"
    unlocked = [s for s in prod if not (s.type == lock and s.props["bucket"] == "acme-langfuse-prod-audit")]
    assert stack_check("cloudtrail-bucket-locked-and-encrypted", unlocked) == [
        ("Trail/audit", "the trail's bucket acme-langfuse-prod-audit has no object lock with a default retention: its log files can be deleted.")
    ]
    first(prod, SSE, bucket="acme-langfuse-prod-audit").props["rules"] = [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]
    first(prod, TRAIL).props["kmsKeyId"] = None
    assert stack_check("cloudtrail-bucket-locked-and-encrypted", prod) == [
        ("Trail/audit", "the trail's log files are not encrypted with a customer-managed KMS key (kmsKeyId)."),
        ("Trail/audit", "the trail's bucket acme-langfuse-prod-audit does not default to SSE-KMS with a customer-managed key."),
    ]
    first(prod, TRAIL).props["s3BucketName"] = "someone-elses-bucket"
    assert stack_check("cloudtrail-bucket-locked-and-encrypted", prod)[-1] == (
        "Trail/audit", "the trail delivers to someone-elses-bucket, which this stack does not manage: its lock cannot be checked."
    )


def test_cluster_audit_forwarding_rule(plans):
    layer = subjects_of(plans["cluster-prod"])
    assert stack_check("cluster-audit-forwarding", layer) == []
    assert stack_check("cluster-audit-forwarding", subjects_of(plans["prod"])) == []  # an environment stack: not its job
    forwarder = "kubernetes:observability.openshift.io/v1:ClusterLogForwarder"
    assert stack_check("cluster-audit-forwarding", _without(layer, forwarder)) == [
        ("stack", "no ClusterLogForwarder sends the audit input (kubeAPI) to an output: the API server's audit log is not forwarded.")
    ]
    # Forwarding application logs only is not forwarding the audit log.
    spec = first(layer, forwarder).props["spec"]
    spec["pipelines"] = [p for p in spec["pipelines"] if p["name"] != "api-audit"]
    assert len(stack_check("cluster-audit-forwarding", layer)) == 1
    subscription = "kubernetes:operators.coreos.com/v1alpha1:Subscription"
    without_logging = [s for s in layer if not (s.type == subscription and s.props["spec"]["name"] == "cluster-logging")]
    assert stack_check("cluster-audit-forwarding", without_logging) == [
        ("stack", "the cluster layer does not install Red Hat OpenShift Logging (Subscription to cluster-logging): the API server's audit log stays on the cluster.")
    ]
    # The first apply, before OLM has installed any operator: Subscriptions only, nothing to forward with yet.
    first_apply = [s for s in layer if not s.type.startswith("kubernetes:") or s.type.split(":")[1].split("/")[0] in ("core", "operators.coreos.com")
                   or s.type.split(":")[1].split("/")[0].endswith(".k8s.io")]
    assert stack_check("cluster-audit-forwarding", _without(first_apply, forwarder)) == []


def test_pgaudit_rule(plans):
    cluster_type = "kubernetes:postgresql.cnpg.io/v1:Cluster"
    cluster = copy.deepcopy(find(plans["prod"], "Cluster", "langfuse-postgres"))
    assert check("pgaudit-enabled", cluster_type, cluster) == []
    parameters = cluster["spec"]["postgresql"]["parameters"]
    parameters["pgaudit.log"], parameters["pgaudit.log_parameter"] = "ddl", "on"
    assert check("pgaudit-enabled", cluster_type, cluster) == [
        "pgaudit.log is 'ddl': it must log ddl, role (DDL and role/privilege changes).",
        "pgaudit.log_parameter is on: statement parameters, which may carry user data, would be logged.",
    ]
    assert check("pgaudit-enabled", cluster_type, cluster, requirePgaudit=False) == []  # dev's config
    assert load_policy_config("dev")["pgaudit-enabled"] == {"requirePgaudit": False}
    assert load_policy_config("prod")["pgaudit-enabled"] == {"requirePgaudit": True}


def test_audit_retention_rule(prod, plans):
    prod_config = load_policy_config("prod")["audit-retention"]
    assert stack_check("audit-retention", prod, **prod_config) == []
    lock = first(prod, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration", bucket="acme-langfuse-prod-audit")
    lock.props["rule"]["defaultRetention"] = {"mode": "GOVERNANCE", "days": 30}
    assert stack_check("audit-retention", prod, **prod_config) == [
        ("Bucket/audit", "audit bucket acme-langfuse-prod-audit locks its records for 30 days, less than 365."),
        ("Bucket/audit", "audit bucket acme-langfuse-prod-audit locks in GOVERNANCE mode, not COMPLIANCE: an administrator could delete records."),
    ]
    # Dev's config accepts governance mode and 30 days.
    assert stack_check("audit-retention", prod, **load_policy_config("dev")["audit-retention"]) == []
    layer = subjects_of(plans["cluster-prod"])
    assert stack_check("audit-retention", layer, **prod_config) == []
    first(layer, "aws:cloudwatch/logGroup:LogGroup", name="acme-rosa-prod-api-audit").props["retentionInDays"] = 90
    assert stack_check("audit-retention", layer, **prod_config) == [
        ("LogGroup/api-audit", "audit log group acme-rosa-prod-api-audit keeps its records 90 days, less than 365.")
    ]


# -- analytics --------------------------------------------------------------------------------------------------

CHI = "kubernetes:clickhouse.altinity.com/v1:ClickHouseInstallation"
CHK = "kubernetes:clickhouse-keeper.altinity.com/v1:ClickHouseKeeperInstallation"


def _with(subjects: list[Subject], match, change) -> list[Subject]:
    """A copy of `subjects` where `change` has edited the props of every subject `match` picks."""
    out = []
    for s in subjects:
        props = copy.deepcopy(s.props)
        if match(s):
            change(props)
        out.append(Subject(s.type, s.name, props))
    return out


def _is_web(s: Subject) -> bool:
    return s.type == DEPLOYMENT and s.name == "langfuse-web"


def test_analytics_apart_rule(prod):
    assert stack_check("analytics-cluster-apart-from-langfuse", prod) == []

    def point_at_analytics(props):
        for e in props["spec"]["template"]["spec"]["containers"][0]["env"]:
            if e["name"] == "CLICKHOUSE_URL":
                e["value"] = "https://clickhouse-analytics.langfuse.svc:8443"

    assert stack_check("analytics-cluster-apart-from-langfuse", _with(prod, _is_web, point_at_analytics)) == [
        ("Deployment/langfuse-web", "langfuse-web reaches ClickHouse at clickhouse-analytics.langfuse.svc (CLICKHOUSE_URL), the analytics cluster: "
         "Langfuse must use its own, single-shard cluster.")
    ]
    sharded = _with(prod, lambda s: s.type == CHI and s.name == "langfuse",
                    lambda props: props["spec"]["configuration"]["clusters"][0]["layout"].update(shardsCount=2))
    assert stack_check("analytics-cluster-apart-from-langfuse", sharded) == [
        ("ClickHouseInstallation/langfuse", "ClickHouse langfuse, which Langfuse uses, has 2 shards: Langfuse's deletes and updates fail on Distributed tables.")
    ]  # once, though web, worker and the migration Job all reach it


def test_analytics_shards_rule(plans):
    prod_chi = find(plans["prod"], "ClickHouseInstallation", "analytics")
    dev_chi = find(plans["dev"], "ClickHouseInstallation", "analytics")
    assert check("analytics-cluster-sharded", CHI, prod_chi) == []
    assert check("analytics-cluster-sharded", CHI, dev_chi) == [
        "analytics cluster analytics has 1 shard(s); this environment requires at least 2.",
        "analytics cluster analytics has 1 replica(s) per shard; this environment requires at least 2.",
    ]
    assert check("analytics-cluster-sharded", CHI, dev_chi, **load_policy_config("dev")["analytics-cluster-sharded"]) == []
    # The serving cluster (no analytics label) is not this rule's: one shard there is the point.
    assert check("analytics-cluster-sharded", CHI, find(plans["prod"], "ClickHouseInstallation", "langfuse")) == []


def test_analytics_storage_rule(prod):
    assert stack_check("analytics-storage-encrypted", prod) == []

    def unencrypted(props):
        props["spec"]["templates"]["volumeClaimTemplates"][0]["spec"]["storageClassName"] = "gp3-csi"

    for kind, label in ((CHI, "ClickHouseInstallation/analytics"), (CHK, "ClickHouseKeeperInstallation/analytics")):
        bad = _with(prod, lambda s, kind=kind: s.type == kind and s.name == "analytics", unencrypted)
        assert stack_check("analytics-storage-encrypted", bad) == [
            (label, "volumeClaimTemplate data uses storage class 'gp3-csi', not one of the encrypted classes ['langfuse-gp3-encrypted'].")
        ]

    def no_key(props):
        files = props["spec"]["configuration"]["files"]
        files["config.d/s3-backups.xml"] = re.sub(r"<server_side_encryption_kms_key_id>.*</server_side_encryption_kms_key_id>", "", files["config.d/s3-backups.xml"])

    assert stack_check("analytics-storage-encrypted", _with(prod, lambda s: s.type == CHI and s.name == "analytics", no_key)) == [
        ("ClickHouseInstallation/analytics", "the analytics cluster's backups name no KMS key (config.d/s3-backups.xml server_side_encryption_kms_key_id).")
    ]


def test_analytics_read_only_rule(prod):
    assert stack_check("analytics-ingestion-read-only", prod) == []

    def also(action):
        def change(props):
            document = json.loads(props["policy"])
            document["Statement"][0]["Action"] = sorted([*document["Statement"][0]["Action"], action])
            props["policy"] = json.dumps(document)
        return change

    loader = _with(prod, lambda s: s.type == "aws:iam/rolePolicy:RolePolicy" and s.props.get("role") == "acme-langfuse-prod-analytics-loader",
                   also("s3:PutObject"))
    assert stack_check("analytics-ingestion-read-only", loader) == [
        ("RolePolicy/analytics-loader", "acme-langfuse-prod-analytics-loader must be read-only, but its policy allows s3:PutObject.")
    ]
    bigquery = _with(prod, lambda s: s.type == "aws:iam/userPolicy:UserPolicy", also("s3:DeleteObject"))
    assert stack_check("analytics-ingestion-read-only", bigquery) == [
        ("UserPolicy/warehouse-bigquery", "acme-langfuse-prod-warehouse-bigquery must be read-only, but its policy allows s3:DeleteObject.")
    ]
    untagged = _with(prod, lambda s: s.type == "aws:iam/role:Role" and s.props.get("name") == "acme-langfuse-prod-warehouse-snowflake",
                     lambda props: props.pop("tags"))
    assert stack_check("analytics-ingestion-read-only", untagged) == [
        ("Role/warehouse-snowflake", "acme-langfuse-prod-warehouse-snowflake reads the exports and must carry the tag "
         "{'langfuse-rosa:access': 'read-only'} (the read-only principals' marker).")
    ]


def test_every_rule_has_a_test_above_or_in_the_unit_tests():
    files = [project_path("tests", "test_policies.py"), *project_path("tests", "unit", "policies", "rules").glob("test_*.py")]
    source = "".join(f.read_text() for f in files)
    untested = [name for name in RULES if f'"{name}"' not in source]
    assert untested == []


# -- the pack, and the offline plan as CrossGuard -------------------------------------------------------------------------


def test_pack_definition_registers_every_rule_without_starting_a_server(monkeypatch):
    import pulumi_policy

    registered: dict[str, Any] = {}

    class Recorded:
        def __init__(self, name: str, policies: list[Any], **_: Any) -> None:
            registered.update(name=name, policies=policies)

    monkeypatch.setattr(pulumi_policy, "PolicyPack", Recorded)
    monkeypatch.syspath_prepend(str(project_path("policies")))
    runpy.run_path(str(project_path("policies", "__main__.py")), run_name="__main__")
    assert registered["name"] == "langfuse-rosa"
    policies = {p.name: p for p in registered["policies"]}
    assert set(policies) == set(RULES) and len(policies) >= 20
    for name, policy in policies.items():
        rule: Rule = RULES[name]
        assert policy.description == rule.description and len(policy.description) > 20
        assert policy.enforcement_level == {"mandatory": EnforcementLevel.MANDATORY, "advisory": EnforcementLevel.ADVISORY}[rule.enforcement]
        assert policy.remediation_steps and policy.severity.value == rule.severity
        assert isinstance(policy, StackValidationPolicy if rule.stack_check else ResourceValidationPolicy)
        if rule.settings:
            assert set(policy.config_schema.properties) == {s.name for s in rule.settings}
    security = {"encryption-at-rest", "encryption-in-transit", "audit", "kubernetes-hardening"}
    advisory_security = [r.name for r in ALL_RULES if r.theme in security and r.enforcement != "mandatory"]
    assert advisory_security == []


def test_pack_reports_through_crossguard_callbacks(web):
    policies = {p.name: p for p in pack_policies()}
    _container(web)["image"] = "docker.io/langfuse/langfuse:latest"
    reported: list[str] = []

    class Args:
        resource_type, props = DEPLOYMENT, web

        @staticmethod
        def get_config() -> dict[str, Any]:
            return {}

    policies["images-pinned"].validate(Args, lambda message, urn=None: reported.append(message))
    assert reported == [
        "container web image 'docker.io/langfuse/langfuse:latest' is neither version-tagged nor pinned by digest. "
        "Remediation: Reference images as registry/name:version@sha256:<digest>."
    ]


def test_unknown_values_are_reported_as_unchecked_not_passed(plans):
    good = plans["prod"]
    resources = copy.deepcopy(good.resources)
    # A data bucket's (access-log buckets are SSE-S3 and name no key).
    sse = next(r for r in resources if r.type == SSE and "kmsMasterKeyId" in r.inputs["rules"][0]["applyServerSideEncryptionByDefault"])
    sse.inputs["rules"][0]["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] = UNKNOWN_STRING_VALUE
    violations = [v for v in evaluate(good.objects, resources, load_policy_config("prod")) if v.rule.name == "s3-bucket-encrypted-with-cmk"]
    assert [(v.enforcement, v.message) for v in violations] == [
        ("advisory", "can't run policy 's3-bucket-encrypted-with-cmk' during preview: "
                     "string value at .rules.0.applyServerSideEncryptionByDefault.kmsMasterKeyId can't be known during preview")
    ]


def test_config_file_can_change_enforcement(plans):
    good = plans["prod"]
    objects = copy.deepcopy(good.objects)
    _container(next(o for o in objects if o.kind == "Deployment").manifest)["securityContext"]["privileged"] = True
    advisory = evaluate(objects, good.resources, {"pod-security-restricted-v2": {"enforcementLevel": "advisory"}})
    assert [v.enforcement for v in advisory if v.rule.name == "pod-security-restricted-v2"] == ["advisory"]
    assert [v for v in evaluate(objects, good.resources, {"pod-security-restricted-v2": {"enforcementLevel": "disabled"}}) if v.rule.name == "pod-security-restricted-v2"] == []


# -- `plan` exits 1 naming the rule ----------------------------------------------------------------------------------------


def _no_encryption(monkeypatch):
    import pulumi_aws

    monkeypatch.setattr(pulumi_aws.s3, "BucketServerSideEncryptionConfiguration", lambda *args, **kwargs: None)


def _no_worker_pdb(monkeypatch):
    import components.langfuse.workload.workload as workload

    real = workload.pod_disruption_budget
    monkeypatch.setattr(workload, "pod_disruption_budget", lambda spec, *a: None if spec.name == "langfuse-worker" else real(spec, *a))


def _privileged_containers(monkeypatch):
    import components.langfuse.workload.deployment as deployment

    monkeypatch.setattr(deployment, "restricted_container_security_context", lambda: {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "privileged": True,
        "runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
    })


@pytest.mark.parametrize(
    "break_it, rule, resource",
    [
        (_no_encryption, "s3-bucket-encrypted-with-cmk", "Bucket/events: bucket acme-langfuse-prod-events has no server-side encryption configuration."),
        (_no_worker_pdb, "workload-pdb", "Deployment/langfuse-worker: langfuse-worker has no PodDisruptionBudget selecting its pods."),
        (_privileged_containers, "pod-security-restricted-v2", "Deployment/langfuse-web: container web is privileged."),
    ],
)
def test_plan_exits_1_naming_the_rule(monkeypatch, tmp_path, break_it, rule, resource):
    break_it(monkeypatch)
    result = CliRunner().invoke(cli, ["plan", "--stack", "prod", "--out", str(tmp_path / "prod")], terminal_width=400)
    assert result.exit_code == 1, result.output
    assert f"  {rule} [mandatory" in result.output
    assert f"    {resource}" in result.output


def test_policy_pack_starts_as_pulumi_would_run_it():
    """`pulumi preview --policy-pack policies` runs policies/__main__.py, which serves gRPC and prints its port."""
    import subprocess
    import sys

    pack = subprocess.Popen(
        [sys.executable, str(project_path("policies", "__main__.py"))], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        first_line = pack.stdout.readline().strip()
        assert first_line.isdigit() and 0 < int(first_line) < 65536, pack.stderr.read() if not first_line else first_line
    finally:
        pack.kill()
        pack.wait(timeout=10)
