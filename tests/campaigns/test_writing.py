"""An organizer writing a campaign in the admin: photos numbered within their
campaign, lines kept in the order they were typed, a photo kept when the page
comes back with a mistake, and previews that look like the public page."""

import os
import re
from datetime import timedelta
from io import StringIO

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import TransactionTestCase
from django.utils import timezone

from campaigns import photos
from campaigns.models import Campaign, PendingPhoto, Photo, TeamMember
from campaigns.permissions import ORGANIZERS_GROUP
from tests.base import ZborTestCase, make_campaign
from tests.campaigns.helpers import TemporaryMediaMixin, image_file
from tests.support import ADD_URL, TWO_LINES, change_url, form_data

KEPT = "is kept; it will be saved with the campaign"


def add_photo(campaign, alt: str) -> Photo:
    photo = Photo(campaign=campaign, alt_text=alt)
    photos.apply(photo, photos.prepare(image_file(size=(600, 400))))
    photo.save()
    return photo


def stored_files(root) -> list[str]:
    return sorted(f for _, _, files in os.walk(root) for f in files)


class PhotoNumberTests(TemporaryMediaMixin, ZborTestCase):
    def test_each_campaigns_photos_are_numbered_from_one_in_upload_order(self):
        other = make_campaign(slug="other", title="Another one")
        add_photo(other, "elsewhere")
        first, second = add_photo(self.campaign, "a"), add_photo(self.campaign, "b")
        self.assertEqual((first.number, second.number), (1, 2))
        self.assertEqual(other.photos.get().number, 1)

    def test_a_number_is_not_given_again_while_its_photo_is_kept(self):
        first, second = add_photo(self.campaign, "a"), add_photo(self.campaign, "b")
        first.delete()
        self.assertEqual(add_photo(self.campaign, "c").number, 3)
        self.assertEqual(second.number, 2)

    def test_the_page_shows_photo_n_of_this_campaign_in_the_story(self):
        make_campaign(slug="other", title="Another one")
        add_photo(Campaign.objects.get(slug="other"), "elsewhere")
        add_photo(self.campaign, "The room")
        self.campaign.story = "Here is my room:\n\n![My room](photo:1)"
        self.campaign.save()
        page = self.client.get("/c/konstantin/")
        story = page.content.decode().split('class="story"')[1].split("</section>")[0]
        self.assertIn('alt="My room"', story)


class StoryMigrationTests(TransactionTestCase):
    """Migration 0006 numbers existing photos and rewrites stories written with
    database ids, in every language."""

    before = [("campaigns", "0005_add_organizer_contact_and_reminders")]
    after = [("campaigns", "0006_photo_numbers_and_pending_photos")]

    def migrate(self, targets):
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(targets)
        return executor.loader.project_state(targets).apps

    def tearDown(self):
        self.migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    def test_old_references_by_database_id_become_the_photos_numbers(self):
        apps = self.migrate(self.before)
        Campaign = apps.get_model("campaigns", "Campaign")
        Photo = apps.get_model("campaigns", "Photo")
        other = Campaign.objects.create(
            title_en="Other", slug="other", beneficiary_name="O.", summary_en="s"
        )
        Photo.objects.create(campaign=other, image="photos/o.jpg", width=9, height=9)
        campaign = Campaign.objects.create(
            title_en="Ales", slug="ales", beneficiary_name="A.", summary_en="s"
        )
        first = Photo.objects.create(
            campaign=campaign, image="a.jpg", width=9, height=9
        )
        second = Photo.objects.create(
            campaign=campaign, image="b.jpg", width=9, height=9
        )
        campaign.story_en = (
            f"![a](photo:{first.pk}) ![b](photo:{second.pk}) ![gone](photo:99)"
        )
        campaign.story_pl = f"![b](photo:{second.pk})"
        campaign.save()

        apps = self.migrate(self.after)
        Campaign = apps.get_model("campaigns", "Campaign")
        migrated = Campaign.objects.get(slug="ales")
        self.assertEqual(
            migrated.story_en, "![a](photo:1) ![b](photo:2) ![gone](photo:99)"
        )
        self.assertEqual(migrated.story_pl, "![b](photo:2)")
        numbers = apps.get_model("campaigns", "Photo").objects.values_list(
            "campaign__slug", "number"
        )
        self.assertEqual(sorted(numbers), [("ales", 1), ("ales", 2), ("other", 1)])


