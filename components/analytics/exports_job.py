"""SharedProjectExport: the Job that configures the shared project's scheduled blob export (tenant controller in
shared mode: every namespace shares the project LANGFUSE_INIT_* created, whose key is a project key, while
Langfuse's blob-storage integration API takes an organisation key). It runs the controller's image
(`python -m langfuse_incluster.blob_exports`), once per target: a changed target is a new Job."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s
from langfuse_incluster import contract

from components.common.env import secret_env
from components.common.labels import recommended_labels
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.secrets import SecretValue, external_secret
from components.tenancy.controller import ControllerKey


@dataclass(frozen=True)
class ExportSettings:
    """Where Langfuse writes each project's export (the controller's and the Job's LANGFUSE_EXPORT_* settings)."""

    bucket: str
    region: str
    prefix: str  # ends with "/"
    frequency: str  # every_20_minutes | hourly | daily | weekly

    def env(self) -> dict[str, str]:
        return {
            contract.ENV_EXPORT_BUCKET: self.bucket,
            contract.ENV_EXPORT_REGION: self.region,
            contract.ENV_EXPORT_PREFIX: self.prefix,
            contract.ENV_EXPORT_FREQUENCY: self.frequency,
        }


# A key pair in Secrets Manager, as the tenant controller's own key is referenced.
KeyRef = ControllerKey


@dataclass(frozen=True)
class SharedProjectExportArgs:
    namespace: str
    image: str  # the tenant controller's image, by digest
    store: str
    api_url: str  # the web Service
    organization_key: KeyRef  # PUTs the integration
    project_key: KeyRef  # the shared project's: tells its id
    target: ExportSettings


KEY_SECRET = "langfuse-blob-exports-keys"


class SharedProjectExport(pulumi.ComponentResource):
    def __init__(self, name: str, args: SharedProjectExportArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:analytics:SharedProjectExport", name, None, opts)
        labels = {**recommended_labels("langfuse-blob-exports", "export-configuration", "langfuse-analytics"), **contract.EXPORTS_JOB_LABELS}
        keys = external_secret(
            KEY_SECRET,
            args.namespace,
            args.store,
            [
                SecretValue("org-public-key", args.organization_key.secrets_manager_name, args.organization_key.public_key_property),
                SecretValue("org-secret-key", args.organization_key.secrets_manager_name, args.organization_key.secret_key_property),
                SecretValue("project-public-key", args.project_key.secrets_manager_name, args.project_key.public_key_property),
                SecretValue("project-secret-key", args.project_key.secrets_manager_name, args.project_key.secret_key_property),
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )

        settings = {contract.ENV_LANGFUSE_API_URL: args.api_url, **args.target.env()}
        job = f"langfuse-blob-exports-{hashlib.sha256(repr((args.image, sorted(settings.items()))).encode()).hexdigest()[:8]}"
        k8s.batch.v1.Job(
            job,
            metadata=k8s.meta.v1.ObjectMetaArgs(name=job, namespace=args.namespace, labels=labels),
            spec=k8s.batch.v1.JobSpecArgs(
                backoff_limit=4,
                active_deadline_seconds=900,
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        restart_policy="Never",
                        automount_service_account_token=False,
                        security_context=restricted_pod_security_context(),
                        containers=[
                            k8s.core.v1.ContainerArgs(
                                name="configure",
                                image=args.image,
                                image_pull_policy="IfNotPresent",
                                command=["python", "-m", contract.EXPORTS_JOB_MODULE],
                                env=[
                                    *(k8s.core.v1.EnvVarArgs(name=k, value=v) for k, v in settings.items()),
                                    secret_env(contract.ENV_ORG_PUBLIC_KEY, KEY_SECRET, "org-public-key"),
                                    secret_env(contract.ENV_ORG_SECRET_KEY, KEY_SECRET, "org-secret-key"),
                                    secret_env(contract.ENV_SHARED_PUBLIC_KEY, KEY_SECRET, "project-public-key"),
                                    secret_env(contract.ENV_SHARED_SECRET_KEY, KEY_SECRET, "project-secret-key"),
                                ],
                                resources=k8s.core.v1.ResourceRequirementsArgs(
                                    requests={"cpu": "50m", "memory": "128Mi"}, limits={"cpu": "500m", "memory": "256Mi"}
                                ),
                                security_context=restricted_container_security_context(),
                            )
                        ],
                    ),
                ),
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[keys], custom_timeouts=pulumi.CustomTimeouts(create="20m", update="20m")),
        )
        self.register_outputs({})
