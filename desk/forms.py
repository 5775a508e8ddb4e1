"""The desk's forms: one per job, each a few fields typed on a phone."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models import BudgetLine, Campaign
from donations.forms import CancelForm, ReceiveForm
from donations.models import REFERENCE_LENGTH, normalize_reference

__all__ = ["CancelForm", "CloseForm", "FindForm", "GiftForm", "ReceiveForm"]


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
    """Money that arrived for this campaign without a usable reference."""

    amount = forms.DecimalField(
        label=_("Amount that arrived"),
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
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

    def __init__(self, *args, campaign: Campaign, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["line"].queryset = campaign.lines.all()


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
