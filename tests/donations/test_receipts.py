"""Money that arrives: receiving, the 10 % confirmation, correcting and undoing
a receipt, cancelling, gifts, and the campaign closing at its goal (on
collected money only) and reopening by itself or by hand."""

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone
from djmoney.money import Money

from campaigns.models import Activity, BudgetLine, Campaign
from campaigns.templatetags.money import format_money
from donations.models import Pledge
from donations.pledging import (
    AmountRefused,
    CampaignNotAccepting,
    LineRefused,
    NeedsConfirmation,
    PledgeRefused,
    campaign_close,
    campaign_reopen,
    expire_pledges,
    gift_record,
    pledge_cancel,
    receipt_correct,
    receipt_undo,
)
from tests.base import make_campaign
from tests.donations.base import (
    DonationsTestCase,
    fresh,
    made_days_ago,
    pledge,
    receive,
)

A = Activity.Action


def gift(
    campaign, amount: str, line=None, *, note="cash at the meeting", **kwargs
) -> Pledge:
    return gift_record(
        campaign=campaign,
        amount=Decimal(amount),
        line=line,
        note=note,
        by=kwargs.pop("by", None),
        **kwargs,
    )


def correct(made: Pledge, amount: str, reason: str = "typo", **kwargs) -> Pledge:
    return receipt_correct(
        pledge=made, amount=Decimal(amount), reason=reason, by=None, **kwargs
    )


def undo(made: Pledge, reason: str = "someone else's transfer", **kwargs) -> Pledge:
    return receipt_undo(pledge=made, reason=reason, by=None, **kwargs)


def reopen(campaign, *, stop_at_goal=True, deadline=None, by=None) -> Campaign:
    return campaign_reopen(
        campaign=campaign,
        reason="more is needed",
        deadline=deadline,
        stop_at_goal=stop_at_goal,
        by=by,
    )


class ReceiveTests(DonationsTestCase):
    def test_receiving_moves_money_from_promised_to_collected(self):
        made = pledge(self.campaign, "100", self.food)
        receive(made, "97.50", by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("97.50"))
        self.assertEqual(campaign.promised.amount, Decimal("0.00"))
        self.assertEqual(campaign.supporters, 1)
        food = campaign.lines.get(pk=self.food.pk)
        self.assertEqual(food.earmarked.amount, Decimal("97.50"))
        self.assertEqual(food.earmarked_collected.amount, Decimal("97.50"))
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.RECEIVED)
        self.assertEqual(made.received_amount, Money("97.50", "EUR"))
        self.assertEqual(made.received_by, self.volunteer)
        self.assertIsNotNone(made.received_at)
        (record,) = self.records(A.PLEDGE_RECEIVED)
        self.assertEqual(record.actor, self.volunteer)
        self.assertEqual(record.reference, made.reference)
        self.assertEqual(record.details["received"], "97.50")
        self.assertEqual(record.details["pledged"], "100.00")
        self.assertEqual(record.details["previous_status"], "pending")
        self.assertNotIn("Ala", str(record.details))

    def test_money_received_in_another_currency_campaign_keeps_its_currency(self):
        campaign = make_campaign(slug="pln", currency="PLN")
        made = pledge(campaign, "100")
        receive(made, "99", by=self.volunteer)
        made.refresh_from_db()
        self.assertEqual(made.received_amount, Money("99.00", "PLN"))
        given = gift(campaign, "5")
        self.assertEqual(str(given.received_amount.currency), "PLN")
        self.assertEqual(self.assertTotalsExact(campaign).collected, Money(104, "PLN"))

    def test_late_money_on_a_cancelled_pledge_counts(self):
        made = pledge(self.campaign, "40", self.food)
        pledge_cancel(pledge=made, reason="never paid", by=None)
        self.assertEqual(self.assertTotalsExact(self.campaign).supporters, 0)
        receive(made, "40", by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("40.00"))
        self.assertEqual(campaign.supporters, 1)
        food = campaign.lines.get(pk=self.food.pk)
        self.assertEqual(food.earmarked_collected.amount, Decimal("40.00"))
        (record,) = self.records(A.PLEDGE_RECEIVED)
        self.assertEqual(record.details["previous_status"], "cancelled")

    def test_late_money_on_an_expired_pledge_counts(self):
        made = pledge(self.campaign, "40")
        made_days_ago(made, 15)
        self.assertEqual(expire_pledges(), 1)
        made.refresh_from_db()
        self.assertEqual(made.cancel_reason, "expired")
        receive(made, "40", by=self.volunteer)
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.RECEIVED)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("40.00"))
        self.assertEqual(campaign.promised.amount, Decimal("0.00"))

    def test_a_received_pledge_is_not_received_again(self):
        made = pledge(self.campaign, "100")
        receive(made, "100")
        with self.assertRaises(PledgeRefused) as refusal:
            receive(made, "95")
        self.assertEqual(refusal.exception.code, "already_received")
        self.assertIn("correct its amount", refusal.exception.message)
        made.refresh_from_db()
        self.assertEqual(made.received_amount.amount, Decimal("100.00"))
        self.assertEqual(len(self.records(A.PLEDGE_RECEIVED)), 1)
        self.assertEqual(self.assertTotalsExact(self.campaign).collected.amount, 100)

    def test_an_amount_that_is_not_money_is_refused(self):
        made = pledge(self.campaign, "100")
        for amount, code in [
            ("0", "min_value"),
            ("-1", "min_value"),
            ("1.001", "invalid"),
        ]:
            with self.subTest(amount), self.assertRaises(AmountRefused) as refusal:
                receive(made, amount, confirmed=True)
            self.assertEqual(refusal.exception.code, code)
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.PENDING)
        self.assertEqual(self.records(A.PLEDGE_RECEIVED), [])

    def test_the_smallest_amount_is_told_in_the_campaign_currency(self):
        campaign = make_campaign(slug="pln", currency="PLN")
        made = pledge(campaign, "100")
        with self.assertRaises(AmountRefused) as refusal:
            receive(made, "0")
        self.assertIn(format_money(Decimal("0.01"), "PLN"), refusal.exception.message)
        self.assertNotIn("€", refusal.exception.message)


