"""The donor's email goes through the outbox: the pledge's own transaction
writes one row (the ORM under the lock, or PLEDGE_STATEMENT on PostgreSQL), and
`send_due` (manage.py send_outbox) sends it later, once, in the donor's
language, with retries and backoff; a purged email stops it."""

import io
import os
import signal
import smtplib
import threading
import unittest
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.test import TransactionTestCase, override_settings
from django.utils import timezone

from campaigns.models import Campaign
from donations import outbox
from donations.models import Outbox, Pledge
from donations.outbox import MAX_ATTEMPTS, retry_delay, send_due
from donations.pledging import Donor, PledgeRefused, campaign_close
from donations.privacy import purge_donor_data
from tests.base import make_campaign
from tests.donations.base import DonationsTestCase, fresh, pledge
from tests.i18n.base import compile_catalogues
from tests.support import at_once

PG = connection.vendor == "postgresql"
ALA = Donor(name="Ala", email="ala@example.org", language="en")


class FailingBackend(LocmemBackend):
    """A mail server that drops the connection at every message."""

    def send_messages(self, messages):
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


class UnreachableBackend(LocmemBackend):
    """A mail server that cannot be reached; counts the attempts."""

    opened = 0

    def open(self):
        type(self).opened += 1
        raise TimeoutError("timed out")


class RefusingBackend(LocmemBackend):
    """A mail server that refuses one address and takes the others."""

    def send_messages(self, messages):
        if messages[0].to == ["refused@example.org"]:
            raise smtplib.SMTPRecipientsRefused(
                {"refused@example.org": (550, b"No such user")}
            )
        return super().send_messages(messages)


class SlowBackend(LocmemBackend):
    """Takes a while per message, so two workers overlap; thread-safe."""

    lock = threading.Lock()

    def send_messages(self, messages):
        threading.Event().wait(0.01)
        with self.lock:
            return super().send_messages(messages)


def mailer(backend: type) -> override_settings:
    return override_settings(
        MAILERS={"default": {"BACKEND": f"{__name__}.{backend.__name__}"}}
    )


@contextmanager
def one_statement(enabled: bool):
    """The PostgreSQL one-statement pledge, or the ORM path under the lock."""
    with mock.patch("donations.pledging._has_one_statement", return_value=enabled):
        yield


# The paths a new pledge can take on this database.
PATHS = {"one statement": True, "ORM under the lock": False} if PG else {"ORM": False}


class OutboxWrittenWithThePledgeTests(DonationsTestCase):
    def test_a_pledge_with_an_email_queues_one_message_and_sends_nothing(self):
        for path, enabled in PATHS.items():
            with self.subTest(path), one_statement(enabled):
                with self.captureOnCommitCallbacks(execute=True):
                    made = pledge(self.campaign, "12.50", self.food, donor=ALA)
                self.assertEqual(len(mail.outbox), 0)  # the request sends nothing
                entry = Outbox.objects.get(pledge=made)
                self.assertEqual(entry.kind, Outbox.Kind.PLEDGE_MADE)
                self.assertEqual(entry.attempts, 0)
                self.assertIsNone(entry.sent_at)
                self.assertEqual(entry.last_error, "")
                self.assertLessEqual(entry.next_attempt_at, timezone.now())
                self.assertEqual(
                    entry.created_at, Pledge.objects.get(pk=made.pk).created_at
                )
        self.assertEqual(Outbox.objects.count(), len(PATHS))
        self.assertTotalsExact(self.campaign)

    def test_a_pledge_without_an_email_queues_nothing(self):
        for path, enabled in PATHS.items():
            with self.subTest(path), one_statement(enabled):
                pledge(self.campaign, "5", donor=Donor(name="Ala"))
        self.assertEqual(Pledge.objects.count(), len(PATHS))
        self.assertFalse(Outbox.objects.exists())

    def test_a_refused_pledge_queues_nothing(self):
        campaign = fresh(self.campaign)  # read while open
        Campaign.objects.filter(pk=campaign.pk).update(
            closed_at=timezone.now(), closed_reason="manual"
        )
        for path, enabled in PATHS.items():
            with (
                self.subTest(path),
                one_statement(enabled),
                self.assertRaises(PledgeRefused),
            ):
                pledge(campaign, "25", donor=ALA)
        self.assertFalse(Pledge.objects.exists())
        self.assertFalse(Outbox.objects.exists())

    def test_a_form_posted_again_queues_nothing_more(self):
        for path, enabled in PATHS.items():
            with self.subTest(path), one_statement(enabled):
                token = f"outbox-replay-{enabled}-token-000001"
                first = pledge(self.campaign, "25", donor=ALA, token=token)
                again = pledge(self.campaign, "25", donor=ALA, token=token)
                self.assertEqual(again, first)
                self.assertEqual(Outbox.objects.filter(pledge=first).count(), 1)
        self.assertEqual(Outbox.objects.count(), len(PATHS))

    def test_no_pledge_is_stored_when_its_message_cannot_be(self):
        # The message is written in the pledge's own transaction: if it fails,
        # the pledge and its totals are not stored either.
        if PG:
            trigger = [
                "CREATE FUNCTION outbox_fails() RETURNS trigger LANGUAGE plpgsql"
                " AS $$ BEGIN RAISE EXCEPTION 'outbox down'; END $$",
                "CREATE TRIGGER outbox_fails BEFORE INSERT ON donations_outbox"
                " FOR EACH ROW EXECUTE FUNCTION outbox_fails()",
            ]
        else:
            trigger = [
                "CREATE TRIGGER outbox_fails BEFORE INSERT ON donations_outbox"
                " BEGIN SELECT RAISE(ABORT, 'outbox down'); END"
            ]
        with connection.cursor() as cursor:
            for statement in trigger:
                cursor.execute(statement)
        for path, enabled in PATHS.items():
            with self.subTest(path), one_statement(enabled):
                with self.assertRaises(DatabaseError):
                    pledge(self.campaign, "25", donor=ALA)
                # Without an email nothing is queued: the pledge is stored.
                pledge(self.campaign, "5", donor=Donor(name="Ala"))
        self.assertEqual(Pledge.objects.count(), len(PATHS))
        self.assertFalse(Pledge.objects.filter(email=ALA.email).exists())
        campaign = self.assertTotalsExact(self.campaign)
        self.assertEqual(campaign.promised.amount, 5 * len(PATHS))


