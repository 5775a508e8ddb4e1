"""In-memory images and a throwaway MEDIA_ROOT for the campaign tests."""

from __future__ import annotations

import io
import shutil
import tempfile

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from PIL import Image

GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def image_file(
    size=(1200, 800), fmt="JPEG", name="holiday.jpg", mode="RGB", **save_kwargs
) -> SimpleUploadedFile:
    image = Image.new(mode, size, (200, 120, 40) if mode == "RGB" else None)
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_kwargs)
    return SimpleUploadedFile(name, buffer.getvalue(), f"image/{fmt.lower()}")


def jpeg_with_secrets() -> SimpleUploadedFile:
    """A 1200 × 800 JPEG shot "rotated" (orientation 6), with GPS, a camera serial
    and a comment: everything the pipeline must leave behind."""
    image = Image.new("RGB", (1200, 800), (10, 120, 200))
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: rotate 90° clockwise to display
    exif[0x010F] = "SecretCam"
    exif.get_ifd(EXIF_IFD)[0xA431] = "SERIAL-12345"  # body serial number
    gps = exif.get_ifd(GPS_IFD)
    gps[1] = "N"
    gps[2] = (52.0, 13.0, 37.0)
    gps[3] = "E"
    gps[4] = (21.0, 0.0, 42.0)
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif, comment=b"flat 12, Mokotow")
    return SimpleUploadedFile("IMG_0001 home.jpg", buffer.getvalue(), "image/jpeg")


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
