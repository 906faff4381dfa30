"""AlertRouting: an AlertmanagerConfig sending the namespace's alerts to Slack, critical and warning to
their own channels, with the webhook URL from a Secret External Secrets writes.

On ROSA, user-defined alert routing needs a dedicated-admin to enable the user-workload Alertmanager
(`alertmanager.enabled` and `enableAlertmanagerConfig` in openshift-user-workload-monitoring's
user-workload-monitoring-config) and to grant the `alert-routing-edit` role in the namespace (ROSA docs,
"Enabling alert routing for user-defined projects"). Routing applies to this namespace's rules only.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels
from components.common.refs import SecretKeyRef

_TITLE = (
    '[{{ .Status | toUpper }}{{ if eq .Status "firing" }}:{{ .Alerts.Firing | len }}{{ end }}] {{ .CommonLabels.alertname }}'
    "{{ with .CommonLabels.project_namespace }} (project {{ . }}){{ end }}"
)
_TEXT = (
    "{{ range .Alerts }}*{{ .Annotations.summary }}*\n{{ .Annotations.description }}\n"
    "Runbook: {{ .Annotations.runbook_url }}\n{{ end }}"
)


@dataclass(frozen=True)
class AlertRoutingArgs:
    namespace: pulumi.Input[str]
    webhook: SecretKeyRef
    critical_channel: str
    warning_channel: str


_USAGE_ALERTS = {"name": "alertname", "value": "LangfuseProject.+", "matchType": "=~"}


def _receiver(name: str, channel: str, webhook: SecretKeyRef) -> dict:
    return {
        "name": name,
        "slackConfigs": [
            {
                "apiURL": {"name": webhook.name, "key": webhook.key},
                "channel": channel,
                "sendResolved": True,
                "title": _TITLE,
                "text": _TEXT,
            }
        ],
    }


def _inhibit(source: str, target: str, equal: list[str]) -> dict:
    return {
        "sourceMatch": [{"name": "alertname", "value": source, "matchType": "="}],
        "targetMatch": [{"name": "alertname", "value": target, "matchType": "="}],
        "equal": equal,
    }


class AlertRouting(pulumi.ComponentResource):
    def __init__(self, name: str, args: AlertRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:monitoring:AlertRouting", name, None, opts)
        k8s.apiextensions.CustomResource(
            "langfuse-slack",
            api_version="monitoring.coreos.com/v1alpha1",
            kind="AlertmanagerConfig",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="langfuse-slack", namespace=args.namespace, labels=recommended_labels("alert-routing", "monitoring", "langfuse")
            ),
            spec={
                "route": {
                    "receiver": "slack-warning",
                    "groupBy": ["alertname", "severity"],
                    "groupWait": "30s",
                    "groupInterval": "5m",
                    "repeatInterval": "4h",
                    "routes": [
                        # Cost alerts per platform project: one message per project (named in the title), a daily
                        # reminder while it lasts (a crossed budget stays crossed until the month ends).
                        {
                            "receiver": "slack-critical",
                            "matchers": [_USAGE_ALERTS, {"name": "severity", "value": "critical", "matchType": "="}],
                            "groupBy": ["alertname", "project_namespace"],
                            "repeatInterval": "24h",
                        },
                        {
                            "receiver": "slack-warning",
                            "matchers": [_USAGE_ALERTS],
                            "groupBy": ["alertname", "project_namespace"],
                            "repeatInterval": "24h",
                        },
                        {
                            "receiver": "slack-critical",
                            "matchers": [{"name": "severity", "value": "critical", "matchType": "="}],
                            "repeatInterval": "1h",
                        }
                    ],
                },
                "receivers": [
                    _receiver("slack-critical", args.critical_channel, args.webhook),
                    _receiver("slack-warning", args.warning_channel, args.webhook),
                ],
                # The critical form of an alert silences its warning form on the same object.
                "inhibitRules": [
                    _inhibit("LangfuseUnavailable", "LangfuseDegraded", ["deployment"]),
                    _inhibit("RedisMemoryAtLimit", "RedisMemoryNearLimit", ["pod"]),
                    _inhibit("PersistentVolumeFullInADay", "PersistentVolumeFillingUp", ["persistentvolumeclaim"]),
                    _inhibit("CertificateExpiresImminently", "CertificateExpiresSoon", ["instance"]),
                    _inhibit("LangfuseProjectBudgetExhausted", "LangfuseProjectBudgetThresholdCrossed", ["project_namespace"]),
                    _inhibit("LangfuseProjectBudgetExhausted", "LangfuseProjectForecastOverBudget", ["project_namespace"]),
                ],
            },
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
