"""What a well-behaved crawler may fetch, read the way crawlers read robots.txt
(RFC 9309: the longest matching rule wins, `*` matches any characters)."""

import re

from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import translation

LANGUAGES = ("en", "pl", "be", "ru", "uk")


def rules(robots_txt: str) -> list[tuple[bool, str]]:
    """(allowed, path pattern) of the group for every crawler (`User-agent: *`)."""
    found, ours = [], False
    for line in robots_txt.splitlines():
        field, _, value = line.partition(":")
        field, value = field.strip().lower(), value.strip()
        if field == "user-agent":
            ours = value == "*"
        elif ours and field in ("allow", "disallow") and value:
            found.append((field == "allow", value))
    return found


def may_fetch(robots_txt: str, path: str) -> bool:
    matching = [
        (len(pattern), allowed)
        for allowed, pattern in rules(robots_txt)
        if re.match(".*".join(map(re.escape, pattern.split("*"))), path)
    ]
    return max(matching, default=(0, True))[1]


class RobotsTests(SimpleTestCase):
    def setUp(self):
        response = self.client.get("/robots.txt")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "text/plain")
        self.robots = response.content.decode()

    def in_every_language(self, name: str, **kwargs) -> list[str]:
        paths = []
        for language in LANGUAGES:
            with translation.override(language):
                paths.append(reverse(name, kwargs=kwargs))
        return paths

    def test_crawlers_may_read_the_campaigns_in_every_language(self):
        for name, kwargs in (
            ("campaigns:list", {}),
            ("donations:campaign", {"slug": "konstantin"}),
            ("donations:pledge", {"slug": "konstantin"}),
            ("campaigns:poster", {"slug": "konstantin"}),
        ):
            for path in self.in_every_language(name, **kwargs):
                with self.subTest(path=path):
                    self.assertTrue(may_fetch(self.robots, path))

    def test_crawlers_keep_out_of_donors_and_staff_pages(self):
        paths = ["/admin/", "/admin/login/", "/admin/donations/pledge/"]
        for name, kwargs in (
            ("donations:thanks", {"access_key": "k3y"}),
            ("donations:thanks_qr", {"access_key": "k3y"}),
            ("donations:donor_cancel", {"access_key": "k3y"}),
            ("donations:stop_emails", {"token": "t0ken"}),
            ("donations:desk", {}),
            ("donations:desk_pledge", {"reference": "ABC123"}),
        ):
            paths += self.in_every_language(name, **kwargs)
        for path in paths:
            with self.subTest(path=path):
                self.assertFalse(may_fetch(self.robots, path))
