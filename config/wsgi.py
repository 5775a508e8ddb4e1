import os

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def check_required_settings() -> None:
    """Refuse to serve a money site with no secret key or no allowed hosts."""
    if settings.DEBUG:
        return
    missing = [name for name in ("SECRET_KEY", "ALLOWED_HOSTS") if not os.getenv(name)]
    if missing:
        raise ImproperlyConfigured(
            f"{' and '.join(missing)} must be set when DEBUG is off (see .env.example)."
        )


check_required_settings()
application = get_wsgi_application()
