"""A world for the usage tests: the stand-in Langfuse with its usage endpoints, projects with keys and
observations, and a minimal Kubernetes API on loopback serving the ProjectSettings (as the tenant controller
leaves them: Ready, status.langfuse.currentKey) and langfuse-keys Secrets, so the exporter and the summary run
as real processes with a kubeconfig, through the real kubernetes client. The Kubernetes side is ours too: every
object it serves validates against Kubernetes' schema and the extended ProjectSettings CRD (checked in
test_usage_exporter)."""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from langfuse_incluster import contract
from standin_langfuse import StandInLangfuse
from standin_usage import ModelDefinition, Observation, UsageEndpoints
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

MODELS = (  # as Langfuse's built-in definitions price them (USD per token)
    ModelDefinition("gpt-4o", r"(?i)^(openai\/)?(gpt-4o)$", {"input": 2.5e-6, "output": 1e-5}),
    ModelDefinition("gpt-4o-mini", r"(?i)^(openai\/)?(gpt-4o-mini)$", {"input": 1.5e-7, "output": 6e-7}),
    ModelDefinition("text-embedding-3-small", r"(?i)^(openai\/)?(text-embedding-3-small)$", {"input": 2e-8}),
    ModelDefinition("claude-sonnet-4", r"(?i)^(anthropic\/)?(claude-sonnet-4)$", {"input": 3e-6, "output": 1.5e-5}),
    ModelDefinition("claude-haiku-3.5", r"(?i)^(anthropic\/)?(claude-haiku-3\.5)$", {"input": 8e-7, "output": 4e-6}),
)


@dataclass
class Project:
    namespace: str
    project_id: str
    public_key: str
    secret_key: str
    budget: dict | None = None
    key_id: str = ""


