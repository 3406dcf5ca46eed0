"""Every conversation made before panes becomes a one-pane conversation, nothing lost: its
model, parameters, system prompt and tools box become pane 1's settings; each user message
starts a turn; every answer and tool result joins pane 1 and the turn of the user message
before it; each run records its pane, its turn and the system prompt it was sent."""

from django.db import migrations

BATCH = 500


def into_panes(apps, schema_editor):
    Conversation = apps.get_model("chat", "Conversation")
    Pane = apps.get_model("chat", "Pane")
    Turn = apps.get_model("chat", "Turn")
    Message = apps.get_model("chat", "Message")
    Run = apps.get_model("chat", "Run")
    Connection = apps.get_model("connections", "Connection")
    existing_connections = set(Connection.objects.values_list("pk", flat=True))
    for conversation in Conversation.objects.order_by("pk").iterator():
        saved = conversation.settings or {}
        connection_id = saved.get("connection_id")
        pane = Pane.objects.create(
            conversation=conversation,
            position=0,
            connection_id=connection_id if connection_id in existing_connections else None,
            model=saved.get("model") or "",
            params=saved.get("params") or {},
            system_prompt=conversation.system_prompt or "",
            tools=saved.get("tools") or [],
            tool_choice=saved.get("tool_choice") or "",
            output_schema=saved.get("output_schema"),
        )
        turn = None
        changed = []
        for message in Message.objects.filter(conversation=conversation).order_by(
            "created_at", "id"
        ):
            if message.role == "user" or turn is None:
                turn = Turn.objects.create(conversation=conversation)
                Turn.objects.filter(pk=turn.pk).update(
                    created_at=message.created_at, requested_at=message.created_at
                )
            message.turn = turn
            if message.role != "user":
                message.pane = pane
            changed.append(message)
        Message.objects.bulk_update(changed, ["turn", "pane"], batch_size=BATCH)
        runs = list(Run.objects.filter(conversation=conversation).select_related("message"))
        for run in runs:
            run.pane = pane
            run.turn_id = run.message.turn_id
            run.system_prompt = conversation.system_prompt or ""
        Run.objects.bulk_update(runs, ["pane", "turn", "system_prompt"], batch_size=BATCH)


def back_to_conversation_settings(apps, schema_editor):
    """The first pane's settings become the conversation's again (other panes' settings,
    which the old layout cannot hold, are dropped; their messages stay)."""
    Pane = apps.get_model("chat", "Pane")
    Conversation = apps.get_model("chat", "Conversation")
    for pane in Pane.objects.filter(position=0).order_by("conversation_id", "id").iterator():
        Conversation.objects.filter(pk=pane.conversation_id).update(
            system_prompt=pane.system_prompt,
            settings={
                "connection_id": pane.connection_id,
                "model": pane.model,
                "params": pane.params,
                "tools": pane.tools,
                "tool_choice": pane.tool_choice,
                "output_schema": pane.output_schema,
            },
        )


class Migration(migrations.Migration):
    dependencies = [("chat", "0007_panes_and_turns")]

    operations = [migrations.RunPython(into_panes, back_to_conversation_settings)]