class TenPercentTests(DonationsTestCase):
    def assertNothingReceived(self, made: Pledge) -> None:
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.PENDING)
        self.assertIsNone(made.received_amount)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, 0)
        self.assertEqual(self.records(A.PLEDGE_RECEIVED), [])

    def test_up_to_ten_percent_off_goes_through(self):
        for amount in ("22.50", "27.50"):
            with self.subTest(amount):
                made = pledge(self.campaign, "25")
                receive(made, amount)
                made.refresh_from_db()
                self.assertEqual(made.received_amount.amount, Decimal(amount))

    def test_just_over_ten_percent_needs_a_confirmation(self):
        made = pledge(self.campaign, "25")
        for amount in ("27.51", "22.49"):
            with self.subTest(amount), self.assertRaises(NeedsConfirmation) as asked:
                receive(made, amount)
            self.assertEqual(asked.exception.code, "needs_confirmation")
        self.assertNothingReceived(made)

    def test_a_hundred_times_the_pledge_is_not_stored_without_confirmation(self):
        # "23,80" typed for a €25 pledge and read as 2380.
        made = pledge(self.campaign, "25")
        with self.assertRaises(NeedsConfirmation) as asked:
            receive(made, "2380")
        refusal = asked.exception
        self.assertEqual(refusal.expected, Money("25.00", "EUR"))
        self.assertEqual(refusal.received, Money("2380.00", "EUR"))
        self.assertEqual(refusal.params, {"expected": "€25", "received": "€2,380"})
        self.assertIn("€25", refusal.message)
        self.assertIn("€2,380", refusal.message)
        self.assertNothingReceived(made)
        self.assertIsNone(fresh(self.campaign).closed_at)  # 2380 < 2500 anyway

    def test_a_confirmed_amount_is_stored_and_the_record_says_so(self):
        made = pledge(self.campaign, "25")
        receive(made, "2380", confirmed=True, by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("2380.00"))
        (record,) = self.records(A.PLEDGE_RECEIVED)
        self.assertEqual(record.details["received"], "2380.00")
        self.assertIs(record.details["confirmed"], True)

    def test_a_confirmed_receipt_that_reaches_the_goal_closes(self):
        made = pledge(self.campaign, "25")
        receive(made, "2500", confirmed=True)
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")


