"""Importing a bank statement against a big account, timed:

    .venv/bin/python bench/statements.py      # about a minute on 2 cores

It (re)creates its own PostgreSQL database (zbor_bench_statements on
127.0.0.1:5432), migrates it, seeds 200 campaigns paid into one account with
100 000 pledges (bench/seed.py), writes a camt.053 statement of 10 000 credits
(70 % name a pledge in the ways donors write codes, 5 % with one wrong
character, the rest name nothing) and imports it as the desk does: read,
match, store; then builds the review a volunteer sees and confirms 500 of its
matched entries. It prints the time and the number of queries of each step,
for statements of 1 000 and 10 000 entries (the query count must not grow
with the entries), and exits 1 when the 10 000-entry import takes 10 s or
more, or when the stored totals differ from the pledges afterwards.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

IMPORT_GOAL_S = 10.0
CONFIRMED = 500


def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def prepare(args: argparse.Namespace) -> None:
    url = f"{args.postgres}/{args.database}"
    recreate_database(args.postgres, args.database)
    env = dict(
        os.environ,
        DATABASE_URL=url,
        SECRET_KEY="bench-only-not-a-secret",
        ALLOWED_HOSTS="127.0.0.1",
        DEBUG="False",
        REDIS_URL="",
    )
    run = [sys.executable]
    subprocess.run([*run, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run(
        [*run, "bench/seed.py", "--pledges", str(args.pledges)],
        cwd=ROOT,
        env=env,
        check=True,
    )
    os.environ.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    import django

    django.setup()


def noisy(code: str, rng: random.Random) -> str:
    """A code as donors write it in a transfer's title."""
    spaced = f"{code[:4]} {code[4:]}" if rng.random() < 0.3 else code
    return rng.choice(
        [
            f"Ref: {spaced}",
            f"darowizna {spaced.lower()} dla Konstantina",
            f"{code[:4]}-{code[4:]}",
            f"ZBOR {code[:5]}\n{code[5:]} czynsz",
            spaced,
        ]
    )


def typo(code: str, rng: random.Random) -> str:
    at = rng.randrange(len(code))
    wrong = rng.choice([c for c in "ABCDEFGHJKMNPQRSTUVWXYZ23456789" if c != code[at]])
    return f"ref {code[:at]}{wrong}{code[at + 1 :]}"


def statement(entries: int, rng: random.Random, start: int) -> tuple[bytes, int]:
    from donations.models import Pledge
    from tests.donations.bankstatements import Transfer, camt053

    pending = list(
        Pledge.objects.filter(status="pending").values_list("reference", "amount")
    )
    rng.shuffle(pending)
    transfers = []
    for n in range(entries):
        roll = rng.random()
        code, amount = pending[n % len(pending)]
        booked = date(2026, 11, 1) + timedelta(days=n % 28)
        if roll < 0.70:
            transfers.append(Transfer(f"{amount:.2f}", noisy(code, rng), booked=booked))
        elif roll < 0.75:
            transfers.append(Transfer(f"{amount:.2f}", typo(code, rng), booked=booked))
        else:
            transfers.append(
                Transfer(f"{rng.randint(5, 200)}.00", "Na pomoc", booked=booked)
            )
    return camt053(*transfers, start=start), len(pending)


def measure(label: str, work):
    """Run work(), printing its wall time and how many queries it sent."""
    from django.db import connection

    sent = []

    def count(execute, sql, params, many, context):
        sent.append(1)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        started = time.perf_counter()
        result = work()
        seconds = time.perf_counter() - started
    print(f"  {label:<34} {seconds:7.2f} s  {len(sent):5d} queries")
    return result, seconds, len(sent)


def one_size(entries: int, rng: random.Random, start: int) -> dict:
    from django.contrib.auth.models import User

    from donations import statements

    user = User.objects.filter(is_superuser=True).first() or (
        User.objects.create_superuser("bench", "bench@example.org", "x")
    )
    data, pending = statement(entries, rng, start)
    print(
        f"{entries} entries ({len(data) / 2**20:.1f} MB of camt.053) "
        f"against {pending} pending pledges:"
    )
    result, import_s, import_q = measure(
        "read, match and store",
        lambda: statements.import_statement(data=data, by=user, filename="bench.xml"),
    )
    review, review_s, review_q = measure(
        "build the review",
        lambda: statements.review(result.statement, user),
    )
    print(
        f"  {len(review.matched)} matched, {len(review.doubtful)} doubtful, "
        f"{len(review.unmatched)} unmatched"
    )
    chosen = {row.entry.pk: row.seen for row in review.matched[:CONFIRMED]}
    done, confirm_s, confirm_q = measure(
        f"confirm {len(chosen)} matched",
        lambda: statements.confirm(
            statement=result.statement, user=user, receipts=chosen
        ),
    )
    again, again_s, again_q = measure(
        "import the same file again",
        lambda: statements.import_statement(data=data, by=user, filename="bench.xml"),
    )
    assert again.new == 0 and again.known == result.new, (again.new, again.known)
    return {
        "import_s": import_s,
        "import_q": import_q,
        "review_q": review_q,
        "confirmed": done.received,
        "per_confirm_ms": 1000 * confirm_s / max(len(chosen), 1),
    }


def totals_exact() -> list[str]:
    from campaigns.models import Campaign
    from donations.models import Pledge, Totals

    wrong = []
    for campaign in Campaign.objects.prefetch_related("lines"):
        if Totals.stored(campaign) != Pledge.objects.totals_for(campaign):
            wrong.append(campaign.slug)
    return wrong


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="zbor_bench_statements")
    parser.add_argument("--pledges", type=int, default=100_000)
    parser.add_argument("--entries", type=int, default=10_000)
    parser.add_argument("--no-fail", action="store_true")
    args = parser.parse_args()
    prepare(args)
    rng = random.Random(15)
    small = one_size(args.entries // 10, rng, start=1)
    large = one_size(args.entries, rng, start=1_000_000)
    wrong = totals_exact()
    print()
    print(
        f"import of {args.entries} entries: {large['import_s']:.2f} s "
        f"(goal < {IMPORT_GOAL_S:.0f} s)"
        + ("" if large["import_s"] < IMPORT_GOAL_S else "  MISSED")
    )
    flat = large["import_q"] <= small["import_q"]
    print(
        f"queries per import: {small['import_q']} at {args.entries // 10} entries, "
        f"{large['import_q']} at {args.entries}"
        + ("" if flat else "  GROWS WITH THE ENTRIES")
    )
    print(
        f"review queries: {small['review_q']} and {large['review_q']}; "
        f"confirming: {large['per_confirm_ms']:.1f} ms per entry"
    )
    print("totals equal the pledges" if not wrong else f"TOTALS DIFFER: {wrong}")
    failed = large["import_s"] >= IMPORT_GOAL_S or not flat or wrong
    sys.exit(1 if failed and not args.no_fail else 0)


if __name__ == "__main__":
    main()
