"""The record written for each change, the rules for lines and reopening, and
the scoping of lists, searches and filters."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone
from djmoney.money import Money

from campaigns.models import Activity, BudgetLine, Campaign, TeamMember
from campaigns.permissions import ORGANIZERS_GROUP
from donations.export import safe_cell
from donations.pledging import Donor, campaign_close, pledge_receive
from tests.donations.base import pledge
from tests.support import ADD_URL, TWO_LINES, campaign_form, change_url, form_data
from tests.teams.base import DONOR_MESSAGE, TeamTestCase, donor_email

A = Activity.Action


def give_a_way_to_pay(campaign: Campaign) -> None:
    """A published campaign needs one (Campaign.clean) and the seed has none:
    store it, so that the change form posts it unchanged."""
    campaign.payment_other = "Cash at the parish hall on Sundays."
    Campaign.objects.filter(pk=campaign.pk).update(payment_other=campaign.payment_other)


class RecordTests(TeamTestCase):
    def setUp(self):
        self.client.force_login(self.organizer)
        give_a_way_to_pay(self.campaign)
        self.first, self.second = self.pledges["own"]

    def last(self, action: str) -> Activity:
        return Activity.objects.filter(campaign=self.campaign, action=action).latest(
            "id"
        )

    def test_receiving_and_cancelling_are_recorded_with_amounts(self):
        self.client.post(
            reverse("donations:desk_receive", args=[self.first.reference]),
            {"amount": "97.30"},
        )
        row = self.last(A.PLEDGE_RECEIVED)
        self.assertEqual(
            (row.actor, row.reference, row.details["received"], row.details["pledged"]),
            (self.organizer, self.first.reference, "97.30", "100.00"),
        )
        self.client.post(
            reverse("donations:desk_cancel", args=[self.second.reference]),
            {"reason": "fake"},
        )
        row = self.last(A.PLEDGE_CANCELLED)
        self.assertEqual(
            (row.reference, row.details["reason"]), (self.second.reference, "fake")
        )

    def test_a_correction_and_an_undo_are_recorded_with_their_reasons(self):
        pledge_receive(pledge=self.first, amount=Decimal("100"), by=self.volunteer)
        response = self.client.post(
            reverse("donations:desk_correct", args=[self.first.reference]),
            {"amount": "97.30", "reason": "bank fee"},
        )
        self.assertEqual(response.status_code, 302)
        row = self.last(A.RECEIPT_CORRECTED)
        self.assertEqual(
            (row.actor, row.reference, row.details["previous"]),
            (self.organizer, self.first.reference, "100.00"),
        )
        self.assertEqual(
            (row.details["received"], row.details["reason"]), ("97.30", "bank fee")
        )
        response = self.client.post(
            reverse("donations:desk_undo", args=[self.first.reference]),
            {"reason": "another donor's transfer"},
        )
        self.assertEqual(response.status_code, 302)
        row = self.last(A.RECEIPT_UNDONE)
        self.assertEqual(
            (row.actor, row.details["received"], row.details["reason"]),
            (self.organizer, "97.30", "another donor's transfer"),
        )
        self.first.refresh_from_db()
        self.assertEqual(self.first.status, "pending")
        self.assertTotalsExact(self.campaign)

    def test_a_campaign_that_reopens_by_itself_says_so_in_the_record(self):
        made = pledge(self.campaign, "2360")  # with the 140 set up: 2 500
        pledge_receive(pledge=made, amount=Decimal("2360"), by=self.volunteer)
        pledge_receive(pledge=self.first, amount=Decimal("100"), by=self.volunteer)
        pledge_receive(pledge=self.second, amount=Decimal("40"), by=self.volunteer)
        self.assertEqual(self.last(A.CLOSED).details["reason"], "goal")
        self.client.post(
            reverse("donations:desk_undo", args=[self.second.reference]),
            {"reason": "bounced"},
        )
        row = self.last(A.REOPENED)
        self.assertEqual(row.actor, self.organizer)
        self.assertIs(row.details["automatic"], True)
        self.assertEqual(row.details["previous_reason"], "goal")
        self.assertIsNone(Campaign.objects.get(pk=self.campaign.pk).closed_at)

    def test_a_gift_closing_and_reopening_are_recorded(self):
        self.client.post(
            reverse("donations:desk_gift", args=[self.campaign.pk]),
            {"amount": "12.50", "line": self.food.pk, "note": "envelope"},
        )
        row = self.last(A.GIFT_RECORDED)
        self.assertEqual(
            (row.details["received"], row.details["line"]), ("12.50", "Food")
        )
        self.client.post(
            reverse("donations:desk_close", args=[self.campaign.pk]),
            {"reason": "he found work"},
        )
        row = self.last(A.CLOSED)
        self.assertEqual(
            (row.actor, row.details["reason"], row.details["note"]),
            (self.organizer, "manual", "he found work"),
        )
        self.client.post(
            reverse("donations:desk_reopen", args=[self.campaign.pk]),
            {"reason": "rent went up", "stop_at_goal": "on"},
        )
        row = self.last(A.REOPENED)
        self.assertEqual(
            (row.details["reason"], row.details["previous_reason"]),
            ("rent went up", "manual"),
        )
        self.assertIsNone(Campaign.objects.get(pk=self.campaign.pk).closed_at)

    def test_edits_of_story_budget_publishing_and_team_are_recorded(self):
        version = self.campaign.version
        data = campaign_form(self.campaign, story="New story.", published="")
        data["lines-0-target"] = "1100"
        index = int(data["team-TOTAL_FORMS"])
        data |= {
            "team-TOTAL_FORMS": str(index + 1),
            f"team-{index}-campaign": str(self.campaign.pk),
            f"team-{index}-user": str(self.other_organizer.pk),
            f"team-{index}-role": "volunteer",
        }
        response = self.client.post(change_url(self.campaign), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.last(A.EDITED).details, {"fields": ["story"]})
        self.assertEqual(self.last(A.PUBLISHED).details, {"published": False})
        budget = self.last(A.BUDGET_EDITED).details
        self.assertEqual(
            budget["changed"],
            [{"label": self.rent.label, "target": "1100.00", "fields": ["target"]}],
        )
        self.assertEqual(
            self.last(A.TEAM_CHANGED).details["added"],
            [{"user": "otto", "role": "volunteer"}],
        )
        self.assertGreater(Campaign.objects.get(pk=self.campaign.pk).version, version)

    def test_the_record_never_holds_donor_data(self):
        pledge_receive(pledge=self.first, amount=Decimal("100"), by=self.organizer)
        self.client.post(
            reverse("donations:desk_cancel", args=[self.second.reference]),
            {"reason": "x"},
        )
        campaign_close(campaign=self.campaign, reason="manual", by=self.volunteer)
        text = str(list(Activity.objects.values_list("details", "reference")))
        for secret in (donor_email("own"), DONOR_MESSAGE, "Ala"):
            self.assertNotIn(secret, text)

    def test_nobody_adds_changes_or_deletes_a_record_row_not_even_a_superuser(self):
        row = Activity.objects.create(campaign=self.campaign, action=A.EDITED)
        for user in (self.superuser, self.organizer):
            self.client.force_login(user)
            url = reverse("admin:campaigns_activity_change", args=[row.pk])
            self.assertEqual(
                self.client.get(reverse("admin:campaigns_activity_add")).status_code,
                403,
            )
            self.client.post(url, {"action": A.CLOSED})
            delete = reverse("admin:campaigns_activity_delete", args=[row.pk])
            self.assertEqual(self.client.post(delete, {"post": "yes"}).status_code, 403)
            row.refresh_from_db()
            self.assertEqual(row.action, A.EDITED)
            self.assertEqual(self.client.get(url).status_code, 200)  # read only


class BudgetLineRuleTests(TeamTestCase):
    def setUp(self):
        self.client.force_login(self.organizer)
        give_a_way_to_pay(self.campaign)
        pledge(self.campaign, "300", self.food)  # food: target 400, earmarked 300

    def post_lines(self, **changes):
        data = campaign_form(self.campaign)
        data |= changes
        return self.client.post(change_url(self.campaign), data)

    def test_a_line_with_pledges_cannot_be_deleted_and_the_organizer_is_told(self):
        response = self.post_lines(**{"lines-1-DELETE": "on"})
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "cannot be removed: pledges are earmarked")
        self.assertTrue(BudgetLine.objects.filter(pk=self.food.pk).exists())

    def test_a_line_without_pledges_can_be_deleted(self):
        response = self.post_lines(**{"lines-3-DELETE": "on"})
        self.assertEqual(response.status_code, 302)
        self.assertFalse(BudgetLine.objects.filter(pk=self.debts.pk).exists())

    def test_a_target_cannot_be_lowered_below_what_is_earmarked(self):
        response = self.post_lines(**{"lines-1-target": "250"})
        self.assertContains(response, "cannot be lowered below that")
        self.food.refresh_from_db()
        self.assertEqual(self.food.target.amount, Decimal("400"))
        response = self.post_lines(**{"lines-1-target": "300"})
        self.assertEqual(response.status_code, 302)
        self.food.refresh_from_db()
        self.assertEqual(self.food.target.amount, Decimal("300"))


class ReopenRuleTests(TeamTestCase):
    def setUp(self):
        self.client.force_login(self.organizer)
        self.url = reverse("donations:desk_reopen", args=[self.campaign.pk])

    def test_a_campaign_closed_by_its_goal_reopens_only_without_stop_at_goal(self):
        gift = pledge(self.campaign, "2500")
        pledge_receive(pledge=gift, amount=Decimal("2500"), by=self.volunteer)
        self.assertEqual(
            Campaign.objects.get(pk=self.campaign.pk).closed_reason, "goal"
        )
        response = self.client.post(self.url, {"reason": "more", "stop_at_goal": "on"})
        self.assertContains(response, "raise the goal first", status_code=400)
        self.assertIsNotNone(Campaign.objects.get(pk=self.campaign.pk).closed_at)
        response = self.client.post(self.url, {"reason": "more"})
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertEqual((campaign.closed_at, campaign.stop_at_goal), (None, False))

    def test_once_the_goal_grew_it_reopens_with_stop_at_goal(self):
        made = pledge(self.campaign, "2500")
        pledge_receive(pledge=made, amount=Decimal("2500"), by=self.volunteer)
        BudgetLine.objects.create(
            campaign=self.campaign,
            label="Winter coat",
            target=Money(150, "EUR"),
            position=9,
        )
        response = self.client.post(
            self.url, {"reason": "a coat", "stop_at_goal": "on"}
        )
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertEqual((campaign.closed_at, campaign.stop_at_goal), (None, True))
        self.assertTrue(campaign.is_accepting_pledges())

    def test_promises_never_keep_a_campaign_closed(self):
        # Fully promised (the 140 set up and 2 400 more), nothing collected.
        pledge(self.campaign, "2400")
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        response = self.client.post(self.url, {"reason": "oops", "stop_at_goal": "on"})
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.state(), Campaign.State.FULLY_PROMISED)
        self.assertEqual(self.records(A.REOPENED)[0].details["reason"], "oops")

    def test_an_open_campaign_is_not_reopened(self):
        response = self.client.post(self.url, {"reason": "x", "stop_at_goal": "on"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(self.records(A.REOPENED), [])

    def test_past_its_deadline_a_campaign_reopens_only_with_a_new_one(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() - timedelta(days=1)
        )
        response = self.client.post(self.url, {"reason": "more", "stop_at_goal": "on"})
        self.assertContains(response, "give a new one", status_code=400)
        later = timezone.localtime() + timedelta(days=10)
        response = self.client.post(
            self.url,
            {
                "reason": "more",
                "stop_at_goal": "on",
                "deadline": later.strftime("%Y-%m-%dT%H:%M"),
            },
        )
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertTrue(campaign.is_accepting_pledges())


class CreatingAndScopingTests(TeamTestCase):
    def test_an_organizer_who_adds_a_campaign_becomes_its_organizer(self):
        self.client.force_login(self.stranger)  # Organizers group, no team yet
        response = self.client.post(ADD_URL, form_data(lines=TWO_LINES))
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(slug="ales")
        self.assertTrue(
            TeamMember.objects.filter(
                campaign=campaign, user=self.stranger, role="organizer"
            ).exists()
        )
        self.assertEqual(self.client.get(change_url(campaign)).status_code, 200)
        self.assertEqual(
            Activity.objects.get(campaign=campaign, action=A.TEAM_CHANGED).details[
                "added"
            ],
            [{"user": "stas", "role": "organizer"}],
        )

    def test_a_staff_user_outside_the_groups_cannot_add_a_campaign(self):
        self.stranger.groups.remove(Group.objects.get(name=ORGANIZERS_GROUP))
        self.client.force_login(self.stranger)
        self.assertEqual(self.client.get(ADD_URL).status_code, 403)

    def test_lists_searches_and_filters_hold_only_the_users_campaigns(self):
        self.client.force_login(self.organizer)
        other_ref = self.pledges["other"][0].reference
        pledges_url = reverse("admin:donations_pledge_changelist")
        for query in ({"q": other_ref}, {"campaign": self.other.pk}, {}):
            with self.subTest(query=query):
                response = self.client.get(pledges_url, query)
                shown = {p.campaign_id for p in response.context["cl"].result_list}
                self.assertNotIn(self.other.pk, shown)
                self.assertNotContains(response, self.other.title)
        for url in (
            reverse("admin:campaigns_campaign_changelist"),
            reverse("admin:campaigns_campaign_changelist") + "?q=Dental",
            reverse("admin:campaigns_activity_changelist"),
            reverse("donations:desk"),
        ):
            with self.subTest(url=url):
                self.assertNotContains(self.client.get(url), self.other.title)
        response = self.client.get(reverse("donations:desk"), {"reference": other_ref})
        self.assertContains(response, "No pledge with this reference", status_code=404)
        for url in (
            change_url(self.other),
            reverse("admin:campaigns_campaign_preview", args=[self.other.pk]),
            reverse("donations:desk_pledge", args=[other_ref]),
            reverse("donations:desk_export", args=[self.other.pk]),
            reverse(
                "admin:donations_pledge_change", args=[self.pledges["other"][0].pk]
            ),
        ):
            with self.subTest(url=url):
                response = self.client.get(url, follow=True)
                self.assertIn(response.status_code, (200, 403, 404))
                content = b"".join(
                    getattr(response, "streaming_content", [response.content])
                ).decode()
                self.assertNotIn(self.other.title, content)
                self.assertNotIn(donor_email("other"), content)
                self.assertNotIn(other_ref, content.replace(f"/{other_ref}/", ""))

    def test_a_volunteer_sees_the_pledge_card_without_the_email(self):
        self.client.force_login(self.volunteer)
        first = self.pledges["own"][0]
        response = self.client.get(
            reverse("donations:desk_pledge", args=[first.reference.lower()])
        )
        self.assertContains(response, first.reference)
        self.assertContains(response, "Received: confirm")
        self.assertNotContains(response, donor_email("own"))


class ExportTests(TeamTestCase):
    def test_the_csv_opens_in_a_spreadsheet_and_neutralises_formulas(self):
        hostile = [
            '=HYPERLINK("http://evil")',
            "+1+2",
            "-3",
            "@SUM(A1)",
        ]
        for text in hostile:
            pledge(self.campaign, "5", donor=Donor(name=text, message=text))
        pledge(self.campaign, "7", donor=Donor(name="Алесь Żółć", message="Дзякуй"))
        self.client.force_login(self.organizer)
        response = self.client.get(
            reverse("donations:desk_export", args=[self.campaign.pk])
        )
        self.assertEqual(response["Content-Type"], "text/csv; charset=utf-8")
        self.assertIn("konstantin-pledges.csv", response["Content-Disposition"])
        body = b"".join(response.streaming_content).decode("utf-8")
        self.assertTrue(body.startswith("\ufeffreference,"))
        rows = list(csv.DictReader(io.StringIO(body.removeprefix("\ufeff"))))
        self.assertEqual(len(rows), 2 + len(hostile) + 1)
        names = {row["donor_name"] for row in rows}
        for text in hostile:
            self.assertIn("'" + text, names)
            self.assertNotIn(text, names)
        self.assertIn("Алесь Żółć", names)
        self.assertIn(donor_email("own"), {row["email"] for row in rows})
        self.assertEqual({row["currency"] for row in rows}, {"EUR"})

    def test_safe_cell_leaves_ordinary_values_alone(self):
        for value, expected in [
            ("Ala", "Ala"),
            (Decimal("12.50"), "12.50"),
            (None, ""),
            ("a=b", "a=b"),
            ("=1", "'=1"),
            ("\tTab", "'\tTab"),
            ("\rCR", "'\rCR"),
        ]:
            with self.subTest(value=value):
                self.assertEqual(safe_cell(value), expected)
