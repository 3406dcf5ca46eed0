"""Connection now belongs to the connections app (its 0001 takes over the same table): runs
point at it there, and the chat app forgets the model. Nothing changes in the database."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("chat", "0005_run_output_tokens_estimated"),
        ("connections", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="run",
                    name="connection",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        to="connections.connection",
                    ),
                ),
                migrations.DeleteModel(name="Connection"),
            ],
            database_operations=[],
        ),
    ]
