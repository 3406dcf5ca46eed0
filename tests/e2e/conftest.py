"""Browser tests: real Chromium (Debian's) driven by Playwright against a real Daphne, with the
scripted fake provider as the model server. Run in their own pytest process (see Makefile)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.servers import PlaygroundServer
from tests.fakes.fake_provider import FakeProvider

CHROMIUM = os.environ.get("PLAYGROUND_CHROMIUM", "/usr/bin/chromium")
ADMIN = ("admin", "a-long-test-password-42")

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if Path(str(item.fspath)).is_relative_to(here):
            item.add_marker(pytest.mark.browser)
            if not shutil.which(CHROMIUM):
                reason = f"{CHROMIUM} is missing: apt-get install chromium"
                if os.environ.get("PLAYGROUND_REQUIRE_ALL_TIERS") == "1":
                    raise pytest.UsageError(reason + " (required by PLAYGROUND_REQUIRE_ALL_TIERS)")
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            # A fake microphone (a beeping tone) that needs no permission prompt.
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "viewport": {"width": 1400, "height": 900}}


@pytest.fixture(scope="session")
def fake() -> Iterator[FakeProvider]:
    server = FakeProvider().start()
    yield server
    server.stop()


@pytest.fixture(autouse=True)
def _fresh_fake_scripts(request: pytest.FixtureRequest) -> None:
    if "fake" in request.fixturenames:
        request.getfixturevalue("fake").reset()


@pytest.fixture(autouse=True)
def _no_content_security_policy_violations(request: pytest.FixtureRequest) -> Iterator[None]:
    """Every journey runs under the pages' Content-Security-Policy; a violation Chromium
    reports in any tab's console fails the test."""
    if "page" not in request.fixturenames or "expect_csp_violation" in request.fixturenames:
        yield
        return
    violations: list[str] = []

    def watch(message) -> None:  # type: ignore[no-untyped-def]
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    request.getfixturevalue("context").on("console", watch)
    yield
    assert not violations, "CSP violations: " + " | ".join(violations)


@pytest.fixture
def expect_csp_violation() -> None:
    """For the test that proves the policy blocks what it should (and the watcher sees it)."""


def start_server(tmp_path_factory: pytest.TempPathFactory, name: str) -> PlaygroundServer:
    server = PlaygroundServer(tmp_path_factory.mktemp(name))
    server.migrate()
    return server.start()


@pytest.fixture
def fresh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaygroundServer]:
    """A server nobody has visited yet (no account)."""
    server = start_server(tmp_path_factory, "fresh")
    yield server
    server.stop()


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PlaygroundServer]:
    """The shared server; its admin account is made on first sign-in (see `signed_in`)."""
    server = start_server(tmp_path_factory, "shared")
    yield server
    server.stop()


def create_admin_through_setup(page, base_url: str) -> None:
    page.goto(base_url + "/")
    page.get_by_label("Username").fill(ADMIN[0])
    page.get_by_label("Password", exact=True).fill(ADMIN[1])
    page.get_by_label("Confirm password").fill(ADMIN[1])
    page.get_by_role("button", name="Create admin account").click()
    page.wait_for_url("**/c/*/")


@pytest.fixture
def signed_in(page, server: PlaygroundServer):
    """A page signed in as the admin of the shared server."""
    page.goto(server.url + "/")
    if "/setup/" in page.url:
        create_admin_through_setup(page, server.url)
    elif "/login/" in page.url:
        page.get_by_label("Username").fill(ADMIN[0])
        page.get_by_label("Password").fill(ADMIN[1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/c/*/")
    return page
