"""Every write that changes a pledge or a campaign's totals (PRODUCT.md, "The rules").

Each function locks the campaign row (`select_for_update(no_key=True)` inside
`transaction.atomic`), re-reads what it needs under that lock, changes the pledge,
moves the stored totals by exactly the pledge's change, and records an Activity
row, all in one transaction. Email goes out after commit. On SQLite, where
`select_for_update` does nothing, immediate transactions (settings.py) give the
same one-writer-at-a-time order.

A new pledge, the one write every donor makes, holds the lock for less. On
PostgreSQL a pledge to no particular line is one statement, sent before anything
is read: it moves the totals only if the campaign accepts the pledge, and
inserts the pledge only if they moved (`pledge_at_once`, `_counted_insert_sql`).
When that statement writes nothing, and for earmarked pledges and on SQLite,
the pledge row is inserted first, and a single UPDATE … RETURNING moves the
totals, takes the lock and returns the state the rules are checked against in
Python, which says why a pledge is refused (`_pledge_insert`).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, connection, transaction
from django.db.models import QuerySet, signals
from django.template.loader import render_to_string
from django.utils import timezone, translation
from djmoney.money import Money

from campaigns.cache import pages_changed
from campaigns.models import Activity, BudgetLine, Campaign
from campaigns.money import DEFAULT_CURRENCY, to_cents
from donations.models import Pledge, new_reference

logger = logging.getLogger(__name__)

PLEDGE_MIN = Decimal(settings.ZBOR_PLEDGE_MIN)


class PledgeRefused(Exception):
    """A pledge the rules do not allow; `code` names the rule."""

    def __init__(self, code: str, message: str = "") -> None:
        super().__init__(message or code)
        self.code = code


class CampaignNotAccepting(PledgeRefused):
    """The campaign stopped accepting: `state` is Campaign.State, `reason` why."""

    def __init__(self, *, state: str, reason: str) -> None:
        super().__init__("not_accepting", f"campaign {state} ({reason or 'no reason'})")
        self.state = state
        self.reason = reason


class LineRefused(PledgeRefused):
    """The chosen budget line is covered or not one of the campaign's."""


class AmountRefused(PledgeRefused):
    """The amount is outside what the campaign accepts."""


class PledgeStateError(Exception):
    """The pledge is not in a status this change applies to."""


@dataclass(frozen=True)
class Donor:
    """What the donor told us about themselves; none of it is ever required."""

    name: str = ""
    is_anonymous: bool = False
    show_amount: bool = False
    email: str = ""
    message: str = ""
    language: str = ""


# ---------------------------------------------------------------------------
# Moving the stored totals by one pledge's change
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Share:
    """What one pledge adds to its campaign's totals in its current status."""

    collected: Decimal
    promised: Decimal
    supporters: int
    line_id: int | None
    effective: Decimal

    @classmethod
    def of(cls, pledge: Pledge | None) -> _Share:
        if pledge is None or pledge.status == Pledge.Status.CANCELLED:
            return cls(Decimal(0), Decimal(0), 0, None, Decimal(0))
        effective = to_cents(pledge.effective_amount.amount)
        received = pledge.status == Pledge.Status.RECEIVED
        return cls(
            collected=effective if received else Decimal(0),
            promised=Decimal(0) if received else effective,
            supporters=1,
            line_id=pledge.line_id,
            effective=effective,
        )


def _lock(campaign: Campaign) -> Campaign:
    """The campaign row, locked until the transaction ends, with its lines.

    FOR NO KEY UPDATE: writers queue for it as for FOR UPDATE, while inserting a
    row that refers to the campaign (its KEY SHARE lock) does not wait."""
    return (
        Campaign.objects.select_for_update(no_key=True)
        .prefetch_related("lines")
        .get(pk=campaign.pk)
    )


