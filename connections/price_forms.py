"""The form of one row of the Prices table."""

from __future__ import annotations

import datetime

from django import forms
from django.utils import timezone

from connections.llm import PROVIDER_CHOICES, provider_label
from connections.models import ModelPrice


def _price_field(label: str) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        min_value=0,
        max_digits=12,
        decimal_places=6,
        error_messages={
            "required": "Type a price in US dollars per million tokens, e.g. 0.40 (0 if free).",
            "invalid": "Type a price in US dollars per million tokens, e.g. 0.40.",
            "min_value": "A price cannot be negative; type 0 for a free model.",
            "max_digits": "Type at most 12 digits, 6 of them after the point.",
            "max_decimal_places": "Type at most 6 digits after the point.",
            "max_whole_digits": "Type at most 6 digits before the point.",
        },
    )


class PriceForm(forms.ModelForm):
    """Add or edit one row of the Prices table."""

    provider = forms.ChoiceField(
        label="Provider",
        required=False,
        choices=[("", "Any provider"), *PROVIDER_CHOICES],
        help_text="A price for one provider wins over one for any provider.",
    )
    model = forms.CharField(
        label="Model",
        max_length=200,
        help_text="A model id, e.g. gpt-4.1-mini. A name also prices its dated versions "
        "(claude-sonnet-4-5 prices claude-sonnet-4-5-20250929); end it with * to price every "
        "model it begins (llama-*). The longest match wins.",
        error_messages={"required": "Type a model name, e.g. gpt-4.1-mini or claude-sonnet-4-5."},
    )
    input_usd_per_million = _price_field("Input, USD per million tokens")
    output_usd_per_million = _price_field("Output, USD per million tokens")
    checked_on = forms.DateField(
        label="Checked on",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The day you saw this price on the provider's pricing page.",
        error_messages={
            "required": "Type the date the price was checked, e.g. 2025-08-15.",
            "invalid": "Type the date as YYYY-MM-DD, e.g. 2025-08-15.",
        },
    )
    note = forms.CharField(
        label="Note or source",
        required=False,
        max_length=300,
        help_text="e.g. the pricing page's address, or what the price leaves out.",
    )

    class Meta:
        model = ModelPrice
        fields = ["provider", "model", "input_usd_per_million", "output_usd_per_million",
                  "checked_on", "note"]  # fmt: skip

    def clean_model(self) -> str:
        model = self.cleaned_data["model"].strip()
        if any(character.isspace() for character in model):
            raise forms.ValidationError("A model name has no spaces, e.g. gpt-4.1-mini.")
        if "*" in model.rstrip("*") or model.endswith("**"):
            raise forms.ValidationError("Use * only once, at the end of a name (e.g. llama-*).")
        return model

    def clean_checked_on(self) -> datetime.date:
        checked_on = self.cleaned_data["checked_on"]
        if checked_on > timezone.localdate():
            raise forms.ValidationError("That date is in the future; type the day you checked it.")
        return checked_on

    def validate_unique(self) -> None:
        """Checked in clean() instead, whatever the letter case, with a message that says
        what to do (the table's constraints stand behind it)."""

    def clean(self) -> dict:
        data = super().clean()
        model, provider = data.get("model"), data.get("provider") or ""
        if model:
            clash = ModelPrice.objects.filter(provider=provider, model__iexact=model)
            if clash.exclude(pk=self.instance.pk).exists():
                where = provider_label(provider) if provider else "any provider"
                self.add_error("model", f"{model} already has a price for {where}; edit that one.")
        return data
