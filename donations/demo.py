"""Demo data for a developer's machine: four campaigns, three accounts and
their pledges, for `manage.py load_demo` (only with DEBUG on).

Safe to run again: campaigns are found by slug, lines by label, accounts by
username, so a second run updates what the first one created. Pledges are made
through the write functions like real ones, and each campaign gets them only
once (when it has none). The result: Konstantin's collection in progress,
Alesia's goal promised with money still on its way, Siarhei's past collection
closed.
"""

from __future__ import annotations

import io
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from djmoney.money import Money
from PIL import Image, ImageDraw

from campaigns import photos
from campaigns.models import BudgetLine, Campaign, Photo, TeamMember
from campaigns.permissions import ORGANIZERS_GROUP, VOLUNTEERS_GROUP
from donations.models import Pledge
from donations.pledging import Donor, gift_record, pledge_create, pledge_receive

SEED_STORY = """\
I grew up in Rechytsa, in the south of Belarus. I had a job, a girlfriend and a \
quiet life, until the evening of **9 August 2020**, the day of the presidential \
election.

## Three years for trying to help

That evening friends and I joined a small crowd in the town centre, talking \
about the vote. Officers arrived and began taking people away one by one. When \
I saw a young man being dragged off, I tried to push the policeman away from \
him. I could not save him, and it cost me three years.

They came for me at five in the morning on 12 May 2021. After ten days of \
administrative arrest a criminal case followed, and on 22 September 2021 I was \
sentenced to three years in a penal colony. I would rather not describe those \
years.

## Leaving

I was released in February 2024. The police kept visiting my brother's flat, \
where a small child lives, late at night, for "preventive checks". Then a new \
case was opened against me without any notice. I understood they would not \
stop until I was behind bars again, and on **3 April 2024** I left Belarus.

## Starting over

I have applied for international protection in Poland. Until my documents \
are ready I cannot work, and I have been living on borrowed money since my \
release. With a place to live for the first months and my debts paid, I can \
start again on my own feet.

> Thank you, in advance, for any help.

— Konstantin M.
"""


def load_demo(*, now: datetime) -> tuple[dict[str, Campaign], list[tuple[str, str]]]:
    """Campaigns, accounts and pledges. Returns the campaigns by slug and the
    accounts as (username, role). Call inside a transaction."""
    campaigns = load_campaigns(now=now)
    accounts = load_accounts(campaigns)
    load_demo_pledges(campaigns, now=now)
    return campaigns, accounts


