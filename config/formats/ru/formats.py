"""Russian: "28 ноября 2026 г. в 20:00", "01.12.2026 20:35"."""

from django.conf.locale.ru.formats import *  # noqa: F403

DATETIME_FORMAT = "j E Y г. в G:i"
