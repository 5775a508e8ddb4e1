"""Every response carries the security headers; staff pages are never cached."""

from django.test import TestCase, override_settings
from django.utils.csp import CSP

from tests.base import ZborTestCase

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
