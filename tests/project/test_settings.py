"""Settings come from the environment through one helper that names the variable when a
value is nonsense; secrets can come from files; every variable read is documented."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from playground import env

ROOT = Path(__file__).resolve().parents[2]


def start_settings(tmp_path: Path, **variables: str) -> subprocess.CompletedProcess:
    environment = {**os.environ, "PLAYGROUND_DATA_DIR": str(tmp_path), **variables}
    for name in ("PLAYGROUND_SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        if name not in variables:
            environment.pop(name, None)
    code = "import playground.settings as s; print(s.DATABASES['default']['CONN_MAX_AGE'])"
    return subprocess.run([sys.executable, "-c", code], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("PLAYGROUND_DB_CONN_MAX_AGE", "abc", "is not a whole number"),
        ("PLAYGROUND_DB_CONN_MAX_AGE", "-5", "must be at least 0"),
        ("PLAYGROUND_STREAM_FLUSH_MS", "abc", "is not a whole number"),
        ("PLAYGROUND_STREAM_FLUSH_MS", "5000", "must be at most 1000"),
        ("PLAYGROUND_LOG_LEVEL", "loud", "is not one of: DEBUG, INFO, WARNING, ERROR, CRITICAL"),
        ("PLAYGROUND_DEBUG", "maybe", "is not a boolean"),
        ("PLAYGROUND_MAX_IMAGE_MB", "lots", "is not a number"),
        ("PLAYGROUND_MAX_AUDIO_SECONDS", "0", "must be above 0"),
        ("PLAYGROUND_MAX_MESSAGE_MB", "nan", "is not a finite number"),
        ("PLAYGROUND_SIGNIN_FAILURE_LIMIT", "0", "must be at least 1"),
        ("PLAYGROUND_SECRET_KEY", "short", "at least 32 characters"),
    ],
)
def test_a_nonsense_value_stops_the_start_with_a_message_naming_the_variable(
    tmp_path, name, value, words
):
    done = start_settings(tmp_path, **{name: value})
    assert done.returncode != 0
    last_line = done.stderr.strip().splitlines()[-1]
    assert last_line.startswith("django.core.exceptions.ImproperlyConfigured: ")
    assert name in last_line and words in last_line, last_line


def test_sensible_values_start(tmp_path):
    done = start_settings(tmp_path, PLAYGROUND_DB_CONN_MAX_AGE="0", PLAYGROUND_LOG_LEVEL="debug")
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "0"


def test_a_secret_can_come_from_a_file(tmp_path, monkeypatch):
    secret_file = tmp_path / "key"
    secret_file.write_text("from-a-docker-secret-which-is-long-enough\n")
    monkeypatch.delenv("PLAYGROUND_EXAMPLE", raising=False)
    monkeypatch.setenv("PLAYGROUND_EXAMPLE_FILE", str(secret_file))
    assert env.secret("PLAYGROUND_EXAMPLE") == "from-a-docker-secret-which-is-long-enough"


@pytest.mark.parametrize(
    ("value", "file_content", "words"),
    [("also-set", "x", "not both"), (None, None, "cannot be read"), (None, "", "empty file")],
)
def test_a_secret_file_that_cannot_be_used_is_named(tmp_path, monkeypatch, value, file_content,
                                                    words):  # fmt: skip
    path = tmp_path / "key"
    if file_content is not None:
        path.write_text(file_content)
    if value:
        monkeypatch.setenv("PLAYGROUND_EXAMPLE", value)
    else:
        monkeypatch.delenv("PLAYGROUND_EXAMPLE", raising=False)
    monkeypatch.setenv("PLAYGROUND_EXAMPLE_FILE", str(path))
    with pytest.raises(ImproperlyConfigured, match=words) as caught:
        env.secret("PLAYGROUND_EXAMPLE")
    assert "PLAYGROUND_EXAMPLE" in str(caught.value)


def test_the_secret_key_and_an_environment_api_key_come_from_files(tmp_path):
    key_file, openai_file = tmp_path / "secret", tmp_path / "openai"
    key_file.write_text("k" * 40)
    openai_file.write_text("sk-from-a-file-1234")
    code = ("import django; django.setup(); from django.conf import settings; "
            "from connections.env_connections import ENV_CONNECTIONS; "
            "print(settings.SECRET_KEY == 'k' * 40, ENV_CONNECTIONS[0].key())")  # fmt: skip
    environment = {**os.environ, "PLAYGROUND_DATA_DIR": str(tmp_path),
                   "DJANGO_SETTINGS_MODULE": "playground.settings",
                   "PLAYGROUND_SECRET_KEY_FILE": str(key_file),
                   "OPENAI_API_KEY_FILE": str(openai_file)}  # fmt: skip
    environment.pop("PLAYGROUND_SECRET_KEY", None)
    environment.pop("OPENAI_API_KEY", None)
    done = subprocess.run([sys.executable, "-c", code], env=environment, cwd=ROOT,
                          capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.stdout.split() == ["True", "sk-from-a-file-1234"], done.stderr


# Names the project reads, found in its source: env helper calls, os.environ reads, and the
# environment variables provider records and environment connections name.
READS = re.compile(
    r"""(?:env\.\w+\(|environ\.get\(|environ\[|_env(?:_fallback)?=|_variable(?:_fallback)?=)\s*"""
    r"""["']([A-Z][A-Z0-9_]+)["']"""
)
ENV_CONNECTION = re.compile(r"""EnvConnection\(\s*"[^"]+",\s*"([A-Z0-9_]+)",\s*"([A-Z0-9_]+)\"""")


def variables_read() -> set[str]:
    names: set[str] = set()
    folders = ["playground", "chat", "accounts", "providers", "media", "bench", "tests"]
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            source = path.read_text()
            names.update(READS.findall(source))
            for pair in ENV_CONNECTION.findall(source):
                names.update(pair)
    names.update(env.READ)
    names.discard("PLAYGROUND_EXAMPLE")  # this file's own example
    return {name for name in names if not name.endswith("_FILE")}


def test_the_readme_documents_every_variable_the_project_reads():
    readme = (ROOT / "README.md").read_text()
    found = variables_read()
    assert {"PLAYGROUND_CHANNEL_PREFIX", "PLAYGROUND_TEST_DB", "OPENAI_API_KEY"} <= found
    missing = sorted(name for name in found if f"`{name}`" not in readme)
    assert not missing, f"README.md does not document: {', '.join(missing)}"
