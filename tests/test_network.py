"""NetworkPolicies: the reachability matrix computed from the rendered policies alone equals the intended one,
both ways, and every single allow rule is needed for it."""

from __future__ import annotations

import copy
from ipaddress import IPv4Address

import pytest

from infra.offline_plan.reachability import Policy, _peer_matches, _port_matches, reachability
from tests.conftest import CLUSTER_STACKS, STACKS, find, objects_of

PG, CH, KEEPER, GRAFANA = "Cluster/langfuse-postgres", "ClickHouseInstallation/langfuse", "ClickHouseKeeperInstallation/langfuse", "Grafana/langfuse-grafana"
DNS = "53/TCP 5353/TCP 53/UDP 5353/UDP"

# What the prod cluster must allow (stack prod plus its cluster layer, cluster-prod), and nothing else.
# "ip:" rows are the stacks' configured networks: the VPC (API server endpoints, AWS interface endpoints,
# the private ingress) and the SSO issuer's network. "any": every port.
INTENDED_PROD = """
openshift-router              | langfuse-web                 | 3000/TCP
openshift-router              | Grafana                      | 3000/TCP
langfuse-web                  | Postgres                     | 5432/TCP
langfuse-worker               | Postgres                     | 5432/TCP
langfuse-migration            | Postgres                     | 5432/TCP
langfuse-web                  | ClickHouse                   | 8443/TCP 9440/TCP
langfuse-worker               | ClickHouse                   | 8443/TCP 9440/TCP
langfuse-migration            | ClickHouse                   | 8443/TCP 9440/TCP
langfuse-web                  | langfuse-redis               | 6379/TCP
langfuse-worker               | langfuse-redis               | 6379/TCP
langfuse-web                  | langfuse-sentinel            | 26379/TCP
langfuse-worker               | langfuse-sentinel            | 26379/TCP
langfuse-web                  | langfuse-statsd-exporter     | 9102/TCP 9125/UDP
langfuse-worker               | langfuse-statsd-exporter     | 9102/TCP 9125/UDP
langfuse-web                  | ip:10.0.0.0/16               | 443/TCP
langfuse-worker               | ip:10.0.0.0/16               | 443/TCP
langfuse-web                  | ip:203.0.113.0/24            | 443/TCP
langfuse-worker               | ip:203.0.113.0/24            | 443/TCP
Postgres                      | Postgres                     | 5432/TCP
Postgres                      | ip:10.0.0.0/16               | 443/TCP 6443/TCP
Postgres                      | ip:203.0.113.0/24            | 443/TCP
operator:cnpg-system          | Postgres                     | 8000/TCP
ClickHouse                    | ClickHouse                   | 9010/TCP
ClickHouse                    | Keeper                       | 2281/TCP
Keeper                        | Keeper                       | 9444/TCP
operator:clickhouse-operator  | ClickHouse                   | 8443/TCP
langfuse-redis                | langfuse-redis               | 6379/TCP
langfuse-sentinel             | langfuse-redis               | 6379/TCP
langfuse-redis                | langfuse-sentinel            | 26379/TCP
langfuse-sentinel             | langfuse-sentinel            | 26379/TCP
langfuse-blackbox-exporter    | ClickHouse                   | 8443/TCP
langfuse-blackbox-exporter    | langfuse-redis               | 6379/TCP
langfuse-blackbox-exporter    | langfuse-sentinel            | 26379/TCP
langfuse-blackbox-exporter    | ip:10.0.0.0/16               | 443/TCP
langfuse-blackbox-exporter    | ip:203.0.113.0/24            | 443/TCP
Grafana                       | thanos-querier               | 9092/TCP
Grafana                       | ip:10.0.0.0/16               | 443/TCP
Grafana                       | ip:203.0.113.0/24            | 443/TCP
operator:grafana-operator     | Grafana                      | 3000/TCP
operator:openshift-keda       | thanos-querier               | 9092/TCP
langfuse-clickhouse-backup    | ClickHouse                   | 9440/TCP
langfuse-clickhouse-restore-drill | ip:10.0.0.0/16           | 443/TCP
langfuse-clickhouse-restore-drill | ip:203.0.113.0/24        | 443/TCP
ClickHouse                    | ip:10.0.0.0/16               | 443/TCP
ClickHouse                    | ip:203.0.113.0/24            | 443/TCP
langfuse-postgres-restore-drill | ip:10.0.0.0/16             | 443/TCP
langfuse-postgres-restore-drill | ip:203.0.113.0/24          | 443/TCP
Analytics                     | Analytics                    | 9010/TCP 9440/TCP
Analytics                     | AnalyticsKeeper              | 2281/TCP
AnalyticsKeeper               | AnalyticsKeeper              | 9444/TCP
Analytics                     | ip:10.0.0.0/16               | 443/TCP
Analytics                     | ip:203.0.113.0/24            | 443/TCP
analytics-loader              | Analytics                    | 9440/TCP
analytics-loader              | ip:10.0.0.0/16               | 443/TCP
analytics-loader              | ip:203.0.113.0/24            | 443/TCP
analytics-clickhouse-backup   | Analytics                    | 9440/TCP
analytics-client-schema       | Analytics                    | 9440/TCP
operator:clickhouse-operator  | Analytics                    | 8443/TCP
langfuse-blackbox-exporter    | Analytics                    | 8443/TCP
Grafana                       | Analytics                    | 8443/TCP
cert-manager                  | ip:0.0.0.0/0                 | 53/TCP 443/TCP 53/UDP
cert-manager                  | ip:198.51.100.7              | 53/TCP 443/TCP 53/UDP
cert-manager                  | ip:203.0.113.0/24            | 53/TCP 443/TCP 53/UDP
"""
# cluster-prod's operators.certManagerEgressCidrs (its ACME issuer): 443 and DNS anywhere, the VPC included.
CERT_MANAGER_VPC = "53/TCP 443/TCP 6443/TCP 53/UDP"
OPERATORS = (
    "cnpg-system", "clickhouse-operator", "external-secrets-operator", "openshift-keda", "grafana-operator", "cert-manager-operator",
    "openshift-logging",
)  # fmt: skip
# Namespaces with an operator's flows (operator_flows): the operators', cert-manager's operand namespace, and the
# Barman Cloud Plugin's Deployment, which runs in CloudNativePG's namespace and shares its policies.
OPERATOR_LIKE = (*(f"operator:{ns}" for ns in OPERATORS), "cert-manager", "barman-cloud")
SAME_NAMESPACE = {"barman-cloud": "operator:cnpg-system"}
# Both monitoring namespaces (policy group "monitoring") scrape the metrics ports, and any port of an
# operator's namespace (the vendor's metrics ports).
SCRAPED = {
    "langfuse-statsd-exporter": "9102/TCP",
    "langfuse-blackbox-exporter": "9115/TCP",
    "langfuse-redis": "9121/TCP",
    "Postgres": "9187/TCP",
    "ClickHouse": "9363/TCP",
    "Keeper": "9363/TCP",
    "Analytics": "8443/TCP 9363/TCP",  # built-in metrics, and the data's freshness over HTTPS
    "AnalyticsKeeper": "9363/TCP",
    **{pods: "any" for pods in OPERATOR_LIKE},
}
# Every pod that sends anything resolves names; the statsd exporter only receives.
RESOLVERS = (
    "langfuse-web", "langfuse-worker", "langfuse-migration", "langfuse-blackbox-exporter",
    "langfuse-redis", "langfuse-sentinel", "Postgres", "ClickHouse", "Keeper", "Grafana",
    "langfuse-clickhouse-backup", "langfuse-clickhouse-restore-drill", "langfuse-postgres-restore-drill",
    "Analytics", "AnalyticsKeeper", "analytics-loader", "analytics-clickhouse-backup", "analytics-client-schema",
    *OPERATOR_LIKE,
)  # fmt: skip
ALIASES = {"Postgres": PG, "ClickHouse": CH, "Keeper": KEEPER, "Grafana": GRAFANA,
           "Analytics": "ClickHouseInstallation/analytics", "AnalyticsKeeper": "ClickHouseKeeperInstallation/analytics"}


