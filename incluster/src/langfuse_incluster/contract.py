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

# Langfuse's scheduled blob export of each project into the exports bucket (the analytics cluster loads it):
# configured by the controller for the projects it creates, and for the shared project by a Job the
# environment stack runs in this image (`python -m langfuse_incluster.blob_exports`). Unset: no exports.
ENV_EXPORT_BUCKET = "LANGFUSE_EXPORT_BUCKET"
ENV_EXPORT_REGION = "LANGFUSE_EXPORT_REGION"
ENV_EXPORT_PREFIX = "LANGFUSE_EXPORT_PREFIX"  # ends with "/"; Langfuse appends <projectId>/<table>/...
ENV_EXPORT_FREQUENCY = "LANGFUSE_EXPORT_FREQUENCY"
# BlobStorageExportFrequency in Langfuse v4.16.0's public API (fern/apis/server/definition/blob-storage-integrations.yml).
EXPORT_FREQUENCIES = ("every_20_minutes", "hourly", "daily", "weekly")
EXPORTS_JOB_MODULE = "langfuse_incluster.blob_exports"
EXPORTS_JOB_LABELS = {"app.kubernetes.io/name": "langfuse-blob-exports", "app.kubernetes.io/component": "export-configuration"}
