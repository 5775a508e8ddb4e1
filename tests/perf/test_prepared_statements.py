"""On PostgreSQL, a statement a connection runs again and again (every
pledge's) is prepared: parsed and planned once per connection, not once per
request. Django's own default prepares nothing (config/settings.py)."""

import unittest

from django.db import connection
from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from donations.models import Pledge
from donations.pledging import PLEDGE_STATEMENT
from tests.base import make_campaign
from tests.test_settings import run

SETTINGS_OPTIONS = (
    "import django; django.setup(); from django.conf import settings as s;"
    "o = s.DATABASES['default']['OPTIONS'];"
    "print(o['server_side_binding'], o['prepare_threshold'])"
)
POSTGRES = "postgres://postgres@127.0.0.1:5432/unused"


def prepared_pledge_statements() -> int:
    """How many statements this connection has prepared that insert a pledge
    the donor's way (PostgreSQL keeps them in pg_prepared_statements)."""
    head = PLEDGE_STATEMENT.split()[:4]  # WITH counted AS (
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return sum(row[0].split()[:4] == head for row in cursor.fetchall())


@unittest.skipUnless(connection.vendor == "postgresql", "needs PostgreSQL")
class PreparedStatementTests(TestCase):
    def setUp(self):
        self.campaign = make_campaign()

    def give(self, n: int):
        return self.client.post(
            reverse("donations:pledge", args=[self.campaign.slug]),
            {"amount": "10", "donor_name": "Ana", "token": f"prepared-{n:020d}"},
        )

    def test_the_pledge_statement_is_prepared_once_it_repeats(self):
        for n in range(4):
            self.assertEqual(self.give(n).status_code, 303)
        self.assertEqual(prepared_pledge_statements(), 0)
        for n in range(4, 12):
            self.assertEqual(self.give(n).status_code, 303)
        self.assertEqual(prepared_pledge_statements(), 1)
        # Prepared, it still writes every pledge and moves the totals by each.
        self.assertEqual(Pledge.objects.filter(campaign=self.campaign).count(), 12)
        self.campaign.refresh_from_db()
        self.assertEqual(self.campaign.promised.amount, 120)
        self.assertEqual(self.campaign.supporters, 12)


class PrepareSettingTests(SimpleTestCase):
    def options(self, **env: str) -> list[str]:
        """server_side_binding and prepare_threshold as the settings read them
        from `env`, for a PostgreSQL database."""
        result = run(SETTINGS_OPTIONS, DEBUG="True", DATABASE_URL=POSTGRES, **env)
        self.assertEqual(result.returncode, 0, result.stderr)
        return result.stdout.split()

    def test_postgresql_prepares_what_repeats_five_times_by_default(self):
        self.assertEqual(self.options(), ["True", "5"])

    def test_the_threshold_is_a_setting(self):
        self.assertEqual(self.options(DB_PREPARE_THRESHOLD="2"), ["True", "2"])

    def test_without_server_side_binding_nothing_is_prepared(self):
        # What a transaction-pooling PgBouncer needs.
        self.assertEqual(
            self.options(DB_SERVER_SIDE_BINDING="False"), ["False", "None"]
        )

    def test_a_threshold_that_is_not_a_number_is_refused(self):
        result = run(
            SETTINGS_OPTIONS,
            DEBUG="True",
            DATABASE_URL=POSTGRES,
            DB_PREPARE_THRESHOLD="five",
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("DB_PREPARE_THRESHOLD='five'", result.stderr)
