import pytest

from chat.models import Conversation, Message, Pane

pytestmark = pytest.mark.django_db


def test_a_new_conversation_keeps_the_panes_last_chosen_without_their_messages(
    member_client, user, make_conversation
):
    latest = make_conversation(user, sync_settings=True)
    Pane.objects.create(conversation=latest, position=0, model="m", system_prompt="Be brief.",
                        params={"seed": 1})  # fmt: skip
    Pane.objects.create(conversation=latest, position=1, model="other", repeat=5)
    Message.objects.create(conversation=latest, role="user", content="old")
    response = member_client.post("/c/new/")
    newest = Conversation.objects.filter(owner=user).order_by("-id").first()
    assert response["Location"] == f"/c/{newest.pk}/"
    panes = list(newest.panes.values_list("position", "model", "system_prompt", "params"))
    assert panes == [(0, "m", "Be brief.", {"seed": 1}), (1, "other", "", {})]
    assert newest.sync_settings and newest.title == "" and not newest.messages.exists()
    assert set(newest.panes.values_list("repeat", flat=True)) == {1}  # Repeat is not carried


def test_the_first_new_conversation_gets_one_empty_pane(member_client, user):
    member_client.post("/c/new/")
    assert list(Conversation.objects.get(owner=user).panes.values_list("model", flat=True)) == [""]


def test_renaming_returns_the_updated_sidebar_item(member_client, user, make_conversation):
    conversation = make_conversation(user, title="Old")
    form = member_client.get(f"/c/{conversation.pk}/rename/").content.decode()
    assert 'value="Old"' in form and "Save title" in form
    item = member_client.post(f"/c/{conversation.pk}/rename/", {"title": "  New title  "})
    conversation.refresh_from_db()
    assert conversation.title == "New title"
    assert "New title" in item.content.decode()


def test_a_blank_title_means_untitled(member_client, user, make_conversation):
    conversation = make_conversation(user, title="Old")
    member_client.post(f"/c/{conversation.pk}/rename/", {"title": " "})
    conversation.refresh_from_db()
    assert conversation.display_title == "New conversation"


def test_deleting_removes_the_messages_too(member_client, user, make_conversation):
    conversation = make_conversation(user)
    Message.objects.create(conversation=conversation, role="user", content="hi")
    response = member_client.post(f"/c/{conversation.pk}/delete/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert not Conversation.objects.filter(pk=conversation.pk).exists()
    assert not Message.objects.exists()


def test_deleting_the_open_conversation_sends_the_browser_home(
    member_client, user, make_conversation
):
    conversation = make_conversation(user)
    response = member_client.post(
        f"/c/{conversation.pk}/delete/", {"current": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response["HX-Redirect"] == "/"


def test_other_peoples_conversations_are_not_found(member_client, admin_user, make_conversation):
    theirs = make_conversation(admin_user, title="Private")
    assert member_client.get(f"/c/{theirs.pk}/").status_code == 404
    assert member_client.post(f"/c/{theirs.pk}/rename/", {"title": "x"}).status_code == 404
    assert member_client.post(f"/c/{theirs.pk}/delete/").status_code == 404
    assert Conversation.objects.get(pk=theirs.pk).title == "Private"
    assert "Private" not in member_client.get("/connections/").content.decode()
