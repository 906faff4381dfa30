"""A CronJob running a script from its own ConfigMap (mounted at /scripts): backups and restore drills; and
`cron_job`, the same CronJob policy for a Job whose code is in its image (the audit export).

In UTC, never two runs at once, a run that misses its start by half an hour is skipped, and a few finished
Jobs are kept for their logs. Its last success is kube-state-metrics' kube_cronjob_status_last_successful_time,
which the freshness alerts watch.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

SCRIPTS_DIR = "/scripts"


@dataclass(frozen=True)
class ScriptedCronJobArgs:
    name: str  # of the CronJob and its ConfigMap
    namespace: pulumi.Input[str]
    labels: dict[str, str]
    schedule: str
    scripts: dict[str, pulumi.Input[str]]  # ConfigMap data, mounted at SCRIPTS_DIR
    pod_template: k8s.core.v1.PodTemplateSpecArgs  # mounts the ConfigMap `name` at SCRIPTS_DIR
    deadline_seconds: int
    backoff_limit: int
    history: int = 3


def scripted_cron_job(args: ScriptedCronJobArgs, parent: pulumi.Resource) -> k8s.batch.v1.CronJob:
    metadata = k8s.meta.v1.ObjectMetaArgs(name=args.name, namespace=args.namespace, labels=args.labels)
    scripts = k8s.core.v1.ConfigMap(args.name, metadata=metadata, data=args.scripts, opts=pulumi.ResourceOptions(parent=parent))
    return cron_job(
        metadata,
        schedule=args.schedule,
        pod_template=args.pod_template,
        deadline_seconds=args.deadline_seconds,
        backoff_limit=args.backoff_limit,
        history=args.history,
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[scripts]),
    )


def cron_job(
    metadata: k8s.meta.v1.ObjectMetaArgs,  # name, namespace and labels (its Jobs carry the same labels)
    *,
    schedule: str,
    pod_template: k8s.core.v1.PodTemplateSpecArgs,
    deadline_seconds: int,
    backoff_limit: int,
    history: int,
    opts: pulumi.ResourceOptions,
) -> k8s.batch.v1.CronJob:
    return k8s.batch.v1.CronJob(
        metadata.name,
        metadata=metadata,
        spec=k8s.batch.v1.CronJobSpecArgs(
            schedule=schedule,
            time_zone="Etc/UTC",
            concurrency_policy="Forbid",
            starting_deadline_seconds=1800,
            successful_jobs_history_limit=history,
            failed_jobs_history_limit=history,
            job_template=k8s.batch.v1.JobTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=metadata.labels),
                spec=k8s.batch.v1.JobSpecArgs(backoff_limit=backoff_limit, active_deadline_seconds=deadline_seconds, template=pod_template),
            ),
        ),
        opts=opts,
    )


def scripts_volume(config_map: str) -> tuple[k8s.core.v1.VolumeArgs, k8s.core.v1.VolumeMountArgs]:
    return (
        k8s.core.v1.VolumeArgs(name="scripts", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=config_map)),
        k8s.core.v1.VolumeMountArgs(name="scripts", mount_path=SCRIPTS_DIR, read_only=True),
    )


def run_volume(name: str, storage_class: str, size: str) -> k8s.core.v1.VolumeArgs:
    """A volume for one run of a Job only (a generic ephemeral volume on `storage_class`), deleted with the pod."""
    return k8s.core.v1.VolumeArgs(
        name=name,
        ephemeral=k8s.core.v1.EphemeralVolumeSourceArgs(
            volume_claim_template=k8s.core.v1.PersistentVolumeClaimTemplateArgs(
                spec=k8s.core.v1.PersistentVolumeClaimSpecArgs(
                    access_modes=["ReadWriteOnce"],
                    storage_class_name=storage_class,
                    resources=k8s.core.v1.VolumeResourceRequirementsArgs(requests={"storage": size}),
                )
            )
        ),
    )
