"""HTTP failures become the error hierarchy, with messages that say what to try."""

import httpx
import pytest

import providers
from providers import init_chat_model
from tests.providers.conftest import Recorder, transcript

KEY = "sk-secret-key-which-must-never-show-4321"


def fail_with(response_factory, **params):
    recorder = Recorder(response_factory)
    model = init_chat_model(
        "openai_compatible:m", base_url="http://127.0.0.1:9/v1", api_key=KEY,
        transport=recorder.transport, max_retries=params.pop("max_retries", 0), **params,
    )  # fmt: skip
    with pytest.raises(providers.ProviderError) as caught:
        model.invoke("x")
    return caught.value, recorder


@pytest.mark.parametrize(
    ("status", "body", "error_class", "words"),
    [
        (401, {"error": {"message": "Incorrect API key provided"}}, providers.AuthenticationError, "API key"),
        (403, {"error": {"message": "forbidden"}}, providers.AuthenticationError, "credentials"),
        (404, {"error": {"message": "The model `m` does not exist", "code": "model_not_found"}},
         providers.BadRequestError, "Pick a model"),
        (429, {"error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}},
         providers.RateLimitError, "Rate limited"),
        (429, {"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}},
         providers.RateLimitError, "out of quota"),
        (500, {"error": {"message": "boom"}}, providers.ProviderUnavailableError, "server error"),
        (529, {"error": {"message": "overloaded"}}, providers.ProviderUnavailableError, "HTTP 529"),
        (400, {"error": {"message": "bad", "type": "BadRequestError", "code": 400}},
         providers.BadRequestError, "rejected the request"),
        # TGI (pitfall 28): a string error beside its error_type; 424 is a generation failure.
        (422, {"error": "Input validation error: `inputs` must have less than 4096 tokens",
               "error_type": "validation"}, providers.BadRequestError, "less than 4096 tokens"),
        (424, {"error": "Request failed during generation: CUDA out of memory",
               "error_type": "generation"}, providers.ProviderUnavailableError, "failed to generate"),
        # vLLM without automatic tool choice (pitfall 29): the fix is named.
        (400, {"object": "error", "message": '"auto" tool choice requires --enable-auto-tool-choice '
               "and --tool-call-parser to be set", "type": "BadRequestError", "code": 400},
         providers.BadRequestError, "start it with --enable-auto-tool-choice"),
    ],
)  # fmt: skip
def test_each_status_maps_to_its_error_class(status, body, error_class, words):
    error, _ = fail_with(lambda _: httpx.Response(status, json=body))
    assert type(error) is error_class
    assert words in str(error)
    assert error.status_code == status


def test_a_provider_message_that_ends_a_sentence_is_not_given_a_second_full_stop():
    body = {"error": {"message": "The model `m` does not exist or you do not have access to it.",
                      "code": "model_not_found"}}  # fmt: skip
    error, _ = fail_with(lambda _: httpx.Response(404, json=body))
    assert "access to it. Pick a model" in str(error)
    assert ".." not in str(error)


def test_the_llamacpp_error_body_is_read():
    body = transcript("llamacpp-openai-error-400.json")
    error, _ = fail_with(lambda _: httpx.Response(400, content=body))
    assert "'messages' is required" in str(error)


def test_an_html_error_page_from_a_proxy_becomes_a_short_readable_excerpt():
    page = "<html><head><style>p{}</style></head><body><h1>502 Bad Gateway</h1><p>nginx</p></body></html>"
    error, _ = fail_with(
        lambda _: httpx.Response(502, text=page, headers={"content-type": "text/html"})
    )
    assert "502 Bad Gateway nginx" in str(error)
    assert "<" not in str(error)


def test_the_api_key_never_appears_in_an_error_even_when_the_server_echoes_it():
    body = {"error": {"message": f"Incorrect API key provided: {KEY}"}}
    error, _ = fail_with(lambda _: httpx.Response(401, json=body))
    assert KEY not in str(error)
    assert KEY not in (error.body or "")
    assert KEY not in repr(error.args)


def test_quota_errors_are_not_retried_but_rate_limits_are():
    quota = {"error": {"message": "quota", "code": "insufficient_quota"}}
    error, recorder = fail_with(lambda _: httpx.Response(429, json=quota), max_retries=3)
    assert error.retryable is False
    assert len(recorder.requests) == 1


def test_x_should_retry_false_overrides_a_retryable_status():
    error, recorder = fail_with(
        lambda _: httpx.Response(503, json={"error": {"message": "no"}}, headers={"x-should-retry": "false"}),
        max_retries=2,
    )  # fmt: skip
    assert error.retryable is False
    assert len(recorder.requests) == 1


def test_a_refused_connection_names_the_host_and_port():
    model = init_chat_model("openai_compatible:m", base_url="http://127.0.0.1:1/v1", max_retries=0)
    with pytest.raises(providers.ProviderUnavailableError, match=r"127\.0\.0\.1:1\b.*running"):
        model.invoke("x")


def test_a_read_timeout_is_a_timeout_error():
    def slow(request):
        raise httpx.ReadTimeout("timed out", request=request)

    error, _ = fail_with(slow)
    assert isinstance(error, providers.ProviderTimeoutError)
    assert "waiting for data" in str(error)


def test_a_tgi_generation_failure_is_not_retried():
    body = {"error": "Request failed during generation", "error_type": "generation"}
    error, recorder = fail_with(lambda _: httpx.Response(424, json=body), max_retries=2)
    assert not error.retryable and len(recorder.requests) == 1
