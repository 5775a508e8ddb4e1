"""Playwright driving Debian's Chromium, with flags that keep it offline and
quiet in a container (no sandbox, GPU, shared memory, background networking).

The tests are skipped, with the reason, where Chromium is not installed; `.ci/run`
installs it, so CI always runs them.
"""

import shutil
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.base import make_campaign
from tests.system.browser.support import add_photo

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
HAVE_CHROMIUM = shutil.which("chromium") is not None


def pytest_collection_modifyitems(config, items):
    if HAVE_CHROMIUM:
        return
    skip = pytest.mark.skip(
        reason="Chromium is not installed (apt-get install chromium)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-quic",
        ],
    }


# The site as the browser sees it ---------------------------------------------


@pytest.fixture
def site(live_server, settings, tmp_path):
    """The live server (a real database, DEBUG off) serving photos from a
    throwaway MEDIA_ROOT, with SITE_URL pointing at itself."""
    settings.ROOT_URLCONF = "tests.system.browser.urls"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = live_server.url
    return live_server


@pytest.fixture
def campaign(site):
    """The seed campaign (goal €2,500 in four lines) with payment details, a
    cover photo and a second photo further down the page."""
    seed = make_campaign(
        account_holder="Zbor Test Foundation",
        iban="PL61109010140000071219812874",
        bic="WBKPPLPP",
        bank_name="Test Bank",
        deadline=timezone.now() + timedelta(days=30),
    )
    add_photo(seed, alt="A small room with a window", is_cover=True)
    add_photo(seed, alt="The table by the window", position=1)
    return seed
