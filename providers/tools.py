"""Tools and output schemas: whatever the caller gives (a JSON-schema dict, an OpenAI-style
tool dict, a pydantic model class or a plain Python function) becomes one ToolSpec, and
structured answers are validated against their schema."""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import jsonschema
import pydantic

from providers.errors import ConfigurationError, MalformedResponseError
from providers.secrets import clip


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    parameters: dict[str, Any]


@dataclass(frozen=True)
class OutputSchema:
    """What `with_structured_output` asks for; `model` is set when a pydantic class was given."""

    name: str
    schema: dict[str, Any]
    model: type[pydantic.BaseModel] | None = None

    def parse(self, text: str) -> Any:
        try:
            value = json.loads(text)
        except ValueError as error:
            raise MalformedResponseError(
                f"The model's structured answer is not JSON: {clip(text, 300)!r}", body=text
            ) from error
        if self.model is not None:
            try:
                return self.model.model_validate(value)
            except pydantic.ValidationError as error:
                raise MalformedResponseError(
                    f"The model's answer does not fit {self.name}: {error.errors()[0]['msg']} "
                    f"(at {'.'.join(map(str, error.errors()[0]['loc'])) or 'top level'}). "
                    f"Raw answer: {clip(text, 300)!r}",
                    body=text,
                ) from error
        try:
            jsonschema.validate(value, self.schema)
        except jsonschema.ValidationError as error:
            where = "/".join(map(str, error.absolute_path)) or "top level"
            raise MalformedResponseError(
                f"The model's answer does not fit the schema: {error.message} (at {where}). "
                f"Raw answer: {clip(text, 300)!r}",
                body=text,
            ) from error
        return value


def tool_spec(tool: Any) -> ToolSpec:
    if isinstance(tool, ToolSpec):
        return tool
    if isinstance(tool, dict):
        body = tool.get("function", tool) if tool.get("type") == "function" else tool
        if "name" not in body:
            raise ConfigurationError("A tool needs a name: {'name': ..., 'parameters': {...}}.")
        parameters = (
            body.get("parameters")
            or body.get("input_schema")
            or {"type": "object", "properties": {}}
        )
        return ToolSpec(
            body["name"], body.get("description", ""), _checked_schema(parameters, body["name"])
        )
    if inspect.isclass(tool) and issubclass(tool, pydantic.BaseModel):
        return ToolSpec(tool.__name__, inspect.getdoc(tool) or "", tool.model_json_schema())
    if callable(tool):
        return _function_spec(tool)
    raise ConfigurationError(
        f"Tools are JSON-schema dicts, pydantic models or functions, not {type(tool).__name__}."
    )


def output_schema(schema: Any) -> OutputSchema:
    if inspect.isclass(schema) and issubclass(schema, pydantic.BaseModel):
        return OutputSchema(schema.__name__, schema.model_json_schema(), schema)
    if isinstance(schema, dict):
        name = str(schema.get("title") or "answer")
        return OutputSchema(name, _checked_schema(schema, name))
    raise ConfigurationError("An output schema is a JSON-schema dict or a pydantic model class.")


def function_tools(specs: tuple[ToolSpec, ...]) -> list[dict[str, Any]]:
    """The OpenAI `tools` shape (also what Ollama takes)."""
    return [
        {"type": "function",
         "function": {"name": t.name, "description": t.description, "parameters": t.parameters}}
        for t in specs
    ]  # fmt: skip


def tool_arguments(name: str, raw: Any, *, provider: str) -> dict[str, Any]:
    """A tool call's arguments as a dict, from the JSON text (or the object) the provider
    sent. Anything but an object is wrapped as {"value": ...}, so `.arguments` is a dict."""
    if isinstance(raw, dict):
        return raw
    value: Any = raw
    if isinstance(raw, str | bytes):
        try:
            value = json.loads(raw or "{}")
        except ValueError as error:
            text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
            raise MalformedResponseError(
                f"The model called {name} with arguments that are not valid JSON ({error}): "
                f"{clip(text, 200)!r}. Try again; if it keeps happening, the model may not "
                "handle this tool's schema — simplify it or use a stronger model.",
                provider=provider,
            ) from None
    if value is None:
        return {}
    return value if isinstance(value, dict) else {"value": value}


def safe_name(name: str) -> str:
    """A name every provider accepts for a tool or schema: [a-zA-Z0-9_-], at most 64."""
    return re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "answer"


def _checked_schema(schema: dict[str, Any], name: str) -> dict[str, Any]:
    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as error:
        raise ConfigurationError(
            f"The schema of {name} is not valid JSON Schema: {error.message}"
        ) from None
    return schema


def _function_spec(function: Callable[..., Any]) -> ToolSpec:
    """A function's signature becomes its parameters (annotations, defaults); its docstring
    its description."""
    fields: dict[str, Any] = {}
    for name, parameter in inspect.signature(function).parameters.items():
        annotation = (
            parameter.annotation if parameter.annotation is not inspect.Parameter.empty else Any
        )
        default = parameter.default if parameter.default is not inspect.Parameter.empty else ...
        fields[name] = (annotation, default)
    model = pydantic.create_model(function.__name__, **fields)
    schema = model.model_json_schema()
    schema.pop("title", None)
    return ToolSpec(function.__name__, inspect.getdoc(function) or "", schema)
