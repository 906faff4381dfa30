"""What must exist before a stack's first `pulumi up`, derived from its config so the list cannot go stale: the
Pulumi state bucket and secrets key, the cluster's IAM OIDC provider or EBS CSI role, every Secrets Manager entry
the stack references (name, region, the JSON keys it reads), and what the cluster must already run."""

from __future__ import annotations

from dataclasses import dataclass

from infra.secret_references import referenced_secrets, tenancy_key
from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.models import StackConfig

# The names docs/bootstrap.md creates (once per account): the state bucket and the alias of the key that encrypts
# stack secrets. The README's checklist and the workflows use the same.
STATE_BUCKET = "<org>-pulumi-state-{account}"
SECRETS_KEY_ALIAS = "alias/pulumi-langfuse-rosa"


@dataclass(frozen=True)
class Prerequisite:
    what: str  # the thing, by name
    where: str  # account/region, namespace or cluster
    detail: str  # what it must hold, and how to make it


def secrets_provider(region: str) -> str:
    return f"awskms://{SECRETS_KEY_ALIAS}?region={region}"


def prerequisites(config: StackConfig | ClusterStackConfig, stack: str, stack_secrets_provider: str | None) -> list[Prerequisite]:
    account, region = config.aws.account_id, config.cluster.region
    where = f"account {account}, {region}"
    items = [
        Prerequisite(
            f"S3 bucket for Pulumi state ({STATE_BUCKET.format(account=account)} in docs/bootstrap.md)",
            where,
            f"versioned, SSE-KMS, public access blocked, TLS-only policy; `pulumi login 's3://<bucket>?region={region}&awssdk=v2'`",
        ),
        _secrets_key(stack, region, where, stack_secrets_provider),
    ]
    trusted_by = "the audit log collector's role trusts it" if isinstance(config, ClusterStackConfig) else "every workload role trusts it"
    items.append(
        Prerequisite(
            f"IAM OIDC provider {config.aws.oidc_provider_arn}",
            f"account {account}",
            f"the cluster's: `rosa create oidc-provider` (or `rosa create cluster --sts --mode auto`); {trusted_by}",
        )
    )
    if isinstance(config, ClusterStackConfig):
        items.append(
            Prerequisite(
                f"IAM role {config.storage.csi_driver_role_arn}",
                f"account {account}",
                "the cluster's EBS CSI driver operator role (`rosa list operator-roles`); the EBS key's policy lets it encrypt",
            )
        )
        return items
    items.append(
        Prerequisite(
            f"cluster layer stack cluster-{config.environment} applied with its operands on",
            f"cluster {config.cluster.name}",
            "operators Succeeded (`oc get csv -A`), `operators.operandsEnabled: true` applied (README, First deployment)",
        )
    )
    certificate = config.langfuse.certificate
    if config.langfuse.hostname is not None:
        items.append(
            Prerequisite(
                f"DNS record {config.langfuse.hostname}",
                "its DNS zone",
                f"a CNAME to the router's canonical name, router-default.{config.cluster.apps_domain} "
                "(`oc get route langfuse-web -o jsonpath='{.status.ingress[0].routerCanonicalHostname}'` once the Route exists)",
            )
        )
    if certificate is not None and certificate.issuer is not None:
        issuer = certificate.issuer
        where_issuer = f"cluster {config.cluster.name}" if issuer.kind == "ClusterIssuer" else f"namespace {config.langfuse.namespace}"
        items.append(
            Prerequisite(
                f"cert-manager {issuer.kind} {issuer.name}",
                where_issuer,
                f"Ready (`oc get {issuer.kind.lower()} {issuer.name}`), able to issue {config.langfuse.hostname} (README: custom hostname)",
            )
        )
    for name, (keys, readers) in sorted(_secrets_manager_entries(config).items()):
        items.append(
            Prerequisite(
                f"Secrets Manager secret {name}",
                where,
                "a JSON object with the keys "
                + ", ".join(f"`{k}`" for k in sorted(keys))
                + f" (read by {', '.join(sorted(readers))}); "
                f"encrypted with aws/secretsmanager or alias/{config.aws.resource_prefix}-secrets",
            )
        )
    backend = config.backend
    if backend.mode == "external":
        assert backend.postgres is not None
        ca = backend.postgres.server_ca
        items.append(
            Prerequisite(
                f"ConfigMap {ca.config_map_name} (key {ca.key})",
                f"namespace {config.langfuse.namespace}",
                "the PostgreSQL server's CA (PEM); create it once the stack has created the namespace "
                "(`pulumi up --target` the Namespace first)",
            )
        )
        if backend.trusted_ca_bundle is not None:
            bundle = backend.trusted_ca_bundle
            items.append(
                Prerequisite(
                    f"ConfigMap {bundle.config_map_name} (key {bundle.key})",
                    f"namespace {config.langfuse.namespace}",
                    "the extra CAs for ClickHouse, Redis and SSO (PEM), created like the PostgreSQL CA",
                )
            )
    return items


def _secrets_key(stack: str, region: str, where: str, stack_secrets_provider: str | None) -> Prerequisite:
    if stack_secrets_provider:
        return Prerequisite(
            f"KMS key of the stack's secrets provider {stack_secrets_provider}",
            where,
            "symmetric, rotated; the deployer may encrypt and decrypt with it",
        )
    return Prerequisite(
        f"KMS key {SECRETS_KEY_ALIAS}",
        where,
        f"the stack file has no secrets provider yet: `pulumi stack init {stack} --secrets-provider '{secrets_provider(region)}'` "
        "(writes secretsprovider and encryptedkey into the stack file; commit them)",
    )


def _secrets_manager_entries(config: StackConfig) -> dict[str, tuple[set[str], set[str]]]:
    """Secrets Manager name -> (the JSON keys the stack reads from it, the Kubernetes Secrets they become)."""
    entries: dict[str, tuple[set[str], set[str]]] = {}
    for secret in referenced_secrets(config):
        for value in secret.values:
            keys, readers = entries.setdefault(str(value.secrets_manager_name), (set(), set()))
            keys.add(value.property)
            readers.add(f"Secret {secret.target}")
    verify = "`langfuse-rosa verify`: an API key of a project made in Langfuse's UI once it runs (README, First deployment, step 10)"
    for key, reader in ((tenancy_key(config), "the tenant controller"), (config.verification.project_key, verify)):
        if key is not None:
            keys, readers = entries.setdefault(key.secrets_manager_name, (set(), set()))
            keys |= {key.public_key_property, key.secret_key_property}
            readers.add(reader)
    return entries


def prerequisites_markdown(stack: str, items: list[Prerequisite]) -> str:
    lines = [
        f"# Before the first `pulumi up` of {stack}",
        "",
        "Derived from the stack's config (infra/prerequisites.py): each of these must exist first. A referenced secret",
        "that is missing shows up as its ExternalSecret never becoming Ready, and `pulumi up` fails there.",
        "",
        "| What | Where | What it must hold / how |",
        "| --- | --- | --- |",
    ]
    lines += [f"| {item.what} | {item.where} | {item.detail} |" for item in items]
    return "\n".join(lines) + "\n"
