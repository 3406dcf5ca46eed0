"""Connections to providers. Everyone uses the site's connections and those of their teams;
admins manage the site's (and every team's), team owners their team's, and anyone adds one
for themselves ("Only me"). A connection someone may not use or manage answers them 404 on
every URL and is named nowhere (accounts.permissions)."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions
from connections.crypto import SecretDecryptionError
from connections.forms import ConnectionForm
from connections.llm import ProviderError, default_base_url, list_models, provider_label
from connections.models import Connection

logger = logging.getLogger(__name__)


def _listed(request: HttpRequest) -> QuerySet:
    """What the page lists: the connections the user may use, and those they may manage."""
    rule = permissions.usable_connections(request.user)
    managed = permissions.manageable_connections(request.user)
    return Connection.objects.filter(rule | managed).select_related("team__personal_for")


def _managed_or_404(request: HttpRequest, pk: int) -> Connection:
    """A connection added in the browser that the user may edit and delete, else 404 (also
    for one they may only use: get_or_404's rule for what one may not change)."""
    found = Connection.objects.filter(pk=pk, source=Connection.Source.USER).first()
    if found is None or not permissions.may_manage_connection(request.user, found):
        raise Http404(permissions.NOT_FOUND)
    return found


def _page(request: HttpRequest, form: ConnectionForm, editing: Connection | None = None):
    usable = set(
        Connection.objects.filter(permissions.usable_connections(request.user)).values_list(
            "pk", flat=True
        )
    )
    managed = set(
        Connection.objects.filter(permissions.manageable_connections(request.user)).values_list(
            "pk", flat=True
        )
    )
    connections = list(_listed(request))
    for connection in connections:
        connection.provider_label = provider_label(connection.kind)
        connection.shown_base_url = connection.base_url or default_base_url(connection.kind)
        connection.for_label = connection.whose(request.user)
        connection.may_use = connection.pk in usable
        connection.may_manage = (connection.pk in managed
                                 and connection.source == Connection.Source.USER)  # fmt: skip
    context = {"connections": connections, "form": form, "editing": editing,
               "editing_for": editing.whose(request.user) if editing else ""}  # fmt: skip
    return render(request, "connections/connections.html", context)


def connection_list(request: HttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        connection = form.save(commit=False)
        connection.created_by = request.user
        connection.save()
        messages.success(request, f"Added {connection.name}.")
        return redirect("connections")
    return _page(request, form)


def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _managed_or_404(request, pk)
    form = ConnectionForm(request.POST or None, instance=connection, user=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {connection.name}.")
        return redirect("connections")
    return _page(request, form, editing=connection)


@require_POST
def connection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    connection = _managed_or_404(request, pk)
    connection.delete()
    messages.success(request, f"Deleted {connection.name}.")
    return redirect("connections")


@require_POST
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    """A cheap request (the model list) that proves the URL and key work: for those who may
    use the connection (an admin manages a team's without using its key)."""
    connection = permissions.usable_connection_or_404(request.user, Connection.objects, pk=pk)
    try:
        models = async_to_sync(list_models)(connection)
        ok, detail = True, models
    except (ProviderError, SecretDecryptionError) as error:
        ok, detail = False, str(error)
    context = {"connection": connection, "ok": ok, "detail": detail}
    return render(request, "connections/partials/connection_test.html", context)
