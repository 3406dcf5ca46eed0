"""Export and import: a conversation (panes, settings, messages, attachments) leaves as JSON
that imports back into a new conversation, or as Markdown; a file that is not ours or is
damaged is refused with a clear message and leaves nothing behind."""

from __future__ import annotations

import base64
import json

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Q
from django.urls import reverse

from chat import attachments
from chat.models import Attachment, Blob, Conversation, Message, Pane, Turn
from chat.transfer import ImportRefused, export_data, import_conversation
from tests.chat.test_attachments import as_file, jpeg_with_gps

EVERY = Q()  # every connection: these tests' are all the site's

pytestmark = pytest.mark.django_db


@pytest.fixture
def compared(user, make_connection, make_conversation):
    """Two panes, a turn with an image, each pane's answer, a tool call and its result."""
    connection = make_connection(name="Local llama", api_key="sk-secret-key-1234")
    conversation = make_conversation(user, title="Compare two", sync_settings=True)
    first = Pane.objects.create(conversation=conversation, position=0, connection=connection,
                                model="small", system_prompt="Be brief.",
                                params={"temperature": 0.2, "stop": ["END"]},
                                tools=[{"name": "weather", "parameters": {"type": "object"}}])  # fmt: skip
    second = Pane.objects.create(conversation=conversation, position=1, model="large")
    turn = Turn.objects.create(conversation=conversation)
    question = Message.objects.create(conversation=conversation, turn=turn, role="user",
                                      content="What is in the picture?")  # fmt: skip
    photo = attachments.store_upload(conversation, user,
                                     as_file(jpeg_with_gps(), "cat.jpg", "image/jpeg"))  # fmt: skip
    Attachment.objects.filter(pk=photo.pk).update(message=question, detail="low")
    Message.objects.create(conversation=conversation, turn=turn, pane=first, role="assistant",
                           content="A **red** square.", reasoning="Looks red.",
                           tool_calls=[{"id": "c1", "name": "weather", "arguments": {"city": "Oslo"}}])  # fmt: skip
    Message.objects.create(conversation=conversation, turn=turn, pane=first, role="tool",
                           content="12C", tool_call_id="c1", tool_name="weather")  # fmt: skip
    Message.objects.create(conversation=conversation, turn=turn, pane=second, role="assistant",
                           content="Red.", status="stopped")  # fmt: skip
    return conversation


def shape(conversation: Conversation) -> dict:
    data = export_data(conversation, usable=EVERY)
    data.pop("exported_at")
    for message in data["messages"]:
        message.pop("run", None)
    return data


def test_an_export_imports_back_into_an_equal_new_conversation(user, compared):
    raw = json.dumps(export_data(compared, usable=EVERY)).encode()
    copy = import_conversation(user, raw)
    assert copy.pk != compared.pk and copy.owner == user
    assert shape(copy) == shape(compared)
    panes = list(copy.panes.order_by("position"))
    assert panes[0].connection.name == "Local llama"  # matched by name and kind
    image = Attachment.objects.get(message__conversation=copy)
    assert (image.name, image.detail, image.kind) == ("cat.jpg", "low", "image")
    original = Attachment.objects.get(message__conversation=compared)
    assert image.blob_id == original.blob_id  # the same bytes, stored once


def test_branches_and_alternatives_travel_and_the_same_answers_are_shown(user, compared):
    from chat import choosing
    from chat.engine import rerunning, starting, store
    from tests.chat.test_engine_turns import _finished

    Message.objects.filter(conversation=compared, status="stopped").update(status="done")
    small = Message.objects.get(conversation=compared, pane__model="small", role="tool")
    again = rerunning.regenerate(compared, small.pk, every_pane=False)  # a second answer
    _finished(again.runs[0], "A second look.")
    choosing.step(Message.objects.get(content="A second look."), -1)  # the first one shown
    question = Message.objects.get(conversation=compared, role="user")
    for run in rerunning.rerun_from(compared, question.pk, user).runs:  # a branch
        _finished(run, f"{run.pane.model} on the branch")
    later = starting.start_turn(compared, "And later?")
    for run in later.runs:
        _finished(run, "Later.")

    def shown(conversation):
        return [(m.role, m.content, getattr(m, "shown_position", None))
                for m in store.page_messages(conversation.pk)]  # fmt: skip

    copy = import_conversation(user, json.dumps(export_data(compared, usable=EVERY)).encode())
    assert shown(copy) == shown(compared)
    assert copy.turns.count() == compared.turns.count() == 3
    copied_question = Message.objects.get(conversation=copy, role="user", turn__active=True,
                                          turn__parent__isnull=True)  # fmt: skip
    assert choosing.step(copied_question, -1)  # back to the first branch, in the copy too
    assert ("assistant", "A **red** square.", (1, 2)) in shown(copy)


