"""The fake provider's built-in scripts, picked by model name (`fake-slow`, `fake-markdown`,
`fake-error-429`, `fake-paced-<tokens>-<ms>`, ...), and the model list it answers with."""

from __future__ import annotations

from typing import Any

MODELS = ["fake-model", "fake-slow", "fake-markdown", "fake-error-500", "fake-error-429",
          "fake-mid-stream-error", "fake-no-done", "fake-stall", "fake-fast-2000"]  # fmt: skip

SLOW_ANSWER = (
    'Here is a small example.\n\n```python\ndef greet(name):\n    return f"Hello, {name}!"\n```\n\n'
    + " ".join(f"word{i}" for i in range(200))
)
MARKDOWN_ANSWER = (
    "# Result\n\nSome **bold** text and a list:\n\n- one\n- two\n\n```python\nprint('hi')\n```\n"
)


def words(text: str) -> list[str]:
    """Split keeping spaces attached, so joining the pieces gives the text back."""
    pieces: list[str] = []
    current = ""
    for char in text:
        if char == " " and current.strip():
            pieces.append(current)
            current = ""
        current += char
    if current:
        pieces.append(current)
    return pieces


def builtin_script(model: str) -> dict[str, Any] | None:
    if model == "fake-model":
        return {}
    if model == "fake-slow":
        return {"tokens": words(SLOW_ANSWER), "delay_s": 0.05}
    if model == "fake-markdown":
        return {"tokens": words(MARKDOWN_ANSWER)}
    if model == "fake-error-500":
        return {"status": 500, "error_body": {"error": {"message": "the fake server broke"}}}
    if model == "fake-error-429":
        return {
            "status": 429,
            "headers": {"Retry-After": "1"},
            "error_body": {
                "error": {"message": "Rate limit reached", "code": "rate_limit_exceeded"}
            },
        }
    if model == "fake-mid-stream-error":
        return {
            "tokens": words("This answer will break off in the middle of"),
            "error_after_tokens": 5,
        }
    if model == "fake-no-done":
        return {"tokens": words("An answer whose stream is cut"), "end_without_done": True}
    if model == "fake-drop-mid-stream":
        return {"tokens": words("An answer whose connection drops"), "drop_after_tokens": 2}
    if model == "fake-stall":
        return {"tokens": words("Starting and then"), "stall_after_tokens": 2}
    if model.startswith("fake-paced-"):  # fake-paced-<tokens>-<milliseconds between tokens>
        count, milliseconds = model.removeprefix("fake-paced-").split("-")
        return {
            "tokens": [f"tok{i} " for i in range(int(count))],
            "delay_s": int(milliseconds) / 1000,
            "stamp": True,  # each token carries the wall-clock time it was sent: tok7@<time>
        }
    if model.startswith("fake-fast-"):
        count = int(model.rsplit("-", 1)[1])
        return {"tokens": [f"tok{i} " for i in range(count)], "delay_s": 0}
    return None
