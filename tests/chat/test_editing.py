"""Edit message (chat/editing.py and its view): the page shows the new text marked "edited",
later runs send it, and a run that already sent the old text is still recorded as having sent
exactly that. A refused edit saves nothing."""

from __future__ import annotations

import asyncio

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from chat.editing import NotEdited, edit_into_branch, edit_message
from chat.engine import rerunning, starting, store, turns
from chat.models import Attachment, Message, Run
from tests.chat.test_attachments import as_file, jpeg_with_gps
from tests.chat.test_consumers import Tab
from tests.chat.test_engine_turns import Listener, _finished

pytestmark = pytest.mark.django_db


def _asked(conversation, text: str, answer: str = "Sure.") -> starting.StartedTurn:
    started = starting.start_turn(conversation, text)
    for run in started.runs:
        _finished(run, answer)
    return started


def _shown(conversation) -> list[tuple[str, str, bool]]:
    return [(m.role, m.content, m.edited_from_id is not None)
            for m in store.page_messages(conversation.pk)]  # fmt: skip


@pytest.mark.django_db(transaction=True)
async def test_an_edit_after_a_run_leaves_the_runs_snapshot_as_it_was(user, conversation, model):
    async with Listener(conversation.pk) as heard:
        await turns.start_turn(conversation.pk, user.pk, "Translate 'cat' to French")
        await heard.until("turn.finished")
    question = await Message.objects.aget(role="user")
    await sync_to_async(edit_message)(question, "Translate 'dog' to French")

    run = await Run.objects.aget()
    sent = [m async for m in Message.objects.filter(pk__in=run.history)]
    assert [m.content for m in sent] == ["Translate 'cat' to French"]  # what it really sent
    assert await sync_to_async(_shown)(conversation) == [
        ("user", "Translate 'dog' to French", True), ("assistant", model.text, False)]  # fmt: skip
    async with Listener(conversation.pk) as heard:
        await turns.start_turn(conversation.pk, user.pk, "And 'bird'?")
        await heard.until("turn.finished")
    assert [m.text for m in model.received] == [
        "Be terse.",
        "Translate 'dog' to French",
        model.text,
        "And 'bird'?",
    ]


def test_an_edited_answer_is_what_later_turns_send(conversation):
    first = _asked(conversation, "Say hi", "Hello!")
    answer = first.runs[0].message
    revision = edit_message(answer, "Hi there.")
    assert revision.pane_id == answer.pane_id and revision.created_at == answer.created_at
    following = starting.start_turn(conversation, "Again")
    assert [m.content for m in store.history_for(following.runs[0])] == [
        "Say hi", "Hi there.", "Again"]  # fmt: skip


@pytest.mark.parametrize(
    ("role", "text", "says"),
    [("user", "  ", "needs text or an attachment"), ("assistant", "", "delete it instead"),
     ("user", "x" * 200_001, "at most")],
)  # fmt: skip
def test_a_refused_edit_says_why_and_saves_nothing(conversation, role, text, says):
    first = _asked(conversation, "Hello")
    message = first.new_messages[0] if role == "user" else first.runs[0].message
    before = Message.objects.count()
    with pytest.raises(NotEdited, match=says):
        edit_message(message, text)
    assert Message.objects.count() == before
    assert not Message.objects.filter(replaced=True).exists()


def test_save_and_rerun_puts_the_edit_on_a_new_branch_and_leaves_the_old_one(conversation):
    first = _asked(conversation, "Name a river", "The Nile.")
    edited = edit_into_branch(first.new_messages[0], "Name a lake")
    assert edited.turn_id != first.turn.pk and edited.turn.parent_id == first.turn.parent_id
    assert not Message.objects.filter(turn=edited.turn, role="assistant").exists()
    assert _shown(conversation) == [("user", "Name a lake", True)]  # its answers come next
    old = Message.objects.get(pk=first.new_messages[0].pk)
    assert (old.content, old.replaced) == ("Name a river", False)
    answers = rerunning.regenerate(conversation, edited.pk, every_pane=True)
    assert [m.content for m in store.history_for(answers.runs[0])] == ["Name a lake"]


def test_an_edit_cannot_take_more_attachments_than_a_message_does(conversation, settings):
    from chat.editing import NewFile

    settings.PLAYGROUND_MAX_ATTACHMENTS = 1
    first = _asked(conversation, "Hello")
    files = [NewFile(f"{n}.jpg", "image/jpeg", b"", "image", None) for n in range(2)]
    with pytest.raises(NotEdited, match="at most 1 attachments"):
        edit_message(first.new_messages[0], "Look", added=files)


def test_an_answer_still_streaming_cannot_be_edited(conversation):
    started = starting.start_turn(conversation, "Hello")
    with pytest.raises(NotEdited, match="Wait for the answer"):
        edit_message(started.runs[0].message, "Something else")


def test_a_message_edited_meanwhile_asks_for_a_reload(conversation):
    first = _asked(conversation, "Hello")
    edit_message(first.new_messages[0], "Hi")
    with pytest.raises(NotEdited, match="reload the page"):
        edit_message(first.new_messages[0], "Hey")


def test_an_edit_keeps_some_attachments_and_drops_the_others(conversation, user):
    from chat import attachments

    conversation.panes.update(model="gpt-4o")
    photos = [attachments.store_upload(conversation, user, as_file(
        jpeg_with_gps(color=color), f"{n}.jpg", "image/jpeg"))
        for n, color in enumerate([(1, 2, 3), (200, 0, 0)])]  # fmt: skip
    first = starting.start_turn(conversation, "Compare", [str(p.pk) for p in photos])
    _finished(first.runs[0], "Done")
    revision = edit_message(first.new_messages[0], "Describe", keep=[str(photos[1].pk)])
    assert [a.blob_id for a in revision.attachments.all()] == [photos[1].blob_id]
    # The old message keeps both: the first run sent them.
    assert Message.objects.get(pk=first.new_messages[0].pk).attachments.count() == 2


