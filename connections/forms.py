from __future__ import annotations

from typing import Any

from django import forms

from accounts import permissions
from accounts.teams import personal_team
from connections.crypto import encrypt_secret
from connections.llm import (
    CONNECTION_OPTIONS,
    PROVIDER_CHOICES,
    provider_label,
    provider_needs_base_url,
    provider_needs_key,
)
from connections.models import Connection

SITE = "site"  # the For select's value for a site connection (no team)


def for_choices(user: Any) -> list[tuple[str, str]]:
    """Whom `user` may add a connection for: the site (admins), and each team they own,
    their personal team first, as "Only me"."""
    personal_team(user)  # an account from before teams gets its own now
    choices = [(SITE, "Site — every account")] if permissions.may_manage_connections(user) else []
    teams = sorted(permissions.teams_for_new_connections(user),
                   key=lambda team: (not team.is_personal, team.name.lower(), team.pk))  # fmt: skip
    return choices + [(str(team.pk), Connection(team=team).whose(user)) for team in teams]


class ConnectionForm(forms.ModelForm):
    """Add or edit a connection. The API key field is write-only: never rendered with a value;
    left blank on edit it keeps the stored key. "For" (whose it is) is chosen when adding and
    stays: moving a key between teams would hand it to other people."""

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

    def __init__(self, *args, user: Any = None, **kwargs) -> None:  # type: ignore[no-untyped-def]
        super().__init__(*args, **kwargs)
        self.user = user
        if self.instance.pk is None:
            self.fields["team"] = forms.ChoiceField(label="For", choices=for_choices(user))
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
        return self.cleaned_data["name"].strip()

    def clean_team(self) -> Any:
        """The chosen team (None for the site), one of the choices offered."""
        chosen = self.cleaned_data["team"]
        if chosen == SITE:
            return None
        return permissions.teams_for_new_connections(self.user).get(pk=int(chosen))

    def _team(self) -> Any:
        return self.cleaned_data.get("team") if self.instance.pk is None else self.instance.team

    def _name_taken(self, name: str) -> bool:
        """Whether another connection of the same team (or of the site) has this name: the
        only ones its owner (or an admin, for the site) sees, so the answer tells nothing."""
        team = self._team()
        same = Connection.objects.filter(team__isnull=True) if team is None else team.connections
        return same.filter(name__iexact=name).exclude(pk=self.instance.pk).exists()

    def clean_base_url(self) -> str:
        url = self.cleaned_data["base_url"].strip().rstrip("/")
        if url and not url.lower().startswith(("http://", "https://")):
            raise forms.ValidationError("Use an http:// or https:// URL.")
        return url

    def clean(self) -> dict:
        data = super().clean()
        if data.get("name") and "team" not in self.errors and self._name_taken(data["name"]):
            self.add_error("name", "A connection with this name exists; choose another.")
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
        if connection.pk is None:
            connection.team = self.cleaned_data["team"]
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
