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
import http.client
import os
import random
import re
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/zbor_bench"
MAX_DONORS = 2000
TIMEOUT = 30  # seconds per request

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_INPUT = re.compile(r'name="token" value="([^"]+)"')


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


def app_env(database_url: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="False",
        SECRET_KEY=os.getenv("SECRET_KEY") or "storm-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        STATICFILES_BACKEND="django.contrib.staticfiles.storage.StaticFilesStorage",
        ZBOR_PLEDGE_RATE_PER_ADDRESS="1000000/60",
        ZBOR_PLEDGE_RATE_PER_CAMPAIGN="1000000/60",
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="ERROR",  # a refusal (409) would log a warning
        GUNICORN_LOG_LEVEL="warning",
        HOST="127.0.0.1",
        PORT=str(port),
        BIND=f"127.0.0.1:{port}",
        PYTHONPATH=str(ROOT),
    )
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
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


def wait_until_up(port: int, server: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited while starting")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time")


# ---------------------------------------------------------------------------
# One donor
# ---------------------------------------------------------------------------


@dataclass
class Donor:
    n: int
    amount: Decimal
    resubmit: bool
    statuses: list[int] = field(default_factory=list)
    locations: list[str] = field(default_factory=list)
    error: str = ""


def load_form(port: int, path: str) -> tuple[str, str, str]:
    """GET the form: the CSRF cookie, the form's CSRF token and one-time token.

    The CSRF cookie is Secure outside DEBUG; over loopback HTTP we carry it by
    hand, as a browser behind the TLS proxy would.
    """
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request("GET", path)
    response = conn.getresponse()
    html = response.read().decode()
    if response.status != 200:
        raise RuntimeError(f"form page answered {response.status}")
    cookie = next(
        value.split(";", 1)[0]
        for name, value in response.getheaders()
        if name.lower() == "set-cookie" and value.startswith("csrftoken=")
    )
    return cookie, CSRF_INPUT.search(html)[1], TOKEN_INPUT.search(html)[1]


def post_pledge(port: int, path: str, form: tuple[str, str, str], donor: Donor):
    cookie, csrf, token = form
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": csrf,
            "token": token,
            "amount": "other",
            "other_amount": str(donor.amount),
            "line": "",
            "donor_name": f"Storm donor {donor.n}",
        }
    )
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
    conn.request(
        "POST",
        path,
        body=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": cookie,
        },
    )
    response = conn.getresponse()
    response.read()
    donor.statuses.append(response.status)
    donor.locations.append(response.getheader("Location") or "")


def storm(port: int, path: str, donors: list[Donor]) -> float:
    """Every donor loads the form, then all POST together. Returns POST seconds."""
    forms: dict[int, tuple[str, str, str]] = {}
    ready = threading.Barrier(len(donors) + 1)
    done = threading.Barrier(len(donors) + 1)

    def run(donor: Donor) -> None:
        try:
            forms[donor.n] = load_form(port, path)
        except Exception as error:  # noqa: BLE001 - reported in the summary
            donor.error = repr(error)
        try:
            ready.wait(timeout=120)
            if not donor.error:
                post_pledge(port, path, forms[donor.n], donor)
                if donor.resubmit:
                    post_pledge(port, path, forms[donor.n], donor)
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


def check(campaign, donors: list[Donor]) -> bool:
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
    create_database_if_missing(database_url)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    setup_django(env)
    campaign = make_campaign(stop_at_goal=not args.keep_open)
    path = f"/c/{campaign.slug}/give/"

    rng = random.Random(args.seed)
    # Amounts that add up to about twice the goal: promises pass it midway,
    # which must stop nothing.
    mean = Decimal(2 * 2500) / args.donors
    donors = [
        Donor(
            n=n,
            amount=max(
                Decimal("1.00"),
                (mean * Decimal(rng.uniform(0.5, 1.5))).quantize(Decimal("0.01")),
            ),
            resubmit=rng.random() < args.resubmit,
        )
        for n in range(args.donors)
    ]

    server = subprocess.Popen(
        [GUNICORN, "config.wsgi"], cwd=ROOT, env=env, start_new_session=True
    )
    try:
        wait_until_up(port, server, time.monotonic() + 30)
        seconds = storm(port, path, donors)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)

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
