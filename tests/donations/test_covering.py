"""The covering rule, end to end: pledges in every status, through the write
functions, then Campaign.coverage() from the stored totals."""

from decimal import Decimal

from campaigns.models import Campaign
from donations.pledging import pledge_cancel, pledge_receive
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge

LINES = [("Rent", "1000"), ("Food", "400"), ("Clothing", "300"), ("Debts", "800")]

# (pledges, expected covered per line, expected over the goal)
# A pledge is (amount, line index or None, what happens: "pending", "cancelled",
# or ("received", amount)).
CASES = {
    "earmarked within its target": (
        [("150", 1, "pending")],
        ["0", "150", "0", "0"],
        "0",
    ),
    "earmarked past its target overflows into the lines in order": (
        [("500", 2, "pending")],
        ["200", "0", "300", "0"],
        "0",
    ),
    "unearmarked fills the lines in order": (
        [("1200", None, "pending"), ("300", None, "pending")],
        ["1000", "400", "100", "0"],
        "0",
    ),
    "earmarked first, then unearmarked from the first line not full": (
        [("1000", 0, "pending"), ("450", None, "pending")],
        ["1000", "400", "50", "0"],
        "0",
    ),
    "surplus past the goal": (
        [("2000", None, "pending"), ("665", 3, "pending")],
        ["1000", "400", "300", "800"],
        "165",
    ),
    "cancelled pledges are removed": (
        [("400", 1, "cancelled"), ("100", None, "pending")],
        ["100", "0", "0", "0"],
        "0",
    ),
    "received smaller than pledged counts what arrived": (
        [("400", 1, ("received", "390"))],
        ["0", "390", "0", "0"],
        "0",
    ),
    "received larger than pledged counts what arrived": (
        [("400", 1, ("received", "450"))],
        ["50", "400", "0", "0"],
        "0",
    ),
    "the seed campaign's final state": (
        [
            ("1000", 0, ("received", "1000")),
            ("1200", None, ("received", "1200")),
            ("465", None, ("received", "465")),
        ],
        ["1000", "400", "300", "800"],
        "165",
    ),
}


class CoveringRuleTests(DonationsTestCase):
    def test_the_covering_rule(self):
        for n, (name, (pledges, covered, over)) in enumerate(CASES.items()):
            with self.subTest(name):
                campaign = make_campaign(slug=f"case-{n}", lines=LINES)
                Campaign.objects.filter(pk=campaign.pk).update(stop_at_goal=False)
                lines = list(campaign.lines.all())
                for amount, index, outcome in pledges:
                    made = pledge(
                        campaign, amount, None if index is None else lines[index]
                    )
                    if outcome == "cancelled":
                        pledge_cancel(pledge=made, reason="test", by=None)
                    elif outcome != "pending":
                        pledge_receive(pledge=made, amount=Decimal(outcome[1]), by=None)
                campaign = self.assertTotalsExact(campaign)
                coverage = campaign.coverage()
                self.assertEqual(
                    [share.covered for share in coverage.lines],
                    [Decimal(c) for c in covered],
                )
                self.assertEqual(coverage.over_goal, Decimal(over))

    def test_totals_stay_exact_through_every_kind_of_change(self):
        made = [
            pledge(self.campaign, "10.10", self.food),
            pledge(self.campaign, "20.20"),
            pledge(self.campaign, "30.30", self.rent),
        ]
        steps = [
            lambda: pledge_receive(pledge=made[0], amount=Decimal("9.99"), by=None),
            lambda: pledge_cancel(pledge=made[1], reason="fake", by=None),
            lambda: pledge_receive(pledge=made[1], amount=Decimal("20.20"), by=None),
            lambda: pledge_receive(pledge=made[2], amount=Decimal("31"), by=None),
            lambda: pledge_receive(pledge=made[2], amount=Decimal("29.01"), by=None),
        ]
        for step in steps:
            step()
            self.assertTotalsExact(self.campaign)
        campaign = fresh(self.campaign)
        self.assertEqual(campaign.collected.amount, Decimal("59.20"))
        self.assertEqual(campaign.promised.amount, Decimal("0.00"))
