"""Vertex AI: Gemini's body at project/location addresses with an OAuth bearer token."""

import sys

import httpx
import pytest

import providers
from providers import init_chat_model
from tests.providers.conftest import Recorder, sse_response
from tests.providers.test_gemini import events, final, part


def test_the_address_is_built_from_project_and_location_and_the_token_is_a_bearer():
    recorder = Recorder(lambda _: sse_response(events(part("hi"), final())))
    model = init_chat_model("google_vertexai:gemini-2.5-flash", api_key="ya29.token",
                            project="my-proj", location="europe-west4", transport=recorder.transport)  # fmt: skip
    assert model.invoke("x").text == "hi"
    request = recorder.requests[0]
    assert str(request.url) == (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/my-proj/locations/europe-west4"
        "/publishers/google/models/gemini-2.5-flash:streamGenerateContent?alt=sse"
    )
    assert request.headers["authorization"] == "Bearer ya29.token"
    assert "project" not in recorder.body() and "location" not in recorder.body()


def test_the_global_location_uses_the_global_host(monkeypatch):
    monkeypatch.setenv("GOOGLE_CLOUD_PROJECT", "p")
    monkeypatch.setenv("GOOGLE_CLOUD_LOCATION", "global")
    model = init_chat_model("google_vertexai:g", api_key="t")
    assert model.endpoint.startswith(
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/"
    )


def test_a_missing_project_is_refused_before_any_request():
    with pytest.raises(providers.ConfigurationError, match="GOOGLE_CLOUD_PROJECT"):
        init_chat_model("google_vertexai:g", api_key="t")


def test_without_a_token_or_google_auth_the_error_names_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "google.auth", None)  # as if google-auth were not installed
    recorder = Recorder(lambda _: sse_response(events(final())))
    model = init_chat_model("google_vertexai:g", project="p", transport=recorder.transport)
    with pytest.raises(providers.ConfigurationError, match=r"playground\[vertex\]"):
        model.invoke("x")
    assert recorder.requests == []


def test_gemini_models_are_listed_from_the_publisher_catalogue():
    catalogue = {"publisherModels": [{"name": "publishers/google/models/gemini-2.5-flash"},
                                     {"name": "publishers/google/models/imagen-4.0"}]}  # fmt: skip
    recorder = Recorder(lambda _: httpx.Response(200, json=catalogue))
    ids = providers.list_models("google_vertexai", api_key="ya29.token", project="p",
                                location="europe-west4", transport=recorder.transport)  # fmt: skip
    assert ids == ["gemini-2.5-flash"]
    request = recorder.requests[0]
    assert str(request.url) == (
        "https://europe-west4-aiplatform.googleapis.com/v1beta1/publishers/google/models"
        "?pageSize=200"
    )
    assert request.headers["authorization"] == "Bearer ya29.token"