def load_campaigns(*, now: datetime) -> dict[str, Campaign]:
    """The seed campaign and three others in other states, keyed by slug."""
    local_now = timezone.localtime(now)
    in_12_days = local_now.replace(minute=0, second=0, microsecond=0) + timedelta(
        days=12
    )
    ended_3_days_ago = timezone.make_aware(
        datetime.combine(local_now.date() - timedelta(days=3), time(20, 0))
    )
    campaigns = {}
    campaigns["konstantin"] = upsert_campaign(
        slug="konstantin",
        title=(
            "Helping former political prisoner Konstantin M. start a new life in Poland"
        ),
        beneficiary_name="Konstantin M.",
        city="",
        country="Poland",
        summary=(
            "Jailed for three years after trying to help a stranger at a protest, "
            "Konstantin fled Belarus in 2024 and is starting over in Poland."
        ),
        story=SEED_STORY,
        currency="EUR",
        published=True,
        account_holder="Zbor Demo Foundation",
        iban="PL61109010140000071219812874",
        bic="WBKPPLPP",
        bank_name="Demo Bank",
        lines=[
            ("Rent for the first three months", "1000"),
            ("Food", "400"),
            ("Clothing and household items", "300"),
            ("Paying off debts", "800"),
        ],
        photo_alt="A drawing of a small room with a window and a table",
    )
    campaigns["alesia-laptop"] = upsert_campaign(
        slug="alesia-laptop",
        title="A laptop and a course for Alesia K.",
        beneficiary_name="Alesia K.",
        city="Białystok",
        country="Poland",
        summary="Alesia wants to retrain as a software tester after leaving Belarus.",
        story=(
            "Alesia taught music for twelve years. In Poland she is learning "
            "to test software, and needs a laptop of her own and the last "
            "part of her course.\n\n- a second-hand laptop\n- the course fee\n"
            "- bus tickets to the classes"
        ),
        currency="PLN",
        deadline=in_12_days,
        published=True,
        over_goal_rule="Anything over the goal pays for Alesia's exam fee.",
        account_holder="Zbor Demo Foundation",
        iban="PL61109010140000071219812874",
        lines=[
            ("A second-hand laptop", "2400"),
            ("Course fee", "1800"),
            ("Bus tickets", "300"),
        ],
    )
    campaigns["siarhei-dentist"] = upsert_campaign(
        slug="siarhei-dentist",
        title="Dental treatment for Siarhei P.",
        beneficiary_name="Siarhei P.",
        city="Vilnius",
        country="Lithuania",
        summary="Years in detention left Siarhei with teeth that need treatment.",
        story="Siarhei's treatment plan is ready; this collection has ended.",
        currency="EUR",
        deadline=ended_3_days_ago,
        published=True,
        # No bank account: a published campaign needs some way to pay.
        payment_other="Cash to the Vilnius volunteers, by appointment.",
        # Like the seed campaign's real end: €2,665 collected of a €2,500 goal.
        lines=[("Treatment", "1900"), ("Prescriptions", "600")],
        closed=ended_3_days_ago,
    )
    campaigns["tatsiana-draft"] = upsert_campaign(
        slug="tatsiana-draft",
        title="Medical tests for Tatsiana L. (draft)",
        beneficiary_name="Tatsiana L.",
        city="Kraków",
        country="Poland",
        summary="A draft the organizers are still writing: not public yet.",
        story="*To be written with Tatsiana.*",
        currency="EUR",
        published=False,
        lines=[("Medical tests", "350")],
    )
    return campaigns


def upsert_campaign(
    *,
    slug: str,
    lines: list[tuple[str, str]],
    photo_alt: str = "",
    closed: datetime | None = None,
    **fields,
) -> Campaign:
    fields.setdefault("deadline", None)
    fields["closed_at"] = closed
    fields["closed_reason"] = Campaign.ClosedReason.DEADLINE if closed else ""
    campaign, _ = Campaign.objects.update_or_create(slug=slug, defaults=fields)
    for position, (label, target) in enumerate(lines):
        BudgetLine.objects.update_or_create(
            campaign=campaign,
            label=label,
            defaults={
                "target": Money(Decimal(target), campaign.currency),
                "position": position,
            },
        )
    if photo_alt and not campaign.photos.exists():
        photo = Photo(campaign=campaign, alt_text=photo_alt, is_cover=True)
        photos.apply(photo, photos.prepare(demo_picture()))
        photo.save()
    return campaign


def demo_picture() -> SimpleUploadedFile:
    """A drawing made here, so the demo needs no outside files."""
    image = Image.new("RGB", (1600, 1000), (226, 232, 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 700, 1600, 1000), fill=(181, 148, 116))  # floor
    draw.rectangle((980, 140, 1420, 560), fill=(158, 197, 232))  # window
    draw.line((1200, 140, 1200, 560), fill=(255, 255, 255), width=14)
    draw.line((980, 350, 1420, 350), fill=(255, 255, 255), width=14)
    draw.rectangle((260, 520, 820, 560), fill=(120, 84, 52))  # table
    draw.rectangle((300, 560, 330, 780), fill=(120, 84, 52))
    draw.rectangle((750, 560, 780, 780), fill=(120, 84, 52))
    draw.ellipse((480, 440, 600, 520), fill=(214, 96, 77))  # a bowl of apples
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=85)
    return SimpleUploadedFile("demo.jpg", buffer.getvalue(), "image/jpeg")


