"""Connection moves from the chat app to its own (design §1). Its table stays where it is
(`chat_connection`): only Django's idea of which app owns it changes, so no data moves."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
        ("chat", "0005_run_output_tokens_estimated"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Connection",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                        ("name", models.CharField(max_length=100)),
                        ("kind", models.CharField(max_length=40)),
                        ("base_url", models.URLField(blank=True, max_length=500)),
                        ("api_key_encrypted", models.BinaryField(blank=True, default=b"")),
                        ("api_key_last4", models.CharField(blank=True, editable=False, max_length=4)),
                        ("source", models.CharField(choices=[("user", "Added in the browser"), ("env", "From environment variables")], default="user", max_length=10)),
                        ("options", models.JSONField(blank=True, default=dict)),
                        ("created_at", models.DateTimeField(auto_now_add=True)),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        ("created_by", models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        "db_table": "chat_connection",
                        "ordering": ["name", "id"],
                        "constraints": [models.UniqueConstraint(fields=("name",), name="connection_name_unique")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]  # fmt: skip
