"""The compare app's building blocks: what each module offers is listed in its __all__, and
none of it needs the database (the panes, engine and templates call them from anywhere)."""

from __future__ import annotations

import importlib
import inspect

import pytest

from compare.apps import CompareConfig

MODULES = ("compare.alignment", "compare.chart", "compare.diff", "compare.metrics")


def test_the_app_is_named_compare():
    assert CompareConfig.name == "compare"


@pytest.mark.parametrize("name", MODULES)
def test_every_public_function_and_class_of_a_module_is_in_its_all(name):
    module = importlib.import_module(name)
    defined_here = {
        attribute
        for attribute, value in vars(module).items()
        if not attribute.startswith("_")
        and (inspect.isfunction(value) or inspect.isclass(value))
        and value.__module__ == name
    }
    assert defined_here <= set(module.__all__)
    assert all(hasattr(module, attribute) for attribute in module.__all__)


def test_the_api_the_compare_screen_calls_is_there():
    from compare import chart, diff, metrics

    assert {"word_diff", "tool_call_diff", "WordDiff", "ToolCallDiff"} <= set(diff.__all__)
    assert {"metrics_chart"} <= set(chart.__all__)
    assert {
        "PaneFigures", "marks", "format_ms", "format_rate", "format_cost", "format_tokens",
    } <= set(metrics.__all__)  # fmt: skip


@pytest.mark.parametrize("name", MODULES)
def test_no_module_has_models_or_touches_the_database(name):
    source = inspect.getsource(importlib.import_module(name))
    assert "django.db" not in source
