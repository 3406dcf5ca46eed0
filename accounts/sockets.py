"""Telling a person's open sockets that their access changed, wherever they are served.

Every conversation socket joins its user's group; removing the account (or, later, a team
membership) sends `access.revoked` there, and each socket closes itself with the reason.
"""

from __future__ import annotations

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

REVOKED_CLOSE_CODE = 4403
REVOKED_REASON = "Your access to this conversation was removed."


def user_group(user_id: int) -> str:
    return f"user.{user_id}"


def announce_access_revoked(user_id: int) -> None:
    """Close the user's open sockets (called from sync views)."""
    async_to_sync(get_channel_layer().group_send)(user_group(user_id), {"type": "access.revoked"})
