"""The usual pledge is decided by one SQL statement (pledge_at_once) and every
other by Campaign.is_accepting_pledges and check_amount under the row lock.
These tests hold the two to the same answer in every state a campaign can be
in, so a rule changed in one place and not the other fails here."""

import itertools
import unittest
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.db import connection, transaction
from django.utils import timezone
from djmoney.money import Money

from campaigns.models import BudgetLine, Campaign
from donations.models import Pledge
from donations.pledging import Donor, pledge_at_once
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge

PG = connection.vendor == "postgresql"


@unittest.skipUnless(PG, "the one-statement pledge is PostgreSQL's")
class OneStatementRulesTests(DonationsTestCase):
    def written(self, amount: Decimal, now) -> bool:
        """Whether pledge_at_once writes; nothing it wrote is kept."""
        with transaction.atomic():
            made = pledge_at_once(
                slug=self.campaign.slug,
                amount=amount,
                donor=Donor(name="Ala"),
                submission_token=None,
                now=now,
            )
            transaction.set_rollback(True)
        return made is not None

    def test_it_writes_exactly_when_the_rules_under_the_lock_accept(self):
        now = timezone.now()
        goal = Decimal("2500")  # the seed campaign's lines
        deadlines = {
            "none": None,
            "passed": now - timedelta(days=1),
            "now": now,  # the deadline's own instant is past it
            "ahead": now + timedelta(days=1),
        }
        raised = {"below": goal - 1, "at": goal, "above": goal + 1}
        states = itertools.product(
            [True, False],  # published
            [False, True],  # closed by record
            deadlines,
            [True, False],  # stops at its goal
            raised,
            [Decimal("50"), Decimal("50.01")],  # the max pledge is 50
            [True, False],  # has budget lines (a goal)
        )
        campaign, lines = fresh(self.campaign), list(self.campaign.lines.all())
        disagree = []
        for published, closed, deadline, stops, level, amount, has_lines in states:
            state = {
                "published": published,
                "closed_at": now - timedelta(hours=1) if closed else None,
                "closed_reason": "manual" if closed else "",
                "deadline": deadlines[deadline],
                "stop_at_goal": stops,
                "max_pledge": Decimal("50"),
                "collected": Money(Decimal("100"), "EUR"),
                "promised": Money(raised[level] - 100, "EUR"),
            }
            with transaction.atomic():
                Campaign.objects.filter(pk=campaign.pk).update(**state)
                if not has_lines:
                    BudgetLine.objects.filter(campaign=campaign).delete()
                # The same state in memory, for the rules under the lock.
                for name, value in state.items():
                    setattr(campaign, name, value)
                campaign.set_lines(lines if has_lines else [])
                accepted = (
                    campaign.published
                    and campaign.is_accepting_pledges(now)
                    and amount <= campaign.max_pledge
                )
                if self.written(amount, now) != accepted:
                    disagree.append(
                        f"published={published} closed={closed} deadline={deadline}"
                        f" stops={stops} raised={level} amount={amount}"
                        f" lines={has_lines}: the rules say {accepted}"
                    )
                transaction.set_rollback(True)
        self.assertEqual(disagree, [])

    def test_it_counts_the_pledge_in_the_totals_and_the_campaigns_currency(self):
        campaign = make_campaign(slug="zloty", currency="PLN")
        made = pledge_at_once(
            slug=campaign.slug,
            amount=Decimal("25"),
            donor=Donor(name="Ala", email="ala@example.org"),
            submission_token="one-statement-token-0001",
        )
        self.assertEqual(made.campaign_id, campaign.pk)
        self.assertEqual(made.amount, Money(Decimal("25"), "PLN"))
        stored = Pledge.objects.get(pk=made.pk)
        self.assertEqual(stored.amount, Money(Decimal("25"), "PLN"))
        self.assertEqual(stored.status, Pledge.Status.PENDING)
        self.assertEqual(stored.email, "ala@example.org")
        self.assertEqual(stored.access_key, made.access_key)
        updated = self.assertTotalsExact(campaign)
        self.assertEqual(updated.promised, Money(Decimal("25"), "PLN"))
        self.assertEqual(updated.supporters, 1)

    def test_a_token_already_used_returns_its_pledge_and_writes_nothing(self):
        first = pledge(self.campaign, "25", token="one-statement-token-0002")
        again = pledge_at_once(
            slug=self.campaign.slug,
            amount=Decimal("40"),
            donor=Donor(name="Ala"),
            submission_token="one-statement-token-0002",
        )
        self.assertEqual(again, first)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_reference_already_taken_is_drawn_again(self):
        first = pledge(self.campaign, "5")
        with mock.patch(
            "donations.pledging.new_reference",
            side_effect=[first.reference, "ABCDEFGH"],
        ):
            made = pledge_at_once(
                slug=self.campaign.slug,
                amount=Decimal("5"),
                donor=Donor(),
                submission_token=None,
            )
        self.assertEqual(made.reference, "ABCDEFGH")
        self.assertEqual(Pledge.objects.count(), 2)
        self.assertTotalsExact(self.campaign)

    def test_an_unknown_campaign_or_an_amount_under_the_minimum_writes_nothing(self):
        for slug, amount in [("nobody", "25"), (self.campaign.slug, "0.50")]:
            with self.subTest(slug=slug, amount=amount):
                made = pledge_at_once(
                    slug=slug,
                    amount=Decimal(amount),
                    donor=Donor(),
                    submission_token=None,
                )
                self.assertIsNone(made)
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)


@unittest.skipIf(PG, "SQLite has no UPDATE inside WITH")
class OneStatementElsewhereTests(DonationsTestCase):
    def test_it_writes_nothing_and_leaves_the_pledge_to_the_lock(self):
        made = pledge_at_once(
            slug=self.campaign.slug,
            amount=Decimal("25"),
            donor=Donor(),
            submission_token=None,
        )
        self.assertIsNone(made)
        self.assertFalse(Pledge.objects.exists())
