"""bench/run.py reads wrk's report right, alternates its rounds, runs the
sections asked for and judges its goals as stated, finds the lines the pledge
form offers as earmarks, touches only the Redis keys under its own prefix, and
its bare transaction (the yardstick of the pledge goals) writes pledges the
totals agree with.

Not part of the product's suite: run with `.venv/bin/python -m pytest bench/tests`."""

import argparse
import functools
import importlib.util
import secrets
import sys
import unittest
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test import SimpleTestCase, TestCase, TransactionTestCase

from bench import serve
from campaigns.models import Campaign
from donations.models import Pledge, Totals
from tests.base import make_campaign

RUN = Path(__file__).resolve().parent.parent / "run.py"


@functools.cache
def load_bench():
    """bench/run.py is a script, not a package module: load it by its path."""
    spec = importlib.util.spec_from_file_location("bench_run", RUN)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look themselves up there
    spec.loader.exec_module(module)
    return module


WRK_REPORT = """\
Running 10s test @ http://127.0.0.1:8000/ping
  2 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    14.23ms    3.10ms  60.12ms   90.00%
    Req/Sec     1.12k   100.00     1.30k    70.00%
  Latency Distribution
     50%   13.95ms
     75%   15.00ms
     90%   17.00ms
     99%  850.00us
  22350 requests in 10.01s, 5.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   2233.12
Transfer/sec:    511.00KB
"""


class WrkReportTests(SimpleTestCase):
    def test_it_reads_the_rate_the_percentiles_and_every_error(self):
        result = load_bench().parse_wrk("ping", WRK_REPORT)
        self.assertEqual(result.requests_per_second, 2233.12)
        self.assertEqual(result.p50_ms, 13.95)
        self.assertEqual(result.p99_ms, 0.85)  # microseconds, in milliseconds
        self.assertEqual(result.requests, 22350)
        self.assertEqual(result.errors, 7)  # 4 bad answers, 3 socket errors

    def test_a_report_without_percentiles_stops_the_run(self):
        with self.assertRaises(SystemExit):
            load_bench().parse_wrk("ping", "Requests/sec: 10\n")

    def test_a_median_takes_the_middle_rate_and_the_worst_p99(self):
        bench = load_bench()
        rounds = [
            bench.Result("x", rate, 1.0, p99, 10, errors)
            for rate, p99, errors in [(300, 90, 0), (100, 200, 1), (200, 50, 0)]
        ]
        median = bench.median_result(rounds)
        self.assertEqual(median.requests_per_second, 200)
        self.assertEqual(median.p99_ms, 200)
        self.assertEqual((median.requests, median.errors), (30, 1))


class RoundsTests(SimpleTestCase):
    def test_each_round_runs_the_yardstick_between_the_two_measured(self):
        bench = load_bench()
        order = []
        rates = iter([100, 200, 50, 90, 300, 60, 110, 100, 55])

        def load(name):
            def run():
                order.append(name)
                return bench.Result(name, next(rates), 1.0, 2.0, 10, 0)

            return run

        results, ratios = bench.alternating_rounds(
            argparse.Namespace(rounds=3), load("bare"), load("plain"), load("line")
        )
        self.assertEqual(order, ["plain", "bare", "line"] * 3)
        # Each ratio is to its own round's yardstick: plain 50 %, 30 %, 110 %.
        self.assertEqual(ratios, [0.5, 0.25])
        self.assertEqual([r.name for r in results], ["bare", "plain", "line"])
        self.assertEqual([r.requests_per_second for r in results], [200, 100, 55])

    def test_a_goal_missed_is_marked_and_one_met_is_not(self):
        bench = load_bench()
        page = bench.Result("campaign page", 900, 10.0, 140.0, 100, 0)
        ratios = {
            bench.PAGE_RATIO: 0.86,
            bench.PLEDGE_RATIO: 0.62,
            bench.EARMARK_RATIO: 0.44,
        }
        run = bench.Run(args=argparse.Namespace(), base="", workdir="")
        run.results, run.ratios = [page], ratios
        run.goals.append(bench.Goal("admin list, full / small", 2.4, 2.0, False, "x"))
        verdicts = {goal.name: goal.line() for goal in bench.goals(run)}
        self.assertEqual(
            verdicts,
            {
                bench.PAGE_RATIO: f"{bench.PAGE_RATIO}: 86% (goal >= 85%: met)",
                "campaign page p99": "campaign page p99: 140.0 ms "
                "(goal < 100 ms: MISSED)",
                bench.PLEDGE_RATIO: f"{bench.PLEDGE_RATIO}: 62% (goal >= 45%: met)",
                bench.EARMARK_RATIO: f"{bench.EARMARK_RATIO}: 44% "
                "(goal >= 45%: MISSED)",
                "admin list, full / small": "admin list, full / small: 2.40x "
                "(goal < 2x: MISSED)",
            },
        )

    def test_only_what_was_measured_is_judged(self):
        bench = load_bench()
        run = bench.Run(args=argparse.Namespace(), base="", workdir="")
        run.ratios = {bench.PLEDGE_RATIO: 0.5, bench.EARMARK_RATIO: 0.5}
        self.assertEqual(
            [g.name for g in bench.goals(run)],
            [bench.PLEDGE_RATIO, bench.EARMARK_RATIO],
        )