def _move_totals(campaign: Campaign, before: _Share, after: _Share) -> None:
    """Apply one pledge's change to the locked campaign and its lines.

    The values are computed from the rows read under the lock, so they are exact;
    the in-memory objects are updated too, for the checks that follow.
    """
    currency = campaign.currency
    campaign.collected = Money(
        campaign.collected.amount + after.collected - before.collected, currency
    )
    campaign.promised = Money(
        campaign.promised.amount + after.promised - before.promised, currency
    )
    campaign.supporters += after.supporters - before.supporters
    campaign.version += 1
    pages_changed(campaign.slug)
    # A plain QuerySet: django-money's and modeltranslation's wrappers cost more
    # than the UPDATE itself (the currency columns never change).
    QuerySet(Campaign).filter(pk=campaign.pk).update(
        collected=campaign.collected.amount,
        promised=campaign.promised.amount,
        supporters=campaign.supporters,
        version=campaign.version,
        updated_at=timezone.now(),
    )
    lines = {line.pk: line for line in campaign.lines.all()}
    deltas: dict[int, Decimal] = {}
    if before.line_id is not None:
        deltas[before.line_id] = deltas.get(before.line_id, 0) - before.effective
    if after.line_id is not None:
        deltas[after.line_id] = deltas.get(after.line_id, 0) + after.effective
    for line_id, delta in deltas.items():
        if delta:
            line = lines[line_id]
            line.earmarked = Money(line.earmarked.amount + delta, currency)
            QuerySet(BudgetLine).filter(pk=line_id).update(
                earmarked=line.earmarked.amount
            )


def _close_if_goal_collected(
    campaign: Campaign, *, by: AbstractBaseUser | None, now: datetime
) -> None:
    """PRODUCT.md: a campaign that stops at its goal closes once it is collected."""
    goal = campaign.goal.amount
    if (
        campaign.stop_at_goal
        and goal > 0
        and campaign.collected.amount >= goal
        and not campaign.is_closed(now)
    ):
        _record_closing(campaign, reason=Campaign.ClosedReason.GOAL, by=by, now=now)


def _record_closing(
    campaign: Campaign,
    *,
    reason: str,
    by: AbstractBaseUser | None,
    now: datetime,
    note: str = "",
) -> None:
    campaign.closed_at = now
    campaign.closed_reason = reason
    campaign.closed_by = by
    campaign.version += 1
    pages_changed(campaign.slug)
    Campaign.objects.filter(pk=campaign.pk).update(
        closed_at=now,
        closed_reason=reason,
        closed_by=by,
        version=campaign.version,
        updated_at=timezone.now(),
    )
    Activity.objects.create(
        campaign=campaign,
        actor=by,
        action=Activity.Action.CLOSED,
        details={
            "reason": reason,
            "collected": str(to_cents(campaign.collected.amount)),
            "promised": str(to_cents(campaign.promised.amount)),
            **({"note": note} if note else {}),
        },
        created_at=now,
    )


def _money_str(value: Money | None) -> str:
    return "" if value is None else str(to_cents(value.amount))


# ---------------------------------------------------------------------------
# Pledging
# ---------------------------------------------------------------------------


def check_amount(amount: Decimal, *, campaign: Campaign | None = None) -> None:
    """Raise AmountRefused unless the amount is one the campaign accepts (any
    campaign, without one: whole cents, at least the minimum)."""
    if not amount.is_finite() or amount.as_tuple().exponent < -2:
        raise AmountRefused("invalid")
    if amount < PLEDGE_MIN:
        raise AmountRefused("min_value")
    if campaign is not None and amount > campaign.max_pledge:
        raise AmountRefused("max_value")


def pledge_for_token(submission_token: str | None) -> Pledge | None:
    """The pledge already made with this one-time token, if any (one query)."""
    if not submission_token:
        return None
    return Pledge.objects.filter(submission_token=submission_token).first()


# ---------------------------------------------------------------------------
# The pledge's reads, in SQL
# ---------------------------------------------------------------------------
#
# Every donor of a campaign passes here, and the ORM's own work (building the
# query, then the instances, through django-money and modeltranslation) was
# most of a pledge's cost: about 0.5 ms of CPU per statement against 0.1 ms for
# the database itself (bench/run.py). So a pledge's statements (the read of the
# campaign and its lines, the insert, the update of the totals) are written out
# once, from the models' own column names; rows become model instances the way
# the ORM makes them (each value through the database's converters and the
# field's from_db_value, then Model.from_db()), and the insert prepares values
# as save() does. The team's less frequent writes stay with the ORM.

# What a pledge reads of its campaign, first without a lock and then under it:
# the rules (PRODUCT.md), the totals it moves, the form's limits and choices.
PLEDGE_FIELDS = frozenset(
    {
        "id",
        "slug",
        "currency",
        "published",
        "closed_at",
        "closed_reason",
        "deadline",
        "stop_at_goal",
        "max_pledge",
        "collected",
        "collected_currency",
        "promised",
        "promised_currency",
        "supporters",
        "version",
        "fallback_languages",
    }
)


