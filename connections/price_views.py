"""The Prices page: every member may look; admins add, edit and delete rows."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from accounts import permissions
from connections.llm import provider_label
from connections.models import ModelPrice
from connections.price_forms import PriceForm

ADMINS_ONLY = "Only admins can change prices."


def usd(amount: Decimal) -> str:
    """Dollars as price lists write them: at least two decimals, no trailing zeros beyond."""
    whole, _, fraction = f"{amount:.6f}".rstrip("0").partition(".")
    return f"{whole}.{fraction.ljust(2, '0')}"


def _page(
    request: HttpRequest, form: PriceForm, editing: ModelPrice | None = None, status: int = 200
) -> HttpResponse:
    prices = list(ModelPrice.objects.all())
    for price in prices:
        price.provider_label = provider_label(price.provider) if price.provider else "Any provider"
        price.shown_input = usd(price.input_usd_per_million)
        price.shown_output = usd(price.output_usd_per_million)
    context = {"prices": prices, "form": form, "editing": editing,
               "may_change": permissions.may_manage_connections(request.user)}  # fmt: skip
    return render(request, "connections/prices.html", context, status=status)


def _saved(request: HttpRequest, form: PriceForm, editing: ModelPrice | None) -> HttpResponse:
    if not form.is_valid():
        return _page(request, form, editing, status=400)
    price = form.save()
    messages.success(request, f"Saved the price of {price.model}.")
    return redirect("prices")


@require_http_methods(["GET", "POST"])
def price_list(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        if not permissions.may_manage_connections(request.user):
            return HttpResponse(ADMINS_ONLY, status=403)
        return _saved(request, PriceForm(request.POST), None)
    return _page(request, PriceForm())


@require_http_methods(["GET", "POST"])
def price_edit(request: HttpRequest, pk: int) -> HttpResponse:
    price = get_object_or_404(ModelPrice, pk=pk)
    if not permissions.may_manage_connections(request.user):
        return HttpResponse(ADMINS_ONLY, status=403)
    if request.method == "POST":
        return _saved(request, PriceForm(request.POST, instance=price), price)
    return _page(request, PriceForm(instance=price), price)


@require_POST
def price_delete(request: HttpRequest, pk: int) -> HttpResponse:
    price = get_object_or_404(ModelPrice, pk=pk)
    if not permissions.may_manage_connections(request.user):
        return HttpResponse(ADMINS_ONLY, status=403)
    price.delete()
    messages.success(request, f"Deleted the price of {price.model}.")
    return redirect("prices")
