"""On PostgreSQL a pledge is one SQL statement (donations.pledging.
PLEDGE_STATEMENT); everywhere else, and whenever that statement writes nothing,
the ORM decides under the row lock with the rules of campaigns/rules.py.

These tests tie the statement to the rules and to the models: the first class
runs on every database (a new Pledge column, or a new Campaign field the rules
read, fails it until the statement is updated; so does a new Outbox column, since
the statement queues the donor's email too); the second holds the statement to
the rules' answer in every state a campaign can be in, on PostgreSQL."""

import inspect
import itertools
import re
import unittest
from datetime import timedelta
from decimal import Decimal
from unittest import mock

from django.db import connection, transaction
from django.test import SimpleTestCase
from django.utils import timezone
from djmoney.money import Money

from campaigns import rules
from campaigns.models import BudgetLine, Campaign
from donations.models import Outbox, Pledge
from donations.pledging import (
    PLEDGE_STATEMENT,
    Donor,
    PledgeRefused,
    check_pledge,
    pledge_at_once,
)
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge

PG = connection.vendor == "postgresql"

# Every Campaign field, sorted by whether accepting a pledge depends on it.
# A new field fails test_every_campaign_field_is_sorted until it is added to
# one side; if the rules read it, rules.ACCEPTANCE_FIELDS and the statement's
# WHERE must name it too.
NOT_READ_BY_ACCEPTANCE = {
    "id",
    "title",
    "slug",  # how the statement finds the campaign, not a rule
    "beneficiary_name",
    "city",
    "country",
    "summary",
    "story",
    "currency",  # the pledge takes it from the row
    "stop_at_goal",  # promises never stop a collection
    "over_goal_rule",
    "noindex",
    "pledge_expiry_days",
    "reminder_days",
    "transfer_sent_days",
    "fallback_languages",
    "account_holder",
    "iban",
    "bic",
    "bank_name",
    "payment_other",
    "organizer_name",
    "contact_email",
    "contact_telegram",
    "contact_signal",
    "contact_phone",
    "attested_by",
    "attested_on",
    "attestation_url",
    "collected",
    "collected_currency",
    "promised",  # moved by the statement, never read by the rules
    "promised_currency",
    "supporters",
    "version",
    "closed_reason",
    "closed_by",
    "created_at",
    "updated_at",
}


def _insert_columns(table: str = "donations_pledge") -> list[str]:
    match = re.search(rf"INSERT INTO {table} \(([^)]*)\)", PLEDGE_STATEMENT)
    return [column.strip() for column in match[1].split(",")]


def _untranslated(field) -> bool:
    # modeltranslation's per-language columns (title_en, …) follow their field.
    return not any(
        field.name.endswith(f"_{code}") for code in ("en", "pl", "be", "ru", "uk")
    )


class StatementMatchesTheModelsTests(SimpleTestCase):
    def test_it_inserts_every_column_of_a_pledge(self):
        columns = [
            field.column
            for field in Pledge._meta.concrete_fields
            if not field.primary_key
        ]
        self.assertEqual(sorted(_insert_columns()), sorted(columns))

    def test_it_inserts_every_column_of_the_donors_message(self):
        columns = [
            field.column
            for field in Outbox._meta.concrete_fields
            if not field.primary_key
        ]
        self.assertEqual(sorted(_insert_columns("donations_outbox")), sorted(columns))

    def test_every_campaign_field_is_sorted(self):
        fields = {
            field.attname.removesuffix("_id") if field.is_relation else field.attname
            for field in Campaign._meta.concrete_fields
            if _untranslated(field)
        }
        sorted_fields = NOT_READ_BY_ACCEPTANCE | set(rules.ACCEPTANCE_FIELDS)
        self.assertEqual(sorted(fields - sorted_fields), [], "sort the new fields")
        self.assertEqual(sorted(sorted_fields - fields), [], "fields that are gone")

    def test_the_statement_checks_every_field_the_rules_read(self):
        where = PLEDGE_STATEMENT.split("WHERE", 1)[1].split("RETURNING", 1)[0]
        for name in rules.ACCEPTANCE_FIELDS:
            column = Campaign._meta.get_field(name).column
            with self.subTest(name):
                self.assertIn(f"c.{column}", where)

    def test_the_rules_read_only_the_fields_they_declare(self):
        read = set(inspect.signature(rules.acceptance_refusal).parameters)
        self.assertLessEqual(read - {"has_lines", "now"}, set(rules.ACCEPTANCE_FIELDS))


