"""Media budgets (design §6): a 24-megapixel JPEG is normalised in under 200 ms. Also timed:
a 12-megapixel PNG, a 12-megapixel HEIC from a phone, and audio (a minute of browser-recorded
WebM/Opus checked on upload, and converted to MP3 and WAV for Chat Completions).

Medians over BENCH_MEDIA_ROUNDS runs on generated photo-like pictures (gradients and grain,
which compress like photographs) and a generated tone.
"""

from __future__ import annotations

import io
import os
import statistics
import time
from collections.abc import Callable

from PIL import Image

from media import convert_audio, normalize_audio, normalize_image
from tests.media import corpus

ROUNDS = int(os.environ.get("BENCH_MEDIA_ROUNDS", "7"))
MB = 2**20
LIMITS = {"max_bytes": 50 * MB, "max_pixels": 50_000_000}
JPEG_BUDGET_MS = 200


def median_ms(work: Callable[[], object]) -> float:
    work()  # warm up: imports, plug-in registration, codec set-up
    times = []
    for _ in range(ROUNDS):
        started = time.perf_counter()
        work()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def decode(data: bytes, draft: tuple[int, int] | None = None) -> None:
    """A JPEG decoded in full, or in draft mode at the scale normalising asks for."""
    with Image.open(io.BytesIO(data)) as image:
        if draft:
            image.draft(None, draft)
        image.load()


def main() -> None:
    print(f"media: medians of {ROUNDS} runs")
    jpeg = corpus.encoded(corpus.photo_like((6000, 4000)), "JPEG", quality=90)
    png = corpus.encoded(corpus.photo_like((4000, 3000)), "PNG")
    heic = corpus.encoded(corpus.photo_like((4032, 3024)), "HEIF", quality=80)
    jpeg_ms = median_ms(lambda: normalize_image(jpeg, "image/jpeg", **LIMITS))
    full_ms = median_ms(lambda: decode(jpeg))
    draft_ms = median_ms(lambda: decode(jpeg, (2048, 1365)))
    print(f"  24 MP JPEG ({len(jpeg) / MB:.1f} MB) normalised: {jpeg_ms:.0f} ms "
          f"(budget {JPEG_BUDGET_MS} ms, ratio {jpeg_ms / JPEG_BUDGET_MS:.2f}); "
          f"of which decoding in draft mode {draft_ms:.0f} ms, against {full_ms:.0f} ms "
          f"in full ({full_ms / draft_ms:.1f}x)")  # fmt: skip
    png_ms = median_ms(lambda: normalize_image(png, "image/png", **LIMITS))
    print(f"  12 MP PNG ({len(png) / MB:.1f} MB) normalised: {png_ms:.0f} ms")
    heic_ms = median_ms(lambda: normalize_image(heic, "image/heic", **LIMITS))
    print(f"  12 MP HEIC ({len(heic) / MB:.1f} MB) normalised: {heic_ms:.0f} ms")

    recording = corpus.tone("audio/webm", seconds=60.0)
    checked = normalize_audio(recording, "audio/webm", max_bytes=25 * MB, max_seconds=600)
    check_ms = median_ms(
        lambda: normalize_audio(recording, "audio/webm", max_bytes=25 * MB, max_seconds=600)
    )
    mp3_ms = median_ms(lambda: convert_audio(checked, "audio/mpeg"))
    wav_ms = median_ms(lambda: convert_audio(checked, "audio/wav"))
    print(f"  60 s WebM/Opus ({len(recording) / 1024:.0f} KB): checked and measured "
          f"{check_ms:.0f} ms; to MP3 {mp3_ms:.0f} ms ({60_000 / mp3_ms:.0f}x real time); "
          f"to WAV {wav_ms:.0f} ms")  # fmt: skip


if __name__ == "__main__":
    main()
