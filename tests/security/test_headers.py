"""Every response carries the security headers; staff pages are never cached."""

from django.test import TestCase, override_settings
from django.urls import reverse
from django.utils import translation
from django.utils.csp import CSP

from campaigns.models import Campaign
from donations.pledging import Donor
from tests.base import ZborTestCase
from tests.donations.base import pledge
from tests.teams.base import TeamTestCase

EXPECTED_CSP = {
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "form-action 'self'",
    "base-uri 'self'",
    "frame-ancestors 'none'",
}


class HeaderAssertions:
    def assertSecurityHeaders(self, response, *, html=True):
        headers = response.headers
        self.assertEqual(headers["X-Content-Type-Options"], "nosniff")
        self.assertEqual(headers["Referrer-Policy"], "same-origin")
        self.assertEqual(headers["Cross-Origin-Opener-Policy"], "same-origin")
        self.assertEqual(
            headers["Permissions-Policy"], "camera=(), microphone=(), geolocation=()"
        )
        self.assertIn("max-age=31536000", headers["Strict-Transport-Security"])
        self.assertIn("includeSubDomains", headers["Strict-Transport-Security"])
        if html:
            self.assertEqual(headers["X-Frame-Options"], "DENY")
            policy = {d.strip() for d in headers[CSP.HEADER_ENFORCE].split(";")}
            self.assertEqual(policy, EXPECTED_CSP)


# HSTS is only sent over HTTPS: every request here is "secure".
class PublicPageHeaderTests(HeaderAssertions, ZborTestCase):
    def test_the_list_page_sends_every_security_header(self):
        response = self.client.get("/", secure=True)
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response)

    def test_the_campaign_page_sends_every_security_header(self):
        response = self.client.get(self.campaign.get_absolute_url(), secure=True)
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response)

    def test_a_404_page_sends_every_security_header(self):
        response = self.client.get("/c/no-such-campaign/", secure=True)
        self.assertEqual(response.status_code, 404)
        self.assertSecurityHeaders(response)

    def test_a_public_page_may_be_cached_but_admin_pages_may_not(self):
        response = self.client.get("/c/no-such-campaign/", secure=True)
        self.assertNotIn("no-store", response.get("Cache-Control", ""))


class AdminHeaderTests(HeaderAssertions, ZborTestCase):
    def test_the_login_page_is_never_stored(self):
        response = self.client.get("/admin/login/", secure=True)
        self.assertEqual(response.status_code, 200)
        self.assertSecurityHeaders(response)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertIn("private", response["Cache-Control"])

    def test_an_admin_redirect_is_never_stored(self):
        response = self.client.get("/admin/", secure=True)
        self.assertEqual(response.status_code, 302)
        self.assertIn("no-store", response["Cache-Control"])

    def test_an_admin_page_with_donor_data_is_never_stored(self):
        self.client.force_login(self.superuser)
        response = self.client.get("/admin/auth/user/", secure=True)
        self.assertEqual(response.status_code, 200)
        self.assertIn("no-store", response["Cache-Control"])
        self.assertSecurityHeaders(response)

    def test_the_admin_works_under_the_strict_policy(self):
        # Django's admin ships no inline script or style any more: the strict CSP
        # needs no exception for it.
        self.client.force_login(self.superuser)
        response = self.client.get("/admin/", secure=True)
        self.assertNotIn(b"<script>", response.content)
        self.assertNotIn(b" style=", response.content)


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
class StaticFileHeaderTests(HeaderAssertions, TestCase):
    def test_a_static_file_is_served_with_nosniff_and_the_other_headers(self):
        response = self.client.get("/static/admin/css/base.css", secure=True)
        self.assertEqual(response.status_code, 200)
        self.assertTrue(response["Content-Type"].startswith("text/css"))
        self.assertSecurityHeaders(response, html=False)


class NoStoreOnRequestTests(TestCase):
    def test_a_view_can_ask_for_no_store(self):
        from django.http import HttpResponse
        from django.test import RequestFactory

        from config.security import SecurityHeadersMiddleware

        def view(request):
            response = HttpResponse("reference ABCD2345")
            response.no_store = True
            return response

        response = SecurityHeadersMiddleware(view)(RequestFactory().get("/thanks/x/"))
        self.assertIn("no-store", response["Cache-Control"])


