"""A storm of donors pledging at the same moment, through the real form over HTTP.

    .venv/bin/python bench/pledge_storm.py [--donors 200] [--resubmit 0.1]

It creates the PostgreSQL database if missing (DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/zbor_bench) and migrates it, creates a fresh
campaign (the seed campaign's four lines, goal €2 500, stops at its goal), starts
gunicorn with the repository's gunicorn.conf.py on a free 127.0.0.1 port, and
has every donor GET the pledge form (CSRF cookie and token, one-time token),
wait for the others, then POST a pledge at once; some post the same form twice,
like a double click. The donors promise about twice the goal: promises never
stop a collection, so every pledge must be accepted and the campaign stay open
(only received money closes it at its goal). Then it checks the money: what the
server accepted equals what is stored, the stored totals equal the sum of the
stored pledges, every donor's pledge was accepted once and the campaign is still
open. It prints accepted, refused, those checks and pledges per second.

Loopback only, bounded in donors and time. Rate limits are raised for the run:
it measures pledging, not the limiter.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serve import (  # noqa: E402
    Donor,
    app_env,
    free_port,
    start_gunicorn,
    stop,
    wait_until_up,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zbor_bench"
MAX_DONORS = 2000
TIMEOUT = 30  # seconds per request


def create_database_if_missing(url: str) -> None:
    import psycopg

    parts = urllib.parse.urlsplit(url)
    name = parts.path.lstrip("/")
    server = parts._replace(path="/postgres").geturl()
    with psycopg.connect(server, autocommit=True) as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def make_campaign(*, stop_at_goal: bool):
    from djmoney.money import Money

    from campaigns.models import BudgetLine, Campaign

    campaign = Campaign.objects.create(
        slug=f"storm-{secrets.token_hex(4)}",
        title="Pledge storm",
        beneficiary_name="Storm",
        summary="A benchmark campaign.",
        published=True,
        stop_at_goal=stop_at_goal,
        account_holder="Zbor Bench",
        iban="PL61109010140000071219812874",
    )
    for position, (label, target) in enumerate(
        [("Rent", "1000"), ("Food", "400"), ("Clothing", "300"), ("Debts", "800")]
    ):
        BudgetLine.objects.create(
            campaign=campaign,
            label=label,
            target=Money(Decimal(target), "EUR"),
            position=position,
        )
    return campaign


# ---------------------------------------------------------------------------
# One donor
# ---------------------------------------------------------------------------


@dataclass
class StormDonor:
    n: int
    amount: Decimal
    resubmit: bool
    statuses: list[int] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    error: str = ""

    def pledge(self, client: Donor, slug: str, token: str | None = None) -> None:
        status, _body = client.pledge(
            slug, self.amount, name=f"Storm donor {self.n}", token=token
        )
        self.statuses.append(status)
        self.locations.append(client.location)


def storm(base: str, slug: str, donors: list[StormDonor]) -> float:
    """Every donor loads the form, then all POST together. Returns POST seconds."""
    ready = threading.Barrier(len(donors) + 1)
    done = threading.Barrier(len(donors) + 1)

    def run(donor: StormDonor) -> None:
        client = Donor(base, timeout=TIMEOUT)
        try:
            status, _html = client.form(slug)
            if status != 200:
                donor.error = f"form page answered {status}"
        except Exception as error:  # noqa: BLE001 - reported in the summary
            donor.error = repr(error)
        try:
            ready.wait(timeout=120)
            if not donor.error:
                donor.pledge(client, slug)
                if donor.resubmit:  # a double click: the same form again
                    donor.pledge(client, slug, token=client.last_token)
        except Exception as error:  # noqa: BLE001
            donor.error = repr(error)
        finally:
            done.wait(timeout=300)

    threads = [threading.Thread(target=run, args=(d,), daemon=True) for d in donors]
    for thread in threads:
        thread.start()
    ready.wait(timeout=120)
    started = time.perf_counter()
    done.wait(timeout=300)
    return time.perf_counter() - started


# ---------------------------------------------------------------------------
# The money check
# ---------------------------------------------------------------------------


def check(campaign, donors: list[StormDonor]) -> bool:
    from campaigns.models import Campaign
    from donations.models import Pledge, Totals

    campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
    accepted = [d for d in donors if d.statuses and d.statuses[0] == 303]
    money_in = sum((d.amount for d in accepted), Decimal(0))
    stored = Totals.stored(campaign)
    recomputed = Pledge.objects.totals_for(campaign)
    pledges = list(Pledge.objects.filter(campaign=campaign).order_by("id"))
    goal = campaign.goal.amount
    resubmits_same_page = all(
        len(set(d.locations)) == 1 for d in accepted if d.resubmit
    )
    checks = {
        "money in (accepted by the server) == money recorded": money_in
        == stored.promised,
        "stored totals == sum of stored pledges": stored == recomputed,
        "one pledge per accepted donor (resubmits created nothing)": len(pledges)
        == len(accepted),
        "resubmitted forms led to the same thank-you page": resubmits_same_page,
    }
    # Promises never stop a collection, past its goal or not.
    checks["every donor's pledge accepted"] = len(accepted) == len(donors)
    checks["promises did not close the collection"] = campaign.closed_at is None
    print(
        f"  goal {goal}  collected {campaign.collected.amount}  promised "
        f"{campaign.promised.amount}  money in {money_in}"
    )
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    return all(checks.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--donors", type=int, default=200)
    parser.add_argument(
        "--resubmit", type=float, default=0.1, help="share of donors who post twice"
    )
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument(
        "--keep-open",
        action="store_true",
        help="the campaign does not stop at its goal (pledges are accepted "
        "either way: only received money closes a collection)",
    )
    args = parser.parse_args()
    if not 2 <= args.donors <= MAX_DONORS:
        raise SystemExit(f"--donors must be between 2 and {MAX_DONORS}")

    database_url = os.getenv("DATABASE_URL", DEFAULT_DATABASE_URL)
    if not database_url.startswith(("postgres://", "postgresql://")):
        raise SystemExit("The storm needs PostgreSQL (DATABASE_URL=postgres://...).")
    port = free_port()
    env = app_env(database_url, port)
    base = f"http://127.0.0.1:{port}"
    create_database_if_missing(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    setup_django(env)
    campaign = make_campaign(stop_at_goal=not args.keep_open)

    rng = random.Random(args.seed)
    # Amounts that add up to about twice the goal: promises pass it midway,
    # which must stop nothing.
    mean = Decimal(2 * 2500) / args.donors
    donors = [
        StormDonor(
            n=n,
            amount=max(
                Decimal("1.00"),
                (mean * Decimal(rng.uniform(0.5, 1.5))).quantize(Decimal("0.01")),
            ),
            resubmit=rng.random() < args.resubmit,
        )
        for n in range(args.donors)
    ]

    server = start_gunicorn(env, port)
    try:
        wait_until_up(base, server)
        seconds = storm(base, campaign.slug, donors)
    finally:
        stop(server)

    statuses = [s for d in donors for s in d.statuses[:1]]
    accepted = statuses.count(303)
    refused = statuses.count(409)
    errors = [d.error for d in donors if d.error]
    others = len(statuses) - accepted - refused
    posts = sum(len(d.statuses) for d in donors)
    print(f"pledge storm: {args.donors} donors on {database_url.rsplit('/', 1)[-1]}")
    print(
        f"  accepted {accepted}  refused (409) {refused}  "
        f"other answers {others}  errors {len(errors)}"
    )
    print(
        f"  {posts} POSTs ({posts - len(statuses)} resubmitted) in {seconds:.2f} s: "
        f"{posts / seconds:.0f} POSTs/s, {accepted / seconds:.0f} pledges/s accepted"
    )
    for error in errors[:5]:
        print(f"  error: {error}")
    ok = check(campaign, donors) and not errors and others == 0
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