class _Shape:
    """Some of a model's fields as a SELECT returns them: their columns, and
    how a row's values become an instance, the way the ORM does it (the
    database's converters, each field's from_db_value, Model.from_db()).
    Worked out on first use, when the database connection's settings are known.
    """

    def __init__(self, model, fields: frozenset[str] | None = None) -> None:
        self.model, self.wanted = model, fields

    @functools.cached_property
    def fields(self) -> list:
        every = self.model._meta.concrete_fields
        return [f for f in every if self.wanted is None or f.attname in self.wanted]

    @functools.cached_property
    def _converters(self) -> list:
        converters = []
        for field in self.fields:
            column = field.get_col(self.model._meta.db_table)
            functions = connection.ops.get_db_converters(column)
            functions += field.get_db_converters(connection)
            converters.append([(function, column) for function in functions])
        return converters

    def names(self, prefix: str = "") -> dict[str, str]:
        """Format arguments: {table}, {columns} and each field's column."""
        quote = connection.ops.quote_name
        every = self.model._meta.concrete_fields
        return {
            "table": quote(self.model._meta.db_table),
            "columns": ", ".join(prefix + quote(f.column) for f in self.fields),
            **{f.attname: prefix + quote(f.column) for f in every},
        }

    @functools.cached_property
    def _attnames(self) -> list[str]:
        return [field.attname for field in self.fields]

    def instance(self, values):
        values = list(values)
        for position, functions in enumerate(self._converters):
            for function, column in functions:
                values[position] = function(values[position], column, connection)
        return self.model.from_db(connection.alias, self._attnames, values)


class _Rows:
    """A statement returning rows of `shape`, as instances. `template` is
    formatted with the shape's names (see _Shape.names) and {lock}."""

    def __init__(self, shape: _Shape, template: str) -> None:
        self.shape, self.template = shape, template

    @functools.cached_property
    def sql(self) -> str:
        return self.template.format(lock=_row_lock(), **self.shape.names())

    def __call__(self, *params) -> list:
        with connection.cursor() as cursor:
            cursor.execute(self.sql, params)
            rows = cursor.fetchall()
        return [self.shape.instance(row) for row in rows]


def _row_lock() -> str:
    features = connection.features
    if features.has_select_for_no_key_update:
        return " FOR NO KEY UPDATE"
    if features.has_select_for_update:
        return " FOR UPDATE"
    return ""  # SQLite: immediate transactions order the writers (settings.py)


_PLEDGE_CAMPAIGN = _Shape(Campaign, PLEDGE_FIELDS)
_LINE = _Shape(BudgetLine)

_lines_of_campaign = _Rows(
    _LINE,
    "SELECT {columns} FROM {table} WHERE {campaign_id} = %s ORDER BY {position}, {id}",
)
# Moving the totals takes the row lock (an UPDATE locks as FOR NO KEY UPDATE
# does) and returns the row as it now is, in one statement. ROUND keeps SQLite,
# which stores decimals as binary floats, exact to the cent.
_campaign_counted = _Rows(
    _PLEDGE_CAMPAIGN,
    "UPDATE {table} SET {collected} = ROUND({collected} + %s, 2),"
    " {promised} = ROUND({promised} + %s, 2), {supporters} = {supporters} + %s,"
    " {version} = {version} + 1, {updated_at} = %s"
    " WHERE {id} = %s RETURNING {columns}",
)
_line_earmarked = _Rows(
    _Shape(BudgetLine, frozenset({"id"})),
    "UPDATE {table} SET {earmarked} = ROUND({earmarked} + %s, 2)"
    " WHERE {id} = %s RETURNING {columns}",
)


class _Insert:
    """INSERT a new instance of `model` and set its primary key, as save() does:
    each field's pre_save() and get_db_prep_save(), pre_save and post_save
    signals, without building the query anew each time."""

    def __init__(self, model) -> None:
        self.model = model

    @functools.cached_property
    def _plan(self):
        quote = connection.ops.quote_name
        meta = self.model._meta
        fields = [field for field in meta.concrete_fields if field is not meta.pk]
        sql = "INSERT INTO {} ({}) VALUES ({})".format(  # noqa: S608 - from the model
            quote(meta.db_table),
            ", ".join(quote(field.column) for field in fields),
            ", ".join(["%s"] * len(fields)),
        )
        returning = connection.features.can_return_columns_from_insert
        if returning:
            sql += f" RETURNING {quote(meta.pk.column)}"
        return sql, fields, returning

    def __call__(self, instance) -> None:
        sql, _fields, returning = self._plan
        meta = self.model._meta
        params = self.values(instance)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            if returning:
                (pk,) = cursor.fetchone()
            else:
                pk = connection.ops.last_insert_id(
                    cursor, meta.db_table, meta.pk.column
                )
        self.saved(instance, pk)

    def values(self, instance) -> list:
        """The pre_save signal, then the row's values, in the plan's column order."""
        signals.pre_save.send(
            sender=self.model, instance=instance, raw=False, using=connection.alias,
            update_fields=None,
        )  # fmt: skip
        return [
            field.get_db_prep_save(field.pre_save(instance, True), connection)
            for field in self._plan[1]
        ]

    def saved(self, instance, pk) -> None:
        """The instance is now the row `pk`: its state, then the post_save signal."""
        instance.pk = pk
        instance._state.adding = False
        instance._state.db = connection.alias
        signals.post_save.send(
            sender=self.model, instance=instance, created=True, update_fields=None,
            raw=False, using=connection.alias,
        )  # fmt: skip


