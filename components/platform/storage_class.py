"""EncryptedStorageClass: gp3 EBS volumes encrypted with a customer-managed KMS key."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import MANAGED_BY


@dataclass(frozen=True)
class EncryptedStorageClassArgs:
    name: str
    kms_key_arn: pulumi.Input[str]
    reclaim_policy: str  # Retain | Delete


class EncryptedStorageClass(pulumi.ComponentResource):
    name: pulumi.Output[str]

    def __init__(self, name: str, args: EncryptedStorageClassArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:platform:EncryptedStorageClass", name, None, opts)
        storage_class = k8s.storage.v1.StorageClass(
            args.name,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=args.name, labels={"app.kubernetes.io/managed-by": MANAGED_BY}),
            # The AWS EBS CSI driver that ROSA ships. Its IAM role must be allowed to use the key
            # (kms:CreateGrant, kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey).
            provisioner="ebs.csi.aws.com",
            parameters={
                "type": "gp3",
                "encrypted": "true",
                "kmsKeyId": args.kms_key_arn,
                "csi.storage.k8s.io/fstype": "ext4",
            },
            # Bind where the pod lands, so a zone-spread StatefulSet gets a volume in each pod's zone.
            volume_binding_mode="WaitForFirstConsumer",
            allow_volume_expansion=True,
            reclaim_policy=args.reclaim_policy,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.name = storage_class.metadata.name
        self.register_outputs({"name": self.name})
