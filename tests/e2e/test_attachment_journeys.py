"""Images and audio in real Chromium: attach by button, drop and paste, record from the (fake)
microphone, send to two providers, and a refusal for a model that cannot take them."""

from __future__ import annotations

import base64

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import create_admin_through_setup
from tests.e2e.journeys import (
    add_connection,
    expect_new_answer,
    last_answer,
    new_conversation,
    wait_for,
    wait_until_finished,
)
from tests.e2e.servers import PlaygroundServer
from tests.media import corpus


def connect(page: Page, server, fake, kind: str = "openai_compatible", suffix="/v1") -> str:
    root = fake.base_url.removesuffix("/v1")
    return add_connection(page, server.url, root + suffix, kind=kind)


def chips(page: Page):
    return page.locator("#attachment-chips .chip")


def attach_with_button(page: Page, path) -> None:
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach file").click()
    chooser.value.set_files(str(path))


def hand_over(page: Page, event: str, data: bytes, name: str, media_type: str) -> None:
    """Drop a file on the composer, or paste it, the way the browser delivers either."""
    page.evaluate(
        """([event, b64, name, type]) => {
            const bytes = Uint8Array.from(atob(b64), c => c.charCodeAt(0));
            const transfer = new DataTransfer();
            transfer.items.add(new File([bytes], name, {type}));
            const target = document.getElementById('message-input');
            const init = {bubbles: true, cancelable: true};
            target.dispatchEvent(event === 'paste'
                ? new ClipboardEvent('paste', {...init, clipboardData: transfer})
                : new DragEvent(event, {...init, dataTransfer: transfer}));
        }""",
        [event, base64.b64encode(data).decode(), name, media_type],
    )


def send_message(page: Page, text: str) -> None:
    expect_new_answer(page)
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_role("button", name="Send").click()


def test_images_attached_by_button_drop_and_paste_are_sent_and_shown_after_reload(
    signed_in: Page, server, fake, tmp_path
):
    page = signed_in
    connection = connect(page, server, fake)
    new_conversation(page, connection, "fake-model")
    photo = tmp_path / "holiday.jpg"
    photo.write_bytes(corpus.with_gps())
    attach_with_button(page, photo)
    expect(chips(page)).to_have_count(1)
    expect(chips(page).first).to_contain_text("holiday.jpg")
    expect(chips(page).first).to_contain_text("120×60")
    hand_over(page, "dragover", b"", "x", "image/png")
    hand_over(page, "drop", corpus.encoded(corpus.upright(), "PNG"), "dropped.png", "image/png")
    expect(chips(page)).to_have_count(2)
    hand_over(page, "paste", corpus.encoded(corpus.upright((80, 40)), "PNG"), "image.png",
              "image/png")  # fmt: skip
    expect(chips(page)).to_have_count(3)
    thumbnail = chips(page).first.locator("img")
    expect(thumbnail).to_have_js_property("complete", True)
    assert thumbnail.evaluate("img => img.naturalWidth") == 120  # served back to its owner

    page.get_by_role("button", name="Remove dropped.png").click()
    expect(chips(page)).to_have_count(2)
    page.get_by_label("Detail for holiday.jpg").select_option("low")
    send_message(page, "What are these?")
    expect(chips(page)).to_have_count(0)  # sent with the message
    assert wait_until_finished(page) == "done"
    sent = fake.requests()[-1]
    assert [p["sniffed"] for p in sent["received"]] == ["image/jpeg", "image/png"]
    image_urls = [p["image_url"] for p in sent["body"]["messages"][-1]["content"][1:]]
    assert image_urls[0]["detail"] == "low" and "detail" not in image_urls[1]
    you = page.locator("article[data-role=user]").last
    expect(you.locator("img")).to_have_count(2)
    last_answer(page).get_by_text("What the model received").click()
    expect(last_answer(page)).to_contain_text("holiday.jpg")
    expect(last_answer(page)).to_contain_text("Location (GPS) data removed.")

    page.reload()
    expect(page.locator("article[data-role=user]").last.locator("img")).to_have_count(2)
    expect(last_answer(page)).to_contain_text("What the model received")


def test_a_refused_file_says_why_and_leaves_the_composer_usable(signed_in: Page, server, fake,
                                                                tmp_path):  # fmt: skip
    page = signed_in
    new_conversation(page, connect(page, server, fake), "fake-model")
    hostile = tmp_path / "logo.svg"
    hostile.write_bytes(corpus.SVG)
    attach_with_button(page, hostile)
    expect(page.get_by_role("alert")).to_contain_text("SVG images are refused")
    expect(chips(page)).to_have_count(0)


