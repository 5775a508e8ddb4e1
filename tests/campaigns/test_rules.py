"""The rule book (campaigns/rules.py), table by table: pure functions of plain
values, so each row is one case a reader can check by hand."""

from __future__ import annotations

import inspect
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from django.test import SimpleTestCase, TestCase

from campaigns import rules
from campaigns.models import Campaign
from tests.base import make_campaign

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SOON = NOW + timedelta(days=1)
PAST = NOW - timedelta(seconds=1)


def d(values: str) -> list[Decimal]:
    """ "1000 400" -> [Decimal("1000"), Decimal("400")]."""
    return [Decimal(value) for value in values.split()]


class CoverLinesTests(SimpleTestCase):
    # targets, earmarked per line, total -> covered per line, over the goal
    CASES = {
        "earmarked within its target": ("1000 400", "0 150", "150", "0 150", "0"),
        "earmarked past its target overflows into the lines in order": (
            "1000 400 300",
            "0 0 500",
            "500",
            "200 0 300",
            "0",
        ),
        "unearmarked fills the lines in order, each full before the next": (
            "1000 400 300 800",
            "0 0 0 0",
            "1500",
            "1000 400 100 0",
            "0",
        ),
        "earmarks first, then the pool from the first line not full": (
            "1000 400 300 800",
            "1000 0 0 0",
            "1450",
            "1000 400 50 0",
            "0",
        ),
        "what is left after the last line is over the goal": (
            "1000 400 300 800",
            "0 0 0 665",
            "2665",
            "1000 400 300 800",
            "165",
        ),
        "an earmark to a full line joins the pool": (
            "100 100",
            "250 0",
            "250",
            "100 100",
            "50",
        ),
        "nothing given covers nothing": ("1000 400", "0 0", "0", "0 0", "0"),
        "cents are kept exactly": ("0.30 0.30", "0 0", "0.45", "0.30 0.15", "0"),
    }

    def test_the_covering_rule(self):
        for name, (targets, earmarked, total, covered, over) in self.CASES.items():
            with self.subTest(name):
                coverage = rules.cover_lines(d(targets), d(earmarked), Decimal(total))
                self.assertEqual([line.covered for line in coverage.lines], d(covered))
                self.assertEqual(coverage.over_goal, Decimal(over))
                for line, target in zip(coverage.lines, d(targets), strict=True):
                    self.assertEqual(line.remaining, target - line.covered)
                    self.assertEqual(line.is_done, line.covered == target)

    def test_lines_and_earmarks_must_pair_up(self):
        with self.assertRaises(ValueError):
            rules.cover_lines(d("100 200"), d("0"), Decimal("10"))


