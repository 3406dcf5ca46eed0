"""Output schemas in the library (library/schemas.py and its pages): checked before saving,
versions that never change, put into a pane — never beside its tools — and kept from
those outside the team."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts import teams
from chat.models import Conversation, Pane
from library import schemas
from library.models import ImmutableVersion, OutputSchema, SchemaVersion

pytestmark = pytest.mark.django_db
ANSWER = {"type": "object", "properties": {"answer": {"type": "string"}}, "required": ["answer"]}


@pytest.fixture
def crew(django_user_model):
    ada = django_user_model.objects.create_user("ada")
    return teams.create_team("Crew", ada), ada


def test_a_schema_is_checked_versioned_and_never_changed_in_place(crew):
    with pytest.raises(schemas.SchemaRefused, match="JSON"):
        schemas.save_schema(*crew, "Answer", "{nope")
    with pytest.raises(schemas.SchemaRefused, match="JSON object"):
        schemas.save_schema(*crew, "Answer", "[1]")
    first = schemas.save_schema(*crew, "Answer", json.dumps(ANSWER))
    with pytest.raises(schemas.SchemaRefused, match="Nothing changed"):
        schemas.save_schema(*crew, "Answer", json.dumps(ANSWER))
    second = schemas.save_schema(*crew, "Answer", json.dumps({**ANSWER, "title": "answer"}))
    assert (first.number, second.number, OutputSchema.objects.count()) == (1, 2, 1)
    with pytest.raises(ImmutableVersion):
        first.save()


def test_use_in_pane_gives_the_pane_the_schema_but_not_beside_tools(crew, client, monkeypatch):
    team, ada = crew
    version = schemas.save_schema(team, ada, "Answer", json.dumps(ANSWER))
    conversation = Conversation.objects.create(owner=ada)
    plain = Pane.objects.create(conversation=conversation, position=0)
    tooled = Pane.objects.create(conversation=conversation, position=1, tools=[{"name": "t"}])
    monkeypatch.setattr("library.schema_views.panes_changed_from_sync", lambda pk: None)
    client.force_login(ada)
    url = reverse("library-schema-use", args=[version.pk])
    assert client.post(url, {"pane": plain.pk}).status_code == 302
    assert Pane.objects.get(pk=plain.pk).output_schema == ANSWER
    refused = client.post(url, {"pane": tooled.pk}, follow=True)
    assert b"not both" in refused.content and Pane.objects.get(pk=tooled.pk).output_schema is None


def test_outsiders_find_no_schema_and_cannot_use_it(crew, client, django_user_model):
    team, ada = crew
    version = schemas.save_schema(team, ada, "Secret shape", json.dumps(ANSWER))
    dee = django_user_model.objects.create_user("dee")
    pane = Pane.objects.create(conversation=Conversation.objects.create(owner=dee), position=0)
    client.force_login(dee)
    assert client.get(reverse("library-schema", args=[version.schema_id])).status_code == 404
    assert b"Secret shape" not in client.get(reverse("library-schemas")).content
    used = client.post(reverse("library-schema-use", args=[version.pk]), {"pane": pane.pk})
    assert used.status_code == 404 and Pane.objects.get(pk=pane.pk).output_schema is None
    assert SchemaVersion.objects.count() == 1
