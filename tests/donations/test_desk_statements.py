"""The desk's bank statements: who may import, each bad file refused beside
its field with nothing stored, the CSV columns chosen once per account, the
review sorted by what a person must check, and one confirmation that records
the money exactly once, however hurried or hostile the hands on it."""

from __future__ import annotations

import base64
from decimal import Decimal
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from campaigns.models import Activity, Campaign, TeamMember
from donations import statements
from donations.models import BankAccount, Pledge, StatementEntry, StatementImport
from tests.base import make_campaign
from tests.donations.bankstatements import (
    IBAN,
    OTHER_IBAN,
    POLISH_CSV_HEADER,
    Transfer,
    camt053,
    polish_csv,
)
from tests.donations.base import pledge, receive
from tests.teams.base import TeamTestCase

A = Activity.Action

XML_BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<Document>&lol3;</Document>
"""
EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<Document>&x;</Document>
"""
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08"


def coded(campaign: Campaign, amount: str, code: str) -> Pledge:
    """A pledge whose reference code the test chooses."""
    made = pledge(campaign, amount)
    Pledge.objects.filter(pk=made.pk).update(reference=code)
    made.refresh_from_db()
    return made


def upload(data: bytes, name: str = "statement.xml") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


class DeskStatementTestCase(TeamTestCase):
    """Both teams' campaigns are paid into one foundation account: olga
    organizes the seed campaign (viktor volunteers on it), otto the other."""

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Campaign.objects.filter(pk__in=[cls.campaign.pk, cls.other.pk]).update(
            iban=IBAN, account_holder="Fundacja Zbor"
        )
        cls.rent_pledge = coded(cls.campaign, "50", "H88PMGW3")
        cls.food_pledge = coded(cls.campaign, "120", "K7M2XQ9P")
        cls.others_pledge = coded(cls.other, "30", "R4T6W8YZ")

    def setUp(self):
        self.client.force_login(self.volunteer)

    def url(self, name: str = "desk_statements", *args, language: str = "en") -> str:
        with translation.override(language):
            return reverse(f"donations:{name}", args=args)

    def review_url(self, statement: StatementImport, language: str = "en") -> str:
        return self.url("desk_statement", statement.pk, language=language)

    def post_file(self, data: bytes, *, name="statement.xml", account=IBAN, **kw):
        language = kw.pop("language", "en")
        return self.client.post(
            self.url("desk_statements", language=language),
            {"account": account, "file": upload(data, name)},
            **kw,
        )

    def bring(self, *transfers: Transfer, user=None) -> StatementImport:
        """Import through the page, as `user`; returns the new import."""
        if user is not None:
            self.client.force_login(user)
        response = self.post_file(camt053(*transfers))
        statement = StatementImport.objects.latest("pk")
        self.assertRedirects(response, self.review_url(statement))
        return statement

    def stored(self) -> list:
        """Everything an import or a confirmation could store or change."""
        return [
            BankAccount.objects.count(),
            list(BankAccount.objects.values_list("csv_mapping", flat=True)),
            StatementImport.objects.count(),
            list(
                StatementEntry.objects.order_by("pk").values_list("status", "pledge_id")
            ),
            list(
                Pledge.objects.order_by("pk").values_list("status", "received_amount")
            ),
            list(Campaign.objects.order_by("pk").values_list("collected", "promised")),
            Activity.objects.count(),
        ]

    def assertRefusedBeside(self, response, field: str, code: str) -> None:
        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors.as_data()
        self.assertIn(field, errors, errors)
        self.assertEqual([error.code for error in errors[field]], [code])

    def messages(self, response) -> list[str]:
        return [str(message) for message in response.context["messages"]]

    def fresh(self, made: Pledge) -> Pledge:
        return Pledge.objects.get(pk=made.pk)

    def collected(self, campaign: Campaign | None = None) -> Decimal:
        return self.assertTotalsExact(campaign or self.campaign).collected.amount

    def entry(self, statement: StatementImport, amount: str) -> StatementEntry:
        return statement.entries.get(amount=Decimal(amount))

    def confirm(self, statement: StatementImport, data: dict, **kwargs):
        return self.client.post(self.review_url(statement), data, **kwargs)

    def take(self, statement: StatementImport, *entries: StatementEntry) -> dict:
        """The confirm form's data ticking these entries, as the page showed
        them (each with its hidden seen field)."""
        form = self.client.get(self.review_url(statement)).context["form"]
        data = {}
        for entry in entries:
            data[f"take_{entry.pk}"] = "on"
            data[f"seen_{entry.pk}"] = form[f"seen_{entry.pk}"].value()
        return data


