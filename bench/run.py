"""Zbor's benchmark, in one command:

    .venv/bin/python bench/run.py                     # every section
    .venv/bin/python bench/run.py --no-seed --only admin,expire

It (re)creates a dedicated PostgreSQL database (--database, default zbor_bench
on 127.0.0.1:5432), migrates it and seeds it (bench/seed.py, COPY): 2 000
campaigns and 1 000 000 pledges, and a campaign of 1 000 000 more for the
export. It starts gunicorn with the committed gunicorn.conf.py and DEBUG off
over that database and the local Redis, under a key prefix of its own (nothing
outside it is written or deleted; no FLUSHDB), on --port or a free one, and
runs the sections asked for (--only, comma-separated; all by default):

  page     the campaign page (200 000 pledges) against a minimal view (/ping),
           in alternating rounds, with wrk; and /healthz
  list     the campaign list with no pledges against the same list while
           pledges arrive through the app at --churn a second; a deep page
  pledges  pledge POSTs to no line, the bare transaction (lock the campaign
           row, insert, update the totals) through psycopg at the same
           concurrency, and pledges earmarked to a line, in rounds
  admin    the admin's pledge list (plain, each filter, a search, a deep page)
           and the record list, timed as a superuser against a second server
           over <database>_10k, the same campaigns with 10 000 pledges
  export   the CSV export of the million-pledge campaign through gunicorn:
           every row there, within the worker timeout
  expire   --expire pending pledges made due, expire_pledges timed, then every
           campaign's stored totals compared with totals_for

Then it checks that every total equals the sum of its pledges and prints the
figures, each goal beside its figure (MISSED when not met), the workers' peak
memory and how busy the machine was. A missed goal makes the run exit with
status 1 (unless --no-fail); so do totals that differ, and pledges refused.
Rate limits are raised for the run: it measures the app, not the limiter.
"""

from __future__ import annotations

import argparse
import http.client
import itertools
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.serve import (  # noqa: E402
    CSRF_INPUT,
    Donor,
    app_env,
    free_port,
    start_gunicorn,
    stop,
    wait_until_up,
)

PYTHON = sys.executable
PAGE_SLUG = "bench-page"
PLEDGE_SLUG = "bench-pledges"
APP_DONOR = "Bench via app"
EARMARK_DONOR = "Bench earmarked via app"
BASELINE_DONOR = "Bench baseline"

# The goals (the issue's): each ratio is a median of alternating rounds.
PAGE_GOAL = 0.85  # campaign page / minimal view
PAGE_P99_GOAL_MS = 100.0  # campaign page p99 at the bench's concurrency
PLEDGE_GOAL = 0.45  # each kind of pledge via the app / the bare transaction
PAGE_RATIO = "campaign page / minimal view"
PLEDGE_RATIO = "pledges to no line / bare transaction"
EARMARK_RATIO = "earmarked pledges / bare transaction"
KEY_PREFIX_RE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


# ---------------------------------------------------------------------------
# Preparing the database and the server
# ---------------------------------------------------------------------------


def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def database_exists(args: argparse.Namespace, name: str) -> bool:
    import psycopg

    with psycopg.connect(f"{args.postgres}/postgres", autocommit=True) as conn:
        query = "SELECT 1 FROM pg_database WHERE datname = %s"
        return conn.execute(query, [name]).fetchone() is not None


def clear_key_prefix(url: str, prefix: str) -> int:
    """Delete the cache keys under `prefix` (Django writes "<prefix>:<version>:
    <key>"), and nothing else: the Redis may be shared. Returns how many."""
    import redis

    if not KEY_PREFIX_RE.match(prefix):  # no glob characters in the pattern
        raise SystemExit(f"--key-prefix {prefix!r}: letters, digits, . _ - only")
    client = redis.Redis.from_url(url)
    deleted = 0
    batch = []
    for key in client.scan_iter(match=f"{prefix}:*", count=1000):
        batch.append(key)
        if len(batch) == 500:
            deleted += client.delete(*batch)
            batch = []
    if batch:
        deleted += client.delete(*batch)
    return deleted


def port_is_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:`port` (else the bench would load it)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def bench_env(args: argparse.Namespace, static_root: str, port: int) -> dict[str, str]:
    return app_env(
        f"{args.postgres}/{args.database}",
        port,
        redis_url=args.redis,
        static_root=static_root,
        extra={
            "CACHE_KEY_PREFIX": args.key_prefix,
            "SECRET_KEY": "bench-" + secrets.token_urlsafe(32),
            "LOG_LEVEL": "WARNING",
        },
    )


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)


