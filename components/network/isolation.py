"""NamespaceIsolation: default deny (ingress and egress) for every pod of a namespace, then one NetworkPolicy
per local destination (its ingress rules) and per local source (its egress rules), one rule per flow.

A flow between two local pods needs both halves; a flow from another namespace needs only the ingress
half here (that namespace's policies, if any, govern its egress); a flow to addresses or other namespaces
needs only the egress half. Ports are numbers, never names, so a policy reads the same as the table it
came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import MANAGED_BY
from components.network.model import Flow, Pods

DEFAULT_DENY = "default-deny"


@dataclass(frozen=True)
class NamespaceIsolationArgs:
    namespace: pulumi.Input[str]
    flows: tuple[Flow, ...]


def _rule(direction: str, flow: Flow) -> dict[str, Any]:
    peer = flow.source if direction == "from" else flow.destination
    rule: dict[str, Any] = {direction: peer.peers()}
    if flow.ports:
        rule["ports"] = [p.manifest() for p in flow.ports]
    return rule


def policy_specs(flows: tuple[Flow, ...]) -> dict[str, dict[str, Any]]:
    """NetworkPolicy name -> spec, for the flows given."""
    specs: dict[str, dict[str, Any]] = {DEFAULT_DENY: {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}}
    ingress: dict[str, tuple[Pods, list[dict[str, Any]]]] = {}
    egress: dict[str, tuple[Pods, list[dict[str, Any]]]] = {}
    for flow in flows:
        if isinstance(flow.destination, Pods):
            ingress.setdefault(flow.destination.name, (flow.destination, []))[1].append(_rule("from", flow))
        if isinstance(flow.source, Pods):
            egress.setdefault(flow.source.name, (flow.source, []))[1].append(_rule("to", flow))
    for name, (pods, rules) in ingress.items():
        specs[f"allow-to-{name}"] = {"podSelector": pods.selector(), "policyTypes": ["Ingress"], "ingress": rules}
    for name, (pods, rules) in egress.items():
        specs[f"allow-from-{name}"] = {"podSelector": pods.selector(), "policyTypes": ["Egress"], "egress": rules}
    return specs


class NamespaceIsolation(pulumi.ComponentResource):
    def __init__(self, name: str, args: NamespaceIsolationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:network:NamespaceIsolation", name, None, opts)
        labels = {"app.kubernetes.io/part-of": "langfuse", "app.kubernetes.io/managed-by": MANAGED_BY}
        names = []
        for policy, spec in policy_specs(args.flows).items():
            k8s.networking.v1.NetworkPolicy(
                f"{name}-{policy}",
                metadata=k8s.meta.v1.ObjectMetaArgs(name=policy, namespace=args.namespace, labels=labels),
                spec=spec,
                opts=pulumi.ResourceOptions(parent=self),
            )
            names.append(policy)
        self.register_outputs({"policies": names})
