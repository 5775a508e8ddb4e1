"""pledge_create: what a donor's pledge does to the database, and when it is
refused. Promises never stop a collection: only closing, the deadline, being
unpublished or having no lines refuses a pledge."""

from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.utils import timezone
from djmoney.money import Money

from campaigns.models import Activity, Campaign
from donations.models import REFERENCE_ALPHABET, Pledge, normalize_reference
from donations.pledging import (
    AmountRefused,
    CampaignNotAccepting,
    Donor,
    LineRefused,
    PledgeRefused,
    campaign_close,
)
from donations.progress import campaign_progress
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge, receive


class PledgeCreateTests(DonationsTestCase):
    def test_it_stores_a_pending_pledge_with_server_values_and_moves_totals(self):
        made = pledge(self.campaign, "25", self.food)
        self.assertEqual(made.status, Pledge.Status.PENDING)
        self.assertEqual(made.amount, Money("25.00", "EUR"))
        self.assertEqual(len(made.reference), 8)
        self.assertTrue(set(made.reference) <= set(REFERENCE_ALPHABET))
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("25.00"))
        self.assertEqual(campaign.collected.amount, Decimal("0.00"))
        self.assertEqual(campaign.supporters, 1)
        self.assertGreater(campaign.version, self.campaign.version)
        food = campaign.lines.get(pk=self.food.pk)
        self.assertEqual(food.earmarked.amount, 25)
        self.assertEqual(food.earmarked_collected.amount, 0)

    def test_the_pledge_takes_the_campaign_currency(self):
        campaign = make_campaign(slug="pln", currency="PLN")
        made = pledge(campaign, "100")
        self.assertEqual(str(made.amount.currency), "PLN")
        self.assertTotalsExact(campaign)


class PromisesNeverStopTests(DonationsTestCase):
    def test_a_promise_of_the_whole_need_leaves_the_campaign_accepting(self):
        pledge(self.campaign, "2500")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)
        self.assertTrue(campaign.is_accepting_pledges())
        self.assertIsNone(campaign.closed_at)
        progress = campaign_progress(campaign)
        self.assertEqual(progress.state, "fully_promised")
        self.assertTrue(progress.accepting)
        self.assertEqual(progress.collected.amount, 0)
        self.assertEqual(progress.promised.amount, 2500)
        self.assertEqual(progress.still_needed.amount, 0)

        pledge(self.campaign, "5")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("2505.00"))
        self.assertEqual(campaign.supporters, 2)
        self.assertEqual(self.records(Activity.Action.CLOSED), [])

    def test_pledges_past_the_goal_are_each_accepted_in_full(self):
        for amount in ("2400", "300", "5"):
            self.assertEqual(
                pledge(fresh(self.campaign), amount).amount.amount, Decimal(amount)
            )
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("2705.00"))
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)
        self.assertEqual(
            campaign_progress(campaign).over_goal_if_all_arrive.amount, 205
        )
        self.assertEqual(campaign_progress(campaign).over_goal.amount, 0)

    def test_short_of_the_goal_the_campaign_is_simply_open(self):
        pledge(self.campaign, "2499.99")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.state(), Campaign.State.OPEN)
        self.assertEqual(
            campaign_progress(campaign).still_needed.amount, Decimal("0.01")
        )

    def test_promises_never_close_a_campaign_that_stops_at_its_goal(self):
        received = pledge(self.campaign, "2000")
        receive(received)
        pledge(self.campaign, "1000")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertTrue(campaign.stop_at_goal)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)
        pledge(campaign, "10")
        self.assertEqual(Pledge.objects.filter(campaign=campaign).count(), 3)


