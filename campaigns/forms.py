"""Forms organizers fill in the admin: the campaign, its lines and its photos."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from djmoney.money import Money
from modeltranslation.translator import translator
from modeltranslation.utils import build_localized_fieldname
from stdnum import bic as stdnum_bic
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from campaigns import contact, photos
from campaigns.models import SUMMARY_MAX_LENGTH, BudgetLine, Campaign, Photo
from campaigns.money import CENT, AmountField
from campaigns.templatetags.money import format_money

MAX_TARGET = Decimal("9999999999.99")

STORY_HELP = _(
    "Markdown: a blank line between paragraphs; ## Heading; *italic*; **bold**; "
    "- for a list item; > for a quotation; [link text](https://example.org). "
    "To show one of this campaign's photos, write ![what it shows](photo:N), "
    "where N is the photo's number in this campaign (1 for the first photo you "
    "add, 2 for the second…), or pick it from the photos just below the story. "
    "Images from other sites, scripts and styles are removed. The preview shows "
    "the story exactly as donors will see it."
)
# Shown under the summary as the organizer types (static/js/admin-campaign.js).
COUNT_TEXT = _("%(count)s of %(max)s characters")


def clean_iban(value: str) -> str:
    """The IBAN in its compact form (no spaces, capitals), or ValidationError."""
    if not value:
        return ""
    try:
        return stdnum_iban.validate(value)
    except StdnumError as error:
        raise ValidationError(
            _("%(value)s is not a valid IBAN (check the digits and the length)."),
            code="invalid_iban",
            params={"value": value},
        ) from error


def clean_bic(value: str) -> str:
    """The BIC in its compact form, or ValidationError. python-stdnum checks the
    shape and that its country is one (ABCDXX12 has none)."""
    if not (value or "").strip():
        return ""
    try:
        return stdnum_bic.validate(value)
    except StdnumError as error:
        raise ValidationError(
            _("%(value)s is not a BIC: 8 or 11 letters and digits, like BPKOPLPW."),
            code="invalid_bic",
            params={"value": value},
        ) from error


def clean_target(value: Decimal | None) -> Decimal:
    if value is None or not value.is_finite() or value <= 0:
        raise ValidationError(
            _("The target must be a positive amount."), code="target_not_positive"
        )
    if value > MAX_TARGET:
        raise ValidationError(_("This target is too large."), code="target_too_large")
    if value != value.quantize(Decimal("0.01")):
        raise ValidationError(
            _("A target has at most two decimal places."), code="target_precision"
        )
    return value


def _model_field(name: str):
    return Campaign._meta.get_field(name)


class EnglishTextsMixin:
    """A translated field under its plain name ("title", "story", "label") is the
    English text, whichever language the staff member reads the admin in; the
    other languages have their own fields beside it ("title_pl",
    campaigns.translation).

    Left to modeltranslation, the plain field would show the reader's language
    and save into it: a Polish organizer's English title would land in the
    Polish column, and clearing the Polish one would be ignored.
    """

    def _texts(self) -> list[str]:
        names = translator.get_options_for_model(self._meta.model).fields
        return [name for name in names if name in self.fields]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        given = kwargs.get("initial") or {}
        for name in self._texts():
            if name not in given:
                self.initial[name] = getattr(self.instance, _english(name))

    def _post_clean(self) -> None:
        # The columns the form names, set before the model's own checks run
        # (Campaign.clean reads every language's other ways to give). The
        # reader's own column too: modeltranslation ignores a cleared one when
        # the plain field is in the form.
        reader = get_language() or settings.LANGUAGE_CODE
        for name in self._texts():
            if name in self.cleaned_data:
                setattr(self.instance, _english(name), self.cleaned_data[name])
            own = build_localized_fieldname(name, reader)
            if own in self.cleaned_data:
                setattr(self.instance, own, self.cleaned_data[own])
        # Then Django copies the form into the instance: the plain fields must
        # not write the reader's language again (modeltranslation's switch).
        self.instance._mt_disable = True
        try:
            super()._post_clean()
        finally:
            self.instance._mt_disable = False


def _english(name: str) -> str:
    return build_localized_fieldname(name, settings.MODELTRANSLATION_DEFAULT_LANGUAGE)


class CampaignForm(EnglishTextsMixin, forms.ModelForm):
    # Typed like every amount (campaigns.money.parse_amount).
    max_pledge = AmountField(
        label=capfirst(_model_field("max_pledge").verbose_name),
        initial=_model_field("max_pledge").default,
        min_value=CENT,
    )

    class Meta:
        model = Campaign
        fields = (
            "title",
            "slug",
            "beneficiary_name",
            "city",
            "country",
            "summary",
            "published",
            "noindex",
            "story",
            "currency",
            "deadline",
            "stop_at_goal",
            "over_goal_rule",
            "pledge_expiry_days",
            "reminder_days",
            "transfer_sent_days",
            "max_pledge",
            "account_holder",
            "iban",
            "bic",
            "bank_name",
            "payment_other",
            "organizer_name",
            "contact_email",
            "contact_telegram",
            "contact_signal",
            "contact_phone",
            "attested_by",
            "attested_on",
            "attestation_url",
        )
        help_texts = {"story": STORY_HELP}
        widgets = {
            "story": forms.Textarea(
                attrs={"rows": 20, "cols": 80, "data-zbor-story": "story"}
            )
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The summary in every language: a few lines with a live count.
        for name, field in self.fields.items():
            if name == "summary" or name.startswith("summary_"):
                field.widget = summary_widget()

    def clean_iban(self) -> str:
        return clean_iban(self.cleaned_data.get("iban", ""))

    def clean_bic(self) -> str:
        return clean_bic(self.cleaned_data.get("bic", ""))

    def clean_contact_telegram(self) -> str:
        return contact.clean_telegram(self.cleaned_data.get("contact_telegram", ""))

    def clean_contact_signal(self) -> str:
        return contact.clean_signal(self.cleaned_data.get("contact_signal", ""))

    def clean_contact_phone(self) -> str:
        return contact.clean_phone(self.cleaned_data.get("contact_phone", ""))

    def clean_currency(self) -> str:
        currency = self.cleaned_data["currency"]
        instance = self.instance
        if instance.pk and currency != instance.currency and instance.pledges.exists():
            raise ValidationError(
                _("The currency cannot change once pledges have been made."),
                code="currency_locked",
            )
        return currency


def summary_widget() -> forms.Textarea:
    return forms.Textarea(
        attrs={
            "rows": 3,
            "cols": 80,
            "maxlength": SUMMARY_MAX_LENGTH,
            "data-zbor-count": COUNT_TEXT,
            "data-zbor-max": SUMMARY_MAX_LENGTH,
        }
    )


LINE_PLACEHOLDERS = {
    "label": _("What for"),
    "target": _("Amount"),
    "note": _("Note (optional)"),
}


class BudgetLineForm(EnglishTextsMixin, forms.ModelForm):
    # The amount only: a line is always in its campaign's currency.
    # Typed like every amount (campaigns.money.parse_amount, in the admin's
    # language): "1,250" is refused as ambiguous on an English page.
    target = AmountField(label=_("target"))
    # Left blank, a line comes after the one above it (BudgetLineFormSet).
    position = forms.IntegerField(
        label=_("position"),
        required=False,
        min_value=0,
        widget=forms.NumberInput(
            attrs={"class": "zbor-position", "min": 0, "data-zbor-position": ""}
        ),
    )

    class Meta:
        model = BudgetLine
        fields = ("position", "label", "target", "note")

    def __init__(self, *args, campaign: Campaign | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # The campaign as the organizer is saving it (maybe not in the database
        # yet, maybe with a new currency).
        self.campaign = campaign
        if self.instance.pk:
            self.initial["target"] = self.instance.target.amount
        # Named inside the field too: on a phone the table's header is hidden.
        for name, placeholder in LINE_PLACEHOLDERS.items():
            if name in self.fields:
                self.fields[name].widget.attrs.setdefault("placeholder", placeholder)

    @property
    def folded_errors(self) -> bool:
        """Whether a label or note in another language has a mistake (its
        folded cell opens, campaigns/budget_lines.html)."""
        return any(
            name not in ("label", "target", "note", "position") for name in self.errors
        )

    def clean_target(self) -> Decimal:
        target = clean_target(self.cleaned_data.get("target"))
        line = self.instance
        if line.pk and target < line.target.amount and target < line.earmarked.amount:
            # Donors gave to this line: it must still be able to hold their money.
            raise ValidationError(
                _(
                    "Pledges earmarked to this line add up to %(earmarked)s, so its "
                    "target cannot be lowered below that."
                ),
                code="target_below_earmarked",
                params={
                    "earmarked": format_money(
                        line.earmarked.amount, line.target.currency.code
                    )
                },
            )
        return target

    def clean(self) -> dict:
        cleaned = super().clean()
        line = self.instance
        if cleaned.get("DELETE") and line.pk and line.pledges.exists():
            # Pledge.line is PROTECT. Keep the row (so the admin's own "would
            # require deleting the following protected objects" never comes)
            # and say why here, beside the line.
            cleaned["DELETE"] = False
            raise ValidationError(
                _(
                    "“%(label)s” cannot be removed: pledges are earmarked to it. "
                    "Keep the line (you may rename it or change its note)."
                ),
                code="line_has_pledges",
                params={"label": line.label},
            )
        return cleaned

    def _post_clean(self) -> None:
        target = self.cleaned_data.get("target")
        if target is not None:
            currency = self.campaign.currency if self.campaign else "EUR"
            self.cleaned_data["target"] = Money(target, currency)
        super()._post_clean()


class BudgetLineFormSet(forms.BaseInlineFormSet):
    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "campaign": self.instance}

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        kept = [
            form
            for form in self.forms
            if form.cleaned_data and not form.cleaned_data.get("DELETE")
        ]
        number_blank_positions(kept)
        labels = [form.cleaned_data.get("label", "").strip().lower() for form in kept]
        if len(labels) != len(set(labels)):
            raise ValidationError(
                _("Two budget lines have the same label; give each its own."),
                code="duplicate_label",
            )
        if self.instance.published and not kept:
            raise ValidationError(
                _(
                    "A campaign needs at least one budget line to be published: "
                    "add a line, or untick “published”."
                ),
                code="published_without_lines",
            )


def number_blank_positions(forms_in_order: list) -> None:
    """A line whose position was left blank comes right after the line above
    it, so lines typed without numbers stay in the order they were entered."""
    previous = 0
    for form in forms_in_order:
        position = form.cleaned_data.get("position")
        if position is None:
            position = previous + 1
            form.cleaned_data["position"] = position
            form.instance.position = position
        previous = position


PHOTO_HELP = _("JPEG, PNG or WebP, at most 10 MB and 40 megapixels.")


class PhotoForm(forms.ModelForm):
    """One photo of the gallery. A photo chosen here is checked and stored when
    the form is sent; if anything on the page is sent back (a mistyped IBAN),
    it is kept (photos.keep_pending) and named by the hidden `pending` token,
    so the organizer does not choose it again."""

    upload = forms.FileField(
        label=_("photo"),
        required=False,
        help_text=PHOTO_HELP,
        widget=forms.ClearableFileInput(
            attrs={"accept": "image/jpeg,image/png,image/webp"}
        ),
    )
    pending = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Photo
        fields = ("upload", "pending", "alt_text", "is_cover", "position")

    prepared: photos.PreparedPhoto | None = None
    kept = None  # the PendingPhoto this form's photo waits in

    def __init__(self, *args, uploader=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.uploader = uploader

    def clean_upload(self):
        upload = self.cleaned_data.get("upload")
        if upload:
            self.prepared = photos.prepare(upload)
        return upload

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.prepared is not None and self.uploader is not None:
            self._keep(self.cleaned_data["upload"])
        elif self.prepared is None and "upload" not in self.errors:
            token = cleaned.get("pending", "")
            self.kept = photos.find_pending(token, self.uploader)
            if self.kept is None and not self.instance.image:
                message = (
                    _("The photo you chose earlier is no longer kept; choose it again.")
                    if token
                    else _("Choose a photo to upload.")
                )
                self.add_error("upload", ValidationError(message, code="required"))
        if self.kept is not None:
            self.say_kept()
        return cleaned

    def _keep(self, upload) -> None:
        """Store the checked photo now, under a token the page carries back."""
        self.kept = photos.keep_pending(
            self.prepared, user=self.uploader, original_name=upload.name
        )
        self.prepared = None
        data = self.data.copy()
        data[self.add_prefix("pending")] = self.kept.token
        self.data = data

    def say_kept(self) -> None:
        """Beside the field, in case the page comes back: the photo is kept."""
        # The bound field copied the help text when cleaning began: set both.
        self.fields["upload"].help_text = self["upload"].help_text = format_html(
            '<span class="zbor-kept" role="status"><img src="{}" alt="" width="96"> '
            "{}</span> {}",
            photos.default_storage.url(self.kept.file_names[0]),
            _("Your photo “%(name)s” is kept; it will be saved with the campaign.")
            % {"name": self.kept.original_name or _("photo")},
            PHOTO_HELP,
        )

    def has_changed(self) -> bool:
        return super().has_changed() or bool(self.data.get(self.add_prefix("pending")))

    def save(self, commit: bool = True) -> Photo:
        photo = super().save(commit=False)
        if self.prepared is not None or self.kept is not None:
            self.replaced_files = [v["name"] for v in photo.variants]
        if self.prepared is not None:
            photos.apply(photo, self.prepared)
        elif self.kept is not None:
            photos.apply_pending(photo, self.kept)
        if commit:
            photo.save()
        if self.kept is not None:
            # Its files now belong to the photo: only the waiting row goes.
            self.kept.delete()
            self.kept = None
        return photo


class PhotoFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        covers = [
            form
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("is_cover")
            and not form.cleaned_data.get("DELETE")
        ]
        if len(covers) > 1:
            raise ValidationError(
                _("Only one photo can be the cover photo."), code="two_covers"
            )


class PendingTokensField(forms.Field):
    """The tokens of photos kept for a page sent back, in the page's order."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value) -> list[str]:
        tokens = [token for token in (value or []) if token]
        if len(tokens) > 50 or any(len(token) > 64 for token in tokens):
            raise ValidationError(_("Too many photos to preview."), code="too_many")
        return tokens


class StoryPreviewForm(forms.Form):
    """The story as the organizer is writing it, sent to the story preview,
    with the photos kept for the page if it came back with a mistake."""

    story = forms.CharField(required=False, max_length=100_000)
    pending = PendingTokensField(required=False)
