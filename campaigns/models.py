from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from djmoney.models.fields import MoneyField
from djmoney.money import Money

from campaigns import contact, rules
from campaigns.money import CURRENCY_CHOICES, DEFAULT_CURRENCY, to_cents
from campaigns.templatetags.money import format_money


def money_field(**kwargs) -> MoneyField:
    kwargs.setdefault("max_digits", 12)
    kwargs.setdefault("decimal_places", 2)
    return MoneyField(
        default_currency=DEFAULT_CURRENCY, currency_choices=CURRENCY_CHOICES, **kwargs
    )


def language_codes() -> list[str]:
    return [code for code, _name in settings.LANGUAGES]


def parse_language_order(value: str) -> list[str]:
    """ "be, ru,pl" -> ["be", "ru", "pl"]."""
    return [code.strip().lower() for code in value.split(",") if code.strip()]


def validate_language_order(value: str) -> None:
    codes = parse_language_order(value)
    unknown = [code for code in codes if code not in language_codes()]
    if unknown:
        raise ValidationError(
            _("Unknown language “%(code)s”: use %(codes)s, separated by commas."),
            code="unknown_language",
            params={"code": unknown[0], "codes": ", ".join(language_codes())},
        )
    if len(set(codes)) != len(codes):
        raise ValidationError(
            _("Each language may appear only once."), code="duplicate_language"
        )


SUMMARY_MAX_LENGTH = 300


class CampaignQuerySet(models.QuerySet):
    def published(self) -> CampaignQuerySet:
        return self.filter(published=True)

    def open(self, now: datetime | None = None) -> CampaignQuerySet:
        """Not closed and not past the deadline (rules.is_closed, as a filter)."""
        return self.filter(rules.open_condition(now or timezone.now()))

    def closed(self, now: datetime | None = None) -> CampaignQuerySet:
        """Closed by record or past the deadline, recorded yet or not."""
        return self.filter(rules.closed_condition(now or timezone.now()))

    def closed_before(self, moment: datetime) -> CampaignQuerySet:
        """Closed at or before `moment`, by record or by their deadline."""
        return self.filter(rules.closed_before_condition(moment))

    def open_first(self, now: datetime | None = None) -> CampaignQuerySet:
        """Open campaigns first (soonest deadline first), then closed ones."""
        return self.annotate(
            is_open=models.Case(
                models.When(
                    rules.open_condition(now or timezone.now()),
                    then=models.Value(True),
                ),
                default=models.Value(False),
                output_field=models.BooleanField(),
            )
        ).order_by("-is_open", F("deadline").asc(nulls_last=True), "-created_at")

    def past_deadline_not_closed(self, now: datetime | None = None) -> CampaignQuerySet:
        """Closed by their deadline, with no closing recorded yet."""
        return self.filter(closed_at__isnull=True, deadline__lte=now or timezone.now())


