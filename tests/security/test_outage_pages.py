"""A database outage is a 503 with Retry-After, never a 500; error pages are plain."""

import contextlib
import sys

from django.core.cache import cache
from django.db import connection
from django.test import RequestFactory, SimpleTestCase, TransactionTestCase

from config.security import server_error
from tests.base import make_campaign


@contextlib.contextmanager
def database_unreachable():
    """Make the next connection attempt fail for real: the open connection is set
    aside and the settings point at a database that cannot be reached."""
    original = dict(connection.settings_dict)
    if connection.vendor == "sqlite":
        # The test database lives in memory: keep its connection to put it back.
        kept, connection.connection = connection.connection, None
        connection.settings_dict["NAME"] = "/nonexistent-folder/zbor.sqlite3"
    else:
        kept = None
        connection.close()
        connection.settings_dict.update(HOST="127.0.0.1", PORT="1")
    try:
        yield
    finally:
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
        if kept is not None:
            connection.connection = kept
        else:
            connection.close()


class DatabaseOutageTests(TransactionTestCase):
    def setUp(self):
        cache.clear()  # no login lock left by other tests answers before the DB
        self.campaign = make_campaign()
        self.client.raise_request_exception = False

    def assertUnavailable(self, response):
        self.assertEqual(response.status_code, 503)
        self.assertEqual(response["Retry-After"], "10")
        self.assertIn("no-store", response["Cache-Control"])
        self.assertContains(response, "briefly unavailable", status_code=503)
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")

    def test_a_public_page_answers_503_while_the_database_is_down(self):
        with database_unreachable():
            response = self.client.get(self.campaign.get_absolute_url())
        self.assertUnavailable(response)

    def test_a_failure_in_the_session_middleware_answers_503_too(self):
        # The admin reads the session (and so the database) before any view code.
        self.client.cookies["sessionid"] = "x" * 32
        with database_unreachable():
            response = self.client.get("/admin/")
        self.assertUnavailable(response)

    def test_a_form_post_answers_503_and_not_500(self):
        with database_unreachable():
            response = self.client.post(
                "/admin/login/", {"username": "olga", "password": "pw"}
            )
        self.assertUnavailable(response)

    def test_the_page_is_in_the_readers_language(self):
        with database_unreachable():
            response = self.client.get(
                "/pl/c/konstantin/", headers={"accept-language": "pl"}
            )
        self.assertEqual(response.status_code, 503)
        self.assertContains(response, 'lang="pl"', status_code=503)

    def test_the_site_answers_again_once_the_database_is_back(self):
        with database_unreachable():
            self.assertEqual(self.client.get("/healthz").status_code, 503)
        self.assertEqual(self.client.get("/healthz").status_code, 200)


class ServerErrorTests(SimpleTestCase):
    def test_any_other_error_is_a_plain_500_page(self):
        request = RequestFactory().get("/")
        try:
            raise ValueError("a bug")
        except ValueError:
            self.assertIsInstance(sys.exc_info()[1], ValueError)
            response = server_error(request)
        self.assertEqual(response.status_code, 500)
        self.assertIn(b"Something went wrong on our side", response.content)
        self.assertNotIn(b"a bug", response.content)
        self.assertNotIn(b"style=", response.content)
        self.assertNotIn(b"<script", response.content)

    def test_the_error_pages_have_no_inline_script_or_style(self):
        from django.template import loader

        for name in ("400", "403", "404", "429", "500", "503"):
            with self.subTest(page=name):
                html = loader.get_template(f"{name}.html").render({})
                self.assertNotIn("style=", html)
                self.assertNotIn("<style", html)
                self.assertNotIn("<script", html)
                self.assertIn('<meta name="robots" content="noindex">', html)
