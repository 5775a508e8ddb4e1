"""The poster, its QR code, the progress badge and the link preview's text."""

import re
from datetime import timedelta
from decimal import Decimal
from html import unescape
from urllib.parse import parse_qs, unquote, urlsplit
from xml.etree import ElementTree

from django.test import override_settings
from django.utils import timezone

from campaigns.share import badge_svg
from donations.pledging import Donor, campaign_close, pledge_create, pledge_receive
from tests.base import ZborTestCase

SVG = "{http://www.w3.org/2000/svg}"


def pledge(campaign, amount, line=None):
    return pledge_create(
        campaign=campaign,
        line=line,
        amount=Decimal(amount),
        donor=Donor(),
        submission_token=None,
    )


def receive(campaign, amount, line=None):
    """A pledge whose money arrived in full."""
    made = pledge(campaign, amount, line)
    return pledge_receive(pledge=made, amount=Decimal(amount), by=None)


def parse_svg(content: bytes) -> ElementTree.Element:
    return ElementTree.fromstring(content)  # noqa: S314 - our own output


@override_settings(SITE_URL="http://zbor.example")
class PosterTests(ZborTestCase):
    def test_it_shows_title_needs_and_a_qr_code_from_our_origin(self):
        receive(self.campaign, "1000", line=self.rent)
        pledge(self.campaign, "300", line=self.debts)
        response = self.client.get("/c/konstantin/poster/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, self.campaign.title)
        self.assertContains(response, "€1,200 still needed of €2,500")
        self.assertContains(
            response,
            "€1,000 collected of the €2,500 goal (40%) · "
            "€300 on its way (promised, not yet arrived)",
        )
        self.assertNotContains(response, "raised")
        self.assertContains(response, "covered ✓")  # the rent, received
        self.assertContains(response, "€400 of €400")  # food, nothing yet
        self.assertContains(response, "€500 of €800")  # debts, €300 promised
        self.assertContains(response, "Scan to read the story and give:")
        self.assertContains(response, 'src="/c/konstantin/qr.svg"')
        self.assertContains(response, "http://zbor.example/c/konstantin/")

    def test_a_line_covered_only_by_promises_is_fully_promised_not_covered(self):
        pledge(self.campaign, "1000", line=self.rent)
        response = self.client.get("/c/konstantin/poster/")
        self.assertContains(response, "€1,500 still needed of €2,500")
        self.assertContains(response, "fully promised")
        self.assertNotContains(response, "covered ✓")

    def test_a_closed_campaign_poster_says_it_is_over(self):
        receive(self.campaign, "100", line=self.food)
        pledge(self.campaign, "150", line=self.food)
        campaign_close(campaign=self.campaign, reason="manual", by=None)
        response = self.client.get("/c/konstantin/poster/")
        self.assertContains(response, "The collection is over. Collected: €100")
        self.assertContains(response, "€100 of €400 received")  # what food got
        self.assertNotContains(response, "still needed")
        self.assertNotContains(response, "on its way")
        self.assertNotContains(response, "and give")
        self.assertContains(response, "The collection is over. Scan to read the story:")

    def test_the_seed_campaigns_final_poster_says_what_came_over_the_goal(self):
        receive(self.campaign, "2665")  # closes at its goal
        response = self.client.get("/c/konstantin/poster/")
        self.assertContains(response, "The collection is over. Collected: €2,665")
        self.assertContains(
            response, "€2,665 collected of the €2,500 goal (106%), €165 over the goal"
        )
        self.assertEqual(response.content.decode().count("covered ✓"), 4)

    def test_drafts_have_no_poster_qr_or_badge(self):
        self.campaign.published = False
        self.campaign.save()
        for url in ("poster/", "qr.svg", "badge.svg"):
            with self.subTest(url=url):
                response = self.client.get(f"/c/konstantin/{url}")
                self.assertEqual(response.status_code, 404)

    def test_only_get_and_head(self):
        for url in ("poster/", "qr.svg", "badge.svg"):
            with self.subTest(url=url):
                response = self.client.post(f"/c/konstantin/{url}")
                self.assertEqual(response.status_code, 405)


@override_settings(SITE_URL="http://zbor.example")
class QrTests(ZborTestCase):
    def test_it_is_an_svg_holding_the_page_address(self):
        response = self.client.get("/c/konstantin/qr.svg")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        self.assertEqual(response["Content-Security-Policy"], "default-src 'none'")
        root = parse_svg(response.content)
        self.assertEqual(root.tag, f"{SVG}svg")
        self.assertEqual(
            root.find(f"{SVG}title").text, "http://zbor.example/c/konstantin/"
        )

    def test_the_polish_page_gets_the_polish_address(self):
        response = self.client.get("/pl/c/konstantin/qr.svg")
        title = parse_svg(response.content).find(f"{SVG}title").text
        self.assertEqual(title, "http://zbor.example/pl/c/konstantin/")


class BadgeTests(ZborTestCase):
    def get_badge(self):
        response = self.client.get("/c/konstantin/badge.svg")
        self.assertEqual(response.status_code, 200)
        return response

    def test_it_shows_collected_of_goal_and_a_bar_of_collected_money(self):
        receive(self.campaign, "1250")
        pledge(self.campaign, "600")  # promised: neither in the text nor the bar
        root = parse_svg(self.get_badge().content)
        text = root.find(f"{SVG}text").text
        self.assertEqual(text, "€1,250 collected of €2,500 · 50%")
        track, filled = root.findall(f"{SVG}rect")[1:]
        self.assertAlmostEqual(
            float(filled.get("width")), float(track.get("width")) / 2, places=0
        )
        self.assertIn("€1,250 collected of €2,500", root.get("aria-label"))

    def test_the_polish_badge_writes_its_own_percent(self):
        receive(self.campaign, "1250")
        response = self.client.get("/pl/c/konstantin/badge.svg")
        text = parse_svg(response.content).find(f"{SVG}text").text
        # Polish writes the sign close up (CLDR, campaigns/templatetags/money.py).
        self.assertTrue(text.endswith("· 50%"), text)
        self.assertIn("1\u00a0250\u00a0€", text)

    def test_it_costs_two_queries(self):
        with self.assertNumQueries(2):
            self.get_badge()

    def test_it_is_a_safe_cacheable_image(self):
        response = self.get_badge()
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        self.assertIn("max-age=300", response["Cache-Control"])
        self.assertIn("public", response["Cache-Control"])
        self.assertEqual(response["Content-Security-Policy"], "default-src 'none'")
        self.assertEqual(response["Cross-Origin-Resource-Policy"], "cross-origin")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        body = response.content.decode()
        # Nothing that runs or loads: no script, style, link, font or foreign URL.
        for forbidden in ("<script", "<style", "style=", "href", "@import", "<a "):
            self.assertNotIn(forbidden, body)
        urls = set(re.findall(r"https?://[^\"]+", body))
        self.assertEqual(urls, {"http://www.w3.org/2000/svg"})  # the namespace

    def test_it_says_when_it_is_fully_promised_and_when_it_is_over(self):
        pledge(self.campaign, "2600")
        self.campaign.refresh_from_db()
        label = parse_svg(badge_svg(self.campaign).encode()).find(f"{SVG}text").text
        self.assertEqual(label, "€0 collected of €2,500 · Fully promised")
        receive(self.campaign, "2665")  # closes at its goal
        label = parse_svg(self.get_badge().content).find(f"{SVG}text").text
        self.assertEqual(label, "€2,665 collected of €2,500 · Collection over")

    def test_the_bar_never_overflows_past_the_goal(self):
        self.campaign.stop_at_goal = False
        self.campaign.save()
        receive(self.campaign, "5000")
        root = parse_svg(self.get_badge().content)
        track, filled = root.findall(f"{SVG}rect")[1:]
        self.assertEqual(float(filled.get("width")), float(track.get("width")))

    def test_a_title_with_markup_stays_text(self):
        self.campaign.title = 'Help <script>alert("x")</script> & co'
        self.campaign.save()
        body = self.get_badge().content.decode()
        self.assertNotIn("<script", body)
        parse_svg(body.encode())  # still well-formed XML


class LinkPreviewTests(ZborTestCase):
    def test_og_description_says_what_is_still_needed(self):
        pledge(self.campaign, "1300")
        response = self.client.get("/c/konstantin/")
        self.assertContains(
            response,
            '<meta property="og:description" content="€1,200 still needed of '
            '€2,500 — A former political prisoner starts over in Poland.">',
            html=False,
        )

    def test_og_description_of_a_fully_promised_campaign_names_the_promises(self):
        receive(self.campaign, "500")
        pledge(self.campaign, "2000")
        response = self.client.get("/c/konstantin/")
        self.assertContains(
            response,
            'content="€500 collected of €2,500, the rest is promised — A former',
        )

    def test_og_description_of_a_closed_campaign_says_what_was_collected(self):
        campaign_close(campaign=self.campaign, reason="manual", by=None)
        response = self.client.get("/c/konstantin/")
        self.assertContains(
            response, 'content="The collection is over: €0 collected — A former'
        )

    def test_the_page_links_to_its_poster_and_badge(self):
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, 'href="/c/konstantin/poster/"')
        self.assertContains(response, 'href="/c/konstantin/badge.svg"')


