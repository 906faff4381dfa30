"""Constrained scalar types of the stack config, each with the message a user sees when it is wrong."""

from __future__ import annotations

import difflib
import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from components.common.quantities import MEMORY_QUANTITY, cpu_millicores, memory_mib
from infra.stack_config.aws_regions import AWS_REGIONS
from infra.stack_config.cron import cnpg_schedule, cronjob_schedule

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")
_IAM_ROLE_ARN = re.compile(r"^arn:aws(-[a-z]+)?:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
_IAM_USER_ARN = re.compile(r"^arn:aws(-[a-z]+)?:iam::\d{12}:user/[\w+=,.@/-]{1,512}$")
# sts:ExternalId: 2-1224 characters of [\w+=,.@:/-] (STS API reference, AssumeRole ExternalId).
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")
_KMS_KEY_ARN = re.compile(r"^arn:aws(-[a-z]+)?:kms:[a-z0-9-]+:\d{12}:(key/[0-9a-f-]{36}|alias/[\w/-]+)$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_OIDC_PROVIDER_ARN = re.compile(r"^arn:aws(-[a-z]+)?:iam::(\d{12}):oidc-provider/([a-z0-9.-]+(/[\w.-]+)*)$")
# "!" only appears in names AWS services give the secrets they manage (RDS: rds!cluster-<id>).
_SECRETS_MANAGER_NAME = re.compile(r"^[\w/+=.@!-]{1,512}$")
_RESOURCE_PREFIX = re.compile(r"^[a-z0-9]([a-z0-9-]{1,38}[a-z0-9])?$")
_HOST_PORT = re.compile(r"^([^:\s]+):(\d{1,5})$")
# What SNS accepts as an email endpoint, roughly: one @, a dotted domain, no spaces.
_EMAIL_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _dns_label(v: str) -> str:
    if not _DNS_LABEL.match(v):
        raise ValueError("must be a DNS-1123 label: lower-case letters, digits and '-', at most 63 characters")
    return v


def _object_name(v: str) -> str:
    if len(v) > 253 or not all(_DNS_LABEL.match(label) for label in v.split(".")):
        raise ValueError("must be a Kubernetes object name: lower-case letters, digits, '-' and '.'")
    return v


def _dns_name(v: str) -> str:
    labels = v.split(".")
    if len(v) > 253 or len(labels) < 2 or not all(_DNS_LABEL.match(label) for label in labels):
        raise ValueError("must be a lower-case DNS name with at least two labels, like langfuse.apps.example.com")
    return v


def _email_address(v: str) -> str:
    if not _EMAIL_ADDRESS.match(v):
        raise ValueError("must be an email address, like platform-oncall@example.com")
    return v


def _aws_region(v: str) -> str:
    if v not in AWS_REGIONS:
        close = difflib.get_close_matches(v, AWS_REGIONS, n=1, cutoff=0.8)
        raise ValueError("must be an AWS region, like eu-west-1" + (f" (did you mean {close[0]}?)" if close else " (infra/stack_config/aws_regions.py lists them)"))
    return v


# OpenShift reserves these for the platform: `oc new-project` refuses openshift-* and kube-*, and `default`,
# `openshift` and `kube-*` hold cluster components (OpenShift docs, "Working with projects").
def _environment_namespace(v: str) -> str:
    _dns_label(v)
    if v in ("default", "openshift") or v.startswith(("openshift-", "kube-")):
        raise ValueError("must not be default, openshift, openshift-* or kube-*: those namespaces belong to the cluster")
    return v


def _s3_bucket(v: str) -> str:
    if not _S3_BUCKET.match(v) or ".." in v:
        raise ValueError("must be an S3 bucket name: 3-63 lower-case letters, digits, '.' and '-'")
    return v


def _iam_role_arn(v: str) -> str:
    if not _IAM_ROLE_ARN.match(v):
        raise ValueError("must be an IAM role ARN, like arn:aws:iam::123456789012:role/langfuse-web")
    return v


def _iam_user_arn(v: str) -> str:
    if not _IAM_USER_ARN.match(v):
        raise ValueError("must be an IAM user ARN, like arn:aws:iam::123456789012:user/abc1-b-self1234 (DESC INTEGRATION in Snowflake)")
    return v


def _external_id(v: str) -> str:
    if not _EXTERNAL_ID.match(v):
        raise ValueError("must be an STS external id: 2-1224 letters, digits and +=,.@:/-_ (DESC INTEGRATION in Snowflake)")
    return v


def _kms_key_arn(v: str) -> str:
    if not _KMS_KEY_ARN.match(v):
        raise ValueError("must be a KMS key or alias ARN, like arn:aws:kms:eu-west-1:123456789012:key/<uuid>")
    return v


def _https_url(v: str) -> str:
    match = re.match(r"^https://([^/:]+)(:\d+)?(/.*)?$", v)
    if not match:
        raise ValueError("must be an https:// URL")
    _dns_name(match.group(1))
    return v.rstrip("/")


def _host_port(v: str) -> str:
    match = _HOST_PORT.match(v)
    if not match or not 1 <= int(match.group(2)) <= 65535:
        raise ValueError("must be host:port, like redis-sentinel-0.example.internal:26379")
    _dns_name(match.group(1))
    return v


def _account_id(v: str) -> str:
    if not _ACCOUNT_ID.match(v):
        raise ValueError("must be a 12-digit AWS account ID, quoted in YAML so it stays a string")
    return v


def _oidc_provider_arn(v: str) -> str:
    if not _OIDC_PROVIDER_ARN.match(v):
        raise ValueError(
            "must be the cluster's IAM OIDC provider ARN, like "
            "arn:aws:iam::123456789012:oidc-provider/oidc.op1.openshiftapps.com/<id> (rosa describe cluster)"
        )
    return v


def _secrets_manager_name(v: str) -> str:
    if not _SECRETS_MANAGER_NAME.match(v) or v.startswith("arn:"):
        raise ValueError("must be a Secrets Manager secret name (not an ARN): letters, digits and /_+=.@!-")
    return v


def _resource_prefix(v: str) -> str:
    if not _RESOURCE_PREFIX.match(v):
        raise ValueError("must be 3-40 lower-case letters, digits and '-', starting and ending alphanumeric (bucket names derive from it)")
    return v


def arn_account(arn: str) -> str:
    """The account field of an ARN (arn:partition:service:region:account:resource)."""
    return arn.split(":")[4]


def oidc_account(provider_arn: str) -> str:
    match = _OIDC_PROVIDER_ARN.match(provider_arn)
    assert match is not None
    return match.group(2)


def oidc_issuer(provider_arn: str) -> str:
    """arn:aws:iam::123:oidc-provider/oidc.example.com/abc -> oidc.example.com/abc (the trust policy's key prefix)."""
    match = _OIDC_PROVIDER_ARN.match(provider_arn)
    assert match is not None
    return match.group(3)


def _secret_key_name(v: str) -> str:
    if not re.match(r"^[-._a-zA-Z0-9]{1,253}$", v):
        raise ValueError("must be a Secret/ConfigMap key: letters, digits, '-', '_' and '.'")
    return v


def _ipv4_cidr(v: str) -> str:
    try:
        return str(ipaddress.IPv4Network(v))
    except ValueError:
        raise ValueError("must be an IPv4 network in CIDR notation, like 10.0.0.0/16") from None


def _cpu_quantity(v: str) -> str:
    if cpu_millicores(v) == 0:
        raise ValueError("must be more than zero, like '500m' or '2'")
    return v


def _memory_quantity(v: str) -> str:
    if memory_mib(v) == 0:
        raise ValueError("must be more than zero, like '4Gi' or '1536Mi'")
    return v


def _storage_quantity(v: str) -> str:
    try:
        size = memory_mib(v)
    except ValueError:
        size = 0
    if size == 0:
        raise ValueError("must be a size in Mi or Gi, more than zero, like '20Gi'")
    return v


def _cnpg_schedule(v: str) -> str:
    return cnpg_schedule(v)


def _cronjob_schedule(v: str) -> str:
    return cronjob_schedule(v)


def _slack_channel(v: str) -> str:
    if not re.match(r"^#[a-z0-9_-]{1,80}$", v):
        raise ValueError("must be a Slack channel name with its '#', lower-case letters, digits, '-' and '_', like #langfuse-pager")
    return v


def _string(pattern: str | None = None, description: str | None = None, **schema: object) -> WithJsonSchema:
    """The JSON Schema editors see for a constrained string (schemas/stack-config.schema.json): a pattern close to
    the validator's rule. The validator stays the authority (its message is what a wrong value gets)."""
    result: dict[str, object] = {"type": "string", **schema}
    if pattern is not None:
        result["pattern"] = pattern
    if description is not None:
        result["description"] = description
    return WithJsonSchema(result)


_LABEL = "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
DnsLabel = Annotated[str, AfterValidator(_dns_label), _string(f"^{_LABEL}$", "DNS-1123 label")]
DnsName = Annotated[str, AfterValidator(_dns_name), _string(f"^{_LABEL}(\\.{_LABEL})+$", "lower-case DNS name", maxLength=253)]
ObjectName = Annotated[str, AfterValidator(_object_name), _string(f"^{_LABEL}(\\.{_LABEL})*$", "Kubernetes object name", maxLength=253)]
AwsRegion = Annotated[str, AfterValidator(_aws_region), _string(enum=list(AWS_REGIONS))]
EmailAddress = Annotated[str, AfterValidator(_email_address), _string(_EMAIL_ADDRESS.pattern, "email address")]
S3BucketName = Annotated[str, AfterValidator(_s3_bucket), _string(_S3_BUCKET.pattern, "S3 bucket name")]
IamRoleArn = Annotated[str, AfterValidator(_iam_role_arn), _string(_IAM_ROLE_ARN.pattern, "IAM role ARN")]
IamUserArn = Annotated[str, AfterValidator(_iam_user_arn), _string(_IAM_USER_ARN.pattern, "IAM user ARN")]
ExternalId = Annotated[str, AfterValidator(_external_id), _string(_EXTERNAL_ID.pattern, "STS external id")]
KmsKeyArn = Annotated[str, AfterValidator(_kms_key_arn), _string(_KMS_KEY_ARN.pattern, "KMS key or alias ARN")]
HttpsUrl = Annotated[str, AfterValidator(_https_url), _string("^https://[^/:]+(:\\d+)?(/.*)?$", "https:// URL")]
HostPort = Annotated[str, AfterValidator(_host_port), _string(_HOST_PORT.pattern, "host:port")]
Ipv4Cidr = Annotated[str, AfterValidator(_ipv4_cidr), _string("^\\d{1,3}(\\.\\d{1,3}){3}(/\\d{1,2})?$", "IPv4 network, CIDR notation")]
DataKey = Annotated[str, AfterValidator(_secret_key_name), _string("^[-._a-zA-Z0-9]{1,253}$", "Secret or ConfigMap key")]
AwsAccountId = Annotated[str, AfterValidator(_account_id), _string(_ACCOUNT_ID.pattern, "12-digit AWS account ID (quoted)")]
OidcProviderArn = Annotated[str, AfterValidator(_oidc_provider_arn), _string(_OIDC_PROVIDER_ARN.pattern, "IAM OIDC provider ARN")]
SecretsManagerName = Annotated[
    str, AfterValidator(_secrets_manager_name), _string("^(?!arn:)[\\w/+=.@!-]{1,512}$", "Secrets Manager secret name (not an ARN)")
]
ResourcePrefix = Annotated[str, AfterValidator(_resource_prefix), _string(_RESOURCE_PREFIX.pattern, "name prefix")]
# YAML reads `limit: 2` as an integer; a CPU count is still a valid quantity.
CpuQuantity = Annotated[
    str,
    BeforeValidator(lambda v: str(v) if isinstance(v, int) and not isinstance(v, bool) else v),
    AfterValidator(_cpu_quantity),
    WithJsonSchema({"type": ["string", "integer"], "pattern": "^[0-9]+m?$", "minimum": 1, "description": "CPU quantity, like 500m or 2"}),
]
MemoryQuantity = Annotated[str, AfterValidator(_memory_quantity), _string(MEMORY_QUANTITY.pattern, "memory quantity in Mi or Gi")]
StorageQuantity = Annotated[str, AfterValidator(_storage_quantity), _string(MEMORY_QUANTITY.pattern, "size in Mi or Gi")]
EnvironmentNamespace = Annotated[
    str, AfterValidator(_environment_namespace), _string(f"^(?!(default|openshift)$)(?!(openshift|kube)-){_LABEL}$", "namespace")
]
CnpgSchedule = Annotated[str, AfterValidator(_cnpg_schedule), _string(description="cron, six fields (seconds first)")]
CronJobSchedule = Annotated[str, AfterValidator(_cronjob_schedule), _string(description="cron, five fields or @daily etc.")]
SlackChannel = Annotated[str, AfterValidator(_slack_channel), _string("^#[a-z0-9_-]{1,80}$", "Slack channel with its #")]

