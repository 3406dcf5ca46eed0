"""Attachments sent through the socket to every provider kind of the fake server: each kind
gets its parts encoded its own way, fitted to its limits, converted where it must be; a model
that cannot take a medium is refused before any request, and nothing leaves the composer."""

from __future__ import annotations

import asyncio
import threading

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile

from chat import attachments
from chat.models import Attachment, Conversation, Message, Run
from chat.renditions import RENDITIONS
from tests.chat.test_consumers import Tab, latest_run, wait_for_status
from tests.media import corpus

pytestmark = pytest.mark.django_db(transaction=True)

# kind, URL suffix, options, a model of that kind that takes images.
KINDS = {
    "openai_compatible": ("/v1", {}, "fake-model"),
    "anthropic": ("/v1", {}, "claude-sonnet-4-5"),
    "google_genai": ("/v1beta", {}, "gemini-2.5-flash"),
    "google_vertexai": ("", {"project": "demo", "location": "global"}, "gemini-2.5-flash"),
    "ollama": ("", {}, "llava"),
    "bedrock": ("", {"region": "us-east-1", "aws_access_key_id": "AKIATEST"},
                "anthropic.claude-3-haiku-20240307-v1:0"),
}  # fmt: skip
# What each kind must receive for a 3000×2000 photo: (longest side, most pixels).
IMAGE_BOUNDS = {
    "openai_compatible": (2048, None), "anthropic": (1568, 1_150_000),
    "google_genai": (2048, None), "google_vertexai": (2048, None), "ollama": (2048, None),
    "bedrock": (1568, None),
}  # fmt: skip


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    RENDITIONS.clear()  # each test sees its own conversions happen


@pytest.fixture
def conversation(user):
    return Conversation.objects.create(owner=user)


@pytest.fixture
def connect(make_connection, fake_provider):
    def make(kind: str):
        suffix, options, _model = KINDS[kind]
        root = fake_provider.base_url.removesuffix("/v1")
        return make_connection(name=f"Fake {kind}", kind=kind, base_url=root + suffix,
                               api_key="sk-test-key", options=options)  # fmt: skip

    return make


def stored(conversation, user, data: bytes, name: str, content_type: str) -> Attachment:
    return attachments.store_upload(
        conversation, user, SimpleUploadedFile(name, data, content_type=content_type)
    )


def fields(connection, model, *attached: Attachment, **extra) -> dict:
    return {"action": "send", "message": "What is this?", "connection": str(connection.pk),
            "model": model, "nonce": "n1", "tools": "", "tool_choice": "", "output_schema": "",
            "attachments": [str(a.pk) for a in attached], **extra}  # fmt: skip


@pytest.mark.parametrize("kind", list(KINDS))
async def test_each_kind_receives_a_photo_encoded_its_way_and_within_its_limits(
    user, conversation, connect, fake_provider, kind
):
    connection = await sync_to_async(connect)(kind)
    photo = corpus.encoded(corpus.photo_like((3000, 2000)), "JPEG", quality=85)
    attached = await sync_to_async(stored)(conversation, user, photo, "photo.jpg", "image/jpeg")
    fake_provider.push_script(tokens=["A ", "gradient."])  # whatever the model's name
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(connection, KINDS[kind][2], attached))
    await tab.until(r'data-status="streaming"')
    run = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    [part] = fake_provider.requests()[-1]["received"]
    assert part["sniffed"] == "image/jpeg"  # real base64 of a real JPEG
    assert part["declared"] in ("image/jpeg", "image")  # Ollama declares no type
    longest, pixels = IMAGE_BOUNDS[kind]
    assert max(part["width"], part["height"]) <= longest
    assert pixels is None or part["width"] * part["height"] <= pixels
    assert part["width"] / part["height"] == pytest.approx(1.5, rel=0.01)
    [record] = run.received
    assert (record["width"], record["height"], record["bytes"]) == (
        part["width"], part["height"], part["bytes"])  # fmt: skip
    if kind in ("anthropic", "bedrock", "google_genai"):
        assert record["tokens"] > 0  # a documented formula
    frame = await tab.until(r"What the model received")
    assert f"{part['width']}×{part['height']}" in frame
    await tab.close()