class LineOrderTests(ZborTestCase):
    def setUp(self):
        self.client.force_login(self.superuser)

    def test_lines_typed_without_positions_keep_the_order_they_were_typed_in(self):
        lines = [
            {"position": "", "label": "Rent", "target": "500", "note": ""},
            {"position": "", "label": "Food", "target": "200", "note": ""},
            {"position": "", "label": "Coat", "target": "90", "note": ""},
        ]
        response = self.client.post(ADD_URL, form_data(lines=lines))
        self.assertEqual(response.status_code, 302, response.content[-3000:])
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(
            [(line.label, line.position) for line in campaign.lines.all()],
            [("Rent", 1), ("Food", 2), ("Coat", 3)],
        )
        page = self.client.get("/c/ales/").content.decode()
        self.assertLess(page.index("Rent"), page.index("Food"))
        self.assertLess(page.index("Food"), page.index("Coat"))

    def test_a_line_moved_to_the_top_is_covered_first(self):
        lines = [
            {"position": "2", "label": "Rent", "target": "500", "note": ""},
            {"position": "1", "label": "Food", "target": "200", "note": ""},
        ]
        self.client.post(ADD_URL, form_data(lines=lines))
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(
            [line.label for line in campaign.lines.all()], ["Food", "Rent"]
        )

    def test_the_lines_table_folds_the_other_languages_into_one_cell(self):
        page = self.client.get(ADD_URL).content.decode()
        table = page.split('id="lines-group"')[1].split("</table>")[0]
        header = table.split("</thead>")[0]
        self.assertLessEqual(header.count("<th"), 8)  # was 15 with every language
        self.assertIn("Other languages", header)
        self.assertNotIn("[pl]", header)
        self.assertIn('name="lines-0-label_pl"', table)  # still there, folded

    def test_a_new_line_offers_no_position_zero(self):
        page = self.client.get(ADD_URL).content.decode()
        field = re.search(r'<input[^>]*name="lines-0-position"[^>]*>', page)[0]
        self.assertNotIn('value="0"', field)


class KeptPhotoTests(TemporaryMediaMixin, ZborTestCase):
    def setUp(self):
        self.client.force_login(self.superuser)

    def photo(self, **extra) -> dict:
        return {
            "upload": image_file(name="coat.jpg", size=(800, 600)),
            "alt_text": "A grey coat",
            "position": "0",
            **extra,
        }

    def send_with_a_bad_iban(self):
        data = form_data(lines=TWO_LINES, photos=[self.photo()], iban="PL00 1234")
        response = self.client.post(ADD_URL, data)
        self.assertEqual(response.status_code, 200)
        return response

    def test_a_photo_is_kept_when_the_page_comes_back_with_a_mistake(self):
        response = self.send_with_a_bad_iban()
        self.assertContains(response, "is not a valid IBAN")
        self.assertContains(response, f"Your photo “coat.jpg” {KEPT}")
        self.assertEqual(Photo.objects.count(), 0)
        kept = PendingPhoto.objects.get()
        self.assertContains(response, f'value="{kept.token}"')

        # Fixed, and sent again without choosing the photo again.
        data = form_data(
            lines=TWO_LINES,
            photos=[
                {"pending": kept.token, "alt_text": "A grey coat", "position": "0"}
            ],
        )
        response = self.client.post(ADD_URL, data)
        self.assertEqual(response.status_code, 302, response.content[-3000:])
        photo = Campaign.objects.get(slug="ales").photos.get()
        self.assertEqual((photo.number, photo.width), (1, 800))
        self.assertEqual(PendingPhoto.objects.count(), 0)
        for variant in photo.variants:
            self.assertTrue(
                os.path.exists(os.path.join(self._media_root, variant["name"]))
            )
        self.assertNotIn("coat", photo.image.name)

    def test_the_story_preview_shows_a_kept_photo_by_the_number_it_will_get(self):
        self.send_with_a_bad_iban()
        token = PendingPhoto.objects.get().token
        url = "/admin/campaigns/campaign/preview/story/"
        story = {"story": "![The coat](photo:1)"}
        response = self.client.post(url, {**story, "pending": [token]})
        self.assertContains(response, 'alt="The coat"')
        # A token that is not this user's shows nothing.
        self.client.force_login(self.organizer)
        Group.objects.get(name=ORGANIZERS_GROUP).user_set.add(self.organizer)
        response = self.client.post(url, {**story, "pending": [token]})
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "<img")

    def test_nobody_else_can_take_a_kept_photo(self):
        self.send_with_a_bad_iban()
        token = PendingPhoto.objects.get().token
        self.client.force_login(self.organizer)
        Group.objects.get(name=ORGANIZERS_GROUP).user_set.add(self.organizer)
        TeamMember.objects.create(
            campaign=self.campaign, user=self.organizer, role=TeamMember.Role.ORGANIZER
        )
        data = form_data(
            lines=TWO_LINES,
            slug="olgas",
            photos=[{"pending": token, "alt_text": "stolen", "position": "0"}],
        )
        response = self.client.post(ADD_URL, data)
        self.assertContains(response, "no longer kept; choose it again")
        self.assertEqual(Photo.objects.count(), 0)

    def test_kept_photos_older_than_a_day_go_with_their_files(self):
        before = stored_files(self._media_root)
        self.send_with_a_bad_iban()
        self.assertNotEqual(stored_files(self._media_root), before)
        PendingPhoto.objects.update(created_at=timezone.now() - timedelta(days=2))
        call_command("clean_pending_photos", stdout=StringIO())
        self.assertEqual(PendingPhoto.objects.count(), 0)
        self.assertEqual(stored_files(self._media_root), before)

    def test_a_fresh_kept_photo_stays_through_the_cleanup(self):
        self.send_with_a_bad_iban()
        call_command("clean_pending_photos", stdout=StringIO())
        self.assertEqual(PendingPhoto.objects.count(), 1)


