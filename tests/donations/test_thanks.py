from decimal import Decimal

from django.urls import reverse

from campaigns.models import Campaign
from donations.payment import epc_payload, epc_qr, group_iban
from donations.pledging import pledge_cancel
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, pledge

IBAN = "PL61 1090 1014 0000 0712 1981 2874"


class ThanksPageTests(DonationsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        Campaign.objects.filter(pk=cls.campaign.pk).update(
            account_holder="Fundacja Zbor",
            iban=IBAN.replace(" ", ""),
            bic="wbkpplpp",
            bank_name="Santander Bank Polska",
            payment_other="Cash at the Thursday meeting.",
        )

    def setUp(self):
        self.made = pledge(self.campaign, "12.50", self.food)
        self.url = reverse("donations:thanks", args=[self.made.access_key])

    def test_it_shows_the_pledge_and_how_to_pay(self):
        response = self.client.get(self.url)
        self.assertContains(response, "€12.50")
        self.assertContains(response, "Food")
        self.assertContains(response, self.made.reference)
        self.assertContains(response, "Fundacja Zbor")
        self.assertContains(response, IBAN)
        self.assertContains(response, "WBKPPLPP")
        self.assertContains(response, "Santander Bank Polska")
        self.assertContains(response, "Cash at the Thursday meeting.")
        qr_url = reverse("donations:thanks_qr", args=[self.made.access_key])
        self.assertContains(response, f'<img src="{qr_url}"')

    def test_it_is_never_stored_by_caches_or_indexed(self):
        response = self.client.get(self.url)
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertIn("noindex", response["X-Robots-Tag"])

    def test_an_unknown_key_is_404(self):
        url = reverse("donations:thanks", args=["not-a-real-key"])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_it_only_answers_get(self):
        self.assertEqual(self.client.post(self.url).status_code, 405)

    def test_a_cancelled_pledge_says_so_without_payment_details(self):
        pledge_cancel(pledge=self.made, reason="expired", by=None)
        response = self.client.get(self.url)
        self.assertContains(response, "This pledge was cancelled")
        self.assertNotContains(response, IBAN)

    def test_the_qr_code_is_an_svg_image(self):
        url = reverse("donations:thanks_qr", args=[self.made.access_key])
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/svg+xml")
        self.assertEqual(response["Cache-Control"], "no-store")
        self.assertTrue(response.content.startswith(b"<?xml"))
        self.assertIn(b"<svg", response.content)

    def test_the_epc_payload_carries_name_iban_amount_and_reference(self):
        self.made.refresh_from_db()
        lines = epc_payload(self.made).decode("utf-8").split("\n")
        self.assertEqual(lines[0], "BCD")  # service tag
        self.assertEqual(lines[1], "002")  # version
        self.assertEqual(lines[2], "1")  # UTF-8
        self.assertEqual(lines[3], "SCT")  # SEPA credit transfer
        self.assertEqual(lines[4], "WBKPPLPP")
        self.assertEqual(lines[5], "Fundacja Zbor")
        self.assertEqual(lines[6], "PL61109010140000071219812874")
        # Trailing zeros dropped ("EUR12.5"), which the EPC format allows.
        self.assertEqual(Decimal(lines[7].removeprefix("EUR")), Decimal("12.50"))
        self.assertTrue(lines[7].startswith("EUR"))
        self.assertEqual(lines[9], "")  # no ISO 11649 creditor reference
        self.assertEqual(lines[10], self.made.reference)  # the remittance text
        self.assertEqual(len(lines), 11)
        # The EPC format allows at most 331 bytes; banking apps refuse more.
        self.assertLessEqual(len(epc_payload(self.made)), 331)
        self.assertEqual(epc_qr(self.made).error, "M")

    def test_no_qr_code_for_other_currencies(self):
        # Zloty get the Polish banks' code (tests/donations/test_payment_codes.py).
        campaign = make_campaign(
            slug="usd", currency="USD", account_holder="Zbor", iban=IBAN
        )
        made = pledge(campaign, "100")
        response = self.client.get(made.thanks_path())
        self.assertNotContains(response, "qr.svg")
        url = reverse("donations:thanks_qr", args=[made.access_key])
        self.assertEqual(self.client.get(url).status_code, 404)

    def test_iban_is_grouped_by_four(self):
        self.assertEqual(group_iban("pl61109010140000071219812874"), IBAN)
