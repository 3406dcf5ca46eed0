"""A pane's request (chat/view_code.py builds it) written as code that runs: curl, Python
with httpx, and LangChain.

Credentials are read from environment variables, never written out. Each attachment is read
from a file saved next to the code (the dialog offers them, exactly as the run sent them):
the body shown holds a placeholder where the file's base64 goes, and the code puts it there.
Bedrock requests are signed with SigV4 (curl's --aws-sigv4, botocore's signer in Python)
unless the connection uses a Bedrock API key; Vertex AI takes an OAuth access token.
"""

from __future__ import annotations

import json
import re
import shlex
from dataclasses import dataclass, field
from typing import Any

KEY = "PLAYGROUND_KEY_PLACEHOLDER"  # stands where a credential goes in the headers shown
WIDTH = 92  # Python literals longer than this are spread over lines
LANGCHAIN_PROVIDERS = {"openai_compatible": "openai", "bedrock": "bedrock_converse"}
VERTEX_TOKEN_HINT = "# export VERTEX_ACCESS_TOKEN=$(gcloud auth print-access-token)"


class NoCode(ValueError):
    """Why no code can be shown for the pane (said as it is)."""


@dataclass(frozen=True)
class SentFile:
    name: str  # unique within the request: the code reads the file by this name
    media_type: str
    data: bytes  # exactly the bytes the request carries (the fitted rendition)
    placeholder: str  # where its base64 stands in the body shown

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class PaneRequest:
    provider: str
    model: str
    url: str
    headers: dict[str, str]  # a credential's header holds KEY, never the credential
    body: dict[str, Any]  # each attachment's base64 replaced by its file's placeholder
    key_variable: str  # the environment variable the credential is read from ("" for none)
    from_run: bool  # the last run's request (else what the pane would send now)
    parameters: dict[str, Any] = field(default_factory=dict)
    tools: list[Any] = field(default_factory=list)
    tool_choice: str = ""
    output_schema: Any = None
    base_url: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)  # in LangChain's dict form
    files: tuple[SentFile, ...] = ()
    address: dict[str, str] = field(default_factory=dict)  # region, project, api_version...
    sigv4: bool = False  # a Bedrock request signed with AWS credentials
    session_token: bool = False  # ...that are temporary (AWS_SESSION_TOKEN)

    @property
    def variables(self) -> list[str]:
        """Every environment variable the code reads."""
        if self.sigv4:
            return ["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] + (
                ["AWS_SESSION_TOKEN"] if self.session_token else []
            )
        return [self.key_variable] if self.key_variable else []


def _notes(request: PaneRequest) -> list[str]:
    """The comments every snippet starts with: what to set and where the files go."""
    notes = []
    if request.provider == "google_vertexai":
        notes.append(VERTEX_TOKEN_HINT)
    if request.files:
        names = ", ".join(f.name for f in request.files)
        them = "them" if len(request.files) > 1 else "it"
        notes.append(f"# Reads {names} from the folder it runs in (download {them} from the "
                     "View code dialog).")  # fmt: skip
    return notes


# -- curl ------------------------------------------------------------------------------------


def _shell_header(name: str, value: str, variable: str) -> str:
    if KEY in value:
        left, _, right = value.partition(KEY)
        return f'-H "{name}: {left}${variable}{right}"'
    return "-H " + shlex.quote(f"{name}: {value}")


def curl(request: PaneRequest) -> str:
    notes = _notes(request)
    command = [f"curl -sS -N --fail-with-body {shlex.quote(request.url)}"]
    if request.sigv4:
        if "%" in request.url:  # a model id with ':' or an ARN's '/', encoded
            notes.append("# An older curl signs the encoded model id wrongly (the Python code "
                         "does not).")  # fmt: skip
        command += [f'--aws-sigv4 "aws:amz:{request.address["region"]}:bedrock"',
                    '--user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"']  # fmt: skip
        if request.session_token:
            command.append('-H "x-amz-security-token: $AWS_SESSION_TOKEN"')
    command += [_shell_header(name, value, request.key_variable)
                for name, value in request.headers.items()]  # fmt: skip
    if request.provider == "bedrock":
        notes.append("# The answer is AWS's binary event stream (JSON events inside frames).")
        command.append("--output -")
    command.append("--data-binary @-")
    body = json.dumps(request.body, indent=2, ensure_ascii=False)
    head = "".join(note + "\n" for note in notes)
    if not request.files:
        return head + " \\\n  ".join(command) + " <<'JSON'\n" + body + "\nJSON\n"
    # The body as it is, then each file's base64 where its placeholder stands.
    lines = ["BODY=$(cat <<'JSON'", body, "JSON", ")"]
    lines += [f"BODY=${{BODY//{f.placeholder}/$(base64 < {shlex.quote(f.name)} | tr -d '\\n')}}"
              for f in request.files]  # fmt: skip
    lines.append("printf '%s' \"$BODY\" | " + " \\\n  ".join(command))
    return head + "\n".join(lines) + "\n"


