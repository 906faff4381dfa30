"""The cluster layer stack (`layer: cluster`): the EBS key and encrypted StorageClass, the operators, and —
once OLM has installed them — their operands: External Secrets' ExternalSecretsConfig, the isolation of the
namespace cert-manager runs in, and the Barman Cloud Plugin beside CloudNativePG (its certificates need
cert-manager's CRDs)."""

from __future__ import annotations

import pulumi

from components.aws.kms import CustomerManagedKey, CustomerManagedKeyArgs
from components.aws.policy_documents import ebs_csi_key_usage
from components.network import Addresses
from components.network.isolation import NamespaceIsolation, NamespaceIsolationArgs
from components.network.model import Flow, Port, tcp
from components.network.operator_flows import OPERATOR_PODS, operator_flows
from components.platform.barman_cloud_plugin import BarmanCloudPlugin, BarmanCloudPluginArgs
from components.platform.catalog import CERT_MANAGER, CERT_MANAGER_OPERAND_NAMESPACE, CLOUDNATIVE_PG, CLUSTER_OPERATORS
from components.platform.external_secrets import ExternalSecretsOperand, ExternalSecretsOperandArgs
from components.platform.operators import OperatorSubscription, OperatorSubscriptionArgs
from components.platform.storage_class import EncryptedStorageClass, EncryptedStorageClassArgs
from infra.stack_config.cluster_layer import ClusterStackConfig


def deploy_cluster_layer(config: ClusterStackConfig, opts: pulumi.ResourceOptions) -> None:
    ebs_key = CustomerManagedKey(
        "ebs-key",
        CustomerManagedKeyArgs(
            alias=f"{config.aws.resource_prefix}-ebs",
            description=f"{config.cluster.name}: EBS volumes of the encrypted StorageClass",
            account_id=config.aws.account_id,
            usage_statements=ebs_csi_key_usage(config.storage.csi_driver_role_arn),
        ),
        opts=opts,
    )
    storage = EncryptedStorageClass(
        "storage",
        EncryptedStorageClassArgs(name=config.storage.class_name, kms_key_arn=ebs_key.arn, reclaim_policy=config.storage.reclaim_policy),
        opts=opts,
    )
    net = config.network
    api_server = Addresses("api-server", tuple(net.api_server.cidrs), tuple(net.cluster_networks))
    subscriptions = [
        OperatorSubscription(
            package.package,
            OperatorSubscriptionArgs(
                package=package,
                install_plan_approval=config.operators.install_plan_approval,
                flows=operator_flows(package, api_server, net.api_server.port),
            ),
            opts=opts,
        )
        for package in CLUSTER_OPERATORS
    ]
    if config.operators.operands_enabled:
        after_operators = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(depends_on=subscriptions))
        ExternalSecretsOperand(
            "external-secrets",
            ExternalSecretsOperandArgs(aws_egress_cidrs=config.operators.external_secrets_egress_cidrs),
            opts=after_operators,
        )
        # cert-manager's controller, webhook and cainjector: isolated like an operator's namespace (the API server
        # calls the webhook; they reach only the API server and DNS).
        cert_manager_flows = operator_flows(CERT_MANAGER, api_server, net.api_server.port)
        if config.operators.cert_manager_egress_cidrs:
            # An ACME issuer (a custom Langfuse hostname's certificate): the ACME directory, Route 53 and STS over
            # HTTPS; DNS-01 checks propagation by asking the zone's authoritative servers (cert-manager docs, "DNS01").
            acme = Addresses("acme", tuple(config.operators.cert_manager_egress_cidrs), tuple(net.cluster_networks))
            cert_manager_flows += (Flow(OPERATOR_PODS, acme, (*tcp(443, 53), Port(53, "UDP")), "ACME issuance: the ACME server, Route 53, STS, authoritative DNS"),)
        cert_manager = NamespaceIsolation(
            "cert-manager-network",
            NamespaceIsolationArgs(namespace=CERT_MANAGER_OPERAND_NAMESPACE, flows=cert_manager_flows),
            opts=after_operators,
        )
        BarmanCloudPlugin(
            "barman-cloud-plugin",
            BarmanCloudPluginArgs(namespace=CLOUDNATIVE_PG.namespace),
            opts=pulumi.ResourceOptions.merge(after_operators, pulumi.ResourceOptions(depends_on=[cert_manager])),
        )
    pulumi.export("storageClass", storage.name)
    pulumi.export("ebsKeyArn", ebs_key.arn)
