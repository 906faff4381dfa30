"""Who can reach whom: the matrix of allowed (source, destination, port) computed from the rendered
NetworkPolicies alone, with Kubernetes' semantics (a pod selected by no policy of a direction is open in that
direction; selected pods accept the union of their policies' rules; a connection needs the source's egress
and the destination's ingress).

The endpoints are the pods the plan renders (workloads, and the pods operators create from its custom
resources, with the labels those operators document), the OpenShift pods the namespace talks to (with the
labels the platform sets), a pod of an unrelated namespace, and addresses: one per ipBlock in the policies
plus a canary outside all of them. Pod IPs are drawn from OpenShift's default pod network so an ipBlock that
fails to carve it out shows up as an extra flow. Pairs that no rendered policy governs (neither side
isolated) belong to other stacks and are left out.
"""

from __future__ import annotations

import functools
import ipaddress
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.clickhouse.contract import CHOP_POD_LABELS, keeper_labels, server_labels
from components.platform.catalog import CERT_MANAGER_OPERAND_NAMESPACE, CLUSTER_OPERATORS
from components.postgres.contract import instance_labels
from infra.offline_plan.render import RenderedObject

CANARY_PORT = (22, "TCP")
CANARY_ADDRESS = "198.51.100.7"  # TEST-NET-2: outside any network a stack should name
POD_NETWORK = ipaddress.IPv4Network("10.128.0.0/14")

# Labels of the pods operators create from the plan's custom resources (their documentation):
# CloudNativePG "Labels and annotations"; Altinity clickhouse-operator's chi/chk labels; the Grafana
# operator copies spec.deployment.spec.template.metadata.labels.
_OPERATOR_POD_LABELS = {
    "Cluster": lambda name, manifest: instance_labels(name),
    "ClickHouseInstallation": lambda name, manifest: {**server_labels(name), **CHOP_POD_LABELS},
    "ClickHouseKeeperInstallation": lambda name, manifest: keeper_labels(name),
    "Grafana": lambda name, manifest: {
        "app": name,
        **manifest["spec"].get("deployment", {}).get("spec", {}).get("template", {}).get("metadata", {}).get("labels", {}),
    },
}


@dataclass(frozen=True)
class Endpoint:
    name: str
    namespace: str | None  # None: an address outside the cluster
    namespace_labels: Mapping[str, str] = field(default_factory=dict)
    pod_labels: Mapping[str, str] = field(default_factory=dict)
    address: str = ""


def _platform_namespace(name: str, **labels: str) -> dict[str, str]:
    return {"kubernetes.io/metadata.name": name, **labels}


# The OpenShift side, by the labels OpenShift sets on these namespaces and pods (4.18 and later).
PLATFORM_ENDPOINTS = (
    Endpoint(
        "openshift-router",
        "openshift-ingress",
        _platform_namespace("openshift-ingress", **{"policy-group.network.openshift.io/ingress": "", "network.openshift.io/policy-group": "ingress"}),
        {"ingresscontroller.operator.openshift.io/deployment-ingresscontroller": "default"},
    ),
    Endpoint(
        "user-workload-prometheus",
        "openshift-user-workload-monitoring",
        _platform_namespace("openshift-user-workload-monitoring", **{"network.openshift.io/policy-group": "monitoring"}),
        {"app.kubernetes.io/name": "prometheus"},
    ),
    Endpoint(
        "thanos-querier",
        "openshift-monitoring",
        _platform_namespace("openshift-monitoring", **{"network.openshift.io/policy-group": "monitoring"}),
        {"app.kubernetes.io/name": "thanos-query"},
    ),
    Endpoint("openshift-dns", "openshift-dns", _platform_namespace("openshift-dns"), {"dns.operator.openshift.io/daemonset-dns": "default"}),
    # Host-network processes: the API server calling webhooks (OVN-Kubernetes maps them to this policy group).
    Endpoint("host-network", "default", _platform_namespace("default", **{"policy-group.network.openshift.io/host-network": ""}), {}),
    *(Endpoint(f"operator:{p.namespace}", p.namespace, _platform_namespace(p.namespace), {"app": "operator"}) for p in CLUSTER_OPERATORS),
    Endpoint("external-secrets", "external-secrets", _platform_namespace("external-secrets"), {"app.kubernetes.io/name": "external-secrets"}),
    # cert-manager's controller, webhook and cainjector, which Red Hat's operator deploys (its bindata labels them
    # app.kubernetes.io/instance: cert-manager).
    Endpoint(
        "cert-manager",
        CERT_MANAGER_OPERAND_NAMESPACE,
        _platform_namespace(CERT_MANAGER_OPERAND_NAMESPACE),
        {"app.kubernetes.io/instance": "cert-manager", "app": "webhook"},
    ),
    Endpoint("another-namespace", "another-team", _platform_namespace("another-team"), {"app": "anything"}),
)


