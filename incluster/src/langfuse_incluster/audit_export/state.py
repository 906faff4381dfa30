"""The watermark in a ConfigMap of the Langfuse namespace (created by the stack, its data left to this job), so
it survives restarts and needs nothing of S3 but PutObject. Updates carry the resourceVersion read: two runs at
once (the CronJob forbids it) could not both move it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from langfuse_incluster.audit_export.export import State

WATERMARK, PENDING = "watermark", "pending"


def state_of(data: Mapping[str, str] | None) -> State:
    data = data or {}

    def moment(key: str) -> datetime | None:
        return datetime.fromisoformat(data[key]) if data.get(key) else None

    return State(moment(WATERMARK), moment(PENDING))


def data_of(state: State) -> dict[str, str]:
    return {WATERMARK: state.watermark.isoformat() if state.watermark else "", PENDING: state.pending.isoformat() if state.pending else ""}


class ConfigMapState:
    def __init__(self, core: Any, namespace: str, name: str) -> None:
        self.core, self.namespace, self.name = core, namespace, name
        self._version: str | None = None

    def read(self) -> State:
        config_map = self.core.read_namespaced_config_map(self.name, self.namespace)
        self._version = config_map.metadata.resource_version
        return state_of(config_map.data)

    def write(self, state: State) -> None:
        body = {"metadata": {"resourceVersion": self._version}, "data": data_of(state)}
        updated = self.core.patch_namespaced_config_map(self.name, self.namespace, body)
        self._version = updated.metadata.resource_version
