"""Mail that a write asks for, sent later by a worker, never by a request.

The write that calls for a message (a pledge with an email) adds an Outbox row
in its own transaction (donations/pledging.py); `manage.py send_outbox` sends
it with `send_due`, from `make run`, a systemd unit or cron. So a slow or
unreachable mail server delays mail, never a donor's page.

Two workers never send the same message: each claims a batch of due rows
(`select_for_update(skip_locked=True)` on PostgreSQL; one writer at a time on
SQLite) and pushes them `CLAIM` ahead before it commits, then sends outside any
transaction and records each result. A worker killed while sending leaves its
claimed rows to be sent again once the claim lapses: a message may go out
twice then, never zero times.

The row holds no address and no text: both are read from the pledge when the
message is sent, so a pledge whose email was purged gets no mail (the entry is
dropped). So is an entry that no longer applies when its turn comes (`APPLIES`:
a pledge cancelled before its "pledge made" email went, a reminder for a pledge
paid meanwhile) and every entry of a pledge whose donor followed the "stop
emails" link that each message carries. Entries done with are pruned after
KEEP_FINISHED (`prune_finished`, from send_outbox).
"""

from __future__ import annotations

import logging
import smtplib
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMessage, mailers
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from donations.models import Outbox, Pledge, Update
from donations.payment import payment_details
from donations.pledging import EXPIRED

logger = logging.getLogger(__name__)

BATCH_SIZE = 20
# How long a claimed row is this worker's alone. A batch that takes longer
# (a mail server answering each command just before EMAIL_TIMEOUT) stops there.
CLAIM = timedelta(minutes=10)
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# 1, 2, 4 … 32 minutes, then hourly: 12 tries over about 6 hours.
MAX_ATTEMPTS = 12
# Sent, dropped and given-up entries are deleted this long after they were made.
KEEP_FINISHED = timedelta(days=30)
PRUNE_BATCH = 1000


