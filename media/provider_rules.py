"""Each provider's documented media rules, as data: image limits, the audio formats it takes,
and its formula for what an image costs in tokens (docs: provider-protocols.md)."""

from __future__ import annotations

import math

from media.images import ImageLimits

MB = 2**20
_OPENAI = ImageLimits(max_long_side=2048, max_bytes=20 * MB)
# Anthropic scales anything over 1568 px or ~1.15 megapixels down itself (latency only), and
# refuses images over 5 MB; Bedrock over 3.75 MB; Groq over 4 MB of base64 and 33 megapixels.
_ANTHROPIC = ImageLimits(max_long_side=1568, max_bytes=5 * MB, max_pixels=1_150_000)
IMAGE_LIMITS: dict[str, ImageLimits] = {
    "openai": _OPENAI,
    "azure_openai": _OPENAI,
    "openai_compatible": _OPENAI,
    "huggingface": _OPENAI,
    "groq": ImageLimits(max_long_side=2048, max_bytes=3 * MB, max_pixels=33_000_000),
    "anthropic": _ANTHROPIC,
    "bedrock": ImageLimits(max_long_side=1568, max_bytes=3 * MB + 3 * MB // 4),
    "google_genai": ImageLimits(max_long_side=3072, max_bytes=15 * MB),
    "google_vertexai": ImageLimits(max_long_side=3072, max_bytes=15 * MB),
    "ollama": ImageLimits(max_long_side=2048, max_bytes=20 * MB),
}

# The audio formats each provider takes; others are converted to MP3 before sending.
_CHAT_COMPLETIONS_AUDIO = frozenset({"audio/wav", "audio/mpeg"})
_GEMINI_AUDIO = frozenset({"audio/wav", "audio/mpeg", "audio/aac", "audio/ogg", "audio/flac"})
AUDIO_FORMATS: dict[str, frozenset[str]] = {
    "openai": _CHAT_COMPLETIONS_AUDIO,
    "azure_openai": _CHAT_COMPLETIONS_AUDIO,
    "openai_compatible": _CHAT_COMPLETIONS_AUDIO,
    "google_genai": _GEMINI_AUDIO,
    "google_vertexai": _GEMINI_AUDIO,
    "bedrock": frozenset(
        {
            "audio/wav",
            "audio/mpeg",
            "audio/aac",
            "audio/ogg",
            "audio/flac",
            "audio/mp4",
            "audio/webm",
        }
    ),  # fmt: skip
}
CONVERT_AUDIO_TO = "audio/mpeg"


def audio_target(provider: str, media_type: str) -> str | None:
    """The format to send audio in: None to send it as it is."""
    accepted = AUDIO_FORMATS.get(provider)
    if accepted is None or media_type in accepted:
        return None
    return CONVERT_AUDIO_TO


def estimated_image_tokens(
    provider: str, width: int, height: int, detail: str | None = None, model: str | None = None
) -> int | None:
    """What an image of this size costs as input, where the provider documents a formula."""
    if width < 1 or height < 1:
        return None
    if provider in ("openai", "azure_openai"):
        return _openai_tiles(width, height, detail)
    if provider == "anthropic" or (provider == "bedrock" and "claude" in (model or "")):
        return math.ceil(width * height / 750)
    if provider in ("google_genai", "google_vertexai"):
        if width <= 384 and height <= 384:
            return 258
        return 258 * math.ceil(width / 768) * math.ceil(height / 768)
    return None


def _openai_tiles(width: int, height: int, detail: str | None) -> int:
    """GPT-4o's rule: 85 at low detail; otherwise fit in 2048², shorter side to 768, then 170
    per 512-pixel tile, plus 85."""
    if detail == "low":
        return 85
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return 85 + 170 * math.ceil(width / 512) * math.ceil(height / 512)
