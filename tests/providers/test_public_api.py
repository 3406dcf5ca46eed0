"""The public API is listed in __all__, and providers never imports Django."""

import subprocess
import sys
from pathlib import Path

import providers

ROOT = Path(__file__).resolve().parents[2]

PUBLIC_API = {
    "CAPABILITIES", "Capabilities", "capabilities",
    "PROVIDERS", "Audio", "AuthenticationError", "BadRequestError", "BaseChatModel",
    "ConfigurationError", "FinishEvent", "Image", "InMemoryRateLimiter", "MalformedResponseError",
    "Message", "ModelConfig", "ProviderError", "ProviderTimeoutError", "ProviderUnavailableError",
    "RateLimitError", "ReasoningDelta", "Response", "RetryEvent", "StreamEvent", "TextDelta",
    "ToolCall", "ToolCallEvent", "UnsupportedFeatureError", "Usage", "UsageEvent", "alist_models",
    "assistant", "init_chat_model", "list_models", "scrub_error", "scrub_secrets", "system",
    "tool_result", "user", "RequestEvent", "aclose_clients",
}  # fmt: skip


def test_the_public_api_is_exactly_what_all_lists():
    assert set(providers.__all__) == PUBLIC_API
    assert all(hasattr(providers, name) for name in providers.__all__)


def test_every_error_is_a_provider_error_and_says_whether_to_retry():
    for name in providers.__all__:
        value = getattr(providers, name)
        if isinstance(value, type) and name.endswith("Error"):
            assert issubclass(value, providers.ProviderError)
            assert isinstance(value.retryable, bool)


def test_providers_imports_without_django():
    script = (
        "import sys\n"
        "class NoDjango:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name == 'django' or name.startswith('django.'):\n"
        "            raise ImportError('providers must not import django')\n"
        "sys.meta_path.insert(0, NoDjango())\n"
        "import providers, providers.openai_chat, providers.registry\n"
        "print('ok')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"


def test_every_provider_has_its_capabilities_listed():
    assert set(providers.CAPABILITIES) == set(providers.PROVIDERS)
    assert providers.capabilities("anthropic").audio is False
    assert "seed" not in providers.capabilities("anthropic").params
    assert (
        providers.capabilities("google_genai").summary()
        == "text, images, audio · tools · structured output"
    )
