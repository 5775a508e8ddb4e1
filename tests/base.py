"""Shared personas and campaign builders for the suite."""

from __future__ import annotations

from decimal import Decimal

from django.contrib.auth.models import User
from django.test import TestCase
from djmoney.money import Money

from campaigns.models import BudgetLine, Campaign

SEED_LINES = [
    ("Rent for the first three months", "1000"),
    ("Food", "400"),
    ("Clothing and household items", "300"),
    ("Paying off debts", "800"),
]


def make_campaign(
    *,
    slug: str = "konstantin",
    lines: list[tuple[str, str]] | None = None,
    currency: str = "EUR",
    published: bool = True,
    **fields,
) -> Campaign:
    """A published campaign with budget lines (by default the seed campaign's)."""
    fields.setdefault("title", "Helping Konstantin M. start a new life in Poland")
    fields.setdefault("beneficiary_name", "Konstantin M.")
    fields.setdefault("city", "Warsaw")
    fields.setdefault("country", "Poland")
    fields.setdefault("summary", "A former political prisoner starts over in Poland.")
    fields.setdefault("story", "He left Belarus in April 2024.")
    # A published campaign needs a way to pay (rules.payment_refusal).
    fields.setdefault("payment_other", "Cash at the Sunday meeting in Warsaw.")
    campaign = Campaign.objects.create(
        slug=slug, currency=currency, published=published, **fields
    )
    for position, (label, target) in enumerate(lines or SEED_LINES):
        BudgetLine.objects.create(
            campaign=campaign,
            label=label,
            target=Money(Decimal(target), currency),
            position=position,
        )
    return campaign


class ZborTestCase(TestCase):
    """Personas: a superuser, an organizer, a volunteer, a stranger (staff outside
    any team), and the seed campaign (goal €2 500) with its four lines."""

    @classmethod
    def setUpTestData(cls):
        cls.superuser = User.objects.create_superuser("root", "root@example.org", "pw")
        cls.organizer = User.objects.create_user(
            "olga", "olga@example.org", "pw", is_staff=True
        )
        cls.volunteer = User.objects.create_user(
            "viktor", "v@example.org", "pw", is_staff=True
        )
        cls.stranger = User.objects.create_user(
            "stas", "s@example.org", "pw", is_staff=True
        )
        cls.campaign = make_campaign()
        cls.rent, cls.food, cls.clothing, cls.debts = cls.campaign.lines.all()
