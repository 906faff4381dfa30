"""The cluster layer stack (`layer: cluster`): the EBS key and encrypted StorageClass, the operators, the audit
log's destination in CloudWatch Logs, and — once OLM has installed them — their operands: External Secrets'
ExternalSecretsConfig, the isolation of the namespace cert-manager runs in, the Barman Cloud Plugin beside
CloudNativePG (its certificates need cert-manager's CRDs), and the ClusterLogForwarder."""

from __future__ import annotations

import pulumi

from components.aws.kms import CustomerManagedKey, CustomerManagedKeyArgs
from components.aws.policy_documents import ebs_csi_key_usage
from components.network.isolation import NamespaceIsolation, NamespaceIsolationArgs
from components.network.model import Addresses, Flow, Port, tcp
from components.network.operator_flows import OPERATOR_PODS, operator_flows
from components.platform.audit_forwarding import AuditLogForwarding, AuditLogForwardingArgs
from components.platform.barman_cloud_plugin import BarmanCloudPlugin, BarmanCloudPluginArgs
from components.platform.catalog import (
    CERT_MANAGER,
    CERT_MANAGER_OPERAND_NAMESPACE,
    CLOUDNATIVE_PG,
    OPENSHIFT_LOGGING,
    OperatorPackage,
)
from components.platform.external_secrets import ExternalSecretsOperand, ExternalSecretsOperandArgs
from components.platform.openshift_support import cluster_operators
from components.platform.operators import OperatorSubscription, OperatorSubscriptionArgs
from components.platform.storage_class import EncryptedStorageClass, EncryptedStorageClassArgs
from infra.ordering import after
from infra.stack_config.cluster_layer import ClusterStackConfig
from infra.stack_config.types import oidc_issuer


def deploy_cluster_layer(config: ClusterStackConfig, opts: pulumi.ResourceOptions) -> None:
    """The steps in dependency order; each deploys one concern and returns what later steps need."""
    ebs_key, storage = _encrypted_storage(config, opts)
    api_server = Addresses("api-server", tuple(config.network.api_server.cidrs), tuple(config.network.cluster_networks))
    operators = cluster_operators(config.cluster.openshift_version)
    subscriptions = _operators(config, operators, api_server, opts)
    _audit_forwarding(config, operators, after(opts, *subscriptions))
    if config.operators.operands_enabled:
        _operands(config, api_server, after(opts, *subscriptions))
    pulumi.export("storageClass", storage.name)
    pulumi.export("ebsKeyArn", ebs_key.arn)


def _encrypted_storage(
    config: ClusterStackConfig, opts: pulumi.ResourceOptions
) -> tuple[CustomerManagedKey, EncryptedStorageClass]:
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
        EncryptedStorageClassArgs(
            name=config.storage.class_name, kms_key_arn=ebs_key.arn, reclaim_policy=config.storage.reclaim_policy
        ),
        opts=opts,
    )
    return ebs_key, storage


def _operators(
    config: ClusterStackConfig, operators: tuple[OperatorPackage, ...], api_server: Addresses, opts: pulumi.ResourceOptions
) -> list[OperatorSubscription]:
    return [
        OperatorSubscription(
            package.package,
            OperatorSubscriptionArgs(
                package=package,
                install_plan_approval=config.operators.install_plan_approval,
                flows=operator_flows(package, api_server, config.network.api_server.port) + _collector_flows(config, package),
            ),
            opts=opts,
        )
        for package in operators
    ]


def _audit_forwarding(config: ClusterStackConfig, operators: tuple[OperatorPackage, ...], opts: pulumi.ResourceOptions) -> None:
    operator_namespaces = {p.namespace for p in operators} | {CERT_MANAGER_OPERAND_NAMESPACE}
    AuditLogForwarding(
        "audit-forwarding",
        AuditLogForwardingArgs(
            namespace=OPENSHIFT_LOGGING.namespace,
            resource_prefix=config.aws.resource_prefix,
            account_id=config.aws.account_id,
            region=config.cluster.region,
            oidc_provider_arn=config.aws.oidc_provider_arn,
            oidc_issuer=oidc_issuer(config.aws.oidc_provider_arn),
            retention_days=config.audit.retention_days,
            audited_namespaces=sorted(operator_namespaces | set(config.audit.namespaces)),
            postgres_namespaces=config.audit.namespaces,
            operands=config.operators.operands_enabled,
        ),
        opts=opts,
    )


def _operands(config: ClusterStackConfig, api_server: Addresses, opts: pulumi.ResourceOptions) -> None:
    """Once OLM has installed the operators: their operands."""
    ExternalSecretsOperand(
        "external-secrets",
        ExternalSecretsOperandArgs(aws_egress_cidrs=config.operators.external_secrets_egress_cidrs),
        opts=opts,
    )
    # cert-manager's controller, webhook and cainjector: isolated like an operator's namespace (the API server
    # calls the webhook; they reach only the API server and DNS).
    net = config.network
    cert_manager_flows = operator_flows(CERT_MANAGER, api_server, net.api_server.port)
    if config.operators.cert_manager_egress_cidrs:
        # An ACME issuer (a custom Langfuse hostname's certificate): the ACME directory, Route 53 and STS over
        # HTTPS; DNS-01 checks propagation by asking the zone's authoritative servers (cert-manager docs, "DNS01").
        acme = Addresses("acme", tuple(config.operators.cert_manager_egress_cidrs), tuple(net.cluster_networks))
        cert_manager_flows += (Flow(OPERATOR_PODS, acme, (*tcp(443, 53), Port(53, "UDP")), "ACME issuance: the ACME server, Route 53, STS, authoritative DNS"),)
    cert_manager = NamespaceIsolation(
        "cert-manager-network",
        NamespaceIsolationArgs(namespace=CERT_MANAGER_OPERAND_NAMESPACE, flows=cert_manager_flows),
        opts=opts,
    )
    # The plugin's certificates need cert-manager's CRDs.
    BarmanCloudPlugin(
        "barman-cloud-plugin", BarmanCloudPluginArgs(namespace=CLOUDNATIVE_PG.namespace), opts=after(opts, cert_manager)
    )


def _collector_flows(config: ClusterStackConfig, package: OperatorPackage) -> tuple[Flow, ...]:
    """OpenShift Logging's collector pods send to CloudWatch Logs and STS on 443."""
    if package.package != OPENSHIFT_LOGGING.package:
        return ()
    cloudwatch = Addresses("cloudwatch-logs", tuple(config.audit.egress_cidrs), tuple(config.network.cluster_networks))
    return (Flow(OPERATOR_PODS, cloudwatch, tcp(443), "the collector sends to CloudWatch Logs and STS"),)
