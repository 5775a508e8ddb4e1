"""Uploaded photos served by the app (SERVE_MEDIA): as inert images, cached for
a day, and nothing outside MEDIA_ROOT. Files go to a temporary MEDIA_ROOT."""

from pathlib import Path

from django.test import TestCase

from tests.campaigns.helpers import TemporaryMediaMixin

MEDIA_CSP = "default-src 'none'; sandbox"


class MediaTests(TemporaryMediaMixin, TestCase):
    def put(self, name: str, content: bytes) -> None:
        from django.conf import settings

        path = Path(settings.MEDIA_ROOT) / "photos" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    def test_it_serves_uploaded_photos_as_inert_cacheable_images(self):
        self.put("test-served.jpg", b"\xff\xd8\xff\xe0 not really a jpeg")
        response = self.client.get("/media/photos/test-served.jpg")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/jpeg")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")
        self.assertEqual(response["Content-Security-Policy"], MEDIA_CSP)
        cache_control = {d.strip() for d in response["Cache-Control"].split(",")}
        self.assertEqual(cache_control, {"public", "max-age=86400"})

    def test_a_file_that_would_run_as_a_page_is_sandboxed(self):
        # Should anything but a photo ever land here, a browser opening it runs
        # no script and sends no form: the policy says so, not the site's own.
        self.put("slipped.html", b"<script>alert(document.cookie)</script>")
        response = self.client.get("/media/photos/slipped.html")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Security-Policy"], MEDIA_CSP)
        self.assertNotIn("script-src", response["Content-Security-Policy"])

    def test_a_second_visit_is_answered_not_modified(self):
        self.put("again.jpg", b"\xff\xd8\xff\xe0 jpeg")
        first = self.client.get("/media/photos/again.jpg")
        response = self.client.get(
            "/media/photos/again.jpg",
            headers={"if-modified-since": first["Last-Modified"]},
        )
        self.assertEqual(response.status_code, 304)
        self.assertEqual(response["Content-Security-Policy"], MEDIA_CSP)

    def test_it_answers_only_get_and_head(self):
        self.put("method.jpg", b"\xff\xd8\xff\xe0 jpeg")
        self.assertEqual(self.client.head("/media/photos/method.jpg").status_code, 200)
        self.assertEqual(self.client.post("/media/photos/method.jpg").status_code, 405)

    def test_it_refuses_paths_outside_the_media_folder(self):
        for path in (
            "/media/../manage.py",
            "/media/%2e%2e/manage.py",
            "/media/photos/",
        ):
            with self.subTest(path=path):
                response = self.client.get(path)
                self.assertIn(response.status_code, (400, 404))
                self.assertNotIn(b"DJANGO_SETTINGS_MODULE", response.content)

    def test_a_missing_photo_is_404(self):
        self.assertEqual(self.client.get("/media/photos/nope.jpg").status_code, 404)

    def test_the_test_leaves_nothing_in_the_real_media_folder(self):
        from django.conf import settings

        self.put("temporary.jpg", b"x")
        self.assertNotEqual(
            Path(settings.MEDIA_ROOT).resolve(),
            (Path(__file__).resolve().parents[1] / "media").resolve(),
        )
