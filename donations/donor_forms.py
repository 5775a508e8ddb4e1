"""The forms of a donor's own pages (donations/self_service.py): each POST
there goes through one, even when it has no field to fill in."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _


class TransferSentForm(forms.Form):
    """ "I've sent the transfer": the button is the whole form."""


class DonorCancelForm(forms.Form):
    """ "Cancel my pledge", from its confirmation page."""


class StopEmailsForm(forms.Form):
    """The button of the "stop emails" page (a GET alone changes nothing: mail
    scanners open links)."""


class PledgeLinkForm(forms.Form):
    email = forms.EmailField(
        label=_("The email you pledged with"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    # A honeypot, as on the pledge form: hidden from people, filled in by bots.
    website = forms.CharField(
        label=_("Leave this empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip()

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise ValidationError(_("Leave this empty"), code="honeypot")
        return ""
