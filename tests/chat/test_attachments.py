"""Attachments through the app: upload, store once, read back only by the owner, delete with
the conversation, refuse hostile files without leaving anything behind."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from chat.models import Attachment, Blob, Conversation

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(root: Path) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()] if Path(root).exists() else []


def jpeg_with_gps(size=(64, 48), color=(200, 30, 30)) -> bytes:
    image = Image.new("RGB", size, color)
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}  # GPS IFD
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def upload(client, conversation, *files):
    return client.post(f"/c/{conversation.pk}/attachments/", {"file": list(files)})


def as_file(data: bytes, name: str, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture
def conversation(user):
    return Conversation.objects.create(owner=user)


def test_an_image_is_normalised_stored_once_and_shown_as_a_chip(
    member_client, conversation, media_root
):
    data = jpeg_with_gps()
    first = upload(member_client, conversation, as_file(data, "photo.jpg", "image/jpeg"))
    assert first.status_code == 200
    page = first.content.decode()
    attachment = Attachment.objects.get()
    assert f'name="attachments" value="{attachment.pk}"' in page and "photo.jpg" in page
    assert (attachment.kind, attachment.width, attachment.height) == ("image", 64, 48)
    assert attachment.message is None  # not sent yet
    with attachment.blob.file.open("rb") as stored:
        assert "GPSInfo" not in str(Image.open(stored).getexif().get_ifd(0x8825) or "")
        stored.seek(0)
        assert not Image.open(stored).getexif()  # no metadata at all leaves the server
    upload(member_client, conversation, as_file(data, "again.jpg", "image/jpeg"))
    assert Attachment.objects.count() == 2 and Blob.objects.count() == 1
    assert len(stored_files(media_root)) == 1


@pytest.mark.parametrize(
    ("data", "name", "content_type", "words"),
    [
        (b"", "empty.png", "image/png", "empty"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
         "logo.svg", "image/svg+xml", "SVG"),
        (jpeg_with_gps()[:200], "cut.jpg", "image/jpeg", "truncated"),
        (jpeg_with_gps(), "fake.png", "image/png", "JPEG"),
        (b"%PDF-1.7 not an image", "doc.pdf", "application/pdf", "can be attached"),
    ],
)  # fmt: skip
def test_hostile_and_broken_files_are_refused_and_leave_nothing_behind(
    member_client, conversation, media_root, data, name, content_type, words
):
    response = upload(member_client, conversation, as_file(data, name, content_type))
    assert response.status_code == 422
    assert words in response.content.decode() and name in response.content.decode()
    assert not Attachment.objects.exists() and not Blob.objects.exists()
    assert stored_files(media_root) == []


def test_one_refused_file_does_not_undo_the_others(member_client, conversation):
    response = upload(
        member_client, conversation,
        as_file(jpeg_with_gps(), "good.jpg", "image/jpeg"), as_file(b"", "bad.png", "image/png"),
    )  # fmt: skip
    page = response.content.decode()
    assert response.status_code == 200 and "good.jpg" in page and "bad.png" in page
    assert list(Attachment.objects.values_list("name", flat=True)) == ["good.jpg"]


def test_only_the_owner_can_read_an_attachment(member_client, client, conversation, admin_user):
    upload(member_client, conversation, as_file(jpeg_with_gps(), "photo.jpg", "image/jpeg"))
    attachment = Attachment.objects.get()
    response = member_client.get(f"/attachments/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[:2] == b"\xff\xd8"
    client.force_login(admin_user)  # signed in, but not the owner
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 404
    client.logout()
    assert client.get(f"/attachments/{attachment.pk}/").status_code == 302  # to sign-in


def test_removing_a_chip_and_deleting_the_conversation_delete_rows_and_files(
    member_client, conversation, media_root, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        upload(member_client, conversation, as_file(jpeg_with_gps(), "a.jpg", "image/jpeg"))
        upload(member_client, conversation, as_file(jpeg_with_gps(color=(0, 0, 255)), "b.jpg",
                                                    "image/jpeg"))  # fmt: skip
    first, second = Attachment.objects.order_by("name")
    assert len(stored_files(media_root)) == 2
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(f"/c/{conversation.pk}/attachments/{first.pk}/remove/")
    assert list(Attachment.objects.all()) == [second] and len(stored_files(media_root)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        member_client.post(f"/c/{conversation.pk}/delete/")
    assert not Attachment.objects.exists() and not Blob.objects.exists()
    assert stored_files(media_root) == []


def test_someone_elses_conversation_takes_no_uploads(client, admin_user, conversation):
    client.force_login(admin_user)
    response = upload(client, conversation, as_file(jpeg_with_gps(), "x.jpg", "image/jpeg"))
    assert response.status_code == 404 and not Attachment.objects.exists()


def test_attachments_not_sent_yet_are_back_in_the_composer_after_a_reload(
    member_client, conversation
):
    upload(member_client, conversation, as_file(jpeg_with_gps(), "draft.jpg", "image/jpeg"))
    attachment = Attachment.objects.get()
    page = member_client.get(f"/c/{conversation.pk}/").content.decode()
    composer = page[page.index('id="attachment-chips"') :]
    assert f'name="attachments" value="{attachment.pk}"' in composer and "draft.jpg" in composer


def test_uploads_beyond_a_message_worth_are_refused(member_client, conversation, settings):
    settings.PLAYGROUND_MAX_ATTACHMENTS = 2
    files = [as_file(jpeg_with_gps(color=(i * 60, 0, 0)), f"{i}.jpg", "image/jpeg")
             for i in range(3)]  # fmt: skip
    page = upload(member_client, conversation, *files).content.decode()
    assert Attachment.objects.count() == 2
    assert "at most 2 attachments and 2 are waiting" in page


def test_an_image_that_claims_to_be_audio_is_refused(member_client, conversation):
    response = upload(member_client, conversation, as_file(jpeg_with_gps(), "song.mp3",
                                                           "audio/mpeg"))  # fmt: skip
    assert response.status_code == 422 and "claims to be audio/mpeg" in response.content.decode()
    assert not Attachment.objects.exists()


def test_chips_already_sent_from_another_tab_are_not_sent_twice(
    user, conversation, make_connection, monkeypatch
):
    from django.core.exceptions import ValidationError

    from chat import attachments
    from chat.engine import starting

    conversation.panes.create(position=0, connection=make_connection(), model="fake-model")
    attached = attachments.store_upload(
        conversation, user, as_file(jpeg_with_gps(), "a.jpg", "image/jpeg")
    )
    # The second tab checked the chips before the first tab's message took them.
    checked_earlier = attachments.attachments_for_send(conversation, [str(attached.pk)], {})
    starting.start_turn(conversation, "first", [str(attached.pk)])
    monkeypatch.setattr(starting, "attachments_for_send", lambda *args: checked_earlier)
    with pytest.raises(ValidationError, match="sent meanwhile"):
        starting.start_turn(conversation, "second", [str(attached.pk)])
    assert not conversation.messages.filter(content="second").exists()  # rolled back
    assert Attachment.objects.get().message.content == "first"


def test_a_recording_can_be_read_in_ranges_so_the_player_can_seek(member_client, conversation):
    from tests.media import corpus

    data = corpus.tone("audio/wav", seconds=1.0)
    upload(member_client, conversation, as_file(data, "tone.wav", "audio/wav"))
    url = f"/attachments/{Attachment.objects.get().pk}/"
    whole = member_client.get(url)
    assert whole.status_code == 200 and whole["Accept-Ranges"] == "bytes"
    middle = member_client.get(url, HTTP_RANGE="bytes=100-199")
    assert middle.status_code == 206 and middle.content == data[100:200]
    assert middle["Content-Range"] == f"bytes 100-199/{len(data)}"
    tail = member_client.get(url, HTTP_RANGE="bytes=-10")
    assert tail.content == data[-10:]
    open_ended = member_client.get(url, HTTP_RANGE="bytes=1000-")
    assert open_ended.content == data[1000:]
    beyond = member_client.get(url, HTTP_RANGE=f"bytes={len(data)}-")
    assert beyond.status_code == 416 and beyond["Content-Range"] == f"bytes */{len(data)}"
    several = member_client.get(url, HTTP_RANGE="bytes=0-1,5-6")
    assert several.status_code == 200  # more than one range: the whole file, as allowed


def test_starting_a_turn_reads_the_database_a_fixed_number_of_times(
    user, make_connection, make_conversation
):
    """Every query here comes before the request leaves, so before the first token: a
    text-only turn makes none about attachments beyond reading the history's, and the
    chips of the new message cost no query each."""
    from django.db import connection as database
    from django.test.utils import CaptureQueriesContext

    from chat import attachments
    from chat.engine import starting, turns

    connection = make_connection()

    def queries_to_start(count: int) -> list[str]:
        conversation = make_conversation(user)
        conversation.panes.create(position=0, connection=connection, model="fake-model")
        ids = [
            str(attachments.store_upload(conversation, user, as_file(
                jpeg_with_gps(color=(i, 0, 0)), f"{i}.jpg", "image/jpeg")).pk)
            for i in range(count)
        ]  # fmt: skip
        with CaptureQueriesContext(database) as captured:
            _conversation, _started, shown, plans, _answered = turns._started(
                conversation.pk, user.pk, lambda c: starting.start_turn(c, "look", ids)
            )
        assert plans[0] is not None and len(shown[0].attachments) == count
        return [query["sql"] for query in captured.captured_queries]

    text_only, one, three = queries_to_start(0), queries_to_start(1), queries_to_start(3)
    about_attachments = [sql for sql in text_only if "chat_attachment" in sql]
    assert len(about_attachments) == 1  # the history's, prefetched
    assert len(three) == len(one) + 2  # one claim per attachment, nothing more

    def savepoints(queries: list[str]) -> int:
        return sum("SAVEPOINT" in sql for sql in queries)

    # A send with attachments is saved in a savepoint of its own, so that it can fail alone.
    assert savepoints(one) == savepoints(text_only) + 2
    assert len(one) == len(text_only) + 2 + 2  # the lookup of the chips and the claim


def test_fitting_an_attachment_leaves_another_readers_handle_open(
    member_client, conversation, media_root
):
    """The panes of a turn fit the same Attachment object in parallel threads: one finishing
    must not close the file another is still reading (a three-pane CI run failed so)."""
    from chat import attachments

    upload(member_client, conversation, as_file(jpeg_with_gps(), "photo.jpg", "image/jpeg"))
    attachment = Attachment.objects.select_related("blob").get()
    other_reader = attachment.blob.file.open("rb")
    with attachment.blob.file.storage.open(attachment.blob.file.name) as stored:
        assert attachments._stored_bytes(attachment) == stored.read()
    assert not other_reader.closed and other_reader.read(2) == b"\xff\xd8"
    other_reader.close()
