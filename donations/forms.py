"""The donor's pledge form and the team's desk forms.

Every amount a person types is read by campaigns.money.AmountField (one parser,
in the page's language). The desk's money forms check the rules of
campaigns.rules in clean() and ask a second, explicit confirmation where a rule
wants one; donations.pledging checks the same rules again under the campaign's
lock, and `refused()` shows what it says beside the right field.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money

from campaigns import photos, rules
from campaigns.models import BudgetLine, Campaign
from campaigns.money import CENT, AmountField, AmountInput, to_cents
from campaigns.templatetags.money import format_money
from donations.models import REFERENCE_LENGTH, Spending, Update, normalize_reference
from donations.pledging import PLEDGE_MIN, Donor, PledgeRefused

SUGGESTED_AMOUNTS = [Decimal(n) for n in ("10", "25", "50", "100")]
# A tick box's label, beside the box, ends without the colon other labels get
# ("Stay anonymous", not "Stay anonymous:"), as in Django's admin.
CHECKBOX_LABEL = ""
OTHER = "other"
MOST_NEEDED = ""

TOKEN_RE = re.compile(r"^[A-Za-z0-9_-]{20,64}$")
# Control characters (but tab and newline) and bidirectional controls: shown on
# the public page they could rewrite the text around a donor's name or message.
UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]"
)


def without_unsafe_characters(text: str) -> str:
    return UNSAFE_CHARACTERS.sub("", text)


def new_submission_token() -> str:
    return secrets.token_urlsafe(24)


class TokenForm(forms.Form):
    """Just the one-time token, to find a pledge already made with it."""

    token = forms.CharField(max_length=64)

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not TOKEN_RE.match(token):
            raise ValidationError(_("This form is not valid."), code="invalid")
        return token


class LineChoiceField(forms.ChoiceField):
    # The choices offered are the lines still open; which values are acceptable
    # is decided in PledgeForm.clean_line, with a message for each case.
    def validate(self, value) -> None:
        pass


class PledgeForm(forms.Form):
    """The donor's pledge. Only these fields are read; anything else posted
    (status, currency, reference, totals) is ignored."""

    amount = forms.ChoiceField(
        label=_("Amount"), required=False, widget=forms.RadioSelect
    )
    other_amount = AmountField(
        label=_("Other amount"),
        required=False,
        widget=AmountInput(attrs={"size": "8"}),
    )
    line = LineChoiceField(
        label=_("What it is for"), required=False, widget=forms.RadioSelect
    )
    donor_name = forms.CharField(
        label=_("Your name"),
        required=False,
        max_length=80,
        help_text=_("Shown with your pledge unless you stay anonymous."),
    )
    is_anonymous = forms.BooleanField(
        label=_("Stay anonymous"), required=False, label_suffix=CHECKBOX_LABEL
    )
    show_amount = forms.BooleanField(
        label=_("Show my amount"),
        required=False,
        label_suffix=CHECKBOX_LABEL,
        help_text=_("Off: the page shows your name and message, not the amount."),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=254,  # the column's length: longer would fail on PostgreSQL
        help_text=_("Optional and never shown: for your reference code and a receipt."),
    )
    wants_updates = forms.BooleanField(
        label=_("Email me the team's updates"),
        required=False,
        label_suffix=CHECKBOX_LABEL,
        help_text=_("Only with an email above; a link in each email stops them."),
    )
    message = forms.CharField(
        label=_("Message"),
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 40}),
        help_text=_("Plain text, at most 500 characters."),
    )
    token = forms.CharField(widget=forms.HiddenInput, max_length=64)
    # A honeypot: hidden from people (and screen readers), filled in by bots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def __init__(
        self,
        *args,
        campaign: Campaign | None,
        coverage: rules.Coverage | rules.Lines | None = None,
        **kwargs,
    ):
        """Without a campaign, the form is checked against none yet: any
        suggested amount, any line id (cleaned as `line_id`), no upper limit
        (donations.pledging.pledge_at_once then writes only what the campaign
        accepts). Such a form is never shown: a refused pledge is checked again
        with its campaign."""
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        if campaign is None:
            self.lines, self.covered_ids = [], set()
            self.fields["amount"].choices = [
                (str(value), "") for value in SUGGESTED_AMOUNTS
            ] + [(OTHER, "")]
            self.fields["line"].choices = [(MOST_NEEDED, "")]
            return
        self.lines: list[BudgetLine] = list(campaign.lines.all())
        self.covered_ids = {
            line.pk
            for line, share in zip(self.lines, coverage.lines, strict=True)
            if share.is_done
        }
        self.fields["amount"].choices = [
            (str(value), format_money(value, campaign.currency))
            for value in SUGGESTED_AMOUNTS
            if value <= campaign.max_pledge
        ] + [(OTHER, _("Other amount"))]
        self.fields["line"].choices = [(MOST_NEEDED, _("Where most needed"))] + [
            (str(line.pk), line.label)
            for line in self.lines
            if line.pk not in self.covered_ids
        ]
        self.fields["line"].initial = MOST_NEEDED
        self.fields["other_amount"].help_text = _("From %(min)s to %(max)s.") % {
            "min": format_money(PLEDGE_MIN, campaign.currency),
            "max": format_money(campaign.max_pledge, campaign.currency),
        }
        if not self.is_bound:
            self.fields["token"].initial = new_submission_token()

    def clean_token(self) -> str:
        token = self.cleaned_data["token"]
        if not TOKEN_RE.match(token):
            raise ValidationError(
                _("This form has expired. Please try again."), code="invalid"
            )
        return token

    def clean_line(self) -> BudgetLine | None:
        value = self.cleaned_data["line"]
        if value == MOST_NEEDED:
            return None
        if self.campaign is None:
            # Which campaign's line it is, the write decides (pledge_at_once).
            if not value.isdigit() or len(value) > 18:
                raise self._line_error("invalid_choice", None)
            self.cleaned_data["line_id"] = int(value)
            return None
        line = next((own for own in self.lines if str(own.pk) == value), None)
        if line is None:
            raise self._line_error("invalid_choice", None)
        if line.pk in self.covered_ids:
            raise self._line_error("covered", line)
        return line

    @staticmethod
    def _line_error(code: str, line: BudgetLine | None) -> ValidationError:
        if code == "covered" and line is not None:
            return ValidationError(
                _(
                    "“%(line)s” is already covered, thank you. "
                    "Choose another need or “Where most needed”."
                ),
                code="covered",
                params={"line": line.label},
            )
        return ValidationError(
            _("Choose one of this campaign's needs, or “Where most needed”."),
            code="invalid_choice",
        )

    def clean_message(self) -> str:
        return without_unsafe_characters(self.cleaned_data["message"]).strip()

    def clean_donor_name(self) -> str:
        return " ".join(
            without_unsafe_characters(self.cleaned_data["donor_name"]).split()
        )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError(
                _("This form could not be sent. Reload the page and try again."),
                code="honeypot",
            )
        if "amount" in self.errors or "other_amount" in self.errors:
            return cleaned
        other = cleaned.get("other_amount")  # a Decimal, already parsed
        choice = cleaned.get("amount", "")
        try:
            if other is not None:
                value = other
            elif choice and choice != OTHER:
                value = Decimal(choice)
            elif choice == OTHER:
                raise ValidationError(_("Enter the other amount."), code="required")
            else:
                raise ValidationError(_("Choose or enter an amount."), code="required")
            self._check_limits(value)
        except ValidationError as error:
            self.add_error("other_amount" if other is not None else "amount", error)
        else:
            cleaned["pledge_amount"] = to_cents(value)
        return cleaned

    def _check_limits(self, value: Decimal) -> None:
        if value < PLEDGE_MIN:
            raise self._amount_error("min_value")
        if self.campaign is not None and value > self.campaign.max_pledge:
            raise self._amount_error("max_value")

    def _amount_error(self, code: str) -> ValidationError:
        if self.campaign is None:  # never shown: checked again with the campaign
            return ValidationError(code, code=code)
        currency = self.campaign.currency
        if code == "min_value":
            return ValidationError(
                _("The smallest pledge is %(min)s."),
                code="min_value",
                params={"min": format_money(PLEDGE_MIN, currency)},
            )
        if code == "max_value":
            return ValidationError(
                _("The largest pledge is %(max)s."),
                code="max_value",
                params={"max": format_money(self.campaign.max_pledge, currency)},
            )
        return ValidationError(self.fields["amount"].error_messages["invalid_choice"])

    def refused(self, code: str, *, campaign: Campaign) -> None:
        """Show beside its field a refusal that pledge_create found under the
        campaign's lock (the line got covered or the limits changed meanwhile);
        `campaign` is read again after it."""
        self.campaign = campaign
        if code in ("invalid_choice", "covered"):
            self.add_error("line", self._line_error(code, self.cleaned_data["line"]))
        else:
            typed = self.cleaned_data.get("other_amount") is not None
            self.add_error(
                "other_amount" if typed else "amount", self._amount_error(code)
            )

    def donor(self, *, language: str) -> Donor:
        data = self.cleaned_data
        return Donor(
            name=data["donor_name"],
            is_anonymous=data["is_anonymous"],
            show_amount=data["show_amount"],
            email=data["email"],
            message=data["message"],
            language=language,
            wants_updates=data["wants_updates"],
        )


# ---------------------------------------------------------------------------
# The desk's forms: one per job, each a few fields typed on a phone.
# ---------------------------------------------------------------------------


class FindForm(forms.Form):
    # Room for a label and separators around the code ("Tytuł: H88P-MGW3"),
    # which normalize_reference drops.
    reference = forms.CharField(
        label=_("Reference code"),
        max_length=40,
        widget=forms.TextInput(
            attrs={
                "autocapitalize": "characters",
                "autocomplete": "off",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )

    def clean_reference(self) -> str:
        reference = normalize_reference(self.cleaned_data["reference"])
        if len(reference) != REFERENCE_LENGTH:
            raise ValidationError(
                _("A reference code has %(length)d letters and digits."),
                code="invalid",
                params={"length": REFERENCE_LENGTH},
            )
        return reference


def _reason_field(label=None, **kwargs) -> forms.CharField:
    return forms.CharField(
        label=label or _("Reason"),
        max_length=200,
        help_text=_("Kept in the campaign's record."),
        **kwargs,
    )


# Which field a refusal from donations.pledging belongs beside.
REFUSAL_FIELDS = {
    "needs_confirmation": "amount",
    "invalid": "amount",
    "min_value": "amount",
    "max_value": "amount",
    "invalid_choice": "line",
    "reopen_deadline_passed": "deadline",
    "reopen_deadline_past": "deadline",
    "goal_collected": "stop_at_goal",
}


class DeskForm(forms.Form):
    """A desk form; `refused()` shows a refusal that donations.pledging raised
    after the form was valid (the pledge or campaign changed in between).

    Several forms share the pledge's card, so each names its fields' ids after
    its job ("id_correct_amount"); the posted names stay plain ("amount")."""

    job = ""

    def __init__(self, *args, **kwargs) -> None:
        if self.job:
            kwargs.setdefault("auto_id", f"id_{self.job}_%s")
        super().__init__(*args, **kwargs)

    def refused(self, refusal: PledgeRefused) -> None:
        field = REFUSAL_FIELDS.get(refusal.code)
        if field not in self.fields:
            field = None
        self.add_error(field, ValidationError(refusal.message, code=refusal.code))


class ConfirmedAmountForm(DeskForm):
    """An amount of money that arrived, with a second, explicit step when a rule
    finds it surprising (campaigns.rules): the form is refused once, showing
    both figures side by side and a checkbox; ticked, it goes through.

    The tick holds for the amount it was shown for only (`confirmed_amount`
    carries that amount): change the amount and the form asks again, with the
    new figures. `confirmed` is what the write function is told.
    """

    amount = AmountField(label=_("Amount that arrived"), min_value=CENT)
    confirm = forms.BooleanField(
        label=_("Yes, this is right"), required=False, label_suffix=CHECKBOX_LABEL
    )
    confirmed_amount = forms.CharField(required=False, widget=forms.HiddenInput)

    currency: str = ""
    # Set in clean(): the amount to confirm, if one was asked for.
    amount_to_confirm: Decimal | None = None
    confirmation_label = ""
    confirmed = False

    def __init__(self, *args, currency: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency
        self.fields["amount"].currency = currency

    @property
    def asks_confirmation(self) -> bool:
        return self.amount_to_confirm is not None

    @property
    def confirmed_amount_value(self) -> str:
        """The hidden `confirmed_amount` to send with the tick (never localized)."""
        return str(self.amount_to_confirm)

    def money(self, amount: Decimal) -> str:
        return format_money(amount, self.currency)

    def needs_confirmation(self, amount: Decimal) -> bool:
        raise NotImplementedError

    def confirmation_message(self, amount: Decimal) -> str:
        raise NotImplementedError

    def clean(self) -> dict:
        cleaned = super().clean()
        amount = cleaned.get("amount")
        if amount is None:
            return cleaned
        amount = cleaned["amount"] = to_cents(amount)
        if not self.needs_confirmation(amount):
            return cleaned
        if cleaned.get("confirm") and cleaned.get("confirmed_amount") == str(amount):
            self.confirmed = True
        else:
            self.ask_confirmation(amount, self.confirmation_message(amount))
        return cleaned

    def ask_confirmation(self, amount: Decimal, message: str) -> None:
        self.amount_to_confirm = amount
        # The checkbox's own words name the figures (its field's label was
        # read before clean() ran, when the amount was not known yet).
        self.confirmation_label = self.confirm_label(amount)
        self.add_error("amount", ValidationError(message, code="needs_confirmation"))

    def confirm_label(self, amount: Decimal) -> str:
        return _("Yes, %(amount)s is right.") % {"amount": self.money(amount)}

    def refused(self, refusal: PledgeRefused) -> None:
        received = getattr(refusal, "received", None)
        if refusal.code == "needs_confirmation" and received is not None:
            # The pledge or campaign changed since clean(): ask again, in the
            # words (and with the figures) of the write that refused.
            self.ask_confirmation(to_cents(received.amount), refusal.message)
            return
        super().refused(refusal)


class ReceiveForm(ConfirmedAmountForm):
    """The money that arrived for a pledge (`expected`: the pledged amount)."""

    job = "receive"

    def __init__(self, *args, expected: Money, **kwargs) -> None:
        kwargs.setdefault("initial", {"amount": expected.amount})
        super().__init__(*args, currency=str(expected.currency), **kwargs)
        self.expected = to_cents(expected.amount)
        self.fields["amount"].help_text = _(
            "What the account was credited with: the pledge was %(expected)s."
        ) % {"expected": self.money(self.expected)}

    def needs_confirmation(self, amount: Decimal) -> bool:
        return rules.needs_confirmation(expected=self.expected, received=amount)

    def confirmation_message(self, amount: Decimal) -> str:
        return _(
            "You typed %(received)s; the pledge was %(expected)s. Check the "
            "amount on the bank statement, then tick to confirm it."
        ) % {"received": self.money(amount), "expected": self.money(self.expected)}

    def confirm_label(self, amount: Decimal) -> str:
        return _("Yes, %(received)s arrived for this %(expected)s pledge.") % {
            "received": self.money(amount),
            "expected": self.money(self.expected),
        }


class CorrectForm(ReceiveForm):
    """A new amount for money already received, with the reason. The second
    step compares it with the PLEDGED amount (`expected`), like a receipt."""

    job = "correct"

    reason = _reason_field(_("Why correct it?"))

    def __init__(
        self, *args, expected: Money, current: Money | None = None, **kwargs
    ) -> None:
        if current is not None:
            kwargs.setdefault("initial", {"amount": current.amount})
        super().__init__(*args, expected=expected, **kwargs)
        self.current = to_cents(current.amount) if current is not None else None
        self.fields["amount"].label = _("Correct amount")
        if self.current is not None:
            self.fields["amount"].help_text = _(
                "Recorded now: %(current)s; the pledge was %(expected)s."
            ) % {
                "current": self.money(self.current),
                "expected": self.money(self.expected),
            }
        self.order_fields(["amount", "confirm", "confirmed_amount", "reason"])

    def clean_amount(self) -> Decimal:
        amount = self.cleaned_data["amount"]
        if self.current is not None and to_cents(amount) == self.current:
            raise ValidationError(
                _("%(amount)s is the amount recorded already."),
                code="unchanged",
                params={"amount": self.money(self.current)},
            )
        return amount


class UndoForm(DeskForm):
    job = "undo"

    reason = _reason_field(_("Why undo the receipt?"))


class CancelForm(DeskForm):
    job = "cancel"

    reason = _reason_field()


class GiftForm(ConfirmedAmountForm):
    """Money that arrived without a usable reference, recorded as received.

    A gift larger than what the campaign still needs (its goal less the money
    collected) needs the second step.
    """

    job = "gift"

    line = forms.ModelChoiceField(
        label=_("Budget line"),
        queryset=BudgetLine.objects.none(),
        required=False,
        empty_label=_("Where most needed"),
    )
    note = forms.CharField(
        label=_("Note"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Where the money came from, for the team."),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, currency=campaign.currency, **kwargs)
        self.campaign = campaign
        # Only this campaign's lines: a line of another one is "not a choice".
        self.fields["line"].queryset = campaign.lines.all()
        self.goal = to_cents(campaign.goal.amount)
        self.collected = to_cents(campaign.collected.amount)

    @property
    def remaining_need(self) -> Decimal:
        return rules.remaining_need(goal=self.goal, collected=self.collected)

    def needs_confirmation(self, amount: Decimal) -> bool:
        return rules.gift_needs_confirmation(
            amount=amount, goal=self.goal, collected=self.collected
        )

    def confirmation_message(self, amount: Decimal) -> str:
        figures = {
            "amount": self.money(amount),
            "need": self.money(self.remaining_need),
            "goal": self.money(self.goal),
            "collected": self.money(self.collected),
        }
        if self.remaining_need <= 0:
            return (
                _(
                    "You typed %(amount)s; the campaign has collected "
                    "%(collected)s, its goal of %(goal)s already. Check the "
                    "amount, then tick to confirm it."
                )
                % figures
            )
        return (
            _(
                "You typed %(amount)s; the campaign still needs %(need)s to "
                "reach its goal of %(goal)s. Check the amount, then tick to "
                "confirm it."
            )
            % figures
        )

    def confirm_label(self, amount: Decimal) -> str:
        return _("Yes, record %(amount)s, more than the campaign still needs.") % {
            "amount": self.money(amount)
        }


class CloseForm(DeskForm):
    job = "close"

    reason = _reason_field(_("Why close it now?"))


class ReopenForm(DeskForm):
    """Reopening by hand, judged on COLLECTED money (rules.reopen_refusal):
    promises never keep a campaign closed."""

    job = "reopen"

    reason = _reason_field(_("Why reopen it?"))
    deadline = forms.DateTimeField(
        label=_("New deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Warsaw time. Required if the old deadline has passed."),
    )
    stop_at_goal = forms.BooleanField(
        label=_("Stop at goal"),
        required=False,
        label_suffix=CHECKBOX_LABEL,
        help_text=_(
            "A campaign whose collected money reached its goal reopens only with "
            "a larger goal (add a line or raise a target first) or with this "
            "unticked."
        ),
    )

    def __init__(
        self, *args, campaign: Campaign, now: datetime | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.now = now or timezone.now()
        self.fields["stop_at_goal"].initial = campaign.stop_at_goal

    def clean_deadline(self) -> datetime | None:
        deadline = self.cleaned_data["deadline"]
        if deadline is not None and deadline <= self.now:
            raise ValidationError(
                rules.message("reopen_deadline_past"), code="reopen_deadline_past"
            )
        return deadline

    def clean(self) -> dict:
        cleaned = super().clean()
        if "deadline" in self.errors:
            return cleaned
        campaign = self.campaign
        code = rules.reopen_refusal(
            closed=campaign.is_closed(self.now),
            stop_at_goal=cleaned.get("stop_at_goal", False),
            goal=to_cents(campaign.goal.amount),
            collected=to_cents(campaign.collected.amount),
            deadline=cleaned.get("deadline") or campaign.deadline,
            now=self.now,
        )
        if code is not None:
            field = REFUSAL_FIELDS.get(code)
            self.add_error(field, ValidationError(rules.message(code), code=code))
        return cleaned


class NoteForm(DeskForm):
    job = "note"

    note = forms.CharField(
        label=_("Team note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("For the team only: never shown to the donor or the public."),
    )


class MessageForm(DeskForm):
    """Hide a donor's message from the public page, or show it again."""

    job = "message"

    HIDDEN, SHOWN = "hidden", "shown"
    visibility = forms.ChoiceField(
        label=_("Message"),
        choices=[(HIDDEN, _("Hidden")), (SHOWN, _("Shown"))],
    )

    @property
    def hidden(self) -> bool:
        return self.cleaned_data["visibility"] == self.HIDDEN


