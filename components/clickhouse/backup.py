"""ClickHouse backups: native `BACKUP DATABASE ... ON CLUSTER ... TO S3(...)` from a CronJob.

- The servers write the backup themselves, so the IAM role is on the ClickHouse pods' service account (pod
  identity webhook, ROSA STS) and the server config declares the backup location as an S3 endpoint with
  `use_environment_credentials` (its credential chain reads the web-identity token: ClickHouse issue #56077,
  Altinity's chi-example 26-s3-iam-role-irsa) and `server_side_encryption_kms_key_id` (ClickHouse PR #48724)
  set to the bucket's KMS key, which the bucket policy demands on every upload (SSE-KMS).
- A cycle of `fullEveryDays` starts with a full backup `full-<cycle start>`; every other run is an
  incremental `incr-<time>` whose base is that cycle's full, so a restore needs at most two backups. A run
  that cannot take its incremental (the cycle's full is missing or broken) takes the full instead.
- Retention is an S3 lifecycle rule on the prefix expiring objects `retentionDays + fullEveryDays` after
  they were written: a full outlives every incremental based on it by construction (backup_expiry_days).
- clickhouse-client reads CLICKHOUSE_USER / CLICKHOUSE_PASSWORD from the environment (ClickHouse PR
  #48440), so the password is never on a command line.
- The jobs connect to the client Service by its FQDN (`clickhouse-<installation>.<namespace>.svc`, a name the
  service CA's certificate carries) and verify the certificate's chain and name: `verificationMode strict`
  checks the chain against the service CA, and `extendedVerification` checks the name, which Poco's
  SSLManager leaves off unless configured (base/poco/NetSSL_OpenSSL/src/SSLManager.cpp reads it with a
  `false` default; ClickHouse issue #35504; PR #116724 turns it on by default only from 26.3.33.122).
- The CronJob's last success is kube-state-metrics' `kube_cronjob_status_last_successful_time`, which the
  freshness alert watches.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.clickhouse.contract import BACKUP_OF_LABEL, CLIENT_NAME, backup_job
from components.clickhouse.images import CLICKHOUSE_SERVER
from components.common.env import secret_env
from components.common.labels import recommended_labels
from components.common.pod_security import restricted_container_security_context, restricted_pod_security_context
from components.common.script_files import render_script
from components.common.scripted_cron_job import SCRIPTS_DIR, ScriptedCronJobArgs, scripted_cron_job, scripts_volume

SCRIPT_KEY = "backup.sh"
CLIENT_CONFIG = """<config>
  <secure>true</secure>
  <openSSL><client>
    <caConfig>/etc/clickhouse-client/ca/service-ca.crt</caConfig>
    <loadDefaultCAFile>false</loadDefaultCAFile>
    <verificationMode>strict</verificationMode>
    <extendedVerification>true</extendedVerification>
    <invalidCertificateHandler><name>RejectCertificateHandler</name></invalidCertificateHandler>
  </client></openSSL>