@dataclass
class UsageWorld:
    now: datetime
    mode: str = "per-project"
    usage: UsageEndpoints = field(default_factory=UsageEndpoints)
    projects: dict[str, Project] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.langfuse = StandInLangfuse(extensions=(self.usage,))
        self.usage.models.extend(MODELS)
        self._shared = None
        if self.mode == "shared":
            shared = self.langfuse.add_project("Provisioned Project")
            self._shared = (shared, self.langfuse.add_key(shared.id))

    @property
    def shared_key(self) -> tuple[str, str]:
        assert self._shared is not None
        return self._shared[1].public_key, self._shared[1].secret_key

    def add_project(self, namespace: str, budget: dict | None = None) -> Project:
        if self._shared is not None:
            project, key = self._shared
        else:
            project = self.langfuse.add_project(namespace)
            key = self.langfuse.add_key(project.id, note=f"langfuse-rosa-tenant-controller: {namespace}")
        found = Project(namespace, project.id, key.public_key, key.secret_key, budget, key.id)
        self.projects[namespace] = found
        return found

    def spend(self, namespace: str, hours_ago: float, cost: float, model: str = "gpt-4o", trace: str | None = None,
              session: str | None = None, level: str = "DEFAULT", input_tokens: int = 1000, output_tokens: int = 200,
              trace_name: str = "chat") -> None:
        project = self.projects[namespace]
        self.usage.observations.append(Observation(
            project.project_id, trace or f"{namespace}-t{len(self.usage.observations)}", self.now - timedelta(hours=hours_ago), model,
            level, cost, input_tokens, output_tokens, session, trace_name, (f"namespace:{namespace}", f"model:{model}"),
        ))

    # --- Kubernetes as the controller leaves it ------------------------------------------------------------------

    def project_settings(self, namespace: str) -> dict:
        p = self.projects[namespace]
        spec: dict = {"enabled": True}
        if p.budget is not None:
            spec["budget"] = p.budget
        at = self.now.isoformat().replace("+00:00", "Z")
        status = {
            "projectId": p.project_id, "isolated": self.mode == "per-project", "observedGeneration": 1,
            "conditions": [{"type": "Ready", "status": "True", "reason": "KeysInSecret", "message": "keys in langfuse-keys", "lastTransitionTime": at}],
        }
        if self.mode == "per-project":
            status["currentKey"] = {"id": p.key_id, "publicKey": p.public_key, "projectId": p.project_id, "createdAt": at}
        return {
            "apiVersion": f"{contract.GROUP}/{contract.VERSION}", "kind": contract.KIND,
            "metadata": {"name": "projectsettings", "namespace": namespace, "generation": 1, "resourceVersion": "1"},
            "spec": {"groupAccess": [{"groupName": "team", "role": "admin"}], "langfuse": spec},
            "status": {"langfuse": status},
        }

    def secret(self, namespace: str) -> dict:
        p = self.projects[namespace]
        values = {contract.PUBLIC_KEY: p.public_key, contract.SECRET_KEY: p.secret_key, contract.HOST: "https://langfuse.example.com",
                  contract.BASE_URL: "https://langfuse.example.com"}
        return {
            "apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": contract.SECRET_NAME, "namespace": namespace, "resourceVersion": "1",
                         "labels": {contract.MANAGED_BY_LABEL: contract.CONTROLLER_NAME}},
            "data": {k: base64.b64encode(v.encode()).decode() for k, v in values.items()},
        }

    def start(self, directory: Path) -> None:
        self.langfuse_url = self.langfuse.start()
        self.kube_requests: list[str] = []
        self._kube = make_server("127.0.0.1", 0, self._kube_wsgi, threaded=True)
        threading.Thread(target=self._kube.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.kubeconfig = directory / "kubeconfig"
        self.kubeconfig.write_text(json.dumps({
            "apiVersion": "v1", "kind": "Config", "current-context": "test",
            "clusters": [{"name": "test", "cluster": {"server": f"http://127.0.0.1:{self._kube.server_port}"}}],
            "contexts": [{"name": "test", "context": {"cluster": "test", "user": "test"}}],
            "users": [{"name": "test", "user": {"token": "not-a-real-token"}}],
        }))

    def stop(self) -> None:
        if not hasattr(self, "_kube"):
            return
        self.langfuse.stop()
        self._kube.shutdown()
        self._kube.server_close()

    def environment(self, **extra: str) -> dict[str, str]:
        """The exporter's and the summary's environment, as components/tenancy sets it (plus KUBECONFIG)."""
        env = {
            "KUBECONFIG": str(self.kubeconfig), contract.ENV_MODE: self.mode, contract.ENV_LANGFUSE_API_URL: self.langfuse_url,
            contract.ENV_LANGFUSE_UI_URL: "https://langfuse.example.com", contract.ENV_DEFAULT_BUDGET_USD: "100",
            contract.ENV_DEFAULT_BUDGET_THRESHOLDS: "50,80,100", contract.ENV_DEFAULT_HIGH_COST_USD: "10",
        }
        if self.mode == "shared":
            env[contract.ENV_SHARED_PUBLIC_KEY], env[contract.ENV_SHARED_SECRET_KEY] = self.shared_key
        return env | extra

    def _kube_wsgi(self, environ, start_response):
        request = Request(environ)
        self.kube_requests.append(f"{request.method} {request.path}")
        parts = request.path.strip("/").split("/")
        body, status = {"kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "NotFound", "code": 404}, 404
        group_path = ["apis", contract.GROUP, contract.VERSION]
        if request.method == "GET" and parts == [*group_path, contract.PLURAL]:
            body, status = self.list_body(sorted(self.projects)), 200
        elif request.method == "GET" and parts[:3] == group_path and parts[3:4] == ["namespaces"] and parts[5:] == [contract.PLURAL]:
            body, status = self.list_body([parts[4]] if parts[4] in self.projects else []), 200
        elif request.method == "GET" and parts[:3] == ["api", "v1", "namespaces"] and parts[4:] == ["secrets", contract.SECRET_NAME]:
            if parts[3] in self.projects and self.mode == "per-project":
                body, status = self.secret(parts[3]), 200
        return Response(json.dumps(body), status=status, mimetype="application/json")(environ, start_response)

    def list_body(self, namespaces: list[str]) -> dict:
        return {
            "apiVersion": f"{contract.GROUP}/{contract.VERSION}", "kind": f"{contract.KIND}List",
            "metadata": {"resourceVersion": "1"}, "items": [self.project_settings(ns) for ns in namespaces],
        }