class RobotsHeaderTests(TestCase):
    def _page(self, head: str):
        from django.http import HttpResponse
        from django.test import RequestFactory

        from config.security import SecurityHeadersMiddleware

        def view(request):
            return HttpResponse(f"<!doctype html><head>{head}</head><p>story</p>")

        return SecurityHeadersMiddleware(view)(RequestFactory().get("/c/x/"))

    def test_a_page_with_the_noindex_meta_also_sends_the_header(self):
        response = self._page('<meta name="robots" content="noindex, nofollow">')
        self.assertEqual(response["X-Robots-Tag"], "noindex")

    def test_a_page_without_it_sends_no_robots_header(self):
        response = self._page('<meta name="description" content="noindex">')
        self.assertNotIn("X-Robots-Tag", response.headers)


def desk_urls(reference: str, campaign_id: int) -> dict[str, str]:
    """Every address of the desk (the donations URLs named desk…), read from the
    URLconf itself, so a desk page added later is walked too."""
    from donations import urls as donation_urls

    urls = {}
    for pattern in donation_urls.urlpatterns:
        if not pattern.name.startswith("desk"):
            continue
        route = str(pattern.pattern)
        kwargs = {}
        if "<str:reference>" in route:
            kwargs["reference"] = reference
        if "<int:campaign_id>" in route:
            kwargs["campaign_id"] = campaign_id
        if "<int:statement_id>" in route:
            kwargs["statement_id"] = 999_999  # none: a 404, which is no-store too
        urls[pattern.name] = reverse(f"donations:{pattern.name}", kwargs=kwargs)
    return urls


class DeskNoStoreTests(TeamTestCase):
    """The desk's pages and the CSV export carry donors' names (and emails for
    organizers): no browser or proxy may keep them, whatever the answer."""

    def setUp(self):
        self.made = pledge(
            self.campaign, "25", donor=Donor(name="Ala", email="ala@example.org")
        )

    def assertNeverStored(self, response, label: str) -> None:
        cache_control = response.get("Cache-Control", "")
        self.assertIn("no-store", cache_control, label)
        self.assertIn("private", cache_control, label)

    def walk(self, user, language: str = "en") -> int:
        self.client.force_login(user)
        with translation.override(language):
            urls = desk_urls(self.made.reference, self.campaign.pk)
        self.assertGreaterEqual(len(urls), 12)
        walked = 0
        for url in urls.values():
            for method in ("get", "post"):
                with self.subTest(user=user.username, url=url, method=method):
                    response = getattr(self.client, method)(url)
                    self.assertLess(response.status_code, 500)
                    self.assertNeverStored(response, f"{method} {url}")
                    walked += 1
        return walked

    def test_every_desk_address_is_never_stored_for_an_organizer(self):
        self.assertGreater(self.walk(self.organizer), 0)

    def test_every_desk_address_is_never_stored_for_a_volunteer(self):
        self.walk(self.volunteer)

    def test_every_desk_address_is_never_stored_in_another_language(self):
        self.walk(self.organizer, "pl")

    def test_a_stranger_and_a_visitor_get_no_stored_answer_either(self):
        self.walk(self.stranger)
        self.client.logout()
        response = self.client.get(reverse("donations:desk"))
        self.assertEqual(response.status_code, 302)
        self.assertNeverStored(response, "desk, logged out")

    def test_the_csv_export_is_never_stored(self):
        self.client.force_login(self.organizer)
        response = self.client.get(
            reverse("donations:desk_export", args=[self.campaign.pk])
        )
        self.assertEqual(response.status_code, 200)
        self.assertIn("ala@example.org", b"".join(response.streaming_content).decode())
        self.assertNeverStored(response, "export")

    def test_the_desk_search_and_a_card_are_never_stored(self):
        self.client.force_login(self.volunteer)
        for url in (
            reverse("donations:desk") + "?reference=" + self.made.reference.lower(),
            reverse("donations:desk_pledge", args=[self.made.reference]),
        ):
            with self.subTest(url=url):
                self.assertNeverStored(self.client.get(url), url)

    def test_the_thank_you_page_and_its_qr_are_never_stored(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            account_holder="Konstantin M.", iban="PL61109010140000071219812874"
        )
        for name in ("donations:thanks", "donations:thanks_qr"):
            with self.subTest(name):
                response = self.client.get(reverse(name, args=[self.made.access_key]))
                self.assertEqual(response.status_code, 200)
                # no-store alone: a response no cache may keep is private too.
                self.assertIn("no-store", response["Cache-Control"])
