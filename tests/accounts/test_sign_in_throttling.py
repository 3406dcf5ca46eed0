"""Failed sign-ins are throttled per username and per address (django-axes): the locked-out
client is told when to try again, and an admin can unlock it on the Team page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def sign_in(client: Client, username: str, password: str, address: str = "10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password},
                       REMOTE_ADDR=address)  # fmt: skip


def fail(client: Client, username: str, times: int, address: str = "10.0.0.1") -> list[int]:
    return [sign_in(client, username, "wrong-password", address).status_code
            for _ in range(times)]  # fmt: skip


def test_a_username_is_locked_out_after_the_limit_even_with_the_right_password(
    client, user, settings
):
    statuses = fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    assert statuses == [200] * (settings.AXES_FAILURE_LIMIT - 1) + [429]
    refused = sign_in(client, user.username, PASSWORD)
    page = refused.content.decode()
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in page and "Try again in 15 minutes" in page
    assert "ask an admin to unlock you" in page
    assert client.get("/connections/").status_code == 302  # not signed in


def test_the_count_is_per_username_whatever_the_address_or_the_letter_case(client, user, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, user.username.upper(), "wrong", address=f"10.0.1.{number}")
    assert sign_in(client, user.username, PASSWORD, address="10.0.2.1").status_code == 429


def test_the_count_is_per_address_across_usernames(client, user, settings):
    for number in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, f"guess{number}", "wrong", address="10.9.9.9")
    assert sign_in(client, user.username, PASSWORD, address="10.9.9.9").status_code == 429
    other = Client()
    assert sign_in(other, user.username, PASSWORD, address="10.8.8.8").status_code == 302


def test_fewer_failures_than_the_limit_then_the_right_password_signs_in_and_resets(
    client, user, settings
):
    fail(client, user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, user.username, PASSWORD).status_code == 302
    client.post("/logout/")
    fail(client, user.username, settings.AXES_FAILURE_LIMIT - 1)
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_the_lockout_ends_after_the_cool_off(client, user, settings):
    from axes.models import AccessAttempt

    fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    assert sign_in(client, user.username, PASSWORD).status_code == 429
    past = timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(seconds=1)
    AccessAttempt.objects.update(attempt_time=past)
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_an_admin_sees_the_lockout_and_unlocks_it(client, user, admin_user, settings):
    fail(client, user.username, settings.AXES_FAILURE_LIMIT)
    admin = Client()
    admin.force_login(admin_user)
    page = admin.get("/team/").content.decode()
    assert "Locked-out sign-ins" in page and f"<code>{user.username}</code>" in page
    assert "<code>10.0.0.1</code>" in page
    for kind, value in (("username", user.username), ("address", "10.0.0.1")):
        response = admin.post("/team/", {"unlock": "1", "kind": kind, "value": value})
        assert response.status_code == 302
    assert "Nobody is locked out" in admin.get("/team/").content.decode()
    assert sign_in(client, user.username, PASSWORD).status_code == 302


def test_a_member_cannot_unlock(client, user, admin_user, settings):
    fail(Client(), admin_user.username, settings.AXES_FAILURE_LIMIT)
    client.force_login(user)
    response = client.post("/team/", {"unlock": "1", "kind": "username",
                                      "value": admin_user.username})  # fmt: skip
    assert response.status_code == 403
