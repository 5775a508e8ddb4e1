"""Every write that changes a pledge or a campaign's totals.

The rules themselves live in campaigns/rules.py; this module applies them to
the database. Each write that moves money locks the campaign row
(`select_for_update(no_key=True)` inside `transaction.atomic`), reads under
that lock what it needs, changes the pledge, moves the stored totals by exactly
the pledge's change, writes the record (`Activity.objects.record`), and closes
or reopens the campaign when received money crosses its goal, all in one
transaction. So the totals always equal `Pledge.objects.totals_for(campaign)`,
and however many volunteers confirm money at once, exactly one receipt closes
a campaign at its goal. On SQLite, where `select_for_update` does nothing,
immediate transactions (config/settings.py) give the same one-writer order.

FOR NO KEY UPDATE rather than FOR UPDATE: writers still queue for the row, but
inserting a pledge that refers to the campaign (a KEY SHARE lock) does not.

A new pledge, the one write every donor makes, is also the one that must be
fast: on PostgreSQL it is one statement (`_pledge_in_one_statement`) that
counts the pledge and inserts it only if the campaign accepts it. Elsewhere,
and whenever that statement writes nothing, the pledge is decided under the
lock by the ORM (`_pledge_locked`), which also says why a pledge is refused.
Either way the donor's email is not sent here: the same transaction adds an
Outbox row, which a worker sends (donations/outbox.py).
"""

from __future__ import annotations

import threading
from array import array
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Lookup, Q
from django.db.models.lookups import In
from django.utils import timezone
from djmoney.money import Money

from campaigns import rules
from campaigns.cache import pages_changed
from campaigns.models import Activity, BudgetLine, Campaign
from campaigns.money import to_cents
from campaigns.templatetags.money import format_money
from donations.models import Outbox, Pledge, new_reference

PLEDGE_MIN = Decimal(settings.ZBOR_PLEDGE_MIN)
EXPIRED = "expired"
# The cancel reason of a pledge its donor cancelled (donations/self_service.py).
DONOR_CANCELLED = "donor"
EXPIRY_BATCH = 2000


class PledgeRefused(rules.Refused):
    """A write the rules do not allow; `code` is a key of rules.REFUSALS."""


class CampaignNotAccepting(PledgeRefused):
    """The campaign takes no pledges now (closed, past its deadline…)."""


class LineRefused(PledgeRefused):
    """The chosen budget line is done or not one of the campaign's."""


class AmountRefused(PledgeRefused):
    """The amount is outside what the campaign accepts."""


class NeedsConfirmation(PledgeRefused):
    """An amount far from the expected one: call again with confirmed=True."""

    def __init__(
        self, *, expected: Money, received: Money, code: str = "needs_confirmation"
    ) -> None:
        currency = str(expected.currency)
        super().__init__(
            code,
            expected=format_money(expected.amount, currency),
            received=format_money(received.amount, currency),
        )
        self.expected = expected
        self.received = received


@dataclass(frozen=True)
class Donor:
    """What the donor told us about themselves; none of it is ever required."""

    name: str = ""
    is_anonymous: bool = False
    show_amount: bool = False
    email: str = ""
    message: str = ""
    language: str = ""
    wants_updates: bool = False


# ---------------------------------------------------------------------------
# Moving the stored totals by one pledge's change
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Share:
    """What one pledge adds to its campaign's totals in its current status."""

    collected: Decimal = Decimal(0)
    promised: Decimal = Decimal(0)
    supporters: int = 0
    line_id: int | None = None

    @classmethod
    def of(cls, pledge: Pledge) -> Share:
        if pledge.status == Pledge.Status.CANCELLED:
            return cls()
        effective = to_cents(pledge.effective_amount.amount)
        received = pledge.status == Pledge.Status.RECEIVED
        return cls(
            collected=effective if received else Decimal(0),
            promised=Decimal(0) if received else effective,
            supporters=1,
            line_id=pledge.line_id,
        )

    @property
    def effective(self) -> Decimal:
        return self.collected + self.promised


NOTHING = Share()


def _lock(campaign: Campaign | int) -> Campaign:
    """The campaign row, locked until the transaction ends, with its lines."""
    pk = campaign if isinstance(campaign, int) else campaign.pk
    return (
        Campaign.objects.select_for_update(no_key=True)
        .prefetch_related("lines")
        .get(pk=pk)
    )


def _move_totals(campaign: Campaign, before: Share, after: Share, now) -> None:
    """Apply one pledge's change to the locked campaign and its lines.

    The new values are computed from the rows read under the lock, so they are
    exact (and SQLite, which adds decimals as floats, never adds them); the
    objects in memory are updated too, for the rules checked next."""
    currency = campaign.currency
    campaign.collected = campaign.money(
        campaign.collected.amount + after.collected - before.collected
    )
    campaign.promised = campaign.money(
        campaign.promised.amount + after.promised - before.promised
    )
    campaign.supporters += after.supporters - before.supporters
    campaign.version += 1
    Campaign.objects.filter(pk=campaign.pk).update(
        collected=campaign.collected,
        promised=campaign.promised,
        supporters=campaign.supporters,
        version=campaign.version,
    )
    lines = {line.pk: line for line in campaign.lines.all()}
    for share, sign in ((before, -1), (after, 1)):
        if share.line_id is None:
            continue
        line = lines[share.line_id]
        line.earmarked = Money(
            to_cents(line.earmarked.amount + sign * share.effective), currency
        )
        line.earmarked_collected = Money(
            to_cents(line.earmarked_collected.amount + sign * share.collected),
            currency,
        )
    for line_id in {before.line_id, after.line_id} - {None}:
        line = lines[line_id]
        BudgetLine.objects.filter(pk=line_id).update(
            earmarked=line.earmarked, earmarked_collected=line.earmarked_collected
        )
    # Money, not the campaign itself: the list shows it a little later.
    pages_changed(campaign.slug, list_too=False)


