"""Every page carries a Content-Security-Policy: scripts only from our origin with this
response's nonce, no plug-ins, no framing, no foreign <base>, the socket to our own origin."""

from __future__ import annotations

import re

import pytest

from chat.models import Attachment
from tests.chat.test_attachments import as_file, jpeg_with_gps, upload

pytestmark = pytest.mark.django_db

SCRIPT = re.compile(r"<script\b([^>]*)>")


def directives(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def assert_strict(response) -> None:
    policy = directives(response)
    scripts = policy["script-src"]
    nonces = [source for source in scripts if source.startswith("'nonce-")]
    assert "'self'" in scripts and len(nonces) == 1
    assert not {"'unsafe-inline'", "'unsafe-eval'", "*", "data:"} & set(scripts)
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["connect-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy["style-src"]
    page = response.content.decode()
    tags = SCRIPT.findall(page)
    assert tags, "every page loads htmx"
    nonce = nonces[0].removeprefix("'nonce-").removesuffix("'")
    for attributes in tags:
        assert 'src="/static/' in attributes, f"an inline or foreign script: {attributes}"
        assert f'nonce="{nonce}"' in attributes


def test_the_sign_in_and_setup_pages_carry_the_policy(client, user):
    assert_strict(client.get("/login/"))


def test_the_first_visit_carries_the_policy(client):
    assert_strict(client.get("/setup/"))


@pytest.mark.parametrize("path", ["conversation", "/connections/", "/team/"])
def test_every_signed_in_page_carries_the_policy(admin_client, admin_user, make_conversation,
                                                 path):  # fmt: skip
    if path == "conversation":
        path = f"/c/{make_conversation(admin_user).pk}/"
    assert_strict(admin_client.get(path))


def test_each_response_gets_its_own_nonce(client, user):
    first = directives(client.get("/login/"))["script-src"]
    second = directives(client.get("/login/"))["script-src"]
    assert first != second


def test_an_attachment_keeps_its_own_sandboxing_policy(member_client, user, make_conversation,
                                                      settings, tmp_path):  # fmt: skip
    settings.MEDIA_ROOT = tmp_path
    conversation = make_conversation(user)
    upload(member_client, conversation, as_file(jpeg_with_gps(), "photo.jpg", "image/jpeg"))
    response = member_client.get(f"/attachments/{Attachment.objects.get().pk}/")
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
