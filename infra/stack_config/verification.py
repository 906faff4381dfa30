"""Proving the deployed Langfuse works: `langfuse-rosa verify` after each `pulumi up`, and the round-trip monitor
that repeats it every few minutes in the cluster. Both act with the key of a verification project."""

from __future__ import annotations

from pydantic import Field, model_validator

from infra.stack_config.base import Model
from infra.stack_config.tenancy import ImageDigest, KeyPairRef


class RoundTripMonitorConfig(Model):
    """The round trip, every few minutes, as Prometheus metrics with alerts (components/monitoring/round_trip.py)."""

    enabled: bool = Field(default=False, description="run the round-trip monitor in the namespace (needs verification.projectKey)")
    image: ImageDigest | None = Field(
        default=None, description="the in-cluster image by digest (.github/workflows/tenant-controller-image.yml builds it)"
    )
    interval_seconds: int = Field(default=300, ge=60, le=3600, description="a round trip every this many seconds")
    latency_alert_seconds: int = Field(
        default=60, ge=5, le=900, description="warn when ingestion-to-queryable stays above this (Langfuse expects 15-30 s)"
    )

    @model_validator(mode="after")
    def _image_when_enabled(self) -> RoundTripMonitorConfig:
        if self.enabled and self.image is None:
            raise ValueError("image is required when the monitor is enabled")
        return self


class VerificationConfig(Model):
    project_key: KeyPairRef | None = Field(
        default=None, description="the key of a Langfuse project kept for verification (Secrets Manager); verify and the monitor send to it"
    )
    read_back_seconds: int = Field(
        default=120, ge=10, le=900, description="bound on ingestion-to-queryable: a trace not readable by then fails the round trip"
    )
    monitor: RoundTripMonitorConfig = Field(default=RoundTripMonitorConfig(), description="the round trip repeated in the cluster")

    @model_validator(mode="after")
    def _coherent(self) -> VerificationConfig:
        if self.monitor.enabled and self.project_key is None:
            raise ValueError("projectKey is required when monitor.enabled is true: the monitor sends with it")
        if self.monitor.latency_alert_seconds >= self.read_back_seconds:
            raise ValueError(
                f"monitor.latencyAlertSeconds ({self.monitor.latency_alert_seconds}) must be below readBackSeconds ({self.read_back_seconds}): "
                "a slow round trip warns before it fails"
            )
        if self.monitor.enabled and self.monitor.interval_seconds <= self.read_back_seconds:
            raise ValueError(
                f"monitor.intervalSeconds ({self.monitor.interval_seconds}) must exceed readBackSeconds ({self.read_back_seconds}): "
                "one round trip ends before the next starts"
            )
        return self