def _record_closing(
    campaign: Campaign, *, reason: str, by, now: datetime, note: str = ""
) -> None:
    campaign.closed_at, campaign.closed_reason = now, reason
    campaign.closed_by = by if by is not None and by.is_authenticated else None
    campaign.version += 1
    Campaign.objects.filter(pk=campaign.pk).update(
        closed_at=now,
        closed_reason=reason,
        closed_by=campaign.closed_by,
        version=campaign.version,
        updated_at=timezone.now(),
    )
    pages_changed(campaign.slug)
    Activity.objects.record(
        campaign,
        Activity.Action.CLOSED,
        by=by,
        details={
            "reason": reason,
            "collected": _amount(campaign.collected),
            "promised": _amount(campaign.promised),
            **({"note": note} if note else {}),
        },
        now=now,
    )


def _record_reopening(campaign: Campaign, *, by, now: datetime, details: dict) -> None:
    """Reopen the locked campaign with its deadline and stop-at-goal as they
    are on `campaign` now."""
    campaign.closed_at, campaign.closed_reason, campaign.closed_by = None, "", None
    campaign.version += 1
    Campaign.objects.filter(pk=campaign.pk).update(
        closed_at=None,
        closed_reason="",
        closed_by=None,
        deadline=campaign.deadline,
        stop_at_goal=campaign.stop_at_goal,
        version=campaign.version,
        updated_at=timezone.now(),
    )
    pages_changed(campaign.slug)
    Activity.objects.record(
        campaign, Activity.Action.REOPENED, by=by, details=details, now=now
    )


def _after_money_moved(campaign: Campaign, *, by, now: datetime) -> None:
    """Close a stop-at-goal campaign whose collected money reached its goal, or
    reopen one that closed by itself at its goal and fell below it again."""
    collected, goal = to_cents(campaign.collected.amount), campaign.goal.amount
    if campaign.closed_at is None:
        if not campaign.is_closed(now) and rules.closes_at_goal(
            stop_at_goal=campaign.stop_at_goal, goal=goal, collected=collected
        ):
            _record_closing(campaign, reason=Campaign.ClosedReason.GOAL, by=by, now=now)
    elif rules.reopens_by_itself(
        closed_reason=campaign.closed_reason,
        goal=goal,
        collected=collected,
        deadline=campaign.deadline,
        now=now,
    ):
        _record_reopening(
            campaign,
            by=by,
            now=now,
            details={
                "reason": "collected fell below the goal after a correction",
                "previous_reason": Campaign.ClosedReason.GOAL,
                "automatic": True,
                "collected": str(collected),
                "goal": str(goal),
            },
        )


def _amount(value: Money | None) -> str:
    return "" if value is None else str(to_cents(value.amount))


def _flags(confirmed: bool, source: str) -> dict:
    """What the record adds to a money event: that the volunteer confirmed an
    unusual amount, and the bank statement entry the money came in by."""
    return {
        **({"confirmed": True} if confirmed else {}),
        **({"statement_entry": source} if source else {}),
    }


def _check_confirmation(*, expected: Money, received: Money, confirmed: bool) -> None:
    if not confirmed and rules.needs_confirmation(
        expected=to_cents(expected.amount), received=received.amount
    ):
        raise NeedsConfirmation(expected=expected, received=received)


def _positive(amount: Decimal, currency: str) -> Decimal:
    try:
        amount = Decimal(amount)
    except (InvalidOperation, TypeError, ValueError):
        raise AmountRefused("invalid") from None
    refusal = rules.amount_refusal(amount, minimum=Decimal("0.01"))
    if refusal:
        raise AmountRefused(refusal, min=format_money(Decimal("0.01"), currency))
    return to_cents(amount)


# What a change of status writes: the status and every field that goes with it.
STATUS_FIELDS = [
    "status",
    "received_amount",
    "received_amount_currency",
    "received_at",
    "received_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
]


def _pledge_changed(
    campaign: Campaign,
    pledge: Pledge,
    before: Share,
    *,
    action: str,
    by,
    details: dict,
    now: datetime,
) -> None:
    """Save a pledge changed under its campaign's lock, move the totals by the
    change (`before` is its share as it was) and record it."""
    pledge.save(update_fields=STATUS_FIELDS)
    _move_totals(campaign, before, Share.of(pledge), now)
    Activity.objects.record(
        campaign,
        action,
        by=by,
        reference=pledge.reference,
        details={**details, "currency": campaign.currency},
        now=now,
    )


# ---------------------------------------------------------------------------
# Pledging
# ---------------------------------------------------------------------------


def check_pledge(
    campaign: Campaign,
    *,
    line: BudgetLine | None,
    amount: Decimal,
    now: datetime,
) -> None:
    """Raise the PledgeRefused the rules give for this pledge to `campaign`
    (read with its lines), if any. No query."""
    refusal = campaign.acceptance_refusal(now)
    if refusal:
        raise CampaignNotAccepting(refusal)
    refusal = rules.amount_refusal(
        amount, minimum=PLEDGE_MIN, maximum=campaign.max_pledge
    )
    if refusal:
        raise AmountRefused(
            refusal,
            min=format_money(PLEDGE_MIN, campaign.currency),
            max=format_money(campaign.max_pledge, campaign.currency),
        )
    if line is not None:
        lines = list(campaign.lines.all())
        position = next((i for i, own in enumerate(lines) if own.pk == line.pk), None)
        if position is None:
            raise LineRefused("invalid_choice")
        if campaign.line_states().lines[position].is_done:
            raise LineRefused("covered", line=lines[position].label)


def pledge_for_token(submission_token: str | None) -> Pledge | None:
    """The pledge already made with this one-time token, if any (one query)."""
    if not submission_token:
        return None
    return Pledge.objects.filter(submission_token=submission_token).first()


