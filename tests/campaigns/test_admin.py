import os
from decimal import Decimal

from django.contrib.auth.models import Permission
from djmoney.money import Money

from campaigns.models import BudgetLine, Campaign, Photo, TeamMember
from donations.models import Pledge
from tests.base import ZborTestCase, make_campaign
from tests.campaigns.helpers import TemporaryMediaMixin, image_file
from tests.support import (
    ADD_URL,
    TWO_LINES,
    change_url,
    existing_lines,
    form_data,
)


class CampaignAdminPagesTests(ZborTestCase):
    def setUp(self):
        self.client.force_login(self.superuser)

    def test_the_list_filters_and_search_load(self):
        for query in (
            "",
            "?collection=open",
            "?collection=closed",
            "?published__exact=1",
        ):
            response = self.client.get("/admin/campaigns/campaign/" + query)
            self.assertEqual(response.status_code, 200, query)
        response = self.client.get("/admin/campaigns/campaign/?q=Konstantin")
        self.assertContains(response, "Helping Konstantin M.")
        response = self.client.get("/admin/campaigns/campaign/?collection=closed")
        self.assertNotContains(response, "Helping Konstantin M.")

    def test_the_add_and_change_pages_load(self):
        self.assertEqual(self.client.get(ADD_URL).status_code, 200)
        response = self.client.get(change_url(self.campaign))
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "photo:N")  # the story's help text
        self.assertContains(response, "View on site")

    def test_the_change_page_previews_the_story_as_donors_see_it(self):
        self.campaign.story = "**Thanks** <script>alert(1)</script>"
        self.campaign.save()
        url = f"/admin/campaigns/campaign/{self.campaign.pk}/preview/story/"
        page = self.client.get(change_url(self.campaign))
        self.assertContains(page, f'src="{url}"')  # the frame
        response = self.client.get(url)
        # The public stylesheet, not the admin's.
        self.assertContains(response, "/static/css/site.css")
        self.assertNotContains(response, "admin/css")
        self.assertContains(response, "<p><strong>Thanks</strong> </p>", html=False)
        self.assertNotContains(response, "alert(1)</script>")
        self.assertEqual(response["X-Frame-Options"], "SAMEORIGIN")

    def test_the_page_preview_shows_an_unpublished_campaign_to_staff_only(self):
        draft = make_campaign(slug="draft", published=False, title="Draft title")
        url = f"/admin/campaigns/campaign/{draft.pk}/preview/"
        response = self.client.get(url)
        self.assertContains(response, "Draft title")
        self.assertContains(response, '<meta name="robots" content="noindex">')
        self.client.logout()
        self.assertEqual(self.client.get(url).status_code, 302)  # to the login

    def test_an_organizer_with_campaign_rights_can_edit(self):
        self.organizer.user_permissions.add(
            *Permission.objects.filter(content_type__app_label="campaigns")
        )
        TeamMember.objects.create(
            campaign=self.campaign, user=self.organizer, role=TeamMember.Role.ORGANIZER
        )
        self.client.force_login(self.organizer)
        self.assertEqual(self.client.get(change_url(self.campaign)).status_code, 200)


