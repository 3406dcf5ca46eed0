"""Connections get a team. Every existing row keeps none: it stays the site's, used by every
account and managed by admins, as before. Names become unique among the site's connections
and within each team."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_teams"),
        ("connections", "0004_seed_model_prices"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="connection",
            name="connection_name_unique",
        ),
        migrations.AddField(
            model_name="connection",
            name="team",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="connections",
                to="accounts.team",
            ),
        ),
        migrations.AddConstraint(
            model_name="connection",
            constraint=models.UniqueConstraint(
                condition=models.Q(("team__isnull", True)),
                fields=("name",),
                name="connection_name_unique",
            ),
        ),
        migrations.AddConstraint(
            model_name="connection",
            constraint=models.UniqueConstraint(
                fields=("team", "name"), name="connection_name_unique_in_team"
            ),
        ),
    ]
