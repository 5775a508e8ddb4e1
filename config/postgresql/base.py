"""Django's PostgreSQL backend, health-checking a kept connection only when it
has been idle.

With CONN_HEALTH_CHECKS Django runs `SELECT 1` before the first query of every
request that reuses a connection: a round trip and a statement on every pledge
(docs/performance.md has what that costs). A connection that served a query less than
DB_HEALTH_CHECK_AFTER_IDLE seconds ago (default 1) is taken as alive; one idle
longer is checked as Django checks it. What a check would have caught in that
second (the server restarted in between) fails that request's first query
instead: the error page answers 503 with Retry-After, and Django closes the
connection at the end of the request, so the next one reconnects. 0 checks
before every request, as Django does.
"""

import time

from django.conf import settings
from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    used_at = float("-inf")

    def create_cursor(self, name=None):
        cursor = super().create_cursor(name)
        self.used_at = time.monotonic()
        return cursor

    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and time.monotonic() - self.used_at < settings.DB_HEALTH_CHECK_AFTER_IDLE
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()
