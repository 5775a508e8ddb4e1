"""Bank statements in, pledges matched: money confirmed without typing amounts.

A volunteer brings the statement their bank exports for the account campaigns
are paid into (donations/bankfiles.py reads it). Every credit is stored once
per account, and points at the pledge whose reference code its title carries.
The review sorts the entries into matched, doubtful and unmatched by the
pledges' state at that moment; one confirmation records them through the same
receive and gift functions as the desk, so the rules, the exact totals and the
closing at the goal are the desk's.

Who sees what: an entry matched to a campaign is shown to that campaign's team;
an entry no code placed only to organizers of campaigns paid into the account.
The payer's name and the title only to those who may see donors.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from djmoney.money import Money

from campaigns import permissions, rules
from campaigns.models import Campaign
from campaigns.money import to_cents
from campaigns.templatetags.money import format_money
from donations import bankfiles
from donations.models import (
    REFERENCE_LENGTH,
    REFERENCE_LOOKALIKES,
    BankAccount,
    Pledge,
    StatementEntry,
    StatementImport,
)
from donations.payment import compact_iban
from donations.pledging import (
    EXPIRED,
    PledgeRefused,
    gift_record,
    pledge_receive,
    receipt_correct,
)

# What the record says for a receipt corrected by a further transfer.
FURTHER_TRANSFER = "further transfer on the bank statement"
TITLE_LENGTH = StatementEntry._meta.get_field("title").max_length
NAME_LENGTH = StatementEntry._meta.get_field("counterparty").max_length


class StatementRefused(Exception):
    """The file was read, but it cannot be imported here (wrong account,
    another currency, nothing received). Nothing was stored."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------
# Finding reference codes in a transfer's title
# ---------------------------------------------------------------------------


def _fold(text: str) -> str:
    """Upper case, look-alike Cyrillic and Greek letters as Latin ones."""
    return unicodedata.normalize("NFKC", text).upper().translate(REFERENCE_LOOKALIKES)


NOT_LETTER_OR_DIGIT = re.compile(r"[\W_]+")


def _compact(text: str) -> str:
    return NOT_LETTER_OR_DIGIT.sub("", text)


def code_windows(title: str) -> set[str]:
    """Every run of eight letters and digits in the title once spaces, dashes,
    line breaks and other marks are dropped: "Ref: h88p-mgw3" and a code split
    across two lines of the title both hold "H88PMGW3"."""
    text = _compact(_fold(title))
    return {
        text[start : start + REFERENCE_LENGTH]
        for start in range(len(text) - REFERENCE_LENGTH + 1)
    }


def typed_codes(title: str) -> set[str]:
    """What looks typed as a code: one word of eight letters and digits, or two
    or three neighbouring words that make eight together ("H88P MGW3"). Only
    these are compared letter by letter for a typo, so that the words of a
    title ("FORRENTJ") are never taken for a code with one wrong character."""
    words = [_compact(word) for word in _fold(title).split()]
    words = [word for word in words if word]
    found = set()
    for start in range(len(words)):
        joined = ""
        for word in words[start : start + 3]:
            joined += word
            if len(joined) == REFERENCE_LENGTH:
                found.add(joined)
            if len(joined) >= REFERENCE_LENGTH:
                break
    return found


def _masks(code: str):
    for position in range(len(code)):
        yield code[:position] + "?" + code[position + 1 :]


