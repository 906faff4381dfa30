"""Decisive fields of the in-cluster data tier and the cluster layer, read from the offline plans."""

from __future__ import annotations

import copy
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
def test_every_langfuse_pod_has_an_explicit_pool_and_the_server_holds_them_all(plans, stack):
    """Prisma's pool is capped per pod (connection_limit, 2 × CPU limit + 1 unless set), and max_connections holds a
    rollout at the ceiling of both workloads plus the migration and what CloudNativePG keeps for itself."""
    from infra.offline_plan.stack_file import read_stack_file
    from infra.stack_config.connections import connection_budget
    from infra.stack_config.loader import parse_engine_config
    from tests.conftest import project_path

    plan = plans[stack]
    config = parse_engine_config(stack, read_stack_file(project_path("stacks"), stack).config)
    budget = connection_budget(config)
    for pool in budget.pools:
        args = dict(part.split("=", 1) for part in env_value(container(find(plan, "Deployment", f"langfuse-{pool.workload}")), "DATABASE_ARGS").split("&"))
        assert int(args["connection_limit"]) == pool.pool_size
    migration = next(o for o in objects_of(plan, "Job") if o["metadata"]["name"].startswith("langfuse-migrate-"))
    assert env_value(migration["spec"]["template"]["spec"]["containers"][0], "DATABASE_ARGS").endswith("&connection_limit=1")
    parameters = find(plan, "Cluster", "langfuse-postgres")["spec"]["postgresql"]["parameters"]
    assert int(parameters["max_connections"]) == budget.limit >= budget.demand
    assert parameters["superuser_reserved_connections"] == "9"
    if stack == "prod":
        assert (budget.demand, budget.limit) == (331, 400)


