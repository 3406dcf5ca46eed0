"""What models cost (design §5: "from the provider record's price table, editable by an
admin")."""

import django.core.validators
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0002_connection_env_key"),
    ]

    operations = [
        migrations.CreateModel(
            name="ModelPrice",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("provider", models.CharField(blank=True, default="", max_length=40)),
                ("model", models.CharField(max_length=200)),
                ("input_usd_per_million", models.DecimalField(decimal_places=6, max_digits=12, validators=[django.core.validators.MinValueValidator(0)])),
                ("output_usd_per_million", models.DecimalField(decimal_places=6, max_digits=12, validators=[django.core.validators.MinValueValidator(0)])),
                ("checked_on", models.DateField()),
                ("note", models.CharField(blank=True, default="", max_length=300)),
                ("updated_at", models.DateTimeField(auto_now=True)),
            ],
            options={
                "ordering": ["provider", "model"],
                "constraints": [
                    models.UniqueConstraint(fields=("provider", "model"), name="model_price_unique"),
                    models.CheckConstraint(condition=models.Q(("input_usd_per_million__gte", 0), ("output_usd_per_million__gte", 0)), name="model_price_not_negative"),
                ],
            },
        ),
    ]  # fmt: skip
