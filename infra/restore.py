"""`langfuse-rosa restore`: the manifests a platform engineer applies to restore a store, and the steps, in
order. Both come from the real program: PostgreSQL's recovery Cluster is the stack's own Cluster rendered
with `dataTier.postgres.recovery` set (so after the restore the stack file, the cluster and `pulumi up` agree);
ClickHouse's restore Job reuses the backup CronJob's pod (image, credentials, TLS, network policy label).
"""

from __future__ import annotations

import copy
import json
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from components.clickhouse.installation import CLUSTER_NAME, DATABASE
from components.clickhouse.restore import RESTORE_KEY, restore_script
from components.postgres.contract import BARMAN_CLOUD_PLUGIN
from components.postgres.contract import CLUSTER_NAME as POSTGRES_CLUSTER
from infra.offline_plan.plan import Plan, build_plan
from infra.offline_plan.pulumi_yaml import decode_text, load
from infra.offline_plan.render import dump_yaml
from infra.offline_plan.stack_file import read_stack_file
from infra.offline_plan.validation import SchemaCatalog
from infra.stack_config import ConfigError, StackConfig
from infra.stack_config.loader import parse_engine_config

CLICKHOUSE_BACKUP_JOB = "langfuse-clickhouse-backup"
STEPS_FILE = "steps.md"  # also what marks a folder as a restore output (write_files refuses to replace others)


@dataclass(frozen=True)
class RestorePlan:
    manifests: dict[str, dict[str, Any]]  # file name -> manifest
    stack_change: dict[str, Any] | None  # keys to set in the stack file, if any
    steps: list[str]

    def files(self) -> dict[str, str]:
        steps = "".join(f"{number}. {step}\n" for number, step in enumerate(self.steps, 1))
        change = f"\nStack file change (config):\n\n```yaml\n{yaml.safe_dump(self.stack_change, sort_keys=False)}```\n" if self.stack_change else ""
        return {**{name: dump_yaml(manifest) for name, manifest in self.manifests.items()}, STEPS_FILE: f"# Steps, in order\n\n{steps}{change}"}


def _validate(stack: str, manifests: dict[str, dict[str, Any]], project_root: Path) -> None:
    catalog = SchemaCatalog(project_root / "schemas")
    for name, manifest in manifests.items():
        result = catalog.validate(manifest)
        if result.errors:
            raise ConfigError(stack, [f"stack '{stack}': the rendered {name} is not schema-valid: {result.errors[0]}"])


def _in_cluster(stack: str, plan: Plan, kind: str, name: str) -> dict[str, Any]:
    found = [o.manifest for o in plan.objects if o.kind == kind and o.name == name]
    if not found:
        raise ConfigError(stack, [f"stack '{stack}': langfuse-rosa:backend.mode is not in-cluster: there is no {kind} {name} to restore"])
    return found[0]


def environment_config(stack: str, stacks_dir: Path) -> StackConfig:
    """The stack's config, if it is an environment stack whose stores run in the cluster (what can be restored)."""
    config = parse_engine_config(stack, read_stack_file(stacks_dir, stack).config)
    if not isinstance(config, StackConfig):
        raise ConfigError(stack, [
            f"stack '{stack}' is a cluster-layer stack (langfuse-rosa:layer = cluster): it runs operators, not stores; "
            "restore an environment stack (langfuse-rosa:layer = environment)"
        ])  # fmt: skip
    if config.data_tier is None:
        raise ConfigError(stack, [
            f"stack '{stack}': langfuse-rosa:backend.mode is {config.backend.mode}: its stores are managed outside the cluster, "
            "so restore them with their provider's tools"
        ])  # fmt: skip
    return config


