"""Prepared queries (playground.prepared) give what Django's own query sets give — the same
instances, related objects, deferred fields and converted values — in one query, and refuse
a query whose SQL depends on its values."""

from __future__ import annotations

import pytest
from django.db import connection as database
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from chat.models import Conversation, Pane, Turn
from playground.prepared import NotPreparable, Prepared, _padded

pytestmark = pytest.mark.django_db

PANES = Prepared(Pane, lambda ids: Pane.objects.filter(conversation_id__in=ids)
                 .select_related("connection"))  # fmt: skip
TURNS = Prepared(Turn, lambda ids: Turn.objects.filter(conversation_id__in=ids)
                 .only("id", "conversation_id", "created_at"))  # fmt: skip
OWNED = Prepared(Conversation, lambda owner, ids: Conversation.objects.filter(
    owner_id=owner, pk__in=ids, visibility="private"))  # fmt: skip


def _fields(instance, names):  # type: ignore[no-untyped-def]
    return {name: getattr(instance, name) for name in names}


@pytest.fixture
def conversations(user, make_connection):  # type: ignore[no-untyped-def]
    made = []
    for index in range(3):
        conversation = Conversation.objects.create(owner=user, title=f"c{index}")
        Pane.objects.create(conversation=conversation, position=0, model="m",
                            connection=make_connection() if index else None)  # fmt: skip
        Turn.objects.create(conversation=conversation)
        made.append(conversation)
    return made


def test_instances_and_their_related_objects_are_as_django_makes_them(conversations):
    ids = [c.pk for c in conversations]
    expected = list(Pane.objects.filter(conversation_id__in=ids).select_related("connection"))
    with CaptureQueriesContext(database) as queries:
        found = PANES.objects(ids)
        connections = [pane.connection for pane in found]  # loaded with them: no query
    assert len(queries) == 1
    assert [pane.pk for pane in found] == [pane.pk for pane in expected]
    names = ["conversation_id", "position", "model", "connection_id"]
    assert [_fields(p, names) for p in found] == [_fields(p, names) for p in expected]
    assert connections[0] is None  # a pane with no connection: the left join's Nones
    assert [c.name for c in connections[1:]] == [p.connection.name for p in expected[1:]]
    assert all(pane._state.db == "default" and not pane._state.adding for pane in found)


def test_deferred_fields_stay_deferred_and_dates_are_converted(conversations):
    [turn] = TURNS.objects([conversations[0].pk])
    assert turn.created_at == Turn.objects.get(pk=turn.pk).created_at  # aware, not a string
    assert turn.created_at.tzinfo is not None
    assert "parent_id" in turn.get_deferred_fields()


def test_a_list_is_padded_to_a_power_of_two_and_its_repeats_change_nothing(conversations):
    assert _padded([4, 4, 5, 6]) == [4, 5, 6, 6]
    assert _padded([1, 2, 3, 4, 5]) == [1, 2, 3, 4, 5, 5, 5, 5]
    ids = [c.pk for c in conversations]
    assert sorted(p.conversation_id for p in PANES.objects(ids + ids)) == sorted(ids)
    shapes = {key for key in PANES._compiled if key[0] == "default"}
    PANES.objects(ids[:1])
    PANES.objects(ids[:2])
    assert len({key for key in PANES._compiled if key[0] == "default"} - shapes) <= 2


def test_values_take_their_places_whatever_their_order(user, conversations, django_user_model):
    other = django_user_model.objects.create_user("someone-else")
    mine = Conversation.objects.create(owner=other, title="theirs")
    ids = [c.pk for c in conversations] + [mine.pk]
    assert {c.pk for c in OWNED.objects(user.pk, ids)} == {c.pk for c in conversations}
    assert [c.pk for c in OWNED.objects(other.pk, ids)] == [mine.pk]
    conversations[0].visibility = "team"
    conversations[0].save()
    assert conversations[0].pk not in {c.pk for c in OWNED.objects(user.pk, ids)}


def test_rows_of_a_values_list_query_and_an_empty_list(user, conversations):
    titles = Prepared(Conversation, lambda ids: Conversation.objects.filter(pk__in=ids)
                      .order_by("pk").values_list("pk", "title"))  # fmt: skip
    ids = [c.pk for c in conversations]
    assert titles.rows(ids) == [(c.pk, c.title) for c in conversations]
    with CaptureQueriesContext(database) as queries:
        assert titles.rows([]) == []
    assert len(queries) == 0  # Django's own answer to an empty list: nothing to ask
    with pytest.raises(TypeError, match="use rows"):
        titles.objects(ids)
    with pytest.raises(TypeError, match="use objects"):
        PANES.rows(ids)


def test_annotations_are_set_on_the_instances(conversations):
    counted = Prepared(Conversation, lambda ids: Conversation.objects.filter(pk__in=ids)
                       .annotate(pane_count=Count("panes")).order_by("pk"))  # fmt: skip
    assert [c.pane_count for c in counted.objects([c.pk for c in conversations])] == [1, 1, 1]


def test_a_query_whose_sql_depends_on_its_values_is_refused(conversations):
    limited = Prepared(Conversation, lambda count: Conversation.objects.all()[: abs(count)])
    with pytest.raises(NotPreparable, match="depends on its values"):
        limited.objects(2)
    # A value that changes the query (as Django does with an id out of a column's range).
    branching = Prepared(Conversation, lambda pk: Conversation.objects.filter(pk=pk) if pk > 0
                         else Conversation.objects.filter(pk=pk, title="odd"))  # fmt: skip
    with pytest.raises(NotPreparable, match="depends on its values"):
        branching.objects(conversations[0].pk)
    nothing = Prepared(Conversation, lambda pk: Conversation.objects.filter(pk=pk) if pk > 0
                       else Conversation.objects.none())  # fmt: skip
    with pytest.raises(NotPreparable, match="depends on its values"):
        nothing.objects(conversations[0].pk)
    prefetching = Prepared(Conversation, lambda ids: Conversation.objects.filter(pk__in=ids)
                           .prefetch_related("panes"))  # fmt: skip
    with pytest.raises(NotPreparable, match="only one query"):
        prefetching.objects([conversations[0].pk])
