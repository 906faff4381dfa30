"""The one client of the usage code: Langfuse's v2 metrics and model list through the Python SDK
(`langfuse.api`), with one *project* key per project (an organisation key answers 403: the routes are
createAuthedProjectAPIRoute, web/src/features/public-api/server/createAuthedProjectAPIRoute.ts, v4.16.0).

Every project's client shares one httpx connection pool; the SDK builds its sub-clients lazily, so a client
per project costs little. Self-hosted Langfuse applies no rate limit to these routes
(web/src/features/public-api/server/RateLimitService.ts: "rate limits are not applied for self hosters");
429 from a proxy in front is still honoured (Retry-After)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import httpx
from langfuse.api import LangfuseAPI
from langfuse.api.core.api_error import ApiError

from langfuse_incluster.controller.langfuse_api import error_from_answer
from langfuse_incluster.controller.reconcile import LangfuseError
from langfuse_incluster.usage.queries import encode

MODELS_PAGE_LIMIT = 100  # the server's maximum page size (packages/shared/src/utils/zod.ts paginationLimitZod)


@dataclass(frozen=True)
class ModelPrice:
    """A model definition's default prices (USD per unit of each usage type, e.g. input / output tokens)."""

    name: str
    match_pattern: str
    prices: dict[str, float]
    managed: bool  # one of Langfuse's built-in definitions


def new_http_client(timeout: float = 30.0, connections: int = 8) -> httpx.Client:
    return httpx.Client(timeout=timeout, limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections))


class UsageApi:
    def __init__(
        self, base_url: str, public_key: str, secret_key: str, http: httpx.Client,
        on_request: Callable[[str, int], None] | None = None,
    ) -> None:
        self._api = LangfuseAPI(base_url=base_url.rstrip("/"), username=public_key, password=secret_key, httpx_client=http)
        self._options = {"max_retries": 0}  # the caller's schedule owns retries and backoff
        self._on_request = on_request or (lambda endpoint, status: None)

    def metrics(self, query: dict) -> list[dict]:
        answer = self._call("metrics_v2", self._api.metrics.metrics, query=encode(query), request_options=self._options)
        return list(answer.data)

    def models(self) -> tuple[ModelPrice, ...]:
        found: list[ModelPrice] = []
        page = 1
        while True:
            answer = self._call("models", self._api.models.list, page=page, limit=MODELS_PAGE_LIMIT, request_options=self._options)
            for model in answer.data:
                default = next((tier for tier in model.pricing_tiers if tier.is_default), None)
                prices = dict(default.prices) if default is not None else {k: v.price for k, v in (model.prices or {}).items()}
                found.append(ModelPrice(model.model_name, model.match_pattern, prices, model.is_langfuse_managed))
            if page >= answer.meta.total_pages:
                return tuple(found)
            page += 1

    def _call(self, endpoint: str, method, *args, **kwargs):
        try:
            answer = method(*args, **kwargs)
        except ApiError as error:
            self._on_request(endpoint, error.status_code or 0)
            raise error_from_answer(error.status_code or 0, error.body, error.headers or {}) from error
        except httpx.HTTPError as error:
            self._on_request(endpoint, 0)
            raise LangfuseError(0, f"no answer: {error}") from error
        self._on_request(endpoint, 200)
        return answer
