"""ServiceAccountRole: an IAM role one Kubernetes service account assumes through the pod identity webhook
(ROSA STS), with an inline policy of exactly what that workload does."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.policy_documents import Document, web_identity_trust


@dataclass(frozen=True)
class ServiceAccountRoleArgs:
    role_name: str
    account_id: str
    oidc_provider_arn: str
    oidc_issuer: str
    namespace: str
    service_account: str
    policy: pulumi.Input[Document]
    audience: str = "sts.amazonaws.com"  # of the pod's projected token (the pod identity webhook's)


class ServiceAccountRole(pulumi.ComponentResource):
    arn: str  # known before creation: the pod annotation does not wait for AWS

    def __init__(self, name: str, args: ServiceAccountRoleArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:aws:ServiceAccountRole", name, None, opts)
        role = aws.iam.Role(
            name,
            name=args.role_name,
            assume_role_policy=json.dumps(
                web_identity_trust(args.oidc_provider_arn, args.oidc_issuer, args.namespace, args.service_account, args.audience)
            ),
            max_session_duration=3600,
            opts=pulumi.ResourceOptions(parent=self),
        )
        aws.iam.RolePolicy(
            name,
            role=role.id,
            policy=pulumi.Output.from_input(args.policy).apply(json.dumps),
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.arn = f"arn:aws:iam::{args.account_id}:role/{args.role_name}"
        self.register_outputs({"arn": self.arn})
