"""The covering rule, end to end: pledges in every status, through the write
functions, then each line's received, promised and remaining amounts as the
page reads them from the stored totals (Campaign.line_states)."""

from decimal import Decimal

from django.utils import timezone

from donations.pledging import (
    expire_pledges,
    gift_record,
    pledge_cancel,
    receipt_correct,
    receipt_undo,
)
from donations.progress import campaign_progress
from tests.base import make_campaign
from tests.donations.base import (
    DonationsTestCase,
    fresh,
    made_days_ago,
    pledge,
    receive,
)

LINES = [("Rent", "1000"), ("Food", "400"), ("Clothing", "300"), ("Debts", "800")]

# A pledge is (amount, line index or None, what happens to it): "pending",
# "cancelled", ("received", amount), ("corrected", first, then), "undone", or
# ("gift", amount).
# Expected: per line (received, promised, remaining), then over the goal
# (collected, if every promise arrives).
CASES = {
    "a promise earmarked within its target": (
        [("150", 1, "pending")],
        ["0 0 1000", "0 150 250", "0 0 300", "0 0 800"],
        ("0", "0"),
    ),
    "an earmark past its target overflows into the lines in order": (
        [("500", 2, "pending")],
        ["0 200 800", "0 0 400", "0 300 0", "0 0 800"],
        ("0", "0"),
    ),
    "unearmarked money fills the lines in order": (
        [("1200", None, ("received", "1200")), ("300", None, "pending")],
        ["1000 0 0", "200 200 0", "0 100 200", "0 0 800"],
        ("0", "0"),
    ),
    "cancelled pledges count for nothing": (
        [("400", 1, "cancelled"), ("100", None, "pending")],
        ["0 100 900", "0 0 400", "0 0 300", "0 0 800"],
        ("0", "0"),
    ),
    "received smaller than pledged counts what arrived": (
        [("400", 1, ("received", "390"))],
        ["0 0 1000", "390 0 10", "0 0 300", "0 0 800"],
        ("0", "0"),
    ),
    "received larger than pledged overflows from its line": (
        [("400", 1, ("received", "430"))],
        ["30 0 970", "400 0 0", "0 0 300", "0 0 800"],
        ("0", "0"),
    ),
    "a corrected receipt counts its new amount": (
        [("400", 1, ("corrected", "40", "400"))],
        ["0 0 1000", "400 0 0", "0 0 300", "0 0 800"],
        ("0", "0"),
    ),
    "an undone receipt is a promise again": (
        [("400", 1, "undone")],
        ["0 0 1000", "0 400 0", "0 0 300", "0 0 800"],
        ("0", "0"),
    ),
    "a gift counts as received on its line": (
        [(None, 3, ("gift", "800"))],
        ["0 0 1000", "0 0 400", "0 0 300", "800 0 0"],
        ("0", "0"),
    ),
    "the worked example of docs/rules.md": (
        [
            ("300", 1, ("received", "300")),
            ("1200", None, ("received", "1200")),
            (None, 2, ("gift", "150")),
            ("200", 1, "pending"),
            ("600", None, "pending"),
            ("300", 3, "pending"),
        ],
        ["1000 0 0", "400 0 0", "250 50 0", "0 800 0"],
        ("0", "250"),
    ),
    "the seed campaign's final state": (
        [
            ("1000", 0, ("received", "1000")),
            ("1200", None, ("received", "1200")),
            ("465", None, ("received", "465")),
        ],
        ["1000 0 0", "400 0 0", "300 0 0", "800 0 0"],
        ("165", "165"),
    ),
}


class CoveringRuleTests(DonationsTestCase):
    def apply(self, campaign, pledges) -> None:
        """Every pledge is made first, as donors do, then the team's work."""
        lines = list(campaign.lines.all())
        made = [
            None
            if amount is None
            else pledge(campaign, amount, lines[i] if i is not None else None)
            for amount, i, _outcome in pledges
        ]
        for (_amount, index, outcome), one in zip(pledges, made, strict=True):
            if outcome == "pending":
                continue
            if outcome == "cancelled":
                pledge_cancel(pledge=one, reason="test", by=None)
            elif outcome == "undone":
                receive(one)
                receipt_undo(pledge=one, reason="test", by=None)
            elif outcome[0] == "gift":
                gift_record(
                    campaign=campaign,
                    amount=Decimal(outcome[1]),
                    line=None if index is None else lines[index],
                    note="",
                    by=None,
                    confirmed=True,
                )
            elif outcome[0] == "received":
                receive(one, outcome[1], confirmed=True)
            else:  # corrected
                receive(one, outcome[1], confirmed=True)
                receipt_correct(
                    pledge=one,
                    amount=Decimal(outcome[2]),
                    reason="test",
                    by=None,
                    confirmed=True,
                )

    def test_the_covering_rule(self):
        for n, (name, (pledges, expected, over)) in enumerate(CASES.items()):
            with self.subTest(name):
                # Money past the goal must not close these: they keep receiving.
                campaign = make_campaign(slug=f"case-{n}", lines=LINES)
                campaign.stop_at_goal = False
                campaign.save(update_fields=["stop_at_goal"])
                self.apply(campaign, pledges)
                campaign = self.assertTotalsExact(campaign)
                states = campaign.line_states()
                self.assertEqual(
                    [
                        [state.received, state.promised, state.remaining]
                        for state in states.lines
                    ],
                    [[Decimal(v) for v in row.split()] for row in expected],
                )
                self.assertEqual(
                    (states.over_goal_collected, states.over_goal_raised),
                    (Decimal(over[0]), Decimal(over[1])),
                )
                progress = campaign_progress(campaign)
                self.assertEqual(
                    [line.done for line in progress.lines],
                    [state.is_done for state in states.lines],
                )
                self.assertEqual(progress.over_goal.amount, Decimal(over[0]))


class ExactAfterEveryChangeTests(DonationsTestCase):
    def test_totals_stay_exact_through_every_kind_of_change(self):
        made = [
            pledge(self.campaign, "10.10", self.food),
            pledge(self.campaign, "20.20"),
            pledge(self.campaign, "30.30", self.rent),
            pledge(self.campaign, "1.01", self.debts),
            pledge(self.campaign, "40.40", self.clothing),
        ]
        steps = {
            "receive less": lambda: receive(made[0], "9.99"),
            "cancel": lambda: pledge_cancel(pledge=made[1], reason="fake", by=None),
            "receive a cancelled one": lambda: receive(made[1], "20.20"),
            "receive more": lambda: receive(made[2], "31"),
            "correct down": lambda: receipt_correct(
                pledge=made[2], amount=Decimal("29.01"), reason="fee", by=None
            ),
            "undo": lambda: receipt_undo(pledge=made[0], reason="not ours", by=None),
            "receive again": lambda: receive(made[0], "10.10"),
            "gift on a line": lambda: gift_record(
                campaign=self.campaign,
                amount=Decimal("0.07"),
                line=self.food,
                note="",
                by=None,
            ),
            "expire": lambda: (
                made_days_ago(made[3], 20),
                expire_pledges(now=timezone.now()),
            ),
            "receive an expired one": lambda: receive(made[3], "1.01"),
            "pledge more": lambda: pledge(self.campaign, "1.33", self.food),
        }
        for name, step in steps.items():
            with self.subTest(name):
                step()
                self.assertTotalsExact(self.campaign)
        campaign = fresh(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("60.39"))
        self.assertEqual(campaign.promised.amount, Decimal("41.73"))
        self.assertEqual(campaign.supporters, 7)
