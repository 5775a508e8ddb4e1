from django.core.management.base import BaseCommand

from donations.pledging import expire_pledges


class Command(BaseCommand):
    help = (
        "Cancel, as expired, pending pledges older than their campaign's expiry "
        "period. Idempotent: safe to run every minute from cron."
    )

    def handle(self, *args, **options) -> None:
        count = expire_pledges()
        self.stdout.write(f"{count} pledges expired.")
