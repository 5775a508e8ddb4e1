import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext
from django.views.decorators.http import require_safe

from campaigns.cache import cache_page_by, campaign_list_page
from campaigns.markdown import photo_img, render_story
from campaigns.models import Campaign, Photo

# Cards per page of the list: what a phone scrolls through in a minute, and a
# page whose cost does not grow with the number of campaigns.
LIST_PAGE_SIZE = 24


@require_safe
@cache_page_by(campaign_list_page)
def campaign_list(request: HttpRequest, number: int = 1) -> HttpResponse:
    """Published campaigns, open ones first (soonest deadline first), one page
    of cards at a time. Five queries, whatever their number.

    This page may be indexed: campaigns hidden from search engines (`noindex`)
    are not on it, not even their titles; their own address still works. The
    cached list follows a flip of `noindex` as any campaign save (cache.py)."""
    if number == 1 and request.resolver_match.url_name == "list_page":
        return redirect(_list_url(1), permanent=True)
    listed = Campaign.objects.published().filter(noindex=False).open_first()
    paginator = Paginator(listed, LIST_PAGE_SIZE, allow_empty_first_page=True)
    if number < 1 or number > paginator.num_pages:
        raise Http404("No such page of the list.")
    page = paginator.page(number)
    campaigns = list(page.object_list.prefetch_related("lines", "photos"))
    now = timezone.now()
    cards = [
        {
            "campaign": campaign,
            "cover": cover_img(campaign, sizes=CARD_SIZES, lazy=index > 1),
            "deadline": describe_deadline(campaign, now),
            "is_closed": campaign.is_closed(now),
            # What neither collected money nor promises cover yet.
            "accepting": campaign.is_accepting_pledges(now),
            "still_needed": campaign.still_needed(),
            "fully_promised": campaign.is_fully_promised(),
        }
        for index, campaign in enumerate(campaigns)
    ]
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "cards": cards,
            "page": page,
            "previous_url": _list_url(number - 1) if page.has_previous() else "",
            "next_url": _list_url(number + 1) if page.has_next() else "",
            "canonical_url": settings.SITE_URL + request.path,
        },
    )


def _list_url(number: int) -> str:
    if number == 1:
        return reverse("campaigns:list")
    return reverse("campaigns:list_page", args=[number])


# What other apps add to a campaign's page: donations registers the money (its
# progress, updates and spending report) when it starts (donations/apps.py), so
# the public page and the team's preview show the same parts while campaigns
# imports nothing of donations.
PAGE_PARTS: list[Callable[[Campaign], dict]] = []


def render_campaign_page(
    request: HttpRequest,
    campaign: Campaign,
    *,
    preview: bool = False,
) -> HttpResponse:
    """The campaign page, from a campaign whose lines and photos are prefetched.

    The story, photos and needs come from here, the money from PAGE_PARTS. The
    team's preview (`preview`) is the same page, drafts included, marked as a
    preview and never indexed."""
    now = timezone.now()
    gallery = list(campaign.photos.all())
    cover = cover_photo(gallery)
    in_story = {int(n) for n in PHOTO_REFERENCE.findall(campaign.story)}
    context = {
        "campaign": campaign,
        "preview": preview,
        "lines": list(campaign.lines.all()),
        "story_html": render_story(campaign.story, gallery),
        "cover": cover_img(campaign, sizes=COVER_SIZES, lazy=False, photo=cover),
        "gallery": [
            mark_safe(photo_img(p, sizes=GALLERY_SIZES, lazy=True))  # noqa: S308
            for p in gallery
            if p is not cover and p.number not in in_story
        ],
        "deadline": describe_deadline(campaign, now),
        "canonical_url": absolute(campaign.get_absolute_url()),
        "og_image": og_image(cover),
        "og_locale": og_locale(translation.get_language()),
        "og_locale_alternates": [
            og_locale(code)
            for code, _name in settings.LANGUAGES
            if code != translation.get_language()
        ],
        "share_links": share_links(
            absolute(campaign.get_absolute_url()), campaign.title
        ),
    }
    for part in PAGE_PARTS:
        context.update(part(campaign))
    return render(request, "campaigns/campaign_detail.html", context)


