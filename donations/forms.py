from __future__ import annotations

import re
import secrets
from decimal import Decimal, InvalidOperation

from babel.numbers import get_decimal_symbol, get_group_symbol
from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import get_language, to_locale
from django.utils.translation import gettext_lazy as _

from campaigns.models import BudgetLine, Campaign, Coverage
from campaigns.money import to_cents
from campaigns.templatetags.money import format_money
from donations.models import REFERENCE_LENGTH, normalize_reference
from donations.pledging import PLEDGE_MIN, Donor

SUGGESTED_AMOUNTS = [Decimal(n) for n in ("10", "25", "50", "100")]
OTHER = "other"
MOST_NEEDED = ""

# Digits, thousands grouped by spaces or not at all ("1 250", "1250"), and at
# most one separator before the cents, a point or a comma (parse_amount decides
# which the page's language allows). Signs, exponents ("1e3"), "NaN" and
# "Infinity" never match.
SPACES = "[ \u00a0\u202f\u2009]"
SPACES_RE = re.compile(SPACES)
AMOUNT_RE = re.compile(
    rf"^(?P<units>\d{{1,12}}|\d{{1,3}}(?:{SPACES}\d{{3}}){{1,3}})"
    r"(?:(?P<separator>[.,])(?P<cents>\d+))?$"
)
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


def parse_amount(text: str, language: str | None = None) -> Decimal:
    """A donor's typed amount as a Decimal, or ValidationError with a code.

    Read in the page's language (the active one by default): "12,50" is 12.50 on
    a Polish, Belarusian, Russian or Ukrainian page, where the comma marks the
    cents, and "12.50" too, since a point never groups thousands there. On an
    English page a comma groups thousands, so "12,50" and "1,250" could each be
    either amount: refused ("ambiguous") rather than guessed, as is "1.250" on a
    Polish page. Thousands may be grouped with spaces only ("1 250").
    """
    compact = (text or "").strip()
    if not compact:
        raise ValidationError(_("Enter an amount."), code="required")
    match = AMOUNT_RE.match(compact)
    if match is None:
        raise ValidationError(
            _("Enter the amount as a number, for example 25 or 12.50."),
            code="invalid",
        )
    units = SPACES_RE.sub("", match["units"])
    separator, cents = match["separator"], match["cents"]
    if separator is not None:
        locale = to_locale(language or get_language() or "en")
        is_decimal_symbol = separator == get_decimal_symbol(locale)
        if not is_decimal_symbol and (
            separator == get_group_symbol(locale) or len(cents) == 3
        ):
            raise ValidationError(
                _(
                    "“%(value)s” could mean two different amounts. Write it "
                    "without a thousands separator, with a point before the "
                    "cents: for example 1250 or 12.50."
                ),
                code="ambiguous",
                params={"value": compact},
            )
        if len(cents) > 2:
            raise ValidationError(
                _("Use at most two decimal places."), code="max_decimal_places"
            )
    try:
        return Decimal(f"{units}.{cents or '0'}")
    except InvalidOperation as error:  # pragma: no cover - the regex forbids it
        raise ValidationError(_("Enter a number."), code="invalid") from error


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
    other_amount = forms.CharField(
        label=_("Other amount"),
        required=False,
        max_length=20,
        widget=forms.TextInput(
            attrs={"inputmode": "decimal", "autocomplete": "off", "size": "8"}
        ),
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
    is_anonymous = forms.BooleanField(label=_("Stay anonymous"), required=False)
    show_amount = forms.BooleanField(
        label=_("Show my amount"),
        required=False,
        help_text=_("Off: the page shows your name and message, not the amount."),
    )
    email = forms.EmailField(
        label=_("Email"),
        required=False,
        max_length=254,  # the column's length: longer would fail on PostgreSQL
        help_text=_("Optional and never shown: for your reference code and a receipt."),
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
        coverage: Coverage | None = None,
        **kwargs,
    ):
        """Without a campaign, the form is checked against none yet: any
        suggested amount, no line, no upper limit (donations.pledging.
        pledge_at_once then writes only what the campaign accepts). Such a form
        is never shown: a refused pledge is checked again with its campaign."""
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
        other = cleaned.get("other_amount", "")
        choice = cleaned.get("amount", "")
        try:
            if other.strip():
                value = parse_amount(other)
            elif choice and choice != OTHER:
                value = Decimal(choice)
            elif choice == OTHER:
                raise ValidationError(_("Enter the other amount."), code="required")
            else:
                raise ValidationError(_("Choose or enter an amount."), code="required")
            self._check_limits(value)
        except ValidationError as error:
            self.add_error("other_amount" if other.strip() else "amount", error)
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
            typed = self.cleaned_data.get("other_amount", "").strip()
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
        )


