"""The donor's own actions, without an account: "I've sent the transfer" and
"Cancel my pledge" from the thank-you page, and "Email me my pledge's page
again" from the campaign page. POST only, through forms, with CSRF; a wrong
key is a 404; the totals stay exact."""

from datetime import timedelta
from unittest import mock

from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.utils import timezone

from campaigns.models import Activity
from donations import self_service
from donations.models import Outbox, Pledge
from donations.outbox import send_due
from donations.pledging import DONOR_CANCELLED, Donor, campaign_close, expire_pledges
from donations.ratelimit import Rate
from tests.donations.base import DonationsTestCase, made_days_ago, pledge, receive

ALA = Donor(name="Ala", email="ala@example.org", language="en")


class TransferSentTests(DonationsTestCase):
    def setUp(self):
        self.made = pledge(self.campaign, "25", self.rent, donor=ALA)
        self.url = f"/thanks/{self.made.access_key}/sent/"

    def test_it_dates_the_pledge_and_the_team_sees_it(self):
        response = self.client.post(self.url)
        self.assertRedirects(response, self.made.thanks_path(), status_code=303)
        made = Pledge.objects.get(pk=self.made.pk)
        self.assertIsNotNone(made.transfer_sent_at)
        self.assertEqual(made.status, Pledge.Status.PENDING)
        page = self.client.get(self.made.thanks_path())
        self.assertContains(page, "that the transfer is on its way")
        self.assertNotContains(page, "I&#x27;ve sent the transfer</button>")
        self.client.force_login(self.superuser)
        card = self.client.get(f"/desk/p/{self.made.reference}/")
        self.assertContains(card, "Donor says the transfer was sent")
        self.assertTotalsExact(self.campaign)

    def test_it_postpones_expiry_by_the_campaigns_period(self):
        made_days_ago(self.made, 13)
        self.client.post(self.url)
        # Made 13 days ago, it expired on day 14; now on day 21.
        self.assertEqual(expire_pledges(now=timezone.now() + timedelta(days=2)), 0)
        self.assertEqual(expire_pledges(now=timezone.now() + timedelta(days=7.9)), 0)
        self.assertEqual(expire_pledges(now=timezone.now() + timedelta(days=8.1)), 1)

    def test_the_pay_by_date_moves_by_the_campaigns_period(self):
        later = timezone.localtime(
            self.made.created_at + timedelta(days=21)
        ).isoformat()
        self.assertNotContains(self.client.get(self.made.thanks_path()), later)
        self.client.post(self.url)
        self.assertContains(self.client.get(self.made.thanks_path()), later)

    def test_twice_keeps_the_first_date(self):
        self.client.post(self.url)
        first = Pledge.objects.get(pk=self.made.pk).transfer_sent_at
        self.client.post(self.url)
        self.assertEqual(Pledge.objects.get(pk=self.made.pk).transfer_sent_at, first)

    def test_a_received_pledge_is_left_alone(self):
        receive(self.made)
        self.assertEqual(self.client.post(self.url).status_code, 303)
        self.assertIsNone(Pledge.objects.get(pk=self.made.pk).transfer_sent_at)

    def test_get_is_not_allowed_and_strangers_are_not_found(self):
        self.assertEqual(self.client.get(self.url).status_code, 405)
        self.assertEqual(self.client.post("/thanks/not-the-key/sent/").status_code, 404)
        self.assertIsNone(Pledge.objects.get(pk=self.made.pk).transfer_sent_at)

    def test_it_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        self.assertEqual(client.post(self.url).status_code, 403)
        self.assertIsNone(Pledge.objects.get(pk=self.made.pk).transfer_sent_at)


