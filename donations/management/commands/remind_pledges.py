from django.core.management.base import BaseCommand

from donations.pledging import queue_reminders


class Command(BaseCommand):
    help = (
        "Queue the reminder email of pending pledges that expire within their "
        "campaign's reminder period (send_outbox sends them). Idempotent: safe "
        "to run every minute from cron."
    )

    def handle(self, *args, **options) -> None:
        count = queue_reminders()
        self.stdout.write(f"{count} reminders queued.")
