from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.core import mail
from django.utils import timezone
from djmoney.money import Money

from campaigns.models import Activity, Campaign
from donations.models import REFERENCE_ALPHABET, Pledge, normalize_reference
from donations.pledging import (
    AmountRefused,
    CampaignNotAccepting,
    Donor,
    LineRefused,
    PledgeStateError,
    campaign_close,
    gift_record,
    pledge_cancel,
    pledge_receive,
)
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge


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
        self.assertEqual(campaign.lines.get(pk=self.food.pk).earmarked.amount, 25)

    def test_the_pledge_takes_the_campaign_currency(self):
        campaign = make_campaign(slug="pln", currency="PLN")
        made = pledge(campaign, "100")
        self.assertEqual(str(made.amount.currency), "PLN")
        self.assertTotalsExact(campaign)

    def test_the_crossing_pledge_is_accepted_in_full_and_the_next_is_refused(self):
        pledge(self.campaign, "2400")
        crossing = pledge(self.campaign, "300")
        self.assertEqual(crossing.amount.amount, Decimal("300.00"))
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.raised.amount, Decimal("2700.00"))
        self.assertEqual(campaign.state(), Campaign.State.GOAL_REACHED)
        with self.assertRaises(CampaignNotAccepting) as refusal:
            pledge(self.campaign, "5")
        self.assertEqual(refusal.exception.state, Campaign.State.GOAL_REACHED)
        self.assertEqual(Pledge.objects.count(), 2)

    def test_it_refuses_after_the_deadline_even_if_not_recorded(self):
        self.campaign.deadline = timezone.now() + timedelta(days=1)
        self.campaign.save()
        later = timezone.now() + timedelta(days=2)
        with (
            mock.patch("django.utils.timezone.now", return_value=later),
            self.assertRaises(CampaignNotAccepting) as refusal,
        ):
            pledge(self.campaign, "5")
        self.assertEqual(refusal.exception.state, Campaign.State.CLOSED)
        self.assertEqual(refusal.exception.reason, Campaign.ClosedReason.DEADLINE)
        self.assertFalse(Pledge.objects.exists())

    def test_it_refuses_a_closed_campaign(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.volunteer)
        with self.assertRaises(CampaignNotAccepting) as refusal:
            pledge(self.campaign, "5")
        self.assertEqual(refusal.exception.reason, Campaign.ClosedReason.MANUAL)

    def test_it_refuses_a_line_of_another_campaign(self):
        other = make_campaign(slug="other")
        with self.assertRaises(LineRefused) as refusal:
            pledge(self.campaign, "5", other.lines.first())
        self.assertEqual(refusal.exception.code, "invalid_choice")
        self.assertFalse(Pledge.objects.exists())

    def test_it_refuses_a_covered_line_computed_under_the_lock(self):
        pledge(self.campaign, "300", self.clothing)
        with self.assertRaises(LineRefused) as refusal:
            pledge(self.campaign, "5", self.clothing)
        self.assertEqual(refusal.exception.code, "covered")
        # Unearmarked money fills lines in order: rent first, so rent is covered
        # by a big "where most needed" pledge too.
        pledge(self.campaign, "1000")
        with self.assertRaises(LineRefused):
            pledge(self.campaign, "5", self.rent)

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
            with self.subTest(amount=amount), self.assertRaises(AmountRefused) as r:
                pledge(self.campaign, amount)
            self.assertEqual(r.exception.code, code)
        self.assertFalse(Pledge.objects.exists())

    def test_the_same_token_returns_the_pledge_already_made(self):
        first = pledge(self.campaign, "25", token="t" * 32)
        again = pledge(self.campaign, "99", token="t" * 32)
        self.assertEqual(first.pk, again.pk)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_the_same_token_is_found_even_once_the_goal_is_reached(self):
        crossing = pledge(self.campaign, "2500", token="c" * 32)
        self.assertEqual(pledge(self.campaign, "2500", token="c" * 32), crossing)

    def test_a_reference_already_taken_is_never_given_again(self):
        first = pledge(self.campaign, "5")
        with mock.patch(
            "donations.pledging.new_reference",
            side_effect=[first.reference, first.reference, "ABCDEFGH"],
        ):
            second = pledge(self.campaign, "5")
        self.assertEqual(second.reference, "ABCDEFGH")

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

    def test_the_donor_is_emailed_the_reference_after_commit(self):
        with self.captureOnCommitCallbacks(execute=True):
            made = pledge(
                self.campaign,
                "12.50",
                donor=Donor(email="ala@example.org", language="en"),
            )
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["ala@example.org"])
        self.assertIn(made.reference, message.subject)
        self.assertIn(made.reference, message.body)
        self.assertIn("€12.50", message.body)
        self.assertIn(made.access_key, message.body)

    def test_no_email_without_an_address_and_none_before_commit(self):
        with self.captureOnCommitCallbacks(execute=False) as callbacks:
            pledge(self.campaign, "5", donor=Donor(email="ala@example.org"))
        self.assertEqual(len(mail.outbox), 0)
        for callback in callbacks:  # the commit
            callback()
        self.assertEqual(len(mail.outbox), 1)
        with self.captureOnCommitCallbacks(execute=True):
            pledge(self.campaign, "5")
        self.assertEqual(len(mail.outbox), 1)

    def test_a_mail_server_that_is_down_does_not_undo_the_pledge(self):
        with (
            mock.patch("donations.pledging.send_mail", side_effect=OSError),
            self.assertLogs("donations.pledging", "ERROR"),
            self.captureOnCommitCallbacks(execute=True),
        ):
            pledge(self.campaign, "5", donor=Donor(email="ala@example.org"))
        self.assertEqual(Pledge.objects.count(), 1)