@pytest.mark.parametrize(
    ("kind", "model", "declared", "sniffed"),
    [
        ("openai_compatible", "fake-model", "audio/mp3", "audio/mpeg"),  # WAV/MP3 only
        ("google_genai", "gemini-2.5-flash", "audio/mp3", "audio/mpeg"),  # no WebM
        ("bedrock", "amazon.nova-sonic-v1:0", "audio/webm", "audio/webm"),  # as recorded
    ],
)
async def test_a_browser_recording_is_converted_only_where_the_provider_needs_it(
    user, conversation, connect, fake_provider, kind, model, declared, sniffed
):
    connection = await sync_to_async(connect)(kind)
    recording = corpus.tone("audio/webm", seconds=2.0)
    attached = await sync_to_async(stored)(
        conversation, user, recording, "recording.webm", "audio/webm;codecs=opus"
    )
    fake_provider.push_script(tokens=["A ", "tone."])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(connection, model, attached, message=""))  # audio alone is enough
    await tab.until(r'data-status="streaming"')
    run = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    [part] = fake_provider.requests()[-1]["received"]
    assert (part["declared"], part["sniffed"]) == (declared, sniffed)
    [record] = run.received
    assert record["duration_s"] == pytest.approx(2.0, abs=0.1)
    assert bool(record["notes"]) == (sniffed != "audio/webm")  # "Converted from ..."
    await tab.close()


async def test_a_model_that_cannot_take_audio_is_refused_before_any_request_keeping_the_composer(
    user, conversation, connect, fake_provider
):
    anthropic = await sync_to_async(connect)("anthropic")
    await sync_to_async(connect)("google_genai")
    recording = corpus.tone("audio/webm", seconds=1.0)
    attached = await sync_to_async(stored)(conversation, user, recording, "memo.webm",
                                           "audio/webm")  # fmt: skip
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(anthropic, "claude-sonnet-4-5", attached))
    frame = await tab.until(r"cannot take audio")
    assert "claude-sonnet-4-5 on Fake anthropic cannot take audio" in frame
    assert "Fake google_genai" in frame  # names a connection that can
    assert fake_provider.requests() == []
    assert not await Message.objects.filter(conversation=conversation).aexists()
    refreshed = await Attachment.objects.aget(pk=attached.pk)
    assert refreshed.message_id is None  # still in the composer, ready to send elsewhere
    await tab.close()


async def test_a_text_only_model_is_refused_an_image(user, conversation, connect, fake_provider):
    ollama = await sync_to_async(connect)("ollama")
    photo = corpus.encoded(corpus.upright(), "PNG")
    attached = await sync_to_async(stored)(conversation, user, photo, "shot.png", "image/png")
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(ollama, "llama3.2", attached))
    assert "llama3.2 on Fake ollama cannot take images" in await tab.until(r"cannot take images")
    assert fake_provider.requests() == []
    await tab.close()


async def test_earlier_attachments_go_again_with_the_history_and_show_after_reload(
    user, conversation, connect, fake_provider, client
):
    connection = await sync_to_async(connect)("openai_compatible")
    photo = corpus.encoded(corpus.upright(), "PNG")
    attached = await sync_to_async(stored)(conversation, user, photo, "shot.png", "image/png")
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(connection, "fake-model", attached, **{f"detail:{attached.pk}": "low"}))
    await tab.until(r'data-status="streaming"')
    first = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    assert first.received[0]["detail"] == "low" and first.received[0]["tokens"] is None
    sent = fake_provider.requests()[-1]["body"]["messages"][-1]["content"]
    assert sent[1]["image_url"]["detail"] == "low"
    await tab.send(**fields(connection, "fake-model", message="And now?"))
    await tab.until(r"And now\?")
    second = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    assert second.pk != first.pk
    assert [p["sniffed"] for p in fake_provider.requests()[-1]["received"]] == ["image/png"]
    await tab.close()
    await sync_to_async(client.force_login)(user)
    page = (await sync_to_async(client.get)(f"/c/{conversation.pk}/")).content.decode()
    assert f'src="/attachments/{attached.pk}/"' in page and "shot.png" in page
    assert "What the model received" in page


