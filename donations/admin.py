"""Pledges in the admin: a read-only list and page for each pledge, each with
a link to its card on the desk.

The desk (donations/views.py) is the one interface for every job done with
money: receiving, correcting, undoing, cancelling, gifts, notes and hiding
messages. The admin changes nothing here, so no second form can move money.
"""

from __future__ import annotations

import functools

from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from modeltranslation.utils import build_localized_fieldname

from campaigns import photos
from campaigns.admin import DeclaredLookupsOnly, TeamCampaignFilter
from campaigns.admin_lists import BoundedCountPaginator, RecentFilter
from campaigns.models import BudgetLine
from campaigns.permissions import ORGANIZER, campaigns_where, can, is_in_any_team
from campaigns.translation import other_languages
from donations.forms import SpendingForm, UpdateForm
from donations.models import Pledge, Spending, Update, normalize_reference
from donations.updates import (
    spending_delete,
    spending_save,
    update_delete,
    update_save,
)

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
    "transfer_sent_at",
    "created_at",
)
DONOR = (
    "donor_name",
    "is_anonymous",
    "show_amount",
    "email",
    "message",
    "message_hidden",
    "wants_updates",
    "emails_stopped_at",
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
    # Each filter is read through an index (Pledge.Meta.indexes), newest first;
    # no date hierarchy, which reads the date of every pledge for its links.
    list_filter = ("status", "kind", RecentFilter, TeamCampaignFilter)
    list_select_related = ("campaign", "line")
    search_fields = ("reference",)
    search_help_text = _("Reference code (any case, spaces and dashes ignored).")
    # Newest first, the order of the (-created_at, -id) index; sorting by
    # another column would sort every pledge.
    ordering = ("-created_at", "-id")
    sortable_by = ()
    # The count stays bounded however many pledges there are (campaigns.
    # admin_lists); a filtered list does not count every pledge a second time.
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count for every filter's choice
    actions = None
    fields = (*MONEY_AND_STATE, *DONOR)
    readonly_fields = fields
    change_list_template = "admin/donations/pledge/change_list.html"
    change_form_template = "admin/donations/pledge/change_form.html"

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        # The ids themselves, not a subquery: PostgreSQL then knows how many
        # pledges each campaign holds and reads a big one newest first by the
        # (-created_at, -id) index instead of sorting all of its pledges.
        reached = campaigns_where(request.user, "view_pledges")
        return queryset.filter(
            campaign_id__in=list(reached.values_list("pk", flat=True))
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


class CampaignJobAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """Rows of the campaigns on which the user may do `job` (organizers), and
    no others: every list, filter and direct URL goes through get_queryset.
    Saving and deleting go through donations/updates.py (page cache, emails)."""

    job = ""
    campaign_path = "campaign"
    actions = None

    def get_queryset(self, request: HttpRequest):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        return queryset.filter(
            **{
                f"{self.campaign_path}__in": campaigns_where(
                    request.user, self.job
                ).values("pk")
            }
        )

    def _campaign_id(self, obj) -> int:
        raise NotImplementedError

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_in_any_team(
            request.user, ORGANIZER
        ) and super().has_module_permission(request)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        if obj is None:
            return is_in_any_team(
                request.user, ORGANIZER
            ) and super().has_view_permission(request)
        return can(request.user, self.job, self._campaign_id(obj))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_in_any_team(request.user, ORGANIZER) and super().has_add_permission(
            request
        )

    has_change_permission = has_view_permission
    has_delete_permission = has_view_permission

    def _delete_files_on_commit(self, names: list[str]) -> None:
        if names:
            transaction.on_commit(lambda: photos.delete_files(names))


@admin.register(Update)
class UpdateAdmin(CampaignJobAdmin):
    form = UpdateForm
    job = "post_updates"
    list_display = ("title", "campaign", "published", "published_at")
    list_filter = (TeamCampaignFilter, "published")
    list_select_related = ("campaign",)
    search_fields = ("title",)
    readonly_fields = ("preview",)

    def get_fieldsets(self, request, obj=None):
        return (
            (
                None,
                {
                    "fields": (
                        "campaign",
                        "title",
                        "body",
                        ("published", "published_at"),
                        "preview",
                        "upload",
                        "alt_text",
                    ),
                    "description": _(
                        "Shown on the campaign page, newest first. When first "
                        "published it is emailed to the donors who asked for "
                        "the team's updates. The date is today's unless you "
                        "give one."
                    ),
                },
            ),
            *(
                (
                    name,
                    {
                        "classes": ("collapse",),
                        "fields": tuple(
                            build_localized_fieldname(field, code)
                            for field in ("title", "body")
                        ),
                    },
                )
                for code, name in other_languages()
            ),
        )

    def _campaign_id(self, obj: Update) -> int:
        return obj.campaign_id

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "campaign":
            kwargs["queryset"] = campaigns_where(request.user, self.job)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("photo"))
    def preview(self, update: Update) -> str:
        if not update.image:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="160" class="zbor-thumb">',
            photos.smallest_url(update),
            update.alt_text,
        )

    def save_model(self, request, obj: Update, form, change) -> None:
        queued = update_save(update=obj)
        self._delete_files_on_commit(form.replaced_files)
        if queued:
            self.message_user(
                request,
                ngettext(
                    "Emailed to %(count)d donor who asked for updates.",
                    "Emailed to %(count)d donors who asked for updates.",
                    queued,
                )
                % {"count": queued},
            )

    def delete_model(self, request, obj: Update) -> None:
        files = [v["name"] for v in obj.variants]
        update_delete(update=obj)
        self._delete_files_on_commit(files)


