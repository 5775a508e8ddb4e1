import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings
from django.test import SimpleTestCase

ROOT = str(settings.BASE_DIR)


def run(code: str, **env: str) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG")}
    clean.pop("ALLOWED_HOSTS", None)
    clean.update(env, DJANGO_SETTINGS_MODULE="config.settings")
    return subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
    )


class RequiredSettingsTests(SimpleTestCase):
    def test_the_server_refuses_to_start_without_a_secret_key_or_hosts(self):
        result = run("import config.wsgi")
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("SECRET_KEY and ALLOWED_HOSTS must be set", result.stderr)

    def test_the_server_starts_with_them(self):
        result = run("import config.wsgi", SECRET_KEY="x" * 50, ALLOWED_HOSTS="a.org")
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_commands_that_need_no_secret_run_without_one(self):
        result = run(
            "import django, sys; django.setup();"
            "from django.core.management import call_command;"
            "call_command('makemigrations', '--check', '--dry-run', verbosity=0)"
        )
        self.assertEqual(result.returncode, 0, result.stderr)

    def test_debug_gives_a_development_key_and_local_hosts(self):
        result = run(
            "import django; django.setup(); from django.conf import settings;"
            "print(bool(settings.SECRET_KEY), settings.ALLOWED_HOSTS)",
            DEBUG="True",
        )
        self.assertIn("True ['localhost', '127.0.0.1', '[::1]']", result.stdout)


class StrictSettingsTests(SimpleTestCase):
    """A value the settings do not understand stops the start, naming the
    variable and the value, instead of quietly meaning something else."""

    def assertRefused(self, name: str, value: str, **env: str) -> None:
        result = run("import config.wsgi", DEBUG="True", **{name: value}, **env)
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("ImproperlyConfigured", result.stderr)
        self.assertIn(f"{name}={value!r}", result.stderr)

    def test_a_typo_in_a_yes_no_setting_is_refused(self):
        self.assertRefused("SECURE_SSL_REDIRECT", "ture")

    def test_a_number_that_is_not_one_is_refused(self):
        self.assertRefused("DB_HEALTH_CHECK_AFTER_IDLE", "a second")
        self.assertRefused("ZBOR_LOGIN_COOLOFF_SECONDS", "15m")

    def test_a_rate_that_is_not_count_per_seconds_is_refused(self):
        for value in ("20", "20/0", "twenty/600", "20 per 600"):
            with self.subTest(value=value):
                self.assertRefused("ZBOR_PLEDGE_RATE_PER_ADDRESS", value)

    def test_the_smallest_pledge_must_be_an_amount(self):
        self.assertRefused("ZBOR_PLEDGE_MIN", "one euro")

    def test_understood_values_are_read_once_into_their_types(self):
        result = run(
            "import django; django.setup(); from django.conf import settings as s;"
            "print(s.SECURE_SSL_REDIRECT, s.ZBOR_PLEDGE_RATE_PER_ADDRESS.count,"
            " s.ZBOR_PLEDGE_RATE_PER_ADDRESS.seconds, s.ZBOR_PLEDGE_MIN,"
            " s.ALLOWED_HOSTS)",
            DEBUG="True",
            SECURE_SSL_REDIRECT=" Yes ",
            ZBOR_PLEDGE_RATE_PER_ADDRESS="5/60",
            ZBOR_PLEDGE_MIN="2.50",
            ALLOWED_HOSTS=" a.org, ,b.org ",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertEqual(
            result.stdout.split(), ["True", "5", "60", "2.50", "['a.org',", "'b.org']"]
        )

    def test_an_empty_value_means_the_default(self):
        result = run(
            "import django; django.setup(); from django.conf import settings as s;"
            "print(s.SECURE_SSL_REDIRECT, s.ZBOR_RETRY_AFTER_SECONDS)",
            DEBUG="True",
            SECURE_SSL_REDIRECT="",
            ZBOR_RETRY_AFTER_SECONDS="",
        )
        self.assertEqual(result.stdout.split(), ["False", "10"], result.stderr)

    def test_gunicorn_reads_its_settings_as_strictly(self):
        result = subprocess.run(  # noqa: S603 - our own gunicorn and config
            [
                str(Path(sys.executable).parent / "gunicorn"),
                "--check-config",
                "config.wsgi",
            ],
            cwd=ROOT,
            env={**os.environ, "DEBUG": "True", "GUNICORN_TIMEOUT": "30s"},
            capture_output=True,
            text=True,
            timeout=60,
        )
        self.assertNotEqual(result.returncode, 0)
        self.assertIn("GUNICORN_TIMEOUT='30s'", result.stderr)
