"""Decisive fields of the Langfuse application tier, read from the offline plans of the real stacks."""

from __future__ import annotations

import re

import pytest

from components.analytics.cluster import schema_job_name
from tests.conftest import (
    STACKS,
    container,
    env_of,
    env_value,
    find,
    langfuse_env_names,
    langfuse_pods,
    mebibytes,
    pod_templates,
    project_path,
    rendered_secrets_hold_no_data,
    stack_setting,
)

LANGFUSE_DRAIN_SECONDS = 110  # web/src/utils/shutdown.ts, Langfuse v4.16.0


@pytest.mark.parametrize("stack", STACKS)
def test_web_probes_hit_langfuse_health_and_ready_endpoints(plans, stack):
    web = container(find(plans[stack], "Deployment", "langfuse-web"))
    assert web["ports"] == [{"name": "http", "containerPort": 3000, "protocol": "TCP"}]
    assert web["startupProbe"]["httpGet"] == {"path": "/api/public/health", "port": "http", "scheme": "HTTP"}
    assert web["livenessProbe"]["httpGet"]["path"] == "/api/public/health"
    assert web["readinessProbe"]["httpGet"]["path"] == "/api/public/ready"
    # The startup probe gives a cold start minutes, not seconds, before liveness can kill it.
    startup = web["startupProbe"]
    assert startup["periodSeconds"] * startup["failureThreshold"] >= 120


@pytest.mark.parametrize("stack", STACKS)
def test_worker_probes_use_health_for_liveness_and_ready_for_readiness(plans, stack):
    worker = container(find(plans[stack], "Deployment", "langfuse-worker"))
    assert worker["ports"][0]["containerPort"] == 3030
    assert worker["startupProbe"]["httpGet"]["path"] == "/api/health"
    assert worker["livenessProbe"]["httpGet"]["path"] == "/api/health"
    assert worker["readinessProbe"]["httpGet"]["path"] == "/api/ready"


