"""The pledge form under abuse: rate limits, the honeypot, a dead cache, and
error reports that never carry a donor's email."""

import contextlib
import secrets

from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.views.debug import SafeExceptionReporterFilter

from donations.models import Pledge
from tests.base import ZborTestCase
from tests.security.test_ratelimit import CACHE_DOWN


class PledgePostMixin:
    def setUp(self):
        with contextlib.suppress(Exception):  # a cache that is down has no counts
            cache.clear()
        self.url = reverse("donations:pledge", args=[self.campaign.slug])

    def post(self, address="203.0.113.7", **fields):
        data = {"amount": "25", "line": "", "token": secrets.token_urlsafe(24)}
        data.update(fields)
        return self.client.post(self.url, data, REMOTE_ADDR=address)


@override_settings(
    ZBOR_PLEDGE_RATE_PER_ADDRESS="3/600", ZBOR_PLEDGE_RATE_PER_CAMPAIGN="6/60"
)
class PledgeRateLimitTests(PledgePostMixin, ZborTestCase):
    def test_an_address_over_its_limit_gets_429_and_nothing_is_stored(self):
        for _ in range(3):
            self.assertEqual(self.post().status_code, 303)
        response = self.post(donor_name="Fourth")
        self.assertEqual(response.status_code, 429)
        self.assertIn("Retry-After", response.headers)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertContains(response, "Too many pledges", status_code=429)
        self.assertEqual(Pledge.objects.count(), 3)
        self.assertFalse(Pledge.objects.filter(donor_name="Fourth").exists())

    def test_other_donors_keep_pledging_meanwhile(self):
        for _ in range(5):
            self.post()
        self.assertEqual(self.post(address="198.51.100.8").status_code, 303)

    def test_the_real_address_behind_the_proxy_is_the_one_limited(self):
        with self.settings(TRUSTED_PROXY_COUNT=1):
            for n in range(3):
                # One client, each time claiming another address leftmost.
                forwarded = f"10.9.9.{n}, 203.0.113.7"
                response = self.client.post(
                    self.url,
                    {"amount": "25", "token": secrets.token_urlsafe(24)},
                    REMOTE_ADDR="127.0.0.1",
                    headers={"x-forwarded-for": forwarded},
                )
                self.assertEqual(response.status_code, 303)
            response = self.client.post(
                self.url,
                {"amount": "25", "token": secrets.token_urlsafe(24)},
                REMOTE_ADDR="127.0.0.1",
                headers={"x-forwarded-for": "10.9.9.99, 203.0.113.7"},
            )
        self.assertEqual(response.status_code, 429)

    def test_the_campaign_ceiling_refuses_a_distributed_flood(self):
        for n in range(6):
            self.assertEqual(self.post(address=f"198.51.100.{n}").status_code, 303)
        self.assertEqual(self.post(address="198.51.100.200").status_code, 429)
        self.assertEqual(Pledge.objects.count(), 6)

    def test_the_form_page_itself_is_never_limited(self):
        for _ in range(5):
            self.post()
        response = self.client.get(self.url, REMOTE_ADDR="203.0.113.7")
        self.assertEqual(response.status_code, 200)


class HoneypotTests(PledgePostMixin, ZborTestCase):
    def test_the_form_has_a_hidden_field_people_never_see(self):
        response = self.client.get(self.url)
        self.assertContains(response, 'name="website"')
        self.assertRegex(
            response.content.decode(), r'<div hidden aria-hidden="true"><label'
        )

    def test_a_filled_honeypot_is_refused_and_nothing_is_stored(self):
        response = self.post(website="http://spam.example")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "could not be sent", status_code=400)
        self.assertFalse(Pledge.objects.exists())

    def test_an_empty_honeypot_lets_the_pledge_through(self):
        self.assertEqual(self.post(website="").status_code, 303)
        self.assertEqual(Pledge.objects.count(), 1)


@override_settings(CACHES=CACHE_DOWN)
class CacheDownTests(PledgePostMixin, ZborTestCase):
    def test_pledging_still_works_and_the_log_says_the_limits_are_off(self):
        with self.assertLogs("donations.ratelimit", "WARNING") as logs:
            response = self.post()
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertIn("cache is unavailable", "\n".join(logs.output))

    def test_the_thank_you_page_still_works(self):
        self.post()
        response = self.client.get(Pledge.objects.get().get_absolute_url())
        self.assertEqual(response.status_code, 200)

    def test_the_public_pages_still_work(self):
        for url in ("/", self.campaign.get_absolute_url(), self.url):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)


class ErrorReportTests(PledgePostMixin, ZborTestCase):
    def test_an_error_report_hides_the_donors_email_name_and_message(self):
        from django.test import RequestFactory

        from donations.views import pledge

        request = RequestFactory().post(
            self.url,
            {
                "amount": "25",
                "email": "secret.donor@example.org",
                "donor_name": "Secret Donor",
                "message": "Hold on, brother",
            },
        )
        request._dont_enforce_csrf_checks = True
        pledge(request, slug=self.campaign.slug)
        cleansed = SafeExceptionReporterFilter().get_post_parameters(request)
        self.assertEqual(cleansed["amount"], "25")
        for field in ("email", "donor_name", "message"):
            self.assertNotIn("secret", cleansed[field].lower())
            self.assertNotIn("Hold on", cleansed[field])