def machine_busy(seconds: float = 2.0) -> float:
    """The share of the machine's CPU time that was busy (stolen included)
    over `seconds`, while the bench itself loads nothing: other work on a
    shared machine skews every ratio, and this says how much there was."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
        idle = values[3] + values[4]  # idle, iowait
        return sum(values), idle

    try:
        total0, idle0 = sample()
        time.sleep(seconds)
        total1, idle1 = sample()
    except (OSError, ValueError, IndexError):
        return 0.0
    elapsed = total1 - total0
    return 1 - (idle1 - idle0) / elapsed if elapsed else 0.0


BUSY_WARNING = 0.2  # above this share, the run was shared with other work


class MemoryWatcher(threading.Thread):
    """Polls the resident memory of gunicorn's workers (the master's children),
    including workers started later by max_requests, and keeps the peak."""

    def __init__(self, master_pid: int, interval: float = 0.1) -> None:
        super().__init__(daemon=True)
        self.master_pid = master_pid
        self.interval = interval
        self.peak_kib: dict[int, int] = {}
        self.peak_total_kib = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            total = 0
            for pid in self.children():
                rss = self.rss_kib(pid)
                total += rss
                self.peak_kib[pid] = max(self.peak_kib.get(pid, 0), rss)
            self.peak_total_kib = max(self.peak_total_kib, total)

    def children(self) -> list[int]:
        try:
            path = Path(f"/proc/{self.master_pid}/task/{self.master_pid}/children")
            return [int(pid) for pid in path.read_text().split()]
        except OSError:
            return []

    @staticmethod
    def rss_kib(pid: int) -> int:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            pass
        return 0


# ---------------------------------------------------------------------------
# Load
# ---------------------------------------------------------------------------


@dataclass
class Result:
    name: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def parse_wrk(name: str, output: str) -> Result:
    def latency(percent: str) -> float:
        match = re.search(rf"^\s+{percent}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.M)
        if match is None:
            raise SystemExit(f"wrk printed no {percent}% latency:\n{output}")
        return float(match[1]) * UNITS_MS[match[2]]

    rate = re.search(r"^Requests/sec:\s+([\d.]+)", output, re.M)
    count = re.search(r"^\s+(\d+) requests in", output, re.M)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = int(bad[1]) if bad else 0
    if sockets:
        errors += sum(int(n) for n in sockets.groups())
    return Result(
        name=name,
        requests_per_second=float(rate[1]) if rate else 0.0,
        p50_ms=latency("50"),
        p99_ms=latency("99"),
        requests=int(count[1]) if count else 0,
        errors=errors,
    )


def wrk(
    name: str,
    url: str,
    args: argparse.Namespace,
    script: str | None = None,
    warmup: bool = True,
) -> Result:
    command = ["wrk", f"-t{args.threads}", f"-c{args.connections}", "--latency"]
    if script:
        command += ["-s", script]
    if warmup:
        subprocess.run(
            [*command, "-d2s", url], capture_output=True, text=True, check=True
        )
    output = subprocess.run(
        [*command, f"-d{args.duration}s", "--timeout", "5s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return parse_wrk(name, output)


PLEDGE_LUA = """
-- POST the pledge form (to no line, or earmarked to one line) with one CSRF
-- cookie/token pair fetched beforehand and a fresh one-time form token per
-- request (the form accepts any well-formed one).
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  thread_id = tonumber(wrk.thread:get("thread_id")) or 0
end

function request()
  counter = counter + 1
  local token = string.format("bench%s%04d%010d", "__RUN__", thread_id, counter)
  local body = "csrfmiddlewaretoken=__CSRF__&amount=10&line=__LINE__"
    .. "&donor_name=__DONOR__"
    .. "&token=" .. token
  return wrk.format("POST", "__PATH__", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=__COOKIE__",
  }, body)
