"""The pledge rate limits: per address, per campaign, for stored pledges and
for forms sent back, shared, failing open."""

from django.core.cache import cache
from django.http import HttpResponse
from django.test import RequestFactory, SimpleTestCase, override_settings

from config.env import Rate
from config.security import client_address
from donations.ratelimit import (
    PER_ADDRESS,
    Limit,
    hit_each,
    limit_pledges,
)
from tests.support import CACHE_DOWN


@limit_pledges()
def pledge_view(request, slug):
    """Stores a pledge (303, as the real view) unless told the form was wrong."""
    if request.POST.get("outcome") == "typo":
        return HttpResponse("amount?", status=400)
    if request.POST.get("outcome") == "crash":
        raise RuntimeError("the database went away")
    return HttpResponse(f"pledged to {slug}", status=303)


def post(address="203.0.113.7", slug="konstantin", outcome="stored", **meta):
    request = RequestFactory().post(
        f"/c/{slug}/give/", {"outcome": outcome}, REMOTE_ADDR=address, **meta
    )
    return pledge_view(request, slug=slug)


def hit(scope, ident, rate, now=None):
    refusal = hit_each([Limit(scope, ident, rate)], now=now)
    return None if refusal is None else refusal.retry_after


class RateTests(SimpleTestCase):
    def test_it_reads_count_per_seconds(self):
        self.assertEqual(Rate.parse("20/600"), Rate(20, 600))

    def test_it_refuses_a_rate_that_allows_nothing(self):
        for text in ("0/60", "5/0", "-1/60", "five/60", "20"):
            with self.subTest(text=text), self.assertRaises(ValueError):
                Rate.parse(text)


class HitTests(SimpleTestCase):
    def setUp(self):
        cache.clear()

    def test_hits_up_to_the_limit_pass_and_the_next_waits_for_the_window(self):
        rate = Rate(3, 60)
        self.assertEqual([hit("t", "a", rate, now=600.0) for _ in range(3)], [None] * 3)
        self.assertEqual(hit("t", "a", rate, now=615.5), 45)

    def test_a_new_window_starts_from_zero(self):
        rate = Rate(1, 60)
        self.assertIsNone(hit("t", "a", rate, now=600.0))
        self.assertIsNotNone(hit("t", "a", rate, now=659.0))
        self.assertIsNone(hit("t", "a", rate, now=660.0))

    def test_counters_are_separate_per_identity_and_scope(self):
        rate = Rate(1, 60)
        self.assertIsNone(hit("t", "a", rate, now=600.0))
        self.assertIsNone(hit("t", "b", rate, now=600.0))
        self.assertIsNone(hit("u", "a", rate, now=600.0))
        self.assertIsNotNone(hit("t", "a", rate, now=600.0))

    def test_the_refusal_names_the_limit_and_the_wait_in_minutes(self):
        limits = [Limit(PER_ADDRESS, "a", Rate(5, 600)), Limit("x", "a", Rate(1, 600))]
        self.assertIsNone(hit_each(limits, now=600.0))
        refusal = hit_each(limits, now=655.0)
        self.assertEqual((refusal.scope, refusal.retry_after), ("x", 545))
        self.assertEqual(refusal.retry_after_minutes, 10)
        # A refused hit was taken back from every counter: 1 of 5 is used.
        for _ in range(3):
            hit_each(limits[:1], now=655.0)
        self.assertIsNone(hit_each(limits[:1], now=655.0))
        self.assertIsNotNone(hit_each(limits[:1], now=655.0))

    @override_settings(CACHES=CACHE_DOWN)
    def test_it_fails_open_and_says_so_when_the_cache_is_down(self):
        with self.assertLogs("donations.ratelimit", "WARNING") as logs:
            self.assertIsNone(hit("t", "a", Rate(1, 60)))
            self.assertIsNone(hit("t", "a", Rate(1, 60)))
        self.assertIn("cache is unavailable", logs.output[0])


