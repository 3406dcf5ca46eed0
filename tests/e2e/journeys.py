"""Steps shared by the browser journeys, written as a user would do them."""

from __future__ import annotations

import itertools
import re
import time

from playwright.sync_api import Page, expect

_names = itertools.count(1)


def add_connection(
    page: Page,
    base_url: str,
    fake_url: str,
    api_key: str = "sk-e2e-key-9876",
    kind: str = "openai_compatible",
    options: dict[str, str] | None = None,
) -> str:
    name = f"Fake {next(_names)}"
    page.goto(base_url + "/connections/")
    page.get_by_label("Provider").select_option(kind)
    for label, value in (options or {}).items():
        page.get_by_label(label, exact=True).fill(value)  # only the chosen kind's are shown
    page.get_by_label("Name", exact=True).fill(name)
    page.get_by_label("Base URL").fill(fake_url)
    page.get_by_label("API key").fill(api_key)
    page.get_by_role("button", name="Add connection").click()
    expect(page.get_by_text(f"Added {name}.")).to_be_visible()
    return name


def new_conversation(page: Page, connection: str, model: str, **params: str) -> None:
    """A new conversation of one pane (a new conversation starts with the panes of the last
    one; the others are removed) on `connection` and `model`, with the default timeout and
    retries unless `params` say otherwise, and no tools or output schema: a journey's
    one-second timeout, carried from conversation to conversation, failed later journeys on
    a busy machine, and a structured-output journey's schema, carried the same way, made a
    later Markdown answer fail to fit it (which conversation is the last depends on when
    each one's rows were written)."""
    params = {"timeout": "60", "max_retries": "2", **params}
    page.get_by_role("button", name="New conversation").click()
    page.wait_for_url("**/c/*/")
    panes = page.get_by_role("region", name=re.compile(r"^Pane \d$"))
    while panes.count() > 1:
        count = panes.count()
        page.get_by_role("region", name=f"Pane {count}").get_by_role(
            "button", name="Remove pane").click()  # fmt: skip
        expect(panes).to_have_count(count - 1)
    page = page.get_by_role("region", name="Pane 1")  # the settings are the pane's
    picker = page.get_by_label("Connection")
    picker.select_option(label=picker.locator("option", has_text=f"{connection} (").inner_text())
    page.get_by_label("Model", exact=True).fill(model)
    labels = {"max_retries": "Max retries", "timeout": "Timeout", "temperature": "Temperature",
              "max_tokens": "Max tokens", "system_prompt": "System prompt"}  # fmt: skip
    for key, value in params.items():
        page.get_by_label(labels[key], exact=True).fill(value)
    page.get_by_label("Tools (JSON array)").fill("")
    page.get_by_label("Output schema (JSON Schema)").fill("")


def wait_for(page: Page, expression: str, timeout: float = 30_000) -> None:
    """Poll until a JavaScript expression is true. (Playwright's wait_for_function evaluates
    a string inside the page, which the pages' Content-Security-Policy rightly forbids;
    page.evaluate goes through the debugging protocol, which it does not.)"""
    deadline = time.monotonic() + timeout / 1000
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout:.0f} ms: {expression}")
        page.wait_for_timeout(25)


ANSWERS = "document.querySelectorAll('article[data-role=assistant]').length"


def expect_new_answer(page: Page) -> None:
    """Remember how many answers there are, so that waiting for the next one cannot mistake
    the previous answer for it before the new one is on the page."""
    page.evaluate(f"window.__answersBefore = {ANSWERS}")


def send(page: Page, text: str) -> None:
    expect_new_answer(page)
    page.get_by_label("Message", exact=True).fill(text)
    page.get_by_label("Message", exact=True).press("Enter")


def last_answer(page: Page):
    return page.locator("article[data-role=assistant]").last


def wait_until_finished(page: Page, timeout: float = 30_000) -> str:
    wait_for(page, f"{ANSWERS} > (window.__answersBefore ?? -1)", timeout=timeout)
    answer = last_answer(page)
    expect(answer).not_to_have_attribute("data-status", "streaming", timeout=timeout)
    return answer.get_attribute("data-status") or ""
