"""Monitoring, alerting and dashboards of an environment."""

from __future__ import annotations

from pydantic import Field

from infra.stack_config.base import Model, SecretsManagerRef
from infra.stack_config.types import DnsName, HttpsUrl, SlackChannel


class SlackConfig(Model):
    """Where alerts go. The incoming-webhook URL stays in Secrets Manager."""

    webhook: SecretsManagerRef = Field(description="Secrets Manager reference {secretsManagerName, property} to the Slack incoming-webhook URL")
    critical_channel: SlackChannel = Field(description="channel for critical alerts, e.g. #langfuse-pager")
    warning_channel: SlackChannel = Field(description="channel for warnings, e.g. #langfuse-alerts")


class GrafanaConfig(Model):
    """A Grafana with the environment's dashboards, signing in through the stack's Red Hat SSO realm."""

    client_id: str = Field(min_length=1, description="OIDC client of Grafana in the SSO realm")
    client_secret: SecretsManagerRef = Field(description="Secrets Manager reference {secretsManagerName, property} to that client's secret")
    admin_group: str = Field(default="langfuse-admins", min_length=1, description="SSO group whose members are Grafana admins (others: viewers)")
    hostname: DnsName | None = Field(default=None, description="host of Grafana's Route; default grafana-<namespace>.<cluster.appsDomain>")


class MonitoringConfig(Model):
    """Metrics into OpenShift user-workload monitoring, alerts, probes and dashboards."""

    exporter_replicas: int = Field(default=2, ge=1, le=5, description="replicas of the statsd and blackbox exporters")
    ingestion_backlog_alert: int = Field(
        default=10000, ge=100, description="alert when an ingestion queue holds more waiting jobs than this and keeps growing"
    )
    postgres_backup_max_age_hours: int = Field(
        default=26, ge=2, le=24 * 8, description="alert when the newest PostgreSQL base backup is older (daily schedule: 26)"
    )
    grafana: GrafanaConfig | None = Field(default=None, description="Grafana with dashboards (needs sso.enabled)")
    slack: SlackConfig | None = Field(default=None, description="route alerts to Slack (unset: alerts stay in the console)")
    runbook_base_url: HttpsUrl = Field(
        default="https://github.com/acme/langfuse-rosa/blob/main/docs/runbooks",
        description="where this repository's docs/runbooks is browsable; alerts link runbooks under it",
    )