class RefusalTests(DonationsTestCase):
    """A refused pledge stores nothing and leaves every total as it was."""

    def assertRefused(self, campaign, code, *, line=None, amount="5", **kwargs):
        before = self.assertTotalsExact(campaign)
        count = Pledge.objects.count()
        with self.assertRaises(PledgeRefused) as refusal:
            pledge(campaign, amount, line, **kwargs)
        self.assertEqual(refusal.exception.code, code)
        self.assertTrue(refusal.exception.message)
        self.assertEqual(Pledge.objects.count(), count)
        after = self.assertTotalsExact(campaign)
        self.assertEqual(after.promised, before.promised)
        self.assertEqual(after.supporters, before.supporters)
        return refusal.exception

    def test_it_refuses_after_the_deadline_even_if_not_recorded(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() - timedelta(minutes=1)
        )
        refusal = self.assertRefused(fresh(self.campaign), "deadline_passed")
        self.assertIsInstance(refusal, CampaignNotAccepting)
        self.assertIsNone(fresh(self.campaign).closed_at)  # not recorded yet

    def test_it_accepts_until_the_deadline_and_refuses_at_it(self):
        deadline = timezone.now() + timedelta(days=1)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        campaign = fresh(self.campaign)
        pledge(campaign, "5", now=deadline - timedelta(seconds=1))
        self.assertRefused(campaign, "deadline_passed", now=deadline)
        self.assertRefused(campaign, "deadline_passed", now=deadline + timedelta(1))

    def test_it_refuses_a_closed_campaign(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.volunteer)
        refusal = self.assertRefused(fresh(self.campaign), "closed")
        self.assertIsInstance(refusal, CampaignNotAccepting)

    def test_it_refuses_a_campaign_that_closed_after_it_was_read(self):
        read = fresh(self.campaign)
        campaign_close(campaign=self.campaign, reason="manual", by=self.volunteer)
        self.assertRefused(read, "closed")

    def test_it_refuses_a_campaign_closed_at_its_goal(self):
        receive(pledge(self.campaign, "2500"))
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")
        self.assertRefused(fresh(self.campaign), "closed")

    def test_it_refuses_an_unpublished_campaign(self):
        campaign = make_campaign(slug="draft", published=False)
        refusal = self.assertRefused(fresh(campaign), "unpublished")
        self.assertIsInstance(refusal, CampaignNotAccepting)

    def test_it_refuses_a_campaign_without_lines(self):
        campaign = make_campaign(slug="empty")
        campaign.lines.all().delete()
        refusal = self.assertRefused(fresh(campaign), "no_lines")
        self.assertIsInstance(refusal, CampaignNotAccepting)

    def test_it_refuses_a_line_of_another_campaign(self):
        other = make_campaign(slug="other")
        refusal = self.assertRefused(
            fresh(self.campaign), "invalid_choice", line=other.lines.first()
        )
        self.assertIsInstance(refusal, LineRefused)
        self.assertTotalsExact(other)

    def test_it_refuses_amounts_out_of_limits(self):
        for amount, code in [
            ("0.99", "min_value"),
            ("0", "min_value"),
            ("-5", "min_value"),
            ("10000.01", "max_value"),
            ("1.001", "invalid"),
            ("NaN", "invalid"),
            ("Infinity", "invalid"),
        ]:
            with self.subTest(amount=amount):
                refusal = self.assertRefused(self.campaign, code, amount=amount)
                self.assertIsInstance(refusal, AmountRefused)

    def test_the_limits_themselves_are_accepted(self):
        pledge(self.campaign, "1")
        pledge(self.campaign, "10000")
        self.assertEqual(
            self.assertTotalsExact(self.campaign).promised.amount, Decimal("10001")
        )

    def test_each_campaign_has_its_own_largest_pledge(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(max_pledge=Decimal(50))
        campaign = fresh(self.campaign)
        pledge(campaign, "50")
        refusal = self.assertRefused(campaign, "max_value", amount="50.01")
        self.assertIn("€50", refusal.message)


class EarmarkTests(DonationsTestCase):
    def test_an_earmark_to_a_line_covered_by_received_money_is_refused(self):
        receive(pledge(self.campaign, "300", self.clothing))
        self.assertTrue(fresh(self.campaign).line_states().lines[2].is_done)
        with self.assertRaises(LineRefused) as refusal:
            pledge(fresh(self.campaign), "5", self.clothing)
        self.assertEqual(refusal.exception.code, "covered")
        self.assertIn("Clothing and household items", refusal.exception.message)
        self.assertEqual(Pledge.objects.count(), 1)
        # The other lines are still offered.
        pledge(fresh(self.campaign), "5", self.food)
        self.assertTotalsExact(self.campaign)

    def test_unearmarked_received_money_covers_the_first_line(self):
        # Unearmarked money fills lines in order: rent first.
        receive(pledge(self.campaign, "1000"))
        with self.assertRaises(LineRefused) as refusal:
            pledge(fresh(self.campaign), "5", self.rent)
        self.assertEqual(refusal.exception.code, "covered")
        pledge(fresh(self.campaign), "5", self.food)
        self.assertEqual(Pledge.objects.count(), 2)

    def test_an_earmark_to_a_line_covered_only_by_promises_is_accepted(self):
        pledge(self.campaign, "300", self.clothing)
        pledge(self.campaign, "1000")  # would cover rent, if it arrives
        campaign = fresh(self.campaign)
        states = campaign.line_states().lines
        self.assertTrue(states[2].is_fully_promised)
        self.assertFalse(states[2].is_done)
        pledge(campaign, "5", self.clothing)
        pledge(campaign, "5", self.rent)
        campaign = self.assertTotalsExact(self.campaign)
        clothing = campaign.lines.get(pk=self.clothing.pk)
        self.assertEqual(clothing.earmarked.amount, Decimal("305.00"))
        self.assertEqual(clothing.earmarked_collected.amount, 0)

    def test_a_line_covered_between_the_read_and_the_write_is_refused(self):
        # The donor read the page while clothing was still offered; the money
        # that covers it arrived before the pledge was written.
        read = fresh(self.campaign)
        receive(pledge(self.campaign, "300", self.clothing))
        with self.assertRaises(LineRefused) as refusal:
            pledge(read, "5", self.clothing)
        self.assertEqual(refusal.exception.code, "covered")
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_line_partly_received_is_still_offered(self):
        receive(pledge(self.campaign, "299.99", self.clothing))
        pledge(fresh(self.campaign), "5", self.clothing)
        campaign = self.assertTotalsExact(self.campaign)
        clothing = campaign.lines.get(pk=self.clothing.pk)
        self.assertEqual(clothing.earmarked_collected.amount, Decimal("299.99"))
        self.assertEqual(clothing.earmarked.amount, Decimal("304.99"))


class TokenTests(DonationsTestCase):
    def test_the_same_token_returns_the_pledge_already_made(self):
        first = pledge(self.campaign, "25", token="t" * 32)
        again = pledge(self.campaign, "99", token="t" * 32)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Pledge.objects.count(), 1)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("25.00"))

    def test_the_same_token_is_found_even_once_the_campaign_closed(self):
        made = pledge(self.campaign, "2500", token="c" * 32)
        receive(made)
        self.assertIsNotNone(fresh(self.campaign).closed_at)
        self.assertEqual(pledge(fresh(self.campaign), "2500", token="c" * 32), made)
        self.assertEqual(Pledge.objects.count(), 1)

    def test_a_token_whose_pledge_was_refused_can_still_make_one(self):
        with self.assertRaises(AmountRefused):
            pledge(self.campaign, "0.5", token="r" * 32)
        made = pledge(self.campaign, "5", token="r" * 32)
        self.assertEqual(made.submission_token, "r" * 32)
        self.assertEqual(pledge(self.campaign, "5", token="r" * 32), made)
        self.assertEqual(Pledge.objects.count(), 1)

    def test_pledges_without_a_token_are_each_stored(self):
        pledge(self.campaign, "5")
        pledge(self.campaign, "5")
        self.assertEqual(Pledge.objects.filter(submission_token=None).count(), 2)


class ReferenceAndDonorTests(DonationsTestCase):
    def test_a_reference_already_taken_is_never_given_again(self):
        first = pledge(self.campaign, "5")
        with mock.patch(
            "donations.pledging.new_reference",
            side_effect=[first.reference, first.reference, "ABCDEFGH"],
        ):
            second = pledge(self.campaign, "5")
        self.assertEqual(second.reference, "ABCDEFGH")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.supporters, 2)

    def test_references_are_found_whatever_the_case_and_separators(self):
        made = pledge(self.campaign, "5")
        typed = f"{made.reference[:4].lower()}-{made.reference[4:]} "
        self.assertEqual(
            Pledge.objects.get(reference=normalize_reference(typed)).pk, made.pk
        )

    def test_anonymous_donors_keep_no_name(self):
        made = pledge(self.campaign, "5", donor=Donor(name="Ala", is_anonymous=True))
        self.assertEqual(made.donor_name, "")
        self.assertEqual(made.public_name, "Anonymous")
