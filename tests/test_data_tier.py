"""Decisive fields of the in-cluster data tier and the cluster layer, read from the offline plans."""

from __future__ import annotations

import json
import re

import pytest

from tests.conftest import STACKS, container, env_value, find, objects_of, stack_setting


def _tier(stack_files, stack, *path):
    return stack_setting(stack_files, stack, "dataTier", *path)


# -- PostgreSQL (CloudNativePG) ------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_instances_quorum_and_zone_anti_affinity(plans, stack_files, stack):
    spec = find(plans[stack], "Cluster", "langfuse-postgres")["spec"]
    instances = _tier(stack_files, stack, "postgres", "instances")
    assert spec["instances"] == instances
    if instances >= 3:
        # A commit waits for one standby in another zone; a failover waits for the same quorum.
        assert spec["postgresql"]["synchronous"] == {"method": "any", "number": 1, "dataDurability": "required", "failoverQuorum": True}
    else:
        assert spec["postgresql"]["synchronous"]["dataDurability"] == "preferred"
    expected = _tier(stack_files, stack, "postgres").get("zoneAntiAffinity", "required")
    assert spec["affinity"] == {
        "enablePodAntiAffinity": True, "topologyKey": "topology.kubernetes.io/zone", "podAntiAffinityType": expected,
    }
    assert spec["enableSuperuserAccess"] is False


