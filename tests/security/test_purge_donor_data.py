"""`manage.py purge_donor_data`: donors are forgotten after the retention period."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from campaigns.models import Activity, Campaign
from donations.models import Pledge
from donations.pledging import Donor, pledge_receive
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, pledge


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
            r"\d{4}-\d\d-\d\d \d\d:\d\d\.\n$",
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
