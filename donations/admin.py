"""Pledges in the admin: find one by reference code, record the money that
arrived, cancel it, or record a gift that came without a reference.

Every change goes through donations.pledging, which keeps the totals exact; the
change form itself edits only the team's note and whether the message is shown.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.admin import TeamCampaignFilter
from campaigns.permissions import campaigns_where, can, is_in_any_team
from donations.forms import CancelForm, GiftForm, ReceiveForm
from donations.models import Pledge, normalize_reference
from donations.pledging import (
    PledgeStateError,
    gift_record,
    pledge_cancel,
    pledge_receive,
    pledge_set_message_hidden,
)

MONEY_AND_STATE = (
    "campaign",
    "line",
    "kind",
    "amount",
    "status",
    "received_amount",
    "reference",
    "received_at",
    "received_by",
    "cancelled_at",
    "cancelled_by",
    "cancel_reason",
    "created_at",
)


class TeamOnly:
    """Pledges reach only the teams of their campaign (campaigns.permissions):
    organizers and volunteers see and confirm them; only organizers see donors'
    emails and hide messages. Superusers reach every campaign."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_in_any_team(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return is_in_any_team(request.user) and super().has_view_permission(request)
        return can(request.user, "view_pledges", obj.campaign_id)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return is_in_any_team(request.user) and super().has_change_permission(
                request
            )
        return can(request.user, "receive", obj.campaign_id)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pledges come from donors; gifts from "Record a gift"

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the totals and the record depend on every pledge