class CorrectTests(DonationsTestCase):
    def setUp(self):
        self.made = pledge(self.campaign, "100", self.food)
        receive(self.made, "90", by=self.volunteer)

    def test_a_correction_changes_the_amount_and_is_recorded_with_its_reason(self):
        correct(self.made, "99.50", reason="bank fee refunded")
        self.made.refresh_from_db()
        self.assertEqual(self.made.status, Pledge.Status.RECEIVED)
        self.assertEqual(self.made.received_amount.amount, Decimal("99.50"))
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("99.50"))
        self.assertEqual(campaign.supporters, 1)
        food = campaign.lines.get(pk=self.food.pk)
        self.assertEqual(food.earmarked_collected.amount, Decimal("99.50"))
        (record,) = self.records(A.RECEIPT_CORRECTED)
        self.assertEqual(record.reference, self.made.reference)
        self.assertEqual(
            {key: record.details[key] for key in ("previous", "received", "reason")},
            {"previous": "90.00", "received": "99.50", "reason": "bank fee refunded"},
        )

    def test_a_correction_is_held_to_the_pledged_amount_not_the_previous_one(self):
        correct(self.made, "109")  # 21 % above 90, 9 % above the 100 pledged
        with self.assertRaises(NeedsConfirmation) as asked:
            correct(self.made, "111")
        self.assertEqual(asked.exception.expected, Money(100, "EUR"))
        self.made.refresh_from_db()
        self.assertEqual(self.made.received_amount.amount, Decimal("109.00"))
        self.assertEqual(len(self.records(A.RECEIPT_CORRECTED)), 1)
        correct(self.made, "111", confirmed=True)
        self.assertEqual(self.assertTotalsExact(self.campaign).collected.amount, 111)

    def test_only_received_money_can_be_corrected(self):
        pending = pledge(self.campaign, "5")
        with self.assertRaises(PledgeRefused) as refusal:
            correct(pending, "5")
        self.assertEqual(refusal.exception.code, "not_received")
        self.assertEqual(self.records(A.RECEIPT_CORRECTED), [])
        self.assertTotalsExact(self.campaign)


class UndoTests(DonationsTestCase):
    def test_an_undone_receipt_is_pending_again(self):
        made = pledge(self.campaign, "100", self.food)
        receive(made, "97", by=self.volunteer)
        undo(made, reason="it was another donor's transfer")
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.PENDING)
        self.assertIsNone(made.received_amount)
        self.assertIsNone(made.received_at)
        self.assertIsNone(made.received_by)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, 0)
        self.assertEqual(campaign.promised.amount, Decimal("100.00"))
        self.assertEqual(campaign.supporters, 1)
        food = campaign.lines.get(pk=self.food.pk)
        self.assertEqual(food.earmarked_collected.amount, 0)
        self.assertEqual(food.earmarked.amount, Decimal("100.00"))
        (record,) = self.records(A.RECEIPT_UNDONE)
        self.assertEqual(record.details["reason"], "it was another donor's transfer")
        self.assertEqual(record.details["received"], "97.00")
        self.assertEqual(record.details["status"], "pending")
        # It can be received again, with the right amount.
        receive(made, "100")
        self.assertEqual(self.assertTotalsExact(self.campaign).collected.amount, 100)

    def test_an_undone_gift_is_cancelled(self):
        given = gift(self.campaign, "50", self.debts)
        undo(given, reason="counted twice")
        given.refresh_from_db()
        self.assertEqual(given.status, Pledge.Status.CANCELLED)
        self.assertEqual(given.cancel_reason, "counted twice")
        self.assertIsNotNone(given.cancelled_at)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual((campaign.collected.amount, campaign.promised.amount), (0, 0))
        self.assertEqual(campaign.supporters, 0)
        self.assertEqual(
            self.records(A.RECEIPT_UNDONE)[0].details["status"], "cancelled"
        )

    def test_only_received_money_can_be_undone(self):
        made = pledge(self.campaign, "5")
        with self.assertRaises(PledgeRefused) as refusal:
            undo(made)
        self.assertEqual(refusal.exception.code, "not_received")
        self.assertEqual(self.records(A.RECEIPT_UNDONE), [])


