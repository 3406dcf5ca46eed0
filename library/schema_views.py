"""The library's output schema pages: the list with "Add schema", a schema with its versions,
a new version, "Use in pane", and Delete — archived instead while a prompt version answers
in the shape of one of its versions. Viewers read; editors and owners change and delete.

Nothing points at a schema's rows: "Use in pane" copies the body into the pane, and a prompt
version (and every run) keeps the copy it was saved with. A schema is in use, then, where a
prompt version's output schema is one of its versions' bodies."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions, teams
from chat.engine.fanout import panes_changed_from_sync
from chat.models import Conversation, Pane
from library import schemas
from library.models import OutputSchema, PromptVersion, SchemaVersion
from library.tool_views import delete_or_archive

RECENT = 12


def _schema(request: HttpRequest, pk: int, *, change: bool = False) -> OutputSchema:
    return permissions.get_or_404(request.user, OutputSchema.objects.select_related("team"),
                                  change=change, pk=pk)  # fmt: skip


def index(request: HttpRequest) -> HttpResponse:
    listed = permissions.visible(request.user, OutputSchema.objects.filter(archived=False)
                                 .select_related("team").prefetch_related("versions"))  # fmt: skip
    return render(request, "library/schemas.html", {"schemas": listed[:500],
                                                    "teams": teams.editing_teams(request.user)})  # fmt: skip


@require_POST
def add(request: HttpRequest) -> HttpResponse:
    team = teams.chosen_team(request.user, request.POST.get("team", ""))
    try:
        if team is None:
            raise schemas.SchemaRefused("Pick the team the schema belongs to.")
        version = schemas.save_schema(team, request.user, request.POST.get("name", ""),
                                      request.POST.get("body", ""))  # fmt: skip
    except schemas.SchemaRefused as refused:
        messages.error(request, str(refused))
        return redirect("library-schemas")
    # Adding a schema of an archived one's name is a new version of it: listed again.
    OutputSchema.objects.filter(pk=version.schema_id, archived=True).update(archived=False)
    messages.success(request, f"Saved {version.schema.name} v{version.number}.")
    return redirect("library-schema", pk=version.schema_id)


def schema_page(request: HttpRequest, pk: int) -> HttpResponse:
    schema = _schema(request, pk)
    versions = list(schema.versions.select_related("author"))
    panes = Pane.objects.filter(
        conversation__in=Conversation.objects.filter(owner=request.user)
        .order_by("-updated_at")[:RECENT]
    ).select_related("conversation")  # fmt: skip
    context = {
        "schema": schema, "versions": versions, "panes": panes,
        "may_change": permissions.may_change(request.user, OutputSchema.objects, pk=schema.pk),
        "body": json.dumps(versions[0].body, indent=2) if versions else "",
    }  # fmt: skip
    return render(request, "library/schema.html", context)


@require_POST
def save_version(request: HttpRequest, pk: int) -> HttpResponse:
    schema = _schema(request, pk, change=True)
    try:
        version = schemas.save_schema(schema.team, request.user, schema.name,
                                      request.POST.get("body", ""))  # fmt: skip
    except schemas.SchemaRefused as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, f"Saved {schema.name} v{version.number}.")
    return redirect("library-schema", pk=pk)


@require_POST
def use_in_pane(request: HttpRequest, pk: int) -> HttpResponse:
    version = permissions.get_or_404(request.user, SchemaVersion.objects.select_related("schema"),
                                     owner="schema__owner", change=False, pk=pk)  # fmt: skip
    pane = permissions.get_or_404(request.user, Pane.objects.select_related("conversation"),
                                  owner="conversation__owner",
                                  pk=request.POST.get("pane", ""))  # fmt: skip
    try:
        schemas.use_in_pane(version, pane)
    except schemas.SchemaRefused as refused:
        messages.error(request, str(refused))
        return redirect("library-schema", pk=version.schema_id)
    panes_changed_from_sync(pane.conversation_id)  # open tabs redraw their panes
    messages.success(request, f"{pane.label} answers in the shape of {version.schema.name} "
                              f"v{version.number} now.")  # fmt: skip
    return redirect("conversation", pk=pane.conversation_id)


def answering(schema: OutputSchema) -> list[PromptVersion]:
    """The prompt versions whose output schema is one of the schema's versions' bodies."""
    bodies = [json.dumps(body, sort_keys=True)
              for body in schema.versions.values_list("body", flat=True)]  # fmt: skip
    found = (PromptVersion.objects.filter(output_schema__isnull=False).select_related("prompt")
             .only("number", "output_schema", "prompt", "prompt__name"))  # fmt: skip
    return [version for version in found.iterator()
            if json.dumps(version.output_schema, sort_keys=True) in bodies]  # fmt: skip


@require_POST
def delete(request: HttpRequest, pk: int) -> HttpResponse:
    """Deleted with its versions, or archived while a prompt version answers in its shape,
    so the versions it was chosen for can still be read."""
    return delete_or_archive(request, _schema(request, pk, change=True), answering,
                             ("answers in its shape", "answer in its shape"), "library-schemas")  # fmt: skip
