"""manage.py load_demo: demo campaigns, accounts and pledges (donations/demo.py).

It lives in donations, the top layer, because it fills both apps.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from donations.demo import load_demo


class Command(BaseCommand):
    help = (
        "Create demo campaigns, accounts and pledges (only with DEBUG on; "
        "safe to rerun)."
    )

    def handle(self, *args, **options) -> None:
        if not settings.DEBUG:
            raise CommandError(
                "load_demo creates accounts with known passwords, so it runs only "
                "with DEBUG on (DEBUG=True)."
            )
        with transaction.atomic():
            campaigns, accounts = load_demo(now=timezone.now())
        base = settings.SITE_URL
        self.stdout.write(f"Demo loaded: {len(campaigns)} campaigns at {base}/")
        self.stdout.write(f"Admin: {base}/admin/ — log in as:")
        for username, role in accounts:
            self.stdout.write(f"  {username} / {username}  ({role})")
