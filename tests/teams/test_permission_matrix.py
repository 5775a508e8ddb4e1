"""Who may do what, cell by cell: every role × every job × own and other campaign.

One test method per cell of ROLES × JOBS × WHERE, so no cell can be forgotten.
Each cell does the job through the real pages and then asks the database (or
the response, for jobs that only show data) whether it was done.
A refused cell must leave the database as it was and show none of the data.
"""

from __future__ import annotations

from decimal import Decimal

from django.urls import reverse
from django.utils import timezone

from campaigns.models import Activity, Campaign, TeamMember
from donations.models import Pledge
from tests.support import campaign_form, change_url
from tests.teams.base import TeamTestCase, donor_email

ROLES = ("superuser", "organizer", "volunteer", "stranger", "anonymous")
WHERE = ("own", "other")


# Each job: (test, campaign, first pledge, second pledge) -> was it done?


def view_campaign_page(t, campaign, first, second) -> bool:
    response = t.client.get(change_url(campaign))
    return campaign.title in response.content.decode()


def edit_story(t, campaign, first, second) -> bool:
    t.client.post(change_url(campaign), campaign_form(campaign, story="Edited."))
    return Campaign.objects.get(pk=campaign.pk).story == "Edited."


def edit_lines(t, campaign, first, second) -> bool:
    data = campaign_form(campaign)
    data["lines-0-target"] = "1234"
    t.client.post(change_url(campaign), data)
    return campaign.lines.first().target.amount == Decimal("1234")


def change_team(t, campaign, first, second) -> bool:
    data = campaign_form(campaign)
    index = int(data["team-TOTAL_FORMS"])
    data |= {
        "team-TOTAL_FORMS": str(index + 1),
        f"team-{index}-campaign": str(campaign.pk),
        f"team-{index}-user": str(t.stranger.pk),
        f"team-{index}-role": TeamMember.Role.VOLUNTEER,
    }
    t.client.post(change_url(campaign), data)
    return TeamMember.objects.filter(campaign=campaign, user=t.stranger).exists()


def view_pledge_list(t, campaign, first, second) -> bool:
    response = t.client.get(reverse("admin:donations_pledge_changelist"))
    return first.reference in response.content.decode()


def see_donor_email(t, campaign, first, second) -> bool:
    email = donor_email(t.where)
    pages = [
        t.client.get(reverse("admin:donations_pledge_change", args=[first.pk])),
        t.client.get(reverse("donations:desk_pledge", args=[first.reference])),
    ]
    return any(email in page.content.decode() for page in pages)


def mark_received(t, campaign, first, second) -> bool:
    url = reverse("donations:desk_receive", args=[first.reference])
    t.response = t.client.post(url, {"amount": "95.50"})
    return Pledge.objects.get(pk=first.pk).status == Pledge.Status.RECEIVED


def cancel(t, campaign, first, second) -> bool:
    url = reverse("donations:desk_cancel", args=[second.reference])
    t.response = t.client.post(url, {"reason": "never paid"})
    return Pledge.objects.get(pk=second.pk).status == Pledge.Status.CANCELLED


def record_gift(t, campaign, first, second) -> bool:
    url = reverse("donations:desk_gift", args=[campaign.pk])
    data = {"amount": "25", "line": "", "note": "cash at the meeting"}
    t.response = t.client.post(url, data)
    return campaign.pledges.filter(kind=Pledge.Kind.GIFT).exists()


def change_money_in_admin(t, campaign, first, second) -> bool:
    """Every way the admin could move money: the pledge's change form, the add
    form (a gift), the delete page. The admin pledge pages are read-only, for
    everyone: the desk is the one place for money."""
    before = list(
        Pledge.objects.order_by("pk").values_list(
            "status", "amount", "received_amount", "kind"
        )
    )
    count = Pledge.objects.count()
    changed = t.client.post(
        reverse("admin:donations_pledge_change", args=[first.pk]),
        {
            "campaign": campaign.pk,
            "amount_0": "95.50",
            "amount_1": campaign.currency,
            "status": Pledge.Status.RECEIVED,
            "received_amount_0": "95.50",
            "received_amount_1": campaign.currency,
            "kind": first.kind,
        },
    )
    added = t.client.post(
        reverse("admin:donations_pledge_add"),
        {
            "campaign": campaign.pk,
            "amount_0": "25",
            "amount_1": campaign.currency,
            "kind": Pledge.Kind.GIFT,
            "note": "cash at the meeting",
        },
    )
    deleted = t.client.post(
        reverse("admin:donations_pledge_delete", args=[second.pk]), {"post": "yes"}
    )
    t.admin_answers = [changed, added, deleted]
    after = list(
        Pledge.objects.order_by("pk").values_list(
            "status", "amount", "received_amount", "kind"
        )
    )
    return after != before or Pledge.objects.count() != count


def close(t, campaign, first, second) -> bool:
    t.client.post(
        reverse("donations:desk_close", args=[campaign.pk]), {"reason": "enough"}
    )
    return Campaign.objects.get(pk=campaign.pk).closed_at is not None


def reopen(t, campaign, first, second) -> bool:
    Campaign.objects.filter(pk=campaign.pk).update(
        closed_at=timezone.now(), closed_reason=Campaign.ClosedReason.MANUAL
    )
    t.client.post(
        reverse("donations:desk_reopen", args=[campaign.pk]), {"reason": "more"}
    )
    return Campaign.objects.get(pk=campaign.pk).closed_at is None