def _pod_groups(objects: list[RenderedObject]) -> list[Endpoint]:
    namespaces = {
        o.name: {**o.manifest["metadata"].get("labels", {}), "kubernetes.io/metadata.name": o.name} for o in objects if o.kind == "Namespace"
    }
    groups = []
    for o in objects:
        ns = o.manifest["metadata"].get("namespace")
        if o.kind in ("Deployment", "StatefulSet", "Job", "CronJob"):
            spec = o.manifest["spec"]["jobTemplate"]["spec"] if o.kind == "CronJob" else o.manifest["spec"]
            labels = spec["template"]["metadata"]["labels"]
            # A migration Job is named per version; the matrix names it by what it is.
            name = f"{labels['app.kubernetes.io/name']}-{labels['app.kubernetes.io/component']}" if o.kind == "Job" else o.name
        elif o.kind in _OPERATOR_POD_LABELS:
            labels, name = _OPERATOR_POD_LABELS[o.kind](o.name, o.manifest), f"{o.kind}/{o.name}"
        else:
            continue
        groups.append(Endpoint(name, ns, namespaces.get(ns, {"kubernetes.io/metadata.name": ns}), labels))
    return groups


def _selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return True
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expr in selector.get("matchExpressions", []):
        key, op, values = expr["key"], expr["operator"], expr.get("values", [])
        present = key in labels
        if not {
            "In": present and labels[key] in values,
            "NotIn": not present or labels[key] not in values,
            "Exists": present,
            "DoesNotExist": not present,
        }[op]:
            return False
    return True


def _peer_matches(peer: Mapping[str, Any], policy_ns: str, endpoint: Endpoint, address: ipaddress.IPv4Address | None) -> bool:
    if "ipBlock" in peer:
        return address is not None and _in_block(address, _network(peer["ipBlock"]["cidr"]), _exceptions(peer["ipBlock"]))
    if endpoint.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], endpoint.namespace_labels):
            return False
    elif endpoint.namespace != policy_ns:
        return False
    return _selects(peer.get("podSelector", {}), endpoint.pod_labels)


def _in_block(
    address: ipaddress.IPv4Address, network: ipaddress.IPv4Network, exceptions: tuple[ipaddress.IPv4Network, ...]
) -> bool:
    return address in network and not any(address in e for e in exceptions)


@functools.cache
def _network(cidr: str) -> ipaddress.IPv4Network:
    return ipaddress.IPv4Network(cidr)


def _exceptions(block: Mapping[str, Any]) -> tuple[ipaddress.IPv4Network, ...]:
    return tuple(_network(e) for e in block.get("except", []))


def _port_matches(rule_ports: list[Mapping[str, Any]] | None, port: tuple[int, str]) -> bool:
    if not rule_ports:
        return True
    for p in rule_ports:
        if p.get("protocol", "TCP") != port[1]:
            continue
        if "port" not in p:
            return True
        assert isinstance(p["port"], int), f"named port {p['port']!r}: policies here use numbers"
        if p["port"] <= port[0] <= p.get("endPort", p["port"]):
            return True
    return False


@dataclass(frozen=True)
class Policy:
    namespace: str
    spec: Mapping[str, Any]

    def isolates(self, endpoint: Endpoint, direction: str) -> bool:
        types = self.spec.get("policyTypes") or (["Ingress", "Egress"] if "egress" in self.spec else ["Ingress"])
        return endpoint.namespace == self.namespace and direction in types and _selects(self.spec.get("podSelector", {}), endpoint.pod_labels)


_SIDES = {"Ingress": ("ingress", "from"), "Egress": ("egress", "to")}