def test_the_export_never_holds_a_key(member_client, compared):
    response = member_client.get(reverse("conversation-export-json", args=[compared.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="Compare-two.json"'
    assert b"sk-secret-key-1234" not in response.content and b"1234" not in response.content


def test_markdown_reads_as_the_conversation(member_client, compared):
    text = member_client.get(
        reverse("conversation-export-markdown", args=[compared.pk])
    ).content.decode()
    assert text.startswith("# Compare two\n")
    assert "## You\n\n*Attached: cat.jpg*\nWhat is in the picture?" in text
    assert "### small (pane 1)\n\n*Called `weather`*\nA **red** square." in text
    assert "### Result of `weather` — small (pane 1)\n\n12C" in text
    assert "### large (pane 2)\n\nRed." in text


def test_someone_elses_conversation_cannot_be_exported(client, admin_user, compared):
    client.force_login(admin_user)
    for name in ("conversation-export-json", "conversation-export-markdown"):
        response = client.get(reverse(name, args=[compared.pk]))
        assert response.status_code == 404 and b"Compare two" not in response.content


def rows() -> tuple[int, ...]:
    return (Conversation.objects.count(), Pane.objects.count(), Message.objects.count(),
            Turn.objects.count(), Attachment.objects.count(), Blob.objects.count())  # fmt: skip


@pytest.mark.parametrize(
    ("mangle", "says"),
    [
        (lambda d: b"\x89PNG not json", "not JSON"),
        (lambda d: json.dumps({"hello": 1}).encode(), "not a Playground conversation"),
        (lambda d: json.dumps([1, 2]).encode(), "not a Playground conversation"),
        (lambda d: json.dumps({**d, "version": 99}).encode(), "damaged at version"),
        (lambda d: json.dumps({**d, "panes": []}).encode(), "damaged at panes"),
        (lambda d: json.dumps(d).encode()[:-40], "not JSON"),  # truncated
        (lambda d: json.dumps({**d, "messages": [{"role": "system", "content": "x"}]}).encode(),
         "damaged at messages/0/role"),
        (lambda d: json.dumps({**d, "messages": [{"role": "user", "pane": 7}]}).encode(),
         "names pane 8"),
        (lambda d: json.dumps({**d, "panes": [{"params": {"evil": "x"}}]}).encode(),
         "damaged at panes/0/params"),
        (lambda d: json.dumps({**d, "panes": [{"tools": [{"nameless": 1}]}]}).encode(),
         "Pane 1's tools or output schema cannot be used"),
        (lambda d: json.dumps({**d, "turns": [{"parent": 0}]}).encode(),
         "does not come before it"),
        (lambda d: json.dumps({**d, "turns": []}).encode(), "names turn 1"),
    ],
)  # fmt: skip
def test_a_file_that_is_not_ours_or_is_damaged_is_refused_and_leaves_nothing(
    user, compared, mangle, says
):
    data = export_data(compared, usable=EVERY)
    before = rows()
    with pytest.raises(ImportRefused) as refused:
        import_conversation(user, mangle(data))
    assert says in str(refused.value)
    assert rows() == before


def test_a_hostile_attachment_is_refused_and_no_file_is_left(user, compared):
    data = export_data(compared, usable=EVERY)
    data["messages"].append({"role": "user", "content": "fine", "attachments": [
        {"name": "new.jpg", "media_type": "image/jpeg",
         "data": base64.b64encode(jpeg_with_gps(color=(1, 2, 3))).decode()},
        {"name": "evil.jpg", "media_type": "image/jpeg",
         "data": base64.b64encode(b"<html><script>alert(1)</script>").decode()},
    ]})  # fmt: skip
    before, files = rows(), set(default_storage.listdir("blobs")[0])
    with pytest.raises(ImportRefused) as refused:
        import_conversation(user, json.dumps(data).encode())
    assert "evil.jpg" in str(refused.value) and "Nothing was imported" in str(refused.value)
    assert rows() == before and set(default_storage.listdir("blobs")[0]) == files


def test_the_import_form_opens_the_new_conversation_or_says_what_is_wrong(
    member_client, user, compared
):
    raw = json.dumps(export_data(compared, usable=EVERY)).encode()
    response = member_client.post(reverse("conversation-import"),
                                  {"file": SimpleUploadedFile("c.json", raw, "application/json")})  # fmt: skip
    newest = Conversation.objects.filter(owner=user).order_by("-pk").first()
    assert response["Location"] == reverse("conversation", args=[newest.pk])
    page = member_client.get(response["Location"]).content.decode()
    assert "Imported “Compare two”." in page and "A <strong>red</strong> square." in page
    bad = member_client.post(reverse("conversation-import"),
                             {"file": SimpleUploadedFile("c.json", b"{}", "application/json")},
                             follow=True)  # fmt: skip
    assert "not a Playground conversation" in bad.content.decode()