@pytest.mark.parametrize("stack", STACKS)
def test_postgres_and_its_drill_run_pinned_images_of_the_current_flavours(plans, stack):
    """The standard flavour at the current 17 minor, by digest (the system flavour is deprecated), and the restore
    drill's two images (PostgreSQL, the Barman Cloud Plugin's sidecar), by digest."""
    digest = re.compile(r"^ghcr\.io/cloudnative-pg/[a-z-]+:[\w.-]+@sha256:[0-9a-f]{64}$")
    image = find(plans[stack], "Cluster", "langfuse-postgres")["spec"]["imageName"]
    assert digest.match(image) and image.startswith("ghcr.io/cloudnative-pg/postgresql:17.11-") and "-standard-trixie@" in image
    drill = find(plans[stack], "CronJob", "langfuse-postgres-restore-drill")["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    images = {c["name"]: c["image"] for c in drill["initContainers"] + drill["containers"]}
    assert images == {
        "restore-base-backup": images["wal-server"],
        "wal-server": images["wal-server"],
        "restore-drill": image,
    }
    assert images["wal-server"].startswith("ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0@sha256:")
    assert all(digest.match(i) for i in images.values())


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
    # The Barman Cloud Plugin archives (CloudNativePG's in-tree barmanObjectStore is gone in 1.31).
    assert "backup" not in spec
    assert spec["plugins"] == [
        {
            "name": "barman-cloud.cloudnative-pg.io",
            "isWALArchiver": True,
            "parameters": {"barmanObjectName": "langfuse-postgres-backups", "serverName": backup.get("serverName", "langfuse-postgres")},
        }
    ]
    store = find(plan, "ObjectStore", "langfuse-postgres-backups")["spec"]
    configuration = store["configuration"]
    assert configuration["destinationPath"] == f"s3://{aws['resourcePrefix']}-backups/postgres"
    assert configuration["s3Credentials"] == {"inheritFromIAMRole": True} and "serverName" not in configuration
    assert configuration["wal"]["encryption"] == configuration["data"]["encryption"] == "aws:kms"
    assert store["retentionPolicy"] == f"{backup['retentionDays']}d"
    role = f"arn:aws:iam::{aws['accountId']}:role/{aws['resourcePrefix']}-postgres-backup"
    assert spec["serviceAccountTemplate"]["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role
    scheduled = find(plan, "ScheduledBackup", "langfuse-postgres-daily")["spec"]
    assert scheduled["cluster"] == {"name": "langfuse-postgres"} and scheduled["method"] == "plugin"
    assert scheduled["pluginConfiguration"] == {"name": "barman-cloud.cloudnative-pg.io"}
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
    assert subscriptions["openshift-cert-manager-operator"] == {
        "name": "openshift-cert-manager-operator", "channel": "stable-v1", "startingCSV": "cert-manager-operator.v1.19.1",
        "source": "redhat-operators", "sourceNamespace": "openshift-marketplace", "installPlanApproval": approval,
    }  # fmt: skip
    assert find(plan, "Namespace", "cert-manager-operator")


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_cluster_layer_deploys_the_barman_cloud_plugin_from_its_release_manifest(plans, stack):
    """Every object of the plugin's v0.14.0 manifest, beside CloudNativePG, as the manifest has it, except what
    components/platform/barman_cloud_plugin.py says it changes: images by digest, SIDECAR_IMAGE inline instead of
    a Secret, no fixed UID, resources, log level, and our managed-by label."""
    from components.platform.barman_cloud_plugin import manifest_objects

    plan = plans[f"cluster-{stack}"]
    rendered = {(o.kind, o.name): o.manifest for o in plan.objects if o.component == "barman-cloud-plugin"}
    upstream = {(o["kind"], o["metadata"]["name"]): o for o in manifest_objects()}
    secrets = [key for key in upstream if key[0] == "Secret"]
    assert len(secrets) == 1 and secrets[0] not in rendered
    assert set(rendered) == (set(upstream) - set(secrets)) | {("PodDisruptionBudget", "barman-cloud")}

    def without_managed_by(manifest: dict) -> dict:  # kustomize's upstream, ours here
        manifest = copy.deepcopy(manifest)
        labels = manifest["metadata"].get("labels", {})
        labels.pop("app.kubernetes.io/managed-by", None)
        if not labels:
            manifest["metadata"].pop("labels", None)
        return manifest

    for key, manifest in rendered.items():
        assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "langfuse-rosa"
        if key[0] not in ("Deployment", "PodDisruptionBudget"):
            assert without_managed_by(manifest) == without_managed_by(upstream[key]), key
    deployment = rendered[("Deployment", "barman-cloud")]
    assert deployment["metadata"]["namespace"] == "cnpg-system"  # CloudNativePG's: it finds plugins there
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert container["image"] == "ghcr.io/cloudnative-pg/plugin-barman-cloud:v0.14.0@sha256:823a8893690980ba5830bbbb11196a35f695b0488db7d846abc33baebf32417c"
    assert container["env"] == [
        {"name": "SIDECAR_IMAGE", "value": "ghcr.io/cloudnative-pg/plugin-barman-cloud-sidecar:v0.14.0@sha256:9880817c285c7afa4d195da2145064d21907405489ed6ec39abe59b1feb558a4"}
    ]
    assert "runAsUser" not in container["securityContext"] and "--log-level=info" in container["args"]
    (upstream_container,) = upstream[("Deployment", "barman-cloud")]["spec"]["template"]["spec"]["containers"]
    assert container["args"] == [a.replace("debug", "info") for a in upstream_container["args"]]
    assert container["volumeMounts"] == upstream_container["volumeMounts"] and container["ports"] == upstream_container["ports"]
    service = rendered[("Service", "barman-cloud")]
    assert service["metadata"]["labels"]["cnpg.io/pluginName"] == "barman-cloud.cloudnative-pg.io"
    # Its certificates are cert-manager's; the ObjectStore CRD is the one the environment stacks' ObjectStore uses.
    assert rendered[("Certificate", "barman-cloud-server")]["spec"]["issuerRef"]["name"] == "selfsigned-issuer"
    assert rendered[("CustomResourceDefinition", "objectstores.barmancloud.cnpg.io")]["spec"]["versions"][0]["name"] == "v1"


@pytest.mark.parametrize("stack", ["dev", "staging", "prod"])
def test_cluster_layer_storage_class_is_encrypted_gp3_with_its_own_key(plans, stack_files, stack):
    plan = plans[f"cluster-{stack}"]
    storage_class = find(plan, "StorageClass", "langfuse-gp3-encrypted")
    account = stack_setting(stack_files, f"cluster-{stack}", "aws", "accountId")
    parameters = dict(storage_class["parameters"])
    assert re.fullmatch(rf"arn:aws:kms:eu-west-1:{account}:key/[0-9a-f-]{{36}}", parameters.pop("kmsKeyId"))
    assert parameters == {"type": "gp3", "encrypted": "true", "csi.storage.k8s.io/fstype": "ext4"}
    (key,) = [r for r in plan.resources if r.type == "aws:kms/key:Key" and r.name == "ebs-key"]
    assert key.inputs["enableKeyRotation"] is True and key.protect
    csi_role = stack_setting(stack_files, f"cluster-{stack}", "storage", "csiDriverRoleArn")
    grants = [st for st in json.loads(key.inputs["policy"])["Statement"] if st["Principal"] == {"AWS": csi_role}]
    assert {a for st in grants for a in st["Action"]} >= {"kms:CreateGrant", "kms:Decrypt", "kms:GenerateDataKeyWithoutPlaintext"}
    assert next(st for st in grants if "kms:CreateGrant" in st["Action"])["Condition"] == {"Bool": {"kms:GrantIsForAWSResource": "true"}}
    assert storage_class["provisioner"] == "ebs.csi.aws.com"
    assert storage_class["volumeBindingMode"] == "WaitForFirstConsumer"
    assert storage_class["allowVolumeExpansion"] is True
    assert storage_class["reclaimPolicy"] == "Retain"