class LineStatesTests(SimpleTestCase):
    TARGETS = d("1000 400 300 800")

    def states(self, *, earmarked_collected, earmarked_effective, collected, promised):
        return rules.line_states(
            self.TARGETS,
            earmarked_collected=d(earmarked_collected),
            earmarked_effective=d(earmarked_effective),
            collected=Decimal(collected),
            promised=Decimal(promised),
        )

    def table(self, lines: rules.Lines) -> list[tuple]:
        return [
            (line.received, line.promised, line.remaining, line.is_done)
            for line in lines.lines
        ]

    def test_the_worked_example_of_docs_rules(self):
        # Received: food 300, clothing 150 (a gift), 1200 unearmarked.
        # Pending: food 200, 600 unearmarked, debts 300.
        lines = self.states(
            earmarked_collected="0 300 150 0",
            earmarked_effective="0 500 150 300",
            collected="1650",
            promised="1100",
        )
        D = Decimal
        self.assertEqual(
            self.table(lines),
            [
                (D(1000), D(0), D(0), True),
                (D(400), D(0), D(0), True),
                (D(250), D(50), D(0), False),
                (D(0), D(800), D(0), False),
            ],
        )
        self.assertEqual(lines.over_goal_collected, Decimal(0))
        self.assertEqual(lines.over_goal_raised, Decimal(250))
        self.assertTrue(lines.lines[2].is_fully_promised)
        self.assertFalse(lines.lines[0].is_fully_promised)  # done, not promised

    def test_a_line_covered_only_by_promises_is_not_done(self):
        lines = self.states(
            earmarked_collected="0 0 0 0",
            earmarked_effective="0 400 0 0",
            collected="0",
            promised="400",
        )
        food = lines.lines[1]
        self.assertEqual([food.received, food.promised, food.remaining], d("0 400 0"))
        self.assertFalse(food.is_done)
        self.assertTrue(food.is_fully_promised)

    def test_a_line_is_done_once_received_money_covers_it(self):
        lines = self.states(
            earmarked_collected="0 400 0 0",
            earmarked_effective="0 400 0 0",
            collected="400",
            promised="0",
        )
        self.assertTrue(lines.lines[1].is_done)
        self.assertFalse(lines.lines[1].is_fully_promised)
        self.assertEqual([line.is_done for line in lines.lines].count(True), 1)

    def test_unearmarked_received_money_makes_the_first_line_done(self):
        lines = self.states(
            earmarked_collected="0 0 0 0",
            earmarked_effective="0 0 0 0",
            collected="1000",
            promised="0",
        )
        self.assertEqual([line.is_done for line in lines.lines], [True] + [False] * 3)

    def test_received_and_promised_over_the_goal_are_told_apart(self):
        lines = self.states(
            earmarked_collected="0 0 0 0",
            earmarked_effective="0 0 0 0",
            collected="2600",
            promised="150",
        )
        self.assertEqual(lines.over_goal_collected, Decimal(100))
        self.assertEqual(lines.over_goal_raised, Decimal(250))
        self.assertTrue(all(line.is_done for line in lines.lines))
        self.assertEqual(sum(line.promised for line in lines.lines), 0)

    def test_promises_never_take_away_what_arrived(self):
        # Clothing has 300 that arrived; promises are earmarked elsewhere.
        for effective, collected, promised in [
            ("0 0 300 0", "300", "0"),
            ("0 0 300 800", "700", "800"),
            ("0 400 300 800", "700", "2500"),
        ]:
            with self.subTest(collected=collected, promised=promised):
                lines = self.states(
                    earmarked_collected="0 0 300 0",
                    earmarked_effective=effective,
                    collected=collected,
                    promised=promised,
                )
                self.assertEqual(lines.lines[2].received, Decimal(300))
                for line in lines.lines:
                    self.assertGreaterEqual(line.promised, 0)
                    self.assertGreaterEqual(line.remaining, 0)
                    self.assertEqual(
                        line.received + line.promised + line.remaining, line.target
                    )


class AcceptanceTests(SimpleTestCase):
    # published, closed_at, deadline, has_lines -> refusal
    CASES = [
        (True, None, None, True, None),
        (True, None, SOON, True, None),
        (False, None, None, True, "unpublished"),
        (False, NOW, PAST, False, "unpublished"),  # the first reason wins
        (True, PAST, None, True, "closed"),
        (True, PAST, PAST, True, "closed"),
        (True, None, PAST, True, "deadline_passed"),
        (True, None, NOW, True, "deadline_passed"),  # at the very instant
        (True, None, None, False, "no_lines"),
    ]

    def test_accepting_pledges(self):
        for published, closed_at, deadline, has_lines, refusal in self.CASES:
            with self.subTest(
                published=published,
                closed_at=closed_at,
                deadline=deadline,
                has_lines=has_lines,
            ):
                self.assertEqual(
                    rules.acceptance_refusal(
                        published=published,
                        closed_at=closed_at,
                        deadline=deadline,
                        has_lines=has_lines,
                        now=NOW,
                    ),
                    refusal,
                )

    def test_acceptance_never_reads_totals(self):
        # Promises never stop a collection: no total can even be passed in.
        parameters = set(inspect.signature(rules.acceptance_refusal).parameters)
        self.assertEqual(
            parameters, {"published", "closed_at", "deadline", "has_lines", "now"}
        )
        self.assertEqual(
            set(rules.ACCEPTANCE_FIELDS) & {"collected", "promised", "supporters"},
            set(),
        )

    def test_every_refusal_has_a_message(self):
        for code in ("unpublished", "closed", "deadline_passed", "no_lines"):
            with self.subTest(code):
                self.assertTrue(rules.message(code))


class AmountTests(SimpleTestCase):
    CASES = [
        ("1", None),
        ("10000", None),
        ("12.50", None),
        ("0.99", "min_value"),
        ("0", "min_value"),
        ("-5", "min_value"),
        ("10000.01", "max_value"),
        ("1.001", "invalid"),
        ("NaN", "invalid"),
        ("Infinity", "invalid"),
    ]

    def test_amount_limits(self):
        for amount, refusal in self.CASES:
            with self.subTest(amount):
                self.assertEqual(
                    rules.amount_refusal(
                        Decimal(amount),
                        minimum=Decimal("1"),
                        maximum=Decimal("10000"),
                    ),
                    refusal,
                )

    def test_no_upper_limit_without_a_maximum(self):
        self.assertIsNone(rules.amount_refusal(Decimal("1e9"), minimum=Decimal(1)))


