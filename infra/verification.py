"""The round-trip monitor of an environment stack, from its verification config (parsed once, passed down)."""

from __future__ import annotations

import pulumi

from components.common.refs import ConfigMapKeyRef
from components.monitoring.round_trip import RoundTripMonitor, RoundTripMonitorArgs
from infra.secret_references import verification_key
from infra.stack_config import StackConfig


def deploy_round_trip_monitor(
    config: StackConfig, namespace: str, public_url: str, trusted_ca_bundle: ConfigMapKeyRef, opts: pulumi.ResourceOptions
) -> RoundTripMonitor | None:
    monitor = config.verification.monitor
    if not monitor.enabled:
        return None
    assert monitor.image is not None  # RoundTripMonitorConfig's validator
    public_key, secret_key = verification_key()
    return RoundTripMonitor(
        "round-trip",
        RoundTripMonitorArgs(
            namespace=namespace,
            image=monitor.image,
            url=public_url,
            public_key=public_key,
            secret_key=secret_key,
            interval_seconds=monitor.interval_seconds,
            read_back_seconds=config.verification.read_back_seconds,
            trusted_ca_bundle=trusted_ca_bundle,
        ),
        opts=opts,
    )