@dataclass
class PledgeIndex:
    """The reference codes of every pledge paid into one account, loaded in
    one query whatever the statement's size."""

    by_code: dict[str, tuple[int, int]]  # code -> (pledge id, campaign id)
    pending: list[str]
    _by_mask: dict[str, set[str]] | None = None

    @classmethod
    def load(cls, campaign_ids: list[int]) -> PledgeIndex:
        rows = Pledge.objects.filter(
            campaign_id__in=campaign_ids, kind=Pledge.Kind.PLEDGE
        ).values_list("reference", "pk", "campaign_id", "status")
        by_code, pending = {}, []
        for code, pk, campaign_id, status in rows.iterator(chunk_size=10_000):
            by_code[code] = (pk, campaign_id)
            if status == Pledge.Status.PENDING:
                pending.append(code)
        return cls(by_code=by_code, pending=pending)

    def _typo_index(self) -> dict[str, set[str]]:
        """Pending codes by each one-letter-hidden form: built the first time a
        title needs it."""
        if self._by_mask is None:
            self._by_mask = defaultdict(set)
            for code in self.pending:
                for mask in _masks(code):
                    self._by_mask[mask].add(code)
        return self._by_mask

    def find(self, title: str) -> tuple[str, str] | None:
        """(code, match) for the one pledge the title names, or None when it
        names none or several. A code with one wrong character counts only
        when it points at exactly one pending pledge."""
        exact = code_windows(title) & self.by_code.keys()
        if exact:
            return (
                (exact.pop(), StatementEntry.Match.EXACT) if len(exact) == 1 else None
            )
        typed = typed_codes(title)
        if not typed or not self.pending:
            return None
        index = self._typo_index()
        near = {code for word in typed for mask in _masks(word) for code in index[mask]}
        if len(near) == 1:
            return near.pop(), StatementEntry.Match.TYPO
        return None


# ---------------------------------------------------------------------------
# Importing
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportResult:
    statement: StatementImport
    new: int
    known: int
    skipped: int
    # The credits an earlier import had already stored, as read from the file.
    known_entries: tuple[bankfiles.BankEntry, ...] = ()


def _squash(text: str) -> str:
    return " ".join(text.split())


def fingerprints(iban: str, entries: list[bankfiles.BankEntry]) -> list[str]:
    """One key per entry, the same in every statement that carries it: the
    bank's own entry reference with its date and amount; without one, the
    date, amount, payer and title, counted so that two identical transfers on
    one day stay two entries."""
    seen: dict[str, int] = defaultdict(int)
    keys = []
    for entry in entries:
        parts = [iban, entry.booked_on.isoformat(), str(entry.amount), entry.currency]
        if entry.bank_reference:
            parts += ["ref", entry.bank_reference]
        else:
            parts += [_squash(entry.counterparty), _squash(entry.title)]
        base = "\x1f".join(parts)
        seen[base] += 1
        if not entry.bank_reference:
            base += f"\x1f{seen[base]}"
        keys.append(hashlib.sha256(base.encode()).hexdigest())
    return keys


def _is_money_in(entry: bankfiles.BankEntry, currencies: set[str]) -> bool:
    return (
        entry.is_credit
        and not entry.is_reversal
        and entry.is_booked
        and entry.amount > 0
        and entry.currency in currencies
    )


def _account_campaigns(iban: str, reachable) -> list[Campaign]:
    campaigns = Campaign.objects.filter(iban=iban)
    if reachable is not None:
        campaigns = campaigns.filter(pk__in=reachable.values("pk"))
    return list(campaigns.only("pk", "currency", "iban"))


def _the_account(statement: bankfiles.BankStatement, chosen: str) -> str:
    iban = statement.iban or chosen
    if not iban:
        raise StatementRefused(
            "no_account",
            _("This file does not say which account it is for: choose the account."),
        )
    if chosen and statement.iban and chosen != statement.iban:
        raise StatementRefused(
            "other_account",
            _(
                "This statement is for account %(found)s, not for %(chosen)s. "
                "Choose the right account or the right file."
            )
            % {"found": statement.iban, "chosen": chosen},
        )
    return iban


def _in_account_currency(
    statement: bankfiles.BankStatement, iban: str
) -> bankfiles.BankStatement:
    """A CSV without a currency column leaves entries without one: they are in
    the account's currency, when its campaigns agree on one."""
    if all(entry.currency for entry in statement.entries):
        return statement
    currencies = set(
        Campaign.objects.filter(iban=iban).values_list("currency", flat=True)
    )
    currency = statement.currency or (currencies.pop() if len(currencies) == 1 else "")
    return dataclasses.replace(
        statement,
        entries=[
            entry if entry.currency else dataclasses.replace(entry, currency=currency)
            for entry in statement.entries
        ],
    )


