"""The team's updates and the spending report: organizers post them in the
admin, for their own campaigns only; the page shows updates newest first and,
per budget line, the target, the money received and what was spent, summed
exactly; spending can never sit on another campaign's line."""

from datetime import date, timedelta
from decimal import Decimal

from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db.models import Sum
from django.utils import timezone
from djmoney.money import Money
from PIL import Image

from campaigns.models import Campaign
from donations.models import Outbox, Spending, Update
from donations.pledging import Donor, campaign_close
from donations.updates import spending_save, update_save
from tests.base import make_campaign
from tests.campaigns.helpers import TemporaryMediaMixin, jpeg_with_secrets
from tests.donations.base import pledge, receive
from tests.teams.base import TeamTestCase

UPDATES = "/admin/donations/update/"
SPENDING = "/admin/donations/spending/"


def spend(line, amount: str, on: date | None = None, note: str = "") -> Spending:
    spending = Spending(
        line=line,
        spent_on=on or date(2026, 11, 20),
        amount=Money(Decimal(amount), line.campaign.currency),
        note=note,
    )
    spending_save(spending=spending)
    return spending


class UpdatePageTests(TemporaryMediaMixin, TeamTestCase):
    def setUp(self):
        cache.clear()

    def test_the_page_shows_published_updates_newest_first_sanitised(self):
        now = timezone.now()
        for days, title, published in (
            (3, "Older news", True),
            (1, "Newest news", True),
            (0, "A draft", False),
        ):
            update_save(
                update=Update(
                    campaign=self.campaign,
                    title=title,
                    body="**Bold** <script>alert(1)</script>",
                    published=published,
                    published_at=now - timedelta(days=days) if published else None,
                )
            )
        page = self.client.get("/c/konstantin/").content.decode()
        self.assertLess(page.index("Newest news"), page.index("Older news"))
        self.assertNotIn("A draft", page)
        self.assertIn("<strong>Bold</strong>", page)
        self.assertNotIn("<script>alert", page)

    def test_publishing_replaces_the_cached_page(self):
        self.assertNotContains(self.client.get("/c/konstantin/"), "Fresh news")
        version = Campaign.objects.get(pk=self.campaign.pk).version
        with self.captureOnCommitCallbacks(execute=True):
            update_save(
                update=Update(
                    campaign=self.campaign, title="Fresh news", published=True
                )
            )
        self.assertGreater(Campaign.objects.get(pk=self.campaign.pk).version, version)
        self.assertContains(self.client.get("/c/konstantin/"), "Fresh news")

    def test_an_update_is_shown_in_the_readers_language(self):
        update_save(
            update=Update(
                campaign=self.campaign,
                title="Found a flat",
                title_pl="Mieszkanie znalezione",
                published=True,
            )
        )
        self.assertContains(
            self.client.get("/pl/c/konstantin/"), "Mieszkanie znalezione"
        )
        self.assertContains(self.client.get("/c/konstantin/"), "Found a flat")


class UpdateAdminTests(TemporaryMediaMixin, TeamTestCase):
    def form(self, campaign, **extra) -> dict:
        return {
            "campaign": campaign.pk,
            "title": "We found a flat",
            "body": "Thank you all.",
            "published": "on",
            "alt_text": "",
            **extra,
        }

    def test_an_organizer_posts_an_update_which_is_emailed_to_who_asked(self):
        pledge(
            self.campaign,
            "10",
            donor=Donor(email="asked@example.org", wants_updates=True),
        )
        self.client.force_login(self.organizer)
        response = self.client.post(f"{UPDATES}add/", self.form(self.campaign))
        self.assertEqual(response.status_code, 302, response.content[:2000])
        update = Update.objects.get()
        self.assertTrue(update.published)
        self.assertIsNotNone(update.published_at)
        self.assertEqual(
            Outbox.objects.filter(kind=Outbox.Kind.UPDATE, update=update).count(), 1
        )

    def test_its_photo_goes_through_the_pipeline(self):
        self.client.force_login(self.organizer)
        self.client.post(
            f"{UPDATES}add/",
            self.form(
                self.campaign, upload=jpeg_with_secrets(), alt_text="The new kitchen"
            ),
        )
        update = Update.objects.get()
        self.assertTrue(update.image.name.startswith("photos/"))
        self.assertNotIn("IMG_0001", update.image.name)
        with default_storage.open(update.image.name) as stored:
            image = Image.open(stored)
            self.assertEqual(dict(image.getexif()), {})
        cache.clear()
        self.assertContains(self.client.get("/c/konstantin/"), 'alt="The new kitchen"')

    def test_another_campaigns_organizer_cannot_post_or_see_it(self):
        self.client.force_login(self.other_organizer)
        response = self.client.post(f"{UPDATES}add/", self.form(self.campaign))
        self.assertEqual(response.status_code, 200)  # the form again, refused
        self.assertFalse(Update.objects.exists())
        update = Update.objects.create(campaign=self.campaign, title="Ours")
        self.assertEqual(
            self.client.get(f"{UPDATES}{update.pk}/change/").status_code, 302
        )
        self.assertNotContains(self.client.get(UPDATES), "Ours")

    def test_volunteers_and_strangers_have_no_updates(self):
        for user in (self.volunteer, self.stranger):
            with self.subTest(user.username):
                self.client.force_login(user)
                self.assertEqual(self.client.get(f"{UPDATES}add/").status_code, 403)

    def test_only_declared_filters(self):
        self.client.force_login(self.organizer)
        self.assertEqual(
            self.client.get(f"{UPDATES}?title__startswith=a").status_code, 400
        )


