"""The library in the Django admin. Versions are shown, never edited: the admin offers no
change form for them (a saved version changes through no path), only new ones are made
from the library's pages."""

from typing import Any

from django.contrib import admin

from library.models import (
    Label,
    LabelMove,
    OutputSchema,
    Prompt,
    PromptVersion,
    SchemaVersion,
    Tool,
    ToolFixture,
    ToolVersion,
)


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: Any) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False


@admin.register(Prompt)
class PromptAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "owner", "visibility", "archived", "used_at")
    search_fields = ("name",)
    list_filter = ("team", "archived")


@admin.register(PromptVersion)
class PromptVersionAdmin(ReadOnly):
    list_display = ("prompt", "number", "model", "author", "created_at", "commit_message")


@admin.register(Label)
class LabelAdmin(ReadOnly):
    list_display = ("prompt", "name", "version")


@admin.register(LabelMove)
class LabelMoveAdmin(ReadOnly):
    list_display = ("label", "from_version", "to_version", "moved_by", "moved_at")


@admin.register(Tool)
class ToolAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "owner", "archived")


@admin.register(ToolVersion)
class ToolVersionAdmin(ReadOnly):
    list_display = ("tool", "number", "author", "created_at")


@admin.register(ToolFixture)
class ToolFixtureAdmin(admin.ModelAdmin):
    list_display = ("tool", "arguments", "created_by", "created_at")


@admin.register(OutputSchema)
class OutputSchemaAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "owner", "archived")


@admin.register(SchemaVersion)
class SchemaVersionAdmin(ReadOnly):
    list_display = ("schema", "number", "author", "created_at")
