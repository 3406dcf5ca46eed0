"""Replay with another version: a run keeps its prompt version and the values of its
variables; its footer links to the prompt, whose Open form comes back filled with them, for
the people who may see that run only."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import teams
from chat import frames
from chat.display import MessageDisplay
from chat.engine import starting, store
from library import opening
from library.models import Prompt, PromptVersion
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def run_of_a_prompt(make_connection):
    ada = get_user_model().objects.create_user("ada", password=PASSWORD)
    prompt = Prompt.objects.create(team=teams.personal_team(ada), name="Translator", owner=ada)
    version = PromptVersion.objects.create(
        prompt=prompt, number=1, author=ada, system_prompt="Into {{language}}.", model="small",
        connection_name="Local", connection_kind="openai_compatible",
    )  # fmt: skip
    make_connection(name="Local")
    conversation, _ = opening.open_versions(ada, [(version, "")], {"language": "Welsh"})
    started = starting.start_turn(conversation, "Good morning", user_id=ada.pk)
    run = started.runs[0]
    store.finish_run(str(run.pk), text="Bore da", reasoning="", status="done", fields={},
                     tool_calls=[])  # fmt: skip
    return ada, prompt, run


def test_a_runs_footer_links_to_its_prompt_with_its_values(run_of_a_prompt):
    ada, prompt, run = run_of_a_prompt
    assert run.variables == {"language": "Welsh"} and run.source["prompt"] == prompt.pk
    shown = MessageDisplay.of(store.message_with_run(run.message_id))
    footer = frames.message_html(shown, run.pane_id)
    link = f"{reverse('library-prompt', args=[prompt.pk])}?run={run.pk}#open"
    assert f'href="{link}"' in footer and "Replay with another version" in footer

    client = Client()
    client.force_login(ada)
    page = client.get(link.removesuffix("#open")).content.decode()
    assert 'name="var_language" rows="2" required>Welsh</textarea>' in page
    assert "The variables hold the values of the run you came from" in page


def test_someone_who_may_not_see_the_run_gets_an_empty_form(run_of_a_prompt, django_user_model):
    _ada, prompt, run = run_of_a_prompt
    bob = django_user_model.objects.create_user("bob", password=PASSWORD)
    prompt.team = teams.create_team("Crew", bob)  # bob sees the prompt, not ada's run
    prompt.visibility = "team"
    prompt.save()
    client = Client()
    client.force_login(bob)
    page = client.get(reverse("library-prompt", args=[prompt.pk]), {"run": str(run.pk)})
    assert page.status_code == 200
    assert "Welsh" not in page.content.decode()
    assert "came from" not in page.content.decode()
    garbage = client.get(reverse("library-prompt", args=[prompt.pk]), {"run": "not-a-uuid"})
    assert garbage.status_code == 200
