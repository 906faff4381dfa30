"""Audit: the record beyond the trail. The cluster layer forwards the API server's audit log off the cluster,
PostgreSQL logs DDL and role changes (pgaudit) where the environment asks, and every audit record is kept at
least as long as the environment's policy config says, in compliance mode where it asks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from .audit import OBJECT_LOCK, default_retention
from .base import Config, Rule, Setting, Subject, as_list, dig, is_kubernetes, purpose
from .encryption import buckets, for_bucket

SUBSCRIPTION = "kubernetes:operators.coreos.com/v1alpha1:Subscription"
FORWARDER = "kubernetes:observability.openshift.io/v1:ClusterLogForwarder"
LOGGING_PACKAGE = "cluster-logging"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
AUDIT_PURPOSES = ("audit", "audit-replica")


def _group(resource_type: str) -> str:
    return resource_type.split(":")[1].rsplit("/", 1)[0] if resource_type.startswith("kubernetes:") else ""


def _operands_rendered(subjects: Sequence[Subject]) -> bool:
    """The stack configures an operator's operand: it renders a custom resource of an API group that is neither
    Kubernetes' own (*.k8s.io, and the groups without a dot) nor OLM's."""
    groups = {_group(s.type) for s in subjects if s.type.startswith("kubernetes:")}
    return any("." in g and not g.endswith(".k8s.io") and g != "operators.coreos.com" for g in groups)


def _forwards_audit(forwarder: Subject) -> bool:
    spec = forwarder.props.get("spec") or {}
    audit_inputs = {"audit"} | {i.get("name") for i in spec.get("inputs") or [] if "audit" in i and "kubeAPI" in (dig(i, "audit", "sources") or ["kubeAPI"])}
    return any(set(as_list(p.get("inputRefs"))) & audit_inputs and as_list(p.get("outputRefs")) for p in spec.get("pipelines") or [])


def cluster_audit_forwarding(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    subscriptions = [s for s in subjects if s.type == SUBSCRIPTION]
    if not subscriptions:
        return []  # an environment stack: the cluster layer forwards
    if not any(dig(s.props, "spec", "name") == LOGGING_PACKAGE for s in subscriptions):
        return [("stack", f"the cluster layer does not install Red Hat OpenShift Logging (Subscription to {LOGGING_PACKAGE}): the API server's audit log stays on the cluster.")]
    if not _operands_rendered(subjects):
        return []  # the first apply: OLM has not installed the operators yet (operators.operandsEnabled false)
    forwarders = [s for s in subjects if s.type == FORWARDER]
    if not any(_forwards_audit(f) for f in forwarders):
        return [("stack", "no ClusterLogForwarder sends the audit input (kubeAPI) to an output: the API server's audit log is not forwarded.")]
    return []


PGAUDIT_CLASSES = ("ddl", "role")


def pgaudit(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if not config["requirePgaudit"] or not is_kubernetes(resource_type, "Cluster") or not resource_type.startswith("kubernetes:postgresql.cnpg.io/"):
        return []
    parameters = dig(props, "spec", "postgresql", "parameters") or {}
    classes = {c.strip().lower() for c in str(parameters.get("pgaudit.log") or "none").split(",")}
    problems = []
    if "all" not in classes and not set(PGAUDIT_CLASSES) <= classes:
        problems.append(f"pgaudit.log is {parameters.get('pgaudit.log')!r}: it must log {', '.join(PGAUDIT_CLASSES)} (DDL and role/privilege changes).")
    # pgaudit's default for log_parameter is off (pgaudit README, "pgaudit.log_parameter"); on would log the values
    # of every bound parameter, user data included.
    if str(parameters.get("pgaudit.log_parameter", "off")).lower() not in ("off", "false", "0"):
        problems.append("pgaudit.log_parameter is on: statement parameters, which may carry user data, would be logged.")
    return problems


def audit_retention(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    least, compliance = config["minAuditRetentionDays"], config["requireComplianceMode"]
    locks = for_bucket(subjects, OBJECT_LOCK)
    problems = []
    for bucket in buckets(subjects):
        if purpose(bucket) not in AUDIT_PURPOSES:
            continue
        name = bucket.props.get("bucket")
        days, mode = default_retention(locks, name)
        if days < least:
            problems.append((bucket.label, f"audit bucket {name} locks its records for {days} days, less than {least}."))
        if compliance and mode != "COMPLIANCE":
            problems.append((bucket.label, f"audit bucket {name} locks in {mode or 'no'} mode, not COMPLIANCE: an administrator could delete records."))
    for group in (s for s in subjects if s.type == LOG_GROUP and purpose(s) == "audit"):
        days = int(group.props.get("retentionInDays") or 0)  # 0 or unset: kept forever
        if 0 < days < least:
            problems.append((group.label, f"audit log group {group.props.get('name')} keeps its records {days} days, less than {least}."))
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="cluster-audit-forwarding",
        theme="audit",
        description="A cluster layer installs Red Hat OpenShift Logging and, once operands are configured, forwards the API server's audit log (ClusterLogForwarder).",
        severity="high",
        enforcement="mandatory",
        remediation="Keep components.platform.audit_forwarding in the cluster layer (catalog OPENSHIFT_LOGGING and the ClusterLogForwarder).",
        stack_check=cluster_audit_forwarding,
    ),
    Rule(
        name="pgaudit-enabled",
        theme="audit",
        description="CloudNativePG clusters log DDL and role/privilege changes with pgaudit and never statement parameters, where the environment requires it.",
        severity="medium",
        enforcement="mandatory",
        remediation="Keep audit.pgaudit on (components.postgres.cluster PGAUDIT_PARAMETERS).",
        check=pgaudit,
        settings=(Setting("requirePgaudit", "boolean", True, "whether PostgreSQL clusters must run pgaudit"),),
    ),
    Rule(
        name="audit-retention",
        theme="audit",
        description="Audit buckets lock every record at least the minimum retention (in compliance mode where required); audit log groups keep at least as long.",
        severity="high",
        enforcement="mandatory",
        remediation="Raise audit.retentionDays (environment) or audit.retentionDays (cluster layer).",
        stack_check=audit_retention,
        settings=(
            Setting("minAuditRetentionDays", "integer", 365, "shortest acceptable retention of an audit record"),
            Setting("requireComplianceMode", "boolean", True, "whether audit buckets must lock in COMPLIANCE mode"),
        ),
    ),
)