_insert_pledge = _Insert(Pledge)


@functools.cache
def _campaign_with_lines_sql() -> str:
    campaign = _PLEDGE_CAMPAIGN.names("c.")
    line = _LINE.names("l.")
    return (
        f"SELECT {campaign['columns']}, {line['columns']}"  # noqa: S608 - from the models
        f" FROM {campaign['table']} c LEFT JOIN {line['table']} l"
        f" ON {line['campaign_id']} = {campaign['id']}"
        f" WHERE {campaign['slug']} = %s AND {campaign['published']} = %s"
        f" ORDER BY {line['position']}, {line['id']}"
    )


def campaign_for_pledging(slug: str) -> Campaign:
    """The published campaign with this slug and its lines, as a pledge reads
    them: one statement, no lock. Raises Campaign.DoesNotExist.

    Only PLEDGE_FIELDS are read: a page about the campaign reads it whole."""
    with connection.cursor() as cursor:
        cursor.execute(_campaign_with_lines_sql(), [slug, True])
        rows = cursor.fetchall()
    if not rows:
        raise Campaign.DoesNotExist(slug)
    width = len(_PLEDGE_CAMPAIGN.fields)
    campaign = _PLEDGE_CAMPAIGN.instance(rows[0][:width])
    line_id = width + _LINE.fields.index(BudgetLine._meta.pk)
    campaign.set_lines(
        _LINE.instance(row[width:]) for row in rows if row[line_id] is not None
    )
    return campaign


def _count_locked(campaign: Campaign, share: _Share, now: datetime) -> Campaign:
    """Add one pledge's share to the campaign's totals, locking its row until
    the transaction ends; the campaign as it was just before (for the rules),
    read under that lock, with the lines `campaign` was read with."""
    found = _campaign_counted(
        share.collected,
        share.promised,
        share.supporters,
        connection.ops.adapt_datetimefield_value(now),
        campaign.pk,
    )
    if not found:
        raise Campaign.DoesNotExist(campaign.pk)
    before = found[0]
    currency = before.currency
    before.collected = Money(before.collected.amount - share.collected, currency)
    before.promised = Money(before.promised.amount - share.promised, currency)
    before.supporters -= share.supporters
    before.set_lines(campaign.lines.all())
    return before


def pledge_create(
    *,
    campaign: Campaign,
    line: BudgetLine | None,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
    now: datetime | None = None,
) -> Pledge:
    """Record a donor's pledge, if the campaign still accepts it. Returns the pledge.

    Under the campaign's row lock the campaign must still accept pledges
    (CampaignNotAccepting), the line must be one of its lines and not covered
    (LineRefused), the amount within its limits (AmountRefused). The pledge that
    brings raised to the goal is accepted in full. The donor's email, if any,
    goes out after commit.

    A pledge already made with this one-time token (a double click, a retry) is
    returned as is and nothing is created: the token's unique index refuses the
    second insert, and only then is the first pledge looked up, so the usual
    pledge costs no lookup. A refused form whose token already made a pledge (it
    was the one that crossed the goal) returns that pledge too.

    `campaign` may be read without a lock (campaign_for_pledging, or any read
    with its lines): what can change under a pledge is read again under the
    lock, and `campaign` itself is left as it was. On PostgreSQL a pledge to
    no line is first tried in one statement that writes only if the campaign
    accepts it (_counted_insert_sql); when it writes nothing, the pledge is
    decided under the lock as any other.
    """
    now = now or timezone.now()

    def write() -> Pledge:
        # A pledge to no line is first counted in one statement, which writes
        # only if the campaign accepts it; anything else is decided under the lock.
        if line is None and _counts_in_one_statement():
            made = _pledge_counted(
                "id",
                campaign.pk,
                slug=campaign.slug,
                amount=amount,
                donor=donor,
                submission_token=submission_token,
                now=now,
            )
            if made is not None:
                return made
        with transaction.atomic():
            return _pledge_insert(
                campaign,
                line=line,
                amount=amount,
                donor=donor,
                submission_token=submission_token,
                now=now,
            )

    try:
        return _once_per_token(submission_token, write)
    except PledgeRefused:
        # Refused now, but this very form may have made the pledge that
        # brought the campaign to where it refuses (the goal, the line).
        existing = pledge_for_token(submission_token)
        if existing is not None:
            return existing
        raise


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