@override_settings(
    ZBOR_PLEDGE_RATE_PER_ADDRESS=Rate(3, 600),
    ZBOR_PLEDGE_RATE_PER_CAMPAIGN=Rate(5, 60),
    ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS=Rate(8, 600),
)
class LimitPledgesTests(SimpleTestCase):
    def setUp(self):
        cache.clear()

    def test_one_address_is_stopped_with_429_and_retry_after(self):
        for _ in range(3):
            self.assertEqual(post().status_code, 303)
        response = post()
        response.render()
        self.assertEqual(response.status_code, 429)
        self.assertGreater(int(response["Retry-After"]), 0)
        self.assertLessEqual(int(response["Retry-After"]), 600)
        self.assertIn(b"Too many pledges", response.content)
        self.assertIn(b"Nothing was saved", response.content)
        self.assertIn(b"Please try again in about", response.content)

    def test_other_addresses_still_get_through(self):
        for _ in range(4):
            post(address="203.0.113.7")
        self.assertEqual(post(address="198.51.100.1").status_code, 303)

    def test_the_campaign_ceiling_stops_a_flood_from_many_addresses(self):
        for n in range(5):
            self.assertEqual(post(address=f"198.51.100.{n}").status_code, 303)
        self.assertEqual(post(address="198.51.100.99").status_code, 429)
        # Another campaign is not affected.
        self.assertEqual(post(address="198.51.100.99", slug="other").status_code, 303)

    def test_a_blocked_address_does_not_use_up_the_campaigns_allowance(self):
        for _ in range(10):
            post(address="203.0.113.7")
        # 3 counted for the campaign, so 2 more donors fit under its 5.
        self.assertEqual(post(address="198.51.100.1").status_code, 303)
        self.assertEqual(post(address="198.51.100.2").status_code, 303)

    def test_forms_sent_back_do_not_use_up_the_pledges_of_the_address(self):
        for _ in range(7):
            self.assertEqual(post(outcome="typo").status_code, 400)
        # Seven typos, and still three pledges, as if there had been none.
        self.assertEqual([post().status_code for _ in range(4)], [303] * 3 + [429])

    def test_forms_sent_back_do_not_use_up_the_campaigns_allowance_either(self):
        for n in range(7):
            post(address=f"198.51.100.{n}", outcome="typo")
        codes = [post(address=f"192.0.2.{n}").status_code for n in range(6)]
        self.assertEqual(codes, [303] * 5 + [429])

    def test_forms_sent_back_have_a_higher_limit_of_their_own(self):
        codes = [post(outcome="typo").status_code for _ in range(9)]
        self.assertEqual(codes, [400] * 8 + [429])
        response = post()  # the address is refused for now, even a good form
        response.render()
        self.assertEqual(response.status_code, 429)
        self.assertIn(b"Too many attempts", response.content)
        # Pledges stored do not count there: another address stores two and
        # may still make eight mistakes.
        other = "198.51.100.7"
        self.assertEqual([post(other).status_code for _ in range(2)], [303] * 2)
        codes = [post(other, outcome="typo").status_code for _ in range(9)]
        self.assertEqual(codes, [400] * 8 + [429])

    def test_a_post_that_fails_takes_no_pledge_from_the_allowance(self):
        for _ in range(5):
            with self.assertRaises(RuntimeError):
                post(outcome="crash")
        self.assertEqual([post().status_code for _ in range(4)], [303] * 3 + [429])

    def test_reading_the_form_is_never_limited(self):
        for _ in range(5):
            post()
        request = RequestFactory().get("/c/konstantin/give/", REMOTE_ADDR="203.0.113.7")
        self.assertEqual(pledge_view(request, slug="konstantin").status_code, 303)

    @override_settings(CACHES=CACHE_DOWN)
    def test_pledging_still_works_when_the_cache_is_down(self):
        with self.assertLogs("donations.ratelimit", "WARNING"):
            for _ in range(5):
                self.assertEqual(post().status_code, 303)


