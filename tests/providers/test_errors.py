"""HTTP failures become the error hierarchy, with messages that say what to try."""

import httpx
import pytest

import providers
from providers import init_chat_model
from providers.http_errors import error_from_stream_payload
from tests.providers.conftest import (
    Recorder,
    recording_sleep,
    sse,
    sse_response,
    text_chunk,
    transcript,
)

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


AZURE_429 = (
    "Requests to the ChatCompletions_Create Operation under Azure OpenAI API version 2024-10-21 "
    "have exceeded token rate limit of your current OpenAI S0 pricing tier. Please retry after 2 "
    "seconds. Please go here: https://aka.ms/oai/quotaincrease if you would like to further "
    "increase the default rate limit."
)
GEMINI_QUOTA = (
    "You exceeded your current quota, please check your plan and billing details. For more "
    "information on this error, head to: https://ai.google.dev/gemini-api/docs/rate-limits."
)


def gemini_429(quota_id: str, retry_delay: str | None) -> dict:
    details = [{"@type": "type.googleapis.com/google.rpc.QuotaFailure",
                "violations": [{"quotaMetric": "generativelanguage.googleapis.com/generate_content_free_tier_requests",
                                "quotaId": quota_id}]}]  # fmt: skip
    if retry_delay:
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": retry_delay}
        )
    return {"error": {"code": 429, "message": GEMINI_QUOTA, "status": "RESOURCE_EXHAUSTED",
                      "details": details}}  # fmt: skip


GATEWAYS = {
    "openai": ("openai:gpt-4.1-mini", {}),
    "groq": ("groq:llama-3.3-70b-versatile", {}),
    "huggingface": ("huggingface:meta-llama/Llama-3.3-70B-Instruct", {}),
    "azure_openai": ("azure_openai:gpt-4o", {"api_version": "2024-10-21"}),
    "anthropic": ("anthropic:claude-sonnet-4-5", {}),
    "google_genai": ("google_genai:gemini-2.5-flash", {}),
    "ollama": ("ollama:gpt-oss:120b-cloud", {}),
    "bedrock": ("bedrock:anthropic.claude-3-haiku-20240307-v1:0", {"region": "us-east-1"}),
}


def first_429(provider: str, body, headers=None) -> providers.RateLimitError:
    name, params = GATEWAYS[provider]
    recorder = Recorder(lambda _: httpx.Response(429, json=body, headers=headers or {}))
    model = init_chat_model(name, api_key="key-for-the-test", base_url="http://127.0.0.1:9/v1",
                            transport=recorder.transport, max_retries=0, **params)  # fmt: skip
    with pytest.raises(providers.RateLimitError) as caught:
        model.invoke("x")
    return caught.value


@pytest.mark.parametrize(
    ("provider", "body", "headers", "retryable", "retry_after"),
    [
        ("openai", {"error": {"message": "Rate limit reached for gpt-4.1-mini in organization org-x on "
         "tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 2s.",
         "type": "tokens", "param": None, "code": "rate_limit_exceeded"}}, {}, True, None),
        ("openai", {"error": {"message": "You exceeded your current quota, please check your plan and "
         "billing details.", "type": "insufficient_quota", "param": None, "code": "insufficient_quota"}},
         {}, False, None),
        # Azure's ordinary rate limit: "quota" is only in its link, and it says when to retry.
        ("azure_openai", {"error": {"code": "429", "message": AZURE_429}},
         {"retry-after": "2", "retry-after-ms": "2000"}, True, 2.0),
        ("anthropic", {"type": "error", "error": {"type": "rate_limit_error", "message":
         "Number of request tokens has exceeded your per-minute rate limit; see the response "
         "headers for current usage. Please reduce the prompt length or the maximum tokens "
         "requested, or try again later."}}, {"retry-after": "9"}, True, 9.0),
        # Gemini's per-minute quota says when to come back (RetryInfo); a daily one does not.
        ("google_genai", gemini_429("GenerateRequestsPerMinutePerProjectPerModel-FreeTier", "37s"),
         {}, True, 37.0),
        ("google_genai", gemini_429("GenerateRequestsPerDayPerProjectPerModel-FreeTier", None),
         {}, False, None),
        ("groq", {"error": {"message": "Rate limit reached for model `llama-3.3-70b-versatile` in "
         "organization `org_x` service tier `on_demand` on tokens per minute (TPM): Limit 6000, Used "
         "5000, Requested 2000. Please try again in 10s. Need more tokens? Upgrade to Dev Tier today "
         "at https://console.groq.com/settings/billing", "type": "tokens", "code": "rate_limit_exceeded"}},
         {"retry-after": "10"}, True, 10.0),
        # Ollama's cloud answers a string; an hourly usage limit does not clear in seconds.
        ("ollama", {"error": "you've reached your hourly usage limit, please wait or upgrade to continue"},
         {}, False, None),
        ("bedrock", {"message": "Too many tokens, please wait before trying again."},
         {"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"},
         True, None),
        # The Hugging Face router: its own string error, and a provider's error passed on.
        ("huggingface", {"error": "Too many requests, please slow down."}, {}, True, None),
        ("huggingface", {"error": {"message": "Rate limit exceeded, retry later",
         "type": "rate_limit_error", "code": 429}}, {}, True, None),
    ],
    ids=["openai-rate", "openai-quota", "azure-rate", "anthropic-rate", "gemini-per-minute",
         "gemini-daily", "groq-tpm", "ollama-usage-limit", "bedrock-throttling", "hf-string",
         "hf-passed-on"],
)  # fmt: skip
def test_each_providers_429_is_a_rate_limit_or_an_exhausted_quota(
    provider, body, headers, retryable, retry_after
):
    error = first_429(provider, body, headers)
    assert (error.retryable, error.retry_after) == (retryable, retry_after)
    if retryable:
        assert str(error).startswith("Rate limited by the provider (HTTP 429)")
    else:
        assert str(error).startswith("The account is out of quota (HTTP 429)")
        assert "Retrying now will not help" in str(error)


def test_an_azure_rate_limit_is_retried_after_its_hint():
    delays: list[float] = []
    recorder = Recorder(
        lambda _: httpx.Response(429, json={"error": {"code": "429", "message": AZURE_429}},
                                 headers={"retry-after": "2", "retry-after-ms": "1500"}),
        lambda _: sse_response(sse(text_chunk("fine", "stop"), "[DONE]")),
    )  # fmt: skip
    model = init_chat_model("azure_openai:gpt-4o", base_url="https://r.openai.azure.com",
                            api_key="k", transport=recorder.transport, sleep=recording_sleep(delays))  # fmt: skip
    assert model.invoke("x").text == "fine"
    assert delays == [1.5]


@pytest.mark.parametrize(
    ("payload", "error_class", "retryable"),
    [
        ({"error": {"type": "rate_limit_error", "message": "slow down"}}, providers.RateLimitError, True),
        ({"error": {"message": "You exceeded your current quota", "code": "insufficient_quota"}},
         providers.RateLimitError, False),
        ({"error": {"code": 503, "message": "The model is overloaded.", "status": "UNAVAILABLE"}},
         providers.ProviderUnavailableError, True),
        ({"error": {"code": 500, "message": "An internal error has occurred.", "status": "INTERNAL"}},
         providers.ProviderUnavailableError, True),
        ({"error": "something odd"}, providers.ProviderError, False),
    ],
)  # fmt: skip
def test_an_error_inside_the_stream_is_classified_like_an_http_one(payload, error_class, retryable):
    error = error_from_stream_payload(payload, provider="openai")
    assert (type(error), error.retryable) == (error_class, retryable)