def retry_delay(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: doubling, at most an hour."""
    return min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)


def _message(entry: Outbox, template: str, **extra) -> EmailMessage:
    """`template`'s subject and text for the entry's pledge, in the language
    the donor pledged in, with the pledge's page and the "stop emails" link
    (in the text and as List-Unsubscribe)."""
    pledge = entry.pledge
    with translation.override(pledge.language or settings.LANGUAGE_CODE):
        stop_url = settings.SITE_URL + pledge.stop_emails_path()
        context = {
            "pledge": pledge,
            "campaign": pledge.campaign,
            "thanks_url": settings.SITE_URL + pledge.thanks_path(),
            "campaign_url": settings.SITE_URL + pledge.campaign.get_absolute_url(),
            "stop_url": stop_url,
            **extra,
        }
        subject = render_to_string(
            f"donations/email/{template}_subject.txt", context
        ).strip()
        body = render_to_string(f"donations/email/{template}.txt", context)
    return EmailMessage(
        subject,
        body,
        None,
        [pledge.email],
        headers={"List-Unsubscribe": f"<{stop_url}>"},
    )


def pledge_made_message(entry: Outbox) -> EmailMessage:
    """The reference and payment details."""
    return _message(entry, "pledge_made", payment=payment_details(entry.pledge))


def reminder_message(entry: Outbox) -> EmailMessage:
    """The pledge expires soon: how to pay, and the date."""
    return _message(entry, "reminder", payment=payment_details(entry.pledge))


def receipt_message(entry: Outbox) -> EmailMessage:
    """The amount that arrived."""
    return _message(entry, "receipt")


def expired_message(entry: Outbox) -> EmailMessage:
    return _message(entry, "expired")


def update_message(entry: Outbox) -> EmailMessage:
    """The team's update, as text (its Markdown as written)."""
    return _message(entry, "update", update=entry.update)


def pledge_link_message(entry: Outbox) -> EmailMessage:
    """The addresses of every pledge this email made to the campaign."""
    pledge = entry.pledge
    pledges = [
        {"pledge": own, "url": settings.SITE_URL + own.thanks_path()}
        for own in Pledge.objects.filter(
            campaign_id=pledge.campaign_id, email__iexact=pledge.email
        ).order_by("-created_at", "-pk")[:10]
    ]
    return _message(entry, "pledge_link", pledges=pledges)


# What each kind of entry sends, from the pledge as it is at send time.
MESSAGES: dict[str, Callable[[Outbox], EmailMessage]] = {
    Outbox.Kind.PLEDGE_MADE: pledge_made_message,
    Outbox.Kind.REMINDER: reminder_message,
    Outbox.Kind.RECEIPT: receipt_message,
    Outbox.Kind.EXPIRED: expired_message,
    Outbox.Kind.UPDATE: update_message,
    Outbox.Kind.PLEDGE_LINK: pledge_link_message,
}


def _expired(pledge: Pledge) -> bool:
    return pledge.status == Pledge.Status.CANCELLED and pledge.cancel_reason == EXPIRED


def _update_applies(entry: Outbox) -> bool:
    update: Update | None = entry.update
    return (
        update is not None
        and update.published
        and entry.pledge.wants_updates
        and entry.pledge.status != Pledge.Status.CANCELLED
    )


# Whether an entry still says something true when its turn comes; if not it
# is dropped (a pledge cancelled before its "pledge made" email went out).
APPLIES: dict[str, Callable[[Outbox], bool]] = {
    Outbox.Kind.PLEDGE_MADE: lambda e: e.pledge.status != Pledge.Status.CANCELLED,
    Outbox.Kind.REMINDER: lambda e: e.pledge.status == Pledge.Status.PENDING,
    Outbox.Kind.RECEIPT: lambda e: e.pledge.status == Pledge.Status.RECEIVED,
    Outbox.Kind.EXPIRED: lambda e: _expired(e.pledge),
    Outbox.Kind.UPDATE: _update_applies,
    Outbox.Kind.PLEDGE_LINK: lambda e: True,
}


def _drop_reason(entry: Outbox) -> str:
    """Why this entry is not to be sent, or "" if it is."""
    if not entry.pledge.email:
        return "dropped: no email"
    if entry.pledge.emails_stopped_at is not None:
        return "dropped: emails stopped"
    if not APPLIES[entry.kind](entry):
        return "dropped: no longer applies"
    return ""


def prune_finished(*, now: datetime | None = None) -> int:
    """Delete entries done with (sent, dropped, given up) made more than
    KEEP_FINISHED ago, in batches of PRUNE_BATCH (one DELETE each). Returns
    how many went."""
    cutoff = (now or timezone.now()) - KEEP_FINISHED
    pruned = 0
    while True:
        ids = list(
            Outbox.objects.finished_before(cutoff).values_list("pk", flat=True)[
                :PRUNE_BATCH
            ]
        )
        if not ids:
            return pruned
        # Nothing refers to an entry: Django deletes them in one statement.
        pruned += Outbox.objects.filter(pk__in=ids).delete()[0]


def send_due(
    *, now: datetime | None = None, limit: int = BATCH_SIZE
) -> tuple[int, int]:
    """Send up to `limit` due messages; returns how many were sent and how
    many failed (those are tried again later, `retry_delay` apart, and given
    up after MAX_ATTEMPTS). Entries whose pledge has no email any more are
    dropped and counted in neither.

    `now` (for tests travelling in time) dates the claim, the results and the
    next attempts; by default each is dated when it happens. One connection to
    the mail server per batch: when it cannot be opened, or breaks, every
    message left in the batch fails with that error, without waiting again."""
    clock = (lambda: now) if now is not None else timezone.now
    claimed = _claim(now=clock(), limit=limit)
    if not claimed:
        return 0, 0
    claim_ends = time.monotonic() + CLAIM.total_seconds()
    entries = (
        Outbox.objects.filter(pk__in=claimed)
        .select_related("pledge__campaign", "pledge__line__campaign", "update")
        .order_by("pk")
    )
    failed = 0
    messages = []
    for entry in entries:
        dropped = _drop_reason(entry)
        if dropped:
            _record(entry, next_attempt_at=None, last_error=dropped)
            continue
        try:
            messages.append((entry, MESSAGES[entry.kind](entry)))
        except Exception as error:
            logger.exception("Could not write outbox entry %s", entry.pk)
            _failed(entry, error, now=clock())
            failed += 1
    if not messages:
        return 0, failed
    sent, not_sent = _send(messages, clock=clock, claim_ends=claim_ends)
    return sent, failed + not_sent


def _send(
    messages: list[tuple[Outbox, EmailMessage]], *, clock, claim_ends: float
) -> tuple[int, int]:
    """Send each message over one connection and record how it went."""
    sent = failed = 0
    connection, broken = None, None
    try:
        connection = mailers.default
        connection.open()
    except Exception as error:
        broken = error
    try:
        for entry, message in messages:
            if broken is None and time.monotonic() >= claim_ends:
                # Another worker may take the rest now: leave them to it.
                break
            if broken is None:
                try:
                    connection.send_messages([message])
                except Exception as error:
                    if not _refused_by_server(error):
                        broken = error
                    _failed(entry, error, now=clock())
                    failed += 1
                    continue
                _record(entry, sent_at=clock(), next_attempt_at=None, last_error="")
                sent += 1
            else:
                _failed(entry, broken, now=clock())
                failed += 1
    finally:
        if connection is not None:
            connection.close()
    return sent, failed


def _claim(*, now: datetime, limit: int) -> list[int]:
    """The ids of up to `limit` due entries, now this worker's until
    now + CLAIM (one short transaction)."""
    with transaction.atomic():
        ids = list(
            Outbox.objects.filter(next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        Outbox.objects.filter(pk__in=ids).update(
            next_attempt_at=now + CLAIM, attempts=F("attempts") + 1
        )
    return ids


def _refused_by_server(error: Exception) -> bool:
    """The server answered and refused this one message; the connection is
    still good for the next."""
    return isinstance(
        error, smtplib.SMTPResponseException | smtplib.SMTPRecipientsRefused
    )


def _failed(entry: Outbox, error: Exception, *, now: datetime) -> None:
    # The claim counted this attempt already.
    reason = f"{type(error).__name__}: {error}"[:200]
    if entry.attempts >= MAX_ATTEMPTS:
        logger.error(
            "Gave up outbox entry %s (%s, pledge %s) after %s attempts: %s",
            entry.pk,
            entry.kind,
            entry.pledge.reference,
            entry.attempts,
            reason,
        )
        _record(entry, next_attempt_at=None, last_error=reason)
        return
    logger.warning(
        "Outbox entry %s (%s, pledge %s) failed, attempt %s: %s",
        entry.pk,
        entry.kind,
        entry.pledge.reference,
        entry.attempts,
        reason,
    )
    _record(entry, next_attempt_at=now + retry_delay(entry.attempts), last_error=reason)


def _record(entry: Outbox, **fields) -> None:
    Outbox.objects.filter(pk=entry.pk).update(**fields)
