"""Fill an empty, migrated database with campaigns and pledges, fast.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zbor_bench \\
        .venv/bin/python bench/seed.py --campaigns 2000 --pledges 1000000 \\
        --export-pledges 1000000

Everything goes in in one transaction. On PostgreSQL the pledges stream into
one COPY while the table's secondary indexes and its unique and foreign-key
constraints are dropped, then rebuilt (bulk_create elsewhere); afterwards the
denormalised totals (Campaign.collected, promised, supporters,
BudgetLine.earmarked and, where the model has it,
BudgetLine.earmarked_collected) are recomputed in SQL so they equal the sums
of the pledges, as pledge_create keeps them.

Two campaigns have fixed slugs for the benchmark: `bench-page` (the page that
is loaded, holding a fifth of the pledges) and `bench-pledges` (for the pledge
POST: open, stopping at its goal like most campaigns, with lines so large that
neither the run's promises nor its pledges reach any of them, so its last line
stays open as an earmark and the goal stays out of reach even where promises
count toward closing). With --export-pledges, `bench-export` holds
that many more, for the export.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import os
import random
import sys
import time
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.db.models import (  # noqa: E402
    Case,
    Count,
    DecimalField,
    F,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce  # noqa: E402
from django.utils import timezone  # noqa: E402
from djmoney.money import Money  # noqa: E402

from campaigns.models import BudgetLine, Campaign  # noqa: E402
from config.jobs import use_job_limits  # noqa: E402
from donations.models import (  # noqa: E402
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    Pledge,
    new_access_key,
)

LINES = [
    ("Rent for the first three months", "1000"),
    ("Food", "400"),
    ("Clothing and household items", "300"),
    ("Paying off debts", "800"),
]
# bench-pledges' lines are LINES times this (a goal of 25 million euros): a
# full run adds about 400 000 euros of pending pledges, and the campaign, which
# stops at its goal, must never find itself full, nor its lines covered.
PLEDGE_LINE_SCALE = 10_000
BATCH = 5000
EFFECTIVE_AMOUNT = Case(
    When(status="received", then=F("received_amount")),
    When(status="pending", then=F("amount")),
    default=Value(Decimal("0")),
    output_field=DecimalField(max_digits=12, decimal_places=2),
)


def unique_references(count: int, rng: random.Random) -> list[str]:
    seen: set[str] = set()
    while len(seen) < count:
        seen.add("".join(rng.choices(REFERENCE_ALPHABET, k=REFERENCE_LENGTH)))
    return list(seen)


def make_campaigns(count: int, rng: random.Random) -> list[Campaign]:
    now = timezone.now()
    slugs = ["bench-page", "bench-pledges"] + [
        f"bench-{n:03d}" for n in range(2, count)
    ]
    campaigns = []
    for n, slug in enumerate(slugs[:count]):
        deadline = now + timedelta(days=rng.randint(5, 60))
        if n >= 2 and n % 10 == 0:
            deadline = now - timedelta(days=rng.randint(1, 30))  # some are over
        campaigns.append(
            Campaign(
                slug=slug,
                title=f"Helping beneficiary {n} start a new life",
                beneficiary_name=f"Person {n}",
                city="Warsaw",
                country="Poland",
                summary="A former political prisoner starts over in Poland.",
                story="He left Belarus in April 2024.\n\n" * 5,
                published=True,
                deadline=deadline,
                stop_at_goal=True,
                max_pledge=Decimal("10000"),
                iban="PL61109010140000071219812874",
                account_holder="Fundacja Zbor",
            )
        )
    Campaign.objects.bulk_create(campaigns)
    # bulk_create returns ids on PostgreSQL and SQLite alike.
    lines = [
        BudgetLine(
            campaign=campaign,
            label=label,
            target=Money(Decimal(target) * (PLEDGE_LINE_SCALE if n == 1 else 1), "EUR"),
            position=position,
        )
        for n, campaign in enumerate(campaigns)
        for position, (label, target) in enumerate(LINES)
    ]
    BudgetLine.objects.bulk_create(lines)
    return campaigns


def pledge_rows(
    campaigns: list[Campaign],
    count: int,
    rng: random.Random,
    lines_by_campaign: dict[int, list[int]],
    references: list[str],
):
    """Pledges as {attname: value} dicts: a fifth on the page the benchmark loads,
    the rest spread over the other campaigns; 60 % received, 30 % pending.
    Created over the last 30 days."""
    heavy = campaigns[0]
    others = campaigns[1:] or campaigns
    now = timezone.now()
    for n in range(count):
        campaign = heavy if n % 5 == 0 else others[n % len(others)]
        yield pledge_row(n, campaign, rng, lines_by_campaign, references[n], now)


def pledge_row(n, campaign, rng, lines_by_campaign, reference, now) -> dict:
    amount = Decimal(rng.choice([5, 10, 20, 25, 50, 100])) + Decimal(
        rng.choice(["0", "0.50", "0.99"])
    )
    roll = rng.random()
    status = "received" if roll < 0.6 else "pending" if roll < 0.9 else "cancelled"
    created = now - timedelta(seconds=rng.randint(60, 30 * 86400))
    return {
        "campaign_id": campaign.id,
        "line_id": rng.choice(lines_by_campaign[campaign.id])
        if rng.random() < 0.4
        else None,
        "amount": amount,
        "amount_currency": "EUR",
        "status": status,
        "received_amount": amount if status == "received" else None,
        "received_amount_currency": "EUR",
        "received_at": created if status == "received" else None,
        "cancelled_at": created if status == "cancelled" else None,
        "reference": reference,
        "access_key": new_access_key(),
        "donor_name": f"Donor {n}" if n % 3 else "",
        "is_anonymous": n % 3 == 0,
        "message": "Good luck!" if n % 7 == 0 else "",
        "language": "en",
        "created_at": created,
    }


def make_export_campaign() -> Campaign:
    """`bench-export`: the campaign whose pledges the export downloads."""
    campaign = Campaign.objects.create(
        slug="bench-export",
        title="Exporting every pledge",
        beneficiary_name="Export",
        city="Warsaw",
        country="Poland",
        summary="A benchmark campaign for the export.",
        published=True,
        stop_at_goal=False,
        iban="PL61109010140000071219812874",
        account_holder="Fundacja Zbor",
    )
    BudgetLine.objects.bulk_create(
        BudgetLine(
            campaign=campaign,
            label=label,
            target=Money(Decimal(target), "EUR"),
            position=position,
        )
        for position, (label, target) in enumerate(LINES)
    )
    return campaign


def make_pledges(
    campaigns: list[Campaign],
    count: int,
    rng: random.Random,
    export: Campaign | None = None,
    export_count: int = 0,
) -> None:
    """COPY on PostgreSQL (rows streamed as they are made, in little memory),
    bulk_create elsewhere. `export`, when
    given, receives `export_count` more pledges of its own.

    Columns this script does not set take their field's default, so a field added
    to Pledge later does not break the seed.
    """
    fields = [f for f in Pledge._meta.concrete_fields if not f.primary_key]
    # Everything the rows need is read first: no query may run during COPY.
    lines_by_campaign: dict[int, list[int]] = {}
    for line_id, campaign_id in BudgetLine.objects.values_list("id", "campaign_id"):
        lines_by_campaign.setdefault(campaign_id, []).append(line_id)
    references = unique_references(count + export_count, rng)
    rows = itertools.chain(
        pledge_rows(campaigns, count, rng, lines_by_campaign, references),
        (
            pledge_row(
                count + n,
                export,
                rng,
                lines_by_campaign,
                references[count + n],
                timezone.now(),
            )
            for n in range(export_count if export else 0)
        ),
    )
    if connection.vendor != "postgresql":
        batch = []
        for row in rows:
            pledge = Pledge(**{k: v for k, v in row.items() if k != "created_at"})
            batch.append(pledge)
            if len(batch) == BATCH:
                Pledge.objects.bulk_create(batch)
                batch = []
        Pledge.objects.bulk_create(batch)
        return

    def column_value(field, row):
        if field.attname in row:
            return row[field.attname]
        value = field.get_default()
        return value.amount if isinstance(value, Money) else value

    defaults = {f.attname: column_value(f, {}) for f in fields}
    with without_indexes(Pledge._meta.db_table):
        copy_rows(fields, rows, defaults)


def copy_rows(fields, rows, defaults: dict) -> None:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(Pledge._meta.db_table)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(
                [row[name] if name in row else defaults[name] for name in names]
            )


@contextlib.contextmanager
def without_indexes(table: str):
    """Drop the table's secondary indexes, unique and foreign-key constraints
    for the block, then build them again: a build sorts once, where each row
    copied would go into a dozen indexes and be checked against its campaign
    on its own (docs/performance.md). Inside the caller's transaction."""
    with connection.cursor() as cursor:
        # Checks deferred to the commit (the campaigns' lines) would block
        # dropping a foreign key: run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s"
            " AND indexname NOT IN (SELECT conname FROM pg_constraint"
            " WHERE conrelid = %s::regclass)",
            [table, table],
        )
        indexes = cursor.fetchall()
        quoted = connection.ops.quote_name
        for name, _definition in constraints:
            cursor.execute(
                f"ALTER TABLE {quoted(table)} DROP CONSTRAINT {quoted(name)}"
            )
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {quoted(name)}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for name, definition in constraints:
            add = f"ALTER TABLE {quoted(table)} ADD CONSTRAINT {quoted(name)}"
            cursor.execute(f"{add} {definition}")


