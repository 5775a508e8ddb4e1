"""Limits for the periodic jobs and other commands that run outside a request.

A request's connection gives up on a lock after a few seconds and on a
statement after twenty (config/settings.py), inside gunicorn's timeout. A job
works in bounded batches but may wait behind a volunteer's change or run a
longer statement: it sets its own, longer limits on its connection.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection


def use_job_limits() -> None:
    """Give this process's database connection the jobs' limits (PostgreSQL;
    SQLite has no such settings)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('lock_timeout', %s, false), "
            "set_config('statement_timeout', %s, false)",
            [
                f"{settings.DB_JOB_LOCK_TIMEOUT_MS}ms",
                f"{settings.DB_JOB_STATEMENT_TIMEOUT_MS}ms",
            ],
        )
