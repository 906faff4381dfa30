"""The cluster layer: what every environment stack on a cluster needs before its first preview.

Custom resources (CloudNativePG Cluster, ClickHouseInstallation, ...) cannot be previewed or applied before
their CRDs exist, and OLM creates those CRDs asynchronously once an operator's Subscription is approved and
installed. So operators and the encrypted StorageClass are their own stack (`cluster-<env>`), applied and
settled first; environment stacks only reference them.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, ValidationInfo, field_validator

from infra.stack_config.audit import ClusterAuditConfig
from infra.stack_config.aws import provider_in_account
from infra.stack_config.base import ClusterConfig, Model
from infra.stack_config.data_tier import DEFAULT_STORAGE_CLASS
from infra.stack_config.network import ApiServerConfig
from infra.stack_config.types import AwsAccountId, IamRoleArn, Ipv4Cidr, ObjectName, OidcProviderArn, ResourcePrefix, arn_account


class OperatorsConfig(Model):
    """How OLM installs and upgrades the operators, and whether their operands are configured yet."""

    install_plan_approval: Literal["Automatic", "Manual"] = Field(
        default="Manual", description="Manual: an operator upgrade waits for someone to approve its InstallPlan"
    )
    operands_enabled: bool = Field(
        default=False,
        description="configure the operators' operands (ExternalSecretsConfig, cert-manager's namespace policies, the Barman Cloud Plugin); on in a committed stack, off only for a new cluster's first pass, whose operators' CRDs do not exist yet (README: First deployment)",
    )
    external_secrets_egress_cidrs: list[Ipv4Cidr] = Field(
        default=["0.0.0.0/0"],
        min_length=1,
        description="where External Secrets may reach Secrets Manager and STS on 443; narrow to the VPC endpoints' subnets where they exist",
    )
    cert_manager_egress_cidrs: list[Ipv4Cidr] = Field(
        default=[],
        description="where cert-manager may connect for an ACME issuer: the ACME server, Route 53 and STS on 443, authoritative DNS on 53 "
        "(DNS-01 checks); empty: the API server only (CA and self-signed issuers, the Barman Cloud Plugin's)",
    )


class StorageConfig(Model):
    """The gp3 StorageClass every data-tier volume uses, encrypted with a customer-managed KMS key created here."""

    class_name: ObjectName = Field(default=DEFAULT_STORAGE_CLASS, description="StorageClass name")
    csi_driver_role_arn: IamRoleArn = Field(
        description="IAM role of the cluster's AWS EBS CSI driver (ROSA operator role ...-openshift-cluster-csi-drivers-ebs-cloud-credentials); the key lets it encrypt volumes"
    )
    reclaim_policy: Literal["Retain", "Delete"] = Field(
        default="Retain", description="Retain keeps a volume (and its data) when its claim is deleted"
    )


class ClusterNetworkConfig(Model):
    """The operator namespaces are default-deny; they reach the API server, DNS and the pods they manage."""

    api_server: ApiServerConfig = Field(description="the `kubernetes` endpoints {cidrs, port}")
    cluster_networks: list[Ipv4Cidr] = Field(
        default=["10.128.0.0/14", "172.30.0.0/16"], min_length=1, description="pod and service networks, never matched by address"
    )


class ClusterAwsConfig(Model):
    account_id: AwsAccountId = Field(description="account the stack may change (the AWS provider refuses any other)")
    oidc_provider_arn: OidcProviderArn = Field(description="the ROSA cluster's IAM OIDC provider: the log collector's role trusts its service account through it")
    resource_prefix: ResourcePrefix = Field(description="prefix of the key aliases, log groups and roles, e.g. acme-rosa-prod")

    _same_account = field_validator("oidc_provider_arn")(classmethod(lambda cls, arn, info: provider_in_account(arn, info)))


class ClusterStackConfig(Model):
    layer: Literal["cluster"] = Field(description="cluster: operators and storage, applied before environment stacks")
    environment: Literal["dev", "staging", "prod"] = Field(description="the environment whose cluster this is")
    cluster: ClusterConfig = Field(description="the ROSA cluster")
    aws: ClusterAwsConfig = Field(description="the cluster's AWS account")
    operators: OperatorsConfig = Field(default=OperatorsConfig(), description="OLM install-plan approval")
    storage: StorageConfig = Field(description="the encrypted StorageClass")
    network: ClusterNetworkConfig = Field(description="what the operators' namespaces may reach: {apiServer}")
    audit: ClusterAuditConfig = Field(description="the API server's audit log forwarded to CloudWatch Logs: {namespaces, retentionDays}")

    @field_validator("storage")
    @classmethod
    def _role_in_the_account(cls, storage: StorageConfig, info: ValidationInfo) -> StorageConfig:
        aws = info.data.get("aws")
        account = arn_account(storage.csi_driver_role_arn)
        if aws is not None and account != aws.account_id:
            raise ValueError(
                f"csiDriverRoleArn is in account {account}, not {aws.account_id} (aws.accountId): the key policy would trust another account's role"
            )
        return storage
