"""The sidebar's conversation list, for every page of a signed-in user (one query), or what
"Search conversations" found when the page was asked with `?q=` (chat.search)."""

from __future__ import annotations

from accounts import permissions
from chat import search
from chat.models import Conversation

SIDEBAR_LIMIT = 100


def sidebar(request):  # type: ignore[no-untyped-def]
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    query = search.cleaned(request.GET.get("q", ""))
    if query:
        found = search.search(user, query)
        return {"sidebar_query": query, "sidebar_found": found,
                "sidebar_conversations": [f.conversation for f in found]}  # fmt: skip
    conversations = permissions.visible(user, Conversation.objects).only(
        "id", "title", "updated_at", "owner_id"
    )
    return {"sidebar_query": "", "sidebar_conversations": conversations[:SIDEBAR_LIMIT]}
