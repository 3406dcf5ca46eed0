"""The team's item of a name, to add a version to: tools and schemas are found by name
within a team (saving "get_weather" again is its next version), so the name alone must not
be a way into an item the saver may not change: a private one of another author's, or any
of them for a viewer."""

from typing import Any

from django.db.models import Model

from accounts import permissions


def item_to_extend(model: type[Model], team: Any, name: str, author: Any,
                   refused: type[Exception], **defaults: Any) -> tuple[Model, bool]:  # fmt: skip
    """(item, made): the team's item of that name, made for the author when there is none;
    `refused` when there is one the author may not change. Call inside a transaction."""
    item, made = model.objects.select_for_update().get_or_create(
        team=team, name=name, defaults={"owner": author, **defaults})  # fmt: skip
    if not made and not permissions.may_change(author, model.objects, pk=item.pk):
        kind = model._meta.verbose_name
        raise refused(f"{team.name} has a {kind} named {name!r} already, one you may not "
                      "change: pick another name.")  # fmt: skip
    return item, made
