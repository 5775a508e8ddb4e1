"""The photo pipeline: check an upload, rebuild it from its pixels, store it in a
few widths under a random name.

The beneficiary may be at risk, so nothing of the original file survives but
its pixels: no EXIF (GPS position, camera serial, dates), no comments, no ICC
profile, not even its file name. Orientation from EXIF is applied first.
"""

from __future__ import annotations

import io
import secrets
import warnings
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from campaigns.models import PendingPhoto

MAX_BYTES = 10 * 1024 * 1024
# A photo kept for a form sent back with a mistake waits this long to be saved.
PENDING_FOR = timedelta(days=1)
MAX_PIXELS = 40_000_000
ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
WIDTHS = (480, 960, 1600)
JPEG_QUALITY = 82


@dataclass
class Rendition:
    width: int
    height: int
    content: bytes
    extension: str


@dataclass
class PreparedPhoto:
    """Every width of one photo, encoded in memory and not yet stored."""

    renditions: list[Rendition] = field(default_factory=list)

    @property
    def largest(self) -> Rendition:
        return self.renditions[-1]


def prepare(upload) -> PreparedPhoto:
    """Check an uploaded file and rebuild it in every width, in memory.

    Raises ValidationError with a message for the organizer; stores nothing.
    """
    size = getattr(upload, "size", None)
    if size is not None and size > MAX_BYTES:
        raise ValidationError(
            _("This file is %(size)s MB; a photo can be at most 10 MB."),
            code="too_large",
            params={"size": f"{size / 1024 / 1024:.1f}"},
        )
    upload.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(upload)
            if image.format not in ACCEPTED_FORMATS:
                raise ValidationError(
                    _("This is a %(format)s file; upload a JPEG, PNG or WebP photo."),
                    code="bad_format",
                    params={"format": image.format or _("unknown")},
                )
            # Checked before decoding, so a small file cannot expand into gigabytes.
            if image.width * image.height > MAX_PIXELS:
                raise ValidationError(
                    _(
                        "This photo is %(width)s × %(height)s pixels; "
                        "at most 40 megapixels are accepted."
                    ),
                    code="too_many_pixels",
                    params={"width": image.width, "height": image.height},
                )
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise ValidationError(
            _("This image claims to be far larger than it is; it was refused."),
            code="decompression_bomb",
        ) from error
    except UnidentifiedImageError as error:
        raise ValidationError(
            _("This file is not a photo; upload a JPEG, PNG or WebP image."),
            code="not_an_image",
        ) from error
    except (OSError, SyntaxError, ValueError) as error:
        raise ValidationError(
            _("This photo is damaged or incomplete; export it again and retry."),
            code="damaged",
        ) from error

    image = ImageOps.exif_transpose(image)
    clean = _from_pixels(image)
    prepared = PreparedPhoto()
    largest = min(clean.width, WIDTHS[-1])  # never upscaled
    widths = [w for w in WIDTHS if w < largest] + [largest]
    for width in widths:
        height = max(1, round(clean.height * width / clean.width))
        resized = clean if width == clean.width else clean.resize((width, height))
        prepared.renditions.append(_encode(resized))
    return prepared


def _from_pixels(image: Image.Image) -> Image.Image:
    """A new image holding only the pixels: info, EXIF, ICC and comments are left
    behind (Pillow copies `info` along with most operations, so start afresh)."""
    has_alpha = image.mode in ("RGBA", "LA", "PA") or (
        image.mode == "P" and "transparency" in image.info
    )
    mode = "RGBA" if has_alpha else "RGB"
    converted = image.convert(mode)
    return Image.frombytes(mode, converted.size, converted.tobytes())


def _encode(image: Image.Image) -> Rendition:
    buffer = io.BytesIO()
    if image.mode == "RGBA":
        image.save(buffer, "WEBP", quality=JPEG_QUALITY, method=4)
        extension = "webp"
    else:
        image.save(
            buffer, "JPEG", quality=JPEG_QUALITY, optimize=True, progressive=True
        )
        extension = "jpg"
    return Rendition(image.width, image.height, buffer.getvalue(), extension)


def store(prepared: PreparedPhoto) -> tuple[str, list[dict]]:
    """Write every rendition under one new random name.

    Returns the largest one's storage name and the variants for Photo.variants.
    """
    token = secrets.token_urlsafe(12).replace("-", "x").replace("_", "y")
    variants = []
    for rendition in prepared.renditions:
        name = default_storage.save(
            f"photos/{token}-{rendition.width}.{rendition.extension}",
            ContentFile(rendition.content),
        )
        variants.append(
            {"width": rendition.width, "height": rendition.height, "name": name}
        )
    return variants[-1]["name"], variants


def smallest_url(photo) -> str:
    """The smallest stored width of a photo, an update's picture or a photo
    waiting to be saved (anything with `variants` and `image`): for thumbnails."""
    if photo.variants:
        return default_storage.url(photo.variants[0]["name"])
    return photo.image.url


def delete_files(names: list[str]) -> None:
    for name in names:
        default_storage.delete(name)


def apply(photo, prepared: PreparedPhoto) -> None:
    """Store the prepared renditions and point `photo` at them (unsaved)."""
    name, variants = store(prepared)
    photo.image.name = name
    photo.width = prepared.largest.width
    photo.height = prepared.largest.height
    photo.variants = variants


# Photos waiting for their campaign's save ----------------------------------


def keep_pending(prepared: PreparedPhoto, *, user, original_name: str) -> PendingPhoto:
    """Store a checked photo now and keep it under a new random token, for a
    form that is sent back: the next send names the token, not the file."""
    name, variants = store(prepared)
    return PendingPhoto.objects.create(
        token=secrets.token_urlsafe(32),
        uploaded_by=user,
        original_name=(original_name or "")[-100:],
        image_name=name,
        width=prepared.largest.width,
        height=prepared.largest.height,
        variants=variants,
    )


def find_pending(token: str, user) -> PendingPhoto | None:
    """The waiting photo this user chose under `token`, if it has not gone stale."""
    if not token or user is None or not user.is_authenticated:
        return None
    return PendingPhoto.objects.filter(
        token=token,
        uploaded_by=user,
        created_at__gt=timezone.now() - PENDING_FOR,
    ).first()


def apply_pending(photo, pending: PendingPhoto) -> None:
    """Point `photo` (unsaved) at the files the waiting photo stored."""
    photo.image.name = pending.image_name
    photo.width = pending.width
    photo.height = pending.height
    photo.variants = pending.variants


def clean_pending(now=None) -> int:
    """Remove waiting photos older than PENDING_FOR, their files with them.
    Returns how many went."""
    stale = PendingPhoto.objects.filter(
        created_at__lte=(now or timezone.now()) - PENDING_FOR
    )
    removed = 0
    for pending in stale.iterator():
        delete_files(pending.file_names)
        pending.delete()
        removed += 1
    return removed
