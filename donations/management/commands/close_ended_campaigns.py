from django.core.management.base import BaseCommand

from donations.pledging import close_ended_campaigns


class Command(BaseCommand):
    help = (
        "Record the closing of campaigns whose deadline passed (they already refuse "
        "pledges). Idempotent: safe to run every minute from cron."
    )

    def handle(self, *args, **options) -> None:
        count = close_ended_campaigns()
        self.stdout.write(f"{count} campaigns closed.")
