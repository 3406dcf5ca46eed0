"""The sidebar's conversation list, for every page of a signed-in user (one query)."""

from __future__ import annotations

from accounts import permissions
from chat.models import Conversation

SIDEBAR_LIMIT = 100


def sidebar(request):  # type: ignore[no-untyped-def]
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    conversations = permissions.visible(user, Conversation.objects).only(
        "id", "title", "updated_at"
    )
    return {"sidebar_conversations": conversations[:SIDEBAR_LIMIT]}
