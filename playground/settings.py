"""Playground settings: one env-driven file that refuses nonsense loudly.

Every environment variable read here is listed in the README. Secrets that have no value in
the environment are generated once into `PLAYGROUND_DATA_DIR` (mode 0600) so that a fresh
checkout runs with `make run` and nothing else.
"""

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name}={raw!r} is not a boolean; use true or false.")


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DATA_DIR = Path(os.environ.get("PLAYGROUND_DATA_DIR", BASE_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def secret_from_env_or_file(env_name: str, file_name: str) -> str:
    """Read a secret from the environment, else from a generated file that only we can read."""
    value = os.environ.get(env_name, "").strip()
    if value:
        if len(value) < 32:
            raise ImproperlyConfigured(f"{env_name} must be at least 32 characters long.")
        return value
    path = DATA_DIR / file_name
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


SECRET_KEY = secret_from_env_or_file("PLAYGROUND_SECRET_KEY", "secret_key")
# A dedicated secret for encrypting provider API keys at rest, so rotating SECRET_KEY (sessions)
# does not destroy stored connections and vice versa.
ENCRYPTION_KEY = secret_from_env_or_file("PLAYGROUND_ENCRYPTION_KEY", "encryption_key")

DEBUG = env_bool("PLAYGROUND_DEBUG", False)
ALLOWED_HOSTS = env_list("PLAYGROUND_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("PLAYGROUND_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "chat",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "chat.middleware.FirstRunMiddleware",
]

ROOT_URLCONF = "playground.urls"
ASGI_APPLICATION = "playground.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "chat.context_processors.sidebar",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{DATA_DIR / 'playground.sqlite3'}"),
        # Reused connections: every websocket turn visits the database from a worker thread,
        # and opening a connection there each time cost more than the queries themselves.
        conn_max_age=int(os.environ.get("PLAYGROUND_DB_CONN_MAX_AGE", "300")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the run writer and page readers work at once; the timeout rides out short locks.
    # synchronous=NORMAL is safe with WAL (no corruption; a power cut may lose the last commit)
    # and takes an fsync off every turn's start, which users feel as time to first token.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        }
    )
    DATABASES["default"].setdefault("TEST", {})["NAME"] = os.environ.get(
        "PLAYGROUND_TEST_DB", str(DATA_DIR / "test.sqlite3")
    )

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [REDIS_URL],
                "capacity": 1500,
                "expiry": 30,
                # Lets several sites (or test runs) share one Redis without hearing each other.
                "prefix": os.environ.get("PLAYGROUND_CHANNEL_PREFIX", "playground"),
            },
        }
    }
else:
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chat.channel_layer.SweepingInMemoryChannelLayer",
            "CONFIG": {"capacity": 1500},
        }
    }

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"  # for `collectstatic`; WhiteNoise also serves finders
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("PLAYGROUND_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# How often streamed text is flushed to the browser, in milliseconds (design §3: tens of ms).
PLAYGROUND_STREAM_FLUSH_MS = int(os.environ.get("PLAYGROUND_STREAM_FLUSH_MS", "30"))
if not 1 <= PLAYGROUND_STREAM_FLUSH_MS <= 1000:
    raise ImproperlyConfigured("PLAYGROUND_STREAM_FLUSH_MS must be between 1 and 1000.")


def _positive(name: str, default: str, kind: type = int) -> float | int:
    try:
        value = kind(os.environ.get(name, default))
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a number.") from None
    if value <= 0:
        raise ImproperlyConfigured(f"{name} must be above zero.")
    return value


# Attachments: stored through Django's storage API (object storage needs only STORAGES), under
# the data directory by default, never served as static files.
MEDIA_ROOT = Path(os.environ.get("PLAYGROUND_MEDIA_DIR", DATA_DIR / "media")).resolve()
MEDIA_URL = "/attachments/"  # every read goes through a permission-checking view
PLAYGROUND_MAX_IMAGE_MB = _positive("PLAYGROUND_MAX_IMAGE_MB", "20", float)
PLAYGROUND_MAX_AUDIO_MB = _positive("PLAYGROUND_MAX_AUDIO_MB", "25", float)
PLAYGROUND_MAX_AUDIO_SECONDS = _positive("PLAYGROUND_MAX_AUDIO_SECONDS", "600", float)
PLAYGROUND_MAX_IMAGE_PIXELS = _positive("PLAYGROUND_MAX_IMAGE_PIXELS", "50000000")
PLAYGROUND_MAX_ATTACHMENTS = _positive("PLAYGROUND_MAX_ATTACHMENTS", "10")
# Uploads bigger than this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("PLAYGROUND_LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
