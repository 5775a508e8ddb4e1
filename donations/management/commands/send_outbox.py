import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from donations.outbox import BATCH_SIZE, prune_finished, send_due


class Command(BaseCommand):
    help = (
        "Send the emails waiting in the outbox (donors' reference codes, "
        "reminders, receipts, updates), with retries and backoff, and delete "
        "entries done with for a month. Without --loop, one pass: every minute "
        "from cron. "
        "With --loop, until stopped (make run, a systemd unit). Several workers "
        "may run at once: none sends what another is sending."
    )

    def add_arguments(self, parser) -> None:
        mode = parser.add_mutually_exclusive_group()
        mode.add_argument(
            "--once",
            action="store_true",
            help="Send what is due now, then stop (the default).",
        )
        mode.add_argument(
            "--loop",
            action="store_true",
            help="Keep sending; stop on SIGTERM or SIGINT after the current batch.",
        )
        parser.add_argument(
            "--sleep",
            type=float,
            default=5.0,
            help="With --loop, seconds between passes (default: %(default)s).",
        )
        parser.add_argument(
            "--limit",
            type=int,
            default=BATCH_SIZE,
            help="Messages claimed per batch (default: %(default)s).",
        )

    def handle(self, *args, loop: bool, sleep: float, limit: int, **options) -> None:
        if limit < 1:
            raise CommandError("--limit must be at least 1.")
        if not loop:
            self.report(*self.send_all_due(limit))
            return
        stopping = threading.Event()
        previous = {
            signum: signal.signal(signum, lambda *_: stopping.set())
            for signum in (signal.SIGTERM, signal.SIGINT)
            # Started in the background by a shell (make run): Ctrl-C is not ours.
            if signal.getsignal(signum) is not signal.SIG_IGN
        }
        self.stdout.write("Sending the outbox until stopped.")
        try:
            while not stopping.is_set():
                sent, failed = self.send_all_due(limit)
                if sent or failed:
                    self.report(sent, failed)
                stopping.wait(sleep)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)

    def send_all_due(self, limit: int) -> tuple[int, int]:
        """Batches while they send something: a batch that sends nothing found
        nothing due, or a mail server that is down (try again next pass)."""
        prune_finished()
        sent = failed = 0
        while True:
            batch_sent, batch_failed = send_due(limit=limit)
            sent, failed = sent + batch_sent, failed + batch_failed
            if not batch_sent:
                return sent, failed

    def report(self, sent: int, failed: int) -> None:
        self.stdout.write(f"{sent} emails sent, {failed} failed (to retry).")
