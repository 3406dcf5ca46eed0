"""The provider records: every fact about each provider in one place (design §2) — label,
addresses and their conventions, environment variables, capabilities, parameter ranges, the
most stop sequences, image limits, audio formats, connection options and seed prices. The
panel, the validators, media fitting and the Prices table read them; nothing restates them."""

from __future__ import annotations

import math
from dataclasses import KW_ONLY, dataclass, fields
from datetime import date
from decimal import Decimal

from providers.anthropic_messages import AnthropicChatModel
from providers.azure_openai import AzureOpenAIChatModel
from providers.bedrock import BedrockChatModel
from providers.capabilities import ALL_PARAMS, Capabilities
from providers.chat_model import BaseChatModel
from providers.errors import ConfigurationError
from providers.gemini import GeminiChatModel
from providers.ollama_chat import OllamaChatModel
from providers.openai_chat import OpenAIChatModel
from providers.vertex import VertexChatModel

MB = 2**20


@dataclass(frozen=True, slots=True)
class ParameterRanges:
    """The (low, high) a provider takes for each sampling parameter."""

    temperature: tuple[float, float] = (0.0, 2.0)
    top_p: tuple[float, float] = (0.0, 1.0)
    max_tokens: tuple[int, int] = (1, 1_000_000)
    seed: tuple[int, int] = (-(2**63), 2**63 - 1)

    def as_dict(self) -> dict[str, tuple[float, float]]:
        return {item.name: getattr(self, item.name) for item in fields(self)}


@dataclass(frozen=True, slots=True)
class ImageRules:
    """What a provider does with an image, as plain numbers: beyond `max_long_side` or
    `max_pixels` it only scales the image down itself; beyond `max_bytes` it refuses it."""

    max_long_side: int
    max_bytes: int
    max_pixels: int | None = None


OPTION_KINDS = ("text", "integer", "number", "choice")


@dataclass(frozen=True, slots=True)
class ConnectionOption:
    """A setting of a connection besides its URL and key, shown on the Connections page."""

    name: str
    label: str
    help: str
    kind: str = "text"  # one of OPTION_KINDS: integer is a whole number > 0, number any > 0
    choices: tuple[str, ...] = ()
    invalid: str = ""  # what to tell someone whose value is refused (a default per kind)
    # Passed to init_chat_model as an extra; False for what the playground applies itself.
    model_extra: bool = True

    def __post_init__(self) -> None:
        if self.kind not in OPTION_KINDS or (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"Option {self.name!r}: kind {self.kind!r}, choices {self.choices}.")

    def parse(self, text: str) -> str | int | float:
        """The value `text` stands for; ValueError saying what to type when it is none."""
        value = text.strip()
        if self.kind == "integer":
            if not (value.isascii() and value.isdigit() and int(value) > 0):
                raise ValueError(self.refusal())
            return int(value)
        if self.kind == "number":
            try:
                number = float(value)
            except ValueError:
                raise ValueError(self.refusal()) from None
            if not (math.isfinite(number) and number > 0):
                raise ValueError(self.refusal())
            return number
        if self.kind == "choice" and value not in self.choices:
            raise ValueError(self.refusal())
        return value

    def refusal(self) -> str:
        if self.invalid:
            return self.invalid
        if self.kind == "choice":
            return f"Type one of: {', '.join(self.choices)}."
        noun = "a whole number" if self.kind == "integer" else "a number"
        return f"Type {noun} greater than 0."


@dataclass(frozen=True, slots=True)
class SeedPrice:
    """A published list price (USD per million tokens) the Prices table starts with; admins
    keep the table up to date from there."""

    model: str  # a model id, or a name that prices its dated versions too
    input_usd_per_million: Decimal
    output_usd_per_million: Decimal
    as_of: date  # when the price was known to be right
    source: str  # the pricing page to check it against
    detail: str = ""  # what the price leaves out (long-prompt tiers, audio input)

    @property
    def note(self) -> str:
        said = f"list price as of {self.as_of:%B %Y}, check {self.source}"
        return f"{said}; {self.detail}" if self.detail else said


def _price_list(as_of: date, source: str, *rows: tuple[str, ...]) -> tuple[SeedPrice, ...]:
    """(model, input, output[, detail]) rows from one pricing page, known right on `as_of`."""
    return tuple(
        SeedPrice(model, Decimal(usd_in), Decimal(usd_out), as_of, source, *detail)
        for model, usd_in, usd_out, *detail in rows
    )


