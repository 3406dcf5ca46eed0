"""Playground's provider layer: LangChain's chat-model concept over plain httpx.

Pure Python; never imports Django (a test proves it).
"""

from providers.capabilities import CAPABILITIES, Capabilities, capabilities
from providers.chat_model import BaseChatModel, ModelConfig
from providers.errors import (
    AuthenticationError,
    BadRequestError,
    ConfigurationError,
    MalformedResponseError,
    ProviderError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitError,
    UnsupportedFeatureError,
)
from providers.events import (
    FinishEvent,
    ReasoningDelta,
    RequestEvent,
    RetryEvent,
    StreamEvent,
    TextDelta,
    ToolCall,
    ToolCallEvent,
    Usage,
    UsageEvent,
)
from providers.http_client import aclose_clients
from providers.messages import Audio, Image, Message, assistant, system, tool_result, user
from providers.rate_limiter import InMemoryRateLimiter
from providers.records import PROVIDERS
from providers.registry import alist_models, init_chat_model, list_models
from providers.response import Response
from providers.secrets import scrub_error, scrub_secrets

__all__ = [
    "CAPABILITIES",
    "PROVIDERS",
    "Audio",
    "AuthenticationError",
    "BadRequestError",
    "BaseChatModel",
    "Capabilities",
    "ConfigurationError",
    "FinishEvent",
    "Image",
    "InMemoryRateLimiter",
    "MalformedResponseError",
    "Message",
    "ModelConfig",
    "ProviderError",
    "ProviderTimeoutError",
    "ProviderUnavailableError",
    "RateLimitError",
    "ReasoningDelta",
    "RequestEvent",
    "Response",
    "RetryEvent",
    "StreamEvent",
    "TextDelta",
    "ToolCall",
    "ToolCallEvent",
    "UnsupportedFeatureError",
    "Usage",
    "UsageEvent",
    "aclose_clients",
    "alist_models",
    "assistant",
    "capabilities",
    "init_chat_model",
    "list_models",
    "scrub_error",
    "scrub_secrets",
    "system",
    "tool_result",
    "user",
]
