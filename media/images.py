"""Images made safe and small: decoded with Pillow, oriented, converted to 8-bit sRGB, stripped
of every byte of metadata, scaled down and re-encoded as JPEG (or PNG where it is lossless or
transparent).

Re-encoding everything is the point: what leaves the server is pixels only, so GPS tags,
comments, appended archives and scripts hidden in a polyglot file never do.
"""

from __future__ import annotations

import io
import math
import struct
from dataclasses import dataclass, field

import pillow_heif
from PIL import Image, ImageCms, ImageOps

from media.errors import MediaRejected, size_text
from media.sniff import IMAGE_TYPES, canonical, sniff

pillow_heif.register_heif_opener()

NAMES = {
    "image/jpeg": "JPEG", "image/png": "PNG", "image/webp": "WebP", "image/gif": "GIF",
    "image/heic": "HEIC", "image/heif": "HEIF", "image/bmp": "BMP", "image/tiff": "TIFF",
}  # fmt: skip
LOSSLESS_SOURCES = frozenset({"image/png", "image/gif", "image/bmp", "image/tiff"})
JPEG_QUALITIES = (90, 80, 70, 60)
# A PNG above this many bytes a pixel holds a photograph (screenshots take a tenth of it):
# sent as JPEG, it is many times smaller for the same picture.
PHOTO_PNG_BYTES_PER_PIXEL = 1.0
# What a broken or hostile file makes Pillow raise while decoding.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, struct.error, IndexError)
_SRGB = ImageCms.createProfile("sRGB")


@dataclass(frozen=True)
class ImageFile:
    data: bytes
    media_type: str  # image/jpeg or image/png once normalised
    width: int
    height: int
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ImageLimits:
    """What one provider takes or uses: longer side and pixel count (beyond which it only
    scales down itself), and bytes per image (beyond which it refuses)."""

    max_long_side: int
    max_bytes: int
    max_pixels: int | None = None
    media_types: frozenset[str] = field(default=frozenset({"image/jpeg", "image/png"}))


def normalize_image(
    data: bytes,
    claimed: str | None,
    *,
    max_bytes: int,
    max_pixels: int,
    max_long_side: int = 2048,
) -> ImageFile:
    """The image as it will be stored, or MediaRejected saying why it cannot be."""
    real = _check_bytes(data, claimed, max_bytes)
    notes: list[str] = []
    image = _open(data, real, max_pixels)
    frames = getattr(image, "n_frames", 1)
    if frames > 1:
        what = "page" if real == "image/tiff" else "frame"
        notes.append(f"{frames} {what}s: only the first is kept.")
    original = image.size
    if real == "image/jpeg":
        # Decode at 1/2, 1/4 or 1/8 scale straight from the DCT when that still covers
        # the target: less to decode, far less to resize (bench/media.py).
        image.draft(None, _fitted(image.size, max_long_side, None))
    image = _decoded(image)
    if "gps" in _exif_names(image):
        notes.append("Location (GPS) data removed.")
    image = ImageOps.exif_transpose(image) or image
    image = _to_8bit(image, notes)
    image = _resized(image, _fitted(image.size, max_long_side, None))
    image = _to_srgb(image, notes)
    if image.size != _oriented(original, image):
        w, h = original
        notes.append(f"Scaled down from {w}×{h} to {image.width}×{image.height}.")
    prefer_png = real in LOSSLESS_SOURCES or _has_alpha(image)
    return _encoded(image, prefer_png, max_bytes, tuple(notes))


def fit_image(image: ImageFile, limits: ImageLimits) -> ImageFile:
    """The stored image, scaled and re-encoded only if it exceeds a provider's limits."""
    target = _fitted((image.width, image.height), limits.max_long_side, limits.max_pixels)
    if (
        target == (image.width, image.height)
        and len(image.data) <= limits.max_bytes
        and image.media_type in limits.media_types
    ):
        return image
    with Image.open(io.BytesIO(image.data)) as opened:
        pixels = _resized(_decoded(opened), target)
    notes = image.notes
    if pixels.size != (image.width, image.height):
        notes += (f"Scaled to {pixels.width}×{pixels.height} for this provider's limits.",)
    prefer_png = image.media_type == "image/png"
    return _encoded(pixels, prefer_png, limits.max_bytes, notes)


