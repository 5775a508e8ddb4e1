"""Zbor's rule book: every rule about money and a campaign's state, in one place.

Pure functions of plain values (amounts, dates, flags): no query, no model
import, so each rule is tested table-driven and called the same way by the
models, the forms, the desk, the admin, `import_campaign`, the page cache and
the jobs. `docs/rules.md` states the same rules in words.

Amounts are Decimals in the campaign's currency, already quantized to cents.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")
# A received amount further than this from the pledged one needs a second,
# explicit confirmation (a decimal comma read as a thousands separator, a typo).
CONFIRM_ABOVE_FRACTION = Decimal("0.10")


# ---------------------------------------------------------------------------
# Refusals: one code per rule, one message per code.
# ---------------------------------------------------------------------------

REFUSALS = {
    # Accepting pledges
    "unpublished": _("This campaign is not published."),
    "closed": _("The collection is over."),
    "deadline_passed": _("The deadline has passed: the collection is over."),
    "no_lines": _("This campaign has no budget lines yet."),
    # Amounts
    "invalid": _("Enter the amount as a number, for example 25 or 12.50."),
    "min_value": _("The smallest amount is %(min)s."),
    "max_value": _("The largest gift is %(max)s."),
    # Earmarks
    "invalid_choice": _("Choose one of this campaign's needs, or “Where most needed”."),
    "covered": _(
        "“%(line)s” is already covered, thank you. "
        "Choose another need or “Where most needed”."
    ),
    # Receiving money
    "needs_confirmation": _(
        "%(received)s is far from the %(expected)s expected: check the amount "
        "and confirm it."
    ),
    "gift_over_need": _(
        "%(received)s is more than the %(expected)s the goal still needs: check "
        "the amount and confirm it."
    ),
    "already_received": _(
        "This pledge is already received: correct its amount instead."
    ),
    "not_received": _("Only received money can be corrected or undone."),
    "not_pending": _("Only a pending pledge can be cancelled."),
    # Closing and reopening
    "already_closed": _("The collection was already closed."),
    "not_closed": _("This collection is not closed."),
    "reopen_deadline_passed": _("The deadline has passed: give a new one."),
    "reopen_deadline_past": _("The new deadline must be in the future."),
    "goal_collected": _(
        "The goal is already collected, so the campaign would close again at "
        "once: raise the goal first (add a line or a larger target), or untick "
        "“stop at goal”."
    ),
    # Publishing
    "no_way_to_pay": _(
        "A campaign needs a way to pay before it is published: an IBAN with its "
        "account holder, or other ways to give."
    ),
    "iban_without_holder": _("Give the account holder's name with the IBAN."),
    "published_without_lines": _(
        "A campaign needs at least one budget line to be published: add a line, "
        "or untick “published”."
    ),
    "currency_locked": _("The currency cannot change once pledges have been made."),
    "target_below_earmarked": _(
        "Pledges earmarked to this line add up to %(earmarked)s, so its target "
        "cannot be lowered below that."
    ),
}


def message(code: str, **params) -> str:
    """The refusal's message, with its parameters filled in."""
    text = str(REFUSALS[code])
    return text % params if params else text


class Refused(Exception):
    """A rule refused a change; `code` is a key of REFUSALS, `params` its values."""

    def __init__(self, code: str, **params) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    @property
    def message(self) -> str:
        return message(self.code, **self.params)


# ---------------------------------------------------------------------------
# Covering the lines
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LineCoverage:
    target: Decimal
    covered: Decimal

    @property
    def remaining(self) -> Decimal:
        return self.target - self.covered

    @property
    def is_done(self) -> bool:
        return self.covered >= self.target


@dataclass(frozen=True)
class Coverage:
    lines: list[LineCoverage]
    over_goal: Decimal


def cover_lines(
    targets: list[Decimal], earmarked: list[Decimal], total: Decimal
) -> Coverage:
    """Spread `total` over budget lines in the organizer's order.

    `targets` and `earmarked` are per line; `earmarked` is what the pledges
    earmarked to that line add up to, and `total` everything (earmarked or
    not). An earmarked amount counts toward its line up to the line's target;
    the rest of it, and every unearmarked amount, fills the lines in order,
    each full before the next. What is left over is over the goal.

    Applied twice: to received amounts (what each line has) and to effective
    amounts (what each line will have if every promise arrives).
    """
    direct = [min(e, t) for t, e in zip(targets, earmarked, strict=True)]
    pool = total - sum(direct, ZERO)
    lines = []
    for target, covered in zip(targets, direct, strict=True):
        top_up = max(min(target - covered, pool), ZERO)
        pool -= top_up
        lines.append(LineCoverage(target=target, covered=covered + top_up))
    return Coverage(lines=lines, over_goal=max(pool, ZERO))


