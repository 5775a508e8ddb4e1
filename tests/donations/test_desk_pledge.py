"""The desk's pledge card and its money jobs: receive (with the second step
when the amount is far from the pledge), correct, undo, cancel, the team note
and hiding a message.

Each job: the happy path and the database after it, wrong method (405), a
stranger (404: another team's pledge does not exist for them), a volunteer
where only organizers may (403), and bad input (400, nothing stored).
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse

from campaigns.models import Activity, Campaign
from donations.models import Pledge
from donations.pledging import (
    NeedsConfirmation,
    pledge_cancel,
    pledge_receive,
)
from tests.donations.base import pledge
from tests.teams.base import DeskTestCase, donor_email

A = Activity.Action


class CardTests(DeskTestCase):
    def test_a_pending_pledge_offers_receiving_and_cancelling(self):
        response = self.client.get(self.url("card"))
        self.assertContains(response, self.made.reference)
        self.assertContains(response, self.url("receive"))
        self.assertContains(response, self.url("cancel"))
        self.assertContains(response, self.url("note"))
        self.assertNotContains(response, self.url("correct"))
        self.assertNotContains(response, self.url("undo"))
        self.assertContains(response, 'value="25.00"')  # the pledged amount

    def test_a_received_pledge_offers_correcting_and_undoing(self):
        self.receive("24.50")
        response = self.client.get(self.url("card"))
        self.assertContains(response, self.url("correct"))
        self.assertContains(response, self.url("undo"))
        self.assertNotContains(response, self.url("receive"))
        self.assertNotContains(response, self.url("cancel"))

    def test_volunteers_never_see_the_donors_email_nor_hide_messages(self):
        response = self.client.get(self.url("card"))
        self.assertNotContains(response, donor_email("desk"))
        self.assertContains(response, "Hold on!")
        self.assertNotContains(response, self.url("message"))
        self.client.force_login(self.organizer)
        response = self.client.get(self.url("card"))
        self.assertContains(response, donor_email("desk"))
        self.assertContains(response, self.url("message"))

    def test_the_amount_box_is_a_text_box_with_a_decimal_keypad(self):
        response = self.client.get(self.url("card"))
        self.assertContains(response, 'inputmode="decimal"')
        self.assertNotContains(response, 'type="number"')

    def test_a_stranger_finds_no_such_pledge_and_methods_are_checked(self):
        self.client.force_login(self.stranger)
        self.assertEqual(self.client.get(self.url("card")).status_code, 404)
        self.client.force_login(self.volunteer)
        self.assertEqual(self.client.post(self.url("card")).status_code, 405)

    def test_the_reference_is_found_in_any_case(self):
        response = self.client.get(
            reverse("donations:desk"), {"reference": self.made.reference.lower()}
        )
        self.assertRedirects(response, self.url("card"))


class ReceiveTests(DeskTestCase):
    def test_the_amount_that_arrived_is_recorded(self):
        response = self.client.post(self.url("receive"), {"amount": "23.80"})
        self.assertRedirects(response, self.url("card"))
        made = self.fresh()
        self.assertEqual(made.status, Pledge.Status.RECEIVED)
        self.assertEqual(made.received_amount.amount, Decimal("23.80"))
        self.assertEqual(made.received_by, self.volunteer)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("23.80"))
        messages = [str(m) for m in response.wsgi_request._messages]
        self.assertEqual(messages, [f"{made.reference} marked received."])

    def test_23_comma_80_at_the_english_desk_is_refused_beside_the_field(self):
        before = self.state()
        response = self.client.post(self.url("receive"), {"amount": "23,80"})
        self.assertRefusedBeside(response, "receive_form", "amount", "ambiguous")
        self.assertContains(
            response, "“23,80” could mean two different amounts", status_code=400
        )
        self.assertContains(response, 'value="23,80"', status_code=400)
        self.assertNothingStored(before)

    def test_23_comma_80_at_the_polish_desk_is_23_80(self):
        response = self.client.post(
            self.url("receive", language="pl"), {"amount": "23,80"}
        )
        self.assertRedirects(response, self.url("card", language="pl"))
        self.assertEqual(self.fresh().received_amount.amount, Decimal("23.80"))
        self.assertTotalsExact(self.campaign)

    def test_2380_for_a_25_pledge_waits_for_a_confirmation_showing_both_figures(self):
        before = self.state()
        response = self.client.post(self.url("receive"), {"amount": "2380"})
        self.assertRefusedBeside(
            response, "receive_form", "amount", "needs_confirmation"
        )
        self.assertContains(
            response, "You typed €2,380; the pledge was €25.", status_code=400
        )
        self.assertContains(
            response, "Yes, €2,380 arrived for this €25 pledge.", status_code=400
        )
        self.assertContains(
            response, 'name="confirmed_amount" value="2380.00"', status_code=400
        )
        self.assertNothingStored(before)

        response = self.client.post(
            self.url("receive"),
            {"amount": "2380", "confirm": "on", "confirmed_amount": "2380.00"},
        )
        self.assertRedirects(response, self.url("card"))
        self.assertEqual(self.fresh().received_amount.amount, Decimal("2380.00"))
        row = Activity.objects.get(action=A.PLEDGE_RECEIVED)
        self.assertTrue(row.details["confirmed"])
        self.assertTotalsExact(self.campaign)

    def test_the_tick_holds_only_for_the_amount_it_was_shown_for(self):
        before = self.state()
        response = self.client.post(
            self.url("receive"),
            {"amount": "238", "confirm": "on", "confirmed_amount": "2380.00"},
        )
        self.assertRefusedBeside(
            response, "receive_form", "amount", "needs_confirmation"
        )
        self.assertContains(response, "You typed €238;", status_code=400)
        # Shown again unticked, for the new amount.
        self.assertContains(
            response, 'name="confirmed_amount" value="238.00"', status_code=400
        )
        self.assertNotContains(response, "checked", status_code=400)
        self.assertNothingStored(before)

    def test_the_checkbox_is_shown_only_when_needed(self):
        response = self.client.get(self.url("card"))
        self.assertNotContains(response, 'name="confirm"')
        response = self.client.post(self.url("receive"), {"amount": "abc"})
        self.assertNotContains(response, 'name="confirm"', status_code=400)

    def test_a_fee_within_ten_percent_needs_no_confirmation(self):
        response = self.client.post(self.url("receive"), {"amount": "22.50"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.fresh().status, Pledge.Status.RECEIVED)

    def test_every_bad_amount_is_refused_and_nothing_is_stored(self):
        before = self.state()
        for amount, code in [
            ("", "required"),
            ("0", "min_value"),
            ("-1", "invalid"),
            ("abc", "invalid"),
            ("1,234", "ambiguous"),
            ("23.456", "max_decimal_places"),
            ("NaN", "invalid"),
            ("99999999999", "max_value"),
        ]:
            with self.subTest(amount=amount):
                response = self.client.post(self.url("receive"), {"amount": amount})
                self.assertRefusedBeside(response, "receive_form", "amount", code)
        self.assertNothingStored(before)

    def test_money_for_a_cancelled_pledge_that_came_late_is_received(self):
        pledge_cancel(pledge=self.made, reason="never paid", by=self.volunteer)
        response = self.client.post(self.url("receive"), {"amount": "25"})
        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.fresh().status, Pledge.Status.RECEIVED)
        self.assertTotalsExact(self.campaign)

    def test_a_pledge_received_meanwhile_is_refused_beside_the_form(self):
        self.receive("25")
        before = self.state()
        response = self.client.post(self.url("receive"), {"amount": "25"})
        self.assertRefusedBeside(
            response, "receive_form", "__all__", "already_received"
        )
        self.assertContains(response, "correct its amount instead", status_code=400)
        self.assertNothingStored(before)

    def test_a_confirmation_the_write_asks_for_is_shown_never_a_500(self):
        # The state changed between the form's check and the write.
        from unittest import mock

        refusal = NeedsConfirmation(
            expected=self.campaign.money(Decimal("25")),
            received=self.campaign.money(Decimal("24")),
        )
        with mock.patch("donations.views.pledge_receive", side_effect=refusal):
            response = self.client.post(self.url("receive"), {"amount": "24"})
        self.assertRefusedBeside(
            response, "receive_form", "amount", "needs_confirmation"
        )
        self.assertContains(response, "€24 is far from the €25", status_code=400)
        self.assertContains(response, 'name="confirm"', status_code=400)

    def test_receiving_the_goal_closes_the_collection_and_says_so(self):
        big = pledge(self.campaign, "2500")
        response = self.client.post(self.url("receive", big), {"amount": "2500"})
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.GOAL)
        messages = [str(m) for m in response.wsgi_request._messages]
        self.assertIn("The goal is collected: the collection is closed.", messages)

    def test_wrong_method_stranger_and_anonymous(self):
        self.assertEqual(self.client.get(self.url("receive")).status_code, 405)
        self.client.force_login(self.stranger)
        before = self.state()
        response = self.client.post(self.url("receive"), {"amount": "25"})
        self.assertEqual(response.status_code, 404)
        self.client.logout()
        response = self.client.post(self.url("receive"), {"amount": "25"})
        self.assertEqual(response.status_code, 302)  # to the login page
        self.assertNothingStored(before)


class CorrectTests(DeskTestCase):
    def received_by_mistake(self) -> Pledge:
        """A €25 pledge recorded as €2,380 (the comma read as a thousands sign)."""
        return pledge_receive(
            pledge=self.made, amount=Decimal("2380"), by=self.volunteer, confirmed=True
        )

    def test_a_correction_is_stored_and_recorded_with_its_reason(self):
        self.received_by_mistake()
        response = self.client.post(
            self.url("correct"), {"amount": "23.80", "reason": "typed a comma"}
        )
        self.assertRedirects(response, self.url("card"))
        made = self.fresh()
        self.assertEqual(made.status, Pledge.Status.RECEIVED)
        self.assertEqual(made.received_amount.amount, Decimal("23.80"))
        row = Activity.objects.get(action=A.RECEIPT_CORRECTED)
        self.assertEqual(
            (row.actor, row.reference, row.details["reason"]),
            (self.volunteer, made.reference, "typed a comma"),
        )
        self.assertEqual(
            (row.details["previous"], row.details["received"]), ("2380.00", "23.80")
        )
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("23.80"))

    def test_the_card_shows_the_correction_in_the_record_to_organizers(self):
        self.received_by_mistake()
        self.client.post(
            self.url("correct"), {"amount": "23.80", "reason": "typed a comma"}
        )
        self.client.force_login(self.organizer)
        response = self.client.get(self.url("card"))
        self.assertContains(response, "€2,380 → €23.80")
        self.assertContains(response, "“typed a comma”")

    def test_a_correction_far_from_the_pledge_needs_the_second_step(self):
        self.receive("25")
        before = self.state()
        data = {"amount": "250", "reason": "the bank statement says so"}
        response = self.client.post(self.url("correct"), data)
        self.assertRefusedBeside(
            response, "correct_form", "amount", "needs_confirmation"
        )
        self.assertContains(
            response, "You typed €250; the pledge was €25.", status_code=400
        )
        self.assertNothingStored(before)
        data |= {"confirm": "on", "confirmed_amount": "250.00"}
        self.assertEqual(self.client.post(self.url("correct"), data).status_code, 302)
        self.assertEqual(self.fresh().received_amount.amount, Decimal("250.00"))
        self.assertTotalsExact(self.campaign)

    def test_it_needs_a_reason_a_new_amount_and_one_the_page_can_read(self):
        self.receive("25")
        before = self.state()
        cases = [
            ({"amount": "24", "reason": ""}, "reason", "required"),
            ({"amount": "23,80", "reason": "fee"}, "amount", "ambiguous"),
            ({"amount": "25.00", "reason": "fee"}, "amount", "unchanged"),
        ]
        for data, field, code in cases:
            with self.subTest(data=data):
                response = self.client.post(self.url("correct"), data)
                self.assertRefusedBeside(response, "correct_form", field, code)
        self.assertNothingStored(before)

    def test_only_received_money_is_corrected(self):
        before = self.state()
        response = self.client.post(
            self.url("correct"), {"amount": "24", "reason": "fee"}
        )
        self.assertRefusedBeside(response, "correct_form", "__all__", "not_received")
        self.assertNothingStored(before)

    def test_a_correction_below_the_goal_reopens_a_campaign_closed_by_its_goal(self):
        big = pledge(self.campaign, "2500")
        self.receive("2500", made=big)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertEqual(campaign.closed_reason, Campaign.ClosedReason.GOAL)
        response = self.client.post(
            self.url("correct", big), {"amount": "2400", "reason": "bank fee"}
        )
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(pk=self.campaign.pk)
        self.assertIsNone(campaign.closed_at)
        reopened = Activity.objects.get(campaign=campaign, action=A.REOPENED)
        self.assertTrue(reopened.details["automatic"])
        messages = [str(m) for m in response.wsgi_request._messages]
        self.assertIn(
            "Collected money is below the goal again: the collection reopened "
            "by itself.",
            messages,
        )
        self.assertTotalsExact(self.campaign)

    def test_wrong_method_and_stranger(self):
        self.receive("25")
        self.assertEqual(self.client.get(self.url("correct")).status_code, 405)
        self.client.force_login(self.stranger)
        before = self.state()
        response = self.client.post(
            self.url("correct"), {"amount": "24", "reason": "fee"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)


class UndoTests(DeskTestCase):
    def test_an_undone_receipt_is_pending_again_and_recorded(self):
        self.receive("25")
        response = self.client.post(self.url("undo"), {"reason": "wrong pledge"})
        self.assertRedirects(response, self.url("card"))
        made = self.fresh()
        self.assertEqual(made.status, Pledge.Status.PENDING)
        self.assertIsNone(made.received_amount)
        row = Activity.objects.get(action=A.RECEIPT_UNDONE)
        self.assertEqual(
            (row.actor, row.reference, row.details["reason"]),
            (self.volunteer, made.reference, "wrong pledge"),
        )
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, 0)
        self.assertEqual(campaign.promised.amount, Decimal("165.00"))

    def test_it_needs_a_reason_and_a_receipt(self):
        self.receive("25")
        before = self.state()
        response = self.client.post(self.url("undo"), {"reason": ""})
        self.assertRefusedBeside(response, "undo_form", "reason", "required")
        self.assertNothingStored(before)
        pending = pledge(self.campaign, "10")
        before = self.state()
        response = self.client.post(self.url("undo", pending), {"reason": "x"})
        self.assertRefusedBeside(response, "undo_form", "__all__", "not_received")
        self.assertNothingStored(before)

    def test_wrong_method_and_stranger(self):
        self.receive("25")
        self.assertEqual(self.client.get(self.url("undo")).status_code, 405)
        self.client.force_login(self.stranger)
        before = self.state()
        response = self.client.post(self.url("undo"), {"reason": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)


class CancelTests(DeskTestCase):
    def test_a_pending_pledge_is_cancelled_with_its_reason(self):
        response = self.client.post(self.url("cancel"), {"reason": "never paid"})
        self.assertRedirects(response, self.url("card"))
        made = self.fresh()
        self.assertEqual(
            (made.status, made.cancel_reason), (Pledge.Status.CANCELLED, "never paid")
        )
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("140.00"))

    def test_it_needs_a_reason_and_a_pending_pledge(self):
        before = self.state()
        response = self.client.post(self.url("cancel"), {"reason": ""})
        self.assertRefusedBeside(response, "cancel_form", "reason", "required")
        self.assertNothingStored(before)
        self.receive("25")
        before = self.state()
        response = self.client.post(self.url("cancel"), {"reason": "x"})
        self.assertRefusedBeside(response, "cancel_form", "__all__", "not_pending")
        self.assertNothingStored(before)

    def test_wrong_method_and_stranger(self):
        self.assertEqual(self.client.get(self.url("cancel")).status_code, 405)
        self.client.force_login(self.stranger)
        before = self.state()
        response = self.client.post(self.url("cancel"), {"reason": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)


class NoteTests(DeskTestCase):
    def test_the_team_note_is_saved(self):
        response = self.client.post(self.url("note"), {"note": "called the donor"})
        self.assertRedirects(response, self.url("card"))
        self.assertEqual(self.fresh().note, "called the donor")
        self.assertContains(self.client.get(self.url("card")), "called the donor")

    def test_a_too_long_note_is_refused(self):
        before = self.state()
        response = self.client.post(self.url("note"), {"note": "x" * 2001})
        self.assertRefusedBeside(response, "note_form", "note", "max_length")
        self.assertNothingStored(before)

    def test_wrong_method_and_stranger(self):
        self.assertEqual(self.client.get(self.url("note")).status_code, 405)
        self.client.force_login(self.stranger)
        before = self.state()
        response = self.client.post(self.url("note"), {"note": "x"})
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)


class MessageTests(DeskTestCase):
    def test_an_organizer_hides_and_shows_the_message(self):
        self.client.force_login(self.organizer)
        version = Campaign.objects.get(pk=self.campaign.pk).version
        response = self.client.post(self.url("message"), {"visibility": "hidden"})
        self.assertRedirects(response, self.url("card"))
        self.assertTrue(self.fresh().message_hidden)
        self.assertTrue(Activity.objects.filter(action=A.MESSAGE_HIDDEN).exists())
        self.assertGreater(Campaign.objects.get(pk=self.campaign.pk).version, version)
        self.client.post(self.url("message"), {"visibility": "shown"})
        self.assertFalse(self.fresh().message_hidden)

    def test_a_volunteer_may_not(self):
        before = self.state()
        response = self.client.post(self.url("message"), {"visibility": "hidden"})
        self.assertEqual(response.status_code, 403)
        self.assertNothingStored(before)

    def test_bad_input_wrong_method_and_stranger(self):
        self.client.force_login(self.organizer)
        before = self.state()
        for data in ({}, {"visibility": "maybe"}):
            with self.subTest(data=data):
                response = self.client.post(self.url("message"), data)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(self.client.get(self.url("message")).status_code, 405)
        self.client.force_login(self.other_organizer)
        response = self.client.post(self.url("message"), {"visibility": "hidden"})
        self.assertEqual(response.status_code, 404)
        self.assertNothingStored(before)
