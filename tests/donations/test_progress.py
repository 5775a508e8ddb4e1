import re
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.db import connection
from django.db.models import F
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from djmoney.money import Money

from campaigns.cache import pages_changed
from campaigns.models import BudgetLine, Campaign
from donations.models import Pledge
from donations.pledging import Donor, campaign_close, pledge_receive
from tests.donations.base import DonationsTestCase, fresh, pledge
from tests.i18n.base import compile_catalogues


def bulk_pledges(campaign: Campaign, count: int, amount: str = "1.00") -> None:
    """Many pledges in one insert, then the stored totals set from them."""
    Pledge.objects.bulk_create(
        Pledge(
            campaign=campaign,
            amount=Money(amount, campaign.currency),
            reference=f"B{n:07d}",
            access_key=f"bulk-{n}",
            donor_name=f"Donor {n}",
            message=f"Message {n}",
        )
        for n in range(count)
    )
    totals = Pledge.objects.totals_for(fresh(campaign))
    Campaign.objects.filter(pk=campaign.pk).update(
        promised=Money(totals.promised, campaign.currency),
        supporters=totals.supporters,
        version=F("version") + 1,
    )
    with TestCase.captureOnCommitCallbacks(execute=True):
        pages_changed(campaign.slug)  # as every writer does, after commit


def receive(campaign: Campaign, amount: str, line: BudgetLine | None = None, **kw):
    """A pledge whose money arrived in full."""
    made = pledge(campaign, amount, line, **kw)
    return pledge_receive(pledge=made, amount=Decimal(amount), by=None)


def plain(html: str) -> str:
    """Text without tags, runs of ASCII spacing made one space (a no-break
    space stays what it is)."""
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def text_of(html: str, css_class: str) -> str:
    """The text of the first element with `css_class`, tags and spacing removed."""
    start = html.index(f'class="{css_class}')
    element = html[html.index(">", start) + 1 :]
    element = element[: element.index("</p>")] if "</p>" in element else element
    return plain(element)


def line_figures(html: str) -> list[str]:
    """Each line's figures as a reader sees them, one text per line."""
    return [
        plain(figures)
        for figures in re.findall(
            r'<span class="line__figures">(.*?)</span>\s*<progress', html, re.S
        )
    ]


