"""Model answers as sanitised Markdown with highlighted code.

markdown-it-py renders, Pygments highlights fenced code, nh3 removes anything that could
run in the browser. Rendering is cached by content because history pages re-render.
"""

from __future__ import annotations

import json
from functools import lru_cache

import nh3
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexers import get_lexer_by_name
from pygments.util import ClassNotFound

_FORMATTER = HtmlFormatter(nowrap=True)

ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "s", "code", "pre", "blockquote", "ul", "ol",
    "li", "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
    "div", "span", "sup", "sub",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "div": {"class"},
    "span": {"class"},
    "code": {"class"},
    "pre": {"class"},
    "th": {"align"},
    "td": {"align"},
    "ol": {"start"},
}


def _highlight(code: str, language: str, _attrs: str) -> str:
    try:
        lexer = get_lexer_by_name(language.strip().split()[0]) if language.strip() else None
    except ClassNotFound:
        lexer = None
    body = escape(code) if lexer is None else highlight(code, lexer, _FORMATTER)
    # Starting with <pre tells markdown-it not to wrap it again.
    return f'<pre class="highlight"><code>{body}</code></pre>'


# Images are not rendered: a remote <img> in a model's answer would be a tracking pixel.
_MARKDOWN = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "highlight": _highlight})
    .enable("table")
    .enable("strikethrough")
)


@lru_cache(maxsize=512)
def _render(text: str) -> str:
    html = _MARKDOWN.render(text)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def render_markdown(text: str) -> SafeString:
    return mark_safe(_render(text or ""))  # noqa: S308 - sanitised by nh3 above


def highlight_css() -> str:
    """Pygments styles for light and dark, scoped to `.highlight`."""
    light = HtmlFormatter(style="default").get_style_defs(".highlight")
    dark = HtmlFormatter(style="monokai").get_style_defs(".highlight")
    return f"{light}\n@media (prefers-color-scheme: dark) {{\n{dark}\n}}\n"


_JSON_LEXER = get_lexer_by_name("json")


def render_json(text: str) -> SafeString:
    """JSON pretty-printed and highlighted; text that is not JSON is shown escaped as it is."""
    try:
        pretty = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return mark_safe(f'<pre class="highlight"><code>{escape(text)}</code></pre>')  # noqa: S308
    body = highlight(pretty, _JSON_LEXER, _FORMATTER)  # Pygments escapes what it emits
    return mark_safe(f'<pre class="highlight"><code>{body}</code></pre>')  # noqa: S308
