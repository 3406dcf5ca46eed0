"""Scrubbing secret values from text and errors: the forms a secret takes, the excerpt that
cuts one, the chained exceptions we cannot rewrite, and what a model says it holds."""

import traceback

import pydantic
import pytest

import providers
from providers import init_chat_model, scrub_error, scrub_secrets
from providers.secrets import RESOLVED_KEPT, ResolvedSecrets, clip

SECRET = "sk-Tq4/very+secret'key\\0123456789"


@pytest.mark.parametrize(
    "shown",
    [
        SECRET,
        '"sk-Tq4/very+secret\'key\\\\0123456789"',  # JSON-escaped
        "sk-Tq4\\/very+secret'key\\\\0123456789",  # JSON with '/' escaped too
        repr(SECRET),  # quoted by repr() in an excerpt
        "sk-Tq4%2Fvery%2Bsecret%27key%5C0123456789",  # percent-encoded in a URL
    ],
    ids=["as-is", "json", "json-slashes", "repr", "url"],
)
def test_a_secret_is_scrubbed_in_every_form_text_shows_it_in(shown):
    scrubbed = scrub_secrets(f"upstream said: {shown} is revoked", [SECRET])
    assert "Tq4" not in scrubbed and "[redacted]" in scrubbed


def test_a_secret_cut_short_by_an_excerpt_leaves_no_prefix_behind():
    text = f"arguments: {clip('x' * 20 + SECRET, 30)!r}"
    assert SECRET[:10] in text  # what a plain replace would have missed
    assert scrub_secrets(text, [SECRET]) == f"arguments: {'x' * 20!r}"[:-1] + "[redacted]…'"


def test_values_shorter_than_four_characters_are_left_alone():
    """They would destroy ordinary text ("abc" in every word that has it), and no real
    credential is that short."""
    assert scrub_secrets("abc and 42", ["abc", "42", None, ""]) == "abc and 42"
    assert scrub_secrets("abcd", ["abcd"]) == "[redacted]"


def test_a_secret_that_contains_another_is_replaced_whole():
    assert scrub_secrets("key=abcdefgh", ["abcd", "abcdefgh"]) == "key=[redacted]"


def test_an_error_is_scrubbed_in_message_body_args_attributes_and_notes():
    error = providers.BadRequestError(f"bad key {SECRET}", provider="openai", body=SECRET)
    error.add_note(f"sent with {SECRET}")
    assert scrub_error(error, [SECRET]) is error
    for text in (str(error), error.body, repr(error), repr(vars(error)), str(error.__notes__)):
        assert SECRET not in text


def test_a_chained_exception_that_quotes_a_secret_is_cut_from_the_chain():
    class Prime(pydantic.BaseModel):
        value: int

    try:
        try:
            Prime.model_validate({"value": SECRET})  # pydantic quotes the input value
        except pydantic.ValidationError as cause:
            raise providers.MalformedResponseError(f"does not fit: {SECRET}") from cause
    except providers.MalformedResponseError as caught:
        error = caught
    assert SECRET in "".join(traceback.format_exception(error))
    scrub_error(error, [SECRET])
    assert error.__cause__ is None
    assert SECRET not in "".join(traceback.format_exception(error))


def test_a_chained_exception_that_quotes_nothing_is_kept():
    try:
        try:
            raise ValueError("Expecting value: line 1 column 1 (char 0)")
        except ValueError as cause:
            raise providers.MalformedResponseError(f"not JSON: {SECRET}") from cause
    except providers.MalformedResponseError as caught:
        error = caught
    scrub_error(error, [SECRET])
    assert isinstance(error.__cause__, ValueError)


def test_a_model_lists_its_key_its_other_credentials_and_those_it_resolved():
    model = init_chat_model(
        "bedrock:m", region="us-east-1", aws_access_key_id="AKID",
        aws_secret_access_key="the-secret-key", aws_session_token="the-token", api_key="abc",
    )  # fmt: skip
    assert set(model.secret_values()) == {"the-secret-key", "the-token"}  # "abc" is too short
    model.resolved_secrets.add("a-resolved-token")
    derived = model.bind_tools([{"name": "f"}])
    assert "a-resolved-token" in derived.secret_values()  # shared with derived models


def test_only_the_newest_resolved_credentials_are_kept():
    resolved = ResolvedSecrets()
    resolved.add(*(f"token-{number:04d}" for number in range(RESOLVED_KEPT + 10)))
    values = resolved.values()
    assert len(values) == RESOLVED_KEPT
    assert f"token-{RESOLVED_KEPT + 9:04d}" in values and "token-0000" not in values