def read_for_import(
    *, data: bytes, account: str = "", csv_mapping=None, reachable=None
) -> tuple[bankfiles.BankStatement, str, list[Campaign]]:
    """Read the file and check it belongs here: the account is one the
    importer's campaigns are paid into, in their currency. Raises
    bankfiles.StatementFileError or StatementRefused; stores nothing."""
    chosen = compact_iban(account)
    if csv_mapping is None and chosen:
        saved = BankAccount.objects.filter(iban=chosen).values_list(
            "csv_mapping", flat=True
        )
        if saved and saved[0]:
            csv_mapping = bankfiles.CsvMapping.from_json(saved[0])
    statement = bankfiles.read_statement(data, csv_mapping=csv_mapping)
    iban = _the_account(statement, chosen)
    campaigns = _account_campaigns(iban, reachable)
    statement = _in_account_currency(statement, iban)
    if not campaigns:
        raise StatementRefused(
            "unknown_account",
            _(
                "This statement is for account %(iban)s, and none of your "
                "campaigns is paid into it."
            )
            % {"iban": iban},
        )
    currencies = {campaign.currency for campaign in campaigns}
    if statement.currency and statement.currency not in currencies:
        raise StatementRefused(
            "other_currency",
            _(
                "This statement is in %(found)s; the campaigns paid into this "
                "account collect %(wanted)s."
            )
            % {"found": statement.currency, "wanted": ", ".join(sorted(currencies))},
        )
    if not any(_is_money_in(entry, currencies) for entry in statement.entries):
        raise StatementRefused(
            "no_credits",
            _(
                "This statement holds no money received in %(wanted)s "
                "(%(count)s other entries). Nothing was imported."
            )
            % {
                "wanted": ", ".join(sorted(currencies)),
                "count": len(statement.entries),
            },
        )
    return statement, iban, campaigns


def import_statement(
    *,
    data: bytes,
    by=None,
    account: str = "",
    csv_mapping: bankfiles.CsvMapping | None = None,
    filename: str = "",
    reachable=None,
    now: datetime | None = None,
) -> ImportResult:
    """Store the statement's credits that Zbor has not seen yet, each pointing
    at the pledge its title names. `reachable`: the campaigns the importer
    works on (None: every campaign, for the command line). A CSV mapping given
    here is remembered for the account."""
    statement, iban, campaigns = read_for_import(
        data=data, account=account, csv_mapping=csv_mapping, reachable=reachable
    )
    currencies = {campaign.currency for campaign in campaigns}
    credits = [e for e in statement.entries if _is_money_in(e, currencies)]
    keys = fingerprints(iban, credits)
    # Every campaign paid into the account, the importer's or another team's.
    index = PledgeIndex.load(
        list(Campaign.objects.filter(iban=iban).values_list("pk", flat=True))
    )
    with transaction.atomic():
        bank_account, _created = BankAccount.objects.get_or_create(iban=iban)
        if csv_mapping is not None and statement.format == "csv":
            bank_account.csv_mapping = csv_mapping.to_json()
            bank_account.save(update_fields=["csv_mapping"])
        known = _known(bank_account, credits, keys)
        imported = StatementImport.objects.create(
            account=bank_account,
            format=statement.format,
            filename=filename[:200],
            uploaded_by=by if by is not None and by.is_authenticated else None,
            uploaded_at=now or timezone.now(),
            skipped=len(statement.entries) - len(credits),
        )
        rows = _new_rows(imported, index, credits, keys, known)
        # A second import of the same file at the same moment: the unique key
        # keeps each entry once, and the count below says what this one added.
        _store(rows)
        new = imported.entries.count()
        imported.entries_new, imported.entries_known = new, len(credits) - new
        imported.save(update_fields=["entries_new", "entries_known"])
    return ImportResult(
        statement=imported,
        new=imported.entries_new,
        known=imported.entries_known,
        skipped=imported.skipped,
        known_entries=tuple(
            entry for entry, key in zip(credits, keys, strict=True) if key in known
        ),
    )


def _known(bank_account: BankAccount, credits, keys: list[str]) -> set[str]:
    """The keys an earlier import stored: one query over the statement's dates."""
    if not credits:
        return set()
    dates = [entry.booked_on for entry in credits]
    return set(
        StatementEntry.objects.filter(
            account=bank_account, booked_on__range=(min(dates), max(dates))
        ).values_list("fingerprint", flat=True)
    ) & set(keys)


