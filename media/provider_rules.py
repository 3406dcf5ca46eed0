"""Each provider's media rules as media fitting uses them: image limits, the audio formats it
takes and its formula for what an image costs in tokens (docs: provider-protocols.md).

The numbers are read from the provider records (`providers.PROVIDERS`, design §2: media
fitting reads the record, nothing restates it); the formulas, which are arithmetic rather
than facts, live here under the names the records give them.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from media.images import ImageLimits
from providers import PROVIDERS

IMAGE_LIMITS: dict[str, ImageLimits] = {
    spec.id: ImageLimits(
        max_long_side=spec.image_limits.max_long_side,
        max_bytes=spec.image_limits.max_bytes,
        max_pixels=spec.image_limits.max_pixels,
    )
    for spec in PROVIDERS.values()
}

# The audio formats each provider takes; others are converted to MP3 before sending.
AUDIO_FORMATS: dict[str, frozenset[str]] = {
    spec.id: spec.audio_formats for spec in PROVIDERS.values() if spec.audio_formats
}
CONVERT_AUDIO_TO = "audio/mpeg"


def audio_target(provider: str, media_type: str) -> str | None:
    """The format to send audio in: None to send it as it is."""
    accepted = AUDIO_FORMATS.get(provider)
    if accepted is None or media_type in accepted:
        return None
    return CONVERT_AUDIO_TO


def _openai_tiles(width: int, height: int, detail: str | None, model: str | None) -> int:
    """GPT-4o's rule: 85 at low detail; otherwise fit in 2048², shorter side to 768, then 170
    per 512-pixel tile, plus 85."""
    if detail == "low":
        return 85
    scale = min(1.0, 2048 / max(width, height))
    width, height = width * scale, height * scale
    scale = min(1.0, 768 / min(width, height))
    width, height = width * scale, height * scale
    return 85 + 170 * math.ceil(width / 512) * math.ceil(height / 512)


def _claude_pixels(width: int, height: int, detail: str | None, model: str | None) -> int:
    return math.ceil(width * height / 750)


def _claude_pixels_on_claude_models(
    width: int, height: int, detail: str | None, model: str | None
) -> int | None:
    """A host of several model families (Bedrock): only its Claude models document one."""
    return _claude_pixels(width, height, detail, model) if "claude" in (model or "") else None


def _gemini_tiles(width: int, height: int, detail: str | None, model: str | None) -> int:
    if width <= 384 and height <= 384:
        return 258
    return 258 * math.ceil(width / 768) * math.ceil(height / 768)


IMAGE_TOKEN_FORMULAS: dict[str, Callable[[int, int, str | None, str | None], int | None]] = {
    "openai_tiles": _openai_tiles,
    "claude_pixels": _claude_pixels,
    "claude_pixels_on_claude_models": _claude_pixels_on_claude_models,
    "gemini_tiles": _gemini_tiles,
}


def estimated_image_tokens(
    provider: str, width: int, height: int, detail: str | None = None, model: str | None = None
) -> int | None:
    """What an image of this size costs as input, where the provider documents a formula."""
    spec = PROVIDERS.get(provider)
    formula = IMAGE_TOKEN_FORMULAS.get(spec.image_tokens) if spec else None
    if formula is None or width < 1 or height < 1:
        return None
    return formula(width, height, detail, model)
