"""The cluster layer stack (`layer: cluster`): the encrypted StorageClass and the data tier's operators."""

from __future__ import annotations

import pulumi

from components.platform.catalog import data_tier_operators
from components.platform.operators import OperatorSubscription, OperatorSubscriptionArgs
from components.platform.storage_class import EncryptedStorageClass, EncryptedStorageClassArgs
from infra.stack_config.cluster_layer import ClusterStackConfig


def deploy_cluster_layer(config: ClusterStackConfig, opts: pulumi.ResourceOptions) -> None:
    storage = EncryptedStorageClass(
        "storage",
        EncryptedStorageClassArgs(
            name=config.storage.class_name, kms_key_arn=config.storage.kms_key_arn, reclaim_policy=config.storage.reclaim_policy
        ),
        opts=opts,
    )
    for package in data_tier_operators(config.cluster.openshift_version):
        OperatorSubscription(
            package.package,
            OperatorSubscriptionArgs(package=package, install_plan_approval=config.operators.install_plan_approval),
            opts=opts,
        )
    pulumi.export("storageClass", storage.name)
