"""AuditTrail: the environment's CloudTrail trail into the audit bucket, and its CloudWatch Logs copy with the
alarms a reviewer asks for.

- Every region (a multi-region trail), global service events, log file validation (CloudTrail User Guide,
  "Validating CloudTrail log file integrity": SHA-256 digests signed by CloudTrail, hourly), SSE-KMS with the
  audit key.
- Advanced event selectors (CloudTrail User Guide, "Logging data events", advanced event selectors): every
  management event, read and write, KMS and Secrets Manager included (no eventSource is excluded), and the S3
  object-level events (read and write) of the ARN prefixes given: the stack's data buckets. Never the audit
  bucket's AWSLogs/ (CloudTrail would log its own deliveries) nor the access-log buckets (their deliveries would
  feed the trail and the trail their deliveries).
- The CloudWatch Logs copy, kept `cloudwatch_retention_days`, is what the metric filters read: a key scheduled for
  deletion or disabled, a policy change on one of the stack's buckets, a refused secret read; each alarm mails
  `alert_emails` through one SNS topic. The bucket, object-locked, is the record.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.aws.contract import PURPOSE_TAG
from components.aws.policy_documents import alarm_topic_policy, cloudtrail_logs_trust, cloudtrail_logs_writer

METRIC_NAMESPACE = "LangfuseRosa/Audit"


@dataclass(frozen=True)
class AuditAlarm:
    name: str  # metric and alarm suffix
    pattern: str  # CloudWatch Logs filter pattern over CloudTrail's JSON records
    what: str


def audit_alarms(bucket_prefix: str) -> tuple[AuditAlarm, ...]:
    """The events that page: CloudWatch Logs User Guide, "Filter pattern syntax" (JSON: $.field, &&, ||, * in a
    string value); the event names are CloudTrail's records of the KMS, S3 and Secrets Manager APIs."""
    return (
        AuditAlarm(
            "KeyDeletionScheduled",
            "{ ($.eventSource = kms.amazonaws.com) && (($.eventName = ScheduleKeyDeletion) || ($.eventName = DisableKey)) }",
            "a KMS key was scheduled for deletion or disabled",
        ),
        AuditAlarm(
            "BucketPolicyChanged",
            "{ ($.eventSource = s3.amazonaws.com) && ($.requestParameters.bucketName = "
            f'"{bucket_prefix}-*") && (($.eventName = PutBucketPolicy) || ($.eventName = DeleteBucketPolicy) || '
            "($.eventName = PutBucketAcl) || ($.eventName = PutBucketPublicAccessBlock) || ($.eventName = DeleteBucketPublicAccessBlock) || "
            "($.eventName = PutBucketEncryption) || ($.eventName = DeleteBucketEncryption) || ($.eventName = PutObjectLockConfiguration) || "
            "($.eventName = PutBucketLogging) || ($.eventName = PutBucketVersioning) || ($.eventName = PutBucketReplication) || "
            "($.eventName = DeleteBucketReplication)) }",
            f"a policy, encryption, lock, logging or replication setting of a {bucket_prefix}-* bucket changed",
        ),
        AuditAlarm(
            "SecretReadRefused",
            '{ ($.eventSource = secretsmanager.amazonaws.com) && ($.eventName = GetSecretValue) && ($.errorCode = "AccessDenied*") }',
            "a Secrets Manager read was refused",
        ),
    )


@dataclass(frozen=True)
class AuditTrailArgs:
    trail_name: str
    account_id: str
    region: str
    bucket: str  # the audit bucket (its policy lets this trail deliver)
    kms_key_arn: pulumi.Input[str]  # the audit key (its policy lets this trail and this log group use it)
    data_event_arns: Sequence[str]  # ARN prefixes of the S3 objects whose reads and writes are logged
    log_group_name: str
    cloudwatch_retention_days: int
    alert_emails: Sequence[str]
    bucket_prefix: str  # the stack's bucket names start with it: the policy-change alarm watches those
    depends_on: Sequence[pulumi.Resource] = ()  # the bucket policy and the key: CloudTrail checks both on create


def trail_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:cloudtrail:{region}:{account_id}:trail/{name}"


def log_group_arn(region: str, account_id: str, name: str) -> str:
    return f"arn:aws:logs:{region}:{account_id}:log-group:{name}"


