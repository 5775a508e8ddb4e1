from pathlib import Path

from django.test import TestCase


class MediaTests(TestCase):
    def test_it_serves_uploaded_photos_with_nosniff(self):
        from django.conf import settings

        folder = Path(settings.MEDIA_ROOT) / "photos"
        folder.mkdir(parents=True, exist_ok=True)
        photo = folder / "test-served.jpg"
        photo.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
        self.addCleanup(photo.unlink)

        response = self.client.get("/media/photos/test-served.jpg")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response["Content-Type"], "image/jpeg")
        self.assertEqual(response["X-Content-Type-Options"], "nosniff")

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