def recompute_totals() -> None:
    """Set every denormalised total to the sum of its pledges (two UPDATEs)."""
    zero = Value(
        Decimal("0"), output_field=DecimalField(max_digits=12, decimal_places=2)
    )

    def pledge_sum(field: str | Case, group: str, **filters):
        return Coalesce(
            Subquery(
                Pledge.objects.filter(**{group: OuterRef("pk")}, **filters)
                .order_by()
                .values(group)
                .annotate(total=Sum(field))
                .values("total")
            ),
            zero,
        )

    Campaign.objects.update(
        collected=pledge_sum(
            "received_amount", "campaign", status=Pledge.Status.RECEIVED
        ),
        promised=pledge_sum("amount", "campaign", status=Pledge.Status.PENDING),
        supporters=Coalesce(
            Subquery(
                Pledge.objects.filter(campaign=OuterRef("pk"))
                .exclude(status=Pledge.Status.CANCELLED)
                .order_by()
                .values("campaign")
                .annotate(n=Count("id"))
                .values("n")
            ),
            0,
        ),
        version=F("version") + 1,
    )
    line_sums = {
        "earmarked": pledge_sum(EFFECTIVE_AMOUNT, "line"),
        # What received money earmarked to the line adds up to.
        "earmarked_collected": pledge_sum(
            "received_amount", "line", status=Pledge.Status.RECEIVED
        ),
    }
    stored = {field.name for field in BudgetLine._meta.concrete_fields}
    BudgetLine.objects.update(
        **{name: value for name, value in line_sums.items() if name in stored}
    )


