"""Zbor's benchmark, in one command:

    .venv/bin/python bench/run.py            # about 5 minutes on 2 cores

It (re)creates a dedicated PostgreSQL database (zbor_bench on 127.0.0.1:5432),
migrates it, seeds 200 campaigns and 100 000 pledges (bench/seed.py), starts
gunicorn with the committed gunicorn.conf.py and DEBUG off over that database and
the local Redis (under a key prefix of its own: nothing outside it is written or
deleted), and loads it over loopback with wrk for a bounded time per endpoint: a
minimal view (/ping), /healthz, a campaign page holding 20 000 pledges, the
campaign list, and two kinds of pledge POST: to no line, and earmarked to a line
of the campaign that is not done. The campaign page alternates, in rounds, with
/ping; each round of pledges runs the pledges to no line, then the bare pledge
transaction (lock the campaign row, insert the pledge, update the totals) driven
through psycopg directly at the same concurrency, then the earmarked pledges.
Then it checks that every total equals the sum of its pledges, and prints
requests/s, p50 and p99 for each, the ratios the goals are stated in (each the
median of its rounds' ratios) beside their goals, and the workers' peak memory.
A goal missed is marked MISSED and makes the run exit with status 1 (unless
--no-fail); so do totals that differ, and pledges the app refused.

Rate limits are raised for the run: it measures the app, not the limiter.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from http.cookiejar import CookieJar
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
GUNICORN = str(Path(sys.executable).parent / "gunicorn")
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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_is_free(port: int) -> bool:
    """Nothing listens on 127.0.0.1:`port` (else the bench would load it)."""
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def app_env(args: argparse.Namespace, static_root: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="False",
        SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=f"{args.postgres}/{args.database}",
        REDIS_URL=args.redis,
        CACHE_KEY_PREFIX=args.key_prefix,
        STATIC_ROOT=static_root,
        PORT=str(port),
        WEB_CONCURRENCY=str(args.workers),
        ZBOR_PLEDGE_RATE_PER_ADDRESS="1000000000/60",
        ZBOR_PLEDGE_RATE_PER_CAMPAIGN="1000000000/60",
        LOG_LEVEL="WARNING",
        GUNICORN_LOG_LEVEL="warning",
    )
    env.pop("GUNICORN_ACCESS_LOG", None)
    return env


def manage(env: dict[str, str], *command: str) -> None:
    subprocess.run([PYTHON, "manage.py", *command], cwd=ROOT, env=env, check=True)


def wait_until_up(base: str, server: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn exited before answering; see its log above.")
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise SystemExit("gunicorn did not answer /healthz in time.")


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


LINE_INPUT = re.compile(r'<input\b[^>]*\bname="line"[^>]*\bvalue="(\d+)"')


def load_form(base: str) -> tuple[str, str, list[int]]:
    """GET the pledge form: its CSRF cookie and token, and the ids of the lines
    it offers as earmarks (those not done)."""
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + f"/c/{PLEDGE_SLUG}/give/", timeout=10) as response:
        html = response.read().decode()
    cookie = next((c.value for c in jar if c.name == "csrftoken"), None)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if cookie is None or token is None:
        raise SystemExit("The pledge form carried no CSRF cookie and token.")
    return cookie, token[1], [int(pk) for pk in LINE_INPUT.findall(html)]


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


def check_page(url: str, expect: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as response:
        body = response.read().decode()
    if response.status != 200 or expect not in body:
        raise SystemExit(f"{url} did not show {expect!r}")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per load")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating rounds of the page and /ping, and of pledges to no "
        "line, the bare transaction and earmarked pledges",
    )
    parser.add_argument(
        "--port", type=int, default=0, help="gunicorn's port (default: a free one)"
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="zbor_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
    parser.add_argument(
        "--key-prefix",
        default=f"zbor-bench-{secrets.token_hex(4)}",
        help="the cache key prefix of the run (default: a new one per run); its "
        "keys are deleted before and after, and no other key is touched",
    )
    parser.add_argument("--pledges", type=int, default=100_000)
    parser.add_argument(
        "--no-seed", action="store_true", help="reuse the seeded database"
    )
    parser.add_argument(
        "--only",
        choices=["pages", "pledges"],
        help="measure only /ping and the pages, or only the pledges and the bare "
        "transaction (for quick comparisons; the goals need both)",
    )
    parser.add_argument(
        "--no-fail",
        action="store_true",
        help="exit 0 even when a goal is missed (totals that differ still fail)",
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")
    port = args.port or free_port()
    if not port_is_free(port):
        raise SystemExit(f"Port {port} is taken: pass another --port.")
    clear_key_prefix(args.redis, args.key_prefix)  # checks the prefix, too

    workdir = tempfile.mkdtemp(prefix="zbor-bench-")
    base = f"http://127.0.0.1:{port}"
    env = app_env(args, str(Path(workdir) / "static"), port)
    if not args.no_seed:
        print(f"== seeding {args.database}")
        recreate_database(args.postgres, args.database)
    manage(env, "migrate", "--verbosity", "0")
    if not args.no_seed:
        subprocess.run(
            [PYTHON, "bench/seed.py", "--pledges", str(args.pledges)],
            cwd=ROOT,
            env=env,
            check=True,
        )
    manage(env, "collectstatic", "--noinput", "--verbosity", "0")

    # Django in this process too: the bare transaction's INSERT is built from
    # the model, and the totals are checked through the ORM at the end.
    setup_django(env)
    from campaigns.models import Campaign

    campaign = Campaign.objects.get(slug=PLEDGE_SLUG)
    print(
        f"== gunicorn on {base}, {args.workers} workers, DEBUG off, cache keys "
        f"under {args.key_prefix}:"
    )
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env
    )
    results: list[Result] = []
    ratios: dict[str, float] = {}
    line = None
    busy = []
    try:
        wait_until_up(base, server)
        busy.append(machine_busy())
        watcher = MemoryWatcher(server.pid)
        watcher.start()
        check_page(f"{base}/c/{PAGE_SLUG}/", "Helping beneficiary 0 start")
        check_page(f"{base}/", "Helping beneficiary 3 start")
        print(
            f"== wrk: {args.connections} connections, {args.threads} threads, "
            f"{args.duration} s per endpoint"
        )
        if args.only != "pledges":
            rounds, page_ratio = page_rounds(base, args)
            results += rounds
            ratios[PAGE_RATIO] = page_ratio
            for name, path in [("/healthz", "/healthz"), ("campaign list", "/")]:
                results.append(wrk(name, base + path, args))
                print(f"   {name}: {results[-1].requests_per_second:.0f} requests/s")
        if args.only != "pages":
            line = earmark_line(base)
            rounds, pledge_ratios = pledge_rounds(
                base, workdir, campaign.pk, line, args
            )
            results += rounds
            ratios.update(pledge_ratios)
        watcher.stopped.set()
        busy.append(machine_busy())
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)
        clear_key_prefix(args.redis, args.key_prefix)

    made = pledges_made(campaign.pk, line)
    wrong = totals_exact()
    missed = report(results, ratios, watcher, made, wrong, busy, args)
    refused = sum(r.errors for r in results if r.name in PLEDGE_LOADS)
    if wrong or refused or (missed and not args.no_fail):
        raise SystemExit(1)


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
        else:
            shown = f"{self.value:.1f} {self.unit}"
            wanted = f"{self.goal:g} {self.unit}"
        relation = ">=" if self.at_least else "<"
        verdict = "met" if self.met else "MISSED"
        return f"{self.name}: {shown} (goal {relation} {wanted}: {verdict})"


def goals(ratios: dict[str, float], by_name: dict[str, Result]) -> list[Goal]:
    """The goals of what was measured."""
    wanted = {PAGE_RATIO: PAGE_GOAL, PLEDGE_RATIO: PLEDGE_GOAL}
    wanted[EARMARK_RATIO] = PLEDGE_GOAL
    found = [
        Goal(name, ratios[name], goal, at_least=True)
        for name, goal in wanted.items()
        if name in ratios
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
    return found


def report(
    results: list[Result],
    ratios: dict[str, float],
    watcher: MemoryWatcher,
    made: dict[str, int],
    wrong: list[str],
    busy: list[float],
    args: argparse.Namespace,
) -> list[Goal]:
    """Print the table, the goals and the checks; return the goals missed."""
    by_name = {r.name: r for r in results}
    print()
    print(f"{'':28} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in results:
        print(
            f"{r.name:28} {r.requests_per_second:10.0f} {r.p50_ms:8.1f} "
            f"{r.p99_ms:8.1f} {r.errors:7d}"
        )
    print()
    print(
        f"ratios: medians of {args.rounds} alternating rounds, {args.connections} "
        f"connections, {args.duration} s per load"
    )
    checked = goals(ratios, by_name)
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
    if busy:
        shares = " and ".join(f"{share:.0%}" for share in busy)
        print(f"machine busy with other work before and after the loads: {shares}")
        if max(busy) > BUSY_WARNING:
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
