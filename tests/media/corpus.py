"""The test corpus, generated: images in every accepted format and edge case, audio in every
accepted container, and the hostile files a server meets."""

from __future__ import annotations

import io
import math
import struct
import zlib

import av
import numpy as np
from PIL import Image

RED, BLUE, GREEN = (220, 20, 20), (20, 20, 220), (20, 200, 20)
# How Pillow's exif_transpose undoes each EXIF orientation; the corpus applies the inverse.
UNDO = {
    2: Image.Transpose.FLIP_LEFT_RIGHT, 3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM, 5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270, 7: Image.Transpose.TRANSVERSE, 8: Image.Transpose.ROTATE_90,
}  # fmt: skip
INVERSE = {**UNDO, 6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}


def upright(size=(120, 60)) -> Image.Image:
    """Blue, with a red block in the top-left corner: any wrong turn or flip moves the red."""
    image = Image.new("RGB", size, BLUE)
    image.paste(RED, (0, 0, size[0] // 3, size[1] // 3))
    return image


def encoded(image: Image.Image, format_name: str, **options) -> bytes:
    out = io.BytesIO()
    image.save(out, format_name, **options)
    return out.getvalue()


def with_orientation(orientation: int) -> bytes:
    """A JPEG stored turned so that EXIF orientation `orientation` shows it upright."""
    image = upright()
    stored = image if orientation == 1 else image.transpose(INVERSE[orientation])
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encoded(stored, "JPEG", exif=exif, quality=95)


def with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    return encoded(upright(), "JPEG", exif=exif)


def cmyk_jpeg() -> bytes:
    return encoded(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG", quality=95)  # red


def grey_16bit_png(level: int = 32768) -> bytes:
    return encoded(Image.new("I;16", (40, 30), level), "PNG")


def palette_png_with_transparency() -> bytes:
    image = Image.new("P", (40, 30), 0)
    image.putpalette([255, 255, 255, 220, 20, 20] + [0] * 762)
    image.paste(1, (0, 0, 20, 30))  # left half red, right half index 0 = transparent
    return encoded(image, "PNG", transparency=0)


def animated_gif(colors=(RED, GREEN, BLUE)) -> bytes:
    frames = [Image.new("RGB", (40, 30), color) for color in colors]
    return encoded(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


def multipage_tiff() -> bytes:
    pages = [Image.new("RGB", (40, 30), color) for color in (GREEN, RED)]
    return encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def heic(size=(64, 48)) -> bytes:
    import pillow_heif  # noqa: F401  (registers the HEIF plug-in)

    return encoded(upright(size), "HEIF", quality=90)


def noisy(size, seed=1) -> Image.Image:
    """Pixels that do not compress: for size limits and for benchmarks."""
    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(0, 256, (size[1], size[0], 3), dtype=np.uint8), "RGB")


def photo_like(size, seed=1) -> Image.Image:
    """Smooth gradients plus a little noise: compresses like a photograph."""
    w, h = size
    x = np.linspace(0, 255, w, dtype=np.float32)
    y = np.linspace(0, 255, h, dtype=np.float32)[:, None]
    rng = np.random.default_rng(seed)
    grain = rng.normal(0, 6, (h, w)).astype(np.float32)
    red = np.clip(x[None, :] + grain, 0, 255)
    green = np.clip(y + grain, 0, 255)
    blue = np.clip((x[None, :] + y) / 2 + grain, 0, 255)
    return Image.fromarray(np.dstack([red, green, blue]).astype(np.uint8), "RGB")


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width`×`height`: a decompression bomb's calling card."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))  # fmt: skip

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\0" * 1024)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels)
            + chunk(b"IEND", b""))  # fmt: skip


def jpeg_with_appended_zip() -> bytes:
    """A JPEG that is also a ZIP archive (the GIFAR trick)."""
    archive = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("evil.html", "<script>alert('owned')</script>")
    return encoded(upright(), "JPEG") + archive.getvalue()


def jpeg_with_script_comment() -> bytes:
    """A JPEG carrying HTML in a comment segment, for browsers that sniff."""
    data = encoded(upright(), "JPEG")
    comment = b"<html><script>alert('owned')</script></html>"
    segment = b"\xff\xfe" + struct.pack(">H", len(comment) + 2) + comment
    return data[:2] + segment + data[2:]


SVG = b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
GIF_JS_POLYGLOT = b"GIF89a/*\x00\x00\x00\x00*/=alert('owned');//" + b"\x00" * 40


# -- audio ----------------------------------------------------------------------------------

# Accepted container → (muxer, encoder, sample format, rate).
AUDIO_RECIPES = {
    "audio/wav": ("wav", "pcm_s16le", "s16", 16_000),
    "audio/mpeg": ("mp3", "libmp3lame", "s16p", 44_100),
    "audio/ogg": ("ogg", "libopus", "flt", 48_000),
    "audio/webm": ("webm", "libopus", "flt", 48_000),
    "audio/flac": ("flac", "flac", "s16", 44_100),
    "audio/mp4": ("ipod", "aac", "fltp", 44_100),
    "audio/aac": ("adts", "aac", "fltp", 44_100),
}


def tone(media_type: str, seconds: float = 1.0, hz: float = 440.0, channels: int = 1) -> bytes:
    """A sine tone encoded the way real files of `media_type` are."""
    muxer, codec, sample_format, rate = AUDIO_RECIPES[media_type]
    layout = "mono" if channels == 1 else "stereo"
    out = io.BytesIO()
    with av.open(out, mode="w", format=muxer) as sink:
        stream = sink.add_stream(codec, rate=rate, layout=layout)
        stream.format = sample_format
        total = int(seconds * rate)
        t = np.arange(total, dtype=np.float32) / rate
        wave = (0.3 * np.sin(2 * math.pi * hz * t)).astype(np.float32)
        frame = av.AudioFrame.from_ndarray(
            np.repeat(wave, channels)[None, :], format="flt", layout=layout,
        )  # fmt: skip
        frame.sample_rate = rate
        resampler = av.AudioResampler(
            format=sample_format, layout=layout, rate=rate,
            frame_size=stream.codec_context.frame_size or None,
        )  # fmt: skip
        for fitted in resampler.resample(frame) + resampler.resample(None):
            sink.mux(stream.encode(fitted))
        sink.mux(stream.encode(None))
    return out.getvalue()
