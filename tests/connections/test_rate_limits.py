"""A connection's "Requests per second": one limiter per connection, shared by every model
built for it in this process (six panes on one provider stay under its rate limit)."""

from __future__ import annotations

import pytest

from connections.llm import chat_model_for, connection_options, rate_limiter_for
from connections.models import Connection

pytestmark = pytest.mark.django_db


def test_two_models_of_one_connection_share_one_limiter(make_connection):
    connection = make_connection(options={"requests_per_second": "4"})
    first = chat_model_for(connection, "m", {})
    second = chat_model_for(Connection.objects.get(pk=connection.pk), "other", {"seed": 1})
    limiter = first.config.rate_limiter
    assert limiter is not None and second.config.rate_limiter is limiter
    assert (limiter.requests_per_second, limiter.max_bucket_size) == (4.0, 4.0)
    assert "requests_per_second" not in first.config.extra  # never sent to the provider
    assert "requests_per_second" not in connection_options(connection)


def test_a_new_rate_gives_a_new_limiter_and_other_connections_their_own(make_connection):
    connection = make_connection(options={"requests_per_second": "0.5"})
    slow = rate_limiter_for(connection)
    assert slow.max_bucket_size == 1  # at least one request may always go
    other = make_connection(options={"requests_per_second": "0.5"})
    assert rate_limiter_for(other) is not slow
    connection.options = {"requests_per_second": "3"}
    faster = rate_limiter_for(connection)
    assert faster is not slow and faster.requests_per_second == 3
    assert rate_limiter_for(connection) is faster


def test_no_rate_means_no_limiter(make_connection):
    assert chat_model_for(make_connection(), "m", {}).config.rate_limiter is None


def add(client, **fields):
    data = {"team": "site", "kind": "anthropic", "name": "Claude", "base_url": "",
            "api_key": "sk-ant-1234", **fields}  # fmt: skip
    return client.post("/connections/", data)


def test_every_kind_has_the_rate_option_with_its_help_on_the_page(admin_client):
    page = admin_client.get("/connections/").content.decode()
    assert page.count('name="option_requests_per_second"') == 1
    assert "Requests per second" in page and "stay under its rate limit" in page
    assert "data-kind" not in page.split('name="option_requests_per_second"')[1].split(">")[0]


@pytest.mark.parametrize("value", ["0", "-1", "fast", "nan", "inf"])
def test_a_rate_that_is_not_a_positive_number_is_refused(admin_client, value):
    answer = add(admin_client, option_requests_per_second=value).content.decode()
    assert "Type a number greater than 0, e.g. 2 or 0.5" in answer
    assert not Connection.objects.exists()


def test_a_rate_is_saved_and_reaches_the_model(admin_client):
    assert add(admin_client, option_requests_per_second=" 2.5 ").status_code == 302
    connection = Connection.objects.get()
    assert connection.options == {"requests_per_second": "2.5"}
    assert (
        chat_model_for(connection, "claude-haiku-4-5", {}).config.rate_limiter.requests_per_second
        == 2.5
    )