def _pledge_insert(
    campaign: Campaign,
    *,
    line: BudgetLine | None,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
    now: datetime,
) -> Pledge:
    """Insert one pledge, then count and check it under the campaign's row lock.

    Every donor of a campaign queues for that one lock, so it is held as briefly
    as the rules allow. The pledge row is inserted first: nobody sees it before
    the commit. Then one statement moves the totals and returns the campaign's
    state (UPDATE … RETURNING); it takes the row lock, as FOR NO KEY UPDATE
    does, which the KEY SHARE lock of the pledge's foreign key does not conflict
    with. The rules are checked against the state just before this pledge, and
    a refusal rolls back the pledge with the totals. An earmarked pledge also
    reads the lines' earmarks under the lock and moves its line's.

    The lines' targets (the goal) come from the caller's read: the team edits
    them without this lock, so reading them again under it would order nothing.
    """
    check_amount(amount, campaign=campaign)  # refused before anything is written
    pledge = _new_pledge(campaign, line, amount, donor, submission_token)
    _insert_pledge(pledge)
    share = _Share.of(pledge)
    locked = _count_locked(campaign, share, now)
    if line is not None:
        # The earmarks change under this lock only: read them under it.
        locked.set_lines(_lines_of_campaign(locked.pk))
    if not locked.is_accepting_pledges(now):
        raise CampaignNotAccepting(
            state=locked.state(now), reason=locked.effective_closed_reason(now)
        )
    check_amount(amount, campaign=locked)
    if line is not None:
        lines = list(locked.lines.all())
        position = next((i for i, own in enumerate(lines) if own.pk == line.pk), None)
        if position is None:
            raise LineRefused("invalid_choice")
        if locked.coverage().lines[position].is_done:
            raise LineRefused("covered")
        _line_earmarked(share.effective, line.pk)
    _pledge_made(pledge, slug=locked.slug)
    return pledge


def _new_pledge(
    campaign: Campaign | None,
    line: BudgetLine | None,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
) -> Pledge:
    """A pending pledge, not saved; without `campaign`, the statement that
    inserts it gives the campaign and its currency."""
    return Pledge(
        campaign=campaign,
        line=line,
        kind=Pledge.Kind.PLEDGE,
        amount=Money(amount, campaign.currency if campaign else DEFAULT_CURRENCY),
        status=Pledge.Status.PENDING,
        # 31**8 codes: a collision is rare, and the unique index turns it into
        # an IntegrityError that pledge_create retries with a new code.
        reference=new_reference(),
        submission_token=submission_token or None,
        donor_name="" if donor.is_anonymous else donor.name.strip(),
        is_anonymous=donor.is_anonymous or not donor.name.strip(),
        show_amount=donor.show_amount,
        email=donor.email,
        message=donor.message.strip(),
        language=donor.language,
    )


def _pledge_made(pledge: Pledge, *, slug: str) -> None:
    pages_changed(slug)
    if pledge.email:
        transaction.on_commit(lambda pk=pledge.pk: send_pledge_email(pk))


_AMOUNT_CURRENCY = "amount_currency"  # django-money's column beside `amount`


def _counts_in_one_statement() -> bool:
    # An UPDATE inside WITH, feeding an INSERT: PostgreSQL's, not SQLite's.
    return connection.vendor == "postgresql"


