"""The desk's bank statements: upload a statement file, choose its CSV columns
once per account, review what it matched and confirm it in one go.

Who may: a team member who may record money for a campaign paid into an
account (statements.accounts_for); anyone else gets 403 for the page, and 404
for an import of an account they do not reach. Every POST goes through a form;
bad input is shown beside its field and stores nothing; success redirects
(POST/redirect/GET) with a message. The import, the matching and the recording
are donations.statements', which records through the desk's own functions.
"""

from __future__ import annotations

import contextlib

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.formats import date_format
from django.utils.html import format_html, format_html_join
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.models import Campaign
from campaigns.permissions import campaigns_where
from campaigns.templatetags.money import format_money
from donations import bankfiles, statements
from donations.models import BankAccount, StatementEntry, StatementImport
from donations.payment import group_iban
from donations.statement_forms import (
    ConfirmForm,
    CsvMappingForm,
    StatementUploadForm,
)
from donations.views import BAD_INPUT, render_desk

# Which field a refusal of the import belongs beside.
REFUSAL_FIELDS = {
    "no_account": "account",
    "other_account": "account",
    "unknown_account": "file",
    "other_currency": "file",
    "no_credits": "file",
}


def _accounts_or_403(request: HttpRequest) -> list[str]:
    accounts = statements.accounts_for(request.user)
    if not accounts:
        raise PermissionDenied
    return accounts


def _campaign_names(request: HttpRequest, accounts: list[str]) -> dict[str, list]:
    """The user's campaigns paid into each account, by title (one query)."""
    names: dict[str, list[str]] = {}
    rows = (
        campaigns_where(request.user, "receive")
        .filter(iban__in=accounts)
        .order_by("title")
        .values_list("iban", "title")
    )
    for iban, title in rows:
        names.setdefault(iban, []).append(title)
    return names


def _upload_form(request: HttpRequest, accounts: list[str], *args):
    return StatementUploadForm(
        *args, accounts=accounts, names=_campaign_names(request, accounts)
    )


def _upload_page(request: HttpRequest, form, status: int = 200) -> HttpResponse:
    return render_desk(
        request,
        "donations/desk/statement_upload.html",
        {
            "title": _("Bank statements"),
            "form": form,
            "imports": statements.statements_for(request.user),
        },
        status=status,
    )


