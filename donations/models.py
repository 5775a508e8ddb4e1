from __future__ import annotations

import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core import signing
from django.db import connection, models
from django.db.models import Case, Count, DecimalField, F, Q, Sum, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from djmoney.money import Money

from campaigns import rules
from campaigns.models import BudgetLine, Campaign, money_field
from campaigns.money import to_cents

# No 0/O, 1/I/L: a reference is read out on the phone and typed into a bank form.
REFERENCE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
REFERENCE_LENGTH = 8


def new_reference() -> str:
    return "".join(secrets.choice(REFERENCE_ALPHABET) for _ in range(REFERENCE_LENGTH))


# Capital Cyrillic and Greek letters drawn like Latin ones: a code typed on a
# Cyrillic or Greek keyboard ("Н88РМGW3") is the code it looks like.
REFERENCE_LOOKALIKES = str.maketrans(
    "АВЕКМНОРСТХУЅІЈԚԜҮΑΒΕΖΗΙΚΜΝΟΡΤΥΧϹ",  # Cyrillic, then Greek
    "ABEKMHOPCTXYSIJQWYABEZHIKMNOPTYXC",
)
# What people write before a code in a transfer's title or a message.
REFERENCE_LABEL = re.compile(
    r"\s*(?:reference|ref|код|kod|tytuł|tytul|title|nr)\b\s*[.:]?", re.IGNORECASE
)


def normalize_reference(text: str) -> str:
    """What a donor or volunteer typed, as stored: upper case; no spaces, dashes
    or other marks; Cyrillic and Greek look-alike letters read as the Latin ones;
    a leading label ("Ref:", "Reference", "Код", "Tytuł", "Nr") dropped, but only
    from a text longer than a code ("NR2345AB" may be a code itself)."""

    def compact(part: str) -> str:
        folded = part.upper().translate(REFERENCE_LOOKALIKES)
        return "".join(ch for ch in folded if ch.isalnum())

    # Full-width and other compatibility forms ("Ｈ８８") as their plain letters.
    text = unicodedata.normalize("NFKC", text)
    whole = compact(text)
    label = REFERENCE_LABEL.match(text)
    if label and len(whole) > REFERENCE_LENGTH:
        return compact(text[label.end() :])
    return whole


STOP_EMAILS_SALT = "donations.stop-emails"


def reference_for_stop_token(token: str) -> str | None:
    """The reference a "stop emails" token was signed for, or None if forged."""
    try:
        return signing.Signer(salt=STOP_EMAILS_SALT).unsign(token)
    except signing.BadSignature:
        return None


def new_access_key() -> str:
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Totals:
    """A campaign's totals: what is stored, or what its pledges add up to."""

    collected: Decimal
    promised: Decimal
    supporters: int
    earmarked: dict[int, Decimal]  # budget line id -> effective amount
    earmarked_collected: dict[int, Decimal]  # budget line id -> received amount

    @classmethod
    def stored(cls, campaign: Campaign) -> Totals:
        """The denormalised totals as stored (reads the lines: prefetch them)."""
        return cls(
            collected=to_cents(campaign.collected.amount),
            promised=to_cents(campaign.promised.amount),
            supporters=campaign.supporters,
            earmarked={
                line.pk: to_cents(line.earmarked.amount)
                for line in campaign.lines.all()
            },
            earmarked_collected={
                line.pk: to_cents(line.earmarked_collected.amount)
                for line in campaign.lines.all()
            },
        )