def _new_rows(imported, index: PledgeIndex, credits, keys, known) -> list[dict]:
    """The new entries as column values, each pointing at the pledge its
    title names."""
    rows = []
    for entry, key in zip(credits, keys, strict=True):
        if key in known:
            continue
        found = index.find(entry.title)
        pledge_id = campaign_id = None
        match = StatementEntry.Match.NONE
        if found is not None:
            code, match = found
            pledge_id, campaign_id = index.by_code[code]
        rows.append(
            {
                "account_id": imported.account_id,
                "statement_id": imported.pk,
                "fingerprint": key,
                "bank_reference": entry.bank_reference[:64],
                "booked_on": entry.booked_on,
                "amount": to_cents(entry.amount),
                "amount_currency": entry.currency,
                "counterparty": _squash(entry.counterparty)[:NAME_LENGTH],
                "title": entry.title.strip()[:TITLE_LENGTH],
                "pledge_id": pledge_id,
                "campaign_id": campaign_id,
                "match": match,
                "status": StatementEntry.Status.OPEN,
                "recorded_at": None,
                "recorded_by_id": None,
            }
        )
    return rows


def _store(rows: list[dict]) -> None:
    """Insert the new entries, skipping any that a simultaneous import of the
    same statement stored first (the unique key decides). On PostgreSQL one
    COPY into a temporary table and one INSERT, whatever the number of
    entries; elsewhere bulk_create."""
    if connection.vendor != "postgresql":
        StatementEntry.objects.bulk_create(
            [_entry_from_columns(row) for row in rows], ignore_conflicts=True
        )
        return
    names = list(rows[0]) if rows else []
    if not names:
        return
    fields = [StatementEntry._meta.get_field(name) for name in names]
    quote = connection.ops.quote_name
    table = quote(StatementEntry._meta.db_table)
    columns = ", ".join(quote(field.column) for field in fields)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS zbor_entries_in")
        cursor.execute(
            f"CREATE TEMPORARY TABLE zbor_entries_in ON COMMIT DROP AS "  # noqa: S608
            f"SELECT {columns} FROM {table} WITH NO DATA"
        )
        with cursor.cursor.copy(
            f"COPY zbor_entries_in ({columns}) FROM STDIN"  # noqa: S608
        ) as copy:
            for row in rows:
                copy.write_row(list(row.values()))
        cursor.execute(
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM zbor_entries_in "
            f"ON CONFLICT (account_id, fingerprint) DO NOTHING"
        )


def _entry_from_columns(row: dict) -> StatementEntry:
    values = dict(row)
    values["amount"] = Money(values["amount"], values.pop("amount_currency"))
    return StatementEntry(**values)


# ---------------------------------------------------------------------------
# Reviewing
# ---------------------------------------------------------------------------

MATCHED, DOUBTFUL, UNMATCHED, DONE = "matched", "doubtful", "unmatched", "done"


def seen_token(pledge: Pledge) -> str:
    """The pledge's state as the reviewer saw it: a confirmation sent after the
    desk recorded the same money finds it changed and adds nothing."""
    if pledge.status == Pledge.Status.RECEIVED:
        return f"{pledge.status}:{to_cents(pledge.received_amount.amount)}"
    return pledge.status


@dataclass
class Row:
    entry: StatementEntry
    verdict: str
    reasons: list[str] = field(default_factory=list)
    counterparty: str | None = None  # None: not for this user's eyes
    title: str | None = None
    can_confirm: bool = False
    seen: str = ""
    gift_targets: list[tuple[str, str]] = field(default_factory=list)

    @property
    def pledge(self) -> Pledge | None:
        return self.entry.pledge

    @property
    def campaign(self) -> Campaign | None:
        return self.entry.campaign

    @property
    def is_preselected(self) -> bool:
        return self.verdict == MATCHED and self.can_confirm


@dataclass
class Review:
    statement: StatementImport
    matched: list[Row]
    doubtful: list[Row]
    unmatched: list[Row]
    done: list[Row]
    hidden: int  # entries of other teams' campaigns
    unplaced: int = 0  # entries no code placed, left to the account's organizers

    @property
    def waiting(self) -> int:
        return len(self.matched) + len(self.doubtful) + len(self.unmatched)