def load_accounts(campaigns: dict[str, Campaign]) -> list[tuple[str, str]]:
    """organizer, volunteer (staff, in every demo team) and admin (superuser)."""
    # The groups and their permissions come from migration 0002; the demo
    # accounts join them and the team of every demo campaign.
    organizers = Group.objects.get(name=ORGANIZERS_GROUP)
    volunteers = Group.objects.get(name=VOLUNTEERS_GROUP)
    accounts = [
        ("organizer", organizers, TeamMember.Role.ORGANIZER),
        ("volunteer", volunteers, TeamMember.Role.VOLUNTEER),
    ]
    for username, group, role in accounts:
        user = demo_user(username, is_superuser=False)
        user.groups.add(group)
        for campaign in campaigns.values():
            TeamMember.objects.update_or_create(
                campaign=campaign, user=user, defaults={"role": role}
            )
    demo_user("admin", is_superuser=True)
    return [
        ("organizer", "organizer: writes campaigns"),
        ("volunteer", "volunteer: confirms pledges"),
        ("admin", "superuser"),
    ]


def demo_user(username: str, *, is_superuser: bool) -> User:
    user, _ = User.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.org"}
    )
    user.is_staff = True
    user.is_superuser = is_superuser
    user.set_password(username)
    user.save()
    return user


# (amount, line index or None, donor, days ago, received amount or None)
KONSTANTIN = [
    ("500", 0, Donor(name="Hanna", message="Stay strong, Konstantin."), 5, "500"),
    ("120", None, Donor(is_anonymous=True), 4, "118.50"),
    ("50", 1, Donor(name="Pavel", show_amount=True, message="Жыве Беларусь!"), 3, None),
    ("200", None, Donor(name="Ewa", message="Powodzenia!"), 2, "200"),
    ("35", 2, Donor(name="Mikhail", show_amount=True), 1, None),
    ("25", None, Donor(name="Olena"), 0, None),
]
ALESIA = [
    ("2400", 0, Donor(name="A friend from Minsk"), 4, "2400"),
    (
        "800",
        1,
        Donor(is_anonymous=True, message="Good luck with the course!"),
        2,
        "800",
    ),
    ("1500", None, Donor(name="Teachers of School No. 5", show_amount=True), 1, None),
]
# Siarhei's collection ended before this demo: its money came in as gifts.
SIARHEI_GIFTS = [("1200", 0), ("650", None), ("815", None)]  # €2,665


def load_demo_pledges(campaigns: dict[str, Campaign], *, now: datetime) -> int:
    """Add the demo pledges to campaigns that have none. Returns how many."""
    made = 0
    plans = {"konstantin": KONSTANTIN, "alesia-laptop": ALESIA}
    for slug, plan in plans.items():
        campaign = campaigns.get(slug)
        if campaign is None or campaign.pledges.exists():
            continue
        lines = list(campaign.lines.all())
        for amount, index, donor, days_ago, received in plan:
            pledge = pledge_create(
                campaign=campaign,
                line=None if index is None else lines[index],
                amount=Decimal(amount),
                donor=donor,
                submission_token=None,
                now=now,
            )
            # Spread over the last days: the page says "3 days ago", not a time.
            Pledge.objects.filter(pk=pledge.pk).update(
                created_at=now - timedelta(days=days_ago)
            )
            if received is not None:
                pledge_receive(
                    pledge=pledge, amount=Decimal(received), by=None, now=now
                )
            made += 1
    siarhei = campaigns.get("siarhei-dentist")
    if siarhei is not None and not siarhei.pledges.exists():
        lines = list(siarhei.lines.all())
        for amount, index in SIARHEI_GIFTS:
            gift_record(
                campaign=siarhei,
                amount=Decimal(amount),
                line=None if index is None else lines[index],
                note="Demo: transfer received before the deadline",
                by=None,
                # The last one goes over the goal, as staff would confirm it.
                confirmed=True,
                now=now,
            )
            made += 1
    return made