end
"""


def load_form(base: str) -> tuple[str, str, list[int]]:
    """GET the pledge form: its CSRF cookie and token, and the ids of the lines
    it offers as earmarks (those not done)."""
    donor = Donor(base, timeout=10)
    status, _html = donor.form(PLEDGE_SLUG)
    if status != 200 or "csrftoken" not in donor.cookies:
        raise SystemExit("The pledge form carried no CSRF cookie and token.")
    return (
        donor.cookies["csrftoken"],
        donor.csrf[PLEDGE_SLUG],
        donor.lines[PLEDGE_SLUG],
    )


def earmark_line(base: str) -> int:
    """The line the earmarked pledges go to: the last one the form offers.
    Money to no line fills the lines in order, so the last is the last to be
    done; and a line is done only once received money covers it, which the
    pending pledges of the run never are."""
    offered = load_form(base)[2]
    if not offered:
        raise SystemExit(
            f"The pledge form of {PLEDGE_SLUG} offers no line to earmark: reseed."
        )
    return offered[-1]


def pledge_script(base: str, directory: str, line: int | None = None) -> str:
    """Fetch the pledge form once for a CSRF cookie and token; write the Lua
    for pledges to `line` (which the form must still offer), or to no line."""
    cookie, token, offered = load_form(base)
    if line is not None and line not in offered:
        raise SystemExit(f"The pledge form no longer offers line {line}.")
    donor = APP_DONOR if line is None else EARMARK_DONOR
    lua = (
        PLEDGE_LUA.replace("__RUN__", secrets.token_hex(4))
        .replace("__CSRF__", token)
        .replace("__COOKIE__", cookie)
        .replace("__LINE__", "" if line is None else str(line))
        .replace("__DONOR__", donor.replace(" ", "+"))
        .replace("__PATH__", f"/c/{PLEDGE_SLUG}/give/")
    )
    script = Path(directory) / f"pledge-{'none' if line is None else line}.lua"
    script.write_text(lua)
    return str(script)


def check_page(base: str, slug: str | None, expect: str) -> None:
    donor = Donor(base, timeout=10)
    status, body = donor.page(slug) if slug else donor.request("GET", "/")
    if status != 200 or expect not in body:
        raise SystemExit(f"{slug or 'the campaign list'} did not show {expect!r}")


# ---------------------------------------------------------------------------
# The bare transaction through psycopg, and the totals check
# ---------------------------------------------------------------------------


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(
        {k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")}
    )
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def bare_insert_sql() -> tuple[str, list]:
    """INSERT for one pending, unearmarked pledge of 10.00, every column given.

    Built from the model so a column added later is filled with its default."""
    from djmoney.money import Money

    from donations.models import Pledge

    fixed = {
        "line_id": None,
        "amount": Decimal("10.00"),
        "amount_currency": "EUR",
        "status": "pending",
        "donor_name": BASELINE_DONOR,
        "language": "en",
    }
    per_row = ("campaign_id", "reference", "access_key", "submission_token")
    columns, values = [], []
    for field in Pledge._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(f'"{field.column}"')
        if field.attname in per_row:
            values.append(f"%({field.attname})s")
        elif field.attname == "created_at":
            values.append("now()")
        else:
            value = fixed.get(field.attname, field.get_default())
            values.append(
                f"%(_{field.attname})s" if value is not None else "NULL"  # noqa: S608 - names come from the model
            )
            fixed[field.attname] = value.amount if isinstance(value, Money) else value
    sql = (
        f"INSERT INTO donations_pledge ({', '.join(columns)}) "  # noqa: S608
        f"VALUES ({', '.join(values)})"
    )
    constants = [(f"_{k}", v) for k, v in fixed.items() if v is not None]
    return sql, constants


def baseline(
    database_url: str, campaign_id: int, connections: int, seconds: float
) -> Result:
    """The pledge's essential work, as fast as psycopg drives it: lock the
    campaign row, insert the pledge, update the totals, commit."""
    import psycopg

    from donations.models import new_access_key, new_reference

    insert, constants = bare_insert_sql()
    latencies: list[list[float]] = [[] for _ in range(connections)]
    errors = [0] * connections
    stop_at = time.monotonic() + seconds
    sequence = itertools.count()
    run = secrets.token_hex(4)

    def worker(n: int) -> None:
        with psycopg.connect(database_url) as conn:
            while time.monotonic() < stop_at:
                started = time.perf_counter()
                params = dict(constants)
                params.update(
                    campaign_id=campaign_id,
                    reference=new_reference(),
                    access_key=new_access_key(),
                    submission_token=f"base{run}{next(sequence):012d}",
                )
                try:
                    with conn.transaction():
                        conn.execute(
                            "SELECT id FROM campaigns_campaign"
                            " WHERE id = %s FOR UPDATE",
                            [campaign_id],
                        )
                        conn.execute(insert, params)
                        conn.execute(
                            "UPDATE campaigns_campaign SET promised = promised + 10,"
                            " supporters = supporters + 1, version = version + 1"
                            " WHERE id = %s",
                            [campaign_id],
                        )
                except psycopg.errors.UniqueViolation:
                    errors[n] += 1  # a reference code drawn twice: retry
                    continue
                latencies[n].append((time.perf_counter() - started) * 1000)

    began = time.monotonic()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - began
    every = sorted(itertools.chain.from_iterable(latencies))
    quantiles = statistics.quantiles(every, n=100)
    return Result(
        name="bare transaction (psycopg)",
        requests_per_second=len(every) / elapsed,
        p50_ms=quantiles[49],
        p99_ms=quantiles[98],
        requests=len(every),
        errors=sum(errors),
    )


def totals_exact() -> list[str]:
    """Campaigns and lines whose stored totals differ from their pledges' sums."""
    from django.db.models import Count, Q, Sum

    from campaigns.models import BudgetLine, Campaign

    wrong = []
    campaigns = Campaign.objects.annotate(
        c=Sum("pledges__received_amount", filter=Q(pledges__status="received")),
        p=Sum("pledges__amount", filter=Q(pledges__status="pending")),
        n=Count("pledges", filter=~Q(pledges__status="cancelled")),
    )
    for campaign in campaigns:
        if (
            campaign.collected.amount != (campaign.c or 0)
            or campaign.promised.amount != (campaign.p or 0)
            or campaign.supporters != campaign.n
        ):
            wrong.append(campaign.slug)
    # Whichever totals the lines store: received, pending, or both together.
    stored = {f.name for f in BudgetLine._meta.concrete_fields}
    checks = [(name, sums) for name, sums in LINE_TOTALS if name in stored]
    lines = BudgetLine.objects.annotate(
        r=Sum("pledges__received_amount", filter=Q(pledges__status="received")),
        p=Sum("pledges__amount", filter=Q(pledges__status="pending")),
    )
    for line in lines:
        expected = {"r": line.r or 0, "p": line.p or 0}
        for name, sums in checks:
            total = getattr(line, name)
            total = getattr(total, "amount", total)  # Money or Decimal
            if total != sum(expected[s] for s in sums):
                wrong.append(f"line {line.pk} ({name})")
                break
    return wrong


# A line's stored totals and the pledges they sum: r received, p pending.
LINE_TOTALS = [
    ("earmarked", "rp"),
    ("earmarked_effective", "rp"),
    ("earmarked_collected", "r"),
    ("earmarked_received", "r"),
    ("received", "r"),
    ("collected", "r"),
    ("earmarked_promised", "p"),
    ("promised", "p"),
]


# ---------------------------------------------------------------------------


SECTIONS = ("page", "pledges", "list", "admin", "export", "expire")


