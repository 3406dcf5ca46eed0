"""No input makes a view fail: every route, with garbage in its query and its form, answers
with a status below 500 (a 400 or 404 with a message where the input is wrong)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

GARBAGE = {
    "connection": "abc", "model": "x" * 5000, "remove": "not-a-number", "kind": "??",
    "value": "", "current": "maybe", "title": "t" * 5000, "temperature": "hot",
    "max_tokens": "-1", "stop": "\n" * 50, "tools": "[{", "output_schema": "{]",
    "tool_choice": "\x00", "system_prompt": "\u202e\x00", "file": "not a file", "unlock": "1",
    "detail": "enormous", "next": "https://elsewhere.example/",
}  # fmt: skip


def routes(resolver=None, prefix=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from routes(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def fill(route: str, conversation_id: int, connection_id: int) -> list[str]:
    """The route with real ids, and with ids nobody has."""
    real = (route.replace("<int:pk>", str(conversation_id))
            .replace("<uuid:attachment_id>", str(uuid.uuid4())))  # fmt: skip
    if route.startswith("connections/"):
        real = route.replace("<int:pk>", str(connection_id))
    missing = route.replace("<int:pk>", "999999").replace("<uuid:attachment_id>", str(uuid.uuid4()))
    return ["/" + real, "/" + missing]


def test_every_route_answers_garbage_without_a_server_error(
    admin_client, admin_user, make_conversation, make_connection
):
    conversation = make_conversation(admin_user)
    connection = make_connection()
    checked, statuses = 0, []
    # Deleting last, so the other routes still find the conversation and the connection.
    for route in sorted(routes(), key=lambda route: "delete" in route):
        if route.startswith("static/"):
            continue
        for path in fill(route, conversation.pk, connection.pk):
            for method in (admin_client.get, admin_client.post):
                admin_client.force_login(admin_user)  # /logout/ is one of the routes
                response = method(path, GARBAGE)
                assert response.status_code < 500, (path, method.__name__, response.status_code)
                checked += 1
                statuses.append(response.status_code)
    assert checked > 40, checked
    assert statuses.count(302) < len(statuses) / 2, "most routes must do real work"
