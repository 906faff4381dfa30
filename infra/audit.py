"""The export of Langfuse's audit_logs, from the audit config (parsed once, passed down)."""

from __future__ import annotations

import pulumi

from components.audit import LangfuseAuditExport, LangfuseAuditExportArgs
from components.aws.tier import AUDIT_EXPORT_PREFIX, LangfuseAwsTier
from components.langfuse.backend import LangfuseBackend
from infra.stack_config import StackConfig


def deploy_audit_export(config: StackConfig, aws_tier: LangfuseAwsTier, backend: LangfuseBackend, opts: pulumi.ResourceOptions) -> None:
    export = config.audit.langfuse_export
    if export.image is None:
        return  # the compliance report says so (PostgreSQL: audit_logs not exported)
    LangfuseAuditExport(
        "audit-export",
        LangfuseAuditExportArgs(
            namespace=config.langfuse.namespace,
            image=export.image,
            schedule=export.schedule,
            role_arn=aws_tier.role_arns.audit_export,
            region=config.cluster.region,
            bucket=aws_tier.buckets.audit,
            prefix=AUDIT_EXPORT_PREFIX,
            kms_key_arn=aws_tier.audit_key_arn,
            postgres=backend.postgres,
        ),
        opts=opts,
    )
