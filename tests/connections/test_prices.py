"""What an answer costs: the price table, how a model finds its row, the arithmetic, and
the Prices page (members look, admins change)."""

from __future__ import annotations

import datetime
import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from connections import prices
from connections.llm import seed_prices
from connections.models import ModelPrice
from connections.prices import cost, price_for

pytestmark = pytest.mark.django_db
CHECKED = datetime.date(2025, 8, 15)


@pytest.fixture(autouse=True)
def empty_table():
    """Each test writes the rows it means (the seeded ones are checked on their own)."""
    ModelPrice.objects.all().delete()
    prices.forget_cached()
    yield
    prices.forget_cached()


def priced(model: str, provider: str = "", usd_in: str = "1", usd_out: str = "2") -> ModelPrice:
    return ModelPrice.objects.create(
        provider=provider, model=model, input_usd_per_million=Decimal(usd_in),
        output_usd_per_million=Decimal(usd_out), checked_on=CHECKED,
    )  # fmt: skip


def test_the_seed_migration_fills_the_table_from_the_provider_records():
    class SchemaEditor:
        class connection:  # noqa: N801 - the shape RunPython hands over
            alias = "default"

    migration = importlib.import_module("connections.migrations.0004_seed_model_prices")
    migration.seed(apps, SchemaEditor())
    wanted = {"openai": {"gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano", "gpt-4o", "gpt-4o-mini", "o3",
                         "o4-mini", "gpt-5", "gpt-5-mini", "gpt-5-nano"},
              "anthropic": {"claude-opus-4-1", "claude-opus-4", "claude-sonnet-4-5",
                            "claude-sonnet-4", "claude-3-7-sonnet", "claude-haiku-4-5",
                            "claude-3-5-haiku"},
              "google_genai": {"gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite",
                               "gemini-2.0-flash"},
              "groq": {"llama-3.3-70b-versatile", "llama-3.1-8b-instant", "openai/gpt-oss-120b",
                       "openai/gpt-oss-20b"}}  # fmt: skip
    seeded: dict[str, set[str]] = {}
    for row in ModelPrice.objects.all():
        seeded.setdefault(row.provider, set()).add(row.model)
        assert row.note.startswith("list price as of ") and ", check https://" in row.note
        assert row.checked_on <= datetime.date.today()
    assert seeded == wanted == {k: {p.model for p in v} for k, v in seed_prices().items()}
    mini = price_for("openai", "gpt-4.1-mini")
    assert (mini.input_usd_per_million, mini.output_usd_per_million) == (
        Decimal("0.4"),
        Decimal("1.6"),
    )


def test_a_thousand_in_and_five_hundred_out_on_gpt_4_1_mini():
    mini = priced("gpt-4.1-mini", "openai", "0.40", "1.60")
    assert cost(mini, 1_000, 500) == Decimal("0.0012")  # 0.0004 in + 0.0008 out
    assert cost(mini, 0, 0) == 0


@pytest.mark.parametrize(
    ("price", "tokens"), [(None, (10, 10)), ("row", (None, 10)), ("row", (10, None))]
)
def test_no_cost_without_a_price_or_a_count(price, tokens):
    row = priced("m") if price else None
    assert cost(row, *tokens) is None


def test_a_dated_version_uses_its_name_and_the_longest_name_wins():
    priced("claude-sonnet-4", "anthropic", "3", "15")
    sonnet_45 = priced("claude-sonnet-4-5", "anthropic", "3", "15")
    assert price_for("anthropic", "claude-sonnet-4-5-20250929") == sonnet_45
    assert price_for("anthropic", "claude-sonnet-4-5@20250929") == sonnet_45  # Vertex's form
    assert price_for("anthropic", "claude-sonnet-4-5-latest") == sonnet_45
    assert price_for("anthropic", "CLAUDE-SONNET-4-5") == sonnet_45


def test_a_name_does_not_price_another_model_that_begins_with_it():
    priced("o3", "openai")
    priced("claude-opus-4", "anthropic")
    assert price_for("openai", "o3-2025-04-16").model == "o3"
    assert price_for("openai", "o3-pro") is None
    assert price_for("anthropic", "claude-opus-4-5-20251101") is None  # a newer model


def test_a_trailing_star_prices_every_model_it_begins():
    everything = priced("*", "openai_compatible", "0", "0")
    llama = priced("llama-*", "openai_compatible", "0.1", "0.1")
    assert price_for("openai_compatible", "llama-3.1-8b-q4") == llama
    assert price_for("openai_compatible", "smollm2") == everything


def test_the_provider_row_comes_first_then_any_provider_and_exact_before_a_name():
    anywhere = priced("gpt-4o", "", "9", "9")
    at_openai = priced("gpt-4o", "openai", "2.5", "10")
    exact_anywhere = priced("gpt-4o-2024-08-06", "", "7", "7")
    assert price_for("openai", "gpt-4o") == at_openai
    assert price_for("openai", "gpt-4o-2024-08-06") == at_openai  # the provider's rows first
    assert price_for("azure_openai", "gpt-4o") == anywhere
    assert price_for("azure_openai", "gpt-4o-2024-08-06") == exact_anywhere
    assert price_for("groq", "llama-nothing") is None
    assert price_for("openai", "") is None


def test_prices_are_cached_but_an_edit_is_seen_at_once(django_assert_num_queries):
    row = priced("gpt-4.1", "openai", "2", "8")
    price_for("openai", "gpt-4.1")
    with django_assert_num_queries(0):
        assert price_for("openai", "gpt-4.1").input_usd_per_million == 2
    row.input_usd_per_million = Decimal("1.5")
    row.save()
    assert price_for("openai", "gpt-4.1").input_usd_per_million == Decimal("1.5")
    row.delete()
    assert price_for("openai", "gpt-4.1") is None


