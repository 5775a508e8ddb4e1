"""In-memory images and a throwaway MEDIA_ROOT for the campaign tests."""

from __future__ import annotations

import io
import shutil
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image


def image_file(
    size=(1200, 800), fmt="JPEG", name="holiday.jpg", mode="RGB", **save_kwargs
) -> SimpleUploadedFile:
    image = Image.new(mode, size, (200, 120, 40) if mode == "RGB" else None)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), f"image/{fmt.lower()}")


class TemporaryMediaMixin:
    """Photos written during a test go to a directory removed afterwards."""

    @classmethod
    def setUpClass(cls):
        cls._media_root = tempfile.mkdtemp(prefix="zbor-media-")
        cls._media_override = override_settings(MEDIA_ROOT=cls._media_root)
        cls._media_override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls._media_override.disable()
        shutil.rmtree(cls._media_root, ignore_errors=True)