class Campaign(models.Model):
    class ClosedReason(models.TextChoices):
        GOAL = "goal", _("The goal was reached")
        DEADLINE = "deadline", _("The deadline passed")
        MANUAL = "manual", _("Closed by hand")

    class State(models.TextChoices):
        OPEN = "open", _("Open")
        FULLY_PROMISED = "fully_promised", _("Fully promised")
        CLOSED = "closed", _("Closed")

    title = models.CharField(_("title"), max_length=200)
    slug = models.SlugField(
        _("slug"), max_length=100, unique=True, help_text=_("The campaign's address.")
    )
    beneficiary_name = models.CharField(
        _("beneficiary's public name"),
        max_length=100,
        help_text=_(
            "As it may be shown publicly: a first name and initial, or a pseudonym."
        ),
    )
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    summary = models.CharField(
        _("summary"),
        max_length=SUMMARY_MAX_LENGTH,
        help_text=_("One or two sentences for lists and link previews."),
    )
    story = models.TextField(_("story"), blank=True)
    currency = models.CharField(
        _("currency"), max_length=3, choices=CURRENCY_CHOICES, default=DEFAULT_CURRENCY
    )
    deadline = models.DateTimeField(
        _("deadline"),
        null=True,
        blank=True,
        help_text=_("At this instant the campaign stops accepting pledges."),
    )
    stop_at_goal = models.BooleanField(
        _("stop at goal"),
        default=True,
        help_text=_(
            "Close the collection once the money that arrived reaches the goal. "
            "Promises alone never close it."
        ),
    )
    over_goal_rule = models.TextField(
        _("money over the goal"),
        blank=True,
        help_text=_(
            "What happens to money given beyond the goal, shown to donors before "
            "they give, for example “Anything over the goal goes to his next "
            "three months of rent”."
        ),
    )
    published = models.BooleanField(_("published"), default=False)
    noindex = models.BooleanField(
        _("hide from search engines"),
        default=False,
        help_text=_("Ask search engines not to index this campaign's pages."),
    )
    pledge_expiry_days = models.PositiveSmallIntegerField(
        _("pledge expiry (days)"),
        default=14,
        help_text=_("Pending pledges older than this are cancelled as expired."),
    )
    reminder_days = models.PositiveSmallIntegerField(
        _("reminder before expiry (days)"),
        default=2,
        help_text=_(
            "Donors who gave an email are reminded this many days before "
            "their pledge expires; 0 sends no reminder."
        ),
    )
    transfer_sent_days = models.PositiveSmallIntegerField(
        _("extra days after “I've sent it” (days)"),
        default=7,
        help_text=_(
            "A donor who says the transfer is on its way keeps the "
            "pledge this many days longer before it expires."
        ),
    )
    max_pledge = models.DecimalField(
        _("largest pledge"), max_digits=12, decimal_places=2, default=Decimal("10000")
    )
    # Title, summary, story and payment_other have a column per language
    # (campaigns/translation.py); this says which to show when the reader's is empty.
    fallback_languages = models.CharField(
        _("language fallback order"),
        max_length=40,
        blank=True,
        validators=[validate_language_order],
        help_text=_(
            "When the donor's language has no translation, try these languages in "
            "this order, for example “be,ru,pl”. English comes last in any case."
        ),
    )

    # Payment instructions shown to donors after they pledge.
    account_holder = models.CharField(_("account holder"), max_length=140, blank=True)
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bic = models.CharField(_("BIC"), max_length=11, blank=True)
    bank_name = models.CharField(_("bank"), max_length=140, blank=True)
    payment_other = models.TextField(
        _("other ways to give"),
        blank=True,
        help_text=_("Another account, cash at a meeting…"),
    )

    # Who runs the collection, shown on the page, the thank-you page and the
    # poster. Names of people and organisations are written once, as they call
    # themselves, so they have no column per language; the words around them
    # ("Confirmed by … on …") are translated.
    organizer_name = models.CharField(
        _("who runs this collection"),
        max_length=140,
        blank=True,
        help_text=_("A person's public name or an organisation, as donors see it."),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    contact_telegram = models.CharField(
        _("contact on Telegram"),
        max_length=40,
        blank=True,
        validators=[contact.validate_telegram],
        help_text=_("A username, @name or t.me/name."),
    )
    contact_signal = models.CharField(
        _("contact on Signal"),
        max_length=45,
        blank=True,
        validators=[contact.validate_signal],
        help_text=_("A Signal username, like olga_k.42."),
    )
    contact_phone = models.CharField(
        _("contact phone"),
        max_length=30,
        blank=True,
        validators=[contact.validate_phone],
        help_text=_("In international form, like +48 600 123 456."),
    )
    attested_by = models.CharField(
        _("confirmed by"),
        max_length=140,
        blank=True,
        help_text=_(
            "An organisation that checked this collection and vouches for it "
            "(optional)."
        ),
    )
    attested_on = models.DateField(_("confirmed on"), null=True, blank=True)
    attestation_url = models.URLField(
        _("link to the confirmation"),
        max_length=500,
        blank=True,
        validators=[contact.validate_https],
        help_text=_("Where donors can check it, an https:// address."),
    )

    # Totals, kept by donations in the same transaction as every pledge change,
    # under a lock on this row. Collected = received amounts; promised = pending.
    collected = money_field(default=Decimal("0"))
    promised = money_field(default=Decimal("0"))
    supporters = models.PositiveIntegerField(default=0)
    # Bumped with every change that shows on public pages; part of cache keys.
    version = models.PositiveBigIntegerField(default=1)

    closed_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.CharField(
        max_length=10, choices=ClosedReason.choices, blank=True
    )
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = CampaignQuerySet.as_manager()

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(collected__gte=0) & Q(promised__gte=0),
                name="campaign_totals_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(collected_currency=F("currency"))
                & Q(promised_currency=F("currency")),
                name="campaign_totals_in_its_currency",
            ),
            models.CheckConstraint(
                condition=Q(max_pledge__gt=0), name="campaign_max_pledge_positive"
            ),
            models.CheckConstraint(
                condition=Q(pledge_expiry_days__gte=1),
                name="campaign_expiry_at_least_a_day",
            ),
            models.CheckConstraint(
                condition=(Q(closed_at__isnull=True) & Q(closed_reason=""))
                | (Q(closed_at__isnull=False) & ~Q(closed_reason="")),
                name="campaign_closed_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        # Totals always carry the campaign's currency (a constraint checks it too).
        self.collected = Money(self.collected.amount, self.currency)
        self.promised = Money(self.promised.amount, self.currency)
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        # The page composes campaigns and donations, so donations routes it.
        return reverse("donations:campaign", args=[self.slug])

    # Languages --------------------------------------------------------------

    def language_order(self, language: str | None = None) -> list[str]:
        """The languages to show this campaign in, best first: the reader's (the
        active language by default), the campaign's fallback order, English."""
        language = language or get_language() or settings.LANGUAGE_CODE
        order = [language, *parse_language_order(self.fallback_languages)]
        order.append(settings.MODELTRANSLATION_DEFAULT_LANGUAGE)
        return list(dict.fromkeys(code for code in order if code in language_codes()))

    def shown_language(self, field: str = "story", language: str | None = None) -> str:
        """The language `field` is shown in to a reader of `language`."""
        order = self.language_order(language)
        return next((code for code in order if getattr(self, f"{field}_{code}")), "")

    # Money -----------------------------------------------------------------

    def money(self, amount) -> Money:
        return Money(to_cents(amount), self.currency)

    @property
    def goal(self) -> Money:
        """The sum of the budget lines' targets (uses prefetched lines if any)."""
        return self.money(
            sum((line.target.amount for line in self.lines.all()), Decimal(0))
        )

    def line_states(self) -> rules.Lines:
        """Each line's received, promised and remaining amounts (reads the
        lines: prefetch them)."""
        lines = list(self.lines.all())
        return rules.line_states(
            [line.target.amount for line in lines],
            earmarked_collected=[
                to_cents(line.earmarked_collected.amount) for line in lines
            ],
            earmarked_effective=[to_cents(line.earmarked.amount) for line in lines],
            collected=to_cents(self.collected.amount),
            promised=to_cents(self.promised.amount),
        )

    def percent_collected(self) -> int:
        """Whole percent of the goal collected, floored: 99.9 % never shows as 100 %."""
        goal = self.goal.amount
        if goal <= 0:
            return 0
        return math.floor(self.collected.amount * 100 / goal)

    # State -----------------------------------------------------------------

    def deadline_passed(self, now: datetime | None = None) -> bool:
        return rules.deadline_passed(self.deadline, now or timezone.now())

    def is_closed(self, now: datetime | None = None) -> bool:
        """Closed by record, or past the deadline whether or not a job recorded it."""
        return rules.is_closed(
            closed_at=self.closed_at, deadline=self.deadline, now=now or timezone.now()
        )

    def effective_closed_reason(self, now: datetime | None = None) -> str:
        if self.closed_at is not None:
            return self.closed_reason
        if self.deadline_passed(now):
            return self.ClosedReason.DEADLINE
        return ""

    def acceptance_refusal(self, now: datetime | None = None) -> str | None:
        """Why this campaign takes no pledges now (a rules.REFUSALS code), or
        None. Reads the lines (prefetch them)."""
        return rules.acceptance_refusal(
            published=self.published,
            closed_at=self.closed_at,
            deadline=self.deadline,
            has_lines=bool(self.lines.all()),
            now=now or timezone.now(),
        )

    def is_accepting_pledges(self, now: datetime | None = None) -> bool:
        return self.acceptance_refusal(now) is None

    def still_needed(self) -> Money:
        """What neither collected money nor promises cover yet."""
        return self.money(
            rules.still_needed(
                goal=self.goal.amount,
                collected=to_cents(self.collected.amount),
                promised=to_cents(self.promised.amount),
            )
        )

    def is_fully_promised(self) -> bool:
        return rules.is_fully_promised(
            goal=self.goal.amount,
            collected=to_cents(self.collected.amount),
            promised=to_cents(self.promised.amount),
        )

    def state(self, now: datetime | None = None) -> str:
        if self.is_closed(now):
            return self.State.CLOSED
        if self.is_fully_promised():
            return self.State.FULLY_PROMISED
        return self.State.OPEN

    def clean(self) -> None:
        """The edit rules the admin and import_campaign share: a published
        campaign needs a way to pay; the currency is fixed once pledges exist.
        (A published campaign also needs a budget line: checked where lines are
        edited, the admin's line formset and import_campaign, since they are
        saved after the campaign.)"""
        super().clean()
        errors: dict[str, ValidationError] = {}
        refusal = self.published and rules.payment_refusal(
            iban=self.iban,
            account_holder=self.account_holder,
            # Other ways to give, in whichever language they are written.
            payment_other="".join(
                getattr(self, f"payment_other_{code}") or ""
                for code in language_codes()
            ),
        )
        if refusal:
            field = (
                "account_holder" if refusal == "iban_without_holder" else "published"
            )
            errors[field] = ValidationError(rules.message(refusal), code=refusal)
        errors.update(
            contact.check_attestation(
                by=self.attested_by,
                on=self.attested_on,
                url=self.attestation_url,
                today=timezone.localdate(),
            )
        )
        if self.pk is not None and self._currency_changed() and self.has_pledges():
            errors["currency"] = ValidationError(
                rules.message("currency_locked"), code="currency_locked"
            )
        if errors:
            raise ValidationError(errors)

    @property
    def has_contact(self) -> bool:
        return any(
            (
                self.contact_email,
                self.contact_telegram,
                self.contact_signal,
                self.contact_phone,
            )
        )

    @property
    def telegram_url(self) -> str:
        return contact.telegram_url(self.contact_telegram)

    @property
    def phone_url(self) -> str:
        return (
            f"tel:{contact.phone_digits(self.contact_phone)}"
            if self.contact_phone
            else ""
        )

    def _currency_changed(self) -> bool:
        stored = Campaign.objects.filter(pk=self.pk).values_list("currency", flat=True)
        return bool(stored) and stored[0] != self.currency

    def has_pledges(self) -> bool:
        """Whether any pledge, in any status, refers to this campaign (through
        the reverse relation the donations app declares; no import of it)."""
        return self.pledges.exists()

    def time_left(self, now: datetime | None = None):
        if self.deadline is None:
            return None
        return max(self.deadline - (now or timezone.now()), timezone.timedelta(0))


class BudgetLine(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="lines"
    )
    label = models.CharField(_("label"), max_length=120)
    note = models.CharField(_("note"), max_length=300, blank=True)
    target = money_field(verbose_name=_("target"))
    position = models.PositiveIntegerField(
        _("position"),
        default=0,
        help_text=_("Lines are covered in this order, the lowest number first."),
    )
    # What the pledges earmarked to this line add up to, kept by donations in
    # the same transaction as every pledge change: their effective amounts
    # (received, or pledged while pending), and their received amounts alone.
    earmarked = money_field(default=Decimal("0"))
    earmarked_collected = money_field(default=Decimal("0"))

    class Meta:
        verbose_name = _("budget line")
        verbose_name_plural = _("budget lines")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(target__gt=0), name="line_target_positive"
            ),
            models.CheckConstraint(
                condition=Q(earmarked__gte=0) & Q(earmarked_collected__gte=0),
                name="line_earmarked_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(earmarked_currency=F("target_currency"))
                & Q(earmarked_collected_currency=F("target_currency")),
                name="line_one_currency",
            ),
            models.UniqueConstraint(
                fields=["campaign", "label"], name="line_label_unique_per_campaign"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def save(self, *args, **kwargs) -> None:
        currency = self.campaign.currency
        self.target = Money(self.target.amount, currency)
        self.earmarked = Money(self.earmarked.amount, currency)
        self.earmarked_collected = Money(self.earmarked_collected.amount, currency)
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """Donors gave to this line: its target cannot go below what is
        earmarked to it (the earmarks as stored, kept by the pledges)."""
        super().clean()
        if self.pk is None or self.target is None:
            return
        stored = (
            BudgetLine.objects.filter(pk=self.pk)
            .values_list("target", "earmarked")
            .first()
        )
        if stored is None:
            return
        target, earmarked = stored
        if self.target.amount < target and self.target.amount < earmarked:
            raise ValidationError(
                {
                    "target": ValidationError(
                        rules.message(
                            "target_below_earmarked",
                            earmarked=format_money(earmarked, self.campaign.currency),
                        ),
                        code="target_below_earmarked",
                    )
                }
            )


def photo_upload_to(instance: Photo, filename: str) -> str:
    # The photo pipeline gives every file a random name; keep only that.
    return f"photos/{filename}"


class Photo(models.Model):
    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="photos"
    )
    image = models.ImageField(
        _("image"),
        upload_to=photo_upload_to,
        width_field="width",
        height_field="height",
    )
    width = models.PositiveIntegerField(default=0, editable=False)
    height = models.PositiveIntegerField(default=0, editable=False)
    # Smaller copies for srcset: [{"width": 480, "height": 320, "name": "photos/…"}].
    variants = models.JSONField(default=list, editable=False)
    alt_text = models.CharField(
        _("alt text"),
        max_length=250,
        help_text=_("What the photo shows, for people who cannot see it."),
    )
    is_cover = models.BooleanField(_("cover photo"), default=False)
    position = models.PositiveIntegerField(_("position"), default=0)
    # The story names a photo by this number, "![…](photo:2)": 1, 2, 3… within
    # its campaign in upload order, given on the first save (next_number).
    number = models.PositiveIntegerField(_("number"), editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(is_cover=True),
                name="one_cover_photo_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["campaign", "number"], name="photo_number_unique_per_campaign"
            ),
        ]

    def __str__(self) -> str:
        return self.alt_text

    def save(self, *args, **kwargs) -> None:
        if not self.number:
            self.number = next_photo_number(self.campaign_id)
        super().save(*args, **kwargs)

    @property
    def story_code(self) -> str:
        """What the organizer writes in the story to show this photo."""
        return f"![{self.alt_text}](photo:{self.number})"


