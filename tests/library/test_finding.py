"""Find and organise (library/finding.py, library/tags.py): tags on prompts, tools and output
schemas, and the Library page's Kind, Tag, Author, Team and search filters — only ever over
what the user may see."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts import teams
from accounts.models import Membership, Role
from library import schemas, tags, tools
from library.models import OutputSchema, Prompt, Tool

pytestmark = pytest.mark.django_db
SCHEMA = '{"type": "object", "properties": {"answer": {"type": "string"}}}'


@pytest.fixture
def world():
    User = get_user_model()
    people = {name: User.objects.create_user(name) for name in ("ada", "bob", "cy", "eve")}
    crew = teams.create_team("Crew", people["ada"])
    Membership.objects.create(team=crew, user=people["bob"], role=Role.EDITOR)
    Membership.objects.create(team=crew, user=people["cy"], role=Role.VIEWER)
    secret = teams.create_team("Secret", people["eve"])
    items = {
        "greeter": Prompt.objects.create(team=crew, name="Greeter", owner=people["ada"],
                                         tags=["prod", "eu"]),
        "summary": Prompt.objects.create(team=crew, name="Summary", owner=people["bob"],
                                         tags=["draft"]),
        "weather": tools.save_tool(crew, people["bob"], {"name": "weather"}).tool,
        "answer": schemas.save_schema(crew, people["ada"], "Answer", SCHEMA).schema,
        "hidden": Prompt.objects.create(team=secret, name="Hidden plan", owner=people["eve"],
                                        tags=["prod", "evetag"]),
        "hidden_tool": tools.save_tool(secret, people["eve"], {"name": "spy"}).tool,
    }  # fmt: skip
    Tool.objects.filter(pk=items["weather"].pk).update(tags=["prod"])
    OutputSchema.objects.filter(pk=items["answer"].pk).update(tags=["eu"])
    return people, crew, items


def _as(person) -> Client:
    client = Client()
    client.force_login(person)
    return client


def _listed(person, **filters) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    context = _as(person).get(reverse("library"), filters).context
    return {kind: sorted(item.name for item in context[kind] or [])
            for kind in ("prompts", "tools", "schemas")}  # fmt: skip


def test_tags_are_parsed_lowercased_and_checked():
    assert tags.parsed(" Prod, eu ,, prod,v1.2_x-y ") == ["prod", "eu", "v1.2_x-y"]
    for bad in ("has space", "ünï", "x" * 37, "semi;colon"):
        with pytest.raises(tags.TagsRefused, match="is not a tag"):
            tags.parsed(f"ok, {bad}")
    with pytest.raises(tags.TagsRefused, match="At most 10"):
        tags.parsed(",".join(f"t{n}" for n in range(11)))


def test_each_filter_narrows_the_list(world):
    people, crew, _items = world
    ada = people["ada"]
    assert _listed(ada) == {"prompts": ["Greeter", "Summary"], "tools": ["weather"],
                            "schemas": ["Answer"]}  # fmt: skip
    assert _listed(ada, kind="tools") == {"prompts": [], "tools": ["weather"], "schemas": []}
    assert _listed(ada, kind="prompts")["prompts"] == ["Greeter", "Summary"]
    assert _listed(ada, tag="prod") == {"prompts": ["Greeter"], "tools": ["weather"],
                                        "schemas": []}  # fmt: skip
    assert _listed(ada, tag="eu", kind="schemas")["schemas"] == ["Answer"]
    assert _listed(ada, tag="pro") == {"prompts": [], "tools": [], "schemas": []}
    assert _listed(ada, author=people["bob"].pk) == {"prompts": ["Summary"],
                                                     "tools": ["weather"], "schemas": []}  # fmt: skip
    assert _listed(ada, q="summ")["prompts"] == ["Summary"]
    assert _listed(ada, team=teams.personal_team(ada).pk)["prompts"] == []
    assert _listed(ada, team=crew.pk, tag="eu", author=ada.pk)["prompts"] == ["Greeter"]


def test_an_outsiders_tagged_items_and_their_author_never_appear(world):
    people, _crew, _items = world
    response = _as(people["cy"]).get(reverse("library"), {"tag": "prod"})
    page = response.content.decode()
    assert "Hidden plan" not in page and "spy" not in page and "evetag" not in page
    assert [p.username for p in response.context["authors"]] == ["ada", "bob"]
    assert "evetag" not in response.context["known_tags"]
    assert _listed(people["cy"], author=people["eve"].pk) == {"prompts": [], "tools": [],
                                                               "schemas": []}  # fmt: skip
    assert _listed(people["eve"], tag="prod")["prompts"] == ["Hidden plan"]


def test_editors_set_tags_bad_ones_are_refused_and_viewers_and_outsiders_may_not(world):
    people, _crew, items = world
    bob = _as(people["bob"])
    for kind, item in (("prompt", items["greeter"]), ("tool", items["weather"]),
                       ("schema", items["answer"])):  # fmt: skip
        url = reverse("library-tags", args=[kind, item.pk])
        page = bob.post(url, {"tags": "Alpha, beta"}, follow=True).content.decode()
        assert "Tags: alpha, beta." in page and 'name="tags"' in page
        assert type(item).objects.get(pk=item.pk).tags == ["alpha", "beta"]
        refused = bob.post(url, {"tags": "gamma, not a tag"}, follow=True).content.decode()
        assert "is not a tag" in refused
        assert type(item).objects.get(pk=item.pk).tags == ["alpha", "beta"]
    url = reverse("library-tags", args=["prompt", items["greeter"].pk])
    assert _as(people["cy"]).post(url, {"tags": "x"}).status_code == 404
    page = _as(people["cy"]).get(reverse("library-prompt", args=[items["greeter"].pk]))
    assert 'name="tags"' not in page.content.decode()
    hidden = reverse("library-tags", args=["prompt", items["hidden"].pk])
    assert _as(people["ada"]).post(hidden, {"tags": "x"}).status_code == 404
    assert Prompt.objects.get(pk=items["hidden"].pk).tags == ["prod", "evetag"]
    assert bob.post(reverse("library-tags", args=["nothing", 1]), {"tags": ""}).status_code == 404