# -- Python ----------------------------------------------------------------------------------


def quoted(text: str) -> str:
    """A Python string literal in double quotes (a JSON string is one)."""
    return json.dumps(text, ensure_ascii=False)


def python_literal(value: Any, expressions: dict[str, str], indent: int = 0) -> str:
    """`value` (JSON-like) as Python source, each placeholder in a string replaced by the
    expression `expressions` gives for it."""
    inline = _inline(value, expressions)
    if len(inline) + indent <= WIDTH or not isinstance(value, (dict, list)) or not value:
        return inline
    pad, end = " " * (indent + 4), " " * indent
    if isinstance(value, dict):
        items = [f"{pad}{quoted(key)}: {python_literal(item, expressions, indent + 4)},"
                 for key, item in value.items()]  # fmt: skip
        return "{\n" + "\n".join(items) + f"\n{end}}}"
    items = [f"{pad}{python_literal(item, expressions, indent + 4)}," for item in value]
    return "[\n" + "\n".join(items) + f"\n{end}]"


def _inline(value: Any, expressions: dict[str, str]) -> str:
    if isinstance(value, dict):
        pairs = (f"{quoted(key)}: {_inline(item, expressions)}" for key, item in value.items())
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_inline(item, expressions) for item in value) + "]"
    if isinstance(value, str):
        if not any(p in value for p in expressions):
            return quoted(value)
        pattern = "(" + "|".join(re.escape(p) for p in expressions) + ")"
        pieces = [piece for piece in re.split(pattern, value) if piece]
        return " + ".join(expressions.get(piece) or quoted(piece) for piece in pieces)
    return repr(value)  # numbers, True, False, None


def _file_expressions(request: PaneRequest) -> dict[str, str]:
    return {f.placeholder: f"file_base64({quoted(f.name)})" for f in request.files}


FILE_HELPER = (
    "\n\ndef file_base64(name):\n"
    '    """A file saved next to this code, in base64 as the request carries it."""\n'
    '    return base64.b64encode(Path(name).read_bytes()).decode("ascii")\n\n'
)


def _imports(plain: list[str], request: PaneRequest, third_party: list[str]) -> str:
    """The imports (standard library, then the others) and the files' helper if needed."""
    if request.files:
        plain = ["import base64", *plain, "from pathlib import Path"]
    text = "\n".join(plain) + "\n\n" * bool(plain) + "\n".join(third_party) + "\n"
    return text + (FILE_HELPER if request.files else "")


def _python_header(value: str, variable: str) -> str:
    if KEY in value:
        left, _, right = (quoted(part)[1:-1].replace("{", "{{").replace("}", "}}")
                          for part in value.partition(KEY))  # fmt: skip
        return f"f\"{left}{{os.environ['{variable}']}}{right}\""
    return quoted(value)


def _call(name: str, arguments: list[str]) -> str:
    """`name(arguments)`, one argument a line when they do not fit on one."""
    inline = f"{name}({', '.join(arguments)})"
    if len(inline) <= WIDTH:
        return inline
    return f"{name}(\n" + "".join(f"    {argument},\n" for argument in arguments) + ")"


