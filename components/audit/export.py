"""LangfuseAuditExport: the daily CronJob that copies new rows of Langfuse's audit_logs into the audit bucket
(langfuse_incluster.audit_export), its ServiceAccount (the IAM role that may only create objects under the
export prefix), the ConfigMap holding its watermark (created here, its data left to the job: `pulumi up` never
rewinds it) and the Role that lets the job update that one ConfigMap. Its NetworkPolicies come from the
namespace's flow table (components/network/langfuse_flows.py): PostgreSQL, S3 and STS on 443, the API server."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from langfuse_incluster import contract

from components.common.env import secret_env
from components.common.labels import recommended_labels
from components.common.pod_security import (
    NEEDS_API_TOKEN_ANNOTATION,
    restricted_container_security_context,
    restricted_pod_security_context,
)
from components.common.scripted_cron_job import cron_job
from components.langfuse.backend import PostgresBackend
from components.langfuse.volumes import ca_file, scratch

NAME = contract.AUDIT_EXPORT_NAME
CA_FILE = "/etc/langfuse-audit-export/postgres-ca/ca.crt"


@dataclass(frozen=True)
class LangfuseAuditExportArgs:
    namespace: str
    image: str  # registry/repository@sha256:...
    schedule: str
    role_arn: str  # the IAM role the job's pods assume (ROSA STS)
    region: str
    bucket: str
    prefix: str
    kms_key_arn: pulumi.Input[str]
    postgres: PostgresBackend  # where audit_logs lives, and as whom the job reads it


class LangfuseAuditExport(pulumi.ComponentResource):
    def __init__(self, name: str, args: LangfuseAuditExportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:audit:LangfuseAuditExport", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        labels = {**recommended_labels(NAME, "audit-export", "langfuse"), **contract.AUDIT_EXPORT_POD_LABELS}
        metadata = k8s.meta.v1.ObjectMetaArgs(name=NAME, namespace=args.namespace, labels=labels)
        account = k8s.core.v1.ServiceAccount(
            NAME,
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name=NAME,
                namespace=args.namespace,
                labels=labels,
                # ROSA STS: the pod identity webhook exchanges the projected token for this role.
                annotations={"eks.amazonaws.com/role-arn": args.role_arn, "eks.amazonaws.com/sts-regional-endpoints": "true"},
            ),
            opts=child,
        )
        state = k8s.core.v1.ConfigMap(
            NAME, metadata=metadata, data={"watermark": "", "pending": ""}, opts=pulumi.ResourceOptions(parent=self, ignore_changes=["data"])
        )
        role = k8s.rbac.v1.Role(
            NAME,
            metadata=metadata,
            rules=[k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["configmaps"], resource_names=[NAME], verbs=["get", "patch"])],
            opts=child,
        )
        k8s.rbac.v1.RoleBinding(
            NAME,
            metadata=metadata,
            role_ref=k8s.rbac.v1.RoleRefArgs(api_group="rbac.authorization.k8s.io", kind="Role", name=NAME),
            subjects=[k8s.rbac.v1.SubjectArgs(kind="ServiceAccount", name=NAME, namespace=args.namespace)],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[role, account]),
        )
        pg = args.postgres
        mounts = ca_file("postgres-ca", pg.server_ca, CA_FILE) + scratch("tmp", "/tmp", "64Mi")

        def value(env: str, v: pulumi.Input[str]) -> k8s.core.v1.EnvVarArgs:
            return k8s.core.v1.EnvVarArgs(name=env, value=v)

        env = [
            value(contract.ENV_AUDIT_BUCKET, args.bucket),
            value(contract.ENV_AUDIT_PREFIX, args.prefix),
            value(contract.ENV_AUDIT_KMS_KEY_ID, args.kms_key_arn),
            value(contract.ENV_AUDIT_REGION, args.region),
            value(contract.ENV_AUDIT_NAMESPACE, args.namespace),
            value(contract.ENV_PGHOST, pg.host),
            value(contract.ENV_PGPORT, str(pg.port)),
            value(contract.ENV_PGDATABASE, pg.database),
            secret_env(contract.ENV_PGUSER, pg.username.name, pg.username.key),
            secret_env(contract.ENV_PGPASSWORD, pg.password.name, pg.password.key),
            # libpq verifies the server's certificate and host name against the CA (sslmode verify-full).
            value("PGSSLMODE", "verify-full"),
            value(contract.ENV_PGSSLROOTCERT, CA_FILE),
        ]
        container = k8s.core.v1.ContainerArgs(
            name="export",
            image=args.image,
            image_pull_policy="IfNotPresent",
            command=["python", "-m", contract.AUDIT_EXPORT_MODULE],
            env=env,
            resources=k8s.core.v1.ResourceRequirementsArgs(requests={"cpu": "50m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "512Mi"}),
            security_context=restricted_container_security_context(),
            volume_mounts=mounts.volume_mounts,
        )
        # cron_job's policy runs one Job at a time (concurrency Forbid): the watermark has one writer.
        cron_job(
            metadata,
            schedule=args.schedule,
            pod_template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(
                    labels=labels, annotations={NEEDS_API_TOKEN_ANNOTATION: "reads and moves its watermark in its ConfigMap"}
                ),
                spec=k8s.core.v1.PodSpecArgs(
                    service_account_name=NAME,
                    automount_service_account_token=True,
                    restart_policy="Never",
                    security_context=restricted_pod_security_context(),
                    containers=[container],
                    volumes=mounts.volumes,
                ),
            ),
            deadline_seconds=3600,
            backoff_limit=3,
            history=3,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[account, state]),
        )
        self.register_outputs({})