class DonorCancelTests(DonationsTestCase):
    def setUp(self):
        self.made = pledge(self.campaign, "25", self.rent, donor=ALA)
        self.url = f"/thanks/{self.made.access_key}/cancel/"

    def test_it_asks_then_cancels_with_the_donors_reason(self):
        page = self.client.get(self.url)
        self.assertEqual(page.status_code, 200)
        self.assertContains(page, "Yes, cancel my pledge")
        self.assertEqual(Pledge.objects.get(pk=self.made.pk).status, "pending")
        response = self.client.post(self.url)
        self.assertRedirects(response, self.made.thanks_path(), status_code=303)
        made = Pledge.objects.get(pk=self.made.pk)
        self.assertEqual(made.status, Pledge.Status.CANCELLED)
        self.assertEqual(made.cancel_reason, DONOR_CANCELLED)
        self.assertIsNone(made.cancelled_by)
        (record,) = self.records(Activity.Action.PLEDGE_CANCELLED)
        self.assertIsNone(record.actor)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, 0)
        self.assertEqual(campaign.supporters, 0)
        self.assertContains(
            self.client.get(self.made.thanks_path()), "This pledge was cancelled"
        )

    def test_the_pledge_made_email_is_not_sent_after(self):
        self.client.post(self.url)
        send_due()
        self.assertEqual(mail.outbox, [])

    def test_a_closed_campaign_still_lets_the_donor_cancel(self):
        campaign_close(campaign=self.campaign, reason="manual", by=None)
        self.client.post(self.url)
        self.assertEqual(Pledge.objects.get(pk=self.made.pk).status, "cancelled")
        self.assertTotalsExact(self.campaign)

    def test_a_received_pledge_cannot_be_cancelled(self):
        receive(self.made)
        self.assertRedirects(
            self.client.post(self.url), self.made.thanks_path(), status_code=303
        )
        self.assertEqual(Pledge.objects.get(pk=self.made.pk).status, "received")
        self.assertTotalsExact(self.campaign)

    def test_strangers_are_not_found_and_csrf_is_needed(self):
        self.assertEqual(self.client.get("/thanks/wrong/cancel/").status_code, 404)
        self.assertEqual(self.client.post("/thanks/wrong/cancel/").status_code, 404)
        client = Client(enforce_csrf_checks=True)
        self.assertEqual(client.post(self.url).status_code, 403)
        self.assertEqual(self.client.put(self.url).status_code, 405)
        self.assertEqual(Pledge.objects.get(pk=self.made.pk).status, "pending")


class PledgeLinkTests(DonationsTestCase):
    url = "/c/konstantin/my-pledge/"

    def setUp(self):
        cache.clear()

    def test_the_campaign_page_links_to_it(self):
        self.assertContains(self.client.get("/c/konstantin/"), f'href="{self.url}"')

    def test_it_answers_the_same_whether_or_not_the_address_pledged(self):
        made = pledge(self.campaign, "25", donor=ALA)
        send_due()
        mail.outbox.clear()
        answers = []
        for email in ("ALA@example.org", "nobody@example.org"):
            response = self.client.post(self.url, {"email": email}, follow=True)
            answers.append(
                (response.status_code, response.redirect_chain, response.content)
            )
        self.assertEqual(answers[0], answers[1])
        self.assertContains(response, "If this address pledged")
        self.assertEqual(mail.outbox, [])  # never inside the request
        send_due()
        (message,) = mail.outbox
        self.assertEqual(message.to, ["ala@example.org"])
        self.assertIn(made.thanks_path(), message.body)
        self.assertIn(made.stop_emails_path(), message.body)

    def test_it_is_rate_limited_per_email(self):
        pledge(self.campaign, "25", donor=ALA)
        with mock.patch.object(self_service, "LINK_RATE_PER_EMAIL", Rate(2, 3600)):
            for _ in range(4):
                self.client.post(self.url, {"email": "ala@example.org"})
        self.assertEqual(Outbox.objects.filter(kind=Outbox.Kind.PLEDGE_LINK).count(), 2)

    def test_it_is_rate_limited_per_client_address(self):
        with mock.patch.object(self_service, "LINK_RATE_PER_ADDRESS", Rate(2, 3600)):
            codes = [
                self.client.post(self.url, {"email": f"d{n}@example.org"}).status_code
                for n in range(3)
            ]
        self.assertEqual(codes, [303, 303, 429])

    def test_bad_input_and_bots(self):
        response = self.client.post(self.url, {"email": "not an email"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "error-summary", status_code=400)
        pledge(self.campaign, "25", donor=ALA)
        self.client.post(self.url, {"email": "ala@example.org", "website": "spam"})
        self.assertFalse(Outbox.objects.filter(kind=Outbox.Kind.PLEDGE_LINK).exists())

    def test_a_stopped_address_gets_nothing_and_others_campaigns_are_not_found(self):
        made = pledge(self.campaign, "25", donor=ALA)
        self.client.post(made.stop_emails_path())
        self.client.post(self.url, {"email": "ala@example.org"})
        self.assertFalse(Outbox.objects.filter(kind=Outbox.Kind.PLEDGE_LINK).exists())
        self.assertEqual(self.client.get("/c/nope/my-pledge/").status_code, 404)
        client = Client(enforce_csrf_checks=True)
        self.assertEqual(
            client.post(self.url, {"email": "a@example.org"}).status_code, 403
        )
