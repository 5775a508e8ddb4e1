"""Admin lists that cost the same at ten thousand rows and at a million.

Django's change list counts every row it could show (for the "N results" line
and the page links) and, with a date hierarchy, reads the dates of every row
for the year/month links. Both grow with the table. Here:

- `BoundedCountPaginator` counts exactly up to `EXACT_UP_TO` rows and past
  that takes PostgreSQL's estimate (the planner's, no rows read; rounded to
  two significant digits, so it reads as one), and offers
  no page past `MAX_PAGES`: a deep OFFSET reads every row before it. Filters
  and the reference search reach any row without paging that far.
- `RecentFilter` narrows a list to the last 7 or 30 days, a range the
  `created_at` index reads, in place of the date hierarchy.
"""

from __future__ import annotations

import json
from datetime import timedelta

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

EXACT_UP_TO = 10_000  # rows counted one by one; past this, an estimate
MAX_PAGES = 100  # the deepest page a list offers


class BoundedCountPaginator(Paginator):
    """A paginator whose count reads at most EXACT_UP_TO + 1 rows."""

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return super().count
        capped = rows.order_by()[: EXACT_UP_TO + 1].count()
        if capped <= EXACT_UP_TO:
            return capped
        return max(rounded(planner_estimate(rows)), capped)

    @cached_property
    def num_pages(self) -> int:
        return min(super().num_pages, MAX_PAGES)


def rounded(estimate: int) -> int:
    """Two significant digits (538 421 -> 540 000): an estimate that does not
    pass for a count."""
    if estimate < 100:
        return estimate
    step = 10 ** (len(str(estimate)) - 2)
    return round(estimate / step) * step


def planner_estimate(rows: QuerySet) -> int:
    """How many rows PostgreSQL expects `rows` to hold (EXPLAIN, which plans
    the query and runs nothing); 0 on other databases."""
    if connections[rows.db].vendor != "postgresql":
        return 0
    plan = json.loads(rows.order_by().values("pk").explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


class RecentFilter(admin.SimpleListFilter):
    """Rows created in the last 7 or 30 days."""

    title = _("date created")
    parameter_name = "created"
    field = "created_at"
    DAYS = (7, 30)

    def lookups(self, request, model_admin):
        return [
            ("7", _("In the last 7 days")),
            ("30", _("In the last 30 days")),
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value not in {str(days) for days in self.DAYS}:
            return queryset  # a value it does not offer filters nothing
        since = timezone.now() - timedelta(days=int(value))
        return queryset.filter(**{f"{self.field}__gte": since})