def _doubts(entry: StatementEntry, transfers: int) -> list[str]:
    """Why an entry with a reference code still needs a human's eye."""
    pledge, currency = entry.pledge, entry.amount.currency.code
    reasons = []
    if entry.match == StatementEntry.Match.TYPO:
        reasons.append(
            _("The title has %(code)s with one character wrong.")
            % {"code": pledge.reference}
        )
    if pledge.status == Pledge.Status.RECEIVED:
        reasons.append(
            _("This pledge was already received (%(amount)s): a further transfer?")
            % {"amount": format_money(pledge.received_amount.amount, currency)}
        )
    elif pledge.status == Pledge.Status.CANCELLED:
        reasons.append(
            _("This pledge expired: the money came late.")
            if pledge.cancel_reason == EXPIRED
            else _("This pledge was cancelled.")
        )
    if transfers > 1:
        reasons.append(
            ngettext(
                "%(count)s transfers name this pledge: they add up.",
                "%(count)s transfers name this pledge: they add up.",
                transfers,
            )
            % {"count": transfers}
        )
    elif rules.needs_confirmation(
        expected=pledge.amount.amount, received=entry.amount.amount
    ):
        reasons.append(
            _("%(received)s arrived; the pledge was %(pledged)s.")
            % {
                "received": format_money(entry.amount.amount, currency),
                "pledged": format_money(pledge.amount.amount, currency),
            }
        )
    return reasons


def _open_transfers(entries: list[StatementEntry]) -> dict[int, int]:
    """Open entries per pledge, across every statement of the account."""
    pledge_ids = {e.pledge_id for e in entries if e.pledge_id is not None}
    if not pledge_ids:
        return {}
    return dict(
        StatementEntry.objects.filter(
            pledge_id__in=pledge_ids, status=StatementEntry.Status.OPEN
        )
        .values("pledge_id")
        .annotate(count=Count("pk"))
        .values_list("pledge_id", "count")
    )


class _Access:
    """What one user may see and do on the account's campaigns (their roles
    are read once)."""

    def __init__(self, user, account: BankAccount) -> None:
        self.user = user
        self.campaigns = list(
            Campaign.objects.filter(iban=account.iban).prefetch_related("lines")
        )
        self.by_id = {campaign.pk: campaign for campaign in self.campaigns}
        self.organizes_account = user is None or any(
            permissions.can(user, "edit", c) for c in self.campaigns
        )
        self._targets: dict[str, list[tuple[str, str]]] = {}

    def may(self, job: str, campaign: Campaign | None) -> bool:
        return self.user is None or permissions.can(self.user, job, campaign)

    def gift_targets(self, currency: str) -> list[tuple[str, str]]:
        """Where money no code placed may go: the campaigns paid into the
        account in its currency that the user may record gifts for, and
        their lines (worked out once per review and currency)."""
        if currency not in self._targets:
            self._targets[currency] = self._gift_targets(currency)
        return self._targets[currency]

    def _gift_targets(self, currency: str) -> list[tuple[str, str]]:
        targets = []
        for campaign in self.campaigns:
            if campaign.currency != currency or not self.may("record_gift", campaign):
                continue
            targets.append((f"{campaign.pk}", str(campaign)))
            for line in campaign.lines.all():
                targets.append((f"{campaign.pk}:{line.pk}", f"{campaign} — {line}"))
        return targets


# What the review reads of each entry and of the pledge it names.
REVIEWED_FIELDS = [
    *(
        f.name
        for f in StatementEntry._meta.concrete_fields
        if f.name not in ("fingerprint", "pledge")
    ),
    "pledge",
    *(
        f"pledge__{name}"
        for name in (
            "reference",
            "status",
            "amount",
            "amount_currency",
            "received_amount",
            "received_amount_currency",
            "cancel_reason",
            "campaign",
        )
    ),
]


def review(statement: StatementImport, user) -> Review:
    """The statement's entries as `user` may see them, sorted by what the
    pledges they name look like now. `user` None: the command line, which
    sees everything."""
    access = _Access(user, statement.account)
    entries = list(
        statement.entries.select_related("pledge")
        .only(*REVIEWED_FIELDS)
        .order_by("booked_on", "pk")
    )
    for entry in entries:
        # The account's campaigns are loaded once, not joined to every entry;
        # a gift's campaign may since have moved to another account.
        campaign = access.by_id.get(entry.campaign_id)
        if campaign is not None:
            entry.campaign = campaign
    transfers = _open_transfers(entries)
    sorted_rows = {MATCHED: [], DOUBTFUL: [], UNMATCHED: [], DONE: []}
    hidden = unplaced = 0
    for entry in entries:
        row = _row(entry, access, transfers)
        if row is not None:
            sorted_rows[row.verdict].append(row)
        elif entry.campaign_id is None:
            unplaced += 1
        else:
            hidden += 1
    return Review(statement=statement, hidden=hidden, unplaced=unplaced, **sorted_rows)