# -- checks ---------------------------------------------------------------------------------


def _check_bytes(data: bytes, claimed: str | None, max_bytes: int) -> str:
    if not data:
        raise MediaRejected("The file is empty (0 bytes); choose the image again.")
    if len(data) > max_bytes:
        raise MediaRejected(
            f"The image is {size_text(len(data))}; the limit is {size_text(max_bytes)}. "
            "Export it smaller and attach it again."
        )
    real = sniff(data)
    if real == "image/svg+xml":
        raise MediaRejected(
            "SVG images are refused because they can carry scripts; export it as PNG."
        )
    if real not in IMAGE_TYPES:
        raise MediaRejected(
            "This is not an image Playground can read: JPEG, PNG, WebP, GIF, HEIC/HEIF, BMP "
            "or TIFF."
        )
    said = canonical(claimed)
    if said and _family(said) != _family(real):
        raise MediaRejected(
            f"The file claims to be {NAMES.get(said, said)} but its bytes are "
            f"{NAMES[real]}; give it the right extension or re-save it, then attach it again."
        )
    return real


def _family(media_type: str) -> str:
    return "image/heif" if media_type == "image/heic" else media_type


def _open(data: bytes, real: str, max_pixels: int) -> Image.Image:
    try:
        image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError:
        raise _bomb(max_pixels) from None
    except (Image.UnidentifiedImageError, *DECODE_ERRORS):
        raise _damaged(NAMES[real]) from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > max_pixels:
        raise _bomb(max_pixels)
    return image


def _bomb(max_pixels: int) -> MediaRejected:
    return MediaRejected(
        f"The image has more than {max_pixels / 1e6:g} million pixels (or claims to, as a "
        "decompression bomb does); scale it down and attach it again."
    )


def _damaged(what: str) -> MediaRejected:
    return MediaRejected(
        f"The {what} is truncated or damaged and cannot be read; save it again and attach it again."
    )


def _decoded(image: Image.Image) -> Image.Image:
    """Force the full decode, so that a truncated or corrupt file fails here, loudly."""
    try:
        image.load()
    except Image.DecompressionBombError:
        raise _bomb(Image.MAX_IMAGE_PIXELS or 0) from None
    except DECODE_ERRORS:
        raise _damaged("image") from None
    return image


def _exif_names(image: Image.Image) -> set[str]:
    try:
        exif = image.getexif()
    except DECODE_ERRORS:  # unreadable metadata is dropped below all the same
        return set()
    return {"gps"} if exif.get(0x8825) else set()


# -- pixels ---------------------------------------------------------------------------------


def _to_8bit(image: Image.Image, notes: list[str]) -> Image.Image:
    """8 bits per channel in a mode that can be resized: L, LA, RGB, RGBA or CMYK."""
    mode = image.mode
    if mode in ("I;16", "I;16L", "I;16B", "I;16N", "I"):
        # 16/32-bit greyscale: scale into 0-255 rather than clipping everything bright to white.
        top = 65535 if mode.startswith("I;16") or (image.getextrema()[1] or 0) > 255 else 255
        notes.append("Converted from 16-bit to 8-bit.")
        return image.convert("I").point(lambda v: v * (255 / top)).convert("L")
    if mode == "F":
        notes.append("Converted from floating point to 8-bit.")
        return image.point(lambda v: v * 255).convert("L")
    if mode in ("P", "PA"):
        return image.convert("RGBA" if _palette_has_alpha(image) else "RGB")
    if mode == "1":
        return image.convert("L")
    if mode == "CMYK":
        notes.append("Converted from CMYK to RGB.")
        return image  # converted with its colour profile, if it has one, by _to_srgb
    if mode in ("L", "LA", "RGB", "RGBA"):
        return image
    return image.convert("RGBA" if "A" in image.getbands() else "RGB")


