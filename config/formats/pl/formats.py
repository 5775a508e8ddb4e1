"""Polish: "28 listopada 2026, 20:00", "01.12.2026, 20:35"."""

from django.conf.locale.pl.formats import *  # noqa: F403

# A comma keeps the year and the hour apart ("2026 20:00" reads as one number).
DATETIME_FORMAT = "j E Y, H:i"
# Polish writes short dates with dots; Django's "01-12-2026" is not used.
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y, H:i"