@override_settings(SITE_URL="https://zbor.example")
class ShareLinksTests(ZborTestCase):
    def links(self, path="/c/konstantin/") -> dict[str, str]:
        html = self.client.get(path).content.decode()
        section = html[html.index('class="share-links"') :].split("</ul>")[0]
        found = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', section)
        return {name: unescape(url) for url, name in found}

    def test_the_page_links_to_each_messenger_with_its_address(self):
        links = self.links()
        self.assertEqual(sorted(links), ["Facebook", "Telegram", "Viber", "WhatsApp"])
        page = "https://zbor.example/c/konstantin/"
        title = self.campaign.title
        telegram = parse_qs(urlsplit(links["Telegram"]).query)
        self.assertTrue(links["Telegram"].startswith("https://t.me/share/url?"))
        self.assertEqual(telegram, {"url": [page], "text": [title]})
        whatsapp = parse_qs(urlsplit(links["WhatsApp"]).query)
        self.assertTrue(links["WhatsApp"].startswith("https://wa.me/?"))
        self.assertEqual(whatsapp["text"], [f"{title}\n{page}"])
        self.assertTrue(links["Viber"].startswith("viber://forward?text="))
        self.assertEqual(
            unquote(links["Viber"].removeprefix("viber://forward?text=")),
            f"{title}\n{page}",
        )
        facebook = parse_qs(urlsplit(links["Facebook"]).query)
        self.assertEqual(facebook, {"u": [page]})

    def test_the_polish_page_shares_the_polish_address(self):
        telegram = parse_qs(urlsplit(self.links("/pl/c/konstantin/")["Telegram"]).query)
        self.assertEqual(telegram["url"], ["https://zbor.example/pl/c/konstantin/"])

    def test_nothing_of_the_messengers_is_loaded(self):
        # Links only: no script, image, style sheet or frame from anywhere else.
        html = self.client.get("/c/konstantin/").content.decode()
        for tag in re.findall(r"<(?:script|img|link|iframe|source)\b[^>]*>", html):
            with self.subTest(tag):
                self.assertNotRegex(tag, r'(?:src|href|srcset)="(?!/|https://zbor)')

    def test_the_share_page_offers_the_text_and_a_copy_button(self):
        response = self.client.get("/c/konstantin/share/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<textarea id="snapshot"')
        self.assertContains(response, 'data-copy-from="snapshot"')
        self.assertContains(response, '<meta name="robots" content="noindex">')
        self.assertContains(
            self.client.get("/c/konstantin/"), 'href="/c/konstantin/share/"'
        )
        self.assertEqual(self.client.post("/c/konstantin/share/").status_code, 405)

    def test_the_share_page_costs_two_queries(self):
        with self.assertNumQueries(2):
            self.client.get("/c/konstantin/share/")


@override_settings(SITE_URL="https://zbor.example")
class SnapshotTests(ZborTestCase):
    def snapshot(self, path="/c/konstantin/share/") -> str:
        return self.client.get(path).context["snapshot"]

    def test_it_says_what_is_still_needed_line_by_line_with_exact_amounts(self):
        receive(self.campaign, "1000", line=self.rent)
        pledge(self.campaign, "12.50", line=self.food)
        self.assertEqual(
            self.snapshot(),
            "Helping Konstantin M. start a new life in Poland\n"
            "\n"
            "€1,000 collected of €2,500\n"
            "€1,487.50 still needed\n"
            "\n"
            "• Rent for the first three months: covered ✓\n"
            "• Food: €387.50 still needed of €400\n"
            "• Clothing and household items: €300 still needed of €300\n"
            "• Paying off debts: €800 still needed of €800\n"
            "\n"
            "To give: choose an amount on the page; you get the account and a "
            "reference code for your transfer.\n"
            "https://zbor.example/c/konstantin/give/\n"
            "\n"
            "https://zbor.example/c/konstantin/",
        )

    def test_a_closed_campaign_says_what_each_line_got(self):
        receive(self.campaign, "100", line=self.food)
        campaign_close(campaign=self.campaign, reason="manual", by=None)
        text = self.snapshot()
        self.assertIn("The collection is over. Collected: €100", text)
        self.assertIn("• Food: €100 of €400 received", text)
        self.assertNotIn("still needed", text)
        self.assertNotIn("To give", text)

    def test_it_is_in_the_readers_language(self):
        text = self.snapshot("/pl/c/konstantin/share/")
        self.assertIn("2500\u00a0€", text.replace("2\u00a0500", "2500"))
        self.assertTrue(text.endswith("https://zbor.example/pl/c/konstantin/"))


class OgLocaleTests(ZborTestCase):
    def test_each_language_names_its_territory(self):
        for prefix, locale in (
            ("", "en_GB"),
            ("/pl", "pl_PL"),
            ("/be", "be_BY"),
            ("/ru", "ru_RU"),
            ("/uk", "uk_UA"),
        ):
            with self.subTest(locale):
                response = self.client.get(f"{prefix}/c/konstantin/")
                self.assertContains(
                    response, f'<meta property="og:locale" content="{locale}">'
                )
                alternates = re.findall(
                    r'property="og:locale:alternate" content="([^"]+)"',
                    response.content.decode(),
                )
                self.assertEqual(len(alternates), 4)
                self.assertNotIn(locale, alternates)


class NotAcceptingTests(ZborTestCase):
    """A campaign past no deadline that takes no pledges (here: its lines are
    gone) counts no days down anywhere."""

    def setUp(self):
        self.campaign.deadline = timezone.now() + timedelta(days=12)
        self.campaign.save()

    def test_an_open_campaign_counts_its_days_down(self):
        self.assertContains(self.client.get("/c/konstantin/"), "12 days left")
        self.assertContains(self.client.get("/"), "12 days left")
        self.assertContains(
            self.client.get("/c/konstantin/poster/"), "Scan to read the story and give:"
        )

    def test_one_that_takes_no_pledges_does_not(self):
        self.campaign.lines.all().delete()
        for path in ("/c/konstantin/", "/"):
            with self.subTest(path):
                response = self.client.get(path)
                self.assertNotContains(response, "days left")
                self.assertNotContains(response, "Time left")
        poster = self.client.get("/c/konstantin/poster/")
        self.assertNotContains(poster, "and give")
        self.assertContains(poster, "Scan to read the story:")
        self.assertNotContains(poster, "Until")

    def test_a_closed_one_does_not_either(self):
        campaign_close(campaign=self.campaign, reason="manual", by=None)
        for path in ("/c/konstantin/", "/"):
            with self.subTest(path):
                self.assertNotContains(self.client.get(path), "days left")
