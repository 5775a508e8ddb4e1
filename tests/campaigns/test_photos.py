import io
import os
import struct
import zlib

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import SimpleTestCase
from PIL import Image

from campaigns import photos
from campaigns.models import Photo
from tests.campaigns.helpers import (
    TemporaryMediaMixin,
    image_file,
    jpeg_with_secrets,
)

GPS_IFD = 0x8825
EXIF_IFD = 0x8769


def png_header_only(width: int, height: int) -> SimpleUploadedFile:
    """A tiny PNG whose header claims width × height pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    content = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + chunk(b"IEND", b"")
    )
    return SimpleUploadedFile("bomb.png", content, "image/png")


class PhotoCheckTests(SimpleTestCase):
    def assertRefused(self, upload, code):
        with self.assertRaises(ValidationError) as caught:
            photos.prepare(upload)
        self.assertEqual(caught.exception.code, code)
        return caught.exception

    def test_it_refuses_a_decompression_bomb(self):
        self.assertRefused(png_header_only(50_000, 50_000), "decompression_bomb")

    def test_it_refuses_more_than_40_megapixels(self):
        error = self.assertRefused(png_header_only(8_000, 6_000), "too_many_pixels")
        self.assertIn("40 megapixels", error.messages[0])

    def test_it_refuses_an_svg_named_like_a_jpeg(self):
        svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
        upload = SimpleUploadedFile("photo.jpg", svg, "image/jpeg")
        self.assertRefused(upload, "not_an_image")

    def test_it_refuses_a_renamed_text_file(self):
        upload = SimpleUploadedFile("photo.png", b"just some notes\n" * 50, "image/png")
        error = self.assertRefused(upload, "not_an_image")
        self.assertIn("JPEG, PNG or WebP", error.messages[0])

    def test_it_refuses_other_image_formats(self):
        self.assertRefused(image_file(fmt="GIF", name="a.gif"), "bad_format")

    def test_it_refuses_a_file_over_10_mb(self):
        upload = SimpleUploadedFile("big.jpg", b"\xff" * (10 * 1024 * 1024 + 1))
        self.assertRefused(upload, "too_large")

    def test_it_refuses_a_truncated_photo(self):
        whole = image_file(size=(600, 400)).read()
        upload = SimpleUploadedFile("cut.jpg", whole[: len(whole) // 2])
        self.assertRefused(upload, "damaged")


class PhotoPipelineTests(TemporaryMediaMixin, SimpleTestCase):
    def test_gps_camera_serial_and_comment_are_gone_and_orientation_applied(self):
        prepared = photos.prepare(jpeg_with_secrets())
        name, variants = photos.store(prepared)
        for variant in variants:
            with default_storage.open(variant["name"]) as stored:
                content = stored.read()
            image = Image.open(io.BytesIO(content))
            self.assertEqual(len(image.getexif()), 0)
            self.assertNotIn("comment", image.info)
            self.assertNotIn("icc_profile", image.info)
            self.assertNotIn(b"Mokotow", content)
            self.assertNotIn(b"SERIAL-12345", content)
            self.assertNotIn(b"SecretCam", content)
        # Portrait once the orientation is applied: 800 wide, 1200 high.
        self.assertEqual((prepared.largest.width, prepared.largest.height), (800, 1200))

    def test_it_stores_three_widths_under_a_random_name(self):
        prepared = photos.prepare(image_file(size=(2400, 1600), name="Anna home.jpg"))
        name, variants = photos.store(prepared)
        self.assertEqual([v["width"] for v in variants], [480, 960, 1600])
        self.assertEqual([v["height"] for v in variants], [320, 640, 1067])
        self.assertEqual(name, variants[-1]["name"])
        self.assertNotIn("Anna", name)
        self.assertNotIn("home", name)
        self.assertTrue(all(default_storage.exists(v["name"]) for v in variants))

    def test_it_never_upscales_a_small_photo(self):
        prepared = photos.prepare(image_file(size=(300, 200)))
        self.assertEqual([r.width for r in prepared.renditions], [300])

    def test_a_transparent_png_keeps_its_transparency_as_webp(self):
        upload = image_file(size=(500, 500), fmt="PNG", name="a.png", mode="RGBA")
        rendition = photos.prepare(upload).largest
        self.assertEqual(rendition.extension, "webp")
        self.assertEqual(Image.open(io.BytesIO(rendition.content)).mode, "RGBA")

    def test_apply_points_the_photo_at_the_stored_files(self):
        photo = Photo(alt_text="x")
        photos.apply(photo, photos.prepare(image_file(size=(1000, 500))))
        self.assertEqual((photo.width, photo.height), (1000, 500))
        self.assertEqual(photo.image.name, photo.variants[-1]["name"])
        self.assertTrue(os.path.exists(photo.image.path))