def _edit_url(message: Message) -> str:
    return reverse("message-edit", args=[message.pk])


def test_the_edit_form_saves_and_every_tab_redraws(member_client, conversation, monkeypatch):
    told = []

    async def publish(conversation_id, event):
        told.append(event["type"])

    monkeypatch.setattr("chat.views.editing.fanout.publish", publish)
    first = _asked(conversation, "Hello")
    form = member_client.get(_edit_url(first.new_messages[0])).content.decode()
    assert 'aria-label="Edit message"' in form and "Hello" in form
    saved = member_client.post(_edit_url(first.new_messages[0]), {"text": "Hello again"})
    assert saved.status_code == 204 and told == ["panes.changed"]
    page = member_client.get(reverse("conversation", args=[conversation.pk])).content.decode()
    assert "Hello again" in page and ">edited<" in page


def test_the_form_refuses_with_the_reason_and_a_bad_file_saves_nothing(member_client, conversation):
    first = _asked(conversation, "Hello")
    question = first.new_messages[0]
    empty = member_client.post(_edit_url(question), {"text": " "})
    assert empty.status_code == 400 and "needs text" in empty.content.decode()
    rows = (Message.objects.count(), Attachment.objects.count())
    broken = as_file(b"not really a picture", "photo.jpg", "image/jpeg")
    refused = member_client.post(_edit_url(question), {"text": "Look", "files": [broken]})
    assert refused.status_code == 400 and refused.content.decode()
    assert (Message.objects.count(), Attachment.objects.count()) == rows
    assert Message.objects.get(pk=question.pk).content == "Hello"


def test_someone_elses_message_is_not_found_by_any_of_its_actions(
    client, conversation, django_user_model
):
    first = _asked(conversation, "Private words")
    question = first.new_messages[0]
    client.force_login(django_user_model.objects.create_user("stranger"))
    for name in ("message-edit", "message-alternative", "message-fork", "message-delete"):
        response = client.post(reverse(name, args=[question.pk]), {"text": "mine now"})
        assert response.status_code == 404, name
        assert b"Private words" not in response.content
    assert client.get(reverse("message-edit", args=[question.pk])).status_code == 404
    assert Message.objects.get(pk=question.pk).content == "Private words"


async def _run_turn(conversation, user, text: str) -> None:
    async with Listener(conversation.pk) as heard:
        await turns.start_turn(conversation.pk, user.pk, text)
        await heard.until("turn.finished")


async def _page(client, conversation) -> bytes:
    return (
        await sync_to_async(client.get)(reverse("conversation", args=[conversation.pk]))
    ).content


@pytest.mark.django_db(transaction=True)
async def test_regenerate_over_the_socket_then_step_through_the_alternatives(
    client, user, conversation, model
):
    await sync_to_async(client.force_login)(user)
    await _run_turn(conversation, user, "Pick a number")
    answer = await Message.objects.aget(role="assistant")
    model.pieces = ["Seven"]
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.communicator.send_json_to({"action": "regenerate", "message_id": str(answer.pk)})
    await tab.until("panes-wrap")  # the tab redraws (the new answer in it), then it streams
    finished = await tab.until("Seven")
    assert 'data-status="done"' in finished and 'data-busy="0"' in finished
    page = await _page(client, conversation)
    assert b"Seven" in page and b"2 / 2" in page and b'aria-label="Previous alternative"' in page

    back = await sync_to_async(client.post)(reverse("message-alternative", args=[answer.pk]),
                                            {"step": "-1"})  # fmt: skip
    assert back.status_code == 204
    page = await _page(client, conversation)
    assert b"1 / 2" in page and b"Seven" not in page
    await tab.close()


@pytest.mark.django_db(transaction=True)
async def test_save_and_rerun_branches_and_a_busy_conversation_says_wait(
    client, user, conversation, model
):
    await sync_to_async(client.force_login)(user)
    await _run_turn(conversation, user, "Name a river")
    question = await Message.objects.aget(role="user")
    saved = await sync_to_async(client.post)(reverse("message-edit", args=[question.pk]),
                                             {"text": "Name a lake", "then": "rerun"})  # fmt: skip
    revision = saved["X-Answer"]
    assert saved.status_code == 204 and revision != str(question.pk)
    # The old branch keeps the question as it was asked, with its answer.
    assert (await Message.objects.aget(pk=question.pk)).content == "Name a river"

    tab = Tab(user, conversation.pk)
    await tab.connect()
    model.gate, model.gate_after, model.started = asyncio.Event(), 1, asyncio.Event()
    await tab.communicator.send_json_to({"action": "regenerate", "message_id": revision})
    await asyncio.wait_for(model.started.wait(), 5)  # streaming, held at the gate
    await tab.communicator.send_json_to({"action": "rerun", "message_id": revision})
    refused = await tab.until("innerHTML:.action-error")
    assert f"data-message='{revision}'" in refused and "Wait for the answers" in refused
    model.gate.set()
    await tab.until('data-status="done"')
    assert [m.text for m in model.received] == ["Be terse.", "Name a lake"]
    assert await conversation.turns.acount() == 2  # the first branch is kept
    await tab.close()
