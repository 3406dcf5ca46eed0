"""The team library: saved prompts with their versions and labels."""

from django.apps import AppConfig


class LibraryConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "library"

    def ready(self) -> None:
        from chat import tool_answers
        from library.tools import fixture_answers

        tool_answers.register(fixture_answers)  # "Answer with fixture" on a call's card
