"""Serving the app for real, and donors talking to it: the one place the bench
and the system tests start gunicorn and send pledges from.

    from bench.serve import Donor, app_env, free_port, start_gunicorn, stop, \\
        wait_until_up

    port = free_port()
    env = app_env("postgres://postgres@127.0.0.1:5432/zbor_bench", port)
    server = start_gunicorn(env, port)
    try:
        wait_until_up(f"http://127.0.0.1:{port}", server)
        donor = Donor(f"http://127.0.0.1:{port}")
        status, _body = donor.pledge("some-campaign", "10")  # 303 when taken
    finally:
        stop(server)

Standard library only (and loopback only): importing it loads no Django, so a
test may import it beside its own settings.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.parse
from decimal import Decimal
from pathlib import Path
from typing import IO

REPO = Path(__file__).resolve().parent.parent
GUNICORN = str(Path(sys.executable).parent / "gunicorn")

# High enough that no bench or test meets them unless it sets its own.
UNLIMITED_RATE = "1000000000/60"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(
    database_url: str,
    port: int,
    *,
    redis_url: str = "",
    static_root: str | None = None,
    extra: dict | None = None,
) -> dict[str, str]:
    """The environment of a production-like app: DEBUG off, plain HTTP on
    127.0.0.1:`port`, a throwaway SECRET_KEY, rate limits out of the way, mail
    dropped, warnings only in the logs.

    Without `static_root` static files are served unhashed (no collectstatic
    needed); with it, from that folder, which collectstatic must have filled.
    Without `redis_url` the cache is each worker's own memory. `extra` is
    applied last (e.g. CACHE_KEY_PREFIX, or the rate limits a test checks)."""
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url,
        DEBUG="False",
        SECRET_KEY="serve-" + secrets.token_urlsafe(32),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_SSL_REDIRECT="False",
        REDIS_URL=redis_url,
        HOST="127.0.0.1",
        PORT=str(port),
        BIND=f"127.0.0.1:{port}",
        ZBOR_PLEDGE_RATE_PER_ADDRESS=UNLIMITED_RATE,
        ZBOR_PLEDGE_RATE_PER_CAMPAIGN=UNLIMITED_RATE,
        EMAIL_BACKEND="django.core.mail.backends.dummy.EmailBackend",
        LOG_LEVEL="ERROR",  # a 409 or 503 logs a warning; the caller counts them
        GUNICORN_LOG_LEVEL="warning",
        PYTHONPATH=str(REPO),
    )
    if static_root is None:
        env["STATICFILES_BACKEND"] = (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    else:
        env["STATIC_ROOT"] = static_root
    env.pop("GUNICORN_ACCESS_LOG", None)  # one line per request costs throughput
    env.update({key: str(value) for key, value in (extra or {}).items()})
    return env


def start_gunicorn(
    env: dict,
    port: int,
    *,
    workers: int = 2,
    cwd=REPO,
    log: IO | None = None,
) -> subprocess.Popen:
    """gunicorn with the repository's gunicorn.conf.py on 127.0.0.1:`port`.

    `log` takes its output (a file, not a pipe nobody reads: a full pipe blocks
    the workers); by default it goes where this process's goes."""
    env = {**env, "PORT": str(port), "BIND": f"127.0.0.1:{port}"}
    env["WEB_CONCURRENCY"] = str(workers)
    return subprocess.Popen(  # noqa: S603 - our own gunicorn, fixed arguments
        [GUNICORN, "-c", "gunicorn.conf.py", "config.wsgi"],
        cwd=cwd,
        env=env,
        stdout=log,
        stderr=log,
    )


def wait_until_up(
    base_url: str, process: subprocess.Popen, seconds: float = 30
) -> None:
    """Return once `base_url`/healthz answers 200; raise RuntimeError if the
    server exits first or `seconds` pass."""
    host, port = _host_port(base_url)
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited ({process.returncode}) before up")
        conn = http.client.HTTPConnection(host, port, timeout=2)
        try:
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        finally:
            conn.close()
        time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not answer /healthz within {seconds:g} s")


