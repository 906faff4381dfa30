"""What the deploying side (components/tenancy) and the controller agree on. Standard library only: the
Pulumi program imports this module and nothing else of the package."""

from __future__ import annotations

# The platform's CRD (ambient-code/platform components/manifests/base/crds/projectsettings-crd.yaml): one
# namespaced singleton per project namespace, named `projectsettings`.
GROUP = "vteam.ambient-code"
VERSION = "v1alpha1"
PLURAL = "projectsettings"
KIND = "ProjectSettings"
CRD_NAME = f"{PLURAL}.{GROUP}"

# The one Secret the controller writes in each project namespace, and its keys. LANGFUSE_HOST is what the
# platform's runner and SDK v3 read; LANGFUSE_BASE_URL is the v4 SDK's name for the same thing
# (langfuse/_client/environment_variables.py: LANGFUSE_HOST "Deprecated. Use LANGFUSE_BASE_URL instead").
SECRET_NAME = "langfuse-keys"
PUBLIC_KEY = "LANGFUSE_PUBLIC_KEY"
SECRET_KEY = "LANGFUSE_SECRET_KEY"
HOST = "LANGFUSE_HOST"
BASE_URL = "LANGFUSE_BASE_URL"
SECRET_KEYS = (PUBLIC_KEY, SECRET_KEY, HOST, BASE_URL)

CONTROLLER_NAME = "langfuse-tenant-controller"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
# The Secret's annotation naming the Langfuse API key it holds (the key's id, never its secret).
KEY_ID_ANNOTATION = "langfuse.ambient-code/key-id"
PROJECT_ID_ANNOTATION = "langfuse.ambient-code/project-id"
# Set (any new value) on a ProjectSettings to rotate its key now.
ROTATE_ANNOTATION = "langfuse.ambient-code/rotate"
FINALIZER = "langfuse.ambient-code/tenant-keys"

# The controller's pods (selector labels) and ports.
POD_LABELS = {"app.kubernetes.io/name": CONTROLLER_NAME, "app.kubernetes.io/component": "tenant-controller"}
METRICS_PORT = 9090
HEALTH_PORT = 8080
HEALTH_PATH = "/healthz"

# Metrics (prometheus_client). Label `project_namespace`, not `namespace`: Prometheus sets `namespace` to the
# scraped pod's namespace.
KEY_AGE_METRIC = "langfuse_tenant_key_age_seconds"
KEY_ROTATION_PERIOD_METRIC = "langfuse_tenant_key_rotation_period_seconds"
RECONCILE_ERRORS_METRIC = "langfuse_tenant_reconcile_errors_total"
TENANT_LABEL = "project_namespace"

# The controller's environment (the Deployment sets these; the controller's settings read them).
ENV_LANGFUSE_API_URL = "LANGFUSE_API_URL"  # in-cluster web Service the controller calls
ENV_PUBLIC_HOST = "LANGFUSE_PUBLIC_HOST"  # what langfuse-keys tells the SDKs (the TLS Route)
ENV_MODE = "TENANT_MODE"  # "per-project" (Enterprise: admin-api) | "shared" (the LANGFUSE_INIT_* project)
ENV_ORG_PUBLIC_KEY = "LANGFUSE_ORG_PUBLIC_KEY"  # per-project mode: the organisation-scoped key
ENV_ORG_SECRET_KEY = "LANGFUSE_ORG_SECRET_KEY"
ENV_SHARED_PUBLIC_KEY = "LANGFUSE_SHARED_PUBLIC_KEY"  # shared mode: the one project's key
ENV_SHARED_SECRET_KEY = "LANGFUSE_SHARED_SECRET_KEY"
ENV_ROTATION_DAYS = "TENANT_ROTATION_DAYS"
ENV_ROTATION_OVERLAP_HOURS = "TENANT_ROTATION_OVERLAP_HOURS"
ENV_DELETION_POLICY = "TENANT_DEFAULT_DELETION_POLICY"

MODES = ("per-project", "shared")
DELETION_POLICIES = ("Retain", "Delete")

