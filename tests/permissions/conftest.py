"""The world the permission matrix runs in: one team, "Crew", with an owner, an editor, a
viewer and the author of every object (an editor too), an outsider signed in elsewhere, and
one object of each kind, each named "<STEM>-<kind>" — shared with the team, or (the private
world) the author's alone. The matrix itself is in table.py; the tests ask `world`."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts import teams
from accounts.models import Membership, Role, Team
from chat import attachments
from chat.engine import starting, store
from chat.models import Attachment, Conversation, Message, Pane, Turn
from connections import llm, model_catalogue, views
from connections.crypto import encrypt_secret
from connections.models import Connection
from library import schemas, tools
from library.models import OutputSchema, Prompt, PromptVersion, SchemaVersion, Tool, ToolFixture
from tests.conftest import numbers

STEM = "Zanzibar-secret-7f3"  # in every object's name: never in a refused answer
SEARCH = "secret-7f3"  # what searches type: part of every name, but not the stem (pages echo it)
API_KEY = "sk-never-shown-Q9x7-4242"  # the team connection's key: in no answer, to anyone
FIXTURE_RESULT = f"{STEM}-fixture-result"

ROLES = ("author", "owner", "editor", "viewer", "outsider", "anonymous")
SIGNED_IN = ROLES[:-1]
MEMBERS = frozenset({"author", "owner", "editor", "viewer"})
EDITORS = frozenset({"author", "owner", "editor"})
AUTHOR = frozenset({"author"})
OWNERS = frozenset({"owner"})


def name(kind: str) -> str:
    return f"{STEM}-{kind}"


def jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (16, 12), (30, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def photo(conversation: Conversation, user: Any, file_name: str) -> Attachment:
    upload = SimpleUploadedFile(file_name, jpeg(), content_type="image/jpeg")
    return attachments.store_upload(conversation, user, upload)


@dataclass
class World:
    """Everyone and everything of one test; `visibility` is "team" or "private"."""

    visibility: str
    people: dict[str, Any]
    team: Team
    site: Connection  # the site's connection, every account's: the panes' own
    connection: Connection  # the team's (private world: the author's personal team's)
    conversation: Conversation
    question: Message
    answer: Message
    photo: Attachment  # sent with the question
    pending: Attachment  # uploaded, not sent yet (a chip in the composer)
    prompt: Prompt
    tool: Tool
    fixture: ToolFixture
    schema: OutputSchema
    schema_version: SchemaVersion
    own: dict[str, tuple[Conversation, Pane]] = field(default_factory=dict)

    def user(self, role: str) -> Any:
        return self.people.get(role)

    def client(self, role: str) -> Client:
        client = Client()
        if role != "anonymous":
            client.force_login(self.people[role])
        return client

    def own_pane(self, role: str) -> Pane:
        """A conversation of the role's own with one pane (anonymous has none: the author's
        own, which signed out must not reach either)."""
        owner = self.people["author" if role == "anonymous" else role]
        if role not in self.own:
            mine = Conversation.objects.create(owner=owner, title=f"Own of {role}")
            pane = Pane.objects.create(conversation=mine, position=0, connection=self.site,
                                       model="m")  # fmt: skip
            self.own[role] = (mine, pane)
        return self.own[role][1]


def build_world(visibility: str = "team") -> World:
    User = get_user_model()
    people: dict[str, Any] = {
        role: User.objects.create_user(f"{role}-{next(numbers)}") for role in SIGNED_IN
    }  # fmt: skip  (no password: fast)
    team = teams.create_team("Crew", people["owner"])
    for role in ("author", "editor"):
        Membership.objects.create(team=team, user=people[role], role=Role.EDITOR)
    Membership.objects.create(team=team, user=people["viewer"], role=Role.VIEWER)
    teams.create_team("Elsewhere", people["outsider"])  # the outsider is in a team, not this
    author = people["author"]
    shared = visibility == "team"
    site = Connection.objects.create(name=f"Site {next(numbers)}", kind="openai_compatible",
                                     base_url="http://127.0.0.1:9/v1")  # fmt: skip
    connection = Connection(name=name("connection"), kind="openai_compatible",
                            base_url="http://127.0.0.1:9/v1",
                            team=team if shared else teams.personal_team(author),
                            api_key_encrypted=encrypt_secret(API_KEY),
                            api_key_last4=API_KEY[-4:])  # fmt: skip
    connection.save()

    conversation = Conversation.objects.create(
        owner=author, title=name("conversation"), team=team if shared else None,
        visibility="team" if shared else "private",
    )  # fmt: skip
    Pane.objects.create(conversation=conversation, position=0, connection=site, model="m")
    sent = photo(conversation, author, f"{name('attachment')}.jpg")
    started = starting.start_turn(conversation, "Private words", [str(sent.pk)])
    store.finish_run(str(started.runs[0].pk), text="An answer.", reasoning="", status="done",
                     fields={}, tool_calls=[])  # fmt: skip
    question = started.new_messages[0]
    answer = Message.objects.get(conversation=conversation, role="assistant")
    pending = photo(conversation, author, f"{name('attachment')}-pending.jpg")

    library_visibility = "team" if shared else "private"
    prompt = Prompt.objects.create(team=team, name=name("prompt"), owner=author,
                                   visibility=library_visibility)  # fmt: skip
    PromptVersion.objects.create(prompt=prompt, number=1, author=author, system_prompt="Brief.",
                                 messages=[{"role": "user", "content": "Hello"}],
                                 connection_name=site.name, connection_kind=site.kind,
                                 model="m", commit_message="First")  # fmt: skip
    tool = tools.save_tool(team, author, {
        "name": name("tool"), "description": "Looks things up.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string"}}},
    }).tool  # fmt: skip
    Tool.objects.filter(pk=tool.pk).update(visibility=library_visibility)
    fixture = tools.add_fixture(tool, author, '{"q": "*"}', FIXTURE_RESULT)
    schema_version = schemas.save_schema(team, author, name("schema"), json.dumps(
        {"type": "object", "properties": {"a": {"type": "string"}}}))  # fmt: skip
    OutputSchema.objects.filter(pk=schema_version.schema_id).update(visibility=library_visibility)
    return World(visibility=visibility, people=people, team=team, site=site,
                 connection=connection, conversation=conversation, question=question,
                 answer=answer, photo=sent, pending=pending, prompt=prompt,
                 tool=Tool.objects.get(pk=tool.pk), fixture=fixture,
                 schema=OutputSchema.objects.get(pk=schema_version.schema_id),
                 schema_version=schema_version)  # fmt: skip


def tool_call_in(pane: Pane, tool_name: str) -> Message:
    """A model's unanswered call of `tool_name` in the pane: its card offers "Answer with
    fixture" when a fixture the conversation's owner may use matches."""
    turn = Turn.objects.create(conversation=pane.conversation)
    return Message.objects.create(conversation=pane.conversation, turn=turn, pane=pane,
                                  role="assistant", tool_calls=[
                                      {"id": "c1", "name": tool_name, "arguments": {"q": "x"}}])  # fmt: skip


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(autouse=True)
def no_model_lists(monkeypatch):
    """A connection's model list comes from nowhere: "Test" and the pickers get one name."""

    async def listed(connection):  # type: ignore[no-untyped-def]
        return ["zz-model"]

    for module in (llm, model_catalogue, views):
        if hasattr(module, "list_models"):
            monkeypatch.setattr(module, "list_models", listed)


@pytest.fixture
def world(db) -> World:
    return build_world("team")
