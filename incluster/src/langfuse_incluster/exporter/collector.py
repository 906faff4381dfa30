"""The exporter's metrics, rendered at scrape time from the poller's last figures (prometheus_client custom
collector). Cardinality is bounded: per project, one series per model and period, two error windows, the
budget's thresholds, and top_n traces and sessions."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from langfuse_incluster import contract as c
from langfuse_incluster.exporter.poller import UsagePoller

P = c.TENANT_LABEL


class UsageCollector(Collector):
    def __init__(self, poller: UsagePoller | None = None, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        self.poller = poller
        self.poll_errors = Counter(
            c.USAGE_POLL_ERRORS_METRIC.removesuffix("_total"), "Failed Langfuse queries", [P, c.QUERY_LABEL, "status"], registry=self.registry
        )
        self.api_requests = Counter(
            c.USAGE_API_REQUESTS_METRIC.removesuffix("_total"), "Requests to Langfuse's public API", ["endpoint", "status"], registry=self.registry
        )
        self.registry.register(self)

    def count_error(self, namespace: str, query: str, status: int) -> None:
        self.poll_errors.labels(namespace, query, str(status)).inc()

    def count_request(self, endpoint: str, status: int) -> None:
        self.api_requests.labels(endpoint, str(status)).inc()

    def describe(self):
        return []

    def collect(self):
        def gauge(name: str, doc: str, *labels: str) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=[P, *labels])

        cost = gauge(c.USAGE_COST_METRIC, "Cost in USD by model: this month so far (UTC) or today", c.MODEL_LABEL, c.PERIOD_LABEL)
        tokens = gauge(c.USAGE_TOKENS_METRIC, "Tokens by model: this month so far or today", c.MODEL_LABEL, c.PERIOD_LABEL)
        traces = gauge(c.USAGE_TRACES_METRIC, "Traces by model (per day and level, summed): this month so far or today", c.MODEL_LABEL, c.PERIOD_LABEL)
        observations = gauge(c.USAGE_OBSERVATIONS_METRIC, "Observations: today, or the 7 days before (baseline)", c.WINDOW_LABEL)
        errors = gauge(c.USAGE_ERRORS_METRIC, "Observations at level ERROR: today, or the 7 days before (baseline)", c.WINDOW_LABEL)
        budget = gauge(c.USAGE_BUDGET_METRIC, "The project's monthly budget in USD")
        thresholds = gauge(c.USAGE_BUDGET_THRESHOLD_METRIC, "Budget alert thresholds in USD", c.THRESHOLD_LABEL)
        forecast = gauge(c.USAGE_FORECAST_METRIC, "Forecast cost of the month in USD (month-to-date + 7-day daily rate)")
        high_cost = gauge(c.USAGE_HIGH_COST_METRIC, "Cost in USD above which one trace or session alerts")
        top_traces = gauge(c.USAGE_TOP_TRACE_METRIC, "The most expensive traces of the last 24 h", c.LANGFUSE_PROJECT_LABEL, "rank", "trace_id", "trace_name")
        top_sessions = gauge(c.USAGE_TOP_SESSION_METRIC, "The most expensive sessions of the last 24 h", c.LANGFUSE_PROJECT_LABEL, "rank", "session_id")
        last_success = gauge(c.USAGE_LAST_SUCCESS_METRIC, "Last successful query of this kind (or when the project was first seen)", c.QUERY_LABEL)
        states = self.poller.states() if self.poller is not None else []
        for state in sorted(states, key=lambda s: s.tenant.namespace):
            ns, tenant = state.tenant.namespace, state.tenant
            effective = tenant.budget.budget
            budget.add_metric([ns], effective.monthly_usd)
            for percent in effective.thresholds:
                thresholds.add_metric([ns, str(percent)], effective.monthly_usd * percent / 100)
            high_cost.add_metric([ns], tenant.budget.high_cost_usd)
            for query in c.USAGE_QUERIES:
                last_success.add_metric([ns, query], state.last_success.get(query, state.first_seen))
            figures = state.usage
            if figures is not None:
                for period, by_model in (("month", figures.month_by_model), ("today", figures.today_by_model)):
                    for model, totals in sorted(by_model.items()):
                        cost.add_metric([ns, model, period], totals.cost_usd)
                        tokens.add_metric([ns, model, period], totals.tokens)
                        traces.add_metric([ns, model, period], totals.traces)
                for window, totals in (("today", figures.today), ("baseline", figures.baseline)):
                    observations.add_metric([ns, window], totals.observations)
                    errors.add_metric([ns, window], totals.errors)
                forecast.add_metric([ns], figures.forecast_usd)
            project = tenant.project_id or ""
            for rank, item in enumerate(state.top_traces, 1):
                top_traces.add_metric([ns, project, str(rank), item.id, item.name or ""], item.cost_usd)
            for rank, item in enumerate(state.top_sessions, 1):
                top_sessions.add_metric([ns, project, str(rank), item.id], item.cost_usd)
        yield from (cost, tokens, traces, observations, errors, budget, thresholds, forecast, high_cost, top_traces, top_sessions, last_success)
        projects = GaugeMetricFamily(c.USAGE_PROJECTS_METRIC, "Projects the exporter watches")
        projects.add_metric([], len(states))
        yield projects
        if self.poller is not None and self.poller.last_cycle_end is not None:
            yield GaugeMetricFamily(c.USAGE_CYCLE_METRIC, "Duration of the last poll cycle", value=self.poller.last_cycle_seconds)
            yield GaugeMetricFamily(c.USAGE_CYCLE_TIMESTAMP_METRIC, "When the last poll cycle ended", value=self.poller.last_cycle_end)
