"""The README's provider × feature table says what the capability data says."""

import re
from pathlib import Path

import pytest

from providers import CAPABILITIES, PROVIDERS

README = Path(__file__).resolve().parents[2] / "README.md"
COLUMNS = ["id", "streaming", "sampling", "seed", "images", "audio", "tools", "structured",
           "models"]  # fmt: skip


def table_rows() -> dict[str, dict[str, str]]:
    rows = {}
    for line in README.read_text().splitlines():
        if line.startswith("| `") and line.count("|") == len(COLUMNS) + 1:
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = dict(zip(COLUMNS, cells, strict=True))
    return rows


def test_every_provider_has_a_row():
    assert set(table_rows()) == set(PROVIDERS) == set(CAPABILITIES)


@pytest.mark.parametrize("provider", sorted(CAPABILITIES))
def test_a_row_matches_the_capabilities(provider):
    row, caps = table_rows()[provider], CAPABILITIES[provider]
    said = {name: not row[name].startswith("❌") for name in COLUMNS[1:]}
    assert said["seed"] == ("seed" in caps.params)
    assert said["images"] == caps.images
    assert said["audio"] == caps.audio
    assert said["tools"] == caps.tools
    assert said["structured"] == caps.structured_output
    assert said["streaming"] and said["sampling"] and said["models"]  # every provider, now


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_a_stop_limit_the_table_names_is_the_records(provider):
    said = re.search(r"≤ (\d+) stop sequences", table_rows()[provider]["sampling"])
    if said:
        assert int(said.group(1)) == PROVIDERS[provider].max_stop_sequences