# --- Cost and usage per project: the usage exporter (a Deployment) and the weekly summary (a CronJob), both
# from this image (`python -m langfuse_incluster.exporter`, `python -m langfuse_incluster.summary`).
EXPORTER_NAME = "langfuse-usage-exporter"
EXPORTER_POD_LABELS = {"app.kubernetes.io/name": EXPORTER_NAME, "app.kubernetes.io/component": "usage-exporter"}
EXPORTER_METRICS_PORT = 9090
SUMMARY_NAME = "langfuse-usage-summary"
SUMMARY_POD_LABELS = {"app.kubernetes.io/name": SUMMARY_NAME, "app.kubernetes.io/component": "usage-summary"}
USAGE_ACCOUNT = "langfuse-usage"  # the ServiceAccount both run as: reads ProjectSettings and langfuse-keys

# The budget's condition on status.langfuse (besides Ready, Isolated, RetentionApplied).
BUDGET_CONDITION = "Budget"

# Environment of the exporter and the summary (the controller reads the default budget too, for its condition).
ENV_LANGFUSE_UI_URL = "LANGFUSE_UI_URL"  # https://<the Route's host>: links to traces and sessions
ENV_DEFAULT_BUDGET_USD = "USAGE_DEFAULT_BUDGET_USD"
ENV_DEFAULT_BUDGET_THRESHOLDS = "USAGE_DEFAULT_BUDGET_THRESHOLDS"  # comma-separated percentages, ascending
ENV_DEFAULT_HIGH_COST_USD = "USAGE_DEFAULT_HIGH_COST_USD"  # one trace or session costing more alerts
ENV_POLL_INTERVAL_SECONDS = "USAGE_POLL_INTERVAL_SECONDS"
ENV_POLL_CONCURRENCY = "USAGE_POLL_CONCURRENCY"
ENV_TOP_N = "USAGE_TOP_N"
ENV_SLACK_WEBHOOK_URL = "SLACK_WEBHOOK_URL"  # the summary's incoming webhook (unset: Markdown only)

# The exporter's metrics. Label `project_namespace` as above; `model` is Langfuse's providedModelName.
USAGE_COST_METRIC = "langfuse_usage_cost_usd"  # {project_namespace, model, period=month|today}
USAGE_TOKENS_METRIC = "langfuse_usage_tokens"  # same labels
USAGE_TRACES_METRIC = "langfuse_usage_traces"  # same labels
USAGE_OBSERVATIONS_METRIC = "langfuse_usage_observations"  # {project_namespace, window=today|baseline}
USAGE_ERRORS_METRIC = "langfuse_usage_error_observations"  # same labels: observations at level ERROR
USAGE_BUDGET_METRIC = "langfuse_usage_budget_usd"  # {project_namespace}
USAGE_BUDGET_THRESHOLD_METRIC = "langfuse_usage_budget_threshold_usd"  # {project_namespace, threshold_percent}
USAGE_FORECAST_METRIC = "langfuse_usage_forecast_usd"  # {project_namespace}: month-end forecast
USAGE_HIGH_COST_METRIC = "langfuse_usage_high_cost_threshold_usd"  # {project_namespace}
USAGE_TOP_TRACE_METRIC = "langfuse_usage_top_trace_cost_usd"  # {project_namespace, langfuse_project_id, rank, trace_id}
USAGE_TOP_SESSION_METRIC = "langfuse_usage_top_session_cost_usd"  # {project_namespace, langfuse_project_id, rank, session_id}
USAGE_LAST_SUCCESS_METRIC = "langfuse_usage_last_success_timestamp_seconds"  # {project_namespace, query}
USAGE_POLL_ERRORS_METRIC = "langfuse_usage_poll_errors_total"  # {project_namespace, query, status}
USAGE_API_REQUESTS_METRIC = "langfuse_usage_api_requests_total"  # {endpoint, status}
USAGE_CYCLE_METRIC = "langfuse_usage_poll_cycle_seconds"  # the last cycle's duration
USAGE_CYCLE_TIMESTAMP_METRIC = "langfuse_usage_poll_cycle_timestamp_seconds"  # when the last cycle ended
USAGE_PROJECTS_METRIC = "langfuse_usage_projects"  # projects the exporter watches
MODEL_LABEL = "model"
PERIOD_LABEL = "period"
WINDOW_LABEL = "window"
QUERY_LABEL = "query"
THRESHOLD_LABEL = "threshold_percent"
LANGFUSE_PROJECT_LABEL = "langfuse_project_id"
USAGE_QUERIES = ("usage", "top_traces", "top_sessions")