def sections(value: str) -> tuple[str, ...]:
    """--only page,pledges,...: the sections to run, in their order."""
    wanted = {"pages" if name == "page" else name for name in value.split(",")}
    wanted = {"page" if name == "pages" else name.strip() for name in wanted}
    unknown = wanted - set(SECTIONS)
    if unknown or not wanted:
        raise argparse.ArgumentTypeError(
            f"choose from {','.join(SECTIONS)} (not {','.join(sorted(unknown))})"
        )
    return tuple(name for name in SECTIONS if name in wanted)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating rounds of each ratio's load and its yardstick",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="gunicorn's port (default: a free one)"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument(
        "--database",
        default="zbor_bench",
        help="the database of the run (recreated unless --no-seed); the admin "
        "section compares with <database>_10k",
    )
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--key-prefix",
        default=f"zbor-bench-{secrets.token_hex(4)}",
        help="the cache key prefix of the run (default: a new one per run); its "
        "keys are deleted before and after, and no other key is touched",
    )
    parser.add_argument("--campaigns", type=int, default=2000)
    parser.add_argument("--pledges", type=int, default=1_000_000)
    parser.add_argument(
        "--export-pledges",
        type=int,
        default=1_000_000,
        help="pledges of the campaign the export section downloads (beside --pledges)",
    )
    parser.add_argument(
        "--small-pledges",
        type=int,
        default=10_000,
        help="pledges in the admin section's comparison database",
    )
    parser.add_argument(
        "--expire", type=int, default=100_000, help="pending pledges to expire"
    )
    parser.add_argument(
        "--churn",
        type=float,
        default=5.0,
        help="pledges per second made while the campaign list is loaded",
    )
    parser.add_argument(
        "--no-seed", action="store_true", help="reuse the seeded databases"
    )
    parser.add_argument(
        "--only",
        type=sections,
        default=SECTIONS,
        help=f"comma-separated sections to run (default all: {','.join(SECTIONS)})",
    )
    parser.add_argument(
        "--no-fail",
        action="store_true",
        help="exit 0 even when a goal is missed (totals that differ still fail)",
    )
    return parser.parse_args(argv)


def seed(args: argparse.Namespace, env: dict[str, str], name: str, **counts) -> None:
    print(f"== seeding {name}: {counts}")
    recreate_database(args.postgres, name)
    manage(env, "migrate", "--verbosity", "0")
    options = [f"--{key.replace('_', '-')}={value}" for key, value in counts.items()]
    subprocess.run([PYTHON, "bench/seed.py", *options], cwd=ROOT, env=env, check=True)


BENCH_USER = "bench-admin"
BENCH_PASSWORD = "bench-" + secrets.token_urlsafe(12)

ADD_SUPERUSER = """
from django.contrib.auth import get_user_model
User = get_user_model()
user = User.objects.filter(username={name!r}).first() or User(username={name!r})
user.is_staff = user.is_superuser = True
user.set_password({password!r})
user.save()
"""


def add_superuser(env: dict[str, str]) -> None:
    code = ADD_SUPERUSER.format(name=BENCH_USER, password=BENCH_PASSWORD)
    manage(env, "shell", "--no-imports", "-c", code)


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    port = args.port or free_port()
    if not port_is_free(port):
        raise SystemExit(f"Port {port} is taken: pass another --port.")
    small = f"{args.database}_10k"
    prefixes = [args.key_prefix, f"{args.key_prefix}-10k"]
    for prefix in prefixes:
        clear_key_prefix(args.redis, prefix)  # checks the prefix, too

    workdir = tempfile.mkdtemp(prefix="zbor-bench-")
    base = f"http://127.0.0.1:{port}"
    env = bench_env(args, str(Path(workdir) / "static"), port)
    small_port = free_port()
    small_env = bench_env(args, str(Path(workdir) / "static"), small_port)
    small_env["DATABASE_URL"] = f"{args.postgres}/{small}"
    small_env["CACHE_KEY_PREFIX"] = prefixes[1]
    if not args.no_seed:
        seed(
            args,
            env,
            args.database,
            campaigns=args.campaigns,
            pledges=args.pledges,
            export_pledges=args.export_pledges,
        )
    if "admin" in args.only and not (args.no_seed and database_exists(args, small)):
        seed(
            args, small_env, small, campaigns=args.campaigns, pledges=args.small_pledges
        )
    manage(env, "migrate", "--verbosity", "0")
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")
    if "admin" in args.only:
        manage(small_env, "migrate", "--verbosity", "0")
        add_superuser(small_env)
    add_superuser(env)

    # Django in this process too: the bare transaction's INSERT is built from
    # the model, and the totals are checked through the ORM at the end.
    setup_django(env)
    from campaigns.models import Campaign

    campaign = Campaign.objects.get(slug=PLEDGE_SLUG)
    print(
        f"== gunicorn on {base}, {args.workers} workers, DEBUG off, cache keys "
        f"under {args.key_prefix}:; sections: {','.join(args.only)}"
    )
    server = start_gunicorn(env, port, workers=args.workers)
    servers = [server]
    run = Run(args=args, base=base, workdir=workdir)
    line = None
    try:
        wait_until_up(base, server)
        run.busy.append(machine_busy())
        watcher = MemoryWatcher(server.pid)
        watcher.start()
        check_page(base, PAGE_SLUG, "Helping beneficiary 0 start")
        check_page(base, None, "Helping beneficiary")
        print(
            f"== wrk: {args.connections} connections, {args.threads} threads, "
            f"{args.duration} s per endpoint"
        )
        if "page" in args.only:
            rounds, page_ratio = page_rounds(base, args)
            run.results += rounds
            run.ratios[PAGE_RATIO] = page_ratio
            run.results.append(wrk("/healthz", base + "/healthz", args))
        if "list" in args.only:
            list_section(run)
        if "pledges" in args.only:
            line = earmark_line(base)
            rounds, pledge_ratios = pledge_rounds(
                base, workdir, campaign.pk, line, args
            )
            run.results += rounds
            run.ratios.update(pledge_ratios)
        if "admin" in args.only:
            small_server = start_gunicorn(small_env, small_port, workers=args.workers)
            servers.append(small_server)
            small_base = f"http://127.0.0.1:{small_port}"
            wait_until_up(small_base, small_server)
            admin_section(run, small_base, args.small_pledges)
            stop(small_server)
        if "export" in args.only:
            export_section(run)
        watcher.stopped.set()
        if "expire" in args.only:
            expire_section(run)
        run.busy.append(machine_busy())
    finally:
        for one in servers:
            stop(one)
        shutil.rmtree(workdir, ignore_errors=True)
        for prefix in prefixes:
            clear_key_prefix(args.redis, prefix)

    made = pledges_made(campaign.pk, line)
    wrong = totals_exact()
    missed = report(run, watcher, made, wrong)
    refused = sum(r.errors for r in run.results if r.name in PLEDGE_LOADS)
    if wrong or refused or (missed and not args.no_fail):
        raise SystemExit(1)


