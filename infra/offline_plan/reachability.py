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

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from components.clickhouse.installation import CHOP_POD_LABELS, keeper_labels, server_labels
from components.platform.catalog import CERT_MANAGER_OPERAND_NAMESPACE, CLUSTER_OPERATORS
from components.postgres.cluster import instance_labels
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


# The OpenShift side, by the labels OpenShift 4.16-4.18 sets on these namespaces and pods.
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


def _in_block(address: str, block: Mapping[str, Any]) -> bool:
    ip = ipaddress.IPv4Address(address)
    return ip in ipaddress.IPv4Network(block["cidr"]) and not any(ip in ipaddress.IPv4Network(e) for e in block.get("except", []))


def _peer_matches(peer: Mapping[str, Any], policy_ns: str, endpoint: Endpoint) -> bool:
    if "ipBlock" in peer:
        return bool(endpoint.address) and _in_block(endpoint.address, peer["ipBlock"])
    if endpoint.namespace is None:
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], endpoint.namespace_labels):
            return False
    elif endpoint.namespace != policy_ns:
        return False
    return _selects(peer.get("podSelector", {}), endpoint.pod_labels)


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

    def allows(self, direction: str, peer_endpoint: Endpoint, port: tuple[int, str]) -> bool:
        key, side = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        for rule in self.spec.get(key) or []:
            peers = rule.get(side)
            if (not peers or any(_peer_matches(p, self.namespace, peer_endpoint) for p in peers)) and _port_matches(rule.get("ports"), port):
                return True
        return False


def _side(selecting: list[Policy], direction: str, peer: Endpoint, port: tuple[int, str]) -> tuple[bool, bool]:
    """(governed, allowed) for one direction of one endpoint, given the policies that select it."""
    if not selecting:
        return False, True
    return True, any(p.allows(direction, peer, port) for p in selecting)


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
    selecting = {
        (e.name, direction): [p for p in policies if p.isolates(e, direction)] for e in endpoints for direction in ("Ingress", "Egress")
    }
    allowed = set()
    for src in endpoints:
        for dst in endpoints:
            for port in ports:
                egress_governed, egress_ok = _side(selecting[src.name, "Egress"], "Egress", dst, port)
                ingress_governed, ingress_ok = _side(selecting[dst.name, "Ingress"], "Ingress", src, port)
                if (egress_governed or ingress_governed) and egress_ok and ingress_ok:
                    allowed.add((src.name, dst.name, f"{port[0]}/{port[1]}"))
    return Reachability(tuple(endpoints), tuple(f"{n}/{p}" for n, p in ports), frozenset(allowed))


def _port_order(port: str) -> tuple[str, int]:
    number, proto = port.split("/")
    return proto, int(number)


def _representative(block: Mapping[str, Any]) -> str:
    """An address of the block outside its exceptions."""
    network = ipaddress.IPv4Network(block["cidr"])
    excluded = [ipaddress.IPv4Network(e) for e in block.get("except", [])]
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