class ReceiveCancelGiftTests(DonationsTestCase):
    def test_receiving_moves_money_from_promised_to_collected(self):
        made = pledge(self.campaign, "100", self.food)
        pledge_receive(pledge=made, amount=Decimal("97.50"), by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("97.50"))
        self.assertEqual(campaign.promised.amount, Decimal("0.00"))
        made.refresh_from_db()
        self.assertEqual(made.received_by, self.volunteer)
        self.assertIsNotNone(made.received_at)
        activity = Activity.objects.get(action=Activity.Action.PLEDGE_RECEIVED)
        self.assertEqual(activity.reference, made.reference)
        self.assertEqual(activity.details["received"], "97.50")
        self.assertEqual(activity.details["pledged"], "100.00")
        self.assertNotIn("Ala", str(activity.details))

    def test_money_received_in_another_currency_campaign_keeps_its_currency(self):
        campaign = make_campaign(slug="pln", currency="PLN")
        made = pledge(campaign, "100")
        pledge_receive(pledge=made, amount=Decimal("99"), by=self.volunteer)
        made.refresh_from_db()
        self.assertEqual(made.received_amount, Money("99.00", "PLN"))
        gift = gift_record(
            campaign=campaign, amount=Decimal("5"), line=None, note="", by=None
        )
        self.assertEqual(str(gift.received_amount.currency), "PLN")
        self.assertEqual(self.assertTotalsExact(campaign).collected, Money(104, "PLN"))

    def test_a_received_amount_can_be_corrected(self):
        made = pledge(self.campaign, "100", self.food)
        pledge_receive(pledge=made, amount=Decimal("90"), by=self.volunteer)
        pledge_receive(pledge=made, amount=Decimal("110"), by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("110.00"))
        self.assertEqual(campaign.supporters, 1)

    def test_cancelling_under_the_goal_accepts_pledges_again(self):
        big = pledge(self.campaign, "2500")
        self.assertFalse(fresh(self.campaign).is_accepting_pledges())
        pledge_cancel(pledge=big, reason="fake", by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertTrue(campaign.is_accepting_pledges())
        self.assertEqual(campaign.supporters, 0)
        pledge(self.campaign, "5")
        activity = Activity.objects.get(action=Activity.Action.PLEDGE_CANCELLED)
        self.assertEqual(activity.details["reason"], "fake")

    def test_only_pending_pledges_can_be_cancelled(self):
        made = pledge(self.campaign, "5")
        pledge_receive(pledge=made, amount=Decimal("5"), by=self.volunteer)
        with self.assertRaises(PledgeStateError):
            pledge_cancel(pledge=made, reason="oops", by=self.volunteer)
        self.assertTotalsExact(self.campaign)

    def test_late_money_on_a_cancelled_pledge_counts(self):
        made = pledge(self.campaign, "40", self.food)
        pledge_cancel(pledge=made, reason="expired", by=None)
        pledge_receive(pledge=made, amount=Decimal("40"), by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("40.00"))
        self.assertEqual(campaign.supporters, 1)
        self.assertEqual(campaign.lines.get(pk=self.food.pk).earmarked.amount, 40)

    def test_collecting_the_goal_closes_a_stop_at_goal_campaign(self):
        made = pledge(self.campaign, "2500")
        pledge_receive(pledge=made, amount=Decimal("2500"), by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.GOAL)
        self.assertEqual(campaign.closed_by, self.volunteer)
        self.assertTrue(Activity.objects.filter(action=Activity.Action.CLOSED).exists())

    def test_a_campaign_that_does_not_stop_at_its_goal_stays_open(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=False)
        made = pledge(self.campaign, "2500")
        pledge_receive(pledge=made, amount=Decimal("2500"), by=self.volunteer)
        pledge(self.campaign, "5")
        self.assertIsNone(fresh(self.campaign).closed_at)

    def test_a_gift_counts_as_received_in_any_state(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        gift = gift_record(
            campaign=self.campaign,
            amount=Decimal("165"),
            line=self.debts,
            note="cash at the meeting",
            by=self.volunteer,
        )
        self.assertEqual(gift.kind, Pledge.Kind.GIFT)
        self.assertEqual(gift.status, Pledge.Status.RECEIVED)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("165.00"))
        activity = Activity.objects.get(action=Activity.Action.GIFT_RECORDED)
        self.assertEqual(activity.details["received"], "165.00")

    def test_a_gift_to_a_line_of_another_campaign_is_refused(self):
        other = make_campaign(slug="other")
        with self.assertRaises(LineRefused):
            gift_record(
                campaign=self.campaign,
                amount=Decimal("5"),
                line=other.lines.first(),
                note="",
                by=None,
            )
        self.assertTotalsExact(self.campaign)

    def test_closing_is_recorded_once(self):
        self.assertTrue(
            campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        )
        self.assertFalse(
            campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        )
        self.assertEqual(Activity.objects.filter(action="closed").count(), 1)