def python_httpx(request: PaneRequest) -> str:
    bedrock = request.provider == "bedrock"
    third_party = ["import httpx"]
    if request.sigv4:
        third_party += ["from botocore.auth import SigV4Auth",
                        "from botocore.awsrequest import AWSRequest",
                        "from botocore.credentials import Credentials"]  # fmt: skip
    if bedrock:
        third_party.append("from botocore.eventstream import EventStreamBuffer")
    plain = ["import json"] + (["import os"] if request.variables else [])
    headers = "".join(f"    {quoted(name)}: {_python_header(value, request.key_variable)},\n"
                      for name, value in request.headers.items())  # fmt: skip
    lines = [
        _imports(plain, request, third_party),
        *_notes(request),
        f"URL = {quoted(request.url)}",
        f"HEADERS = {{\n{headers}}}",
        f"BODY = {python_literal(request.body, _file_expressions(request))}",
        "",
        "payload = json.dumps(BODY).encode()  # the bytes sent" + (" and signed" * request.sigv4),
    ]
    if request.sigv4:
        credentials = ['os.environ["AWS_ACCESS_KEY_ID"]', 'os.environ["AWS_SECRET_ACCESS_KEY"]',
                       'os.environ.get("AWS_SESSION_TOKEN")']  # fmt: skip
        region = quoted(request.address["region"])
        lines += [
            "credentials = " + _call("Credentials", credentials),
            'signed = AWSRequest("POST", URL, data=payload, headers=HEADERS)',
            f'SigV4Auth(credentials, "bedrock", {region}).add_auth(signed)',
            "HEADERS = dict(signed.headers.items())",
        ]
    lines += ["",
              'with httpx.stream("POST", URL, headers=HEADERS, content=payload, timeout=120) as '
              "response:",
              "    response.raise_for_status()"]  # fmt: skip
    if bedrock:
        lines += ["    frames = EventStreamBuffer()  # AWS's binary event stream",
                  "    for chunk in response.iter_bytes():",
                  "        frames.add_data(chunk)",
                  "        for frame in frames:",
                  '            kind = frame.headers.get(":event-type") or '
                  'frame.headers.get(":exception-type")',
                  "            print(kind, frame.payload.decode())"]  # fmt: skip
    else:
        lines += ["    for line in response.iter_lines():", "        print(line)"]
    return "\n".join(lines) + "\n"


# -- LangChain -------------------------------------------------------------------------------


def _langchain_arguments(request: PaneRequest) -> tuple[str, list[str], list[str]]:
    """init_chat_model's provider and addressing arguments, and comments on credentials."""
    kind, address = request.provider, request.address
    provider = LANGCHAIN_PROVIDERS.get(kind, kind)
    arguments: list[str] = []
    notes: list[str] = []
    if kind == "bedrock":
        arguments.append(f"region_name={quoted(address['region'])}")
        if request.base_url:
            arguments.append(f"endpoint_url={quoted(request.base_url)}")
        notes.append("# boto3 finds the credentials: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY,"
                     " a profile, or AWS_BEARER_TOKEN_BEDROCK.")  # fmt: skip
    elif kind == "google_vertexai":
        arguments += [f"{name}={quoted(address[name])}" for name in ("project", "location")]
        notes.append("# Application Default Credentials: gcloud auth application-default login")
    elif kind == "azure_openai" and address.get("api_version"):
        endpoint = request.url.split("/openai/", 1)[0]
        arguments += [f"azure_endpoint={quoted(endpoint)}",
                      f"azure_deployment={quoted(request.model)}",
                      f"api_version={quoted(address['api_version'])}"]  # fmt: skip
    elif kind == "azure_openai":  # the v1 API speaks OpenAI's protocol at the resource
        provider = "openai"
        arguments.append(f"base_url={quoted(request.url.removesuffix('/chat/completions'))}")
    elif request.base_url:
        arguments.append(f"base_url={quoted(request.base_url)}")
    if request.key_variable and kind not in ("bedrock", "google_vertexai"):
        arguments.append(f"api_key=os.environ[{quoted(request.key_variable)}]")
    return provider, arguments, notes


def langchain(request: PaneRequest) -> str:
    provider, addressing, notes = _langchain_arguments(request)
    arguments = [quoted(request.model), f"model_provider={quoted(provider)}", *addressing]
    arguments += [f"{name}={python_literal(value, {})}"
                  for name, value in request.parameters.items()]  # fmt: skip
    plain = ["import os"] if any("os.environ" in a for a in arguments) else []
    lines = [_imports(plain, request, ["from langchain.chat_models import init_chat_model"]),
             *[note for note in _notes(request) if note != VERTEX_TOKEN_HINT], *notes,
             "llm = " + _call("init_chat_model", arguments)]  # fmt: skip
    if request.tools:
        choice = [f"tool_choice={quoted(request.tool_choice)}"] if request.tool_choice else []
        tools = python_literal(request.tools, {}, indent=4)
        lines.append("llm = " + _call("llm.bind_tools", [tools, *choice]))
    if request.output_schema:
        schema = python_literal(request.output_schema, {}, indent=4)
        lines.append("llm = " + _call("llm.with_structured_output", [schema]))
    messages = python_literal(request.messages, _file_expressions(request))
    lines += ["", f"messages = {messages}", ""]
    if request.output_schema:  # the answer is one object, checked against the schema
        lines.append("print(llm.invoke(messages))")
    else:
        lines += ["for chunk in llm.stream(messages):",
                  '    print(chunk.content, end="", flush=True)']  # fmt: skip
    return "\n".join(lines) + "\n"


LANGUAGES = (("curl", curl), ("Python", python_httpx), ("LangChain", langchain))