def _intended() -> set[tuple[str, str, str]]:
    rows = [tuple(cell.strip() for cell in line.split("|")) for line in INTENDED_PROD.strip().splitlines()]
    rows += [(monitor, target, port) for target, port in SCRAPED.items() for monitor in ("user-workload-prometheus", "thanos-querier")]
    rows += [(pods, "openshift-dns", DNS) for pods in RESOLVERS]
    for operator in OPERATOR_LIKE:
        api_server = CERT_MANAGER_VPC if operator == "cert-manager" else "6443/TCP"
        rows += [("host-network", operator, "any"), (operator, operator, "any"), (operator, "ip:10.0.0.0/16", api_server)]
    for pods, neighbour in SAME_NAMESPACE.items():
        rows += [(pods, neighbour, "any"), (neighbour, pods, "any")]
    # CloudNativePG's namespace reaches the instances' status port, the plugin's pods included.
    rows += [("barman-cloud", "Postgres", "8000/TCP")]
    # OpenShift Logging's collector sends to CloudWatch Logs and STS on 443, anywhere (audit.egressCidrs' default).
    logging = "operator:openshift-logging"
    rows.remove((logging, "ip:10.0.0.0/16", "6443/TCP"))
    rows += [(logging, "ip:10.0.0.0/16", "443/TCP 6443/TCP")] + [(logging, f"ip:{ip}", "443/TCP") for ip in ("0.0.0.0/0", "198.51.100.7", "203.0.113.0/24")]
    return {(ALIASES.get(src, src), ALIASES.get(dst, dst), ports) for src, dst, ports in rows}