class AccessTests(DeskStatementTestCase):
    def test_anonymous_visitors_are_sent_to_log_in(self):
        self.client.logout()
        response = self.client.get(self.url())
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("admin:login"), response["Location"])

    def test_a_team_whose_campaigns_have_no_iban_may_not_import(self):
        Campaign.objects.update(iban="")
        self.assertEqual(self.client.get(self.url()).status_code, 403)
        response = self.post_file(camt053(Transfer("50.00", "H88PMGW3")))
        self.assertEqual(response.status_code, 403)
        self.assertFalse(StatementImport.objects.exists())
        # The desk does not offer what it would refuse.
        desk = self.client.get(reverse("donations:desk"))
        self.assertNotContains(desk, self.url())

    def test_staff_in_no_team_may_not_import(self):
        self.client.force_login(self.stranger)
        self.assertEqual(self.client.get(self.url()).status_code, 403)

    def test_the_desk_leads_to_the_statements(self):
        self.assertContains(self.client.get(reverse("donations:desk")), self.url())

    def test_another_teams_import_does_not_exist_for_them(self):
        statement = self.bring(Transfer("50.00", "H88PMGW3"))
        Campaign.objects.filter(pk=self.other.pk).update(iban=OTHER_IBAN)
        self.client.force_login(self.other_organizer)
        self.assertEqual(self.client.get(self.review_url(statement)).status_code, 404)
        before = self.stored()
        entry = statement.entries.get()
        response = self.confirm(
            statement, {f"take_{entry.pk}": "on", f"seen_{entry.pk}": "pending"}
        )
        self.assertEqual(response.status_code, 404)
        self.assertEqual(self.stored(), before)
        # Nor is it in their list of recent imports.
        self.assertNotContains(self.client.get(self.url()), self.review_url(statement))

    def test_methods_are_checked(self):
        self.assertEqual(self.client.put(self.url()).status_code, 405)
        self.assertEqual(
            self.client.get(self.url("desk_statement_columns")).status_code, 405
        )
        statement = self.bring(Transfer("50.00", "H88PMGW3"))
        self.assertEqual(
            self.client.delete(self.review_url(statement)).status_code, 405
        )


class UploadFormTests(DeskStatementTestCase):
    def test_the_one_account_is_chosen_already_and_named_by_its_campaigns(self):
        response = self.client.get(self.url())
        self.assertContains(response, 'enctype="multipart/form-data"')
        self.assertContains(
            response,
            f'<option value="{IBAN}" selected>PL61 1090 1014 0000 0712 1981 2874 '
            f"({self.campaign.title})</option>",
            html=True,
        )
        self.assertContains(response, "No statement imported yet.")

    def test_recent_imports_say_how_many_entries_wait(self):
        statement = self.bring(
            Transfer("50.00", "H88PMGW3"), Transfer("120.00", "K7M2XQ9P")
        )
        response = self.client.get(self.url())
        self.assertContains(response, self.review_url(statement))
        self.assertContains(response, "New: 2 · already imported: 0 · waiting: 2")