class CancelTests(DonationsTestCase):
    def test_cancelling_a_promise_takes_it_out_of_the_totals(self):
        big = pledge(self.campaign, "2500", self.rent)
        self.assertEqual(fresh(self.campaign).state(), Campaign.State.FULLY_PROMISED)
        pledge_cancel(pledge=big, reason="fake", by=self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.state(), Campaign.State.OPEN)
        self.assertEqual(campaign.supporters, 0)
        self.assertEqual(campaign.lines.get(pk=self.rent.pk).earmarked.amount, 0)
        big.refresh_from_db()
        self.assertEqual(
            (big.status, big.cancel_reason, big.cancelled_by),
            (Pledge.Status.CANCELLED, "fake", self.volunteer),
        )
        (record,) = self.records(A.PLEDGE_CANCELLED)
        self.assertEqual(record.details["reason"], "fake")

    def test_only_pending_pledges_can_be_cancelled(self):
        made = pledge(self.campaign, "5")
        receive(made)
        with self.assertRaises(PledgeRefused) as refusal:
            pledge_cancel(pledge=made, reason="oops", by=self.volunteer)
        self.assertEqual(refusal.exception.code, "not_pending")
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.RECEIVED)
        self.assertEqual(self.assertTotalsExact(self.campaign).collected.amount, 5)


class ClosingAtGoalTests(DonationsTestCase):
    def test_collecting_the_goal_closes_a_stop_at_goal_campaign_once(self):
        first = pledge(self.campaign, "2000")
        crossing = pledge(self.campaign, "600", self.debts)
        receive(first)
        self.assertIsNone(fresh(self.campaign).closed_at)
        when = timezone.now()
        receive(crossing, by=self.volunteer, now=when)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.GOAL)
        self.assertEqual(campaign.closed_at, when)
        self.assertEqual(campaign.closed_by, self.volunteer)
        self.assertEqual(campaign.state(), Campaign.State.CLOSED)
        self.assertFalse(campaign.is_accepting_pledges())
        (closing,) = self.records(A.CLOSED)
        self.assertEqual(closing.details["reason"], "goal")
        self.assertEqual(closing.details["collected"], "2600.00")
        self.assertEqual(closing.details["promised"], "0.00")
        with self.assertRaises(CampaignNotAccepting) as refusal:
            pledge(campaign, "5")
        self.assertEqual(refusal.exception.code, "closed")

    def test_exactly_the_goal_closes(self):
        receive(pledge(self.campaign, "2500"))
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")

    def test_promises_do_not_close_but_short_money_leaves_it_open(self):
        made = pledge(self.campaign, "2500")
        pledge(self.campaign, "300")
        receive(made, "2499.99")  # a fee: one cent short
        campaign = self.assertTotalsExact(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)
        self.assertTrue(campaign.is_accepting_pledges())
        self.assertEqual(self.records(A.CLOSED), [])

    def test_receipts_after_closing_still_count(self):
        late = pledge(self.campaign, "100", self.food)
        receive(pledge(self.campaign, "2500"))
        receive(late, by=self.volunteer)
        given = gift(self.campaign, "20", confirmed=True)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("2620.00"))
        self.assertEqual(campaign.closed_reason, "goal")
        self.assertEqual(len(self.records(A.CLOSED)), 1)
        self.assertEqual(given.status, Pledge.Status.RECEIVED)

    def test_a_correction_that_reaches_the_goal_closes(self):
        made = pledge(self.campaign, "2500")
        receive(made, "2400")
        self.assertIsNone(fresh(self.campaign).closed_at)
        correct(made, "2500", reason="the rest arrived")
        campaign = fresh(self.campaign)
        self.assertEqual(campaign.closed_reason, "goal")
        self.assertEqual(len(self.records(A.CLOSED)), 1)

    def test_a_gift_that_reaches_the_goal_closes(self):
        receive(pledge(self.campaign, "2000"))
        gift(self.campaign, "500")  # exactly the remaining need: no confirmation
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.closed_reason, "goal")

    def test_a_campaign_that_does_not_stop_at_its_goal_stays_open(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=False)
        receive(pledge(self.campaign, "2500"))
        pledge(fresh(self.campaign), "5")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.state(), Campaign.State.OPEN)
        self.assertEqual(self.records(A.CLOSED), [])

    def test_past_its_deadline_the_goal_is_not_recorded_as_the_reason(self):
        deadline = timezone.now() + timedelta(days=1)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        made = pledge(self.campaign, "2500")
        receive(made, now=deadline + timedelta(hours=1))
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("2500.00"))
        self.assertIsNone(campaign.closed_at)  # the deadline job records it
        self.assertEqual(
            campaign.effective_closed_reason(deadline + timedelta(hours=1)),
            "deadline",
        )

    def test_closing_by_hand_is_recorded_once(self):
        self.assertTrue(
            campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        )
        self.assertFalse(
            campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        )
        self.assertEqual(len(self.records(A.CLOSED)), 1)


