"""The Pulumi program: read the stack's config once, then compose the components in dependency order.

Both runners execute exactly this: `pulumi up`/`preview` through infra/__main__.py, and the offline plan
(`langfuse-rosa plan`) through the same file under Pulumi's mocks.
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from infra.aws_tier import aws_provider, stack_tags
from infra.cluster_layer import deploy_cluster_layer
from infra.environment import deploy_environment
from infra.stack_config import load_stack_config
from infra.stack_config.cluster_layer import ClusterStackConfig


def main() -> None:
    config = load_stack_config()
    # One provider pinned to the stack's kube context: a stack never deploys to whatever cluster the ambient
    # kubeconfig happens to point at.
    cluster = k8s.Provider("rosa", context=config.cluster.kube_context, enable_server_side_apply=True)
    # And one AWS provider that refuses any account but the stack's.
    account = aws_provider("aws", config.cluster.region, config.aws.account_id, stack_tags(config.environment))
    opts = pulumi.ResourceOptions(providers=[cluster, account])
    pulumi.export("cluster", config.cluster.name)
    if isinstance(config, ClusterStackConfig):
        deploy_cluster_layer(config, opts)
    else:
        deploy_environment(config, opts)
