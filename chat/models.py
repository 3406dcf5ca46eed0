"""Data of the playground (design §4): a conversation has panes (a plain chat has one); each
turn is one user message answered by every pane; a pane's answers and tool results belong
to it, each answer written by one run that records what it sent and what came back."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class Conversation(models.Model):
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conversations"
    )
    title = models.CharField(max_length=200, blank=True, default="")

    class Visibility(models.TextChoices):
        PRIVATE = "private", "Only me"
        TEAM = "team", "The team"

    # Shared with a team's members (by their role) when visibility is "team"; else the
    # owner's alone. Empty for a conversation from before teams: private.
    team = models.ForeignKey("accounts.Team", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="conversations")  # fmt: skip
    visibility = models.CharField(max_length=10, choices=Visibility.choices,
                                  default=Visibility.PRIVATE)  # fmt: skip
    # "Sync settings": a field edited in one pane's settings applies to every pane.
    sync_settings = models.BooleanField(default=False)
    # "Blind mode" (the arena): the panes' models are hidden from every page and frame, the
    # vote panel's labels A, B, … shuffled every turn (Turn.arena_order).
    blind = models.BooleanField(default=False)
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


class Pane(models.Model):
    """One column of a conversation: a model with its settings and its own history (the
    shared user messages plus its own answers and tool results)."""

    MAX_PER_CONVERSATION = 8

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="panes")
    position = models.PositiveSmallIntegerField(default=0)
    connection = models.ForeignKey(
        "connections.Connection", null=True, blank=True, on_delete=models.SET_NULL
    )
    model = models.CharField(max_length=200, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)  # {"temperature": 0.7, "stop": [...]}
    system_prompt = models.TextField(blank=True, default="")
    tools = models.JSONField(default=list, blank=True)
    tool_choice = models.CharField(max_length=200, blank=True, default="")
    output_schema = models.JSONField(null=True, blank=True)
    # The library prompt version it was opened from, as plain data (the library app points
    # here, not the other way): {"prompt": id, "version": id, "number": n, "name": "..."},
    # and the values its {{variables}} were filled with.
    source = models.JSONField(null=True, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    # "Auto-reply with fixtures": the library's saved tool results answer this pane's tool
    # calls on their own, for at most `auto_reply_steps` rounds of calls per turn.
    auto_reply = models.BooleanField(default=False)
    auto_reply_steps = models.PositiveSmallIntegerField(default=8)
    # "Repeat": each turn this pane answers this many times at once (1–20), the answers kept
    # as its alternatives of the turn, compared for consistency (compare.consistency).
    repeat = models.PositiveSmallIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"Pane {self.position + 1}"

    @property
    def label(self) -> str:
        return f"Pane {self.position + 1}"


class Turn(models.Model):
    """One user message answered by every pane. `requested_at` is when its runs were asked
    to start; `start_spread_ms` how far apart their requests left (design §7).

    Turns form a tree: each follows its `parent`. "Re-run from here" starts a sibling of a
    turn, keeping the old turn and everything after it as another branch; among siblings one
    is `active` (shown, and followed by later sends). Regenerating keeps a pane's earlier
    answers to the turn as alternatives; `chosen` says which one each pane shows and sends
    on (chat.engine.paths)."""

    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="turns")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    active = models.BooleanField(default=True)
    chosen = models.JSONField(default=dict, blank=True)  # {"<pane id>": alternative number}
    created_at = models.DateTimeField(auto_now_add=True)
    requested_at = models.DateTimeField(null=True, blank=True)
    start_spread_ms = models.FloatField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # Of a blind conversation's turn: the pane ids behind the labels A, B, …, drawn at random.
    arena_order = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]


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
    turn = models.ForeignKey(
        Turn, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    # Empty for the shared user message; an answer or a tool result belongs to its pane.
    pane = models.ForeignKey(
        Pane, null=True, blank=True, on_delete=models.CASCADE, related_name="messages"
    )
    role = models.CharField(max_length=16, choices=Role.choices)
    content = models.TextField(blank=True, default="")
    # A reasoning model's thinking, streamed before the answer (shown collapsed; never sent
    # back as answer text).
    reasoning = models.TextField(blank=True, default="")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DONE)
    # Which of a pane's answers to its turn this belongs to (Regenerate adds one; Turn.chosen).
    alternative = models.PositiveSmallIntegerField(default=1)
    # Editing makes a new revision; the old row stays, hidden, for the runs that sent it.
    replaced = models.BooleanField(default=False)
    edited_from = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="revisions"
    )
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

    @property
    def attached(self) -> list[Attachment]:
        """This message's attachments: as loaded with a page of messages (one query for all
        of them, chat.engine.store.with_attachments), else read now."""
        loaded = self.__dict__.get("_attached")
        if loaded is None:
            loaded = self._attached = list(self.attachments.select_related("blob"))
        return loaded


class Run(models.Model):
    """One model answering in one pane: a snapshot of what it sent (system prompt, the ids of
    the messages in its history, parameters, tools, schema) and what came back (resolved
    model, timings, tokens, cost, retries, rate-limiter wait, finish reason, error)."""

    class Status(models.TextChoices):
        STREAMING = "streaming"
        DONE = "done"
        STOPPED = "stopped"
        ERROR = "error"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(Conversation, on_delete=models.CASCADE, related_name="runs")
    pane = models.ForeignKey(
        Pane, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    turn = models.ForeignKey(
        Turn, null=True, blank=True, on_delete=models.CASCADE, related_name="runs"
    )
    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="run")
    connection = models.ForeignKey(
        "connections.Connection", null=True, blank=True, on_delete=models.SET_NULL
    )
    provider = models.CharField(max_length=40)
    model = models.CharField(max_length=200)
    parameters = models.JSONField(default=dict, blank=True)
    system_prompt = models.TextField(blank=True, default="")
    history = models.JSONField(default=list, blank=True)  # ids of the messages it was sent
    # What the model was offered, as the conversation's tools box held it when the run began.
    tools = models.JSONField(default=list, blank=True)
    tool_choice = models.CharField(max_length=200, blank=True, default="")
    output_schema = models.JSONField(null=True, blank=True)
    # For a structured answer: did it fit the schema (None when no schema was asked for)?
    output_valid = models.BooleanField(null=True, blank=True)
    output_problem = models.TextField(blank=True, default="")
    # The library prompt version its pane came from and the values its {{variables}} were
    # filled with, apart from the compiled text: a run can be replayed with another version.
    source = models.JSONField(null=True, blank=True)
    variables = models.JSONField(default=dict, blank=True)
    # Who asked for it: a fixture's auto-reply goes on with their rights, not the author's.
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )  # fmt: skip
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.STREAMING)
    started_at = models.DateTimeField(auto_now_add=True)
    # When the HTTP request left (after any rate-limiter wait) and the first token came.
    request_sent_at = models.DateTimeField(null=True, blank=True)
    first_token_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    resolved_model = models.CharField(max_length=200, blank=True, default="")  # as it answered
    base_url = models.CharField(max_length=500, blank=True, default="")
    # From the request leaving: to the first token, and to the end.
    time_to_first_token_ms = models.PositiveIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    input_tokens = models.PositiveIntegerField(null=True, blank=True)
    output_tokens = models.PositiveIntegerField(null=True, blank=True)
    # True when the provider never reported output tokens (a stopped answer) and
    # `output_tokens` is counted from what arrived.
    output_tokens_estimated = models.BooleanField(default=False)
    # Of the output tokens, the thinking ones, where the provider reports them.
    reasoning_tokens = models.PositiveIntegerField(null=True, blank=True)
    cost = models.DecimalField(max_digits=14, decimal_places=8, null=True, blank=True)  # USD
    retries = models.PositiveSmallIntegerField(default=0)
    rate_limit_wait_ms = models.PositiveIntegerField(default=0)
    finish_reason = models.CharField(max_length=40, blank=True, default="")
    error_kind = models.CharField(max_length=60, blank=True, default="")
    error_message = models.TextField(blank=True, default="")
    # What the model was sent for each attachment: [{"name", "kind", "media_type", "width",
    # "height", "bytes", "duration_s", "tokens", "notes"}] (chat.attachments.history_parts).
    received = models.JSONField(default=list, blank=True)

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


def blob_path(blob: Blob, _filename: str) -> str:
    return f"blobs/{blob.sha256[:2]}/{blob.sha256}"


class Blob(models.Model):
    """Bytes stored once, whoever attached them how often: the primary key is their SHA-256.
    Deleted with the last attachment that uses them (chat.attachments)."""

    sha256 = models.CharField(max_length=64, primary_key=True)
    file = models.FileField(upload_to=blob_path, max_length=200)
    media_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)


class Attachment(models.Model):
    """An image or a recording a user attached: normalised on upload, sent with a message.
    Uploaded before the message exists, so `message` is empty until it is sent."""

    class Kind(models.TextChoices):
        IMAGE = "image"
        AUDIO = "audio"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    conversation = models.ForeignKey(
        Conversation, on_delete=models.CASCADE, related_name="attachments"
    )
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.CASCADE, related_name="attachments"
    )
    blob = models.ForeignKey(Blob, on_delete=models.PROTECT, related_name="attachments")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=255)  # the file name the user gave, for display
    original_type = models.CharField(max_length=100)
    original_size = models.PositiveIntegerField()
    media_type = models.CharField(max_length=100)  # after normalising
    width = models.PositiveIntegerField(null=True, blank=True)
    height = models.PositiveIntegerField(null=True, blank=True)
    duration_s = models.FloatField(null=True, blank=True)
    detail = models.CharField(max_length=10, blank=True, default="")  # OpenAI's low/high/auto
    notes = models.JSONField(default=list, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    @property
    def size(self) -> int:
        """Bytes stored (after normalising), read with the blob (select_related)."""
        return self.blob.size
