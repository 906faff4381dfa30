"""The flows of an operator's namespace. The operator's own ports (webhooks, aggregated APIs, metrics,
traffic between its components) are the vendor's and change between versions, so they are not listed:
instead the sources are — the host network (the API server), the monitoring namespaces and the namespace
itself. What the operator connects to is listed exactly."""

from __future__ import annotations

from components.network.model import Addresses, Flow, Pods, Port
from components.network.openshift import DNS, DNS_PORTS, HOST_NETWORK, MONITORING
from components.platform.catalog import OperatorPackage

OPERATOR_PODS = Pods("operator", {})


def operator_flows(package: OperatorPackage, api_server: Addresses, api_server_port: int) -> tuple[Flow, ...]:
    return (
        Flow(HOST_NETWORK, OPERATOR_PODS, (), "the API server: webhooks, aggregated APIs"),
        Flow(MONITORING, OPERATOR_PODS, (), "metrics"),
        Flow(OPERATOR_PODS, OPERATOR_PODS, (), "the operator's own components"),
        Flow(OPERATOR_PODS, api_server, (Port(api_server_port),), "watches and updates its resources"),
        Flow(OPERATOR_PODS, DNS, DNS_PORTS, "name resolution"),
        *(Flow(OPERATOR_PODS, reach.destination, reach.ports, reach.reason) for reach in package.reaches),
    )