class ReopeningByItselfTests(DonationsTestCase):
    def setUp(self):
        self.deadline = timezone.now() + timedelta(days=7)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=self.deadline)
        self.made = pledge(self.campaign, "2500")
        receive(self.made)
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")

    def assertReopenedByItself(self) -> Campaign:
        campaign = self.assertTotalsExact(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.closed_reason, "")
        self.assertIsNone(campaign.closed_by)
        self.assertTrue(campaign.is_accepting_pledges())
        (reopening,) = self.records(A.REOPENED)
        self.assertIs(reopening.details["automatic"], True)
        self.assertEqual(reopening.details["previous_reason"], "goal")
        return campaign

    def test_a_correction_below_the_goal_reopens_it(self):
        correct(self.made, "2400", reason="a fee of 100")
        campaign = self.assertReopenedByItself()
        self.assertEqual(campaign.collected.amount, Decimal("2400.00"))
        self.assertEqual(campaign.deadline, self.deadline)
        self.assertEqual(
            [record.action for record in Activity.objects.order_by("id")],
            [A.PLEDGE_RECEIVED, A.CLOSED, A.RECEIPT_CORRECTED, A.REOPENED],
        )
        pledge(campaign, "100")  # donors can give again

    def test_an_undone_receipt_reopens_it(self):
        undo(self.made)
        campaign = self.assertReopenedByItself()
        self.assertEqual(campaign.collected.amount, 0)
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)

    def test_it_closes_again_when_the_goal_is_collected_again(self):
        correct(self.made, "2400")
        correct(self.made, "2500")
        campaign = fresh(self.campaign)
        self.assertEqual(campaign.closed_reason, "goal")
        self.assertEqual(len(self.records(A.CLOSED)), 2)
        self.assertEqual(len(self.records(A.REOPENED)), 1)

    def test_a_correction_that_stays_at_the_goal_keeps_it_closed(self):
        correct(self.made, "2600")
        correct(self.made, "2500")
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")
        self.assertEqual(self.records(A.REOPENED), [])

    def test_not_after_the_deadline(self):
        correct(self.made, "2400", now=self.deadline + timedelta(minutes=1))
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("2400.00"))
        self.assertIsNotNone(campaign.closed_at)
        self.assertEqual(self.records(A.REOPENED), [])

    def test_not_if_it_was_closed_by_hand(self):
        other = make_campaign(slug="by-hand", deadline=self.deadline)
        made = pledge(other, "2000")
        receive(made)
        campaign_close(campaign=other, reason="manual", by=self.organizer)
        correct(made, "1900")
        undo(made)
        campaign = self.assertTotalsExact(other)
        self.assertEqual(campaign.closed_reason, "manual")
        self.assertEqual(self.records(A.REOPENED, other), [])