@dataclass
class Run:
    """What the sections measured: wrk results, the ratios of the page and
    pledge goals, the other goals, lines for the report, machine load."""

    args: argparse.Namespace
    base: str
    workdir: str
    results: list[Result] = dataclass_field(default_factory=list)
    ratios: dict[str, float] = dataclass_field(default_factory=dict)
    goals: list[Goal] = dataclass_field(default_factory=list)
    notes: list[str] = dataclass_field(default_factory=list)
    busy: list[float] = dataclass_field(default_factory=list)

    def note(self, text: str) -> None:
        print(f"   {text}")
        self.notes.append(text)


# ---------------------------------------------------------------------------
# The campaign list under pledge churn
# ---------------------------------------------------------------------------

LIST_GOAL = 0.5  # the list under churn / the list with no pledges
LIST_RATIO = "campaign list under pledge churn / without"
CHURN_DONOR = "Bench churn"


class Churn(threading.Thread):
    """Pledges through the app at `rate` a second, round the open campaigns
    in `slugs`, until stopped; counts the answers."""

    def __init__(self, base: str, slugs: list[str], rate: float) -> None:
        super().__init__(daemon=True)
        self.base, self.slugs, self.rate = base, slugs, rate
        self.stopped = threading.Event()
        self.statuses: list[int] = []

    def run(self) -> None:
        donor = Donor(self.base, timeout=10)
        slugs = itertools.cycle(self.slugs)
        began = time.monotonic()
        while not self.stopped.is_set():
            try:
                status, _ = donor.pledge(next(slugs), "10", name=CHURN_DONOR)
            except OSError:
                status = 0
            self.statuses.append(status)
            due = began + len(self.statuses) / self.rate
            self.stopped.wait(max(0.0, due - time.monotonic()))


def churn_slugs(count: int = 50) -> list[str]:
    """Open campaigns on the list's first pages (those with no deadline passed),
    the bench's own two left out."""
    from django.utils import timezone

    from campaigns.models import Campaign

    return list(
        Campaign.objects.open()
        .filter(deadline__gt=timezone.now())
        .exclude(slug__in=[PAGE_SLUG, PLEDGE_SLUG, "bench-export"])
        .order_by("pk")
        .values_list("slug", flat=True)[:count]
    )


def list_section(run: Run) -> None:
    """The campaign list (first page, and a deep one) with no pledges, then
    with pledges made at --churn a second, in alternating rounds."""
    args = run.args
    print(
        f"== the campaign list: {args.rounds} rounds without pledges and with "
        f"{args.churn:g} pledges/s"
    )
    churns: list[Churn] = []

    def churned() -> Result:
        churn = Churn(run.base, churn_slugs(), args.churn)
        churns.append(churn)
        churn.start()
        try:
            return wrk("campaign list, churn", run.base + "/", args)
        finally:
            churn.stopped.set()
            churn.join(timeout=15)

    (quiet, busy), (ratio,) = alternating_rounds(
        args, lambda: wrk("campaign list", run.base + "/", args), churned
    )
    run.results += [quiet, busy]
    run.ratios[LIST_RATIO] = ratio
    statuses = [status for churn in churns for status in churn.statuses]
    taken = statuses.count(303)
    run.note(
        f"churn: {taken} pledges taken of {len(statuses)} sent "
        f"({len(statuses) - taken} refused or failed)"
    )
    if taken != len(statuses):
        run.goals.append(Goal("churn pledges taken", taken / len(statuses), 1, True))
    run.results.append(wrk("campaign list page 40", run.base + "/?page=40", args))


# ---------------------------------------------------------------------------
# The admin's lists, at --small-pledges and at the full size
# ---------------------------------------------------------------------------

ADMIN_GOAL = 2.0  # the list at the full size / at --small-pledges, at most
ADMIN_REQUESTS = 20  # timed requests per list and server (after 3 unmeasured)


def admin_login(base: str) -> Donor:
    donor = Donor(base, timeout=60)
    status, html = donor.request("GET", "/admin/login/")
    csrf = CSRF_INPUT.search(html)
    if status != 200 or csrf is None:
        raise SystemExit(f"The admin login page answered {status}.")
    status, _ = donor.request(
        "POST",
        "/admin/login/",
        {
            "csrfmiddlewaretoken": csrf[1],
            "username": BENCH_USER,
            "password": BENCH_PASSWORD,
            "next": "/admin/",
        },
    )
    if status != 302:
        raise SystemExit(f"The admin login answered {status}, not 302.")
    return donor