# Admin forms ---------------------------------------------------------------


def _positive_amount(**kwargs) -> forms.DecimalField:
    return forms.DecimalField(
        max_digits=12, decimal_places=2, min_value=Decimal("0.01"), **kwargs
    )


class ReceiveForm(forms.Form):
    amount = _positive_amount(
        label=_("Amount that arrived"),
        help_text=_("What the account was credited with, in the campaign's currency."),
    )


class CancelForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)


# ---------------------------------------------------------------------------
# The desk's forms: one per job, each a few fields typed on a phone.
# ---------------------------------------------------------------------------


class FindForm(forms.Form):
    reference = forms.CharField(
        label=_("Reference code"),
        max_length=20,
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


class GiftForm(forms.Form):
    """Money that arrived without a usable reference: recorded as received.

    With `campaign=` (the desk, on one campaign's page) the campaign is given;
    with `campaigns=` (the admin) the volunteer picks one of those, and the line
    must belong to it.
    """

    campaign = forms.ModelChoiceField(
        label=_("Campaign"), queryset=Campaign.objects.none()
    )
    amount = _positive_amount(
        label=_("Amount that arrived"),
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01"}),
    )
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

    def __init__(
        self,
        *args,
        campaign: Campaign | None = None,
        campaigns: QuerySet[Campaign] | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        if campaign is not None:
            del self.fields["campaign"]
            self.fields["line"].queryset = campaign.lines.all()
        else:
            self.fields["campaign"].queryset = campaigns.order_by("title")
            self.fields["line"].queryset = BudgetLine.objects.filter(
                campaign__in=campaigns.values("pk")
            ).select_related("campaign")

    def clean(self) -> dict:
        cleaned = super().clean()
        campaign = self.campaign or cleaned.get("campaign")
        line = cleaned.get("line")
        if campaign and line and line.campaign_id != campaign.pk:
            self.add_error(
                "line",
                ValidationError(
                    _("This line belongs to another campaign."), code="invalid_choice"
                ),
            )
        cleaned["campaign"] = campaign
        return cleaned


class CloseForm(forms.Form):
    reason = forms.CharField(
        label=_("Why close it now?"),
        max_length=200,
        help_text=_("Kept in the campaign's record."),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(label=_("Why reopen it?"), max_length=200)
    deadline = forms.DateTimeField(
        label=_("New deadline"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text=_("Warsaw time. Required if the old deadline has passed."),
    )
    stop_at_goal = forms.BooleanField(
        label=_("Stop at goal"),
        required=False,
        help_text=_(
            "A campaign closed by its goal reopens only with a larger goal "
            "(add a line or raise a target first) or with this unticked."
        ),
    )

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.campaign = campaign
        self.fields["stop_at_goal"].initial = campaign.stop_at_goal

    def clean_deadline(self):
        deadline = self.cleaned_data["deadline"]
        now = timezone.now()
        if deadline is not None and deadline <= now:
            raise ValidationError(
                _("The new deadline must be in the future."), code="deadline_past"
            )
        if deadline is None and self.campaign.deadline_passed(now):
            raise ValidationError(
                _("The deadline has passed: give a new one."), code="deadline_passed"
            )
        return deadline

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("stop_at_goal") and self.campaign.goal_reached():
            self.add_error(
                "stop_at_goal",
                ValidationError(
                    _(
                        "The goal is already reached, so the campaign would refuse "
                        "pledges at once: raise the goal first (add a line or a "
                        "larger target), or untick “stop at goal”."
                    ),
                    code="goal_reached",
                ),
            )
        return cleaned