# settings.py's defaults (the suite itself runs with much higher limits).
@override_settings(
    ZBOR_PLEDGE_RATE_PER_ADDRESS=Rate(20, 600),
    ZBOR_PLEDGE_RATE_PER_CAMPAIGN=Rate(600, 60),
    ZBOR_PLEDGE_ERROR_RATE_PER_ADDRESS=Rate(60, 600),
)
class DefaultLimitsTests(SimpleTestCase):
    def setUp(self):
        cache.clear()

    def test_the_defaults_let_300_donors_pledge_to_one_campaign_in_a_minute(self):
        refused = [
            post(address=f"198.51.{n // 250}.{n % 250}").status_code for n in range(300)
        ]
        self.assertEqual(refused.count(429), 0)

    def test_the_defaults_stop_one_address_within_a_few_dozen_pledges(self):
        codes = [post().status_code for _ in range(40)]
        self.assertIn(429, codes)
        self.assertLessEqual(codes.index(429), 30)

    def test_the_defaults_let_an_event_of_donors_mistype_often(self):
        # Twenty donors behind one address, each with two typos: all pledge.
        codes = []
        for _ in range(20):
            codes += [post(outcome="typo").status_code for _ in range(2)]
            codes.append(post().status_code)
        self.assertEqual(codes.count(303), 20)
        self.assertNotIn(429, codes)

    def test_the_defaults_stop_one_address_sending_garbage_within_a_hundred(self):
        codes = [post(outcome="typo").status_code for _ in range(100)]
        self.assertIn(429, codes)
        self.assertEqual(codes.index(429), 60)


class ClientAddressTests(SimpleTestCase):
    def address(self, remote="10.0.0.1", forwarded=None, proxies=0):
        meta = {"REMOTE_ADDR": remote}
        if forwarded is not None:
            meta["HTTP_X_FORWARDED_FOR"] = forwarded
        with self.settings(TRUSTED_PROXY_COUNT=proxies):
            return client_address(RequestFactory().get("/", **meta))

    def test_without_proxies_the_header_is_ignored(self):
        self.assertEqual(self.address(forwarded="1.2.3.4"), "10.0.0.1")

    def test_behind_one_proxy_the_rightmost_entry_is_the_client(self):
        self.assertEqual(
            self.address(forwarded="6.6.6.6, 203.0.113.7", proxies=1), "203.0.113.7"
        )

    def test_behind_two_proxies_the_client_is_second_from_the_right(self):
        self.assertEqual(
            self.address(forwarded="6.6.6.6,203.0.113.7, 10.1.1.1", proxies=2),
            "203.0.113.7",
        )

    def test_a_client_cannot_pick_its_address_by_sending_the_header(self):
        spoofed = [
            self.address(forwarded=f"1.1.1.{n}, 203.0.113.7", proxies=1)
            for n in range(3)
        ]
        self.assertEqual(set(spoofed), {"203.0.113.7"})

    def test_a_missing_header_falls_back_to_the_socket_address(self):
        self.assertEqual(self.address(proxies=1), "10.0.0.1")

    def test_garbage_in_the_header_is_kept_short_and_harmless(self):
        value = self.address(forwarded="<script>" + "x" * 500, proxies=1)
        self.assertLessEqual(len(value), 64)

    def test_ipv6_addresses_count_per_64_block(self):
        first = self.address(remote="2001:db8:1:2::1")
        second = self.address(remote="2001:db8:1:2:ffff::9")
        self.assertEqual(first, second)
        self.assertEqual(first, "2001:db8:1:2::/64")
        self.assertNotEqual(first, self.address(remote="2001:db8:1:3::1"))

    def test_ipv4_mapped_addresses_are_plain_ipv4(self):
        self.assertEqual(self.address(remote="::ffff:203.0.113.7"), "203.0.113.7")
