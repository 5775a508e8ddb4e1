"""Teams for the suite: the personas of tests.base in their groups and teams.

The seed campaign ("own") has olga as organizer and viktor as volunteer. A
second campaign ("other") has its own organizer, otto. stas is staff and in the
Organizers group, but in no team: he reaches nothing.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.urls import reverse
from django.utils import translation

from campaigns.models import Activity, Campaign, TeamMember
from campaigns.permissions import ORGANIZERS_GROUP, VOLUNTEERS_GROUP
from donations.models import Pledge
from donations.pledging import Donor, pledge_receive
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, pledge


def donor_email(key: str) -> str:
    return f"ala.{key}@example.org"


DONOR_MESSAGE = "Trzymaj się, from Ala"


class TeamTestCase(DonationsTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        organizers = Group.objects.get(name=ORGANIZERS_GROUP)
        volunteers = Group.objects.get(name=VOLUNTEERS_GROUP)
        cls.organizer.groups.add(organizers)
        cls.volunteer.groups.add(volunteers)
        cls.stranger.groups.add(organizers)
        cls.other_organizer = User.objects.create_user(
            "otto", "otto@example.org", "pw", is_staff=True
        )
        cls.other_organizer.groups.add(organizers)
        TeamMember.objects.create(
            campaign=cls.campaign, user=cls.organizer, role=TeamMember.Role.ORGANIZER
        )
        TeamMember.objects.create(
            campaign=cls.campaign, user=cls.volunteer, role=TeamMember.Role.VOLUNTEER
        )
        cls.other = make_campaign(
            slug="other",
            title="Dental treatment for Siarhei P.",
            lines=[("Treatment", "900"), ("Prescriptions", "150")],
        )
        TeamMember.objects.create(
            campaign=cls.other,
            user=cls.other_organizer,
            role=TeamMember.Role.ORGANIZER,
        )
        cls.pledges = {}
        for key, campaign in (("own", cls.campaign), ("other", cls.other)):
            donor = Donor(name="Ala", email=donor_email(key), message=DONOR_MESSAGE)
            cls.pledges[key] = (
                pledge(campaign, "100", donor=donor),
                pledge(campaign, "40", donor=donor),
            )


class DeskTestCase(TeamTestCase):
    """A volunteer of the seed campaign's team at the desk, with one pending
    pledge (`made`) to work on."""

    def setUp(self):
        self.client.force_login(self.volunteer)
        self.made = pledge(
            self.campaign,
            "25",
            donor=Donor(name="Ala", email=donor_email("desk"), message="Hold on!"),
        )

    def url(self, job: str, made: Pledge | None = None, language: str = "en") -> str:
        name = "donations:desk_pledge" if job == "card" else f"donations:desk_{job}"
        with translation.override(language):
            return reverse(name, args=[(made or self.made).reference])

    def state(self) -> list:
        """Everything a desk job could change."""
        return [
            list(
                Pledge.objects.order_by("pk").values_list(
                    "status", "received_amount", "note", "message_hidden"
                )
            ),
            list(
                Campaign.objects.order_by("pk").values_list(
                    "collected", "promised", "closed_at"
                )
            ),
            Activity.objects.count(),
        ]

    def assertRefusedBeside(self, response, form: str, field: str, code: str):
        self.assertEqual(response.status_code, 400)
        errors = response.context[form].errors.as_data()
        self.assertIn(field, errors, errors)
        self.assertEqual([error.code for error in errors[field]], [code])

    def assertNothingStored(self, before: list):
        self.assertEqual(self.state(), before)
        self.assertTotalsExact(self.campaign)

    def receive(self, amount: str, made: Pledge | None = None) -> Pledge:
        made = made or self.made
        return pledge_receive(pledge=made, amount=Decimal(amount), by=self.volunteer)

    def fresh(self, made: Pledge | None = None) -> Pledge:
        return Pledge.objects.get(pk=(made or self.made).pk)