def next_photo_number(campaign_id: int) -> int:
    """The number the campaign's next photo gets: one more than its highest."""
    highest = Photo.objects.filter(campaign_id=campaign_id).aggregate(
        highest=models.Max("number")
    )["highest"]
    return (highest or 0) + 1


class PendingPhoto(models.Model):
    """A photo chosen in a campaign form that was sent back with a mistake
    elsewhere: already checked, rebuilt and stored, it waits here (named by a
    random token in the form) until the campaign saves, so that nobody has to
    choose it again. Stale ones are removed by `clean_pending_photos`."""

    token = models.CharField(max_length=64, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # Shown back to the one who chose it ("Your photo coat.jpg is kept"), and
    # gone with this row: the saved photo never keeps its file name.
    original_name = models.CharField(max_length=100, blank=True)
    image_name = models.CharField(max_length=200)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    variants = models.JSONField(default=list)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("photo waiting to be saved")
        verbose_name_plural = _("photos waiting to be saved")

    def __str__(self) -> str:
        return self.original_name

    @property
    def file_names(self) -> list[str]:
        return [variant["name"] for variant in self.variants]


class TeamMember(models.Model):
    """A staff user's role in one campaign's team."""

    class Role(models.TextChoices):
        ORGANIZER = "organizer", _("Organizer")
        VOLUNTEER = "volunteer", _("Volunteer")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="team"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="teams"
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "user"], name="one_role_per_member"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


