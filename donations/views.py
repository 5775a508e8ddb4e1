"""The campaign page, the pledge form page, the thank-you page and its EPC QR code.

Status codes: bad input answers 400; a campaign that stopped accepting (goal
reached, deadline passed, closed) answers 409 Conflict with its state, since the
state can change back (cancelled promises reopen a campaign under its goal).
Either way nothing is stored.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import (
    require_http_methods,
    require_POST,
    require_safe,
)

from campaigns import views as campaign_views
from campaigns.cache import cache_page_by, campaign_page
from campaigns.models import Activity, Campaign
from campaigns.permissions import (
    ORGANIZER,
    campaigns_for,
    campaigns_where,
    can,
    is_in_any_team,
)
from campaigns.templatetags.money import format_money
from donations import statements
from donations.export import pledge_rows
from donations.forms import (
    CancelForm,
    CloseForm,
    CorrectForm,
    FindForm,
    GiftForm,
    MessageForm,
    NoteForm,
    PledgeForm,
    ReceiveForm,
    ReopenForm,
    TokenForm,
    UndoForm,
)
from donations.models import Pledge, normalize_reference
from donations.payment import amount_to_type, pay_by, payment_details, payment_qr_svg
from donations.pledging import (
    CampaignNotAccepting,
    PledgeRefused,
    campaign_close,
    campaign_reopen,
    gift_record,
    pledge_at_once,
    pledge_cancel,
    pledge_create,
    pledge_for_token,
    pledge_receive,
    pledge_set_message_hidden,
    pledge_set_note,
    receipt_correct,
    receipt_undo,
)
from donations.progress import campaign_progress
from donations.ratelimit import TOO_MANY, Refusal, limit_pledges
from donations.updates import page_updates, spending_report

BAD_INPUT = 400
NOT_ACCEPTING = 409


@require_safe
@cache_page_by(campaign_page)
def campaign_detail(request: HttpRequest, slug: str) -> HttpResponse:
    """The public campaign page: the story and lines from campaigns, the money
    (page_money) from here. Fixed queries."""
    campaign = get_object_or_404(
        Campaign.objects.published().prefetch_related("lines", "photos"), slug=slug
    )
    return campaign_views.render_campaign_page(request, campaign)


def page_money(campaign: Campaign) -> dict:
    """The money part of a campaign's page (campaigns.views.PAGE_PARTS): its
    progress and the way to give, the team's updates and spending report."""
    progress = campaign_progress(campaign)
    return {
        "progress": progress,
        "updates": page_updates(campaign),
        "spending": spending_report(campaign, progress),
    }


def _see_other(pledge: Pledge) -> HttpResponse:
    """POST → redirect → GET: 303 See Other to the pledge's thank-you page."""
    response = HttpResponseRedirect(pledge.thanks_path())
    response.status_code = 303
    return response


def _render_form(
    request: HttpRequest,
    campaign: Campaign,
    form: PledgeForm | None,
    *,
    status: int = 200,
    refusal: Refusal | None = None,
) -> HttpResponse:
    progress = campaign_progress(campaign)
    return render(
        request,
        "donations/pledge_form.html",
        {"campaign": campaign, "progress": progress, "form": form, "refusal": refusal},
        status=status,
    )


def _too_many_pledges(
    request: HttpRequest, refusal: Refusal, slug: str
) -> HttpResponse:
    """A post the rate limit refused (nothing stored): the form again, with
    everything the donor typed, when to try again at its top, and Retry-After."""
    campaign = _campaign_for_page(slug)
    form = None
    if campaign.is_accepting_pledges():
        form = PledgeForm(
            request.POST, campaign=campaign, coverage=campaign.line_states()
        )
    response = _render_form(request, campaign, form, status=TOO_MANY, refusal=refusal)
    response["Retry-After"] = str(refusal.retry_after)
    return response


