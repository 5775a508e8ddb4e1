"""Bank statements matched with pledges: what a volunteer who imports one
finds sorted, and what confirming records (donations/statements.py)."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from campaigns.models import Activity, Campaign
from donations import statements
from donations.models import Pledge, StatementEntry, StatementImport
from donations.pledging import expire_pledges, pledge_cancel
from donations.privacy import purge_donor_data
from tests.donations.bankstatements import (
    IBAN,
    OTHER_IBAN,
    Transfer,
    camt053,
    polish_csv,
)
from tests.donations.base import pledge, receive
from tests.teams.base import TeamTestCase


def coded(campaign: Campaign, amount: str, code: str) -> Pledge:
    """A pledge whose reference code the test chooses."""
    made = pledge(campaign, amount)
    Pledge.objects.filter(pk=made.pk).update(reference=code)
    made.refresh_from_db()
    return made


class FindingCodesTests(TeamTestCase):
    """A reference code anywhere in a title, however the donor typed it."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.made = coded(cls.campaign, "50", "H88PMGW3")
        cls.index = statements.PledgeIndex.load([cls.campaign.pk, cls.other.pk])

    def found(self, title: str):
        return self.index.find(title)

    def test_it_reads_a_code_with_a_label_lower_case_and_dashes(self):
        for title in (
            "H88PMGW3",
            "Ref: h88p-mgw3",
            "darowizna H88P MGW3 dla Konstantina",
            "Н88РМGW3",  # typed on a Cyrillic keyboard
            "ZBOR H88P\nMGW3",  # split across two lines of the title
        ):
            with self.subTest(title=title):
                self.assertEqual(self.found(title), ("H88PMGW3", "exact"))

    def test_one_wrong_character_points_at_the_one_pending_pledge(self):
        self.assertEqual(self.found("ref H88PMGW8 rent"), ("H88PMGW3", "typo"))
        self.assertEqual(self.found("H88P-MGX3"), ("H88PMGW3", "typo"))

    def test_a_typo_is_no_match_when_it_could_be_two_pledges(self):
        coded(self.campaign, "20", "H88PMGW4")
        index = statements.PledgeIndex.load([self.campaign.pk])
        self.assertIsNone(index.find("H88PMGW9"))

    def test_a_typo_never_points_at_a_pledge_already_received(self):
        receive(self.made)
        index = statements.PledgeIndex.load([self.campaign.pk])
        self.assertIsNone(index.find("H88PMGW8"))
        self.assertEqual(index.find("H88PMGW3"), ("H88PMGW3", "exact"))

    def test_words_of_a_title_are_not_taken_for_a_code(self):
        self.assertIsNone(self.found("Darowizna na czynsz, styczeń"))
        self.assertIsNone(self.found(""))

    def test_a_title_naming_two_pledges_is_left_to_a_person(self):
        coded(self.campaign, "20", "K7M2XQ9P")
        index = statements.PledgeIndex.load([self.campaign.pk])
        self.assertIsNone(index.find("H88PMGW3 K7M2XQ9P"))


