"""The tools box: what a user types is checked with the provider layer's rules."""

from __future__ import annotations

import json

import pytest

from chat.tool_settings import EXAMPLE_TOOLS, parse_tool_settings, tool_settings_text

SCHEMA = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


def test_tools_as_a_json_array_are_kept_as_typed():
    settings, errors = parse_tool_settings(json.dumps(EXAMPLE_TOOLS), "", "")
    assert errors == {}
    assert settings.tools == EXAMPLE_TOOLS
    assert settings.tool_choice == ""


def test_one_tool_without_brackets_is_a_list_of_one():
    settings, errors = parse_tool_settings(json.dumps(EXAMPLE_TOOLS[0]), "required", "")
    assert errors == {} and settings.tools == EXAMPLE_TOOLS and settings.tool_choice == "required"


def test_openai_style_tools_are_accepted():
    tool = {"type": "function", "function": EXAMPLE_TOOLS[0]}
    settings, errors = parse_tool_settings(json.dumps([tool]), "get_weather", "")
    assert errors == {} and settings.tools == [tool]


@pytest.mark.parametrize(
    ("tools", "message"),
    [
        ('[{"name": "a",', "Tools is not valid JSON (line 1, column"),
        ('"get_weather"', "Tools are a JSON array"),
        ("[1]", "Tool 1 is not a JSON object."),
        ('[{"description": "no name"}]', "Tool 1: A tool needs a name"),
        ('[{"name": "get weather"}]', "may hold only letters, digits"),
        ('[{"name": "a"}, {"name": "a"}]', "Two tools are named 'a'"),
        ('[{"name": "a", "parameters": {"type": "objekt"}}]', "not valid JSON Schema"),
    ],
)
def test_bad_tools_are_explained(tools, message):
    settings, errors = parse_tool_settings(tools, "", "")
    assert message in errors["tools"]
    assert settings.tools == []


def test_a_tool_choice_must_name_a_tool_or_a_mode():
    _, errors = parse_tool_settings(json.dumps(EXAMPLE_TOOLS), "get_wether", "")
    assert errors["tool_choice"] == "Tool choice is one of: auto, required, none, get_weather."


def test_an_output_schema_is_checked():
    settings, errors = parse_tool_settings("", "", json.dumps(SCHEMA))
    assert errors == {} and settings.output_schema == SCHEMA
    _, errors = parse_tool_settings("", "", "[1, 2]")
    assert "is a JSON object" in errors["output_schema"]
    _, errors = parse_tool_settings("", "", '{"type": 5}')
    assert "not valid JSON Schema" in errors["output_schema"]


def test_tools_and_a_schema_together_are_refused():
    _, errors = parse_tool_settings(json.dumps(EXAMPLE_TOOLS), "", json.dumps(SCHEMA))
    assert "not both" in errors["output_schema"]


def test_the_saved_box_comes_back_as_pretty_json():
    text = tool_settings_text({"tools": EXAMPLE_TOOLS, "output_schema": None})
    assert json.loads(text["tools"]) == EXAMPLE_TOOLS and "\n  " in text["tools"]
    assert text["output_schema"] == "" and text["tool_choice"] == ""