class ProgressOnTheCampaignPageTests(DonationsTestCase):
    url = "/c/konstantin/"

    def test_the_headline_is_collected_and_promises_stand_beside_it(self):
        receive(self.campaign, "818.50", self.food)
        pledge(self.campaign, "1438.95")
        response = self.client.get(self.url)
        html = response.content.decode()
        self.assertEqual(
            text_of(html, "progress__collected"),
            "€818.50 collected of the €2,500 goal (32%)",
        )
        self.assertEqual(
            text_of(html, "progress__promised"),
            "€1,438.95 on its way (promised, not yet arrived)",
        )
        self.assertNotIn("€2,257.45", html)  # never one summed figure
        self.assertNotIn("raised", html)
        self.assertContains(response, '<progress class="progress__bar" max="2500.00"')
        self.assertContains(response, 'value="818.50"')  # the bar shows collected
        self.assertContains(response, "€242.55")  # still needed
        self.assertContains(response, "Supporters")
        self.assertContains(response, "/c/konstantin/give/")

    def test_the_percentage_is_floored_and_counts_only_collected_money(self):
        receive(self.campaign, "2497.50")  # 99.9 %
        pledge(self.campaign, "500")
        response = self.client.get(self.url)
        self.assertContains(response, "(99%)")
        self.assertNotContains(response, "(100%)")

    def test_each_line_shows_received_promised_and_still_needed(self):
        receive(self.campaign, "400", self.rent)
        pledge(self.campaign, "300", self.rent)
        html = self.client.get(self.url).content.decode()
        self.assertEqual(
            line_figures(html),
            [
                "€400 of €1,000 received · €300 on its way · €300 still needed",
                "€0 of €400 received · €400 still needed",
                "€0 of €300 received · €300 still needed",
                "€0 of €800 received · €800 still needed",
            ],
        )
        self.assertNotIn("line--done", html)

    def test_a_line_is_done_only_when_received_money_covers_it(self):
        receive(self.campaign, "1100")  # rent received, €100 toward food
        html = self.client.get(self.url).content.decode()
        self.assertEqual(
            line_figures(html)[:2],
            ["€1,000 of €1,000 received", "€100 of €400 received · €300 still needed"],
        )
        self.assertEqual(html.count('class="line line--done"'), 1)
        self.assertIn("covered ✓", html)

    def test_a_line_covered_only_by_promises_is_fully_promised_and_still_offered(
        self,
    ):
        pledge(self.campaign, "1000", self.rent)
        html = self.client.get(self.url).content.decode()
        self.assertEqual(
            line_figures(html)[0],
            "€0 of €1,000 received · €1,000 on its way · fully promised",
        )
        self.assertNotIn("line--done", html)
        self.assertNotIn("covered ✓", html)
        form = self.client.get("/c/konstantin/give/").content.decode()
        self.assertIn(f'name="line" value="{self.rent.pk}"', form)
        self.assertIn("Rent for the first three months", form)

    def test_past_the_goal_it_says_how_much_over(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=False)
        receive(self.campaign, "2665")
        response = self.client.get(self.url)
        self.assertContains(
            response,
            "€2,665 collected of the €2,500 goal (106%), €165 over the goal",
        )
        self.assertContains(response, "/c/konstantin/give/")  # does not stop at goal

    def test_a_closed_campaign_shows_what_was_collected_and_every_line(self):
        receive(self.campaign, "2665")
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")
        response = self.client.get(self.url)
        self.assertContains(response, "The collection is over. Collected: €2,665")
        self.assertContains(response, "€1,000 of €1,000 received")
        self.assertContains(response, "€800 of €800 received")
        self.assertEqual(response.content.decode().count("line--done"), 4)
        self.assertNotContains(response, "still needed")
        self.assertNotContains(response, "/c/konstantin/give/")

    def test_the_closed_amount_follows_the_readers_locale(self):
        made = pledge(self.campaign, "2665")
        pledge_receive(pledge=made, amount=Decimal("2665"), by=self.volunteer)
        response = self.client.get("/pl" + self.url)
        self.assertContains(response, "2\u00a0665\u00a0€")

    def test_a_passed_deadline_shows_the_collection_over(self):
        deadline = timezone.now() + timedelta(days=1)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        with mock.patch(
            "django.utils.timezone.now", return_value=deadline + timedelta(hours=1)
        ):
            response = self.client.get(self.url)
        self.assertContains(response, "The collection is over")
        self.assertNotContains(response, "/c/konstantin/give/")

    def test_time_left_is_shown_in_days(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() + timedelta(days=3, hours=2)
        )
        # Rounded up, like the deadline line above it ("4 days left").
        response = self.client.get(self.url)
        self.assertContains(response, "4 days left")
        self.assertContains(response, "4 days\n")
        self.assertNotContains(response, "3 days")

    def test_recent_supporters_show_only_what_donors_chose(self):
        pledge(self.campaign, "15", donor=Donor(name="Ala", message="Hold on!"))
        pledge(
            self.campaign,
            "77",
            donor=Donor(name="Bogdan", is_anonymous=True, email="b@example.org"),
        )
        pledge(self.campaign, "33", donor=Donor(name="Celina", show_amount=True))
        hidden = pledge(self.campaign, "5", donor=Donor(name="Dan", message="spam"))
        Pledge.objects.filter(pk=hidden.pk).update(message_hidden=True)
        html = self.client.get(self.url).content.decode()
        self.assertIn("Ala", html)
        self.assertIn("Hold on!", html)
        self.assertNotIn("€15", html)
        self.assertNotIn("Bogdan", html)
        self.assertIn("Anonymous", html)
        self.assertNotIn("b@example.org", html)
        self.assertIn("€33", html)
        self.assertNotIn("spam", html)
        self.assertIn("today", html)

    def test_recent_supporters_are_dated_by_the_day_only(self):
        made = pledge(self.campaign, "15", donor=Donor(name="Ala"))
        Pledge.objects.filter(pk=made.pk).update(
            created_at=timezone.now() - timedelta(days=3)
        )
        html = self.client.get(self.url).content.decode()
        self.assertIn("3 days ago", html)  # calendar days, no clock time

    def test_the_page_queries_do_not_grow_with_pledges(self):
        # campaign, its lines, its photos, the recent supporters, the team's
        # updates, what was spent per line (and whatever the campaign page
        # itself adds, such as a cache check)
        pledge(self.campaign, "1")
        with CaptureQueriesContext(connection) as one_pledge:
            self.assertEqual(self.client.get(self.url).status_code, 200)
        self.assertLessEqual(len(one_pledge), 7)
        bulk_pledges(self.campaign, 1000)
        with self.assertNumQueries(len(one_pledge)):
            response = self.client.get(self.url)
        self.assertContains(response, "€1,001 on its way")
        self.assertContains(response, "1001")

    def test_an_empty_line_list_does_not_divide_by_zero(self):
        BudgetLine.objects.filter(campaign=self.campaign).delete()
        self.assertEqual(self.client.get(self.url).status_code, 200)


