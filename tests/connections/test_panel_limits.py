"""The settings panel checks what the chosen connection's provider takes, from its record."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from chat.run_settings import NUMERIC_FIELDS, parse_run_settings
from connections.llm import panel_limits


def stops(count: int) -> str:
    return "\n".join(f"#{number}" for number in range(count))


def refused(data: dict, kind: str | None) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        parse_run_settings({"model": "m", **data}, kind=kind)
    return {name: " ".join(messages) for name, messages in caught.value.message_dict.items()}


@pytest.mark.parametrize(("kind", "most"), [("google_genai", 5), ("anthropic", 16),
                                            ("bedrock", 16), ("ollama", 16), ("openai", 4)])  # fmt: skip
def test_each_provider_takes_its_own_number_of_stop_sequences(kind, most):
    chosen = parse_run_settings({"model": "m", "stop": stops(most)}, kind=kind)
    assert len(chosen.params["stop"]) == most
    assert f"At most {most} stop sequences for " in refused({"stop": stops(most + 1)}, kind)["stop"]


def test_anthropic_refuses_a_temperature_its_range_does_not_hold():
    message = refused({"temperature": "1.5"}, "anthropic")["temperature"]
    assert message == "Temperature must be between 0 and 1 for Anthropic."
    assert parse_run_settings({"temperature": "1.5"}, kind="openai").params["temperature"] == 1.5


def test_without_a_kind_the_loosest_ranges_apply():
    chosen = parse_run_settings({"temperature": "2", "stop": stops(16)})
    assert (chosen.params["temperature"], len(chosen.params["stop"])) == (2.0, 16)
    assert "between 0 and 2." in refused({"temperature": "2.5"}, None)["temperature"]
    assert refused({"stop": stops(17)}, None)["stop"] == "At most 16 stop sequences, one per line."


def test_the_panel_is_told_each_kinds_limits():
    anthropic = panel_limits("anthropic")
    assert anthropic["max_stop_sequences"] == 16
    assert anthropic["ranges"]["temperature"] == (0.0, 1.0)
    assert anthropic["ranges"]["top_p"] == (0.0, 1.0)
    assert anthropic["ranges"]["timeout"] == (1, 600)  # the playground's own, for every kind
    assert panel_limits("google_genai")["ranges"]["seed"] == (-(2**31), 2**31 - 1)
    loosest = panel_limits(None)
    assert (loosest["max_stop_sequences"], loosest["ranges"]["temperature"]) == (16, (0.0, 2.0))
    assert panel_limits("no-such-kind") == loosest
    assert set(loosest["ranges"]) == set(NUMERIC_FIELDS)
    assert all(NUMERIC_FIELDS[name][2:] == bounds for name, bounds in loosest["ranges"].items())


def test_the_playgrounds_own_limits_are_not_said_to_be_the_providers():
    assert refused({"timeout": "0"}, "anthropic")["timeout"] == "Timeout must be between 1 and 600."
    assert (
        "between 1 and 1000000 for Anthropic"
        in refused({"max_tokens": "0"}, "anthropic")["max_tokens"]
    )