class ReopenByHandTests(DonationsTestCase):
    def close_at_goal(self) -> Pledge:
        made = pledge(self.campaign, "2500")
        receive(made)
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")
        return made

    def test_it_is_refused_while_the_goal_is_collected_and_it_stops_at_goal(self):
        self.close_at_goal()
        with self.assertRaises(PledgeRefused) as refusal:
            reopen(self.campaign, stop_at_goal=True)
        self.assertEqual(refusal.exception.code, "goal_collected")
        self.assertIn("raise the goal first", refusal.exception.message)
        self.assertIsNotNone(fresh(self.campaign).closed_at)
        self.assertEqual(self.records(A.REOPENED), [])

    def test_it_reopens_without_stop_at_goal(self):
        self.close_at_goal()
        reopen(self.campaign, stop_at_goal=False, by=self.organizer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertFalse(campaign.stop_at_goal)
        (reopening,) = self.records(A.REOPENED)
        self.assertEqual(reopening.actor, self.organizer)
        self.assertEqual(reopening.details["previous_reason"], "goal")
        self.assertIs(reopening.details["stop_at_goal"], False)
        self.assertNotIn("automatic", reopening.details)
        receive(pledge(campaign, "100"))  # more money closes nothing now
        self.assertIsNone(fresh(self.campaign).closed_at)

    def test_it_reopens_with_stop_at_goal_once_the_goal_grew(self):
        self.close_at_goal()
        BudgetLine.objects.create(
            campaign=self.campaign,
            label="Winter coat",
            target=Money(150, "EUR"),
            position=9,
        )
        reopen(self.campaign, stop_at_goal=True)
        campaign = fresh(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertTrue(campaign.stop_at_goal)
        self.assertEqual(campaign.goal.amount, Decimal("2650.00"))
        receive(pledge(campaign, "150"))
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")

    def test_promises_do_not_keep_it_closed(self):
        pledge(self.campaign, "3000")  # fully promised, nothing arrived
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        reopen(self.campaign, stop_at_goal=True)
        campaign = fresh(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)

    def test_an_open_campaign_is_not_reopened(self):
        with self.assertRaises(PledgeRefused) as refusal:
            reopen(self.campaign)
        self.assertEqual(refusal.exception.code, "not_closed")

    def test_past_its_deadline_it_needs_a_new_one(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() - timedelta(days=1)
        )
        with self.assertRaises(PledgeRefused) as refusal:
            reopen(self.campaign)
        self.assertEqual(refusal.exception.code, "reopen_deadline_passed")
        later = timezone.now() + timedelta(days=10)
        reopen(self.campaign, deadline=later)
        campaign = fresh(self.campaign)
        self.assertEqual(campaign.deadline, later)
        self.assertTrue(campaign.is_accepting_pledges())
        (reopening,) = self.records(A.REOPENED)
        self.assertEqual(reopening.details["previous_reason"], "deadline")
        self.assertEqual(reopening.details["deadline"], later.isoformat())


class GiftTests(DonationsTestCase):
    def test_a_gift_counts_as_received_in_any_state(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        given = gift(self.campaign, "165", self.debts, by=self.volunteer)
        self.assertEqual(given.kind, Pledge.Kind.GIFT)
        self.assertEqual(given.status, Pledge.Status.RECEIVED)
        self.assertEqual(given.note, "cash at the meeting")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("165.00"))
        self.assertEqual(campaign.closed_reason, "manual")
        debts = campaign.lines.get(pk=self.debts.pk)
        self.assertEqual(debts.earmarked_collected.amount, Decimal("165.00"))
        (record,) = self.records(A.GIFT_RECORDED)
        self.assertEqual(record.details["received"], "165.00")
        self.assertEqual(record.details["line"], "Paying off debts")
        self.assertEqual(record.actor, self.volunteer)

    def test_a_gift_over_the_remaining_need_needs_a_confirmation(self):
        receive(pledge(self.campaign, "2000"))
        with self.assertRaises(NeedsConfirmation) as asked:
            gift(self.campaign, "600")
        refusal = asked.exception
        self.assertEqual(refusal.code, "gift_over_need")
        self.assertEqual(refusal.expected, Money(500, "EUR"))  # the remaining need
        self.assertEqual(refusal.received, Money(600, "EUR"))
        self.assertIn("€500", refusal.message)
        self.assertIn("€600", refusal.message)
        self.assertEqual(Pledge.objects.filter(kind=Pledge.Kind.GIFT).count(), 0)
        self.assertEqual(self.assertTotalsExact(self.campaign).collected.amount, 2000)

        gift(self.campaign, "600", confirmed=True)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("2600.00"))
        self.assertEqual(campaign.closed_reason, "goal")
        self.assertIs(self.records(A.GIFT_RECORDED)[0].details["confirmed"], True)

    def test_promises_do_not_lower_the_remaining_need(self):
        pledge(self.campaign, "2500")  # fully promised: need is still 2500
        gift(self.campaign, "2500")
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")

    def test_once_the_goal_is_collected_every_gift_asks(self):
        receive(pledge(self.campaign, "2500"))
        with self.assertRaises(NeedsConfirmation) as asked:
            gift(self.campaign, "5")
        self.assertEqual(asked.exception.expected, Money(0, "EUR"))
        gift(self.campaign, "5", confirmed=True)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("2505.00"))
        self.assertEqual(len(self.records(A.CLOSED)), 1)

    def test_a_gift_to_a_line_of_another_campaign_is_refused(self):
        other = make_campaign(slug="other")
        with self.assertRaises(LineRefused) as refusal:
            gift(self.campaign, "5", other.lines.first())
        self.assertEqual(refusal.exception.code, "invalid_choice")
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)
        self.assertTotalsExact(other)

    def test_a_gift_that_covers_a_line_takes_it_off_the_form(self):
        gift(self.campaign, "400", self.food)
        campaign = fresh(self.campaign)
        self.assertTrue(campaign.line_states().lines[1].is_done)
        with self.assertRaises(LineRefused):
            pledge(campaign, "5", self.food)
