"""Remove photos that waited for a campaign's save for more than a day: the
form they were chosen in was never sent again."""

from django.core.management.base import BaseCommand

from campaigns import photos


class Command(BaseCommand):
    help = "Remove photos kept for an unsaved campaign form for more than a day."

    def handle(self, *args, **options) -> None:
        removed = photos.clean_pending()
        self.stdout.write(f"Removed {removed} waiting photo(s).")
