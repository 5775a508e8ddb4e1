"""Totals are exact Decimals on every backend: SQLite can hand back a SUM of
decimals as a float (1 000 x 0.10 + 333 x 19.99 = 6756.66999999995)."""

from decimal import Decimal

from djmoney.money import Money

from campaigns.models import Campaign
from campaigns.money import to_cents
from donations.models import Pledge, Totals
from donations.pledging import (
    Donor,
    gift_record,
    pledge_create,
    pledge_receive,
    receipt_correct,
    receipt_undo,
)
from tests.base import ZborTestCase, make_campaign

DIMES, PRICEY = 1000, 333


class ExactTotalsTests(ZborTestCase):
    def bulk(self, campaign, count, amount, prefix, *, line=None, received=False):
        money = Money(Decimal(amount), campaign.currency)
        Pledge.objects.bulk_create(
            Pledge(
                campaign=campaign,
                line=line,
                amount=money,
                status=Pledge.Status.RECEIVED if received else Pledge.Status.PENDING,
                received_amount=money if received else None,
                reference=f"{prefix}{n:07d}",
                access_key=f"{prefix}-{n}",
            )
            for n in range(count)
        )

    def test_a_sum_of_many_pledges_is_exact_to_the_cent(self):
        campaign = make_campaign(
            slug="many", lines=[("Everything", "100000")], stop_at_goal=False
        )
        self.bulk(campaign, DIMES, "0.10", "D")
        self.bulk(campaign, PRICEY, "19.99", "P")

        totals = Pledge.objects.totals_for(campaign)

        self.assertEqual(totals.promised, Decimal("6756.67"))
        self.assertIsInstance(totals.promised, Decimal)
        self.assertEqual(str(totals.promised), "6756.67")
        self.assertEqual(totals.supporters, DIMES + PRICEY)

    def test_received_sums_per_line_are_exact_to_the_cent(self):
        campaign = make_campaign(
            slug="lines", lines=[("Everything", "100000")], stop_at_goal=False
        )
        (line,) = campaign.lines.all()
        self.bulk(campaign, DIMES, "0.10", "D", line=line, received=True)
        self.bulk(campaign, PRICEY, "19.99", "P", line=line, received=True)
        self.bulk(campaign, PRICEY, "19.99", "Q", line=line)

        totals = Pledge.objects.totals_for(campaign)

        self.assertEqual(totals.collected, Decimal("6756.67"))
        self.assertEqual(totals.promised, Decimal("6656.67"))
        self.assertEqual(str(totals.earmarked_collected[line.pk]), "6756.67")
        self.assertEqual(str(totals.earmarked[line.pk]), "13413.34")
        self.assertEqual(totals.supporters, DIMES + 2 * PRICEY)

    def test_stored_totals_moved_pledge_by_pledge_equal_the_recomputed_ones(self):
        campaign = make_campaign(
            slug="few", lines=[("Everything", "100000")], stop_at_goal=False
        )
        for _ in range(7):
            pledge_create(
                campaign=campaign,
                line=None,
                amount=Decimal("19.99"),
                donor=Donor(),
                submission_token=None,
            )
        # Dimes arrive too: gifts without a reference, each counted as received.
        for _ in range(30):
            gift_record(
                campaign=campaign,
                amount=Decimal("0.10"),
                line=None,
                note="coins",
                by=self.volunteer,
            )

        campaign.refresh_from_db()
        stored = Totals.stored(campaign)
        self.assertEqual(stored, Pledge.objects.totals_for(campaign))
        self.assertEqual(stored.collected, Decimal("3.00"))
        self.assertEqual(stored.promised, Decimal("139.93"))
        self.assertEqual(str(campaign.collected.amount), "3.00")
        self.assertEqual(str(campaign.promised.amount), "139.93")

    def test_stored_totals_stay_exact_through_receipts_and_corrections(self):
        campaign = make_campaign(
            slug="fees", lines=[("Everything", "100000")], stop_at_goal=False
        )
        (line,) = campaign.lines.all()
        made = [
            pledge_create(
                campaign=campaign,
                line=line,
                amount=Decimal("19.99"),
                donor=Donor(),
                submission_token=None,
            )
            for _ in range(7)
        ]
        for one in made:
            pledge_receive(pledge=one, amount=Decimal("19.89"), by=None)
        receipt_correct(
            pledge=made[0], amount=Decimal("19.99"), reason="fee refunded", by=None
        )
        receipt_undo(pledge=made[1], reason="not ours", by=None)

        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        stored = Totals.stored(campaign)
        self.assertEqual(stored, Pledge.objects.totals_for(campaign))
        self.assertEqual(str(stored.collected), "119.44")
        self.assertEqual(str(stored.promised), "19.99")
        self.assertEqual(str(stored.earmarked_collected[line.pk]), "119.44")
        self.assertEqual(str(stored.earmarked[line.pk]), "139.43")

    def test_the_page_shows_the_exact_amount(self):
        campaign = make_campaign(
            slug="page", lines=[("Everything", "100000")], stop_at_goal=False
        )
        self.bulk(campaign, DIMES, "0.10", "D")
        self.bulk(campaign, PRICEY, "19.99", "P")
        totals = Pledge.objects.totals_for(campaign)
        campaign.promised = Money(totals.promised, "EUR")
        campaign.save()

        response = self.client.get(campaign.get_absolute_url())

        self.assertContains(response, "€6,756.67")
        self.assertNotContains(response, "6,756.66")

    def test_to_cents_rounds_a_float_sum_back_to_its_cents(self):
        self.assertEqual(to_cents(6756.66999999995), Decimal("6756.67"))
        self.assertEqual(to_cents(None), Decimal("0.00"))
