"""Staff login: guessing meets a cool-off, by username and by address."""

import re
import time

from django.core.cache import cache
from django.test import override_settings

from tests.base import ZborTestCase
from tests.security.test_ratelimit import CACHE_DOWN

LOCKED = "Too many failed attempts"


def page_without(response, username: str) -> str:
    """The page minus what differs between any two requests: the typed username
    and the CSRF token."""
    html = response.content.decode().replace(f'value="{username}"', "")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


@override_settings(
    ZBOR_LOGIN_FAILURES_PER_USERNAME=5,
    ZBOR_LOGIN_FAILURES_PER_ADDRESS=20,
    ZBOR_LOGIN_COOLOFF_SECONDS=900,
)
class LoginLockoutTests(ZborTestCase):
    def setUp(self):
        cache.clear()

    def login(self, username, password, address="203.0.113.7"):
        return self.client.post(
            "/admin/login/",
            {"username": username, "password": password, "next": "/admin/"},
            REMOTE_ADDR=address,
        )

    def fail_login(self, username, times, address="203.0.113.7"):
        for _ in range(times):
            response = self.login(username, "wrong guess", address)
            self.assertEqual(response.status_code, 200)

    def test_a_right_password_logs_in(self):
        response = self.login("olga", "pw")
        self.assertRedirects(response, "/admin/", fetch_redirect_response=False)

    def test_four_failures_still_let_the_right_password_in(self):
        self.fail_login("olga", 4)
        response = self.login("olga", "pw")
        self.assertEqual(response.status_code, 302)

    def test_five_failures_lock_the_username_even_against_the_right_password(self):
        self.fail_login("olga", 5)
        response = self.login("olga", "pw")
        self.assertContains(response, LOCKED)
        self.assertNotIn("_auth_user_id", self.client.session)

    def test_the_lock_is_by_username_from_any_address(self):
        for n in range(5):
            self.fail_login("olga", 1, address=f"198.51.100.{n}")
        self.assertContains(self.login("olga", "pw", "192.0.2.1"), LOCKED)

    def test_the_username_lock_ignores_case_and_spaces(self):
        self.fail_login("OLGA", 5)
        self.assertContains(self.login("olga", "pw"), LOCKED)

    def test_other_users_can_still_log_in_from_elsewhere(self):
        self.fail_login("olga", 5)
        response = self.login("viktor", "pw", address="192.0.2.1")
        self.assertEqual(response.status_code, 302)

    def test_one_address_guessing_many_usernames_is_locked(self):
        for n in range(20):
            self.fail_login(f"user{n}", 1)
        self.assertContains(self.login("viktor", "pw"), LOCKED)
        # The same user from another address is not.
        self.assertEqual(self.login("viktor", "pw", "192.0.2.1").status_code, 302)

    def test_the_answer_is_the_same_whether_the_user_exists_or_not(self):
        first = page_without(self.login("olga", "wrong"), "olga")
        second = page_without(
            self.login("nobody-here", "wrong", "192.0.2.9"), "nobody-here"
        )
        self.assertEqual(first, second)
        self.fail_login("olga", 5)
        self.fail_login("nobody-here", 5, address="192.0.2.9")
        locked_real = page_without(self.login("olga", "x"), "olga")
        locked_fake = page_without(
            self.login("nobody-here", "x", "192.0.2.9"), "nobody-here"
        )
        self.assertIn(LOCKED, locked_real)
        self.assertEqual(locked_real, locked_fake)

    @override_settings(ZBOR_LOGIN_COOLOFF_SECONDS=1)
    def test_the_lock_ends_by_itself_after_the_cool_off(self):
        self.fail_login("olga", 5)
        self.assertContains(self.login("olga", "pw"), LOCKED)
        time.sleep(1.1)
        self.assertEqual(self.login("olga", "pw").status_code, 302)

    def test_a_success_forgets_earlier_failures_of_that_username(self):
        self.fail_login("olga", 4)
        self.assertEqual(self.login("olga", "pw").status_code, 302)
        self.client.logout()
        self.fail_login("olga", 4)
        self.assertEqual(self.login("olga", "pw").status_code, 302)

    def test_the_password_is_never_echoed_back(self):
        response = self.login("olga", "s3cret-guess")
        self.assertNotContains(response, "s3cret-guess")

    @override_settings(CACHES=CACHE_DOWN)
    def test_staff_can_still_log_in_when_the_cache_is_down(self):
        with self.assertLogs("config.auth", "WARNING") as logs:
            self.login("olga", "wrong")
            response = self.login("olga", "pw")
        self.assertEqual(response.status_code, 302)
        self.assertIn("cache is unavailable", logs.output[0])