class StatementTestCase(TeamTestCase):
    """Both teams' campaigns are paid into one foundation account."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Campaign.objects.filter(pk__in=[cls.campaign.pk, cls.other.pk]).update(
            iban=IBAN, account_holder="Fundacja Zbor"
        )
        cls.rent_pledge = coded(cls.campaign, "50", "H88PMGW3")
        cls.food_pledge = coded(cls.campaign, "120", "K7M2XQ9P")
        cls.others_pledge = coded(cls.other, "30", "R4T6W8YZ")

    def bring(self, *transfers: Transfer, user=None, **kwargs):
        return statements.import_statement(
            data=camt053(*transfers), by=user or self.volunteer, **kwargs
        )

    def review(self, result, user=None):
        return statements.review(result.statement, user or self.organizer)

    def confirm_all(self, review, user=None, **kwargs):
        receipts = {
            row.entry.pk: row.seen
            for row in review.matched + review.doubtful
            if row.can_confirm
        }
        return statements.confirm(
            statement=review.statement,
            user=user or self.organizer,
            receipts=receipts,
            **kwargs,
        )


class ImportTests(StatementTestCase):
    def test_each_credit_is_stored_once_pointing_at_its_pledge(self):
        result = self.bring(
            Transfer("50.00", "Ref: h88p-mgw3"),
            Transfer("30.00", "R4T6W8YZ dental"),
            Transfer("10.00", "for Konstantin"),
        )
        self.assertEqual((result.new, result.known, result.skipped), (3, 0, 0))
        found = {
            entry.amount.amount: (entry.pledge_id, entry.campaign_id)
            for entry in result.statement.entries.all()
        }
        self.assertEqual(
            found,
            {
                Decimal("50.00"): (self.rent_pledge.pk, self.campaign.pk),
                Decimal("30.00"): (self.others_pledge.pk, self.other.pk),
                Decimal("10.00"): (None, None),
            },
        )

    def test_importing_the_same_statement_again_adds_nothing(self):
        transfers = [Transfer("50.00", "H88PMGW3"), Transfer("10.00", "gift")]
        self.bring(*transfers)
        again = self.bring(*transfers)
        self.assertEqual((again.new, again.known), (0, 2))
        self.assertEqual(StatementEntry.objects.count(), 2)

    def test_an_overlapping_statement_adds_only_the_new_days(self):
        first = Transfer("50.00", "H88PMGW3", booked=date(2026, 11, 29), ref="A1")
        second = Transfer("120.00", "K7M2XQ9P", booked=date(2026, 11, 30), ref="A2")
        self.bring(first)
        overlapping = self.bring(first, second)
        self.assertEqual((overlapping.new, overlapping.known), (1, 1))

    def test_two_identical_transfers_without_a_bank_reference_stay_two(self):
        same = Transfer("10.00", "gift", ref="NOREF")
        data = polish_csv(same, same)
        mapping = _polish_mapping()
        result = statements.import_statement(
            data=data, by=self.volunteer, account=IBAN, csv_mapping=mapping
        )
        again = statements.import_statement(data=data, by=self.volunteer, account=IBAN)
        self.assertEqual((result.new, again.new, again.known), (2, 0, 2))

    def test_debits_reversals_and_other_currencies_are_not_money_in(self):
        result = self.bring(
            Transfer("50.00", "H88PMGW3"),
            Transfer("12.00", "bank fee", debit=True),
            Transfer("50.00", "H88PMGW3 returned", reversal=True, ref="RV1"),
            Transfer("50.00", "H88PMGW3", currency="USD", ref="US1"),
        )
        self.assertEqual((result.new, result.skipped), (1, 3))

    def test_a_statement_of_an_account_no_campaign_uses_is_refused(self):
        with self.assertRaises(statements.StatementRefused) as refused:
            statements.import_statement(
                data=camt053(Transfer("5.00", "x"), iban=OTHER_IBAN),
                by=self.volunteer,
            )
        self.assertEqual(refused.exception.code, "unknown_account")
        self.assertIn(OTHER_IBAN, refused.exception.message)
        self.assertFalse(StatementImport.objects.exists())

    def test_a_volunteer_cannot_import_for_an_account_of_other_teams_only(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(iban=OTHER_IBAN)
        reachable = Campaign.objects.filter(pk=self.campaign.pk)
        with self.assertRaises(statements.StatementRefused) as refused:
            self.bring(Transfer("5.00", "x"), reachable=reachable)
        self.assertEqual(refused.exception.code, "unknown_account")

    def test_a_statement_in_another_currency_is_refused(self):
        with self.assertRaises(statements.StatementRefused) as refused:
            statements.import_statement(
                data=camt053(Transfer("5.00", "x", currency="PLN"), currency="PLN"),
                by=self.volunteer,
            )
        self.assertEqual(refused.exception.code, "other_currency")
        self.assertFalse(StatementEntry.objects.exists())

    def test_a_statement_without_money_in_is_refused(self):
        with self.assertRaises(statements.StatementRefused) as refused:
            self.bring(Transfer("12.00", "bank fee", debit=True))
        self.assertEqual(refused.exception.code, "no_credits")
        self.assertFalse(StatementImport.objects.exists())

    def test_a_chosen_account_must_be_the_statements_own(self):
        Campaign.objects.filter(pk=self.other.pk).update(iban=OTHER_IBAN)
        with self.assertRaises(statements.StatementRefused) as refused:
            self.bring(Transfer("5.00", "x"), account=OTHER_IBAN)
        self.assertEqual(refused.exception.code, "other_account")

    def test_a_csv_without_a_currency_column_is_in_the_accounts_currency(self):
        mapping = dataclasses.replace(_polish_mapping(), currency="")
        result = statements.import_statement(
            data=polish_csv(Transfer("50.00", "H88PMGW3")),
            by=self.volunteer,
            account=IBAN,
            csv_mapping=mapping,
        )
        entry = result.statement.entries.get()
        self.assertEqual(entry.amount.currency.code, "EUR")
        self.assertEqual(entry.pledge, self.rent_pledge)

    def test_a_csv_mapping_is_remembered_for_the_account(self):
        data = polish_csv(Transfer("50.00", "H88PMGW3"))
        statements.import_statement(
            data=data, by=self.volunteer, account=IBAN, csv_mapping=_polish_mapping()
        )
        second = polish_csv(Transfer("120.00", "K7M2XQ9P", ref="x"))
        result = statements.import_statement(
            data=second, by=self.volunteer, account=IBAN
        )
        self.assertEqual(result.statement.entries.get().pledge, self.food_pledge)


def _polish_mapping():
    from donations.bankfiles import CsvMapping

    return CsvMapping(
        date="Data operacji",
        amount="Kwota",
        title="Tytuł",
        counterparty="Nadawca",
        currency="Waluta",
        delimiter=";",
    )


class ReviewTests(StatementTestCase):
    def verdicts(self, review) -> dict[str, list[str]]:
        return {
            name: sorted(str(row.entry.amount.amount) for row in getattr(review, name))
            for name in ("matched", "doubtful", "unmatched", "done")
        }

    def test_it_sorts_entries_by_what_a_person_must_check(self):
        cancelled = coded(self.campaign, "20", "C4NCEX77")
        pledge_cancel(pledge=cancelled, reason="changed mind", by=self.volunteer)
        result = self.bring(
            Transfer("49.30", "H88PMGW3"),  # a bank fee took 0.70: still matched
            Transfer("60.00", "K7M2XQ8P"),  # typo, and half the pledge
            Transfer("20.00", "C4NCEX77"),  # cancelled before the money came
            Transfer("15.00", "for food"),
        )
        review = self.review(result)
        self.assertEqual(
            self.verdicts(review),
            {
                "matched": ["49.30"],
                "doubtful": ["20.00", "60.00"],
                "unmatched": ["15.00"],
                "done": [],
            },
        )
        typo = next(r for r in review.doubtful if r.pledge == self.food_pledge)
        self.assertEqual(len(typo.reasons), 2, typo.reasons)
        self.assertTrue(review.matched[0].is_preselected)

    def test_an_expired_pledge_and_a_received_one_are_doubtful(self):
        receive(self.food_pledge)
        Pledge.objects.filter(pk=self.rent_pledge.pk).update(
            created_at=timezone.now() - timedelta(days=60)
        )
        expire_pledges()
        review = self.review(
            self.bring(Transfer("50.00", "H88PMGW3"), Transfer("120.00", "K7M2XQ9P"))
        )
        reasons = " ".join(r for row in review.doubtful for r in row.reasons)
        self.assertEqual(len(review.doubtful), 2)
        self.assertIn("expired", reasons)
        self.assertIn("already received", reasons)

    def test_two_transfers_for_one_reference_are_shown_as_adding_up(self):
        review = self.review(
            self.bring(
                Transfer("60.00", "K7M2XQ9P part 1", ref="P1"),
                Transfer("60.00", "K7M2XQ9P part 2", ref="P2"),
            )
        )
        self.assertEqual(len(review.doubtful), 2)
        self.assertIn("add up", review.doubtful[0].reasons[-1])

    def test_each_team_sees_only_its_own_entries(self):
        result = self.bring(
            Transfer("50.00", "H88PMGW3"),
            Transfer("30.00", "R4T6W8YZ"),
            Transfer("15.00", "for food"),
        )
        volunteer = self.review(result, self.volunteer)
        self.assertEqual(self.verdicts(volunteer)["matched"], ["50.00"])
        # Unplaced money is for organizers of the account's campaigns only.
        self.assertEqual(
            (volunteer.unmatched, volunteer.hidden, volunteer.unplaced), ([], 1, 1)
        )
        other = self.review(result, self.other_organizer)
        self.assertEqual(self.verdicts(other)["matched"], ["30.00"])
        self.assertEqual(len(other.unmatched), 1)
        stranger = self.review(result, self.stranger)
        self.assertEqual((stranger.hidden, stranger.unplaced), (2, 1))

    def test_the_payers_name_is_shown_to_those_who_see_donors(self):
        review = self.review(self.bring(Transfer("50.00", "H88PMGW3")))
        self.assertEqual(review.matched[0].counterparty, "Anna Nowak")


class ConfirmTests(StatementTestCase):
    def test_confirming_records_the_money_that_arrived_through_the_desks_rules(self):
        result = self.bring(
            Transfer("49.30", "H88PMGW3"), Transfer("30.00", "R4T6W8YZ")
        )
        done = self.confirm_all(self.review(result))
        self.assertEqual((done.received, done.skipped), (1, []))
        self.rent_pledge.refresh_from_db()
        self.assertEqual(self.rent_pledge.status, Pledge.Status.RECEIVED)
        self.assertEqual(self.rent_pledge.received_amount.amount, Decimal("49.30"))
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("49.30"))
        (record,) = self.records(Activity.Action.PLEDGE_RECEIVED)
        entry = self.rent_pledge.statement_entries.get()
        self.assertEqual(record.details["statement_entry"], entry.label)
        self.assertNotIn("Anna", entry.label)
        self.assertEqual(statements.entries_paying(self.rent_pledge), [entry])
        # The other team's entry waits for the other team.
        self.others_pledge.refresh_from_db()
        self.assertEqual(self.others_pledge.status, Pledge.Status.PENDING)

    def test_two_partial_transfers_add_up(self):
        review = self.review(
            self.bring(
                Transfer("60.00", "K7M2XQ9P", ref="P1"),
                Transfer("60.00", "K7M2XQ9P", ref="P2"),
            )
        )
        self.confirm_all(review)
        self.food_pledge.refresh_from_db()
        self.assertEqual(self.food_pledge.received_amount.amount, Decimal("120.00"))
        self.assertTotalsExact(self.campaign)

    def test_a_later_transfer_for_a_received_pledge_adds_to_it(self):
        self.confirm_all(self.review(self.bring(Transfer("60.00", "K7M2XQ9P"))))
        later = self.review(self.bring(Transfer("60.00", "K7M2XQ9P", ref="LATER")))
        self.assertEqual(len(later.doubtful), 1)
        self.confirm_all(later)
        self.food_pledge.refresh_from_db()
        self.assertEqual(self.food_pledge.received_amount.amount, Decimal("120.00"))
        self.assertEqual(len(statements.entries_paying(self.food_pledge)), 2)
        self.assertTotalsExact(self.campaign)

    def test_money_the_desk_recorded_meanwhile_is_not_added_again(self):
        review = self.review(self.bring(Transfer("50.00", "H88PMGW3")))
        receive(self.rent_pledge, by=self.volunteer)  # typed at the desk
        done = self.confirm_all(review)
        self.assertEqual(done.received, 0)
        self.assertIn("changed since", done.skipped[0][1])
        self.rent_pledge.refresh_from_db()
        self.assertEqual(self.rent_pledge.received_amount.amount, Decimal("50.00"))
        self.assertTotalsExact(self.campaign)

    def test_confirming_twice_records_once(self):
        review = self.review(self.bring(Transfer("50.00", "H88PMGW3")))
        self.confirm_all(review)
        again = self.confirm_all(review)
        self.assertEqual(again.recorded, 0)
        self.assertEqual(len(self.records(Activity.Action.PLEDGE_RECEIVED)), 1)

    def test_a_volunteer_cannot_confirm_another_teams_entry(self):
        result = self.bring(Transfer("30.00", "R4T6W8YZ"))
        entry = result.statement.entries.get()
        done = statements.confirm(
            statement=result.statement,
            user=self.volunteer,
            receipts={entry.pk: "pending"},
        )
        self.assertEqual(done.received, 0)
        self.others_pledge.refresh_from_db()
        self.assertEqual(self.others_pledge.status, Pledge.Status.PENDING)

    def test_the_receipt_that_reaches_the_goal_closes_the_collection_once(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=True)
        big = coded(self.campaign, "2450", "B2GGFT22")
        review = self.review(
            self.bring(
                Transfer("50.00", "H88PMGW3"), Transfer("2450.00", big.reference)
            )
        )
        self.confirm_all(review)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertTrue(campaign.is_closed())
        self.assertEqual(len(self.records(Activity.Action.CLOSED)), 1)

    def test_an_unplaced_credit_becomes_a_gift_to_the_chosen_line(self):
        result = self.bring(Transfer("15.00", "for food"))
        entry = result.statement.entries.get()
        done = statements.confirm(
            statement=result.statement,
            user=self.organizer,
            receipts={},
            gifts={entry.pk: (self.campaign.pk, self.food.pk)},
        )
        self.assertEqual(done.gifts, 1)
        entry.refresh_from_db()
        self.assertEqual(entry.pledge.kind, Pledge.Kind.GIFT)
        self.assertEqual(entry.pledge.line, self.food)
        self.assertEqual(self.assertTotalsExact(self.campaign).collected.amount, 15)

    def test_a_gift_cannot_go_to_a_campaign_of_another_account(self):
        Campaign.objects.filter(pk=self.other.pk).update(iban=OTHER_IBAN)
        result = self.bring(Transfer("15.00", "for food"))
        entry = result.statement.entries.get()
        done = statements.confirm(
            statement=result.statement,
            user=self.superuser,
            receipts={},
            gifts={entry.pk: (self.other.pk, None)},
        )
        self.assertEqual((done.gifts, len(done.skipped)), (0, 1))
        self.assertEqual(fresh_collected(self.other), 0)


def fresh_collected(campaign) -> Decimal:
    return Campaign.objects.get(pk=campaign.pk).collected.amount


class PurgeTests(StatementTestCase):
    def test_the_purge_clears_payers_names_and_titles(self):
        result = self.bring(
            Transfer("50.00", "H88PMGW3 od Anny"),
            Transfer("15.00", "for food", booked=date(2026, 1, 5)),
        )
        self.confirm_all(self.review(result))
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() - timedelta(days=200)
        )
        purged = purge_donor_data(retention=timedelta(days=90))
        self.assertEqual(purged.entries, 2)
        self.assertFalse(
            StatementEntry.objects.exclude(counterparty="", title="").exists()
        )


class CommandTests(StatementTestCase):
    def run_command(self, data: bytes, *args) -> str:
        path = self.tmp_path / "statement.xml"
        path.write_bytes(data)
        out = StringIO()
        call_command("import_statement", str(path), *args, stdout=out)
        return out.getvalue()

    def setUp(self):
        import tempfile
        from pathlib import Path

        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        self.tmp_path = Path(folder.name)

    def test_it_prints_each_entry_and_records_matched_ones_with_confirm(self):
        data = camt053(
            Transfer("50.00", "H88PMGW3"),
            Transfer("60.00", "K7M2XQ9P"),
            Transfer("15.00", "for food"),
        )
        output = self.run_command(data, "--confirm")
        self.assertRegex(output, r"matched +2026-11-30 +50\.00 EUR H88PMGW3")
        self.assertRegex(output, r"doubtful +2026-11-30 +60\.00 EUR K7M2XQ9P")
        self.assertRegex(output, r"unmatched +2026-11-30 +15\.00 EUR -")
        self.assertIn("3 new entries (1 matched, 1 doubtful, 1 unmatched)", output)
        self.assertIn("Recorded 1 matched entries.", output)
        self.rent_pledge.refresh_from_db()
        self.food_pledge.refresh_from_db()
        self.assertEqual(
            (self.rent_pledge.status, self.food_pledge.status), ("received", "pending")
        )
        again = self.run_command(data, "--confirm")
        self.assertIn("0 new entries", again)
        self.assertIn("3 already known", again)
        self.assertRegex(again, r"known +2026-11-30 +50\.00 EUR")

    def test_a_file_of_another_account_is_a_clear_error(self):
        with self.assertRaisesMessage(CommandError, OTHER_IBAN):
            self.run_command(camt053(Transfer("5.00", "x"), iban=OTHER_IBAN))