@dataclass(frozen=True)
class LineState:
    """One budget line as the page shows it."""

    target: Decimal
    received: Decimal  # what received money covers of it
    promised: Decimal  # what pending promises would add to that
    remaining: Decimal  # what neither covers yet

    @property
    def is_done(self) -> bool:
        """Done (no longer offered as an earmark) once received money covers it."""
        return self.received >= self.target

    @property
    def is_fully_promised(self) -> bool:
        return not self.is_done and self.remaining <= 0


@dataclass(frozen=True)
class Lines:
    lines: list[LineState]
    over_goal_collected: Decimal
    over_goal_raised: Decimal


def line_states(
    targets: list[Decimal],
    *,
    earmarked_collected: list[Decimal],
    earmarked_effective: list[Decimal],
    collected: Decimal,
    promised: Decimal,
) -> Lines:
    """Each line's received, promised and remaining amounts: the covering rule
    applied to received money, then to received money plus promises."""
    received = cover_lines(targets, earmarked_collected, collected)
    effective = cover_lines(targets, earmarked_effective, collected + promised)
    states = []
    for target, have, will in zip(
        targets, received.lines, effective.lines, strict=True
    ):
        # Promises never take away what arrived: a line keeps what it has.
        will_cover = max(will.covered, have.covered)
        states.append(
            LineState(
                target=target,
                received=have.covered,
                promised=will_cover - have.covered,
                remaining=target - will_cover,
            )
        )
    return Lines(
        lines=states,
        over_goal_collected=received.over_goal,
        over_goal_raised=effective.over_goal,
    )


# ---------------------------------------------------------------------------
# Accepting pledges, closing, reopening
# ---------------------------------------------------------------------------


def deadline_passed(deadline: datetime | None, now: datetime) -> bool:
    return deadline is not None and now >= deadline


def is_closed(*, closed_at: datetime | None, deadline: datetime | None, now) -> bool:
    """Closed by record, or past the deadline whether or not a job recorded it."""
    return closed_at is not None or deadline_passed(deadline, now)


def closed_condition(now: datetime) -> Q:
    """is_closed() as a filter on Campaign rows."""
    return Q(closed_at__isnull=False) | Q(deadline__lte=now)


def open_condition(now: datetime) -> Q:
    """Not closed, as a filter on Campaign rows."""
    return Q(closed_at__isnull=True) & (Q(deadline__isnull=True) | Q(deadline__gt=now))


def closed_before_condition(moment: datetime) -> Q:
    """Closed at or before `moment` (by record, or else by its deadline), as a
    filter on Campaign rows."""
    return Q(closed_at__lte=moment) | Q(closed_at__isnull=True, deadline__lte=moment)


# The campaign fields acceptance reads. The pledge statement on PostgreSQL
# (donations/pledging.py) writes the same conditions; tests tie the two.
ACCEPTANCE_FIELDS = ("published", "closed_at", "deadline", "max_pledge")


def acceptance_refusal(
    *,
    published: bool,
    closed_at: datetime | None,
    deadline: datetime | None,
    has_lines: bool,
    now: datetime,
) -> str | None:
    """Why a campaign does not accept pledges, or None if it does.

    Accepting = published, not closed, the deadline (if any) not passed, and
    something to give to. Promises never stop a collection: neither what is
    promised nor what is collected is read here.
    """
    if not published:
        return "unpublished"
    if closed_at is not None:
        return "closed"
    if deadline_passed(deadline, now):
        return "deadline_passed"
    if not has_lines:
        return "no_lines"
    return None


def amount_refusal(
    amount: Decimal, *, minimum: Decimal, maximum: Decimal | None = None
) -> str | None:
    """Why an amount typed for a campaign is refused, or None."""
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        return "invalid"
    if amount < minimum:
        return "min_value"
    if maximum is not None and amount > maximum:
        return "max_value"
    return None