class AuditTrail(pulumi.ComponentResource):
    trail_arn: str

    def __init__(self, name: str, args: AuditTrailArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:aws:AuditTrail", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.trail_arn = trail_arn(args.region, args.account_id, args.trail_name)
        group_arn = log_group_arn(args.region, args.account_id, args.log_group_name)
        log_group = aws.cloudwatch.LogGroup(
            "cloudtrail",
            name=args.log_group_name,
            retention_in_days=args.cloudwatch_retention_days,
            kms_key_id=args.kms_key_arn,
            tags={PURPOSE_TAG: "audit-alarms"},
            opts=child,
        )
        role_name = f"{args.trail_name}-cloudwatch-logs"
        role = aws.iam.Role(
            "cloudtrail-logs", name=role_name, assume_role_policy=json.dumps(cloudtrail_logs_trust(self.trail_arn, args.account_id)), opts=child
        )
        writer = aws.iam.RolePolicy(
            "cloudtrail-logs", role=role.id, policy=json.dumps(cloudtrail_logs_writer(group_arn, args.account_id)), opts=child
        )
        aws.cloudtrail.Trail(
            "audit",
            name=args.trail_name,
            s3_bucket_name=args.bucket,
            kms_key_id=args.kms_key_arn,
            is_multi_region_trail=True,
            include_global_service_events=True,
            enable_log_file_validation=True,
            enable_logging=True,
            # CloudTrail User Guide, "Sending events to CloudWatch Logs": the group's ARN with ":*".
            cloud_watch_logs_group_arn=f"{group_arn}:*",
            cloud_watch_logs_role_arn=f"arn:aws:iam::{args.account_id}:role/{role_name}",
            advanced_event_selectors=[
                aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                    name="Management events, read and write, KMS and Secrets Manager included",
                    field_selectors=[aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Management"])],
                ),
                aws.cloudtrail.TrailAdvancedEventSelectorArgs(
                    name="S3 object reads and writes of the stack's data buckets",
                    field_selectors=[
                        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="eventCategory", equals=["Data"]),
                        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="resources.type", equals=["AWS::S3::Object"]),
                        aws.cloudtrail.TrailAdvancedEventSelectorFieldSelectorArgs(field="resources.ARN", starts_withs=sorted(args.data_event_arns)),
                    ],
                ),
            ],
            tags={PURPOSE_TAG: "audit"},
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, log_group, writer]),
        )
        self._alarms(args, log_group)
        self.register_outputs({"trail": self.trail_arn})

    def _alarms(self, args: AuditTrailArgs, log_group: aws.cloudwatch.LogGroup) -> None:
        child = pulumi.ResourceOptions(parent=self)
        # Not encrypted, as the replication alerts' topic: the messages name the alarm only, and CloudWatch cannot
        # publish to a topic under the AWS managed SNS key (SNS Developer Guide, "Encryption at rest").
        topic = aws.sns.Topic("audit-alerts", name=f"{args.trail_name}-alerts", opts=child)
        alarms = audit_alarms(args.bucket_prefix)
        alarm_names = [f"{args.trail_name}-{alarm.name}" for alarm in alarms]
        for alarm, alarm_name in zip(alarms, alarm_names, strict=True):
            aws.cloudwatch.LogMetricFilter(
                alarm.name,
                name=alarm.name,
                log_group_name=log_group.name,
                pattern=alarm.pattern,
                metric_transformation=aws.cloudwatch.LogMetricFilterMetricTransformationArgs(
                    name=alarm.name, namespace=METRIC_NAMESPACE, value="1", default_value="0"
                ),
                opts=child,
            )
            aws.cloudwatch.MetricAlarm(
                alarm_name,
                name=alarm_name,
                alarm_description=f"{args.trail_name}: {alarm.what}. Runbook: docs/runbooks/audit.md",
                namespace=METRIC_NAMESPACE,
                metric_name=alarm.name,
                statistic="Sum",
                period=300,
                evaluation_periods=1,
                comparison_operator="GreaterThanOrEqualToThreshold",
                threshold=1,
                treat_missing_data="notBreaching",
                alarm_actions=[topic.arn],
                opts=child,
            )
        arns = [f"arn:aws:cloudwatch:{args.region}:{args.account_id}:alarm:{n}" for n in alarm_names]
        aws.sns.TopicPolicy(
            "audit-alerts", arn=topic.arn, policy=topic.arn.apply(lambda arn: json.dumps(alarm_topic_policy(arn, args.account_id, arns))), opts=child
        )
        for i, email in enumerate(args.alert_emails):
            aws.sns.TopicSubscription(f"audit-alerts-{i}", topic=topic.arn, protocol="email", endpoint=email, opts=child)
