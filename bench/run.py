"""Zbor's benchmark, in one command:

    .venv/bin/python bench/run.py            # about 4 minutes on 2 cores

It (re)creates a dedicated PostgreSQL database (zbor_bench on 127.0.0.1:5432),
migrates it, seeds 200 campaigns and 100 000 pledges (bench/seed.py), starts
gunicorn with the committed gunicorn.conf.py and DEBUG off over that database and
the local Redis, and loads it over loopback with wrk for a bounded time per
endpoint: a minimal view (/ping), /healthz, a campaign page holding 20 000
pledges, the campaign list, and the pledge POST. The campaign page alternates,
in rounds, with /ping, and the pledges with the bare pledge transaction (lock
the campaign row, insert the pledge, update the totals) driven through psycopg
directly at the same concurrency. Then it checks that every total equals the sum
of its pledges, and prints requests/s, p50 and p99 for each, the ratios the
goals are stated in (each the median of its rounds' ratios), and the workers'
peak memory.

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
BASELINE_DONOR = "Bench baseline"


# ---------------------------------------------------------------------------
# Preparing the database and the server
# ---------------------------------------------------------------------------


def recreate_database(server_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(f"{server_url}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def flush_redis(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(args: argparse.Namespace, static_root: str, port: int) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DEBUG="False",
        SECRET_KEY="bench-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        DATABASE_URL=f"{args.postgres}/{args.database}",
        REDIS_URL=args.redis,
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
-- POST the pledge form with one CSRF cookie/token pair fetched beforehand and a
-- fresh one-time form token per request (the form accepts any well-formed one).
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
  local body = "csrfmiddlewaretoken=__CSRF__&amount=10&line=&donor_name=__DONOR__"
    .. "&token=" .. token
  return wrk.format("POST", "__PATH__", {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Cookie"] = "csrftoken=__COOKIE__",
  }, body)
end
"""


def pledge_script(base: str, directory: str) -> str:
    """Fetch the pledge form once for a CSRF cookie and token; write the Lua."""
    path = f"/c/{PLEDGE_SLUG}/give/"
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(base + path, timeout=10) as response:
        html = response.read().decode()
    cookie = next((c.value for c in jar if c.name == "csrftoken"), None)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    if cookie is None or token is None:
        raise SystemExit("The pledge form carried no CSRF cookie and token.")
    lua = (
        PLEDGE_LUA.replace("__RUN__", secrets.token_hex(4))
        .replace("__CSRF__", token[1])
        .replace("__COOKIE__", cookie)
        .replace("__DONOR__", APP_DONOR.replace(" ", "+"))
        .replace("__PATH__", path)
    )
    script = Path(directory) / "pledge.lua"
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
                            " supporters = supporters + 1, version = version + 1,"
                            " updated_at = now() WHERE id = %s",
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
    lines = BudgetLine.objects.annotate(
        r=Sum("pledges__received_amount", filter=Q(pledges__status="received")),
        p=Sum("pledges__amount", filter=Q(pledges__status="pending")),
    )
    for line in lines:
        if line.earmarked.amount != (line.r or 0) + (line.p or 0):
            wrong.append(f"line {line.pk}")
    return wrong


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
        help="alternating rounds of /ping and the page, and of pledges and the bare "
        "transaction",
    )
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432")
    parser.add_argument("--database", default="zbor_bench")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/13")
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
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: apt-get install -y wrk")

    workdir = tempfile.mkdtemp(prefix="zbor-bench-")
    port = free_port()
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
    flush_redis(args.redis)

    # Django in this process too: the bare transaction's INSERT is built from
    # the model, and the totals are checked through the ORM at the end.
    setup_django(env)
    from campaigns.models import Campaign
    from donations.models import Pledge

    campaign = Campaign.objects.get(slug=PLEDGE_SLUG)
    print(f"== gunicorn on {base}, {args.workers} workers, DEBUG off")
    server = subprocess.Popen(
        [GUNICORN, "-c", "gunicorn.conf.py", "config.wsgi"], cwd=ROOT, env=env
    )
    results: list[Result] = []
    page_ratio = pledge_ratio = 0.0
    try:
        wait_until_up(base, server)
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
            for name, path in [("/healthz", "/healthz"), ("campaign list", "/")]:
                results.append(wrk(name, base + path, args))
                print(f"   {name}: {results[-1].requests_per_second:.0f} requests/s")
        if args.only != "pages":
            rounds, pledge_ratio = pledge_rounds(base, workdir, campaign.pk, args)
            results += rounds
        watcher.stopped.set()
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(workdir, ignore_errors=True)

    app_pledges = Pledge.objects.filter(campaign=campaign, donor_name=APP_DONOR).count()
    wrong = totals_exact()

    report(results, page_ratio, pledge_ratio, watcher, app_pledges, wrong, args)
    if wrong:
        raise SystemExit(1)