def pledge_create(
    *,
    campaign: Campaign,
    line: BudgetLine | None,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
    now: datetime | None = None,
) -> Pledge:
    """Record a donor's pledge, if the campaign accepts it. Returns the pledge.

    `campaign` is read with its lines, without a lock: the rules are checked
    against it first (check_pledge), then the write checks again what may have
    changed since: the campaign closed, its deadline passed, its limit fell.
    Promises never stop a collection: what is promised is not read. An
    earmark is checked again too: a line that received money covered in the
    meantime is refused.

    A pledge already made with this one-time token (a double click, a retry) is
    returned as it is and nothing is created.
    """
    now = now or timezone.now()
    amount = Decimal(amount)
    try:
        check_pledge(campaign, line=line, amount=amount, now=now)
    except PledgeRefused:
        existing = pledge_for_token(submission_token)
        if existing is not None:
            return existing
        raise

    def write() -> Pledge:
        pledge = _new_pledge(campaign, line, amount, donor, submission_token)
        if _has_one_statement() and _pledge_in_one_statement(
            pledge, slug=campaign.slug, now=now
        ):
            return pledge
        with transaction.atomic():
            return _pledge_locked(pledge, campaign_id=campaign.pk, now=now)

    try:
        return _once_per_token(submission_token, write)
    except PledgeRefused:
        # Refused under the lock, but this very form may have made the pledge
        # before (a second post racing the first).
        existing = pledge_for_token(submission_token)
        if existing is not None:
            return existing
        raise


def pledge_at_once(
    *,
    slug: str,
    line_id: int | None = None,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
    now: datetime | None = None,
) -> Pledge | None:
    """A donor's pledge to the campaign `slug` (and line `line_id`), written
    before anything is read: on PostgreSQL one statement, which writes only if
    the campaign accepts it and received money does not cover the line yet.

    Returns the pledge (or the one this token made already), or None when
    nothing was written: then read the campaign and call pledge_create, which
    says why."""
    if not _has_one_statement():
        return None
    now = now or timezone.now()
    amount = Decimal(amount)
    if rules.amount_refusal(amount, minimum=PLEDGE_MIN):
        return None

    def write() -> Pledge | None:
        pledge = _new_pledge(None, None, amount, donor, submission_token)
        pledge.line_id = line_id
        written = _pledge_in_one_statement(pledge, slug=slug, now=now)
        return pledge if written else None

    return _once_per_token(submission_token, write)


def _once_per_token(
    submission_token: str | None, write: Callable[[], Pledge | None]
) -> Pledge | None:
    """`write()` a new pledge, again with a new reference code if the one drawn
    was taken (the unique index refuses it; rare with 31**8 codes); if this
    one-time token made a pledge already, that pledge instead."""
    for _attempt in range(3):
        try:
            return write()
        except IntegrityError:
            # The whole write was rolled back.
            existing = pledge_for_token(submission_token)
            if existing is not None:
                return existing
    raise IntegrityError("could not store the pledge with a unique reference")


def _new_pledge(
    campaign: Campaign | None,
    line: BudgetLine | None,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
) -> Pledge:
    """A pending pledge, not saved yet."""
    name = donor.name.strip()
    return Pledge(
        campaign=campaign,
        line=line,
        kind=Pledge.Kind.PLEDGE,
        amount=Money(to_cents(amount), campaign.currency if campaign else "EUR"),
        status=Pledge.Status.PENDING,
        reference=new_reference(),
        submission_token=submission_token or None,
        donor_name="" if donor.is_anonymous else name,
        is_anonymous=donor.is_anonymous or not name,
        show_amount=donor.show_amount,
        email=donor.email,
        message=donor.message.strip(),
        language=donor.language,
        wants_updates=donor.wants_updates and bool(donor.email),
        # What save() gives it (auto_now_add), for the one statement too.
        created_at=timezone.now(),
    )


def _pledge_locked(pledge: Pledge, *, campaign_id: int, now: datetime) -> Pledge:
    """Decide and write a pledge under the campaign's row lock (inside a
    transaction): the rules against the row as it is now, then the pledge and
    the totals."""
    campaign = _lock(campaign_id)
    check_pledge(campaign, line=pledge.line, amount=pledge.amount.amount, now=now)
    pledge.campaign = campaign
    pledge.amount = campaign.money(pledge.amount.amount)
    pledge.save(force_insert=True)
    _move_totals(campaign, NOTHING, Share.of(pledge), now)
    _pledge_made(pledge)
    return pledge


def _has_one_statement() -> bool:
    # UPDATEs inside WITH, feeding an INSERT: PostgreSQL's, not SQLite's.
    return connection.vendor == "postgresql"


