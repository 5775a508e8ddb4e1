"""Who may do what on which campaign: least privilege, per campaign.

Two groups (created by migration 0002) carry the model permissions of each role;
team membership (TeamMember) decides which campaigns those permissions reach.
Superusers reach every campaign as if they were its organizer. Every other user
reaches only the campaigns of their teams, and only while active and staff.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from campaigns.models import Campaign, TeamMember

ORGANIZER = TeamMember.Role.ORGANIZER
VOLUNTEER = TeamMember.Role.VOLUNTEER
ORGANIZERS_GROUP = "Organizers"
VOLUNTEERS_GROUP = "Volunteers"

User = AbstractBaseUser | AnonymousUser


def _is_team_user(user: User) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_staff)


def roles_of(user: User) -> dict[int, str]:
    """Campaign id -> the user's role in it (one query, then cached on the user
    for the rest of the request). Empty for superusers: see role_in."""
    if not _is_team_user(user) or user.is_superuser:
        return {}
    cached = getattr(user, "_zbor_roles", None)
    if cached is None:
        cached = dict(
            TeamMember.objects.filter(user=user).values_list("campaign_id", "role")
        )
        user._zbor_roles = cached
    return cached


def forget_roles(user: User) -> None:
    """Drop the cached roles (after the user's own team changed)."""
    if hasattr(user, "_zbor_roles"):
        del user._zbor_roles


def campaigns_for(user: User, role: str | None = None) -> QuerySet[Campaign]:
    """The campaigns the user reaches (as `role` only, if given)."""
    if not _is_team_user(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    members = TeamMember.objects.filter(user=user)
    if role is not None:
        members = members.filter(role=role)
    return Campaign.objects.filter(pk__in=members.values("campaign_id"))


def role_in(user: User, campaign: Campaign | int | None) -> str | None:
    """The user's role in this campaign: ORGANIZER, VOLUNTEER or None.

    A superuser is the organizer of every campaign.
    """
    if campaign is None or not _is_team_user(user):
        return None
    if user.is_superuser:
        return ORGANIZER
    campaign_id = campaign if isinstance(campaign, int) else campaign.pk
    return roles_of(user).get(campaign_id)


def is_organizer(user: User, campaign: Campaign | int | None) -> bool:
    return role_in(user, campaign) == ORGANIZER


def is_member(user: User, campaign: Campaign | int | None) -> bool:
    return role_in(user, campaign) is not None


def is_in_any_team(user: User, role: str | None = None) -> bool:
    if not _is_team_user(user):
        return False
    if user.is_superuser:
        return True
    roles = roles_of(user).values()
    return any(role is None or found == role for found in roles)


# What each job needs: the role in the campaign's team, and the model permission
# the role's group carries. Both must hold (superusers pass both).
ANY_ROLE = (ORGANIZER, VOLUNTEER)
JOBS: dict[str, tuple[tuple[str, ...], str]] = {
    "view": (ANY_ROLE, "campaigns.view_campaign"),
    "edit": ((ORGANIZER,), "campaigns.change_campaign"),
    "edit_lines": ((ORGANIZER,), "campaigns.change_budgetline"),
    "change_team": ((ORGANIZER,), "campaigns.change_teammember"),
    "view_activity": ((ORGANIZER,), "campaigns.view_activity"),
    "close": (ANY_ROLE, "campaigns.view_campaign"),
    "reopen": ((ORGANIZER,), "campaigns.change_campaign"),
    "view_pledges": (ANY_ROLE, "donations.view_pledge"),
    "see_emails": ((ORGANIZER,), "donations.view_pledge"),
    "receive": (ANY_ROLE, "donations.change_pledge"),
    "cancel": (ANY_ROLE, "donations.change_pledge"),
    "record_gift": (ANY_ROLE, "donations.add_pledge"),
    "moderate": ((ORGANIZER,), "donations.change_pledge"),
    "export": ((ORGANIZER,), "donations.view_pledge"),
    "post_updates": ((ORGANIZER,), "donations.change_update"),
    "record_spending": ((ORGANIZER,), "donations.change_spending"),
}


def can(user: User, job: str, campaign: Campaign | int | None) -> bool:
    """May this user do this job (a key of JOBS) on this campaign?"""
    roles, permission = JOBS[job]
    return role_in(user, campaign) in roles and user.has_perm(permission)


def campaigns_where(user: User, job: str) -> QuerySet[Campaign]:
    """The campaigns on which the user may do this job."""
    roles, permission = JOBS[job]
    if not user.has_perm(permission):
        return Campaign.objects.none()
    if roles == ANY_ROLE:
        return campaigns_for(user)
    return campaigns_for(user, role=roles[0])


# The model permissions each role's group carries (migration 0002 created the
# groups with the same list; this keeps them after a test database flush too).
ROLE_PERMISSIONS = {
    ORGANIZERS_GROUP: {
        ("campaigns", "campaign"): ("view", "add", "change"),
        ("campaigns", "budgetline"): ("view", "add", "change", "delete"),
        ("campaigns", "photo"): ("view", "add", "change", "delete"),
        ("campaigns", "teammember"): ("view", "add", "change", "delete"),
        ("campaigns", "activity"): ("view",),
        ("donations", "pledge"): ("view", "add", "change"),
        ("donations", "update"): ("view", "add", "change", "delete"),
        ("donations", "spending"): ("view", "add", "change", "delete"),
    },
    VOLUNTEERS_GROUP: {
        ("campaigns", "campaign"): ("view",),
        ("campaigns", "budgetline"): ("view",),
        ("campaigns", "photo"): ("view",),
        ("donations", "pledge"): ("view", "add", "change"),
    },
}


def ensure_team_groups(*, using: str = "default", **kwargs) -> None:
    """post_migrate: the two groups exist with their permissions (idempotent).

    Migrations create them once; `flush` (which TransactionTestCase runs after
    each test) empties every table and then sends post_migrate, as it does for
    content types and permissions, so the groups come back the same way.
    """
    from django.contrib.auth.models import Group, Permission
    from django.db.models import Q

    for name, models in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        wanted = Q(pk__in=[])
        for (app_label, model), verbs in models.items():
            wanted |= Q(
                content_type__app_label=app_label,
                codename__in=[f"{verb}_{model}" for verb in verbs],
            )
        group.permissions.add(*Permission.objects.using(using).filter(wanted))