def stop(process: subprocess.Popen, *, timeout: float = 30) -> None:
    """Stop gunicorn gracefully (SIGTERM: requests under way finish), killing
    it if it takes longer than `timeout` seconds. Safe to call twice."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _host_port(base_url: str) -> tuple[str, int]:
    parts = urllib.parse.urlsplit(base_url)
    return parts.hostname or "127.0.0.1", parts.port or 80


# ---------------------------------------------------------------------------
# A donor
# ---------------------------------------------------------------------------

CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TOKEN_INPUT = re.compile(r'name="token" value="([^"]+)"')
LINE_INPUT = re.compile(r'<input\b[^>]*\bname="line"[^>]*\bvalue="(\d+)"')


class Donor:
    """One browser over plain HTTP: keeps its cookies (the Secure ones too, as a
    browser behind the TLS proxy would), follows no redirect (the 303 after a
    pledge is the answer), one connection per request.

    `pledge` loads the campaign's form first when this donor has not yet
    (`form` does it on its own, e.g. before a crowd posts at once). The first
    pledge after a form sends that form's one-time token; later ones a fresh
    token each, unless `token` is given (a double click sends `last_token`
    again). Connection failures raise OSError."""

    def __init__(self, base_url: str, *, timeout: float = 30) -> None:
        self.base_url = base_url.rstrip("/")
        self.host, self.port = _host_port(base_url)
        self.timeout = timeout
        self.cookies: dict[str, str] = {}
        self.csrf: dict[str, str] = {}  # slug: the form's CSRF token
        self.tokens: dict[str, str] = {}  # slug: its one-time token, unused yet
        self.lines: dict[str, list[int]] = {}  # slug: lines its form offers
        self.last_token = ""
        self.status = 0
        self.headers: dict[str, str] = {}  # of the last answer, names lowercased

    @property
    def location(self) -> str:
        """Where the last answer redirected to ('' if it did not)."""
        return self.headers.get("location", "")

    def request(
        self, method: str, path: str, fields: dict | None = None
    ) -> tuple[int, str]:
        headers = {}
        body = None
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if fields is not None:
            body = urllib.parse.urlencode(fields)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            text = response.read().decode(errors="replace")
        except http.client.HTTPException as error:  # a broken answer
            raise ConnectionError(f"{method} {path}: {error!r}") from error
        finally:
            conn.close()
        self.status = response.status
        self.headers = {name.lower(): value for name, value in response.getheaders()}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key.strip()] = rest.split(";", 1)[0]
        return response.status, text

    def page(self, slug: str) -> tuple[int, str]:
        """GET the campaign's page."""
        return self.request("GET", f"/c/{slug}/")

    def form(self, slug: str) -> tuple[int, str]:
        """GET the campaign's pledge form and keep its tokens and lines."""
        status, html = self.request("GET", f"/c/{slug}/give/")
        csrf, token = CSRF_INPUT.search(html), TOKEN_INPUT.search(html)
        if status == 200 and csrf and token:
            self.csrf[slug] = csrf[1]
            self.tokens[slug] = token[1]
            self.lines[slug] = [int(pk) for pk in LINE_INPUT.findall(html)]
        return status, html

    def pledge(
        self,
        slug: str,
        amount: Decimal | str | int,
        *,
        line: int | None = None,
        name: str = "Bench donor",
        email: str = "",
        token: str | None = None,
    ) -> tuple[int, str]:
        """POST a pledge of `amount` euros, earmarked to `line` or to no line.
        Returns the answer's status and body (303 when taken); when the form
        had to be loaded first and did not answer 200, that answer instead."""
        if slug not in self.csrf:
            status, html = self.form(slug)
            if slug not in self.csrf:
                return status, html
        if token is None:
            token = self.tokens.pop(slug, None) or secrets.token_urlsafe(24)
        self.last_token = token
        return self.request(
            "POST",
            f"/c/{slug}/give/",
            {
                "csrfmiddlewaretoken": self.csrf[slug],
                "token": token,
                "amount": "other",
                "other_amount": str(amount),
                "line": "" if line is None else str(line),
                "donor_name": name,
                "email": email,
            },
        )
