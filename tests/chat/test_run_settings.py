import json

import pytest
from django.core.exceptions import ValidationError

from chat.models import Pane
from chat.pane_settings import apply, form_values
from chat.run_settings import parse_run_settings
from chat.tool_settings import EXAMPLE_TOOLS


def test_blank_fields_are_left_to_the_provider():
    settings = parse_run_settings(
        {"connection": "3", "model": " m ", "temperature": "", "stop": "\n"}
    )
    assert (settings.connection_id, settings.model, settings.params) == (3, "m", {})


def test_every_field_is_parsed_to_its_type():
    settings = parse_run_settings({
        "connection": "1", "model": "m", "temperature": "0.5", "max_tokens": "100", "top_p": "1",
        "seed": "-4", "timeout": "30", "max_retries": "0", "stop": "###\n\nEND\n",
        "system_prompt": "Be terse.",
    })  # fmt: skip
    assert settings.params == {
        "temperature": 0.5, "max_tokens": 100, "top_p": 1.0, "seed": -4, "timeout": 30.0,
        "max_retries": 0, "stop": ["###", "END"],
    }  # fmt: skip
    assert settings.system_prompt == "Be terse."


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("temperature", "2.5", "between 0 and 2"),
        ("temperature", "warm", "must be a number"),
        ("temperature", "nan", "finite"),
        ("max_tokens", "0", "between 1"),
        ("max_tokens", "1.5", "whole number"),
        ("top_p", "1.1", "between 0 and 1"),
        ("timeout", "0", "between 1 and 600"),
        ("max_retries", "11", "between 0 and 10"),
        ("stop", "a\nb\nc\nd\ne", "At most 4"),
        ("connection", "abc", "Choose a connection"),
    ],
)
def test_bad_values_are_refused_in_plain_words(field, value, message):
    with pytest.raises(ValidationError) as caught:
        parse_run_settings({"model": "m", field: value}, kind="openai")
    assert message in " ".join(caught.value.message_dict[field])


def test_values_from_a_list_use_the_last_one():
    assert parse_run_settings({"model": ["a", "b"]}).model == "b"


def test_saved_settings_come_back_as_the_same_form_values():
    data = {"connection": "2", "model": "m", "temperature": "0.3", "max_tokens": "64", "top_p": "",
            "seed": "", "timeout": "60", "max_retries": "2", "stop": "###\nEND",
            "system_prompt": "Hi", "tools": json.dumps(EXAMPLE_TOOLS, indent=2),
            "tool_choice": "get_weather", "output_schema": "", "auto_reply": "on",
            "auto_reply_steps": "3", "repeat": "4"}  # fmt: skip
    pane = Pane()
    apply(pane, parse_run_settings(data))
    assert form_values(pane) == data


def test_a_form_without_the_tools_box_keeps_the_saved_box():
    pane = Pane(tools=EXAMPLE_TOOLS, tool_choice="auto")
    settings = parse_run_settings({"model": "m"})
    assert settings.tools is None
    apply(pane, settings)
    assert pane.tools == EXAMPLE_TOOLS and pane.tool_choice == "auto"


def test_a_form_without_the_system_prompt_leaves_the_saved_one_alone():
    assert parse_run_settings({"model": "m"}).system_prompt is None
    assert parse_run_settings({"model": "m", "system_prompt": ""}).system_prompt == ""
