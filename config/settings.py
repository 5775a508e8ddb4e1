"""Zbor's one settings module: every deployment choice comes from the environment.

Defaults are safe for a money site: DEBUG is off unless asked for, and outside
DEBUG the SECRET_KEY and ALLOWED_HOSTS must be given. `.env.example` lists every
variable with production values. Each variable is read once, here, through
config/env.py, which refuses a value it does not understand.
"""

from pathlib import Path

import dj_database_url
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from config.env import (
    env_bool,
    env_decimal,
    env_float,
    env_int,
    env_list,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent


DEBUG = env_bool("DEBUG", False)

# Outside DEBUG both must come from the environment. The server refuses to start
# without them (config/wsgi.py); commands that need neither (makemigrations,
# check) still run, and anything that signs data fails with Django's own error.
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY and DEBUG:
    SECRET_KEY = "insecure-development-key-only-used-with-DEBUG-on"  # noqa: S105
ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000").rstrip("/")

INSTALLED_APPS = [
    # Before the admin, so its admin classes can show the translated fields.
    "modeltranslation",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "djmoney",
    "campaigns",
    "donations",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "config.security.SecurityHeadersMiddleware",
    # A control character in the path, query or cookies: 400 before anything
    # (the page cache, the session) reads them.
    "config.security.RefuseControlCharactersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Public pages from the shared cache, before anything they do not need.
    "campaigns.cache.PageCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # The admin and the desk in the staff member's language, not the default.
    "config.i18n.StaffLanguageMiddleware",
    "config.i18n.PreferredLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

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
                "django.template.context_processors.i18n",
            ],
        },
    },
]

# Database: SQLite out of the box, PostgreSQL in production through DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DB_CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Simultaneous donors queue for the write lock instead of failing with
    # "database is locked": SQLite has no row locks, so every write transaction
    # takes the database lock up front (IMMEDIATE) and waits up to 20 s for it.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
else:
    # Django's backend, health-checking kept connections after idleness only
    # (config/postgresql/base.py).
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        DATABASES["default"]["ENGINE"] = "config.postgresql"
    DATABASES["default"].setdefault("OPTIONS", {})
    # Fail fast when PostgreSQL is unreachable, well inside gunicorn's timeout.
    DATABASES["default"]["OPTIONS"].setdefault(
        "connect_timeout", env_int("DB_CONNECT_TIMEOUT", 3, minimum=1)
    )
    # Parameters sent apart from the SQL, and a statement a connection has run
    # DB_PREPARE_THRESHOLD times prepared (Django's default prepares none): then
    # PostgreSQL parses and plans every pledge's statement once per connection,
    # not once per request. Behind a transaction-pooling PgBouncer set
    # DB_SERVER_SIDE_BINDING=False, which prepares nothing either.
    server_side_binding = env_bool("DB_SERVER_SIDE_BINDING", True)
    DATABASES["default"]["OPTIONS"].setdefault(
        "server_side_binding", server_side_binding
    )
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold",
        env_int("DB_PREPARE_THRESHOLD", 5) if server_side_binding else None,
    )
    # A request that waits on a row lock or runs a slow statement gives up
    # well before gunicorn kills its worker, and answers 503 with Retry-After
    # (config/security.py). The periodic jobs take longer limits (config/jobs.py).
    DATABASES["default"]["OPTIONS"].setdefault(
        "options",
        f"-c lock_timeout={env_int('DB_LOCK_TIMEOUT_MS', 5000)} "
        f"-c statement_timeout={env_int('DB_STATEMENT_TIMEOUT_MS', 20000)}",
    )
DB_HEALTH_CHECK_AFTER_IDLE = env_float("DB_HEALTH_CHECK_AFTER_IDLE", 1.0)
# The periodic jobs' own, longer database limits (config/jobs.py).
DB_JOB_LOCK_TIMEOUT_MS = env_int("DB_JOB_LOCK_TIMEOUT_MS", 30000)
DB_JOB_STATEMENT_TIMEOUT_MS = env_int("DB_JOB_STATEMENT_TIMEOUT_MS", 600000)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Cache: local memory by default; Redis shared by every app server in production.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "config.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "zbor"),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

