"""The playground screen: one conversation, its model and parameters, the composer."""

from __future__ import annotations

import json

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from accounts import permissions
from chat import attachments, run_frames, run_store
from chat.models import Conversation
from chat.run_settings import NUMERIC_FIELDS, parse_run_settings, settings_for_form
from chat.tool_settings import EXAMPLE_TOOLS
from connections.llm import available_connections, capability_summary, provider_label
from connections.model_catalogue import catalogue, models_of
from connections.models import Connection


def home(request: HttpRequest) -> HttpResponse:
    conversation = permissions.visible(request.user, Conversation.objects).first()
    if conversation is None:
        conversation = Conversation.objects.create(owner=request.user)
    return redirect("conversation", pk=conversation.pk)


def _panel_context(conversation: Conversation, values: dict[str, str]) -> dict:
    connections = available_connections()
    for connection in connections:
        connection.provider_label = provider_label(connection.kind)
    return {
        "conversation": conversation,
        "connections": connections,
        "values": values,
        "numeric_fields": NUMERIC_FIELDS,
        "example_tools": json.dumps(EXAMPLE_TOOLS, indent=2),
    }


def conversation(request: HttpRequest, pk: int) -> HttpResponse:
    current = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    context = _panel_context(current, settings_for_form(current))
    # The same HTML the socket's snapshot sends, so the first paint needs no socket.
    context["messages_html"] = mark_safe(  # noqa: S308 - rendered by our escaping templates
        run_frames.message_list(run_store.messages_for_page(current.pk))
    )
    # Attached but not sent yet: back in the composer after a reload, nothing lost.
    context["pending_attachments"] = attachments.pending(current)
    # The recorder stops itself at the limit, so a long recording is kept, not refused.
    context["max_recording_seconds"] = attachments.max_recording_seconds()
    # The composer refuses a longer message before sending it (the server would too).
    context["max_message_bytes"] = settings.PLAYGROUND_MAX_MESSAGE_BYTES
    return render(request, "chat/playground.html", context)


@require_POST
def save_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Autosave of the panel and the system prompt; invalid fields are shown, not saved."""
    current = permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    try:
        chosen = parse_run_settings(request.POST)
    except ValidationError as error:
        errors = error.message_dict
    else:
        errors = {}
        if chosen.system_prompt is not None:
            current.system_prompt = chosen.system_prompt
        current.settings = chosen.saved_over(current.settings)
        current.save(update_fields=["system_prompt", "settings", "updated_at"])
    # Only the error box is swapped: re-rendering inputs would steal focus mid-typing.
    return render(request, "chat/partials/settings_errors.html", {"errors": errors})


def model_options(request: HttpRequest, pk: int) -> HttpResponse:
    """The model datalist for the chosen connection, from its server's model list."""
    permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    connection_id = request.GET.get("connection", "")
    connection = (
        Connection.objects.filter(pk=connection_id).first() if connection_id.isdigit() else None
    )
    models: list[str] = []
    problem = ""
    if connection is not None:
        group = async_to_sync(models_of)(connection)
        models, problem = group.models, group.problem
    params = capability_summary(connection.kind)[1] if connection else []
    context = {"models": models, "problem": problem, "connection": connection,
               "params": " ".join(params)}  # fmt: skip
    return render(request, "chat/partials/model_options.html", context)


def model_capabilities(request: HttpRequest, pk: int) -> HttpResponse:
    """What the chosen model takes ("text, images · tools"), by its family where it has one:
    refreshed as the connection changes and the model is typed."""
    permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    connection_id = request.GET.get("connection", "")
    connection = (
        Connection.objects.filter(pk=connection_id).first() if connection_id.isdigit() else None
    )
    model = request.GET.get("model", "").strip()[:200]
    summary = capability_summary(connection.kind, model)[0] if connection else ""
    context = {"summary": summary, "model": model}
    return render(request, "chat/partials/model_capabilities.html", context)


def model_picker(request: HttpRequest, pk: int) -> HttpResponse:
    """Every connection's models in one picker, grouped by connection."""
    permissions.get_or_404(request.user, Conversation.objects, pk=pk)
    groups = async_to_sync(catalogue)(available_connections())
    return render(request, "chat/partials/model_picker.html", {"groups": groups})
