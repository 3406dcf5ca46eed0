"""Media made safe to store and fit to send: images normalised with Pillow, audio checked and
converted with PyAV, each provider's media rules as data.

    MediaRejected      a file refused; the message says why and what to do
    sniff              the real media type from the bytes
    normalize_image    → ImageFile (oriented, 8-bit sRGB, no metadata, scaled, re-encoded)
    fit_image          an ImageFile fitted to one provider's ImageLimits
    normalize_audio    → AudioFile (proven to decode, measured)
    convert_audio      an AudioFile in another format
"""

from media.audio import AudioFile, convert_audio, normalize_audio
from media.errors import MediaRejected
from media.images import ImageFile, ImageLimits, fit_image, normalize_image
from media.provider_rules import (
    AUDIO_FORMATS,
    IMAGE_LIMITS,
    audio_target,
    estimated_image_tokens,
)
from media.sniff import AUDIO_TYPES, IMAGE_TYPES, canonical, sniff

__all__ = [
    "AUDIO_FORMATS",
    "AUDIO_TYPES",
    "IMAGE_LIMITS",
    "IMAGE_TYPES",
    "AudioFile",
    "ImageFile",
    "ImageLimits",
    "MediaRejected",
    "audio_target",
    "canonical",
    "convert_audio",
    "estimated_image_tokens",
    "fit_image",
    "normalize_audio",
    "normalize_image",
    "sniff",
]