def test_prod_postgres_survives_a_zone(plans, stack_files):
    assert _tier(stack_files, "prod", "postgres", "instances") == 3
    spec = find(plans["prod"], "Cluster", "langfuse-postgres")["spec"]
    assert spec["affinity"]["podAntiAffinityType"] == "required"
    assert spec["postgresql"]["synchronous"]["dataDurability"] == "required"


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_rejects_connections_without_tls(plans, stack):
    postgresql = find(plans[stack], "Cluster", "langfuse-postgres")["spec"]["postgresql"]
    assert postgresql["pg_hba"] == ["hostnossl all all 0.0.0.0/0 reject", "hostnossl all all ::/0 reject"]
    assert postgresql["parameters"]["ssl_min_protocol_version"] == "TLSv1.3"


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_database_wal_and_backup(plans, stack_files, stack):
    plan = plans[stack]
    spec = find(plan, "Cluster", "langfuse-postgres")["spec"]
    backup = _tier(stack_files, stack, "postgres", "backup")
    assert spec["bootstrap"]["initdb"]["database"] == spec["bootstrap"]["initdb"]["owner"] == "langfuse"
    assert spec["walStorage"]["storageClass"] == spec["storage"]["storageClass"] == "langfuse-gp3-encrypted"
    aws = stack_setting(stack_files, stack, "aws")
    store = spec["backup"]["barmanObjectStore"]
    assert store["destinationPath"] == f"s3://{aws['resourcePrefix']}-backups/postgres"
    assert store["s3Credentials"] == {"inheritFromIAMRole": True}
    assert store["wal"]["encryption"] == store["data"]["encryption"] == "aws:kms"
    assert spec["backup"]["retentionPolicy"] == f"{backup['retentionDays']}d"
    role = f"arn:aws:iam::{aws['accountId']}:role/{aws['resourcePrefix']}-postgres-backup"
    assert spec["serviceAccountTemplate"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role
    scheduled = find(plan, "ScheduledBackup", "langfuse-postgres-daily")["spec"]
    assert scheduled["cluster"] == {"name": "langfuse-postgres"} and scheduled["method"] == "barmanObjectStore"
    monitor = find(plan, "PodMonitor", "langfuse-postgres")["spec"]
    assert monitor["selector"]["matchLabels"]["cnpg.io/cluster"] == "langfuse-postgres"


# -- ClickHouse and Keeper -----------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_clickhouse_one_shard_named_default_replicated_with_keeper(plans, stack_files, stack):
    plan = plans[stack]
    spec = find(plan, "ClickHouseInstallation", "langfuse")["spec"]
    (cluster,) = spec["configuration"]["clusters"]
    assert cluster["name"] == "default"  # Langfuse migrates ON CLUSTER default
    assert cluster["layout"] == {"shardsCount": 1, "replicasCount": _tier(stack_files, stack, "clickhouse", "replicas")}
    assert cluster["secret"] == {"auto": "true"}
    namespace = stack_setting(stack_files, stack, "langfuse", "namespace")
    assert spec["configuration"]["zookeeper"]["nodes"] == [{"host": f"keeper-langfuse.{namespace}.svc", "port": 2281, "secure": "1"}]
    keeper = find(plan, "ClickHouseKeeperInstallation", "langfuse")["spec"]
    (keeper_cluster,) = keeper["configuration"]["clusters"]
    assert keeper_cluster["layout"]["replicasCount"] == _tier(stack_files, stack, "clickhouse", "keeperReplicas")
    assert keeper_cluster["layout"]["replicasCount"] % 2 == 1


def test_prod_clickhouse_has_three_replicas_and_three_keepers(plans):
    spec = find(plans["prod"], "ClickHouseInstallation", "langfuse")["spec"]
    assert spec["configuration"]["clusters"][0]["layout"]["replicasCount"] == 3
    keeper = find(plans["prod"], "ClickHouseKeeperInstallation", "langfuse")["spec"]
    assert keeper["configuration"]["clusters"][0]["layout"]["replicasCount"] == 3


@pytest.mark.parametrize("stack", STACKS)
def test_clickhouse_tls_ports_utc_and_hashed_users_from_secrets(plans, stack):
    spec = find(plans[stack], "ClickHouseInstallation", "langfuse")["spec"]
    settings = spec["configuration"]["settings"]
    assert (settings["https_port"], settings["tcp_port_secure"], settings["timezone"]) == (8443, 9440, "UTC")
    users = spec["configuration"]["users"]
    assert users["langfuse/password_sha256_hex"] == {"valueFrom": {"secretKeyRef": {"name": "langfuse-clickhouse", "key": "password_sha256_hex"}}}
    assert not [key for key in users if key.endswith("/password")]  # never a plain-text password
    (service,) = spec["templates"]["serviceTemplates"]
    assert service["metadata"]["annotations"]["service.beta.openshift.io/serving-cert-secret-name"] == "langfuse-clickhouse-tls"
    assert {p["port"] for p in service["spec"]["ports"]} == {8443, 9440}
    openssl = spec["configuration"]["files"]["config.d/openssl.xml"]
    assert "secrets.d/tls.crt/langfuse-clickhouse-tls/tls.crt" in openssl


# -- Redis Sentinel ------------------------------------------------------------------------------------


@pytest.mark.parametrize("stack", STACKS)
def test_redis_config_noeviction_tls_and_isolated_master_protection(plans, stack):
    files = find(plans[stack], "ConfigMap", "langfuse-redis-config")["data"]
    redis_conf = files["redis.conf"].splitlines()
    for line in ("maxmemory-policy noeviction", "min-replicas-to-write 1", "min-replicas-max-lag 10",
                 "port 0", "tls-replication yes", "appendonly yes", "masteruser replication"):  # fmt: skip
        assert line in redis_conf, line
    acl = files["users.acl"].splitlines()
    assert acl[0] == "user default off"
    assert "user langfuse on >@LANGFUSE_PASSWORD@ ~* &* +@all -@admin -flushall -flushdb" in acl


@pytest.mark.parametrize("stack", STACKS)
def test_sentinel_quorum_is_a_majority_and_topology_is_three_plus_three(plans, stack_files, stack):
    plan = plans[stack]
    sentinels = _tier(stack_files, stack, "redis").get("sentinels", 3)
    conf = find(plan, "ConfigMap", "langfuse-redis-config")["data"]["sentinel.conf"].splitlines()
    assert f"sentinel monitor langfuse @MASTER_HOST@ @REDIS_PORT@ {sentinels // 2 + 1}" in conf
    assert "sentinel down-after-milliseconds langfuse 5000" in conf
    assert find(plan, "StatefulSet", "langfuse-redis")["spec"]["replicas"] == 3
    assert find(plan, "StatefulSet", "langfuse-sentinel")["spec"]["replicas"] == sentinels


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("workload", ["langfuse-redis", "langfuse-sentinel"])
def test_redis_nodes_spread_over_hosts_and_zones_with_a_pdb(plans, stack_files, stack, workload):
    plan = plans[stack]
    pod = find(plan, "StatefulSet", workload)["spec"]["template"]["spec"]
    (term,) = pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"]
    assert term["topologyKey"] == "kubernetes.io/hostname"
    (spread,) = pod["topologySpreadConstraints"]
    required = _tier(stack_files, stack, "redis").get("zoneAntiAffinity", "required") == "required"
    assert spread["whenUnsatisfiable"] == ("DoNotSchedule" if required else "ScheduleAnyway")
    assert find(plan, "PodDisruptionBudget", workload)["spec"]["maxUnavailable"] == 1


# -- storage, wiring, cluster layer ---------------------------------------------------------------------


def _claims(plan):
    """(owner, storage class) of every persistent volume the data tier asks for."""
    claims = []
    for obj in plan.objects:
        spec = obj.manifest.get("spec", {})
        for vct in spec.get("volumeClaimTemplates") or []:
            claims.append((f"{obj.kind}/{obj.name}", vct["spec"]["storageClassName"]))
        for vct in (spec.get("templates") or {}).get("volumeClaimTemplates") or []:
            claims.append((f"{obj.kind}/{obj.name}/{vct['name']}", vct["spec"]["storageClassName"]))
        if obj.kind == "Cluster":
            claims += [(f"Cluster/{obj.name}/{part}", spec[part]["storageClass"]) for part in ("storage", "walStorage")]
    return claims


@pytest.mark.parametrize("stack", STACKS)
def test_every_data_volume_uses_the_encrypted_class(plans, stack):
    claims = _claims(plans[stack])
    assert len(claims) == 5  # redis, ClickHouse, Keeper, PostgreSQL data and WAL
    assert {cls for _, cls in claims} == {"langfuse-gp3-encrypted"}


@pytest.mark.parametrize("stack", STACKS)
def test_langfuse_points_at_the_in_cluster_stores(plans, stack_files, stack):
    plan = plans[stack]
    ns = stack_setting(stack_files, stack, "langfuse", "namespace")
    web = container(find(plan, "Deployment", "langfuse-web"))
    assert env_value(web, "DATABASE_HOST") == f"langfuse-postgres-rw.{ns}.svc:5432"
    assert env_value(web, "CLICKHOUSE_URL") == f"https://clickhouse-langfuse.{ns}.svc:8443"
    assert env_value(web, "CLICKHOUSE_CLUSTER_ENABLED") == "true"
    assert env_value(web, "REDIS_SENTINEL_NODES") == ",".join(
        f"langfuse-sentinel-{i}.langfuse-sentinel-headless.{ns}.svc:26379" for i in range(3)
    )
    assert env_value(web, "REDIS_TLS_ENABLED") == env_value(web, "REDIS_SENTINEL_TLS_ENABLED") == "true"
    pod = find(plan, "Deployment", "langfuse-web")["spec"]["template"]["spec"]
    trusted = next(v for v in pod["volumes"] if v["name"] == "trusted-ca")
    assert trusted["configMap"]["name"] == "langfuse-service-ca"  # the CA of every in-cluster server certificate
    service_ca = find(plan, "ConfigMap", "langfuse-service-ca")
    assert service_ca["metadata"]["annotations"] == {"service.beta.openshift.io/inject-cabundle": "true"}


@pytest.mark.parametrize("stack, approval", [("dev", "Automatic"), ("staging", "Automatic"), ("prod", "Manual")])
def test_cluster_layer_pins_operators_and_approval(plans, stack, approval):
    cnpg = "1.30.0"
    plan = plans[f"cluster-{stack}"]
    subscriptions = {o["metadata"]["name"]: o["spec"] for o in objects_of(plan, "Subscription")}
    assert subscriptions["cloudnative-pg"] == {
        "name": "cloudnative-pg", "channel": "stable-v1", "startingCSV": f"cloudnative-pg.v{cnpg}",
        "source": "cloudnative-pg", "sourceNamespace": "openshift-marketplace", "installPlanApproval": approval,
    }
    assert subscriptions["clickhouse"]["channel"] == "latest"
    assert subscriptions["clickhouse"]["startingCSV"] == "clickhouse-operator.v0.26.3"
    assert subscriptions["clickhouse"]["source"] == "community-operators"
    assert subscriptions["clickhouse"]["installPlanApproval"] == approval
    assert subscriptions["openshift-external-secrets-operator"] == {
        "name": "openshift-external-secrets-operator", "channel": "stable-v1",
        "startingCSV": "openshift-external-secrets-operator.v1.1.0", "source": "redhat-operators",
        "sourceNamespace": "openshift-marketplace", "installPlanApproval": approval,
    }
    catalog = find(plan, "CatalogSource", "cloudnative-pg")["spec"]
    assert catalog["image"] == f"ghcr.io/cloudnative-pg/cloudnative-pg:{cnpg}-ubi9-catalog"
    for group in objects_of(plan, "OperatorGroup"):
        if group["metadata"]["namespace"] == "openshift-keda":  # Red Hat installs the autoscaler OwnNamespace
            assert group["spec"]["targetNamespaces"] == ["openshift-keda"]
        else:
            assert "targetNamespaces" not in group["spec"]  # AllNamespaces: serves every environment namespace
    assert subscriptions["openshift-custom-metrics-autoscaler-operator"]["channel"] == "stable"
    assert subscriptions["openshift-custom-metrics-autoscaler-operator"]["installPlanApproval"] == approval


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_cluster_layer_storage_class_is_encrypted_gp3_with_its_own_key(plans, stack_files, stack):
    plan = plans[f"cluster-{stack}"]
    storage_class = find(plan, "StorageClass", "langfuse-gp3-encrypted")
    account = stack_setting(stack_files, f"cluster-{stack}", "aws", "accountId")
    parameters = dict(storage_class["parameters"])
    assert re.fullmatch(rf"arn:aws:kms:eu-west-1:{account}:key/[0-9a-f-]{{36}}", parameters.pop("kmsKeyId"))
    assert parameters == {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
    (key,) = [r for r in plan.resources if r.type == "aws:kms/key:Key"]
    assert key.inputs["enableKeyRotation"] is True and key.protect
    csi_role = stack_setting(stack_files, f"cluster-{stack}", "storage", "csiDriverRoleArn")
    grants = [st for st in json.loads(key.inputs["policy"])["Statement"] if st["Principal"] == {"AWS": csi_role}]
    assert {a for st in grants for a in st["Action"]} >= {"kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext"}
    assert next(st for st in grants if "kms:CreateGrant" in st["Action"])["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["allowVolumeExpansion"] is True
    assert storage_class["reclaimPolicy"] == "Retain"
