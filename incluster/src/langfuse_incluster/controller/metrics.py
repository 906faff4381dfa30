"""Key age per tenant for Prometheus (prometheus_client). Ages are computed when Prometheus scrapes, from the
keys' creation instants, so a key keeps ageing even if the controller stops reconciling; the PrometheusRule
in components/tenancy alerts when a key outlives its rotation period."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from prometheus_client import CollectorRegistry, Counter
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from langfuse_incluster import contract
from langfuse_incluster.controller.models import LangfuseStatus


class TenantMetrics(Collector):
    def __init__(self, registry: CollectorRegistry | None = None, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.registry = registry or CollectorRegistry()
        self._clock = clock
        self._keys: dict[str, tuple[datetime, timedelta]] = {}
        self.errors = Counter(
            contract.RECONCILE_ERRORS_METRIC.removesuffix("_total"), "Reconcile passes that failed", [contract.TENANT_LABEL], registry=self.registry
        )
        self.registry.register(self)

    def observe(self, namespace: str, status: LangfuseStatus, rotation: timedelta) -> None:
        if status.current_key is None:
            self._keys.pop(namespace, None)
        else:
            self._keys[namespace] = (status.current_key.created_at, rotation)

    def forget(self, namespace: str) -> None:
        self._keys.pop(namespace, None)

    def collect(self):
        now = self._clock()
        age = GaugeMetricFamily(contract.KEY_AGE_METRIC, "Age of the key in langfuse-keys", labels=[contract.TENANT_LABEL])
        period = GaugeMetricFamily(contract.KEY_ROTATION_PERIOD_METRIC, "Rotation period of the tenant's key", labels=[contract.TENANT_LABEL])
        for namespace, (created, rotation) in sorted(self._keys.items()):
            age.add_metric([namespace], (now - created).total_seconds())
            period.add_metric([namespace], rotation.total_seconds())
        yield age
        yield period

    def describe(self):
        return []