def _columns_page(request: HttpRequest, form, *, note: str = "", status=200):
    return render_desk(
        request,
        "donations/desk/statement_columns.html",
        {"title": _("Choose the columns"), "form": form, "note": note},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@staff_member_required
def statement_list(request: HttpRequest) -> HttpResponse:
    """The upload form and the recent imports (GET); importing a file (POST)."""
    accounts = _accounts_or_403(request)
    if request.method != "POST":
        return _upload_page(request, _upload_form(request, accounts))
    form = _upload_form(request, accounts, request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form, status=BAD_INPUT)
    account = form.cleaned_data["account"]
    try:
        result = _import(request, form.data_bytes, account, form.filename)
    except bankfiles.StatementFileError as error:
        if error.code != "csv_mapping":
            form.add_error("file", ValidationError(error.message, code=error.code))
        elif not account:
            form.add_error(
                "account",
                ValidationError(
                    _(
                        "This file does not say which account it is for: "
                        "choose the account."
                    ),
                    code="no_account",
                ),
            )
        else:
            return _ask_columns(request, form, accounts, account, error)
        return _upload_page(request, form, status=BAD_INPUT)
    except statements.StatementRefused as refusal:
        form.add_error(
            REFUSAL_FIELDS.get(refusal.code, "file"),
            ValidationError(refusal.message, code=refusal.code),
        )
        return _upload_page(request, form, status=BAD_INPUT)
    return _imported(request, result)


def _ask_columns(request, upload_form, accounts, account, error) -> HttpResponse:
    """A CSV file whose account has no column mapping yet, or one that does not
    fit this file: the mapping form, prefilled from the saved mapping or a
    guess from the header."""
    form = CsvMappingForm(
        accounts=accounts,
        data_bytes=upload_form.data_bytes,
        initial={"account": account, "filename": upload_form.filename},
    )
    if form.source_error is not None:
        upload_form.add_error("file", form.source_error)
        return _upload_page(request, upload_form, status=BAD_INPUT)
    saved = (
        BankAccount.objects.filter(iban=account)
        .values_list("csv_mapping", flat=True)
        .first()
    )
    note = ""
    if saved:
        # An incomplete mapping prefills nothing: the form asks every column.
        with contextlib.suppress(bankfiles.StatementFileError):
            form.set_initial_mapping(bankfiles.CsvMapping.from_json(saved))
        note = _(
            "The columns chosen before for this account do not fit this file "
            "(%(why)s). Choose them again."
        ) % {"why": error.message}
    else:
        form.set_initial_mapping(
            bankfiles.guess_csv_mapping(form.delimiter, form.columns)
        )
    return _columns_page(request, form, note=note)


@require_POST
@staff_member_required
def statement_columns(request: HttpRequest) -> HttpResponse:
    """Importing a CSV file with the columns chosen for it (remembered for the
    account)."""
    accounts = _accounts_or_403(request)
    form = CsvMappingForm(request.POST, request.FILES, accounts=accounts)
    if not form.is_valid():
        return _columns_page(request, form, status=BAD_INPUT)
    try:
        result = _import(
            request,
            form.data_bytes,
            form.chosen_account,
            form.filename_value,
            csv_mapping=form.mapping(),
        )
    except (bankfiles.StatementFileError, statements.StatementRefused) as error:
        form.add_error(None, ValidationError(error.message, code=error.code))
        return _columns_page(request, form, status=BAD_INPUT)
    return _imported(request, result)


def _import(request, data: bytes, account: str, filename: str, csv_mapping=None):
    return statements.import_statement(
        data=data,
        by=request.user,
        account=account,
        csv_mapping=csv_mapping,
        filename=filename,
        reachable=campaigns_where(request.user, "receive"),
    )


def _imported(request: HttpRequest, result) -> HttpResponse:
    """What the import added, and where the entries known already wait."""
    if result.new:
        text = ngettext(
            "%(count)s new entry.", "%(count)s new entries.", result.new
        ) % {"count": result.new}
        if result.known:
            text += " " + ngettext(
                "%(count)s was already imported.",
                "%(count)s were already imported.",
                result.known,
            ) % {"count": result.known}
        messages.success(request, text)
    else:
        messages.info(request, _nothing_new(request, result))
    return redirect("donations:desk_statement", statement_id=result.statement.pk)


def _nothing_new(request: HttpRequest, result) -> str:
    text = ngettext(
        "Nothing new: %(count)s entry of this file was already imported.",
        "Nothing new: all %(count)s entries of this file were already imported.",
        result.known,
    ) % {"count": result.known}
    earlier = _earlier_imports(request, result)
    if not earlier:
        return text
    links = format_html_join(
        ", ",
        '<a href="{}">{}</a>',
        (
            (
                reverse("donations:desk_statement", args=[imported.pk]),
                _import_name(imported),
            )
            for imported in earlier
        ),
    )
    return format_html(
        "{} {}",
        text,
        format_html(_("Still waiting for you: {imports}."), imports=links),
    )


def _earlier_imports(request: HttpRequest, result) -> list[StatementImport]:
    """The earlier imports where entries this file repeated still wait for
    this user: matched to a campaign they record money for, or placed by no
    code when they organize a campaign on the account."""
    account = result.statement.account
    keys = statements.fingerprints(account.iban, list(result.known_entries))
    if not keys:
        return []
    theirs = Q(campaign__in=campaigns_where(request.user, "receive").values("pk"))
    if campaigns_where(request.user, "edit").filter(iban=account.iban).exists():
        theirs |= Q(campaign=None)
    return list(
        StatementImport.objects.filter(
            pk__in=StatementEntry.objects.filter(
                theirs,
                account=account,
                fingerprint__in=keys,
                status=StatementEntry.Status.OPEN,
            ).values("statement_id")
        ).exclude(pk=result.statement.pk)[:5]
    )


def _import_name(imported: StatementImport) -> str:
    when = date_format(localtime(imported.uploaded_at), "SHORT_DATETIME_FORMAT")
    return _("the import of %(when)s") % {"when": when}


# ---------------------------------------------------------------------------
# The review
# ---------------------------------------------------------------------------


def _statement_or_404(request: HttpRequest, statement_id: int) -> StatementImport:
    """An import of an account the user records money for."""
    return get_object_or_404(
        StatementImport.objects.select_related("account", "uploaded_by"),
        pk=statement_id,
        account__iban__in=statements.accounts_for(request.user),
    )


def _review_page(request, statement, form: ConfirmForm, left=(0, 0), status=200):
    review = form.review
    return render_desk(
        request,
        "donations/desk/statement_review.html",
        {
            "title": _("Review the statement"),
            "statement": statement,
            "account": group_iban(statement.account.iban),
            "review": review,
            "form": form,
            "sections": form.sections(),
            "can_record": any(
                name.startswith(("take_", "gift_")) for name in form.fields
            ),
            "waiting_left": left[0],
            "done_left": left[1],
        },
        status=status,
    )


# Entries shown (and confirmable) at once: a page a phone can hold, and a
# confirmation well under Django's DATA_UPLOAD_MAX_NUMBER_FIELDS (two fields
# per entry). Once these are recorded, the page shows the next ones.
REVIEW_BATCH = 300
DONE_SHOWN = 100


def _one_batch(review: statements.Review) -> tuple[statements.Review, int, int]:
    """The first REVIEW_BATCH waiting entries (matched first, then doubtful,
    then unmatched) and the last DONE_SHOWN recorded ones; with how many of
    each are left out."""
    room, kept = REVIEW_BATCH, {}
    for verdict in ("matched", "doubtful", "unmatched"):
        rows = getattr(review, verdict)
        kept[verdict] = rows[:room]
        room -= len(kept[verdict])
    batch = statements.Review(
        statement=review.statement,
        done=review.done[-DONE_SHOWN:],
        hidden=review.hidden,
        unplaced=review.unplaced,
        **kept,
    )
    waiting_left = review.waiting - batch.waiting
    return batch, waiting_left, len(review.done) - len(batch.done)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_member_required
def statement_review(request: HttpRequest, statement_id: int) -> HttpResponse:
    """The import's entries by what they matched (GET); recording the selected
    ones (POST/redirect/GET)."""
    statement = _statement_or_404(request, statement_id)
    review, *left = _one_batch(statements.review(statement, request.user))
    if request.method != "POST":
        return _review_page(request, statement, ConfirmForm(review=review), left)
    form = ConfirmForm(request.POST, review=review)
    if not form.is_valid():
        return _review_page(request, statement, form, left, status=BAD_INPUT)
    closed_before = _closed(statement)
    receipts, gifts = form.receipts(), form.gifts()
    result = statements.confirm(
        statement=statement, user=request.user, receipts=receipts, gifts=gifts
    )
    _report(request, statement, form, result, closed_before)
    return redirect("donations:desk_statement", statement_id=statement.pk)


def _closed(statement: StatementImport) -> set[int]:
    return set(
        Campaign.objects.filter(
            iban=statement.account.iban, closed_at__isnull=False
        ).values_list("pk", flat=True)
    )


def _report(request, statement, form: ConfirmForm, result, closed_before) -> None:
    if result.received:
        messages.success(
            request,
            ngettext(
                "%(count)s entry recorded as received.",
                "%(count)s entries recorded as received.",
                result.received,
            )
            % {"count": result.received},
        )
    if result.gifts:
        messages.success(
            request,
            ngettext(
                "%(count)s entry recorded as a gift.",
                "%(count)s entries recorded as gifts.",
                result.gifts,
            )
            % {"count": result.gifts},
        )
    for entry, why in result.skipped:
        messages.warning(
            request,
            _("%(date)s, %(amount)s: %(why)s")
            % {
                "date": _short_date(entry.booked_on),
                "amount": format_money(entry.amount.amount, entry.amount.currency.code),
                "why": why,
            },
        )
    gone = form.gone()
    if gone:
        messages.warning(
            request,
            ngettext(
                "%(count)s selected entry was recorded meanwhile: nothing was "
                "added for it.",
                "%(count)s selected entries were recorded meanwhile: nothing was "
                "added for them.",
                gone,
            )
            % {"count": gone},
        )
    if not (result.recorded or result.skipped or gone):
        messages.info(request, _("Nothing was selected: nothing was recorded."))
    newly_closed = _closed(statement) - closed_before
    for title in Campaign.objects.filter(pk__in=newly_closed).values_list(
        "title", flat=True
    ):
        messages.info(
            request,
            _("%(campaign)s: the goal is collected: the collection is closed.")
            % {"campaign": title},
        )


def _short_date(day) -> str:
    return date_format(day, "SHORT_DATE_FORMAT")