RULE = "Anything over the goal pays his rent for a fourth month."


class FullyPromisedTests(DonationsTestCase):
    """An unpaid promise of the whole remaining need: fully promised, still open."""

    def setUp(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(over_goal_rule=RULE)
        receive(self.campaign, "818.50")

    def promise_the_rest(self):
        pledge(self.campaign, "1681.50")  # all the remaining need, not paid yet

    def test_the_page_says_fully_promised_and_keeps_the_give_button(self):
        self.promise_the_rest()
        response = self.client.get("/c/konstantin/")
        self.assertContains(
            response,
            "Fully promised: €1,681.50 on its way; if every promise arrives, "
            "the goal is met.",
        )
        self.assertContains(response, "Money over the goal")
        self.assertContains(response, RULE)  # before anyone gives
        self.assertContains(response, "/c/konstantin/give/")
        self.assertContains(response, "€818.50 collected of the €2,500 goal (32%)")
        self.assertEqual(response.context["progress"].state, "fully_promised")

    def test_the_pledge_form_says_so_too_and_still_takes_a_pledge(self):
        self.promise_the_rest()
        form = self.client.get("/c/konstantin/give/")
        self.assertEqual(form.status_code, 200)
        self.assertContains(form, "Fully promised: €1,681.50 on its way")
        self.assertContains(form, RULE)
        self.assertContains(form, '<form method="post"')
        response = self.client.post(
            "/c/konstantin/give/",
            {"amount": "25", "line": "", "token": "f" * 32},
        )
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.filter(campaign=self.campaign).count(), 3)

    def test_without_a_rule_no_empty_box_is_shown(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(over_goal_rule="")
        self.promise_the_rest()
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "Fully promised")
        self.assertNotContains(response, "Money over the goal")

    def test_an_open_campaign_shows_no_rule_yet(self):
        pledge(self.campaign, "1000")  # €681.50 still needed
        response = self.client.get("/c/konstantin/")
        self.assertNotContains(response, "Fully promised")
        self.assertNotContains(response, RULE)
        self.assertContains(response, "€681.50")


# The words for money that arrived and money on its way, in each language: never
# the same word ("собрано" for both), so no reader adds them up.
WORDS = {
    "en": ("collected", "on its way"),
    "pl": ("Zebrano", "W drodze"),
    "be": ("Сабрана", "Чакаецца"),
    "ru": ("Собрано", "Ожидается"),
    "uk": ("Зібрано", "Очікується"),
}


class MoneyWordsInEveryLanguageTests(DonationsTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def setUp(self):
        receive(self.campaign, "818.50")
        pledge(self.campaign, "1438.95")

    def headline_and_promised(self, language: str) -> tuple[str, str]:
        prefix = "" if language == "en" else f"/{language}"
        html = self.client.get(f"{prefix}/c/konstantin/").content.decode()
        return text_of(html, "progress__collected"), text_of(html, "progress__promised")

    def test_collected_and_promised_have_different_words(self):
        for language, (collected, promised) in WORDS.items():
            with self.subTest(language=language):
                headline, on_its_way = self.headline_and_promised(language)
                self.assertIn(collected.lower(), headline.lower())
                self.assertIn(promised.lower(), on_its_way.lower())
                self.assertNotIn(collected.lower(), on_its_way.lower())
                self.assertNotIn(promised.lower(), headline.lower())

    def test_the_percent_sign_follows_the_language(self):
        # CLDR: close up in English, Polish and Ukrainian, after a non-breaking
        # space in Belarusian and Russian (campaigns/templatetags/money.py).
        expected = {"en": "(32%)", "pl": "(32%)", "uk": "(32%)"}
        expected.update({"be": "(32\u00a0%)", "ru": "(32\u00a0%)"})
        for language, text in expected.items():
            with self.subTest(language=language):
                self.assertIn(text, self.headline_and_promised(language)[0])


class ClosedByHandTests(DonationsTestCase):
    def test_it_says_the_collection_is_over(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "The collection is over. Collected: €0")

    def test_money_still_on_its_way_is_named_as_such(self):
        pledge(self.campaign, "40")
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "The collection is over. Collected: €0")
        self.assertContains(response, "€40 is still on its way")
        self.assertNotContains(response, "/c/konstantin/give/")
