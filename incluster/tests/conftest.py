"""The tenant controller's test harness: the stand-in Langfuse on loopback, an in-memory Secret store that
keeps exactly what the controller writes, and a ProjectSettings object whose status is persisted the way
kopf persists it (only when a pass finishes)."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from langfuse_incluster import contract  # noqa: E402
from langfuse_incluster.controller.handlers import Runtime, reconcile_object  # noqa: E402
from langfuse_incluster.controller.kubernetes_api import secret_manifest, secret_view  # noqa: E402
from langfuse_incluster.controller.langfuse_api import LangfuseClient  # noqa: E402
from langfuse_incluster.controller.metrics import TenantMetrics  # noqa: E402
from langfuse_incluster.controller.reconcile import Settings, WriteSecret  # noqa: E402
from standin_langfuse import StandInLangfuse  # noqa: E402

PUBLIC_HOST = "https://langfuse.apps.example.com"
START = datetime(2026, 9, 1, tzinfo=UTC)


class Clock:
    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta


class MemorySecrets:
    """langfuse-keys per namespace, as the API server would store what the controller sends."""

    def __init__(self) -> None:
        self.objects: dict[str, dict] = {}
        self.writes: list[dict] = []

    def read(self, namespace: str):
        manifest = self.objects.get(namespace)
        return None if manifest is None else secret_view(manifest)

    def write(self, namespace: str, write: WriteSecret) -> None:
        manifest = secret_manifest(namespace, write)
        self.writes.append(manifest)
        self.objects[namespace] = manifest

    def delete(self, namespace: str) -> None:
        self.objects.pop(namespace, None)

    def put_foreign(self, namespace: str) -> None:
        self.objects[namespace] = {
            "apiVersion": "v1", "kind": "Secret", "metadata": {"name": contract.SECRET_NAME, "namespace": namespace},
            "stringData": {contract.PUBLIC_KEY: "pk-lf-someone-elses", contract.SECRET_KEY: "sk-lf-someone-elses"},
        }


@dataclass
class Tenant:
    """One ProjectSettings object; `reconcile()` is one handler invocation."""

    namespace: str
    runtime: Runtime
    clock: Clock
    spec: dict = field(default_factory=dict)
    annotations: dict = field(default_factory=dict)
    status: dict = field(default_factory=dict)
    generation: int = 1
    events: list[tuple[str, str, str]] = field(default_factory=list)
    patches: int = 0

    def body(self) -> dict:
        return {
            "apiVersion": f"{contract.GROUP}/{contract.VERSION}", "kind": contract.KIND,
            "metadata": {"name": "projectsettings", "namespace": self.namespace, "generation": self.generation, "annotations": dict(self.annotations)},
            "spec": {"groupAccess": [{"groupName": "team", "role": "admin"}], "langfuse": dict(self.spec)},
            "status": {"langfuse": self.status} if self.status else {},
        }

    def set_spec(self, **langfuse) -> None:
        self.spec = langfuse
        self.generation += 1

    def reconcile(self, deleting: bool = False, after_step=None) -> None:
        patch: dict = {}
        reconcile_object(
            self.body(), self.namespace, patch, deleting, self.runtime, now=self.clock(),
            post_event=lambda body, type, reason, message: self.events.append((type, reason, message)), after_step=after_step,
        )
        if "status" in patch:
            self.status = patch["status"]["langfuse"]
            self.patches += 1

    def condition(self, type_: str) -> dict:
        return next(c for c in self.status.get("conditions", []) if c["type"] == type_)


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def standin(clock):
    server = StandInLangfuse(clock=clock)
    server.url = server.start()
    yield server
    server.stop()
    assert server.violations == [], server.violations


@pytest.fixture
def secrets() -> MemorySecrets:
    return MemorySecrets()


def settings(mode: str = "per-project", **overrides) -> Settings:
    values = {"mode": mode, "public_host": PUBLIC_HOST, "rotation": timedelta(days=30), "overlap": timedelta(hours=48)} | overrides
    return Settings(**values)


def make_runtime(standin: StandInLangfuse, secrets: MemorySecrets, clock: Clock, mode: str = "per-project", key=None, **overrides) -> Runtime:
    public, secret = key or standin.org_key
    client = LangfuseClient(standin.url, public, secret, max_retries=0)
    return Runtime(settings(mode, **overrides), client, secrets, TenantMetrics(clock=clock))


@pytest.fixture
def runtime(standin, secrets, clock) -> Runtime:
    return make_runtime(standin, secrets, clock)


@pytest.fixture
def tenant(runtime, clock):
    def make(namespace: str = "project-foo", **spec) -> Tenant:
        return Tenant(namespace, runtime, clock, spec={"enabled": True, **spec})

    return make
