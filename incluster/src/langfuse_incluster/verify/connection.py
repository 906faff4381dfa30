"""The one Langfuse client of verify, gate and the round-trip monitor: Langfuse's Python SDK (4.x, the line that
pairs with a v4.16 server), wired so that every answer its transports receive is recorded.

The SDK reports nothing when Langfuse refuses what it sends: the OpenTelemetry BatchSpanProcessor logs a failed
export, and the score consumer drops a 4xx batch (langfuse 4.18.0 _task_manager/score_ingestion_consumer.py).
A verification has to say *which* answer refused it, so both transports get a response hook:
- the SDK's httpx client (its public API calls and the score ingestion, POST /api/public/ingestion) is ours,
  passed as `httpx_client`, with an event hook for answers and a transport that records a request left unanswered;
- the span exporter is the OTLP/HTTP exporter the SDK would build itself (langfuse 4.18.0
  _client/span_processor.py: endpoint `<base_url>/api/public/otel/v1/traces`, Basic auth and the
  x-langfuse-sdk-name/-version/-public-key headers), built here with a requests session that records.
  The SDK documents `span_exporter` for exactly this; with it the SDK wires nothing of its own into the export.
Spans, their attributes and the OTLP protobuf are the SDK's and OpenTelemetry's, unchanged.

Each connection has its own TracerProvider, so nothing global (the process's OpenTelemetry provider) changes. One
connection per public key and process: the SDK keeps one resource manager (URL, clients, exporter) per public key
for the process's life (langfuse/_client/resource_manager.py), and a second Langfuse client with the same key
gets the first one's. The CLI runs one connection per process, the monitor one for its life.
"""

from __future__ import annotations

import base64
import ssl
import threading
from dataclasses import dataclass
from importlib.metadata import version
from urllib.parse import urlsplit

import httpx
import requests
from langfuse import Langfuse
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import TracerProvider

OTEL_TRACES_PATH = "/api/public/otel/v1/traces"
INGESTION_PATH = "/api/public/ingestion"


@dataclass(frozen=True)
class Answer:
    method: str
    path: str
    status: int  # 0: no answer (the connection failed)
    body: str  # the first 500 characters, or why there was no answer


class Answers:
    """Every HTTP answer the connection received, and every request that got none, in order (both transports run
    threads of their own)."""

    def __init__(self) -> None:
        self._items: list[Answer] = []
        self._lock = threading.Lock()

    def record(self, method: str, url: str, status: int, body: str) -> None:
        with self._lock:
            self._items.append(Answer(method, urlsplit(url).path, status, body[:500]))

    def no_answer(self, method: str, url: str, error: Exception) -> None:
        self.record(method, url, 0, str(error).strip() or type(error).__name__)

    def mark(self) -> int:
        with self._lock:
            return len(self._items)

    def since(self, mark: int, path: str | None = None) -> list[Answer]:
        with self._lock:
            return [a for a in self._items[mark:] if path is None or a.path.endswith(path)]


class _RecordingTransport(httpx.HTTPTransport):
    def __init__(self, answers: Answers, **kwargs) -> None:
        super().__init__(**kwargs)
        self._answers = answers

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        try:
            return super().handle_request(request)
        except httpx.TransportError as error:
            self._answers.no_answer(request.method, str(request.url), error)
            raise


class _RecordingSession(requests.Session):
    def __init__(self, answers: Answers) -> None:
        super().__init__()
        self._answers = answers
        self.hooks["response"].append(self._on_response)

    def send(self, request: requests.PreparedRequest, **kwargs) -> requests.Response:
        try:
            return super().send(request, **kwargs)
        except requests.RequestException as error:
            self._answers.no_answer(request.method or "", request.url or "", error)
            raise

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        # requests lets REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE override a session's CA bundle (psf/requests#3829); the
        # exporter sets its CA on the session, so an explicit bundle must win here, as it does for httpx.
        if isinstance(self.verify, str):
            settings["verify"] = self.verify
        return settings

    def _on_response(self, response: requests.Response, *args, **kwargs) -> None:
        self._answers.record(response.request.method or "", response.url, response.status_code, response.text)


class LangfuseConnection:
    def __init__(self, url: str, public_key: str, secret_key: str, ca_file: str | None = None, timeout: float = 20, max_retries: int = 2) -> None:
        self.url = url.rstrip("/")
        self.public_key = public_key
        self.answers = Answers()
        # The SDK's API calls retry 429 and 5xx this often with backoff (its default is 2).
        self.request_options = {"max_retries": max_retries}
        trust: ssl.SSLContext | bool = ssl.create_default_context(cafile=ca_file) if ca_file else True
        self.http = httpx.Client(timeout=timeout, transport=_RecordingTransport(self.answers, verify=trust), event_hooks={"response": [self._on_httpx]})
        basic = base64.b64encode(f"{public_key}:{secret_key}".encode()).decode("ascii")
        exporter = OTLPSpanExporter(
            endpoint=f"{self.url}{OTEL_TRACES_PATH}",
            headers={
                "Authorization": f"Basic {basic}",
                "x-langfuse-sdk-name": "python",
                "x-langfuse-sdk-version": version("langfuse"),
                "x-langfuse-public-key": public_key,
            },
            # The exporter passes its own `verify` to every request (certificate_file, else its environment
            # variable, else certifi), so the CA goes here rather than on the session.
            certificate_file=ca_file,
            session=_RecordingSession(self.answers),
            timeout=timeout,
        )
        self.tracer_provider = TracerProvider()
        self.langfuse = Langfuse(
            public_key=public_key,
            secret_key=secret_key,
            base_url=self.url,
            httpx_client=self.http,
            tracer_provider=self.tracer_provider,
            span_exporter=exporter,
            timeout=int(timeout),
            # The score consumer sends a batch every flush_interval (default 1 s); flush() waits for it.
            flush_interval=0.2,
        )

    @property
    def api(self):
        return self.langfuse.api

    def close(self) -> None:
        self.langfuse.shutdown()
        self.tracer_provider.shutdown()
        self.http.close()

    def _on_httpx(self, response: httpx.Response) -> None:
        response.read()
        self.answers.record(response.request.method, str(response.request.url), response.status_code, response.text)

