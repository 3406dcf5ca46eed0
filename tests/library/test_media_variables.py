"""Media variables ({{name:media}}): opening a prompt asks for an image or audio file for
each, attaches it to the user message it stands in, keeps the file's name with the pane's
variables, and refuses a missing, stray or unusable file with nothing written."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from accounts import teams
from chat.models import Attachment, Conversation, Message
from library import opening, variables
from library.models import Prompt, PromptVersion
from tests.conftest import PASSWORD
from tests.media.corpus import encoded, tone, upright

pytestmark = pytest.mark.django_db


@pytest.fixture
def describer():
    ada = get_user_model().objects.create_user("ada", password=PASSWORD)
    prompt = Prompt.objects.create(team=teams.personal_team(ada), name="Describer", owner=ada)
    version = PromptVersion.objects.create(
        prompt=prompt, number=1, author=ada, system_prompt="Answer in {{language}}.",
        messages=[{"role": "user", "content": "{{photo:media}} Describe this, {{style}}."}],
    )  # fmt: skip
    return ada, version


def _photo(name: str = "cat.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, encoded(upright(), "PNG"), content_type="image/png")


def test_a_media_variable_is_found_apart_and_leaves_its_place_empty():
    texts = ["{{photo:media}} Describe it in {{ language }}.", "{{ clip : media }}"]
    assert variables.names_in(texts) == ["photo", "language", "clip"]
    assert variables.media_in(texts) == ["photo", "clip"]
    assert variables.compiled(texts[0], {"language": "French"}) == "Describe it in French."


def test_opening_attaches_the_file_to_the_message_it_stands_in(describer):
    ada, version = describer
    conversation, to_run = opening.open_versions(
        ada, [(version, "")], {"language": "French", "style": "briefly"}, {"photo": _photo()}
    )
    assert to_run.content == "Describe this, briefly."
    [attached] = Attachment.objects.filter(message=to_run)
    assert (attached.kind, attached.name, attached.conversation_id) == ("image", "cat.png",
                                                                        conversation.pk)  # fmt: skip
    pane = conversation.panes.get()
    assert pane.system_prompt == "Answer in French."
    assert pane.variables == {"language": "French", "style": "briefly",
                              "photo": {"file": "cat.png", "kind": "image"}}  # fmt: skip


def test_audio_is_a_media_value_too(describer):
    ada, version = describer
    clip = SimpleUploadedFile("hum.wav", tone("audio/wav"), content_type="audio/wav")
    conversation, to_run = opening.open_versions(
        ada, [(version, "")], {"language": "en", "style": "plainly"}, {"photo": clip}
    )
    assert Attachment.objects.get(message=to_run).kind == "audio"


@pytest.mark.parametrize(
    ("values", "files", "says"),
    [({"language": "en", "style": "x"}, {}, "Choose a file for {{photo}}"),
     ({"language": "en", "style": "x"}, {"photo": "bad"}, "{{photo:media}}:"),
     ({"language": "en", "style": "x"}, {"photo": "ok", "language": "ok"},
      "Only media variables take a file; {{language}} takes text"),
     ({"language": "en", "style": "x", "photo": "a cat"}, {}, "Choose a file for {{photo}}")],
)  # fmt: skip
def test_a_missing_stray_or_unusable_file_is_refused_and_nothing_is_written(
    describer, values, files, says
):
    ada, version = describer
    uploads = {name: _photo() if kind == "ok" else SimpleUploadedFile(
        "notes.txt", b"not a picture", content_type="text/plain") for name, kind in files.items()}  # fmt: skip
    with pytest.raises(variables.NotFilled) as refused:
        opening.open_versions(ada, [(version, "")], values, uploads)
    assert says in str(refused.value)
    assert not Conversation.objects.exists() and not Attachment.objects.exists()


def test_a_media_variable_outside_a_user_message_is_refused(describer):
    ada, version = describer
    misplaced = PromptVersion.objects.create(
        prompt=version.prompt, number=2, author=ada, system_prompt="Look: {{photo:media}}",
        messages=[{"role": "user", "content": "Hi"}],
    )  # fmt: skip
    with pytest.raises(variables.NotFilled, match="outside a user message"):
        opening.open_versions(ada, [(misplaced, "")], {}, {"photo": _photo()})
    assert not Message.objects.exists()


def test_the_prompt_page_asks_for_a_file_and_opens_with_it(describer):
    ada, version = describer
    client = Client()
    client.force_login(ada)
    page = client.get(reverse("library-prompt", args=[version.prompt_id])).content.decode()
    assert 'type="file" id="var-photo" name="var_photo" accept="image/*,audio/*"' in page
    assert 'enctype="multipart/form-data"' in page
    opened = client.post(reverse("library-open", args=[version.prompt_id]),
                         {"version": "latest", "var_language": "en", "var_style": "briefly",
                          "var_photo": _photo("dog.png")})  # fmt: skip
    assert opened.status_code == 302
    assert Attachment.objects.get().name == "dog.png"
