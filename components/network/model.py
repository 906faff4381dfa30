"""The vocabulary of network flows: who (pods here, pods in other namespaces, addresses) may reach whom, on
which ports, and why. NamespaceIsolation turns a list of flows into NetworkPolicies."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass(frozen=True)
class Port:
    number: int
    protocol: Literal["TCP", "UDP"] = "TCP"

    def manifest(self) -> dict[str, Any]:
        return {"port": self.number, "protocol": self.protocol}


def tcp(*numbers: int) -> tuple[Port, ...]:
    return tuple(Port(n) for n in numbers)


@dataclass(frozen=True)
class Pods:
    """Pods of the namespace the policies live in."""

    name: str
    labels: Mapping[str, str]

    def peers(self) -> list[dict[str, Any]]:
        return [{"podSelector": self.selector()}]

    def selector(self) -> dict[str, Any]:
        return {"matchLabels": dict(self.labels)} if self.labels else {}


@dataclass(frozen=True)
class NamespacePods:
    """Pods of other namespaces, chosen by namespace labels (OpenShift's policy groups where they exist) and,
    optionally, pod labels."""

    name: str
    namespace_labels: Mapping[str, str]
    pod_labels: Mapping[str, str] = field(default_factory=dict)

    def peers(self) -> list[dict[str, Any]]:
        namespaces = {"matchLabels": dict(self.namespace_labels)} if self.namespace_labels else {}  # {}: every namespace
        peer: dict[str, Any] = {"namespaceSelector": namespaces}
        if self.pod_labels:
            peer["podSelector"] = {"matchLabels": dict(self.pod_labels)}
        return [peer]


@dataclass(frozen=True)
class Addresses:
    """Addresses outside the pod network; `excluded` networks (the cluster's own) are carved out."""

    name: str
    cidrs: tuple[str, ...]
    excluded: tuple[str, ...] = ()

    def peers(self) -> list[dict[str, Any]]:
        peers = []
        for cidr in self.cidrs:
            network = ipaddress.IPv4Network(cidr)
            # An `except` must lie inside its cidr (the API rejects it otherwise).
            carved = [e for e in self.excluded if ipaddress.IPv4Network(e).subnet_of(network) and ipaddress.IPv4Network(e) != network]
            block: dict[str, Any] = {"cidr": cidr}
            if carved:
                block["except"] = carved
            peers.append({"ipBlock": block})
        return peers


Peer = Pods | NamespacePods | Addresses


@dataclass(frozen=True)
class Flow:
    source: Peer
    destination: Peer
    ports: tuple[Port, ...]  # empty: every port
    reason: str


@dataclass(frozen=True)
class Reach:
    """Where an operator's pods connect to, besides the API server and DNS."""

    destination: NamespacePods
    ports: tuple[Port, ...]
    reason: str
