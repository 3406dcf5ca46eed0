"""View code: the exact request behind a pane as code that runs — curl, Python with httpx, and
LangChain — with the API key read from an environment variable, never written out.

The request is rebuilt by the provider layer itself (its `endpoint`, `headers` and
`build_body`), from the pane's last run as that run recorded it (its settings snapshot and
the ids of the messages it sent), or, before any run, from what the pane would send now.
Bedrock requests are signed and Vertex ones carry a short-lived token: for those only the
LangChain code is given. A request with attachments carries them as the provider takes them
(base64 inside the body).
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field
from typing import Any

from chat.engine import store
from chat.engine.plans import RunPlan, fitted_messages, model_for
from chat.engine.specs import PaneSpec
from chat.models import Message, Pane, Run
from connections.env_connections import ENV_CONNECTIONS
from connections.llm import ConfigurationError

KEY = "PLAYGROUND_KEY_PLACEHOLDER"
PLACEHOLDER_MESSAGE = "Hello!"
SIGNED = {"bedrock", "bedrock_converse", "google_vertexai"}
KEY_VARIABLES = {entry.kind: entry.key_variable for entry in ENV_CONNECTIONS}
KEY_VARIABLES.update({"openai_compatible": "OPENAI_API_KEY", "ollama": "OLLAMA_API_KEY"})
LANGCHAIN_PROVIDERS = {"openai_compatible": "openai", "bedrock": "bedrock_converse"}


@dataclass(frozen=True)
class PaneRequest:
    provider: str
    model: str
    url: str
    headers: dict[str, str]  # the key's header holds KEY, never the key
    body: dict[str, Any]
    key_variable: str  # the environment variable the code reads the key from ("" for none)
    from_run: bool  # the last run's request (else what the pane would send now)
    parameters: dict[str, Any] = field(default_factory=dict)
    tools: list[Any] = field(default_factory=list)
    tool_choice: str = ""
    output_schema: Any = None
    base_url: str = ""


class NoCode(ValueError):
    """Why no code can be shown for the pane (said as it is)."""


def _run_and_history(pane: Pane) -> tuple[Run, list[Message], bool]:
    last = (
        pane.runs.exclude(status=Run.Status.STREAMING)
        .exclude(history=[])
        .order_by("-started_at", "-pk")
        .first()
    )
    if last is not None:
        by_id = {
            m.pk: m
            for m in store.with_attachments(list(Message.objects.filter(pk__in=last.history)))
        }
        return last, [by_id[pk] for pk in last.history if pk in by_id], True
    spec = PaneSpec.of(pane)
    if spec.connection is None or not spec.model:
        raise NoCode(spec.problem or "Choose a connection and a model first.")
    # An unsaved run whose answer would come after every message: its history is all of them.
    run = Run(conversation_id=pane.conversation_id, pane=pane, message_id=2**62,
              **spec.run_fields())  # fmt: skip
    history = store.history_for(run)
    if not history or history[-1].role != Message.Role.USER:
        placeholder = Message(role=Message.Role.USER, content=PLACEHOLDER_MESSAGE)
        placeholder._attached = []  # nothing attached, and no query to learn it
        history.append(placeholder)
    return run, history, False


def pane_request(pane: Pane) -> PaneRequest:
    run, history, from_run = _run_and_history(pane)
    try:
        model = model_for(run)
    except ConfigurationError as error:
        raise NoCode(str(error)) from None
    messages, _received = fitted_messages(RunPlan(run, model, history))
    kind = run.provider
    headers = dict(model.headers()) if kind not in SIGNED else {}
    real = type(model).auth_headers(model.config.api_key) if kind not in SIGNED else {}
    shown = type(model).auth_headers(KEY) if kind not in SIGNED else {}
    for name in real:
        headers[name] = shown.get(name, "")
    request = PaneRequest(
        provider=kind, model=run.model, url=model.endpoint if kind not in SIGNED else "",
        headers=headers, body=model.build_body(messages) if kind not in SIGNED else {},
        key_variable=KEY_VARIABLES.get(kind, "API_KEY") if model.config.api_key else "",
        from_run=from_run, parameters=run.parameters or {}, tools=run.tools or [],
        tool_choice=run.tool_choice or "", output_schema=run.output_schema,
        base_url=model.config.base_url or "",
    )  # fmt: skip
    _no_secret_in(request, model.secret_values())
    return request


def _no_secret_in(request: PaneRequest, secrets: tuple[str, ...]) -> None:
    """Belt and braces: a secret found anywhere in what would be shown stops the page."""
    shown = json.dumps([request.url, request.headers, request.body, request.base_url])
    if any(secret and secret in shown for secret in secrets):
        raise NoCode("This request would show a credential; its code is not shown.")


# -- code -----------------------------------------------------------------------------------


def _shell_header(name: str, value: str, variable: str) -> str:
    if KEY in value:
        left, _, right = value.partition(KEY)
        return f'-H "{name}: {left}${variable}{right}"'
    return "-H " + shlex.quote(f"{name}: {value}")


def curl(request: PaneRequest) -> str:
    if not request.url:
        raise NoCode("This provider's requests are signed; use the LangChain code.")
    lines = [f"curl -sS -N --fail-with-body {shlex.quote(request.url)}"]
    lines += [_shell_header(name, value, request.key_variable)
              for name, value in request.headers.items()]  # fmt: skip
    lines.append("--data-binary @- <<'JSON'")
    return (
        " \\\n  ".join(lines)
        + "\n"
        + json.dumps(request.body, indent=2, ensure_ascii=False)
        + "\nJSON\n"
    )


def _python_header(value: str, variable: str) -> str:
    if KEY in value:
        left, _, right = value.partition(KEY)
        return "f" + repr(f"{left}{{os.environ[{variable!r}]}}{right}")
    return repr(value)


def python_httpx(request: PaneRequest) -> str:
    if not request.url:
        raise NoCode("This provider's requests are signed; use the LangChain code.")
    headers = ",\n".join(f"    {name!r}: {_python_header(value, request.key_variable)}"
                         for name, value in request.headers.items())  # fmt: skip
    body = json.dumps(request.body, indent=2, ensure_ascii=False)
    return (
        "import json\nimport os\n\nimport httpx\n\n"
        f"URL = {request.url!r}\n"
        f"HEADERS = {{\n{headers},\n}}\n"
        f"BODY = json.loads({body!r})\n\n"
        'with httpx.stream("POST", URL, headers=HEADERS, json=BODY, timeout=120) as response:\n'
        "    response.raise_for_status()\n"
        "    for line in response.iter_lines():\n"
        "        print(line)\n"
    )


def langchain(request: PaneRequest) -> str:
    provider = LANGCHAIN_PROVIDERS.get(request.provider, request.provider)
    arguments = [repr(request.model), f"model_provider={provider!r}"]
    if request.base_url and request.provider not in SIGNED:
        arguments.append(f"base_url={request.base_url!r}")
    if request.key_variable:
        arguments.append(f"api_key=os.environ[{request.key_variable!r}]")
    arguments += [f"{name}={value!r}" for name, value in request.parameters.items()]
    lines = ["import os", "", "from langchain.chat_models import init_chat_model", "",
             "llm = init_chat_model(" + ", ".join(arguments) + ")"]  # fmt: skip
    if request.tools:
        choice = f", tool_choice={request.tool_choice!r}" if request.tool_choice else ""
        lines.append(f"llm = llm.bind_tools({request.tools!r}{choice})")
    if request.output_schema:
        lines.append(f"llm = llm.with_structured_output({request.output_schema!r})")
    lines += ["", f"messages = {_langchain_messages(request)!r}", "",
              "for chunk in llm.stream(messages):", "    print(chunk.content, end='', flush=True)"]  # fmt: skip
    return "\n".join(lines) + "\n"


def _langchain_messages(request: PaneRequest) -> list[dict[str, Any]]:
    """The body's messages in LangChain's dict form (role and content), where the body holds
    an OpenAI-style list; other dialects keep theirs as the provider layer built them."""
    messages = request.body.get("messages")
    if isinstance(messages, list):
        return [{"role": m.get("role", "user"), "content": m.get("content") or ""}
                for m in messages if isinstance(m, dict)]  # fmt: skip
    return [{"role": "user", "content": PLACEHOLDER_MESSAGE}]


def all_code(pane: Pane) -> dict[str, Any]:
    """What the View code dialog shows: each tab's code, or why it has none."""
    try:
        request = pane_request(pane)
    except NoCode as reason:
        return {"problem": str(reason)}
    tabs = {}
    for name, render in (("curl", curl), ("Python", python_httpx), ("LangChain", langchain)):
        try:
            tabs[name] = render(request)
        except NoCode as reason:
            tabs[name] = f"# {reason}\n"
    return {"tabs": tabs, "from_run": request.from_run, "key_variable": request.key_variable}
