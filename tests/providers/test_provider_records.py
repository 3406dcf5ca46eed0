"""One record per provider (design §2): every fact about a provider is written in its record
in providers/records.py, and everything else reads it from there."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from providers import CAPABILITIES, PROVIDERS, ConfigurationError, init_chat_model
from providers.records import ConnectionOption

ROOT = Path(__file__).resolve().parents[2]
RECORDS = ROOT / "providers" / "records.py"
KEYS = {"api_key": "k", "base_url": "http://127.0.0.1:9/v1"}


def test_every_provider_has_a_whole_record():
    for provider, spec in PROVIDERS.items():
        assert spec.id == provider
        assert spec.max_stop_sequences >= 1
        assert spec.image_limits.max_long_side > 0 and spec.image_limits.max_bytes > 0
        assert spec.connection_options[-1].name == "requests_per_second"
        for low, high in spec.ranges.as_dict().values():
            assert low < high
        assert CAPABILITIES[provider] is spec.capabilities  # read, not copied
    assert set(CAPABILITIES) == set(PROVIDERS)


@pytest.mark.parametrize(("provider", "most"), [("google_genai", 5), ("google_vertexai", 5),
                                                ("anthropic", 16), ("bedrock", 16),
                                                ("ollama", 16), ("openai", 4), ("groq", 4)])  # fmt: skip
def test_the_most_stop_sequences_are_the_records(provider, most):
    assert PROVIDERS[provider].max_stop_sequences == most
    options = {"project": "p", "region": "us-east-1"} if provider in ("google_vertexai",
                                                                    "bedrock") else {}  # fmt: skip
    init_chat_model(f"{provider}:m", stop=[f"#{n}" for n in range(most)], **KEYS, **options)
    with pytest.raises(ConfigurationError, match=f"at most {most} stop sequences"):
        init_chat_model(f"{provider}:m", stop=[f"#{n}" for n in range(most + 1)], **KEYS)


@pytest.mark.parametrize("provider", ["anthropic", "bedrock"])
def test_a_temperature_outside_the_records_range_is_refused_before_any_request(provider):
    label = PROVIDERS[provider].label
    with pytest.raises(ConfigurationError, match=f"{label}'s temperature goes from 0 to 1"):
        init_chat_model(f"{provider}:m", temperature=1.5, region="us-east-1", **KEYS)
    assert init_chat_model("openai:m", temperature=1.5, **KEYS).config.temperature == 1.5


def test_gemini_takes_a_seed_that_fits_its_int32():
    assert init_chat_model("google_genai:m", seed=2**31 - 1, **KEYS).config.seed == 2**31 - 1
    with pytest.raises(ConfigurationError, match="seed goes from -2147483648 to 2147483647"):
        init_chat_model("google_genai:m", seed=2**31, **KEYS)


@pytest.mark.parametrize(
    ("option", "text", "value"),
    [
        (ConnectionOption("n", "N", "", kind="integer"), " 32768 ", 32768),
        (ConnectionOption("r", "R", "", kind="number"), "0.5", 0.5),
        (ConnectionOption("s", "S", "", kind="choice", choices=("a", "b")), "b", "b"),
        (ConnectionOption("t", "T", ""), " us-east-1 ", "us-east-1"),
    ],
)
def test_an_option_reads_its_kind_of_value(option, text, value):
    assert option.parse(text) == value


@pytest.mark.parametrize(
    ("option", "text", "words"),
    [
        (ConnectionOption("n", "N", "", kind="integer"), "²", "whole number"),
        (ConnectionOption("n", "N", "", kind="integer"), "0", "whole number"),
        (ConnectionOption("r", "R", "", kind="number"), "inf", "number greater than 0"),
        (ConnectionOption("s", "S", "", kind="choice", choices=("a", "b")), "c", "one of: a, b"),
    ],
)
def test_an_option_says_what_to_type_instead(option, text, words):
    with pytest.raises(ValueError, match=words):
        option.parse(text)


def test_an_option_of_an_unknown_kind_is_a_mistake_in_the_record():
    with pytest.raises(ValueError, match="kind"):
        ConnectionOption("x", "X", "", kind="colour")


def project_modules() -> list[Path]:
    found = []
    for folder in ("providers", "media", "connections", "chat", "accounts", "playground"):
        found += [path for path in (ROOT / folder).rglob("*.py")
                  if "migrations" not in path.parts and path != RECORDS]  # fmt: skip
    return found


def numbers_in(path: Path) -> set[int]:
    """Every integer a module writes, folding products such as `5 * MB` (MB = 2**20)."""

    def value(node: ast.AST) -> int | None:
        if isinstance(node, ast.Constant) and type(node.value) is int:
            return node.value
        if isinstance(node, ast.Name) and node.id == "MB":
            return 2**20
        if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult | ast.Pow):
            left, right = value(node.left), value(node.right)
            if left is not None and right is not None:
                return left * right if isinstance(node.op, ast.Mult) else left**right
        return None

    tree = ast.parse(path.read_text())
    return {found for node in ast.walk(tree) if (found := value(node)) is not None}


def test_no_other_module_restates_an_image_limit_or_a_stop_limit():
    # The sides and pixel counts only a record has (2048 px is also the size uploads are
    # normalised to, media's own choice), and the byte limits that are no round number of MB
    # (5 MB, say, is also an upload setting's).
    limits = {number for spec in PROVIDERS.values()
              for number in (spec.image_limits.max_long_side, spec.image_limits.max_pixels)
              if number} - {2048}  # fmt: skip
    limits |= {spec.image_limits.max_bytes for spec in PROVIDERS.values()
               if spec.image_limits.max_bytes % 2**20}  # fmt: skip
    assert {1568, 3072, 1_150_000, 33_000_000} <= limits
    stop_limit = [re.compile(r"^\s*\w*(max|most)_?stop\w*\s*(:[^=]*)?=\s*\d", re.I | re.M),
                  re.compile(r"\bMAX_STOP")]  # fmt: skip
    restated = []
    for path in project_modules():
        clash = numbers_in(path) & limits
        if clash:
            restated.append(f"{path.relative_to(ROOT)} holds {sorted(clash)}")
        if any(pattern.search(path.read_text()) for pattern in stop_limit):
            restated.append(f"{path.relative_to(ROOT)} holds a stop limit")
    assert not restated, "\n".join(restated)
