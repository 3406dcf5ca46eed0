"""Images normalised on upload: every accepted format and its edge cases, and the hostile files
a server meets, over a corpus the tests generate."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from media import ImageFile, MediaRejected, fit_image, normalize_image
from media.images import ImageLimits
from tests.media import corpus

MB = 2**20
LIMITS = {"max_bytes": 20 * MB, "max_pixels": 50_000_000}


def normalised(data: bytes, claimed: str | None = None, **limits) -> ImageFile:
    return normalize_image(data, claimed, **{**LIMITS, **limits})


def opened(image: ImageFile) -> Image.Image:
    picture = Image.open(io.BytesIO(image.data))
    picture.load()
    return picture


def close_to(color, expected, tolerance=12) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(color, expected, strict=False))


@pytest.mark.parametrize("orientation", range(1, 9))
def test_it_applies_every_exif_orientation(orientation):
    image = normalised(corpus.with_orientation(orientation), "image/jpeg")
    picture = opened(image)
    assert picture.size == (image.width, image.height) == (120, 60)
    assert close_to(picture.getpixel((3, 3)), corpus.RED)  # the red corner is top-left
    assert close_to(picture.getpixel((116, 56)), corpus.BLUE)
    assert not picture.getexif()  # and the orientation tag went with the rest


def test_it_strips_location_and_all_other_metadata():
    image = normalised(corpus.with_gps(), "image/jpeg")
    picture = opened(image)
    assert not picture.getexif() and "icc_profile" not in picture.info
    assert b"Exif" not in image.data and b"PhoneMaker" not in image.data
    assert "Location (GPS) data removed." in image.notes


@pytest.mark.parametrize(
    ("data", "claimed"),
    [
        (corpus.encoded(corpus.upright(), "PNG"), "image/png"),
        (corpus.encoded(corpus.upright(), "WEBP", quality=95), "image/webp"),
        (corpus.encoded(corpus.upright(), "BMP"), "image/bmp"),
        (corpus.encoded(corpus.upright(), "TIFF"), "image/tiff"),
        (corpus.encoded(corpus.upright(), "GIF"), "image/gif"),
        (corpus.heic((120, 60)), "image/heic"),
        (corpus.heic((120, 60)), "image/heif"),  # phones say either
        (corpus.encoded(corpus.upright(), "PNG"), None),  # no claim: the bytes decide
        (corpus.encoded(corpus.upright(), "PNG"), "application/octet-stream"),
        (corpus.encoded(corpus.upright(), "JPEG"), "image/jpg"),
    ],
)
def test_it_reads_every_accepted_format(data, claimed):
    image = normalised(data, claimed)
    assert image.media_type in ("image/jpeg", "image/png")
    assert (image.width, image.height) == (120, 60)
    assert close_to(opened(image).convert("RGB").getpixel((3, 3)), corpus.RED, 24)


def test_it_converts_cmyk_to_rgb():
    image = normalised(corpus.cmyk_jpeg(), "image/jpeg")
    picture = opened(image)
    assert picture.mode == "RGB" and close_to(picture.getpixel((5, 5)), (255, 0, 0), 16)
    assert "Converted from CMYK to RGB." in image.notes


def test_it_scales_16_bit_grey_instead_of_clipping_it_to_white():
    image = normalised(corpus.grey_16bit_png(level=32768), "image/png")
    picture = opened(image)
    assert picture.mode == "L" and 120 <= picture.getpixel((5, 5)) <= 135
    assert "Converted from 16-bit to 8-bit." in image.notes


def test_a_palette_image_keeps_its_transparency():
    image = normalised(corpus.palette_png_with_transparency(), "image/png")
    picture = opened(image)
    assert image.media_type == "image/png" and picture.mode == "RGBA"
    assert picture.getpixel((5, 5)) == (220, 20, 20, 255)
    assert picture.getpixel((35, 5))[3] == 0


def test_an_animated_gif_keeps_its_first_frame_and_says_so():
    image = normalised(corpus.animated_gif(), "image/gif")
    assert close_to(opened(image).convert("RGB").getpixel((5, 5)), corpus.RED)
    assert "3 frames: only the first is kept." in image.notes


def test_a_multipage_tiff_keeps_its_first_page_and_says_so():
    image = normalised(corpus.multipage_tiff(), "image/tiff")
    assert close_to(opened(image).getpixel((5, 5)), corpus.GREEN)
    assert "2 pages: only the first is kept." in image.notes


def test_a_colour_profile_is_applied_then_removed():
    from PIL import ImageCms

    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = corpus.encoded(corpus.upright(), "JPEG", icc_profile=srgb, quality=95)
    picture = opened(normalised(data, "image/jpeg"))
    assert "icc_profile" not in picture.info
    assert close_to(picture.getpixel((3, 3)), corpus.RED)


def test_a_broken_colour_profile_is_dropped_with_a_note():
    data = corpus.encoded(corpus.upright(), "JPEG", icc_profile=b"not a profile" * 20)
    image = normalised(data, "image/jpeg")
    assert any("colour profile could not be read" in note for note in image.notes)
    assert close_to(opened(image).getpixel((3, 3)), corpus.RED)


def test_a_big_photo_is_decoded_in_draft_mode_and_scaled_to_the_long_side(monkeypatch):
    from PIL.JpegImagePlugin import JpegImageFile

    decoded_sizes = []
    draft = JpegImageFile.draft

    def spy(self, mode, size):
        result = draft(self, mode, size)
        decoded_sizes.append(self.size)
        return result

    monkeypatch.setattr(JpegImageFile, "draft", spy)
    data = corpus.encoded(corpus.photo_like((3000, 2000)), "JPEG", quality=85)
    image = normalised(data, "image/jpeg", max_long_side=1024)
    assert decoded_sizes == [(1500, 1000)]  # decoded at half scale, not in full
    assert (image.width, image.height) == (1024, 682)
    assert "Scaled down from 3000×2000 to 1024×682." in image.notes


def test_a_photograph_saved_as_png_is_kept_as_jpeg_but_a_screenshot_stays_png():
    photo = normalised(corpus.encoded(corpus.noisy((300, 200)), "PNG"), "image/png")
    assert photo.media_type == "image/jpeg"
    screenshot = normalised(corpus.encoded(corpus.upright((300, 200)), "PNG"), "image/png")
    assert screenshot.media_type == "image/png"


def test_it_re_encodes_at_lower_quality_then_smaller_to_fit_the_byte_limit():
    data = corpus.encoded(corpus.noisy((800, 600)), "JPEG", quality=95)
    image = normalised(data, "image/jpeg", max_bytes=len(data))
    assert len(image.data) <= len(data)
    tight = fit_image(image, ImageLimits(max_long_side=4096, max_bytes=60_000))
    assert len(tight.data) <= 60_000 and tight.width < 800
    assert any("to fit" in note for note in tight.notes)


def test_fitting_leaves_an_image_within_limits_untouched_and_scales_one_beyond_them():
    image = normalised(corpus.encoded(corpus.photo_like((2000, 1500)), "JPEG"), "image/jpeg")
    roomy = ImageLimits(max_long_side=2048, max_bytes=20 * MB)
    assert fit_image(image, roomy) is image
    anthropic = ImageLimits(max_long_side=1568, max_bytes=5 * MB, max_pixels=1_150_000)
    fitted = fit_image(image, anthropic)
    assert fitted.width * fitted.height <= 1_150_000 and max(fitted.width, fitted.height) <= 1568
    assert fitted.width / fitted.height == pytest.approx(2000 / 1500, rel=0.01)


# -- refused --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "claimed", "words"),
    [
        (b"", "image/png", "empty"),
        (corpus.SVG, "image/svg+xml", "SVG images are refused"),
        (corpus.SVG, "image/png", "SVG images are refused"),
        (corpus.encoded(corpus.photo_like((400, 300)), "JPEG")[:3000], "image/jpeg", "truncated"),
        (corpus.encoded(corpus.photo_like((400, 300)), "PNG")[:20000], "image/png", "truncated"),
        (corpus.with_gps(), "image/png", "claims to be PNG but its bytes are JPEG"),
        (corpus.encoded(corpus.upright(), "PNG"), "image/gif", "claims to be GIF"),
        (corpus.png_claiming(100_000, 100_000), "image/png", "decompression bomb"),
        (corpus.png_claiming(9_000, 9_000), "image/png", "decompression bomb"),
        (corpus.png_claiming(0, 10), "image/png", None),
        (corpus.GIF_JS_POLYGLOT, "image/gif", "damaged"),
        (b"%PDF-1.7\n%\xe2\xe3", "image/png", "not an image"),
        (b"\x00" * 100, None, "not an image"),
    ],
)  # fmt: skip
def test_it_refuses_hostile_and_broken_files_with_a_clear_message(data, claimed, words):
    with pytest.raises(MediaRejected) as refused:
        normalised(data, claimed)
    if words:
        assert words in str(refused.value)


def test_it_refuses_a_file_over_the_size_limit_before_decoding_it():
    with pytest.raises(MediaRejected, match="the limit is 10 KB"):
        normalised(corpus.encoded(corpus.noisy((200, 200)), "PNG"), "image/png", max_bytes=10240)


def test_it_refuses_more_pixels_than_configured():
    data = corpus.encoded(corpus.upright((400, 300)), "PNG")
    with pytest.raises(MediaRejected, match="more than 0.1 million pixels"):
        normalised(data, "image/png", max_pixels=100_000)


@pytest.mark.parametrize(
    "data", [corpus.jpeg_with_appended_zip(), corpus.jpeg_with_script_comment()]
)
def test_a_polyglot_leaves_only_pixels(data):
    image = normalised(data, "image/jpeg")
    assert b"<script>" not in image.data and b"evil.html" not in image.data
    assert b"PK\x03\x04" not in image.data
    assert close_to(opened(image).getpixel((3, 3)), corpus.RED)
