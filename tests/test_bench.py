"""bench/run.py reads wrk's report right, and its bare transaction (the
yardstick of the pledge goal) writes pledges the totals agree with."""

import functools
import importlib.util
import sys
import unittest
from decimal import Decimal
from pathlib import Path

from django.db import connection
from django.test import SimpleTestCase, TransactionTestCase

from campaigns.models import Campaign
from donations.models import Pledge, Totals
from tests.base import make_campaign

RUN = Path(__file__).resolve().parent.parent / "bench" / "run.py"


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
