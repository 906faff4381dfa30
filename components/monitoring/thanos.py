"""Reading one namespace's metrics from OpenShift's Thanos querier: the tenancy port and the role it checks.

The querier's port 9092 ("tenancy") is kube-rbac-proxy in front of prom-label-proxy: a request must carry
`namespace=<ns>`, is authorised as `get pods.metrics.k8s.io` in that namespace, and has the namespace label
enforced on every selector; it serves only /api/v1/query, query_range, labels, label values and series
(openshift/cluster-monitoring-operator, jsonnet/components/thanos-querier.libsonnet). Red Hat's Custom
Metrics Autoscaler documentation grants exactly the rules below to a service account that reads it.
Port 9091 needs `cluster-monitoring-view` and returns every namespace's series.
"""

from __future__ import annotations

import pulumi_kubernetes as k8s

THANOS_TENANCY_URL = "https://thanos-querier.openshift-monitoring.svc.cluster.local:9092"


def namespace_metrics_reader_rules() -> list[k8s.rbac.v1.PolicyRuleArgs]:
    """The namespaced Role rules the tenancy port authorises a reader by."""
    return [
        k8s.rbac.v1.PolicyRuleArgs(api_groups=[""], resources=["pods"], verbs=["get"]),
        k8s.rbac.v1.PolicyRuleArgs(api_groups=["metrics.k8s.io"], resources=["pods"], verbs=["get", "list", "watch"]),
    ]
