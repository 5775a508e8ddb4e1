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


class ProgressOnTheCampaignPageTests(DonationsTestCase):
    url = "/c/konstantin/"

    def test_it_shows_collected_promised_and_raised_against_the_goal(self):
        made = pledge(self.campaign, "300", self.food)
        pledge_receive(pledge=made, amount=Decimal("300"), by=self.volunteer)
        pledge(self.campaign, "200")
        response = self.client.get(self.url)
        self.assertContains(response, "€500 raised of €2,500 (20 %)")
        self.assertContains(response, '<progress class="progress__bar" max="2500.00"')
        self.assertContains(response, 'value="500.00"')
        self.assertContains(response, "<meter")
        self.assertContains(response, "€300")  # collected
        self.assertContains(response, "€200")  # promised
        self.assertContains(response, "Supporters")
        self.assertContains(response, "/c/konstantin/give/")

    def test_the_percentage_is_floored(self):
        pledge(self.campaign, "2497.50")  # 99.9 %
        response = self.client.get(self.url)
        self.assertContains(response, "(99 %)")
        self.assertNotContains(response, "(100 %)")

    def test_each_line_shows_covered_and_remaining_and_done_lines_are_marked(self):
        pledge(self.campaign, "1100")  # rent covered, 100 toward food
        response = self.client.get(self.url)
        html = response.content.decode()
        self.assertIn("€1,000 of €1,000", html)
        self.assertIn("€100 of €400, €300 to go", html)
        self.assertEqual(html.count('class="line line--done"'), 1)

    def test_past_the_goal_it_says_so_and_has_no_give_link(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=False)
        pledge(self.campaign, "2665")
        response = self.client.get(self.url)
        self.assertContains(response, "106 % of the €2,500 goal, €165 over the goal")
        self.assertContains(response, "/c/konstantin/give/")  # does not stop at goal

    def test_goal_reached_thanks_everyone_and_shows_what_is_on_its_way(self):
        first = pledge(self.campaign, "2000")
        pledge_receive(pledge=first, amount=Decimal("2000"), by=self.volunteer)
        pledge(self.campaign, "600")
        response = self.client.get(self.url)
        self.assertContains(response, "The goal is reached. Thank you, everyone!")
        self.assertContains(response, "€600 is still on its way")
        self.assertNotContains(response, "/c/konstantin/give/")

    def test_a_closed_campaign_shows_what_was_collected_and_every_line(self):
        made = pledge(self.campaign, "2665")
        pledge_receive(pledge=made, amount=Decimal("2665"), by=self.volunteer)
        self.assertEqual(fresh(self.campaign).closed_reason, "goal")
        response = self.client.get(self.url)
        self.assertContains(response, "The collection is over. Collected: €2,665")
        self.assertContains(response, "€800 of €800")
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
        # campaign, its lines, its photos, the recent supporters (and whatever
        # the campaign page itself adds, such as a cache check)
        pledge(self.campaign, "1")
        with CaptureQueriesContext(connection) as one_pledge:
            self.assertEqual(self.client.get(self.url).status_code, 200)
        self.assertLessEqual(len(one_pledge), 5)
        bulk_pledges(self.campaign, 1000)
        with self.assertNumQueries(len(one_pledge)):
            response = self.client.get(self.url)
        self.assertContains(response, "€1,001 raised")
        self.assertContains(response, "1001")

    def test_an_empty_line_list_does_not_divide_by_zero(self):
        BudgetLine.objects.filter(campaign=self.campaign).delete()
        self.assertEqual(self.client.get(self.url).status_code, 200)


class ClosedByHandTests(DonationsTestCase):
    def test_it_says_the_collection_is_over(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "The collection is over. Collected: €0")