def postgres_restore(stack: str, target_time: datetime | None, stacks_dir: Path, project_root: Path) -> RestorePlan:
    config = environment_config(stack, stacks_dir)
    assert config.data_tier is not None
    source = config.data_tier.postgres.backup.server_name or POSTGRES_CLUSTER
    ns = config.langfuse.namespace
    stamp = (target_time or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%d%H%M")
    postgres: dict[str, Any] = {"backup": {"serverName": f"{POSTGRES_CLUSTER}-r{stamp}"}, "recovery": {"sourceServerName": source}}
    if target_time is not None:
        postgres["recovery"]["targetTime"] = target_time.isoformat()
    # The stack file as Pulumi reads it, changed, and written as JSON (which is YAML, and leaves no scalar to
    # resolve differently: a YAML dump could leave `1e3` or `0o17` plain, which Pulumi reads as numbers).
    document = load(decode_text((stacks_dir / f"Pulumi.{stack}.yaml").read_bytes()))
    config_section = document["config"]
    key = next((k for k in config_section if k in ("dataTier", "langfuse-rosa:dataTier", "langfuse-rosa:config:dataTier")), "langfuse-rosa:dataTier")
    merged = config_section.setdefault(key, {}).setdefault("postgres", {})
    merged.setdefault("backup", {}).update(postgres["backup"])
    merged["recovery"] = postgres["recovery"]
    with tempfile.TemporaryDirectory() as scratch:
        (Path(scratch) / f"Pulumi.{stack}.yaml").write_text(json.dumps(document))
        restored = build_plan(stack, Path(scratch), project_root)
    recovery_cluster = _in_cluster(stack, restored, "Cluster", POSTGRES_CLUSTER)
    manifests = {f"cluster-{POSTGRES_CLUSTER}.yaml": recovery_cluster}
    _validate(stack, manifests, project_root)
    target = target_time.isoformat() if target_time else "the end of the archived WAL"
    locked = f", under object lock ({config.aws.object_lock_days} days)" if config.aws.object_lock_days else ""
    steps = [
        f"Set in stacks/Pulumi.{stack}.yaml under langfuse-rosa:dataTier.postgres (shown above) and commit: the restored "
        f"cluster archives under a new serverName, so the backups being restored ({source}) are never written to.",
        _stop_writing(config),
        f"Delete the damaged cluster (its backups in S3 stay{locked}, and so does its ObjectStore): "
        f"oc -n {ns} delete cluster {POSTGRES_CLUSTER}",
        f"Create the recovery cluster, restoring {source} to {target}: pulumi up (or oc apply -f cluster-{POSTGRES_CLUSTER}.yaml)",
        f"Wait for it: oc -n {ns} wait cluster/{POSTGRES_CLUSTER} --for=condition=Ready --timeout=6h",
        f"Check it with CloudNativePG's kubectl plugin (`oc cnpg`, installed apart: CloudNativePG docs, \"Kubectl Plugin\"): "
        f"oc -n {ns} cnpg psql {POSTGRES_CLUSTER} -- -d langfuse -c 'select count(*) from projects'",
        _start_writing(config),
        f"Take a base backup of the new timeline now: oc -n {ns} cnpg backup {POSTGRES_CLUSTER} --method plugin "
        f"--plugin-name {BARMAN_CLOUD_PLUGIN} (without the plugin: oc -n {ns} create -f a Backup with spec.method plugin and "
        f"spec.pluginConfiguration.name {BARMAN_CLOUD_PLUGIN})",
    ]
    return RestorePlan(manifests, {"langfuse-rosa:dataTier": {"postgres": postgres}}, steps)


def _stop_writing(config: StackConfig) -> str:
    ns = config.langfuse.namespace
    worker = (
        f"oc -n {ns} annotate scaledobject langfuse-worker autoscaling.keda.sh/paused-replicas=0 --overwrite"
        if config.langfuse.worker.queue_scaling.enabled
        else f"oc -n {ns} delete hpa langfuse-worker; oc -n {ns} scale deployment langfuse-worker --replicas=0"
    )
    return f"Stop Langfuse writing: {worker}; oc -n {ns} delete hpa langfuse-web; oc -n {ns} scale deployment langfuse-web --replicas=0"


def _start_writing(config: StackConfig) -> str:
    ns = config.langfuse.namespace
    if config.langfuse.worker.queue_scaling.enabled:
        return f"Start Langfuse: oc -n {ns} annotate scaledobject langfuse-worker autoscaling.keda.sh/paused-replicas-; pulumi up (recreates the web HPA)"
    return "Start Langfuse: pulumi up (recreates both HPAs, which scale the Deployments back up)"


def clickhouse_restore(stack: str, backup: str, stacks_dir: Path, project_root: Path) -> RestorePlan:
    config = environment_config(stack, stacks_dir)
    plan = build_plan(stack, stacks_dir, project_root)
    cron = _in_cluster(stack, plan, "CronJob", CLICKHOUSE_BACKUP_JOB)
    scripts = _in_cluster(stack, plan, "ConfigMap", CLICKHOUSE_BACKUP_JOB)
    ns = cron["metadata"]["namespace"]
    into = "restored_" + backup.replace("-", "_").lower()
    name = f"langfuse-clickhouse-restore-{backup.lower()}"[:63].rstrip("-")
    labels = {**cron["metadata"]["labels"], "app.kubernetes.io/component": "restore"}
    labels.pop("langfuse-rosa/backup-of", None)
    config_map = {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": ns, "labels": labels},
        "data": {RESTORE_KEY: restore_script(DATABASE, CLUSTER_NAME, backup, into), "client.xml": scripts["data"]["client.xml"]},
    }
    job_spec = copy.deepcopy(cron["spec"]["jobTemplate"]["spec"])
    pod = job_spec["template"]
    pod["metadata"]["labels"] = labels
    pod["spec"]["containers"][0]["command"] = ["/bin/bash", f"/scripts/{RESTORE_KEY}"]
    next(v for v in pod["spec"]["volumes"] if v["name"] == "scripts")["configMap"]["name"] = name
    job_spec.pop("activeDeadlineSeconds", None)
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": name, "namespace": ns, "labels": labels}, "spec": job_spec}
    manifests = {f"configmap-{name}.yaml": config_map, f"job-{name}.yaml": job}
    _validate(stack, manifests, project_root)
    on_cluster = f"ON CLUSTER '{CLUSTER_NAME}'"
    steps = [
        f"Restore {backup} into the side database {into} (the live tables are untouched): oc apply -f configmap-{name}.yaml -f job-{name}.yaml",
        f"Wait and read the row counts it prints: oc -n {ns} wait job/{name} --for=condition=Complete --timeout=6h; oc -n {ns} logs job/{name}",
        _stop_writing(config),
        f"Swap each table, atomically: EXCHANGE TABLES {DATABASE}.<table> AND {into}.<table> {on_cluster} "
        f"(for every table `SELECT name FROM system.tables WHERE database = '{into}'` lists)",
        _start_writing(config),
        f"When satisfied, drop the side database (now holding the replaced tables): DROP DATABASE {into} {on_cluster} SYNC",
    ]
    return RestorePlan(manifests, None, steps)
