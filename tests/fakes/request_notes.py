"""What the fake provider notes about a request: the media it carried, the user's words."""

from __future__ import annotations

from typing import Any


def media(value: Any) -> list[str]:
    """The media types of the images and audio a request carried, in any dialect."""
    found: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "image_url" and isinstance(item, dict):
                found.append(item.get("url", "")[5:].split(";")[0] or "image")
            elif key == "inlineData":
                found.append(item.get("mimeType", ""))
            elif key == "source" and isinstance(item, dict) and item.get("media_type"):
                found.append(item["media_type"])
            elif key == "images" and isinstance(item, list):
                found += ["image"] * len(item)
            elif key == "image" and isinstance(item, dict) and "format" in item:
                found.append(f"image/{item['format']}")
            elif key == "input_audio":
                found.append(f"audio/{item.get('format', '')}")
            else:
                found += media(item)
    elif isinstance(value, list):
        for item in value:
            found += media(item)
    return found


def last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or body.get("contents") or []):
        if message.get("role") == "user":
            content = message.get("content", message.get("parts"))
            if isinstance(content, list):
                return " ".join(p["text"] for p in content if isinstance(p, dict) and p.get("text"))
            return str(content or "")
    return ""


def prompt_tokens(body: dict[str, Any]) -> int:
    text = " ".join(str(m.get("content", "")) for m in body.get("messages") or [])
    return max(1, len(text.split()))
