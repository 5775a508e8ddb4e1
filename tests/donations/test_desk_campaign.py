"""The desk's campaign jobs: the list and the search, recording a gift (with
the second step when it is more than the campaign still needs), closing,
reopening (judged on collected money) and the export."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Activity, Campaign
from donations.models import Pledge
from donations.pledging import campaign_close, gift_record, pledge_receive
from tests.donations.base import pledge
from tests.teams.base import DeskTestCase

A = Activity.Action


class CampaignDeskTestCase(DeskTestCase):
    def url(self, job: str, campaign: Campaign | None = None, language="en") -> str:
        with translation.override(language):
            return reverse(
                f"donations:desk_{job}", args=[(campaign or self.campaign).pk]
            )

    def close_by_hand(self, campaign: Campaign | None = None) -> None:
        campaign_close(
            campaign=campaign or self.campaign, reason="manual", by=self.organizer
        )


class DeskHomeTests(CampaignDeskTestCase):
    def test_it_lists_the_users_campaigns_with_collected_and_promised_apart(self):
        pledge_receive(pledge=self.made, amount=Decimal("25"), by=self.volunteer)
        response = self.client.get(reverse("donations:desk"))
        self.assertContains(response, self.campaign.title)
        self.assertNotContains(response, self.other.title)
        self.assertContains(response, "Collected €25 of €2,500; €140 on its way.")
        self.assertContains(response, self.url("gift"))
        self.assertContains(response, self.url("close"))
        self.assertNotContains(response, self.url("export"))  # organizers only

    def test_a_reference_of_another_team_is_not_found(self):
        other = self.pledges["other"][0]
        response = self.client.get(
            reverse("donations:desk"), {"reference": other.reference}
        )
        self.assertContains(response, "No pledge with this reference", status_code=404)

    def test_a_malformed_reference_is_bad_input(self):
        response = self.client.get(reverse("donations:desk"), {"reference": "AB"})
        self.assertContains(response, "A reference code has 8", status_code=400)

    def test_it_answers_only_get(self):
        self.assertEqual(self.client.post(reverse("donations:desk")).status_code, 405)


class GiftTests(CampaignDeskTestCase):
    def test_a_gift_is_recorded_as_received_money(self):
        response = self.client.get(self.url("gift"))
        self.assertContains(response, 'inputmode="decimal"')
        self.assertNotContains(response, self.other.lines.first().label)
        response = self.client.post(
            self.url("gift"),
            {"amount": "50", "line": self.debts.pk, "note": "cash at the meeting"},
        )
        gift = Pledge.objects.get(kind=Pledge.Kind.GIFT)
        self.assertRedirects(
            response, reverse("donations:desk_pledge", args=[gift.reference])
        )
        self.assertEqual(gift.received_amount.amount, Decimal("50.00"))
        self.assertEqual((gift.line, gift.received_by), (self.debts, self.volunteer))
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("50.00"))

    def test_a_gift_over_the_remaining_need_waits_for_a_confirmation(self):
        gift_record(
            campaign=self.campaign,
            amount=Decimal("2000"),
            line=None,
            note="x",
            by=self.volunteer,
        )
        before = self.state()
        data = {"amount": "900", "line": "", "note": "a foundation"}
        response = self.client.post(self.url("gift"), data)
        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors.as_data()
        self.assertEqual(errors["amount"][0].code, "needs_confirmation")
        self.assertContains(
            response,
            "You typed €900; the campaign still needs €500 to reach its goal of "
            "€2,500.",
            status_code=400,
        )
        self.assertContains(response, 'name="confirm"', status_code=400)
        self.assertNothingStored(before)
        data |= {"confirm": "on", "confirmed_amount": "900.00"}
        self.assertEqual(self.client.post(self.url("gift"), data).status_code, 302)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("2900.00"))
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.GOAL)

    def test_after_the_goal_is_collected_every_gift_is_confirmed(self):
        gift_record(
            campaign=self.campaign,
            amount=Decimal("2600"),
            line=None,
            note="x",
            by=self.volunteer,
            confirmed=True,
        )
        before = self.state()
        response = self.client.post(self.url("gift"), {"amount": "5", "note": "x"})
        self.assertContains(
            response,
            "You typed €5; the campaign has collected €2,600, its goal of €2,500 "
            "already.",
            status_code=400,
        )
        self.assertNothingStored(before)

    def test_bad_input_is_refused_beside_the_field_and_nothing_is_stored(self):
        before = self.state()
        other_line = self.other.lines.first().pk
        cases = [
            ({"amount": "23,80", "note": "x"}, "amount", "ambiguous"),
            ({"amount": "0", "note": "x"}, "amount", "min_value"),
            ({"amount": "10", "note": ""}, "note", "required"),
            (
                {"amount": "10", "note": "x", "line": other_line},
                "line",
                "invalid_choice",
            ),
        ]
        for data, field, code in cases:
            with self.subTest(data=data):
                response = self.client.post(self.url("gift"), data)
                self.assertEqual(response.status_code, 400)
                errors = response.context["form"].errors.as_data()
                self.assertEqual([e.code for e in errors[field]], [code])
        self.assertNothingStored(before)

    def test_at_the_polish_desk_a_comma_marks_the_cents(self):
        response = self.client.post(
            self.url("gift", language="pl"), {"amount": "12,50", "note": "koperta"}
        )
        self.assertEqual(response.status_code, 302)
        gift = Pledge.objects.get(kind=Pledge.Kind.GIFT)
        self.assertEqual(gift.received_amount.amount, Decimal("12.50"))

    def test_wrong_method_and_stranger(self):
        self.assertEqual(self.client.delete(self.url("gift")).status_code, 405)
        self.client.force_login(self.stranger)
        before = self.state()
        response = self.client.post(self.url("gift"), {"amount": "5", "note": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)


class CloseTests(CampaignDeskTestCase):
    def test_a_volunteer_closes_the_collection_with_a_reason(self):
        response = self.client.post(self.url("close"), {"reason": "he found work"})
        self.assertRedirects(response, reverse("donations:desk"))
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertEqual(
            (campaign.closed_reason, campaign.closed_by),
            (Campaign.ClosedReason.MANUAL, self.volunteer),
        )
        row = Activity.objects.get(action=A.CLOSED)
        self.assertEqual(row.details["note"], "he found work")

    def test_it_needs_a_reason(self):
        before = self.state()
        response = self.client.post(self.url("close"), {"reason": ""})
        self.assertEqual(response.status_code, 400)
        self.assertIn("reason", response.context["form"].errors)
        self.assertNothingStored(before)

    def test_wrong_method_and_stranger(self):
        self.assertEqual(self.client.put(self.url("close")).status_code, 405)
        self.client.force_login(self.stranger)
        before = self.state()
        response = self.client.post(self.url("close"), {"reason": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)


class ReopenTests(CampaignDeskTestCase):
    def setUp(self):
        super().setUp()
        self.client.force_login(self.organizer)

    def test_an_organizer_reopens_with_a_reason(self):
        self.close_by_hand()
        response = self.client.post(
            self.url("reopen"), {"reason": "rent went up", "stop_at_goal": "on"}
        )
        self.assertRedirects(response, reverse("donations:desk"))
        self.assertIsNone(Campaign.objects.get(pk=self.campaign.pk).closed_at)
        row = Activity.objects.get(action=A.REOPENED)
        self.assertEqual(row.details["reason"], "rent went up")

    def test_promises_over_the_goal_do_not_keep_it_closed(self):
        # Judged on COLLECTED money: €3,000 promised, €25 collected.
        pledge(self.campaign, "3000")
        pledge_receive(pledge=self.made, amount=Decimal("25"), by=self.organizer)
        self.close_by_hand()
        response = self.client.post(
            self.url("reopen"), {"reason": "more", "stop_at_goal": "on"}
        )
        self.assertEqual(response.status_code, 302)
        self.assertIsNone(Campaign.objects.get(pk=self.campaign.pk).closed_at)

    def test_collected_money_at_the_goal_keeps_a_stop_at_goal_campaign_closed(self):
        big = pledge(self.campaign, "2500")
        pledge_receive(pledge=big, amount=Decimal("2500"), by=self.organizer)
        before = self.state()
        response = self.client.post(
            self.url("reopen"), {"reason": "more", "stop_at_goal": "on"}
        )
        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors.as_data()
        self.assertEqual(errors["stop_at_goal"][0].code, "goal_collected")
        self.assertNothingStored(before)

    def test_an_open_campaign_or_a_past_deadline_is_refused(self):
        before = self.state()
        response = self.client.post(self.url("reopen"), {"reason": "x"})
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.context["form"].errors.as_data()["__all__"][0].code, "not_closed"
        )
        self.close_by_hand()
        before = self.state()
        past = (timezone.localtime() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
        response = self.client.post(
            self.url("reopen"), {"reason": "x", "deadline": past}
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.context["form"].errors.as_data()["deadline"][0].code,
            "reopen_deadline_past",
        )
        self.assertNothingStored(before)

    def test_a_volunteer_may_not_reopen(self):
        self.close_by_hand()
        self.client.force_login(self.volunteer)
        before = self.state()
        self.assertEqual(self.client.get(self.url("reopen")).status_code, 403)
        response = self.client.post(self.url("reopen"), {"reason": "x"})
        self.assertEqual(response.status_code, 403)
        self.assertNothingStored(before)

    def test_wrong_method_and_stranger(self):
        self.close_by_hand()
        self.assertEqual(self.client.delete(self.url("reopen")).status_code, 405)
        before = self.state()
        self.client.force_login(self.other_organizer)
        response = self.client.post(self.url("reopen"), {"reason": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)


class ExportTests(CampaignDeskTestCase):
    def test_an_organizer_exports_with_emails(self):
        self.client.force_login(self.organizer)
        response = self.client.get(self.url("export"))
        body = b"".join(response.streaming_content).decode()
        self.assertIn(self.made.reference, body)

    def test_volunteers_strangers_and_posts_are_refused(self):
        self.assertEqual(self.client.get(self.url("export")).status_code, 403)
        self.client.force_login(self.organizer)
        self.assertEqual(self.client.post(self.url("export")).status_code, 405)
        self.client.force_login(self.other_organizer)
        self.assertEqual(self.client.get(self.url("export")).status_code, 404)
