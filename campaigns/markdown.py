"""Stories: the Markdown organizers write, as the HTML donors read.

Markdown is rendered first, then everything goes through nh3 (ammonia), which
keeps only the tags below. Nothing an organizer types can run script in a
donor's browser or load anything from another site: scripts, event attributes,
`javascript:` links, styles and frames are removed, and an image survives only
when it names one of the campaign's own photos:

    ![What the photo shows](photo:2)

where 2 is the photo's number within its campaign (Photo.number: 1, 2, 3 in
upload order), shown in the admin under the photo; its media URL works too.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

import markdown as markdown_lib
import nh3
from django.utils.safestring import SafeString, mark_safe

if TYPE_CHECKING:
    from campaigns.models import Photo

ALLOWED_TAGS = {
    "p", "br", "hr", "h1", "h2", "h3", "h4", "h5", "h6", "em", "strong", "b",
    "i", "ul", "ol", "li", "blockquote", "a", "img", "code", "pre",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}}
# "photo" only survives on images (see _filter_attribute).
URL_SCHEMES = {"http", "https", "mailto", "photo"}
PHOTO_SRC = re.compile(r"photo:(\d+)")
IMG_TAG = re.compile(r"<img\b([^>]*)>")
ATTRIBUTE = re.compile(r'([a-z-]+)="([^"]*)"')
HEADING = re.compile(r"<(/?)h1>")
STORY_SIZES = "(min-width: 48rem) 44rem, 100vw"


def render_story(text: str, photos: Iterable[Photo]) -> SafeString:
    """The story as safe HTML. `photos` are the campaign's gallery (no queries here:
    pass what the view prefetched); "photo:N" names the one numbered N."""
    by_number = {photo.number: photo for photo in photos}
    by_url = {}
    for photo in by_number.values():
        for url in photo_urls(photo):
            by_url[url] = photo.number

    def filter_attribute(tag: str, name: str, value: str) -> str | None:
        if tag == "img" and name == "src":
            match = PHOTO_SRC.fullmatch(value)
            if match and int(match[1]) in by_number:
                return value
            if value in by_url:
                return f"photo:{by_url[value]}"
            return None  # another site's image, or no such photo
        if tag == "a" and name == "href" and value.lower().startswith("photo:"):
            return None
        return value

    rendered = markdown_lib.markdown(text or "", output_format="html")
    cleaned = nh3.clean(
        rendered,
        tags=ALLOWED_TAGS,
        clean_content_tags={"script", "style"},
        attributes=ALLOWED_ATTRIBUTES,
        attribute_filter=filter_attribute,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener",
    )
    # The page title is the one <h1>: a story's "# Heading" becomes an <h2>.
    cleaned = HEADING.sub(lambda m: f"<{m[1]}h2>", cleaned)
    cleaned = IMG_TAG.sub(lambda m: _gallery_img(m[1], by_number), cleaned)
    return mark_safe(cleaned)  # noqa: S308 -- nh3 has sanitised it just above


def _gallery_img(attributes: str, by_number: dict) -> str:
    """Expand a sanitised <img src="photo:N"> into the gallery photo's full markup."""
    values = dict(ATTRIBUTE.findall(attributes))
    match = PHOTO_SRC.fullmatch(values.get("src", ""))
    if not match:
        return ""  # nh3 dropped its source: nothing left to show
    photo = by_number[int(match[1])]
    alt = values.get("alt") or html.escape(photo.alt_text)  # already escaped by nh3
    return photo_img(photo, alt_escaped=alt, sizes=STORY_SIZES, lazy=True)


def photo_urls(photo: Photo) -> list[str]:
    urls = [photo.image.url] if photo.image else []
    return urls + [variant_url(v) for v in photo.variants]


def variant_url(variant: dict) -> str:
    from django.core.files.storage import default_storage

    return default_storage.url(variant["name"])


def photo_img(
    photo: Photo, *, alt_escaped: str | None = None, sizes: str, lazy: bool
) -> str:
    """An <img> with srcset, width and height, so the page does not jump."""
    srcset = ", ".join(
        f"{html.escape(variant_url(v))} {v['width']}w" for v in photo.variants
    )
    alt = alt_escaped if alt_escaped is not None else html.escape(photo.alt_text)
    parts = [
        f'src="{html.escape(photo.image.url)}"',
        f'srcset="{srcset}"' if srcset else "",
        f'sizes="{html.escape(sizes)}"' if srcset else "",
        f'width="{photo.width}" height="{photo.height}"',
        f'alt="{alt}"',
        'loading="lazy" decoding="async"' if lazy else "",
    ]
    return "<img " + " ".join(p for p in parts if p) + ">"
