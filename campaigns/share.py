"""Ways to pass a campaign on: a printable A4 poster with a QR code to the page,
a small progress badge (SVG) other sites and messengers can show as an image,
links that open a messenger with the page's address in it, and the campaign as
plain text to paste into one.

The share links are plain links to the messengers' own share addresses: no
script, button or image of theirs is loaded, so nothing on our pages tells them
who reads what.

The badge and the QR code are plain images from our own origin: no script, no
external font, no style sheet (presentation attributes only), so they are safe to
embed anywhere and need nothing but `default-src 'none'` as their own CSP.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

import segno
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext
from django.views.decorators.http import require_safe
from djmoney.money import Money

from campaigns import rules
from campaigns.models import Campaign
from campaigns.templatetags.money import format_money, format_percent
from campaigns.views import absolute, cover_img, describe_deadline, share_links

# Images change with the money: short enough that a shared badge is near the
# truth, long enough that a busy forum does not hit the database for each view.
BADGE_MAX_AGE = 300
QR_MAX_AGE = 24 * 3600
POSTER_COVER_SIZES = "(min-width: 48rem) 46rem, 100vw"
IMAGE_CSP = "default-src 'none'"


def _published(slug: str) -> Campaign:
    return get_object_or_404(
        Campaign.objects.published().prefetch_related("lines", "photos"), slug=slug
    )


def campaign_page_url(campaign: Campaign) -> str:
    """The absolute address of the campaign's page, in the active language."""
    return absolute(campaign.get_absolute_url())


def _image_response(
    content: bytes | str, *, max_age: int, campaign: Campaign
) -> HttpResponse:
    response = HttpResponse(content, content_type="image/svg+xml")
    patch_cache_control(response, public=True, max_age=max_age)
    response["Content-Security-Policy"] = IMAGE_CSP
    # Other sites may show it as an image (the whole point of a badge).
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    if campaign.noindex:
        # An image carries no <meta name="robots">: only the header says it.
        response["X-Robots-Tag"] = "noindex"
    return response


@dataclass(frozen=True)
class Need:
    label: str
    target: Money
    received: Money
    promised: Money
    remaining: Money
    done: bool
    fully_promised: bool  # covered only once every promise arrives


def needs(campaign: Campaign, states: rules.Lines | None = None) -> list[Need]:
    """Each budget line with what arrived for it, what is promised and what is
    still needed (the covering rule, applied to received money, then to promises)."""
    states = (campaign.line_states() if states is None else states).lines
    return [
        Need(
            label=line.label,
            target=line.target,
            received=campaign.money(state.received),
            promised=campaign.money(state.promised),
            remaining=campaign.money(state.remaining),
            done=state.is_done,
            fully_promised=state.is_fully_promised,
        )
        for line, state in zip(campaign.lines.all(), states, strict=True)
    ]


@require_safe
def poster(request: HttpRequest, slug: str) -> HttpResponse:
    """An A4 page to print: title, photo, the needs and a QR code to the page.
    It leads with collected money; promises are named as such."""
    campaign = _published(slug)
    now = timezone.now()
    goal = campaign.goal
    collected = campaign.money(campaign.collected.amount)
    promised = campaign.money(campaign.promised.amount)
    states = campaign.line_states()
    return render(
        request,
        "campaigns/poster.html",
        {
            "campaign": campaign,
            "cover": cover_img(campaign, sizes=POSTER_COVER_SIZES, lazy=False),
            "needs": needs(campaign, states),
            "goal": goal,
            "collected": collected,
            "promised": promised,
            "over_goal": campaign.money(states.over_goal_collected),
            "still_needed": campaign.still_needed(),
            "percent_collected": campaign.percent_collected(),
            "state": campaign.state(now),
            "accepting": campaign.is_accepting_pledges(now),
            "deadline": describe_deadline(campaign, now),
            "page_url": campaign_page_url(campaign),
        },
    )


# Share links and the text snapshot ---------------------------------------------


def _money(amount: Money, language: str | None) -> str:
    return format_money(amount.amount, str(amount.currency), language)


def snapshot_text(
    campaign: Campaign, *, page_url: str, language: str | None = None
) -> str:
    """The campaign as plain text for a messenger: the title, where the money
    stands, each line with what it still needs (or what it got, once closed),
    how to give and the address. Exact amounts (format_money). Reads the lines
    (prefetch them); no query of its own."""
    now = timezone.now()
    state = campaign.state(now)
    collected = campaign.money(campaign.collected.amount)
    goal = campaign.goal
    lines = [campaign.title, ""]
    if state == Campaign.State.CLOSED:
        lines.append(
            gettext("The collection is over. Collected: %(collected)s")
            % {"collected": _money(collected, language)}
        )
    else:
        lines.append(
            gettext("%(collected)s collected of %(goal)s")
            % {
                "collected": _money(collected, language),
                "goal": _money(goal, language),
            }
        )
        still_needed = campaign.still_needed()
        if still_needed.amount:
            lines.append(
                gettext("%(needed)s still needed")
                % {"needed": _money(still_needed, language)}
            )
        elif state == Campaign.State.FULLY_PROMISED:
            lines.append(
                gettext("Fully promised: if every promise arrives, the goal is met.")
            )
    lines.append("")
    for need in needs(campaign):
        if need.done:
            figure = gettext("covered") + " ✓"
        elif state == Campaign.State.CLOSED:
            figure = gettext("%(received)s of %(target)s received") % {
                "received": _money(need.received, language),
                "target": _money(need.target, language),
            }
        elif need.fully_promised:
            figure = gettext("fully promised")
        else:
            figure = gettext("%(needed)s still needed of %(goal)s") % {
                "needed": _money(need.remaining, language),
                "goal": _money(need.target, language),
            }
        lines.append(f"• {need.label}: {figure}")
    lines.append("")
    if campaign.is_accepting_pledges(now):
        lines.append(
            gettext(
                "To give: choose an amount on the page; you get the account and a "
                "reference code for your transfer."
            )
        )
        lines.append(absolute(reverse("donations:pledge", args=[campaign.slug])))
        lines.append("")
    lines.append(page_url)
    return "\n".join(lines)