# --- Verification (langfuse_incluster.verify) and the round-trip monitor (langfuse_incluster.monitor) ----------
# `langfuse-rosa verify` and `gate` (infra/cli.py) run these modules as `python -m ...` in a child process: the
# command line below is their contract with the Pulumi side, which imports nothing else of the package.
VERIFY_MODULE = "langfuse_incluster.verify"
MONITOR_MODULE = "langfuse_incluster.monitor"
# Where the verification key comes from: the SDK's own variable names (langfuse/_client/environment_variables.py),
# or, for `verify --key-secret NAME`, a JSON secret in Secrets Manager with these default properties.
ENV_PUBLIC_KEY = "LANGFUSE_PUBLIC_KEY"
ENV_SECRET_KEY = "LANGFUSE_SECRET_KEY"
KEY_SECRET_PUBLIC_PROPERTY = "publicKey"
KEY_SECRET_SECRET_PROPERTY = "secretKey"
VERIFY_REPORT_MARKDOWN = "verify.md"
VERIFY_REPORT_JSON = "verify.json"
# Exit codes of both modules: 0 passed, 1 a step (or the gate) failed, 2 bad input.
EXIT_FAILED = 1
EXIT_BAD_INPUT = 2

MONITOR_NAME = "langfuse-round-trip-monitor"
MONITOR_POD_LABELS = {"app.kubernetes.io/name": MONITOR_NAME, "app.kubernetes.io/component": "round-trip-monitor"}
MONITOR_METRICS_PORT = 9090
# The monitor's environment (components/monitoring/round_trip.py sets it).
ENV_MONITOR_URL = "LANGFUSE_ROUND_TRIP_URL"  # the public URL (the Route), as SDK users reach Langfuse
ENV_MONITOR_INTERVAL_SECONDS = "LANGFUSE_ROUND_TRIP_INTERVAL_SECONDS"
ENV_MONITOR_READ_BACK_SECONDS = "LANGFUSE_ROUND_TRIP_READ_BACK_SECONDS"
ENV_MONITOR_CA_FILE = "LANGFUSE_ROUND_TRIP_CA_FILE"
# Metrics of the monitor (gauges of the last round trip; counters over the process's life).
ROUND_TRIP_SUCCESS_METRIC = "langfuse_round_trip_success"  # 1 when the last round trip passed, 0 when it failed
ROUND_TRIP_SECONDS_METRIC = "langfuse_round_trip_seconds"  # wall time of the last round trip
ROUND_TRIP_QUERYABLE_SECONDS_METRIC = "langfuse_round_trip_ingestion_to_queryable_seconds"  # flush done -> trace readable
ROUND_TRIP_LAST_RUN_METRIC = "langfuse_round_trip_last_run_timestamp_seconds"
ROUND_TRIP_FAILURES_METRIC = "langfuse_round_trip_failures_total"  # label `step`: where it failed
ROUND_TRIP_STEP_LABEL = "step"
ROUND_TRIP_STEP_SECONDS_METRIC = "langfuse_round_trip_step_seconds"  # label `step`: time of each step of the last round trip

# The audit_logs export (langfuse_incluster.audit_export): a daily CronJob in the Langfuse namespace.
AUDIT_EXPORT_NAME = "langfuse-audit-export"
AUDIT_EXPORT_POD_LABELS = {"app.kubernetes.io/name": AUDIT_EXPORT_NAME, "app.kubernetes.io/component": "audit-export"}
AUDIT_EXPORT_MODULE = "langfuse_incluster.audit_export"
# Its environment. The watermark (the end of the last exported window) lives in the ConfigMap AUDIT_EXPORT_NAME.
ENV_AUDIT_BUCKET = "AUDIT_BUCKET"
ENV_AUDIT_PREFIX = "AUDIT_PREFIX"
ENV_AUDIT_KMS_KEY_ID = "AUDIT_KMS_KEY_ID"
ENV_AUDIT_REGION = "AWS_REGION"
ENV_AUDIT_NAMESPACE = "AUDIT_STATE_NAMESPACE"
ENV_PGHOST = "PGHOST"
ENV_PGPORT = "PGPORT"
ENV_PGDATABASE = "PGDATABASE"
ENV_PGUSER = "PGUSER"
ENV_PGPASSWORD = "PGPASSWORD"
ENV_PGSSLROOTCERT = "PGSSLROOTCERT"
