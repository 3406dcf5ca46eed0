"""What each provider takes, as data: input media, tools, structured output, and which of the
standard parameters it honours. The UI shows it; the provider modules enforce it."""

from __future__ import annotations

from dataclasses import dataclass

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

    def summary(self) -> str:
        media = ["text"] + (["images"] if self.images else []) + (["audio"] if self.audio else [])
        extras = [
            name
            for name, on in (("tools", self.tools), ("structured output", self.structured_output))
            if on
        ]
        return " · ".join([", ".join(media), *extras])


CAPABILITIES: dict[str, Capabilities] = {
    "openai": Capabilities(images=True, audio=True),  # audio on gpt-4o-audio models, wav/mp3
    "azure_openai": Capabilities(images=True, audio=True),
    "openai_compatible": Capabilities(images=True, audio=True),  # as the server's model allows
    "groq": Capabilities(images=True, audio=False),
    "huggingface": Capabilities(images=True, audio=False),
    "anthropic": Capabilities(images=True, audio=False, params=ALL_PARAMS - {"seed"}),
    "google_genai": Capabilities(images=True, audio=True),
    "google_vertexai": Capabilities(images=True, audio=True),
    "ollama": Capabilities(images=True, audio=False),
    "bedrock": Capabilities(images=True, audio=True, params=ALL_PARAMS - {"seed"}),
}


def capabilities(provider: str) -> Capabilities:
    return CAPABILITIES[provider]