@pytest.mark.parametrize("stack", STACKS)
def test_web_grace_period_outlasts_langfuse_drain(plans, stack):
    spec = find(plans[stack], "Deployment", "langfuse-web")["spec"]["template"]["spec"]
    assert spec["terminationGracePeriodSeconds"] > LANGFUSE_DRAIN_SECONDS


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("name", ["langfuse-web", "langfuse-worker"])
def test_rollout_never_drops_below_desired_capacity(plans, stack, name):
    spec = find(plans[stack], "Deployment", name)["spec"]
    assert spec["strategy"] == {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": 0, "maxSurge": "25%"}}
    # The HPA owns the replica count; a fixed value here would reset it on every `pulumi up`.
    assert "replicas" not in spec


@pytest.mark.parametrize("stack", STACKS)
def test_web_hpa_bounds_and_metrics_follow_the_stack(plans, stack_files, stack):
    process = "web"
    hpa = find(plans[stack], "HorizontalPodAutoscaler", f"langfuse-{process}")["spec"]
    replicas = stack_setting(stack_files, stack, "langfuse", process, "replicas")
    assert (hpa["minReplicas"], hpa["maxReplicas"]) == (replicas["min"], replicas["max"])
    assert hpa["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": f"langfuse-{process}"}
    targets = {m["resource"]["name"]: m["resource"]["target"] for m in hpa["metrics"]}
    assert targets == {
        "cpu": {"type": "Utilization", "averageUtilization": 50},  # Langfuse's guidance: scale out above 50 % CPU
        "memory": {"type": "Utilization", "averageUtilization": 80},
    }
    assert hpa["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 300


@pytest.mark.parametrize("stack", STACKS)
def test_worker_scales_on_cpu_memory_and_the_ingestion_backlog(plans, stack_files, stack):
    plan = plans[stack]
    assert not [o for o in plan.objects if o.kind == "HorizontalPodAutoscaler" and o.name == "langfuse-worker"]  # KEDA owns it
    scaled = find(plan, "ScaledObject", "langfuse-worker")["spec"]
    replicas = stack_setting(stack_files, stack, "langfuse", "worker", "replicas")
    assert (scaled["minReplicaCount"], scaled["maxReplicaCount"]) == (replicas["min"], replicas["max"])
    assert scaled["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment", "name": "langfuse-worker"}
    triggers = {t["type"]: t for t in scaled["triggers"]}
    assert triggers["cpu"]["metadata"] == {"value": "50"} and triggers["memory"]["metadata"] == {"value": "80"}
    backlog = triggers["prometheus"]
    ns = stack_setting(stack_files, stack, "langfuse", "namespace")
    assert backlog["metadata"]["query"] == (
        f'sum(max by (queue) (langfuse_queue_depth{{namespace="{ns}",queue=~"ingestion|otel_ingestion",type="waiting",shard="all"}}))'
    )
    assert backlog["metadata"]["serverAddress"] == "https://thanos-querier.openshift-monitoring.svc.cluster.local:9092"
    assert backlog["metadata"]["namespace"] == ns and backlog["metadata"]["threshold"] == "2000"
    auth = find(plan, "TriggerAuthentication", backlog["authenticationRef"]["name"])["spec"]
    assert auth["boundServiceAccountToken"] == [{"parameter": "bearerToken", "serviceAccountName": "langfuse-metrics-reader"}]
    token = find(plan, "Role", "langfuse-metrics-reader-token")["rules"]
    assert token == [{"apiGroups": [""], "resources": ["serviceaccounts/token"], "resourceNames": ["langfuse-metrics-reader"], "verbs": ["create"]}]
    binding = find(plan, "RoleBinding", "langfuse-metrics-reader-token")
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": "keda-operator", "namespace": "openshift-keda"}]
    assert scaled["advanced"]["horizontalPodAutoscalerConfig"]["behavior"] == find(plan, "HorizontalPodAutoscaler", "langfuse-web")["spec"]["behavior"]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("process", ["web", "worker"])
def test_pdb_covers_exactly_the_deployments_pods(plans, stack, process):
    plan = plans[stack]
    pdb = find(plan, "PodDisruptionBudget", f"langfuse-{process}")["spec"]
    deployment = find(plan, "Deployment", f"langfuse-{process}")["spec"]
    assert pdb["maxUnavailable"] == 1
    assert pdb["unhealthyPodEvictionPolicy"] == "AlwaysAllow"
    assert pdb["selector"] == deployment["selector"]
    pod_labels = deployment["template"]["metadata"]["labels"]
    assert pdb["selector"]["matchLabels"].items() <= pod_labels.items()
    other = "worker" if process == "web" else "web"
    other_labels = find(plan, "Deployment", f"langfuse-{other}")["spec"]["template"]["metadata"]["labels"]
    assert not pdb["selector"]["matchLabels"].items() <= other_labels.items()


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("process", ["web", "worker"])
def test_pods_spread_across_zones_and_nodes(plans, stack, process):
    spec = find(plans[stack], "Deployment", f"langfuse-{process}")["spec"]
    spread = {c["topologyKey"]: c for c in spec["template"]["spec"]["topologySpreadConstraints"]}
    assert spread["topology.kubernetes.io/zone"]["whenUnsatisfiable"] == "DoNotSchedule"
    assert spread["kubernetes.io/hostname"]["whenUnsatisfiable"] == "ScheduleAnyway"
    for constraint in spread.values():
        assert constraint["maxSkew"] == 1
        assert constraint["labelSelector"] == spec["selector"]
        assert constraint["matchLabelKeys"] == ["pod-template-hash"]


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("exporter", ["langfuse-statsd-exporter", "langfuse-blackbox-exporter"])
def test_exporters_spread_over_zones_when_there_are_several(plans, stack_files, stack, exporter):
    # monitoring.exporterReplicas alone decides (dev runs one: nothing to spread, and a hard constraint would only block it).
    replicas = stack_files[stack].get("langfuse-rosa:monitoring", {}).get("exporterReplicas", 2)
    spec = find(plans[stack], "Deployment", exporter)["spec"]
    (zone,) = spec["template"]["spec"]["topologySpreadConstraints"]
    assert spec["replicas"] == replicas
    assert zone["topologyKey"] == "topology.kubernetes.io/zone"
    assert zone["whenUnsatisfiable"] == ("DoNotSchedule" if replicas > 1 else "ScheduleAnyway")


@pytest.mark.parametrize("stack", STACKS)
def test_route_terminates_tls_redirects_http_and_sets_hsts(plans, stack_files, stack):
    plan = plans[stack]
    route = find(plan, "Route", "langfuse-web")
    service = find(plan, "Service", "langfuse-web")
    assert route["spec"]["host"] == _hostname(stack_files, stack)
    custom = "certificate" in stack_setting(stack_files, stack, "langfuse")
    expected_tls = {"termination": "edge", "insecureEdgeTerminationPolicy": "Redirect"}
    assert route["spec"]["tls"] == ({**expected_tls, "externalCertificate": {"name": "langfuse-web-tls"}} if custom else expected_tls)
    assert route["spec"]["to"] == {"kind": "Service", "name": service["metadata"]["name"], "weight": 100}
    assert route["spec"]["port"]["targetPort"] in {p["name"] for p in service["spec"]["ports"]}
    hsts = route["metadata"]["annotations"]["haproxy.router.openshift.io/hsts_header"]
    max_age = int(re.match(r"max-age=(\d+)", hsts).group(1))
    assert max_age >= 31536000 and "includeSubDomains" in hsts
    assert ("preload" in hsts) == (stack == "prod")
    assert route["metadata"]["annotations"]["haproxy.router.openshift.io/timeout"] == "120s"


def _hostname(stack_files, stack):
    langfuse = stack_setting(stack_files, stack, "langfuse")
    default = f"{langfuse['namespace']}.{stack_setting(stack_files, stack, 'cluster', 'appsDomain')}"
    return langfuse.get("hostname", default)


def test_hostname_defaults_to_the_clusters_apps_domain(plans, stack_files):
    assert "hostname" not in stack_setting(stack_files, "dev", "langfuse")
    assert find(plans["dev"], "Route", "langfuse-web")["spec"]["host"] == "langfuse-dev.apps.rosa-dev.x7k2.p1.openshiftapps.com"


@pytest.mark.parametrize("stack", STACKS)
def test_every_pod_passes_restricted_v2(plans, stack_files, stack):
    templates = pod_templates(plans[stack])
    analytics = stack_files[stack].get("langfuse-rosa:analytics") or {}
    assert {name for name, _ in templates} == {
        "Deployment/langfuse-web",
        "Deployment/langfuse-worker",
        "Job/langfuse-migrate-4-16-0",
        "StatefulSet/langfuse-redis",
        "StatefulSet/langfuse-sentinel",
        "Deployment/langfuse-statsd-exporter",
        "Deployment/langfuse-blackbox-exporter",
        "ClickHouseInstallation/langfuse/clickhouse",
        "ClickHouseKeeperInstallation/langfuse/keeper",
    } | ({"ClickHouseInstallation/analytics/clickhouse", "ClickHouseKeeperInstallation/analytics/keeper",
          f"Job/{schema_job_name(analytics['retentionDays'])}"} if analytics.get("enabled") else set())
    for name, pod in templates:
        assert pod["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}, name
        assert pod["automountServiceAccountToken"] is False, name
        for key in ("hostNetwork", "hostPID", "hostIPC"):
            assert not pod.get(key), name
        assert not any("hostPath" in v for v in pod.get("volumes", [])), name
        for c in pod["containers"] + pod.get("initContainers", []):
            sc = c["securityContext"]
            assert sc["allowPrivilegeEscalation"] is False and sc["privileged"] is False, name
            assert sc["capabilities"] == {"drop": ["ALL"]}, name
            assert sc["runAsNonRoot"] is True and sc["readOnlyRootFilesystem"] is True, name
            assert sc["seccompProfile"] == {"type": "RuntimeDefault"}, name
            # restricted-v2 assigns the UID from the namespace range; a fixed one would be refused.
            assert not {"runAsUser", "runAsGroup"} & sc.keys(), name
            assert c["resources"]["requests"] and c["resources"]["limits"], name
        assert not {"runAsUser", "runAsGroup", "fsGroup"} & pod["securityContext"].keys(), name


@pytest.mark.parametrize("stack", STACKS)
def test_namespace_enforces_restricted_pod_security(plans, stack_files, stack):
    name = stack_setting(stack_files, stack, "langfuse", "namespace")
    labels = find(plans[stack], "Namespace", name)["metadata"]["labels"]
    kubernetes = {"4.18": "v1.31", "4.19": "v1.32", "4.20": "v1.33"}[stack_setting(stack_files, stack, "cluster", "openshiftVersion")]
    for mode in ("enforce", "audit", "warn"):
        assert labels[f"pod-security.kubernetes.io/{mode}"] == "restricted"
        assert labels[f"pod-security.kubernetes.io/{mode}-version"] == kubernetes
    assert labels["security.openshift.io/scc.podSecurityLabelSync"] == "false"


@pytest.mark.parametrize("stack", STACKS)
def test_migrations_run_in_a_job_before_web_and_worker_roll(plans, stack):
    plan = plans[stack]
    job = find(plan, "Job", "langfuse-migrate-4-16-0")
    deployments = {o.name: o for o in plan.objects if o.kind == "Deployment"}
    for name in ("langfuse-web", "langfuse-worker"):
        assert "Job/langfuse-migrate-4-16-0" in deployments[name].depends_on
    web = container(deployments["langfuse-web"].manifest)
    assert env_value(web, "LANGFUSE_AUTO_POSTGRES_MIGRATION_DISABLED") == "true"
    assert env_value(web, "LANGFUSE_AUTO_CLICKHOUSE_MIGRATION_DISABLED") == "true"
    migrate = container(job)
    # Same image as web, with its migrating entrypoint left on.
    assert migrate["image"] == web["image"]
    assert not {"LANGFUSE_AUTO_POSTGRES_MIGRATION_DISABLED", "LANGFUSE_AUTO_CLICKHOUSE_MIGRATION_DISABLED"} & env_of(migrate).keys()
    assert "command" not in migrate  # keeps the image's ENTRYPOINT (dumb-init -- ./web/entrypoint.sh)
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] == 2 and job["spec"]["activeDeadlineSeconds"] == 1800


@pytest.mark.parametrize("stack", STACKS + ("external",))
def test_every_env_var_is_one_langfuse_reads(plans, stack):
    known = langfuse_env_names()
    assert len(known) > 500  # the list is the real one, not an empty file
    pods = langfuse_pods(plans[stack])
    assert len(pods) == 3
    for name, pod in pods:
        for c in pod["containers"]:
            unknown = {
                e["name"] for e in c["env"] if e["name"] not in known and not e["name"].startswith("DD_") and e["name"] not in ("NODE_OPTIONS", "TZ")
            }
            assert not unknown, f"{name} sets env vars Langfuse v4.16 does not read: {sorted(unknown)}"


@pytest.mark.parametrize("stack", STACKS)
@pytest.mark.parametrize("process", ["web", "worker"])
def test_resources_and_node_heap_follow_the_memory_limit(plans, stack_files, stack, process):
    c = container(find(plans[stack], "Deployment", f"langfuse-{process}"))
    configured = stack_setting(stack_files, stack, "langfuse", process)
    assert c["resources"]["limits"]["memory"] == c["resources"]["requests"]["memory"] == configured["memory"]
    # Three quarters of the limit for the V8 heap, the rest for memory outside it.
    assert env_value(c, "NODE_OPTIONS") == f"--max-old-space-size={mebibytes(configured['memory']) * 3 // 4}"
    millicores = {"500m": "500m", "1": "1000m", "2": "2000m"}
    assert c["resources"]["requests"]["cpu"] == millicores[configured["cpu"]["request"]]
    assert c["resources"]["limits"]["cpu"] == millicores[configured["cpu"]["limit"]]


@pytest.mark.parametrize("stack", ["staging", "prod"])
def test_sso_through_keycloak_disables_password_sign_in(plans, stack_files, stack):
    web = container(find(plans[stack], "Deployment", "langfuse-web"))
    sso = stack_setting(stack_files, stack, "sso")
    env = env_of(web)
    assert env["AUTH_KEYCLOAK_ISSUER"]["value"] == sso["issuer"]
    assert env["AUTH_KEYCLOAK_CLIENT_ID"]["value"] == sso["clientId"]
    ref = env["AUTH_KEYCLOAK_CLIENT_SECRET"]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "langfuse-sso", "key": "client-secret", "optional": False}
    # That Secret is External Secrets' copy of the Secrets Manager value the stack references.
    materialised = find(plans[stack], "ExternalSecret", "langfuse-sso")["spec"]["data"]
    assert materialised == [
        {
            "secretKey": "client-secret",
            "remoteRef": {"key": sso["clientSecret"]["secretsManagerName"], "property": sso["clientSecret"]["property"]},
        }
    ]
    assert env["AUTH_DISABLE_USERNAME_PASSWORD"]["value"] == "true"
    # Sign-up must stay open with SSO: Langfuse creates SSO users on first login.
    assert "AUTH_DISABLE_SIGNUP" not in env
    assert env["NEXTAUTH_URL"]["value"] == f"https://{_hostname(stack_files, stack)}"


def test_dev_without_sso_keeps_password_sign_in(plans):
    env = env_of(container(find(plans["dev"], "Deployment", "langfuse-web")))
    assert not [name for name in env if name.startswith("AUTH_KEYCLOAK_")]
    assert "AUTH_DISABLE_USERNAME_PASSWORD" not in env
    assert env["AUTH_DISABLE_SIGNUP"]["value"] == "false"  # dev sets passwordSignUp: true


@pytest.mark.parametrize("stack", STACKS)
def test_telemetry_is_off_unless_a_stack_turns_it_on(plans, stack):
    for process in ("web", "worker"):
        assert env_value(container(find(plans[stack], "Deployment", f"langfuse-{process}")), "TELEMETRY_ENABLED") == "false"


@pytest.mark.parametrize("stack", STACKS)
def test_secret_env_vars_come_only_from_secret_refs(plans, stack):
    secret_like = re.compile(r"(_PASSWORD|_SECRET|^SALT|^ENCRYPTION_KEY|^REDIS_AUTH)$")
    checked = 0
    for name, pod in pod_templates(plans[stack]):
        if "env" not in pod["containers"][0]:
            continue
        for e in pod["containers"][0]["env"]:
            if secret_like.search(e["name"]) and not e["name"].startswith("AUTH_DISABLE_"):
                checked += 1
                assert "value" not in e and "secretKeyRef" in e["valueFrom"], f"{name}: {e['name']}"
    assert checked >= 10  # DATABASE_PASSWORD, CLICKHOUSE_PASSWORD, SALT, NEXTAUTH_SECRET, ... in several pods


def _postgres_ca_volume(plan):
    web = container(find(plan, "Deployment", "langfuse-web"))
    args = dict(part.split("=", 1) for part in env_value(web, "DATABASE_ARGS").split("&"))
    assert args["sslmode"] == "require" and args["sslaccept"] == "strict"
    mount_dir, filename = args["sslcert"].rsplit("/", 1)
    pod = find(plan, "Deployment", "langfuse-web")["spec"]["template"]["spec"]
    volume_name = next(m["name"] for m in web["volumeMounts"] if m["mountPath"] == mount_dir)
    return next(v for v in pod["volumes"] if v["name"] == volume_name), filename


@pytest.mark.parametrize("stack", STACKS)
def test_database_connection_verifies_the_in_cluster_server_certificate(plans, stack):
    volume, filename = _postgres_ca_volume(plans[stack])
    # CloudNativePG signs the server certificate with the CA in <cluster>-ca.
    assert volume["secret"]["secretName"] == "langfuse-postgres-ca"
    assert volume["secret"]["items"] == [{"key": "ca.crt", "path": filename}]


def test_database_connection_verifies_the_external_server_certificate(plans, stack_files):
    volume, filename = _postgres_ca_volume(plans["external"])
    server_ca = stack_setting(stack_files, "external", "backend", "postgres", "serverCa")
    assert volume["configMap"]["name"] == server_ca["configMapName"]
    assert volume["configMap"]["items"] == [{"key": server_ca["key"], "path": filename}]


@pytest.mark.parametrize("stack", STACKS)
def test_service_accounts_carry_their_own_iam_roles(plans, stack_files, stack):
    plan = plans[stack]
    aws = stack_setting(stack_files, stack, "aws")
    for process in ("web", "worker"):
        pod = find(plan, "Deployment", f"langfuse-{process}")["spec"]["template"]["spec"]
        sa = find(plan, "ServiceAccount", pod["serviceAccountName"])
        role = f"arn:aws:iam::{aws['accountId']}:role/{aws['resourcePrefix']}-{process}"
        assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == role
        assert sa["automountServiceAccountToken"] is False
    migrate_sa = find(plan, "ServiceAccount", "langfuse-migrate")
    assert "annotations" not in migrate_sa["metadata"]  # the migration Job needs no AWS access


@pytest.mark.parametrize("stack", STACKS)
def test_images_are_pinned_by_version_and_digest(plans, stack):
    for name, pod in langfuse_pods(plans[stack]):
        for c in pod["containers"]:
            assert re.fullmatch(r"docker\.io/langfuse/langfuse(-worker)?:4\.16\.0@sha256:[0-9a-f]{64}", c["image"]), name
    for name, pod in pod_templates(plans[stack]):
        for c in pod["containers"] + pod.get("initContainers", []):
            assert re.fullmatch(r"[a-z0-9._\-/]+:[\w.\-]+@sha256:[0-9a-f]{64}", c["image"]), f"{name}: {c['image']}"
    assert container(find(plans[stack], "Deployment", "langfuse-worker"))["image"].startswith("docker.io/langfuse/langfuse-worker:")


@pytest.mark.parametrize("stack", STACKS)
def test_app_secrets_are_generated_into_secrets_manager_and_reach_the_pods_through_external_secrets(plans, stack_files, stack):
    plan = plans[stack]
    prefix = stack_setting(stack_files, stack, "aws", "resourcePrefix")
    generators = {r.name: r for r in plan.resources if r.type.startswith("random:")}
    assert generators["encryption-key"].inputs == {"length": 32}  # 256 bits, rendered as 64 hex characters
    assert generators["salt"].protect == generators["encryption-key"].protect == (stack != "dev")
    stored = next(r for r in plan.resources if r.type == "aws:secretsmanager/secretVersion:SecretVersion" and r.name == "app")
    assert stored.inputs["secretString"] == "[redacted]"
    assert stored.protect == (stack != "dev")
    materialised = find(plan, "ExternalSecret", "langfuse-app-secrets")["spec"]
    assert {(d["secretKey"], d["remoteRef"]["key"], d["remoteRef"]["property"]) for d in materialised["data"]} == {
        (key, f"{prefix}/app", key) for key in ("NEXTAUTH_SECRET", "SALT", "ENCRYPTION_KEY")
    }
    assert materialised["secretStoreRef"] == {"name": "aws-secrets-manager", "kind": "SecretStore"}
    # No Kubernetes Secret is rendered at all: every one is External Secrets' to write.
    assert rendered_secrets_hold_no_data(plan)


def test_a_configured_ca_bundle_replaces_the_injected_one(tmp_path):
    import yaml

    from infra.offline_plan.plan import build_plan

    document = yaml.safe_load(project_path("examples", "stacks", "Pulumi.external.yaml").read_text())
    document["config"]["langfuse-rosa:backend"]["trustedCaBundle"] = {"configMapName": "corp-ca", "key": "bundle.pem"}
    (tmp_path / "Pulumi.external.yaml").write_text(yaml.safe_dump(document))
    plan = build_plan("external", stacks_dir=tmp_path)
    for process in ("web", "worker"):
        pod = find(plan, "Deployment", f"langfuse-{process}")["spec"]["template"]["spec"]
        trusted = next(v for v in pod["volumes"] if v["name"] == "trusted-ca")
        assert trusted["configMap"]["name"] == "corp-ca"
        assert trusted["configMap"]["items"] == [{"key": "bundle.pem", "path": "ca-bundle.crt"}]
        assert env_value(pod["containers"][0], "NODE_EXTRA_CA_CERTS") == "/etc/langfuse/tls/trusted/ca-bundle.crt"
