"""Invalid stack configuration: one line per bad value (stack, key, value, what is allowed), exit code 2,
no traceback, and nothing registered."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pulumi
import pytest
import yaml

from infra.offline_plan import runner
from infra.offline_plan.stack_file import read_stack_file
from infra.stack_config import ConfigError, parse_stack_config
from infra.stack_config.loader import _namespace_values
from tests.conftest import project_path

Mutation = Callable[[dict[str, Any]], None]


def _dev_values() -> dict[str, Any]:
    return _namespace_values(read_stack_file(project_path("stacks"), "dev").config)


def _external_values() -> dict[str, Any]:
    return _namespace_values(read_stack_file(project_path("examples", "stacks"), "external").config)


def _external(mutation: Mutation) -> Mutation:
    """The mutation applies to the external-mode example stack instead of dev."""
    mutation.base = "external"  # type: ignore[attr-defined]
    return mutation


def _set(*path: str, value: Any) -> Mutation:
    def mutate(values: dict[str, Any]) -> None:
        target = values
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = value

    return mutate


def _drop(*path: str) -> Mutation:
    def mutate(values: dict[str, Any]) -> None:
        target = values
        for part in path[:-1]:
            target = target[part]
        del target[path[-1]]

    return mutate


SSO_ON = {"enabled": True, "issuer": "https://sso.example.com/realms/langfuse", "clientId": "langfuse"}

INVALID = [
    pytest.param(
        _set("dataTier", "clickhouse", "shards", value=2),
        "langfuse-rosa:dataTier.clickhouse.shards = 2 is invalid: must be 1: Langfuse supports only single-shard "
        "ClickHouse (its deletes and updates fail on Distributed tables); scale with replicas instead",
        id="clickhouse-two-shards",
    ),
    pytest.param(
        _set("dataTier", "clickhouse", "keeperReplicas", value=2),
        "langfuse-rosa:dataTier.clickhouse.keeperReplicas = 2 is invalid: must be odd (1, 3 or 5): 2 Keeper members "
        "survive no more failures than 1, and a split in half leaves neither side a quorum",
        id="two-keepers",
    ),
    pytest.param(
        _set("dataTier", "redis", "sentinels", value=2),
        "langfuse-rosa:dataTier.redis.sentinels = 2 is invalid: must be at least 3: fewer sentinels cannot outvote "
        "one that is cut off from the rest",
        id="two-sentinels",
    ),
    pytest.param(
        _set("dataTier", "redis", "sentinels", value=4),
        "langfuse-rosa:dataTier.redis.sentinels = 4 is invalid: must be odd: with 4 sentinels a split in half leaves "
        "neither side a majority to authorise failover",
        id="even-sentinels",
    ),
    pytest.param(
        _set("dataTier", "redis", "quorum", value=1),
        "langfuse-rosa:dataTier.redis.quorum = 1 is invalid: must be between 2 (a majority of 3 sentinels) and 3: "
        "a smaller quorum lets a minority partition declare the master down",
        id="minority-quorum",
    ),
    pytest.param(
        _drop("dataTier"),
        "langfuse-rosa:dataTier is required when backend.mode is in-cluster",
        id="in-cluster-without-data-tier",
    ),
    pytest.param(
        _set("layer", value="infra"),
        "langfuse-rosa:layer = 'infra' is invalid: input should be 'environment' or 'cluster'",
        id="unknown-layer",
    ),
    pytest.param(
        _set("langfuse", "web", "replicas", "min", value="two"),
        "langfuse-rosa:langfuse.web.replicas.min = 'two' is invalid: must be a whole number, like 3",
        id="wrong-type",
    ),
    pytest.param(
        _set("langfuse", "web", "replicas", "min", value=True),
        "langfuse-rosa:langfuse.web.replicas.min = true is invalid: must be a whole number, like 3",
        id="bool-is-not-a-count",
    ),
    pytest.param(
        _set("langfuse", "webb", value={}),
        "langfuse-rosa:langfuse.webb is not a known key (did you mean web?); allowed here: certificate, hostname, imageRegistry, licenseKey, logLevel, namespace, "
        "passwordSignUp, protectSecrets, route, telemetry, version, web, worker",
        id="unknown-key",
    ),
    pytest.param(
        _set("langfse", value={}),
        "langfuse-rosa:langfse is not a known key (did you mean langfuse?); allowed here: analytics, audit, aws, backend, cluster, dataTier, disasterRecovery, "
        "environment, langfuse, layer, monitoring, network, sso, tenancy, verification",
        id="unknown-top-level-key",
    ),
    pytest.param(
        _set("network", "httpsEgressCidrs", value=["10.0.0.0/33"]),
        "langfuse-rosa:network.httpsEgressCidrs[0] = '10.0.0.0/33' is invalid: must be an IPv4 network in CIDR notation, like 10.0.0.0/16",
        id="bad-egress-cidr",
    ),
    pytest.param(
        _external(_drop("network", "externalBackendCidrs")),
        "langfuse-rosa:network is invalid: externalBackendCidrs is required when backend.mode is external: the stores' addresses for egress",
        id="external-stores-unreachable",
    ),
    pytest.param(
        _set("langfuse", "worker", "replicas", "min", value=0),
        "langfuse-rosa:langfuse.worker.replicas.min = 0 is invalid: input should be greater than or equal to 1",
        id="replicas-out-of-range",
    ),
    pytest.param(
        _set("langfuse", "web", "replicas", value={"min": 3, "max": 2}),
        "langfuse-rosa:langfuse.web.replicas.max = 2 is invalid: must be at least min (3)",
        id="replicas-max-below-min",
    ),
    pytest.param(
        _set("langfuse", "hostname", value="Langfuse_Example"),
        "langfuse-rosa:langfuse.hostname = 'Langfuse_Example' is invalid: must be a lower-case DNS name with at least "
        "two labels, like langfuse.apps.example.com",
        id="malformed-domain",
    ),
    pytest.param(
        _set("sso", value=SSO_ON),
        "langfuse-rosa:sso.clientSecret is required when sso.enabled is true",
        id="missing-required-secret-sso",
    ),
    pytest.param(
        _external(_drop("backend", "postgres", "credentials")),
        "langfuse-rosa:backend.postgres.credentials is required but not set "
        "(Secrets Manager secret {secretsManagerName, usernameProperty, passwordProperty})",
        id="missing-required-secret-postgres",
    ),
    pytest.param(
        _external(_set("backend", "postgres", "password", value="hunter2")),
        "langfuse-rosa:backend.postgres.password is not a known key; allowed here: connectionBudget, credentials, database, "
        "host, port, serverCa; secret values never go in stack config: put them in AWS Secrets Manager and reference the secret by name",
        id="plaintext-secret",
    ),
    pytest.param(
        _set("environment", value="production"),
        "langfuse-rosa:environment = 'production' is invalid: input should be 'dev', 'staging' or 'prod'",
        id="unknown-environment",
    ),
    pytest.param(
        _set("langfuse", "version", value="3.99.0"),
        "langfuse-rosa:langfuse.version = '3.99.0' is invalid: input should be '4.16.0'",
        id="unsupported-langfuse-version",
    ),
    pytest.param(
        _set("langfuse", "worker", "memory", value="4GB"),
        "langfuse-rosa:langfuse.worker.memory = '4GB' is invalid: must be a memory quantity in Mi or Gi, like '4Gi' or '1536Mi'",
        id="bad-memory-quantity",
    ),
    pytest.param(
        _set("langfuse", "web", "memory", value="512Mi"),
        "langfuse-rosa:langfuse.web.memory = '512Mi' is invalid: must be at least 1Gi, the least Langfuse starts with",
        id="memory-below-floor",
    ),
    pytest.param(
        _set("langfuse", "web", "cpu", value={"request": "4", "limit": 2}),
        "langfuse-rosa:langfuse.web.cpu.limit = 2 is invalid: must be at least request (4)",
        id="cpu-limit-below-request",
    ),
    pytest.param(
        _set("sso", value={**SSO_ON, "issuer": "http://sso.example.com/realms/x", "clientSecret": {"secretsManagerName": "acme/sso", "property": "k"}}),
        "langfuse-rosa:sso.issuer = 'http://sso.example.com/realms/x' is invalid: must be an https:// URL",
        id="issuer-not-https",
    ),
    pytest.param(
        _set("disasterRecovery", value={"enabled": True, "alertEmails": ["oncall@example.com"]}),
        "langfuse-rosa:disasterRecovery.region is required when disasterRecovery.enabled is true",
        id="dr-without-region",
    ),
    pytest.param(
        _set("disasterRecovery", value={"enabled": True, "region": "eu-central-1"}),
        "langfuse-rosa:disasterRecovery.alertEmails is invalid: needs at least one address when disasterRecovery.enabled is true: "
        "a failing replication must reach a person",
        id="dr-without-alert-emails",
    ),
    pytest.param(
        _set("disasterRecovery", value={"enabled": True, "region": "eu-central-1", "alertEmails": ["oncall"]}),
        "langfuse-rosa:disasterRecovery.alertEmails[0] = 'oncall' is invalid: must be an email address, like platform-oncall@example.com",
        id="dr-alert-email-not-an-address",
    ),
    pytest.param(
        _set("disasterRecovery", value={"enabled": True, "region": "eu-west-1", "alertEmails": ["oncall@example.com"]}),
        "langfuse-rosa:disasterRecovery is invalid: region eu-west-1 must differ from cluster.region, "
        "or the copy shares the primary's fate",
        id="dr-in-primary-region",
    ),
    pytest.param(
        _set("aws", "oidcProviderArn", value="arn:aws:iam::999999999999:oidc-provider/oidc.example.com"),
        "langfuse-rosa:aws.oidcProviderArn = 'arn:aws:iam::999999999999:oidc-provider/oidc.example.com' is "
        "invalid: must be in account 111122223333 (aws.accountId): roles trust a provider of their own account",
        id="oidc-provider-of-another-account",
    ),
    pytest.param(
        _set("aws", "oidcProviderArn", value="oidc.op1.openshiftapps.com/abc"),
        "langfuse-rosa:aws.oidcProviderArn = 'oidc.op1.openshiftapps.com/abc' is invalid: must be the cluster's IAM OIDC "
        "provider ARN, like arn:aws:iam::123456789012:oidc-provider/oidc.op1.openshiftapps.com/<id> (rosa describe cluster)",
        id="oidc-issuer-instead-of-provider-arn",
    ),
    pytest.param(
        _set("aws", "accountId", value=111122223333),
        "langfuse-rosa:aws.accountId = 111122223333 is invalid: must be text (quote it in YAML)",
        id="unquoted-account-id",
    ),
    pytest.param(
        _set("aws", "resourcePrefix", value="Acme_Langfuse"),
        "langfuse-rosa:aws.resourcePrefix = 'Acme_Langfuse' is invalid: must be 3-40 lower-case letters, digits and '-', "
        "starting and ending alphanumeric (bucket names derive from it)",
        id="bad-resource-prefix",
    ),
    pytest.param(
        _set("sso", value={**SSO_ON, "clientSecret": {"secretsManagerName": "arn:aws:secretsmanager:eu-west-1:111122223333:secret:sso", "property": "k"}}),
        "langfuse-rosa:sso.clientSecret.secretsManagerName = 'arn:aws:secretsmanager:eu-west-1:111122223333:secret:sso' is "
        "invalid: must be a Secrets Manager secret name (not an ARN): letters, digits and /_+=.@!-",
        id="secret-arn-instead-of-name",
    ),
    pytest.param(
        _set("cluster", "openshiftVersion", value="4.17"),
        "langfuse-rosa:cluster.openshiftVersion = '4.17' is invalid: must be one of 4.18, 4.19, 4.20: CloudNativePG "
        "(cloudnative-pg.v1.30.0), External Secrets Operator for Red Hat OpenShift (openshift-external-secrets-operator.v1.1.0) "
        "and cert-manager Operator for Red Hat OpenShift (cert-manager-operator.v1.19.1) require Kubernetes 1.31 (CSV "
        "minKubeVersion) and OpenShift 4.17 runs Kubernetes 1.30, so OLM would not install them",
        id="openshift-too-old-for-the-operators",
    ),
    pytest.param(
        _set("cluster", "openshiftVersion", value="4.21"),
        "langfuse-rosa:cluster.openshiftVersion = '4.21' is invalid: must be one of 4.18, 4.19, 4.20: OpenShift 4.21 is newer "
        "than the releases every pinned operator CSV has been checked against (components/platform/openshift_support.py says "
        "how to add it)",
        id="openshift-newer-than-the-checked-pins",
    ),
    pytest.param(
        _set("aws", "objectLockDays", value=0),
        "langfuse-rosa:aws.objectLockDays = 0 is invalid: input should be greater than or equal to 1",
        id="object-lock-zero",
    ),
    pytest.param(
        _external(_set("backend", "redis", "sentinel", "nodes", value=["redis-0.example.com:99999"])),
        "langfuse-rosa:backend.redis.sentinel.nodes[0] = 'redis-0.example.com:99999' is invalid: must be host:port, "
        "like redis-sentinel-0.example.internal:26379",
        id="bad-sentinel-address",
    ),
    pytest.param(
        _set("langfuse", "web", "replicas", value={"min": 1, "max": 40}),
        "langfuse-rosa:dataTier.postgres.maxConnections = 200 is invalid: must be at least 301: web 90 pods (40 max + 10 surge "
        "+ 40 draining) × 3 + worker 5 pods (2 max + 1 surge + 2 draining) × 3 + 1 migration + 6 metrics exporter + 9 reserved "
        "for the operator (superuser_reserved_connections) = 301; or lower langfuse.web/worker replicas.max or postgresPoolSize",
        id="postgres-connections-exceed-max-connections",
    ),
    pytest.param(
        _set("langfuse", "worker", "postgresPoolSize", value=40),
        "langfuse-rosa:dataTier.postgres.maxConnections = 200 is invalid: must be at least 231: web 5 pods (2 max + 1 surge "
        "+ 2 draining) × 3 + worker 5 pods (2 max + 1 surge + 2 draining) × 40 + 1 migration + 6 metrics exporter + 9 "
        "reserved for the operator (superuser_reserved_connections) = 231; or lower langfuse.web/worker replicas.max or postgresPoolSize",
        id="postgres-pool-size-exceeds-max-connections",
    ),
    pytest.param(
        _external(_set("backend", "postgres", "connectionBudget", value=30)),
        "langfuse-rosa:backend.postgres.connectionBudget = 30 is invalid: must be at least 31: web 5 pods (2 max + 1 surge "
        "+ 2 draining) × 3 + worker 5 pods (2 max + 1 surge + 2 draining) × 3 + 1 migration = 31; or lower "
        "langfuse.web/worker replicas.max or postgresPoolSize",
        id="external-postgres-connection-budget-too-small",
    ),
    pytest.param(
        _external(_drop("backend", "postgres", "connectionBudget")),
        "langfuse-rosa:backend.postgres.connectionBudget is required but not set (connections Langfuse may hold at once: "
        "the server's max_connections less its reserved slots and other clients' share)",
        id="external-postgres-without-connection-budget",
    ),
    pytest.param(
        _set("langfuse", "web", "postgresPoolSize", value=0),
        "langfuse-rosa:langfuse.web.postgresPoolSize = 0 is invalid: input should be greater than or equal to 1",
        id="postgres-pool-size-zero",
    ),
    pytest.param(
        _external(_set("backend", "postgres", "port", value=70000)),
        "langfuse-rosa:backend.postgres.port = 70000 is invalid: input should be less than or equal to 65535",
        id="port-out-of-range",
    ),
    pytest.param(
        _set("verification", "monitor", value={"enabled": True}),
        "langfuse-rosa:verification.monitor is invalid: image is required when the monitor is enabled",
        id="round-trip-monitor-without-image",
    ),
    pytest.param(
        _set("verification", value={"monitor": {"enabled": True, "image": "ghcr.io/acme/m@sha256:" + "0" * 64}}),
        "langfuse-rosa:verification is invalid: projectKey is required when monitor.enabled is true: the monitor sends with it",
        id="round-trip-monitor-without-key",
    ),
    pytest.param(
        _set("verification", "readBackSeconds", value=60),
        "langfuse-rosa:verification is invalid: monitor.latencyAlertSeconds (60) must be below readBackSeconds (60): a slow round trip "
        "warns before it fails",
        id="round-trip-warns-only-after-it-fails",
    ),
]


@pytest.mark.parametrize("mutation, expected", INVALID)
def test_each_invalid_value_gives_one_line_naming_stack_key_and_what_is_allowed(mutation: Mutation, expected: str):
    values = _external_values() if getattr(mutation, "base", "dev") == "external" else _dev_values()
    mutation(values)
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("dev", values)
    assert caught.value.lines == [f"stack 'dev': {expected}"]


def test_every_stack_file_is_valid():
    for stack in ("dev", "staging", "prod", "cluster-dev", "cluster-staging", "cluster-prod"):
        config = parse_stack_config(stack, _namespace_values(read_stack_file(project_path("stacks"), stack).config))
        assert config.environment == stack.removeprefix("cluster-")
        assert config.layer == ("cluster" if stack.startswith("cluster-") else "environment")


def test_two_bad_values_give_two_lines():
    values = _dev_values()
    values["langfuse"]["web"]["replicas"]["min"] = 0
    values["environment"] = "qa"
    with pytest.raises(ConfigError) as caught:
        parse_stack_config("dev", values)
    assert len(caught.value.lines) == 2


def test_config_error_is_a_pulumi_run_error_so_pulumi_up_prints_no_traceback():
    assert issubclass(ConfigError, pulumi.RunError)


def _write_stack(directory: Path, stack: str, mutation: Mutation) -> None:
    document = yaml.safe_load(project_path("stacks", "Pulumi.dev.yaml").read_text())
    values = {key.split(":", 1)[1]: value for key, value in document["config"].items()}
    mutation(values)
    document["config"] = {f"langfuse-rosa:{key}": value for key, value in values.items()}
    (directory / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump(document))


def test_program_registers_nothing_when_config_is_invalid(tmp_path, monkeypatch):
    _write_stack(tmp_path, "broken", _set("langfuse", "web", "replicas", "min", value=0))
    monitors: list[runner.RecordingMonitor] = []

    class Watched(runner.RecordingMonitor):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            monitors.append(self)

    monkeypatch.setattr(runner, "RecordingMonitor", Watched)
    with pytest.raises(ConfigError) as caught:
        runner.run_program(project_path(), "broken", tmp_path)
    assert caught.value.lines == [
        "stack 'broken': langfuse-rosa:langfuse.web.replicas.min = 0 is invalid: input should be greater than or equal to 1"
    ]
    assert len(monitors) == 1 and monitors[0].registrations == {}


def _plan_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli", "plan", *args], capture_output=True, text=True, cwd=project_path(), timeout=300
    )


def test_cli_exits_2_with_one_line_and_writes_nothing(tmp_path):
    _write_stack(tmp_path, "broken", _set("langfuse", "hostname", value="not a domain"))
    out = tmp_path / "out"
    result = _plan_cli("--stack", "broken", "--stacks-dir", str(tmp_path), "--out", str(out))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: stack 'broken': langfuse-rosa:langfuse.hostname = 'not a domain' is invalid: must be a lower-case DNS "
        "name with at least two labels, like langfuse.apps.example.com"
    ]
    assert "Traceback" not in result.stdout + result.stderr
    assert not out.exists()


def test_cli_names_the_known_stacks_when_the_stack_file_is_missing():
    result = _plan_cli("--stack", "qa")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: stack 'qa': no stack file {project_path('stacks', 'Pulumi.qa.yaml')} (known stacks: cluster-dev, cluster-prod, cluster-staging, dev, prod, staging)"
    )


def _plaintext_secrets(node: Any, where: str) -> list[str]:
    secret_key = re.compile(r"(password|secret|token|apikey|privatekey|licensekey)$", re.IGNORECASE)
    if not isinstance(node, dict) or set(node) == {"secure"}:  # {secure: ...} is Pulumi ciphertext
        return []
    found = []
    for key, value in node.items():
        if secret_key.search(key.split(":")[-1]) and not isinstance(value, dict):
            found.append(f"{where}.{key}")
        found += _plaintext_secrets(value, f"{where}.{key}")
    return found


def test_stack_files_hold_no_plaintext_secrets():
    assert _plaintext_secrets({"backend": {"postgres": {"password": "hunter2"}}}, "probe") == ["probe.backend.postgres.password"]
    for path in sorted(project_path("stacks").glob("Pulumi.*.yaml")):
        assert _plaintext_secrets(yaml.safe_load(path.read_text()), path.name) == []


def test_cli_refuses_a_two_shard_clickhouse_with_the_reason(tmp_path):
    _write_stack(tmp_path, "sharded", _set("dataTier", "clickhouse", "shards", value=2))
    result = _plan_cli("--stack", "sharded", "--stacks-dir", str(tmp_path), "--out", str(tmp_path / "out"))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: stack 'sharded': langfuse-rosa:dataTier.clickhouse.shards = 2 is invalid: must be 1: Langfuse supports "
        "only single-shard ClickHouse (its deletes and updates fail on Distributed tables); scale with replicas instead"
    ]


def test_the_config_accepts_exactly_the_support_table_s_releases_and_refuses_the_rest_with_its_reason():
    from components.platform.openshift_support import KUBERNETES_OF_OPENSHIFT, SUPPORTED, refusal

    assert SUPPORTED == ("4.18", "4.19", "4.20")
    for version in KUBERNETES_OF_OPENSHIFT:
        values = _dev_values()
        values["cluster"]["openshiftVersion"] = version
        if version in SUPPORTED:
            assert parse_stack_config("dev", values).cluster.kubernetes_version == KUBERNETES_OF_OPENSHIFT[version]
        else:
            with pytest.raises(ConfigError) as refused:
                parse_stack_config("dev", values)
            assert refused.value.lines == [f"stack 'dev': langfuse-rosa:cluster.openshiftVersion = '{version}' is invalid: {refusal(version)}"]


def test_the_plan_validates_against_the_kubernetes_of_every_supported_release():
    from components.platform.openshift_support import KUBERNETES_OF_OPENSHIFT, SUPPORTED
    from infra.offline_plan.validation import KUBERNETES_VERSIONS

    assert KUBERNETES_VERSIONS == tuple(f"{KUBERNETES_OF_OPENSHIFT[v]}.0" for v in SUPPORTED)