def _row(entry: StatementEntry, access: _Access, transfers) -> Row | None:
    if entry.campaign is None:
        if not access.organizes_account:
            return None
        row = Row(entry=entry, verdict=UNMATCHED)
        row.counterparty, row.title = entry.counterparty, entry.title
        if entry.status == StatementEntry.Status.OPEN:
            row.gift_targets = access.gift_targets(entry.amount.currency.code)
            row.can_confirm = bool(row.gift_targets)
        else:
            row.verdict = DONE
        return row
    if not access.may("view_pledges", entry.campaign):
        return None
    row = Row(entry=entry, verdict=DONE)
    row.counterparty, row.title = entry.counterparty, entry.title
    if entry.status == StatementEntry.Status.RECORDED:
        return row
    row.reasons = _doubts(entry, transfers.get(entry.pledge_id, 0))
    row.verdict = DOUBTFUL if row.reasons else MATCHED
    row.can_confirm = access.may("receive", entry.campaign)
    row.seen = seen_token(entry.pledge)
    return row


# ---------------------------------------------------------------------------
# Confirming
# ---------------------------------------------------------------------------


@dataclass
class ConfirmResult:
    received: int = 0
    gifts: int = 0
    skipped: list[tuple[StatementEntry, str]] = field(default_factory=list)

    @property
    def recorded(self) -> int:
        return self.received + self.gifts


def confirm(
    *,
    statement: StatementImport,
    user,
    receipts: dict[int, str],
    gifts: dict[int, tuple[int, int | None]] | None = None,
    confirmed: bool = True,
    now: datetime | None = None,
) -> ConfirmResult:
    """Record the chosen entries. `receipts`: entry id -> the pledge's state
    the reviewer saw (seen_token); entries naming one pledge are added up and
    recorded together. `gifts`: entry id -> (campaign id, line id or None) for
    entries no code placed. Each pledge and each gift in its own transaction,
    under the campaign's row lock: what one refuses does not undo the others.
    `confirmed`: the reviewer saw the amounts, so a doubtful one is accepted
    (the command line records matched entries only and passes False)."""
    result = ConfirmResult()
    now = now or timezone.now()
    chosen = (
        statement.entries.filter(pk__in=receipts, status=StatementEntry.Status.OPEN)
        .exclude(pledge=None)
        .exclude(campaign=None)
        .order_by("pk")
    )
    by_pledge = defaultdict(list)
    for entry in chosen:
        by_pledge[entry.pledge_id].append(entry)
    for group in by_pledge.values():
        seen = {receipts[entry.pk] for entry in group}
        _confirm_receipt(group, seen, user, confirmed, now, result)
    for entry_id, (campaign_id, line_id) in (gifts or {}).items():
        _confirm_gift(statement, entry_id, campaign_id, line_id, user, now, result)
    return result


def _lock_entries(entries: list[StatementEntry]) -> list[StatementEntry]:
    return list(
        StatementEntry.objects.select_for_update()
        .filter(pk__in=[e.pk for e in entries], status=StatementEntry.Status.OPEN)
        .order_by("pk")
    )


def _mark_recorded(entries, *, pledge: Pledge, campaign_id: int, user, now) -> None:
    StatementEntry.objects.filter(pk__in=[e.pk for e in entries]).update(
        status=StatementEntry.Status.RECORDED,
        pledge=pledge,
        campaign_id=campaign_id,
        recorded_at=now,
        recorded_by=user if user is not None and user.is_authenticated else None,
    )


