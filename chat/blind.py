"""Blind mode (the arena): while a conversation is blind, nothing the server sends names a
pane's model — not the pane header, its settings, View code, a run's footer (model, resolved
model, base URL, cost, the prompt version it came from, what the provider received), a
provider's error text, nor the compare panel. The vote panel names them for a turn once
voted on (compare.arena). Every page and frame asks `is_blind` and renders through here."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import replace

from django.http import HttpResponse

from chat.display import MessageDisplay, RunDisplay
from chat.models import Conversation, Pane

HIDDEN_MODEL = "hidden (blind mode)"
REFUSED = ("Blind mode hides the panes' models and settings until you vote. Turn Blind mode off "
           "to see or change them.")  # fmt: skip
FAILED = (
    "This pane's model could not answer; the details name it, so they wait until Blind mode is off."
)
RETRYING = "The provider asked to wait — retrying…"


def is_blind(conversation: Conversation) -> bool:
    return bool(conversation.blind)


def shuffled(conversation: Conversation, pane_ids: Sequence[int]) -> list[int]:
    """A blind conversation's panes in a fresh random order: who is A, B, … this turn."""
    if not conversation.blind:
        return []
    order = list(pane_ids)
    secrets.SystemRandom().shuffle(order)
    return order


def repetition_shown(conversation: Conversation, panes: Sequence[Pane]) -> dict[str, int]:
    """Of a blind turn's repeated panes, the answer each shows (and is voted on): one drawn at
    random, so the last to finish is not the one judged."""
    if not conversation.blind:
        return {}
    draw = secrets.SystemRandom()
    return {str(pane.pk): draw.randint(1, pane.repeat) for pane in panes if pane.repeat > 1}


def run_shown(run: RunDisplay | None) -> RunDisplay | None:
    """A run as a blind page shows it: timings and tokens, nothing that names its model."""
    if run is None:
        return None
    return replace(run, provider="", model="", resolved_model="", base_url="", cost=None,
                   source_prompt=None, received=[],
                   error_message=FAILED if run.error_message else "")  # fmt: skip


def message_shown(message: MessageDisplay) -> MessageDisplay:
    return replace(message, run=run_shown(message.run)) if message.run else message


def refusal(conversation: Conversation) -> HttpResponse | None:
    """For the views that would show or change a pane's model (settings, View code, Save
    prompt, export): their answer while the conversation is blind, else None."""
    if not conversation.blind:
        return None
    return HttpResponse(REFUSED, status=409, content_type="text/plain; charset=utf-8")