class ClosingAndReopeningTests(SimpleTestCase):
    def test_closes_at_goal_on_collected_money(self):
        # stop_at_goal, goal, collected -> closes
        for stop, goal, collected, closes in [
            (True, "2500", "2499.99", False),
            (True, "2500", "2500", True),
            (True, "2500", "2600", True),
            (False, "2500", "2600", False),
            (True, "0", "0", False),  # no goal to reach
        ]:
            with self.subTest(stop=stop, goal=goal, collected=collected):
                self.assertEqual(
                    rules.closes_at_goal(
                        stop_at_goal=stop,
                        goal=Decimal(goal),
                        collected=Decimal(collected),
                    ),
                    closes,
                )
        # Promises cannot even be passed in: only money that arrived closes.
        self.assertNotIn("promised", inspect.signature(rules.closes_at_goal).parameters)

    def test_reopens_by_itself(self):
        # closed_reason, collected (goal 2500), deadline -> reopens
        for reason, collected, deadline, reopens in [
            ("goal", "2400", None, True),
            ("goal", "2400", SOON, True),
            ("goal", "2499.99", SOON, True),
            ("goal", "2500", SOON, False),  # still at its goal
            ("goal", "2400", PAST, False),  # after the deadline
            ("goal", "2400", NOW, False),  # at the deadline
            ("manual", "2400", SOON, False),  # closed by hand
            ("deadline", "2400", SOON, False),
        ]:
            with self.subTest(reason=reason, collected=collected, deadline=deadline):
                self.assertEqual(
                    rules.reopens_by_itself(
                        closed_reason=reason,
                        goal=Decimal(2500),
                        collected=Decimal(collected),
                        deadline=deadline,
                        now=NOW,
                    ),
                    reopens,
                )

    def test_reopening_by_hand_is_judged_on_collected_money(self):
        # closed, stop_at_goal, goal, collected, deadline -> refusal
        for closed, stop, goal, collected, deadline, refusal in [
            (True, True, "2500", "2400", None, None),
            (True, True, "2500", "2400", SOON, None),
            (False, True, "2500", "2400", SOON, "not_closed"),
            (True, True, "2500", "2400", PAST, "reopen_deadline_passed"),
            (True, False, "2500", "2400", NOW, "reopen_deadline_passed"),
            (True, True, "2500", "2500", SOON, "goal_collected"),
            (True, True, "2500", "3000", None, "goal_collected"),
            (True, False, "2500", "3000", None, None),  # stop at goal unticked
            (True, True, "3100", "3000", None, None),  # the goal grew
        ]:
            with self.subTest(closed=closed, stop=stop, goal=goal, collected=collected):
                self.assertEqual(
                    rules.reopen_refusal(
                        closed=closed,
                        stop_at_goal=stop,
                        goal=Decimal(goal),
                        collected=Decimal(collected),
                        deadline=deadline,
                        now=NOW,
                    ),
                    refusal,
                )
        # A fully promised campaign reopens: promises are no parameter here.
        self.assertNotIn("promised", inspect.signature(rules.reopen_refusal).parameters)

    def test_fully_promised(self):
        # goal, collected, promised -> fully promised
        for goal, collected, promised, fully in [
            ("2500", "0", "2500", True),
            ("2500", "1000", "1500", True),  # exactly
            ("2500", "1000", "1499.99", False),
            ("2500", "2499.99", "5000", True),
            ("2500", "2500", "100", False),  # collected: no longer a promise
            ("2500", "0", "0", False),
            ("0", "0", "10", False),
        ]:
            with self.subTest(goal=goal, collected=collected, promised=promised):
                self.assertEqual(
                    rules.is_fully_promised(
                        goal=Decimal(goal),
                        collected=Decimal(collected),
                        promised=Decimal(promised),
                    ),
                    fully,
                )

    def test_closed_is_a_record_or_a_passed_deadline(self):
        for closed_at, deadline, closed in [
            (None, None, False),
            (None, SOON, False),
            (None, NOW, True),
            (None, PAST, True),
            (PAST, SOON, True),
        ]:
            with self.subTest(closed_at=closed_at, deadline=deadline):
                self.assertEqual(
                    rules.is_closed(closed_at=closed_at, deadline=deadline, now=NOW),
                    closed,
                )


