"""The admin where organizers write campaigns: story, lines, photos, payment."""

from __future__ import annotations

from django.contrib import admin
from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from campaigns import photos
from campaigns.forms import (
    BudgetLineForm,
    BudgetLineFormSet,
    CampaignForm,
    PhotoForm,
    PhotoFormSet,
)
from campaigns.markdown import render_story
from campaigns.models import BudgetLine, Campaign, Photo


class OpenClosedFilter(admin.SimpleListFilter):
    title = _("collection")
    parameter_name = "collection"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("closed", _("Closed"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        closed = Q(closed_at__isnull=False) | Q(deadline__lte=timezone.now())
        if self.value() == "open":
            return queryset.exclude(closed)
        if self.value() == "closed":
            return queryset.filter(closed)
        return queryset


class BudgetLineInline(admin.TabularInline):
    model = BudgetLine
    form = BudgetLineForm
    formset = BudgetLineFormSet
    fields = ("position", "label", "target", "note")
    ordering = ("position", "id")
    extra = 1
    verbose_name_plural = _(
        "How much is needed (lines are covered in the order of their position)"
    )


class PhotoInline(admin.StackedInline):
    model = Photo
    form = PhotoForm
    formset = PhotoFormSet
    fields = ("preview", "upload", "alt_text", "is_cover", "position")
    readonly_fields = ("preview",)
    ordering = ("position", "id")
    extra = 1

    @admin.display(description=_("preview"))
    def preview(self, photo: Photo) -> str:
        if not photo.pk or not photo.image:
            return "—"
        smallest = photo.variants[0] if photo.variants else None
        url = photos.default_storage.url(smallest["name"]) if smallest else ""
        return format_html(
            '<img src="{}" alt="{}" width="160" class="zbor-thumb"><br>'
            "{} <code>![{}](photo:{})</code>",
            url or photo.image.url,
            photo.alt_text,
            _("In the story, write:"),
            photo.alt_text,
            photo.pk,
        )


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignForm
    inlines = [BudgetLineInline, PhotoInline]
    list_display = ("title", "beneficiary_name", "state_display", "published")
    list_filter = (OpenClosedFilter, "published", "currency")
    search_fields = ("title", "slug", "beneficiary_name")
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = (
        "story_preview",
        "collected",
        "promised",
        "supporters",
        "closed_at",
        "closed_reason",
        "created_at",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "title",
                    "slug",
                    "beneficiary_name",
                    ("city", "country"),
                    "summary",
                    "published",
                    "noindex",
                )
            },
        ),
        (_("Story"), {"fields": ("story", "story_preview")}),
        (
            _("Collection"),
            {
                "fields": (
                    "currency",
                    "deadline",
                    "stop_at_goal",
                    "pledge_expiry_days",
                    "max_pledge",
                )
            },
        ),
        (
            _("Payment details shown to donors"),
            {
                "fields": (
                    "account_holder",
                    "iban",
                    "bic",
                    "bank_name",
                    "payment_other",
                )
            },
        ),
        (
            _("Totals (kept by the pledges)"),
            {
                "classes": ("collapse",),
                "fields": (
                    ("collected", "promised", "supporters"),
                    ("closed_at", "closed_reason"),
                    ("created_at", "updated_at"),
                ),
            },
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("lines")

    @admin.display(description=_("state"))
    def state_display(self, campaign: Campaign) -> str:
        return Campaign.State(campaign.state()).label

    @admin.display(description=_("story as donors see it"))
    def story_preview(self, campaign: Campaign) -> str:
        if not campaign.pk:
            return _("Save the campaign to see its story here.")
        return format_html(
            '<div class="zbor-story-preview">{}</div><p><a href="{}">{}</a></p>',
            render_story(campaign.story, campaign.photos.all()),
            reverse("admin:campaigns_campaign_preview", args=[campaign.pk]),
            _("Preview the whole page"),
        )

    # A page preview for staff, published or not, through the public template.
    def get_urls(self):
        preview = self.admin_site.admin_view(self.preview_view)
        return [
            path(
                "<int:object_id>/preview/",
                preview,
                name="campaigns_campaign_preview",
            )
        ] + super().get_urls()

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        from campaigns.views import render_campaign_page

        campaign = get_object_or_404(
            Campaign.objects.prefetch_related("lines", "photos"), pk=object_id
        )
        if not self.has_view_permission(request, campaign):
            raise admin.sites.PermissionDenied
        return render_campaign_page(request, campaign, preview=True)

    def save_formset(self, request, form, formset, change) -> None:
        super().save_formset(request, form, formset, change)
        if formset.model is Photo:
            # Files of replaced or deleted photos go once the change is committed.
            unused = [
                name
                for photo_form in formset.forms
                for name in getattr(photo_form, "replaced_files", [])
            ]
            unused += [
                v["name"] for photo in formset.deleted_objects for v in photo.variants
            ]
            if unused:
                transaction.on_commit(lambda: photos.delete_files(unused))

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        campaign = form.instance
        # A line is always in its campaign's currency, even when it was not edited.
        campaign.lines.exclude(target_currency=campaign.currency).update(
            target_currency=campaign.currency, earmarked_currency=campaign.currency
        )
