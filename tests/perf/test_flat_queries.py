"""The busy pages run the same number of queries with 1 pledge and with 10 000.

Counted on a cache miss (the page cache is emptied before each count), so what is
measured is the render itself; a hit costs one query (test_page_cache.py).
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.cache import cache
from django.db import connection
from django.db.models import Count, F, Q, Sum
from django.test.utils import CaptureQueriesContext
from djmoney.money import Money

from campaigns.models import Campaign
from donations.models import Pledge
from tests.base import ZborTestCase
from tests.donations.base import pledge

CEILING = 15  # no page here needs more; a query per row would blow through it


def bulk_pledges(campaign: Campaign, count: int, first: int = 0) -> None:
    """`count` pledges in a few inserts (pending, received and cancelled, some
    earmarked), then the stored totals set to their sums and the version bumped,
    as pledging keeps them."""
    lines = list(campaign.lines.all())
    pledges = []
    for n in range(first, first + count):
        status = ("pending", "received", "received", "cancelled")[n % 4]
        amount = Money(Decimal(5 + n % 50), campaign.currency)
        pledges.append(
            Pledge(
                campaign=campaign,
                line=lines[n % len(lines)] if n % 3 == 0 else None,
                amount=amount,
                status=status,
                received_amount=amount if status == "received" else None,
                cancelled_at=campaign.created_at if status == "cancelled" else None,
                reference=f"P{n:07d}",
                access_key=f"perf-{n}",
                donor_name=f"Donor {n}",
                message=f"Message {n}" if n % 2 else "",
            )
        )
    Pledge.objects.bulk_create(pledges, batch_size=2000)
    sums = Pledge.objects.filter(campaign=campaign).aggregate(
        collected=Sum("received_amount", filter=Q(status="received")),
        promised=Sum("amount", filter=Q(status="pending")),
        supporters=Count("pk", filter=~Q(status="cancelled")),
    )
    Campaign.objects.filter(pk=campaign.pk).update(
        collected=Money(sums["collected"] or 0, campaign.currency),
        promised=Money(sums["promised"] or 0, campaign.currency),
        supporters=sums["supporters"],
        version=F("version") + 1,
    )
    for line in lines:
        earmarked = Pledge.objects.filter(line=line).aggregate(
            r=Sum("received_amount", filter=Q(status="received")),
            p=Sum("amount", filter=Q(status="pending")),
        )
        line.earmarked = Money(
            (earmarked["r"] or 0) + (earmarked["p"] or 0), campaign.currency
        )
        line.save(update_fields=["earmarked", "earmarked_currency"])


class FlatQueriesMixin:
    """Counts queries for each page; subclasses compare the counts."""

    def pages(self) -> dict[str, str]:
        return {
            "campaign page": "/c/konstantin/",
            "campaign list": "/",
            "thank-you page": self.first_pledge.thanks_path(),
            "pledge form": "/c/konstantin/give/",
        }

    def count_queries(self, url: str, *, admin: bool = False) -> int:
        if admin:
            self.client.force_login(self.superuser)
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return len(queries)


ADMIN_PLEDGES = "/admin/donations/pledge/"
ADMIN_FILTERED = f"{ADMIN_PLEDGES}?status__exact=pending"


class OnePledgeTests(FlatQueriesMixin, ZborTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.first_pledge = pledge(cls.campaign, "10")

    def test_every_page_stays_under_the_ceiling(self):
        for name, url in self.pages().items():
            with self.subTest(name):
                self.assertLessEqual(self.count_queries(url), CEILING)
        for url in (ADMIN_PLEDGES, ADMIN_FILTERED):
            with self.subTest(url):
                self.assertLessEqual(self.count_queries(url, admin=True), CEILING)


@pytest.mark.slow
class TenThousandPledgesTests(FlatQueriesMixin, ZborTestCase):
    """The same pages after 10 000 more pledges: not one query more."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.first_pledge = pledge(cls.campaign, "10")

    def test_the_pages_run_the_same_queries_as_with_one_pledge(self):
        before = {name: self.count_queries(url) for name, url in self.pages().items()}
        self.client.logout()
        bulk_pledges(self.campaign, 10_000)
        self.assertEqual(Pledge.objects.count(), 10_001)
        for name, url in self.pages().items():
            with self.subTest(name), self.assertNumQueries(before[name]):
                cache.clear()
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_the_admin_lists_run_the_same_queries_past_ten_thousand(self):
        # Up to 10 000 rows the list counts them; past that it asks the
        # database for an estimate (one query), whatever the size.
        bulk_pledges(self.campaign, 10_000)
        lists = (ADMIN_PLEDGES, ADMIN_FILTERED)
        before = {url: self.count_queries(url, admin=True) for url in lists}
        bulk_pledges(self.campaign, 10_000, first=10_000)
        self.assertEqual(Pledge.objects.count(), 20_001)
        for url, count in before.items():
            with self.subTest(url), self.assertNumQueries(count):
                self.assertEqual(self.client.get(url).status_code, 200)

    def test_the_page_shows_the_totals_of_all_pledges(self):
        bulk_pledges(self.campaign, 10_000)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertEqual(campaign.supporters, 7_501)  # a quarter are cancelled
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "7501")