def test_the_cache_lasts_a_minute(monkeypatch):
    priced("gpt-4.1", "openai")
    now = [1000.0]
    monkeypatch.setattr(prices.time, "monotonic", lambda: now[0])
    price_for("openai", "gpt-4.1")
    ModelPrice.objects.filter(model="gpt-4.1").update(model="gpt-4.2")  # no signal sent
    assert price_for("openai", "gpt-4.1") is not None
    now[0] += prices.CACHE_SECONDS + 1
    assert price_for("openai", "gpt-4.1") is None


# The page


def form(**fields) -> dict[str, str]:
    return {"provider": "openai", "model": "gpt-4.1-mini", "input_usd_per_million": "0.40",
            "output_usd_per_million": "1.60", "checked_on": "2025-08-15",
            "note": "list price, check https://openai.com/api/pricing/", **fields}  # fmt: skip


def test_members_see_prices_but_cannot_change_them(member_client):
    row = priced("gpt-4.1", "openai", "2", "8")
    page = member_client.get("/connections/prices/").content.decode()
    assert "<h1>Prices</h1>" in page and "gpt-4.1" in page and "$2.00" in page
    assert "Add price" not in page and "Only admins can change prices." in page
    attempts = [
        member_client.post("/connections/prices/", form()),
        member_client.post(f"/connections/prices/{row.pk}/edit/", form()),
        member_client.post(f"/connections/prices/{row.pk}/delete/"),
        member_client.get(f"/connections/prices/{row.pk}/edit/"),
    ]
    assert [answer.status_code for answer in attempts] == [403, 403, 403, 403]
    assert ModelPrice.objects.get().model == "gpt-4.1"


def test_the_connections_page_links_to_the_prices(member_client):
    page = member_client.get("/connections/").content.decode()
    assert 'href="/connections/prices/"' in page


def test_an_admin_adds_edits_and_deletes_a_price(admin_client):
    page = admin_client.get("/connections/prices/").content.decode()
    assert "Add price" in page and "No prices yet" in page
    assert admin_client.post("/connections/prices/", form()).status_code == 302
    row = ModelPrice.objects.get()
    assert (row.provider, row.model, row.input_usd_per_million) == (
        "openai",
        "gpt-4.1-mini",
        Decimal("0.4"),
    )
    edit = admin_client.get(f"/connections/prices/{row.pk}/edit/").content.decode()
    assert ">Save</button>" in edit and 'value="gpt-4.1-mini"' in edit
    admin_client.post(f"/connections/prices/{row.pk}/edit/", form(output_usd_per_million="2"))
    assert price_for("openai", "gpt-4.1-mini").output_usd_per_million == 2  # no stale cache
    page = admin_client.get("/connections/prices/").content.decode()
    assert ">Delete</button>" in page and "$2.00" in page
    assert admin_client.post(f"/connections/prices/{row.pk}/delete/").status_code == 302
    assert not ModelPrice.objects.exists() and price_for("openai", "gpt-4.1-mini") is None


def test_any_provider_is_the_blank_choice(admin_client):
    admin_client.post("/connections/prices/", form(provider="", model="llama-*"))
    assert ModelPrice.objects.get().provider == ""
    assert "Any provider" in admin_client.get("/connections/prices/").content.decode()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"input_usd_per_million": "-1"}, "A price cannot be negative"),
        ({"output_usd_per_million": "lots"}, "Type a price in US dollars per million tokens"),
        ({"input_usd_per_million": ""}, "Type a price in US dollars per million tokens"),
        ({"model": ""}, "Type a model name"),
        ({"model": "gpt 4"}, "A model name has no spaces"),
        ({"model": "gpt-*-mini"}, "Use * only once, at the end"),
        ({"checked_on": ""}, "Type the date the price was checked"),
        ({"checked_on": "15/08/2025"}, "Type the date as YYYY-MM-DD"),
        ({"checked_on": "2999-01-01"}, "That date is in the future"),
        ({"provider": "nope"}, "Select a valid choice"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(admin_client, fields, message):
    answer = admin_client.post("/connections/prices/", form(**fields))
    assert answer.status_code == 400
    assert message in answer.content.decode()
    assert not ModelPrice.objects.exists()


def test_a_second_price_for_the_same_model_and_provider_is_refused(admin_client):
    priced("gpt-4.1-mini", "openai")
    answer = admin_client.post("/connections/prices/", form(model="GPT-4.1-mini"))
    assert answer.status_code == 400
    assert "already has a price for OpenAI; edit that one." in answer.content.decode()
    assert admin_client.post("/connections/prices/", form(provider="")).status_code == 302


def test_a_bad_edit_is_refused_and_changes_nothing(admin_client):
    row = priced("gpt-4.1", "openai", "2", "8")
    answer = admin_client.post(f"/connections/prices/{row.pk}/edit/",
                               form(model="gpt-4.1", input_usd_per_million="-2"))  # fmt: skip
    assert answer.status_code == 400 and "cannot be negative" in answer.content.decode()
    row.refresh_from_db()
    assert row.input_usd_per_million == 2


def test_missing_rows_are_404(admin_client):
    assert admin_client.get("/connections/prices/999/edit/").status_code == 404
    assert admin_client.post("/connections/prices/999/edit/", form()).status_code == 404
    assert admin_client.post("/connections/prices/999/delete/").status_code == 404
    assert admin_client.get("/connections/prices/999/delete/").status_code == 405
