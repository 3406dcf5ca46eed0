"""The conversation-wide settings now live in its panes (0008 moved them)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("chat", "0008_every_conversation_becomes_one_pane")]

    operations = [
        migrations.RemoveField(model_name="conversation", name="settings"),
        migrations.RemoveField(model_name="conversation", name="system_prompt"),
    ]
