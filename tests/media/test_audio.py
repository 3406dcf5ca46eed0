"""Audio checked on upload and converted for providers: every accepted container, corrupt and
oversized files, and conversion that still plays."""

from __future__ import annotations

import pytest

from media import AUDIO_TYPES, AudioFile, MediaRejected, convert_audio, normalize_audio, sniff
from tests.media import corpus

MB = 2**20


def normalised(data: bytes, claimed: str | None = None, **limits) -> AudioFile:
    return normalize_audio(data, claimed, **{"max_bytes": 25 * MB, "max_seconds": 600} | limits)


@pytest.mark.parametrize("media_type", sorted(AUDIO_TYPES))
def test_it_accepts_every_container_and_measures_it(media_type):
    data = corpus.tone(media_type, seconds=1.5)
    audio = normalised(data, media_type)
    assert audio.media_type == media_type and audio.data == data  # stored as sent
    assert audio.duration_s == pytest.approx(1.5, abs=0.1)


def test_a_browser_recording_without_a_duration_header_is_measured_by_decoding():
    data = corpus.tone("audio/webm", seconds=2.0, channels=2)
    audio = normalised(data, "audio/webm;codecs=opus")
    assert audio.duration_s == pytest.approx(2.0, abs=0.1)


def test_the_bytes_decide_the_format_and_a_wrong_name_is_noted():
    audio = normalised(corpus.tone("audio/ogg"), "audio/mpeg")
    assert audio.media_type == "audio/ogg"
    assert audio.notes == ("Named MP3 but is OGG; read as OGG.",)


@pytest.mark.parametrize("source", ["audio/webm", "audio/ogg", "audio/flac", "audio/mp4"])
@pytest.mark.parametrize("target", ["audio/mpeg", "audio/wav"])
def test_it_converts_to_what_chat_completions_takes(source, target):
    audio = normalised(corpus.tone(source, seconds=1.0), source)
    converted = convert_audio(audio, target)
    assert converted.media_type == target and sniff(converted.data) == target
    again = normalised(converted.data, target)  # the converted file plays, as long
    assert again.duration_s == pytest.approx(audio.duration_s, abs=0.1)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"OggS" + bytes(range(256)) * 8, "damaged"),
        (b"fLaC" + b"\x00" * 2000, "damaged"),
        (b"RIFF\x24\x00\x00\x00WAVEfmt ", "damaged"),
        (b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\x00" * 500, "damaged"),
        (b"\x1a\x45\xdf\xa3" + b"\x42" * 300, "damaged"),
        (corpus.tone("audio/mpeg", seconds=1.0)[:200], "damaged"),
        (b"%PDF-1.4 no sound here", "not audio"),
        (corpus.encoded(corpus.upright(), "PNG"), "not audio"),
    ],
)
def test_it_refuses_what_cannot_be_decoded(data, words):
    with pytest.raises(MediaRejected, match=words):
        normalised(data, "audio/mpeg")


def test_it_refuses_a_recording_longer_than_the_limit():
    with pytest.raises(MediaRejected, match="longer than 2 seconds"):
        normalised(corpus.tone("audio/wav", seconds=3.0), "audio/wav", max_seconds=2)


def test_it_refuses_a_file_over_the_size_limit():
    with pytest.raises(MediaRejected, match="the limit is 1 KB"):
        normalised(corpus.tone("audio/wav", seconds=1.0), "audio/wav", max_bytes=1024)
