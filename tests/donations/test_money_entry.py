"""One parser for every amount a person types: donors, the desk, the admin.

campaigns.money.parse_amount reads an amount in the page's language;
AmountField puts it in every form that takes money, as a plain text box with
the phone's decimal keypad (never type=number, which reads "23,80" by the
browser's locale, not the page's).
"""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.test import SimpleTestCase
from django.utils import translation

from campaigns.forms import BudgetLineForm, CampaignForm
from campaigns.money import AmountField, parse_amount, typed_form
from donations.forms import (
    CorrectForm,
    GiftForm,
    PledgeForm,
    ReceiveForm,
)
from tests.donations.base import DonationsTestCase

NBSP = "\u00a0"


class ParseAmountTests(SimpleTestCase):
    def parsed(self, text: str, language: str) -> Decimal:
        return parse_amount(text, language)

    def code(self, text: str, language: str) -> str:
        with self.assertRaises(ValidationError) as caught:
            parse_amount(text, language)
        return caught.exception.code

    def test_it_reads_an_amount_in_the_pages_language(self):
        cases = [
            ("25", "en", "25"),
            ("23.80", "en", "23.80"),
            ("1 250", "en", "1250"),
            (f"1{NBSP}250.50", "en", "1250.50"),
            ("23,80", "pl", "23.80"),
            ("23.80", "pl", "23.80"),
            ("1 250,50", "pl", "1250.50"),
            (" 7,5 ", "uk", "7.5"),
        ]
        for text, language, expected in cases:
            with self.subTest(text=text, language=language):
                self.assertEqual(self.parsed(text, language), Decimal(expected))

    def test_it_refuses_what_could_mean_two_amounts_or_none(self):
        cases = [
            ("23,80", "en", "ambiguous"),
            ("1,250", "en", "ambiguous"),
            ("1.250", "pl", "ambiguous"),
            ("", "en", "required"),
            ("  ", "pl", "required"),
            ("-5", "en", "invalid"),
            ("1e3", "en", "invalid"),
            ("NaN", "en", "invalid"),
            ("Infinity", "pl", "invalid"),
            ("12 50", "en", "invalid"),
            ("€25", "en", "invalid"),
            ("1" * 40, "en", "invalid"),
            ("12.345", "pl", "ambiguous"),
            ("12,345", "pl", "max_decimal_places"),
            ("12.3456", "en", "max_decimal_places"),
        ]
        for text, language, code in cases:
            with self.subTest(text=text, language=language):
                self.assertEqual(self.code(text, language), code)

    def test_the_active_language_is_read_by_default(self):
        with translation.override("pl"):
            self.assertEqual(parse_amount("23,80"), Decimal("23.80"))
        with translation.override("en"):
            self.assertEqual(self.code("23,80", "en"), "ambiguous")

    def test_an_amount_is_shown_back_as_it_would_be_typed(self):
        self.assertEqual(typed_form(Decimal("1250.5"), "en"), "1250.50")
        self.assertEqual(typed_form(Decimal("1250.5"), "pl"), "1250,50")
        for language in ("en", "pl", "be", "ru", "uk"):
            with self.subTest(language=language):
                shown = typed_form(Decimal("23.8"), language)
                self.assertEqual(parse_amount(shown, language), Decimal("23.80"))


class AmountFieldTests(SimpleTestCase):
    class Form(forms.Form):
        amount = AmountField(min_value=Decimal("0.01"), currency="EUR")

    def errors(self, text: str, language: str = "en") -> list[str]:
        with translation.override(language):
            form = self.Form({"amount": text})
            form.is_valid()
            return [error.code for error in form.errors.as_data().get("amount", [])]

    def test_it_cleans_to_a_decimal(self):
        with translation.override("pl"):
            form = self.Form({"amount": "23,80"})
            self.assertTrue(form.is_valid())
        self.assertEqual(form.cleaned_data["amount"], Decimal("23.80"))

    def test_its_errors_carry_codes(self):
        self.assertEqual(self.errors("23,80"), ["ambiguous"])
        self.assertEqual(self.errors(""), ["required"])
        self.assertEqual(self.errors("0"), ["min_value"])
        self.assertEqual(self.errors("99999999999"), ["max_value"])
        self.assertEqual(self.errors("abc", "pl"), ["invalid"])

    def test_the_message_beside_the_field_names_the_amount_typed(self):
        form = self.Form({"amount": "23,80"})
        self.assertIn("“23,80” could mean two different amounts", str(form.errors))
        form = self.Form({"amount": "0"})
        self.assertIn("The smallest amount is €0.01.", str(form.errors))

    def test_a_message_can_be_replaced_as_with_any_field(self):
        field = AmountField(error_messages={"ambiguous": "Say it %(value)s plainly"})
        with self.assertRaises(ValidationError) as caught:
            field.clean("1,250")
        self.assertEqual(caught.exception.code, "ambiguous")
        self.assertEqual(caught.exception.messages, ["Say it 1,250 plainly"])

    def test_it_is_a_text_box_with_a_decimal_keypad_never_a_number_input(self):
        html = str(self.Form()["amount"])
        self.assertIn('type="text"', html)
        self.assertIn('inputmode="decimal"', html)
        self.assertIn('autocomplete="off"', html)
        self.assertNotIn('type="number"', html)

    def test_an_initial_amount_is_shown_as_it_would_be_typed(self):
        with translation.override("pl"):
            html = str(self.Form(initial={"amount": Decimal("25")})["amount"])
        self.assertIn('value="25,00"', html)


class EveryMoneyFormUsesItTests(DonationsTestCase):
    def amount_fields(self) -> dict[str, forms.Field]:
        campaign = self.campaign
        expected = campaign.money(Decimal("25"))
        return {
            "pledge other_amount": PledgeForm(
                campaign=campaign, coverage=campaign.line_states()
            ).fields["other_amount"],
            "receive": ReceiveForm(expected=expected).fields["amount"],
            "correct": CorrectForm(expected=expected).fields["amount"],
            "gift": GiftForm(campaign=campaign).fields["amount"],
            "line target": BudgetLineForm().fields["target"],
            "max pledge": CampaignForm().fields["max_pledge"],
        }

    def test_every_form_that_takes_money_reads_it_with_the_one_parser(self):
        for name, field in self.amount_fields().items():
            with self.subTest(form=name):
                self.assertIsInstance(field, AmountField)
                with translation.override("en"), self.assertRaises(ValidationError):
                    field.clean("23,80")
                with translation.override("pl"):
                    self.assertEqual(field.clean("23,80"), Decimal("23.80"))

    def test_an_english_admin_refuses_an_ambiguous_line_target(self):
        form = BudgetLineForm(
            {"position": "0", "label": "Coats", "target": "1,250", "note": ""},
            campaign=self.campaign,
        )
        self.assertFalse(form.is_valid())
        self.assertEqual(form.errors.as_data()["target"][0].code, "ambiguous")

    def test_the_largest_pledge_starts_at_the_models_default(self):
        self.assertEqual(CampaignForm()["max_pledge"].value(), Decimal("10000"))
