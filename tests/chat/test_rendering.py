import re
from pathlib import Path

import pytest

from chat.rendering import highlight_css, render_markdown

ROOT = Path(__file__).resolve().parents[2]


def test_fenced_code_is_highlighted_by_pygments():
    html = render_markdown("```python\nprint('hi')\n```")
    assert '<pre class="highlight"><code><span class="nb">print</span>' in html


def test_code_in_an_unknown_language_is_escaped_plainly():
    html = render_markdown("```nosuchlang\n<b>x</b>\n```")
    assert "&lt;b&gt;x&lt;/b&gt;" in html


@pytest.mark.parametrize(
    "attack",
    [
        "<script>alert(1)</script>",
        "[click](javascript:alert(1))",
        '<img src=x onerror="alert(1)">',
        "```\n</pre><script>alert(1)</script>\n```",
        "<a href='https://x' onclick='alert(1)'>x</a>",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ],
)
def test_nothing_a_model_writes_can_run_in_the_browser(attack):
    html = render_markdown(attack).lower()
    assert "<script" not in html and "<img" not in html
    assert not re.search(r"<[^>]*\son\w+\s*=", html), html  # no event handler in any tag
    assert not re.search(r'href="(javascript|data):', html), html


def test_links_open_safely():
    assert 'rel="noopener noreferrer nofollow"' in render_markdown("[x](https://example.com)")


def test_tables_and_strikethrough_render():
    html = render_markdown("| a | b |\n|---|---|\n| 1 | 2 |\n\n~~gone~~")
    assert "<table>" in html and "<s>gone</s>" in html


def test_remote_images_are_not_loaded():
    assert "<img" not in render_markdown("![pixel](https://tracker.example/p.png)")


def test_the_highlight_stylesheet_is_generated_from_the_renderer():
    css = (ROOT / "static" / "css" / "highlight.css").read_text()
    assert css.split("\n", 1)[1] == highlight_css()