class BadFileTests(DeskStatementTestCase):
    """Each refused file: 400, the message beside its field, nothing stored."""

    def assertRefused(self, data: bytes, field: str, code: str, text: str, **kw):
        before = self.stored()
        response = self.post_file(data, **kw)
        self.assertRefusedBeside(response, field, code)
        self.assertContains(response, text, status_code=400)
        self.assertEqual(self.stored(), before)
        return response

    def test_a_file_that_is_not_a_statement(self):
        self.assertRefused(
            b"Dear team, thank you!\n",
            "file",
            "not_a_statement",
            "not a bank statement",
        )

    def test_a_picture_renamed_to_xml(self):
        self.assertRefused(
            PNG, "file", "not_a_statement", "not a bank statement", name="camt.xml"
        )

    def test_an_xml_bomb_and_an_external_entity(self):
        for data in (XML_BOMB, EXTERNAL_ENTITY):
            with self.subTest(data=data[:60]):
                self.assertRefused(data, "file", "unsafe_xml", "DTD")

    def test_a_file_over_the_limit_is_refused_before_it_is_read(self):
        data = camt053(Transfer("50.00", "H88PMGW3"))
        with mock.patch("donations.bankfiles.MAX_FILE_BYTES", len(data) - 1):
            self.assertRefused(data, "file", "too_large", "Export a shorter period")

    def test_an_empty_file(self):
        self.assertRefused(b"", "file", "empty", "empty")

    def test_a_statement_of_another_account(self):
        data = camt053(Transfer("50.00", "H88PMGW3"), iban=OTHER_IBAN)
        response = self.assertRefused(data, "account", "other_account", OTHER_IBAN)
        self.assertContains(response, "Choose the right account", status_code=400)

    def test_a_statement_of_an_account_no_campaign_of_theirs_uses(self):
        # Two accounts: the volunteer may leave the choice to the file.
        second = TeamMember.objects.create(
            campaign=_campaign_paid_into("LT601010012345678901", slug="third"),
            user=self.volunteer,
            role=TeamMember.Role.VOLUNTEER,
        )
        self.assertTrue(second.pk)
        data = camt053(Transfer("50.00", "H88PMGW3"), iban=OTHER_IBAN)
        self.assertRefused(
            data, "file", "unknown_account", "none of your campaigns", account=""
        )

    def test_a_statement_in_another_currency(self):
        data = camt053(Transfer("50.00", "H88PMGW3", currency="PLN"), currency="PLN")
        self.assertRefused(data, "file", "other_currency", "This statement is in PLN")

    def test_a_statement_without_money_in(self):
        data = camt053(Transfer("12.00", "bank fee", debit=True))
        self.assertRefused(data, "file", "no_credits", "no money received")

    def test_a_csv_file_needs_its_account_chosen(self):
        TeamMember.objects.create(
            campaign=_campaign_paid_into("LT601010012345678901", slug="third"),
            user=self.volunteer,
            role=TeamMember.Role.VOLUNTEER,
        )
        data = polish_csv(Transfer("50.00", "H88PMGW3"))
        self.assertRefused(
            data,
            "account",
            "no_account",
            "choose the account",
            account="",
            name="x.csv",
        )

    def test_an_account_that_is_not_theirs_is_not_a_choice(self):
        data = camt053(Transfer("30.00", "R4T6W8YZ"), iban=OTHER_IBAN)
        Campaign.objects.filter(pk=self.other.pk).update(iban=OTHER_IBAN)
        self.assertRefused(
            data,
            "account",
            "invalid_choice",
            "Select a valid choice",
            account=OTHER_IBAN,
        )


def _campaign_paid_into(iban: str, slug: str, currency: str = "EUR") -> Campaign:
    return make_campaign(
        slug=slug,
        iban=iban,
        account_holder="Fundacja",
        lines=[("Rent", "500")],
        currency=currency,
    )


