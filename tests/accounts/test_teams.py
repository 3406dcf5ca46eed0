"""Teams (accounts/teams.py and its views): a personal team for every account, the first
shared team at set-up, invites that expire and work once, roles, and a team that always keeps
an owner. A team one is not in is a 404 that names nothing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from accounts import teams
from accounts.models import Invite, Membership, Role, Team
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def make(name: str):
    return get_user_model().objects.create_user(name, password=PASSWORD)


@pytest.fixture
def crew():
    """A shared team "Crew": ada owns it, bob edits, cy views; dee is outside."""
    ada, bob, cy, dee = (make(name) for name in ("ada", "bob", "cy", "dee"))
    team = teams.create_team("Crew", ada)
    Membership.objects.create(team=team, user=bob, role=Role.EDITOR)
    Membership.objects.create(team=team, user=cy, role=Role.VIEWER)
    return team, ada, bob, cy, dee


def test_every_account_comes_with_its_own_team():
    ada = make("ada")
    team = Team.objects.get(personal_for=ada)
    assert team.is_personal and teams.role_of(team, ada) == Role.OWNER
    assert teams.personal_team(ada) == team  # asked again: the same one


def test_the_first_account_owns_the_first_shared_team(client):
    response = client.post(reverse("setup"), {"username": "first", "password": PASSWORD,
                                              "confirm_password": PASSWORD})  # fmt: skip
    assert response.status_code == 302
    first = get_user_model().objects.get(username="first")
    shared = Team.objects.get(personal_for__isnull=True)
    assert (shared.name, teams.role_of(shared, first)) == ("Team", Role.OWNER)


def test_an_invite_works_once_and_keeps_only_a_hash_of_its_token(crew):
    team, ada, _bob, _cy, dee = crew
    invite, token = teams.invite(team, ada, Role.EDITOR)
    assert token not in str(Invite.objects.filter(pk=invite.pk).values().get())
    assert invite.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert teams.accept(token, dee).role == Role.EDITOR
    with pytest.raises(teams.TeamRefused, match="expired or was used"):
        teams.accept(token, make("eve"))


def test_an_expired_invite_does_not_work(crew):
    team, ada, _bob, _cy, dee = crew
    invite, token = teams.invite(team, ada, Role.VIEWER, hours=1)
    Invite.objects.filter(pk=invite.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert teams.pending_invite(token) is None
    with pytest.raises(teams.TeamRefused):
        teams.accept(token, dee)
    assert teams.role_of(team, dee) is None


@pytest.mark.parametrize("who", ["bob", "cy", "dee"])
def test_only_owners_invite(crew, who):
    team, *people = crew
    by = next(person for person in people if person.username == who)
    with pytest.raises(teams.TeamRefused, match="Only the team's owners"):
        teams.invite(team, by, Role.VIEWER)


def test_the_last_owner_can_neither_leave_nor_be_demoted(crew):
    team, ada, bob, _cy, _dee = crew
    with pytest.raises(teams.TeamRefused, match="needs an owner"):
        teams.change_role(team, ada, ada.pk, Role.EDITOR)
    with pytest.raises(teams.TeamRefused, match="needs an owner"):
        teams.remove(team, ada, ada.pk)
    teams.change_role(team, ada, bob.pk, Role.OWNER)
    teams.remove(team, ada, ada.pk)  # another owner now: ada may go
    assert teams.role_of(team, ada) is None and teams.role_of(team, bob) == Role.OWNER


def test_a_removed_member_loses_access_at_once(crew, monkeypatch,
                                               django_capture_on_commit_callbacks):  # fmt: skip
    team, ada, _bob, cy, _dee = crew
    closed = []
    monkeypatch.setattr("accounts.sockets.announce_access_revoked", closed.append)
    with django_capture_on_commit_callbacks(execute=True):
        teams.remove(team, ada, cy.pk)
    assert closed == [cy.pk] and teams.role_of(team, cy) is None


def test_a_membership_deleted_any_other_way_closes_the_sockets_once_committed(
        crew, monkeypatch, django_capture_on_commit_callbacks):  # fmt: skip
    """The admin, a script, a cascade: not only teams.remove. Not before the commit, or a
    socket could reconnect while the membership is still there."""
    team, _ada, bob, cy, _dee = crew
    closed = []
    monkeypatch.setattr("accounts.sockets.announce_access_revoked", closed.append)
    with django_capture_on_commit_callbacks(execute=True) as pending:
        Membership.objects.filter(team=team, user__in=[bob, cy]).delete()
        assert closed == []
    assert len(pending) == 2 and sorted(closed) == sorted([bob.pk, cy.pk])


def test_a_personal_team_takes_no_one_else(crew):
    _team, ada, _bob, _cy, _dee = crew
    with pytest.raises(teams.TeamRefused, match="personal team"):
        teams.invite(teams.personal_team(ada), ada, Role.VIEWER)


# -- through the pages ----------------------------------------------------------------------


def test_an_owner_invites_from_the_team_page_and_a_newcomer_joins_with_a_new_account(client, crew):
    team, ada, *_ = crew
    client.force_login(ada)
    page = client.post(reverse("team-invite", args=[team.pk]), {"role": "viewer", "hours": "24"})
    link = page.context["invite_link"]
    assert page.status_code == 200 and link.startswith("http://testserver/invite/")
    client.logout()

    path = link.removeprefix("http://testserver")
    assert b"Join Crew" in client.get(path).content
    joined = client.post(path, {"username": "newcomer", "password": PASSWORD,
                                "confirm_password": PASSWORD})  # fmt: skip
    assert joined.status_code == 302 and joined["Location"] == f"/teams/{team.pk}/"
    newcomer = get_user_model().objects.get(username="newcomer")
    assert teams.role_of(team, newcomer) == Role.VIEWER
    assert Team.objects.filter(personal_for=newcomer).exists()
    assert client.get(path).status_code == 404  # used: it works once


def test_a_bad_account_form_on_the_invite_page_joins_no_one(client, crew):
    team, ada, *_ = crew
    _invite, token = teams.invite(team, ada, Role.EDITOR)
    refused = client.post(reverse("invite", args=[token]),
                          {"username": "x", "password": "1", "confirm_password": "2"})  # fmt: skip
    assert refused.status_code == 400
    assert not get_user_model().objects.filter(username="x").exists()
    assert teams.pending_invite(token) is not None  # still usable


def test_a_team_one_is_not_in_is_not_found_and_not_named(client, crew):
    team, _ada, _bob, _cy, dee = crew
    client.force_login(dee)
    for response in (
        client.get(reverse("team-detail", args=[team.pk])),
        client.post(reverse("team-invite", args=[team.pk]), {"role": "owner"}),
        client.post(reverse("team-role", args=[team.pk, dee.pk]), {"role": "owner"}),
    ):
        assert response.status_code == 404 and b"Crew" not in response.content
    assert b"Crew" not in client.get(reverse("team")).content


def test_roles_change_on_the_team_page_and_refusals_say_why(client, crew):
    team, ada, bob, cy, _dee = crew
    client.force_login(bob)  # an editor cannot
    refused = client.post(reverse("team-role", args=[team.pk, cy.pk]), {"role": "owner"})
    assert refused.status_code == 400 and b"Only the team&#x27;s owners" in refused.content
    client.force_login(ada)
    page = client.get(reverse("team-detail", args=[team.pk])).content.decode()
    assert 'aria-label="Role of cy"' in page and ">Invite</button>" in page
    changed = client.post(reverse("team-role", args=[team.pk, cy.pk]), {"role": "editor"})
    assert changed.status_code == 302 and teams.role_of(team, cy) == Role.EDITOR
    alone = client.post(reverse("team-remove", args=[team.pk, ada.pk]))
    assert alone.status_code == 400 and b"needs an owner" in alone.content


def test_the_library_team_choices_offer_shared_teams_first_and_only_me_last(crew):
    team, ada, bob, *_ = crew
    teams.create_team("Alpha", bob)
    chosen = teams.editing_teams(bob)
    assert [t.name for t in chosen[:-1]] == ["Alpha", "Crew"]
    assert chosen[-1] == teams.personal_team(bob)  # the same on SQLite and PostgreSQL
