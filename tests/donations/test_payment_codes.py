"""The Polish banks' 2D transfer code (ZBP) for zloty campaigns, read back field
by field; the amount to copy; the pay-by date and the copy buttons."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from donations.payment import (
    amount_to_type,
    has_zbp_code,
    pay_by,
    payment_details,
    zbp_payload,
)
from donations.pledging import pledge_cancel
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, pledge

IBAN = "PL61109010140000071219812874"


class ZbpCodeTests(DonationsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.zloty = make_campaign(
            slug="alesia",
            currency="PLN",
            account_holder="Fundacja Dom Białoruski | Warszawa",
            iban="PL61 1090 1014 0000 0712 1981 2874",
        )

    def decode(self, made) -> list[str]:
        text = zbp_payload(made).decode("utf-8")
        fields = text.split("|")
        self.assertEqual(len(fields), 9, text)
        return fields

    def test_the_payload_holds_each_field_where_banking_apps_read_it(self):
        made = pledge(self.zloty, "125.50")
        nip, country, account, grosze, name, title, *reserved = self.decode(made)
        self.assertEqual(nip, "")  # a private collection has no NIP
        self.assertEqual(country, "PL")
        self.assertEqual(account, IBAN[2:])
        self.assertEqual(len(account), 26)
        self.assertEqual(grosze, "012550")
        self.assertEqual(Decimal(grosze) / 100, made.amount.amount)
        # 20 characters at most, and never the separator.
        self.assertEqual(name, "Fundacja Dom Białoru")
        self.assertEqual(title, made.reference)
        self.assertEqual(reserved, ["", "", ""])

    def test_small_and_large_amounts_keep_six_digits(self):
        self.assertEqual(self.decode(pledge(self.zloty, "5"))[3], "000500")
        self.assertEqual(self.decode(pledge(self.zloty, "9999.99"))[3], "999999")
        # Beyond six digits of grosze the code cannot carry it: none is offered.
        self.assertFalse(has_zbp_code(pledge(self.zloty, "10000")))

    def test_the_thank_you_page_shows_the_polish_code_for_zloty(self):
        made = pledge(self.zloty, "100")
        details = payment_details(made)
        self.assertEqual(details.qr_kind, "zbp")
        response = self.client.get(made.thanks_path())
        self.assertContains(response, "Scan with your Polish banking app")
        # The copy button gives the domestic number Polish apps take.
        self.assertContains(response, f'data-copy="{IBAN[2:]}"')
        qr = self.client.get(reverse("donations:thanks_qr", args=[made.access_key]))
        self.assertEqual(qr.status_code, 200)
        self.assertEqual(qr["Content-Type"], "image/svg+xml")
        self.assertEqual(qr["Cache-Control"], "no-store")

    def test_only_zloty_into_a_polish_account_with_a_holder(self):
        foreign = make_campaign(
            slug="lt",
            currency="PLN",
            account_holder="Zbor",
            iban="LT12 1000 0111 0100 1000",
        )
        nameless = make_campaign(slug="nameless", currency="PLN", iban=IBAN)
        for campaign in (foreign, nameless):
            with self.subTest(campaign.slug):
                self.assertFalse(has_zbp_code(pledge(campaign, "10")))
        # Euros keep their EPC code.
        eur = make_campaign(slug="eur", account_holder="Zbor", iban=IBAN)
        self.assertEqual(payment_details(pledge(eur, "10")).qr_kind, "epc")


class CopyAndPayByTests(DonationsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.eur = make_campaign(
            slug="eur", account_holder="Zbor", iban=IBAN, pledge_expiry_days=10
        )

    def test_the_amount_to_copy_is_a_bare_number_in_the_readers_notation(self):
        self.assertEqual(amount_to_type(Decimal("1250.00"), "en"), "1250")
        self.assertEqual(amount_to_type(Decimal("12.50"), "en"), "12.50")
        self.assertEqual(amount_to_type(Decimal("1250.50"), "pl"), "1250,50")
        self.assertEqual(amount_to_type(Decimal("0.05"), "ru"), "0,05")

    def test_the_thank_you_page_has_copy_buttons_and_a_date_to_pay_by(self):
        made = pledge(self.eur, "1250.50")
        self.assertEqual(pay_by(made), made.created_at + timedelta(days=10))
        response = self.client.get(made.thanks_path())
        self.assertContains(response, f'data-copy="{IBAN}"')
        self.assertContains(response, 'data-copy="1250.50"')
        self.assertContains(response, f'data-copy="{made.reference}"')
        # Hidden until the script shows them: without it the text stays as text.
        self.assertContains(response, "hidden>Copy", count=3)
        self.assertContains(response, '<script src="/static/js/copy')
        day = pay_by(made).strftime("%Y-%m-%d")
        self.assertContains(response, f'<time datetime="{day}')
        with translation.override("pl"):
            path = made.thanks_path()
        self.assertTrue(path.startswith("/pl/"), path)
        response = self.client.get(path)
        self.assertContains(response, 'data-copy="1250,50"')

    def test_a_cancelled_pledge_has_no_date_to_pay_by(self):
        made = pledge(self.eur, "20")
        pledge_cancel(pledge=made, reason="never paid", by=None)
        response = self.client.get(made.thanks_path())
        self.assertNotContains(response, "Pay by")
        self.assertNotContains(response, "data-copy=")
