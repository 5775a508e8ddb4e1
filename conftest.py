"""Test-wide settings. pyproject.toml's `env` sets the environment Django reads."""


def pytest_configure(config):
    from django.conf import settings

    # Django's default hasher costs about a second per user here.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