class PledgeQuerySet(models.QuerySet):
    def not_cancelled(self) -> PledgeQuerySet:
        return self.exclude(status=Pledge.Status.CANCELLED)

    def with_campaign_and_line(self) -> PledgeQuerySet:
        """The campaign and the line in the same query, the line with its
        campaign too: a line's label follows its campaign's language order only
        when the campaign is loaded with it (campaigns/translation.py)."""
        return self.select_related("campaign", "line__campaign")

    def with_effective_amount(self) -> PledgeQuerySet:
        """Annotate `effective`: received amount, pledged amount or 0."""
        return self.annotate(
            effective=Case(
                When(status=Pledge.Status.RECEIVED, then=F("received_amount")),
                When(status=Pledge.Status.PENDING, then=F("amount")),
                default=Value(Decimal("0")),
                output_field=DecimalField(max_digits=14, decimal_places=2),
            )
        )

    def totals_for(self, campaign: Campaign) -> Totals:
        """Recompute a campaign's totals from its pledges, by aggregate (two
        queries, and the lines').

        The stored totals must always equal this; tests and the benchmark check it.
        """
        pledges = self.filter(campaign=campaign)
        sums = pledges.aggregate(
            collected=Sum("received_amount", filter=Q(status=Pledge.Status.RECEIVED)),
            promised=Sum("amount", filter=Q(status=Pledge.Status.PENDING)),
            supporters=Count("id", filter=~Q(status=Pledge.Status.CANCELLED)),
        )
        per_line = {
            line: (effective, received)
            for line, effective, received in pledges.filter(line__isnull=False)
            .with_effective_amount()
            .values("line")
            .annotate(
                effective_total=Sum("effective"),
                received_total=Sum(
                    "received_amount", filter=Q(status=Pledge.Status.RECEIVED)
                ),
            )
            .values_list("line", "effective_total", "received_total")
        }
        return Totals(
            collected=to_cents(sums["collected"]),
            promised=to_cents(sums["promised"]),
            supporters=sums["supporters"],
            earmarked={
                line.pk: to_cents(per_line.get(line.pk, (None, None))[0])
                for line in campaign.lines.all()
            },
            earmarked_collected={
                line.pk: to_cents(per_line.get(line.pk, (None, None))[1])
                for line in campaign.lines.all()
            },
        )


