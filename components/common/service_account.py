"""A service account, annotated with the IAM role its pods assume when they talk to AWS."""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s


def service_account(
    name: str, namespace: pulumi.Input[str], aws_role_arn: pulumi.Input[str] | None, opts: pulumi.ResourceOptions
) -> k8s.core.v1.ServiceAccount:
    annotations = None
    if aws_role_arn is not None:
        # ROSA STS: the pod identity webhook exchanges the projected token for this role.
        annotations = {"eks.amazonaws.com/role-arn": aws_role_arn, "eks.amazonaws.com/sts-regional-endpoints": "true"}
    return k8s.core.v1.ServiceAccount(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(
            name=name, namespace=namespace, annotations=annotations, labels={"app.kubernetes.io/part-of": "langfuse"}
        ),
        automount_service_account_token=False,
        opts=opts,
    )