class CampaignAdminSaveTests(TemporaryMediaMixin, ZborTestCase):
    def setUp(self):
        self.client.force_login(self.superuser)

    def test_it_adds_a_campaign_with_its_lines(self):
        response = self.client.post(ADD_URL, form_data(lines=TWO_LINES))
        self.assertEqual(response.status_code, 302, response.content[:3000])
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(
            [(line.label, line.target) for line in campaign.lines.all()],
            [("Coats", Money("180", "EUR")), ("Boots", Money("95.50", "EUR"))],
        )
        self.assertEqual(campaign.goal, Money("275.50", "EUR"))
        self.assertEqual(campaign.iban, "PL61109010140000071219812874")
        self.assertEqual(campaign.bic, "WBKPPLPP")

    def test_it_reorders_lines_by_position(self):
        lines = existing_lines(self.campaign)
        lines[0]["position"], lines[3]["position"] = "9", "0"
        data = form_data(
            self.campaign, lines=lines, slug="konstantin", title=self.campaign.title
        )
        response = self.client.post(change_url(self.campaign), data)
        self.assertEqual(response.status_code, 302)
        labels = [line.label for line in self.campaign.lines.all()]
        self.assertEqual(labels[0], "Paying off debts")
        self.assertEqual(labels[-1], "Rent for the first three months")

    def assertRefused(self, data, message, url=ADD_URL):
        before = (Campaign.objects.count(), BudgetLine.objects.count())
        response = self.client.post(url, data)
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, message)
        self.assertEqual((Campaign.objects.count(), BudgetLine.objects.count()), before)
        return response

    def test_a_published_campaign_needs_a_line(self):
        self.assertRefused(form_data(lines=[]), "at least one budget line")

    def test_an_unpublished_campaign_may_have_no_lines_yet(self):
        response = self.client.post(ADD_URL, form_data(lines=[], published=None))
        self.assertEqual(response.status_code, 302)

    def test_targets_must_be_positive(self):
        # Typed through the one amount parser (campaigns.money.parse_amount):
        # a sign or letters are not an amount; zero is one, but not a target.
        refusals = {
            "0": "The target must be a positive amount.",
            "-5": "Enter the amount as a number, for example 25 or 12.50.",
            "abc": "Enter the amount as a number, for example 25 or 12.50.",
            "1e3": "Enter the amount as a number, for example 25 or 12.50.",
            "12.505": "Use at most two decimal places.",
        }
        for target, message in refusals.items():
            with self.subTest(target=target):
                line = {"position": "0", "label": "Coats", "target": target}
                response = self.assertRefused(form_data(lines=[line]), message)
                self.assertTargetError(response, message)

    def assertTargetError(self, response, message: str) -> None:
        """The message is beside the line's target, not only somewhere on the page."""
        formset = response.context["inline_admin_formsets"][0].formset
        self.assertEqual(formset.forms[0].errors.get("target"), [message])

    def test_a_target_typed_with_a_thousands_comma_is_refused_as_ambiguous(self):
        # On the English admin "1,250" could be 1250 or 1.25: never guessed.
        line = {"position": "0", "label": "Coats", "target": "1,250", "note": ""}
        message = "“1,250” could mean two different amounts."
        response = self.assertRefused(form_data(lines=[line]), message)
        formset = response.context["inline_admin_formsets"][0].formset
        self.assertEqual(
            formset.forms[0].errors.as_data()["target"][0].code, "ambiguous"
        )
        self.assertFalse(Campaign.objects.filter(slug="ales").exists())

    def test_a_target_with_a_point_or_spaces_is_read_exactly(self):
        lines = [
            {"position": "0", "label": "Coats", "target": "1 250", "note": ""},
            {"position": "1", "label": "Boots", "target": "95.50", "note": ""},
        ]
        response = self.client.post(ADD_URL, form_data(lines=lines))
        self.assertEqual(response.status_code, 302)
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(
            [line.target for line in campaign.lines.all()],
            [Money("1250", "EUR"), Money("95.50", "EUR")],
        )

    def test_max_pledge_is_typed_through_the_same_parser(self):
        response = self.assertRefused(
            form_data(lines=TWO_LINES, max_pledge="10,000"),
            "could mean two different amounts",
        )
        form = response.context["adminform"].form
        self.assertEqual(form.errors.as_data()["max_pledge"][0].code, "ambiguous")

    def test_publishing_without_a_way_to_pay_is_refused_beside_the_field(self):
        data = form_data(lines=TWO_LINES, iban="", account_holder="", bic="")
        response = self.assertRefused(data, "needs a way to pay before it is published")
        form = response.context["adminform"].form
        self.assertEqual(form.errors.as_data()["published"][0].code, "no_way_to_pay")
        self.assertContains(response, 'id="id_published_error"')
        self.assertFalse(Campaign.objects.filter(slug="ales").exists())

    def test_an_iban_without_its_account_holder_is_refused(self):
        data = form_data(lines=TWO_LINES, account_holder="")
        response = self.assertRefused(data, "Give the account holder")
        form = response.context["adminform"].form
        self.assertIn("account_holder", form.errors)

    def test_other_ways_to_give_are_a_way_to_pay(self):
        data = form_data(
            lines=TWO_LINES,
            iban="",
            account_holder="",
            bic="",
            payment_other="Cash at the parish hall on Sundays.",
        )
        response = self.client.post(ADD_URL, data)
        self.assertEqual(response.status_code, 302, response.content[:3000])
        campaign = Campaign.objects.get(slug="ales")
        self.assertTrue(campaign.published)
        self.assertEqual(
            campaign.payment_other_en, "Cash at the parish hall on Sundays."
        )

    def test_an_unpublished_campaign_may_have_no_way_to_pay_yet(self):
        data = form_data(
            lines=TWO_LINES, iban="", account_holder="", bic="", published=None
        )
        response = self.client.post(ADD_URL, data)
        self.assertEqual(response.status_code, 302)
        self.assertFalse(Campaign.objects.get(slug="ales").published)

    def test_two_lines_cannot_share_a_label(self):
        lines = [dict(TWO_LINES[0]), dict(TWO_LINES[0], position="1")]
        self.assertRefused(form_data(lines=lines), "duplicate data for label")
        lines[1]["label"] = "COATS"
        self.assertRefused(form_data(lines=lines), "same label")

    def test_a_bad_iban_is_refused(self):
        self.assertRefused(
            form_data(lines=TWO_LINES, iban="PL61 1090 1014 0000 0712 1981 2875"),
            "is not a valid IBAN",
        )

    def test_a_bad_bic_is_refused(self):
        self.assertRefused(form_data(lines=TWO_LINES, bic="BANK"), "is not a BIC")

    def test_the_currency_cannot_change_once_pledges_exist(self):
        Pledge.objects.create(campaign=self.campaign, amount=Money("20", "EUR"))
        data = form_data(
            self.campaign,
            lines=existing_lines(self.campaign),
            slug="konstantin",
            currency="PLN",
        )
        self.assertRefused(
            data, "cannot change once pledges", change_url(self.campaign)
        )
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.currency, "EUR")

    def test_without_pledges_a_new_currency_reaches_every_line(self):
        data = form_data(
            self.campaign,
            lines=existing_lines(self.campaign),
            slug="konstantin",
            currency="PLN",
        )
        response = self.client.post(change_url(self.campaign), data)
        self.assertEqual(response.status_code, 302)
        currencies = {str(line.target.currency) for line in self.campaign.lines.all()}
        self.assertEqual(currencies, {"PLN"})

    def test_it_uploads_a_photo_and_shows_its_preview(self):
        photo = {"upload": image_file(size=(2000, 1500)), "alt_text": "Boots"}
        photo.update(is_cover="on", position="0")
        response = self.client.post(ADD_URL, form_data(lines=TWO_LINES, photos=[photo]))
        self.assertEqual(response.status_code, 302)
        stored = Photo.objects.get()
        self.assertEqual((stored.width, stored.height), (1600, 1200))
        self.assertEqual(len(stored.variants), 3)
        self.assertNotIn("holiday", stored.image.name)
        page = self.client.get(change_url(stored.campaign))
        self.assertEqual(stored.number, 1)
        self.assertContains(page, "![Boots](photo:1)")

    def test_a_bad_upload_is_refused_and_nothing_is_stored(self):
        svg = image_file()
        svg.file.seek(0)
        svg.file.truncate()
        svg.file.write(b'<svg xmlns="http://www.w3.org/2000/svg"></svg>')
        svg.file.seek(0)
        svg.size = svg.file.getbuffer().nbytes
        photo = {"upload": svg, "alt_text": "x", "position": "0"}
        response = self.assertRefused(
            form_data(lines=TWO_LINES, photos=[photo]), "This file is not a photo"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Photo.objects.count(), 0)
        stored = [f for _, _, files in os.walk(self._media_root) for f in files]
        self.assertEqual(stored, [])

    def test_removing_a_photo_removes_its_files(self):
        photo = {"upload": image_file(size=(1000, 700)), "alt_text": "a"}
        photo["position"] = "0"
        self.client.post(ADD_URL, form_data(lines=TWO_LINES, photos=[photo]))
        campaign = Campaign.objects.get(slug="ales")
        stored = Photo.objects.get()
        paths = [os.path.join(self._media_root, v["name"]) for v in stored.variants]
        self.assertTrue(all(os.path.exists(path) for path in paths))
        removal = {"id": str(stored.pk), "alt_text": "a", "position": "0"}
        removal["DELETE"] = "on"
        data = form_data(campaign, lines=existing_lines(campaign), photos=[removal])
        with self.captureOnCommitCallbacks(execute=True):
            response = self.client.post(change_url(campaign), data)
        self.assertEqual(response.status_code, 302)
        self.assertEqual(Photo.objects.count(), 0)
        self.assertFalse(any(os.path.exists(path) for path in paths))

    def test_only_one_photo_can_be_the_cover(self):
        photos = [
            {
                "upload": image_file(),
                "alt_text": "a",
                "is_cover": "on",
                "position": "0",
            },
            {
                "upload": image_file(),
                "alt_text": "b",
                "is_cover": "on",
                "position": "1",
            },
        ]
        self.assertRefused(form_data(lines=TWO_LINES, photos=photos), "Only one photo")


class GoalTests(ZborTestCase):
    def test_the_goal_is_the_sum_of_the_targets(self):
        self.assertEqual(self.campaign.goal, Money("2500", "EUR"))
        campaign = make_campaign(
            slug="odd", lines=[("A", "0.10"), ("B", "19.99"), ("C", "333")]
        )
        self.assertEqual(campaign.goal, Money(Decimal("353.09"), "EUR"))

    def test_a_campaign_without_lines_has_no_goal(self):
        campaign = make_campaign(slug="empty", lines=[("x", "1")])
        campaign.lines.all().delete()
        self.assertEqual(campaign.goal, Money("0", "EUR"))