class Pledge(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RECEIVED = "received", _("Received")
        CANCELLED = "cancelled", _("Cancelled")

    class Kind(models.TextChoices):
        PLEDGE = "pledge", _("Pledge")
        GIFT = "gift", _("Gift received directly")

    # Indexed by the (campaign, …) indexes below: no index of its own.
    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="pledges", db_index=False
    )
    # PROTECT: a budget line that has pledges earmarked to it cannot be deleted.
    line = models.ForeignKey(
        BudgetLine,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="pledges",
        verbose_name=_("budget line"),
        db_index=False,  # a partial index below: most pledges have no line
    )
    kind = models.CharField(max_length=6, choices=Kind.choices, default=Kind.PLEDGE)
    amount = money_field(verbose_name=_("amount"))
    status = models.CharField(
        _("status"), max_length=9, choices=Status.choices, default=Status.PENDING
    )
    received_amount = money_field(
        verbose_name=_("amount received"), null=True, blank=True
    )

    # These three are unique through Meta.constraints: unique=True would give
    # each a second, LIKE-pattern index on PostgreSQL that no lookup uses.
    reference = models.CharField(
        _("reference code"), max_length=REFERENCE_LENGTH, default=new_reference
    )
    # The thank-you page's unguessable address.
    access_key = models.CharField(max_length=32, default=new_access_key)
    # The one-time token of the form that created it: posting it again finds this.
    submission_token = models.CharField(max_length=64, null=True, blank=True)

    donor_name = models.CharField(_("name"), max_length=80, blank=True)
    is_anonymous = models.BooleanField(_("stay anonymous"), default=False)
    show_amount = models.BooleanField(_("show my amount"), default=False)
    email = models.EmailField(_("email"), blank=True)
    message = models.TextField(_("message"), max_length=500, blank=True)
    message_hidden = models.BooleanField(_("message hidden"), default=False)
    language = models.CharField(max_length=10, blank=True)
    note = models.TextField(_("note"), blank=True, help_text=_("For the team only."))

    created_at = models.DateTimeField(auto_now_add=True)
    received_at = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # a partial index below
    )
    cancel_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # What the donor chose on their own pages (donations/self_service.py).
    wants_updates = models.BooleanField(_("email me the team's updates"), default=False)
    transfer_sent_at = models.DateTimeField(
        _("donor says the transfer was sent"), null=True, blank=True
    )
    # Set by the "stop emails" link: no email of any kind goes out after it.
    emails_stopped_at = models.DateTimeField(null=True, blank=True)

    objects = PledgeQuerySet.as_manager()

    class Meta:
        verbose_name = _("pledge")
        verbose_name_plural = _("pledges")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "status"]),
            models.Index(fields=["campaign", "-created_at"]),
            models.Index(fields=["status", "created_at"]),
            # The admin's pledge list, newest first across campaigns.
            models.Index(fields=["-created_at", "-id"]),
            # Its "gift" filter: gifts are few, so only they are in it.
            models.Index(
                fields=["-created_at", "-id"],
                condition=Q(kind="gift"),
                name="pledge_gift_idx",
            ),
            # Only rows that have one: every new pledge skips these three.
            *(
                models.Index(
                    fields=[name],
                    condition=Q(**{f"{name}__isnull": False}),
                    name=f"pledge_{name}_idx",
                )
                for name in ("line", "received_by", "cancelled_by")
            ),
        ]
        constraints = [
            *(
                models.UniqueConstraint(fields=[name], name=f"pledge_{name}_unique")
                for name in ("reference", "access_key", "submission_token")
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="pledge_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "received", "cancelled"]),
                name="pledge_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="received")
                | (Q(received_amount__isnull=False) & Q(received_amount__gt=0)),
                name="pledge_received_has_amount",
            ),
            models.CheckConstraint(
                condition=Q(received_amount__isnull=True)
                | Q(received_amount_currency=F("amount_currency")),
                name="pledge_one_currency",
            ),
            models.CheckConstraint(
                condition=~Q(status="cancelled") | Q(cancelled_at__isnull=False),
                name="pledge_cancelled_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    def stop_emails_path(self) -> str:
        """The "stop emails" page of every email about this pledge: a signed
        token, so it works without an account and names only the reference."""
        token = signing.Signer(salt=STOP_EMAILS_SALT).sign(self.reference)
        return reverse("donations:stop_emails", args=[token])

    # No get_absolute_url: the admin's "view on site" and other generic code
    # follow it, and this page belongs to the donor alone.
    def thanks_path(self) -> str:
        """The donor's private thank-you page (its address is the access key)."""
        return reverse("donations:thanks", args=[self.access_key])

    @property
    def effective_amount(self) -> Money:
        """Received amount once received, pledged while pending, else 0."""
        if self.status == self.Status.RECEIVED:
            return self.received_amount
        if self.status == self.Status.PENDING:
            return self.amount
        return Money(Decimal("0.00"), self.amount.currency)

    @property
    def expires_at(self) -> datetime:
        """When this pledge expires if still pending (reads its campaign:
        select it with the pledge). "I've sent the transfer" postpones it."""
        return rules.pledge_expires_at(
            self.created_at,
            expiry_days=self.campaign.pledge_expiry_days,
            postponed_days=self.campaign.transfer_sent_days
            if self.transfer_sent_at
            else 0,
        )

    @property
    def public_name(self) -> str:
        if self.is_anonymous or not self.donor_name:
            return str(_("Anonymous"))
        return self.donor_name


# One entry per pledge of a set, in one statement: what the write's own
# transaction queues for many donors at once (expiry notes, reminders, a team's
# update). The SELECT is the ORM's (`pledges`); tests/donations/test_emails.py
# ties the column list to the model.
QUEUE_STATEMENT = """
INSERT INTO donations_outbox (
    kind, pledge_id, update_id, created_at, attempts, next_attempt_at, sent_at,
    last_error
)
SELECT %s, chosen.pledge_id, %s, %s, 0, %s, NULL, ''
FROM ({pledges}) AS chosen
"""


class OutboxQuerySet(models.QuerySet):
    def queue_for(
        self,
        pledges: models.QuerySet,
        kind: str,
        *,
        now: datetime,
        update: Update | None = None,
    ) -> int:
        """Queue one `kind` entry for each of `pledges` that has an email and
        whose donor did not stop emails, in one INSERT … SELECT. Returns how
        many were queued."""
        chosen = (
            pledges.exclude(email="")
            .filter(emails_stopped_at__isnull=True)
            .order_by()
            .values(pledge_id=F("pk"))
        )
        sql, params = chosen.query.sql_with_params()
        stamp = connection.ops.adapt_datetimefield_value(now)
        with connection.cursor() as cursor:
            cursor.execute(
                QUEUE_STATEMENT.format(pledges=sql),
                [kind, update.pk if update else None, stamp, stamp, *params],
            )
            return cursor.rowcount

    def finished_before(self, moment: datetime) -> OutboxQuerySet:
        """Entries sent, dropped or given up, made before `moment`; but not
        the reminder of a pledge still pending (it says "reminded already")."""
        return self.filter(next_attempt_at__isnull=True, created_at__lt=moment).exclude(
            kind=Outbox.Kind.REMINDER, pledge__status=Pledge.Status.PENDING
        )


class Outbox(models.Model):
    """A message to send after a write, sent by `manage.py send_outbox`
    (donations/outbox.py), never by the request that made it.

    It holds no copy of the address or the text: the worker reads the address
    from the pledge and renders the message when it sends, so a pledge whose
    email was purged gets no mail. An entry is due while `next_attempt_at` is
    set and past; sent, given up or dropped, it is None."""

    class Kind(models.TextChoices):
        PLEDGE_MADE = "pledge_made", _("Pledge made")
        REMINDER = "reminder", _("Reminder before expiry")
        RECEIPT = "receipt", _("Money received")
        EXPIRED = "expired", _("Pledge expired")
        UPDATE = "update", _("Team's update")
        PLEDGE_LINK = "pledge_link", _("Pledge's page again")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    pledge = models.ForeignKey(Pledge, on_delete=models.CASCADE, related_name="+")
    # The update an UPDATE entry sends.
    update = models.ForeignKey(
        "Update", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=200, blank=True)

    objects = OutboxQuerySet.as_manager()

    class Meta:
        verbose_name = _("outgoing email")
        verbose_name_plural = _("outgoing emails")
        indexes = [
            # The worker's queue: only entries still to send.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(next_attempt_at__isnull=False),
                name="outbox_due_idx",
            ),
            # Pruning: only entries done with.
            models.Index(
                fields=["created_at"],
                condition=Q(next_attempt_at__isnull=True),
                name="outbox_done_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk}"


class BankAccount(models.Model):
    """An account campaigns are paid into, as bank statements name it: the
    IBAN, compact and upper case as Campaign.iban stores it. Several campaigns
    may share one. It remembers how its bank's CSV export is laid out."""

    iban = models.CharField(_("IBAN"), max_length=34, unique=True)
    # donations.bankfiles.CsvMapping.to_json(); empty until a CSV is imported.
    csv_mapping = models.JSONField(default=dict, blank=True)

    class Meta:
        verbose_name = _("bank account")
        verbose_name_plural = _("bank accounts")

    def __str__(self) -> str:
        return self.iban


class StatementImport(models.Model):
    """One statement file read into Zbor: who brought it and what it held."""

    class Format(models.TextChoices):
        CAMT053 = "camt053", "CAMT.053"
        MT940 = "mt940", "MT940"
        CSV = "csv", "CSV"

    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="imports"
    )
    format = models.CharField(_("format"), max_length=7, choices=Format.choices)
    filename = models.CharField(_("file"), max_length=200, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    # Credits seen for the first time, credits an earlier import already
    # stored, and entries that are not money in (debits, reversals, pending
    # bookings, another currency).
    entries_new = models.PositiveIntegerField(default=0)
    entries_known = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} {self.account} #{self.pk}"


class StatementEntry(models.Model):
    """One credit on the account, stored once whatever how many statements
    carry it (`fingerprint` is unique per account). It points at the pledge its
    reference code names (`match`), and once recorded at the pledge or gift it
    paid.

    The payer's name and the transfer's title are donor data: shown only to
    those who may see donors, cleared by the donor-data purge."""

    class Status(models.TextChoices):
        OPEN = "open", _("Waiting")
        RECORDED = "recorded", _("Recorded")

    class Match(models.TextChoices):
        NONE = "", _("No reference code")
        EXACT = "exact", _("Reference code")
        TYPO = "typo", _("Reference code with one wrong character")

    account = models.ForeignKey(
        BankAccount, on_delete=models.PROTECT, related_name="entries", db_index=False
    )
    statement = models.ForeignKey(
        StatementImport, on_delete=models.PROTECT, related_name="entries"
    )
    fingerprint = models.CharField(max_length=64)
    bank_reference = models.CharField(_("bank's reference"), max_length=64, blank=True)
    booked_on = models.DateField(_("booked on"))
    amount = money_field(verbose_name=_("amount"))
    counterparty = models.CharField(_("from"), max_length=140, blank=True)
    title = models.CharField(_("transfer title"), max_length=500, blank=True)
    pledge = models.ForeignKey(
        Pledge,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="statement_entries",
        db_index=False,  # a partial index below
    )
    campaign = models.ForeignKey(
        Campaign,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # a partial index below
    )
    match = models.CharField(max_length=5, choices=Match.choices, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    recorded_at = models.DateTimeField(null=True, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        verbose_name = _("statement entry")
        verbose_name_plural = _("statement entries")
        ordering = ["booked_on", "id"]
        indexes = [
            models.Index(
                fields=["pledge"],
                condition=Q(pledge__isnull=False),
                name="entry_pledge_idx",
            ),
            models.Index(
                fields=["campaign", "status"],
                condition=Q(campaign__isnull=False),
                name="entry_campaign_idx",
            ),
            # Entries no reference code placed: the organizers' list.
            models.Index(
                fields=["account", "status"],
                condition=Q(campaign__isnull=True),
                name="entry_unmatched_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "fingerprint"], name="entry_once_per_account"
            ),
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="entry_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "recorded"]),
                name="entry_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="recorded")
                | (Q(pledge__isnull=False) & Q(recorded_at__isnull=False)),
                name="entry_recorded_has_pledge",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.booked_on} {self.amount}"

    @property
    def label(self) -> str:
        """How the campaign's record names it: no payer's name, no title."""
        reference = f" {self.bank_reference}" if self.bank_reference else ""
        return f"#{self.pk} {self.booked_on.isoformat()}{reference}"


def update_photo_upload_to(instance, filename: str) -> str:
    # The photo pipeline gives every file a random name; keep only that.
    return f"photos/{filename}"


class Update(models.Model):
    """News the organizers post on the campaign page (Markdown through the
    story's sanitiser, an optional photo through the photo pipeline). Title and
    text have a column per language (donations/translation.py). Published for
    the first time, it is emailed once to every donor who asked for updates."""

    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.CASCADE,
        related_name="updates",
        verbose_name=_("campaign"),
    )
    title = models.CharField(_("title"), max_length=140)
    body = models.TextField(
        _("text"), blank=True, help_text=_("Markdown, as in the story.")
    )
    published = models.BooleanField(_("published"), default=False)
    published_at = models.DateTimeField(_("date"), null=True, blank=True)
    # When it was queued for the donors who asked for updates: once only.
    emailed_at = models.DateTimeField(null=True, blank=True, editable=False)
    image = models.ImageField(
        _("photo"),
        upload_to=update_photo_upload_to,
        width_field="width",
        height_field="height",
        blank=True,
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    variants = models.JSONField(default=list, editable=False)
    alt_text = models.CharField(
        _("alt text"),
        max_length=250,
        blank=True,
        help_text=_("What the photo shows, for people who cannot see it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("update")
        verbose_name_plural = _("updates")
        ordering = ["-published_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "-published_at"], name="update_page_idx")
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(published=False) | Q(published_at__isnull=False),
                name="update_published_has_date",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class SpendingQuerySet(models.QuerySet):
    def per_line(self, campaign: Campaign) -> dict[int, Decimal]:
        """Budget line id -> what was spent on it, summed by the database (one
        query; reads the campaign's lines: prefetch them)."""
        return {
            line: to_cents(total)
            for line, total in self.filter(
                line__in=[line.pk for line in campaign.lines.all()]
            )
            .values("line")
            .annotate(total=Sum("amount"))
            .values_list("line", "total")
        }


class Spending(models.Model):
    """Money the organizers spent from a campaign, on one of its budget lines.

    A spending has no campaign of its own: it is its line's campaign's, so it
    can never sit on another campaign's line. The admin offers only the lines
    of the user's campaigns."""

    line = models.ForeignKey(
        BudgetLine,
        on_delete=models.PROTECT,
        related_name="spending",
        verbose_name=_("budget line"),
    )
    spent_on = models.DateField(_("date"))
    amount = money_field(verbose_name=_("amount"))
    note = models.CharField(_("what it paid for"), max_length=200, blank=True)
    image = models.ImageField(
        _("receipt photo"),
        upload_to=update_photo_upload_to,
        width_field="width",
        height_field="height",
        blank=True,
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    variants = models.JSONField(default=list, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SpendingQuerySet.as_manager()

    class Meta:
        verbose_name = _("spending")
        # The same word in English, not in Russian or Polish ("расход/расходы").
        verbose_name_plural = pgettext_lazy("plural", "spending")
        ordering = ["spent_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount__gt=0), name="spending_amount_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spent_on} {self.amount}"

    @property
    def alt_text(self) -> str:
        # What photo_img writes as the receipt photo's alt text.
        return str(_("Receipt"))