class CsvColumnsTests(DeskStatementTestCase):
    def csv(self, *transfers: Transfer) -> bytes:
        return polish_csv(*(transfers or (Transfer("50.00", "H88PMGW3"),)))

    def columns(self, response) -> dict:
        """The mapping form's data as the page offers it."""
        form = response.context["form"]
        data = {
            name: form[name].value() or ""
            for name in (
                "account",
                "filename",
                "date",
                "amount",
                "title",
                "counterparty",
                "currency",
                "direction",
                "reference",
            )
        }
        data["content"] = form.content_value
        return data

    def test_a_csv_of_a_new_account_asks_its_columns_guessed_from_the_header(self):
        before = self.stored()
        response = self.post_file(self.csv(), name="wyciag.csv")
        self.assertEqual(response.status_code, 200)
        self.assertTemplateUsed(response, "donations/desk/statement_columns.html")
        self.assertEqual(self.stored(), before)  # nothing before the columns
        data = self.columns(response)
        self.assertEqual(
            {key: data[key] for key in ("date", "amount", "title", "counterparty")},
            {
                "date": "Data operacji",
                "amount": "Kwota",
                "title": "Tytuł",
                "counterparty": "Nadawca",
            },
        )
        self.assertEqual(base64.b64decode(data["content"]), self.csv())
        # The file comes along: it is not asked for again.
        self.assertNotContains(response, 'type="file"')
        for column in POLISH_CSV_HEADER.split(";"):
            # One choice in each of the seven selects.
            self.assertContains(response, f'<option value="{column}"', count=7)

    def test_the_columns_chosen_import_and_are_remembered_for_the_account(self):
        data = self.columns(self.post_file(self.csv(), name="wyciag.csv"))
        response = self.client.post(self.url("desk_statement_columns"), data)
        statement = StatementImport.objects.get()
        self.assertRedirects(response, self.review_url(statement))
        self.assertEqual(statement.filename, "wyciag.csv")
        self.assertEqual(statement.entries.get().pledge, self.rent_pledge)
        saved = BankAccount.objects.get(iban=IBAN).csv_mapping
        self.assertEqual((saved["amount"], saved["delimiter"]), ("Kwota", ";"))
        # The next CSV of this account goes straight to the review.
        response = self.post_file(
            self.csv(Transfer("120.00", "K7M2XQ9P")), name="grudzien.csv"
        )
        latest = StatementImport.objects.latest("pk")
        self.assertRedirects(response, self.review_url(latest))
        self.assertEqual(latest.entries.get().pledge, self.food_pledge)

    def test_a_wrong_mapping_is_refused_and_stores_nothing(self):
        data = self.columns(self.post_file(self.csv(), name="wyciag.csv"))
        before = self.stored()
        data["amount"] = "Nadawca"  # the payer's names are no amounts
        data["counterparty"] = ""
        response = self.client.post(self.url("desk_statement_columns"), data)
        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors.as_data()
        self.assertEqual([e.code for e in errors["__all__"]], ["csv_mapping"])
        self.assertContains(response, "is not an amount", status_code=400)
        self.assertEqual(self.stored(), before)
        # Shown again with the file still carried and the choice kept.
        self.assertEqual(
            base64.b64decode(self.columns(response)["content"]), self.csv()
        )

    def test_one_column_cannot_hold_two_things(self):
        data = self.columns(self.post_file(self.csv(), name="wyciag.csv"))
        data["title"] = "Kwota"
        before = self.stored()
        response = self.client.post(self.url("desk_statement_columns"), data)
        self.assertRefusedBeside(response, "title", "same_column")
        self.assertEqual(self.stored(), before)

    def test_the_date_amount_and_title_must_be_chosen(self):
        data = self.columns(self.post_file(self.csv(), name="wyciag.csv"))
        data["title"] = ""
        before = self.stored()
        response = self.client.post(self.url("desk_statement_columns"), data)
        self.assertRefusedBeside(response, "title", "required")
        self.assertEqual(self.stored(), before)

    def test_the_carried_file_is_checked_like_an_upload(self):
        good = self.columns(self.post_file(self.csv(), name="wyciag.csv"))
        before = self.stored()
        for content, code in (
            ("not base64!", "required"),
            ("", "required"),
            (base64.b64encode(PNG).decode(), "not_a_statement"),
        ):
            with self.subTest(content=content):
                response = self.client.post(
                    self.url("desk_statement_columns"), {**good, "content": content}
                )
                self.assertRefusedBeside(response, "file", code)
                # The file is asked for again.
                self.assertContains(response, 'type="file"', status_code=400)
        with mock.patch("donations.bankfiles.MAX_FILE_BYTES", 10):
            response = self.client.post(self.url("desk_statement_columns"), good)
            self.assertRefusedBeside(response, "file", "too_large")
        self.assertEqual(self.stored(), before)

    def test_the_file_chosen_again_is_read(self):
        data = self.columns(self.post_file(self.csv(), name="wyciag.csv"))
        data["content"] = ""
        data["file"] = upload(self.csv(), "wyciag.csv")
        response = self.client.post(self.url("desk_statement_columns"), data)
        self.assertRedirects(response, self.review_url(StatementImport.objects.get()))

    def test_the_account_posted_must_be_theirs(self):
        data = self.columns(self.post_file(self.csv(), name="wyciag.csv"))
        data["account"] = OTHER_IBAN
        before = self.stored()
        response = self.client.post(self.url("desk_statement_columns"), data)
        self.assertRefusedBeside(response, "account", "invalid_choice")
        self.assertEqual(self.stored(), before)

    def test_a_saved_mapping_that_no_longer_fits_asks_again(self):
        BankAccount.objects.create(
            iban=IBAN,
            csv_mapping={
                "date": "Data",
                "amount": "Kwota",
                "title": "Opis",
                "delimiter": ";",
            },
        )
        response = self.post_file(self.csv(), name="wyciag.csv")
        self.assertTemplateUsed(response, "donations/desk/statement_columns.html")
        self.assertContains(response, "do not fit this file")
        self.assertEqual(self.columns(response)["amount"], "Kwota")  # kept
        self.assertFalse(StatementImport.objects.exists())


