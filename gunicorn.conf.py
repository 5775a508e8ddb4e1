"""gunicorn's settings for Zbor, read from the environment like Django's.

Run with `gunicorn config.wsgi` from the repository root (gunicorn reads this file
by itself). Two sync workers suit a 2-core machine: three, or gthread workers
(GUNICORN_WORKER_CLASS=gthread GUNICORN_THREADS=4), served the page or the pledges
slower there (see docs/performance.md). Workers keep nothing of their own in
memory that another server would need: money, rate limits and cached pages live in
PostgreSQL and the shared cache.
"""

import os

bind = (
    os.getenv("BIND") or f"{os.getenv('HOST', '127.0.0.1')}:{os.getenv('PORT', '8000')}"
)
workers = int(os.getenv("WEB_CONCURRENCY", "2"))
worker_class = os.getenv("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.getenv("GUNICORN_THREADS", "1"))

# A request that takes longer than this is stuck: the master kills the worker.
# The database connect timeout and the cache socket timeouts sit well inside it.
timeout = int(os.getenv("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.getenv("GUNICORN_GRACEFUL_TIMEOUT", "20"))
keepalive = 5

# Recycle workers now and then so a slow leak cannot grow for ever; the jitter
# keeps both workers from restarting at the same moment. Each recycle stalls the
# requests queued on that worker (the bench saw p99 go from 54 ms to over 1 s
# when it happened every 10 000 requests), so keep it rare: worker memory stayed
# flat at about 95 MiB over 50 000 requests.
max_requests = int(os.getenv("GUNICORN_MAX_REQUESTS", "200000"))
max_requests_jitter = int(os.getenv("GUNICORN_MAX_REQUESTS_JITTER", "20000"))

# Load Django once in the master: workers fork ready (faster start, shared pages).
preload_app = True

# One line per request costs throughput and holds donors' addresses: off unless
# asked for ("-" logs to stdout).
accesslog = os.getenv("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = os.getenv("GUNICORN_LOG_LEVEL", "info")

# Behind a TLS-terminating proxy on the same host, trust its X-Forwarded-* headers.
forwarded_allow_ips = os.getenv("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_fork(server, worker):
    # preload_app imports Django in the master; a database connection opened there
    # (none should be) must not be shared by the forked workers.
    from django.db import connections

    connections.close_all()
