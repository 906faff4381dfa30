"""The tenant controller's and the usage exporter's alerts (components/tenancy: controller.py, usage.py), over the
series their PodMonitors bring in (langfuse_incluster.contract, declared beside each PodMonitor)."""

from __future__ import annotations

from langfuse_incluster import contract as incluster

from components.monitoring.alert import Alert, in_namespace


def tenant_key_alerts(*, namespace: str) -> list[Alert]:
    """The tenant controller's keys (contract KEY_*): one that outlives its rotation period."""
    ns = in_namespace(namespace)
    age, period = f"{incluster.KEY_AGE_METRIC}{{{ns}}}", f"{incluster.KEY_ROTATION_PERIOD_METRIC}{{{ns}}}"
    return [
        Alert(
            # The controller rotates within its 10-minute timer of the due time; a day's grace covers retries.
            "LangfuseTenantKeyNotRotated", "warning", f"{age} > {period} + 86400", "30m",
            "The Langfuse key of {{ $labels.project_namespace }} has outlived its rotation period",
            "The key in langfuse-keys of {{ $labels.project_namespace }} is {{ $value | humanizeDuration }} old, over a day past "
            "its rotation: the tenant controller is failing to rotate it (status.langfuse.conditions of its ProjectSettings says why).",
            "tenancy", "tenancy",
        ),
    ]


def usage_alerts(
    *,
    namespace: str,
    langfuse_url: str,
    poll_interval_seconds: int,
    error_rate_jump: float,
    min_errors: int = 20,
    min_error_rate: float = 0.05,
) -> list[Alert]:
    """Per project (label project_namespace), from the usage exporter's series (contract USAGE_*): budgets,
    forecasts, expensive traces and sessions, error-rate jumps, and the exporter itself.

    `langfuse_url`: https://<the Route's host>, for links to traces and sessions; `poll_interval_seconds`: the
    exporter's (its usage figures refresh every second interval); `error_rate_jump`: today's error rate over the
    last 7 days' that alerts, with at least `min_errors` errors today and `min_error_rate` of today's observations."""
    ns = in_namespace(namespace)
    by = "namespace, project_namespace"
    month = f'sum by ({by}) ({incluster.USAGE_COST_METRIC}{{{ns},period="month"}})'
    threshold = f"max by ({by}, {incluster.THRESHOLD_LABEL}) ({incluster.USAGE_BUDGET_THRESHOLD_METRIC}{{{ns},{incluster.THRESHOLD_LABEL}{{op}}\"[1-9][0-9]{{2,}}\"}})"

    def crossed(op: str) -> str:  # the highest threshold (in USD) the month's cost has reached; 100 % and above or below
        return f"topk by ({by}) (1, {threshold.replace('{op}', op)} <= on ({by}) group_left () {month})"

    def costly(metric: str, ident: str) -> str:
        return (
            f"max by ({by}, {incluster.LANGFUSE_PROJECT_LABEL}, {ident}) ({metric}{{{ns}}})\n"
            f"> on ({by}) group_left () max by ({by}) ({incluster.USAGE_HIGH_COST_METRIC}{{{ns}}})"
        )

    def ratio(window: str) -> str:
        return (
            f'max by ({by}) ({incluster.USAGE_ERRORS_METRIC}{{{ns},window="{window}"}})'
            f' / max by ({by}) ({incluster.USAGE_OBSERVATIONS_METRIC}{{{ns},window="{window}"}})'
        )

    link = f"{langfuse_url.rstrip('/')}/project/{{{{ $labels.langfuse_project_id }}}}"
    stale = 6 * poll_interval_seconds  # three missed refreshes of the usage figures (every second interval)
    project = "{{ $labels.project_namespace }}"
    return [
        Alert(
            "LangfuseProjectBudgetThresholdCrossed", "warning", crossed("!~"), "5m",
            f"Project {project} has spent {{{{ $labels.threshold_percent }}}} % of its monthly LLM budget",
            f"The LLM spend of {project} this month has reached the {{{{ $labels.threshold_percent }}}} % threshold of its budget "
            "({{ $value | printf \"%.2f\" }} USD).",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectBudgetExhausted", "critical", crossed("=~"), "5m",
            f"Project {project} has spent {{{{ $labels.threshold_percent }}}} % of its monthly LLM budget",
            f"The LLM spend of {project} this month has reached {{{{ $value | printf \"%.2f\" }}}} USD, the "
            "{{ $labels.threshold_percent }} % threshold: its budget is used up.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectForecastOverBudget", "warning",
            f"max by ({by}) ({incluster.USAGE_FORECAST_METRIC}{{{ns}}}) > on ({by}) max by ({by}) ({incluster.USAGE_BUDGET_METRIC}{{{ns}}})",
            "1h",
            f"Project {project} is on course to exceed its monthly LLM budget",
            f"At the last 7 days' rate {project} will have spent {{{{ $value | printf \"%.2f\" }}}} USD by the end of the month, over its budget.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectExpensiveTrace", "warning", costly(incluster.USAGE_TOP_TRACE_METRIC, "trace_id, trace_name"), "0m",
            f"A trace of project {project} cost {{{{ $value | printf \"%.2f\" }}}} USD",
            f"Trace {{{{ $labels.trace_name }}}} ({{{{ $labels.trace_id }}}}) of {project} cost more than the project's high-cost threshold "
            f"in the last 24 h: {link}/traces/{{{{ $labels.trace_id }}}}",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectExpensiveSession", "warning", costly(incluster.USAGE_TOP_SESSION_METRIC, "session_id"), "0m",
            f"A session of project {project} cost {{{{ $value | printf \"%.2f\" }}}} USD",
            f"Session {{{{ $labels.session_id }}}} of {project} cost more than the project's high-cost threshold in the last 24 h: "
            f"{link}/sessions/{{{{ $labels.session_id }}}}",
            "usage", "usage",
        ),
        Alert(
            "LangfuseProjectErrorRateJump", "warning",
            f"({ratio('today')}) > {error_rate_jump:g} * ({ratio('baseline')})\n"
            f"and ({ratio('today')}) > {min_error_rate:g}\n"
            f'and max by ({by}) ({incluster.USAGE_ERRORS_METRIC}{{{ns},window="today"}}) >= {min_errors}',
            "15m",
            f"Errors in project {project} jumped to {{{{ $value | humanizePercentage }}}} of its observations",
            f"Today {{{{ $value | humanizePercentage }}}} of the observations of {project} are at level ERROR, over {error_rate_jump:g} "
            "times its rate of the last 7 days: a model, a prompt or a tool is failing.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseUsageMetricsStale", "warning",
            f'time() - max by ({by}) ({incluster.USAGE_LAST_SUCCESS_METRIC}{{{ns},query="usage"}}) > {stale}', "10m",
            f"The cost figures of project {project} are stale",
            f"The usage exporter has not read the usage of {project} from Langfuse for over {stale // 60} minutes: budget and "
            "forecast alerts for it are blind.",
            "usage", "usage",
        ),
        Alert(
            "LangfuseUsageExporterDown", "warning", f"absent_over_time({incluster.USAGE_PROJECTS_METRIC}{{{ns}}}[15m])", "5m",
            "The usage exporter is down",
            "No metrics from the usage exporter for 15 minutes: no budget, forecast or expensive-trace alerts for any project.",
            "usage", "usage",
        ),
    ]
