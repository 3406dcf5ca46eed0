"""Playground settings: one env-driven file that refuses nonsense loudly.

Every environment variable read here is listed in the README. Secrets that have no value in
the environment are generated once into `PLAYGROUND_DATA_DIR` (mode 0600) so that a fresh
checkout runs with `make run` and nothing else.
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path

import dj_database_url
from csp.constants import NONCE
from django.core.exceptions import ImproperlyConfigured

from playground import env

BASE_DIR = Path(__file__).resolve().parent.parent

DATA_DIR = env.path("PLAYGROUND_DATA_DIR", BASE_DIR / "var")
DATA_DIR.mkdir(parents=True, exist_ok=True)


def secret_from_env_or_file(env_name: str, file_name: str) -> str:
    """A secret from the environment (or its _FILE), else from a file generated once in the
    data directory that only we can read."""
    value = env.secret(env_name)
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

DEBUG = env.boolean("PLAYGROUND_DEBUG", False)
ALLOWED_HOSTS = env.items("PLAYGROUND_ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
CSRF_TRUSTED_ORIGINS = env.items("PLAYGROUND_CSRF_TRUSTED_ORIGINS", "")

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "channels",
    "csp",
    "django_htmx",
    "axes",
    "accounts",
    "connections",
    "chat",
    "compare",
    "library",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "accounts.middleware.FirstRunMiddleware",
    # Last, so it sees the sign-in view's failures and answers a locked-out client itself.
    "axes.middleware.AxesMiddleware",
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
        env.secret("DATABASE_URL", f"sqlite:///{DATA_DIR / 'playground.sqlite3'}"),
        # Reused connections: every websocket turn visits the database from a worker thread,
        # and opening a connection there each time cost more than the queries themselves.
        conn_max_age=env.integer("PLAYGROUND_DB_CONN_MAX_AGE", 300, minimum=0),
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
    # Tests run on a file (live servers and browsers share it); two test runs at once need
    # two files.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = str(
        env.path("PLAYGROUND_TEST_DB", DATA_DIR / "test.sqlite3")
    )

REDIS_URL = env.secret("REDIS_URL")
if REDIS_URL:
    CHANNEL_PREFIX = env.text("PLAYGROUND_CHANNEL_PREFIX", "playground")
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "chat.channel_layer.WaitingRedisChannelLayer",
            "CONFIG": {
                # redis-py 8 gives every socket a 5 s read timeout, the length of channels_redis's
                # blocking pop: an idle socket's receive then failed. Longer than the pop, still
                # short enough to notice a Redis that went away.
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30}],
                "capacity": 1500,
                "expiry": 30,
                # Lets several sites (or test runs) share one Redis without hearing each other.
                "prefix": CHANNEL_PREFIX,
            },
        },
        # A conversation's events for the other processes' sockets (chat.engine.fanout):
        # Redis publish/subscribe, pushed to every process that watches, where the default
        # layer would queue them in one list per process, read one round trip at a time and
        # dropped past its capacity.
        "watchers": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": f"{CHANNEL_PREFIX}.watchers"},
        },
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
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # refuses a locked-out client before any check
    "django.contrib.auth.backends.ModelBackend",
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling (django-axes): failures are counted per username and, separately, per
# client address; either reaching the limit locks that username or address out for the
# cool-off. Admins unlock on the Team page (or `manage.py axes_reset`).
AXES_FAILURE_LIMIT = env.integer("PLAYGROUND_SIGNIN_FAILURE_LIMIT", 5, minimum=1, maximum=1000)
AXES_COOLOFF_TIME = timedelta(
    minutes=env.number("PLAYGROUND_SIGNIN_COOLOFF_MINUTES", 15, minimum=0.1, maximum=7 * 24 * 60)
)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_USERNAME_CALLABLE = "accounts.lockouts.username_of"
AXES_LOCKOUT_CALLABLE = "accounts.lockouts.lockout_response"
AXES_SENSITIVE_PARAMETERS = ["password"]
AXES_VERBOSE = False

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
SESSION_COOKIE_SECURE = env.boolean("PLAYGROUND_SECURE_COOKIES", False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# The Content-Security-Policy of every page (django-csp): scripts only from our own origin
# or carrying this response's nonce, no plug-ins, no framing, no foreign <base>; the socket
# is our own origin ('self' covers ws: and wss: of it). Images and recordings may be blob:
# URLs (previews made in the page) and data: URLs (the empty favicon).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'", NONCE],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:", "blob:"],
        "media-src": ["'self'", "blob:"],
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

# How often streamed text is flushed to the browser, in milliseconds (design §3: tens of ms).
PLAYGROUND_STREAM_FLUSH_MS = env.integer("PLAYGROUND_STREAM_FLUSH_MS", 30, minimum=1, maximum=1000)
# How many pieces of text the whole process publishes a second at most: with many answers
# streaming at once each one's interval grows past PLAYGROUND_STREAM_FLUSH_MS to stay under
# it (chat/engine/coalescing.py).
PLAYGROUND_STREAM_FLUSHES_PER_SECOND = env.integer(
    "PLAYGROUND_STREAM_FLUSHES_PER_SECOND", 2000, minimum=10, maximum=1_000_000
)

# The largest websocket message the application takes (a prompt, its system prompt and the
# settings together). The composer refuses a longer one before sending; the server answers
# one with an error frame. Daphne's own limit is set well above it (playground/serve.py), so
# a client that ignores the composer still gets an answer instead of a dropped socket.
PLAYGROUND_MAX_MESSAGE_MB = env.number("PLAYGROUND_MAX_MESSAGE_MB", 2, minimum=0.01, maximum=64)
PLAYGROUND_MAX_MESSAGE_BYTES = int(PLAYGROUND_MAX_MESSAGE_MB * 2**20)

# Attachments: stored through Django's storage API (object storage needs only STORAGES), under
# the data directory by default, never served as static files.
MEDIA_ROOT = env.path("PLAYGROUND_MEDIA_DIR", DATA_DIR / "media")
MEDIA_URL = "/attachments/"  # every read goes through a permission-checking view
PLAYGROUND_MAX_IMAGE_MB = env.number("PLAYGROUND_MAX_IMAGE_MB", 20, above=0)
PLAYGROUND_MAX_AUDIO_MB = env.number("PLAYGROUND_MAX_AUDIO_MB", 25, above=0)
PLAYGROUND_MAX_AUDIO_SECONDS = env.number("PLAYGROUND_MAX_AUDIO_SECONDS", 600, above=0)
PLAYGROUND_MAX_IMAGE_PIXELS = env.integer("PLAYGROUND_MAX_IMAGE_PIXELS", 50_000_000, minimum=1)
PLAYGROUND_MAX_ATTACHMENTS = env.integer("PLAYGROUND_MAX_ATTACHMENTS", 10, minimum=1)
# Uploads bigger than this are streamed to a temporary file instead of memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 2**20
# Form posts (the settings autosave carries the system prompt) reach our own checks, which
# say the limit, rather than Django's bare 400.
DATA_UPLOAD_MAX_MEMORY_SIZE = max(5 * 2**20, 2 * PLAYGROUND_MAX_MESSAGE_BYTES)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Every line, traceback included, has the secrets this process holds taken out.
    "formatters": {"redacting": {"()": "playground.redaction.RedactingFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "redacting"}},
    "root": {
        "handlers": ["console"],
        "level": env.choice("PLAYGROUND_LOG_LEVEL", "INFO", env.LOG_LEVELS),
    },
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}