REQUESTS_PER_SECOND = ConnectionOption(
    "requests_per_second",
    "Requests per second",
    "The most requests sent through this connection per second, shared by every pane and "
    "conversation of this server, so that several panes on one provider stay under its rate "
    "limit (e.g. 2, or 0.5 for one every two seconds). Empty: no limit.",
    kind="number",
    invalid="Type a number greater than 0, e.g. 2 or 0.5, or leave it empty for no limit.",
    model_extra=False,
)
EVERY_CONNECTION: tuple[ConnectionOption, ...] = (REQUESTS_PER_SECOND,)


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One provider's record: every fact about it lives here (design §2). How it is reached,
    what it takes and honours and within which ranges, its media limits, its connections'
    options and its seed prices. The panel, the validators, media fitting and the Prices
    table read it; nothing restates it."""

    id: str
    label: str
    model_class: type[BaseChatModel]
    _: KW_ONLY
    capabilities: Capabilities
    max_stop_sequences: int
    image_limits: ImageRules
    ranges: ParameterRanges = ParameterRanges()
    # Audio formats it takes as they are (others are converted to MP3 before sending).
    audio_formats: frozenset[str] = frozenset()
    image_tokens: str = ""  # the name of its image-token formula in media/provider_rules.py
    options: tuple[ConnectionOption, ...] = ()  # its own; see connection_options
    seed_prices: tuple[SeedPrice, ...] = ()
    default_base_url: str = ""
    base_url_env: str = ""
    api_key_env: str = ""
    api_key_env_fallback: str = ""  # a second, older name for the same key
    api_key_required: bool = True
    # Body fields the provider answers with a 400 (Groq), refused before any request.
    refused_extras: tuple[str, ...] = ()
    address_from_config: bool = False
    # Extras that are credentials: kept in ModelConfig.secrets, out of bodies and reprs.
    secret_extras: tuple[str, ...] = ()

    @property
    def connection_options(self) -> tuple[ConnectionOption, ...]:
        """Its own options, then those every connection has (the rate limit)."""
        return (*self.options, *EVERY_CONNECTION)


_CHAT_COMPLETIONS_AUDIO = frozenset({"audio/wav", "audio/mpeg"})
_GEMINI_AUDIO = frozenset({"audio/wav", "audio/mpeg", "audio/aac", "audio/ogg", "audio/flac"})
_CHAT_COMPLETIONS_IMAGES = ImageRules(max_long_side=2048, max_bytes=20 * MB)
_GEMINI_IMAGES = ImageRules(max_long_side=3072, max_bytes=15 * MB)
_GEMINI_RANGES = ParameterRanges(seed=(-(2**31), 2**31 - 1))  # an int32 in the API
_UP_TO_ONE = ParameterRanges(temperature=(0.0, 1.0))
_LONG_PROMPTS = "prompts up to 200k tokens (longer ones cost more)"
_NOT_AUDIO = "text, image and video input (audio input costs more)"

_OPENAI_PRICES = _price_list(
    date(2025, 8, 15), "https://openai.com/api/pricing/",
    ("gpt-4.1", "2.00", "8.00"),
    ("gpt-4.1-mini", "0.40", "1.60"),
    ("gpt-4.1-nano", "0.10", "0.40"),
    ("gpt-4o", "2.50", "10.00"),
    ("gpt-4o-mini", "0.15", "0.60"),
    ("o3", "2.00", "8.00"),
    ("o4-mini", "1.10", "4.40"),
    ("gpt-5", "1.25", "10.00"),
    ("gpt-5-mini", "0.25", "2.00"),
    ("gpt-5-nano", "0.05", "0.40"),
)  # fmt: skip
_ANTHROPIC_PRICES = _price_list(
    date(2025, 10, 20), "https://www.anthropic.com/pricing#api",
    ("claude-opus-4-1", "15.00", "75.00"),
    ("claude-opus-4", "15.00", "75.00"),
    ("claude-sonnet-4-5", "3.00", "15.00", _LONG_PROMPTS),
    ("claude-sonnet-4", "3.00", "15.00", _LONG_PROMPTS),
    ("claude-3-7-sonnet", "3.00", "15.00"),
    ("claude-haiku-4-5", "1.00", "5.00"),
    ("claude-3-5-haiku", "0.80", "4.00"),
)  # fmt: skip
_GEMINI_PRICES = _price_list(
    date(2025, 7, 31), "https://ai.google.dev/gemini-api/docs/pricing",
    ("gemini-2.5-pro", "1.25", "10.00", _LONG_PROMPTS),
    ("gemini-2.5-flash", "0.30", "2.50", _NOT_AUDIO),
    ("gemini-2.5-flash-lite", "0.10", "0.40", _NOT_AUDIO),
    ("gemini-2.0-flash", "0.10", "0.40", _NOT_AUDIO),
)  # fmt: skip
_GROQ_PRICES = _price_list(
    date(2025, 8, 15), "https://groq.com/pricing",
    ("llama-3.3-70b-versatile", "0.59", "0.79"),
    ("llama-3.1-8b-instant", "0.05", "0.08"),
    ("openai/gpt-oss-120b", "0.15", "0.75"),
    ("openai/gpt-oss-20b", "0.10", "0.50"),
)  # fmt: skip

PROVIDERS: dict[str, ProviderSpec] = {
    "openai": ProviderSpec(
        "openai",
        "OpenAI",
        OpenAIChatModel,
        # audio on the gpt-*-audio models only (capabilities.FAMILIES), wav/mp3
        capabilities=Capabilities(images=True, audio=True, image_detail=True),
        max_stop_sequences=4,
        image_limits=_CHAT_COMPLETIONS_IMAGES,
        audio_formats=_CHAT_COMPLETIONS_AUDIO,
        image_tokens="openai_tiles",
        seed_prices=_OPENAI_PRICES,
        default_base_url="https://api.openai.com/v1",
        base_url_env="OPENAI_BASE_URL",
        api_key_env="OPENAI_API_KEY",
    ),
    "azure_openai": ProviderSpec(
        "azure_openai",
        "Azure OpenAI",
        AzureOpenAIChatModel,
        capabilities=Capabilities(images=True, audio=True, image_detail=True),
        max_stop_sequences=4,
        image_limits=_CHAT_COMPLETIONS_IMAGES,
        audio_formats=_CHAT_COMPLETIONS_AUDIO,
        image_tokens="openai_tiles",
        options=(
            ConnectionOption(
                "api_version",
                "API version",
                "e.g. 2024-10-21 for deployment URLs; empty uses the v1 API.",
            ),
        ),
        base_url_env="AZURE_OPENAI_ENDPOINT",
        api_key_env="AZURE_OPENAI_API_KEY",
    ),
    "anthropic": ProviderSpec(
        "anthropic",
        "Anthropic",
        AnthropicChatModel,
        capabilities=Capabilities(images=True, audio=False, params=ALL_PARAMS - {"seed"}),
        max_stop_sequences=16,
        # It scales anything over 1568 px or ~1.15 megapixels down itself (latency only) and
        # refuses images over 5 MB.
        image_limits=ImageRules(max_long_side=1568, max_bytes=5 * MB, max_pixels=1_150_000),
        ranges=_UP_TO_ONE,
        image_tokens="claude_pixels",
        seed_prices=_ANTHROPIC_PRICES,
        default_base_url="https://api.anthropic.com/v1",
        base_url_env="ANTHROPIC_BASE_URL",
        api_key_env="ANTHROPIC_API_KEY",
    ),
    "groq": ProviderSpec(
        "groq",
        "Groq",
        OpenAIChatModel,
        capabilities=Capabilities(images=True, audio=False, image_detail=True),
        max_stop_sequences=4,
        # Over 4 MB of base64 (3 MB of image) or 33 megapixels it refuses the image.
        image_limits=ImageRules(max_long_side=2048, max_bytes=3 * MB, max_pixels=33_000_000),
        seed_prices=_GROQ_PRICES,
        default_base_url="https://api.groq.com/openai/v1",
        api_key_env="GROQ_API_KEY",
        refused_extras=("logprobs", "logit_bias", "top_logprobs", "n"),
    ),
    "huggingface": ProviderSpec(
        "huggingface",
        "Hugging Face router",
        OpenAIChatModel,
        capabilities=Capabilities(images=True, audio=False, image_detail=True),
        max_stop_sequences=4,
        image_limits=_CHAT_COMPLETIONS_IMAGES,
        default_base_url="https://router.huggingface.co/v1",
        api_key_env="HF_TOKEN",
    ),
    "google_genai": ProviderSpec(
        "google_genai",
        "Google Gemini",
        GeminiChatModel,
        capabilities=Capabilities(images=True, audio=True),
        max_stop_sequences=5,
        image_limits=_GEMINI_IMAGES,
        ranges=_GEMINI_RANGES,
        audio_formats=_GEMINI_AUDIO,
        image_tokens="gemini_tiles",
        seed_prices=_GEMINI_PRICES,
        default_base_url="https://generativelanguage.googleapis.com/v1beta",
        api_key_env="GOOGLE_API_KEY",
        api_key_env_fallback="GEMINI_API_KEY",
    ),
    "google_vertexai": ProviderSpec(
        "google_vertexai",
        "Google Vertex AI",
        VertexChatModel,
        capabilities=Capabilities(images=True, audio=True),
        max_stop_sequences=5,
        image_limits=_GEMINI_IMAGES,
        ranges=_GEMINI_RANGES,
        audio_formats=_GEMINI_AUDIO,
        image_tokens="gemini_tiles",
        options=(
            ConnectionOption("project", "Project", "Empty uses GOOGLE_CLOUD_PROJECT."),
            ConnectionOption(
                "location", "Location", "e.g. europe-west4 or global; default us-central1."
            ),
        ),
        api_key_required=False,  # a token from Application Default Credentials otherwise
        address_from_config=True,
    ),
    "bedrock": ProviderSpec(
        "bedrock",
        "Amazon Bedrock",
        BedrockChatModel,
        capabilities=Capabilities(images=True, audio=True, params=ALL_PARAMS - {"seed"}),
        max_stop_sequences=16,
        image_limits=ImageRules(max_long_side=1568, max_bytes=3 * MB + 3 * MB // 4),
        ranges=_UP_TO_ONE,
        audio_formats=frozenset(
            {
                "audio/wav",
                "audio/mpeg",
                "audio/aac",
                "audio/ogg",
                "audio/flac",
                "audio/mp4",
                "audio/webm",
            }
        ),
        image_tokens="claude_pixels_on_claude_models",
        options=(
            ConnectionOption("region", "Region", "e.g. us-east-1; empty uses AWS_REGION."),
            ConnectionOption(
                "aws_access_key_id",
                "AWS access key ID",
                "With it, the API key field holds its secret access key. Without it, the API "
                "key field is a Bedrock API key, or leave both empty for the server's AWS "
                "credentials.",
            ),
            ConnectionOption(
                "credentials_profile_name",
                "AWS profile",
                "A profile in the server's ~/.aws files (when no key is given).",
            ),
        ),
        api_key_env="AWS_BEARER_TOKEN_BEDROCK",
        api_key_required=False,  # SigV4 with the usual AWS credentials otherwise
        address_from_config=True,
        secret_extras=("aws_secret_access_key", "aws_session_token"),
    ),
    "ollama": ProviderSpec(
        "ollama",
        "Ollama",
        OllamaChatModel,
        capabilities=Capabilities(images=True, audio=False),
        max_stop_sequences=16,
        image_limits=_CHAT_COMPLETIONS_IMAGES,
        options=(
            ConnectionOption(
                "num_ctx",
                "Context window (num_ctx)",
                "Tokens of history the model keeps, e.g. 32768. Ollama's default (often 4096) "
                "silently drops the start of long chats; more needs more memory.",
                kind="integer",
                invalid="Type a whole number of tokens, e.g. 32768.",
            ),
        ),
        default_base_url="http://localhost:11434",
        base_url_env="OLLAMA_HOST",
        api_key_env="OLLAMA_API_KEY",
        api_key_required=False,
    ),
    "openai_compatible": ProviderSpec(
        "openai_compatible",
        "OpenAI-compatible server",
        OpenAIChatModel,
        # as the server's model allows
        capabilities=Capabilities(images=True, audio=True, image_detail=True),
        max_stop_sequences=4,
        image_limits=_CHAT_COMPLETIONS_IMAGES,
        audio_formats=_CHAT_COMPLETIONS_AUDIO,
        options=(
            ConnectionOption(
                "json_schema_style",
                "Structured output style",
                "openai (default), or tgi for Hugging Face TGI servers.",
                kind="choice",
                choices=("openai", "tgi"),
            ),
        ),
        base_url_env="OPENAI_BASE_URL",
        api_key_required=False,
    ),
}


def provider_spec(provider: str) -> ProviderSpec:
    if provider in PROVIDERS:
        return PROVIDERS[provider]
    raise ConfigurationError(
        f"Unknown provider {provider!r}. Known providers: {', '.join(sorted(PROVIDERS))}."
    )
