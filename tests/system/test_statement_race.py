"""A statement confirmed while volunteers type the same transfers at the desk,
on PostgreSQL for real: each payment is recorded once, whoever comes first."""

import unittest
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test import TransactionTestCase

from campaigns.models import Activity, Campaign
from donations import statements
from donations.models import Pledge, StatementEntry, Totals
from donations.pledging import PledgeRefused, pledge_receive
from tests.base import make_campaign
from tests.donations.bankstatements import IBAN, Transfer, camt053
from tests.support import at_once, pledge

PLEDGES = 20


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL row locks")
class StatementRacingTheDeskTests(TransactionTestCase):
    def setUp(self):
        self.campaign = make_campaign(iban=IBAN, account_holder="Fundacja Zbor")
        self.user = User.objects.create_superuser("root", "root@example.org", "pw")
        self.pledges = [pledge(self.campaign, "25") for _ in range(PLEDGES)]
        result = statements.import_statement(
            data=camt053(*(Transfer("25.00", p.reference) for p in self.pledges)),
            by=self.user,
        )
        self.review = statements.review(result.statement, self.user)
        self.receipts = {row.entry.pk: row.seen for row in self.review.matched}
        self.assertEqual(len(self.receipts), PLEDGES)

    def confirm(self) -> None:
        statements.confirm(
            statement=self.review.statement, user=self.user, receipts=self.receipts
        )

    def at_the_desk(self, pledge: Pledge) -> None:
        try:
            pledge_receive(pledge=pledge, amount=Decimal("25"), by=self.user)
        except PledgeRefused as refused:
            assert refused.code == "already_received", refused.code

    def assertEachPaymentOnce(self) -> None:
        campaign = Campaign.objects.prefetch_related("lines").get(pk=self.campaign.pk)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        self.assertEqual(campaign.collected.amount, Decimal("25") * PLEDGES)
        receipts = Counter(
            Activity.objects.filter(action=Activity.Action.PLEDGE_RECEIVED).values_list(
                "reference", flat=True
            )
        )
        self.assertEqual(set(receipts.values()), {1})
        self.assertEqual(len(receipts), PLEDGES)
        self.assertFalse(
            Activity.objects.filter(action=Activity.Action.RECEIPT_CORRECTED).exists()
        )

    def test_a_confirmation_racing_the_desk_records_each_payment_once(self):
        def work(n: int) -> None:
            if n == 0:
                self.confirm()
            else:
                self.at_the_desk(self.pledges[n - 1])

        self.assertEqual(at_once(PLEDGES + 1, work), [])
        self.assertEachPaymentOnce()
        # What the desk recorded first stays open on the statement for a look.
        recorded = StatementEntry.objects.filter(status="recorded").count()
        waiting = StatementEntry.objects.filter(status="open").count()
        self.assertEqual(recorded + waiting, PLEDGES)

    def test_two_volunteers_confirming_one_statement_record_it_once(self):
        self.assertEqual(at_once(4, lambda n: self.confirm()), [])
        self.assertEachPaymentOnce()
        self.assertEqual(
            StatementEntry.objects.filter(status="recorded").count(), PLEDGES
        )