def _matrix(objects) -> set[tuple[str, str, str]]:
    result = reachability(objects)
    assert result is not None
    return set(result.allowed)


def _rows(objects) -> set[tuple[str, str, str]]:
    result = reachability(objects)
    assert result is not None
    return set(result.rows())


@pytest.fixture(scope="module")
def prod_cluster(plans) -> list:
    """What runs on the prod cluster: the environment stack's objects and its cluster layer's."""
    return plans["cluster-prod"].objects + plans["prod"].objects


def test_prod_reachability_is_exactly_the_intended_matrix(prod_cluster):
    actual, intended = _rows(prod_cluster), _intended()
    assert sorted(intended - actual) == [], "intended but denied"
    assert sorted(actual - intended) == [], "allowed but not intended"


def test_removing_any_one_allow_rule_breaks_the_matrix(prod_cluster):
    baseline = _rows(prod_cluster)
    rules = [
        (i, direction, n)
        for i, o in enumerate(prod_cluster)
        if o.kind == "NetworkPolicy"
        for direction in ("ingress", "egress")
        for n in range(len(o.manifest["spec"].get(direction, [])))
    ]
    assert len(rules) > 80
    for i, direction, n in rules:
        mutated = list(prod_cluster)
        mutated[i] = copy.deepcopy(prod_cluster[i])
        del mutated[i].manifest["spec"][direction][n]
        assert _rows(mutated) != baseline, f"{prod_cluster[i].path}: {direction}[{n}] allows nothing the other rules do not"


def _by_definition(objects) -> set[tuple[str, str, str]]:
    """The matrix straight from its definition, every (source, destination, port) in turn: what the indexed
    computation in reachability.py must equal."""
    result = reachability(objects)
    assert result is not None
    policies = [Policy(o.manifest["metadata"]["namespace"], o.manifest["spec"]) for o in objects if o.kind == "NetworkPolicy"]
    ports = [(int(n), proto) for n, proto in (p.split("/") for p in result.ports)]

    def side(endpoint, direction, peer, port) -> tuple[bool, bool]:
        key, to = ("ingress", "from") if direction == "Ingress" else ("egress", "to")
        selecting = [p for p in policies if p.isolates(endpoint, direction)]
        allowed = any(
            (not rule.get(to) or any(_peer_matches(q, p.namespace, peer, IPv4Address(peer.address) if peer.address else None) for q in rule[to]))
            and _port_matches(rule.get("ports"), port)
            for p in selecting
            for rule in p.spec.get(key) or []
        )
        return bool(selecting), allowed or not selecting

    matrix = set()
    for src in result.endpoints:
        for dst in result.endpoints:
            for port in ports:
                (egress_governed, egress_ok), (ingress_governed, ingress_ok) = side(src, "Egress", dst, port), side(dst, "Ingress", src, port)
                if (egress_governed or ingress_governed) and egress_ok and ingress_ok:
                    matrix.add((src.name, dst.name, f"{port[0]}/{port[1]}"))
    return matrix


