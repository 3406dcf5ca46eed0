"""A conversation's panes: add, duplicate, move, remove, save a pane's settings, and the
"Sync settings" switch. Changes to the panes are told to every tab of the conversation
(`panes.changed`), which reloads its panes block from the socket."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from chat import blind
from chat.engine import fanout, store
from chat.engine.runs import request_stop
from chat.models import Conversation, Pane
from chat.pane_settings import apply, copied_settings
from chat.run_settings import parse_run_settings
from chat.screen import KEPT_CONNECTION, hide_connection
from chat.view_code import all_code as pane_code
from chat.view_code import sent_file
from connections.models import Connection

GONE = "That connection no longer exists, or is not one you may use; choose another."
FULL = f"A conversation has at most {Pane.MAX_PER_CONVERSATION} panes; remove one first."


def _conversation(request: HttpRequest, pk: int, *, change: bool = True) -> Conversation:
    return permissions.get_or_404(request.user, Conversation.objects, change=change, pk=pk)


def _pane(request: HttpRequest, conversation: Conversation, pane_id: int, *,
          change: bool = True) -> Pane:  # fmt: skip
    return permissions.get_or_404(
        request.user, Pane.objects.filter(conversation=conversation),
        owner="conversation__owner", change=change, pk=pane_id,
    )  # fmt: skip


def _changed(conversation: Conversation) -> HttpResponse:
    """Every tab of the conversation reloads its panes (this one too, through its socket)."""
    fanout.panes_changed_from_sync(conversation.pk)
    return HttpResponse(status=204)


def _refused(text: str) -> HttpResponse:
    return HttpResponse(text, status=400)


def _insert_after(conversation: Conversation, position: int, fields: dict) -> Pane | None:
    """A new pane right after `position`, the ones after it shifted; None when full."""
    with transaction.atomic():
        panes = Pane.objects.select_for_update().filter(conversation=conversation)
        if panes.count() >= Pane.MAX_PER_CONVERSATION:
            return None
        panes.filter(position__gt=position).update(position=F("position") + 1)
        return Pane.objects.create(conversation=conversation, position=position + 1, **fields)


@require_POST
def add(request: HttpRequest, pk: int) -> HttpResponse:
    """Add pane: to the right, a copy of the last pane's settings."""
    conversation = _conversation(request, pk)
    if (refused := blind.refusal(conversation)) is not None:
        return refused
    last = store.panes_of(conversation)[-1]
    if _insert_after(conversation, last.position, copied_settings(last)) is None:
        return _refused(FULL)
    return _changed(conversation)


@require_POST
def duplicate(request: HttpRequest, pk: int, pane_id: int) -> HttpResponse:
    conversation = _conversation(request, pk)
    if (refused := blind.refusal(conversation)) is not None:
        return refused
    pane = _pane(request, conversation, pane_id)
    if _insert_after(conversation, pane.position, copied_settings(pane)) is None:
        return _refused(FULL)
    return _changed(conversation)


@require_POST
def move(request: HttpRequest, pk: int, pane_id: int) -> HttpResponse:
    conversation = _conversation(request, pk)
    if (refused := blind.refusal(conversation)) is not None:
        return refused
    pane = _pane(request, conversation, pane_id)
    step = {"left": -1, "right": 1}.get(request.POST.get("direction", ""))
    if step is None:
        return _refused("Move a pane left or right.")
    with transaction.atomic():
        panes = list(Pane.objects.select_for_update().filter(conversation=conversation))
        index = next(i for i, p in enumerate(panes) if p.pk == pane.pk)
        other = index + step
        if not 0 <= other < len(panes):
            return _refused(f"{pane.label} is already the {'first' if step < 0 else 'last'}.")
        panes[index], panes[other] = panes[other], panes[index]
        for position, each in enumerate(panes):  # positions stay 0..n-1
            each.position = position
        Pane.objects.bulk_update(panes, ["position"])
    return _changed(conversation)


@require_POST
def remove(request: HttpRequest, pk: int, pane_id: int) -> HttpResponse:
    """Remove pane, its answers and runs (streaming ones stopped first); the last one stays."""
    conversation = _conversation(request, pk)
    pane = _pane(request, conversation, pane_id)
    if conversation.panes.count() <= 1:
        return _refused("A conversation keeps at least one pane.")
    for run in store.streaming_runs(conversation.pk, pane.pk):
        async_to_sync(request_stop)(str(run.pk))
    with transaction.atomic():
        pane.delete()
        for position, each in enumerate(Pane.objects.filter(conversation=conversation)):
            if each.position != position:
                Pane.objects.filter(pk=each.pk).update(position=position)
    return _changed(conversation)


@require_POST
def save_settings(request: HttpRequest, pk: int, pane_id: int) -> HttpResponse:
    """Autosave of a pane's settings form; invalid fields are shown, not saved."""
    conversation = _conversation(request, pk)
    if (refused := blind.refusal(conversation)) is not None:
        return refused
    pane = _pane(request, conversation, pane_id)
    errors: dict[str, list[str]] = {}
    data = request.POST
    connection_id = data.get("connection", "")
    if connection_id == KEPT_CONNECTION:  # the pane's own, which this user may not use
        data = data.copy()
        data["connection"] = connection_id = str(pane.connection_id or "")
        connection = pane.connection
    else:
        connection = (
            Connection.objects.filter(permissions.usable_connections(request.user),
                                      pk=connection_id).first()
            if connection_id.isdigit() else None
        )  # fmt: skip
    try:
        chosen = parse_run_settings(data, kind=connection.kind if connection else None)
        if chosen.connection_id and connection is None:  # gone, or never this user's
            raise ValidationError({"connection": GONE})
    except ValidationError as error:
        errors = error.message_dict
    else:
        fields = apply(pane, chosen)
        pane.save(update_fields=fields)
        conversation.save(update_fields=["updated_at"])
    usable = Connection.objects.filter(permissions.usable_connections(request.user))
    hide_connection(pane, set(usable.filter(pk=pane.connection_id).values_list("pk", flat=True)))
    # Only the error box is swapped: re-rendering inputs would steal focus mid-typing.
    context = {"errors": errors, "pane": pane}
    return render(request, "chat/partials/settings_errors.html", context)


@require_POST
def sync(request: HttpRequest, pk: int) -> HttpResponse:
    """The "Sync settings" switch: on, a field edited in one pane applies to every pane."""
    conversation = _conversation(request, pk)
    conversation.sync_settings = request.POST.get("sync_settings") == "on"
    conversation.save(update_fields=["sync_settings", "updated_at"])
    return HttpResponse(status=204)


@require_GET
def view_code(request: HttpRequest, pk: int, pane_id: int) -> HttpResponse:
    """The View code dialog's content: the pane's request as curl, Python and LangChain;
    with ?file=<name>, one of the files that code reads, exactly as the request carries it."""
    conversation = _conversation(request, pk, change=False)
    if (refused := blind.refusal(conversation)) is not None:
        return refused
    pane = _pane(request, conversation, pane_id, change=False)
    usable = permissions.usable_connections(request.user)
    if "file" in request.GET:
        sent = sent_file(pane, request.GET["file"], usable=usable)
        if sent is None:
            raise Http404("This pane's request has no such file.")
        response = HttpResponse(sent.data, content_type=sent.media_type)
        response["Content-Disposition"] = f'attachment; filename="{sent.name}"'  # a safe name
        response["X-Content-Type-Options"] = "nosniff"
        response["Content-Security-Policy"] = "default-src 'none'; sandbox"
        return response
    context = {"pane": pane, **pane_code(pane, usable=usable)}
    return render(request, "chat/partials/view_code.html", context)
