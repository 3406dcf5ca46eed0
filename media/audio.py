"""Audio checked and converted with PyAV (FFmpeg): the real format sniffed from the bytes, every
frame decoded once to prove the file plays and to measure it, and conversion to the format a
provider takes (Chat Completions takes only WAV and MP3; browsers record WebM/Opus)."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av

from media.errors import MediaRejected, size_text
from media.sniff import AUDIO_TYPES, canonical, sniff

NAMES = {
    "audio/wav": "WAV", "audio/mpeg": "MP3", "audio/ogg": "OGG", "audio/webm": "WebM",
    "audio/flac": "FLAC", "audio/mp4": "M4A", "audio/aac": "AAC",
}  # fmt: skip
# The FFmpeg demuxer for each sniffed type: told, not guessed, so a polyglot cannot be probed
# into some other format.
DEMUXERS = {
    "audio/wav": "wav", "audio/mpeg": "mp3", "audio/ogg": "ogg", "audio/webm": "matroska",
    "audio/flac": "flac", "audio/mp4": "mp4", "audio/aac": "aac",
}  # fmt: skip
# Target format → (muxer, encoder, sample format, bit rate, encoder options). LAME's quality
# 7 encodes twice as fast as its default at the same bit rate, and a model hears no difference.
ENCODERS = {
    "audio/mpeg": ("mp3", "libmp3lame", "s16p", 128_000, {"compression_level": "7"}),
    "audio/wav": ("wav", "pcm_s16le", "s16", None, {}),
    "audio/flac": ("flac", "flac", "s16", None, {}),
    "audio/ogg": ("ogg", "libopus", "flt", 96_000, {}),
}


@dataclass(frozen=True)
class AudioFile:
    data: bytes
    media_type: str
    duration_s: float
    notes: tuple[str, ...] = ()


def normalize_audio(
    data: bytes, claimed: str | None, *, max_bytes: int, max_seconds: float
) -> AudioFile:
    """The recording as it will be stored (its own bytes, once they are proven to decode), or
    MediaRejected saying why it cannot be."""
    if not data:
        raise MediaRejected("The recording is empty (0 bytes); record or choose it again.")
    if len(data) > max_bytes:
        raise MediaRejected(
            f"The audio is {size_text(len(data))}; the limit is {size_text(max_bytes)}. "
            "Trim or compress it and attach it again."
        )
    real = sniff(data)
    if real not in AUDIO_TYPES:
        raise MediaRejected(
            "This is not audio Playground can read: WAV, MP3, OGG/Opus, WebM/Opus, FLAC or M4A/AAC."
        )
    notes: tuple[str, ...] = ()
    said = canonical(claimed)
    if said.startswith("audio/") and said != real:
        notes = (f"Named {NAMES.get(said, said)} but is {NAMES[real]}; read as {NAMES[real]}.",)
    seconds = _measured(data, real, max_seconds)
    return AudioFile(data, real, seconds, notes)


def _measured(data: bytes, real: str, max_seconds: float) -> float:
    """Seconds of sound, counted frame by frame: browser recordings carry no duration."""
    seconds = 0.0
    try:
        with av.open(io.BytesIO(data), mode="r", format=DEMUXERS[real]) as container:
            if not container.streams.audio:
                raise MediaRejected(f"The {NAMES[real]} file holds no audio track.")
            for frame in container.decode(audio=0):
                seconds += frame.samples / (frame.sample_rate or 1)
                if seconds > max_seconds:
                    raise MediaRejected(
                        f"The recording is longer than {_minutes(max_seconds)}, the limit; "
                        "trim it and attach it again."
                    )
    except av.FFmpegError:
        raise _undecodable(real) from None
    if seconds <= 0:
        raise _undecodable(real)
    return seconds


def _undecodable(real: str) -> MediaRejected:
    return MediaRejected(
        f"The {NAMES[real]} file is damaged or empty and cannot be played; export it again."
    )


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


def convert_audio(audio: AudioFile, target: str) -> AudioFile:
    """The same sound in `target` (audio/mpeg, audio/wav, audio/flac or audio/ogg), at most
    two channels and 48 kHz."""
    muxer, codec_name, sample_format, bit_rate, options = ENCODERS[target]
    out = io.BytesIO()
    try:
        with (
            av.open(io.BytesIO(audio.data), mode="r", format=DEMUXERS[audio.media_type]) as source,
            av.open(out, mode="w", format=muxer) as sink,
        ):
            heard = source.streams.audio[0]
            layout = "mono" if heard.channels == 1 else "stereo"
            rate = 48_000 if codec_name == "libopus" else min(heard.rate or 48_000, 48_000)
            stream = sink.add_stream(codec_name, rate=rate, layout=layout)
            stream.format = sample_format
            if bit_rate:
                stream.bit_rate = bit_rate if layout == "stereo" else bit_rate // 2
            stream.codec_context.options = options
            frame_size = stream.codec_context.frame_size or None
            resampler = av.AudioResampler(
                format=sample_format, layout=layout, rate=rate, frame_size=frame_size
            )
            for frame in source.decode(heard):
                for fitted in resampler.resample(frame):
                    sink.mux(stream.encode(fitted))
            for fitted in resampler.resample(None):
                sink.mux(stream.encode(fitted))
            sink.mux(stream.encode(None))
    except av.FFmpegError as error:
        raise MediaRejected(
            f"The {NAMES[audio.media_type]} audio could not be converted to "
            f"{NAMES[target]} ({error.strerror or 'FFmpeg error'})."
        ) from None
    return AudioFile(out.getvalue(), target, audio.duration_s, audio.notes)
