"""Finding conversations by their title and by what was said in them, among those the user may
see (accounts.permissions): the sidebar's "Search conversations"."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Min, Q

from accounts import permissions
from chat.models import Conversation, Message

RESULTS = 50
SNIPPET_CHARS = 120  # around the first match in a message
QUERY_CHARS = 200  # longer searches are cut: nobody types more to find a conversation


@dataclass(frozen=True)
class Found:
    conversation: Conversation
    # (text before, the match, text after) of the first message that matched, when the
    # title did not; empty when the title matched.
    snippet: tuple[str, str, str] | None


def cleaned(query: str) -> str:
    return " ".join(query.split())[:QUERY_CHARS]


def _one_line(text: str) -> str:
    """Runs of white space as one space, keeping one at either end (they part the match
    from its neighbours)."""
    return re.sub(r"\s+", " ", text)


def _snippet(text: str, query: str) -> tuple[str, str, str] | None:
    at = text.lower().find(query.lower())
    if at < 0:
        return None
    before = max(0, at - SNIPPET_CHARS // 3)
    after = at + len(query) + SNIPPET_CHARS - (at - before)
    lead = ("…" if before else "") + _one_line(text[before:at]).lstrip()
    tail = _one_line(text[at + len(query) : after]).rstrip() + ("…" if after < len(text) else "")
    return lead, text[at : at + len(query)], tail


def search(user: Any, query: str) -> list[Found]:
    """The user's conversations whose title or any message contains `query` (ignoring case),
    most recently used first, each with a snippet of the first matching message. Two
    queries, whatever the number of results (only the first match of each is read)."""
    query = cleaned(query)
    if not query:
        return []
    said = Message.objects.filter(content__icontains=query, replaced=False).values(
        "conversation_id"
    )
    found = list(
        permissions.visible(user, Conversation.objects)
        .filter(Q(title__icontains=query) | Q(pk__in=said))
        .only("id", "title", "updated_at", "owner_id")
        .order_by("-updated_at")[:RESULTS]
    )
    in_text = [c.pk for c in found if query.lower() not in c.title.lower()]
    first_ids = (
        Message.objects.filter(conversation_id__in=in_text, content__icontains=query)
        .values("conversation_id")
        .annotate(first=Min("pk"))
        .values("first")
    )
    first_match = dict(
        Message.objects.filter(pk__in=first_ids).values_list("conversation_id", "content")
    )
    return [
        Found(c, _snippet(first_match[c.pk], query) if c.pk in first_match else None) for c in found
    ]
