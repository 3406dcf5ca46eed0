"""HTML for the viewer: the page's panes, and the htmx out-of-band swaps sent over the
socket, rendered from the engine's data (chat.engine.events) — nothing else renders.

Everything a model or a person wrote is escaped here or by the templates. A final answer is
rendered once per process for every tab that shows it (`final_answer`'s cache).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.template.loader import render_to_string
from django.utils.html import escape, format_html

from chat import blind as blind_mode
from chat import tool_answers
from chat.display import MessageDisplay
from chat.engine import autoreply
from chat.models import Message, Pane

FINAL_CACHE_SIZE = 256


@dataclass
class PaneView:
    """One pane as the page shows it: its row and its history (the shared user messages
    and its own answers and tool results), with which tool calls have results."""

    pane: Pane
    messages: list[MessageDisplay] = field(default_factory=list)
    answered: set[str] = field(default_factory=set)
    streaming: bool = False
    values: dict[str, str] = field(default_factory=dict)  # the settings form's fields
    messages_html: str = ""
    numeric: list[dict[str, Any]] = field(default_factory=list)  # the numeric inputs
    stop_limit: int = 0  # the most stop sequences its provider takes (from its record)
    hidden_connection: bool = False  # its connection is not the viewer's to use (nor name)

    @property
    def has_answers(self) -> bool:
        return any(message.role != Message.Role.USER for message in self.messages)


def pane_views(panes: Sequence[Pane], messages: Iterable[Message]) -> list[PaneView]:
    views = {pane.pk: PaneView(pane) for pane in panes}
    for message in messages:
        shown = MessageDisplay.of(message)
        targets = views.values() if message.pane_id is None else [views.get(message.pane_id)]
        for view in targets:
            if view is None:
                continue
            view.messages.append(shown)
            if message.role == Message.Role.TOOL:
                view.answered.add(message.tool_call_id)
            if message.status == Message.Status.STREAMING:
                view.streaming = True
    return list(views.values())


def message_html(
    message: MessageDisplay,
    pane_id: int,
    *,
    oob: bool = False,
    answered: Iterable[str] = (),
    latest: bool = True,
    auto_reply: tuple[int, int] | None = None,
    blind: bool = False,
) -> str:
    """One message in one pane. `answered` holds the ids of tool calls that have results;
    the form for typing results is offered only on the `latest` message of the pane, when
    some are still open. `auto_reply` (rounds answered before in its turn, the pane's limit)
    says its pane auto-replies with fixtures: the card says why it waits."""
    if blind:  # the arena's blind mode: nothing that names the model (chat.blind)
        message = blind_mode.message_shown(message)
    done = set(answered)
    cards = [{**call, "answered": call["id"] in done} for call in message.tool_calls or []]
    awaiting = latest and any(not card["answered"] for card in cards)
    note = message.auto_reply_note
    if awaiting:  # "Answer with fixture" where a saved result matches (chat.tool_answers)
        open_calls = [card for card in cards if not card["answered"]]
        found = message.saved_answers
        if found is None:
            found = tool_answers.for_message(message.pk, open_calls)
        cards = [{**card, "fixture": found.get(card["id"])} for card in cards]
        if auto_reply is not None and not note:
            note = autoreply.decide(open_calls, found, *auto_reply).note
    context = {
        "auto_reply_note": note if awaiting else "",
        "message": message,
        "run": message.run,
        "pane_id": pane_id,
        "oob": oob,
        "tool_cards": cards,
        "awaiting_results": awaiting,
        "blind": blind,
    }
    return render_to_string("chat/partials/message.html", context)


def pane_messages_html(view: PaneView, shared: dict[int, str] | None = None, *,
                       blind: bool = False) -> str:  # fmt: skip
    """A pane's history. A shared user message is the same in every pane: `shared` keeps
    each one rendered once for all of them."""
    shared = {} if shared is None else shared
    last = view.messages[-1] if view.messages else None
    auto_reply = None
    if last is not None and view.pane.auto_reply:
        rounds = sum(1 for m in view.messages[:-1] if m.tool_calls and m.turn_id == last.turn_id)
        auto_reply = (rounds, view.pane.auto_reply_steps)
    parts = []
    for message in view.messages:
        if message.role == Message.Role.USER:
            if message.pk not in shared:
                shared[message.pk] = message_html(message, view.pane.pk, blind=blind)
            parts.append(shared[message.pk])
        else:
            latest = message is last
            parts.append(message_html(message, view.pane.pk, answered=view.answered,
                                      latest=latest, auto_reply=auto_reply if latest else None,
                                      blind=blind))  # fmt: skip
    return "".join(parts)


def panes_html(context: Mapping[str, Any]) -> str:
    """The panes block of the page (its tabs, every pane with its settings and history)."""
    return render_to_string("chat/partials/panes.html", context)


def panes_snapshot(context: Mapping[str, Any]) -> str:
    """Sent when the panes change (and on a reconnect after they did): the panes as the
    database has them now, and the header's pane tools (Add pane stops at eight)."""
    tools = render_to_string("chat/partials/compare_tools.html", {**context, "oob": True})
    return f'<div id="panes-wrap" hx-swap-oob="innerHTML">{panes_html(context)}</div>{tools}'


# -- live frames ---------------------------------------------------------------------------


def turn_started(event: Mapping[str, Any], pane_ids: Sequence[int], *, blind: bool = False
                 ) -> str:  # fmt: skip
    """Each pane gets its copy of the user message and its own new answer; a tool turn
    adds the results and the answer to the pane whose calls they answer."""
    shown = [MessageDisplay.from_data(data) for data in event["messages"]]
    parts = []
    shared = {m.pk: message_html(m, 0, blind=blind) for m in shown if m.pane_id is None}
    for pane_id in pane_ids:
        mine = [m for m in shown if m.pane_id in (None, pane_id)]
        if mine:
            html = "".join(shared.get(m.pk) or message_html(m, pane_id, blind=blind)
                           for m in mine)  # fmt: skip
            parts.append(f'<div hx-swap-oob="beforeend:#pane-{pane_id}-messages">{html}</div>')
    if event.get("answered"):
        answered = MessageDisplay.from_data(event["answered"])
        calls = [call["id"] for call in answered.tool_calls]
        parts.append(message_html(answered, answered.pane_id or 0, oob=True, answered=calls,
                                  blind=blind))  # fmt: skip
    return "".join(parts) + title(event["conversation_id"], event["title"])


def replace_body(message_id: int, text: str, reasoning: str = "") -> str:
    frame = format_html(
        '<div id="message-{}-body" hx-swap-oob="innerHTML">{}</div>', message_id, text
    )
    if reasoning:
        frame += format_html(
            '<div id="message-{}-reasoning" hx-swap-oob="innerHTML">{}</div>', message_id, reasoning
        )
    return frame


def delta(message_id: int, text: str, reasoning: str = "") -> str:
    frame = ""
    if reasoning:
        frame += (f'<div hx-swap-oob="beforeend:#message-{message_id}-reasoning">'
                  f"{escape(reasoning)}</div>")  # fmt: skip
    if text:
        frame += f'<div hx-swap-oob="beforeend:#message-{message_id}-body">{escape(text)}</div>'
    return frame


def live_metrics(message_id: int, progress: Mapping[str, Any]) -> str:
    """The strip under a streaming answer: elapsed, time to first token, tokens so far."""
    return render_to_string(
        "chat/partials/live_metrics.html", {"message_id": message_id, "progress": progress}
    )


def status_line(message_id: int, event: Mapping[str, Any], *, blind: bool = False) -> str:
    kind = event.get("kind")
    if kind == "retrying" and blind:  # a provider's words may name the model
        text = blind_mode.RETRYING
    elif kind == "retrying":
        text = (f"{event['error']} — retrying in {event['delay']:.1f} s "
                f"(retry {event['attempt']} of {event['limit']})…")  # fmt: skip
    elif kind == "writing":
        text = "Writing the structured answer…"
    else:
        text = "Calling " + ", ".join(event.get("names") or []) + "…"
    return format_html(
        '<div id="message-{}-status" hx-swap-oob="innerHTML">{}</div>', message_id, text
    )


_final_cache: OrderedDict[tuple[str, str, str, bool], str] = OrderedDict()


def final_answer(event: Mapping[str, Any], *, blind: bool = False) -> str:
    """A run's answer as it ended, rendered once per process whatever the number of tabs
    showing it (Markdown and highlighting are the costly part)."""
    data = event["message"]
    key = (str(event.get("run_id")), data["status"], data.get("auto_reply_note", ""), blind)
    cached = _final_cache.get(key)
    if cached is None:
        shown = MessageDisplay.from_data(data)
        if shown.saved_answers is None:
            shown.saved_answers = {}  # looked up before the event (runs.py), or none found
        cached = message_html(shown, shown.pane_id or 0, oob=True, blind=blind)
        _final_cache[key] = cached
        while len(_final_cache) > FINAL_CACHE_SIZE:
            _final_cache.popitem(last=False)
    return cached


def turn_compared(figures_html: str) -> str:
    return f'<div id="turn-compare" hx-swap-oob="innerHTML">{figures_html}</div>'


def marks(message_id: int, labels: Iterable[str]) -> str:
    badges = "".join(format_html('<span class="badge badge-mark">{}</span>', label)
                     for label in labels)  # fmt: skip
    return f'<span id="message-{message_id}-marks" hx-swap-oob="innerHTML">{badges}</span>'


def tool_errors(message_id: int, text: str) -> str:
    return format_html(
        '<div id="tool-errors-{}" hx-swap-oob="innerHTML"><p role="alert" class="errorlist">'
        "{}</p></div>",
        message_id,
        text,
    )


def action_error(message_id: int, text: str) -> str:
    """Why a message's action was refused, beside the message in every pane that shows it."""
    return format_html(
        "<span hx-swap-oob=\"innerHTML:.action-error[data-message='{}']\">{}</span>",
        message_id,
        text,
    )


def busy(is_busy: bool, streaming_panes: Iterable[int] = ()) -> str:
    """Send / Stop all state of the composer and each pane's Stop, applied by
    static/js/composer.js."""
    panes = " ".join(str(pane_id) for pane_id in sorted(set(streaming_panes)))
    return (f'<span id="busy-flag" hx-swap-oob="true" data-busy="{int(is_busy)}" '
            f'data-panes="{panes}" hidden></span>')  # fmt: skip


def composer_ack(nonce: str) -> str:
    """Tells the sending tab its message was accepted, so it may clear the textarea."""
    return format_html(
        '<span id="composer-ack" hx-swap-oob="true" data-nonce="{}" hidden></span>', nonce
    )


def composer_errors(errors: Mapping[str, list[str]] | None) -> str:
    if not errors:
        return '<div id="composer-errors" hx-swap-oob="innerHTML"></div>'
    items = "".join(
        format_html("<li>{}</li>", message) for messages in errors.values() for message in messages
    )
    return (
        '<div id="composer-errors" hx-swap-oob="innerHTML">'
        f'<ul role="alert" class="composer-errors">{items}</ul></div>'
    )


def title(conversation_id: int, text: str) -> str:
    """The conversation's title in the header and in the sidebar."""
    return format_html(
        '<span id="conversation-title" hx-swap-oob="innerHTML">{}</span>'
        '<span id="conversation-link-{}" hx-swap-oob="innerHTML">{}</span>',
        text,
        conversation_id,
        text,
    )


def socket_closed(reason: str) -> str:
    """Why the server is about to close this socket, in the page's connection banner."""
    return format_html(
        '<div id="socket-state" class="socket-state" role="status" data-kind="closed" '
        'hx-swap-oob="true">{} Reload the page to see what you can open.</div>',
        reason,
    )
