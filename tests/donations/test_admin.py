from decimal import Decimal

from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from campaigns.models import Activity
from donations.models import Pledge
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge


class PledgeAdminTests(DonationsTestCase):
    # Who may do what is the team's business (campaigns.permissions and its
    # tests); these tests check what the pages do, as a superuser.
    def setUp(self):
        self.client.force_login(self.superuser)
        self.made = pledge(self.campaign, "100", self.food)

    def test_pledges_are_found_by_reference_in_any_case_with_separators(self):
        other = pledge(self.campaign, "5")
        ref = self.made.reference
        typed = f"{ref[:4].lower()} - {ref[4:].lower()}"
        response = self.client.get(
            reverse("admin:donations_pledge_changelist"), {"q": typed}
        )
        self.assertContains(response, ref)
        self.assertNotContains(response, other.reference)

    def test_the_list_filters_by_status_and_campaign(self):
        url = reverse("admin:donations_pledge_changelist")
        response = self.client.get(url, {"status__exact": "pending"})
        self.assertContains(response, self.made.reference)
        response = self.client.get(url, {"status__exact": "received"})
        self.assertNotContains(response, self.made.reference)
        response = self.client.get(url, {"campaign__id__exact": self.campaign.pk})
        self.assertContains(response, self.made.reference)

    def test_marking_received_defaults_to_the_pledged_amount(self):
        url = reverse("admin:donations_pledge_receive", args=[self.made.pk])
        response = self.client.get(url)
        self.assertContains(response, 'value="100.00"')
        response = self.client.post(url, {"amount": "97.30"})
        self.assertEqual(response.status_code, 302)
        self.made.refresh_from_db()
        self.assertEqual(self.made.status, Pledge.Status.RECEIVED)
        self.assertEqual(self.made.received_amount.amount, Decimal("97.30"))
        self.assertEqual(self.made.received_by, self.superuser)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("97.30"))

    def test_a_bad_received_amount_is_refused_and_stores_nothing(self):
        url = reverse("admin:donations_pledge_receive", args=[self.made.pk])
        for amount in ["", "0", "-1", "abc", "1.234", "NaN"]:
            with self.subTest(amount=amount):
                response = self.client.post(url, {"amount": amount})
                self.assertEqual(response.status_code, 200)
                self.assertTrue(response.context["form"].errors)
        self.made.refresh_from_db()
        self.assertEqual(self.made.status, Pledge.Status.PENDING)

    def test_cancelling_takes_a_reason(self):
        url = reverse("admin:donations_pledge_cancel", args=[self.made.pk])
        response = self.client.post(url, {"reason": ""})
        self.assertEqual(response.status_code, 200)
        response = self.client.post(url, {"reason": "never paid"})
        self.assertEqual(response.status_code, 302)
        self.made.refresh_from_db()
        self.assertEqual(self.made.status, Pledge.Status.CANCELLED)
        self.assertEqual(self.made.cancel_reason, "never paid")
        self.assertTotalsExact(self.campaign)

    def test_the_cancel_action_asks_for_a_reason_first(self):
        second = pledge(self.campaign, "5")
        url = reverse("admin:donations_pledge_changelist")
        selected = [self.made.pk, second.pk]
        data = {"action": "cancel_selected", ACTION_CHECKBOX_NAME: selected}
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "2 pending pledges will be cancelled")
        self.assertEqual(Pledge.objects.filter(status="pending").count(), 2)
        response = self.client.post(url, {**data, "apply": "1", "reason": "fake"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Pledge.objects.filter(status="cancelled").count(), 2)
        self.assertTotalsExact(self.campaign)

    def test_recording_a_gift(self):
        url = reverse("admin:donations_pledge_gift")
        self.assertEqual(self.client.get(url).status_code, 200)
        response = self.client.post(
            url,
            {
                "campaign": self.campaign.pk,
                "amount": "50",
                "line": self.debts.pk,
                "note": "Transfer without a title",
            },
        )
        self.assertEqual(response.status_code, 302)
        gift = Pledge.objects.get(kind=Pledge.Kind.GIFT)
        self.assertEqual(gift.received_amount.amount, Decimal("50.00"))
        self.assertEqual(gift.line, self.debts)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("50.00"))

    def test_a_gift_to_a_line_of_another_campaign_is_refused(self):
        other = make_campaign(slug="other")
        response = self.client.post(
            reverse("admin:donations_pledge_gift"),
            {
                "campaign": self.campaign.pk,
                "amount": "50",
                "line": other.lines.first().pk,
                "note": "x",
            },
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("line", response.context["form"].errors)
        self.assertFalse(Pledge.objects.filter(kind="gift").exists())

    def test_the_change_form_cannot_change_money_or_status(self):
        url = reverse("admin:donations_pledge_change", args=[self.made.pk])
        self.assertContains(self.client.get(url), "Mark received")
        response = self.client.post(
            url,
            {
                "amount_0": "9999",
                "amount_1": "EUR",
                "status": "received",
                "received_amount_0": "9999",
                "note": "called the donor",
                "message_hidden": "on",
            },
        )
        self.assertEqual(response.status_code, 302)
        self.made.refresh_from_db()
        self.assertEqual(self.made.amount.amount, Decimal("100.00"))
        self.assertEqual(self.made.status, Pledge.Status.PENDING)
        self.assertEqual(self.made.note, "called the donor")
        self.assertTrue(self.made.message_hidden)
        self.assertTrue(
            Activity.objects.filter(action=Activity.Action.MESSAGE_HIDDEN).exists()
        )
        self.assertGreater(fresh(self.campaign).version, self.campaign.version)
        self.assertTotalsExact(self.campaign)

    def test_pledges_cannot_be_added_or_deleted_in_the_admin(self):
        self.assertEqual(
            self.client.get(reverse("admin:donations_pledge_add")).status_code, 403
        )
        url = reverse("admin:donations_pledge_delete", args=[self.made.pk])
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_anonymous_visitors_are_sent_to_login(self):
        self.client.logout()
        url = reverse("admin:donations_pledge_receive", args=[self.made.pk])
        self.assertEqual(self.client.post(url, {"amount": "100"}).status_code, 302)
        self.made.refresh_from_db()
        self.assertEqual(self.made.status, Pledge.Status.PENDING)