@admin.register(Pledge)
class PledgeAdmin(TeamOnly, admin.ModelAdmin):
    list_display = (
        "reference",
        "campaign",
        "amount",
        "status",
        "received_amount",
        "line",
        "kind",
        "created_at",
    )
    list_filter = ("status", "kind", TeamCampaignFilter)
    list_select_related = ("campaign", "line")
    search_fields = ("reference",)
    search_help_text = _("Reference code (any case, spaces and dashes ignored).")
    date_hierarchy = "created_at"
    # A filtered list would count every pledge a second time: "N results (Show all)".
    show_full_result_count = False
    actions = ["cancel_selected"]
    fields = (
        *MONEY_AND_STATE,
        "money_actions",
        "donor_name",
        "is_anonymous",
        "show_amount",
        "email",
        "message",
        "message_hidden",
        "note",
    )
    readonly_fields = (
        *MONEY_AND_STATE,
        "money_actions",
        "donor_name",
        "is_anonymous",
        "show_amount",
        "email",
        "message",
    )
    change_list_template = "admin/donations/pledge/change_list.html"

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            campaign__in=campaigns_where(request.user, "view_pledges").values("pk")
        )

    def get_fields(self, request: HttpRequest, obj=None):
        fields = super().get_fields(request, obj)
        if obj is not None and can(request.user, "see_emails", obj.campaign_id):
            return fields
        return [field for field in fields if field != "email"]

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is None or not can(request.user, "moderate", obj.campaign_id):
            readonly.append("message_hidden")
        return readonly

    def get_search_results(self, request, queryset, search_term):
        """Exact reference lookups, whatever case or separators were typed."""
        reference = normalize_reference(search_term)
        if not reference:
            return queryset, False
        return queryset.filter(reference=reference), False

    @admin.display(description=_("Money"))
    def money_actions(self, pledge: Pledge) -> str:
        if pledge.pk is None:
            return "-"
        receive = reverse("admin:donations_pledge_receive", args=[pledge.pk])
        if pledge.status != Pledge.Status.PENDING:
            return format_html(
                '<a class="button" href="{}">{}</a>',
                receive,
                _("Record money received"),
            )
        cancel = reverse("admin:donations_pledge_cancel", args=[pledge.pk])
        return format_html(
            '<a class="button" href="{}">{}</a> <a class="button" href="{}">{}</a>',
            receive,
            _("Mark received"),
            cancel,
            _("Cancel pledge"),
        )

    def save_model(self, request, obj: Pledge, form, change) -> None:
        # Only the note is saved directly; hiding a message changes the public
        # page, so it goes through its function (version bump, activity record).
        Pledge.objects.filter(pk=obj.pk).update(note=obj.note)
        if "message_hidden" in form.changed_data and can(
            request.user, "moderate", obj.campaign_id
        ):
            pledge_set_message_hidden(
                pledge=obj, hidden=obj.message_hidden, by=request.user
            )

    def get_urls(self):
        own = [
            path(
                "<int:pk>/receive/",
                self.admin_site.admin_view(self.receive_view),
                name="donations_pledge_receive",
            ),
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name="donations_pledge_cancel",
            ),
            path(
                "gift/",
                self.admin_site.admin_view(self.gift_view),
                name="donations_pledge_gift",
            ),
        ]
        return own + super().get_urls()

    # Pages -----------------------------------------------------------------

    def _page(self, request, title: str, form, *, pledge=None, **extra):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "pledge": pledge,
            **extra,
        }
        return TemplateResponse(
            request, "admin/donations/pledge/form_page.html", context
        )

    def _pledge_or_404(self, request: HttpRequest, pk: int, job: str) -> Pledge:
        # Another team's pledge does not exist for this user (404); their own
        # campaign's pledge without the right for this job is refused (403).
        pledge = get_object_or_404(
            self.get_queryset(request).with_campaign_and_line(), pk=pk
        )
        if not can(request.user, job, pledge.campaign_id):
            raise PermissionDenied
        return pledge

    def _back(self, pledge: Pledge) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:donations_pledge_change", args=[pledge.pk])
        )

    def receive_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        pledge = self._pledge_or_404(request, pk, "receive")
        if request.method == "POST":
            form = ReceiveForm(request.POST)
            if form.is_valid():
                pledge_receive(
                    pledge=pledge, amount=form.cleaned_data["amount"], by=request.user
                )
                messages.success(
                    request,
                    _("Pledge %(reference)s marked received.")
                    % {"reference": pledge.reference},
                )
                return self._back(pledge)
        else:
            initial = pledge.received_amount or pledge.amount
            form = ReceiveForm(initial={"amount": initial.amount})
        return self._page(
            request,
            _("Money received for %(reference)s") % {"reference": pledge.reference},
            form,
            pledge=pledge,
        )

    def cancel_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        pledge = self._pledge_or_404(request, pk, "cancel")
        if request.method == "POST":
            form = CancelForm(request.POST)
            if form.is_valid():
                try:
                    pledge_cancel(
                        pledge=pledge,
                        reason=form.cleaned_data["reason"],
                        by=request.user,
                    )
                except PledgeStateError:
                    messages.error(
                        request, _("Only a pending pledge can be cancelled.")
                    )
                else:
                    messages.success(
                        request,
                        _("Pledge %(reference)s cancelled.")
                        % {"reference": pledge.reference},
                    )
                return self._back(pledge)
        else:
            form = CancelForm()
        return self._page(
            request,
            _("Cancel pledge %(reference)s") % {"reference": pledge.reference},
            form,
            pledge=pledge,
        )

    def gift_view(self, request: HttpRequest) -> HttpResponse:
        campaigns = campaigns_where(request.user, "record_gift")
        if not campaigns.exists():
            raise PermissionDenied
        if request.method == "POST":
            form = GiftForm(request.POST, campaigns=campaigns)
            if form.is_valid():
                gift = gift_record(
                    campaign=form.cleaned_data["campaign"],
                    amount=form.cleaned_data["amount"],
                    line=form.cleaned_data["line"],
                    note=form.cleaned_data["note"],
                    by=request.user,
                )
                messages.success(
                    request,
                    _("Gift recorded as %(reference)s.")
                    % {"reference": gift.reference},
                )
                return self._back(gift)
        else:
            form = GiftForm(
                initial={"campaign": request.GET.get("campaign")}, campaigns=campaigns
            )
        return self._page(request, _("Record a gift received directly"), form)

    @admin.action(description=_("Cancel the selected pending pledges…"))
    def cancel_selected(self, request: HttpRequest, queryset) -> HttpResponse | None:
        pending = queryset.filter(status=Pledge.Status.PENDING)
        if "apply" in request.POST:
            form = CancelForm(request.POST)
            if form.is_valid():
                count = 0
                for pledge in pending:
                    if not can(request.user, "cancel", pledge.campaign_id):
                        continue
                    try:
                        pledge_cancel(
                            pledge=pledge,
                            reason=form.cleaned_data["reason"],
                            by=request.user,
                        )
                        count += 1
                    except PledgeStateError:
                        pass  # changed since the list was shown
                messages.success(
                    request, _("%(count)d pledges cancelled.") % {"count": count}
                )
                return None
        else:
            form = CancelForm()
        return self._page(
            request,
            _("Cancel pending pledges"),
            form,
            selected=list(pending),
            action="cancel_selected",
            action_checkbox_name=admin.helpers.ACTION_CHECKBOX_NAME,
        )
