"""Pledges in the admin: read-only lists and pages, each linking to its desk
card. No form there changes money (that is the desk's work)."""

import re
from datetime import timedelta
from decimal import Decimal

from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from campaigns.models import Activity
from donations.models import Pledge
from donations.pledging import Donor, pledge_receive
from tests.donations.base import pledge
from tests.teams.base import TeamTestCase, donor_email

CHANGELIST = "admin:donations_pledge_changelist"


def change_url(made: Pledge) -> str:
    return reverse("admin:donations_pledge_change", args=[made.pk])


def desk_url(made: Pledge) -> str:
    return reverse("donations:desk_pledge", args=[made.reference])


class PledgeAdminTests(TeamTestCase):
    # Who reaches which campaign is the team's business (campaigns.permissions
    # and tests/teams); these tests check what the pages offer.
    def setUp(self):
        self.client.force_login(self.superuser)
        self.made = pledge(
            self.campaign,
            "100",
            self.food,
            donor=Donor(name="Ala", email="ala@example.org", message="Hold on"),
        )

    def test_pledges_are_found_by_reference_in_any_case_with_separators(self):
        other = pledge(self.campaign, "5")
        ref = self.made.reference
        typed = f"{ref[:4].lower()} - {ref[4:].lower()}"
        response = self.client.get(reverse(CHANGELIST), {"q": typed})
        self.assertContains(response, ref)
        self.assertNotContains(response, other.reference)

    def test_the_list_filters_by_status_kind_and_campaign(self):
        url = reverse(CHANGELIST)
        cases = [
            ({"status__exact": "pending"}, True),
            ({"status__exact": "received"}, False),
            ({"kind__exact": "pledge"}, True),
            ({"kind__exact": "gift"}, False),
            ({"campaign": self.campaign.pk}, True),
            ({"campaign": self.other.pk}, False),
        ]
        for query, shown in cases:
            with self.subTest(query=query):
                response = self.client.get(url, query)
                self.assertEqual(response.status_code, 200)
                self.assertEqual(
                    self.made.reference in response.content.decode(), shown
                )

    def test_the_list_narrows_to_the_last_7_or_30_days(self):
        older = pledge(self.campaign, "5")
        Pledge.objects.filter(pk=older.pk).update(
            created_at=timezone.now() - timedelta(days=20)
        )
        url = reverse(CHANGELIST)
        for days, older_shown in [("7", False), ("30", True), ("", True)]:
            with self.subTest(days=days):
                response = self.client.get(url, {"created": days} if days else {})
                self.assertContains(response, self.made.reference)
                self.assertEqual(
                    older.reference in response.content.decode(), older_shown
                )
        response = self.client.get(url)
        self.assertContains(response, "In the last 7 days")
        # No year and month links: they read the date of every pledge.
        self.assertNotContains(response, "created_at__year")

    def test_the_list_offers_no_counts_that_read_every_pledge(self):
        response = self.client.get(reverse(CHANGELIST), {"status__exact": "pending"})
        self.assertContains(response, self.made.reference)
        self.assertNotContains(response, "Show counts")  # a count per filter choice
        response = self.client.get(reverse(CHANGELIST), {"_facets": "True"})
        self.assertNotContains(response, "Hide counts")

    def test_each_pledge_in_the_list_links_to_its_desk_card(self):
        response = self.client.get(reverse(CHANGELIST))
        self.assertContains(response, f'href="{desk_url(self.made)}"')
        self.assertContains(response, f'href="{reverse("donations:desk")}"')
        self.assertNotContains(response, 'name="action"')  # no bulk actions

    def test_the_pledge_page_offers_no_form_that_changes_money(self):
        response = self.client.get(change_url(self.made))
        self.assertEqual(response.status_code, 200)
        content = response.content.decode()
        self.assertIn(f'href="{desk_url(self.made)}"', content)
        # The only forms on the page are the admin's own logout and theme, and
        # the staff language switcher (its "next" address).
        fields = set(
            re.findall(r'<(?:input|select|textarea)[^>]*name="([^"]+)"', content)
        )
        self.assertEqual(fields - {"csrfmiddlewaretoken", "next"}, set())
        for text in ("Mark received", "Cancel pledge", 'name="_save"'):
            self.assertNotIn(text, content)

    def test_posting_the_pledge_page_changes_nothing(self):
        before = list(Pledge.objects.values())
        response = self.client.post(
            change_url(self.made),
            {
                "amount_0": "9999",
                "amount_1": "EUR",
                "status": "received",
                "received_amount_0": "9999",
                "note": "called the donor",
                "message_hidden": "on",
            },
        )
        self.assertEqual(response.status_code, 403)
        self.assertEqual(list(Pledge.objects.values()), before)
        self.assertTotalsExact(self.campaign)

    def test_the_old_money_pages_of_the_admin_are_gone(self):
        for name, args in (
            ("admin:donations_pledge_receive", [self.made.pk]),
            ("admin:donations_pledge_cancel", [self.made.pk]),
            ("admin:donations_pledge_gift", []),
        ):
            with self.subTest(name=name), self.assertRaises(NoReverseMatch):
                reverse(name, args=args)
        base = reverse(CHANGELIST)
        for path in (f"{self.made.pk}/receive/", f"{self.made.pk}/cancel/", "gift/"):
            with self.subTest(path=path):
                response = self.client.post(base + path, {"amount": "100"})
                self.assertIn(response.status_code, (301, 302, 404))
        self.assertEqual(Pledge.objects.get(pk=self.made.pk).status, "pending")

    def test_pledges_cannot_be_added_or_deleted_in_the_admin(self):
        self.assertEqual(
            self.client.get(reverse("admin:donations_pledge_add")).status_code, 403
        )
        url = reverse("admin:donations_pledge_delete", args=[self.made.pk])
        self.assertEqual(self.client.get(url).status_code, 403)

    def test_a_received_pledge_shows_what_arrived(self):
        pledge_receive(pledge=self.made, amount=Decimal("97.30"), by=self.volunteer)
        response = self.client.get(change_url(self.made))
        self.assertContains(response, "97.30")


