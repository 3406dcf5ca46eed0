"""Every connection's models, for the picker that groups them by connection.

Connections are asked concurrently, each with a short timeout, and their lists cached for a
minute (keyed by the connection's last change), so opening a conversation stays fast and one
dead server only greys out its own group.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from asgiref.sync import sync_to_async
from django.core.cache import cache

from connections.crypto import SecretDecryptionError
from connections.llm import ProviderError, list_models, provider_label
from connections.models import Connection

CACHE_SECONDS = 60
LIST_TIMEOUT_SECONDS = 5.0


@dataclass
class ModelGroup:
    connection: Connection
    label: str
    models: list[str] = field(default_factory=list)
    problem: str = ""


def _cache_key(connection: Connection) -> str:
    return f"models:{connection.pk}:{connection.updated_at.timestamp()}"


async def models_of(connection: Connection) -> ModelGroup:
    """One connection's models, from the cache when fresh."""
    group = ModelGroup(connection, provider_label(connection.kind))
    key = _cache_key(connection)
    cached = await sync_to_async(cache.get)(key)
    if cached is not None:
        group.models = cached
        return group
    try:
        group.models = await asyncio.wait_for(list_models(connection), LIST_TIMEOUT_SECONDS)
    except (ProviderError, SecretDecryptionError) as error:
        group.problem = str(error)
    except TimeoutError:
        group.problem = f"No answer within {LIST_TIMEOUT_SECONDS:g} s."
    else:
        await sync_to_async(cache.set)(key, group.models, CACHE_SECONDS)
    return group


async def catalogue(connections: list[Connection]) -> list[ModelGroup]:
    return list(await asyncio.gather(*(models_of(c) for c in connections)))