@unittest.skipUnless(PG, "the one-statement pledge is PostgreSQL's")
class StatementFollowsTheRulesTests(DonationsTestCase):
    def written(self, amount: Decimal, line_id: int | None, now) -> bool:
        """Whether pledge_at_once writes; nothing it wrote is kept."""
        with transaction.atomic():
            made = pledge_at_once(
                slug=self.campaign.slug,
                line_id=line_id,
                amount=amount,
                donor=Donor(name="Ala"),
                submission_token=None,
                now=now,
            )
            transaction.set_rollback(True)
        return made is not None

    def test_it_writes_exactly_when_the_rules_accept(self):
        now = timezone.now()
        other = make_campaign(slug="another", lines=[("Boots", "100")])
        other_line = other.lines.get().pk
        own_line = self.rent.pk
        deadlines = {
            "none": None,
            "passed": now - timedelta(days=1),
            "now": now,  # the deadline's own instant is past it
            "ahead": now + timedelta(days=1),
        }
        # What is collected or promised must not matter (promises never stop
        # a collection), at the goal or past it.
        totals = {
            "nothing": (Decimal("0"), Decimal("0")),
            "fully promised": (Decimal("100"), Decimal("2400")),
            "past the goal": (Decimal("2600"), Decimal("50")),
        }
        lines = {"no line": None, "own line": own_line, "another's": other_line}
        states = itertools.product(
            [True, False],  # published
            [False, True],  # closed by record
            deadlines,
            [True, False],  # stops at its goal
            totals,
            [Decimal("50"), Decimal("50.01")],  # the max pledge is 50
            [True, False],  # has budget lines
            lines,
        )
        disagree = []
        for (
            published,
            closed,
            deadline,
            stops,
            level,
            amount,
            has_lines,
            line,
        ) in states:
            if line == "own line" and not has_lines:
                continue
            collected, promised = totals[level]
            state = {
                "published": published,
                "closed_at": now - timedelta(hours=1) if closed else None,
                "closed_reason": "manual" if closed else "",
                "deadline": deadlines[deadline],
                "stop_at_goal": stops,
                "max_pledge": Decimal("50"),
                "collected": Money(collected, "EUR"),
                "promised": Money(promised, "EUR"),
            }
            with transaction.atomic():
                Campaign.objects.filter(pk=self.campaign.pk).update(**state)
                if not has_lines:
                    Pledge.objects.filter(campaign=self.campaign).delete()
                    BudgetLine.objects.filter(campaign=self.campaign).delete()
                campaign = fresh(self.campaign)
                line_object = BudgetLine.objects.filter(pk=lines[line]).first()
                try:
                    check_pledge(campaign, line=line_object, amount=amount, now=now)
                    accepted = True
                except PledgeRefused:
                    accepted = False
                if self.written(amount, lines[line], now) != accepted:
                    disagree.append(
                        f"published={published} closed={closed} deadline={deadline}"
                        f" stops={stops} totals={level} amount={amount}"
                        f" lines={has_lines} line={line}: the rules say {accepted}"
                    )
                transaction.set_rollback(True)
        self.assertEqual(disagree, [])

    def test_it_counts_the_pledge_in_the_totals_and_the_campaigns_currency(self):
        campaign = make_campaign(slug="zloty", currency="PLN")
        made = pledge_at_once(
            slug=campaign.slug,
            amount=Decimal("25"),
            donor=Donor(name="Ala", email="ala@example.org"),
            submission_token="one-statement-token-0001",
        )
        self.assertEqual(made.campaign_id, campaign.pk)
        self.assertEqual(made.amount, Money(Decimal("25"), "PLN"))
        stored = Pledge.objects.get(pk=made.pk)
        self.assertEqual(stored.amount, Money(Decimal("25"), "PLN"))
        self.assertEqual(stored.status, Pledge.Status.PENDING)
        self.assertEqual(stored.email, "ala@example.org")
        self.assertEqual(stored.access_key, made.access_key)
        updated = self.assertTotalsExact(campaign)
        self.assertEqual(updated.promised, Money(Decimal("25"), "PLN"))
        self.assertEqual(updated.supporters, 1)

    def test_it_queues_the_donors_message_as_the_orm_does(self):
        def queued(enabled: bool) -> dict:
            with mock.patch(
                "donations.pledging._has_one_statement", return_value=enabled
            ):
                made = pledge(self.campaign, "25", donor=Donor(email="ala@example.org"))
            made = Pledge.objects.get(pk=made.pk)
            entry = Outbox.objects.get(pledge=made)
            values = {
                field.attname: getattr(entry, field.attname)
                for field in Outbox._meta.concrete_fields
            }
            # Every column but these must be the same either way.
            self.assertEqual(values.pop("id"), entry.pk)
            self.assertEqual(values.pop("pledge_id"), made.pk)
            self.assertEqual(values.pop("created_at"), made.created_at)
            self.assertEqual(values.pop("next_attempt_at"), made.created_at)
            return values

        self.assertEqual(queued(True), queued(False))
        self.assertEqual(queued(True)["kind"], Outbox.Kind.PLEDGE_MADE)
        # No email, no message, in the same one statement.
        pledge(self.campaign, "25", donor=Donor(name="Ala"))
        self.assertEqual(Outbox.objects.count(), 3)

    def test_an_earmarked_pledge_moves_its_line_in_the_same_statement(self):
        from django.test.utils import CaptureQueriesContext

        campaign = fresh(self.campaign)  # read with its lines, as the view does
        with CaptureQueriesContext(connection) as queries:
            made = pledge(campaign, "30", self.food, now=timezone.now())
        # Inside the test's transaction a savepoint wraps it; alone, one statement.
        statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"].upper()]
        self.assertEqual(len(statements), 1, statements)
        self.assertEqual(Pledge.objects.get(pk=made.pk).line_id, self.food.pk)
        campaign = self.assertTotalsExact(self.campaign)
        food = campaign.lines.get(pk=self.food.pk)
        self.assertEqual(food.earmarked.amount, Decimal("30.00"))

    def test_an_earmarked_pledge_is_one_statement_too(self):
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            made = pledge_at_once(
                slug=self.campaign.slug,
                line_id=self.debts.pk,
                amount=Decimal("40"),
                donor=Donor(),
                submission_token=None,
            )
        statements = [q["sql"] for q in queries if "SAVEPOINT" not in q["sql"].upper()]
        self.assertEqual(len(statements), 1, statements)
        self.assertEqual(Pledge.objects.get(pk=made.pk).line_id, self.debts.pk)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(
            campaign.lines.get(pk=self.debts.pk).earmarked.amount, Decimal("40.00")
        )

    def test_an_earmark_is_written_exactly_while_received_money_leaves_it_open(self):
        """The statement's window over the lines and rules.line_states agree,
        line by line, over many campaigns: lines in shuffled positions, money
        earmarked to them (some beyond their target), and more received money
        than the earmarks."""
        import random

        rng = random.Random(1)
        now = timezone.now()
        disagree = []
        for case in range(60):
            with transaction.atomic():
                count = rng.randint(1, 5)
                lines = [
                    BudgetLine.objects.create(
                        campaign=self.campaign,
                        label=f"line {case}-{n}",
                        target=Money(rng.choice([1, 50, 100, 300]), "EUR"),
                        position=rng.randint(0, 3),
                    )
                    for n in range(count)
                ]
                BudgetLine.objects.filter(campaign=self.campaign).exclude(
                    pk__in=[line.pk for line in lines]
                ).delete()
                earmarks = [
                    Decimal(rng.choice([0, 0, 10, 50, 100, 400])) for _ in lines
                ]
                for line, earmark in zip(lines, earmarks, strict=True):
                    BudgetLine.objects.filter(pk=line.pk).update(
                        earmarked=earmark, earmarked_collected=earmark
                    )
                collected = sum(earmarks) + rng.choice([0, 0, 5, 99, 100, 400, 900])
                Campaign.objects.filter(pk=self.campaign.pk).update(
                    collected=Money(collected, "EUR")
                )
                campaign = fresh(self.campaign)
                states = campaign.line_states().lines
                ordered = list(campaign.lines.all())
                for line, state in zip(ordered, states, strict=True):
                    if self.written(Decimal("5"), line.pk, now) == state.is_done:
                        disagree.append(
                            f"case {case}: {line.label} done={state.is_done}"
                        )
                transaction.set_rollback(True)
        self.assertEqual(disagree, [])

    def test_a_line_covered_by_received_money_is_refused(self):
        from donations.pledging import pledge_receive

        received = pledge(self.campaign, "400", self.food)
        pledge_receive(pledge=received, amount=Decimal("400"), by=None)
        made = pledge_at_once(
            slug=self.campaign.slug,
            line_id=self.food.pk,
            amount=Decimal("10"),
            donor=Donor(),
            submission_token=None,
        )
        self.assertIsNone(made)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_token_already_used_returns_its_pledge_and_writes_nothing(self):
        first = pledge(self.campaign, "25", token="one-statement-token-0002")
        again = pledge_at_once(
            slug=self.campaign.slug,
            amount=Decimal("40"),
            donor=Donor(name="Ala"),
            submission_token="one-statement-token-0002",
        )
        self.assertEqual(again, first)
        self.assertEqual(Pledge.objects.count(), 1)
        self.assertTotalsExact(self.campaign)

    def test_a_reference_already_taken_is_drawn_again(self):
        first = pledge(self.campaign, "5")
        with mock.patch(
            "donations.pledging.new_reference",
            side_effect=[first.reference, "ABCDEFGH"],
        ):
            made = pledge_at_once(
                slug=self.campaign.slug,
                amount=Decimal("5"),
                donor=Donor(),
                submission_token=None,
            )
        self.assertEqual(made.reference, "ABCDEFGH")
        self.assertEqual(Pledge.objects.count(), 2)
        self.assertTotalsExact(self.campaign)

    def test_an_unknown_campaign_or_an_amount_under_the_minimum_writes_nothing(self):
        for slug, amount in [("nobody", "25"), (self.campaign.slug, "0.50")]:
            with self.subTest(slug=slug, amount=amount):
                made = pledge_at_once(
                    slug=slug,
                    amount=Decimal(amount),
                    donor=Donor(),
                    submission_token=None,
                )
                self.assertIsNone(made)
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)

    def test_a_campaign_closed_after_the_read_refuses_under_the_lock(self):
        campaign = fresh(self.campaign)  # read while open
        Campaign.objects.filter(pk=campaign.pk).update(
            closed_at=timezone.now(), closed_reason="manual"
        )
        with self.assertRaises(PledgeRefused) as refused:
            pledge(campaign, "25")
        self.assertEqual(refused.exception.code, "closed")
        self.assertFalse(Pledge.objects.exists())
        self.assertTotalsExact(self.campaign)


@unittest.skipIf(PG, "SQLite has no UPDATE inside WITH")
class StatementElsewhereTests(DonationsTestCase):
    def test_it_writes_nothing_and_leaves_the_pledge_to_the_lock(self):
        made = pledge_at_once(
            slug=self.campaign.slug,
            amount=Decimal("25"),
            donor=Donor(),
            submission_token=None,
        )
        self.assertIsNone(made)
        self.assertFalse(Pledge.objects.exists())
        # The ORM path under the lock makes the same pledge.
        made = pledge(self.campaign, "25", self.food)
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, Decimal("25.00"))
        self.assertEqual(made.line_id, self.food.pk)