class ImportAndReviewTests(DeskStatementTestCase):
    def transfers(self) -> list[Transfer]:
        return [
            Transfer("49.30", "Ref: h88p-mgw3", payer="Anna Nowak"),  # a fee
            Transfer("60.00", "K7M2XQ8P", payer="Jan Kowalski"),  # typo, half
            Transfer("30.00", "R4T6W8YZ", payer="Ola Dentist"),  # other team's
            Transfer("15.00", "for food", payer="Piotr Bez Kodu"),  # no code
        ]

    def test_an_import_says_what_it_added_and_leads_to_the_review(self):
        response = self.post_file(camt053(*self.transfers()), follow=True)
        statement = StatementImport.objects.get()
        self.assertRedirects(response, self.review_url(statement))
        self.assertEqual(self.messages(response), ["4 new entries."])
        self.assertEqual(statement.uploaded_by, self.volunteer)
        self.assertEqual(statement.filename, "statement.xml")

    def test_the_organizer_sees_matched_doubtful_and_unmatched(self):
        statement = self.bring(*self.transfers(), user=self.organizer)
        response = self.client.get(self.review_url(statement))
        sections = response.context["sections"]
        amounts = {
            name: [str(line.row.entry.amount.amount) for line in lines]
            for name, lines in sections.items()
        }
        self.assertEqual(
            amounts,
            {
                "matched": ["49.30"],
                "doubtful": ["60.00"],
                "unmatched": ["15.00"],
                "done": [],
            },
        )
        self.assertContains(response, "1 entry belongs to other teams")
        matched = self.entry(statement, "49.30")
        doubtful = self.entry(statement, "60.00")
        unmatched = self.entry(statement, "15.00")
        # Matched is selected already; doubtful waits for a person, its why beside.
        self.assertContains(
            response,
            f'<input type="checkbox" name="take_{matched.pk}" '
            f'id="id_take_{matched.pk}" checked>',
            html=True,
        )
        self.assertContains(
            response,
            f'<input type="checkbox" name="take_{doubtful.pk}" '
            f'id="id_take_{doubtful.pk}">',
            html=True,
        )
        self.assertContains(response, "with one character wrong")
        self.assertContains(response, "€60 arrived; the pledge was €120.")
        # Every field has its label.
        self.assertContains(
            response,
            f'<label for="id_take_{matched.pk}" class="vCheckboxLabel">'
            "Record €49.30 for H88PMGW3</label>",
            html=True,
        )
        self.assertContains(response, f'<label for="id_gift_{unmatched.pk}">')
        # The unmatched credit may become a gift to a campaign or one of its lines.
        self.assertContains(
            response, '<option value="" selected>Leave it</option>', html=True
        )
        self.assertContains(
            response,
            f'<option value="{self.campaign.pk}:{self.food.pk}">'
            f"{self.campaign.title} — Food</option>",
            html=True,
        )
        self.assertContains(response, "Piotr Bez Kodu")
        self.assertNotContains(response, "Ola Dentist")
        self.assertNotContains(response, "R4T6W8YZ")
        self.assertContains(response, "Record the selected")

    def test_a_volunteer_sees_only_entries_of_their_campaigns(self):
        statement = self.bring(*self.transfers())
        response = self.client.get(self.review_url(statement))
        self.assertContains(response, "H88PMGW3")
        self.assertContains(response, "Anna Nowak")  # they see the donors
        self.assertContains(response, "1 entry belongs to other teams")
        # Money no code placed waits for an organizer, not for another team.
        self.assertContains(response, "1 entry names no pledge: an organizer")
        for hidden in ("R4T6W8YZ", "Ola Dentist", "Piotr Bez Kodu", "for food"):
            self.assertNotContains(response, hidden)
        self.assertNotContains(response, "gift_")
        self.assertEqual(response.context["sections"]["unmatched"], [])

    def test_money_no_campaign_of_theirs_can_take_has_no_choice(self):
        _campaign_paid_into(IBAN, slug="zloty", currency="PLN")
        statement = self.bring(
            Transfer("15.00", "for food"),
            Transfer("70.00", "na leki", currency="PLN", ref="PLN1"),
            user=self.superuser,
        )
        self.client.force_login(self.organizer)
        response = self.client.get(self.review_url(statement))
        euros, zlotys = self.entry(statement, "15.00"), self.entry(statement, "70.00")
        self.assertContains(response, f'name="gift_{euros.pk}"')
        self.assertNotContains(response, f'name="gift_{zlotys.pk}"')
        self.assertContains(
            response, "None of your campaigns collects in this currency"
        )

    def test_the_payer_and_title_are_hidden_where_the_review_hides_them(self):
        statement = self.bring(*self.transfers())
        review = statements.review

        def without_payers(*args, **kwargs):
            found = review(*args, **kwargs)
            for row in found.matched + found.doubtful:
                row.counterparty = row.title = None
            return found

        with mock.patch("donations.statements.review", without_payers):
            response = self.client.get(self.review_url(statement))
        self.assertNotContains(response, "Anna Nowak")
        self.assertNotContains(response, "Ref: h88p-mgw3")
        self.assertNotContains(response, "Transfer title")
        self.assertContains(response, "H88PMGW3")

    def test_the_same_file_again_adds_nothing_and_says_where_entries_wait(self):
        data = camt053(*self.transfers())
        self.post_file(data, follow=True)
        first = StatementImport.objects.get()
        before = list(StatementEntry.objects.values_list("pk", flat=True))
        response = self.post_file(data, follow=True)
        again = StatementImport.objects.latest("pk")
        self.assertRedirects(response, self.review_url(again))
        (message,) = self.messages(response)
        self.assertIn(
            "Nothing new: all 4 entries of this file were already imported.", message
        )
        self.assertIn(f'href="{self.review_url(first)}"', message)
        self.assertEqual(
            list(StatementEntry.objects.values_list("pk", flat=True)), before
        )
        self.assertEqual((again.entries_new, again.entries_known), (0, 4))
        self.assertContains(response, "Nothing in this statement waits for you.")

    def test_the_same_file_again_points_nowhere_once_nothing_waits_for_you(self):
        data = camt053(Transfer("50.00", "H88PMGW3"))
        self.post_file(data, follow=True)
        first = StatementImport.objects.get()
        entry = first.entries.get()
        self.client.post(
            self.review_url(first),
            {f"take_{entry.pk}": "on", f"seen_{entry.pk}": "pending"},
            follow=True,
        )
        response = self.post_file(data, follow=True)
        (message,) = self.messages(response)
        self.assertIn("Nothing new", message)
        self.assertNotIn("Still waiting", message)

    def test_an_overlapping_file_counts_the_known_entries(self):
        self.post_file(camt053(Transfer("50.00", "H88PMGW3", ref="A1")), follow=True)
        response = self.post_file(
            camt053(
                Transfer("50.00", "H88PMGW3", ref="A1"),
                Transfer("120.00", "K7M2XQ9P", ref="A2"),
            ),
            follow=True,
        )
        self.assertEqual(
            self.messages(response), ["1 new entry. 1 was already imported."]
        )

    def test_what_the_bank_file_says_is_shown_as_text(self):
        self.client.force_login(self.organizer)
        self.client.post(
            self.url(),
            {
                "account": IBAN,
                "file": upload(
                    camt053(Transfer("5.00", "<b>gift</b>", payer="<i>Ala</i>")),
                    'wyciag"><script>.xml',
                ),
            },
        )
        statement = StatementImport.objects.get()
        response = self.client.get(self.review_url(statement))
        self.assertContains(response, "&lt;b&gt;gift&lt;/b&gt;")
        self.assertContains(response, "&lt;i&gt;Ala&lt;/i&gt;")
        self.assertNotContains(response, "<script>")
        self.assertContains(response, "PL61 1090 1014 0000 0712 1981 2874")

    def test_the_reviews_queries_do_not_grow_with_its_entries(self):
        self.client.force_login(self.organizer)

        def queries(*transfers: Transfer) -> int:
            statement = self.bring(*transfers)
            with CaptureQueriesContext(connection) as captured:
                self.client.get(self.review_url(statement))
            return len(captured)

        few = queries(Transfer("49.30", "H88PMGW3"), Transfer("5.00", "gift"))
        many = queries(
            *(Transfer(f"{n}.00", "gift", ref=f"G{n}") for n in range(1, 9)),
            Transfer("120.00", "K7M2XQ9P"),
            Transfer("30.00", "R4T6W8YZ"),
        )
        self.assertEqual(few, many)

    def test_a_long_statement_is_reviewed_a_batch_at_a_time(self):
        self.client.force_login(self.organizer)
        with mock.patch("donations.statement_views.REVIEW_BATCH", 2):
            statement = self.bring(
                Transfer("49.30", "H88PMGW3"),
                Transfer("5.00", "gift", ref="G1"),
                Transfer("6.00", "gift", ref="G2"),
            )
            response = self.client.get(self.review_url(statement))
            self.assertContains(response, "1 more entry waits")
            self.assertEqual(len(response.context["form"].review.unmatched), 1)
            data = self.take(statement, self.entry(statement, "49.30"))
            self.confirm(statement, data)
            response = self.client.get(self.review_url(statement))
            self.assertEqual(len(response.context["form"].review.unmatched), 2)
            self.assertNotContains(response, "more entr")

    def test_the_review_works_in_the_staff_language(self):
        statement = self.bring(*self.transfers())
        response = self.client.get(self.review_url(statement, language="pl"))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, '<html lang="pl"')
        self.assertContains(response, "49,30")