@functools.cache
def _counted_insert_sql(key: str) -> str:
    """Count an unearmarked pledge and insert it, in one statement, if the
    campaign (found by its `key` column, "id" or "slug") accepts it.

    The conditions are PRODUCT.md's rules, as Campaign.is_accepting_pledges
    and check_amount state them (tests/donations/test_pledge_rules.py holds
    the two to the same answers): published, not closed, before its deadline,
    the amount within its limit, and a goal (the lines' targets) above zero and,
    if it stops there, above what is raised. The UPDATE takes the row lock; a
    row another pledge has just changed is checked again in its new version
    once that pledge commits (READ COMMITTED), so exactly one pledge crosses
    the goal. The pledge is inserted only if the totals moved, with the
    campaign's id and currency. In autocommit the statement is its own
    transaction: the row stays locked for no round trip."""
    campaign = _PLEDGE_CAMPAIGN.names()
    line = _LINE.names("l.")
    insert, fields, _returning = _insert_pledge._plan
    columns = insert[insert.index("(") + 1 : insert.index(")")]
    values = [
        "counted.id"
        if field.attname == "campaign_id"
        else "counted.currency"
        if field.attname == _AMOUNT_CURRENCY
        else "%s"
        for field in fields
    ]
    quote = connection.ops.quote_name
    return (
        f"WITH counted AS (UPDATE {campaign['table']}"  # noqa: S608 - from the models
        f" SET {campaign['promised']} = ROUND({campaign['promised']} + %s, 2),"
        f" {campaign['supporters']} = {campaign['supporters']} + 1,"
        f" {campaign['version']} = {campaign['version']} + 1,"
        f" {campaign['updated_at']} = %s"
        f" WHERE {campaign[key]} = %s AND {campaign['published']}"
        f" AND {campaign['closed_at']} IS NULL"
        f" AND ({campaign['deadline']} IS NULL OR {campaign['deadline']} > %s)"
        f" AND {campaign['max_pledge']} >= %s"
        f" AND (SELECT SUM({line['target']}) FROM {line['table']} l"
        f" WHERE {line['campaign_id']} = {campaign['table']}.{campaign['id']})"
        f" > CASE WHEN {campaign['stop_at_goal']}"
        f" THEN {campaign['collected']} + {campaign['promised']} ELSE 0 END"
        f" RETURNING {campaign['id']} AS id, {campaign['currency']} AS currency)"
        f" INSERT INTO {quote(Pledge._meta.db_table)} ({columns})"
        f" SELECT {', '.join(values)} FROM counted"
        f" RETURNING {quote(Pledge._meta.pk.column)},"
        f" {quote(Pledge._meta.get_field('campaign').column)},"
        f" {quote(_AMOUNT_CURRENCY)}"
    )


def _pledge_counted(
    key: str,
    value,
    *,
    slug: str,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
    now: datetime,
) -> Pledge | None:
    """An unearmarked pledge, counted and inserted in one statement if the
    campaign whose `key` ("id" or "slug") is `value` accepts it; None if
    nothing was written, which the rules under the lock then explain. Raises
    IntegrityError as an insert does."""
    try:
        check_amount(amount)
    except AmountRefused:
        return None
    pledge = _new_pledge(None, None, amount, donor, submission_token)
    values = _insert_pledge.values(pledge)
    _sql, fields, _returning = _insert_pledge._plan
    # The statement takes the campaign and the currency from the campaign row.
    pledge_values = [
        prepared
        for field, prepared in zip(fields, values, strict=True)
        if field.attname not in ("campaign_id", _AMOUNT_CURRENCY)
    ]
    when = connection.ops.adapt_datetimefield_value(now)
    params = [amount, when, value, when, amount, *pledge_values]
    # Inside a transaction (a test's, a caller's) a failed insert must not
    # break it: a savepoint. In autocommit the statement is atomic already.
    atomic = transaction.atomic if connection.in_atomic_block else nullcontext
    with atomic(), connection.cursor() as cursor:
        cursor.execute(_counted_insert_sql(key), params)
        row = cursor.fetchone()
    if row is None:
        return None
    pk, pledge.campaign_id, currency = row
    pledge.amount = Money(amount, currency)
    _insert_pledge.saved(pledge, pk)
    _pledge_made(pledge, slug=slug)
    return pledge


def pledge_at_once(
    *,
    slug: str,
    amount: Decimal,
    donor: Donor,
    submission_token: str | None,
    now: datetime | None = None,
) -> Pledge | None:
    """The usual pledge, to the published campaign `slug` and no line, written
    before anything is read: one statement on PostgreSQL, which counts and
    inserts it only if the campaign accepts it (_counted_insert_sql).

    Returns the pledge, or the one this one-time token made already; None if
    nothing was written (the campaign does not exist, or does not accept this
    pledge, or this database has no such statement): then read the campaign
    and call pledge_create, which decides under the lock and says why.
    """
    if not _counts_in_one_statement():
        return None
    now = now or timezone.now()
    return _once_per_token(
        submission_token,
        lambda: _pledge_counted(
            "slug",
            slug,
            slug=slug,
            amount=amount,
            donor=donor,
            submission_token=submission_token,
            now=now,
        ),
    )


