"""Alert: one alerting rule as its owner declares it (components/<owner>/alerts.py), rendered into the
namespace's PrometheusRule by prometheus_rule.py. Stdlib only, so every owner can import it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Alert:
    name: str
    severity: str  # critical | warning
    expr: str
    for_: str
    summary: str
    description: str
    runbook: str  # file in docs/runbooks, without .md
    group: str


def in_namespace(namespace: str) -> str:
    """The matcher every selector carries: Thanos Ruler scopes a user namespace's rules to it anyway."""
    return f'namespace="{namespace}"'


def cronjob_success_age(namespace: str, cronjob: str) -> str:
    """Seconds since the last successful run of the CronJobs matching `cronjob` (a regex), per CronJob
    (kube-state-metrics' kube_cronjob_status_last_successful_time)."""
    return f'time() - max by (cronjob) (kube_cronjob_status_last_successful_time{{{in_namespace(namespace)},cronjob=~"{cronjob}"}})'
