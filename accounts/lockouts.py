"""Sign-in throttling on top of django-axes: how a username is counted, what a locked-out
client is told, and which usernames and addresses an admin can unlock.

Axes counts failed sign-ins per username and, separately, per client address
(AXES_LOCKOUT_PARAMETERS); reaching AXES_FAILURE_LIMIT on either locks it out until
AXES_COOLOFF_TIME has passed since its last failure.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from axes.helpers import get_client_ip_address
from axes.models import AccessAttempt
from axes.utils import reset
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max, Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

LOCKED_OUT_STATUS = 429


def username_of(request: HttpRequest, credentials: dict[str, Any] | None) -> str | None:
    """Usernames are counted case-blind: 'Admin' and 'admin' share one count."""
    raw = (credentials or {}).get("username") or request.POST.get("username") or ""
    return raw.strip().lower() or None


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "address"
    value: str
    failures: int
    until: datetime

    @property
    def minutes_left(self) -> int:
        return max(1, math.ceil((self.until - timezone.now()).total_seconds() / 60))


def _lockouts_by(field: str, kind: str, **only: str) -> list[Lockout]:
    since = timezone.now() - settings.AXES_COOLOFF_TIME
    rows = (
        AccessAttempt.objects.filter(attempt_time__gte=since, **only)
        .values(field)
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=settings.AXES_FAILURE_LIMIT)
        .order_by(field)
    )
    return [
        Lockout(kind, row[field], row["failures"], row["last"] + settings.AXES_COOLOFF_TIME)
        for row in rows
        if row[field]
    ]


def current_lockouts() -> list[Lockout]:
    """Every username and address locked out now (the Team page lists them for admins)."""
    return _lockouts_by("username", "username") + _lockouts_by("ip_address", "address")


def lockouts_for(username: str | None, address: str | None) -> list[Lockout]:
    found = []
    if username:
        found += _lockouts_by("username", "username", username=username)
    if address:
        found += _lockouts_by("ip_address", "address", ip_address=address)
    return found


def unlock(kind: str, value: str) -> int:
    """Forget the failures of a username or an address; returns how many records went."""
    if kind == "username":
        return reset(username=value)
    if kind == "address":
        return reset(ip=value)
    raise ValueError(f"unknown lockout kind {kind!r}")


def lockout_message(lockouts: list[Lockout]) -> str:
    until = max((lockout.until for lockout in lockouts), default=None)
    if until is None:  # counted, but the row is already gone: say the configured wait
        minutes = math.ceil(settings.AXES_COOLOFF_TIME.total_seconds() / 60)
        when = f"in {minutes} minute{'s' if minutes != 1 else ''}"
    else:
        minutes = max(lockout.minutes_left for lockout in lockouts)
        when = (
            f"in {minutes} minute{'s' if minutes != 1 else ''} "
            f"(after {timezone.localtime(until):%H:%M} {settings.TIME_ZONE})"
        )
    return (
        "Too many failed sign-ins for this username or from this address, so sign-in is "
        f"paused. Try again {when}, or ask an admin to unlock you on the Team page."
    )


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """The sign-in page again, saying why and until when (HTTP 429)."""
    username = username_of(request, credentials)
    address = get_client_ip_address(request)
    context = {
        "form": AuthenticationForm(request),
        "locked_out": lockout_message(lockouts_for(username, address)),
    }
    return render(request, "accounts/login.html", context, status=LOCKED_OUT_STATUS)