# ---------------------------------------------------------------------------
# The admin's forms for the team's updates and spending report.
# ---------------------------------------------------------------------------


class PhotoUploadMixin:
    """An optional photo through the photo pipeline (campaigns/photos.py): only
    its pixels are kept, in a few widths, under a random name. `replaced_files`
    lists the files of a photo it replaced (the admin deletes them on commit)."""

    prepared: photos.PreparedPhoto | None = None
    replaced_files: list[str] = []

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self.prepared = photos.prepare(upload)
        return upload

    def apply_photo(self, instance) -> None:
        if self.prepared is not None:
            self.replaced_files = [v["name"] for v in instance.variants]
            photos.apply(instance, self.prepared)


UPLOAD_WIDGET = forms.ClearableFileInput(
    attrs={"accept": "image/jpeg,image/png,image/webp"}
)


class UpdateForm(PhotoUploadMixin, forms.ModelForm):
    upload = forms.FileField(
        label=_("photo"),
        required=False,
        help_text=_("JPEG, PNG or WebP, at most 10 MB and 40 megapixels."),
        widget=UPLOAD_WIDGET,
    )

    class Meta:
        model = Update
        fields = ("campaign", "title", "body", "published", "published_at", "alt_text")

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("published") and not cleaned.get("published_at"):
            # Dated when published, unless the organizer gave a date.
            cleaned["published_at"] = timezone.now()
        if (self.prepared or self.instance.image) and not cleaned.get("alt_text"):
            self.add_error(
                "alt_text",
                ValidationError(
                    _("Say what the photo shows, for people who cannot see it."),
                    code="required",
                ),
            )
        return cleaned

    def save(self, commit: bool = True) -> Update:
        update = super().save(commit=False)
        self.apply_photo(update)
        if commit:
            update.save()
        return update


