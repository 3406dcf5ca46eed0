"""The playground screen: a conversation's panes, each with its model and settings, and the
composer that sends to all of them."""

from __future__ import annotations

from asgiref.sync import async_to_sync
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from accounts import permissions
from accounts.models import Team
from chat.models import Conversation, Pane
from chat.screen import playground_context
from connections.llm import available_connections, capability_summary
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
    context = {**playground_context(current), **sharing_context(request.user, current)}
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
    connection_id = request.GET.get("connection", "")
    return Connection.objects.filter(pk=connection_id).first() if connection_id.isdigit() else None


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
    groups = async_to_sync(catalogue)(available_connections())
    return render(request, "chat/partials/model_picker.html", {"groups": groups, "pane": pane})
