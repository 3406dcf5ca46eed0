"""The permission matrix over HTTP, as data: one `Case` per (kind, action, URL), saying who
may do it in the team world (the private world allows only the author of what the team
world allows, unless the case is about the team itself), and one `Listing` per list that
must name an object exactly for those who may see it. test_matrix.py runs every case for
every role in both worlds.

Who may see an object (`Case.sees_in`) is asked separately from who may do the action:
someone who may not see it gets 404 whatever they ask; someone who may see it but not do
this gets what the view answers a refusal with (`refused`, 404 unless said otherwise).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from chat.models import Message, Pane
from library.models import PromptVersion
from tests.permissions.conftest import (
    AUTHOR,
    EDITORS,
    FIXTURE_RESULT,
    MEMBERS,
    OWNERS,
    SEARCH,
    World,
    jpeg,
    name,
    tool_call_in,
)

Build = Callable[[World, str], Any]  # (world, role) -> a URL, or form data


def at(url_name: str, *args: Any, **query: Any) -> str:
    url = reverse(url_name, args=args)
    return f"{url}?{urlencode(query, doseq=True)}" if query else url


@dataclass(frozen=True)
class Case:
    kind: str
    action: str
    label: str
    url: Build
    allowed: frozenset[str]  # in the team world
    method: str = "GET"
    data: Build | None = None
    ok: frozenset[int] = frozenset({200})  # what the view answers those allowed
    refused: frozenset[int] = frozenset({404})  # ...and those who see it but may not do this
    writes: bool = False  # an allowed request changes the database (a refused one never does)
    names_object: bool = True  # the URL names it: who may not see it gets 404, nothing else
    team_scoped: bool = False  # about the team, not the object: the same in both worlds
    setup: Callable[[World], Any] | None = None
    private: frozenset[str] | None = None  # allowed in the private world, when not the rule's

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.action}-{self.label.replace(' ', '_')}"

    def allowed_in(self, visibility: str) -> frozenset[str]:
        if self.team_scoped or visibility == "team":
            return self.allowed
        return self.private if self.private is not None else self.allowed & AUTHOR

    def sees_in(self, visibility: str) -> frozenset[str]:
        return MEMBERS if self.team_scoped or visibility == "team" else AUTHOR


@dataclass(frozen=True)
class Listing:
    """A page that lists objects: it names `needle` (the object's name unless said) exactly
    for the roles allowed; those outside the team find the stem nowhere on it."""

    kind: str
    label: str
    url: Build
    allowed: frozenset[str]
    needle: str = ""
    action: str = "list"
    setup: Callable[[World, str], Any] | None = None
    stem_free: bool = True  # False: the page itself shows a name with the stem (a call's)

    @property
    def id(self) -> str:
        return f"{self.kind}-{self.action}-{self.label.replace(' ', '_')}"

    @property
    def wanted(self) -> str:
        return self.needle or name(self.kind)

    def allowed_in(self, visibility: str) -> frozenset[str]:
        return self.allowed if visibility == "team" else self.allowed & AUTHOR


# -- what the cases point at ------------------------------------------------------------------


def first_pane(w: World) -> Pane:
    return w.conversation.panes.order_by("position").first()


def second_pane(w: World) -> Pane:
    return Pane.objects.create(conversation=w.conversation, position=1, connection=w.site,
                               model="m2")  # fmt: skip


def panes_ab(w: World, role: str) -> str:
    a, b = w.conversation.panes.order_by("position")[:2]
    return at("compare-diff", w.conversation.pk, a=a.pk, b=b.pk)


def second_prompt_version(w: World) -> None:
    PromptVersion.objects.create(prompt=w.prompt, number=2, author=w.people["author"],
                                 system_prompt="Changed.", messages=[], model="m",
                                 connection_name=w.site.name, connection_kind=w.site.kind,
                                 commit_message="Second")  # fmt: skip


def tool_result_in_own(w: World, role: str) -> str:
    """A typed result of a call of the library tool, in the role's own conversation: "Save
    as fixture" keeps it for the tool of that name one may change."""
    call = tool_call_in(w.own_pane(role), name("tool"))
    result = Message.objects.create(conversation=call.conversation, turn=call.turn,
                                    pane=call.pane, role="tool", tool_call_id="c1",
                                    tool_name=name("tool"), content="typed result")  # fmt: skip
    return reverse("library-fixture-from-message", args=[result.pk])


def own_with_tool_call(w: World, role: str) -> None:
    tool_call_in(w.own_pane(role), name("tool"))


def upload(w: World, role: str) -> dict:
    return {"file": SimpleUploadedFile("upload.jpg", jpeg(), content_type="image/jpeg")}


def connection_form(w: World, role: str) -> dict:
    return {"kind": "openai_compatible", "name": "Renamed connection", "api_key": "",
            "base_url": "http://127.0.0.1:9/v2"}  # fmt: skip


def new_connection_form(w: World, role: str) -> dict:
    return {"kind": "openai_compatible", "name": "Fresh connection", "team": str(w.team.pk),
            "base_url": "http://127.0.0.1:9/v1", "api_key": "sk-fresh-0000"}  # fmt: skip


def tool_definition(tool_name: str, description: str) -> str:
    return json.dumps({"name": tool_name, "description": description,
                       "parameters": {"type": "object", "properties": {}}})  # fmt: skip


def share_data(w: World, role: str) -> dict:
    """Shared: make it private; private: share it with the team (both change who sees it)."""
    return {"share": "private" if w.visibility == "team" else str(w.team.pk)}


def own_page(w: World, role: str) -> str:
    return at("conversation", w.own_pane(role).conversation_id)


def own_picker(w: World, role: str) -> str:
    pane = w.own_pane(role)
    return at("model-picker", pane.conversation_id, pane=pane.pk)


def own_save_form(w: World, role: str) -> str:
    pane = w.own_pane(role)
    return at("library-save", conversation=pane.conversation_id, pane=pane.pk)


def save_version_data(w: World, role: str) -> dict:
    pane = w.own_pane(role)
    return {"prompt": str(w.prompt.pk), "conversation": pane.conversation_id, "pane": pane.pk,
            "commit_message": "From my pane"}  # fmt: skip


def new_schema_body(w: World, role: str) -> dict:
    return {"body": json.dumps({"type": "object", "properties": {"b": {"type": "string"}}})}


def fresh_schema(w: World, role: str) -> dict:
    return {"team": str(w.team.pk), "name": "fresh",
            "body": json.dumps({"type": "object", "properties": {}})}  # fmt: skip


C, M, P, T, S, K = "conversation", "attachment", "prompt", "tool", "schema", "connection"
POST = "POST"
FOUND = frozenset({302})
DONE = frozenset({204})
SAID = frozenset({400})  # the view says why, on the page

# One line a case: (kind, action, label, URL, allowed in the team world, then what differs).
# fmt: off
CASES: list[Case] = [
    # -- conversation ---------------------------------------------------------------------
    Case(C, "open", "page", lambda w, r: at("conversation", w.conversation.pk), MEMBERS),
    Case(C, "open", "raw message", lambda w, r: at("message-raw", w.question.pk), MEMBERS),
    Case(C, "open", "compare panel", lambda w, r: at("compare-turn", w.conversation.pk), MEMBERS),
    Case(C, "open", "differences", panes_ab, MEMBERS, setup=second_pane),
    Case(C, "open", "view code", lambda w, r: at("pane-code", w.conversation.pk, first_pane(w).pk),
         MEMBERS),
    Case(C, "open", "save prompt form", lambda w, r: at(
        "library-save", conversation=w.conversation.pk, pane=first_pane(w).pk), MEMBERS),
    Case(C, "download", "json", lambda w, r: at("conversation-export-json", w.conversation.pk),
         MEMBERS),
    Case(C, "download", "markdown", lambda w, r: at("conversation-export-markdown",
                                                    w.conversation.pk), MEMBERS),
    Case(C, "fork", "from the answer", lambda w, r: at("message-fork", w.answer.pk), MEMBERS,
         POST, ok=FOUND, writes=True),
    Case(C, "edit", "rename form", lambda w, r: at("conversation-rename", w.conversation.pk),
         EDITORS),
    Case(C, "edit", "rename", lambda w, r: at("conversation-rename", w.conversation.pk),
         EDITORS, POST, lambda w, r: {"title": "Renamed"}, writes=True),
    Case(C, "edit", "message form", lambda w, r: at("message-edit", w.question.pk), EDITORS),
    Case(C, "edit", "message", lambda w, r: at("message-edit", w.question.pk), EDITORS, POST,
         lambda w, r: {"text": "Changed words"}, ok=DONE, writes=True),
    Case(C, "edit", "alternative", lambda w, r: at("message-alternative", w.answer.pk),
         EDITORS, POST, lambda w, r: {"step": "1"}, ok=DONE),  # there is none: nothing moves
    Case(C, "edit", "add by hand", lambda w, r: at("message-add", w.conversation.pk), EDITORS,
         POST, lambda w, r: {"role": "user", "text": "Added"}, ok=DONE, writes=True),
    Case(C, "edit", "add pane", lambda w, r: at("pane-add", w.conversation.pk), EDITORS, POST,
         ok=DONE, writes=True),
    Case(C, "edit", "duplicate pane", lambda w, r: at("pane-duplicate", w.conversation.pk,
                                                      first_pane(w).pk), EDITORS, POST,
         ok=DONE, writes=True),
    Case(C, "edit", "move pane", lambda w, r: at("pane-move", w.conversation.pk,
                                                 first_pane(w).pk), EDITORS, POST,
         lambda w, r: {"direction": "right"}, ok=DONE, writes=True, setup=second_pane),
    Case(C, "edit", "pane settings", lambda w, r: at("pane-settings", w.conversation.pk,
                                                     first_pane(w).pk), EDITORS, POST,
         lambda w, r: {"connection": str(w.site.pk), "model": "other-model"}, writes=True),
    Case(C, "edit", "sync settings", lambda w, r: at("conversation-sync", w.conversation.pk),
         EDITORS, POST, lambda w, r: {"sync_settings": "on"}, ok=DONE, writes=True),
    Case(C, "edit", "model options", lambda w, r: at("model-options", w.conversation.pk,
                                                     pane=first_pane(w).pk), EDITORS),
    Case(C, "edit", "model picker", lambda w, r: at("model-picker", w.conversation.pk,
                                                    pane=first_pane(w).pk), EDITORS),
    Case(C, "edit", "model capabilities", lambda w, r: at("model-capabilities",
                                                          w.conversation.pk), EDITORS),
    Case(C, "delete", "conversation", lambda w, r: at("conversation-delete", w.conversation.pk),
         AUTHOR, POST, ok=FOUND, writes=True),
    Case(C, "delete", "message", lambda w, r: at("message-delete", w.answer.pk), EDITORS, POST,
         ok=DONE, writes=True),
    Case(C, "delete", "pane", lambda w, r: at("pane-remove", w.conversation.pk,
                                              first_pane(w).pk), EDITORS, POST, ok=DONE,
         writes=True, setup=second_pane),
    Case(C, "share", "share with", lambda w, r: at("conversation-share", w.conversation.pk),
         AUTHOR, POST, share_data, ok=FOUND, writes=True),
    # -- attachment -----------------------------------------------------------------------
    Case(M, "download", "sent", lambda w, r: at("attachment", w.photo.pk), MEMBERS),
    Case(M, "download", "pending", lambda w, r: at("attachment", w.pending.pk), MEMBERS),
    Case(M, "edit", "upload", lambda w, r: at("attachment-upload", w.conversation.pk), EDITORS,
         POST, upload, writes=True),
    Case(M, "delete", "pending", lambda w, r: at("attachment-remove", w.conversation.pk,
                                                 w.pending.pk), EDITORS, POST, writes=True),
    # -- connection: the team's (private world: the author's own, "Only me") --------------
    Case(K, "open", "edit form", lambda w, r: at("connection-edit", w.connection.pk), OWNERS,
         private=AUTHOR),
    Case(K, "edit", "save", lambda w, r: at("connection-edit", w.connection.pk), OWNERS, POST,
         connection_form, ok=FOUND, writes=True, private=AUTHOR),
    Case(K, "delete", "delete", lambda w, r: at("connection-delete", w.connection.pk), OWNERS,
         POST, ok=FOUND, writes=True, private=AUTHOR),
    Case(K, "run", "test", lambda w, r: at("connection-test", w.connection.pk), MEMBERS, POST),
    Case(K, "run", "model list", lambda w, r: at(
        "model-options", w.own_pane(r).conversation_id, pane=w.own_pane(r).pk,
        connection=w.connection.pk), MEMBERS),
    Case(K, "run", "capabilities", lambda w, r: at(
        "model-capabilities", w.own_pane(r).conversation_id, connection=w.connection.pk,
        model="m"), MEMBERS),
    # Picked in one's own pane: the form names it, so a refusal is the form's ("no longer
    # exists, or is not one you may use"), 200, the pane unchanged.
    Case(K, "run", "pick in own pane", lambda w, r: at(
        "pane-settings", w.own_pane(r).conversation_id, w.own_pane(r).pk), MEMBERS, POST,
        lambda w, r: {"connection": str(w.connection.pk), "model": "m"}, writes=True,
        refused=frozenset({200}), names_object=False),
    # "For" Crew: only its owners may choose it (the form says the choice is not valid).
    Case(K, "edit", "add for the team", lambda w, r: at("connections"), OWNERS, POST,
         new_connection_form, ok=FOUND, refused=frozenset({200}), writes=True,
         names_object=False, team_scoped=True),
    # -- prompt ---------------------------------------------------------------------------
    Case(P, "open", "page", lambda w, r: at("library-prompt", w.prompt.pk), MEMBERS),
    Case(P, "open", "diff", lambda w, r: at("library-diff", w.prompt.pk, a=1, b=1), MEMBERS),
    Case(P, "download", "export", lambda w, r: at("library-export", w.prompt.pk), MEMBERS),
    Case(P, "run", "open in playground", lambda w, r: at("library-open", w.prompt.pk), MEMBERS,
         POST, lambda w, r: {"version": "latest"}, ok=FOUND, writes=True),
    Case(P, "run", "compare versions", lambda w, r: at("library-compare", w.prompt.pk),
         MEMBERS, POST, lambda w, r: {"versions": ["latest"], "models": "m, n"}, ok=FOUND,
         writes=True),
    Case(P, "edit", "move label", lambda w, r: at("library-label", w.prompt.pk), EDITORS,
         POST, lambda w, r: {"label": "production", "version": "1"}, ok=FOUND, writes=True),
    Case(P, "edit", "restore", lambda w, r: at("library-restore",
                                               w.prompt.versions.get(number=1).pk), EDITORS,
         POST, ok=FOUND, writes=True, setup=second_prompt_version),
    Case(P, "edit", "tags", lambda w, r: at("library-tags", "prompt", w.prompt.pk), EDITORS,
         POST, lambda w, r: {"tags": "fresh"}, ok=FOUND, writes=True),
    # Save version from one's own pane: the form names the prompt; who may not change it
    # is offered a new prompt instead, and without a team that is refused (400).
    Case(P, "edit", "save version", lambda w, r: at("library-save"), EDITORS, POST,
         save_version_data, ok=FOUND, refused=SAID, writes=True, names_object=False),
    Case(P, "delete", "delete", lambda w, r: at("library-delete", w.prompt.pk), EDITORS, POST,
         ok=FOUND, writes=True),
    # -- tool -----------------------------------------------------------------------------
    Case(T, "open", "page", lambda w, r: at("library-tool", w.tool.pk), MEMBERS),
    Case(T, "edit", "new version", lambda w, r: at("library-tool-version", w.tool.pk), EDITORS,
         POST, lambda w, r: {"definition": tool_definition(w.tool.name, "Looks again.")},
         ok=FOUND, writes=True),
    Case(T, "edit", "add fixture", lambda w, r: at("library-tool-fixture", w.tool.pk), EDITORS,
         POST, lambda w, r: {"arguments": '{"q": "a"}', "result": "r"}, ok=FOUND, writes=True),
    Case(T, "edit", "tags", lambda w, r: at("library-tags", "tool", w.tool.pk), EDITORS, POST,
         lambda w, r: {"tags": "fresh"}, ok=FOUND, writes=True),
    # The tool is found by the result's name: who may not change it is told to add it first.
    Case(T, "edit", "save as fixture", tool_result_in_own, EDITORS, POST, ok=DONE,
         refused=SAID, writes=True, names_object=False),
    Case(T, "edit", "add to the team", lambda w, r: at("library-tool-add"), EDITORS, POST,
         lambda w, r: {"team": str(w.team.pk), "definition": tool_definition("fresh", "New.")},
         ok=FOUND, refused=FOUND, writes=True, names_object=False, team_scoped=True),
    Case(T, "delete", "delete", lambda w, r: at("library-tool-delete", w.tool.pk), EDITORS,
         POST, ok=FOUND, writes=True),
    # -- schema ---------------------------------------------------------------------------
    Case(S, "open", "page", lambda w, r: at("library-schema", w.schema.pk), MEMBERS),
    Case(S, "run", "use in own pane", lambda w, r: at("library-schema-use", w.schema_version.pk),
         MEMBERS, POST, lambda w, r: {"pane": w.own_pane(r).pk}, ok=FOUND, writes=True),
    Case(S, "edit", "new version", lambda w, r: at("library-schema-version", w.schema.pk),
         EDITORS, POST, new_schema_body, ok=FOUND, writes=True),
    Case(S, "edit", "tags", lambda w, r: at("library-tags", "schema", w.schema.pk), EDITORS,
         POST, lambda w, r: {"tags": "fresh"}, ok=FOUND, writes=True),
    Case(S, "edit", "add to the team", lambda w, r: at("library-schema-add"), EDITORS, POST,
         fresh_schema, ok=FOUND, refused=FOUND, writes=True, names_object=False,
         team_scoped=True),
    Case(S, "delete", "delete", lambda w, r: at("library-schema-delete", w.schema.pk), EDITORS,
         POST, ok=FOUND, writes=True),
    # -- the team itself: owners manage members; a member who may not is told so (400), one
    # outside finds no team (404) -----------------------------------------------------------
    Case("team", "open", "page", lambda w, r: at("team-detail", w.team.pk), MEMBERS,
         team_scoped=True),
    Case("team", "share", "invite", lambda w, r: at("team-invite", w.team.pk), OWNERS, POST,
         lambda w, r: {"role": "viewer", "hours": "24"}, refused=SAID, writes=True,
         team_scoped=True),
    Case("team", "edit", "change a role", lambda w, r: at(
        "team-role", w.team.pk, w.people["viewer"].pk), OWNERS, POST,
        lambda w, r: {"role": "editor"}, ok=FOUND, refused=SAID, writes=True, team_scoped=True),
    # Removing the viewer: owners may, and the viewer may leave (removing oneself).
    Case("team", "delete", "remove a member", lambda w, r: at(
        "team-remove", w.team.pk, w.people["viewer"].pk), frozenset({"owner", "viewer"}),
        POST, ok=FOUND, refused=SAID, writes=True, team_scoped=True),
]

LISTINGS: list[Listing] = [
    Listing(C, "sidebar", own_page, MEMBERS),
    Listing(C, "search by title", lambda w, r: at("conversation-search", q=SEARCH), MEMBERS),
    Listing(C, "search by words", lambda w, r: at("conversation-search", q="Private words"),
            MEMBERS),
    Listing(K, "connections page", lambda w, r: at("connections"), MEMBERS),
    Listing(K, "pane select", own_page, MEMBERS),
    Listing(K, "model picker", own_picker, MEMBERS),
    Listing(P, "library", lambda w, r: at("library"), MEMBERS),
    Listing(P, "library search", lambda w, r: at("library", q=SEARCH), MEMBERS),
    Listing(P, "library prompts", lambda w, r: at("library", kind="prompts"), MEMBERS),
    Listing(P, "save form's prompts", own_save_form, EDITORS),
    Listing(T, "tools page", lambda w, r: at("library-tools"), MEMBERS),
    Listing(T, "tools search", lambda w, r: at("library-tools", q=SEARCH), MEMBERS),
    Listing(T, "library tools", lambda w, r: at("library", kind="tools", q=SEARCH), MEMBERS),
    Listing(T, "export", lambda w, r: at("library-tools-export"), MEMBERS, action="download"),
    # "Answer with fixture" on a call of the tool in one's own conversation: the fixture's
    # result is offered to those who may see the tool. (The call names the tool on the page
    # for everyone, so only the result is looked for.)
    Listing(T, "fixture offered", own_page, MEMBERS, needle=FIXTURE_RESULT, action="run",
            setup=own_with_tool_call, stem_free=False),
    Listing(S, "schemas page", lambda w, r: at("library-schemas"), MEMBERS),
    Listing(S, "library schemas", lambda w, r: at("library", kind="schemas", q=SEARCH),
            MEMBERS),
]
# fmt: on
