"""AuditLogForwarding: the API server's audit log and the PostgreSQL instances' logs (pgaudit's records among
them), forwarded off the cluster to CloudWatch Logs by Red Hat OpenShift Logging 6.

- AWS (any time): a key of its own, two log groups under it kept `retention_days` (the record of who changed
  the cluster), and the collector's IAM role, which may only write into those groups. The role trusts the
  collector's service account through the cluster's OIDC provider with the audience OpenShift Logging projects
  its token for, "openshift" (openshift/cluster-logging-operator release-6.4, internal/collector/collector.go:
  defaultAudience), which ROSA's OIDC provider lists as a client ID.
- Kubernetes (once OLM has installed the operator): the collector's service account, bound to the operator's
  collect-audit-logs and collect-application-logs ClusterRoles (the bundle's ClusterRoles; Logging 6 docs,
  "Configuring log forwarding": the service account needs the collect-*-logs role of each input), the Secret
  the role ARN is read from (docs/features/logforwarding/outputs/cloudwatch-sts-forwarding.adoc: roleARN from a
  Secret key, token from the service account), and the ClusterLogForwarder.
- What is kept of the API server's log (the kubeAPIAudit filter, whose rules the operator evaluates like an
  audit.k8s.io policy, first match wins: internal/generator/vector/filter/apiaudit/policy.vrl.tmpl): nothing of
  leases and events (controllers renew leases every few seconds); every request in the environment and operator
  namespaces; elsewhere writes only, which include every change to a cluster-scoped object (RBAC, CRDs, SCCs,
  namespaces). Always at Metadata level: who did what to which object, never a request or response body, so a
  Secret's value never leaves the API server. RequestReceived stages are omitted (each request is logged once
  it completes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_kubernetes as k8s

from components.aws.audit_trail import log_group_arn
from components.aws.contract import PURPOSE_TAG
from components.aws.irsa import ServiceAccountRole, ServiceAccountRoleArgs
from components.aws.kms import CustomerManagedKey, CustomerManagedKeyArgs
from components.aws.policy_documents import audit_key_usage, log_forwarder
from components.common.labels import MANAGED_BY
from components.postgres.contract import INSTANCE_ROLE

COLLECTOR = "audit-log-collector"
FORWARDER = "audit"
ROLE_ARN_KEY = "role_arn"
# The role ARN is no secret, but the forwarder reads it from a Secret; the plan redacts Secret data, so it is
# also the Secret's annotation, for reviewers and the access matrix.
ROLE_ARN_ANNOTATION = "langfuse-rosa/aws-role-arn"
COLLECT_ROLES = ("collect-audit-logs", "collect-application-logs")
WRITES = ["create", "update", "patch", "delete", "deletecollection"]


@dataclass(frozen=True)
class AuditLogForwardingArgs:
    namespace: str  # OpenShift Logging's (the collector and its forwarder run there)
    resource_prefix: str
    account_id: str
    region: str
    oidc_provider_arn: str
    oidc_issuer: str
    retention_days: int
    audited_namespaces: Sequence[str]  # every request in them is recorded
    postgres_namespaces: Sequence[str]  # where the CloudNativePG instances run whose logs are forwarded
    operands: bool  # the operator's CRDs exist: create the forwarder


def audit_policy_rules(namespaces: Sequence[str]) -> list[dict]:
    return [
        {"level": "None", "resources": [{"group": "coordination.k8s.io", "resources": ["leases"]}, {"group": "", "resources": ["events"]},
                                        {"group": "events.k8s.io", "resources": ["events"]}]},
        {"level": "Metadata", "namespaces": sorted(namespaces)},
        {"level": "None", "verbs": ["get", "list", "watch"]},
        {"level": "Metadata", "verbs": WRITES},
    ]


class AuditLogForwarding(pulumi.ComponentResource):
    log_groups: dict[str, str]  # output name -> log group

    def __init__(self, name: str, args: AuditLogForwardingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:platform:AuditLogForwarding", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        prefix = args.resource_prefix
        self.log_groups = {"api-audit": f"{prefix}-api-audit", "postgresql": f"{prefix}-postgresql"}
        arns = [log_group_arn(args.region, args.account_id, group) for group in self.log_groups.values()]
        key = CustomerManagedKey(
            "audit-key",
            CustomerManagedKeyArgs(
                alias=f"{prefix}-audit",
                description=f"{prefix}: the cluster's forwarded audit logs (CloudWatch Logs)",
                account_id=args.account_id,
                usage_statements=audit_key_usage(args.account_id, args.region, None, arns),
            ),
            opts=child,
        )
        groups = [
            aws.cloudwatch.LogGroup(
                output,
                name=group,
                retention_in_days=args.retention_days,
                kms_key_id=key.arn,
                tags={PURPOSE_TAG: "audit"},
                # The record: a mistaken `pulumi destroy` must not take it.
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
            for output, group in self.log_groups.items()
        ]
        role = ServiceAccountRole(
            COLLECTOR,
            ServiceAccountRoleArgs(
                role_name=f"{prefix}-log-collector",
                account_id=args.account_id,
                oidc_provider_arn=args.oidc_provider_arn,
                oidc_issuer=args.oidc_issuer,
                namespace=args.namespace,
                service_account=COLLECTOR,
                policy=log_forwarder(arns),
                audience="openshift",
            ),
            opts=child,
        )
        if args.operands:
            self._forwarder(args, role.arn, groups)
        self.register_outputs({"logGroups": self.log_groups})

    def _forwarder(self, args: AuditLogForwardingArgs, role_arn: str, groups: Sequence[aws.cloudwatch.LogGroup]) -> None:
        labels = {"app.kubernetes.io/managed-by": MANAGED_BY}
        child = pulumi.ResourceOptions(parent=self)
        meta = k8s.meta.v1.ObjectMetaArgs(name=COLLECTOR, namespace=args.namespace, labels=labels)
        account = k8s.core.v1.ServiceAccount(COLLECTOR, metadata=meta, opts=child)
        bindings = [
            k8s.rbac.v1.ClusterRoleBinding(
                f"{COLLECTOR}-{role}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=f"{COLLECTOR}-{role}", labels=labels),
                role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="ClusterRole", name=role),
                subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=COLLECTOR, namespace=args.namespace)],
                opts=pulumi.ResourceOptions(parent=self, depends_on=[account]),
            )
            for role in COLLECT_ROLES
        ]
        secret_name = f"{COLLECTOR}-role"
        secret = k8s.core.v1.Secret(
            secret_name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=secret_name, namespace=args.namespace, labels=labels, annotations={ROLE_ARN_ANNOTATION: role_arn}),
            string_data={ROLE_ARN_KEY: role_arn},
            opts=child,
        )

        def cloudwatch(output: str) -> dict:
            return {
                "name": output,
                "type": "cloudwatch",
                "cloudwatch": {
                    "region": args.region,
                    "groupName": self.log_groups[output],
                    "authentication": {
                        "type": "iamRole",
                        "iamRole": {"roleARN": {"secretName": secret_name, "key": ROLE_ARN_KEY}, "token": {"from": "serviceAccount"}},
                    },
                },
            }

        k8s.apiextensions.CustomResource(
            FORWARDER,
            api_version="observability.openshift.io/v1",
            kind="ClusterLogForwarder",
            metadata=k8s.meta.v1.ObjectMetaArgs(name=FORWARDER, namespace=args.namespace, labels=labels),
            spec={
                "serviceAccount": {"name": COLLECTOR},
                "inputs": [
                    # The API servers' own audit logs, not auditd's nor OVN's (node and network ACL logs).
                    {"name": "api-audit", "type": "audit", "audit": {"sources": ["kubeAPI", "openshiftAPI"]}},
                    {
                        "name": "postgresql",
                        "type": "application",
                        "application": {
                            "includes": [{"namespace": ns} for ns in sorted(args.postgres_namespaces)],
                            "selector": {"matchLabels": dict(INSTANCE_ROLE)},
                        },
                    },
                ],
                "filters": [
                    {
                        "name": "api-audit-policy",
                        "type": "kubeAPIAudit",
                        "kubeAPIAudit": {"omitStages": ["RequestReceived"], "rules": audit_policy_rules(args.audited_namespaces)},
                    }
                ],
                "outputs": [cloudwatch("api-audit"), cloudwatch("postgresql")],
                "pipelines": [
                    {"name": "api-audit", "inputRefs": ["api-audit"], "filterRefs": ["api-audit-policy"], "outputRefs": ["api-audit"]},
                    {"name": "postgresql", "inputRefs": ["postgresql"], "outputRefs": ["postgresql"]},
                ],
            },
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, secret, *bindings, *groups]),
        )

