"""Pledges in the admin: a read-only list and page for each pledge, each with
a link to its card on the desk.

The desk (donations/views.py) is the one interface for every job done with
money: receiving, correcting, undoing, cancelling, gifts, notes and hiding
messages. The admin changes nothing here, so no second form can move money.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns.admin import DeclaredLookupsOnly, TeamCampaignFilter
from campaigns.permissions import campaigns_where, can, is_in_any_team
from donations.models import Pledge, normalize_reference

MONEY_AND_STATE = (
    "desk_card",
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
DONOR = (
    "donor_name",
    "is_anonymous",
    "show_amount",
    "email",
    "message",
    "message_hidden",
    "note",
)


class TeamOnly:
    """Pledges reach only the teams of their campaign (campaigns.permissions):
    organizers and volunteers see them; only organizers see donors' emails.
    Superusers reach every campaign. Nobody adds, changes or deletes a pledge
    here: that is the desk's work."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_in_any_team(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return is_in_any_team(request.user) and super().has_view_permission(request)
        return can(request.user, "view_pledges", obj.campaign_id)

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the desk changes pledges

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # pledges come from donors; gifts from the desk

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the totals and the record depend on every pledge


@admin.register(Pledge)
class PledgeAdmin(DeclaredLookupsOnly, TeamOnly, admin.ModelAdmin):
    list_display = (
        "reference",
        "campaign",
        "amount",
        "status",
        "received_amount",
        "line",
        "kind",
        "created_at",
        "desk_link",
    )
    list_filter = ("status", "kind", TeamCampaignFilter)
    list_select_related = ("campaign", "line")
    search_fields = ("reference",)
    search_help_text = _("Reference code (any case, spaces and dashes ignored).")
    date_hierarchy = "created_at"
    # A filtered list would count every pledge a second time: "N results (Show all)".
    show_full_result_count = False
    actions = None
    fields = (*MONEY_AND_STATE, *DONOR)
    readonly_fields = fields
    change_list_template = "admin/donations/pledge/change_list.html"
    change_form_template = "admin/donations/pledge/change_form.html"

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            campaign__in=campaigns_where(request.user, "view_pledges").values("pk")
        )

    def get_fields(self, request: HttpRequest, obj=None):
        """Who may not see donors' emails (volunteers) sees neither the email
        nor the name an anonymous donor left (older pledges kept one)."""
        fields = super().get_fields(request, obj)
        if obj is not None and can(request.user, "see_emails", obj.campaign_id):
            return fields
        hidden = {"email", "donor_name"} if obj and obj.is_anonymous else {"email"}
        return [field for field in fields if field not in hidden]

    def get_search_results(self, request, queryset, search_term):
        """Exact reference lookups, whatever case or separators were typed."""
        reference = normalize_reference(search_term)
        if not reference:
            return queryset, False
        return queryset.filter(reference=reference), False

    @admin.display(description=_("Desk"))
    def desk_link(self, pledge: Pledge) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            reverse("donations:desk_pledge", args=[pledge.reference]),
            _("Open on the desk"),
        )

    @admin.display(description=_("Money"))
    def desk_card(self, pledge: Pledge) -> str:
        return format_html(
            '<a class="button" href="{}">{}</a> <span class="help">{}</span>',
            reverse("donations:desk_pledge", args=[pledge.reference]),
            _("Open on the desk"),
            _("Receiving, corrections, cancelling and notes are done on the desk."),
        )
