"""The team's updates and spending report: the writes behind their admin pages.

Both show on the public campaign page, so each save bumps the campaign's
`version` and replaces its page pointers (campaigns/cache.py) in the same
transaction. An update published for the first time is queued, in that
transaction too, for every donor of the campaign who asked for updates: one
email per address (its newest pledge), set-based (Outbox.objects.queue_for).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.safestring import mark_safe
from djmoney.money import Money

from campaigns.cache import pages_changed
from campaigns.markdown import photo_img, render_story
from campaigns.models import BudgetLine, Campaign
from donations.models import Outbox, Pledge, Spending, Update
from donations.progress import Progress


def _page_changed(campaign_id: int, now: datetime) -> None:
    Campaign.objects.filter(pk=campaign_id).update(
        version=F("version") + 1, updated_at=now
    )
    pages_changed(Campaign.objects.values_list("slug", flat=True).get(pk=campaign_id))


def update_save(*, update: Update, now: datetime | None = None) -> int:
    """Save an update (new or edited); returns how many emails it queued.

    Publishing dates it (unless the organizer gave a date); the first
    publication queues it for the donors who asked, once whatever how often it
    is unpublished and published again."""
    now = now or timezone.now()
    with transaction.atomic():
        if update.published and update.published_at is None:
            update.published_at = now
        queue = update.published and update.emailed_at is None
        if queue:
            update.emailed_at = now
        update.save()
        _page_changed(update.campaign_id, now)
        if not queue:
            return 0
        return Outbox.objects.queue_for(
            _one_pledge_per_address(update.campaign_id),
            Outbox.Kind.UPDATE,
            now=now,
            update=update,
        )


def _one_pledge_per_address(campaign_id: int):
    """The newest pledge of each address that asked for updates, not cancelled."""
    asked = Pledge.objects.filter(
        campaign_id=campaign_id, wants_updates=True, kind=Pledge.Kind.PLEDGE
    ).not_cancelled()
    newest = asked.values("email").annotate(newest=Max("pk")).values("newest")
    return Pledge.objects.filter(pk__in=newest)


def update_delete(*, update: Update, now: datetime | None = None) -> None:
    with transaction.atomic():
        update.delete()
        _page_changed(update.campaign_id, now or timezone.now())


def spending_save(*, spending: Spending, now: datetime | None = None) -> None:
    """Save a spending in its line's currency, and show it on the page."""
    with transaction.atomic():
        spending.amount = spending.line.campaign.money(spending.amount.amount)
        spending.save()
        _page_changed(spending.line.campaign_id, now or timezone.now())


def spending_delete(*, spending: Spending, now: datetime | None = None) -> None:
    with transaction.atomic():
        campaign_id = spending.line.campaign_id
        spending.delete()
        _page_changed(campaign_id, now or timezone.now())


# What the campaign page shows ------------------------------------------------

PAGE_UPDATES = 20
UPDATE_PHOTO_SIZES = "(min-width: 48rem) 44rem, 100vw"


@dataclass(frozen=True)
class ShownUpdate:
    update: Update
    body_html: str
    photo_html: str


def page_updates(campaign: Campaign) -> list[ShownUpdate]:
    """The campaign's published updates, newest first, rendered (one query)."""
    updates = Update.objects.filter(campaign=campaign, published=True).order_by(
        "-published_at", "-pk"
    )[:PAGE_UPDATES]
    return [
        ShownUpdate(
            update=update,
            # The story's sanitiser; an update's only picture is its own photo.
            body_html=render_story(update.body, []),
            photo_html=mark_safe(  # noqa: S308 -- built from escaped values
                photo_img(update, sizes=UPDATE_PHOTO_SIZES, lazy=True)
            )
            if update.image
            else "",
        )
        for update in updates
    ]


@dataclass(frozen=True)
class SpendingLine:
    line: BudgetLine
    target: Money
    received: Money
    spent: Money
    entries: list[Spending]


@dataclass(frozen=True)
class SpendingReport:
    lines: list[SpendingLine]
    target: Money
    received: Money
    spent: Money
    final: bool  # the collection is over: this is its final report


def spending_report(campaign: Campaign, progress: Progress) -> SpendingReport | None:
    """Plan against actual, per budget line: its target, the received money
    that covers it (progress, the covering rule) and what was spent on it,
    summed by the database. None while nothing was spent. One query, two once
    something was."""
    spent = Spending.objects.per_line(campaign)
    if not spent:
        return None
    entries: dict[int, list[Spending]] = {}
    for entry in Spending.objects.filter(line__campaign=campaign).order_by(
        "spent_on", "pk"
    ):
        entries.setdefault(entry.line_id, []).append(entry)
    zero = Decimal("0.00")
    lines = [
        SpendingLine(
            line=shown.line,
            target=shown.line.target,
            received=shown.received,
            spent=campaign.money(spent.get(shown.line.pk, zero)),
            entries=entries.get(shown.line.pk, []),
        )
        for shown in progress.lines
    ]
    return SpendingReport(
        lines=lines,
        target=campaign.money(sum((line.target.amount for line in lines), zero)),
        received=campaign.money(sum((line.received.amount for line in lines), zero)),
        spent=campaign.money(sum(spent.values(), zero)),
        final=campaign.is_closed(),
    )