</config>
"""


@dataclass(frozen=True)
class ClickHouseBackupPolicy:
    interval_hours: int  # a backup every this many hours: the RPO of a restore
    full_every_days: int
    retention_days: int

    def schedule(self) -> str:
        # Minute 17: away from the top of the hour other jobs crowd.
        return "17 3 * * *" if self.interval_hours == 24 else f"17 */{self.interval_hours} * * *"


def backup_expiry_days(policy: ClickHouseBackupPolicy) -> int:
    """Days after which S3 expires a backup's objects: an incremental kept for retentionDays needs its full,
    written up to fullEveryDays earlier."""
    return policy.retention_days + policy.full_every_days


def s3_endpoint_config(url: pulumi.Input[str], kms_key_arn: pulumi.Input[str]) -> pulumi.Output[str]:
    """config.d file: credentials and encryption for every S3 URL under the backup location."""
    return pulumi.Output.all(url, kms_key_arn).apply(
        lambda v: (
            "<clickhouse><s3><backups>"
            f"<endpoint>{v[0]}/</endpoint>"
            "<use_environment_credentials>true</use_environment_credentials>"
            f"<server_side_encryption_kms_key_id>{v[1]}</server_side_encryption_kms_key_id>"
            "</backups></s3>"
            "</clickhouse>"
        )
    )


def backup_script(database: str, cluster: str) -> str:
    """Runs one backup; $BACKUP_URL, $FULL_EVERY_DAYS and the client's connection come from the environment.
    BACKUP_NOW (epoch seconds) exists for the tests. scripts/chain.sh names the chain (shared with the restore drill)."""
    return render_script(__package__, SCRIPT_KEY, DATABASE=database, CLUSTER=cluster)


@dataclass(frozen=True)
class ClickHouseBackupArgs:
    namespace: pulumi.Input[str]
    installation: str
    cluster: str
    database: str
    backup_url: pulumi.Input[str]  # https://<bucket>.s3.<region>.amazonaws.com/<prefix>
    policy: ClickHouseBackupPolicy
    credentials_secret: str  # username/password of the user that runs BACKUP
    service_ca_config_map: str
    host: pulumi.Input[str]  # the client Service's FQDN, as its certificate names it
    port: int
    client_name: str = CLIENT_NAME  # the job pods' app.kubernetes.io/name (NetworkPolicies select it)
    part_of: str = "langfuse"


class ClickHouseBackup(pulumi.ComponentResource):
    def __init__(self, name: str, args: ClickHouseBackupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:clickhouse:ClickHouseBackup", name, None, opts)
        job_name = backup_job(args.installation)
        labels = {**recommended_labels(args.client_name, "backup", args.part_of), BACKUP_OF_LABEL: args.installation}
        scripted_cron_job(
            ScriptedCronJobArgs(
                name=job_name,
                namespace=args.namespace,
                labels=labels,
                schedule=args.policy.schedule(),
                scripts={SCRIPT_KEY: backup_script(args.database, args.cluster), "client.xml": CLIENT_CONFIG},
                pod_template=client_pod_template(args, labels, ["/bin/bash", f"{SCRIPTS_DIR}/{SCRIPT_KEY}"], job_name),
                deadline_seconds=args.policy.interval_hours * 3600,
                backoff_limit=2,
            ),
            parent=self,
        )
        self.register_outputs({})


def client_pod_template(args: ClickHouseBackupArgs, labels: dict, command: list[str], scripts: str) -> k8s.core.v1.PodTemplateSpecArgs:
    """A clickhouse-client pod that talks TLS to the cluster (the service CA verifies it) as the backup user;
    shared by the backup, restore and drill jobs."""
    return clickhouse_client_pod(
        ClickHouseClient(args.host, args.port, args.credentials_secret, args.service_ca_config_map),
        labels,
        command,
        scripts,
        {"BACKUP_URL": args.backup_url, "FULL_EVERY_DAYS": str(args.policy.full_every_days)},
    )


@dataclass(frozen=True)
class ClickHouseClient:
    """Where and as whom a job's clickhouse-client connects."""

    host: pulumi.Input[str]  # the client Service's FQDN, as its certificate names it
    port: int
    credentials_secret: str  # keys username and password
    service_ca_config_map: str


def clickhouse_client_pod(
    client: ClickHouseClient,
    labels: dict,
    command: list[str],
    scripts: str,
    env: dict[str, pulumi.Input[str]],
    service_account: str | None = None,
    resources: tuple[str, str, str, str] = ("50m", "128Mi", "500m", "512Mi"),  # cpu and memory requested, then limits
    home_size: str = "64Mi",  # /tmp
) -> k8s.core.v1.PodTemplateSpecArgs:
    """A pod running `command` with clickhouse-client configured for TLS to `client` (CLIENT_CONFIG, the
    credentials in CLICKHOUSE_USER/CLICKHOUSE_PASSWORD) and `env`; under `service_account`'s IAM role if given."""
    secret = client.credentials_secret
    scripts_volume_, scripts_mount = scripts_volume(scripts)
    return k8s.core.v1.PodTemplateSpecArgs(
        metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
        spec=k8s.core.v1.PodSpecArgs(
            restart_policy="Never",
            service_account_name=service_account,
            automount_service_account_token=False,
            security_context=restricted_pod_security_context(),
            containers=[
                k8s.core.v1.ContainerArgs(
                    name="clickhouse-client",
                    image=CLICKHOUSE_SERVER,
                    command=command,
                    env=[
                        k8s.core.v1.EnvVarArgs(name="CLICKHOUSE_HOST", value=client.host),
                        k8s.core.v1.EnvVarArgs(name="CLICKHOUSE_PORT", value=str(client.port)),
                        secret_env("CLICKHOUSE_USER", secret, "username"),
                        secret_env("CLICKHOUSE_PASSWORD", secret, "password"),
                        *(k8s.core.v1.EnvVarArgs(name=name, value=value) for name, value in env.items()),
                        k8s.core.v1.EnvVarArgs(name="CLIENT_CONFIG", value=f"{SCRIPTS_DIR}/client.xml"),
                    ],
                    resources=k8s.core.v1.ResourceRequirementsArgs(
                        requests={"cpu": resources[0], "memory": resources[1]}, limits={"cpu": resources[2], "memory": resources[3]}
                    ),
                    security_context=restricted_container_security_context(),
                    volume_mounts=[
                        scripts_mount,
                        k8s.core.v1.VolumeMountArgs(name="service-ca", mount_path="/etc/clickhouse-client/ca", read_only=True),
                        k8s.core.v1.VolumeMountArgs(name="home", mount_path="/tmp"),
                    ],
                )
            ],
            volumes=[
                scripts_volume_,
                k8s.core.v1.VolumeArgs(name="service-ca", config_map=k8s.core.v1.ConfigMapVolumeSourceArgs(name=client.service_ca_config_map)),
                k8s.core.v1.VolumeArgs(name="home", empty_dir=k8s.core.v1.EmptyDirVolumeSourceArgs(size_limit=home_size)),
            ],
        ),
    )