def _confirm_receipt(group, seen: set[str], user, confirmed, now, result) -> None:
    campaign_id = group[0].campaign_id
    try:
        with transaction.atomic():
            campaign = Campaign.objects.select_for_update(no_key=True).get(
                pk=campaign_id
            )
            if user is not None and not permissions.can(user, "receive", campaign):
                raise PledgeRefused("not_allowed")
            entries = _lock_entries(group)
            pledge = Pledge.objects.get(pk=group[0].pledge_id)
            if len(entries) != len(group) or seen != {seen_token(pledge)}:
                raise _Changed
            _receive(pledge, entries, user, confirmed, now)
            _mark_recorded(
                entries, pledge=pledge, campaign_id=campaign_id, user=user, now=now
            )
    except _Changed:
        message = _(
            "%(code)s changed since this page was loaded (the desk may have "
            "recorded it): nothing was added. Look at it again below."
        ) % {"code": group[0].pledge.reference}
        result.skipped += [(entry, message) for entry in group]
    except PledgeRefused as refusal:
        result.skipped += [(entry, _refusal_text(refusal)) for entry in group]
    else:
        result.received += len(group)


class _Changed(Exception):
    pass


def _receive(pledge: Pledge, entries, user, confirmed: bool, now) -> None:
    total = sum((entry.amount.amount for entry in entries), Decimal("0"))
    source = ", ".join(entry.label for entry in entries)
    if pledge.status == Pledge.Status.RECEIVED:
        receipt_correct(
            pledge=pledge,
            amount=pledge.received_amount.amount + total,
            reason=FURTHER_TRANSFER,
            by=user,
            confirmed=True,
            source=source,
            now=now,
        )
    else:
        pledge_receive(
            pledge=pledge,
            amount=total,
            by=user,
            confirmed=confirmed,
            source=source,
            now=now,
        )


def _refusal_text(refusal: PledgeRefused) -> str:
    if refusal.code == "not_allowed":
        return _("You may not record money for this campaign.")
    return refusal.message


def _confirm_gift(statement, entry_id, campaign_id, line_id, user, now, result):
    entry = statement.entries.filter(pk=entry_id).first()
    if entry is None:
        return
    try:
        with transaction.atomic():
            campaign = (
                Campaign.objects.select_for_update(no_key=True)
                .filter(pk=campaign_id, iban=statement.account.iban)
                .first()
            )
            if campaign is None or (
                user is not None and not permissions.can(user, "record_gift", campaign)
            ):
                raise PledgeRefused("not_allowed")
            locked = _lock_entries([entry])
            if not locked or locked[0].campaign_id is not None:
                raise _Changed
            line = campaign.lines.filter(pk=line_id).first() if line_id else None
            if line_id and line is None:
                raise PledgeRefused("invalid_choice")
            gift = gift_record(
                campaign=campaign,
                amount=entry.amount.amount,
                line=line,
                note="",
                by=user,
                confirmed=True,
                source=entry.label,
                now=now,
            )
            _mark_recorded(
                locked, pledge=gift, campaign_id=campaign.pk, user=user, now=now
            )
    except _Changed:
        result.skipped.append(
            (entry, _("This entry was recorded meanwhile: nothing was added."))
        )
    except (PledgeRefused, IntegrityError) as refusal:
        text = (
            _refusal_text(refusal)
            if isinstance(refusal, PledgeRefused)
            else _("This entry could not be recorded.")
        )
        result.skipped.append((entry, text))
    else:
        result.gifts += 1


# ---------------------------------------------------------------------------
# Lists for the desk
# ---------------------------------------------------------------------------


def accounts_for(user) -> list[str]:
    """The accounts (IBANs) of the campaigns the user may record money for."""
    return sorted(
        set(
            permissions.campaigns_where(user, "receive")
            .exclude(iban="")
            .values_list("iban", flat=True)
        )
    )


def statements_for(user, *, limit: int = 20) -> list[StatementImport]:
    """Recent imports of the accounts the user works on, each with how many of
    its entries wait for the user's own campaigns (`waiting`)."""
    mine = permissions.campaigns_where(user, "receive").values("pk")
    return list(
        StatementImport.objects.filter(account__iban__in=accounts_for(user))
        .select_related("account")
        .annotate(
            waiting=Count(
                "entries",
                filter=Q(
                    entries__status=StatementEntry.Status.OPEN,
                    entries__campaign__in=mine,
                ),
            )
        )[:limit]
    )


def entries_paying(pledge: Pledge) -> list[StatementEntry]:
    """The statement entries recorded for this pledge (the desk's card)."""
    return list(
        pledge.statement_entries.filter(status=StatementEntry.Status.RECORDED)
        .select_related("statement")
        .order_by("booked_on", "pk")
    )