class _Network:
    """The endpoints, indexed so that each rule is matched against the few endpoints it can select (the pods
    of its own namespace, of the namespaces its selector can pick, or every address for an ipBlock) rather
    than against every endpoint: the work grows with what the policies allow, not with endpoints squared."""

    def __init__(self, endpoints: tuple[Endpoint, ...], ports: list[tuple[int, str]]) -> None:
        self.endpoints = endpoints
        self.ports = ports
        self.addresses = [ipaddress.IPv4Address(e.address) if e.address else None for e in endpoints]
        self.everyone = frozenset(range(len(endpoints)))
        self.by_namespace: dict[str, list[int]] = {}
        # Namespaces as the endpoints label them (two endpoints of one namespace may carry different labels).
        self.namespace_groups: dict[tuple[str, frozenset[tuple[str, str]]], list[int]] = {}
        for i, e in enumerate(endpoints):
            if e.namespace is not None:
                self.by_namespace.setdefault(e.namespace, []).append(i)
                self.namespace_groups.setdefault((e.namespace, frozenset(e.namespace_labels.items())), []).append(i)
        self.groups_by_label: dict[tuple[str, str], list[tuple[str, frozenset[tuple[str, str]]]]] = {}
        for group in self.namespace_groups:
            for label in group[1]:
                self.groups_by_label.setdefault(label, []).append(group)
        self._matched: dict[tuple[str, str], frozenset[int]] = {}

    def port_mask(self, rule_ports: list[Mapping[str, Any]] | None) -> int:
        """The rule's ports as a bit set over self.ports."""
        return sum(1 << bit for bit, port in enumerate(self.ports) if _port_matches(rule_ports, port))

    def rule_peers(self, peers: list[Mapping[str, Any]] | None, policy_ns: str) -> frozenset[int]:
        if not peers:
            return self.everyone
        return frozenset().union(*(self._peer(peer, policy_ns) for peer in peers))

    def _peer(self, peer: Mapping[str, Any], policy_ns: str) -> frozenset[int]:
        # The same peer recurs across policies (DNS, monitoring, ...): match each once. Pod-selecting peers
        # without a namespace selector depend on the policy's namespace.
        key = (json.dumps(peer, sort_keys=True), policy_ns if "ipBlock" not in peer and "namespaceSelector" not in peer else "")
        if key not in self._matched:
            candidates = self._superset(peer, policy_ns)
            endpoints, addresses = self.endpoints, self.addresses
            self._matched[key] = frozenset(i for i in candidates if _peer_matches(peer, policy_ns, endpoints[i], addresses[i]))
        return self._matched[key]

    def _superset(self, peer: Mapping[str, Any], policy_ns: str) -> Iterable[int]:
        """A superset of the endpoints the peer matches."""
        if "ipBlock" in peer:
            return self.everyone
        if "namespaceSelector" not in peer:
            return self.by_namespace.get(policy_ns, [])
        required = (peer["namespaceSelector"] or {}).get("matchLabels") or {}
        groups: Iterable[tuple[str, frozenset[tuple[str, str]]]] = self.namespace_groups
        if required:
            groups = min((self.groups_by_label.get(label, []) for label in required.items()), key=len)
        return [i for group in groups for i in self.namespace_groups[group]]


def _allowed(policies: list[Policy], network: _Network) -> set[tuple[str, str, str]]:
    """Every (source, destination, port) both sides let through, at least one side governing it."""
    endpoints, ports = network.endpoints, network.ports
    by_namespace: dict[str, list[Policy]] = {}
    for p in policies:
        by_namespace.setdefault(p.namespace, []).append(p)
    # masks[direction][i]: {peer endpoint: allowed ports} for endpoint i, from the policies that select it;
    # absent when no policy of that direction selects it (open that way).
    masks: dict[str, dict[int, dict[int, int]]] = {"Ingress": {}, "Egress": {}}
    rules: dict[tuple[int, str], list[tuple[frozenset[int], int]]] = {}
    for i, e in enumerate(endpoints):
        for direction, (key, side) in _SIDES.items():
            candidates = by_namespace.get(e.namespace, []) if e.namespace is not None else []
            selecting = [p for p in candidates if p.isolates(e, direction)]
            if not selecting:
                continue
            allowed = masks[direction].setdefault(i, {})
            for p in selecting:
                if (id(p), direction) not in rules:
                    rules[id(p), direction] = [
                        (network.rule_peers(rule.get(side), p.namespace), network.port_mask(rule.get("ports")))
                        for rule in p.spec.get(key) or []
                    ]
                for peers, mask in rules[id(p), direction]:
                    if mask:
                        for j in peers:
                            allowed[j] = allowed.get(j, 0) | mask
    everything = (1 << len(ports)) - 1
    egress, ingress = masks["Egress"], masks["Ingress"]
    pairs: dict[tuple[int, int], int] = {}
    for src, reachable in egress.items():
        for dst, mask in reachable.items():
            pairs[src, dst] = mask & (ingress[dst].get(src, 0) if dst in ingress else everything)
    for dst, admitted in ingress.items():
        for src, mask in admitted.items():
            if src not in egress:
                pairs[src, dst] = mask
    labels = [f"{n}/{p}" for n, p in ports]
    return {
        (endpoints[src].name, endpoints[dst].name, labels[bit])
        for (src, dst), mask in pairs.items()
        for bit in range(len(ports))
        if mask >> bit & 1
    }