class SectionsTests(SimpleTestCase):
    def test_every_section_runs_by_default_in_its_order(self):
        bench = load_bench()
        self.assertEqual(bench.parse_args([]).only, bench.SECTIONS)

    def test_only_the_sections_named_run_in_the_bench_order(self):
        bench = load_bench()
        args = bench.parse_args(["--only", "expire,admin,pages"])
        self.assertEqual(args.only, ("page", "admin", "expire"))

    def test_an_unknown_section_stops_the_run(self):
        with self.assertRaises(SystemExit):
            load_bench().parse_args(["--only", "page,everything"])


class MachineBusyTests(SimpleTestCase):
    def test_the_busy_share_is_a_fraction_of_the_machine(self):
        share = load_bench().machine_busy(seconds=0.05)
        self.assertGreaterEqual(share, 0.0)
        self.assertLessEqual(share, 1.0)


class PledgeFormTests(TestCase):
    def test_the_bench_finds_every_line_the_form_offers_and_no_other(self):
        campaign = make_campaign(slug="bench-form")
        html = self.client.get(f"/c/{campaign.slug}/give/").content.decode()
        self.assertEqual(
            [int(pk) for pk in serve.LINE_INPUT.findall(html)],
            list(campaign.lines.order_by("position").values_list("pk", flat=True)),
        )

    def test_the_earmarked_script_posts_its_line_and_the_other_none(self):
        lua = load_bench().PLEDGE_LUA
        self.assertIn("&line=__LINE__", lua)
        self.assertEqual(lua.count("__LINE__"), 1)


def redis_answers() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(REDIS, socket_timeout=0.5).ping())
    except Exception:  # noqa: BLE001 - no Redis here
        return False


REDIS = "redis://127.0.0.1:6379/13"  # the bench's database


@unittest.skipUnless(redis_answers(), "needs Redis on 127.0.0.1:6379")
class KeyPrefixTests(SimpleTestCase):
    def test_only_the_keys_under_the_prefix_are_deleted(self):
        import redis

        bench = load_bench()
        client = redis.Redis.from_url(REDIS)
        prefix = f"zbor-bench-test-{secrets.token_hex(4)}"
        mine = [f"{prefix}:1:page:{n}" for n in range(3)]
        others = [f"{prefix}x:1:page", f"other-{prefix}:1:page", prefix]
        try:
            for key in mine + others:
                client.set(key, 1, ex=60)
            self.assertEqual(bench.clear_key_prefix(REDIS, prefix), 3)
            self.assertEqual(client.exists(*mine), 0)
            self.assertEqual(client.exists(*others), 3)
        finally:
            client.delete(*mine, *others)

    def test_a_prefix_with_glob_characters_is_refused(self):
        with self.assertRaises(SystemExit):
            load_bench().clear_key_prefix(REDIS, "zbor*")


@unittest.skipUnless(connection.vendor == "postgresql", "the bench runs on PostgreSQL")
class BareTransactionTests(TransactionTestCase):
    def test_the_bare_transaction_keeps_every_total_exact(self):
        bench = load_bench()
        campaign = make_campaign(slug="bare")
        settings = connection.settings_dict
        url = (
            f"postgresql://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
            f"{settings['PORT'] or 5432}/{settings['NAME']}"
        )
        result = bench.baseline(url, campaign.pk, connections=2, seconds=0.5)
        self.assertGreater(result.requests, 0)
        pledges = Pledge.objects.filter(campaign=campaign)
        self.assertEqual(pledges.count(), result.requests)
        self.assertEqual(
            set(pledges.values_list("amount", "donor_name", "status")),
            {(Decimal("10.00"), bench.BASELINE_DONOR, Pledge.Status.PENDING)},
        )
        campaign = Campaign.objects.prefetch_related("lines").get(pk=campaign.pk)
        self.assertEqual(Totals.stored(campaign), Pledge.objects.totals_for(campaign))
        self.assertEqual(bench.totals_exact(), [])
