"""What the campaign page shows of the money: built from stored totals in a fixed
number of queries, however many pledges there are."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone
from djmoney.money import Money

from campaigns.models import BudgetLine, Campaign
from donations.models import Pledge

RECENT_SUPPORTERS = 10


@dataclass(frozen=True)
class LineProgress:
    line: BudgetLine
    received: Money  # what money that arrived covers of it
    promised: Money  # what pending promises would add
    remaining: Money  # what neither covers yet
    done: bool  # received money covers it: no longer offered as an earmark
    fully_promised: bool  # covered only once every promise arrives


@dataclass(frozen=True)
class RecentSupporter:
    name: str
    message: str
    amount: Money | None  # only when the donor chose to show it
    days_ago: int  # day granularity: no exact times are published


@dataclass(frozen=True)
class Progress:
    """The money of one campaign as its pages show it. The headline is what
    was collected; promised money is shown apart, never added to it."""

    campaign: Campaign
    state: str
    closed_reason: str
    accepting: bool
    goal: Money
    collected: Money
    promised: Money
    over_goal: Money  # collected beyond the goal
    over_goal_if_all_arrive: Money  # collected and promised beyond the goal
    percent_collected: int
    supporters: int
    lines: list[LineProgress]
    recent: list[RecentSupporter]
    time_left: timedelta | None  # None when there is no deadline or no giving

    @property
    def fully_promised(self) -> bool:
        return self.state == Campaign.State.FULLY_PROMISED

    @property
    def still_needed(self) -> Money:
        """What neither collected nor promised money covers yet (zero once
        fully promised)."""
        return self.campaign.still_needed()

    # Rounded up, as campaigns.views.describe_deadline does: the page must not say
    # "30 days left" above "Time left: 29 days".
    @property
    def days_left(self) -> int:
        """Whole days left, rounded up; 0 under a day."""
        if self.time_left is None or self.time_left < timedelta(days=1):
            return 0
        return math.ceil(self.time_left / timedelta(days=1))

    @property
    def hours_left(self) -> int:
        """Whole hours left, rounded up; 0 under an hour."""
        if self.time_left is None or self.time_left < timedelta(hours=1):
            return 0
        return math.ceil(self.time_left / timedelta(hours=1))


def recent_supporters(
    campaign: Campaign, *, now: datetime, limit: int = RECENT_SUPPORTERS
) -> list[RecentSupporter]:
    """The latest donors who pledged through the form (one query, none while the
    campaign has no supporters)."""
    if campaign.supporters == 0:
        return []
    today = timezone.localdate(now)
    pledges = (
        Pledge.objects.not_cancelled()
        .filter(campaign=campaign, kind=Pledge.Kind.PLEDGE)
        .only(
            "donor_name",
            "is_anonymous",
            "show_amount",
            "message",
            "message_hidden",
            "amount",
            "amount_currency",
            "created_at",
        )
        .order_by("-created_at", "-id")[:limit]
    )
    return [
        RecentSupporter(
            name=pledge.public_name,
            message="" if pledge.message_hidden else pledge.message,
            amount=pledge.amount if pledge.show_amount else None,
            days_ago=max((today - timezone.localdate(pledge.created_at)).days, 0),
        )
        for pledge in pledges
    ]


def campaign_progress(campaign: Campaign, *, now: datetime | None = None) -> Progress:
    """Everything progress.html shows. Reads the campaign's lines (prefetch them)
    and runs one query for the recent supporters."""
    now = now or timezone.now()
    states = campaign.line_states()
    accepting = campaign.is_accepting_pledges(now)
    lines = [
        LineProgress(
            line=line,
            received=campaign.money(state.received),
            promised=campaign.money(state.promised),
            remaining=campaign.money(state.remaining),
            done=state.is_done,
            fully_promised=state.is_fully_promised,
        )
        for line, state in zip(campaign.lines.all(), states.lines, strict=True)
    ]
    return Progress(
        campaign=campaign,
        state=campaign.state(now),
        closed_reason=campaign.effective_closed_reason(now),
        accepting=accepting,
        goal=campaign.goal,
        collected=campaign.money(campaign.collected.amount),
        promised=campaign.money(campaign.promised.amount),
        over_goal=campaign.money(states.over_goal_collected),
        over_goal_if_all_arrive=campaign.money(states.over_goal_raised),
        percent_collected=campaign.percent_collected(),
        supporters=campaign.supporters,
        lines=lines,
        recent=recent_supporters(campaign, now=now),
        # A campaign that takes no pledges counts no time down to its deadline.
        time_left=campaign.time_left(now) if accepting else None,
    )
