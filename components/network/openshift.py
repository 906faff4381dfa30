"""The OpenShift (and operator) peers the Langfuse namespace talks to, by the labels the platform sets.

- Routers: namespaces labelled `policy-group.network.openshift.io/ingress: ""` (OVN-Kubernetes; OpenShift
  docs, "Configuring multitenant isolation with network policy").
- Monitoring: namespaces labelled `network.openshift.io/policy-group: monitoring` (openshift-monitoring and
  openshift-user-workload-monitoring; same page). User-workload Prometheus scrapes from there.
- DNS: CoreDNS pods in openshift-dns listen on 5353; the dns-default Service maps 53 to it. OVN-Kubernetes
  applies egress policy after the Service is load-balanced, so 5353 is what a policy sees; 53 is allowed
  too for clusters whose DNS is reached without translation.
- Host network: namespaces labelled `policy-group.network.openshift.io/host-network: ""` stand for traffic
  from host-network processes — the API server calling webhooks and aggregated APIs (directly, or through
  the konnectivity agents of a hosted control plane). Same page, "allow-from-hostnetwork".
- Operators run in the namespaces the cluster layer creates (components/platform/catalog.py).
"""

from __future__ import annotations

from components.network.model import NamespacePods, Port

ROUTERS = NamespacePods("openshift-router", {"policy-group.network.openshift.io/ingress": ""})
MONITORING = NamespacePods("openshift-monitoring", {"network.openshift.io/policy-group": "monitoring"})
THANOS_QUERIER = NamespacePods(
    "thanos-querier", {"kubernetes.io/metadata.name": "openshift-monitoring"}, {"app.kubernetes.io/name": "thanos-query"}
)
THANOS_QUERIER_TENANCY_PORT = Port(9092)  # namespace-scoped queries (KEDA's trigger, Grafana; monitoring/thanos.py)
HOST_NETWORK = NamespacePods("host-network", {"policy-group.network.openshift.io/host-network": ""})
DNS = NamespacePods("openshift-dns", {"kubernetes.io/metadata.name": "openshift-dns"}, {"dns.operator.openshift.io/daemonset-dns": "default"})
DNS_PORTS = (Port(53, "UDP"), Port(53), Port(5353, "UDP"), Port(5353))


def operator(namespace: str) -> NamespacePods:
    return NamespacePods(namespace, {"kubernetes.io/metadata.name": namespace})
