from django.test import SimpleTestCase

from campaigns.markdown import render_story
from campaigns.models import Photo


def gallery_photo(number=3, pk=40) -> Photo:
    photo = Photo(
        pk=pk,
        number=number,
        alt_text="A small room",
        width=1600,
        height=1000,
        variants=[
            {"width": 480, "height": 300, "name": "photos/abc-480.jpg"},
            {"width": 1600, "height": 1000, "name": "photos/abc-1600.jpg"},
        ],
    )
    photo.image.name = "photos/abc-1600.jpg"
    return photo


class StoryMarkdownTests(SimpleTestCase):
    def test_it_renders_headings_emphasis_lists_quotes_and_links(self):
        html = render_story(
            "## Why\n\n*so* **much**\n\n- one\n- two\n\n> thanks\n\n"
            "[site](https://example.org) [mail](mailto:a@example.org)",
            [],
        )
        for fragment in (
            "<h2>Why</h2>",
            "<em>so</em>",
            "<strong>much</strong>",
            "<li>one</li>",
            "<blockquote>",
            '<a href="https://example.org" rel="nofollow noopener">site</a>',
            'href="mailto:a@example.org"',
        ):
            self.assertIn(fragment, html)

    def test_a_first_level_heading_becomes_h2_under_the_page_title(self):
        self.assertEqual(render_story("# Hello", []), "<h2>Hello</h2>")

    def test_it_shows_a_gallery_photo_with_srcset_and_size(self):
        html = render_story("![Her room](photo:3)", [gallery_photo()])
        self.assertIn('src="/media/photos/abc-1600.jpg"', html)
        self.assertIn(
            'srcset="/media/photos/abc-480.jpg 480w, /media/photos/abc-1600.jpg 1600w"',
            html,
        )
        self.assertIn('width="1600" height="1000" alt="Her room"', html)
        self.assertIn('loading="lazy"', html)

    def test_photo_n_is_the_campaigns_nth_photo_not_its_database_id(self):
        first = gallery_photo(number=1, pk=17)
        html = render_story("![Her room](photo:1)", [first])
        self.assertIn('alt="Her room"', html)
        self.assertNotIn("<img", render_story("![x](photo:17)", [first]))

    def test_a_gallery_photo_can_be_named_by_its_media_url(self):
        html = render_story("![x](/media/photos/abc-480.jpg)", [gallery_photo()])
        self.assertIn("srcset=", html)


class StorySanitisingTests(SimpleTestCase):
    """Each attack stays inert: nothing runs, nothing loads from elsewhere."""

    def render(self, text: str) -> str:
        return render_story(text, [gallery_photo()]).lower()

    def test_script_tags_are_removed_with_their_content(self):
        html = self.render("Hi <script>alert(1)</script> there")
        self.assertNotIn("<script", html)
        self.assertNotIn("alert", html)

    def test_event_attributes_are_removed(self):
        html = self.render(
            '<img src="photo:3" onerror="alert(1)"> <p onclick="alert(2)">x</p>'
            '\n\n<a href="https://example.org" onmouseover="alert(3)">y</a>'
        )
        self.assertNotIn("onerror", html)
        self.assertNotIn("onclick", html)
        self.assertNotIn("onmouseover", html)
        self.assertNotIn("alert", html)

    def test_javascript_and_data_links_lose_their_target(self):
        html = self.render(
            "[a](javascript:alert(1)) <a href='JaVaScRiPt:alert(2)'>b</a> "
            "<a href='data:text/html,<script>alert(3)</script>'>c</a> "
            "[d](vbscript:msgbox(1))"
        )
        self.assertNotIn("javascript:", html)
        self.assertNotIn("data:", html)
        self.assertNotIn("vbscript:", html)
        self.assertNotIn("href", html)

    def test_style_tags_and_attributes_are_removed(self):
        html = self.render(
            "<style>body{display:none}</style>"
            '<p style="position:fixed;background:url(https://evil.example/x)">x</p>'
            '<link rel="stylesheet" href="https://evil.example/a.css">'
        )
        self.assertNotIn("style", html)
        self.assertNotIn("display:none", html)
        self.assertNotIn("evil.example", html)

    def test_external_images_are_dropped(self):
        html = self.render(
            "![track](https://evil.example/pixel.gif) "
            '<img src="//evil.example/b.png"> <img src="http://evil.example/c.png"> '
            '<img src="photo:3" srcset="https://evil.example/d.png 2x">'
        )
        self.assertNotIn("evil.example", html)
        self.assertEqual(html.count("<img"), 1)  # only the gallery photo

    def test_a_photo_of_another_campaign_is_dropped(self):
        self.assertNotIn("<img", self.render("![x](photo:99)"))

    def test_frames_objects_and_forms_are_removed(self):
        html = self.render(
            '<iframe src="https://evil.example"></iframe>'
            '<object data="https://evil.example/x.swf"></object>'
            '<embed src="https://evil.example/y">'
            '<form action="https://evil.example"><input name="card"></form>'
            '<svg onload="alert(1)"></svg><meta http-equiv="refresh" content="0">'
        )
        for tag in ("<iframe", "<object", "<embed", "<form", "<input", "<svg", "<meta"):
            self.assertNotIn(tag, html)
        self.assertNotIn("evil.example", html)

    def test_a_photo_link_is_not_a_link(self):
        self.assertNotIn("href", self.render("[see](photo:3)"))

    def test_quotes_in_alt_text_cannot_break_out_of_the_attribute(self):
        html = render_story('![x" onerror="alert(1)](photo:3)', [gallery_photo()])
        self.assertNotIn('" onerror="', html)