async def test_an_earlier_image_is_left_out_and_said_so_when_the_next_model_takes_none(
    user, conversation, connect, fake_provider
):
    vision = await sync_to_async(connect)("openai_compatible")
    text_only = await sync_to_async(connect)("ollama")
    photo = corpus.encoded(corpus.upright(), "PNG")
    attached = await sync_to_async(stored)(conversation, user, photo, "shot.png", "image/png")
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(vision, "fake-model", attached))
    await tab.until(r'data-status="streaming"')
    first = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    fake_provider.push_script(tokens=["Words ", "only."])  # whatever the model's name
    await tab.send(**fields(text_only, "llama3.2", message="And in words only?"))
    await tab.until(r"And in words only\?")
    second = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    assert second.pk != first.pk
    assert fake_provider.requests()[-1]["received"] == []  # no image went to the text model
    assert second.received == [
        {"name": "shot.png", "kind": "image", "left_out": "llama3.2 takes no images"}
    ]
    frame = await tab.until(r"left out")
    assert "llama3.2 takes no images" in frame
    await tab.close()


async def test_converting_a_recording_never_holds_the_database_thread_everyone_shares(
    user, conversation, connect, fake_provider, monkeypatch
):
    """While a recording converts, other requests still reach the database. Were the
    conversion on Channels' database thread, the query below would wait behind it, and the
    conversion would give up waiting for that query."""
    connection = await sync_to_async(connect)("openai_compatible")
    recording = corpus.tone("audio/webm", seconds=1.0)
    attached = await sync_to_async(stored)(conversation, user, recording, "memo.webm",
                                           "audio/webm")  # fmt: skip
    converting, query_done = threading.Event(), threading.Event()
    real_convert = attachments.convert_audio

    def convert_after_the_query(audio, target):
        converting.set()
        if not query_done.wait(timeout=10):
            raise RuntimeError("the database query never ran while this conversion did")
        return real_convert(audio, target)

    monkeypatch.setattr(attachments, "convert_audio", convert_after_the_query)
    fake_provider.push_script(tokens=["A ", "tone."])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(connection, "fake-model", attached))
    assert await asyncio.to_thread(converting.wait, 10)
    assert await Conversation.objects.filter(pk=conversation.pk).aexists()
    query_done.set()
    run = await wait_for_status((await latest_run(conversation)).pk, Run.Status.DONE)
    assert run.received[0]["media_type"] == "audio/mpeg"
    await tab.close()


async def test_a_stored_file_that_no_longer_converts_ends_the_run_with_a_clear_error(
    user, conversation, connect, fake_provider
):
    connection = await sync_to_async(connect)("openai_compatible")
    recording = corpus.tone("audio/webm", seconds=1.0)
    attached = await sync_to_async(stored)(conversation, user, recording, "memo.webm",
                                           "audio/webm")  # fmt: skip
    blob = (await Attachment.objects.select_related("blob").aget(pk=attached.pk)).blob
    with open(blob.file.path, "wb") as damaged:  # the storage lost or mangled it since upload
        damaged.write(recording[:200])
    tab = Tab(user, conversation.pk)
    await tab.connect()
    await tab.send(**fields(connection, "fake-model", attached))
    await tab.until(r'data-status="streaming"')
    run = await wait_for_status((await latest_run(conversation)).pk, Run.Status.ERROR)
    assert run.error_kind == "MediaRejected"
    assert run.error_message.startswith("memo.webm could not be prepared for fake-model")
    assert "Attach the file again" in run.error_message  # what to do about it
    assert fake_provider.requests() == []  # nothing half-made went out
    frame = await tab.until(r'data-status="error"')
    assert run.error_message in frame
    await tab.close()


def test_only_chat_completions_kinds_offer_an_image_detail_level():
    from connections.llm import capability_summary

    assert "image_detail" in capability_summary("openai")[1]
    assert "image_detail" in capability_summary("openai_compatible")[1]
    assert "image_detail" not in capability_summary("anthropic")[1]
    assert "image_detail" not in capability_summary("google_genai")[1]


@pytest.mark.parametrize(
    ("kind", "model", "summary"),
    [("ollama", "llama3.2", "Takes: text · tools"),
     ("ollama", "llava:13b", "Takes: text, images · tools"),
     ("openai_compatible", "", "Takes: text, images, audio · tools"),
     ("anthropic", "claude-sonnet-4-5", "Takes: text, images · tools")],
)  # fmt: skip
def test_the_panel_says_what_the_chosen_model_takes_by_its_family(
    member_client, make_connection, conversation, kind, model, summary
):
    connection = make_connection(kind=kind)
    page = member_client.get(
        f"/c/{conversation.pk}/models/capabilities/",
        {"connection": connection.pk, "model": model},
    ).content.decode()
    assert summary in page
