"""A mail server that never answers must not stall a donor: pledges through the
real view answer as fast as without mail, and the mail goes out once the server
answers again (manage.py send_outbox, here `send_due`).

The mail server is real TCP on 127.0.0.1: first a black hole (accepts the
connection, never says a word), then a tiny SMTP server that records what it
is sent. TransactionTestCase: in autocommit, as in production, anything run
"after commit" runs inside the request."""

from __future__ import annotations

import email
import secrets
import socket
import socketserver
import threading
import time
from datetime import timedelta

import pytest
from django.test import TransactionTestCase, override_settings
from django.urls import reverse
from django.utils import timezone

from donations.models import Outbox, Pledge
from donations.outbox import send_due
from tests.base import make_campaign

PLEDGES = 20
# Longer than a pledge may take: a request that waited on the mail server once
# would fail the one-second bound below.
SMTP_TIMEOUT = 2


class BlackHole:
    """Accepts TCP connections on a free port and never answers."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.port = self.listener.getsockname()[1]
        self.held: list[socket.socket] = []
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _address = self.listener.accept()
            except TimeoutError:
                continue
            self.held.append(conn)  # held open, never a byte back

    def close(self) -> None:
        self.stopping.set()
        self.thread.join(timeout=5)
        for conn in self.held:
            conn.close()
        self.listener.close()


class RecordingSMTPHandler(socketserver.StreamRequestHandler):
    """Just enough SMTP for smtplib: 220, 250 to everything, 354 for DATA,
    221 for QUIT; each message's envelope and bytes go to server.messages."""

    def reply(self, line: str) -> None:
        self.wfile.write(f"{line}\r\n".encode())

    def handle(self) -> None:
        self.reply("220 zbor-test ESMTP")
        recipients: list[str] = []
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip()
            verb = command.upper()
            if verb.startswith("RCPT TO:"):
                recipients.append(command[8:].strip(" <>"))
                self.reply("250 OK")
            elif verb == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = []
                while (chunk := self.rfile.readline()) not in (b".\r\n", b""):
                    data.append(chunk[1:] if chunk.startswith(b"..") else chunk)
                self.server.messages.append((recipients, b"".join(data)))
                recipients = []
                self.reply("250 OK queued")
            elif verb == "QUIT":
                self.reply("221 Bye")
                return
            else:  # EHLO, HELO, MAIL FROM, RSET, NOOP
                self.reply("250 OK")


class RecordingSMTPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), RecordingSMTPHandler)
        self.port = self.server_address[1]
        self.messages: list[tuple[list[str], bytes]] = []
        self.thread = threading.Thread(target=self.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.shutdown()
        self.server_close()
        self.thread.join(timeout=5)


def smtp_at(port: int) -> override_settings:
    return override_settings(
        MAILERS={
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": SMTP_TIMEOUT},
            }
        }
    )


@pytest.mark.slow
class SlowMailServerTests(TransactionTestCase):
    def setUp(self):
        self.campaign = make_campaign(slug="slow-mail")
        self.url = reverse("donations:pledge", args=[self.campaign.slug])
        self.black_hole = BlackHole()
        self.addCleanup(self.black_hole.close)

    def pledge_times(self, count: int, *, with_email: bool) -> list[float]:
        """Seconds each of `count` pledges through the view took."""
        times = []
        for n in range(count):
            data = {"amount": "25", "line": "", "token": secrets.token_urlsafe(24)}
            if with_email:
                data["email"] = f"donor{n}@example.org"
            started = time.perf_counter()
            response = self.client.post(self.url, data)
            times.append(time.perf_counter() - started)
            self.assertEqual(response.status_code, 303)
            self.assertIn("/thanks/", response["Location"])
        return times

    def test_pledges_answer_at_once_and_the_mail_goes_out_when_the_server_is_back(
        self,
    ):
        with smtp_at(self.black_hole.port):
            without_email = self.pledge_times(PLEDGES, with_email=False)
            with_email = self.pledge_times(PLEDGES, with_email=True)
            slowest = max(with_email)
            self.assertLess(slowest, 1, f"{with_email=}, {without_email=}")
            self.assertEqual(Pledge.objects.count(), 2 * PLEDGES)
            self.assertEqual(Outbox.objects.count(), PLEDGES)
            # The worker waits on the black hole once for the whole batch, and
            # records the failure on each message.
            started = time.perf_counter()
            with self.assertLogs("donations.outbox", "WARNING"):
                self.assertEqual(send_due(limit=PLEDGES), (0, PLEDGES))
            self.assertLess(time.perf_counter() - started, 3 * SMTP_TIMEOUT)
        self.assertEqual(
            set(Outbox.objects.values_list("attempts", "sent_at")), {(1, None)}
        )
        self.assertEqual(
            set(Outbox.objects.values_list("last_error", flat=True)),
            {"SMTPServerDisconnected: Connection unexpectedly closed: timed out"},
        )

        server = RecordingSMTPServer()
        self.addCleanup(server.close)
        with smtp_at(server.port):
            # Before the backoff is over nothing is tried again.
            self.assertEqual(send_due(limit=PLEDGES), (0, 0))
            later = timezone.now() + timedelta(minutes=2)
            self.assertEqual(send_due(now=later, limit=PLEDGES), (PLEDGES, 0))
            self.assertEqual(send_due(now=later, limit=PLEDGES), (0, 0))

        self.assertEqual(len(server.messages), PLEDGES)
        references = {
            pledge.email: pledge.reference
            for pledge in Pledge.objects.exclude(email="")
        }
        for recipients, data in server.messages:
            message = email.message_from_bytes(data)
            self.assertEqual(recipients, [message["To"]])
            self.assertIn(references.pop(message["To"]), message["Subject"])
        self.assertEqual(references, {})  # each donor once
        self.assertFalse(Outbox.objects.filter(sent_at__isnull=True).exists())