class SpendingLineField(forms.ModelChoiceField):
    def label_from_instance(self, line: BudgetLine) -> str:
        return f"{line.campaign.title} — {line.label}"


class SpendingForm(PhotoUploadMixin, forms.ModelForm):
    """What was spent on one budget line. `lines` are the lines the user may
    record spending on (their campaigns'): any other is refused."""

    line = SpendingLineField(label=_("budget line"), queryset=BudgetLine.objects.none())
    spent = AmountField(label=_("amount"), min_value=CENT)
    upload = forms.FileField(
        label=_("receipt photo"),
        required=False,
        help_text=_(
            "Optional. Only the picture is kept: the file's hidden details "
            "(place, camera, dates) are removed."
        ),
        widget=UPLOAD_WIDGET,
    )

    class Meta:
        model = Spending
        fields = ("line", "spent_on", "note")

    def __init__(self, *args, lines=None, **kwargs):
        super().__init__(*args, **kwargs)
        if lines is not None:
            self.fields["line"].queryset = lines
        if self.instance.pk:
            self.fields["spent"].initial = self.instance.amount.amount

    def save(self, commit: bool = True) -> Spending:
        spending = super().save(commit=False)
        line = self.cleaned_data["line"]
        spending.amount = Money(self.cleaned_data["spent"], line.campaign.currency)
        self.apply_photo(spending)
        if commit:
            spending.save()
        return spending
