"""Teams for the suite: the personas of tests.base in their groups and teams.

The seed campaign ("own") has olga as organizer and viktor as volunteer. A
second campaign ("other") has its own organizer, otto. stas is staff and in the
Organizers group, but in no team: he reaches nothing.
"""

from __future__ import annotations

from django.contrib.auth.models import Group, User

from campaigns.models import TeamMember
from campaigns.permissions import ORGANIZERS_GROUP, VOLUNTEERS_GROUP
from donations.pledging import Donor
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
