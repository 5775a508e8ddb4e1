"""The desk's bank statement forms: the upload, the CSV column mapping (asked
once per account) and the review's confirmation.

The statement's file is read by donations.bankfiles and imported by
donations.statements; these forms only check what a person sent: the file's
size before it is read, a chosen account among the user's own, column names
among the file's header, entries among those the review offered.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.utils.translation import gettext_lazy as _

from campaigns.templatetags.money import format_money
from donations import bankfiles
from donations.forms import without_unsafe_characters
from donations.payment import group_iban
from donations.statements import Review, Row

# The hidden field that carries a CSV file to the mapping's POST: base64 makes
# it a third larger, and the rest of the form needs a little room.
CARRY_MARGIN = 64 * 1024


def too_large_error(size: int) -> ValidationError:
    """The words bankfiles uses for a file over the limit (one translation)."""
    return ValidationError(
        _(
            "This file is %(size)s MB; statement files up to %(limit)s MB "
            "can be imported. Export a shorter period."
        )
        % {
            "size": math.ceil(size / 1024 / 1024),
            "limit": bankfiles.MAX_FILE_BYTES // 1024 // 1024,
        },
        code="too_large",
    )


def read_upload(upload: UploadedFile) -> bytes:
    """The uploaded file's bytes, its size checked before anything is read."""
    if upload.size is None or upload.size > bankfiles.MAX_FILE_BYTES:
        raise too_large_error(upload.size or 0)
    data = upload.read(bankfiles.MAX_FILE_BYTES + 1)
    if len(data) > bankfiles.MAX_FILE_BYTES:
        raise too_large_error(len(data))
    return data


def clean_filename(name: str) -> str:
    return " ".join(without_unsafe_characters(name or "").split())[:200]


def account_choices(accounts: list[str], names: dict[str, list[str]]):
    """The user's accounts, each grouped by four and with the campaigns paid
    into it, so that nobody has to know an IBAN by heart."""
    choices = []
    for iban in accounts:
        titles = names.get(iban) or []
        label = group_iban(iban)
        if titles:
            label = f"{label} ({', '.join(titles)})"
        choices.append((iban, label))
    return choices


