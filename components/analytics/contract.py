"""What the rest of the deployment knows of the analytics cluster: its installation's name, the label the policy
pack knows it by, and its clients' pod labels and service account. The standard library only."""

from __future__ import annotations

from components.clickhouse.contract import client_pod_labels
from components.common.labels import selector_labels

INSTALLATION = "analytics"  # its ClickHouseInstallation and ClickHouseKeeperInstallation
# The label the policy pack knows the analytics cluster by (policies/rules/analytics.py).
PURPOSE_LABEL = "langfuse-rosa/purpose"
PURPOSE = "analytics"
CLIENT_NAME = "analytics-client"  # app.kubernetes.io/name of the schema Job's and the backups' pods
CLIENT_LABELS = client_pod_labels(CLIENT_NAME)
LOADER_NAME = "analytics-loader"
LOADER_LABELS = selector_labels(LOADER_NAME, "loader")
LOADER_SERVICE_ACCOUNT = LOADER_NAME
