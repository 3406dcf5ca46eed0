"""Connections to providers: admins add, edit and delete; everyone may look and test."""

from __future__ import annotations

import logging

from asgiref.sync import async_to_sync
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from accounts import permissions
from connections.crypto import SecretDecryptionError
from connections.forms import ConnectionForm
from connections.llm import (
    ProviderError,
    available_connections,
    default_base_url,
    list_models,
    provider_label,
)
from connections.models import Connection

logger = logging.getLogger(__name__)
ADMINS_ONLY = "Only admins can change connections."


def _page(request: HttpRequest, form: ConnectionForm, editing: Connection | None = None):
    connections = available_connections()
    for connection in connections:
        connection.provider_label = provider_label(connection.kind)
        connection.shown_base_url = connection.base_url or default_base_url(connection.kind)
    context = {"connections": connections, "form": form, "editing": editing}
    return render(request, "connections/connections.html", context)


def connection_list(request: HttpRequest) -> HttpResponse:
    form = ConnectionForm(request.POST or None)
    if request.method == "POST":
        if not permissions.may_manage_connections(request.user):
            return HttpResponse(ADMINS_ONLY, status=403)
        if form.is_valid():
            connection = form.save(commit=False)
            connection.created_by = request.user
            connection.save()
            messages.success(request, f"Added {connection.name}.")
            return redirect("connections")
    return _page(request, form)


def connection_edit(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk, source=Connection.Source.USER)
    if not permissions.may_manage_connections(request.user):
        return HttpResponse(ADMINS_ONLY, status=403)
    form = ConnectionForm(request.POST or None, instance=connection)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"Saved {connection.name}.")
        return redirect("connections")
    return _page(request, form, editing=connection)


@require_POST
def connection_delete(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk, source=Connection.Source.USER)
    if not permissions.may_manage_connections(request.user):
        return HttpResponse(ADMINS_ONLY, status=403)
    connection.delete()
    messages.success(request, f"Deleted {connection.name}.")
    return redirect("connections")


@require_POST
def connection_test(request: HttpRequest, pk: int) -> HttpResponse:
    """A cheap request (the model list) that proves the URL and key work."""
    connection = get_object_or_404(Connection, pk=pk)
    try:
        models = async_to_sync(list_models)(connection)
        ok, detail = True, models
    except (ProviderError, SecretDecryptionError) as error:
        ok, detail = False, str(error)
    context = {"connection": connection, "ok": ok, "detail": detail}
    return render(request, "connections/partials/connection_test.html", context)