class ConfirmTests(DeskStatementTestCase):
    def test_confirming_records_the_money_exactly_and_names_the_entry(self):
        statement = self.bring(
            Transfer("49.30", "H88PMGW3"), Transfer("60.00", "K7M2XQ8P")
        )
        matched = self.entry(statement, "49.30")
        response = self.confirm(statement, self.take(statement, matched), follow=True)
        self.assertRedirects(response, self.review_url(statement))
        self.assertEqual(self.messages(response), ["1 entry recorded as received."])
        made = self.fresh(self.rent_pledge)
        self.assertEqual(
            (made.status, made.received_amount.amount, made.received_by),
            (Pledge.Status.RECEIVED, Decimal("49.30"), self.volunteer),
        )
        self.assertEqual(self.collected(), Decimal("49.30"))
        (record,) = self.records(A.PLEDGE_RECEIVED)
        matched.refresh_from_db()
        self.assertEqual(record.details["statement_entry"], matched.label)
        self.assertEqual(record.actor, self.volunteer)
        # The doubtful one was not ticked: it still waits.
        self.assertEqual(self.fresh(self.food_pledge).status, Pledge.Status.PENDING)
        done = response.context["sections"]["done"]
        self.assertEqual([line.row.entry for line in done], [matched])
        self.assertContains(
            response, reverse("donations:desk_pledge", args=["H88PMGW3"])
        )

    def test_a_doubtful_amount_ticked_is_confirmed_by_the_tick(self):
        statement = self.bring(Transfer("60.00", "K7M2XQ9P"))
        doubtful = statement.entries.get()
        self.confirm(statement, self.take(statement, doubtful))
        made = self.fresh(self.food_pledge)
        self.assertEqual(made.received_amount.amount, Decimal("60.00"))
        (record,) = self.records(A.PLEDGE_RECEIVED)
        self.assertTrue(record.details["confirmed"])
        self.assertEqual(self.collected(), Decimal("60.00"))

    def test_nothing_ticked_records_nothing_and_says_so(self):
        statement = self.bring(Transfer("49.30", "H88PMGW3"))
        before = self.stored()
        response = self.confirm(statement, {}, follow=True)
        self.assertEqual(
            self.messages(response), ["Nothing was selected: nothing was recorded."]
        )
        self.assertEqual(self.stored(), before)

    def test_an_unmatched_credit_becomes_a_gift_to_the_chosen_line(self):
        statement = self.bring(Transfer("15.00", "for food"), user=self.organizer)
        entry = statement.entries.get()
        response = self.confirm(
            statement,
            {f"gift_{entry.pk}": f"{self.campaign.pk}:{self.food.pk}"},
            follow=True,
        )
        self.assertEqual(self.messages(response), ["1 entry recorded as a gift."])
        entry.refresh_from_db()
        gift = entry.pledge
        self.assertEqual(
            (gift.kind, gift.line, gift.received_amount.amount, entry.status),
            (Pledge.Kind.GIFT, self.food, Decimal("15.00"), "recorded"),
        )
        self.assertEqual(self.collected(), Decimal("15.00"))
        (record,) = self.records(A.GIFT_RECORDED)
        self.assertEqual(record.details["statement_entry"], entry.label)

    def test_a_gift_to_a_campaign_not_offered_is_refused_beside_the_choice(self):
        third = _campaign_paid_into(OTHER_IBAN, slug="third")
        statement = self.bring(Transfer("15.00", "for food"), user=self.organizer)
        entry = statement.entries.get()
        before = self.stored()
        response = self.confirm(statement, {f"gift_{entry.pk}": f"{third.pk}"})
        self.assertRefusedBeside(response, f"gift_{entry.pk}", "invalid_choice")
        self.assertContains(response, "Select a valid choice.", status_code=400)
        self.assertEqual(self.stored(), before)

    def test_money_the_desk_recorded_meanwhile_is_not_recorded_twice(self):
        statement = self.bring(Transfer("50.00", "H88PMGW3"))
        data = self.take(statement, statement.entries.get())  # the page is read
        receive(self.rent_pledge, by=self.organizer)  # … and the desk types it
        response = self.confirm(statement, data, follow=True)
        (message,) = self.messages(response)
        self.assertIn("H88PMGW3 changed since this page was loaded", message)
        self.assertEqual(self.fresh(self.rent_pledge).received_amount.amount, 50)
        self.assertEqual(self.collected(), Decimal("50.00"))
        self.assertEqual(len(self.records(A.PLEDGE_RECEIVED)), 1)
        # Shown again as doubtful: a further transfer for a received pledge?
        self.assertEqual(len(response.context["sections"]["doubtful"]), 1)

    def test_a_double_submit_records_once(self):
        statement = self.bring(Transfer("50.00", "H88PMGW3"))
        data = self.take(statement, statement.entries.get())
        self.confirm(statement, data, follow=True)
        response = self.confirm(statement, data, follow=True)
        (message,) = self.messages(response)
        self.assertIn("1 selected entry was recorded meanwhile", message)
        self.assertEqual(len(self.records(A.PLEDGE_RECEIVED)), 1)
        self.assertEqual(self.collected(), Decimal("50.00"))

    def test_a_tampered_seen_field_records_nothing(self):
        statement = self.bring(Transfer("50.00", "H88PMGW3"))
        entry = statement.entries.get()
        for seen in ("", "received:1", "x" * 40):
            with self.subTest(seen=seen):
                before = self.stored()
                response = self.confirm(
                    statement, {f"take_{entry.pk}": "on", f"seen_{entry.pk}": seen}
                )
                self.assertRedirects(response, self.review_url(statement))
                self.assertEqual(self.stored(), before)
        response = self.confirm(
            statement, {f"take_{entry.pk}": "on", f"seen_{entry.pk}": "x" * 41}
        )
        self.assertRefusedBeside(response, f"seen_{entry.pk}", "max_length")
        self.assertContains(
            response, "Please correct the error below.", status_code=400
        )

    def test_another_teams_entries_cannot_be_posted(self):
        statement = self.bring(
            Transfer("50.00", "H88PMGW3"),
            Transfer("30.00", "R4T6W8YZ"),
            Transfer("15.00", "for food"),
        )
        theirs = self.entry(statement, "30.00")
        unplaced = self.entry(statement, "15.00")
        before = self.stored()
        response = self.confirm(
            statement,
            {
                f"take_{theirs.pk}": "on",
                f"seen_{theirs.pk}": "pending",
                f"gift_{unplaced.pk}": f"{self.campaign.pk}",
            },
            follow=True,
        )
        self.assertEqual(self.stored(), before)
        (message,) = self.messages(response)
        self.assertIn("2 selected entries were recorded meanwhile", message)
        # An entry of another statement, posted to this one, neither.
        other_statement = self.bring(Transfer("120.00", "K7M2XQ9P"))
        entry = other_statement.entries.get()
        before = self.stored()
        self.confirm(
            statement, {f"take_{entry.pk}": "on", f"seen_{entry.pk}": "pending"}
        )
        self.assertEqual(self.stored(), before)

    def test_the_receipt_reaching_the_goal_says_the_collection_closed(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(stop_at_goal=True)
        big = coded(self.campaign, "2500", "B2GGFT22")
        statement = self.bring(Transfer("2500.00", big.reference))
        response = self.confirm(
            statement, self.take(statement, statement.entries.get()), follow=True
        )
        self.assertIn(
            f"{self.campaign.title}: the goal is collected: the collection is closed.",
            self.messages(response),
        )
        self.assertTrue(self.assertTotalsExact(self.campaign).is_closed())


class PledgeCardTests(DeskStatementTestCase):
    def test_the_card_lists_the_entries_that_paid_it(self):
        statement = self.bring(
            Transfer("60.00", "K7M2XQ9P", ref="P1"),
            Transfer("60.00", "K7M2XQ9P part 2", ref="P2"),
        )
        entries = list(statement.entries.order_by("pk"))
        self.confirm(statement, self.take(statement, *entries))
        self.assertEqual(self.fresh(self.food_pledge).received_amount.amount, 120)
        response = self.client.get(
            reverse("donations:desk_pledge", args=[self.food_pledge.reference])
        )
        self.assertContains(response, "Paid by bank transfers")
        for entry in entries:
            self.assertContains(
                response, f"{self.review_url(statement)}#entry-{entry.pk}"
            )
        self.assertContains(response, "€60", count=2)

    def test_a_pledge_paid_at_the_desk_lists_no_entries(self):
        receive(self.rent_pledge, by=self.volunteer)
        response = self.client.get(
            reverse("donations:desk_pledge", args=[self.rent_pledge.reference])
        )
        self.assertNotContains(response, "Paid by bank transfers")