class SendingTests(DonationsTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def test_it_sends_the_reference_once(self):
        made = pledge(self.campaign, "12.50", donor=ALA)
        self.assertEqual(send_due(), (1, 0))
        self.assertEqual(len(mail.outbox), 1)
        message = mail.outbox[0]
        self.assertEqual(message.to, ["ala@example.org"])
        self.assertIn(made.reference, message.subject)
        self.assertIn(made.reference, message.body)
        self.assertIn("€12.50", message.body)
        self.assertIn(f"/thanks/{made.access_key}/", message.body)
        entry = Outbox.objects.get(pledge=made)
        self.assertIsNotNone(entry.sent_at)
        self.assertIsNone(entry.next_attempt_at)
        self.assertEqual(entry.attempts, 1)
        # Run again, and again later: nothing more goes out.
        self.assertEqual(send_due(), (0, 0))
        self.assertEqual(send_due(now=timezone.now() + timedelta(days=2)), (0, 0))
        self.assertEqual(len(mail.outbox), 1)

    def test_it_writes_in_the_donors_language(self):
        made = pledge(
            self.campaign,
            "25",
            self.rent,
            donor=Donor(email="a@example.org", language="uk"),
        )
        send_due()
        message = mail.outbox[0]
        self.assertIn(f"Ваш внесок {made.reference}: як оплатити", message.subject)
        self.assertIn("Дякуємо, що підтримуєте збір", message.body)
        self.assertIn(f"/uk/thanks/{made.access_key}/", message.body)

    def test_it_sends_in_bounded_batches_oldest_first(self):
        made = [
            pledge(self.campaign, "5", donor=Donor(email=f"d{n}@example.org"))
            for n in range(5)
        ]
        self.assertEqual(send_due(limit=2), (2, 0))
        self.assertEqual(
            [m.to for m in mail.outbox], [["d0@example.org"], ["d1@example.org"]]
        )
        self.assertEqual(send_due(limit=10), (3, 0))
        self.assertEqual(len(mail.outbox), 5)
        self.assertFalse(
            Outbox.objects.filter(pledge__in=made, sent_at__isnull=True).exists()
        )

    def test_a_failing_server_is_recorded_and_tried_again_after_the_backoff(self):
        made = pledge(self.campaign, "5", donor=ALA)
        start = timezone.now()
        with mailer(FailingBackend), self.assertLogs("donations.outbox", "WARNING"):
            self.assertEqual(send_due(now=start), (0, 1))
        entry = Outbox.objects.get(pledge=made)
        self.assertEqual(entry.attempts, 1)
        self.assertIn("SMTPServerDisconnected", entry.last_error)
        self.assertEqual(entry.next_attempt_at, start + timedelta(minutes=1))
        self.assertEqual(len(mail.outbox), 0)
        # The server is back, but the backoff is not over yet.
        self.assertEqual(send_due(now=start + timedelta(seconds=59)), (0, 0))
        self.assertEqual(len(mail.outbox), 0)
        self.assertEqual(send_due(now=start + timedelta(seconds=61)), (1, 0))
        self.assertEqual(mail.outbox[0].to, ["ala@example.org"])
        entry.refresh_from_db()
        self.assertEqual((entry.attempts, entry.last_error), (2, ""))
        self.assertEqual(entry.sent_at, start + timedelta(seconds=61))

    def test_the_backoff_doubles_up_to_an_hour_then_it_gives_up(self):
        minutes = [retry_delay(n).total_seconds() / 60 for n in range(1, 10)]
        self.assertEqual(minutes, [1, 2, 4, 8, 16, 32, 60, 60, 60])
        made = pledge(self.campaign, "5", donor=ALA)
        when = timezone.now()
        with mailer(FailingBackend), self.assertLogs("donations.outbox") as logs:
            for attempt in range(1, MAX_ATTEMPTS + 1):
                self.assertEqual(send_due(now=when), (0, 1))
                entry = Outbox.objects.get(pledge=made)
                self.assertEqual(entry.attempts, attempt)
                if attempt < MAX_ATTEMPTS:
                    self.assertEqual(entry.next_attempt_at, when + retry_delay(attempt))
                    when = entry.next_attempt_at
            self.assertEqual(send_due(now=when + timedelta(days=30)), (0, 0))
        self.assertIsNone(entry.next_attempt_at)
        self.assertIsNone(entry.sent_at)
        self.assertIn("SMTPServerDisconnected", entry.last_error)
        self.assertIn("Gave up", logs.output[-1])
        self.assertEqual(logs.records[-1].levelname, "ERROR")
        # And it is not sent once the server is back.
        self.assertEqual(send_due(now=when + timedelta(days=31)), (0, 0))
        self.assertEqual(len(mail.outbox), 0)

    def test_an_unreachable_server_is_waited_for_once_per_batch(self):
        for n in range(3):
            pledge(self.campaign, "5", donor=Donor(email=f"d{n}@example.org"))
        UnreachableBackend.opened = 0
        with mailer(UnreachableBackend), self.assertLogs("donations.outbox"):
            self.assertEqual(send_due(), (0, 3))
        self.assertEqual(UnreachableBackend.opened, 1)
        self.assertEqual(
            set(Outbox.objects.values_list("last_error", flat=True)),
            {"TimeoutError: timed out"},
        )

    def test_an_address_the_server_refuses_does_not_stop_the_others(self):
        for email in ("first@example.org", "refused@example.org", "last@example.org"):
            pledge(self.campaign, "5", donor=Donor(email=email))
        with mailer(RefusingBackend), self.assertLogs("donations.outbox"):
            self.assertEqual(send_due(), (2, 1))
        self.assertEqual(
            [m.to for m in mail.outbox], [["first@example.org"], ["last@example.org"]]
        )
        refused = Outbox.objects.get(pledge__email="refused@example.org")
        self.assertIn("550", refused.last_error)
        self.assertIsNotNone(refused.next_attempt_at)

    def test_a_message_that_cannot_be_written_is_counted_and_tried_again(self):
        made = pledge(self.campaign, "5", donor=ALA)
        with (
            mock.patch.dict(
                outbox.MESSAGES,
                {Outbox.Kind.PLEDGE_MADE: mock.Mock(side_effect=KeyError)},
            ),
            self.assertLogs("donations.outbox", "ERROR"),
        ):
            self.assertEqual(send_due(), (0, 1))
        entry = Outbox.objects.get(pledge=made)
        self.assertIn("KeyError", entry.last_error)
        self.assertIsNotNone(entry.next_attempt_at)
        self.assertEqual(send_due(now=entry.next_attempt_at), (1, 0))

    def test_a_purged_email_stops_its_message(self):
        made = pledge(self.campaign, "5", donor=ALA)
        now = timezone.now()
        campaign_close(
            campaign=self.campaign, reason="manual", by=None, now=now - timedelta(1)
        )
        purge_donor_data(retention=timedelta(0), now=now)
        self.assertEqual(Pledge.objects.get(pk=made.pk).email, "")
        self.assertEqual(send_due(), (0, 0))
        self.assertEqual(len(mail.outbox), 0)
        entry = Outbox.objects.get(pledge=made)
        self.assertIsNone(entry.next_attempt_at)  # done: never tried again
        self.assertIsNone(entry.sent_at)
        self.assertEqual(send_due(now=now + timedelta(days=1)), (0, 0))

    def test_a_message_claimed_by_a_worker_that_died_goes_out_after_the_claim(self):
        made = pledge(self.campaign, "5", donor=ALA)
        now = timezone.now()
        # A worker claimed it, then was killed before sending.
        with mock.patch("donations.outbox.mailers") as mailers:
            mailers.default.open.side_effect = KeyboardInterrupt
            with self.assertRaises(KeyboardInterrupt):
                send_due(now=now)
        self.assertEqual(send_due(now=now + timedelta(minutes=5)), (0, 0))
        self.assertEqual(len(mail.outbox), 0)
        after_the_claim = now + outbox.CLAIM + timedelta(seconds=1)
        self.assertEqual(send_due(now=after_the_claim), (1, 0))
        self.assertEqual(mail.outbox[0].to, [made.email])

    def test_the_command_sends_what_is_due(self):
        pledge(self.campaign, "5", donor=ALA)
        out = io.StringIO()
        call_command("send_outbox", stdout=out)
        self.assertEqual(out.getvalue().strip(), "1 emails sent, 0 failed (to retry).")
        call_command("send_outbox", "--once", stdout=out)
        self.assertEqual(len(mail.outbox), 1)

    def test_the_command_drains_every_batch_in_one_pass(self):
        for n in range(5):
            pledge(self.campaign, "5", donor=Donor(email=f"d{n}@example.org"))
        out = io.StringIO()
        call_command("send_outbox", "--limit", "2", stdout=out)
        self.assertEqual(out.getvalue().strip(), "5 emails sent, 0 failed (to retry).")

    def test_the_loop_stops_after_its_batch_on_sigterm(self):
        pledge(self.campaign, "5", donor=ALA)
        before = signal.getsignal(signal.SIGTERM)
        real_send_due = outbox.send_due

        def send_then_stop(**kwargs):
            os.kill(os.getpid(), signal.SIGTERM)
            return real_send_due(**kwargs)

        out = io.StringIO()
        with mock.patch(
            "donations.management.commands.send_outbox.send_due",
            side_effect=send_then_stop,
        ):
            call_command("send_outbox", "--loop", "--sleep", "60", stdout=out)
        self.assertIn("1 emails sent", out.getvalue())
        self.assertEqual(len(mail.outbox), 1)
        self.assertIs(signal.getsignal(signal.SIGTERM), before)


@pytest.mark.slow
@pytest.mark.postgres
@unittest.skipUnless(PG, "needs PostgreSQL row locks")
class TwoWorkersTests(TransactionTestCase):
    def test_two_workers_at_once_send_each_message_once(self):
        campaign = make_campaign(slug="two-workers")
        for n in range(40):
            pledge(campaign, "5", donor=Donor(email=f"d{n}@example.org"))
        results = []

        def worker(n: int) -> None:
            while True:
                sent, failed = send_due(limit=3)
                results.append((n, sent, failed))
                if not sent and not failed:
                    return

        with mailer(SlowBackend):
            errors = at_once(2, worker)
        self.assertEqual(errors, [])
        sent_to = sorted(m.to[0] for m in mail.outbox)
        self.assertEqual(sent_to, sorted(f"d{n}@example.org" for n in range(40)))
        by_worker = {n: sum(s for w, s, _f in results if w == n) for n in (0, 1)}
        self.assertEqual(sum(by_worker.values()), 40)
        self.assertGreater(min(by_worker.values()), 0, by_worker)
        self.assertFalse(Outbox.objects.filter(sent_at__isnull=True).exists())


class TransactionRollbackTests(DonationsTestCase):
    def test_a_pledge_rolled_back_leaves_no_message(self):
        for path, enabled in PATHS.items():
            with self.subTest(path), one_statement(enabled), transaction.atomic():
                pledge(self.campaign, "5", donor=ALA)
                transaction.set_rollback(True)
        self.assertFalse(Outbox.objects.exists())
        self.assertEqual(send_due(), (0, 0))
        self.assertEqual(Decimal(0), fresh(self.campaign).promised.amount)
