"""What the rest of the deployment knows of Langfuse's Valkey with Sentinel: its pods' labels and ports. The
standard library only."""

from __future__ import annotations

from components.common.labels import selector_labels

REDIS_PORT = 6379
SENTINEL_PORT = 26379
METRICS_PORT = 9121  # redis_exporter, beside each data node


def pod_labels(role: str) -> dict[str, str]:
    """The pods of one StatefulSet: `redis` (the data nodes) or `sentinel`."""
    return selector_labels("valkey", role)


REDIS_POD_LABELS = pod_labels("redis")
SENTINEL_POD_LABELS = pod_labels("sentinel")
