"""GeneratedSecret: values generated once (pulumi-random), kept as one JSON secret in Secrets Manager under
the environment's prefix, encrypted with its CMK. The values live only in Secrets Manager and Pulumi's
encrypted state; Kubernetes gets them through External Secrets."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class SecretsManagerSettings:
    """Where and how an environment keeps its secrets (shared by every GeneratedSecret)."""

    name_prefix: str  # e.g. acme-langfuse-prod
    kms_key_arn: pulumi.Input[str]
    recovery_window_days: int

    def name(self, short: str) -> str:
        return f"{self.name_prefix}/{short}"


@dataclass(frozen=True)
class GeneratedSecretArgs:
    short_name: str  # app, postgres, clickhouse, redis
    description: str
    values: Mapping[str, pulumi.Input[str]]  # JSON property -> value (generated, hence secret)
    settings: SecretsManagerSettings
    protect: bool = False
    derived: Mapping[str, Callable[[dict], str]] = field(default_factory=dict)  # property -> f(values)


class GeneratedSecret(pulumi.ComponentResource):
    name: str
    properties: tuple[str, ...]

    def __init__(self, name: str, args: GeneratedSecretArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:aws:GeneratedSecret", name, None, opts)
        self.name = args.settings.name(args.short_name)
        secret = aws.secretsmanager.Secret(
            name,
            name=self.name,
            description=args.description,
            kms_key_id=args.settings.kms_key_arn,
            recovery_window_in_days=args.settings.recovery_window_days,
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        keys = list(args.values)

        def as_json(resolved: list[str]) -> str:
            values = dict(zip(keys, resolved, strict=True))
            values.update({prop: derive(values) for prop, derive in args.derived.items()})
            return json.dumps(values, sort_keys=True)

        aws.secretsmanager.SecretVersion(
            name,
            secret_id=secret.id,
            secret_string=pulumi.Output.secret(pulumi.Output.all(*args.values.values()).apply(as_json)),
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        self.properties = tuple(sorted([*keys, *args.derived]))
        self.register_outputs({"name": self.name})
