"""What the rest of the deployment knows of the monitoring workloads in the Langfuse namespace: their pods'
labels and ports, and the label Grafana's datasources and dashboards select it by. The standard library only."""

from __future__ import annotations

from components.common.labels import selector_labels

GRAFANA_NAME = "langfuse-grafana"
GRAFANA_PORT = 3000
# The Grafana pod's own labels (on top of the operator's), which NetworkPolicies select.
GRAFANA_POD_LABELS = selector_labels("grafana", "dashboards")
# The Grafana's label its datasources and dashboards select it by (theirs and components/analytics').
GRAFANA_INSTANCE_SELECTOR = {"dashboards": GRAFANA_NAME}

STATSD_PORT = 9125  # DogStatsD from Langfuse (UDP)
STATSD_METRICS_PORT = 9102
STATSD_POD_LABELS = selector_labels("statsd-exporter", "metrics")

BLACKBOX_PORT = 9115
BLACKBOX_POD_LABELS = selector_labels("blackbox-exporter", "probes")