def _to_srgb(image: Image.Image, notes: list[str]) -> Image.Image:
    """Pixels in sRGB, since the file's colour profile is removed with the other metadata."""
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK", "L"):
        image = _from_profile(image, icc, notes)
    if image.mode == "CMYK":
        image = image.convert("RGB")
    return image


def _from_profile(image: Image.Image, icc: bytes, notes: list[str]) -> Image.Image:
    """Pixels converted from the file's colour profile (Display P3, Adobe RGB, print CMYK) to
    sRGB, since the profile itself is removed with the rest of the metadata."""
    alpha = image.getchannel("A") if image.mode == "RGBA" else None
    source_mode = "RGB" if image.mode == "RGBA" else image.mode
    out_mode = "L" if source_mode == "L" else "RGB"
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(
            image.convert(source_mode), source, _SRGB, outputMode=out_mode
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        notes.append("Its colour profile could not be read; colours are converted as sRGB.")
        return image.convert("RGBA" if alpha else out_mode)
    if converted is None:  # profileToProfile returns None only when told to work in place
        return image
    if alpha is not None:
        converted.putalpha(alpha)
    return converted


def _palette_has_alpha(image: Image.Image) -> bool:
    return image.mode == "PA" or "transparency" in image.info


def _has_alpha(image: Image.Image) -> bool:
    if image.mode not in ("RGBA", "LA"):
        return False
    low, _high = image.getchannel("A").getextrema()
    return low < 255


def _fitted(size: tuple[int, int], long_side: int, max_pixels: int | None) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, long_side / max(width, height))
    if max_pixels:
        scale = min(scale, math.sqrt(max_pixels / (width * height)))
    # Rounded down, so that the result never exceeds a limit by a pixel.
    return max(1, math.floor(width * scale + 1e-6)), max(1, math.floor(height * scale + 1e-6))


def _oriented(original: tuple[int, int], image: Image.Image) -> tuple[int, int]:
    """The original size, turned if EXIF orientation turned the picture by 90 degrees."""
    w, h = original
    return (w, h) if (image.width >= image.height) == (w >= h) else (h, w)


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image
    # Bicubic with Pillow's antialiasing: as sharp as a model can tell, 1.5x Lanczos' speed.
    return image.resize(size, Image.Resampling.BICUBIC, reducing_gap=3.0)


# -- encoding -------------------------------------------------------------------------------


def _encoded(
    image: Image.Image, prefer_png: bool, max_bytes: int, notes: tuple[str, ...]
) -> ImageFile:
    """PNG when preferred and small enough; else JPEG at falling quality; else smaller."""
    for _ in range(12):
        alpha = _has_alpha(image)
        if prefer_png or alpha:
            data = _save(image, "PNG")
            photographic = len(data) > PHOTO_PNG_BYTES_PER_PIXEL * image.width * image.height
            if len(data) <= max_bytes and (alpha or not photographic):
                return ImageFile(data, "image/png", image.width, image.height, notes)
            if photographic and not alpha and prefer_png:
                notes += ("A photograph in PNG: kept as JPEG, many times smaller.",)
                prefer_png = False
        if not alpha:
            for quality in JPEG_QUALITIES:
                data = _save(image, "JPEG", quality=quality)
                if len(data) <= max_bytes:
                    return ImageFile(data, "image/jpeg", image.width, image.height, notes)
        smaller = (max(1, image.width * 3 // 4), max(1, image.height * 3 // 4))
        notes += (f"Scaled to {smaller[0]}×{smaller[1]} to fit {size_text(max_bytes)}.",)
        image = _resized(image, smaller)
    raise MediaRejected(f"The image cannot be made smaller than {size_text(max_bytes)}.")


def _save(image: Image.Image, format_name: str, **options: int) -> bytes:
    image.info = {}  # Pillow writes ICC profiles and comments from `info`: pixels only here
    if format_name == "JPEG" and image.mode not in ("L", "RGB"):
        image = image.convert("RGB")
    out = io.BytesIO()
    if format_name == "JPEG":
        image.save(out, "JPEG", optimize=False, progressive=False, **options)
    else:
        image.save(out, "PNG", compress_level=3)  # level 6 takes 3x as long for ~5%
    return out.getvalue()
