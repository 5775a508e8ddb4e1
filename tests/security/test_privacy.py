"""Nothing public exposes a donor: no email, no anonymous name, no exact time,
no enumerable id; organizers can keep a campaign out of search engines."""

import logging
import secrets

from django.core.cache import cache
from django.urls import reverse

from campaigns.models import Campaign
from donations.models import Pledge
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase

EMAIL = "hidden.donor@example.org"
ANONYMOUS_NAME = "Secretly Named"
LANGUAGES = ["", "/pl", "/be", "/ru", "/uk"]


class CapturingHandler(logging.Handler):
    def __init__(self):
        super().__init__(level=logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record):
        self.lines.append(self.format(record))


class DonorPrivacyTests(DonationsTestCase):
    def setUp(self):
        cache.clear()
        self.url = reverse("donations:pledge", args=[self.campaign.slug])
        self.log = CapturingHandler()
        root = logging.getLogger()
        self.old_level = root.level
        root.addHandler(self.log)
        root.setLevel(logging.DEBUG)
        self.addCleanup(root.removeHandler, self.log)
        self.addCleanup(root.setLevel, self.old_level)
        self.named = self.give(donor_name="Ala Visible", email="ala@example.org")
        self.anonymous = self.give(
            donor_name=ANONYMOUS_NAME, email=EMAIL, is_anonymous="on"
        )

    def give(self, **fields) -> Pledge:
        data = {"amount": "25", "line": "", "token": secrets.token_urlsafe(24)}
        data.update(fields, message=fields.get("message", "Hold on"))
        response = self.client.post(self.url, data)
        self.assertEqual(response.status_code, 303)
        self.assertNotIn("@", response["Location"])
        return Pledge.objects.get(submission_token=data["token"])

    def public_pages(self):
        for prefix in LANGUAGES:
            for path in (
                "/",
                f"/c/{self.campaign.slug}/",
                f"/c/{self.campaign.slug}/give/",
            ):
                response = self.client.get(prefix + path)
                self.assertEqual(response.status_code, 200, prefix + path)
                yield prefix + path, response.content.decode()

    def test_no_public_page_shows_a_donors_email(self):
        for path, html in self.public_pages():
            with self.subTest(path=path):
                self.assertNotIn(EMAIL, html)
                self.assertNotIn("ala@example.org", html)
                self.assertNotIn("example.org", html)

    def test_an_anonymous_donors_name_appears_nowhere_public(self):
        pages = dict(self.public_pages())
        self.assertIn("Ala Visible", pages[f"/c/{self.campaign.slug}/"])
        for path, html in pages.items():
            with self.subTest(path=path):
                self.assertNotIn(ANONYMOUS_NAME, html)
                self.assertNotIn("Secretly", html)

    def test_public_pages_show_no_exact_times_ids_or_codes(self):
        for path, html in self.public_pages():
            for pledge in (self.named, self.anonymous):
                with self.subTest(path=path, pledge=pledge.pk):
                    self.assertNotIn(pledge.reference, html)
                    self.assertNotIn(pledge.access_key, html)
                    self.assertNotIn(pledge.created_at.isoformat()[:16], html)
                    local = pledge.created_at.astimezone()
                    self.assertNotIn(f"{local:%H:%M}", html)
                    self.assertNotIn(f"pledge-{pledge.pk}", html)
                    self.assertNotIn(f"/pledge/{pledge.pk}", html)

    def test_no_log_line_carries_a_donors_email_or_hidden_name(self):
        for _ in self.public_pages():
            pass
        self.client.get(self.anonymous.thanks_path())
        text = "\n".join(self.log.lines)
        self.assertNotIn(EMAIL, text)
        self.assertNotIn(ANONYMOUS_NAME, text)

    def test_the_thank_you_page_is_private_to_the_donor(self):
        response = self.client.get(self.anonymous.thanks_path())
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertIn("noindex", response["X-Robots-Tag"])
        self.assertContains(response, self.anonymous.reference)
        self.assertNotContains(response, self.named.reference)
        self.assertNotContains(response, "ala@example.org")

    def test_a_guessed_thank_you_address_finds_nothing(self):
        for key in ("1", str(self.anonymous.pk), self.anonymous.reference, "a" * 32):
            with self.subTest(key=key):
                response = self.client.get(f"/thanks/{key}/")
                self.assertEqual(response.status_code, 404)


class NoindexTests(DonationsTestCase):
    def setUp(self):
        cache.clear()
        self.hidden = make_campaign(slug="hidden", noindex=True, title="Quiet one")

    def test_a_noindex_campaign_sends_the_meta_and_the_header(self):
        for url in (
            self.hidden.get_absolute_url(),
            reverse("donations:pledge", args=["hidden"]),
            "/pl" + self.hidden.get_absolute_url(),
        ):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, '<meta name="robots" content="noindex')
                self.assertIn("noindex", response["X-Robots-Tag"])

    def test_an_ordinary_campaign_page_may_be_indexed(self):
        response = self.client.get(self.campaign.get_absolute_url())
        self.assertNotContains(response, 'content="noindex')
        self.assertNotIn("X-Robots-Tag", response.headers)

    def test_a_noindex_campaign_is_off_the_indexable_list(self):
        response = self.client.get("/")
        self.assertContains(response, f'href="{self.campaign.get_absolute_url()}"')
        self.assertNotContains(response, 'href="/c/hidden/"')
        self.assertNotContains(response, "Quiet one")
        self.assertNotIn("X-Robots-Tag", response.headers)

    def test_an_unpublished_campaign_is_not_public_at_all(self):
        Campaign.objects.filter(pk=self.hidden.pk).update(published=False)
        self.assertEqual(
            self.client.get(self.hidden.get_absolute_url()).status_code, 404
        )
        self.assertNotContains(self.client.get("/"), 'href="/c/hidden/"')