# The pledge in one statement, on PostgreSQL. The campaign's conditions are
# rules.acceptance_refusal's (published, not closed, before the deadline, with
# a line) and rules.amount_refusal's upper limit (the lower one is checked
# before); tests/donations/test_pledge_statement.py ties the statement to those
# rules in every state a campaign can be in, and to the models' columns (a new
# column or a new field the rules read fails it). The UPDATE takes the row
# lock; a row another pledge has just changed is checked again in its new
# version once that pledge commits (READ COMMITTED). The earmarked line must be
# the campaign's and still open: the covering rule on received money
# (rules.line_states), as a window over the campaign's lines in their order.
# A line is done when what is earmarked to it covers it (`direct` reaches its
# target), or when the received money left over from all earmarks
# (collected - direct_all) fills every gap up to and including it
# (`gaps_to_here`); the same test ties this condition to rules.line_states.
# A donor who gave an email gets an outbox row in the same statement
# (`mailed`), as _pledge_made writes it. In autocommit the statement is its own
# transaction and the row lock lasts no round trip.
PLEDGE_STATEMENT = """
WITH counted AS (
    UPDATE campaigns_campaign AS c
    SET promised = ROUND(c.promised + %(amount)s, 2),
        supporters = c.supporters + 1,
        version = c.version + 1
    WHERE c.slug = %(slug)s
      AND c.published
      AND c.closed_at IS NULL
      AND (c.deadline IS NULL OR c.deadline > %(now)s)
      AND c.max_pledge >= %(amount)s
      AND EXISTS (
          SELECT 1 FROM (
              SELECT l.id, l.target, LEAST(l.earmarked_collected, l.target) AS direct,
                     SUM(l.target - LEAST(l.earmarked_collected, l.target))
                         OVER (ORDER BY l.position, l.id) AS gaps_to_here,
                     SUM(LEAST(l.earmarked_collected, l.target)) OVER () AS direct_all
              FROM campaigns_budgetline AS l
              WHERE l.campaign_id = c.id
          ) AS s
          WHERE %(line_id)s::bigint IS NULL
             OR (s.id = %(line_id)s::bigint AND s.direct < s.target
                 AND c.collected - s.direct_all < s.gaps_to_here)
      )
    RETURNING c.id, c.currency
), earmarked AS (
    UPDATE campaigns_budgetline AS l
    SET earmarked = ROUND(l.earmarked + %(amount)s, 2)
    FROM counted
    WHERE l.id = %(line_id)s::bigint AND l.campaign_id = counted.id
), made AS (
    INSERT INTO donations_pledge (
        campaign_id, line_id, kind, amount, amount_currency, status,
        received_amount, received_amount_currency, reference, access_key,
        submission_token, donor_name, is_anonymous, show_amount, email, message,
        message_hidden, language, note, created_at, received_at, received_by_id,
        cancelled_at, cancelled_by_id, cancel_reason, wants_updates,
        transfer_sent_at, emails_stopped_at
    )
    SELECT counted.id, %(line_id)s::bigint, %(kind)s, %(amount)s, counted.currency,
        %(status)s, NULL, NULL, %(reference)s, %(access_key)s, %(submission_token)s,
        %(donor_name)s, %(is_anonymous)s, %(show_amount)s, %(email)s, %(message)s,
        FALSE, %(language)s, '', %(created_at)s, NULL, NULL, NULL, NULL, '',
        %(wants_updates)s, NULL, NULL
    FROM counted
    RETURNING id, campaign_id, amount_currency
), mailed AS (
    INSERT INTO donations_outbox (
        kind, pledge_id, update_id, created_at, attempts, next_attempt_at, sent_at,
        last_error
    )
    SELECT %(outbox_kind)s, made.id, NULL, %(created_at)s, 0, %(created_at)s, NULL, ''
    FROM made
    WHERE %(email)s <> ''
)
SELECT id, campaign_id, amount_currency FROM made
"""


def _pledge_in_one_statement(pledge: Pledge, *, slug: str, now: datetime) -> bool:
    """Count and insert `pledge` in one statement if the campaign `slug`
    accepts it. True if written (the pledge now has its id, campaign and
    currency); False if not. Raises IntegrityError as an insert does."""
    params = {
        "slug": slug,
        "line_id": pledge.line_id,
        "amount": pledge.amount.amount,
        "now": now,
        "created_at": pledge.created_at,
        "kind": pledge.kind,
        "status": pledge.status,
        "reference": pledge.reference,
        "access_key": pledge.access_key,
        "submission_token": pledge.submission_token,
        "donor_name": pledge.donor_name,
        "is_anonymous": pledge.is_anonymous,
        "show_amount": pledge.show_amount,
        "email": pledge.email,
        "message": pledge.message,
        "language": pledge.language,
        "wants_updates": pledge.wants_updates,
        "outbox_kind": Outbox.Kind.PLEDGE_MADE,
    }
    # Inside a transaction (a test's, a caller's) a failed insert must not
    # break it: a savepoint. In autocommit the statement is atomic already.
    atomic = transaction.atomic if connection.in_atomic_block else nullcontext
    with atomic(), connection.cursor() as cursor:
        cursor.execute(PLEDGE_STATEMENT, params)
        row = cursor.fetchone()
    if row is None:
        return False
    pledge.pk, pledge.campaign_id, currency = row
    pledge.amount = Money(pledge.amount.amount, currency)
    pledge._state.adding = False
    pledge._state.db = connection.alias
    pages_changed(slug, list_too=False)
    return True


def _pledge_made(pledge: Pledge) -> None:
    """Queue the donor's email (the reference and how to pay) in the pledge's
    transaction; a worker sends it (donations/outbox.py), never this request."""
    if pledge.email:
        Outbox.objects.create(
            kind=Outbox.Kind.PLEDGE_MADE,
            pledge=pledge,
            created_at=pledge.created_at,
            next_attempt_at=pledge.created_at,
        )


# ---------------------------------------------------------------------------
# Money that arrives, corrections, and pledges that never will
# ---------------------------------------------------------------------------


def _locked_pledge(pledge: Pledge) -> tuple[Campaign, Pledge]:
    campaign = _lock(pledge.campaign_id)
    return campaign, Pledge.objects.get(pk=pledge.pk)


@transaction.atomic
def pledge_receive(
    *,
    pledge: Pledge,
    amount: Decimal,
    by: AbstractBaseUser | None,
    confirmed: bool = False,
    source: str = "",
    now: datetime | None = None,
) -> Pledge:
    """Record the money that actually arrived for a pending pledge, or for a
    cancelled or expired one whose money came late.

    An amount more than 10 % away from the pledged one needs `confirmed`
    (NeedsConfirmation otherwise). A received pledge is corrected with
    receipt_correct. Closes a stop-at-goal campaign whose collected money
    reaches the goal, in the same transaction.
    """
    now = now or timezone.now()
    campaign, pledge = _locked_pledge(pledge)
    amount = _positive(amount, campaign.currency)
    if pledge.status == Pledge.Status.RECEIVED:
        raise PledgeRefused("already_received")
    received = campaign.money(amount)
    _check_confirmation(expected=pledge.amount, received=received, confirmed=confirmed)
    before, previous_status = Share.of(pledge), pledge.status
    pledge.status = Pledge.Status.RECEIVED
    pledge.received_amount = received
    pledge.received_at, pledge.received_by = now, by
    # Money came after all: no longer cancelled (the record keeps that it was).
    pledge.cancelled_at, pledge.cancelled_by, pledge.cancel_reason = None, None, ""
    _pledge_changed(
        campaign,
        pledge,
        before,
        action=Activity.Action.PLEDGE_RECEIVED,
        by=by,
        details={
            "pledged": _amount(pledge.amount),
            "received": str(amount),
            "previous_status": previous_status,
            **_flags(confirmed, source),
        },
        now=now,
    )
    if pledge.kind == Pledge.Kind.PLEDGE:
        # The donor's receipt, in this transaction; it says what arrived.
        Outbox.objects.queue_for(
            Pledge.objects.filter(pk=pledge.pk), Outbox.Kind.RECEIPT, now=now
        )
    _after_money_moved(campaign, by=by, now=now)
    return pledge