def alternating_rounds(
    args: argparse.Namespace,
    measured: Callable[[], Result],
    yardstick: Callable[[], Result],
) -> tuple[list[Result], float]:
    """`measured` then `yardstick`, in args.rounds alternating rounds: this
    machine's speed drifts by 10-20 % from one minute to the next, and
    alternating keeps each pair's ratio fair. The median result of each (with
    the worst p99) and the median of the rounds' ratios."""
    pairs = []
    for number in range(1, args.rounds + 1):
        pairs.append((measured(), yardstick()))
        one, other = pairs[-1]
        print(
            f"   round {number}: {one.name} {one.requests_per_second:.0f}/s, "
            f"{other.name} {other.requests_per_second:.0f}/s, "
            f"{one.requests_per_second / other.requests_per_second:.0%}"
        )
    ratio = statistics.median(
        one.requests_per_second / other.requests_per_second for one, other in pairs
    )
    measured_results, yardstick_results = zip(*pairs, strict=True)
    return [median_result(yardstick_results), median_result(measured_results)], ratio


def page_rounds(base: str, args: argparse.Namespace) -> tuple[list[Result], float]:
    """The campaign page against /ping, in alternating rounds."""
    print(f"== the campaign page and /ping: {args.rounds} alternating rounds")
    return alternating_rounds(
        args,
        lambda: wrk("campaign page", f"{base}/c/{PAGE_SLUG}/", args),
        lambda: wrk("minimal view /ping", base + "/ping", args),
    )


def pledge_rounds(
    base: str, workdir: str, campaign_id: int, args: argparse.Namespace
) -> tuple[list[Result], float]:
    """Pledges through the app against the bare transaction through psycopg,
    in alternating rounds at the same concurrency."""
    print(
        f"== pledges: {args.rounds} rounds of the app then the bare transaction "
        f"through psycopg, {args.connections} connections, {args.duration} s each"
    )

    def app() -> Result:
        # A new script each round: its one-time tokens are never sent twice.
        # No warm-up: every request creates a pledge the totals check counts.
        script = pledge_script(base, workdir)
        return wrk("pledge POST", base, args, script=script, warmup=False)

    def bare() -> Result:
        database = f"{args.postgres}/{args.database}"
        return baseline(database, campaign_id, args.connections, args.duration)

    app_and_bare, ratio = alternating_rounds(args, app, bare)
    return app_and_bare[::-1], ratio


def median_result(results: Sequence[Result]) -> Result:
    return Result(
        name=results[0].name,
        requests_per_second=statistics.median(r.requests_per_second for r in results),
        p50_ms=statistics.median(r.p50_ms for r in results),
        p99_ms=max(r.p99_ms for r in results),
        requests=sum(r.requests for r in results),
        errors=sum(r.errors for r in results),
    )


def report(
    results: list[Result],
    page_ratio: float,
    pledge_ratio: float,
    watcher: MemoryWatcher,
    app_pledges: int,
    wrong: list[str],
    args: argparse.Namespace,
) -> None:
    by_name = {r.name: r for r in results}
    print()
    print(f"{'':28} {'requests/s':>10} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
    for r in results:
        print(
            f"{r.name:28} {r.requests_per_second:10.0f} {r.p50_ms:8.1f} "
            f"{r.p99_ms:8.1f} {r.errors:7d}"
        )
    print()
    if "campaign page" in by_name:
        page = by_name["campaign page"]
        print(
            f"campaign page / minimal view: {page_ratio:.0%} (goal >= 70 %; median "
            f"of {args.rounds} alternating rounds), page p99 {page.p99_ms:.1f} ms "
            f"at {args.connections} connections (goal < 100 ms)"
        )
    if "pledge POST" in by_name:
        pledges = by_name["pledge POST"]
        print(
            f"pledges via app / bare transaction: {pledge_ratio:.0%} (goal >= 40 %; "
            f"median of {args.rounds} alternating rounds), pledge p99 "
            f"{pledges.p99_ms:.1f} ms, {app_pledges} pledges created through the app"
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
