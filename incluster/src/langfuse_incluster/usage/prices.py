"""Model prices from Langfuse (GET /api/public/models: the built-in definitions every project sees plus the
project's own, web/src/features/models/server/publicApiModelService.ts) and what the same token volume would
have cost on a cheaper model of the same provider.

Langfuse matches a generation's model name to a definition by `matchPattern`, a case-insensitive regular
expression such as `(?i)^(openai/)?(gpt-4o)$` (worker: findModel). Definitions carry no provider field, so the
provider is read from the name's family (the list below)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from langfuse_incluster.usage.langfuse_usage import ModelPrice

PROVIDERS = (  # (provider, family pattern), matched against the model definition's name
    ("openai", re.compile(r"^(openai/)?(gpt-|o[1-9]\b|o[1-9]-|chatgpt)", re.I)),
    ("anthropic", re.compile(r"(^|[./])claude", re.I)),
    ("google", re.compile(r"^(google/)?(gemini|gemma)", re.I)),
    ("mistral", re.compile(r"^(mistral|mixtral|codestral|ministral|pixtral|open-mistral)", re.I)),
    ("cohere", re.compile(r"^command", re.I)),
)


def provider_of(model_name: str) -> str | None:
    return next((provider for provider, pattern in PROVIDERS if pattern.search(model_name)), None)


def _matches(model: ModelPrice, name: str) -> bool:
    try:
        return re.search(model.match_pattern, name) is not None
    except re.error:
        return model.name.lower() == name.lower()


def definition_for(models: tuple[ModelPrice, ...], name: str) -> ModelPrice | None:
    """The definition Langfuse would price `name` with: a project's own before a built-in one."""
    matching = [m for m in models if _matches(m, name)]
    return min(matching, key=lambda m: m.managed) if matching else None


def _token_prices(model: ModelPrice) -> tuple[float, float] | None:
    input_price, output_price = model.prices.get("input"), model.prices.get("output")
    if not input_price or not output_price:  # embeddings, images, audio: not a chat model's alternative
        return None
    return input_price, output_price


@dataclass(frozen=True)
class CheaperModel:
    used: str  # the model name as traced
    alternative: str  # a model definition's name
    provider: str
    actual_usd: float
    alternative_usd: float

    @property
    def saving_usd(self) -> float:
        return self.actual_usd - self.alternative_usd


def cheaper_model(
    models: tuple[ModelPrice, ...], used: str, input_tokens: float, output_tokens: float, actual_usd: float,
    min_saving_share: float = 0.2, min_saving_usd: float = 1.0,
) -> CheaperModel | None:
    """The cheapest model of the same provider for this token volume, if it saves enough to mention."""
    definition = definition_for(models, used)
    provider = provider_of(definition.name if definition else used)
    if provider is None or actual_usd <= 0:
        return None
    own = definition.name if definition else used
    own_prices = _token_prices(definition) if definition else None
    priced = []
    for model in models:
        prices = _token_prices(model)
        if prices is None or model.name == own or provider_of(model.name) != provider:
            continue
        # Cheaper per token for both input and output than the model used (when its prices are known).
        if own_prices is not None and (prices[0] > own_prices[0] or prices[1] > own_prices[1] or prices == own_prices):
            continue
        priced.append((input_tokens * prices[0] + output_tokens * prices[1], model.name))
    if not priced:
        return None
    cost, name = min(priced)
    saving = actual_usd - cost
    if saving < min_saving_usd or saving < min_saving_share * actual_usd:
        return None
    return CheaperModel(used, name, provider, actual_usd, cost)
