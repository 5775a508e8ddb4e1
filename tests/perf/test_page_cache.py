"""The campaign page and the list come whole from the cache, and never stale."""

from __future__ import annotations

import contextlib
import time
from datetime import UTC, datetime, timedelta
from unittest import mock

from django.core.cache import cache
from django.test import override_settings
from django.utils import timezone

from campaigns.cache import (
    LIST_POINTER,
    LIST_SECONDS,
    POINTER_SECONDS,
    campaign_pointer,
    forget_failures,
)
from campaigns.models import Campaign
from donations.pledging import campaign_close
from tests.base import ZborTestCase
from tests.donations.base import pledge

# A Redis nobody listens on: every cache call fails at once.
CACHE_DOWN = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:1/0",
        "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
    }
}


@contextlib.contextmanager
def after_seconds(seconds: float):
    """Time travel for the cache's own expiry (locmem reads time.time) and for
    the pages (timezone.now)."""
    later = time.time() + seconds + 0.01
    moment = datetime.fromtimestamp(later, tz=UTC)
    with (
        mock.patch("time.time", return_value=later),
        mock.patch("django.utils.timezone.now", return_value=moment),
    ):
        yield


class CampaignPageCacheTests(ZborTestCase):
    url = "/c/konstantin/"

    def test_a_second_visit_runs_no_query(self):
        first = self.client.get(self.url)
        with self.assertNumQueries(0):
            second = self.client.get(self.url)
        self.assertEqual(second.status_code, 200)
        self.assertEqual(first.content, second.content)

    def test_a_lost_pointer_costs_one_small_query_and_no_rendering(self):
        first = self.client.get(self.url)
        cache.delete(campaign_pointer("konstantin"))
        with (
            self.assertNumQueries(1),
            mock.patch("campaigns.views.render_campaign_page") as render,
        ):
            second = self.client.get(self.url)
        render.assert_not_called()
        self.assertEqual(first.content, second.content)
        with self.assertNumQueries(0):
            self.assertEqual(self.client.get(self.url).content, first.content)

    def test_a_pledge_shows_on_the_page_at_once(self):
        self.assertContains(self.client.get(self.url), "€0")
        with self.captureOnCommitCallbacks(execute=True):
            pledge(self.campaign, "123")
        response = self.client.get(self.url)
        self.assertContains(response, "€123")

    def test_closing_by_hand_shows_at_once(self):
        self.assertNotContains(self.client.get(self.url), "The collection is over")
        with self.captureOnCommitCallbacks(execute=True):
            campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        self.assertContains(self.client.get(self.url), "The collection is over")

    def test_a_passed_deadline_shows_the_collection_over_at_once(self):
        deadline = timezone.now() + timedelta(hours=2)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        self.assertNotContains(self.client.get(self.url), "The collection is over")
        later = deadline + timedelta(seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            response = self.client.get(self.url)
        self.assertContains(response, "The collection is over")

    def test_an_entry_never_outlives_the_deadline(self):
        deadline = timezone.now() + timedelta(seconds=20)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        with mock.patch.object(cache, "set", wraps=cache.set) as cache_set:
            self.client.get(self.url)
        timeout = cache_set.call_args.args[2]
        self.assertLessEqual(timeout, 20)
        self.assertGreater(timeout, 15)

    def test_an_organizer_edit_shows_at_once(self):
        self.client.get(self.url)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        campaign.title = "A new title for Konstantin"
        with self.captureOnCommitCallbacks(execute=True):
            campaign.save()
        self.assertContains(self.client.get(self.url), "A new title for Konstantin")

    def test_each_language_has_its_own_page(self):
        self.assertContains(self.client.get(self.url), '<html lang="en"')
        self.assertContains(self.client.get("/pl" + self.url), '<html lang="pl"')
        self.assertContains(self.client.get(self.url), '<html lang="en"')

    def test_an_unknown_or_unpublished_campaign_is_not_found(self):
        self.assertEqual(self.client.get("/c/nobody/").status_code, 404)
        Campaign.objects.filter(pk=self.campaign.pk).update(published=False)
        self.assertEqual(self.client.get(self.url).status_code, 404)

    def test_the_cached_page_still_gets_the_security_headers(self):
        self.client.get(self.url)
        response = self.client.get(self.url)
        self.assertIn("Content-Security-Policy", response.headers)
        self.assertEqual(response.headers["X-Frame-Options"], "DENY")
        self.assertNotIn("Set-Cookie", response.headers)


class PageCacheDownTests(ZborTestCase):
    url = "/c/konstantin/"

    def test_the_pages_render_without_the_cache(self):
        with (
            override_settings(CACHES=CACHE_DOWN),
            self.assertLogs("campaigns.cache", "WARNING") as logs,
        ):
            for url in (self.url, "/"):
                with self.subTest(url=url):
                    self.assertContains(self.client.get(url), "Konstantin")
        self.assertIn("Page cache unavailable", "\n".join(logs.output))

    def test_no_stale_money_once_the_cache_is_back(self):
        self.assertContains(self.client.get(self.url), "€0")  # stored in the cache
        with override_settings(CACHES=CACHE_DOWN), self.assertLogs("campaigns.cache"):
            pledge(self.campaign, "77")
            self.assertContains(self.client.get(self.url), "€77")
        forget_failures()
        # The cache is back, still holding the page from before the outage, and
        # the pointer the writer could not replace: it lives POINTER_SECONDS.
        with after_seconds(POINTER_SECONDS):
            self.assertContains(self.client.get(self.url), "€77")


class PointerTests(ZborTestCase):
    """Writers replace the pointer after commit; a pointer the writer could not
    replace (cache unreachable for it) is corrected from the database as soon as
    it expires, POINTER_SECONDS after it was made."""

    url = "/c/konstantin/"

    def test_a_writer_replaces_the_pointers_after_commit(self):
        self.assertContains(self.client.get(self.url), "€0")
        self.client.get("/")
        keys = [campaign_pointer("konstantin"), LIST_POINTER]
        before = cache.get_many(keys)
        self.assertEqual(len(before), 2)
        with self.captureOnCommitCallbacks(execute=True) as callbacks:
            pledge(self.campaign, "123")
            # Still the old ones until the commit: the old pages are still right.
            self.assertEqual(cache.get_many(keys), before)
        self.assertTrue(callbacks)
        after = cache.get_many(keys)
        self.assertEqual(set(after), set(keys))
        self.assertNotEqual(after, before)
        self.assertContains(self.client.get(self.url), "€123")
        with self.assertNumQueries(0):
            self.assertContains(self.client.get(self.url), "€123")

    def test_a_stale_pointer_is_corrected_by_the_database_when_it_expires(self):
        self.assertContains(self.client.get(self.url), "€0")
        old_pointer = cache.get(campaign_pointer("konstantin"))
        pledge(self.campaign, "55")
        # The writer could not reach the cache: the old pointer is still there.
        cache.set(campaign_pointer("konstantin"), old_pointer, POINTER_SECONDS)
        self.assertContains(self.client.get(self.url), "€0")  # the bounded lag
        with after_seconds(POINTER_SECONDS):
            self.assertContains(self.client.get(self.url), "€55")

    def test_a_lost_list_pointer_is_rebuilt_from_the_database(self):
        self.assertNotContains(self.client.get("/"), "The collection is over")
        Campaign.objects.filter(pk=self.campaign.pk).update(
            closed_at=timezone.now(), closed_reason="manual", version=99
        )
        cache.delete(LIST_POINTER)
        self.assertContains(self.client.get("/"), "The collection is over")


class CampaignListCacheTests(ZborTestCase):
    def test_a_second_visit_runs_no_query(self):
        self.client.get("/")
        with self.assertNumQueries(0):
            self.assertEqual(self.client.get("/").status_code, 200)

    def test_pledges_do_not_make_readers_render_the_list_again(self):
        self.client.get("/")
        for _ in range(3):
            with self.captureOnCommitCallbacks(execute=True):
                pledge(self.campaign, "10")
            with self.assertNumQueries(0):
                self.assertContains(self.client.get("/"), "€0 collected")
        # The campaign's own page is exact at once, the list within its lifetime.
        self.assertContains(self.client.get("/c/konstantin/"), "€30")
        with after_seconds(LIST_SECONDS):
            self.assertContains(self.client.get("/"), "€2,470 still needed")

    def test_an_edit_shows_on_the_list_at_once(self):
        self.client.get("/")
        with self.captureOnCommitCallbacks(execute=True):
            self.campaign.title = "A new title"
            self.campaign.save()
        self.assertContains(self.client.get("/"), "A new title")

    def test_closing_a_campaign_shows_on_the_list_at_once(self):
        self.assertNotContains(self.client.get("/"), "The collection is over")
        with self.captureOnCommitCallbacks(execute=True):
            campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        self.assertContains(self.client.get("/"), "The collection is over")

    def test_a_new_campaign_shows_on_the_list_at_once(self):
        from tests.base import make_campaign

        self.client.get("/")
        with self.captureOnCommitCallbacks(execute=True):
            make_campaign(slug="second", title="A second collection")
        self.assertContains(self.client.get("/"), "A second collection")

    def test_a_passed_deadline_shows_on_the_list_at_once(self):
        deadline = timezone.now() + timedelta(hours=2)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        self.assertNotContains(self.client.get("/"), "The collection is over")
        later = deadline + timedelta(seconds=1)
        with mock.patch("django.utils.timezone.now", return_value=later):
            self.assertContains(self.client.get("/"), "The collection is over")


class PageCacheMiddlewareTests(ZborTestCase):
    """A hit is answered near the top of the stack, exactly as the stack would."""

    url = "/c/konstantin/"

    def test_a_stored_page_carries_the_headers_of_a_rendered_one(self):
        for url in (self.url, "/pl" + self.url, "/", "/pl/"):
            with self.subTest(url=url):
                rendered = self.client.get(url)
                with self.assertNumQueries(0):
                    stored = self.client.get(url)
                self.assertEqual(stored.content, rendered.content)
                self.assertEqual(dict(stored.headers), dict(rendered.headers))
                self.assertEqual(
                    stored["Content-Language"], "pl" if url.startswith("/pl") else "en"
                )

    def test_a_hit_skips_sessions_csrf_and_auth(self):
        self.client.get(self.url)
        with (
            mock.patch(
                "django.contrib.sessions.middleware.SessionMiddleware.process_request"
            ) as sessions,
            mock.patch(
                "django.middleware.csrf.CsrfViewMiddleware.process_request"
            ) as csrf,
        ):
            self.assertEqual(self.client.get(self.url).status_code, 200)
        sessions.assert_not_called()
        csrf.assert_not_called()

    def test_a_shared_link_still_opens_in_the_browsers_language(self):
        self.client.get(self.url)  # the English page is stored
        response = self.client.get(self.url, HTTP_ACCEPT_LANGUAGE="be,ru;q=0.8")
        self.assertRedirects(response, "/be" + self.url, fetch_redirect_response=False)
        # Moving within the site keeps English, from the store.
        with self.assertNumQueries(0):
            response = self.client.get(
                self.url,
                HTTP_ACCEPT_LANGUAGE="be,ru;q=0.8",
                HTTP_REFERER="http://testserver/be/c/konstantin/",
            )
        self.assertContains(response, '<html lang="en"')

    def test_a_signed_in_organizer_gets_the_same_public_page(self):
        public = self.client.get(self.url)
        self.client.force_login(self.organizer)
        response = self.client.get(self.url)
        self.assertEqual(response.content, public.content)
        self.assertNotIn("Set-Cookie", response.headers)

    def test_only_safe_methods_are_answered_from_the_store(self):
        self.client.get(self.url)
        self.assertEqual(self.client.post(self.url).status_code, 405)
        self.assertEqual(self.client.head(self.url).status_code, 200)

    def test_other_pages_pass_through_untouched(self):
        self.client.get(self.url)
        with self.assertNumQueries(2):  # the pledge form reads the campaign
            response = self.client.get(self.url + "give/")
        self.assertContains(response, "csrfmiddlewaretoken")
        self.assertEqual(self.client.get("/c/nobody/").status_code, 404)