def send_pledge_email(pledge_pk: int) -> None:
    """The reference and payment details, to a donor who gave an email.

    Runs after commit; a mail server that is down must not undo a pledge.
    """
    pledge = Pledge.objects.with_campaign_and_line().get(pk=pledge_pk)
    from donations.payment import payment_details

    with translation.override(pledge.language or settings.LANGUAGE_CODE):
        context = {
            "pledge": pledge,
            "campaign": pledge.campaign,
            "payment": payment_details(pledge),
            "thanks_url": settings.SITE_URL + pledge.get_absolute_url(),
        }
        subject = render_to_string(
            "donations/email/pledge_made_subject.txt", context
        ).strip()
        body = render_to_string("donations/email/pledge_made.txt", context)
    try:
        send_mail(subject, body, None, [pledge.email])
    except Exception:
        logger.exception("Could not email the donor of pledge %s", pledge.reference)


# ---------------------------------------------------------------------------
# Money that arrives, and pledges that never will
# ---------------------------------------------------------------------------


@transaction.atomic
def pledge_receive(
    *,
    pledge: Pledge,
    amount: Decimal,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Pledge:
    """Record the money that actually arrived for a pledge.

    Works on pending pledges, on cancelled or expired ones whose money came late,
    and on received ones (to correct the amount). Closes a stop-at-goal campaign
    whose collected amount reaches the goal, in the same transaction.
    """
    now = now or timezone.now()
    amount = to_cents(amount)
    if amount <= 0:
        raise AmountRefused("min_value")
    campaign = _lock(pledge.campaign)
    pledge = Pledge.objects.get(pk=pledge.pk)
    before = _Share.of(pledge)
    previous_status = pledge.status
    pledge.status = Pledge.Status.RECEIVED
    pledge.received_amount = Money(amount, campaign.currency)
    pledge.received_at = now
    pledge.received_by = by
    # The currency column is a field of its own: without it a PLN pledge would
    # keep the column's default (EUR) and break the one-currency constraint.
    pledge.save(
        update_fields=[
            "status",
            "received_amount",
            "received_amount_currency",
            "received_at",
            "received_by",
        ]
    )
    _move_totals(campaign, before, _Share.of(pledge))
    Activity.objects.create(
        campaign=campaign,
        actor=by,
        action=Activity.Action.PLEDGE_RECEIVED,
        reference=pledge.reference,
        details={
            "pledged": _money_str(pledge.amount),
            "received": str(amount),
            "currency": campaign.currency,
            "previous_status": previous_status,
        },
        created_at=now,
    )
    _close_if_goal_collected(campaign, by=by, now=now)
    return pledge


@transaction.atomic
def pledge_cancel(
    *,
    pledge: Pledge,
    reason: str,
    by: AbstractBaseUser | None,
    now: datetime | None = None,
) -> Pledge:
    """Cancel a pending pledge (never paid, fake). Its amount stops counting, so a
    campaign that had reached its goal by promises may accept pledges again."""
    now = now or timezone.now()
    campaign = _lock(pledge.campaign)
    pledge = Pledge.objects.get(pk=pledge.pk)
    if pledge.status != Pledge.Status.PENDING:
        raise PledgeStateError(f"pledge {pledge.reference} is {pledge.status}")
    _cancel_locked(campaign, pledge, reason=reason, by=by, now=now)
    Activity.objects.create(
        campaign=campaign,
        actor=by,
        action=Activity.Action.PLEDGE_CANCELLED,
        reference=pledge.reference,
        details={
            "pledged": _money_str(pledge.amount),
            "currency": campaign.currency,
            "reason": reason,
        },
        created_at=now,
    )
    return pledge


def _cancel_locked(
    campaign: Campaign,
    pledge: Pledge,
    *,
    reason: str,
    by: AbstractBaseUser | None,
    now: datetime,
) -> None:
    before = _Share.of(pledge)
    pledge.status = Pledge.Status.CANCELLED
    pledge.cancelled_at = now
    pledge.cancelled_by = by
    pledge.cancel_reason = reason[:200]
    pledge.save(
        update_fields=["status", "cancelled_at", "cancelled_by", "cancel_reason"]
    )
    _move_totals(campaign, before, _Share.of(pledge))


EXPIRED = "expired"


def expire_pledges(*, now: datetime | None = None) -> int:
    """Cancel, as "expired", pending pledges older than their campaign's expiry
    period. Idempotent: a second run finds nothing. Returns how many expired."""
    now = now or timezone.now()
    campaign_ids = (
        Pledge.objects.filter(status=Pledge.Status.PENDING)
        .values_list("campaign_id", flat=True)
        .distinct()
    )
    count = 0
    for campaign in Campaign.objects.filter(pk__in=list(campaign_ids)):
        count += _expire_campaign_pledges(campaign=campaign, now=now)
    return count


@transaction.atomic
def _expire_campaign_pledges(*, campaign: Campaign, now: datetime) -> int:
    campaign = _lock(campaign)
    cutoff = now - timedelta(days=campaign.pledge_expiry_days)
    expired = list(
        Pledge.objects.filter(
            campaign=campaign, status=Pledge.Status.PENDING, created_at__lt=cutoff
        )
    )
    for pledge in expired:
        _cancel_locked(campaign, pledge, reason=EXPIRED, by=None, now=now)
    if expired:
        Activity.objects.create(
            campaign=campaign,
            action=Activity.Action.PLEDGES_EXPIRED,
            details={
                "references": [pledge.reference for pledge in expired],
                "pledged": str(
                    sum((to_cents(p.amount.amount) for p in expired), Decimal(0))
                ),
                "currency": campaign.currency,
            },
            created_at=now,
        )
    return len(expired)


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
    now: datetime | None = None,
) -> Pledge:
    """Money that arrived without a usable reference, recorded as received, in
    whatever state the campaign is (money after closing still counts)."""
    now = now or timezone.now()
    amount = to_cents(amount)
    if amount <= 0:
        raise AmountRefused("min_value")
    campaign = _lock(campaign)
    if line is not None and line.campaign_id != campaign.pk:
        raise LineRefused("invalid_choice")
    money = Money(amount, campaign.currency)
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
    _move_totals(campaign, _Share.of(None), _Share.of(gift))
    Activity.objects.create(
        campaign=campaign,
        actor=by,
        action=Activity.Action.GIFT_RECORDED,
        reference=gift.reference,
        details={
            "received": str(amount),
            "currency": campaign.currency,
            "line": line.label if line else "",
        },
        created_at=now,
    )
    _close_if_goal_collected(campaign, by=by, now=now)
    return gift


