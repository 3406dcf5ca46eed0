"""Search conversations (the sidebar): by title and by what was said, case aside, among the
user's own conversations only — someone else's never appears, not even by name."""

from __future__ import annotations

import pytest
from django.db import connection as database
from django.test.utils import CaptureQueriesContext

from chat.models import Message
from chat.search import search

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(user, admin_user, make_conversation):
    weather = make_conversation(user, title="Weather in Lisbon")
    recipes = make_conversation(user, title="Dinner ideas")
    Message.objects.create(conversation=recipes, role="user", content="Something with LENTILS?")
    Message.objects.create(conversation=recipes, role="assistant",
                           content="A long answer. " * 20 + "Try a lentil soup with cumin.")  # fmt: skip
    make_conversation(user, title="Untouched")
    secret = make_conversation(admin_user, title="Lentils of the board")
    Message.objects.create(conversation=secret, role="user", content="lentils for the CEO")
    return {"weather": weather, "recipes": recipes, "secret": secret}


def test_a_title_or_a_message_matches_whatever_the_case(user, library):
    assert [f.conversation.pk for f in search(user, "lisbon")] == [library["weather"].pk]
    [found] = search(user, "lentil")
    assert found.conversation.pk == library["recipes"].pk
    before, match, after = found.snippet
    assert (match, after.startswith("S?")) == ("LENTIL", True)  # the first message that matched
    assert "Dinner ideas" not in before
    assert (before, after) == ("Something with ", "S?")  # spaces kept around the match


def test_a_title_match_needs_no_snippet(user, library):
    [found] = search(user, "weather")
    assert found.snippet is None


def test_someone_elses_conversation_is_never_found(user, library):
    assert [f.conversation.pk for f in search(user, "lentils")] == [library["recipes"].pk]
    assert search(user, "board") == [] and search(user, "CEO") == []


def test_blank_and_overlong_searches(user, library):
    assert search(user, "   ") == []
    assert search(user, "lentil" + " " * 500 + "x" * 500) == []  # cut to 200 characters


def test_the_search_costs_two_queries_however_many_it_finds(user, make_conversation, library):
    def queries(text: str) -> int:
        with CaptureQueriesContext(database) as captured:
            search(user, text)
        return len(captured.captured_queries)

    few = queries("lentil")
    for number in range(12):
        conversation = make_conversation(user, title=f"Plain {number}")
        Message.objects.create(conversation=conversation, role="user", content="more lentils")
    assert queries("lentil") == few == 2


def test_the_sidebar_swaps_in_what_was_found_and_marks_the_match(member_client, library):
    response = member_client.get("/c/search/", {"q": "lentil"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert response.status_code == 200 and 'id="conversation-list"' in page
    assert "Dinner ideas" in page and "<mark>LENTIL</mark>" in page
    assert "Weather in Lisbon" not in page
    assert "board" not in page and "CEO" not in page


def test_nothing_found_says_so_and_an_empty_search_lists_everything(member_client, library):
    nothing = member_client.get("/c/search/", {"q": "zebra"}).content.decode()
    assert "No conversation matches “zebra”." in nothing
    everything = member_client.get("/c/search/", {"q": ""}).content.decode()
    assert "Weather in Lisbon" in everything and "Untouched" in everything


def test_without_javascript_the_page_itself_filters_its_sidebar(member_client, library):
    page = member_client.get(f"/c/{library['weather'].pk}/", {"q": "lentil"}).content.decode()
    assert 'aria-label="Search conversations"' in page or "Search conversations" in page
    assert 'value="lentil"' in page and "<mark>LENTIL</mark>" in page
    sidebar = page[
        page.index('id="conversation-list"') : page.index(
            "</ul>", page.index('id="conversation-list"')
        )
    ]
    assert "Dinner ideas" in sidebar and "Untouched" not in sidebar


def test_a_signed_out_visitor_is_sent_to_sign_in(client, library):
    response = client.get("/c/search/", {"q": "lentil"})
    assert response.status_code in (302, 401) and "Dinner" not in response.content.decode()


def test_an_untitled_conversation_found_by_its_text_shows_where(user, make_conversation):
    untitled = make_conversation(user)  # shown as "New conversation"
    Message.objects.create(conversation=untitled, role="user", content="brand new plans")
    [found] = search(user, "new")  # in the text, and in the shown title too
    assert found.conversation.pk == untitled.pk and found.snippet == ("brand ", "new", " plans")
