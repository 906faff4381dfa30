"""Langfuse web and worker's alerts: availability and autoscaling (kube-state-metrics), the ingestion queues and
their dead letters (Langfuse's queue metrics, through the statsd exporter: components/monitoring/statsd_mapping.py)."""

from __future__ import annotations

from components.monitoring.alert import Alert, in_namespace


def langfuse_alerts(*, namespace: str, ingestion_backlog: int) -> list[Alert]:
    """`ingestion_backlog`: waiting jobs in an ingestion queue above which a still-growing backlog warns."""
    ns = in_namespace(namespace)
    langfuse = f'{ns},deployment=~"langfuse-(web|worker)"'
    ingestion = f'{ns},queue=~"ingestion|otel_ingestion",type="waiting",shard="all"'
    return [
        Alert(
            "LangfuseUnavailable", "critical", f"kube_deployment_status_replicas_available{{{langfuse}}} < 1", "5m",
            "Langfuse {{ $labels.deployment }} has no available pod",
            "No pod of {{ $labels.deployment }} in {{ $labels.namespace }} is available: the UI and API (web) or "
            "ingestion processing (worker) is down.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseDegraded", "warning",
            f"kube_deployment_status_replicas_available{{{langfuse}}} < kube_deployment_spec_replicas{{{langfuse}}}", "15m",
            "Langfuse {{ $labels.deployment }} runs below its desired replicas",
            "{{ $labels.deployment }} has had fewer available than desired pods for 15 minutes.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseAutoscalerAtMaximum", "warning",
            f"kube_horizontalpodautoscaler_status_current_replicas{{{ns}}} >= kube_horizontalpodautoscaler_spec_max_replicas{{{ns}}}",
            "30m",
            "Autoscaler {{ $labels.horizontalpodautoscaler }} has been at its maximum for 30 minutes",
            "{{ $labels.horizontalpodautoscaler }} cannot add replicas: load may outgrow capacity. Raise the stack's "
            "replicas.max or find what drives the load.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseIngestionBacklogGrowing", "warning",
            f"max by (queue) (langfuse_queue_depth{{{ingestion}}}) > {ingestion_backlog}\n"
            f"and max by (queue) (deriv(langfuse_queue_depth{{{ingestion}}}[15m])) > 0",
            "15m",
            "Langfuse's {{ $labels.queue }} queue is above " + str(ingestion_backlog) + " jobs and growing",
            "The {{ $labels.queue }} backlog is {{ $value }} jobs and still rising: traces reach the UI late. "
            "The worker autoscaler should be adding replicas.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseDeadLetterJobs", "warning",
            f"max by (queue) (langfuse_queue_dlq_oldest_age_milliseconds{{{ns}}}) > 3600000", "10m",
            "Langfuse's {{ $labels.queue }} queue has held failed jobs for over an hour",
            "Jobs failed for good in {{ $labels.queue }} and were not retried or cleared.",
            "langfuse", "langfuse",
        ),
        Alert(
            "LangfuseMetricsMissing", "warning", f"absent_over_time(langfuse_queue_depth{{{ns}}}[15m])", "5m",
            "No Langfuse queue metrics for 15 minutes",
            "The worker's queue metrics stopped arriving (statsd exporter, worker, or their path), so the backlog "
            "alerts and the queue-driven autoscaler are blind.",
            "langfuse", "langfuse",
        ),
    ]
