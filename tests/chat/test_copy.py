"""Copy message: the raw text behind a rendered message, to its owner only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from chat.display import MessageDisplay
from chat.frames import message_html
from chat.models import Message

pytestmark = pytest.mark.django_db

MARKDOWN = "# Title\n\nSome **bold** and code:\n\n```python\nprint('hi')\n```\n"


@pytest.fixture
def answer(user, make_conversation):
    conversation = make_conversation(user, title="Mine")
    return Message.objects.create(conversation=conversation, role="assistant", content=MARKDOWN,
                                  status="done")  # fmt: skip


def test_the_owner_gets_the_raw_markdown(member_client, answer):
    response = member_client.get(reverse("message-raw", args=[answer.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == MARKDOWN
    assert "no-store" in response["Cache-Control"]


def test_someone_else_gets_a_404(client, admin_user, answer):
    client.force_login(admin_user)
    response = client.get(reverse("message-raw", args=[answer.pk]))
    assert response.status_code == 404 and "print" not in response.content.decode()
    assert client.get(reverse("message-raw", args=[answer.pk + 1000])).status_code == 404


def test_each_finished_message_has_the_button_with_its_own_url(answer, user):
    user_message = Message.objects.create(conversation=answer.conversation, role="user",
                                          content="a question")  # fmt: skip
    for message in (answer, user_message):
        html = message_html(MessageDisplay.of(message, related=False), 0)
        assert 'aria-label="Copy message"' in html
        assert f'data-raw-url="{reverse("message-raw", args=[message.pk])}"' in html


def test_a_streaming_answer_has_no_copy_button_yet(answer):
    answer.status = "streaming"
    assert 'aria-label="Copy message"' not in message_html(
        MessageDisplay.of(answer, related=False), 0
    )
