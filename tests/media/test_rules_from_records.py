"""Media fitting reads each provider's limits, audio formats and image-token formula from its
record (providers.PROVIDERS); media/provider_rules.py holds no number of its own."""

from __future__ import annotations

import dataclasses

import pytest

from media import AUDIO_FORMATS, IMAGE_LIMITS, audio_target, estimated_image_tokens
from media.provider_rules import IMAGE_TOKEN_FORMULAS
from providers import PROVIDERS


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_the_image_limits_are_the_records_numbers(provider):
    record, limits = PROVIDERS[provider].image_limits, IMAGE_LIMITS[provider]
    assert (limits.max_long_side, limits.max_bytes, limits.max_pixels) == (
        record.max_long_side, record.max_bytes, record.max_pixels)  # fmt: skip


def test_anthropic_and_bedrock_limits_are_as_documented():
    assert dataclasses.astuple(PROVIDERS["anthropic"].image_limits) == (1568, 5 * 2**20, 1_150_000)
    assert IMAGE_LIMITS["bedrock"].max_bytes == 3.75 * 2**20


def test_audio_formats_are_the_records_and_a_provider_without_any_gets_audio_as_it_is():
    assert AUDIO_FORMATS == {p: s.audio_formats for p, s in PROVIDERS.items() if s.audio_formats}
    assert audio_target("anthropic", "audio/webm") is None  # refused before, never converted


def test_every_formula_a_record_names_exists(monkeypatch):
    named = {spec.image_tokens for spec in PROVIDERS.values()} - {""}
    assert named <= set(IMAGE_TOKEN_FORMULAS)
    monkeypatch.setitem(PROVIDERS, "groq", dataclasses.replace(PROVIDERS["groq"],
                                                               image_tokens="claude_pixels"))  # fmt: skip
    assert estimated_image_tokens("groq", 750, 100) == 100  # the record chooses the formula
    assert estimated_image_tokens("no-such-provider", 750, 100) is None