def admin_lists() -> dict[str, str]:
    """The admin lists to time, by name: the pledge list, each of its filters,
    a search and a deep page; the record (activity) list."""
    from campaigns.models import Campaign
    from donations.models import Pledge

    page = Campaign.objects.get(slug=PAGE_SLUG).pk
    reference = Pledge.objects.order_by("pk").values_list("reference", flat=True)[0]
    pledges = "/admin/donations/pledge/"
    return {
        "admin pledge list": pledges,
        "admin pledges, pending": pledges + "?status__exact=pending",
        "admin pledges, gifts": pledges + "?kind__exact=gift",
        "admin pledges, last 7 days": pledges + "?created=7",
        "admin pledges, one campaign": pledges + f"?campaign={page}",
        "admin pledges, campaign + received": pledges
        + f"?campaign={page}&status__exact=received",
        "admin pledges, reference search": pledges + f"?q={reference}",
        "admin pledges, page 50": pledges + "?p=50",
        "admin record list": "/admin/campaigns/activity/",
    }


def time_get(donor: Donor, path: str, count: int) -> float:
    """The median milliseconds of `count` GETs of `path` (after 3 unmeasured)."""
    times = []
    for n in range(count + 3):
        started = time.perf_counter()
        status, _ = donor.request("GET", path)
        elapsed = (time.perf_counter() - started) * 1000
        if status != 200:
            raise SystemExit(f"{path} answered {status}")
        if n >= 3:
            times.append(elapsed)
    return statistics.median(times)


def admin_section(run: Run, small_base: str, small_pledges: int) -> None:
    """Each admin list on both servers, alternating, as a logged-in superuser
    (who reaches every pledge: the largest list there is)."""
    print(
        f"== the admin lists: {small_pledges} pledges against the full database, "
        f"median of {ADMIN_REQUESTS} requests each"
    )
    big, small = admin_login(run.base), admin_login(small_base)
    lists = admin_lists()
    from campaigns.models import Campaign

    # The small database's ids differ: its own page campaign.
    for name, path in lists.items():
        small_path = path
        if "campaign=" in path:
            small_path = path.replace(
                f"campaign={Campaign.objects.get(slug=PAGE_SLUG).pk}",
                f"campaign={small_page_campaign(run.args)}",
            )
        if "?q=" in path:
            small_path = path.split("?q=")[0] + "?q=" + small_reference(run.args)
        ms = {"small": [], "big": []}
        for _round in range(run.args.rounds):
            ms["small"].append(time_get(small, small_path, ADMIN_REQUESTS))
            ms["big"].append(time_get(big, path, ADMIN_REQUESTS))
        small_ms = statistics.median(ms["small"])
        big_ms = statistics.median(ms["big"])
        ratio = big_ms / small_ms
        run.note(
            f"{name}: {small_ms:.1f} ms at {small_pledges}, {big_ms:.1f} ms at "
            f"full size ({ratio:.2f}x)"
        )
        if name.startswith("admin pledge"):
            run.goals.append(
                Goal(f"{name}, full / small", ratio, ADMIN_GOAL, False, "x")
            )


def small_query(args: argparse.Namespace, sql: str) -> str:
    import psycopg

    with psycopg.connect(f"{args.postgres}/{args.database}_10k") as conn:
        return str(conn.execute(sql).fetchone()[0])


def small_page_campaign(args: argparse.Namespace) -> str:
    return small_query(
        args, f"SELECT id FROM campaigns_campaign WHERE slug = '{PAGE_SLUG}'"
    )


def small_reference(args: argparse.Namespace) -> str:
    return small_query(args, "SELECT reference FROM donations_pledge ORDER BY id")


# ---------------------------------------------------------------------------
# The export of a million-pledge campaign, through gunicorn
# ---------------------------------------------------------------------------

EXPORT_SLUG = "bench-export"


def export_section(run: Run) -> None:
    """Download bench-export's CSV as a superuser: every row there, in time."""
    from campaigns.models import Campaign

    campaign = Campaign.objects.filter(slug=EXPORT_SLUG).first()
    if campaign is None:
        raise SystemExit(f"No {EXPORT_SLUG}: seed with --export-pledges.")
    expected = campaign.pledges.count()
    print(f"== the export of {EXPORT_SLUG}: {expected} pledges")
    donor = admin_login(run.base)
    host, port = run.base.removeprefix("http://").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=120)
    started = time.perf_counter()
    conn.request(
        "GET",
        f"/desk/c/{campaign.pk}/pledges.csv",
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in donor.cookies.items())},
    )
    response = conn.getresponse()
    lines, size, tail = 0, 0, b""
    try:
        while chunk := response.read(1 << 16):
            lines += chunk.count(b"\n")
            size += len(chunk)
            tail = chunk[-1:]
    except (OSError, http.client.HTTPException) as error:
        run.note(f"export broke off: {error!r}")
    seconds = time.perf_counter() - started
    conn.close()
    rows = lines - 1  # the header
    whole = response.status == 200 and tail == b"\n" and rows == expected
    run.note(
        f"export: {rows} rows of {expected} ({size / 1e6:.0f} MB) in {seconds:.1f} s, "
        f"status {response.status}, {'whole' if whole else 'NOT WHOLE'}"
    )
    # However long it takes (the worker tells gunicorn it is making progress,
    # config/workers.py), the file must be whole.
    run.goals.append(Goal("export rows / pledges", rows / expected, 1.0, True))


# ---------------------------------------------------------------------------
# Expiring pending pledges
# ---------------------------------------------------------------------------

