"""ExternalSecretsOperand: the ExternalSecretsConfig with which Red Hat's External Secrets Operator deploys
external-secrets itself.

The operator isolates its operand with deny-all NetworkPolicies and allows only DNS and the API server
(openshift/external-secrets-operator, bindata/external-secrets/networkpolicy_*.yaml); reaching AWS is ours to
allow. The config is a singleton: its name must be `cluster` (CRD validation rule).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import MANAGED_BY

HTTPS = 443


@dataclass(frozen=True)
class ExternalSecretsOperandArgs:
    aws_egress_cidrs: Sequence[str]  # where Secrets Manager and STS are reached


class ExternalSecretsOperand(pulumi.ComponentResource):
    def __init__(self, name: str, args: ExternalSecretsOperandArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:platform:ExternalSecretsOperand", name, None, opts)
        config = k8s.apiextensions.CustomResource(
            "external-secrets-config",
            api_version="operator.openshift.io/v1alpha1",
            kind="ExternalSecretsConfig",
            metadata=k8s.meta.v1.ObjectMetaArgs(name="cluster", labels={"app.kubernetes.io/managed-by": MANAGED_BY}),
            spec={
                "controllerConfig": {
                    "networkPolicies": [
                        {
                            "name": "allow-aws-secrets-manager-and-sts",
                            "componentName": "ExternalSecretsCoreController",
                            "egress": [
                                {
                                    "to": [{"ipBlock": {"cidr": cidr}} for cidr in args.aws_egress_cidrs],
                                    "ports": [{"protocol": "TCP", "port": HTTPS}],
                                }
                            ],
                        }
                    ]
                }
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({"config": config.metadata})
