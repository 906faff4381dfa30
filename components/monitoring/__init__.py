"""Metrics, alerts and dashboards: OpenShift user-workload monitoring for every store and for Langfuse."""