class PledgeAdminForTheTeamTests(TeamTestCase):
    def test_a_volunteer_sees_the_pledges_of_the_team_without_emails(self):
        self.client.force_login(self.volunteer)
        first, _second = self.pledges["own"]
        response = self.client.get(reverse(CHANGELIST))
        self.assertContains(response, first.reference)
        self.assertNotContains(response, self.pledges["other"][0].reference)
        response = self.client.get(change_url(first))
        self.assertContains(response, first.reference)
        self.assertNotContains(response, donor_email("own"))
        self.assertContains(response, desk_url(first))

    def test_an_organizer_sees_the_email(self):
        self.client.force_login(self.organizer)
        first, _second = self.pledges["own"]
        self.assertContains(self.client.get(change_url(first)), donor_email("own"))

    def test_another_teams_pledge_page_is_not_shown(self):
        self.client.force_login(self.organizer)
        other = self.pledges["other"][0]
        response = self.client.get(change_url(other), follow=True)
        self.assertNotContains(response, donor_email("other"))
        self.assertNotIn(
            other.reference,
            response.content.decode().replace(f"/{other.reference}/", ""),
        )

    def test_anonymous_visitors_are_sent_to_login(self):
        first, _second = self.pledges["own"]
        response = self.client.get(change_url(first))
        self.assertEqual(response.status_code, 302)
        self.assertIn("/admin/login/", response["Location"])


class ActivityAdminListTests(TeamTestCase):
    """The record's list, like the pledge list, costs the same however long
    the record grows: a 'date created' filter, no year links, no counts."""

    def test_the_record_narrows_to_recent_days_without_year_links(self):
        self.client.force_login(self.organizer)
        recent = pledge(self.campaign, "5")
        pledge_receive(pledge=recent, amount=Decimal("5"), by=self.organizer)
        old = pledge(self.campaign, "7")
        pledge_receive(pledge=old, amount=Decimal("7"), by=self.organizer)
        Activity.objects.filter(reference=old.reference).update(
            created_at=timezone.now() - timedelta(days=20)
        )
        url = reverse("admin:campaigns_activity_changelist")
        # A value the filter does not offer (typed or forged) filters nothing.
        for days, old_shown in [
            ("7", False),
            ("30", True),
            ("abc", True),
            ("-1", True),
        ]:
            with self.subTest(days=days):
                page = self.client.get(url, {"created": days}).content.decode()
                self.assertIn(recent.reference, page)
                self.assertEqual(old.reference in page, old_shown)
        page = self.client.get(url, {"_facets": "True"})
        self.assertContains(page, "In the last 7 days")
        self.assertNotContains(page, "created_at__year")
        self.assertNotContains(page, "Hide counts")
