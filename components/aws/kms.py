"""CustomerManagedKey: a symmetric KMS key with yearly rotation, its alias and a policy without wildcard
principals."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.policy_documents import key_policy


@dataclass(frozen=True)
class CustomerManagedKeyArgs:
    alias: str  # without the alias/ prefix
    description: str
    account_id: str
    usage_statements: Sequence[dict] = field(default_factory=tuple)
    deletion_window_days: int = 30


class CustomerManagedKey(pulumi.ComponentResource):
    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(self, name: str, args: CustomerManagedKeyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:aws:CustomerManagedKey", name, None, opts)
        key = aws.kms.Key(
            name,
            description=args.description,
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            policy=json.dumps(key_policy(args.account_id, *args.usage_statements)),
            # A key that encrypts data must outlive a mistaken `pulumi destroy`.
            opts=pulumi.ResourceOptions(parent=self, protect=True),
        )
        aws.kms.Alias(name, name=f"alias/{args.alias}", target_key_id=key.key_id, opts=pulumi.ResourceOptions(parent=self))
        self.arn = key.arn
        self.key_id = key.key_id
        self.register_outputs({"arn": self.arn})
