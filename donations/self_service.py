"""What a donor does without an account, from the pages only they have the
address of: their thank-you page ("I've sent the transfer", "Cancel my
pledge"), the "stop emails" link of every email, and, from the campaign page,
"Email me my pledge's page again".

Every change is a POST through a form, with CSRF; a GET only shows (mail
scanners and link previews open links). A wrong key or token is a 404, as for
the thank-you page. The pledge-link form answers the same whether or not the
address pledged, and is rate-limited per client address and per email.
"""

from __future__ import annotations

import time
from contextlib import suppress

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from campaigns.models import Campaign
from config.security import client_address
from donations.donor_forms import (
    DonorCancelForm,
    PledgeLinkForm,
    StopEmailsForm,
    TransferSentForm,
)
from donations.models import Outbox, Pledge, reference_for_stop_token
from donations.pledging import (
    DONOR_CANCELLED,
    PledgeRefused,
    pledge_cancel,
    pledge_stop_emails,
    pledge_transfer_sent,
)
from donations.ratelimit import TOO_MANY, Limit, Rate, hit_each

# "Email me my pledge's page again": posts per client address, and emails per
# address asked for (beyond it nothing is sent, and the answer is the same).
LINK_RATE_PER_ADDRESS = Rate(10, 3600)
LINK_RATE_PER_EMAIL = Rate(3, 3600)
LINK_PER_ADDRESS = "pledge-link-address"
LINK_PER_EMAIL = "pledge-link-email"
BAD_INPUT = 400


def _see_other(url: str) -> HttpResponse:
    response = HttpResponseRedirect(url)
    response.status_code = 303
    return response


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _donors_pledge(access_key: str) -> Pledge:
    """The pledge whose thank-you page this is (gifts have none to act on)."""
    return get_object_or_404(
        Pledge.objects.with_campaign_and_line(),
        access_key=access_key,
        kind=Pledge.Kind.PLEDGE,
    )


@require_POST
@csrf_protect
def transfer_sent(request: HttpRequest, access_key: str) -> HttpResponse:
    """ "I've sent the transfer": dated on the pledge, it waits longer."""
    pledge = _donors_pledge(access_key)
    if TransferSentForm(request.POST).is_valid():
        # Received or cancelled meanwhile: the page says which.
        with suppress(PledgeRefused):
            pledge_transfer_sent(pledge=pledge)
    return _see_other(pledge.thanks_path())


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def cancel(request: HttpRequest, access_key: str) -> HttpResponse:
    """ "Cancel my pledge": a page that asks, and the POST that cancels (a
    pending pledge only; also when the campaign has closed)."""
    pledge = _donors_pledge(access_key)
    if pledge.status != Pledge.Status.PENDING:
        return _see_other(pledge.thanks_path())
    if request.method == "POST":
        if DonorCancelForm(request.POST).is_valid():
            # Received meanwhile: the page says so.
            with suppress(PledgeRefused):
                pledge_cancel(pledge=pledge, reason=DONOR_CANCELLED, by=None)
        return _see_other(pledge.thanks_path())
    return _private(
        render(
            request,
            "donations/cancel_pledge.html",
            {"pledge": pledge, "campaign": pledge.campaign, "form": DonorCancelForm()},
        )
    )


@require_http_methods(["GET", "HEAD", "POST"])
@csrf_protect
@never_cache
def stop_emails(request: HttpRequest, token: str) -> HttpResponse:
    """The "stop emails" link: GET asks, POST stops every later email about
    this pledge."""
    reference = reference_for_stop_token(token)
    pledge = get_object_or_404(
        Pledge.objects.select_related("campaign"), reference=reference or ""
    )
    if request.method == "POST" and StopEmailsForm(request.POST).is_valid():
        pledge_stop_emails(pledge=pledge)
        return _see_other(request.path)
    return _private(
        render(
            request,
            "donations/stop_emails.html",
            {"pledge": pledge, "campaign": pledge.campaign, "form": StopEmailsForm()},
        )
    )


@require_http_methods(["GET", "HEAD", "POST"])
@sensitive_post_parameters("email")
@csrf_protect
@never_cache
def pledge_link(request: HttpRequest, slug: str) -> HttpResponse:
    """ "Email me my pledge's page again": the email of the newest pledge this
    address made to the campaign goes through the outbox. The answer is the
    same whether or not it pledged."""
    campaign = get_object_or_404(Campaign.objects.published(), slug=slug)
    form = PledgeLinkForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST":
        now = time.time()
        refusal = hit_each(
            [Limit(LINK_PER_ADDRESS, client_address(request), LINK_RATE_PER_ADDRESS)],
            now,
        )
        if refusal is not None:
            response = _link_page(request, campaign, form, status=TOO_MANY)
            response["Retry-After"] = str(refusal.retry_after)
            return response
        if form.is_valid():
            email = form.cleaned_data["email"]
            if (
                hit_each(
                    [Limit(LINK_PER_EMAIL, email.lower(), LINK_RATE_PER_EMAIL)], now
                )
                is None
            ):
                _queue_pledge_link(campaign, email)
            return _see_other(reverse("donations:pledge_link", args=[slug]) + "?sent=1")
        status = BAD_INPUT
    sent = request.method != "POST" and request.GET.get("sent") == "1"
    return _link_page(request, campaign, form, status=status, sent=sent)


def _link_page(request, campaign, form, *, status: int, sent: bool = False):
    return _private(
        render(
            request,
            "donations/pledge_link.html",
            {"campaign": campaign, "form": form, "sent": sent},
            status=status,
        )
    )


def _queue_pledge_link(campaign: Campaign, email: str) -> None:
    newest = (
        Pledge.objects.filter(
            campaign=campaign, kind=Pledge.Kind.PLEDGE, email__iexact=email
        )
        .order_by("-created_at", "-pk")
        .values("pk")[:1]
    )
    Outbox.objects.queue_for(
        Pledge.objects.filter(pk__in=newest),
        Outbox.Kind.PLEDGE_LINK,
        now=timezone.now(),
    )
