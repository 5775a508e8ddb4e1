"""The pledge form page, the thank-you page and its EPC QR code.

Status codes: bad input answers 400; a campaign that stopped accepting (goal
reached, deadline passed, closed) answers 409 Conflict with its state, since the
state can change back (cancelled promises reopen a campaign under its goal).
Either way nothing is stored.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
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

from campaigns.models import Campaign
from campaigns.permissions import campaigns_for, campaigns_where, can
from donations.export import pledge_rows
from donations.forms import (
    CancelForm,
    CloseForm,
    FindForm,
    GiftForm,
    PledgeForm,
    ReceiveForm,
    ReopenForm,
    TokenForm,
)
from donations.models import Pledge, normalize_reference
from donations.payment import epc_qr_svg, payment_details
from donations.pledging import (
    CampaignNotAccepting,
    PledgeRefused,
    PledgeStateError,
    ReopenRefused,
    campaign_close,
    campaign_for_pledging,
    campaign_reopen,
    gift_record,
    pledge_at_once,
    pledge_cancel,
    pledge_create,
    pledge_for_token,
    pledge_receive,
)
from donations.progress import campaign_progress
from donations.ratelimit import limit_pledges

BAD_INPUT = 400
NOT_ACCEPTING = 409


def _see_other(pledge: Pledge) -> HttpResponse:
    """POST → redirect → GET: 303 See Other to the pledge's thank-you page."""
    response = HttpResponseRedirect(pledge.get_absolute_url())
    response.status_code = 303
    return response


def _render_form(
    request: HttpRequest,
    campaign: Campaign,
    form: PledgeForm | None,
    *,
    status: int = 200,
) -> HttpResponse:
    progress = campaign_progress(campaign)
    return render(
        request,
        "donations/pledge_form.html",
        {"campaign": campaign, "progress": progress, "form": form},
        status=status,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("email", "donor_name", "message")
@csrf_protect
@never_cache
@limit_pledges
def pledge(request: HttpRequest, slug: str) -> HttpResponse:
    """The pledge form (GET) and pledging (POST → redirect → GET)."""
    if request.method == "POST":
        return _pledge_post(request, slug)
    campaign = _campaign_for_page(slug)
    if not campaign.is_accepting_pledges():
        return _render_form(request, campaign, None)
    form = PledgeForm(campaign=campaign, coverage=campaign.coverage())
    return _render_form(request, campaign, form)


def _pledge_post(request: HttpRequest, slug: str) -> HttpResponse:
    """The usual pledge (no line chosen) is written first, in one statement
    that counts it only if the campaign accepts it (pledge_at_once): nothing is
    read. Otherwise, check the form against a plain read of the campaign, then
    pledge_create, which checks again what may have changed meanwhile, under
    the campaign's row lock, and says why it refuses.

    A form posted again (double click, back and resubmit, a retry after a
    timeout) finds the pledge its token made and shows it, creating nothing:
    the token's unique index refuses the insert, or the form is refused (that
    pledge crossed the goal, covered the line), and only then is it looked up.
    """
    now = timezone.now()
    language = translation.get_language() or ""
    if not request.POST.get("line"):
        unchecked = PledgeForm(request.POST, campaign=None)
        if unchecked.is_valid():
            made = pledge_at_once(
                slug=slug,
                amount=unchecked.cleaned_data["pledge_amount"],
                donor=unchecked.donor(language=language),
                submission_token=unchecked.cleaned_data["token"],
                now=now,
            )
            if made is not None:
                return _see_other(made)
    try:
        campaign = campaign_for_pledging(slug)
    except Campaign.DoesNotExist:
        raise Http404("No campaign here.") from None
    form = None
    if campaign.is_accepting_pledges(now):
        form = PledgeForm(request.POST, campaign=campaign, coverage=campaign.coverage())
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
    # The page shows more of the campaign than a pledge reads.
    campaign = _campaign_for_page(slug)
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
        },
    )
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


