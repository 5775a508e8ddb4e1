import os
import subprocess
import sys

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
