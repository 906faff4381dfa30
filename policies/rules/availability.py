"""High availability, with thresholds per environment: replicas and a PDB for every workload, zone spread,
PostgreSQL instances, an odd Keeper ensemble, a Sentinel majority."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from .base import (
    CLICKHOUSE,
    CNPG_CLUSTER,
    KEEPER,
    WORKLOADS,
    Config,
    Rule,
    Setting,
    Subject,
    dig,
    is_kubernetes,
    namespace,
    pod_specs,
)

ZONE = "topology.kubernetes.io/zone"
_SENTINEL_MONITOR = re.compile(r"^\s*sentinel monitor \S+ \S+ \S+ (\d+)\s*$", re.MULTILINE)


def _pod_labels(subject: Subject) -> Mapping[str, Any]:
    return dig(subject.props, "spec", "template", "metadata", "labels") or {}


def _selects(selector: Mapping[str, Any], labels: Mapping[str, Any]) -> bool:
    wanted = selector.get("matchLabels") or {}
    return bool(wanted) and all(labels.get(k) == v for k, v in wanted.items()) and not selector.get("matchExpressions")


# A workload that must never run twice at once (a controller without leader election, the usage exporter that
# would double Langfuse's load and the series) declares it, with its reason; it must then use Recreate.
SINGLE_INSTANCE_ANNOTATION = "langfuse-rosa/single-instance"


def workload_replicas(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    floor = config["minReplicas"]
    autoscaled = {
        (namespace(h), dig(h.props, "spec", "scaleTargetRef", "name")): dig(h.props, "spec", "minReplicas") or 1
        for h in subjects
        if is_kubernetes(h.type, "HorizontalPodAutoscaler")
    }
    # KEDA's ScaledObject (it manages an HPA of its own) sets the floor for its target the same way.
    autoscaled.update(
        {
            (namespace(s), dig(s.props, "spec", "scaleTargetRef", "name")): dig(s.props, "spec", "minReplicaCount") or 0
            for s in subjects
            if s.type == "kubernetes:keda.sh/v1alpha1:ScaledObject"
        }
    )
    # Leader-elected workloads that cannot run a second replica run exactly one.
    singletons = set(config["singleReplicaWorkloads"])
    problems = []
    for w in subjects:
        if w.type not in WORKLOADS:
            continue
        name = dig(w.props, "metadata", "name")
        replicas = autoscaled.get((namespace(w), name), dig(w.props, "spec", "replicas"))
        replicas = 1 if replicas is None else replicas
        # Exempt from the floor: a workload the environment's policy config names (e.g. a leader-elected
        # operator whose second replica never turns ready), or one that declares itself a single instance
        # and cannot run two at once (Recreate).
        named = f"{namespace(w)}/{name}" in singletons
        single = SINGLE_INSTANCE_ANNOTATION in (dig(w.props, "metadata", "annotations") or {}) and dig(w.props, "spec", "strategy", "type") == "Recreate"
        if replicas == 1 and (named or single):
            continue
        if replicas < floor:
            problems.append((w.label, f"{name} runs {replicas} replica(s); this environment requires at least {floor}."))
    return problems


def workload_pdb(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    budgets: dict[Any, list[Subject]] = {}  # by namespace: a budget only covers pods of its own
    for s in subjects:
        if is_kubernetes(s.type, "PodDisruptionBudget"):
            budgets.setdefault(namespace(s), []).append(s)
    problems = []
    for w in subjects:
        if w.type in WORKLOADS:
            covered = any(_selects(dig(b.props, "spec", "selector") or {}, _pod_labels(w)) for b in budgets.get(namespace(w), []))
            if not covered:
                problems.append((w.label, f"{dig(w.props, 'metadata', 'name')} has no PodDisruptionBudget selecting its pods."))
        elif w.type == CNPG_CLUSTER and dig(w.props, "spec", "enablePDB") is False:
            problems.append((w.label, "CloudNativePG cluster has its PodDisruptionBudgets turned off (enablePDB: false)."))
    return problems


def _spread_mode(spec: Mapping[str, Any]) -> str | None:
    """'hard', 'soft' or None: how the pod spreads over zones."""
    modes = set()
    for constraint in spec.get("topologySpreadConstraints") or []:
        if constraint.get("topologyKey") == ZONE:
            modes.add("hard" if constraint.get("whenUnsatisfiable") == "DoNotSchedule" else "soft")
    anti = dig(spec, "affinity", "podAntiAffinity") or {}
    if any(t.get("topologyKey") == ZONE for t in anti.get("requiredDuringSchedulingIgnoredDuringExecution") or []):
        modes.add("hard")
    if any(dig(t, "podAffinityTerm", "topologyKey") == ZONE for t in anti.get("preferredDuringSchedulingIgnoredDuringExecution") or []):
        modes.add("soft")
    return "hard" if "hard" in modes else ("soft" if modes else None)


def zone_spread(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    hard = config["requireHardZoneSpread"]
    if resource_type == CNPG_CLUSTER:
        affinity = dig(props, "spec", "affinity") or {}
        mode = None
        if affinity.get("enablePodAntiAffinity") is not False and affinity.get("topologyKey") == ZONE:
            mode = "hard" if affinity.get("podAntiAffinityType") == "required" else "soft"
        found = [("PostgreSQL instances", mode)]
    elif resource_type in WORKLOADS or resource_type in (CLICKHOUSE, KEEPER):
        found = [(label, _spread_mode(spec)) for label, spec in pod_specs(resource_type, props)]
    else:
        return []
    return [
        f"{label} {'do not spread over zones' if mode is None else 'spread over zones only as a preference'}"
        f"{'; this environment requires a hard constraint' if hard and mode == 'soft' else ''}."
        for label, mode in found
        if mode is None or (hard and mode != "hard")
    ]


def postgres_instances(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if resource_type != CNPG_CLUSTER:
        return []
    instances = dig(props, "spec", "instances") or 1
    if instances < config["minPostgresInstances"]:
        return [f"PostgreSQL runs {instances} instance(s); this environment requires at least {config['minPostgresInstances']}."]
    return []


def keeper_quorum(resource_type: str, props: Mapping[str, Any], config: Config) -> list[str]:
    if resource_type != KEEPER:
        return []
    problems = []
    for cluster in dig(props, "spec", "configuration", "clusters") or []:
        replicas = dig(cluster, "layout", "replicasCount") or 1
        if replicas % 2 == 0:
            problems.append(f"Keeper ensemble {cluster.get('name')} has {replicas} members; an even ensemble tolerates no more failures than one fewer.")
        if replicas < config["minKeeperReplicas"]:
            problems.append(f"Keeper ensemble {cluster.get('name')} has {replicas} member(s); this environment requires at least {config['minKeeperReplicas']}.")
    return problems


def sentinel_quorum(subjects: Sequence[Subject], config: Config) -> list[tuple[str, str]]:
    sentinels = [
        s for s in subjects if s.type == "kubernetes:apps/v1:StatefulSet" and dig(s.props, "metadata", "labels", "app.kubernetes.io/component") == "sentinel"
    ]
    quorums = [
        int(match.group(1))
        for s in subjects
        if is_kubernetes(s.type, "ConfigMap")
        for text in (dig(s.props, "data") or {}).values()
        for match in _SENTINEL_MONITOR.finditer(str(text))
    ]
    problems = []
    for s in sentinels:
        replicas = dig(s.props, "spec", "replicas") or 1
        if replicas < config["minSentinels"] or replicas % 2 == 0:
            problems.append((s.label, f"{replicas} sentinels; this environment requires an odd number, at least {config['minSentinels']}."))
        for quorum in quorums:
            if quorum <= replicas // 2 or quorum > replicas:
                problems.append((s.label, f"Sentinel quorum {quorum} is not a majority of {replicas} sentinels."))
        if not quorums:
            problems.append((s.label, "no rendered sentinel.conf declares `sentinel monitor` with a quorum."))
    return problems


RULES: tuple[Rule, ...] = (
    Rule(
        name="workload-replicas",
        theme="high-availability",
        description="Every Deployment and StatefulSet runs at least the environment's replica floor (the HPA's minReplicas, or a KEDA ScaledObject's minReplicaCount, when autoscaled), except the named single-replica workloads, which run exactly one.",
        severity="high",
        enforcement="mandatory",
        remediation="Raise replicas (or the HPA's minReplicas) to the floor in policies/config/<environment>.json.",
        stack_check=workload_replicas,
        settings=(
            Setting("minReplicas", "integer", 2, "fewest replicas of any workload"),
            Setting(
                "singleReplicaWorkloads",
                "array",
                ["cnpg-system/barman-cloud"],
                "namespace/name of workloads that serve only from an elected leader and cannot run a second replica (the Barman Cloud Plugin)",
            ),
        ),
    ),
    Rule(
        name="workload-pdb",
        theme="high-availability",
        description="Every Deployment and StatefulSet has a PodDisruptionBudget selecting its pods; CloudNativePG keeps its own.",
        severity="high",
        enforcement="mandatory",
        remediation="Add a PodDisruptionBudget (maxUnavailable 1) whose selector matches the pod template's labels.",
        stack_check=workload_pdb,
    ),
    Rule(
        name="zone-spread",
        theme="high-availability",
        description="Workloads and database members spread over availability zones (a hard constraint where the environment requires it).",
        severity="high",
        enforcement="mandatory",
        remediation="Add a topologySpreadConstraint on topology.kubernetes.io/zone (DoNotSchedule), or zone anti-affinity.",
        check=zone_spread,
        settings=(Setting("requireHardZoneSpread", "boolean", True, "refuse preference-only zone spreading"),),
    ),
    Rule(
        name="postgres-instances",
        theme="high-availability",
        description="PostgreSQL runs at least the environment's number of instances.",
        severity="high",
        enforcement="mandatory",
        remediation="Raise dataTier.postgres.instances.",
        check=postgres_instances,
        settings=(Setting("minPostgresInstances", "integer", 3, "fewest PostgreSQL instances"),),
    ),
    Rule(
        name="keeper-quorum",
        theme="high-availability",
        description="ClickHouse Keeper ensembles are odd-sized and at least the environment's size.",
        severity="high",
        enforcement="mandatory",
        remediation="Set dataTier.clickhouse.keeperReplicas to 3 or 5.",
        check=keeper_quorum,
        settings=(Setting("minKeeperReplicas", "integer", 3, "fewest Keeper members"),),
    ),
    Rule(
        name="sentinel-quorum",
        theme="high-availability",
        description="Redis Sentinel runs an odd number of sentinels (at least the floor) whose quorum is a majority.",
        severity="high",
        enforcement="mandatory",
        remediation="Set dataTier.redis.sentinels to an odd number ≥ 3 and the quorum to a majority.",
        stack_check=sentinel_quorum,
        settings=(Setting("minSentinels", "integer", 3, "fewest sentinels"),),
    ),
)