# Internationalisation. English is the source language.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("pl", _("Polish")),
    ("be", _("Belarusian")),
    ("ru", _("Russian")),
    ("uk", _("Ukrainian")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Campaign content in several languages (campaigns/translation.py). A donor sees
# their language, then the campaign's own fallback order, then English.
MODELTRANSLATION_DEFAULT_LANGUAGE = "en"
MODELTRANSLATION_FALLBACK_LANGUAGES = ("en",)
# The staff language switcher (templates/admin/includes/language_switcher.html)
# keeps the choice for a year; a donor's language is in the address instead.
LANGUAGE_COOKIE_AGE = 365 * 24 * 60 * 60
LANGUAGE_COOKIE_SAMESITE = "Lax"
# Dates and times as each language writes them (config/formats/<language>/).
FORMAT_MODULE_PATH = ["config.formats"]
TIME_ZONE = "Europe/Warsaw"
USE_I18N = True
USE_TZ = True

# Static files: hashed and compressed by WhiteNoise, served by the app itself.
STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = env_str("MEDIA_URL", "/media/")
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "media")))
# Photos are served by the app itself unless a proxy or object store serves MEDIA_URL
# (then set SERVE_MEDIA=False). Several app servers must share MEDIA_ROOT.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": env_str(
            "STATICFILES_BACKEND",
            "whitenoise.storage.CompressedManifestStaticFilesStorage",
        )
    },
}
# A photo upload is at most 10 MB; leave room for the rest of the form.
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# Security. Outside DEBUG the site is HTTPS only.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
LANGUAGE_COOKIE_SECURE = not DEBUG
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Only our own files, no inline script or style anywhere, so no nonce is ever
# needed and a cached page stays valid. config.security adds Permissions-Policy.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
}
# How many proxies (each appending to X-Forwarded-For) stand between the client
# and gunicorn: 1 behind nginx, 0 when gunicorn faces the internet.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)

LOGIN_URL = "admin:login"

# Email (Django 6.1 mailers): the console in development, SMTP in production.
if env_str("EMAIL_HOST") or not DEBUG:
    MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {
                "host": env_str("EMAIL_HOST", "localhost"),
                "port": env_int("EMAIL_PORT", 25, minimum=1),
                "username": env_str("EMAIL_HOST_USER"),
                "password": env_str("EMAIL_HOST_PASSWORD"),
                "use_tls": env_bool("EMAIL_USE_TLS", False),
                # Seconds per SMTP command. Only the outbox worker (manage.py
                # send_outbox) talks to the mail server; requests never do.
                "timeout": env_int("EMAIL_TIMEOUT", 10, minimum=1),
            },
        }
    }
else:
    MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Zbor <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Zbor's own rules.
ZBOR_PLEDGE_MIN = env_decimal("ZBOR_PLEDGE_MIN", "1.00", minimum="0.01")
ZBOR_DEMO_LOGINS = DEBUG
# Pledges stored per client address and per campaign, "count/seconds" (a
# config.env.Rate), counted in the shared cache (donations.ratelimit): one
# address is stopped quickly, while hundreds of donors a minute still get
# through to one campaign. Forms sent back with an error (a typo in the amount)
# have their own, higher limit.
ZBOR_PLEDGE_RATE_PER_ADDRESS = env_rate("ZBOR_PLEDGE_RATE_PER_ADDRESS", "20/600")
ZBOR_PLEDGE_RATE_PER_CAMPAIGN = env_rate("ZBOR_PLEDGE_RATE_PER_CAMPAIGN", "600/60")
ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS = env_rate(
    "ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS", "60/600"
)
# Staff login (config.auth): failed logins lock, for a cool-off, one username
# from one address (PER_PAIR) and one address whatever the usernames (PER_ADDRESS)
# for COOLOFF; one username from all addresses together (PER_USERNAME within
# USERNAME_WINDOW) for USERNAME_COOLOFF, doubled at each lock, up to COOLOFF.
ZBOR_LOGIN_FAILURES_PER_PAIR = env_int("ZBOR_LOGIN_FAILURES_PER_PAIR", 5, minimum=1)
ZBOR_LOGIN_FAILURES_PER_ADDRESS = env_int(
    "ZBOR_LOGIN_FAILURES_PER_ADDRESS", 20, minimum=1
)
ZBOR_LOGIN_FAILURES_PER_USERNAME = env_int(
    "ZBOR_LOGIN_FAILURES_PER_USERNAME", 50, minimum=1
)
ZBOR_LOGIN_USERNAME_WINDOW_SECONDS = env_int(
    "ZBOR_LOGIN_USERNAME_WINDOW_SECONDS", 3600, minimum=1
)
ZBOR_LOGIN_COOLOFF_SECONDS = env_int("ZBOR_LOGIN_COOLOFF_SECONDS", 900, minimum=1)
ZBOR_LOGIN_USERNAME_COOLOFF_SECONDS = env_int(
    "ZBOR_LOGIN_USERNAME_COOLOFF_SECONDS", 60, minimum=1
)
# What a 503 (database unreachable) asks clients to wait.
ZBOR_RETRY_AFTER_SECONDS = env_int("ZBOR_RETRY_AFTER_SECONDS", 10, minimum=1)
# Every word that may name a donor (names, emails, messages, notes, typed
# reasons) is purged this long after a campaign closes (`manage.py
# purge_donor_data`, daily from cron).
ZBOR_DONOR_DATA_RETENTION_DAYS = env_int(
    "ZBOR_DONOR_DATA_RETENTION_DAYS", 90, minimum=1
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # mt-940 logs the lines it cannot parse: payers' names and titles.
        "mt940": {"level": "CRITICAL"},
    },
}
