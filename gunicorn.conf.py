"""gunicorn's settings for Zbor, read from the environment like Django's.

Run with `gunicorn config.wsgi` from the repository root (gunicorn reads this file
by itself). The default of two sync workers is one per core on a 2-core machine;
docs/performance.md has what other counts and worker classes measured. Workers keep
nothing of their own in memory that another server would need: money, rate limits
and cached pages live in PostgreSQL and the shared cache. Every value is read as
strictly as Django's settings (config/env.py).
"""

from config.env import env_int, env_str

bind = env_str("BIND") or f"{env_str('HOST', '127.0.0.1')}:{env_int('PORT', 8000)}"
workers = env_int("WEB_CONCURRENCY", 2, minimum=1)
worker_class = env_str("GUNICORN_WORKER_CLASS", "sync")
threads = env_int("GUNICORN_THREADS", 1, minimum=1)

# A request that takes longer than this is stuck: the master kills the worker.
# The database connect timeout and the cache socket timeouts sit well inside it.
timeout = env_int("GUNICORN_TIMEOUT", 30, minimum=1)
graceful_timeout = env_int("GUNICORN_GRACEFUL_TIMEOUT", 20)
keepalive = 5

# Recycle workers now and then so a slow leak cannot grow for ever; the jitter
# keeps both workers from restarting at the same moment. Each recycle stalls the
# requests queued on that worker, so keep it rare (docs/performance.md has the
# measurements behind the default).
max_requests = env_int("GUNICORN_MAX_REQUESTS", 200000)
max_requests_jitter = env_int("GUNICORN_MAX_REQUESTS_JITTER", 20000)

# Load Django once in the master: workers fork ready (faster start, shared pages).
preload_app = True

# One line per request costs throughput and holds donors' addresses: off unless
# asked for ("-" logs to stdout).
accesslog = env_str("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
loglevel = env_str("GUNICORN_LOG_LEVEL", "info")

# Behind a TLS-terminating proxy on the same host, trust its X-Forwarded-* headers.
forwarded_allow_ips = env_str("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# gunicorn's control socket (for `gunicornc`) defaults to one path per user
# ($XDG_RUNTIME_DIR or $HOME/.gunicorn/gunicorn.ctl), which two instances on one
# host (two sites, a test server beside the real one) would both claim. Off
# unless GUNICORN_CONTROL_SOCKET names a path of this instance's own.
if env_str("GUNICORN_CONTROL_SOCKET"):
    control_socket = env_str("GUNICORN_CONTROL_SOCKET")
else:
    control_socket_disable = True


def post_fork(server, worker):
    # preload_app imports Django in the master; a database connection opened there
    # (none should be) must not be shared by the forked workers.
    from django.db import connections

    from config import workers

    connections.close_all()
    workers.started(worker)