@pytest.mark.parametrize("stack", ["dev", "external", "cluster-dev", "prod-cluster"])
def test_the_indexed_matrix_equals_the_definition(plans, prod_cluster, stack):
    objects = prod_cluster if stack == "prod-cluster" else plans[stack].objects
    assert _matrix(objects) == _by_definition(objects)


def test_every_namespace_a_stack_creates_denies_by_default_both_ways(plans):
    for stack in STACKS + CLUSTER_STACKS + ("external",):
        namespaces = {o.name for o in plans[stack].objects if o.kind == "Namespace"}
        denying = {
            o.manifest["metadata"]["namespace"]
            for o in plans[stack].objects
            if o.kind == "NetworkPolicy" and o.manifest["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
        }
        # The cluster layer also isolates cert-manager's namespace, which Red Hat's operator creates.
        assert namespaces and denying - {"cert-manager"} == namespaces, stack
        assert ("cert-manager" in denying) == stack.startswith("cluster-"), stack


def test_the_https_egress_never_reaches_the_cluster_s_own_networks(plans):
    matrix = _matrix(plans["dev"].objects)
    # dev allows 443 anywhere (0.0.0.0/0) except the pod and service networks.
    assert ("langfuse-web", "ip:0.0.0.0/0", "443/TCP") in matrix
    assert ("langfuse-web", "ip:198.51.100.7", "443/TCP") in matrix
    assert not any(src == "langfuse-web" and dst == "another-namespace" for src, dst, _ in matrix)
    egress = find(plans["dev"], "NetworkPolicy", "allow-from-langfuse-web")["spec"]["egress"]
    blocks = [peer["ipBlock"] for rule in egress for peer in rule["to"] if "ipBlock" in peer]
    assert blocks == [{"cidr": "0.0.0.0/0", "except": ["10.128.0.0/14", "172.30.0.0/16"]}]


def test_nothing_outside_the_namespace_reaches_it_except_router_monitoring_and_operators(plans):
    matrix = _matrix(plans["prod"].objects)
    assert not any(src in ("another-namespace", "ip:198.51.100.7", "operator:openshift-keda") for src, _, _ in matrix)
    assert not any(port == "22/TCP" for _, _, port in matrix)


def test_external_mode_reaches_its_stores_only_on_their_ports(plans, stack_files):
    matrix = _matrix(plans["external"].objects)
    # (443 reaches these addresses too: dev-like https egress is 0.0.0.0/0 minus the cluster's networks.)
    stores = {(src, port) for src, dst, port in matrix if dst == "ip:10.20.0.0/16" and port != "443/TCP"}
    ports = {"5432/TCP", "8443/TCP", "9440/TCP", "6379/TCP", "26379/TCP"}
    assert stores == {(app, port) for app in ("langfuse-web", "langfuse-worker", "langfuse-migration") for port in ports}
    assert not objects_of(plans["external"], "StatefulSet")


def test_the_plan_writes_the_matrix(plans, tmp_path):
    plans["prod"].write(tmp_path)
    text = (tmp_path / "network" / "reachability.md").read_text()
    assert "| openshift-router | langfuse-web | 3000/TCP |" in text
    # The environment stack's own matrix: flows from operators need the cluster layer's egress too, and
    # are listed because this stack's ingress rules admit them.
    assert "| operator:cnpg-system | Cluster/langfuse-postgres | 8000/TCP |" in text
    assert plans["prod"].summary()["networkReachability"]["connectedPairs"] == text.count("\n| ") - 1  # less the header