class ConfirmationTests(SimpleTestCase):
    # expected, received -> needs a second confirmation
    CASES = [
        ("25", "25", False),
        ("25", "27.50", False),  # exactly 10 % more
        ("25", "22.50", False),  # exactly 10 % less
        ("25", "27.51", True),  # just over
        ("25", "22.49", True),
        ("25", "2380", True),  # "23,80" read with the comma as a thousands mark
        ("25", "2.50", True),
        ("300", "270", False),
        ("300", "330", False),
        ("300", "30", True),
        ("300", "3000", True),
        ("0.10", "0.11", False),
        ("0.10", "0.12", True),
        ("0", "0", False),
        ("0", "5", True),
    ]

    def test_a_received_amount_far_from_the_expected_one(self):
        for expected, received, asks in self.CASES:
            with self.subTest(expected=expected, received=received):
                self.assertEqual(
                    rules.needs_confirmation(
                        expected=Decimal(expected), received=Decimal(received)
                    ),
                    asks,
                )

    def test_the_threshold_is_ten_percent(self):
        self.assertEqual(rules.CONFIRM_ABOVE_FRACTION, Decimal("0.10"))

    def test_a_gift_larger_than_the_remaining_need(self):
        # amount, goal, collected -> remaining need, needs confirmation
        for amount, goal, collected, need, asks in [
            ("100", "2500", "0", "2500", False),
            ("2500", "2500", "0", "2500", False),
            ("2500.01", "2500", "0", "2500", True),
            ("100", "2500", "2450", "50", True),
            ("50", "2500", "2450", "50", False),
            ("5", "2500", "2500", "0", True),  # the goal is collected
            ("5", "2500", "2600", "0", True),
        ]:
            with self.subTest(amount=amount, collected=collected):
                self.assertEqual(
                    rules.remaining_need(
                        goal=Decimal(goal), collected=Decimal(collected)
                    ),
                    Decimal(need),
                )
                self.assertEqual(
                    rules.gift_needs_confirmation(
                        amount=Decimal(amount),
                        goal=Decimal(goal),
                        collected=Decimal(collected),
                    ),
                    asks,
                )

    def test_the_message_shows_both_figures(self):
        refused = rules.Refused("needs_confirmation", expected="€25", received="€2,380")
        self.assertEqual(refused.code, "needs_confirmation")
        self.assertIn("€25", refused.message)
        self.assertIn("€2,380", refused.message)


class PaymentTests(SimpleTestCase):
    # iban, account holder, other ways to give -> refusal
    CASES = [
        ("PL61109010140000071219812874", "Konstantin M.", "", None),
        ("", "", "Cash at the Tuesday meeting", None),
        ("PL61109010140000071219812874", "Konstantin M.", "Cash", None),
        ("", "", "", "no_way_to_pay"),
        ("  ", " ", "\n", "no_way_to_pay"),  # blanks are nothing
        ("", "Konstantin M.", "", "no_way_to_pay"),  # a holder without an IBAN
        ("PL61109010140000071219812874", "", "", "iban_without_holder"),
        ("PL61109010140000071219812874", " ", "Cash", "iban_without_holder"),
    ]

    def test_a_way_to_pay(self):
        for iban, holder, other, refusal in self.CASES:
            with self.subTest(iban=iban, holder=holder, other=other):
                self.assertEqual(
                    rules.payment_refusal(
                        iban=iban, account_holder=holder, payment_other=other
                    ),
                    refusal,
                )


class ExpiryTests(SimpleTestCase):
    def test_the_cutoff_is_the_expiry_period_before_now(self):
        self.assertEqual(rules.expiry_cutoff(NOW, 14), NOW - timedelta(days=14))


class ConditionsMirrorTheRuleTests(TestCase):
    """open_condition / closed_condition are is_closed written as a filter."""

    def test_the_filters_agree_with_the_rule(self):
        now = datetime.now(UTC)
        states = {
            "open": (None, None),
            "deadline-ahead": (None, now + timedelta(days=1)),
            "deadline-passed": (None, now - timedelta(minutes=1)),
            "closed-by-hand": (now - timedelta(days=1), now + timedelta(days=1)),
        }
        for slug, (closed_at, deadline) in states.items():
            make_campaign(
                slug=slug,
                deadline=deadline,
                closed_at=closed_at,
                closed_reason="manual" if closed_at else "",
            )
        expected_closed = {
            slug
            for slug, (closed_at, deadline) in states.items()
            if rules.is_closed(closed_at=closed_at, deadline=deadline, now=now)
        }
        closed = set(
            Campaign.objects.filter(rules.closed_condition(now)).values_list(
                "slug", flat=True
            )
        )
        opened = set(
            Campaign.objects.filter(rules.open_condition(now)).values_list(
                "slug", flat=True
            )
        )
        self.assertEqual(closed, expected_closed)
        self.assertEqual(opened, set(states) - expected_closed)