@dataclass(frozen=True)
class Reachability:
    endpoints: tuple[Endpoint, ...]
    ports: tuple[str, ...]  # every port the policies name, and the canary
    allowed: frozenset[tuple[str, str, str]]  # (source, destination, "port/PROTO")

    def rows(self) -> list[tuple[str, str, str]]:
        """(source, destination, ports) per connected pair, ports sorted; "any" when every port is open."""
        pairs: dict[tuple[str, str], set[str]] = {}
        for src, dst, port in self.allowed:
            pairs.setdefault((src, dst), set()).add(port)
        return [(s, d, "any" if ports == set(self.ports) else " ".join(sorted(ports, key=_port_order))) for (s, d), ports in sorted(pairs.items())]

    def markdown(self, stack: str) -> str:
        lines = [
            f"# Network reachability: {stack}",
            "",
            "Computed from this plan's NetworkPolicies alone (infra/offline_plan/reachability.py): every allowed",
            "(source, destination, port). Everything not listed is denied.",
            "",
            f"`ip:<cidr>` stands for an address inside an ipBlock the policies name. `ip:{CANARY_ADDRESS}` is a canary: an",
            "address outside every ipBlock (TEST-NET-2, RFC 5737, which no network uses), tried with every port the",
            f"policies name and one they never name ({CANARY_PORT[0]}/{CANARY_PORT[1]}). It belongs to no one: a row",
            "with the canary means a rule admits any address (0.0.0.0/0 or a missing `to`/`from`), and `any` in the",
            "ports column means a rule admits every port, the canary port included.",
            "",
            "| source | destination | ports |",
            "|---|---|---|",
        ]
        lines += [f"| {s} | {d} | {p} |" for s, d, p in self.rows()]
        return "\n".join(lines) + "\n"


def reachability(objects: list[RenderedObject]) -> Reachability | None:
    policies = [Policy(o.manifest["metadata"]["namespace"], o.manifest["spec"]) for o in objects if o.kind == "NetworkPolicy"]
    if not policies:
        return None
    blocks = [
        peer["ipBlock"]
        for p in policies
        for key, side in (("ingress", "from"), ("egress", "to"))
        for rule in p.spec.get(key) or []
        for peer in rule.get(side) or []
        if "ipBlock" in peer
    ]
    addresses = {f"ip:{b['cidr']}": _representative(b) for b in blocks} | {f"ip:{CANARY_ADDRESS}": CANARY_ADDRESS}
    pods = [*_pod_groups(objects), *PLATFORM_ENDPOINTS]
    pod_ips = POD_NETWORK.hosts()
    pods = [Endpoint(e.name, e.namespace, e.namespace_labels, e.pod_labels, str(next(pod_ips))) for e in pods]
    endpoints = (*pods, *(Endpoint(name, None, address=address) for name, address in addresses.items()))
    ports = sorted(set(_policy_ports(policies)) | {CANARY_PORT})
    allowed = _allowed(policies, _Network(endpoints, ports))
    return Reachability(tuple(endpoints), tuple(f"{n}/{p}" for n, p in ports), frozenset(allowed))


def _port_order(port: str) -> tuple[str, int]:
    number, proto = port.split("/")
    return proto, int(number)


def _representative(block: Mapping[str, Any]) -> str:
    """An address of the block outside its exceptions."""
    network, excluded = _network(block["cidr"]), _exceptions(block)
    for candidate in _candidates(network):
        if not any(candidate in e for e in excluded):
            return str(candidate)
    raise ValueError(f"ipBlock {block['cidr']} has no address outside its exceptions")


def _candidates(network: ipaddress.IPv4Network) -> Iterable[ipaddress.IPv4Address]:
    if network.num_addresses == 1:
        yield network.network_address
        return
    yield network.network_address + 1
    yield network.broadcast_address - 1


def _policy_ports(policies: list[Policy]) -> Iterable[tuple[int, str]]:
    for p in policies:
        for key in ("ingress", "egress"):
            for rule in p.spec.get(key) or []:
                for port in rule.get("ports") or []:
                    if "port" in port:
                        yield port["port"], port.get("protocol", "TCP")
