from datetime import timedelta

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from config.jobs import use_job_limits
from donations.privacy import purge_donor_data


class Command(BaseCommand):
    help = (
        "Clear every word that may name a donor (names, emails, messages, notes, "
        "typed reasons) in campaigns closed longer than the retention period; "
        "amounts, totals and reference codes stay. Safe to run daily."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=settings.ZBOR_DONOR_DATA_RETENTION_DAYS,
            help="Retention period in days (default: %(default)s, "
            "ZBOR_DONOR_DATA_RETENTION_DAYS).",
        )

    def handle(self, *args, days: int, **options) -> None:
        use_job_limits()
        if days < 0:
            raise CommandError("--days cannot be negative.")
        result = purge_donor_data(retention=timedelta(days=days))
        self.stdout.write(
            f"Donor data purged from {result.pledges} pledges in {result.campaigns} "
            f"campaigns closed before {result.closed_before:%Y-%m-%d %H:%M}; "
            f"payers' names cleared from {result.entries} bank statement entries."
        )
