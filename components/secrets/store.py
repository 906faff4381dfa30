"""AwsSecretStore: a namespaced SecretStore that reads AWS Secrets Manager with its own IAM role.

The store authenticates with a token of a dedicated service account (annotated with the role, ROSA STS),
so only this namespace can use that role, and only through this store. External Secrets requests that token
with audience sts.amazonaws.com unless the account carries eks.amazonaws.com/audience (its AWS provider's
auth package), which is the audience each role's trust policy requires.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.service_account import service_account

SERVICE_ACCOUNT = "langfuse-external-secrets"
STORE_NAME = "aws-secrets-manager"


@dataclass(frozen=True)
class AwsSecretStoreArgs:
    namespace: pulumi.Input[str]
    region: str
    role_arn: pulumi.Input[str]


class AwsSecretStore(pulumi.ComponentResource):
    name: str

    def __init__(self, name: str, args: AwsSecretStoreArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:secrets:AwsSecretStore", name, None, opts)
        account = service_account(SERVICE_ACCOUNT, args.namespace, args.role_arn, pulumi.ResourceOptions(parent=self))
        k8s.apiextensions.CustomResource(
            STORE_NAME,
            api_version="external-secrets.io/v1",
            kind="SecretStore",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=STORE_NAME, namespace=args.namespace, labels={"app.kubernetes.io/part-of": "langfuse"}),
            spec={
                "provider": {
                    "aws": {
                        "service": "SecretsManager",
                        "region": args.region,
                        "auth": {"jwt": {"serviceAccountRef": {"name": SERVICE_ACCOUNT}}},
                    }
                }
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
        )
        self.name = STORE_NAME
        self.register_outputs({"store": STORE_NAME})