EXPIRE_SECONDS = 10.0
EXPIRE_DONOR_AGE_DAYS = 3650  # the armed pledges are this old


def arm_expiry(count: int) -> int:
    """Make exactly `count` pending pledges due to expire and no other: every
    campaign keeps pledges a year, the first `count` pending ones (by id,
    spread over the campaigns) are made ten years old. Returns how many."""
    from django.db import connection, transaction

    from config.jobs import use_job_limits

    use_job_limits()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE campaigns_campaign SET pledge_expiry_days = 365")
        cursor.execute(
            "UPDATE donations_pledge SET created_at = now() - %s * interval '1 day'"
            " WHERE id IN (SELECT id FROM donations_pledge WHERE status = 'pending'"
            " AND transfer_sent_at IS NULL ORDER BY id LIMIT %s)",
            [EXPIRE_DONOR_AGE_DAYS, count],
        )
        return cursor.rowcount


def expire_section(run: Run) -> None:
    """The expire_pledges job over --expire due pledges; then every campaign's
    stored totals against totals_for."""
    from django.core.management import call_command

    from campaigns.models import Campaign
    from donations.models import Pledge, Totals

    armed = arm_expiry(run.args.expire)
    print(f"== expire_pledges: {armed} pending pledges due")
    started = time.perf_counter()
    call_command("expire_pledges", verbosity=0)
    seconds = time.perf_counter() - started
    left = Pledge.objects.filter(
        status=Pledge.Status.PENDING,
        created_at__lt=timezone_now() - timedelta(days=EXPIRE_DONOR_AGE_DAYS - 1),
    ).count()
    differ = [
        campaign.slug
        for campaign in Campaign.objects.all()
        if Totals.stored(campaign) != Pledge.objects.totals_for(campaign)
    ]
    run.note(
        f"expire: {armed - left} of {armed} expired in {seconds:.1f} s; totals equal "
        f"totals_for: {'yes' if not differ else 'NO: ' + ', '.join(differ[:5])}"
    )
    run.goals.append(Goal("expire seconds", seconds, EXPIRE_SECONDS, False, "s"))
    run.goals.append(Goal("expired / due", (armed - left) / armed, 1.0, True))
    run.goals.append(Goal("campaigns whose totals differ", len(differ), 1, False, ""))


def timezone_now():
    from django.utils import timezone

    return timezone.now()


def alternating_rounds(
    args: argparse.Namespace,
    yardstick: Callable[[], Result],
    *measured: Callable[[], Result],
) -> tuple[list[Result], list[float]]:
    """Each round runs the first `measured`, then `yardstick`, then the other
    `measured` (if any), in args.rounds rounds: this machine's speed drifts by
    10-20 % from one minute to the next, and alternating keeps each ratio to
    its round's yardstick fair. Returns the median result of the yardstick,
    then of each measured (each with the worst p99 of its rounds), and for each
    measured the median of its rounds' ratios to the yardstick."""
    rounds = []
    for number in range(1, args.rounds + 1):
        first = measured[0]()
        stick = yardstick()
        rest = [run() for run in measured[1:]]
        rounds.append((stick, [first, *rest]))
        shown = [
            _rate(first, stick),
            f"{stick.name} {stick.requests_per_second:.0f}/s",
            *(_rate(one, stick) for one in rest),
        ]
        print(f"   round {number}: " + ", ".join(shown))
    ratios = [
        statistics.median(
            ones[n].requests_per_second / stick.requests_per_second
            for stick, ones in rounds
        )
        for n in range(len(measured))
    ]
    columns = [median_result([stick for stick, _ones in rounds])]
    columns += [
        median_result([ones[n] for _stick, ones in rounds])
        for n in range(len(measured))
    ]
    return columns, ratios


def _rate(one: Result, yardstick: Result) -> str:
    ratio = one.requests_per_second / yardstick.requests_per_second
    return f"{one.name} {one.requests_per_second:.0f}/s ({ratio:.0%})"


def page_rounds(base: str, args: argparse.Namespace) -> tuple[list[Result], float]:
    """The campaign page against /ping, in alternating rounds."""
    print(f"== the campaign page and /ping: {args.rounds} alternating rounds")
    results, (ratio,) = alternating_rounds(
        args,
        lambda: wrk("minimal view /ping", base + "/ping", args),
        lambda: wrk("campaign page", f"{base}/c/{PAGE_SLUG}/", args),
    )
    return results, ratio


PLEDGE_LOADS = ("pledge POST, no line", "pledge POST, earmarked")


def pledge_rounds(
    base: str,
    workdir: str,
    campaign_id: int,
    line: int,
    args: argparse.Namespace,
) -> tuple[list[Result], dict[str, float]]:
    """Pledges through the app, to no line and earmarked to `line`, against the
    bare transaction through psycopg between them, at the same concurrency."""
    print(
        f"== pledges: {args.rounds} rounds of pledges to no line, the bare "
        f"transaction through psycopg, and pledges earmarked to line {line}; "
        f"{args.connections} connections, {args.duration} s each"
    )

    def app(name: str, line: int | None) -> Callable[[], Result]:
        def load() -> Result:
            # A new script each round: its one-time tokens are never sent twice.
            # No warm-up: every request creates a pledge the totals check counts.
            script = pledge_script(base, workdir, line)
            return wrk(name, base, args, script=script, warmup=False)

        return load

    def bare() -> Result:
        database = f"{args.postgres}/{args.database}"
        return baseline(database, campaign_id, args.connections, args.duration)

    (stick, plain, earmarked), (plain_ratio, earmarked_ratio) = alternating_rounds(
        args, bare, app(PLEDGE_LOADS[0], None), app(PLEDGE_LOADS[1], line)
    )
    ratios = {PLEDGE_RATIO: plain_ratio, EARMARK_RATIO: earmarked_ratio}
    return [plain, earmarked, stick], ratios