def export_csv(t, campaign, first, second) -> bool:
    response = t.client.get(reverse("donations:desk_export", args=[campaign.pk]))
    if response.status_code != 200:
        return first.reference in response.content.decode()
    return first.reference in b"".join(response.streaming_content).decode()


def view_activity(t, campaign, first, second) -> bool:
    Activity.objects.create(
        campaign=campaign, action=Activity.Action.EDITED, reference="ACT" + t.where
    )
    response = t.client.get(reverse("admin:campaigns_activity_changelist"))
    return "ACT" + t.where in response.content.decode()


JOBS = {
    "view_campaign_page": view_campaign_page,
    "edit_story": edit_story,
    "edit_lines": edit_lines,
    "change_team": change_team,
    "view_pledge_list": view_pledge_list,
    "see_donor_email": see_donor_email,
    "mark_received": mark_received,
    "cancel": cancel,
    "record_gift": record_gift,
    "change_money_in_admin": change_money_in_admin,
    "close": close,
    "reopen": reopen,
    "export_csv": export_csv,
    "view_activity": view_activity,
}

VOLUNTEER_JOBS = {
    "view_campaign_page",
    "view_pledge_list",
    "mark_received",
    "cancel",
    "record_gift",
    "close",
}
# Jobs nobody may do, superusers included.
NOBODY_JOBS = {"change_money_in_admin"}
# Money jobs done at the desk: who may not do them meets its door, not a form.
DESK_MONEY_JOBS = {"mark_received", "cancel", "record_gift"}


def allowed(role: str, job: str, where: str) -> bool:
    if job in NOBODY_JOBS:
        return False
    if role == "superuser":
        return True
    if where == "other" or role in ("stranger", "anonymous"):
        return False
    return role == "organizer" or job in VOLUNTEER_JOBS


class PermissionMatrixTests(TeamTestCase):
    def run_cell(self, role: str, job: str, where: str) -> None:
        self.where = where
        campaign = self.campaign if where == "own" else self.other
        first, second = self.pledges[where]
        if role != "anonymous":
            self.client.force_login(getattr(self, role))
        # Reopening closes the campaign first, as part of the job.
        before = self.state(exclude_closing=job == "reopen")
        done = JOBS[job](self, campaign, first, second)
        expected = allowed(role, job, where)
        self.assertEqual(done, expected, f"{role} {job} on {where} campaign")
        if job in DESK_MONEY_JOBS:
            self.assertDeskAnswer(role, expected, campaign)
        if job == "change_money_in_admin":
            self.assertAdminRefuses(role, where)
        if not expected:
            # Nothing else changed either, anywhere.
            self.assertEqual(self.state(exclude_closing=job == "reopen"), before)
        else:
            self.assertTotalsExact(campaign)

    def assertDeskAnswer(self, role: str, expected: bool, campaign) -> None:
        """Done: back to the desk (POST/redirect/GET). Refused: the login page
        for the anonymous; for staff outside the campaign's team (a stranger,
        another campaign's organizer or volunteer) its pledges do not exist."""
        response = self.response
        if expected:
            self.assertEqual(response.status_code, 302)
            self.assertIn("/desk/", response["Location"])
        elif role == "anonymous":
            self.assertEqual(response.status_code, 302)
            self.assertIn(reverse("admin:login"), response["Location"])
        else:
            self.assertEqual(response.status_code, 404)
            self.assertNotIn(campaign.title, response.content.decode())

    def assertAdminRefuses(self, role: str, where: str) -> None:
        """The admin refuses outright (no form to fill in again): 403 for whoever
        sees the pledge, and for any staff adding one; the login page for the
        anonymous."""
        changed, added, deleted = self.admin_answers
        if role == "anonymous":
            for response in self.admin_answers:
                self.assertEqual(response.status_code, 302)
                self.assertIn(reverse("admin:login"), response["Location"])
            return
        self.assertEqual(added.status_code, 403)
        if allowed(role, "view_pledge_list", where):
            self.assertEqual(changed.status_code, 403)
            self.assertEqual(deleted.status_code, 403)
        else:
            for response in (changed, deleted):
                self.assertIn(response.status_code, (302, 403, 404))

    def state(self, exclude_closing: bool = False) -> list:
        campaigns = list(
            Campaign.objects.order_by("pk").values_list(
                "story", "collected", "promised", "supporters", "closed_at"
            )
        )
        if exclude_closing:
            campaigns = [row[:-1] for row in campaigns]
        return [
            campaigns,
            list(
                Pledge.objects.order_by("pk").values_list(
                    "status", "kind", "amount", "received_amount"
                )
            ),
            list(TeamMember.objects.order_by("pk").values_list("user", "role")),
            list(
                Campaign.objects.order_by("pk").values_list("lines__target", flat=True)
            ),
        ]


def _cell(role: str, job: str, where: str):
    def test(self):
        self.run_cell(role, job, where)

    test.__doc__ = f"{role} × {job} × {where} campaign"
    return test


for _role in ROLES:
    for _job in JOBS:
        for _where in WHERE:
            setattr(
                PermissionMatrixTests,
                f"test_cell__{_job}__{_role}__{_where}",
                _cell(_role, _job, _where),
            )