@require_safe
def share_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The campaign as text to paste into a messenger, with a copy button, and
    the share links. Two queries: the campaign and its lines."""
    campaign = get_object_or_404(
        Campaign.objects.published().prefetch_related("lines"), slug=slug
    )
    page_url = campaign_page_url(campaign)
    return render(
        request,
        "campaigns/share.html",
        {
            "campaign": campaign,
            "page_url": page_url,
            "snapshot": snapshot_text(campaign, page_url=page_url),
            "share_links": share_links(page_url, campaign.title),
        },
    )


def qr_svg_bytes(url: str) -> bytes:
    buffer = io.BytesIO()
    segno.make(url, error="m").save(
        buffer, kind="svg", scale=8, border=4, title=url, xmldecl=False
    )
    return buffer.getvalue()


@require_safe
def qr_svg(request: HttpRequest, slug: str) -> HttpResponse:
    """A QR code holding the campaign page's absolute address (settings.SITE_URL)."""
    campaign = get_object_or_404(Campaign.objects.published(), slug=slug)
    return _image_response(
        qr_svg_bytes(campaign_page_url(campaign)),
        max_age=QR_MAX_AGE,
        campaign=campaign,
    )


# The badge ------------------------------------------------------------------

BADGE_HEIGHT = 44
BADGE_PADDING = 10
BAR_HEIGHT = 8
# A generous average advance for 13 px bold system-ui text: the badge never
# clips its text, at worst it has a little room to spare.
CHAR_WIDTH = 8.0
BADGE_COLORS = {
    Campaign.State.OPEN: "#1d4e89",
    Campaign.State.FULLY_PROMISED: "#1f6b3a",
    Campaign.State.CLOSED: "#4a5360",
}


def badge_svg(campaign: Campaign, *, language: str | None = None) -> str:
    """The badge's SVG text: "€1,300 collected of €2,500", a bar of collected
    money, and the percentage or the state. Reads the lines (prefetch them); no
    query of its own."""
    goal = campaign.goal
    collected = campaign.money(campaign.collected.amount)
    state = campaign.state()
    money_text = gettext("%(collected)s collected of %(goal)s") % {
        "collected": format_money(collected.amount, str(collected.currency), language),
        "goal": format_money(goal.amount, str(goal.currency), language),
    }
    if state == Campaign.State.CLOSED:
        state_text = gettext("Collection over")
    elif state == Campaign.State.FULLY_PROMISED:
        state_text = gettext("Fully promised")
    else:
        state_text = format_percent(campaign.percent_collected(), language)
    label = f"{money_text} · {state_text}"
    width = max(160, math.ceil(len(label) * CHAR_WIDTH) + 2 * BADGE_PADDING)
    bar_width = width - 2 * BADGE_PADDING
    fraction = 0 if goal.amount <= 0 else min(collected.amount / goal.amount, 1)
    filled = round(bar_width * float(fraction), 1)
    title = f"{campaign.title}: {label}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" '
        f'height="{BADGE_HEIGHT}" viewBox="0 0 {width} {BADGE_HEIGHT}" role="img" '
        f"aria-label={quoteattr(title)}>"
        f"<title>{escape(title)}</title>"
        f'<rect width="{width}" height="{BADGE_HEIGHT}" rx="6" '
        f'fill="{BADGE_COLORS[state]}"/>'
        f'<text x="{BADGE_PADDING}" y="20" fill="#ffffff" '
        f'font-family="system-ui, -apple-system, Segoe UI, Roboto, sans-serif" '
        f'font-size="13" font-weight="700">{escape(label)}</text>'
        f'<rect x="{BADGE_PADDING}" y="28" width="{bar_width}" '
        f'height="{BAR_HEIGHT}" rx="3" fill="#ffffff" fill-opacity="0.35"/>'
        f'<rect x="{BADGE_PADDING}" y="28" width="{filled}" height="{BAR_HEIGHT}" '
        f'rx="3" fill="#ffffff"/>'
        "</svg>"
    )


@require_safe
def badge(request: HttpRequest, slug: str) -> HttpResponse:
    """/c/<slug>/badge.svg: collected of goal and a bar, as an embeddable image.
    Two queries: the campaign (with its totals) and its lines."""
    campaign = get_object_or_404(
        Campaign.objects.published().prefetch_related("lines"), slug=slug
    )
    return _image_response(
        badge_svg(campaign), max_age=BADGE_MAX_AGE, campaign=campaign
    )
