"""What is audited and how long the record is kept: the environment's CloudTrail trail and audit bucket,
pgaudit, the export of Langfuse's audit_logs; on the cluster layer, the API server audit log forwarded off
the cluster."""

from __future__ import annotations

from pydantic import Field, field_validator

from infra.stack_config.base import Model
from infra.stack_config.tenancy import ImageDigest
from infra.stack_config.types import CronJobSchedule, EmailAddress, EnvironmentNamespace, Ipv4Cidr

# The only retention periods CloudWatch Logs accepts (CloudWatch Logs API reference, PutRetentionPolicy,
# retentionInDays: "Possible values are: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096,
# 1827, 2192, 2557, 2922, 3288, and 3653").
CLOUDWATCH_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)


def _cloudwatch_retention(days: int) -> int:
    if days not in CLOUDWATCH_RETENTION_DAYS:
        raise ValueError(f"must be one of the periods CloudWatch Logs accepts: {', '.join(map(str, CLOUDWATCH_RETENTION_DAYS))}")
    return days


class LangfuseAuditExportConfig(Model):
    """A daily CronJob that copies new rows of Langfuse's audit_logs table into the audit bucket."""

    image: ImageDigest | None = Field(
        default=None,
        description="the in-cluster image (.github/workflows/tenant-controller-image.yml), by digest; unset = no export",
    )
    schedule: CronJobSchedule = Field(default="20 2 * * *", description="when the export runs (UTC)")


class AuditConfig(Model):
    """The environment's audit record: a CloudTrail trail into an object-locked audit bucket (compliance mode
    in prod, governance elsewhere), alarms on the events that matter, pgaudit, Langfuse's audit_logs."""

    retention_days: int = Field(
        default=400, ge=1, le=3650, description="object lock of every audit record (CloudTrail, Langfuse's audit_logs), then expiry"
    )
    cloudwatch_retention_days: int = Field(
        default=90, description="how long the CloudWatch Logs copy of the trail is kept (the alarms read it; the bucket is the record)"
    )
    alert_emails: list[EmailAddress] = Field(
        default=[], description="who hears of a key scheduled for deletion, a policy change on a bucket, a refused secret read (SNS email)"
    )
    pgaudit: bool = Field(default=True, description="PostgreSQL logs DDL and role/privilege changes (pgaudit), never query parameters")
    langfuse_export: LangfuseAuditExportConfig = Field(
        default=LangfuseAuditExportConfig(), description="daily export of Langfuse's audit_logs into the audit bucket"
    )

    @field_validator("cloudwatch_retention_days")
    @classmethod
    def _cloudwatch(cls, days: int) -> int:
        return _cloudwatch_retention(days)


class ClusterAuditConfig(Model):
    """The API server's audit log (and the PostgreSQL instances' logs, pgaudit's included) forwarded to
    CloudWatch Logs by Red Hat OpenShift Logging."""

    namespaces: list[EnvironmentNamespace] = Field(
        min_length=1, description="the environment namespaces on this cluster: every request in them is recorded (metadata only)"
    )
    retention_days: int = Field(default=400, description="how long CloudWatch Logs keeps the forwarded logs")
    egress_cidrs: list[Ipv4Cidr] = Field(
        default=["0.0.0.0/0"],
        min_length=1,
        description="where the collector may reach CloudWatch Logs and STS on 443; narrow to the VPC endpoints' subnets where they exist",
    )

    @field_validator("retention_days")
    @classmethod
    def _cloudwatch(cls, days: int) -> int:
        return _cloudwatch_retention(days)
