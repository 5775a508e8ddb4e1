"""`manage.py purge_donor_data`: donors are forgotten after the retention period."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from campaigns.models import Activity, Campaign
from donations.models import Pledge
from donations.pledging import (
    EXPIRED,
    Donor,
    campaign_close,
    campaign_reopen,
    expire_pledges,
    gift_record,
    pledge_cancel,
    pledge_receive,
    pledge_set_note,
    receipt_correct,
    receipt_undo,
)
from donations.privacy import purge_donor_data
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, made_days_ago, pledge

A = Activity.Action


def donor(n: int) -> Donor:
    return Donor(
        name=f"Donor {n}", email=f"donor{n}@example.org", message=f"Good luck {n}"
    )


def close(campaign: Campaign, days_ago: int) -> None:
    Campaign.objects.filter(pk=campaign.pk).update(
        closed_at=timezone.now() - timedelta(days=days_ago), closed_reason="manual"
    )


class PurgeDonorDataTests(DonationsTestCase):
    def setUp(self):
        self.old = self.campaign
        self.recent = make_campaign(slug="recent")
        self.open = make_campaign(slug="open")
        self.past_deadline = make_campaign(slug="past-deadline")
        for n, campaign in enumerate(
            [self.old, self.old, self.recent, self.open, self.past_deadline]
        ):
            pledge(campaign, "100", donor=donor(n))
        pledge_receive(
            pledge=self.old.pledges.first(), amount=Decimal("95"), by=self.volunteer
        )
        close(self.old, days_ago=91)
        close(self.recent, days_ago=10)
        Campaign.objects.filter(pk=self.past_deadline.pk).update(
            deadline=timezone.now() - timedelta(days=120)
        )

    def purge(self, *args) -> str:
        out = StringIO()
        call_command("purge_donor_data", *args, stdout=out)
        return out.getvalue()

    def test_it_clears_names_emails_and_messages_after_90_days_by_default(self):
        versions_before = Campaign.objects.get(pk=self.old.pk).version
        output = self.purge()
        self.assertRegex(
            output,
            r"^Donor data purged from 3 pledges in 2 campaigns closed before "
            r"\d{4}-\d\d-\d\d \d\d:\d\d; payers' names cleared from 0 bank "
            r"statement entries\.\n$",
        )
        for campaign in (self.old, self.past_deadline):
            for p in Pledge.objects.filter(campaign=campaign):
                self.assertEqual((p.donor_name, p.email, p.message), ("", "", ""))
        self.assertGreater(
            Campaign.objects.get(pk=self.old.pk).version, versions_before
        )

    def test_it_keeps_amounts_totals_and_references(self):
        before = {
            p.reference: (p.amount, p.received_amount, p.status)
            for p in Pledge.objects.all()
        }
        totals_before = Campaign.objects.get(pk=self.old.pk)
        self.purge()
        after = {
            p.reference: (p.amount, p.received_amount, p.status)
            for p in Pledge.objects.all()
        }
        self.assertEqual(before, after)
        old = self.assertTotalsExact(self.old)
        self.assertEqual(old.collected, totals_before.collected)
        self.assertEqual(old.promised, totals_before.promised)
        self.assertEqual(old.supporters, totals_before.supporters)

    def test_it_leaves_recent_and_open_campaigns_alone(self):
        self.purge()
        for campaign in (self.recent, self.open):
            p = Pledge.objects.get(campaign=campaign)
            self.assertTrue(p.donor_name and p.email and p.message)

    def test_a_shorter_retention_reaches_recently_closed_campaigns(self):
        self.purge("--days", "7")
        self.assertEqual(Pledge.objects.get(campaign=self.recent).email, "")
        self.assertNotEqual(Pledge.objects.get(campaign=self.open).email, "")

    @override_settings(ZBOR_DONOR_DATA_RETENTION_DAYS=5)
    def test_the_setting_is_the_default_period(self):
        self.purge()
        self.assertEqual(Pledge.objects.get(campaign=self.recent).email, "")

    def test_it_records_one_activity_per_campaign_purged(self):
        self.purge()
        rows = Activity.objects.filter(action=Activity.Action.DONOR_DATA_PURGED)
        self.assertEqual(
            sorted((a.campaign.slug, a.details["pledges"]) for a in rows),
            [("konstantin", 2), ("past-deadline", 1)],
        )
        self.assertTrue(all(a.details["retention_days"] == 90 for a in rows))
        self.assertTrue(all(a.actor is None for a in rows))

    def test_running_it_again_changes_nothing_and_records_nothing(self):
        self.purge()
        output = self.purge()
        self.assertTrue(output.startswith("Donor data purged from 0 pledges in 0"))
        self.assertEqual(
            Activity.objects.filter(action=Activity.Action.DONOR_DATA_PURGED).count(),
            2,
        )

    def test_the_activity_log_holds_no_donor_data(self):
        self.purge()
        for activity in Activity.objects.all():
            text = str(activity.details)
            self.assertNotIn("@example.org", text)
            self.assertNotIn("Donor ", text)

    def test_a_reopened_campaign_is_not_purged(self):
        Campaign.objects.filter(pk=self.old.pk).update(closed_at=None, closed_reason="")
        self.purge()
        self.assertTrue(Pledge.objects.filter(campaign=self.old, email__contains="@"))

    def test_a_negative_period_is_refused(self):
        with self.assertRaises(CommandError):
            self.purge("--days", "-1")
        self.assertEqual(Pledge.objects.filter(email__contains="@").count(), 5)


# What a volunteer might type about a donor: the purge must leave it nowhere.
DONOR_WORDS = "Ivan Petrov"


class PurgeTeamWordsTests(DonationsTestCase):
    """The team's own words about donors go too: notes, gift notes, typed cancel
    reasons, and the reasons and notes typed into the record. Codes, amounts
    and statuses stay."""

    def setUp(self):
        by = self.volunteer
        self.noted = pledge(self.campaign, "100", donor=donor(1))
        pledge_set_note(pledge=self.noted, note=f"{DONOR_WORDS}, by phone", by=by)
        self.corrected = pledge(self.campaign, "50")
        pledge_receive(pledge=self.corrected, amount=Decimal("50"), by=by)
        receipt_correct(
            pledge=self.corrected,
            amount=Decimal("48"),
            reason=f"bank fee, {DONOR_WORDS}'s bank",
            by=by,
        )
        self.undone = pledge(self.campaign, "30")
        pledge_receive(pledge=self.undone, amount=Decimal("30"), by=by)
        receipt_undo(pledge=self.undone, reason=f"it was {DONOR_WORDS}'s", by=by)
        self.cancelled = pledge(self.campaign, "20")
        pledge_cancel(
            pledge=self.cancelled, reason=f"{DONOR_WORDS} changed his mind", by=by
        )
        self.gift = gift_record(
            campaign=self.campaign,
            amount=Decimal("15"),
            line=None,
            note=f"cash from {DONOR_WORDS}",
            by=by,
        )
        self.expired = pledge(self.campaign, "10")
        made_days_ago(self.expired, self.campaign.pledge_expiry_days + 1)
        expire_pledges()
        campaign_close(
            campaign=self.campaign,
            reason="manual",
            note=f"{DONOR_WORDS} covers the rest",
            by=self.organizer,
        )
        campaign_reopen(
            campaign=self.campaign,
            reason=f"{DONOR_WORDS} asked us to",
            deadline=None,
            stop_at_goal=False,
            by=self.organizer,
        )
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        close(self.campaign, days_ago=91)

    def texts(self) -> list[str]:
        rows = Pledge.objects.values_list(
            "donor_name", "email", "message", "note", "cancel_reason"
        )
        details = Activity.objects.values_list("details", flat=True)
        return [str(row) for row in rows] + [str(row) for row in details]

    def test_the_team_words_were_stored_before(self):
        self.assertTrue(any(DONOR_WORDS in text for text in self.texts()))

    def test_it_clears_notes_gift_notes_and_typed_cancel_reasons(self):
        purge_donor_data(retention=timedelta(days=90))
        for made in (self.noted, self.gift):
            self.assertEqual(Pledge.objects.get(pk=made.pk).note, "")
        self.assertEqual(Pledge.objects.get(pk=self.cancelled.pk).cancel_reason, "")
        # The expiry job's code is no one's words: it stays.
        self.assertEqual(Pledge.objects.get(pk=self.expired.pk).cancel_reason, EXPIRED)
        self.assertEqual(
            Pledge.objects.get(pk=self.cancelled.pk).status, Pledge.Status.CANCELLED
        )

    def test_the_record_keeps_no_typed_reason_but_every_amount(self):
        def money(action):
            row = Activity.objects.get(campaign=self.campaign, action=action)
            return {k: v for k, v in row.details.items() if k != "reason"}

        before = {
            action: money(action)
            for action in (A.RECEIPT_CORRECTED, A.RECEIPT_UNDONE, A.PLEDGE_CANCELLED)
        }
        purge_donor_data(retention=timedelta(days=90))
        for text in self.texts():
            self.assertNotIn(DONOR_WORDS, text)
        for action, kept in before.items():
            with self.subTest(action=action):
                self.assertEqual(money(action), kept)
                self.assertNotIn(
                    "reason",
                    Activity.objects.get(campaign=self.campaign, action=action).details,
                )
        corrected = Activity.objects.get(action=A.RECEIPT_CORRECTED).details
        self.assertEqual(
            (corrected["previous"], corrected["received"]), ("50.00", "48.00")
        )
        closings = Activity.objects.filter(action=A.CLOSED).order_by("created_at", "id")
        self.assertEqual([c.details["reason"] for c in closings], ["manual", "manual"])
        self.assertEqual(
            Activity.objects.get(action=A.REOPENED).details["previous_reason"], "manual"
        )
        self.assertTotalsExact(self.campaign)

    def test_it_records_what_it_cleared_once(self):
        first = purge_donor_data(retention=timedelta(days=90))
        self.assertEqual((first.pledges, first.campaigns), (6, 1))
        self.assertEqual(first.records, 5)
        record = Activity.objects.get(action=A.DONOR_DATA_PURGED)
        self.assertEqual(
            record.details,
            {
                "pledges": 6,
                "records": 5,
                "statement_entries": 0,
                "retention_days": 90,
            },
        )
        again = purge_donor_data(retention=timedelta(days=90))
        self.assertEqual((again.pledges, again.campaigns, again.records), (0, 0, 0))
        self.assertEqual(Activity.objects.filter(action=A.DONOR_DATA_PURGED).count(), 1)

    def test_a_campaign_purged_before_still_loses_its_team_words(self):
        # Purged by the old rule (names, emails and messages only).
        Pledge.objects.update(donor_name="", email="", message="")
        result = purge_donor_data(retention=timedelta(days=90))
        self.assertEqual(result.campaigns, 1)
        for text in self.texts():
            self.assertNotIn(DONOR_WORDS, text)

    def test_an_automatic_reopening_keeps_its_own_sentence(self):
        Activity.objects.record(
            self.campaign,
            A.REOPENED,
            details={"reason": "collected fell below the goal", "automatic": True},
        )
        purge_donor_data(retention=timedelta(days=90))
        automatic = Activity.objects.get(
            action=A.REOPENED, details__has_key="automatic"
        )
        self.assertEqual(automatic.details["reason"], "collected fell below the goal")

    def test_the_desk_history_still_shows_after_the_purge(self):
        purge_donor_data(retention=timedelta(days=90))
        self.client.force_login(self.superuser)
        response = self.client.get(
            reverse("donations:desk_pledge", args=[self.corrected.reference])
        )
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, DONOR_WORDS)
        self.assertContains(response, "€48")
