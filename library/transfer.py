"""Export and import of a prompt: all its versions in order, its labels (by the version number
they point at) and the library tools its versions pin, each with its versions and fixtures, as
one JSON document {"format": "playground.prompt", "version": 1, ...}.

No secret, no connection id and no email goes out: a version names its connection as it
recorded it (name and kind), its author by display name. An import is read and checked whole
before anything is written, then written in one transaction into a team the importing user
may edit, as that user; a refusal (TransferRefused) says what is wrong and where, e.g.
"versions[2].messages: expected a list", and nothing is written."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import transaction
from django.db.models import Max

from accounts import permissions
from library import schemas, tags, tools
from library.claiming import item_to_extend
from library.models import (
    LABEL_PATTERN,
    Label,
    LabelMove,
    Prompt,
    PromptVersion,
    Tool,
    ToolFixture,
    ToolVersion,
)

FORMAT = "playground.prompt"
FORMAT_VERSION = 1
MAX_BYTES = 2 * 1024 * 1024
ROLES = ("user", "assistant", "tool")
TEXT_LIMITS = {"system_prompt": None, "connection_name": 100, "connection_kind": 40,
               "model": 200, "tool_choice": 200, "commit_message": 300}  # fmt: skip


class TransferRefused(ValueError):
    """What is wrong with the file and where, said to the user as it is."""


def _display_name(user: Any) -> str:
    if user is None:
        return ""
    return (user.get_full_name() or user.get_username()).strip()


# -- export ------------------------------------------------------------------------------------


def exported(prompt: Prompt, user: Any) -> dict[str, Any]:
    """The prompt as one JSON-ready document. Only tools `user` may see go with it (a pin of
    another is left out; the version still holds the definition it ran with)."""
    versions = list(prompt.versions.select_related("author").order_by("number"))
    pinned_ids = {pin.get("tool") for v in versions for pin in v.tool_versions or []}
    shown = permissions.visible(user, Tool.objects.filter(pk__in=pinned_ids))
    kept = {tool.pk: tool for tool in shown.prefetch_related("versions", "fixtures")}
    numbers = {version.pk: version.number for tool in kept.values()
               for version in tool.versions.all()}  # fmt: skip
    return {
        "format": FORMAT, "version": FORMAT_VERSION,
        "prompt": {"name": prompt.name, "visibility": prompt.visibility, "tags": prompt.tags},
        "versions": [_exported_version(v, kept, numbers) for v in versions],
        "labels": [{"name": label.name, "version": label.version.number}
                   for label in prompt.labels.select_related("version")],
        "tools": [_exported_tool(tool) for tool in sorted(kept.values(), key=lambda t: t.name)],
    }  # fmt: skip


def _exported_version(version: PromptVersion, kept: dict[int, Tool], numbers: dict[int, int]
                      ) -> dict[str, Any]:  # fmt: skip
    pins = [{"name": kept[pin["tool"]].name, "number": numbers[pin["version"]]}
            for pin in version.tool_versions or []
            if pin.get("tool") in kept and pin.get("version") in numbers]  # fmt: skip
    return {
        "number": version.number, "system_prompt": version.system_prompt,
        "messages": version.messages, "model": version.model, "params": version.params,
        "connection_name": version.connection_name, "connection_kind": version.connection_kind,
        "tools": version.tools, "tool_versions": pins, "tool_choice": version.tool_choice,
        "output_schema": version.output_schema, "commit_message": version.commit_message,
        "author": _display_name(version.author),
        "created_at": version.created_at.isoformat() if version.created_at else None,
    }  # fmt: skip


def _exported_tool(tool: Tool) -> dict[str, Any]:
    return {
        "name": tool.name, "tags": tool.tags,
        "versions": [{"number": v.number, "description": v.description,
                      "parameters": v.parameters}
                     for v in sorted(tool.versions.all(), key=lambda v: v.number)],
        "fixtures": [{"arguments": f.arguments, "result": f.result} for f in tool.fixtures.all()],
    }  # fmt: skip


def exported_json(prompt: Prompt, user: Any) -> str:
    return json.dumps(exported(prompt, user), indent=2, ensure_ascii=False)


# -- reading and checking ----------------------------------------------------------------------


def _field(item: dict[str, Any], key: str, kind: type | tuple[type, ...], where: str,
           *, required: bool = True, default: Any = None) -> Any:  # fmt: skip
    place = f"{where}.{key}" if where else key
    if key not in item:
        if required:
            raise TransferRefused(f"{place}: missing")
        return default
    value = item[key]
    names = {str: "a string", list: "a list", dict: "an object", int: "a whole number"}
    wanted = kind if isinstance(kind, tuple) else (kind,)
    if not isinstance(value, wanted) or (isinstance(value, bool) and bool not in wanted):
        raise TransferRefused(f"{place}: expected " + " or ".join(
            names.get(k, "null" if k is type(None) else k.__name__) for k in wanted))  # fmt: skip
    return value


def _text(item: dict[str, Any], key: str, where: str, limit: int | None) -> str:
    value = _field(item, key, str, where, required=False, default="")
    if limit is not None and len(value) > limit:
        raise TransferRefused(f"{where}.{key}: at most {limit} characters")
    return value


def _tags(item: dict[str, Any], where: str) -> list[str]:
    value = _field(item, "tags", list, where, required=False, default=[])
    if not all(isinstance(tag, str) for tag in value):
        raise TransferRefused(f"{where}.tags: expected a list of strings")
    try:
        return tags.parsed(",".join(value)) if value else []
    except tags.TagsRefused as refused:
        raise TransferRefused(f"{where}.tags: {str(refused).removesuffix(' Nothing was saved.')}"
                              ) from None  # fmt: skip


def _messages(value: list[Any], where: str) -> list[dict[str, Any]]:
    for number, message in enumerate(value):
        place = f"{where}.messages[{number}]"
        if not isinstance(message, dict):
            raise TransferRefused(f"{place}: expected an object")
        role = _field(message, "role", str, place)
        if role not in ROLES:
            raise TransferRefused(f"{place}.role: expected one of {', '.join(ROLES)}")
        _field(message, "content", str, place)
        _field(message, "tool_calls", list, place, required=False)
    return value


def _version(item: Any, where: str, previous: int) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise TransferRefused(f"{where}: expected an object")
    number = _field(item, "number", int, where)
    if number <= previous:
        raise TransferRefused(f"{where}.number: versions go in order, each number above the "
                              f"one before ({previous})")  # fmt: skip
    state: dict[str, Any] = {name: _text(item, name, where, limit)
                             for name, limit in TEXT_LIMITS.items()}  # fmt: skip
    state["messages"] = _messages(_field(item, "messages", list, where), where)
    state["params"] = _field(item, "params", dict, where, required=False, default={})
    state["tools"] = _field(item, "tools", list, where, required=False, default=[])
    for index, definition in enumerate(state["tools"]):
        try:
            tools.checked(definition)
        except tools.ToolRefused as refused:
            raise TransferRefused(f"{where}.tools[{index}]: {refused}") from None
    schema = _field(item, "output_schema", (dict, type(None)), where, required=False)
    if schema is not None:
        try:
            schemas.checked(json.dumps(schema))
        except schemas.SchemaRefused as refused:
            raise TransferRefused(f"{where}.output_schema: {refused}") from None
    state["output_schema"] = schema
    pins = _field(item, "tool_versions", list, where, required=False, default=[])
    for index, pin in enumerate(pins):
        place = f"{where}.tool_versions[{index}]"
        if not isinstance(pin, dict):
            raise TransferRefused(f"{place}: expected an object")
        _field(pin, "name", str, place)
        _field(pin, "number", int, place)
    return {"number": number, "state": state, "pins": pins}


def _tool(item: Any, where: str) -> dict[str, Any]:
    if not isinstance(item, dict):
        raise TransferRefused(f"{where}: expected an object")
    name = _field(item, "name", str, where)
    versions = _field(item, "versions", list, where)
    if not versions:
        raise TransferRefused(f"{where}.versions: a tool has at least one version")
    checked_versions, previous = [], 0
    for index, version in enumerate(versions):
        place = f"{where}.versions[{index}]"
        if not isinstance(version, dict):
            raise TransferRefused(f"{place}: expected an object")
        number = _field(version, "number", int, place)
        if number <= previous:
            raise TransferRefused(f"{place}.number: versions go in order, each number above "
                                  f"the one before ({previous})")  # fmt: skip
        previous = number
        definition = {"name": name, "description": _text(version, "description", place, None),
                      "parameters": _field(version, "parameters", dict, place)}  # fmt: skip
        try:
            clean = tools.checked(definition)
        except tools.ToolRefused as refused:
            raise TransferRefused(f"{place}: {refused}") from None
        checked_versions.append({"number": number, "description": clean["description"],
                                 "parameters": clean["parameters"]})  # fmt: skip
    fixtures = _field(item, "fixtures", list, where, required=False, default=[])
    for index, fixture in enumerate(fixtures):
        place = f"{where}.fixtures[{index}]"
        if not isinstance(fixture, dict):
            raise TransferRefused(f"{place}: expected an object")
        _field(fixture, "arguments", dict, place)
        if not _field(fixture, "result", str, place).strip():
            raise TransferRefused(f"{place}.result: empty")
    return {"name": name, "versions": checked_versions, "tags": _tags(item, where),
            "fixtures": [{"arguments": f["arguments"], "result": f["result"]} for f in fixtures]}  # fmt: skip


def read(data: bytes | str) -> dict[str, Any]:
    """The document, checked whole; TransferRefused says what is wrong and where."""
    if len(data.encode() if isinstance(data, str) else data) > MAX_BYTES:
        raise TransferRefused("The file is over 2 MB; a prompt file is smaller.")
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        raise TransferRefused("The file is not JSON: pick a .prompt.json file exported from "
                              "a prompt's page.") from None  # fmt: skip
    if not isinstance(document, dict):
        raise TransferRefused("The file holds no prompt: expected a JSON object.")
    if document.get("format") != FORMAT:
        raise TransferRefused(f'format: expected "{FORMAT}"')
    if document.get("version") != FORMAT_VERSION:
        raise TransferRefused(f"version: expected {FORMAT_VERSION} (this file says "
                              f"{document.get('version')!r})")  # fmt: skip
    about = _field(document, "prompt", dict, "")
    name = _field(about, "name", str, "prompt").strip()
    if not name or len(name) > 120:
        raise TransferRefused("prompt.name: 1 to 120 characters")
    visibility = _field(about, "visibility", str, "prompt", required=False,
                        default=Prompt.Visibility.TEAM)  # fmt: skip
    if visibility not in Prompt.Visibility.values:
        raise TransferRefused(f"prompt.visibility: expected one of "
                              f"{', '.join(Prompt.Visibility.values)}")  # fmt: skip
    versions, previous = [], 0
    for index, item in enumerate(_field(document, "versions", list, "")):
        versions.append(_version(item, f"versions[{index}]", previous))
        previous = versions[-1]["number"]
    if not versions:
        raise TransferRefused("versions: a prompt has at least one version")
    found_tools = [_tool(item, f"tools[{index}]")
                   for index, item in enumerate(_field(document, "tools", list, "",
                                                       required=False, default=[]))]  # fmt: skip
    by_name = {tool["name"]: tool for tool in found_tools}
    if len(by_name) != len(found_tools):
        raise TransferRefused("tools: two tools have the same name")
    for index, version in enumerate(versions):
        for pin_index, pin in enumerate(version["pins"]):
            tool = by_name.get(pin["name"])
            if tool is None or pin["number"] not in {v["number"] for v in tool["versions"]}:
                raise TransferRefused(f"versions[{index}].tool_versions[{pin_index}]: no tool "
                                      f"{pin['name']!r} version {pin['number']} in tools")  # fmt: skip
    labels = []
    numbers = {version["number"] for version in versions}
    for index, label in enumerate(_field(document, "labels", list, "", required=False,
                                         default=[])):  # fmt: skip
        place = f"labels[{index}]"
        if not isinstance(label, dict):
            raise TransferRefused(f"{place}: expected an object")
        label_name = _field(label, "name", str, place)
        if label_name == "latest" or not re.match(LABEL_PATTERN, label_name):
            raise TransferRefused(f"{place}.name: {label_name!r} is not a label name (1 to 36 "
                                  "characters of a–z, 0–9, _ . and -; not “latest”)")  # fmt: skip
        number = _field(label, "version", int, place)
        if number not in numbers:
            raise TransferRefused(f"{place}.version: there is no version {number}")
        labels.append({"name": label_name, "version": number})
    if len({label["name"] for label in labels}) != len(labels):
        raise TransferRefused("labels: two labels have the same name")
    return {"name": name, "visibility": visibility, "versions": versions, "labels": labels,
            "tools": found_tools, "tags": _tags(about, "prompt")}  # fmt: skip


# -- import ------------------------------------------------------------------------------------


def _free_name(team: Any, name: str) -> str:
    taken = set(Prompt.objects.filter(team=team, name__startswith=name[:100])
                .values_list("name", flat=True))  # fmt: skip
    if name not in taken:
        return name
    number = 2
    while True:
        suffix = f" ({number})"
        candidate = name[: 120 - len(suffix)] + suffix
        if candidate not in taken and not Prompt.objects.filter(team=team,
                                                                name=candidate).exists():  # fmt: skip
            return candidate
        number += 1


def _add_version(tool: Tool, description: str, parameters: dict[str, Any], author: Any
                 ) -> ToolVersion:  # fmt: skip
    number = (tool.versions.aggregate(Max("number"))["number__max"] or 0) + 1
    return ToolVersion.objects.create(tool=tool, number=number, author=author,
                                      description=description, parameters=parameters)  # fmt: skip


def _imported_tool(team: Any, author: Any, item: dict[str, Any], pinned: set[int]
                   ) -> dict[int, ToolVersion]:  # fmt: skip
    """The team's tool of that name (made when it has none) with the file's versions: all of
    them for a new tool; for one the team has, a new version for a pinned one it lacks and
    for the latest when the team's latest differs. By the file's version number."""
    tool, made = item_to_extend(Tool, team, item["name"], author, TransferRefused,
                                tags=item["tags"])  # fmt: skip
    found: dict[int, ToolVersion] = {}
    have = [] if made else list(tool.versions.order_by("number"))
    last = item["versions"][-1]
    for version in item["versions"]:
        definition = (version["description"], version["parameters"])
        same = next((v for v in reversed(have) if (v.description, v.parameters) == definition),
                    None)  # fmt: skip
        if version is last and have and (have[-1].description, have[-1].parameters) != definition:
            same = None  # the latest comes in as the newest
        if same is None and (made or version is last or version["number"] in pinned):
            same = _add_version(tool, *definition, author)
            have.append(same)
        if same is not None:
            found[version["number"]] = same
    known = {(json.dumps(f.arguments, sort_keys=True), f.result) for f in tool.fixtures.all()}
    for fixture in item["fixtures"]:
        key = (json.dumps(fixture["arguments"], sort_keys=True), fixture["result"])
        if key not in known:
            ToolFixture.objects.create(tool=tool, arguments=fixture["arguments"],
                                       result=fixture["result"], created_by=author)  # fmt: skip
            known.add(key)
    return found


def import_prompt(team: Any, author: Any, data: bytes | str) -> Prompt:
    """The file's prompt, made in `team` as `author` (all of it, or nothing)."""
    document = read(data)
    with transaction.atomic():
        by_tool: dict[str, dict[int, ToolVersion]] = {}
        for item in document["tools"]:
            pinned = {pin["number"] for version in document["versions"]
                      for pin in version["pins"] if pin["name"] == item["name"]}  # fmt: skip
            by_tool[item["name"]] = _imported_tool(team, author, item, pinned)
        prompt = Prompt.objects.create(team=team, name=_free_name(team, document["name"]),
                                       owner=author, visibility=document["visibility"],
                                       tags=document["tags"])  # fmt: skip
        made: dict[int, PromptVersion] = {}
        for version in document["versions"]:
            pins = []
            for pin in version["pins"]:
                target = by_tool[pin["name"]][pin["number"]]
                pins.append({"tool": target.tool_id, "version": target.pk,
                             "number": target.number, "name": pin["name"]})  # fmt: skip
            made[version["number"]] = PromptVersion.objects.create(
                prompt=prompt, number=version["number"], author=author,
                **{**version["state"], "tool_versions": pins})  # fmt: skip
        for label in document["labels"]:
            saved = Label.objects.create(prompt=prompt, name=label["name"],
                                         version=made[label["version"]])  # fmt: skip
            LabelMove.objects.create(label=saved, from_version=None,
                                     to_version=made[label["version"]], moved_by=author)  # fmt: skip
    return prompt
