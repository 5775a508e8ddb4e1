"""The admin where organizers write campaigns: story, lines, photos, payment."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied
from django.db import transaction
from django.db.models import BooleanField, QuerySet
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
)
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.csp import CSP
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from campaigns import photos
from campaigns.admin_lists import BoundedCountPaginator, RecentFilter
from campaigns.forms import (
    BudgetLineForm,
    BudgetLineFormSet,
    CampaignForm,
    PhotoForm,
    PhotoFormSet,
    StoryPreviewForm,
)
from campaigns.models import Activity, BudgetLine, Campaign, Photo, TeamMember
from campaigns.permissions import (
    ORGANIZER,
    campaigns_for,
    campaigns_where,
    can,
    forget_roles,
    is_in_any_team,
)
from campaigns.team import (
    TeamMemberFormSet,
    record_campaign_changes,
    record_team_change,
)
from campaigns.translation import (
    budget_line_translation_fields,
    campaign_translation_fieldsets,
)


class DeclaredLookupsOnly:
    """Least privilege in a list's query string: it takes the parameters of the
    filters declared in list_filter (for this user: get_list_filter) and of the
    date hierarchy, with values those filters offer, and nothing else.

    Django allows any lookup on a local field (`?email__startswith=a`), which
    rebuilds hidden values one character at a time. Here every other parameter,
    lookups through relations too, raises DisallowedModelAdminLookup, which the
    admin answers with 400. Search (`?q=`) goes through get_search_results and
    ordering (`?o=`) only through list_display's columns, by position.

    A field named in list_filter must be a choices or boolean field: those are
    the filters whose parameters are known here (field_filter_values).
    """

    DATE_PARTS = {"year": 4, "month": 2, "day": 2}  # digits each may have

    def lookup_allowed(self, lookup: str, value: str, request: HttpRequest) -> bool:
        accepts = self.declared_lookups(request).get(lookup)
        return accepts is not None and accepts(value)

    def declared_lookups(self, request: HttpRequest) -> dict[str, Callable]:
        """Parameter -> whether it takes this value."""
        allowed: dict[str, Callable] = {}
        for item in self.get_list_filter(request):
            if isinstance(item, type) and issubclass(item, admin.SimpleListFilter):
                # Its queryset() reads the value and ignores one it did not offer.
                allowed[item.parameter_name] = lambda value: True
                continue
            name = item[0] if isinstance(item, (list, tuple)) else item
            field = self.model._meta.get_field(name)
            for parameter, values in field_filter_values(field, name).items():
                allowed[parameter] = values.__contains__
        if self.date_hierarchy:
            # Short ASCII numbers only: a year of 11 digits overflowed (a 500).
            for part, digits in self.DATE_PARTS.items():
                allowed[f"{self.date_hierarchy}__{part}"] = (
                    lambda value, digits=digits: (
                        value.isascii() and value.isdigit() and len(value) <= digits
                    )
                )
        return allowed


def field_filter_values(field, name: str) -> dict[str, set[str]]:
    """The parameters Django's filter for a choices or boolean field sends,
    with the values its links carry."""
    if isinstance(field, BooleanField):
        values = {"0", "1"}
    elif field.choices:
        values = {str(value) for value, _label in field.flatchoices}
    else:
        raise ImproperlyConfigured(
            f"List filter {name!r}: only choices and boolean fields are declared."
        )
    allowed = {f"{name}__exact": values}
    if field.null:
        allowed[f"{name}__isnull"] = {"True", "False"}
    return allowed


class OpenClosedFilter(admin.SimpleListFilter):
    title = _("collection")
    parameter_name = "collection"

    def lookups(self, request, model_admin):
        return [("open", _("Open")), ("closed", _("Closed"))]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.open()
        if self.value() == "closed":
            return queryset.closed()
        return queryset


class TeamCampaignFilter(admin.SimpleListFilter):
    """Filter by campaign, offering only the campaigns the user reaches."""

    title = _("campaign")
    parameter_name = "campaign"
    # The largest id a database holds (a signed 64-bit integer).
    max_id = 2**63 - 1

    def lookups(self, request, model_admin):
        return [
            (str(pk), title)
            for pk, title in campaigns_for(request.user).values_list("pk", "title")
        ]

    def queryset(self, request, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if not value:
            return queryset
        # Only ASCII digits that fit an id name a campaign: int("²") raises, and
        # SQLite cannot bind 10**22 (OverflowError); both were a 500.
        if not (value.isascii() and value.isdigit()) or int(value) > self.max_id:
            return queryset.none()
        return queryset.filter(campaign_id=int(value))


class CampaignPartInline:
    """An inline on the campaign page that only the campaign's organizers change
    (`job` names what it needs in campaigns.permissions.JOBS); its other team
    members may see it if their group lets them."""

    job = "edit"

    def has_view_permission(self, request, obj=None) -> bool:
        return super().has_view_permission(request, obj) and (
            obj is None or can(request.user, "view", obj)
        )

    def has_add_permission(self, request, obj=None) -> bool:
        return super().has_add_permission(request, obj) and (
            obj is None or can(request.user, self.job, obj)
        )

    def has_change_permission(self, request, obj=None) -> bool:
        return super().has_change_permission(request, obj) and (
            obj is None or can(request.user, self.job, obj)
        )

    def has_delete_permission(self, request, obj=None) -> bool:
        return super().has_delete_permission(request, obj) and (
            obj is None or can(request.user, self.job, obj)
        )


class BudgetLineInline(CampaignPartInline, admin.TabularInline):
    """The lines, compact: position (with up and down buttons where JavaScript
    runs), label, target and note in view; the other languages' label and note
    folded into one cell (templates/admin/campaigns/budget_lines.html)."""

    model = BudgetLine
    form = BudgetLineForm
    formset = BudgetLineFormSet
    template = "admin/campaigns/budget_lines.html"
    fields = ("position", "label", "target", "note", *budget_line_translation_fields())
    folded_fields = budget_line_translation_fields()
    ordering = ("position", "id")
    extra = 1
    job = "edit_lines"
    follows = "needs"
    verbose_name_plural = _("Budget lines")


class PhotoInline(CampaignPartInline, admin.StackedInline):
    model = Photo
    form = PhotoForm
    formset = PhotoFormSet
    fields = ("preview", "upload", "pending", "alt_text", "is_cover", "position")
    readonly_fields = ("preview",)
    ordering = ("position", "id")
    extra = 1
    follows = "story"

    @admin.display(description=_("preview"))
    def preview(self, photo: Photo) -> str:
        if not photo.pk or not photo.image:
            return _("The photo gets its number once the campaign is saved.")
        return format_html(
            '<img src="{}" alt="{}" width="160" class="zbor-thumb"><br>'
            "<strong>{}</strong> {} <code>{}</code>",
            photos.smallest_url(photo),
            photo.alt_text,
            _("Photo %(number)s.") % {"number": photo.number},
            _("In the story, write:"),
            photo.story_code,
        )


class TeamMemberInline(CampaignPartInline, admin.TabularInline):
    model = TeamMember
    formset = TeamMemberFormSet
    fields = ("user", "role")
    extra = 1
    job = "change_team"
    follows = "contact"
    verbose_name_plural = _("Team (staff users; organizers edit, volunteers confirm)")

    def has_view_permission(self, request, obj=None) -> bool:
        # Only those who may change the team see who is in it.
        return self.has_change_permission(request, obj)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = (
                get_user_model()
                .objects.filter(is_staff=True, is_active=True)
                .order_by("username")
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Campaign)
class CampaignAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    form = CampaignForm
    inlines = [BudgetLineInline, PhotoInline, TeamMemberInline]
    change_form_template = "admin/campaigns/campaign/team_change_form.html"
    list_display = ("title", "beneficiary_name", "state_display", "published")
    list_filter = (OpenClosedFilter, "published", "currency")
    # Every language's title: a plain "title" would search only the admin's
    # current language (modeltranslation rewrites the lookup).
    search_fields = (
        *(f"title_{code}" for code, _name in settings.LANGUAGES),
        "slug",
        "beneficiary_name",
    )
    prepopulated_fields = {"slug": ("title",)}
    readonly_fields = (
        "story_photos",
        "story_preview",
        "collected",
        "promised",
        "supporters",
        "closed_at",
        "closed_reason",
        "created_at",
        "updated_at",
    )
    # Top to bottom in the order an organizer thinks: who and where, the story
    # and its photos, what is needed, how to pay, the collection's rules, who
    # runs it and the team, publishing. Each inline names the section it
    # follows ("follows", matched against a fieldset's first class).
    fieldsets = (
        (
            _("Who and where"),
            {
                "classes": ("who",),
                "fields": (
                    "title",
                    "slug",
                    "beneficiary_name",
                    ("city", "country"),
                    "summary",
                ),
            },
        ),
        (
            _("Story"),
            {
                "classes": ("story",),
                "fields": ("story", "story_photos", "story_preview"),
            },
        ),
        (
            _("What is needed"),
            {
                "classes": ("needs",),
                "description": _(
                    "One line per thing needed, with its amount. Lines are covered "
                    "from the top; the goal is their sum. Leave the position empty "
                    "to keep the order you type them in, or move a line with ↑ ↓."
                ),
                "fields": ("currency",),
            },
        ),
        (
            _("Payment details shown to donors"),
            {
                "classes": ("payment",),
                "fields": (
                    "account_holder",
                    "iban",
                    "bic",
                    "bank_name",
                    "payment_other",
                ),
            },
        ),
        (
            _("Collection"),
            {
                "classes": ("collection",),
                "fields": ("deadline", "stop_at_goal", "over_goal_rule"),
            },
        ),
        (
            _("Pledges: largest amount, expiry and reminders"),
            {
                "classes": ("pledges", "collapse"),
                "description": _("The usual values suit most collections."),
                "fields": (
                    "max_pledge",
                    "pledge_expiry_days",
                    "reminder_days",
                    "transfer_sent_days",
                ),
            },
        ),
        (
            _("Who runs this collection"),
            {
                "classes": ("contact",),
                "description": _(
                    "Shown to donors on the page, the thank-you page and the "
                    "poster, so they know whom to ask. Give at least one contact."
                ),
                "fields": (
                    "organizer_name",
                    ("contact_email", "contact_phone"),
                    ("contact_telegram", "contact_signal"),
                    ("attested_by", "attested_on"),
                    "attestation_url",
                ),
            },
        ),
        (
            _("Publishing"),
            {
                "classes": ("publishing",),
                "description": _(
                    "Use “Preview” at the top of the page to see the page as donors "
                    "will, before you publish it."
                ),
                "fields": ("published", "noindex"),
            },
        ),
        *campaign_translation_fieldsets(),
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

    class Media:
        css = {"all": ("css/admin-campaign.css",)}
        js = ("js/admin-campaign.js",)

    # Least privilege: every list, search, filter, autocomplete and direct URL
    # goes through get_queryset, which holds only the user's campaigns (a
    # campaign outside it "doesn't exist" for them).
    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request).prefetch_related("lines")
        if request.user.is_superuser:
            return queryset
        return queryset.filter(pk__in=campaigns_for(request.user).values("pk"))

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is None:
            return is_in_any_team(request.user) and super().has_view_permission(request)
        return can(request.user, "view", obj) or can(request.user, "edit", obj)

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is None:
            return is_in_any_team(request.user, ORGANIZER) and (
                super().has_change_permission(request)
            )
        return can(request.user, "edit", obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Organizers' group has no delete permission: only superusers delete.
        return super().has_delete_permission(request, obj) and (
            obj is None or can(request.user, "edit", obj)
        )

    def save_model(self, request, obj: Campaign, form, change) -> None:
        super().save_model(request, obj, form, change)
        if not change:
            # Whoever creates a campaign is its first organizer.
            member, _created = TeamMember.objects.get_or_create(
                campaign=obj, user=request.user, defaults={"role": ORGANIZER}
            )
            record_team_change(obj, by=request.user, added=[member])
            forget_roles(request.user)

    def render_change_form(self, request, context, *args, obj=None, **kwargs):
        if obj is not None and obj.pk:
            context["team_links"] = team_links(request.user, obj)
            context["preview_url"] = self.view_on_site(obj)
        context["sections"] = page_sections(
            context.get("adminform") or [], context.get("inline_admin_formsets", [])
        )
        context["kept_photos"] = kept_photos(context.get("inline_admin_formsets", []))
        return super().render_change_form(request, context, *args, obj=obj, **kwargs)

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if isinstance(inline, PhotoInline):
            # A photo chosen in a form sent back is kept for whoever chose it.
            kwargs["form_kwargs"] = {"uploader": request.user}
        return kwargs

    def get_inline_instances(self, request, obj=None):
        # The team is chosen once the campaign exists (its creator is already in).
        return [
            inline
            for inline in super().get_inline_instances(request, obj)
            if obj is not None or not isinstance(inline, TeamMemberInline)
        ]

    @admin.display(description=_("state"))
    def state_display(self, campaign: Campaign) -> str:
        return Campaign.State(campaign.state()).label

    @admin.display(description=_("photos for the story"))
    def story_photos(self, campaign: Campaign) -> str:
        """The gallery to pick from: each saved photo with its number and the
        code that shows it; with JavaScript, a button inserts that code at the
        cursor (static/js/admin-campaign.js), also for photos chosen below but
        not saved yet."""
        gallery = list(campaign.photos.all()) if campaign.pk else []
        items = format_html_join(
            "",
            '<li data-zbor-photo="{}"><img src="{}" alt="" width="96"> '
            "<span>{}</span> <code>{}</code> "
            '<button type="button" class="button" data-zbor-insert="{}" hidden>'
            "{}</button></li>",
            (
                (
                    photo.number,
                    photos.smallest_url(photo),
                    _("Photo %(number)s: %(alt)s")
                    % {"number": photo.number, "alt": photo.alt_text},
                    photo.story_code,
                    photo.story_code,
                    _("Insert in the story"),
                )
                for photo in gallery
            ),
        )
        next_number = max((photo.number for photo in gallery), default=0) + 1
        return format_html(
            '<div class="zbor-picker" data-zbor-next="{}" data-zbor-label="{}"'
            ' data-zbor-insert-label="{}"><p>{}</p><ul>{}</ul></div>',
            next_number,
            _("Photo %(number)s (not saved yet): %(alt)s"),
            _("Insert in the story"),
            _(
                "Add photos in the Photos section below: they are numbered 1, 2, "
                "3… in the order you add them, and a photo keeps its number when "
                "others are removed."
            ),
            items,
        )

    @admin.display(description=_("story as donors see it"))
    def story_preview(self, campaign: Campaign) -> str:
        """The story in a frame with the public stylesheet and template; with
        JavaScript, "Show my changes" sends the story being typed into it."""
        url = story_preview_url(campaign)
        return format_html(
            '<div class="zbor-story-preview" data-zbor-preview="{}"{}>'
            '<iframe name="zbor-story-frame" src="{}" title="{}">'
            "</iframe>"
            '<p><button type="button" class="button" data-zbor-refresh hidden>{}'
            "</button> {}</p></div>",
            url,
            # Not saved yet: the frame shows what is typed (admin-campaign.js).
            mark_safe(" data-zbor-unsaved") if not campaign.pk else "",  # noqa: S308
            url,
            _("The story as donors will see it"),
            _("Show my changes"),
            format_html(
                '<a href="{}" target="_blank">{}</a>',
                self.view_on_site(campaign),
                _("Preview the whole page"),
            )
            if campaign.pk
            else _("Save the campaign to preview the whole page."),
        )

    # Previews for staff, published or not, through the public template and
    # stylesheet: the whole page, and the story alone (in the change form).
    def get_urls(self):
        def view(function):
            return self.admin_site.admin_view(never_cache(function))

        return [
            path(
                "<int:object_id>/preview/",
                view(self.preview_view),
                name="campaigns_campaign_preview",
            ),
            path(
                "<int:object_id>/preview/story/",
                view(self.story_preview_view),
                name="campaigns_campaign_story_preview",
            ),
            path(
                "preview/story/",
                view(self.story_preview_view),
                name="campaigns_campaign_new_story_preview",
            ),
        ] + super().get_urls()

    def view_on_site(self, campaign: Campaign) -> str:
        """The "View on site" button leads to the team's preview, which checks
        the team (Django's own shortcut, /admin/r/…, is off: config/urls.py)."""
        return reverse("admin:campaigns_campaign_preview", args=[campaign.pk])

    def _previewed(self, request: HttpRequest, object_id: int) -> Campaign:
        # Another team's campaign does not exist for this user.
        campaign = get_object_or_404(
            self.get_queryset(request).prefetch_related("photos"), pk=object_id
        )
        if not self.has_view_permission(request, campaign):
            raise PermissionDenied
        return campaign

    def preview_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        from campaigns.views import render_campaign_page

        campaign = self._previewed(request, object_id)
        return render_campaign_page(request, campaign, preview=True)

    def story_preview_view(
        self, request: HttpRequest, object_id: int | None = None
    ) -> HttpResponse:
        """GET: the saved story; POST: the story as typed (StoryPreviewForm),
        with the campaign's saved photos."""
        from campaigns.views import render_story_preview

        if object_id is None:
            if not self.has_add_permission(request):
                raise PermissionDenied
            campaign = Campaign()
        else:
            campaign = self._previewed(request, object_id)
        story, waiting = campaign.story, []
        if request.method == "POST":
            form = StoryPreviewForm(request.POST)
            if not form.is_valid():
                return HttpResponseBadRequest(form.errors.as_text())
            story = form.cleaned_data["story"]
            waiting = waiting_photos(
                campaign, form.cleaned_data["pending"], request.user
            )
        elif request.method != "GET":
            return HttpResponseNotAllowed(["GET", "POST"])
        response = render_story_preview(request, campaign, story, waiting)
        # Shown in a frame of the change form, on this site only.
        response["X-Frame-Options"] = "SAMEORIGIN"
        response._csp_config = {**settings.SECURE_CSP, "frame-ancestors": [CSP.SELF]}
        return response

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        response = super().changeform_view(request, object_id, form_url, extra_context)
        # The story preview is a frame of this site's own (story_preview).
        response._csp_config = {**settings.SECURE_CSP, "frame-src": [CSP.SELF]}
        return response

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
        record_campaign_changes(
            campaign, by=request.user, form=form, formsets=formsets, created=not change
        )
        # A line is always in its campaign's currency, even when it was not edited.
        campaign.lines.exclude(target_currency=campaign.currency).update(
            target_currency=campaign.currency,
            earmarked_currency=campaign.currency,
            earmarked_collected_currency=campaign.currency,
        )


def waiting_photos(campaign: Campaign, tokens: list[str], user) -> list[Photo]:
    """The photos kept for this user under `tokens`, unsaved, with the numbers
    they will get. One token per new photo row of the page, in its order ("-"
    for a photo chosen but not sent yet: it takes a number, not shown)."""
    saved = campaign.photos.all() if campaign.pk else []
    number = max((photo.number for photo in saved), default=0)
    waiting = []
    for token in tokens:
        number += 1
        kept = photos.find_pending(token, user)
        if kept is None:
            continue
        photo = Photo(number=number, alt_text=kept.original_name)
        photos.apply_pending(photo, kept)
        waiting.append(photo)
    return waiting


def story_preview_url(campaign: Campaign) -> str:
    if campaign.pk:
        return reverse("admin:campaigns_campaign_story_preview", args=[campaign.pk])
    return reverse("admin:campaigns_campaign_new_story_preview")


def page_sections(adminform, inline_admin_formsets) -> list[dict]:
    """The change form's fieldsets with each inline right after the fieldset
    it follows (its `follows` is that fieldset's first class); an inline that
    follows none comes after them all."""
    inlines = list(inline_admin_formsets)
    sections = []
    for fieldset in adminform:
        sections.append({"fieldset": fieldset})
        key = (fieldset.classes or "").split(" ")[0]
        for inline in [i for i in inlines if getattr(i.opts, "follows", "") == key]:
            sections.append({"inline": inline})
            inlines.remove(inline)
    sections += [{"inline": inline} for inline in inlines]
    for index, section in enumerate(sections):
        section["index"] = index
    return sections


def kept_photos(inline_admin_formsets) -> list[str]:
    """The names of the photos kept for a form sent back with a mistake."""
    return [
        form.kept.original_name or str(_("photo"))
        for inline in inline_admin_formsets
        if inline.formset.model is Photo
        for form in inline.formset.forms
        if getattr(form, "kept", None) is not None
    ]


def team_links(user, campaign: Campaign) -> list[dict]:
    """The team's jobs on this campaign that this user may do, as links: the
    desk pages (donations.views) and the campaign's record."""
    jobs = [
        ("record_gift", "donations:desk_gift", _("Record a gift")),
        ("close", "donations:desk_close", _("Close the collection")),
        ("reopen", "donations:desk_reopen", _("Reopen")),
        ("export", "donations:desk_export", _("Export pledges (CSV)")),
    ]
    closed = campaign.is_closed()
    links = [
        {"url": reverse(name, args=[campaign.pk]), "label": label}
        for job, name, label in jobs
        if can(user, job, campaign)
        and not (job == "close" and closed)
        and not (job == "reopen" and not closed)
    ]
    if can(user, "view_activity", campaign):
        url = reverse("admin:campaigns_activity_changelist")
        links.append({"url": f"{url}?campaign={campaign.pk}", "label": _("Record")})
    return links


@admin.register(Activity)
class ActivityAdmin(DeclaredLookupsOnly, admin.ModelAdmin):
    """The record, read only: nobody adds, changes or deletes a row here, not
    even a superuser. Each campaign's organizers see its rows."""

    list_display = ("created_at", "campaign", "actor", "action", "reference", "what")
    # As the pledge list: filters read through indexes (Activity.Meta), newest
    # first, a bounded count, no date hierarchy (campaigns.admin_lists).
    list_filter = (TeamCampaignFilter, "action", RecentFilter)
    list_select_related = ("campaign", "actor")
    search_fields = ("reference",)
    search_help_text = _("Reference code of a pledge.")
    fields = ("created_at", "campaign", "actor", "action", "reference", "what")
    readonly_fields = fields
    ordering = ("-created_at", "-id")
    sortable_by = ()
    paginator = BoundedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        reached = campaigns_where(request.user, "view_activity")
        return queryset.filter(
            campaign_id__in=list(reached.values_list("pk", flat=True))
        )

    def get_search_results(self, request, queryset, search_term):
        term = "".join(ch for ch in search_term.upper() if ch.isalnum())
        if not term:
            return queryset, False
        return queryset.filter(reference=term), False

    def has_module_permission(self, request) -> bool:
        return is_in_any_team(
            request.user, ORGANIZER
        ) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None) -> bool:
        if obj is None:
            return is_in_any_team(
                request.user, ORGANIZER
            ) and super().has_view_permission(request)
        return can(request.user, "view_activity", obj.campaign_id)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("what changed"))
    def what(self, activity: Activity) -> str:
        return format_html_join(
            "; ",
            "{}: {}",
            ((key, _plain(value)) for key, value in activity.details.items()),
        )


def _plain(value) -> str:
    """A detail value as short text: lists joined, dicts as key=value."""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_plain(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "[" + ", ".join(_plain(item) for item in value) + "]"
    return str(value)