@transaction.atomic
def pledge_set_message_hidden(
    *, pledge: Pledge, hidden: bool, by: AbstractBaseUser | None
) -> Pledge:
    """Hide a donor's message from the public page, or show it again."""
    campaign = _lock(pledge.campaign)
    Pledge.objects.filter(pk=pledge.pk).update(message_hidden=hidden)
    pledge.message_hidden = hidden
    campaign.version += 1
    pages_changed(campaign.slug)
    Campaign.objects.filter(pk=campaign.pk).update(version=campaign.version)
    Activity.objects.create(
        campaign=campaign,
        actor=by,
        action=Activity.Action.MESSAGE_HIDDEN,
        reference=pledge.reference,
        details={"hidden": hidden},
    )
    return pledge


# ---------------------------------------------------------------------------
# Closing
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


class ReopenRefused(Exception):
    """Reopening would not make the campaign accept pledges; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


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
    """Reopen a closed campaign (PRODUCT.md): with a reason; with a new deadline
    in the future if the old one passed (`deadline` None keeps the old one); and,
    when it stops at its goal, only if raised is below the goal (a larger goal,
    or stop-at-goal off). Raises ReopenRefused with the rule's code."""
    now = now or timezone.now()
    locked = _lock(campaign)
    if not locked.is_closed(now):
        raise ReopenRefused("not_closed")
    new_deadline = deadline if deadline is not None else locked.deadline
    if new_deadline is not None and new_deadline <= now:
        raise ReopenRefused("deadline_passed")
    locked.stop_at_goal = stop_at_goal
    if stop_at_goal and locked.goal_reached():
        raise ReopenRefused("goal_reached")
    previous = locked.effective_closed_reason(now)
    locked.closed_at, locked.closed_reason, locked.closed_by = None, "", None
    locked.deadline = new_deadline
    locked.version += 1
    pages_changed(locked.slug)
    Campaign.objects.filter(pk=locked.pk).update(
        closed_at=None,
        closed_reason="",
        closed_by=None,
        deadline=new_deadline,
        stop_at_goal=stop_at_goal,
        version=locked.version,
        updated_at=now,
    )
    Activity.objects.create(
        campaign=locked,
        actor=by,
        action=Activity.Action.REOPENED,
        details={
            "reason": reason,
            "previous_reason": previous,
            "deadline": new_deadline.isoformat() if new_deadline else "",
            "stop_at_goal": stop_at_goal,
        },
        created_at=now,
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
