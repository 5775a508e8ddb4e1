"""The gunicorn worker this process runs in, told that a long response is
still making progress.

gunicorn's master kills a sync worker that has not checked in for
`GUNICORN_TIMEOUT` seconds, and a sync worker checks in only between requests:
a download that streams for longer (a big campaign's CSV on a slow machine)
would be cut off mid-file. Such a response calls `still_working()` after each
piece it sends, so only a worker that stops making progress for the whole
timeout is killed. Outside gunicorn (runserver, tests) it does nothing.
"""

from __future__ import annotations

_worker = None


def started(worker) -> None:
    """gunicorn.conf.py's post_fork: this process is `worker`."""
    global _worker
    _worker = worker


def still_working() -> None:
    if _worker is not None:
        _worker.notify()