class SpendingCampaignFilter(TeamCampaignFilter):
    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        if not (value.isascii() and value.isdigit()) or int(value) > self.max_id:
            return queryset.none()
        return queryset.filter(line__campaign_id=int(value))


@admin.register(Spending)
class SpendingAdmin(CampaignJobAdmin):
    """What was spent, per budget line: the page shows it next to each line's
    target and the money received for it."""

    form = SpendingForm
    job = "record_spending"
    campaign_path = "line__campaign"
    # The note is public (what the money paid for), but "note" is the team's
    # private field on a pledge: the list names it apart (test_admin_walk).
    list_display = ("spent_on", "campaign", "line_label", "amount", "paid_for")
    list_filter = (SpendingCampaignFilter,)
    list_select_related = ("line__campaign",)
    fields = ("line", "spent_on", "spent", "note", "upload", "receipt")
    readonly_fields = ("receipt",)
    date_hierarchy = "spent_on"

    def _campaign_id(self, obj: Spending) -> int:
        return obj.line.campaign_id

    @admin.display(description=_("what it paid for"))
    def paid_for(self, obj: Spending) -> str:
        return obj.note

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        lines = (
            BudgetLine.objects.filter(
                campaign__in=campaigns_where(request.user, self.job).values("pk")
            )
            .select_related("campaign")
            .order_by("campaign__title", "position", "pk")
        )
        return functools.partial(form, lines=lines)

    @admin.display(description=_("campaign"))
    def campaign(self, spending: Spending) -> str:
        return spending.line.campaign.title

    @admin.display(description=_("budget line"))
    def line_label(self, spending: Spending) -> str:
        return spending.line.label

    @admin.display(description=_("receipt photo"))
    def receipt(self, spending: Spending) -> str:
        if not spending.image:
            return "—"
        return format_html(
            '<a href="{}">{}</a>', spending.image.url, _("Open the receipt photo")
        )

    def save_model(self, request, obj: Spending, form, change) -> None:
        spending_save(spending=obj)
        self._delete_files_on_commit(form.replaced_files)

    def delete_model(self, request, obj: Spending) -> None:
        files = [v["name"] for v in obj.variants]
        spending_delete(spending=obj)
        self._delete_files_on_commit(files)