def test_a_recording_from_the_microphone_is_sent_converted_to_mp3(signed_in: Page, server, fake):
    page = signed_in
    new_conversation(page, connect(page, server, fake), "fake-model")
    expect(page.get_by_role("button", name="Stop recording")).to_be_hidden()
    page.get_by_role("button", name="Record audio").click()
    expect(page.get_by_label("Recording time")).to_have_text("0:02", timeout=5000)
    level = page.get_by_label("Microphone level")
    wait_for(page, "document.getElementById('recorder-level').value > 0")
    assert float(level.evaluate("m => m.value")) > 0  # the meter moves with the fake beep
    page.get_by_role("button", name="Stop recording").click()
    expect(chips(page)).to_have_count(1, timeout=10_000)
    expect(page.get_by_role("button", name="Stop recording")).to_be_hidden()
    expect(page.get_by_role("button", name="Record audio")).to_be_enabled()
    chip = chips(page).first
    expect(chip.locator("audio")).to_have_count(1)
    expect(chip).to_contain_text("0:0")  # its measured duration, about two seconds
    expect_new_answer(page)
    page.get_by_label("Message", exact=True).press("Enter")  # a recording alone can be sent
    assert wait_until_finished(page) == "done"
    [part] = fake.requests()[-1]["received"]
    assert (part["declared"], part["sniffed"]) == ("audio/mp3", "audio/mpeg")


@pytest.mark.parametrize(
    ("kind", "suffix", "model", "longest"),
    [("openai_compatible", "/v1", "fake-model", 2048),
     ("anthropic", "/v1", "claude-sonnet-4-5", 1568)],
)  # fmt: skip
def test_the_same_photo_goes_to_two_providers_each_within_its_limits(
    signed_in: Page, server, fake, tmp_path, kind, suffix, model, longest
):
    page = signed_in
    new_conversation(page, connect(page, server, fake, kind, suffix), model)
    photo = tmp_path / "big.jpg"
    photo.write_bytes(corpus.encoded(corpus.photo_like((3000, 2000)), "JPEG", quality=85))
    attach_with_button(page, photo)
    expect(chips(page)).to_have_count(1)
    detail = page.get_by_label("Detail for big.jpg")  # only where the provider has one
    expect(detail).to_be_visible() if kind == "openai_compatible" else expect(detail).to_be_hidden()
    fake.push_script(tokens=["A ", "gradient."])
    send_message(page, "Describe it.")
    assert wait_until_finished(page) == "done"
    [part] = fake.requests()[-1]["received"]
    assert part["sniffed"] == "image/jpeg" and max(part["width"], part["height"]) <= longest
    last_answer(page).get_by_text("What the model received").click()
    expect(last_answer(page)).to_contain_text(f"{part['width']}×{part['height']}")


def test_a_text_only_model_is_refused_the_image_and_nothing_is_lost(
    signed_in: Page, server, fake, tmp_path
):
    page = signed_in
    connection = connect(page, server, fake, "ollama", "")
    new_conversation(page, connection, "llama3.2")
    expect(page.locator(".model-capabilities")).to_have_text(
        "Takes: text · tools · structured output (llama3.2)"
    )  # the panel already says so, by the model's family
    photo = tmp_path / "chart.png"
    photo.write_bytes(corpus.encoded(corpus.upright(), "PNG"))
    attach_with_button(page, photo)
    expect(chips(page)).to_have_count(1)
    page.get_by_label("Message", exact=True).fill("Read this chart")
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#composer-errors")).to_contain_text("llama3.2 on")
    expect(page.locator("#composer-errors")).to_contain_text("cannot take images")
    expect(chips(page)).to_have_count(1)
    expect(page.get_by_label("Message", exact=True)).to_have_value("Read this chart")
    assert fake.requests() == []


@pytest.fixture
def short_recordings_server(tmp_path_factory):
    """A server whose recordings may last two seconds."""
    server = PlaygroundServer(tmp_path_factory.mktemp("short"),
                              extra_env={"PLAYGROUND_MAX_AUDIO_SECONDS": "2"})  # fmt: skip
    server.migrate()
    yield server.start()
    server.stop()


def test_the_recorder_stops_itself_at_the_limit_and_keeps_the_recording(
    page: Page, short_recordings_server
):
    create_admin_through_setup(page, short_recordings_server.url)
    page.get_by_role("button", name="Record audio").click()
    expect(page.get_by_role("button", name="Stop recording")).to_be_visible()
    # Nobody presses Stop: the recorder ends before the server would refuse the file.
    expect(page.get_by_role("button", name="Stop recording")).to_be_hidden(timeout=10_000)
    expect(chips(page)).to_have_count(1, timeout=10_000)
    expect(chips(page).first).to_contain_text("0:0")
    expect(page.locator("#upload-errors")).to_have_text("The recording stopped at the 0:02 limit.")
