"""The playground screen: a conversation's panes, each with its model and settings, and the
composer that sends to all of them."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import permissions
from accounts.models import Team
from chat.models import Conversation, Pane
from chat.screen import connections_for_panel, playground_context
from connections.llm import capability_summary
from connections.model_catalogue import catalogue, models_of
from connections.models import Connection


def home(request: HttpRequest) -> HttpResponse:
    conversation = permissions.visible(request.user, Conversation.objects).first()
    if conversation is None:
        conversation = Conversation.objects.create(owner=request.user)
        Pane.objects.create(conversation=conversation, position=0)
    return redirect("conversation", pk=conversation.pk)


def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    current = permissions.get_or_404(request.user, Conversation.objects, change=False, pk=pk)
    usable = permissions.usable_connections(request.user)
    context = {**playground_context(current, usable, request.user),
               **sharing_context(request.user, current)}  # fmt: skip
    return render(request, "chat/playground.html", context)


def sharing_context(user, conversation: Conversation) -> dict:  # type: ignore[no-untyped-def]
    """Whether this viewer may only read, and, for its owner, the teams it can be shared
    with ("Share with")."""
    read_only = not permissions.may_change(user, Conversation.objects, pk=conversation.pk)
    if conversation.owner_id != user.pk:
        return {"read_only": read_only, "share_choices": []}
    teams = Team.objects.filter(personal_for__isnull=True, memberships__user=user)
    choices = [("private", "Only me"), *((str(t.pk), f"Team: {t.name}") for t in teams)]
    shared = conversation.visibility == Conversation.Visibility.TEAM and conversation.team_id
    return {"read_only": read_only, "share_choices": choices,
            "shared_with": str(conversation.team_id) if shared else "private"}  # fmt: skip


def pane_of(request: HttpRequest, pk: int) -> Pane:
    """The `pane` of the query (a pane of this conversation, which the user may see), or 404."""
    conversation = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    return permissions.get_or_404(
        request.user, Pane.objects.filter(conversation=conversation),
        owner="conversation__owner", pk=request.GET.get("pane", ""),
    )  # fmt: skip


def _connection(request: HttpRequest) -> Connection | None:
    """The chosen connection, if one the user may use; 404 for any other id (one that is
    not theirs answers as one that does not exist). None when none is chosen, or when it is
    the pane's own that the user may not use (the select's "kept")."""
    connection_id = request.GET.get("connection", "")
    if not connection_id.isdigit():
        return None
    return permissions.usable_connection_or_404(request.user, Connection.objects,
                                                pk=connection_id)  # fmt: skip


def model_options(request: HttpRequest, pk: int) -> HttpResponse:
    """A pane's model datalist for the chosen connection, from its server's model list."""
    pane = pane_of(request, pk)
    connection = _connection(request)
    models: list[str] = []
    problem = ""
    if connection is not None:
        group = async_to_sync(models_of)(connection)
        models, problem = group.models, group.problem
    params = capability_summary(connection.kind)[1] if connection else []
    context = {"pane": pane, "models": models, "problem": problem, "connection": connection,
               "params": " ".join(params)}  # fmt: skip
    return render(request, "chat/partials/model_options.html", context)


def model_capabilities(request: HttpRequest, pk: int) -> HttpResponse:
    """What the chosen model takes ("text, images · tools"), by its family where it has one:
    refreshed as the connection changes and the model is typed."""
    permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    connection = _connection(request)
    model = request.GET.get("model", "").strip()[:200]
    summary = capability_summary(connection.kind, model)[0] if connection else ""
    return render(request, "chat/partials/model_capabilities.html",
                  {"summary": summary, "model": model})  # fmt: skip


def model_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """Every connection's models in one picker, grouped by connection, for one pane."""
    pane = pane_of(request, pk)
    usable = permissions.usable_connections(request.user)
    groups = async_to_sync(catalogue)(connections_for_panel(usable, request.user))
    return render(request, "chat/partials/model_picker.html", {"groups": groups, "pane": pane})
