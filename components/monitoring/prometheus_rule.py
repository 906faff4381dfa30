"""LangfuseAlerts: the namespace's PrometheusRule, from the alerts of what the stack deploys. Each owner declares
its own (components/<owner>/alerts.py: Langfuse, PostgreSQL, ClickHouse, Redis, the data tier, the analytics
cluster, tenancy, and monitoring's probes and round trip), each alert with a severity, a summary, a description
and a runbook in docs/runbooks/; the program hands down only those of the stores and workloads it deployed
(infra/alerts.py), so no rule waits on a series nothing in the namespace exports.

OpenShift evaluates user-defined rules in Thanos Ruler, which queries platform and user-workload metrics
together (kube-state-metrics and kubelet volume stats included), scoped to the rule's namespace (series.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_kubernetes as k8s

from components.common.labels import recommended_labels
from components.monitoring.alert import Alert


def rule_groups(alerts: Sequence[Alert], runbook_base_url: str) -> list[dict]:
    """One rule group per Alert.group, in the order the groups first appear."""
    groups: dict[str, list[dict]] = {}
    for a in alerts:
        rule = {
            "alert": a.name,
            "expr": a.expr,
            "labels": {"severity": a.severity},
            "annotations": {
                "summary": a.summary,
                "description": a.description,
                "runbook_url": f"{runbook_base_url.rstrip('/')}/{a.runbook}.md#{a.name.lower()}",
            },
        }
        if a.for_ != "0m":
            rule["for"] = a.for_
        groups.setdefault(a.group, []).append(rule)
    return [{"name": f"langfuse-rosa.{name}", "rules": rules} for name, rules in groups.items()]


@dataclass(frozen=True)
class LangfuseAlertsArgs:
    namespace: str
    alerts: Sequence[Alert]  # of what the stack deploys
    runbook_base_url: str  # where docs/runbooks is browsable, e.g. https://github.com/<org>/<repo>/blob/main/docs/runbooks


class LangfuseAlerts(pulumi.ComponentResource):
    def __init__(self, name: str, args: LangfuseAlertsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("langfuse-rosa:monitoring:LangfuseAlerts", name, None, opts)
        k8s.apiextensions.CustomResource(
            "langfuse-alerts",
            api_version="monitoring.coreos.com/v1",
            kind="PrometheusRule",
            metadata=k8s.meta.v1.ObjectMetaArgs(
                name="langfuse-alerts", namespace=args.namespace, labels=recommended_labels("langfuse-alerts", "monitoring", "langfuse")
            ),
            spec={"groups": rule_groups(args.alerts, args.runbook_base_url)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs({})
