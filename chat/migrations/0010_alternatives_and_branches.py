"""Alternatives (Regenerate), revisions (Edit message) and branches (Re-run from here): every
existing turn follows the one before it in its conversation, as it did when it was sent."""

import django.db.models.deletion
from django.db import migrations, models


def chain_turns(apps, schema_editor):
    Turn = apps.get_model("chat", "Turn")
    previous: dict[int, int] = {}
    changed = []
    for turn in Turn.objects.order_by("conversation_id", "created_at", "id").only(
        "id", "conversation_id"
    ):
        parent = previous.get(turn.conversation_id)
        if parent is not None:
            turn.parent_id = parent
            changed.append(turn)
        previous[turn.conversation_id] = turn.pk
    Turn.objects.bulk_update(changed, ["parent"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("chat", "0009_settings_live_in_panes")]

    operations = [
        migrations.AddField(
            model_name="turn",
            name="parent",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="children",
                to="chat.turn",
            ),
        ),
        migrations.AddField(
            model_name="turn", name="active", field=models.BooleanField(default=True)
        ),
        migrations.AddField(
            model_name="turn", name="chosen", field=models.JSONField(blank=True, default=dict)
        ),
        migrations.AddField(
            model_name="message",
            name="alternative",
            field=models.PositiveSmallIntegerField(default=1),
        ),
        migrations.AddField(
            model_name="message", name="replaced", field=models.BooleanField(default=False)
        ),
        migrations.AddField(
            model_name="message",
            name="edited_from",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="revisions",
                to="chat.message",
            ),
        ),
        migrations.RunPython(chain_turns, migrations.RunPython.noop),
    ]
