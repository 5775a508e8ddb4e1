import re
from datetime import timedelta
from decimal import Decimal

from django.test import override_settings
from django.utils import timezone

from campaigns import photos
from campaigns.models import Campaign, Photo
from campaigns.views import LIST_PAGE_SIZE, describe_deadline
from donations.pledging import Donor, pledge_create, pledge_receive
from tests.base import ZborTestCase, make_campaign
from tests.campaigns.helpers import TemporaryMediaMixin, image_file


def add_photo(campaign, *, is_cover=False, alt="A small room", size=(2000, 1000)):
    photo = Photo(campaign=campaign, alt_text=alt, is_cover=is_cover)
    photos.apply(photo, photos.prepare(image_file(size=size)))
    photo.save()
    return photo


class CampaignListTests(ZborTestCase):
    def test_it_lists_published_campaigns_open_first(self):
        now = timezone.now()
        make_campaign(slug="ended", title="Ended", deadline=now - timedelta(days=1))
        make_campaign(slug="soon", title="Soon", deadline=now + timedelta(days=2))
        make_campaign(slug="draft", title="Draft", published=False)
        make_campaign(slug="later", title="Later", deadline=now + timedelta(days=9))
        response = self.client.get("/")
        self.assertEqual(response.status_code, 200)
        titles = [card["campaign"].slug for card in response.context["cards"]]
        self.assertEqual(titles, ["soon", "later", "konstantin", "ended"])
        self.assertNotContains(response, "Draft")
        self.assertContains(response, "The collection is over")

    def test_each_card_shows_collected_and_what_is_still_needed(self):
        made = pledge_create(
            campaign=self.campaign,
            line=None,
            amount=Decimal("818.50"),
            donor=Donor(),
            submission_token=None,
        )
        pledge_receive(pledge=made, amount=Decimal("818.50"), by=None)
        pledge_create(
            campaign=self.campaign,
            line=None,
            amount=Decimal("1438.95"),
            donor=Donor(),
            submission_token=None,
        )
        response = self.client.get("/")
        self.assertContains(
            response, "€818.50 collected of €2,500 · €242.55 still needed"
        )
        self.assertNotContains(response, "€2,257.45")

    def test_its_queries_do_not_grow_with_the_campaigns(self):
        for n in range(5):
            make_campaign(slug=f"c{n}")
        # The page cache's key, the paginator's count, campaigns, their lines,
        # their photos (a miss).
        with self.assertNumQueries(5):
            self.client.get("/")

    def test_it_shows_a_page_of_cards_at_a_time_open_ones_first(self):
        Campaign.objects.filter(pk=self.campaign.pk).update(
            deadline=timezone.now() - timedelta(days=1), title="Closed already"
        )
        for n in range(LIST_PAGE_SIZE):
            make_campaign(slug=f"open-{n}", title=f"Open number {n}")
        first = self.client.get("/")
        self.assertEqual(len(first.context["cards"]), LIST_PAGE_SIZE)
        self.assertNotContains(first, "Closed already")
        self.assertContains(first, 'href="/page/2/" rel="next"')
        second = self.client.get("/page/2/")
        self.assertContains(second, "Closed already")
        self.assertContains(second, 'href="/" rel="prev"')
        self.assertEqual(self.client.get("/page/3/").status_code, 404)
        self.assertRedirects(
            self.client.get("/page/1/"),
            "/",
            status_code=301,
            fetch_redirect_response=False,
        )