@transaction.atomic
def receipt_correct(
    *,
    pledge: Pledge,
    amount: Decimal,
    reason: str,
    by: AbstractBaseUser | None,
    confirmed: bool = False,
    source: str = "",
    now: datetime | None = None,
) -> Pledge:
    """Change the amount recorded as received (a typo, a fee found later).

    The new amount is held to the pledged one as a first receipt is. A
    campaign that closed by itself at its goal reopens if collected money falls
    below the goal before the deadline; one that reaches its goal closes."""
    now = now or timezone.now()
    campaign, pledge = _locked_pledge(pledge)
    amount = _positive(amount, campaign.currency)
    if pledge.status != Pledge.Status.RECEIVED:
        raise PledgeRefused("not_received")
    received = campaign.money(amount)
    _check_confirmation(expected=pledge.amount, received=received, confirmed=confirmed)
    before, previous = Share.of(pledge), pledge.received_amount
    pledge.received_amount = received
    _pledge_changed(
        campaign,
        pledge,
        before,
        action=Activity.Action.RECEIPT_CORRECTED,
        by=by,
        details={
            "pledged": _amount(pledge.amount),
            "previous": _amount(previous),
            "received": str(amount),
            "reason": reason,
            **_flags(confirmed, source),
        },
        now=now,
    )
    _after_money_moved(campaign, by=by, now=now)
    return pledge


@transaction.atomic
def receipt_undo(
    *,
    pledge: Pledge,
    reason: str,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Pledge:
    """Undo a receipt recorded by mistake: the pledge is pending again (a gift,
    which promised nothing, is cancelled). Reopens a campaign closed by itself
    at its goal if collected money falls below it before the deadline."""
    now = now or timezone.now()
    campaign, pledge = _locked_pledge(pledge)
    if pledge.status != Pledge.Status.RECEIVED:
        raise PledgeRefused("not_received")
    before, previous = Share.of(pledge), pledge.received_amount
    if pledge.kind == Pledge.Kind.GIFT:
        pledge.status = Pledge.Status.CANCELLED
        pledge.cancelled_at, pledge.cancelled_by = now, by
        pledge.cancel_reason = reason[:200]
    else:
        pledge.status = Pledge.Status.PENDING
    pledge.received_amount, pledge.received_at, pledge.received_by = None, None, None
    _pledge_changed(
        campaign,
        pledge,
        before,
        action=Activity.Action.RECEIPT_UNDONE,
        by=by,
        details={
            "received": _amount(previous),
            "reason": reason,
            "status": pledge.status,
        },
        now=now,
    )
    _after_money_moved(campaign, by=by, now=now)
    return pledge


@transaction.atomic
def pledge_cancel(
    *,
    pledge: Pledge,
    reason: str,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Pledge:
    """Cancel a pending pledge (never paid, fake): it stops counting."""
    now = now or timezone.now()
    campaign, pledge = _locked_pledge(pledge)
    if pledge.status != Pledge.Status.PENDING:
        raise PledgeRefused("not_pending")
    before = Share.of(pledge)
    pledge.status = Pledge.Status.CANCELLED
    pledge.cancelled_at, pledge.cancelled_by = now, by
    pledge.cancel_reason = reason[:200]
    _pledge_changed(
        campaign,
        pledge,
        before,
        action=Activity.Action.PLEDGE_CANCELLED,
        by=by,
        details={"pledged": _amount(pledge.amount), "reason": reason},
        now=now,
    )
    return pledge


def expire_pledges(
    *, now: datetime | None = None, batch_size: int = EXPIRY_BATCH, workers: int = 1
) -> int:
    """Cancel, as "expired", pending pledges older than their campaign's expiry
    period. Idempotent. Returns how many expired.

    Set-based, in batches of at most `batch_size` pledges per transaction. One
    read lists the due pledges, by campaign and oldest first; the batches take
    whole campaigns in id order, as many as fit (a campaign with more due than
    a batch holds gets batches of its own), so each campaign's totals move
    once, its pages are invalidated once and it gets one record, and no batch
    holds its campaigns' locks (taken in id order, as every writer does) for
    longer than one short transaction.

    With `workers` > 1 (the command's default is 2), as many connections take
    the batches in turn: a batch spends most of its time in PostgreSQL (the
    pledges' UPDATE touches every index), so two run in about 0.6 of the time
    of one."""
    now = now or timezone.now()
    due = _past_expiry_anywhere(now)
    if due is None:
        return 0
    batches = _due_batches(due, batch_size)

    def expire(batch: tuple[list[int], array]) -> int:
        return _expire_batch(*batch, now=now)

    # Threads only on PostgreSQL (SQLite writes one at a time anyway), and not
    # inside a transaction, whose uncommitted rows other connections cannot see.
    if (
        workers < 2
        or len(batches) < 2
        or connection.vendor != "postgresql"
        or connection.in_atomic_block
    ):
        return sum(expire(batch) for batch in batches)
    return _in_parallel(expire, batches, workers)


def _in_parallel(work, items: list, workers: int) -> int:
    """sum(work(item) for item in items), on `workers` threads, each with its
    own database connection (given the job's limits, and closed at the end).
    Items are taken in order. Batches of different campaigns never wait for
    each other; two batches of one big campaign's pledges queue for its lock,
    and never deadlock (every batch locks its campaigns in id order)."""
    from config.jobs import use_job_limits

    taken = iter(items)
    lock = threading.Lock()

    def run() -> int:
        total = 0
        try:
            use_job_limits()
            while True:
                with lock:
                    item = next(taken, None)
                if item is None:
                    return total
                total += work(item)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run) for _ in range(workers)]
        return sum(future.result() for future in futures)