def render_story_preview(
    request: HttpRequest, campaign: Campaign, story: str, waiting=()
) -> HttpResponse:
    """The story alone, as the campaign page shows it (the same stylesheet and
    story markup), for the frame in the admin's change form. Never public:
    the admin's preview views call it for the team. `waiting` are photos not
    saved yet (kept for a page sent back), numbered as they will be."""
    gallery = list(campaign.photos.all()) if campaign.pk else []
    return render(
        request,
        "campaigns/story_preview.html",
        {
            "campaign": campaign,
            "story_html": render_story(story, gallery + list(waiting)),
        },
    )


# Helpers for the pages above ------------------------------------------------

# A gallery photo the story shows, by its number within the campaign.
PHOTO_REFERENCE = re.compile(r"\(photo:(\d+)\)")
COVER_SIZES = "(min-width: 48rem) 46rem, 100vw"
CARD_SIZES = "(min-width: 48rem) 22rem, 100vw"
GALLERY_SIZES = "(min-width: 48rem) 22rem, 50vw"


def absolute(url: str) -> str:
    return url if url.startswith(("http://", "https://")) else settings.SITE_URL + url


def cover_photo(gallery: list[Photo]) -> Photo | None:
    """The photo marked as cover, else the first one."""
    return next((p for p in gallery if p.is_cover), gallery[0] if gallery else None)


def cover_img(
    campaign: Campaign, *, sizes: str, lazy: bool, photo: Photo | None = None
) -> str:
    photo = photo or cover_photo(list(campaign.photos.all()))
    return mark_safe(photo_img(photo, sizes=sizes, lazy=lazy)) if photo else ""  # noqa: S308


# Open Graph names a locale by language and territory. English is written the
# British way here ("organisation", dates day first).
OG_LOCALES = {"en": "en_GB", "pl": "pl_PL", "be": "be_BY", "ru": "ru_RU", "uk": "uk_UA"}


def og_locale(language: str | None) -> str:
    """ "pl" -> "pl_PL", for og:locale."""
    language = (language or settings.LANGUAGE_CODE).split("-")[0]
    return OG_LOCALES.get(language, translation.to_locale(language))


def og_image(photo: Photo | None) -> dict | None:
    """The largest stored width (at most 1600 px) for link previews."""
    if photo is None:
        return None
    return {
        "url": absolute(photo.image.url),
        "width": photo.width,
        "height": photo.height,
        "alt": photo.alt_text,
    }


def describe_deadline(campaign: Campaign, now: datetime) -> dict | None:
    """The deadline in the donor's terms: "12 days left", and the exact date."""
    if campaign.deadline is None:
        return None
    left = campaign.deadline - now
    if left <= timedelta(0):
        text = ""
    elif left >= timedelta(days=1):
        days = math.ceil(left / timedelta(days=1))
        text = ngettext("%(count)d day left", "%(count)d days left", days) % {
            "count": days
        }
    elif left >= timedelta(hours=1):
        hours = math.ceil(left / timedelta(hours=1))
        text = ngettext("%(count)d hour left", "%(count)d hours left", hours) % {
            "count": hours
        }
    else:
        text = gettext("Less than an hour left")
    return {"at": campaign.deadline, "left": text, "passed": left <= timedelta(0)}


@dataclass(frozen=True)
class ShareLink:
    name: str
    url: str


def share_links(page_url: str, text: str) -> list[ShareLink]:
    """Links that open each messenger with `text` and the page's address ready
    to send. Facebook takes the address only (its preview reads the page)."""
    message = f"{text}\n{page_url}"
    # Translators: brand names: keep each exactly as it is.
    telegram, whatsapp = gettext("Telegram"), gettext("WhatsApp")
    # Translators: brand names: keep each exactly as it is.
    viber, facebook = gettext("Viber"), gettext("Facebook")
    return [
        ShareLink(
            telegram,
            "https://t.me/share/url?" + urlencode({"url": page_url, "text": text}),
        ),
        ShareLink(whatsapp, "https://wa.me/?" + urlencode({"text": message})),
        ShareLink(viber, "viber://forward?text=" + quote(message, safe="")),
        ShareLink(
            facebook,
            "https://www.facebook.com/sharer/sharer.php?" + urlencode({"u": page_url}),
        ),
    ]