class ActivityManager(models.Manager):
    def record(
        self,
        campaign: Campaign,
        action: str,
        *,
        by=None,
        reference: str = "",
        details: dict | None = None,
        now: datetime | None = None,
    ) -> Activity:
        """Write one row of the record: the one way every money event and
        every team edit is recorded."""
        return self.create(
            campaign=campaign,
            actor=by if by is not None and by.is_authenticated else None,
            action=action,
            reference=reference,
            details=details or {},
            created_at=now or timezone.now(),
        )


class Activity(models.Model):
    """The record of who changed what and when. Never deleted, and never edited
    but by the donor-data purge, which clears the words people typed (reasons,
    notes) and keeps the amounts and codes.

    It names pledges by reference code only and holds no donor's name, email or
    message.
    """

    class Action(models.TextChoices):
        PLEDGE_RECEIVED = "pledge_received", _("Pledge received")
        RECEIPT_CORRECTED = "receipt_corrected", _("Receipt corrected")
        RECEIPT_UNDONE = "receipt_undone", _("Receipt undone")
        PLEDGE_CANCELLED = "pledge_cancelled", _("Pledge cancelled")
        PLEDGES_EXPIRED = "pledges_expired", _("Pledges expired")
        GIFT_RECORDED = "gift_recorded", _("Gift recorded")
        MESSAGE_HIDDEN = "message_hidden", _("Message hidden or shown")
        NOTE_EDITED = "note_edited", _("Team note edited")
        CLOSED = "closed", _("Collection closed")
        REOPENED = "reopened", _("Collection reopened")
        PUBLISHED = "published", _("Published or unpublished")
        EDITED = "edited", _("Campaign edited")
        BUDGET_EDITED = "budget_edited", _("Budget edited")
        TEAM_CHANGED = "team_changed", _("Team changed")
        DONOR_DATA_PURGED = "donor_data_purged", _("Donor data purged")

    campaign = models.ForeignKey(
        Campaign, on_delete=models.PROTECT, related_name="activities"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    action = models.CharField(max_length=20, choices=Action.choices)
    reference = models.CharField(max_length=8, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    objects = ActivityManager()

    class Meta:
        verbose_name = _("activity")
        verbose_name_plural = _("activity")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "-created_at"]),
            # The admin list's action filter, newest first.
            models.Index(fields=["action", "-created_at"]),
            # A pledge's history (desk card, the admin's reference search).
            models.Index(
                fields=["campaign", "reference"],
                condition=~models.Q(reference=""),
                name="activity_reference_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.reference}".strip()
