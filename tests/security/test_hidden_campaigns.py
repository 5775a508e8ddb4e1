"""A campaign hidden from search engines (`noindex`) is on no indexable page and
says "noindex" at every one of its addresses, images included. It stays
reachable by its own address."""

from __future__ import annotations

from django.core.cache import cache
from django.urls import reverse
from django.utils import translation

from campaigns.cache import LIST_POINTER
from campaigns.models import Campaign
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, pledge

HIDDEN_TITLE = "Quiet help for Aliaksei"
HIDDEN_SUMMARY = "Nobody should find this through a search engine."


class HiddenCampaignTestCase(DonationsTestCase):
    def setUp(self):
        self.hidden = make_campaign(
            slug="hidden",
            noindex=True,
            title=HIDDEN_TITLE,
            summary=HIDDEN_SUMMARY,
            account_holder="Aliaksei K.",
            iban="PL61109010140000071219812874",
        )

    def hidden_urls(self, language: str = "en") -> dict[str, str]:
        """Every address of the hidden campaign, the donor's own pages included."""
        made = pledge(self.hidden, "25")
        with translation.override(language):
            return {
                "page": self.hidden.get_absolute_url(),
                "pledge form": reverse("donations:pledge", args=["hidden"]),
                "thank-you page": reverse("donations:thanks", args=[made.access_key]),
                "thank-you QR": reverse("donations:thanks_qr", args=[made.access_key]),
                "poster": reverse("campaigns:poster", args=["hidden"]),
                "QR code": reverse("campaigns:qr", args=["hidden"]),
                "badge": reverse("campaigns:badge", args=["hidden"]),
            }


class HiddenFromTheListTests(HiddenCampaignTestCase):
    def test_the_list_names_no_hidden_campaign(self):
        for url in ("/", "/pl/", "/ru/"):
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, f'href="{url}c/konstantin/"')
                self.assertNotContains(response, "/c/hidden/")
                self.assertNotContains(response, HIDDEN_TITLE)
                self.assertNotContains(response, HIDDEN_SUMMARY)

    def test_it_is_still_reachable_by_its_address(self):
        response = self.client.get(self.hidden.get_absolute_url())
        self.assertContains(response, HIDDEN_TITLE)

    def test_the_cached_list_follows_a_flip_of_noindex(self):
        self.assertNotContains(self.client.get("/"), HIDDEN_TITLE)
        token = cache.get(LIST_POINTER)
        self.assertIsNotNone(token)
        # The admin saves the campaign: the post_save signal replaces the pointer.
        self.hidden.noindex = False
        with self.captureOnCommitCallbacks(execute=True):
            self.hidden.save()
        self.assertNotEqual(cache.get(LIST_POINTER), token)
        self.assertContains(self.client.get("/"), HIDDEN_TITLE)
        self.hidden.noindex = True
        with self.captureOnCommitCallbacks(execute=True):
            self.hidden.save()
        self.assertNotContains(self.client.get("/"), HIDDEN_TITLE)

    def test_the_cached_list_follows_a_flip_even_when_the_writer_missed_the_cache(self):
        self.assertNotContains(self.client.get("/"), HIDDEN_TITLE)
        # The save's pointer update never reaches the cache (no commit callback
        # runs); the pointer expires. The list's state (its latest updated_at)
        # tells the stored page from the new data.
        hidden = Campaign.objects.get(pk=self.hidden.pk)
        hidden.noindex = False
        hidden.save()
        cache.delete(LIST_POINTER)
        self.assertContains(self.client.get("/"), HIDDEN_TITLE)


class NoindexEverywhereTests(HiddenCampaignTestCase):
    def test_every_address_of_a_hidden_campaign_says_noindex(self):
        for language in ("en", "pl"):
            for what, url in self.hidden_urls(language).items():
                with self.subTest(what, url=url):
                    response = self.client.get(url)
                    self.assertEqual(response.status_code, 200)
                    self.assertIn("noindex", response["X-Robots-Tag"])

    def test_a_page_from_the_cache_still_says_noindex(self):
        url = self.hidden.get_absolute_url()
        self.client.get(url)
        with self.assertNumQueries(0):
            response = self.client.get(url)
        self.assertIn("noindex", response["X-Robots-Tag"])

    def test_the_images_of_an_ordinary_campaign_may_be_indexed(self):
        for name in ("campaigns:qr", "campaigns:badge"):
            with self.subTest(name):
                response = self.client.get(reverse(name, args=["konstantin"]))
                self.assertEqual(response.status_code, 200)
                self.assertNotIn("X-Robots-Tag", response.headers)