@require_safe
def thanks_qr(request: HttpRequest, access_key: str) -> HttpResponse:
    """The EPC QR code as an SVG image (an <img src>, which the CSP allows)."""
    pledge = _pledge_by_key(access_key)
    if not payment_details(pledge).has_qr:
        raise Http404("No EPC QR code for this campaign.")
    response = HttpResponse(epc_qr_svg(pledge), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


# ---------------------------------------------------------------------------
# The team's desk: the few jobs done with money, quick on a phone.
#
# Type a reference code, see one pledge, confirm the amount that arrived or cancel
# it; record a gift; close a collection (any team member) or reopen it
# (organizers); export pledges as CSV (organizers). Every change goes through
# donations.pledging, which keeps the totals exact and writes the record.
#
# Whoever is not in a campaign's team gets 404 for its pledges and pages (they
# "do not exist" for them); a team member whose role does not allow the job, 403.
# ---------------------------------------------------------------------------


def _render(request: HttpRequest, template: str, context: dict, status: int = 200):
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
                _("No pledge with this reference in your campaigns."),
            )
        else:
            return redirect("donations:desk_pledge", reference=reference)
    campaigns = [
        (campaign, _jobs(request, campaign))
        for campaign in campaigns_for(request.user)
        .prefetch_related("lines")
        .order_by("title")
    ]
    status = 404 if form.is_bound and not form.is_valid() else 200
    return _render(
        request,
        "donations/desk/desk.html",
        {"title": _("Desk"), "form": form, "campaigns": campaigns},
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


def _card(request, pledge: Pledge, *, receive_form=None, cancel_form=None, status=200):
    initial = (pledge.received_amount or pledge.amount).amount
    return _render(
        request,
        "donations/desk/pledge.html",
        {
            "title": _("Pledge %(reference)s") % {"reference": pledge.reference},
            "pledge": pledge,
            "campaign": pledge.campaign,
            "show_email": can(request.user, "see_emails", pledge.campaign),
            "can_receive": can(request.user, "receive", pledge.campaign),
            "can_cancel": pledge.status == Pledge.Status.PENDING
            and can(request.user, "cancel", pledge.campaign),
            "receive_form": receive_form or ReceiveForm(initial={"amount": initial}),
            "cancel_form": cancel_form or CancelForm(),
        },
        status=status,
    )


@require_safe
@staff_member_required
def pledge_card(request: HttpRequest, reference: str) -> HttpResponse:
    return _card(request, _pledge_or_404(request, reference))


@require_POST
@staff_member_required
def receive(request: HttpRequest, reference: str) -> HttpResponse:
    pledge = _pledge_or_404(request, reference)
    if not can(request.user, "receive", pledge.campaign):
        raise PermissionDenied
    form = ReceiveForm(request.POST)
    if not form.is_valid():
        return _card(request, pledge, receive_form=form, status=400)
    pledge_receive(pledge=pledge, amount=form.cleaned_data["amount"], by=request.user)
    messages.success(
        request,
        _("%(reference)s marked received.") % {"reference": pledge.reference},
    )
    return redirect("donations:desk_pledge", reference=pledge.reference)


@require_POST
@staff_member_required
def cancel(request: HttpRequest, reference: str) -> HttpResponse:
    pledge = _pledge_or_404(request, reference)
    if not can(request.user, "cancel", pledge.campaign):
        raise PermissionDenied
    form = CancelForm(request.POST)
    if form.is_valid():
        try:
            pledge_cancel(
                pledge=pledge, reason=form.cleaned_data["reason"], by=request.user
            )
        except PledgeStateError:
            form.add_error(None, _("Only a pending pledge can be cancelled."))
        else:
            messages.success(
                request,
                _("%(reference)s cancelled.") % {"reference": pledge.reference},
            )
            return redirect("donations:desk_pledge", reference=pledge.reference)
    pledge.refresh_from_db()
    return _card(request, pledge, cancel_form=form, status=400)


def _form_page(request, campaign: Campaign, title: str, form, status=200):
    return _render(
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
        recorded = gift_record(
            campaign=campaign,
            amount=form.cleaned_data["amount"],
            line=form.cleaned_data["line"],
            note=form.cleaned_data["note"],
            by=request.user,
        )
        messages.success(
            request,
            _("Gift recorded as %(reference)s.") % {"reference": recorded.reference},
        )
        return redirect("donations:desk_pledge", reference=recorded.reference)
    status = 400 if form.is_bound else 200
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
    status = 400 if form.is_bound else 200
    return _form_page(request, campaign, _("Close the collection"), form, status)


REOPEN_REFUSALS = {
    "not_closed": _("This collection is not closed."),
    "deadline_passed": _("The deadline has passed: give a new one."),
    "goal_reached": _(
        "The goal is already reached: raise the goal first, or untick “stop at goal”."
    ),
}


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
        except ReopenRefused as refused:
            # The campaign changed since the form was checked.
            form.add_error(None, REOPEN_REFUSALS[refused.code])
        else:
            messages.success(request, _("The collection is open again."))
            return _back_to_desk()
    status = 400 if form.is_bound else 200
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
