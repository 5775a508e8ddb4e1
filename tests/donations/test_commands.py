from datetime import timedelta
from decimal import Decimal
from io import StringIO
from unittest import mock

from django.core.management import call_command
from django.utils import timezone

from campaigns.models import Activity, Campaign
from donations.models import Pledge
from donations.pledging import pledge_receive
from tests.donations.base import DonationsTestCase, fresh, pledge


def run(command: str) -> str:
    out = StringIO()
    call_command(command, stdout=out)
    return out.getvalue()


class ExpirePledgesTests(DonationsTestCase):
    def test_it_cancels_pending_pledges_past_the_expiry_period_once(self):
        old = pledge(self.campaign, "2500", self.rent)
        Pledge.objects.filter(pk=old.pk).update(
            created_at=timezone.now() - timedelta(days=14, minutes=1)
        )
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=False)
        recent = pledge(self.campaign, "5")
        received = pledge(self.campaign, "7")
        Pledge.objects.filter(pk=received.pk).update(
            created_at=timezone.now() - timedelta(days=30)
        )
        pledge_receive(pledge=received, amount=Decimal("7"), by=None)

        self.assertEqual(run("expire_pledges"), "1 pledges expired.\n")
        old.refresh_from_db()
        self.assertEqual(old.status, Pledge.Status.CANCELLED)
        self.assertEqual(old.cancel_reason, "expired")
        self.assertEqual(Pledge.objects.get(pk=recent.pk).status, "pending")
        self.assertEqual(Pledge.objects.get(pk=received.pk).status, "received")
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("5.00"))
        activity = Activity.objects.get(action=Activity.Action.PLEDGES_EXPIRED)
        self.assertEqual(activity.details["references"], [old.reference])
        self.assertEqual(activity.details["pledged"], "2500.00")

        self.assertEqual(run("expire_pledges"), "0 pledges expired.\n")
        self.assertTotalsExact(self.campaign)

    def test_each_campaign_has_its_own_period(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(pledge_expiry_days=3)
        made = pledge(self.campaign, "5")
        later = timezone.now() + timedelta(days=3, seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            run("expire_pledges")
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.CANCELLED)

    def test_expiry_reopens_a_campaign_held_full_by_a_forgotten_promise(self):
        made = pledge(self.campaign, "2500")
        self.assertFalse(fresh(self.campaign).is_accepting_pledges())
        Pledge.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - timedelta(days=15)
        )
        run("expire_pledges")
        self.assertTrue(self.assertTotalsExact(self.campaign).is_accepting_pledges())

    def test_late_money_on_an_expired_pledge_still_counts(self):
        made = pledge(self.campaign, "40")
        Pledge.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - timedelta(days=15)
        )
        run("expire_pledges")
        pledge_receive(pledge=made, amount=Decimal("40"), by=self.volunteer)
        made.refresh_from_db()
        self.assertEqual(made.status, Pledge.Status.RECEIVED)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("40.00"))


class CloseEndedCampaignsTests(DonationsTestCase):
    def test_it_records_the_closing_at_the_deadline_once(self):
        deadline = timezone.now() - timedelta(minutes=5)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        self.assertEqual(run("close_ended_campaigns"), "1 campaigns closed.\n")
        campaign = fresh(self.campaign)
        self.assertEqual(campaign.closed_at, deadline)
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.DEADLINE)
        self.assertIsNone(campaign.closed_by)
        self.assertEqual(run("close_ended_campaigns"), "0 campaigns closed.\n")
        self.assertEqual(Activity.objects.filter(action="closed").count(), 1)

    def test_it_leaves_open_campaigns_alone(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() + timedelta(days=1)
        )
        self.assertEqual(run("close_ended_campaigns"), "0 campaigns closed.\n")
        self.assertIsNone(fresh(self.campaign).closed_at)