def _due_batches(due: Q, batch_size: int) -> list[tuple[list[int], array]]:
    """The pending pledges `due` names, as batches of (campaign ids, pledge
    ids) of at most `batch_size` pledges: whole campaigns in id order, each
    campaign's pledges oldest first, a campaign with more than a batch holds in
    batches of its own.

    One read, streamed (in a transaction: outside one the cursor would be WITH
    HOLD, built whole before its first row); the ids are kept as 8-byte
    integers, 8 MB for a million due pledges."""
    rows = (
        Pledge.objects.filter(due, status=Pledge.Status.PENDING)
        .order_by("campaign_id", "created_at", "pk")
        .values_list("campaign_id", "pk")
    )
    batches: list[tuple[list[int], array]] = []
    campaigns, pledges = [], array("q")  # the batch being filled
    current, group = None, array("q")  # the campaign being read

    def campaign_read() -> None:
        nonlocal campaigns, pledges
        if not group:
            return
        if pledges and len(pledges) + len(group) > batch_size:
            batches.append((campaigns, pledges))
            campaigns, pledges = [], array("q")
        campaigns.append(current)
        pledges.extend(group)

    with transaction.atomic():
        for campaign_id, pk in rows.iterator(chunk_size=10_000):
            if campaign_id != current:
                campaign_read()
                current, group = campaign_id, array("q")
            group.append(pk)
            if len(group) == batch_size:  # a batch of this campaign's own
                batches.append(([campaign_id], group))
                group = array("q")
    campaign_read()
    if pledges:
        batches.append((campaigns, pledges))
    return batches


def _past_expiry(campaign: Campaign, now: datetime) -> Q:
    """The pending pledges of `campaign` whose expiry (rules.pledge_expires_at)
    has passed: "I've sent the transfer" gives a pledge the campaign's
    `transfer_sent_days` more."""
    return _past_cutoffs(now, campaign.pledge_expiry_days, campaign.transfer_sent_days)


def _past_cutoffs(now: datetime, expiry_days: int, transfer_sent_days: int) -> Q:
    return Q(
        transfer_sent_at__isnull=True,
        created_at__lt=rules.expiry_cutoff(now, expiry_days),
    ) | Q(
        transfer_sent_at__isnull=False,
        created_at__lt=rules.expiry_cutoff(now, expiry_days, transfer_sent_days),
    )


def _past_expiry_anywhere(now: datetime) -> Q | None:
    """_past_expiry for every campaign at once, None without campaigns.

    Campaigns share a handful of expiry periods: one condition per pair in use,
    naming its campaigns by id (no join, so the read of the due pledges uses
    the (status, created_at) index), and none at all when every campaign has
    the same periods."""
    periods: dict[tuple[int, int], list[int]] = {}
    for pk, expiry_days, transfer_sent_days in Campaign.objects.order_by(
        "pk"
    ).values_list("pk", "pledge_expiry_days", "transfer_sent_days"):
        periods.setdefault((expiry_days, transfer_sent_days), []).append(pk)
    if not periods:
        return None
    if len(periods) == 1:
        ((expiry_days, transfer_sent_days),) = periods
        due = _past_cutoffs(now, expiry_days, transfer_sent_days)
    else:
        due = Q(pk__in=[])
        for (expiry_days, transfer_sent_days), campaign_ids in periods.items():
            due |= Q(campaign_id__in=campaign_ids) & _past_cutoffs(
                now, expiry_days, transfer_sent_days
            )
    # No pledge younger than the shortest period is due: the bound the index
    # range needs (the conditions above are ORs).
    shortest = min(expiry_days for expiry_days, _sent_days in periods)
    return Q(created_at__lt=rules.expiry_cutoff(now, shortest)) & due


class _AnyOf(Lookup):
    """`_AnyOf(F("pk"), ids)`, a filter: on PostgreSQL `id = ANY(%s)` with the
    ids as one array parameter, elsewhere `IN`. A statement with thousands of
    parameters costs more to build and send than to run; and unlike `IN
    (SELECT unnest(…))`, which the planner joins and, with statistics stale
    after a bulk change, once looped over a thousand times per row (16 s for
    a batch), this is a plain scan of the primary key."""

    prepare_rhs = False

    def as_sql(self, compiler, connection):
        if connection.vendor != "postgresql":
            return In(self.lhs, self.rhs).as_sql(compiler, connection)
        lhs, params = self.process_lhs(compiler, connection)
        return f"{lhs} = ANY(%s)", (*params, list(self.rhs))


