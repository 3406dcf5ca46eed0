"""The real format from the bytes, and each provider's media rules."""

from __future__ import annotations

import pytest

from media import audio_target, canonical, estimated_image_tokens, sniff
from tests.media import corpus


@pytest.mark.parametrize(
    ("data", "media_type"),
    [
        (corpus.encoded(corpus.upright(), "JPEG"), "image/jpeg"),
        (corpus.encoded(corpus.upright(), "PNG"), "image/png"),
        (corpus.encoded(corpus.upright(), "WEBP"), "image/webp"),
        (corpus.encoded(corpus.upright(), "GIF"), "image/gif"),
        (corpus.encoded(corpus.upright(), "BMP"), "image/bmp"),
        (corpus.encoded(corpus.upright(), "TIFF"), "image/tiff"),
        (corpus.heic(), "image/heic"),
        (corpus.SVG, "image/svg+xml"),
        (b"  <svg viewBox='0 0 1 1'></svg>", "image/svg+xml"),
        (corpus.tone("audio/wav"), "audio/wav"),
        (corpus.tone("audio/mpeg"), "audio/mpeg"),
        (corpus.tone("audio/ogg"), "audio/ogg"),
        (corpus.tone("audio/webm"), "audio/webm"),
        (corpus.tone("audio/flac"), "audio/flac"),
        (corpus.tone("audio/mp4"), "audio/mp4"),
        (corpus.tone("audio/aac"), "audio/aac"),
        (b"BMx", None),
        (b"<html><body>hi</body></html>", None),
        (b"", None),
    ],
)  # fmt: skip
def test_it_tells_the_format_from_the_bytes(data, media_type):
    assert sniff(data) == media_type


def test_claims_are_read_leniently():
    assert canonical("image/JPG") == "image/jpeg"
    assert canonical("audio/webm;codecs=opus") == "audio/webm"
    assert canonical("application/octet-stream") == canonical(None) == ""


@pytest.mark.parametrize(
    ("provider", "size", "detail", "tokens"),
    [
        ("openai", (1024, 1024), "high", 765),  # OpenAI's own worked examples
        ("openai", (2048, 4096), "high", 1105),
        ("openai", (4096, 8192), "low", 85),
        ("azure_openai", (512, 512), None, 255),
        ("anthropic", (1000, 1000), None, 1334),
        ("google_genai", (384, 384), None, 258),
        ("google_vertexai", (1000, 1000), None, 1032),
        ("ollama", (1000, 1000), None, None),  # no documented formula
    ],
)
def test_image_token_estimates_follow_each_documented_formula(provider, size, detail, tokens):
    assert estimated_image_tokens(provider, *size, detail) == tokens


def test_claude_on_bedrock_is_estimated_like_anthropic_but_other_bedrock_models_are_not():
    assert estimated_image_tokens("bedrock", 750, 100, model="anthropic.claude-3-5") == 100
    assert estimated_image_tokens("bedrock", 750, 100, model="amazon.nova-lite-v1") is None


@pytest.mark.parametrize(
    ("provider", "media_type", "target"),
    [
        ("openai", "audio/webm", "audio/mpeg"),
        ("openai", "audio/wav", None),
        ("openai", "audio/mpeg", None),
        ("azure_openai", "audio/ogg", "audio/mpeg"),
        ("google_genai", "audio/ogg", None),
        ("google_genai", "audio/webm", "audio/mpeg"),
        ("google_vertexai", "audio/mp4", "audio/mpeg"),
        ("bedrock", "audio/webm", None),
    ],
)
def test_audio_is_converted_only_where_the_provider_needs_it(provider, media_type, target):
    assert audio_target(provider, media_type) == target