class StatementUploadForm(forms.Form):
    """A statement file and the account it is for. The account may be left to
    the file (CAMT.053 and MT940 name it) when the user works on several; a CSV
    does not name it, so then it must be chosen."""

    account = forms.ChoiceField(label=_("Account"), required=False)
    file = forms.FileField(
        label=_("Statement file"),
        help_text=_(
            "The file your bank exports: CAMT.053 (XML), MT940 or CSV. Nothing "
            "is recorded before you review it."
        ),
    )

    def __init__(self, *args, accounts: list[str], names=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = account_choices(accounts, names or {})
        field = self.fields["account"]
        if len(choices) == 1:
            field.choices = choices
            field.required = True
            field.initial = choices[0][0]
        else:
            field.choices = [("", _("The account the file names"))] + choices
            field.help_text = _("Needed for a CSV file, which does not say it.")
        self.data_bytes = b""

    def clean_file(self) -> UploadedFile:
        upload = self.cleaned_data["file"]
        self.data_bytes = read_upload(upload)
        return upload

    @property
    def filename(self) -> str:
        return clean_filename(self.cleaned_data["file"].name)


NO_COLUMN = ""


class CsvMappingForm(forms.Form):
    """Which column of the bank's CSV export holds what. Asked once per
    account: the import remembers it.

    The file comes along in a hidden field (base64), checked again like an
    upload; a file too large to carry is chosen again instead (`file`)."""

    account = forms.ChoiceField(widget=forms.HiddenInput)
    filename = forms.CharField(widget=forms.HiddenInput, required=False)
    content = forms.CharField(widget=forms.HiddenInput, required=False)
    file = forms.FileField(
        label=_("Statement file"),
        required=False,
        help_text=_("Choose the same file again."),
    )
    date = forms.ChoiceField(label=_("Booking date"))
    amount = forms.ChoiceField(
        label=_("Amount"),
        help_text=_("Money in as positive amounts, money out as negative ones."),
    )
    title = forms.ChoiceField(
        label=_("Transfer title"),
        help_text=_("Where the donor writes the reference code."),
    )
    counterparty = forms.ChoiceField(label=_("Payer"), required=False)
    currency = forms.ChoiceField(label=_("Currency"), required=False)
    direction = forms.ChoiceField(
        label=_("Debit or credit"),
        required=False,
        help_text=_("Only for a file whose amounts carry no minus sign (D/K)."),
    )
    reference = forms.ChoiceField(
        label=_("Bank's transaction number"),
        required=False,
        help_text=_("It tells two equal transfers on one day apart."),
    )

    REQUIRED_COLUMNS = ("date", "amount", "title")
    OPTIONAL_COLUMNS = ("counterparty", "currency", "direction", "reference")

    def __init__(
        self, *args, accounts: list[str], data_bytes: bytes | None = None, **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["account"].choices = [(iban, iban) for iban in accounts]
        self.source_error: ValidationError | None = None
        if data_bytes is None and self.is_bound:
            data_bytes = self._posted_file()
        self.data_bytes = data_bytes
        self.delimiter, self.columns = ",", []
        if data_bytes:
            try:
                self.delimiter, self.columns = bankfiles.csv_columns(data_bytes)
            except bankfiles.StatementFileError as error:
                self.source_error = ValidationError(error.message, code=error.code)
        column_choices = [(name, name) for name in self.columns]
        for name in self.REQUIRED_COLUMNS:
            self.fields[name].choices = [(NO_COLUMN, _("Choose a column"))] + (
                column_choices
            )
        for name in self.OPTIONAL_COLUMNS:
            self.fields[name].choices = [
                (NO_COLUMN, _("Not in this file"))
            ] + column_choices
        # Without the file (lost, too large to carry), the form asks for it.
        self.carries_file = bool(
            data_bytes
            and not self.source_error
            and len(data_bytes) * 4 // 3 + CARRY_MARGIN < _data_upload_limit()
        )

    @property
    def content_value(self) -> str:
        """The hidden copy of the file for the next POST."""
        if not self.carries_file:
            return ""
        return base64.b64encode(self.data_bytes).decode("ascii")

    def _posted_file(self) -> bytes | None:
        """The file as posted again: a fresh upload first, else the carried
        copy. Checked like any upload (its size, then its content)."""
        upload = self.files.get("file")
        try:
            if upload:
                return read_upload(upload)
            content = self.data.get("content") or ""
            if len(content) > bankfiles.MAX_FILE_BYTES * 4 // 3 + 4:
                raise too_large_error(len(content) * 3 // 4)
            data = base64.b64decode(content, validate=True)
        except (binascii.Error, ValueError):
            data = b""
        except ValidationError as error:
            self.source_error = error
            return None
        if not data:
            self.source_error = ValidationError(
                _("The file did not come along: choose it again."), code="required"
            )
            return None
        if len(data) > bankfiles.MAX_FILE_BYTES:
            self.source_error = too_large_error(len(data))
            return None
        return data

    def set_initial_mapping(self, mapping: bankfiles.CsvMapping | None) -> None:
        """Prefill the columns (a saved mapping or a guess) where they exist."""
        if mapping is None:
            return
        for name in self.REQUIRED_COLUMNS + self.OPTIONAL_COLUMNS:
            column = getattr(mapping, name, "") or ""
            if column in self.columns:
                self.initial[name] = column

    def clean(self) -> dict:
        cleaned = super().clean()
        if self.source_error is not None:
            self.add_error("file", self.source_error)
            return cleaned
        # The required columns' empty choice is refused as "required" already.
        used: dict[str, str] = {}
        for name in self.REQUIRED_COLUMNS + self.OPTIONAL_COLUMNS:
            column = cleaned.get(name)
            if not column:
                continue
            if column in used:
                self.add_error(
                    name,
                    ValidationError(
                        _("“%(column)s” is chosen already for %(other)s."),
                        code="same_column",
                        params={
                            "column": column,
                            "other": self.fields[used[column]].label,
                        },
                    ),
                )
            else:
                used[column] = name
        return cleaned

    def mapping(self) -> bankfiles.CsvMapping:
        data = self.cleaned_data
        columns = self.REQUIRED_COLUMNS + self.OPTIONAL_COLUMNS
        return bankfiles.CsvMapping(
            delimiter=self.delimiter,
            **{name: data.get(name) or "" for name in columns},
        )

    @property
    def chosen_account(self) -> str:
        return self.cleaned_data["account"]

    @property
    def filename_value(self) -> str:
        upload = self.cleaned_data.get("file")
        name = upload.name if upload else self.cleaned_data.get("filename", "")
        return clean_filename(name)


def _data_upload_limit() -> int:
    return settings.DATA_UPLOAD_MAX_MEMORY_SIZE or bankfiles.MAX_FILE_BYTES * 2


# ---------------------------------------------------------------------------
# The review
# ---------------------------------------------------------------------------


@dataclass
class ReviewLine:
    """One entry of the review with its own fields (bound, for the template)."""

    row: Row
    take: forms.BoundField | None = None
    seen: forms.BoundField | None = None
    gift: forms.BoundField | None = None


TAKE = re.compile(r"^take_(\d{1,18})$")
GIFT = re.compile(r"^gift_(\d{1,18})$")


class ConfirmForm(forms.Form):
    """The entries to record, built from the review the user may see: a
    checkbox (and the pledge's state as the page showed it) per entry with a
    pledge the user may record money for, a choice of campaign and line per
    entry no code placed. Anything else posted is ignored."""

    def __init__(self, *args, review: Review, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.review = review
        self.lines: dict[int, ReviewLine] = {}
        for row in review.matched + review.doubtful:
            entry = row.entry
            if row.can_confirm:
                self.fields[f"take_{entry.pk}"] = forms.BooleanField(
                    label=_take_label(row),
                    required=False,
                    initial=row.is_preselected,
                )
                self.fields[f"seen_{entry.pk}"] = forms.CharField(
                    widget=forms.HiddenInput,
                    required=False,
                    max_length=40,
                    initial=row.seen,
                )
        for row in review.unmatched:
            if row.can_confirm:
                self.fields[f"gift_{row.entry.pk}"] = forms.ChoiceField(
                    label=_gift_label(row),
                    required=False,
                    choices=[("", _("Leave it"))] + list(row.gift_targets),
                    initial="",
                )

    def line(self, row: Row) -> ReviewLine:
        pk = row.entry.pk
        line = ReviewLine(row=row)
        for name in ("take", "seen", "gift"):
            key = f"{name}_{pk}"
            if key in self.fields:
                setattr(line, name, self[key])
        return line

    def sections(self) -> dict[str, list[ReviewLine]]:
        review = self.review
        return {
            verdict: [self.line(row) for row in getattr(review, verdict)]
            for verdict in ("matched", "doubtful", "unmatched", "done")
        }

    def receipts(self) -> dict[int, str]:
        """Entry id -> the pledge's state as the page showed it, for each ticked."""
        data = self.cleaned_data
        return {
            int(match.group(1)): data.get(f"seen_{match.group(1)}") or ""
            for name in self.fields
            if (match := TAKE.match(name)) and data.get(name)
        }

    def gifts(self) -> dict[int, tuple[int, int | None]]:
        """Entry id -> (campaign id, line id or None), for each chosen."""
        chosen = {}
        for name in self.fields:
            match = GIFT.match(name)
            value = self.cleaned_data.get(name) if match else ""
            if not value:
                continue
            campaign_id, _sep, line_id = value.partition(":")
            chosen[int(match.group(1))] = (
                int(campaign_id),
                int(line_id) if line_id else None,
            )
        return chosen

    def gone(self) -> int:
        """Entries ticked or given a campaign on the page that the review no
        longer offers (recorded meanwhile: a double click, another tab)."""
        count = 0
        for name, value in self.data.items():
            if (TAKE.match(name) or GIFT.match(name)) and value:
                count += name not in self.fields
        return count


def _take_label(row: Row) -> str:
    entry = row.entry
    return _("Record %(amount)s for %(code)s") % {
        "amount": format_money(entry.amount.amount, entry.amount.currency.code),
        "code": row.pledge.reference,
    }


def _gift_label(row: Row) -> str:
    entry = row.entry
    return _("Record %(amount)s as a gift to") % {
        "amount": format_money(entry.amount.amount, entry.amount.currency.code)
    }
