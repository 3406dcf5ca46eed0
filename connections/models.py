"""Where to talk to providers and with which key (design §4)."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Connection(models.Model):
    """A provider endpoint and its credentials. The API key is encrypted at rest (connections.crypto)."""

    class Source(models.TextChoices):
        USER = "user", "Added in the browser"
        ENV = "env", "From environment variables"

    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=40)  # a provider id: "openai", "openai_compatible", ...
    base_url = models.URLField(max_length=500, blank=True)
    api_key_encrypted = models.BinaryField(blank=True, default=b"", editable=False)
    api_key_last4 = models.CharField(max_length=4, blank=True, editable=False)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.USER)
    # Addressing a provider needs besides a URL: Azure api_version, Bedrock region, Vertex
    # project and location. Passed to init_chat_model as they are (connections.llm.CONNECTION_OPTIONS).
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "chat_connection"  # the table it was born in, under the chat app
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="connection_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name
