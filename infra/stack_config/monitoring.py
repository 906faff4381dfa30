"""Monitoring, alerting and dashboards of an environment."""

from __future__ import annotations

from pydantic import Field

from infra.stack_config.base import Model


class MonitoringConfig(Model):
    """Metrics into OpenShift user-workload monitoring, alerts to Slack, Grafana dashboards."""

    statsd_exporter_replicas: int = Field(
        default=2, ge=1, le=5, description="replicas of the exporter turning Langfuse's DogStatsD into Prometheus metrics"
    )
