from django.core.management.base import BaseCommand

from config.jobs import use_job_limits
from donations.pledging import expire_pledges


class Command(BaseCommand):
    help = (
        "Cancel, as expired, pending pledges older than their campaign's expiry "
        "period. Idempotent: safe to run every minute from cron."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--workers",
            type=int,
            default=2,
            help="database connections working at once, on different campaigns "
            "(default 2; 1 works on one connection)",
        )

    def handle(self, *args, **options) -> None:
        use_job_limits()
        count = expire_pledges(workers=max(1, options["workers"]))
        self.stdout.write(f"{count} pledges expired.")
