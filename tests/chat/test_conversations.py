import pytest

from chat.models import Conversation, Message

pytestmark = pytest.mark.django_db


def test_a_new_conversation_keeps_the_model_and_parameters_last_chosen(
    member_client, user, make_conversation
):
    make_conversation(
        user, system_prompt="Be brief.", settings={"model": "m", "params": {"seed": 1}}
    )
    response = member_client.post("/c/new/")
    newest = Conversation.objects.filter(owner=user).order_by("-id").first()
    assert response["Location"] == f"/c/{newest.pk}/"
    assert (newest.system_prompt, newest.settings["model"], newest.title) == ("Be brief.", "m", "")


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
