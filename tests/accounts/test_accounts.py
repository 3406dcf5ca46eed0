import pytest
from django.contrib.auth import get_user_model

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_before_any_account_every_page_leads_to_setup(client):
    for path in ["/", "/connections/", "/login/", "/c/1/"]:
        response = client.get(path)
        assert response.status_code == 302
        assert response["Location"] == "/setup/"


def test_static_files_are_served_even_before_setup(client):
    assert client.get("/static/css/base.css").status_code == 200


def test_setup_creates_the_first_account_as_admin_and_signs_it_in(client):
    response = client.post(
        "/setup/",
        {"username": "ada", "password": PASSWORD, "confirm_password": PASSWORD},
    )
    assert response.status_code == 302
    ada = get_user_model().objects.get(username="ada")
    assert ada.is_staff and ada.is_superuser
    assert client.get("/").status_code == 302  # on to a conversation, signed in
    assert client.get(client.get("/")["Location"]).status_code == 200


def test_setup_refuses_mismatched_and_weak_passwords(client):
    page = client.post(
        "/setup/", {"username": "ada", "password": PASSWORD, "confirm_password": "x"}
    )
    assert "The two passwords differ" in page.content.decode()
    page = client.post("/setup/", {"username": "ada", "password": "123", "confirm_password": "123"})
    assert page.status_code == 200
    assert not get_user_model().objects.exists()


def test_setup_is_gone_once_an_account_exists(client, admin_user):
    assert client.get("/setup/").status_code == 404
    client.post("/setup/", {"username": "eve", "password": PASSWORD, "confirm_password": PASSWORD})
    assert not get_user_model().objects.filter(username="eve").exists()


def test_later_visitors_must_sign_in(client, user):
    response = client.get("/connections/")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/connections/"
    response = client.post("/login/", {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/connections/").status_code == 200


def test_a_wrong_password_is_refused_with_a_message(client, user):
    page = client.post("/login/", {"username": user.username, "password": "wrong"})
    assert "do not match" in page.content.decode()


def test_sign_out_takes_a_post(member_client):
    assert member_client.get("/logout/").status_code == 405
    member_client.post("/logout/")
    assert member_client.get("/connections/").status_code == 302


def test_an_admin_adds_and_removes_team_members(admin_client):
    admin_client.post(
        "/team/", {"username": "bob", "password": PASSWORD, "confirm_password": PASSWORD}
    )
    bob = get_user_model().objects.get(username="bob")
    assert not bob.is_staff
    assert "bob" in admin_client.get("/team/").content.decode()
    admin_client.post("/team/", {"remove": bob.pk})
    assert not get_user_model().objects.filter(username="bob").exists()


def test_an_admin_cannot_remove_themselves(admin_client, admin_user):
    admin_client.post("/team/", {"remove": admin_user.pk})
    assert get_user_model().objects.filter(pk=admin_user.pk).exists()


def test_members_see_the_team_but_cannot_change_it(member_client, admin_user):
    page = member_client.get("/team/").content.decode()
    assert admin_user.username in page and "Only admins" in page
    response = member_client.post("/team/", {"remove": admin_user.pk})
    assert response.status_code == 403
    assert get_user_model().objects.filter(pk=admin_user.pk).exists()


@pytest.mark.parametrize("value", ["abc", "", "-1", "1.5", "99999999999999999999999"])
def test_removing_a_member_by_something_that_is_not_a_member_says_so(admin_client, value):
    response = admin_client.post("/team/", {"remove": value})
    assert response.status_code == 400
    assert "There is no such member" in response.content.decode()


def test_removing_a_member_closes_their_open_sockets_at_once(
    admin_client, user, monkeypatch, django_capture_on_commit_callbacks
):
    told = []
    monkeypatch.setattr("accounts.sockets.announce_access_revoked", told.append)
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/team/", {"remove": user.pk})
    assert told and set(told) == {user.pk}  # once per membership the account had
