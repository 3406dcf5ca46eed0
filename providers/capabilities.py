"""What each provider takes: input media, tools, structured output and which of the standard
parameters it honours, read from its record (`providers.records.PROVIDERS`, design §2), and
the model families whose inputs differ from their provider's. The UI shows it; the provider
modules enforce it."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from providers.records import ProviderSpec

ALL_PARAMS = frozenset(
    {"temperature", "max_tokens", "top_p", "stop", "seed", "timeout", "max_retries"}
)


@dataclass(frozen=True)
class Capabilities:
    images: bool
    audio: bool
    tools: bool = True
    structured_output: bool = True
    params: frozenset[str] = ALL_PARAMS
    image_detail: bool = False  # a per-image detail level (Chat Completions' low/high/auto)

    def summary(self) -> str:
        media = ["text"] + (["images"] if self.images else []) + (["audio"] if self.audio else [])
        extras = [
            name
            for name, on in (("tools", self.tools), ("structured output", self.structured_output))
            if on
        ]
        return " · ".join([", ".join(media), *extras])


def _records() -> Mapping[str, ProviderSpec]:
    # Imported on use: the registry imports the wire modules, and they read CAPABILITIES.
    from providers.records import PROVIDERS

    return PROVIDERS


class _CapabilitiesOfRecords(Mapping[str, Capabilities]):
    """Each provider's Capabilities, as its record holds them (nothing is copied here)."""

    def __getitem__(self, provider: str) -> Capabilities:
        return _records()[provider].capabilities

    def __iter__(self) -> Iterator[str]:
        return iter(_records())

    def __len__(self) -> int:
        return len(_records())


CAPABILITIES: Mapping[str, Capabilities] = _CapabilitiesOfRecords()


# Model families whose inputs differ from their provider's: (provider, pattern on the model
# name, what changes). The first match wins; a model no rule names keeps the provider's row.
# Names are matched without a deployment/profile prefix (us.anthropic... on Bedrock).
FAMILIES: list[tuple[str, str, dict[str, bool]]] = [
    ("openai", r"^(gpt-3\.5|o1-mini|o3-mini|davinci|babbage)", {"images": False, "audio": False}),
    ("openai", r"audio", {"images": False, "audio": True}),
    ("openai", r"", {"audio": False}),  # audio only on the gpt-*-audio models
    ("azure_openai", r"(gpt-35|gpt-3\.5|o1-mini|o3-mini)", {"images": False, "audio": False}),
    ("azure_openai", r"audio", {"images": False, "audio": True}),
    ("azure_openai", r"", {"audio": False}),
    ("groq", r"(llama-4|vision|llava)", {"images": True}),
    ("groq", r"", {"images": False}),
    ("ollama", r"(llava|vision|gemma3|qwen2\.5vl|qwen2\.5-vl|qwen3-vl|minicpm-v|moondream|"
               r"bakllava|mistral-small3|granite3\.2-vision|llama4)", {"images": True}),
    ("ollama", r"", {"images": False}),
    ("bedrock", r"(anthropic\.claude-3|anthropic\.claude-(sonnet|opus|haiku)-4|claude)",
     {"images": True, "audio": False}),
    ("bedrock", r"amazon\.nova-(lite|pro|premier)", {"images": True, "audio": False}),
    ("bedrock", r"amazon\.nova-sonic", {"images": False, "audio": True}),
    ("bedrock", r"(llama3-2-(11|90)b|llama4|pixtral|mistral-large-25)", {"images": True, "audio": False}),
    ("bedrock", r"", {"images": False, "audio": False}),
]  # fmt: skip


def capabilities(provider: str, model: str | None = None) -> Capabilities:
    """What a provider takes, or, given a model name, what that model's family takes."""
    base = CAPABILITIES[provider]
    if not model:
        return base
    name = model.lower().split("/")[-1]
    for family_provider, pattern, changes in FAMILIES:
        if family_provider == provider and re.search(pattern, name):
            return replace(base, **changes)
    return base
