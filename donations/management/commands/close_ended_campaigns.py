from django.core.management.base import BaseCommand

from config.jobs import use_job_limits
from donations.pledging import close_ended_campaigns


class Command(BaseCommand):
    help = (
        "Record the closing of campaigns whose deadline passed (they already refuse "
        "pledges). Idempotent: safe to run every minute from cron."
    )

    def handle(self, *args, **options) -> None:
        use_job_limits()
        count = close_ended_campaigns()
        self.stdout.write(f"{count} campaigns closed.")
