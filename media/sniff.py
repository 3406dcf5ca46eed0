"""The real format of a file, from its first bytes, whatever its name or claimed type says."""

from __future__ import annotations

IMAGE_TYPES = frozenset(
    {"image/jpeg", "image/png", "image/webp", "image/gif", "image/heic", "image/heif",
     "image/bmp", "image/tiff"}
)  # fmt: skip
AUDIO_TYPES = frozenset(
    {"audio/wav", "audio/mpeg", "audio/ogg", "audio/webm", "audio/flac", "audio/mp4",
     "audio/aac"}
)  # fmt: skip

# Names people and browsers use for the same formats.
ALIASES = {
    "image/jpg": "image/jpeg", "image/pjpeg": "image/jpeg", "image/x-png": "image/png",
    "image/x-ms-bmp": "image/bmp", "image/x-bmp": "image/bmp", "image/tif": "image/tiff",
    "image/heic-sequence": "image/heic", "image/heif-sequence": "image/heif",
    "audio/x-wav": "audio/wav", "audio/wave": "audio/wav", "audio/vnd.wave": "audio/wav",
    "audio/mp3": "audio/mpeg", "audio/mpeg3": "audio/mpeg", "audio/x-mpeg": "audio/mpeg",
    "audio/x-flac": "audio/flac", "audio/x-m4a": "audio/mp4", "audio/m4a": "audio/mp4",
    "audio/x-aac": "audio/aac", "audio/aacp": "audio/aac", "audio/opus": "audio/ogg",
    "video/webm": "audio/webm", "video/ogg": "audio/ogg", "video/mp4": "audio/mp4",
    "application/ogg": "audio/ogg",
}  # fmt: skip
# Claims that say nothing about the format.
NO_CLAIM = frozenset({"", "application/octet-stream", "binary/octet-stream"})

_HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"hevm", b"hevs"}
_HEIF_BRANDS = {b"mif1", b"msf1", b"mif2"}
_MP4_AUDIO_BRANDS = {b"M4A ", b"M4B ", b"mp42", b"mp41", b"isom", b"iso2", b"iso5", b"iso6",
                     b"dash", b"MSNV", b"3gp4", b"3gp5", b"3g2a"}  # fmt: skip


def canonical(media_type: str | None) -> str:
    """`image/JPG; charset=x` → `image/jpeg`; an empty or generic claim → ""."""
    bare = (media_type or "").split(";", 1)[0].strip().lower()
    if bare in NO_CLAIM:
        return ""
    return ALIASES.get(bare, bare)


def sniff(data: bytes) -> str | None:
    """The media type the bytes really are, or None when they are none we know."""
    head = data[:64]
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if head.startswith(b"RIFF") and head[8:12] == b"WEBP":
        return "image/webp"
    if head.startswith(b"RIFF") and head[8:12] == b"WAVE":
        return "audio/wav"
    if head.startswith(b"BM") and len(head) >= 26 and head[6:10] == b"\0\0\0\0":
        return "image/bmp"  # BM, file size, two reserved zero words
    if head.startswith((b"II*\x00", b"MM\x00*")):
        return "image/tiff"
    if head[4:8] == b"ftyp":
        return _iso_media(head)
    if head.startswith(b"OggS"):
        return "audio/ogg"
    if head.startswith(b"fLaC"):
        return "audio/flac"
    if head.startswith(b"\x1a\x45\xdf\xa3"):
        return "audio/webm"  # EBML: WebM or Matroska, told apart by the demuxer
    if head.startswith(b"ID3"):
        return "audio/mpeg"
    if len(head) >= 2 and head[0] == 0xFF and head[1] & 0xE0 == 0xE0:
        # An MPEG audio frame sync; layer bits 00 mean AAC in ADTS framing.
        return "audio/aac" if head[1] & 0x06 == 0 else "audio/mpeg"
    if _looks_like_svg(data[:2048]):
        return "image/svg+xml"
    return None


def _iso_media(head: bytes) -> str | None:
    """ISO base media files (HEIF photos, M4A audio) name their kind in the `ftyp` box."""
    brands = {head[8:12]} | {head[i : i + 4] for i in range(16, min(len(head), 32), 4)}
    if brands & _HEIC_BRANDS:
        return "image/heic"
    if brands & _HEIF_BRANDS:
        return "image/heif"
    if brands & _MP4_AUDIO_BRANDS:
        return "audio/mp4"
    return None


def _looks_like_svg(head: bytes) -> bool:
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) and b"<svg" in text
