from __future__ import annotations

from django import forms

from connections.crypto import encrypt_secret
from connections.llm import (
    CONNECTION_OPTIONS,
    PROVIDER_CHOICES,
    provider_label,
    provider_needs_base_url,
    provider_needs_key,
)
from connections.models import Connection


class ConnectionForm(forms.ModelForm):
    """Add or edit a connection. The API key field is write-only: never rendered with a value;
    left blank on edit it keeps the stored key."""

    kind = forms.ChoiceField(label="Provider", choices=PROVIDER_CHOICES)
    name = forms.CharField(label="Name", max_length=100)
    base_url = forms.URLField(
        label="Base URL",
        required=False,
        assume_scheme="https",
        help_text="e.g. http://127.0.0.1:8080/v1 for llama.cpp; empty means the provider's own.",
    )
    api_key = forms.CharField(
        label="API key",
        required=False,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )
    remove_key = forms.BooleanField(label="Remove the stored key", required=False)

    def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        # One optional field per option of the records. The page shows a kind's own options
        # for the chosen kind only (data-kind), and those every connection has always.
        saved = self.instance.options or {}
        every_kind = set.intersection(
            *({option.name for option in options} for options in CONNECTION_OPTIONS.values())
        )
        self._own_options: list[str] = []
        self._common_options: list[str] = []
        for kind, options in CONNECTION_OPTIONS.items():
            for option in options:
                name = f"option_{option.name}"
                if name in self.fields:
                    continue
                field = forms.CharField(
                    label=option.label, required=False, max_length=100, help_text=option.help
                )
                if option.name in every_kind:
                    self._common_options.append(name)
                else:
                    field.widget.attrs["data-kind"] = kind
                    self._own_options.append(name)
                field.initial = saved.get(option.name, "")
                self.fields[name] = field

    def option_fields(self):  # type: ignore[no-untyped-def]
        """The fields of each kind's own options."""
        return [self[name] for name in self._own_options]

    def common_option_fields(self):  # type: ignore[no-untyped-def]
        """The fields of the options every connection has (the rate limit)."""
        return [self[name] for name in self._common_options]

    class Meta:
        model = Connection
        fields = ["kind", "name", "base_url"]

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        clash = Connection.objects.filter(name__iexact=name).exclude(pk=self.instance.pk)
        if clash.exists():
            raise forms.ValidationError("A connection with this name exists; choose another.")
        return name

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip().rstrip("/")
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Use an http:// or https:// URL.")
        return url

    def clean(self) -> dict:
        data = super().clean()
        kind = data.get("kind") or ""
        if provider_needs_base_url(kind) and not data.get("base_url"):
            self.add_error("base_url", f"An {provider_label(kind)} needs its base URL.")
        has_key = bool(data.get("api_key")) or (
            bool(self.instance.api_key_encrypted) and not data.get("remove_key")
        )
        if provider_needs_key(kind) and not has_key:
            self.add_error("api_key", f"{provider_label(kind)} needs an API key.")
        for option in CONNECTION_OPTIONS.get(kind, ()):  # another kind's are not saved
            value = (data.get(f"option_{option.name}") or "").strip()
            if not value:
                continue
            try:
                option.parse(value)
            except ValueError as error:
                self.add_error(f"option_{option.name}", str(error))
        if kind == "bedrock" and (data.get("option_aws_access_key_id") or "").strip():
            if not has_key:
                self.add_error("api_key", "Type the secret access key of that access key ID.")
        return data

    def save(self, commit: bool = True) -> Connection:
        connection = super().save(commit=False)
        kind = self.cleaned_data.get("kind")
        connection.options = {
            option.name: self.cleaned_data[f"option_{option.name}"].strip()
            for option in CONNECTION_OPTIONS.get(kind, ())
            if self.cleaned_data.get(f"option_{option.name}", "").strip()
        }
        key = self.cleaned_data.get("api_key")
        if key:
            connection.api_key_encrypted = encrypt_secret(key)
            connection.api_key_last4 = key[-4:]
        elif self.cleaned_data.get("remove_key"):
            connection.api_key_encrypted = b""
            connection.api_key_last4 = ""
        if commit:
            connection.save()
        return connection