@transaction.atomic
def _expire_batch(campaign_ids: list[int], pledge_ids: array, *, now: datetime) -> int:
    """Expire the pledges named, of these campaigns, that are still pending and
    due once the campaigns are locked. Returns how many expired (the rest were
    received, said sent or given a longer period in between)."""
    # Lock the campaigns, then read those pledges again under the locks:
    # a receipt, "I've sent it" or a longer expiry period that came in between
    # has its say first. The second read names the pledges by id alone and decides in
    # Python, so it is a scan of the primary key whatever the planner's
    # statistics say about pending pledges this old (a bulk change leaves them
    # stale: with the conditions in SQL it scanned every due pledge again).
    locked = {
        row[0]: row[1:]
        for row in (
            Campaign.objects.select_for_update(no_key=True)
            .filter(pk__in=campaign_ids)
            .order_by("pk")
            .values_list(
                "pk",
                "slug",
                "currency",
                "promised",
                "supporters",
                "version",
                "pledge_expiry_days",
                "transfer_sent_days",
            )
        )
    }
    cutoffs = {
        pk: (
            rules.expiry_cutoff(now, expiry_days),
            rules.expiry_cutoff(now, expiry_days, sent_days),
        )
        for pk, (*_totals, expiry_days, sent_days) in locked.items()
    }
    rows = sorted(
        (created_at, pk, campaign_id, line_id, amount, reference)
        for pk, campaign_id, line_id, amount, reference, status, created_at, sent in (
            Pledge.objects.filter(_AnyOf(F("pk"), pledge_ids.tolist()))
            .order_by()
            .values_list(
                "pk",
                "campaign_id",
                "line_id",
                "amount",
                "reference",
                "status",
                "created_at",
                "transfer_sent_at",
            )
        )
        if status == Pledge.Status.PENDING
        and created_at < cutoffs[campaign_id][sent is not None]
    )
    if not rows:
        return 0
    promised: dict[int, Decimal] = defaultdict(Decimal)
    per_line: dict[int, Decimal] = defaultdict(Decimal)
    references: dict[int, list[str]] = defaultdict(list)
    for _created_at, _pk, campaign_id, line_id, amount, reference in rows:
        promised[campaign_id] += amount
        references[campaign_id].append(reference)
        if line_id is not None:
            per_line[line_id] += amount
    batch = Pledge.objects.filter(_AnyOf(F("pk"), [row[1] for row in rows]))
    batch.update(
        status=Pledge.Status.CANCELLED,
        cancelled_at=now,
        cancelled_by=None,
        cancel_reason=EXPIRED,
    )
    # Each donor's note that the pledge expired, queued with the expiry.
    Outbox.objects.queue_for(batch, Outbox.Kind.EXPIRED, now=now)
    campaigns, records = [], []
    for campaign_id, pledged in promised.items():
        slug, currency, stored, supporters, version, *_days = locked[campaign_id]
        pledged = to_cents(pledged)
        count = len(references[campaign_id])
        campaigns.append(
            (campaign_id, stored - pledged, supporters - count, version + 1)
        )
        records.append(
            Activity(
                campaign_id=campaign_id,
                action=Activity.Action.PLEDGES_EXPIRED,
                details={
                    "references": references[campaign_id],
                    "pledged": str(pledged),
                    "currency": currency,
                },
                created_at=now,
            )
        )
    lines = [
        (pk, earmarked - to_cents(per_line[pk]))
        for pk, earmarked in BudgetLine.objects.filter(
            _AnyOf(F("pk"), list(per_line))
        ).values_list("pk", "earmarked")
    ]
    _store_moved(campaigns, lines)
    Activity.objects.bulk_create(records)
    pages_changed(*(locked[pk][0] for pk in promised), list_too=False)
    return len(rows)


def _store_moved(
    campaigns: list[tuple[int, Decimal, int, int]], lines: list[tuple[int, Decimal]]
) -> None:
    """Write (id, promised, supporters, version) of campaigns and (id,
    earmarked) of lines: on PostgreSQL one UPDATE each from arrays."""
    if connection.vendor != "postgresql":
        for pk, promised, supporters, version in campaigns:
            Campaign.objects.filter(pk=pk).update(
                promised=promised, supporters=supporters, version=version
            )
        for pk, earmarked in lines:
            BudgetLine.objects.filter(pk=pk).update(earmarked=earmarked)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_campaign AS c SET promised = v.promised,"
            " supporters = v.supporters, version = v.version"
            " FROM unnest(%s::bigint[], %s::numeric[], %s::bigint[], %s::bigint[])"
            " AS v(id, promised, supporters, version) WHERE c.id = v.id",
            [list(column) for column in zip(*campaigns, strict=True)],
        )
        if lines:
            cursor.execute(
                "UPDATE campaigns_budgetline AS l SET earmarked = v.earmarked"
                " FROM unnest(%s::bigint[], %s::numeric[]) AS v(id, earmarked)"
                " WHERE l.id = v.id",
                [list(column) for column in zip(*lines, strict=True)],
            )


def queue_reminders(*, now: datetime | None = None) -> int:
    """Queue the reminder of every pending pledge (with an email) that expires
    within its campaign's `reminder_days`, once per pledge. Idempotent; one
    INSERT … SELECT per campaign (two cutoffs: pledges whose donor said the
    transfer was sent expire later). Returns how many were queued."""
    now = now or timezone.now()
    queued = 0
    pending = Pledge.objects.filter(status=Pledge.Status.PENDING).exclude(email="")
    campaigns = Campaign.objects.filter(
        pk__in=pending.values("campaign_id"), reminder_days__gt=0
    ).only("pk", "pledge_expiry_days", "transfer_sent_days", "reminder_days")
    for campaign in campaigns.order_by("pk"):
        due = Q(pk__in=[])
        for sent, postponed in ((False, 0), (True, campaign.transfer_sent_days)):
            cutoff = rules.reminder_cutoff(
                now, campaign.pledge_expiry_days, postponed, campaign.reminder_days
            )
            if cutoff is not None:
                due |= Q(transfer_sent_at__isnull=not sent, created_at__lt=cutoff)
        reminded = Outbox.objects.filter(kind=Outbox.Kind.REMINDER).values("pledge")
        with transaction.atomic():
            queued += Outbox.objects.queue_for(
                pending.filter(due, campaign=campaign)
                .exclude(_past_expiry(campaign, now))
                .exclude(pk__in=reminded),
                Outbox.Kind.REMINDER,
                now=now,
            )
    return queued


@transaction.atomic
def pledge_transfer_sent(*, pledge: Pledge, now: datetime | None = None) -> Pledge:
    """The donor says the transfer is on its way: dated on the pledge (shown on
    the desk card), it postpones the pledge's expiry by the campaign's
    `transfer_sent_days`. Only for a pending pledge, once; under the campaign's
    lock, so an expiry batch running now sees it or expires the pledge first."""
    now = now or timezone.now()
    _lock(pledge.campaign_id)
    Pledge.objects.filter(
        pk=pledge.pk, status=Pledge.Status.PENDING, transfer_sent_at__isnull=True
    ).update(transfer_sent_at=now)
    pledge.refresh_from_db(fields=["status", "transfer_sent_at"])
    if pledge.status != Pledge.Status.PENDING:
        raise PledgeRefused("not_pending")
    return pledge


