"""The suite touches only what it created: photos go to a MEDIA_ROOT of its own
(conftest.py), never to the repository's media/ folder."""

import os
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import SimpleTestCase


class MediaRootTests(SimpleTestCase):
    def test_photos_are_stored_outside_the_repository(self):
        root = Path(settings.MEDIA_ROOT).resolve()
        self.assertFalse(root.is_relative_to(Path(settings.BASE_DIR).resolve()), root)
        name = default_storage.save("photos/isolation-check.jpg", ContentFile(b"x"))
        self.addCleanup(default_storage.delete, name)
        self.assertTrue(Path(default_storage.path(name)).resolve().is_relative_to(root))

    def test_servers_the_tests_start_get_the_same_media_root(self):
        self.assertEqual(Path(os.environ["MEDIA_ROOT"]), Path(settings.MEDIA_ROOT))