class SpendingReportTests(TemporaryMediaMixin, TeamTestCase):
    def setUp(self):
        cache.clear()

    def test_the_page_shows_target_received_and_spent_per_line_exactly(self):
        receive(pledge(self.campaign, "300", self.rent))
        for amount in ("0.10", "0.20", "333.33", "100.01"):
            spend(self.rent, amount)
        spend(self.food, "19.99", note="Groceries for a week")
        page = self.client.get("/c/konstantin/")
        self.assertContains(page, "What the money has paid for so far")
        spending = page.context["spending"]
        rent = spending.lines[0]
        self.assertEqual(rent.target.amount, Decimal("1000.00"))
        self.assertEqual(rent.spent.amount, Decimal("433.64"))
        self.assertEqual(spending.spent.amount, Decimal("453.63"))
        self.assertEqual(
            spending.spent.amount,
            Spending.objects.filter(line__campaign=self.campaign)
            .aggregate(total=Sum("amount"))["total"]
            .quantize(Decimal("0.01")),
        )
        self.assertEqual(
            spending.received.amount,
            sum((row.received.amount for row in spending.lines), Decimal(0)),
        )
        self.assertContains(page, "Groceries for a week")

    def test_nothing_is_shown_until_something_was_spent(self):
        page = self.client.get("/c/konstantin/")
        self.assertIsNone(page.context["spending"])
        self.assertNotContains(page, 'class="spending"')

    def test_the_closed_page_ends_with_the_final_report(self):
        spend(self.rent, "500")
        campaign_close(campaign=self.campaign, reason="manual", by=None)
        page = self.client.get("/c/konstantin/").content.decode()
        self.assertIn("Final report", page)
        self.assertGreater(page.index("Final report"), page.index('class="share"'))

    def test_spending_is_in_the_lines_currency(self):
        pln = make_campaign(slug="pln", currency="PLN", lines=[("Rent", "3000")])
        spending = spend(pln.lines.select_related("campaign").get(), "12.30")
        self.assertEqual(
            str(Spending.objects.get(pk=spending.pk).amount.currency), "PLN"
        )


class SpendingAdminTests(TemporaryMediaMixin, TeamTestCase):
    def form(self, line, **extra) -> dict:
        return {
            "line": line.pk,
            "spent_on": "2026-11-30",
            "spent": "120.50",
            "note": "First month's rent",
            **extra,
        }

    def test_an_organizer_records_spending_with_a_receipt_photo_stripped(self):
        self.client.force_login(self.organizer)
        response = self.client.post(
            f"{SPENDING}add/", self.form(self.rent, upload=jpeg_with_secrets())
        )
        self.assertEqual(response.status_code, 302, response.content[:3000])
        spending = Spending.objects.get()
        self.assertEqual(spending.amount, Money(Decimal("120.50"), "EUR"))
        self.assertEqual(spending.line, self.rent)
        with default_storage.open(spending.image.name) as stored:
            self.assertEqual(dict(Image.open(stored).getexif()), {})
        self.assertNotIn(b"Mokotow", default_storage.open(spending.image.name).read())

    def test_another_campaigns_line_is_refused(self):
        self.client.force_login(self.organizer)
        others_line = self.other.lines.first()
        response = self.client.post(f"{SPENDING}add/", self.form(others_line))
        self.assertEqual(response.status_code, 200)
        self.assertIn("line", response.context["adminform"].form.errors)
        self.assertFalse(Spending.objects.exists())
        # Nor can an existing entry be moved onto it.
        spending = spend(self.rent, "10")
        self.client.post(f"{SPENDING}{spending.pk}/change/", self.form(others_line))
        self.assertEqual(Spending.objects.get(pk=spending.pk).line, self.rent)

    def test_other_organizers_see_none_of_it(self):
        spending = spend(self.rent, "10", note="Our rent")
        self.client.force_login(self.other_organizer)
        self.assertNotContains(self.client.get(SPENDING), "Our rent")
        self.assertEqual(
            self.client.get(f"{SPENDING}{spending.pk}/change/").status_code, 302
        )
        self.client.force_login(self.volunteer)
        self.assertEqual(self.client.get(f"{SPENDING}add/").status_code, 403)

    def test_the_amount_must_be_positive(self):
        self.client.force_login(self.organizer)
        response = self.client.post(f"{SPENDING}add/", self.form(self.rent, spent="0"))
        self.assertEqual(response.status_code, 200)
        self.assertFalse(Spending.objects.exists())

    def test_the_campaign_filter_takes_only_ids(self):
        spend(self.rent, "10", note="Our rent")
        self.client.force_login(self.organizer)
        self.assertContains(
            self.client.get(f"{SPENDING}?campaign={self.campaign.pk}"), "Our rent"
        )
        self.assertNotContains(self.client.get(f"{SPENDING}?campaign=²"), "Our rent")
        self.assertEqual(
            self.client.get(f"{SPENDING}?line__campaign__title=x").status_code, 400
        )
