from django.core.management.base import BaseCommand

from config.jobs import use_job_limits
from donations.pledging import expire_pledges


class Command(BaseCommand):
    help = (
        "Cancel, as expired, pending pledges older than their campaign's expiry "
        "period. Idempotent: safe to run every minute from cron."
    )

    def handle(self, *args, **options) -> None:
        use_job_limits()
        count = expire_pledges()
        self.stdout.write(f"{count} pledges expired.")
