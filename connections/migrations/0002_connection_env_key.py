"""Environment connections get a stable id (design §1: "synced at start-up, keyed by a stable
id"), so renaming one's display name no longer orphans its row. Existing rows are given
theirs by the names they were created under."""

from django.db import migrations, models

# The display names environment connections had before they had a key.
KEYS_BY_NAME = {
    "OpenAI (environment)": "openai",
    "Anthropic (environment)": "anthropic",
    "Google Gemini (environment)": "google_genai",
    "Azure OpenAI (environment)": "azure_openai",
    "Groq (environment)": "groq",
    "Hugging Face (environment)": "huggingface",
}


def key_existing_rows(apps, schema_editor):
    Connection = apps.get_model("connections", "Connection")
    rows = Connection.objects.using(schema_editor.connection.alias)
    for name, env_key in KEYS_BY_NAME.items():
        rows.filter(source="env", name=name).update(env_key=env_key)


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="connection",
            name="env_key",
            field=models.CharField(blank=True, editable=False, max_length=40, null=True, unique=True),
        ),
        # Reversed, the column goes and the keys with it: nothing to undo.
        migrations.RunPython(key_existing_rows, migrations.RunPython.noop),
    ]  # fmt: skip
