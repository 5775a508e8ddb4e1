"""The campaign team's side of the admin: keeping a team with an organizer, and
recording every change made through the campaign page in the Activity record.

The record names budget lines by label and team members by username; it never
holds a donor's name, email or message.
"""

from __future__ import annotations

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db.models import F
from django.forms import BaseInlineFormSet, ModelForm
from django.utils.translation import gettext_lazy as _

from campaigns.models import Activity, BudgetLine, Campaign, Photo, TeamMember
from campaigns.money import to_cents


class TeamMemberFormSet(forms.BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        if any(self.errors) or self.instance.pk is None:
            return
        if not any(form.has_changed() for form in self.forms):
            return  # a team left as it was (a superuser's campaign may have none)
        kept_roles = [
            form.cleaned_data.get("role")
            for form in self.forms
            if form.cleaned_data
            and form.cleaned_data.get("user")
            and not form.cleaned_data.get("DELETE")
        ]
        if TeamMember.Role.ORGANIZER not in kept_roles:
            raise ValidationError(
                _(
                    "A campaign needs at least one organizer: keep one, or make "
                    "someone else an organizer first."
                ),
                code="no_organizer",
            )


def _record(campaign: Campaign, by, action: str, details: dict) -> None:
    Activity.objects.record(campaign, action, by=by, details=details)


def _line_details(line: BudgetLine) -> dict:
    return {"label": line.label, "target": str(to_cents(line.target.amount))}


def record_campaign_changes(
    campaign: Campaign,
    *,
    by: AbstractBaseUser,
    form: ModelForm,
    formsets: list[BaseInlineFormSet],
    created: bool,
) -> None:
    """Write the Activity rows for one save of the campaign page, after its
    formsets were saved, and bump the campaign's version if anything changed."""
    fields = [name for name in form.changed_data if name != "published"]
    changed = bool(form.changed_data)
    if "published" in form.changed_data or (created and campaign.published):
        _record(
            campaign, by, Activity.Action.PUBLISHED, {"published": campaign.published}
        )
    for formset in formsets:
        added = list(formset.new_objects)
        edited = list(formset.changed_objects)
        removed = list(formset.deleted_objects)
        if not (added or edited or removed):
            continue
        changed = True
        if formset.model is Photo:
            fields.append("photos")
        elif formset.model is BudgetLine:
            _record(
                campaign,
                by,
                Activity.Action.BUDGET_EDITED,
                {
                    "added": [_line_details(line) for line in added],
                    "changed": [
                        {**_line_details(line), "fields": sorted(names)}
                        for line, names in edited
                    ],
                    "removed": [_line_details(line) for line in removed],
                },
            )
        elif formset.model is TeamMember:
            record_team_change(
                campaign,
                by=by,
                added=added,
                changed=[member for member, _names in edited],
                removed=removed,
            )
    if fields or created:
        _record(
            campaign,
            by,
            Activity.Action.EDITED,
            {"created": True, "fields": fields} if created else {"fields": fields},
        )
    if changed and not created:
        # Public pages are cached by version: they must show the new text.
        Campaign.objects.filter(pk=campaign.pk).update(version=F("version") + 1)


def _member(member: TeamMember) -> dict:
    return {"user": member.user.get_username(), "role": member.role}


def record_team_change(
    campaign: Campaign,
    *,
    by: AbstractBaseUser,
    added: list[TeamMember] = (),
    changed: list[TeamMember] = (),
    removed: list[TeamMember] = (),
) -> None:
    _record(
        campaign,
        by,
        Activity.Action.TEAM_CHANGED,
        {
            "added": [_member(m) for m in added],
            "changed": [_member(m) for m in changed],
            "removed": [_member(m) for m in removed],
        },
    )
