"""Ukrainian: "28 листопада 2026 р., 20:00", "01.12.2026 20:35"."""

from django.conf.locale.uk.formats import *  # noqa: F403

# The day without a leading zero ("1 грудня", not "01 грудня"). A comma before
# the time rather than "о": Ukrainian says "об" before a vowel ("об 11:00"),
# which one fixed format cannot choose.
DATE_FORMAT = "j E Y р."
DATETIME_FORMAT = "j E Y р., H:i"
MONTH_DAY_FORMAT = "j E"