def pledge_stop_emails(*, pledge: Pledge, now: datetime | None = None) -> None:
    """No more email of any kind about this pledge (the donor's "stop emails"
    link): entries still waiting are dropped when their turn comes."""
    Pledge.objects.filter(pk=pledge.pk, emails_stopped_at__isnull=True).update(
        emails_stopped_at=now or timezone.now(), wants_updates=False
    )


def _unused_reference() -> str:
    # Gifts are rare and recorded by hand: check first rather than retry.
    while True:
        reference = new_reference()
        if not Pledge.objects.filter(reference=reference).exists():
            return reference


@transaction.atomic
def gift_record(
    *,
    campaign: Campaign,
    amount: Decimal,
    line: BudgetLine | None,
    note: str,
    by: AbstractBaseUser | None,
    confirmed: bool = False,
    source: str = "",
    now: datetime | None = None,
) -> Pledge:
    """Money that arrived without a usable reference, recorded as received, in
    whatever state the campaign is (money after closing still counts).

    A gift larger than what the goal still misses needs `confirmed`."""
    now = now or timezone.now()
    campaign = _lock(campaign)
    amount = _positive(amount, campaign.currency)
    if line is not None and line.campaign_id != campaign.pk:
        raise LineRefused("invalid_choice")
    money = campaign.money(amount)
    need = rules.remaining_need(
        goal=campaign.goal.amount, collected=to_cents(campaign.collected.amount)
    )
    if not confirmed and rules.gift_needs_confirmation(
        amount=amount,
        goal=campaign.goal.amount,
        collected=to_cents(campaign.collected.amount),
    ):
        raise NeedsConfirmation(
            expected=campaign.money(need), received=money, code="gift_over_need"
        )
    gift = Pledge.objects.create(
        campaign=campaign,
        line=line,
        kind=Pledge.Kind.GIFT,
        amount=money,
        status=Pledge.Status.RECEIVED,
        received_amount=money,
        received_at=now,
        received_by=by,
        reference=_unused_reference(),
        is_anonymous=True,
        note=note,
    )
    _move_totals(campaign, NOTHING, Share.of(gift), now)
    Activity.objects.record(
        campaign,
        Activity.Action.GIFT_RECORDED,
        by=by,
        reference=gift.reference,
        details={
            "received": str(amount),
            "currency": campaign.currency,
            "line": line.label if line else "",
            **_flags(confirmed, source),
        },
        now=now,
    )
    _after_money_moved(campaign, by=by, now=now)
    return gift


@transaction.atomic
def pledge_set_message_hidden(
    *, pledge: Pledge, hidden: bool, by: AbstractBaseUser | None
) -> Pledge:
    """Hide a donor's message from the public page, or show it again."""
    campaign = _lock(pledge.campaign_id)
    Pledge.objects.filter(pk=pledge.pk).update(message_hidden=hidden)
    pledge.message_hidden = hidden
    campaign.version += 1
    Campaign.objects.filter(pk=campaign.pk).update(version=campaign.version)
    pages_changed(campaign.slug, list_too=False)  # messages are not on the list
    Activity.objects.record(
        campaign,
        Activity.Action.MESSAGE_HIDDEN,
        by=by,
        reference=pledge.reference,
        details={"hidden": hidden},
    )
    return pledge


def pledge_set_note(
    *, pledge: Pledge, note: str, by: AbstractBaseUser | None
) -> Pledge:
    """The team's own note on a pledge. The record says that it changed, not
    what it says (a note may name where money came from)."""
    with transaction.atomic():
        Pledge.objects.filter(pk=pledge.pk).update(note=note)
        pledge.note = note
        Activity.objects.record(
            pledge.campaign,
            Activity.Action.NOTE_EDITED,
            by=by,
            reference=pledge.reference,
        )
    return pledge


# ---------------------------------------------------------------------------
# Closing and reopening
# ---------------------------------------------------------------------------


@transaction.atomic
def campaign_close(
    *,
    campaign: Campaign,
    reason: str,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
    note: str = "",
) -> bool:
    """Record that a campaign closed. Returns False if it was already recorded.

    `note` is the team's own words on why (closing by hand), kept in the record.
    """
    now = now or timezone.now()
    locked = _lock(campaign)
    if locked.closed_at is not None:
        return False
    _record_closing(locked, reason=reason, by=by, now=now, note=note)
    return True


@transaction.atomic
def campaign_reopen(
    *,
    campaign: Campaign,
    reason: str,
    deadline: datetime | None,
    stop_at_goal: bool,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Campaign:
    """Reopen a closed campaign by hand, with a reason; with a new deadline if
    the old one passed (`deadline` None keeps the old one). Judged on collected
    money: a stop-at-goal campaign whose collected money reaches its goal would
    close at once (rules.reopen_refusal). Raises PledgeRefused with the rule's
    code."""
    now = now or timezone.now()
    locked = _lock(campaign)
    new_deadline = deadline if deadline is not None else locked.deadline
    refusal = rules.reopen_refusal(
        closed=locked.is_closed(now),
        stop_at_goal=stop_at_goal,
        goal=locked.goal.amount,
        collected=to_cents(locked.collected.amount),
        deadline=new_deadline,
        now=now,
    )
    if refusal:
        raise PledgeRefused(refusal)
    previous = locked.effective_closed_reason(now)
    locked.stop_at_goal, locked.deadline = stop_at_goal, new_deadline
    _record_reopening(
        locked,
        by=by,
        now=now,
        details={
            "reason": reason,
            "previous_reason": previous,
            "deadline": new_deadline.isoformat() if new_deadline else "",
            "stop_at_goal": stop_at_goal,
        },
    )
    return locked


def close_ended_campaigns(*, now: datetime | None = None) -> int:
    """Record the closing of every campaign whose deadline passed. Idempotent.

    The closing is dated at the deadline: that is when the campaign stopped.
    """
    now = now or timezone.now()
    closed = 0
    for campaign in Campaign.objects.past_deadline_not_closed(now):
        closed += campaign_close(
            campaign=campaign,
            reason=Campaign.ClosedReason.DEADLINE,
            by=None,
            now=campaign.deadline,
        )
    return closed
