"""`init_chat_model` and `list_models`: provider ids, credentials from the environment, and
parameter validation against the provider's record (providers/records.py) before any
request is sent."""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Any

import httpx

from providers.chat_model import BaseChatModel, ModelConfig, run_sync
from providers.errors import ConfigurationError, MalformedResponseError, ProviderError
from providers.http_client import shared_client
from providers.http_errors import error_from_response, error_from_transport
from providers.rate_limiter import InMemoryRateLimiter
from providers.records import (
    ProviderSpec,
    provider_spec,
)
from providers.secrets import scrub_error


def _split_model(model: str | None, model_provider: str | None) -> tuple[str, str]:
    if not model:
        raise ConfigurationError("Name a model, e.g. init_chat_model('openai:gpt-4.1-mini').")
    if model_provider is None:
        provider, separator, name = model.partition(":")
        if not separator or not name:
            raise ConfigurationError(
                f"Say which provider serves {model!r}: 'openai:{model}' or model_provider=..."
            )
        return provider, name
    return model_provider, model


def _number(name: str, value: Any, low: float, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ConfigurationError(f"{name} must be a number, not {value!r}.")
    if not low <= value <= high:
        raise ConfigurationError(f"{name} must be between {low:g} and {high:g}; got {value!r}.")
    return float(value)


def _in_range(spec: ProviderSpec, name: str, value: Any) -> float | int | None:
    """A sampling parameter checked against the provider's own range (its record)."""
    if value is None:
        return None
    low, high = getattr(spec.ranges, name)
    whole = isinstance(low, int)
    kind_ok = isinstance(value, int) if whole else isinstance(value, int | float)
    if isinstance(value, bool) or not kind_ok or not math.isfinite(value):
        noun = "a whole number" if whole else "a number"
        raise ConfigurationError(f"{name} must be {noun}, not {value!r}.")
    if not low <= value <= high:
        raise ConfigurationError(
            f"{spec.label}'s {name} goes from {_shown(low)} to {_shown(high)}; got {value!r}."
        )
    return value if whole else float(value)


def _shown(bound: float) -> str:
    """A range's end as people write it: 0 and 1 for floats, every digit of an integer."""
    return f"{bound:g}" if isinstance(bound, float) else str(bound)


def _integer(name: str, value: Any, low: int) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigurationError(f"{name} must be a whole number, not {value!r}.")
    if value < low:
        raise ConfigurationError(f"{name} must be at least {low}; got {value}.")
    return value


def _base_url(spec: ProviderSpec, base_url: str | None) -> str:
    url = base_url or (os.environ.get(spec.base_url_env) if spec.base_url_env else None)
    url = (url or spec.default_base_url).strip()
    if not url and spec.address_from_config:
        return ""  # the model builds its address itself (Vertex: project and location)
    if url:
        url = spec.model_class.normalise_base_url(url)  # each ecosystem's accepted forms
    if url and "://" not in url:
        url = f"http://{url}"  # host:port alone
    if not url:
        raise ConfigurationError(
            f"The {spec.id!r} provider needs base_url (e.g. http://127.0.0.1:8080/v1), "
            f"or set {spec.base_url_env}."
        )
    parsed = httpx.URL(url)
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise ConfigurationError(f"base_url must be an http(s) URL; got {url!r}.")
    return url.rstrip("/")


def _api_key(spec: ProviderSpec, api_key: str | None) -> str | None:
    key = api_key or next(
        (os.environ[name] for name in (spec.api_key_env, spec.api_key_env_fallback)
         if name and os.environ.get(name)),
        None,
    )  # fmt: skip
    if not key and spec.api_key_required:
        raise ConfigurationError(
            f"The {spec.id!r} provider needs an API key: pass api_key=... or set "
            f"{spec.api_key_env}."
        )
    return key or None


def init_chat_model(
    model: str | None = None,
    *,
    model_provider: str | None = None,
    temperature: float | None = None,
    max_tokens: int | None = None,
    top_p: float | None = None,
    stop: str | list[str] | tuple[str, ...] | None = None,
    seed: int | None = None,
    timeout: float | None = 60.0,
    max_retries: int = 2,
    api_key: str | None = None,
    base_url: str | None = None,
    rate_limiter: InMemoryRateLimiter | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    sleep: Callable[[float], Any] | None = None,
    **extra: Any,
) -> BaseChatModel:
    """Build a chat model, refusing any parameter it cannot honour before a request is sent.

    `extra` holds provider-specific body fields passed through as they are (e.g.
    `frequency_penalty` for OpenAI); they are sent only because the caller asked for them.
    """
    provider, name = _split_model(model, model_provider)
    spec = provider_spec(provider)
    stops = (stop,) if isinstance(stop, str) else tuple(stop or ())
    if len(stops) > spec.max_stop_sequences:
        raise ConfigurationError(
            f"{spec.label} takes at most {spec.max_stop_sequences} stop sequences; "
            f"got {len(stops)}."
        )
    if any(not isinstance(item, str) or item == "" for item in stops):
        raise ConfigurationError("Stop sequences must be non-empty strings.")
    refused = sorted(set(extra) & set(spec.refused_extras))
    if refused:
        raise ConfigurationError(f"{spec.label} refuses {', '.join(refused)}; leave them out.")
    if rate_limiter is not None and not isinstance(rate_limiter, InMemoryRateLimiter):
        raise ConfigurationError("rate_limiter must be a providers.InMemoryRateLimiter.")
    config = ModelConfig(
        provider=provider,
        model=name,
        temperature=_in_range(spec, "temperature", temperature),
        max_tokens=_in_range(spec, "max_tokens", max_tokens),
        top_p=_in_range(spec, "top_p", top_p),
        stop=stops,
        seed=_in_range(spec, "seed", seed),
        timeout=_number("timeout", 60.0 if timeout is None else timeout, 0.001, 3600) or 60.0,
        max_retries=_integer("max_retries", max_retries, 0) or 0,
        api_key=_api_key(spec, api_key),
        base_url=_base_url(spec, base_url),
        rate_limiter=rate_limiter,
        extra={k: v for k, v in extra.items() if k not in spec.secret_extras},
        secrets={k: str(v) for k, v in extra.items() if k in spec.secret_extras and v},
    )
    options: dict[str, Any] = {"transport": transport}
    if sleep is not None:
        options["sleep"] = sleep
    model = spec.model_class(config, **options)
    model.check_parameters()
    return model


async def alist_models(
    provider: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    timeout: float = 10.0,
    transport: httpx.AsyncBaseTransport | None = None,
    **options: Any,
) -> list[str]:
    """The model ids a provider lists, sorted. `options` are the addressing and credential
    extras init_chat_model takes (region, project, location, aws_access_key_id...)."""
    spec = provider_spec(provider)
    key = _api_key(spec, api_key)
    config = ModelConfig(
        provider=provider,
        model="",
        api_key=key,
        base_url=_base_url(spec, base_url),
        extra={k: v for k, v in options.items() if k not in spec.secret_extras},
        secrets={k: str(v) for k, v in options.items() if k in spec.secret_extras and v},
    )
    model = spec.model_class(config, transport=transport)
    try:
        return await _model_ids(model, timeout)
    except ProviderError as error:
        scrub_error(error, model.secret_values())  # a key echoed in the error body, say
        raise


async def _model_ids(model: BaseChatModel, timeout: float) -> list[str]:
    provider = model.config.provider
    url, headers = await model.models_request()
    async with shared_client(url, timeout=timeout, transport=model._transport) as client:
        try:
            response = await client.get(url, headers=headers)
        except httpx.HTTPError as error:
            raise error_from_transport(error, provider=provider, url=url) from None
    if response.status_code >= 400:
        raise error_from_response(
            response, response.text, provider=provider, secrets=model.secret_values(),
            retry_hint=model.body_retry_hint(response.text),
        )  # fmt: skip
    try:
        ids = set(model.model_ids(response.json()))
    except (ValueError, AttributeError, KeyError, TypeError) as error:
        raise MalformedResponseError(
            f"{url} did not answer with a model list.", provider=provider
        ) from error
    return sorted(ids)


def list_models(provider: str, **kwargs: Any) -> list[str]:
    return run_sync(alist_models(provider, **kwargs))
