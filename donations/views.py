"""The pledge form page, the thank-you page and its EPC QR code.

Status codes: bad input answers 400; a campaign that stopped accepting (goal
reached, deadline passed, closed) answers 409 Conflict with its state, since the
state can change back (cancelled promises reopen a campaign under its goal).
Either way nothing is stored.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils import timezone, translation
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_safe

from campaigns.models import Campaign
from donations.forms import PledgeForm, TokenForm
from donations.models import Pledge
from donations.payment import epc_qr_svg, payment_details
from donations.pledging import (
    AmountRefused,
    CampaignNotAccepting,
    LineRefused,
    pledge_create,
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


def _pledge_for_token(campaign: Campaign, data) -> Pledge | None:
    form = TokenForm(data)
    if not form.is_valid():
        return None
    return Pledge.objects.filter(
        campaign=campaign, submission_token=form.cleaned_data["token"]
    ).first()


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
    campaign = get_object_or_404(
        Campaign.objects.published().prefetch_related("lines"), slug=slug
    )
    now = timezone.now()
    if request.method != "POST":
        if not campaign.is_accepting_pledges(now):
            return _render_form(request, campaign, None)
        form = PledgeForm(campaign=campaign, coverage=campaign.coverage())
        return _render_form(request, campaign, form)

    # A pledge already made with this form (double click, back and resubmit,
    # a retry after a timeout): show it, create nothing.
    existing = _pledge_for_token(campaign, request.POST)
    if existing is not None:
        return _see_other(existing)
    if not campaign.is_accepting_pledges(now):
        return _render_form(request, campaign, None, status=NOT_ACCEPTING)

    form = PledgeForm(request.POST, campaign=campaign, coverage=campaign.coverage())
    if not form.is_valid():
        return _render_form(request, campaign, form, status=BAD_INPUT)
    try:
        new_pledge = pledge_create(
            campaign=campaign,
            line=form.cleaned_data["line"],
            amount=form.cleaned_data["pledge_amount"],
            donor=form.donor(language=translation.get_language() or ""),
            submission_token=form.cleaned_data["token"],
        )
    except CampaignNotAccepting:
        # Another donor's pledge crossed the goal, or the deadline passed, while
        # this form was being filled in: show the state as it is now.
        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        return _render_form(request, campaign, None, status=NOT_ACCEPTING)
    except LineRefused as refusal:
        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        form = PledgeForm(request.POST, campaign=campaign, coverage=campaign.coverage())
        form.is_valid()
        if "line" not in form.errors:  # pragma: no cover - covered between reads
            form.add_error("line", form.fields["line"].error_messages["invalid_choice"])
        status = NOT_ACCEPTING if refusal.code == "covered" else BAD_INPUT
        return _render_form(request, campaign, form, status=status)
    except AmountRefused:  # pragma: no cover - the form checks the same limits
        form.add_error("other_amount", form.fields["amount"].error_messages["invalid"])
        return _render_form(request, campaign, form, status=BAD_INPUT)
    return _see_other(new_pledge)


def _pledge_by_key(access_key: str) -> Pledge:
    return get_object_or_404(
        Pledge.objects.select_related("campaign", "line"), access_key=access_key
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