def check_totals() -> None:
    """Fail loudly if any total differs from the sum of its pledges."""
    sums = Campaign.objects.annotate(
        c=Coalesce(
            Sum("pledges__received_amount", filter=Q(pledges__status="received")),
            Decimal(0),
        ),
        p=Coalesce(
            Sum("pledges__amount", filter=Q(pledges__status="pending")), Decimal(0)
        ),
    )
    for campaign in sums:
        if (campaign.collected.amount, campaign.promised.amount) != (
            campaign.c,
            campaign.p,
        ):
            raise SystemExit(f"totals of {campaign.slug} differ from its pledges")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaigns", type=int, default=200)
    parser.add_argument("--pledges", type=int, default=100_000)
    parser.add_argument(
        "--export-pledges",
        type=int,
        default=0,
        help="pledges of one more campaign, bench-export, for the export (beside "
        "--pledges)",
    )
    parser.add_argument("--seed", type=int, default=6)
    args = parser.parse_args()
    if Campaign.objects.exists():
        raise SystemExit("seed.py fills an empty database; this one has campaigns.")
    rng = random.Random(args.seed)
    started = time.monotonic()
    use_job_limits()  # the COPY of a million rows outlasts a request's limit
    with transaction.atomic():
        campaigns = make_campaigns(max(args.campaigns, 2), rng)
        export = make_export_campaign() if args.export_pledges else None
        make_pledges(campaigns, args.pledges, rng, export, args.export_pledges)
        if connection.vendor == "postgresql":
            # Statistics of the new rows, or the planner takes the table for
            # empty and scans it once per line below.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE donations_pledge")
        recompute_totals()
    if connection.vendor == "postgresql":
        # Fresh statistics, so the planner uses the indexes from the first
        # query, and the vacuum that autovacuum would otherwise start on the
        # new rows in the middle of the measurements (outside a transaction).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE")
    check_totals()
    print(
        f"seeded {len(campaigns)} campaigns and {args.pledges} pledges, "
        f"{args.export_pledges} more on bench-export, in "
        f"{time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    main()
