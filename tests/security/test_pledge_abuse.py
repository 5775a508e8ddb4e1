"""The pledge form under abuse: rate limits, the honeypot, a dead cache, and
error reports that never carry a donor's email."""

import contextlib
import math
import secrets

from django.core.cache import cache
from django.test import override_settings
from django.urls import reverse
from django.utils import translation
from django.views.debug import SafeExceptionReporterFilter

from config.env import Rate
from donations.models import Pledge
from donations.pledging import campaign_close
from tests.base import ZborTestCase
from tests.i18n.base import compile_catalogues
from tests.support import CACHE_DOWN


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
    ZBOR_PLEDGE_RATE_PER_ADDRESS=Rate(3, 600),
    ZBOR_PLEDGE_RATE_PER_CAMPAIGN=Rate(6, 60),
    ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS=Rate(60, 600),
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

    def test_typos_do_not_use_up_the_pledges_an_address_may_make(self):
        for amount in ("25,5,0", "abc", "0", "-3", "1e9"):
            response = self.post(amount="other", other_amount=amount)
            self.assertEqual(response.status_code, 400, amount)
        self.assertEqual([self.post().status_code for _ in range(3)], [303] * 3)
        self.assertEqual(self.post().status_code, 429)
        self.assertEqual(Pledge.objects.count(), 3)


TYPED = {
    "amount": "other",
    "other_amount": "37.50",
    "donor_name": "Ala Nowak-Kowalska",
    "email": "ala.nowak@example.org",
    "message": "Trzymaj się, bracie",
    "show_amount": "on",
}


@override_settings(
    ZBOR_PLEDGE_RATE_PER_ADDRESS=Rate(2, 600),
    ZBOR_PLEDGE_RATE_PER_CAMPAIGN=Rate(100, 60),
    ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS=Rate(4, 600),
)
class TooManyPledgesPageTests(PledgePostMixin, ZborTestCase):
    """The donor over a limit gets their form back, as they typed it."""

    def refused(self, url=None, **fields):
        for _ in range(2):
            self.assertEqual(self.post().status_code, 303)
        data = {**TYPED, "line": str(self.food.pk), "token": secrets.token_urlsafe(24)}
        data.update(fields)
        response = self.client.post(url or self.url, data, REMOTE_ADDR="203.0.113.7")
        self.assertEqual(response.status_code, 429)
        return response

    def test_it_answers_429_with_retry_after_and_nothing_stored(self):
        response = self.refused()
        retry_after = int(response["Retry-After"])
        self.assertTrue(0 < retry_after <= 600)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertEqual(Pledge.objects.count(), 2)
        self.assertFalse(Pledge.objects.filter(donor_name=TYPED["donor_name"]).exists())

    def test_it_says_when_to_try_again_in_words(self):
        response = self.refused()
        minutes = math.ceil(int(response["Retry-After"]) / 60)
        unit = "minute" if minutes == 1 else "minutes"
        self.assertContains(
            response, f"Please try again in about {minutes} {unit}.", status_code=429
        )
        self.assertContains(response, "Too many pledges from here", status_code=429)
        self.assertContains(response, "Nothing was saved", status_code=429)

    def test_it_is_the_sites_styled_pledge_page_with_the_form_filled_in(self):
        html = self.refused().content.decode()
        self.assertIn('<link rel="stylesheet" href="/static/css/site.css">', html)
        self.assertIn('class="site-header"', html)
        self.assertIn('<div class="notice" role="alert">', html)
        self.assertIn("What you typed is still in the form below.", html)
        self.assertIn(f'action="{self.url}"', html)
        # Every value the donor typed or chose, back in its field.
        self.assertRegex(html, r'name="amount" value="other"[^>]*checked')
        self.assertIn('name="other_amount" value="37.50"', html)
        self.assertNotIn("error-summary", html)  # a right form, only refused
        self.assertRegex(html, rf'name="line" value="{self.food.pk}"[^>]*checked')
        self.assertIn('value="Ala Nowak-Kowalska"', html)
        self.assertIn('value="ala.nowak@example.org"', html)
        self.assertRegex(html, r"<textarea[^>]*>\s*Trzymaj się, bracie</textarea>")
        self.assertRegex(html, r'name="show_amount"[^>]*checked')
        # The notice sits above the form.
        self.assertLess(html.index('class="notice"'), html.index("<form"))

    def test_it_is_in_the_readers_language(self):
        compile_catalogues()
        with translation.override("pl"):
            url = reverse("donations:pledge", args=[self.campaign.slug])
        self.assertTrue(url.startswith("/pl/"))
        html = self.refused(url).content.decode()
        self.assertIn('<html lang="pl"', html)
        self.assertIn("Zbyt wiele wpłat stąd w krótkim czasie", html)
        self.assertIn("Nic z tej próby nie zostało zapisane.", html)
        self.assertIn("nadal jest w formularzu poniżej", html)
        self.assertRegex(html, r"Spróbuj ponownie za około \d+ minut")
        self.assertNotIn("Please try again", html)
        self.assertIn('value="Ala Nowak-Kowalska"', html)

    def test_too_many_typos_get_their_own_message_and_keep_the_form(self):
        for _ in range(4):
            response = self.post(**TYPED | {"other_amount": "37,5,0"})
            self.assertEqual(response.status_code, 400)
        response = self.post(**TYPED | {"other_amount": "37,5,0"})
        self.assertEqual(response.status_code, 429)
        self.assertIn("Retry-After", response.headers)
        html = response.content.decode()
        self.assertIn("Too many attempts", html)
        self.assertIn('name="other_amount" value="37,5,0"', html)
        self.assertIn('value="ala.nowak@example.org"', html)
        # The typo is pointed out too, for when the donor tries again.
        self.assertIn('class="error-summary"', html)
        self.assertFalse(Pledge.objects.exists())

    def test_a_campaign_that_stopped_taking_pledges_says_so_without_the_form(self):
        for _ in range(2):
            self.post()
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        response = self.post(**TYPED)
        self.assertEqual(response.status_code, 429)
        self.assertNotContains(response, "<form", status_code=429)
        self.assertNotContains(response, "still in the form", status_code=429)
        self.assertContains(response, "Nothing was saved", status_code=429)


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
        response = self.client.get(Pledge.objects.get().thanks_path())
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