class CampaignPageTests(TemporaryMediaMixin, ZborTestCase):
    def test_it_shows_the_story_lines_and_goal(self):
        response = self.client.get("/c/konstantin/")
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "<h1>Helping Konstantin M.", html=False)
        self.assertContains(response, "He left Belarus in April 2024.")
        self.assertContains(response, "How much is needed")
        self.assertContains(response, "Rent for the first three months")
        self.assertContains(response, "€1,000")
        self.assertContains(response, "€2,500")  # the goal

    def test_an_unpublished_campaign_is_not_found(self):
        make_campaign(slug="draft", published=False)
        self.assertEqual(self.client.get("/c/draft/").status_code, 404)
        self.client.force_login(self.superuser)
        self.assertEqual(self.client.get("/c/draft/").status_code, 404)

    def test_an_unknown_campaign_is_not_found(self):
        self.assertEqual(self.client.get("/c/nobody/").status_code, 404)

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post("/c/konstantin/").status_code, 405)

    @override_settings(SITE_URL="https://zbor.example")
    def test_it_has_link_preview_tags_with_absolute_urls(self):
        cover = add_photo(self.campaign, is_cover=True)
        response = self.client.get("/c/konstantin/")
        self.assertContains(
            response, '<link rel="canonical" href="https://zbor.example/c/konstantin/">'
        )
        self.assertContains(
            response,
            '<meta property="og:url" content="https://zbor.example/c/konstantin/">',
        )
        self.assertContains(
            response,
            f'<meta property="og:image" content="https://zbor.example{cover.image.url}">',
        )
        self.assertContains(response, '<meta property="og:image:width" content="1600">')
        self.assertContains(
            response, 'name="twitter:card" content="summary_large_image"'
        )
        self.assertContains(
            response,
            'property="og:description" content="€2,500 still needed of €2,500 — A ',
        )
        self.assertNotContains(response, 'name="robots"')

    def test_the_polish_page_is_in_polish_with_its_own_canonical_address(self):
        response = self.client.get("/pl/c/konstantin/")
        self.assertContains(response, '<html lang="pl"')
        self.assertContains(response, "/pl/c/konstantin/")

    def test_a_noindex_campaign_asks_search_engines_to_stay_away(self):
        self.campaign.noindex = True
        self.campaign.save()
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, '<meta name="robots" content="noindex">')

    def test_the_cover_photo_has_srcset_size_and_alt_and_loads_eagerly(self):
        add_photo(self.campaign, is_cover=True, alt="Konstantin's new room")
        add_photo(self.campaign, alt="The street")
        response = self.client.get("/c/konstantin/")
        html = response.content.decode()
        cover = html[html.index('<figure class="cover">') :].split("</figure>")[0]
        self.assertIn(
            'alt="Konstantin&#x27;s new room"', cover.replace("&#39;", "&#x27;")
        )
        self.assertIn("480w", cover)
        self.assertIn('width="1600" height="800"', cover)
        self.assertNotIn('loading="lazy"', cover)
        gallery = html[html.index('class="gallery"') :]
        self.assertIn('alt="The street"', gallery)
        self.assertIn('loading="lazy"', gallery)

    def test_its_queries_do_not_grow_with_the_lines_or_photos(self):
        add_photo(self.campaign, is_cover=True)
        add_photo(self.campaign)
        # The page cache's key, campaign, lines, photos, the team's updates and
        # what was spent per line (a miss; pledging may add its own, counted there)
        with self.assertNumQueries(6):
            response = self.client.get("/c/konstantin/")
        self.assertEqual(response.status_code, 200)

    def test_the_page_carries_no_inline_script_or_style(self):
        self.campaign.story = '<script>x</script><p style="color:red">hi</p>'
        self.campaign.save()
        html = self.client.get("/c/konstantin/").content.decode()
        # One script of our own, by address (the copy buttons); none inline.
        scripts = re.findall(r"<script[^>]*>", html)
        self.assertEqual(len(scripts), 1)
        self.assertRegex(scripts[0], r'src="/static/js/copy[^"]*\.js"')
        self.assertNotIn("<script>", html)
        self.assertNotIn("<style", html)
        self.assertNotIn("style=", html)

    def test_it_shows_the_days_left_and_the_exact_date(self):
        self.campaign.deadline = timezone.now() + timedelta(days=12)
        self.campaign.save()
        response = self.client.get("/c/konstantin/")
        self.assertContains(response, "12 days left")
        self.assertContains(response, '<time datetime="')


class DeadlineWordsTests(ZborTestCase):
    def words(self, left: timedelta) -> str:
        now = timezone.now()
        self.campaign.deadline = now + left
        return describe_deadline(self.campaign, now)["left"]

    def test_days_hours_and_the_last_hour(self):
        self.assertEqual(self.words(timedelta(days=12)), "12 days left")
        self.assertEqual(
            self.words(timedelta(hours=23, minutes=59) * 1), "24 hours left"
        )
        self.assertEqual(self.words(timedelta(days=1)), "1 day left")
        self.assertEqual(self.words(timedelta(hours=1)), "1 hour left")
        self.assertEqual(self.words(timedelta(hours=5)), "5 hours left")
        self.assertEqual(self.words(timedelta(minutes=10)), "Less than an hour left")

    def test_a_passed_deadline_is_marked_passed(self):
        now = timezone.now()
        self.campaign.deadline = now - timedelta(minutes=1)
        info = describe_deadline(self.campaign, now)
        self.assertTrue(info["passed"])

    def test_no_deadline_says_nothing(self):
        self.assertIsNone(describe_deadline(self.campaign, timezone.now()))


class FaviconTests(ZborTestCase):
    def test_favicon_is_served_at_the_root(self):
        response = self.client.get("/favicon.ico")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/x-icon")
        self.assertIn("max-age", response["Cache-Control"])
