"""The playground screen's data: the conversation's panes with their settings and histories,
the connections to choose from, the composer's limits. The page view and the socket's
snapshots render from the same context, so what a reload shows is what a socket sends."""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils.safestring import mark_safe

from chat import attachments
from chat.blind import HIDDEN_MODEL, is_blind
from chat.engine import store
from chat.frames import PaneView, pane_messages_html, pane_views
from chat.models import Conversation, Pane
from chat.pane_settings import form_values, numeric_inputs
from chat.tool_settings import EXAMPLE_TOOLS
from connections.llm import available_connections, panel_limits, provider_label
from connections.models import Connection

# The connection select's value for "keep this pane's connection", shown when the viewer may
# not use it: its id is not theirs to learn, nor its name (chat.views.panes.save_settings).
KEPT_CONNECTION = "kept"


def connections_for_panel(usable: Q, viewer: Any = None) -> list[Any]:
    """The connections the pickers offer: those of `usable` (the viewer's rule from
    accounts.permissions), labelled with their provider, and a team's with whose it is."""
    connections = available_connections(usable)
    for connection in connections:
        connection.provider_label = provider_label(connection.kind)
        connection.for_label = connection.whose(viewer) if connection.team_id else ""
    return connections


def hide_connection(pane: Pane, usable_ids: set[int]) -> bool:
    """Replace a pane's connection the viewer may not use by a stand-in that has its kind
    (the form's ranges) and no name, for every template that shows it; True when it did."""
    if pane.connection_id is None or pane.connection_id in usable_ids:
        return False
    kind = pane.connection.kind if pane.connection else ""
    pane.connection = Connection(pk=pane.connection_id, kind=kind, name="")
    return True


def panes_context(conversation: Conversation, usable: Q, viewer: Any = None) -> dict:
    """What the panes block needs: every pane with its history and form values, and the
    connections `usable` (the viewer's rule) lets them pick. A constant number of queries
    whatever the number of messages or panes."""
    connections = connections_for_panel(usable, viewer)
    usable_ids = {connection.pk for connection in connections}
    panes = store.panes_of(conversation)
    views = pane_views(panes, store.page_messages(conversation.pk))
    shared: dict[int, str] = {}  # each user message rendered once for every pane
    blind = is_blind(conversation)
    for view in views:
        view.values = {} if blind else form_values(view.pane)
        view.hidden_connection = hide_connection(view.pane, usable_ids)
        if view.hidden_connection:
            view.values["connection"] = KEPT_CONNECTION
        kind = view.pane.connection.kind if view.pane.connection else None
        view.numeric = numeric_inputs(view.values, kind)
        view.stop_limit = panel_limits(kind)["max_stop_sequences"]
        # Rendered by the same code as every live frame; our templates escape it.
        view.messages_html = mark_safe(pane_messages_html(view, shared, blind=blind))  # noqa: S308
    return {
        "conversation": conversation,
        "pane_views": views,
        "pane_count": len(views),
        "blind": blind,
        "hidden_model": HIDDEN_MODEL,
        "can_add_pane": len(views) < Pane.MAX_PER_CONVERSATION,
        "connections": connections,
        "example_tools": json.dumps(EXAMPLE_TOOLS, indent=2),
    }


def playground_context(conversation: Conversation, usable: Q, viewer: Any = None) -> dict:
    context = panes_context(conversation, usable, viewer)
    context.update(
        {
            # Attached but not sent yet: back in the composer after a reload, nothing lost.
            "pending_attachments": attachments.pending(conversation),
            # The recorder stops itself at the limit, so a long recording is kept.
            "max_recording_seconds": attachments.max_recording_seconds(),
            # The composer refuses a longer message before sending it (the server would too).
            "max_message_bytes": settings.PLAYGROUND_MAX_MESSAGE_BYTES,
            "pane_ids": ",".join(str(view.pane.pk) for view in context["pane_views"]),
        }
    )
    return context


def streaming_panes(views: list[PaneView]) -> list[int]:
    return [view.pane.pk for view in views if view.streaming]