@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("email", "donor_name", "message")
@csrf_protect
@never_cache
@limit_pledges(refused=_too_many_pledges)
def pledge(request: HttpRequest, slug: str) -> HttpResponse:
    """The pledge form (GET) and pledging (POST → redirect → GET)."""
    if request.method == "POST":
        return _pledge_post(request, slug)
    campaign = _campaign_for_page(slug)
    if not campaign.is_accepting_pledges():
        return _render_form(request, campaign, None)
    form = PledgeForm(campaign=campaign, coverage=campaign.line_states())
    return _render_form(request, campaign, form)


def _pledge_post(request: HttpRequest, slug: str) -> HttpResponse:
    """A pledge is first written in one statement that counts it only if the
    campaign accepts it (pledge_at_once): nothing is read for a pledge to no
    line, the lines' figures for an earmarked one. When that writes nothing
    (or on SQLite), check the form against a read of the campaign and its
    lines, then pledge_create, which checks again what may have changed
    meanwhile as it writes, and says why it refuses.

    A form posted again (double click, back and resubmit, a retry after a
    timeout) finds the pledge its token made and shows it, creating nothing:
    the token's unique index refuses the insert, or the form is refused (that
    pledge crossed the goal, covered the line), and only then is it looked up.
    """
    now = timezone.now()
    language = translation.get_language() or ""
    unchecked = PledgeForm(request.POST, campaign=None)
    if unchecked.is_valid():
        made = pledge_at_once(
            slug=slug,
            line_id=unchecked.cleaned_data.get("line_id"),
            amount=unchecked.cleaned_data["pledge_amount"],
            donor=unchecked.donor(language=language),
            submission_token=unchecked.cleaned_data["token"],
            now=now,
        )
        if made is not None:
            return _see_other(made)
    campaign = _campaign_for_page(slug)
    form = None
    if campaign.is_accepting_pledges(now):
        form = PledgeForm(
            request.POST, campaign=campaign, coverage=campaign.line_states()
        )
        if form.is_valid():
            try:
                return _see_other(
                    pledge_create(
                        campaign=campaign,
                        line=form.cleaned_data["line"],
                        amount=form.cleaned_data["pledge_amount"],
                        donor=form.donor(language=language),
                        submission_token=form.cleaned_data["token"],
                        now=now,
                    )
                )
            except PledgeRefused as refusal:
                # Another pledge or the team changed the campaign since the read
                # above (the token's own pledge was looked up already).
                campaign = _campaign_for_page(slug)
                if isinstance(refusal, CampaignNotAccepting):
                    return _render_form(request, campaign, None, status=NOT_ACCEPTING)
                form.refused(refusal.code, campaign=campaign)
                return _render_form(request, campaign, form, status=BAD_INPUT)
    # Refused: a second post of a form that made a pledge shows that pledge.
    existing = _pledge_for_token(request.POST)
    if existing is not None:
        return _see_other(existing)
    if form is None:
        return _render_form(request, campaign, None, status=NOT_ACCEPTING)
    return _render_form(request, campaign, form, status=BAD_INPUT)


def _campaign_for_page(slug: str) -> Campaign:
    return get_object_or_404(
        Campaign.objects.published().prefetch_related("lines"), slug=slug
    )


def _pledge_for_token(data) -> Pledge | None:
    form = TokenForm(data)
    return pledge_for_token(form.cleaned_data["token"]) if form.is_valid() else None


def _pledge_by_key(access_key: str) -> Pledge:
    return get_object_or_404(
        Pledge.objects.with_campaign_and_line(), access_key=access_key
    )


