"""HTML frames sent over the websocket: htmx out-of-band swaps, nothing else.

Everything a model or a person wrote is escaped here or by the templates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from django.template.loader import render_to_string
from django.utils.html import escape, format_html

from chat.models import Attachment, Message


def render_message(
    message: Message,
    *,
    oob: bool = False,
    answered: Iterable[str] = (),
    latest: bool = True,
    attachments: Sequence[Attachment] | None = None,
) -> str:
    """One message. `answered` holds the ids of tool calls that have results; the form for
    typing results is offered only on the `latest` message, when some are still open. A
    user message's `attachments` are read from the database (or its prefetch) unless given."""
    done = set(answered)
    cards = [{**call, "answered": call["id"] in done} for call in message.tool_calls or []]
    if attachments is None and message.role == Message.Role.USER:
        attachments = message.attachments.all()  # lazy: evaluated by the template
    context = {
        "message": message,
        "attached": attachments or (),
        "oob": oob,
        "tool_cards": cards,
        "awaiting_results": latest and any(not card["answered"] for card in cards),
    }
    return render_to_string("chat/partials/message.html", context)


def message_list(messages: list[Message]) -> str:
    answered = {m.tool_call_id for m in messages if m.role == Message.Role.TOOL}
    last = messages[-1].pk if messages else None
    return "".join(
        render_message(message, answered=answered, latest=message.pk == last)
        for message in messages
    )


def snapshot(messages: list[Message]) -> str:
    """The whole message list as the database has it now (sent on every (re)connect)."""
    return f'<div id="messages" hx-swap-oob="innerHTML">{message_list(messages)}</div>'


def tool_errors(message_id: int, text: str) -> str:
    return format_html(
        '<div id="tool-errors-{}" hx-swap-oob="innerHTML"><p role="alert" class="errorlist">'
        "{}</p></div>",
        message_id,
        text,
    )


def append(html: str) -> str:
    return f'<div hx-swap-oob="beforeend:#messages">{html}</div>'


def replace_body(message_id: int, text: str) -> str:
    return format_html(
        '<div id="message-{}-body" hx-swap-oob="innerHTML">{}</div>', message_id, text
    )


def delta(message_id: int, text: str) -> str:
    return f'<div hx-swap-oob="beforeend:#message-{message_id}-body">{escape(text)}</div>'


def status_line(message_id: int, text: str) -> str:
    return format_html(
        '<div id="message-{}-status" hx-swap-oob="innerHTML">{}</div>', message_id, text
    )


def busy(is_busy: bool) -> str:
    """Send/Stop state of the composer, applied by static/js/composer.js."""
    return f'<span id="busy-flag" hx-swap-oob="true" data-busy="{int(is_busy)}" hidden></span>'


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
