"""Where to talk to providers and with which key, and what their models cost (design §4, §5)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models


class Connection(models.Model):
    """A provider endpoint and its credentials. The API key is encrypted at rest (connections.crypto).

    Without a team it is the site's: every account uses it, admins manage it. With one, that
    team's members use it and its owners manage it (accounts.permissions); a personal team's
    is its person's alone.
    """

    class Source(models.TextChoices):
        USER = "user", "Added in the browser"
        ENV = "env", "From environment variables"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=40)  # a provider id: "openai", "openai_compatible", ...
    base_url = models.URLField(max_length=500, blank=True)
    api_key_encrypted = models.BinaryField(blank=True, default=b"", editable=False)
    api_key_last4 = models.CharField(max_length=4, blank=True, editable=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.USER)
    # An environment connection's stable id ("openai", "anthropic"...), so that renaming its
    # display name never orphans the row runs point at. Empty for connections added by hand.
    env_key = models.CharField(max_length=40, null=True, blank=True, unique=True, editable=False)
    # Addressing a provider needs besides a URL (Azure api_version, Bedrock region, Vertex
    # project and location) and the rate limit: the record's connection options
    # (connections.llm.CONNECTION_OPTIONS), kept as typed.
    options = models.JSONField(default=dict, blank=True)
    # Whose it is: empty for the site's. Deleted with its team: a team's key must not outlive
    # the team as a connection nobody may use or manage (PROTECT would keep a personal team,
    # and so its account, from ever being deleted; SET_NULL would hand it to every account).
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.CASCADE,
        related_name="connections",
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "chat_connection"  # the table it was born in, under the chat app
        ordering = ["name", "id"]
        # A name is unique where it is seen: among the site's connections, and within a team
        # (so that adding one never tells you a name someone else's connection holds).
        constraints = [
            models.UniqueConstraint(
                fields=["name"], condition=models.Q(team__isnull=True),
                name="connection_name_unique",
            ),
            models.UniqueConstraint(fields=["team", "name"], name="connection_name_unique_in_team"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name

    def whose(self, viewer: Any) -> str:
        """Whom it is for, as `viewer` reads it: "Site", "Only me" (their personal team's),
        "Team: <name>", or, for an admin looking at someone else's, "Only <username>"."""
        team = self.team
        if team is None:
            return "Site"
        if not team.is_personal:
            return f"Team: {team.name}"
        if team.personal_for_id == getattr(viewer, "pk", None):
            return "Only me"
        return f"Only {team.personal_for.get_username()}"


class ModelPrice(models.Model):
    """What a model costs, in US dollars per million tokens, for each answer's cost. Seeded
    from the provider records' list prices; admins keep it up to date on the Prices page."""

    provider = models.CharField(max_length=40, blank=True, default="")  # a provider id; "" = any
    # A model id, or a name that also prices its dated versions ("claude-sonnet-4-5" prices
    # "claude-sonnet-4-5-20250929"); a trailing * prices every model it begins.
    model = models.CharField(max_length=200)
    input_usd_per_million = models.DecimalField(
        max_digits=12, decimal_places=6, validators=[MinValueValidator(0)]
    )
    output_usd_per_million = models.DecimalField(
        max_digits=12, decimal_places=6, validators=[MinValueValidator(0)]
    )
    checked_on = models.DateField()  # when the price was known to be right
    note = models.CharField(max_length=300, blank=True, default="")  # where it comes from
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["provider", "model"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "model"], name="model_price_unique"),
            models.CheckConstraint(
                condition=models.Q(input_usd_per_million__gte=0)
                & models.Q(output_usd_per_million__gte=0),
                name="model_price_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.model} ({self.provider or 'any provider'})"