@require_safe
def thanks(request: HttpRequest, access_key: str) -> HttpResponse:
    """The donor's own page: amount, line, reference and how to pay."""
    pledge = _pledge_by_key(access_key)
    response = render(
        request,
        "donations/thanks.html",
        {
            "pledge": pledge,
            "campaign": pledge.campaign,
            "payment": payment_details(pledge),
            "pay_by": pay_by(pledge),
            "amount_to_type": amount_to_type(pledge.amount.amount),
        },
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def thanks_qr(request: HttpRequest, access_key: str) -> HttpResponse:
    """The code a banking app scans (EPC for EUR, the Polish 2D code for PLN) as
    an SVG image (an <img src>, which the CSP allows)."""
    pledge = _pledge_by_key(access_key)
    svg = payment_qr_svg(pledge)
    if svg is None:
        raise Http404("No payment code for this campaign.")
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# ---------------------------------------------------------------------------
# The team's desk: the ONE place for every job done with money, quick on a phone.
#
# Type a reference code and see one pledge: confirm the amount that arrived,
# correct it or undo the receipt (with a reason), cancel a pending pledge, keep a
# team note, hide or show the donor's message (organizers). Per campaign: record
# a gift, close the collection (any team member), reopen it and export pledges
# as CSV (organizers). Every change goes through donations.pledging, which keeps
# the totals exact and writes the record; the admin only lists and shows.
#
# Every POST goes through a form: bad input answers 400 with the messages beside
# the fields and stores nothing; success redirects (POST/redirect/GET) with a
# message. Whoever is not in a campaign's team gets 404 for its pledges and
# pages (they "do not exist" for them); a team member whose role does not allow
# the job, 403.
# ---------------------------------------------------------------------------


def render_desk(request: HttpRequest, template: str, context: dict, status: int = 200):
    """A desk page inside the admin's frame (its header, language switcher and
    sidebar): shared by the desk's money jobs and its bank statements."""
    context = {**admin.site.each_context(request), **context}
    return TemplateResponse(request, template, context, status=status)


def _pledge_or_404(request: HttpRequest, reference: str) -> Pledge:
    """A pledge of one of the user's campaigns, found by reference code."""
    return get_object_or_404(
        Pledge.objects.with_campaign_and_line().filter(
            campaign__in=campaigns_where(request.user, "view_pledges").values("pk")
        ),
        reference=normalize_reference(reference),
    )


def _pledge_for_job(request: HttpRequest, reference: str, job: str) -> Pledge:
    pledge = _pledge_or_404(request, reference)
    if not can(request.user, job, pledge.campaign):
        raise PermissionDenied
    return pledge


def _campaign_or_404(request: HttpRequest, campaign_id: int, job: str) -> Campaign:
    campaign = get_object_or_404(
        campaigns_for(request.user).prefetch_related("lines"), pk=campaign_id
    )
    if not can(request.user, job, campaign):
        raise PermissionDenied
    return campaign


@require_safe
@staff_member_required
def desk(request: HttpRequest) -> HttpResponse:
    form = FindForm(request.GET or None)
    if form.is_bound and form.is_valid():
        reference = form.cleaned_data["reference"]
        try:
            _pledge_or_404(request, reference)
        except Http404:
            form.add_error(
                "reference",
                ValidationError(
                    _("No pledge with this reference in your campaigns."),
                    code="not_found",
                ),
            )
        else:
            return redirect("donations:desk_pledge", reference=reference)
    campaigns = [
        (campaign, _jobs(request, campaign))
        for campaign in campaigns_for(request.user)
        .prefetch_related("lines")
        .order_by("title")
    ]
    status = 200
    if form.is_bound and not form.is_valid():
        # A well-formed reference that is not theirs "does not exist" for them.
        status = 404 if form.has_error("reference", "not_found") else BAD_INPUT
    return render_desk(
        request,
        "donations/desk/desk.html",
        {
            "title": _("Desk"),
            "form": form,
            "campaigns": campaigns,
            "imports_statements": bool(statements.accounts_for(request.user)),
        },
        status=status,
    )


def _jobs(request: HttpRequest, campaign: Campaign) -> dict[str, bool]:
    closed = campaign.is_closed()
    return {
        "gift": can(request.user, "record_gift", campaign),
        "close": not closed and can(request.user, "close", campaign),
        "reopen": closed and can(request.user, "reopen", campaign),
        "export": can(request.user, "export", campaign),
    }


def _card(request: HttpRequest, pledge: Pledge, *, status: int = 200, **forms):
    """The pledge's card with the jobs its status and the user's role allow;
    `forms` replaces the blank form of the job that was just refused."""
    user, campaign = request.user, pledge.campaign
    received = pledge.status == Pledge.Status.RECEIVED
    may_change = can(user, "receive", campaign)
    jobs = {
        "receive": not received and may_change,
        "correct": received and may_change,
        "undo": received and may_change,
        "cancel": pledge.status == Pledge.Status.PENDING
        and can(user, "cancel", campaign),
        "note": may_change,
        "moderate": bool(pledge.message) and can(user, "moderate", campaign),
    }
    blank = {
        "receive_form": lambda: ReceiveForm(expected=pledge.amount),
        "correct_form": lambda: CorrectForm(
            expected=pledge.amount, current=pledge.received_amount
        ),
        "undo_form": UndoForm,
        "cancel_form": CancelForm,
        "note_form": lambda: NoteForm(initial={"note": pledge.note}),
    }
    context = {name: forms.get(name) or make() for name, make in blank.items()}
    # Shown at the top: the form they belong to may be gone from the card (a
    # pledge received meanwhile no longer offers "Received").
    errors = [error for form in forms.values() for error in form.non_field_errors()]
    history = (
        _history(campaign, pledge.reference)
        if can(user, "view_activity", campaign)
        else None
    )
    return render_desk(
        request,
        "donations/desk/pledge.html",
        {
            "title": _("Pledge %(reference)s") % {"reference": pledge.reference},
            "pledge": pledge,
            "campaign": campaign,
            "show_email": can(user, "see_emails", campaign),
            "jobs": jobs,
            "errors": errors,
            "history": history,
            "statement_entries": statements.entries_paying(pledge),
            **context,
        },
        status=status,
    )


def _history(campaign: Campaign, reference: str) -> list[dict]:
    """The pledge's rows of the record, newest first, amounts formatted."""
    rows = (
        Activity.objects.filter(campaign=campaign, reference=reference)
        .select_related("actor")
        .order_by("-created_at", "-id")[:20]
    )
    history = []
    for row in rows:
        details = row.details or {}
        currency = details.get("currency", campaign.currency)
        amounts = [
            format_money(Decimal(details[key]), currency)
            for key in ("previous", "received")
            if details.get(key)
        ]
        history.append(
            {
                "row": row,
                "amounts": " → ".join(amounts),
                "reason": details.get("reason", ""),
            }
        )
    return history


@require_safe
@staff_member_required
def pledge_card(request: HttpRequest, reference: str) -> HttpResponse:
    return _card(request, _pledge_or_404(request, reference))


def _refused(request: HttpRequest, pledge: Pledge, form, refusal, name: str):
    """A write refused after the form was valid: the card again, read anew (the
    pledge changed meanwhile), with the refusal beside its field."""
    form.refused(refusal)
    return _card(
        request, _pledge_or_404(request, pledge.reference), status=400, **{name: form}
    )


def _done(request: HttpRequest, pledge: Pledge, text: str, before: Campaign):
    """Success: the message, news of a campaign that closed or reopened by
    itself meanwhile, and back to the card (POST/redirect/GET)."""
    messages.success(request, text % {"reference": pledge.reference})
    after = Campaign.objects.only("closed_at", "closed_reason").get(pk=before.pk)
    if before.closed_at is None and after.closed_at is not None:
        messages.info(request, _("The goal is collected: the collection is closed."))
    elif before.closed_at is not None and after.closed_at is None:
        messages.warning(
            request,
            _(
                "Collected money is below the goal again: the collection "
                "reopened by itself."
            ),
        )
    return redirect("donations:desk_pledge", reference=pledge.reference)


@require_POST
@staff_member_required
def receive(request: HttpRequest, reference: str) -> HttpResponse:
    pledge = _pledge_for_job(request, reference, "receive")
    form = ReceiveForm(request.POST, expected=pledge.amount)
    if not form.is_valid():
        return _card(request, pledge, receive_form=form, status=BAD_INPUT)
    try:
        pledge_receive(
            pledge=pledge,
            amount=form.cleaned_data["amount"],
            confirmed=form.confirmed,
            by=request.user,
        )
    except PledgeRefused as refusal:
        return _refused(request, pledge, form, refusal, "receive_form")
    return _done(request, pledge, _("%(reference)s marked received."), pledge.campaign)


@require_POST
@staff_member_required
def correct(request: HttpRequest, reference: str) -> HttpResponse:
    pledge = _pledge_for_job(request, reference, "receive")
    form = CorrectForm(
        request.POST, expected=pledge.amount, current=pledge.received_amount
    )
    if not form.is_valid():
        return _card(request, pledge, correct_form=form, status=BAD_INPUT)
    try:
        receipt_correct(
            pledge=pledge,
            amount=form.cleaned_data["amount"],
            reason=form.cleaned_data["reason"],
            confirmed=form.confirmed,
            by=request.user,
        )
    except PledgeRefused as refusal:
        return _refused(request, pledge, form, refusal, "correct_form")
    return _done(
        request,
        pledge,
        _("The amount received for %(reference)s is corrected."),
        pledge.campaign,
    )


@require_POST
@staff_member_required
def undo(request: HttpRequest, reference: str) -> HttpResponse:
    pledge = _pledge_for_job(request, reference, "receive")
    form = UndoForm(request.POST)
    if not form.is_valid():
        return _card(request, pledge, undo_form=form, status=BAD_INPUT)
    try:
        receipt_undo(pledge=pledge, reason=form.cleaned_data["reason"], by=request.user)
    except PledgeRefused as refusal:
        return _refused(request, pledge, form, refusal, "undo_form")
    return _done(
        request, pledge, _("The receipt of %(reference)s is undone."), pledge.campaign
    )


@require_POST
@staff_member_required
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    pledge = _pledge_for_job(request, reference, "cancel")
    form = CancelForm(request.POST)
    if not form.is_valid():
        return _card(request, pledge, cancel_form=form, status=BAD_INPUT)
    try:
        pledge_cancel(
            pledge=pledge, reason=form.cleaned_data["reason"], by=request.user
        )
    except PledgeRefused as refusal:
        return _refused(request, pledge, form, refusal, "cancel_form")
    return _done(request, pledge, _("%(reference)s cancelled."), pledge.campaign)


@require_POST
@staff_member_required
def note(request: HttpRequest, reference: str) -> HttpResponse:
    # The team's note goes with the money jobs: whoever confirms money keeps it.
    pledge = _pledge_for_job(request, reference, "receive")
    form = NoteForm(request.POST)
    if not form.is_valid():
        return _card(request, pledge, note_form=form, status=BAD_INPUT)
    pledge_set_note(pledge=pledge, note=form.cleaned_data["note"], by=request.user)
    messages.success(request, _("The team note is saved."))
    return redirect("donations:desk_pledge", reference=pledge.reference)


@require_POST
@staff_member_required
def message_visibility(request: HttpRequest, reference: str) -> HttpResponse:
    pledge = _pledge_for_job(request, reference, "moderate")
    form = MessageForm(request.POST)
    if not form.is_valid():
        return _card(request, pledge, status=BAD_INPUT)
    pledge_set_message_hidden(pledge=pledge, hidden=form.hidden, by=request.user)
    if form.hidden:
        messages.success(request, _("The message is hidden from the public page."))
    else:
        messages.success(request, _("The message is shown on the public page again."))
    return redirect("donations:desk_pledge", reference=pledge.reference)


def _form_page(request, campaign: Campaign, title: str, form, status=200):
    return render_desk(
        request,
        "donations/desk/form.html",
        {"title": title, "campaign": campaign, "form": form},
        status=status,
    )


def _back_to_desk() -> HttpResponseRedirect:
    return HttpResponseRedirect(reverse("donations:desk"))


@require_http_methods(["GET", "HEAD", "POST"])
@staff_member_required
def gift(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request, campaign_id, "record_gift")
    form = GiftForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            recorded = gift_record(
                campaign=campaign,
                amount=form.cleaned_data["amount"],
                line=form.cleaned_data["line"],
                note=form.cleaned_data["note"],
                confirmed=form.confirmed,
                by=request.user,
            )
        except PledgeRefused as refusal:
            form.refused(refusal)
        else:
            return _done(
                request, recorded, _("Gift recorded as %(reference)s."), campaign
            )
    status = BAD_INPUT if form.is_bound else 200
    return _form_page(request, campaign, _("Record a gift"), form, status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_member_required
def close(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request, campaign_id, "close")
    form = CloseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        closed = campaign_close(
            campaign=campaign,
            reason=Campaign.ClosedReason.MANUAL,
            note=form.cleaned_data["reason"],
            by=request.user,
        )
        if closed:
            messages.success(request, _("The collection is closed."))
        else:
            messages.info(request, _("The collection was already closed."))
        return _back_to_desk()
    status = BAD_INPUT if form.is_bound else 200
    return _form_page(request, campaign, _("Close the collection"), form, status)


@require_http_methods(["GET", "HEAD", "POST"])
@staff_member_required
def reopen(request: HttpRequest, campaign_id: int) -> HttpResponse:
    campaign = _campaign_or_404(request, campaign_id, "reopen")
    form = ReopenForm(request.POST or None, campaign=campaign)
    if request.method == "POST" and form.is_valid():
        try:
            campaign_reopen(
                campaign=campaign,
                reason=form.cleaned_data["reason"],
                deadline=form.cleaned_data["deadline"],
                stop_at_goal=form.cleaned_data["stop_at_goal"],
                by=request.user,
            )
        except PledgeRefused as refusal:
            # The campaign changed since the form was checked.
            form.refused(refusal)
        else:
            messages.success(request, _("The collection is open again."))
            return _back_to_desk()
    status = BAD_INPUT if form.is_bound else 200
    return _form_page(request, campaign, _("Reopen the collection"), form, status)


@require_safe
@staff_member_required
def export(request: HttpRequest, campaign_id: int) -> StreamingHttpResponse:
    campaign = _campaign_or_404(request, campaign_id, "export")
    rows = pledge_rows(campaign, with_emails=can(request.user, "see_emails", campaign))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{campaign.slug}-pledges.csv"'
    )
    return response


# ---------------------------------------------------------------------------
# Staff login: a volunteer lands on the desk
# ---------------------------------------------------------------------------


def _asked_for_a_page(request: HttpRequest) -> bool:
    """Whether the login was asked to lead somewhere. The admin's own default
    (its home, which it puts in the form when nothing was asked) does not count."""
    wanted = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(
        REDIRECT_FIELD_NAME
    )
    return bool(wanted) and wanted != reverse("admin:index")


def _is_volunteer(user) -> bool:
    """In some campaign's team and organizer of none (superusers organize all)."""
    return is_in_any_team(user) and not is_in_any_team(user, ORGANIZER)


def staff_login(request: HttpRequest) -> HttpResponse:
    """The admin's login page (its form, with the lockout of config/auth.py).

    After logging in, a volunteer lands on the desk, the one place for their
    work, in the language their browser or cookie prefers (as the admin is:
    config.i18n.StaffLanguageMiddleware), unless the login was asked to lead to
    a page; everyone else lands on the admin home."""
    response = admin.site.login(request)
    logged_in = request.method == "POST" and isinstance(response, HttpResponseRedirect)
    if not logged_in or _asked_for_a_page(request):
        return response
    if not _is_volunteer(request.user):
        return redirect("admin:index")
    preferred = translation.get_language_from_request(request, check_path=False)
    with translation.override(preferred):
        return redirect("donations:desk")
