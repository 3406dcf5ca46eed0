"""Saved prompts (design §4): a `Prompt` of a team, its immutable `PromptVersion`s, and its
`Label`s — movable pointers at a version, each move recorded in `LabelMove`.

A version is written once and never changed: `save` refuses an update and a version that a
pane or a run came from cannot be deleted (PROTECT). "latest" is not a label row: it is always
the newest version.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

LABEL_PATTERN = r"^[a-z0-9_.\-]{1,36}$"


class Prompt(models.Model):
    class Visibility(models.TextChoices):
        PRIVATE = "private", "Only me"
        TEAM = "team", "The team"

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="prompts")
    name = models.CharField(max_length=120)
    # Its author; the team's members see it when its visibility is "team".
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="prompts")  # fmt: skip
    visibility = models.CharField(max_length=10, choices=Visibility.choices,
                                  default=Visibility.TEAM)  # fmt: skip
    archived = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)  # lowercase names (library/tags.py)
    created_at = models.DateTimeField(auto_now_add=True)
    used_at = models.DateTimeField(auto_now_add=True)  # opened or saved: "recently used first"

    class Meta:
        ordering = ["-used_at", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["team", "name"], name="prompt_name_per_team")
        ]

    def __str__(self) -> str:
        return self.name


class ImmutableVersion(Exception):
    """A saved version was about to be changed in place."""


class Version(models.Model):
    """A numbered version that is written once: saving it again is refused (every kind of
    library object keeps its versions so)."""

    number = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                               related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None and not kwargs.get("force_insert"):
            raise ImmutableVersion(f"Version {self.number} is saved; save a new version instead.")
        super().save(*args, **kwargs)


class PromptVersion(Version):
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="versions")
    system_prompt = models.TextField(blank=True, default="")
    # [{"role": "user" | "assistant", "content": "... {{variable}} ..."}]
    messages = models.JSONField(default=list, blank=True)
    # Where it ran when saved, by name and kind (a connection may go; the version stays).
    connection_name = models.CharField(max_length=100, blank=True, default="")
    connection_kind = models.CharField(max_length=40, blank=True, default="")
    model = models.CharField(max_length=200, blank=True, default="")
    params = models.JSONField(default=dict, blank=True)
    tools = models.JSONField(default=list, blank=True)
    # The library tool versions its tools are, pinned when saved:
    # [{"tool": id, "version": id, "number": n, "name": "..."}]
    tool_versions = models.JSONField(default=list, blank=True)
    tool_choice = models.CharField(max_length=200, blank=True, default="")
    output_schema = models.JSONField(null=True, blank=True)
    commit_message = models.CharField(max_length=300, blank=True, default="")

    class Meta:
        ordering = ["prompt", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["prompt", "number"], name="version_number_per_prompt")
        ]

    def __str__(self) -> str:
        return f"{self.prompt.name} v{self.number}"


class Label(models.Model):
    prompt = models.ForeignKey(Prompt, on_delete=models.CASCADE, related_name="labels")
    name = models.CharField(max_length=36)
    # RESTRICT: a version goes only with its prompt, and its labels with it.
    version = models.ForeignKey(PromptVersion, on_delete=models.RESTRICT, related_name="labels")

    class Meta:
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["prompt", "name"], name="label_per_prompt")]

    def __str__(self) -> str:
        return self.name


class LabelMove(models.Model):
    """Who moved a label, when, from which version to which (from empty: made)."""

    label = models.ForeignKey(Label, on_delete=models.CASCADE, related_name="moves")
    from_version = models.ForeignKey(PromptVersion, null=True, on_delete=models.SET_NULL,
                                     related_name="+")  # fmt: skip
    to_version = models.ForeignKey(PromptVersion, null=True, on_delete=models.SET_NULL,
                                   related_name="+")  # fmt: skip
    moved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                 related_name="+")  # fmt: skip
    moved_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-moved_at", "-pk"]


class Tool(models.Model):
    """A tool definition a team keeps, by its function name; its versions hold the
    definition, its fixtures the results a teammate can answer a call with in one click."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE, related_name="tools")
    name = models.CharField(max_length=64)  # the function name models call
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="tools")  # fmt: skip
    visibility = models.CharField(max_length=10, choices=Prompt.Visibility.choices,
                                  default=Prompt.Visibility.TEAM)  # fmt: skip
    archived = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["team", "name"], name="tool_name_per_team")]

    def __str__(self) -> str:
        return self.name


class ToolVersion(Version):
    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="versions")
    description = models.TextField(blank=True, default="")
    parameters = models.JSONField(default=dict)  # a JSON Schema for the arguments

    class Meta:
        ordering = ["tool", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["tool", "number"], name="version_number_per_tool")
        ]

    def definition(self) -> dict[str, Any]:
        """As a pane's Tools box and every provider take it."""
        return {"name": self.tool.name, "description": self.description,
                "parameters": self.parameters}  # fmt: skip


class ToolFixture(models.Model):
    """A saved result for calls whose arguments match: each key of `arguments` must equal
    the call's value, or be "*" for any value; keys it does not name may be anything."""

    tool = models.ForeignKey(Tool, on_delete=models.CASCADE, related_name="fixtures")
    arguments = models.JSONField(default=dict, blank=True)
    result = models.TextField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True,
                                   on_delete=models.SET_NULL, related_name="+")  # fmt: skip
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["tool", "pk"]


class OutputSchema(models.Model):
    """A JSON Schema for structured answers a team keeps; its versions never change."""

    team = models.ForeignKey("accounts.Team", on_delete=models.CASCADE,
                             related_name="output_schemas")  # fmt: skip
    name = models.CharField(max_length=120)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="output_schemas")  # fmt: skip
    visibility = models.CharField(max_length=10, choices=Prompt.Visibility.choices,
                                  default=Prompt.Visibility.TEAM)  # fmt: skip
    archived = models.BooleanField(default=False)
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name", "pk"]
        constraints = [models.UniqueConstraint(fields=["team", "name"],
                                               name="schema_name_per_team")]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class SchemaVersion(Version):
    schema = models.ForeignKey(OutputSchema, on_delete=models.CASCADE, related_name="versions")
    body = models.JSONField()

    class Meta:
        ordering = ["schema", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["schema", "number"], name="version_number_per_schema")
        ]
