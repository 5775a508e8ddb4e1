import re
import secrets
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.db import IntegrityError, connection
from django.urls import reverse
from django.utils import timezone, translation

from campaigns.models import Campaign
from donations.models import Pledge
from donations.pledging import (
    campaign_close,
    pledge_at_once,
    pledge_cancel,
    pledge_create,
    receipt_correct,
)
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge, receive

PG = connection.vendor == "postgresql"
TOKEN_RE = re.compile(r'name="token" value="([^"]+)"')


class PledgeFormTests(DonationsTestCase):
    def setUp(self):
        self.url = reverse("donations:pledge", args=[self.campaign.slug])

    def load_form(self) -> str:
        response = self.client.get(self.url)
        self.assertEqual(response.status_code, 200)
        return TOKEN_RE.search(response.content.decode())[1]

    def post(self, token: str | None = None, **fields):
        data = {"amount": "25", "line": "", "token": token or secrets.token_urlsafe(24)}
        data.update(fields)
        return self.client.post(
            self.url, {k: v for k, v in data.items() if v is not None}
        )

    def assertRefused(self, response, field: str, code: str, status: int = 400):
        self.assertEqual(response.status_code, status)
        errors = response.context["form"].errors.as_data()
        self.assertIn(field, errors, errors)
        self.assertEqual([e.code for e in errors[field]], [code])
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)

    # The form page ---------------------------------------------------------

    def test_it_shows_suggested_amounts_lines_and_a_one_time_token(self):
        response = self.client.get(self.url)
        self.assertContains(response, 'type="radio" name="amount" value="25"')
        self.assertContains(response, "Where most needed")
        self.assertContains(response, "Paying off debts")
        self.assertContains(response, 'name="other_amount"')
        self.assertContains(response, 'name="email"')
        self.assertNotEqual(self.load_form(), self.load_form())
        self.assertIn("no-cache", response["Cache-Control"])

    def test_it_offers_no_line_covered_by_received_money(self):
        receive(pledge(self.campaign, "300", self.clothing))
        response = self.client.get(self.url)
        self.assertNotContains(response, "Clothing and household items")
        self.assertContains(response, "Food")

    def test_a_line_only_promised_is_still_offered(self):
        # Not every promise arrives: a line is done once money covers it.
        pledge(self.campaign, "300", self.clothing)
        response = self.client.get(self.url)
        self.assertContains(response, "Clothing and household items")
        self.assertEqual(self.post(line=str(self.clothing.pk)).status_code, 303)
        self.assertEqual(Pledge.objects.filter(line=self.clothing).count(), 2)
        self.assertTotalsExact(self.campaign)

    def test_it_answers_404_for_an_unpublished_campaign(self):
        make_campaign(slug="draft", published=False)
        url = reverse("donations:pledge", args=["draft"])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_refuses_other_methods(self):
        self.assertEqual(self.client.put(self.url).status_code, 405)
        self.assertEqual(self.client.delete(self.url).status_code, 405)

    # Pledging --------------------------------------------------------------

    def test_a_pledge_redirects_to_its_thank_you_page(self):
        response = self.post(
            amount="50",
            line=str(self.food.pk),
            donor_name="Ala",
            email="ala@example.org",
            message="Good luck!",
            show_amount="on",
        )
        made = Pledge.objects.get()
        self.assertEqual(response.status_code, 303)
        self.assertEqual(response["Location"], made.thanks_path())
        self.assertEqual(made.amount.amount, Decimal("50.00"))
        self.assertEqual(made.line, self.food)
        self.assertEqual((made.donor_name, made.message), ("Ala", "Good luck!"))
        self.assertTrue(made.show_amount)
        self.assertEqual(made.language, "en")
        self.assertTotalsExact(self.campaign)

    def test_show_amount_is_off_by_default(self):
        self.post()
        self.assertFalse(Pledge.objects.get().show_amount)

    def test_a_typed_amount_counts_over_a_chosen_one_and_takes_a_comma(self):
        # A comma marks the cents on a Polish page (on an English one it is
        # refused as ambiguous: tests/i18n/test_amount_input.py).
        with translation.override("pl"):
            self.url = reverse("donations:pledge", args=[self.campaign.slug])
            self.post(amount="25", other_amount="12,50")
        self.assertEqual(Pledge.objects.get().amount.amount, Decimal("12.50"))

    def test_fields_the_form_does_not_offer_are_ignored(self):
        self.post(
            status="received",
            currency="USD",
            amount_currency="USD",
            reference="AAAAAAAA",
            received_amount="9999",
            collected="100000",
            supporters="1000",
            kind="gift",
        )
        made = Pledge.objects.get()
        self.assertEqual(made.status, Pledge.Status.PENDING)
        self.assertEqual(str(made.amount.currency), "EUR")
        self.assertNotEqual(made.reference, "AAAAAAAA")
        self.assertIsNone(made.received_amount)
        self.assertEqual(made.kind, Pledge.Kind.PLEDGE)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, 0)

    def test_every_bad_amount_is_refused_beside_the_field(self):
        cases = [
            ({"amount": ""}, "amount", "required"),
            ({"amount": "other"}, "amount", "required"),
            ({"amount": "7"}, "amount", "invalid_choice"),
            ({"other_amount": "0"}, "other_amount", "min_value"),
            ({"other_amount": "0.00"}, "other_amount", "min_value"),
            ({"other_amount": "0.99"}, "other_amount", "min_value"),
            ({"other_amount": "-5"}, "other_amount", "invalid"),
            ({"other_amount": "abc"}, "other_amount", "invalid"),
            ({"other_amount": "12.345"}, "other_amount", "max_decimal_places"),
            ({"other_amount": "NaN"}, "other_amount", "invalid"),
            ({"other_amount": "Infinity"}, "other_amount", "invalid"),
            ({"other_amount": "-Infinity"}, "other_amount", "invalid"),
            ({"other_amount": "1e3"}, "other_amount", "invalid"),
            ({"other_amount": "0x10"}, "other_amount", "invalid"),
            ({"other_amount": "10000.01"}, "other_amount", "max_value"),
            ({"other_amount": "1.2.3"}, "other_amount", "invalid"),
        ]
        for fields, field, code in cases:
            with self.subTest(fields=fields):
                self.assertRefused(self.post(**fields), field, code)

    def test_the_campaign_maximum_is_its_own(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(max_pledge=Decimal("500"))
        self.assertRefused(
            self.post(other_amount="500.01"), "other_amount", "max_value"
        )
        self.assertEqual(self.post(other_amount="500").status_code, 303)

    def test_every_bad_line_is_refused_beside_the_field(self):
        other = make_campaign(slug="other")
        pledge(self.campaign, "300", self.clothing)
        Pledge.objects.all().delete()  # keep the covered total, drop the pledge
        cases = [
            (str(other.lines.first().pk), "invalid_choice"),
            ("999999", "invalid_choice"),
            ("abc", "invalid_choice"),
        ]
        for line, code in cases:
            with self.subTest(line=line):
                response = self.post(line=line)
                self.assertEqual(response.status_code, 400)
                errors = response.context["form"].errors.as_data()
                self.assertEqual([e.code for e in errors["line"]], [code])

    def test_a_covered_line_is_refused_with_its_name(self):
        receive(pledge(self.campaign, "300", self.clothing))
        response = self.post(line=str(self.clothing.pk))
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "is already covered", status_code=400)
        self.assertEqual(Pledge.objects.count(), 1)

    def test_a_name_or_message_too_long_is_refused(self):
        self.assertRefused(self.post(donor_name="x" * 81), "donor_name", "max_length")
        self.assertRefused(self.post(message="x" * 501), "message", "max_length")
        self.assertEqual(self.post(message="x" * 500).status_code, 303)

    def test_a_bad_email_is_refused(self):
        self.assertRefused(self.post(email="not an email"), "email", "invalid")

    def test_a_post_without_the_one_time_token_is_refused(self):
        response = self.client.post(self.url, {"amount": "25", "line": ""})
        self.assertRefused(response, "token", "required")

    # Campaigns that stopped accepting ---------------------------------------

    def test_promises_reaching_the_goal_never_stop_the_collection(self):
        pledge(self.campaign, "2500")
        page = self.client.get(self.url)
        self.assertContains(page, "Fully promised: €2,500 on its way")
        self.assertContains(page, "if every promise arrives, the goal is met")
        self.assertContains(page, "you can still give")
        self.assertContains(page, 'name="amount"')
        response = self.post()
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.count(), 2)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(campaign.promised.amount, Decimal("2525.00"))

    def test_the_fully_promised_form_shows_the_rule_for_money_over_the_goal(self):
        rule = "Anything over the goal pays his next three months of rent."
        Campaign.objects.filter(pk=self.campaign.pk).update(over_goal_rule_en=rule)
        page = self.client.get(self.url)
        self.assertNotContains(page, rule)  # not fully promised yet
        pledge(self.campaign, "2500")
        page = self.client.get(self.url)
        self.assertContains(page, "Money over the goal")
        self.assertContains(page, rule)

    def test_after_the_goal_is_collected_it_refuses_with_409_and_says_so(self):
        receive(pledge(self.campaign, "2500"))
        self.assertEqual(fresh(self.campaign).closed_reason, Campaign.ClosedReason.GOAL)
        response = self.post()
        self.assertEqual(response.status_code, 409)
        self.assertContains(
            response, "The collection is over. Collected: €2,500", status_code=409
        )
        self.assertNotContains(response, 'name="amount"', status_code=409)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_the_form_page_after_the_goal_is_collected_has_no_form(self):
        receive(pledge(self.campaign, "2500"))
        response = self.client.get(self.url)
        self.assertContains(response, "The collection is over")
        self.assertNotContains(response, "Fully promised")
        self.assertNotContains(response, 'class="pledge-form"')

    def test_a_form_loaded_before_the_goal_was_collected_and_posted_after_is_refused(
        self,
    ):
        token = self.load_form()
        # Another donor's money arrives meanwhile and collects the goal.
        receive(pledge(self.campaign, "2500"))
        response = self.post(token=token)
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "The collection is over", status_code=409)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_form_loaded_before_the_goal_was_promised_and_posted_after_is_taken(
        self,
    ):
        token = self.load_form()
        pledge(self.campaign, "2500")  # another donor promises the goal meanwhile
        response = self.post(token=token)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.count(), 2)
        self.assertTotalsExact(self.campaign)

    def test_a_form_loaded_before_the_deadline_and_posted_after_is_refused(self):
        deadline = timezone.now() + timedelta(hours=1)
        Campaign.objects.filter(pk=self.campaign.pk).update(deadline=deadline)
        token = self.load_form()
        with mock.patch(
            "django.utils.timezone.now", return_value=deadline + timedelta(seconds=1)
        ):
            response = self.post(token=token)
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "The collection is over", status_code=409)
        self.assertContains(response, "The deadline has passed", status_code=409)
        self.assertFalse(Pledge.objects.exists())

    def test_a_closed_campaign_refuses_with_what_was_collected(self):
        made = pledge(self.campaign, "2665")
        from donations.pledging import pledge_receive

        pledge_receive(pledge=made, amount=Decimal("2665"), by=self.volunteer)
        response = self.post()
        self.assertContains(
            response, "The collection is over. Collected: €2,665", status_code=409
        )

    @contextmanager
    def meanwhile(self, change):
        """Run `change` after the form was checked, just before the pledge is
        written (by pledge_at_once, or pledge_create under the campaign's lock):
        what it changed must still be seen."""
        pending = [change]

        def change_first(real):
            def write(**kwargs):
                while pending:
                    pending.pop()()
                return real(**kwargs)

            return write

        with (
            mock.patch(
                "donations.views.pledge_at_once",
                side_effect=change_first(pledge_at_once),
            ),
            mock.patch(
                "donations.views.pledge_create",
                side_effect=change_first(pledge_create),
            ),
        ):
            yield

    def test_a_goal_collected_just_before_the_lock_is_refused(self):
        token = self.load_form()
        with self.meanwhile(lambda: receive(pledge(self.campaign, "2500"))):
            response = self.post(token=token)
        self.assertEqual(response.status_code, 409)
        self.assertContains(response, "The collection is over", status_code=409)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_goal_promised_just_before_the_lock_still_takes_the_pledge(self):
        token = self.load_form()
        with self.meanwhile(lambda: pledge(self.campaign, "2500")):
            response = self.post(token=token)
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.count(), 2)
        self.assertTotalsExact(self.campaign)

    def test_a_line_covered_just_before_the_write_is_refused_beside_it(self):
        rent = self.campaign.lines.get(position=0)
        with self.meanwhile(lambda: receive(pledge(self.campaign, "1000", rent))):
            response = self.post(line=str(rent.pk), amount="25")
        self.assertContains(response, "is already covered", status_code=400)
        errors = response.context["form"].errors.as_data()
        self.assertEqual([e.code for e in errors["line"]], ["covered"])
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_line_promised_just_before_the_write_still_takes_the_earmark(self):
        rent = self.campaign.lines.get(position=0)
        with self.meanwhile(lambda: pledge(self.campaign, "1000", rent)):
            response = self.post(line=str(rent.pk), amount="25")
        self.assertEqual(response.status_code, 303)
        made = Pledge.objects.latest("pk")
        self.assertEqual((made.line, made.amount.amount), (rent, Decimal("25.00")))
        self.assertTotalsExact(self.campaign)

    def test_a_limit_lowered_just_before_the_lock_is_refused_beside_the_amount(self):
        def lower():
            Campaign.objects.filter(pk=self.campaign.pk).update(max_pledge=20)

        with self.meanwhile(lower):
            response = self.post(amount="", other_amount="25")
        self.assertContains(response, "The largest pledge is €20", status_code=400)
        errors = response.context["form"].errors.as_data()
        self.assertEqual([e.code for e in errors["other_amount"]], ["max_value"])
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)

    def test_cancelling_a_promise_changes_nothing_about_accepting(self):
        big = pledge(self.campaign, "2500")
        self.assertEqual(self.post().status_code, 303)
        pledge_cancel(pledge=big, reason="fake", by=self.volunteer)
        self.assertEqual(self.post().status_code, 303)
        self.assertEqual(fresh(self.campaign).promised.amount, Decimal("50.00"))
        self.assertTotalsExact(self.campaign)

    def test_it_accepts_again_when_a_correction_brings_collected_under_the_goal(
        self,
    ):
        big = receive(pledge(self.campaign, "2500"))
        self.assertEqual(self.post().status_code, 409)
        receipt_correct(
            pledge=big,
            amount=Decimal("2400"),
            reason="the bank statement says 2400",
            by=self.volunteer,
        )
        campaign = fresh(self.campaign)
        self.assertIsNone(campaign.closed_at)
        self.assertEqual(self.post().status_code, 303)
        self.assertEqual(Pledge.objects.count(), 2)
        self.assertTotalsExact(self.campaign)

    def statements_of(self, expect: int = 303, **fields) -> list[str]:
        """The SQL statements one pledge through the form runs (without the
        savepoints the test's own transaction adds)."""
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.post(**fields).status_code, expect)
        return [
            q["sql"].split()[0].upper()
            for q in queries.captured_queries
            if not q["sql"].upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))
        ]

    def test_a_pledge_is_one_statement_and_reads_nothing(self):
        # On PostgreSQL: the totals and the pledge in one statement (UPDATE
        # inside WITH, feeding the INSERT), nothing read before. SQLite has no
        # such statement: the campaign with its lines (read, then locked), the
        # pledge, the totals.
        locked = ["SELECT", "SELECT", "SELECT", "SELECT", "INSERT", "UPDATE"]
        self.assertEqual(self.statements_of(), ["WITH"] if PG else locked)
        # Earmarked: the line's earmark is updated too.
        rent = self.campaign.lines.get(position=0)
        earmarked = self.statements_of(line=str(rent.pk))
        if PG:  # the line checked open, then the one statement
            self.assertEqual(earmarked[-1], "WITH")
            self.assertNotIn("INSERT", earmarked)
        else:
            self.assertEqual(earmarked, [*locked, "UPDATE"])
        self.assertTotalsExact(self.campaign)

    def test_a_pledge_the_statement_refuses_is_read_and_explained(self):
        receive(pledge(self.campaign, "2500"))  # collected: closed at its goal
        statements = self.statements_of(expect=409)
        if PG:  # the statement that wrote nothing, then the reads it needs
            self.assertEqual(statements[0], "WITH")
            self.assertNotIn("WITH", statements[1:])
            self.assertNotIn("INSERT", statements)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_the_rules_when_the_pledge_is_written_decide(self):
        def raise_limit():
            Campaign.objects.filter(pk=self.campaign.pk).update(max_pledge=900)

        with self.meanwhile(raise_limit):
            response = self.post()
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_campaign_closed_just_before_the_write_is_refused(self):
        def close():
            campaign_close(
                campaign=fresh(self.campaign), reason="manual", by=self.volunteer
            )

        with self.meanwhile(close):
            response = self.post()
        self.assertContains(response, "The collection is over", status_code=409)
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)

    def test_a_deadline_moved_into_the_past_just_before_the_write_is_refused(self):
        def end():
            past = timezone.now() - timedelta(minutes=1)
            Campaign.objects.filter(pk=self.campaign.pk).update(deadline=past)

        with self.meanwhile(end):
            response = self.post()
        self.assertEqual(response.status_code, 409)
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)

    def test_a_campaign_no_longer_stopping_at_its_goal_takes_the_pledge(self):
        receive(pledge(self.campaign, "2490"))

        def keep_open():
            Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=False)
            receive(pledge(self.campaign, "10"))  # the goal is collected...

        with self.meanwhile(keep_open):
            response = self.post()
        self.assertEqual(response.status_code, 303)  # ...but it goes on
        self.assertEqual(Pledge.objects.count(), 3)
        self.assertTotalsExact(self.campaign)

    def test_a_campaign_without_budget_lines_refuses(self):
        # No goal yet: nothing to pledge towards (and no line rows to read).
        self.campaign.lines.all().delete()
        response = self.post()
        self.assertEqual(response.status_code, 409)
        self.assertFalse(Pledge.objects.exists())

    def test_an_unpublished_or_unknown_campaign_is_not_found(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(published=False)
        self.assertEqual(self.post().status_code, 404)
        self.url = reverse("donations:pledge", args=["nobody"])
        self.assertEqual(self.post().status_code, 404)
        self.assertFalse(Pledge.objects.exists())

    def test_a_manually_closed_campaign_refuses(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        response = self.post()
        self.assertEqual(response.status_code, 409)
        self.assertFalse(Pledge.objects.exists())

    # The one-time token ----------------------------------------------------

    def test_posting_the_same_form_twice_creates_one_pledge(self):
        token = self.load_form()
        first = self.post(token=token, amount="50")
        second = self.post(token=token, amount="100")
        self.assertEqual(first.status_code, 303)
        self.assertEqual(second.status_code, 303)
        self.assertEqual(first["Location"], second["Location"])
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertEqual(fresh(self.campaign).promised.amount, Decimal("50.00"))

    def test_resubmitting_the_crossing_pledge_shows_it_rather_than_refusing(self):
        token = self.load_form()
        self.post(token=token, other_amount="2500")
        response = self.post(token=token, other_amount="2500")
        self.assertEqual(response.status_code, 303)
        self.assertEqual(Pledge.objects.count(), 1)

    def test_a_token_raced_into_the_database_finds_the_pledge_made(self):
        # The token is not looked up before the write: its unique index refuses
        # the second insert, and only then is the pledge it made found.
        made = pledge(self.campaign, "10", token="r" * 32)
        found = pledge(self.campaign, "10", token="r" * 32)
        self.assertEqual(found.pk, made.pk)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_write_that_keeps_failing_is_not_taken_for_a_pledge(self):
        write = "_pledge_in_one_statement" if PG else "_pledge_locked"
        with (
            mock.patch(f"donations.pledging.{write}", side_effect=IntegrityError),
            self.assertRaises(IntegrityError),
        ):
            pledge(self.campaign, "10", token="s" * 32)
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)
