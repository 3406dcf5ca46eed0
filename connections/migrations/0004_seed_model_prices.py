"""The Prices table starts from the provider records' list prices (each dated, with the
pricing page to check it against). They are read from the records of the version that runs
this migration, so a new install starts from the newest list this code knows; after that the
table is the admins' (a price they edited or deleted is never brought back)."""

from django.db import migrations


def seed(apps, schema_editor):
    from connections.llm import seed_prices  # the provider records, through the seam

    ModelPrice = apps.get_model("connections", "ModelPrice")
    rows = ModelPrice.objects.using(schema_editor.connection.alias)
    for provider, prices in seed_prices().items():
        for price in prices:
            rows.get_or_create(
                provider=provider,
                model=price.model,
                defaults={
                    "input_usd_per_million": price.input_usd_per_million,
                    "output_usd_per_million": price.output_usd_per_million,
                    "checked_on": price.as_of,
                    "note": price.note,
                },
            )


class Migration(migrations.Migration):
    dependencies = [
        ("connections", "0003_modelprice"),
    ]

    operations = [
        # Reversed, the table's rows stay for 0003's reversal to drop with the table.
        migrations.RunPython(seed, migrations.RunPython.noop),
    ]
