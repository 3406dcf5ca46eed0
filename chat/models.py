"""Data of the playground: connections, conversations, messages and runs (design §4)."""

import uuid

from django.conf import settings
from django.db import models


class Connection(models.Model):
    """A provider endpoint and its credentials. The API key is encrypted at rest (chat.crypto)."""

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
    # project and location. Passed to init_chat_model as they are (chat.llm.CONNECTION_OPTIONS).
    options = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["name"], name="connection_name_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Conversation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True, default="")
    system_prompt = models.TextField(blank=True, default="")
    # The model picker and parameter panel as the user last left them: {"connection_id": 1,
    # "model": "gpt-4.1-mini", "params": {"temperature": 0.7, ...}}
    settings = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-updated_at", "-id"]
        indexes = [models.Index(fields=["owner", "-updated_at"])]

    def __str__(self) -> str:
        return self.title or "New conversation"

    @property
    def display_title(self) -> str:
        return self.title or "New conversation"


class Message(models.Model):
    class Role(models.TextChoices):
        USER = "user"
        ASSISTANT = "assistant"
        TOOL = "tool"  # a tool's result, typed by the user in answer to a tool call

    class Status(models.TextChoices):
        STREAMING = "streaming"
        DONE = "done"
        STOPPED = "stopped"
        ERROR = "error"

    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    # An assistant's tool calls: [{"id", "name", "arguments": {...}, "signature"?}].
    tool_calls = models.JSONField(default=list, blank=True)
    # A tool message answers one call: its id, and the tool's name (Gemini wants the name).
    tool_call_id = models.CharField(max_length=200, blank=True, default="")
    tool_name = models.CharField(max_length=200, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["conversation", "created_at"])]

    def __str__(self) -> str:
        return f"{self.role}: {self.content[:40]}"


class Run(models.Model):
    """One model answering one turn. Several runs may stream into one conversation at once."""

    class Status(models.TextChoices):
        STREAMING = "streaming"
        DONE = "done"
        STOPPED = "stopped"
        ERROR = "error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="runs")
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="run")
    connection = models.ForeignKey(Connection, null=True, blank=True, on_delete=models.SET_NULL)
    provider = models.CharField(max_length=40)
    model = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict, blank=True)
    # What the model was offered, as the conversation's tools box held it when the run began.
    tools = models.JSONField(default=list, blank=True)
    tool_choice = models.CharField(max_length=200, blank=True, default="")
    output_schema = models.JSONField(null=True, blank=True)
    # For a structured answer: did it fit the schema (None when no schema was asked for)?
    output_valid = models.BooleanField(null=True, blank=True)
    output_problem = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STREAMING)
    started_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    time_to_first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    retries = models.PositiveSmallIntegerField(default=0)
    finish_reason = models.CharField(max_length=40, blank=True, default="")
    error_kind = models.CharField(max_length=60, blank=True, default="")
    error_message = models.TextField(blank=True, default="")

    class Meta:
        ordering = ["started_at"]

    @property
    def tokens_per_second(self) -> float | None:
        """Output tokens over the time after the first token (the rate the user watches)."""
        if not self.output_tokens or self.duration_ms is None:
            return None
        generating_ms = self.duration_ms - (self.time_to_first_token_ms or 0)
        if generating_ms <= 0:
            return None
        return self.output_tokens / (generating_ms / 1000)