def closes_at_goal(*, stop_at_goal: bool, goal: Decimal, collected: Decimal) -> bool:
    """A campaign that stops at its goal closes once collected money reaches it."""
    return stop_at_goal and goal > 0 and collected >= goal


def reopens_by_itself(
    *,
    closed_reason: str,
    goal: Decimal,
    collected: Decimal,
    deadline: datetime | None,
    now: datetime,
) -> bool:
    """A campaign closed by itself at its goal reopens by itself when a
    correction brings collected money below the goal before the deadline."""
    return (
        closed_reason == "goal"
        and collected < goal
        and not deadline_passed(deadline, now)
    )


def reopen_refusal(
    *,
    closed: bool,
    stop_at_goal: bool,
    goal: Decimal,
    collected: Decimal,
    deadline: datetime | None,
    now: datetime,
) -> str | None:
    """Why a closed campaign cannot be reopened by hand with this `deadline`
    and `stop_at_goal`, or None. Judged on collected money only."""
    if not closed:
        return "not_closed"
    if deadline_passed(deadline, now):
        return "reopen_deadline_passed"
    if closes_at_goal(stop_at_goal=stop_at_goal, goal=goal, collected=collected):
        return "goal_collected"
    return None


def still_needed(*, goal: Decimal, collected: Decimal, promised: Decimal) -> Decimal:
    """What neither collected money nor promises cover yet (zero once fully
    promised)."""
    return max(goal - collected - promised, ZERO)


def is_fully_promised(*, goal: Decimal, collected: Decimal, promised: Decimal) -> bool:
    """Received money plus promises cover the goal, received money alone not yet."""
    return goal > 0 and collected < goal <= collected + promised


# ---------------------------------------------------------------------------
# Receiving money
# ---------------------------------------------------------------------------


def needs_confirmation(*, expected: Decimal, received: Decimal) -> bool:
    """A received amount more than 10 % away from the expected one."""
    if expected <= 0:
        return received > 0
    return abs(received - expected) > expected * CONFIRM_ABOVE_FRACTION


def remaining_need(*, goal: Decimal, collected: Decimal) -> Decimal:
    """What the goal still misses in money that arrived."""
    return max(goal - collected, ZERO)


def gift_needs_confirmation(
    *, amount: Decimal, goal: Decimal, collected: Decimal
) -> bool:
    """A gift larger than what the campaign still needs."""
    return amount > remaining_need(goal=goal, collected=collected)


def pledge_expires_at(
    created_at: datetime, *, expiry_days: int, postponed_days: int = 0
) -> datetime:
    """When a pending pledge expires: `expiry_days` after it was made, and
    `postponed_days` more once its donor said the transfer was sent."""
    return created_at + timedelta(days=expiry_days + postponed_days)


def expiry_cutoff(now: datetime, expiry_days: int, postponed_days: int = 0) -> datetime:
    """Pending pledges made before this instant have expired (pledge_expires_at
    has passed); `postponed_days` for those whose donor said the transfer was
    sent."""
    return now - timedelta(days=expiry_days + postponed_days)


def reminder_cutoff(
    now: datetime, expiry_days: int, postponed_days: int, reminder_days: int
) -> datetime | None:
    """Pending pledges made before this instant are due their reminder,
    `reminder_days` before they expire; None when the campaign sends none (0
    days, or a reminder that would come as soon as the pledge is made)."""
    if reminder_days <= 0 or reminder_days >= expiry_days + postponed_days:
        return None
    return expiry_cutoff(now, expiry_days, postponed_days) + timedelta(
        days=reminder_days
    )


# ---------------------------------------------------------------------------
# Publishing
# ---------------------------------------------------------------------------


def payment_refusal(
    *, iban: str, account_holder: str, payment_other: str
) -> str | None:
    """Why a campaign cannot be published for want of a way to pay, or None.

    A campaign is published only with a way for donors to pay: an IBAN with its
    account holder, or other ways to give. (It also needs a budget line:
    "published_without_lines", checked where its lines are edited.)"""
    if iban.strip() and not account_holder.strip():
        return "iban_without_holder"
    if not (iban.strip() and account_holder.strip()) and not payment_other.strip():
        return "no_way_to_pay"
    return None