def pledges_made(campaign_id: int, line: int | None) -> dict[str, int]:
    """How many pledges each load created, and how many earmarked ones missed
    their line (none should)."""
    from donations.models import Pledge

    mine = Pledge.objects.filter(campaign_id=campaign_id)
    earmarked = mine.filter(donor_name=EARMARK_DONOR)
    return {
        "to no line": mine.filter(donor_name=APP_DONOR).count(),
        "earmarked": earmarked.count(),
        "earmarked elsewhere": earmarked.exclude(line_id=line).count(),
        "bare": mine.filter(donor_name=BASELINE_DONOR).count(),
    }


def median_result(results: Sequence[Result]) -> Result:
    return Result(
        name=results[0].name,
        requests_per_second=statistics.median(r.requests_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
    )


@dataclass
class Goal:
    name: str
    value: float
    goal: float
    at_least: bool  # the value must be >= goal (else < goal)
    unit: str = "%"

    @property
    def met(self) -> bool:
        return self.value >= self.goal if self.at_least else self.value < self.goal

    def line(self) -> str:
        if self.unit == "%":
            shown, wanted = f"{self.value:.0%}", f"{self.goal:.0%}"
        elif self.unit == "x":
            shown, wanted = f"{self.value:.2f}x", f"{self.goal:g}x"
        else:
            shown = f"{self.value:.1f} {self.unit}".rstrip()
            wanted = f"{self.goal:g} {self.unit}".rstrip()
        relation = ">=" if self.at_least else "<"
        verdict = "met" if self.met else "MISSED"
        return f"{self.name}: {shown} (goal {relation} {wanted}: {verdict})"


def goals(run: Run) -> list[Goal]:
    """The goals of what was measured, the page's and pledges' first."""
    by_name = {r.name: r for r in run.results}
    wanted = {
        PAGE_RATIO: PAGE_GOAL,
        PLEDGE_RATIO: PLEDGE_GOAL,
        EARMARK_RATIO: PLEDGE_GOAL,
        LIST_RATIO: LIST_GOAL,
    }
    found = [
        Goal(name, run.ratios[name], goal, at_least=True)
        for name, goal in wanted.items()
        if name in run.ratios
    ]
    if "campaign page" in by_name:
        found.insert(
            1,
            Goal(
                "campaign page p99",
                by_name["campaign page"].p99_ms,
                PAGE_P99_GOAL_MS,
                at_least=False,
                unit="ms",
            ),
        )
    return found + run.goals


def report(
    run: Run,
    watcher: MemoryWatcher,
    made: dict[str, int],
    wrong: list[str],
) -> list[Goal]:
    """Print the table, the goals and the checks; return the goals missed."""
    args = run.args
    by_name = {r.name: r for r in run.results}
    print()
    if run.results:
        print(f"{'':28} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in run.results:
        print(
            f"{r.name:28} {r.requests_per_second:10.0f} {r.p50_ms:8.1f} "
            f"{r.p99_ms:8.1f} {r.errors:7d}"
        )
    print()
    for note in run.notes:
        print(note)
    print(
        f"ratios: medians of {args.rounds} alternating rounds, {args.connections} "
        f"connections, {args.duration} s per load"
    )
    checked = goals(run)
    for goal in checked:
        print(f"  {goal.line()}")
    if any(name in by_name for name in PLEDGE_LOADS):
        print(
            f"pledges created: {made['to no line']} to no line and "
            f"{made['earmarked']} earmarked through the app, {made['bare']} by the "
            f"bare transaction"
        )
        refused = sum(by_name[name].errors for name in PLEDGE_LOADS if name in by_name)
        if refused or made["earmarked elsewhere"]:
            print(
                f"  PLEDGES WRONG: {refused} answered with an error, "
                f"{made['earmarked elsewhere']} earmarked to another line: the rates "
                "above do not measure pledging"
            )
    peaks = sorted(watcher.peak_kib.values(), reverse=True)
    print(
        f"gunicorn workers' peak RSS: {peaks[0] / 1024:.0f} MiB for one worker, "
        f"{watcher.peak_total_kib / 1024:.0f} MiB for all ({len(peaks)} worker "
        f"processes seen)"
        if peaks
        else "gunicorn workers' peak RSS: not measured"
    )
    print(
        "totals exact: yes (every campaign and line equals the sum of its pledges)"
        if not wrong
        else f"totals exact: NO, {len(wrong)} differ: {', '.join(wrong[:10])}"
    )
    print(f"machine: {os.cpu_count()} cores, {platform_summary()}")
    if run.busy:
        shares = " and ".join(f"{share:.0%}" for share in run.busy)
        print(f"machine busy with other work before and after the loads: {shares}")
        if max(run.busy) > BUSY_WARNING:
            print(
                "  WARNING: other work shared the CPUs; the ratios are not this "
                "code's alone, run again on a quiet machine"
            )
    missed = [goal for goal in checked if not goal.met]
    if missed:
        print(f"MISSED: {', '.join(goal.name for goal in missed)}")
    return missed


def platform_summary() -> str:
    import platform

    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{model or platform.machine()}, Python {platform.python_version()}"


if __name__ == "__main__":
    main()