class PreviewTests(TemporaryMediaMixin, ZborTestCase):
    def setUp(self):
        self.draft = make_campaign(slug="draft", published=False, title="Draft title")
        Group.objects.get(name=ORGANIZERS_GROUP).user_set.add(
            self.organizer, self.stranger
        )
        TeamMember.objects.create(
            campaign=self.draft, user=self.organizer, role=TeamMember.Role.ORGANIZER
        )

    def preview_url(self, campaign) -> str:
        return f"/admin/campaigns/campaign/{campaign.pk}/preview/"

    def test_a_draft_is_previewed_with_the_public_page_and_never_cached(self):
        self.client.force_login(self.organizer)
        response = self.client.get(self.preview_url(self.draft))
        self.assertContains(response, "Preview — not public.")
        self.assertContains(response, "/static/css/site.css")
        self.assertContains(response, '<meta name="robots" content="noindex">')
        self.assertIn("no-cache", response["Cache-Control"])
        self.assertIn("private", response["Cache-Control"])
        # "Preview", "View on site" and the story's "Preview the whole page".
        page = self.client.get(change_url(self.draft))
        self.assertContains(page, f'href="{self.preview_url(self.draft)}"', count=3)
        self.assertEqual(self.client.get("/c/draft/").status_code, 404)

    def test_a_draft_preview_shows_the_money_part_as_donors_will_see_it(self):
        self.client.force_login(self.organizer)
        make_campaign(slug="public-twin", title="Draft title")
        preview = self.client.get(self.preview_url(self.draft)).content.decode()
        page = self.client.get("/c/public-twin/").content.decode()
        for part in ('class="progress"', 'class="progress__bar"', "Collected"):
            with self.subTest(part):
                self.assertIn(part, page)
                self.assertIn(part, preview)

    def test_an_organizer_outside_the_team_cannot_preview_it(self):
        self.client.force_login(self.stranger)
        self.assertEqual(self.client.get(self.preview_url(self.draft)).status_code, 404)
        story = self.preview_url(self.draft) + "story/"
        self.assertEqual(self.client.get(story).status_code, 404)

    def test_the_story_being_typed_is_previewed_with_the_campaigns_photos(self):
        add_photo(self.draft, "The window")
        self.client.force_login(self.organizer)
        response = self.client.post(
            self.preview_url(self.draft) + "story/",
            {"story": "## Not saved yet\n\n![Window](photo:1)"},
        )
        self.assertContains(response, "<h2>Not saved yet</h2>", html=False)
        self.assertContains(response, 'alt="Window"')
        self.assertContains(response, "/static/css/site.css")
        self.assertNotIn("Not saved", Campaign.objects.get(pk=self.draft.pk).story)

    def test_a_new_campaigns_story_can_be_previewed_before_it_is_saved(self):
        self.client.force_login(self.organizer)
        response = self.client.post(
            "/admin/campaigns/campaign/preview/story/", {"story": "*Hello*"}
        )
        self.assertContains(response, "<em>Hello</em>", html=False)

    def test_a_preview_of_a_story_too_long_or_with_forged_photos_is_refused(self):
        self.client.force_login(self.organizer)
        url = self.preview_url(self.draft) + "story/"
        for data in (
            {"story": "x" * 100_001},
            {"story": "Hi", "pending": ["t" * 65]},
            {"story": "Hi", "pending": [f"token{n}" for n in range(51)]},
        ):
            with self.subTest(fields=sorted(data)):
                response = self.client.post(url, data)
                self.assertEqual(response.status_code, 400)
        self.assertEqual(Campaign.objects.get(pk=self.draft.pk).story, self.draft.story)


class ChangeFormTests(TemporaryMediaMixin, ZborTestCase):
    def setUp(self):
        self.client.force_login(self.superuser)

    def test_sections_follow_the_order_an_organizer_writes_in(self):
        page = self.client.get(change_url(self.campaign)).content.decode()
        order = [
            "Who and where",
            'id="id_story"',
            'id="photos-group"',
            'id="lines-group"',
            "Payment details shown to donors",
            'id="id_deadline_0"',
            "Who runs this collection",
            'id="team-group"',
            'id="id_published"',
        ]
        positions = [page.index(marker) for marker in order]
        self.assertEqual(positions, sorted(positions))

    def test_the_summary_is_a_few_lines_with_its_limit(self):
        page = self.client.get(ADD_URL).content.decode()
        summary = re.search(r'<textarea[^>]*name="summary"[^>]*>', page)[0]
        self.assertIn('maxlength="300"', summary)
        self.assertIn("data-zbor-count", summary)

    def test_the_story_offers_the_campaigns_photos_by_number(self):
        add_photo(self.campaign, "The room")
        add_photo(self.campaign, "The table")
        page = self.client.get(change_url(self.campaign))
        self.assertContains(page, "Photo 2: The table")
        self.assertContains(page, 'data-zbor-insert="![The table](photo:2)"')
        self.assertContains(page, 'data-zbor-next="3"')
