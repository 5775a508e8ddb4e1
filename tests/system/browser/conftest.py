"""Playwright driving Debian's Chromium, with flags that keep it offline and
quiet in a container (no sandbox, GPU, shared memory, background networking).

The tests are skipped, with the reason, where Chromium is not installed; `.ci/run`
installs it, so CI always runs them.
"""

import shutil
import time
from datetime import timedelta
from decimal import Decimal
from importlib import import_module
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, Permission, User
from django.utils import timezone

from campaigns import photos
from campaigns.models import Photo
from donations.pledging import Donor, pledge_create
from tests.base import make_campaign
from tests.campaigns.helpers import image_file

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

SCREENSHOTS = Path(__file__).resolve().parents[2] / "screenshots"
PASSWORD = "a long enough password"


@pytest.fixture
def site(live_server, settings, tmp_path):
    """The live server (a real database, DEBUG off) serving photos from a
    throwaway MEDIA_ROOT, with SITE_URL pointing at itself."""
    settings.ROOT_URLCONF = "tests.system.browser.urls"
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SITE_URL = live_server.url
    return live_server


def add_photo(campaign, *, alt: str, is_cover: bool = False, position: int = 0):
    photo = Photo(campaign=campaign, alt_text=alt, is_cover=is_cover, position=position)
    photos.apply(photo, photos.prepare(image_file(size=(1600, 1067))))
    photo.save()
    return photo


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


def team_group(name: str) -> Group:
    """The team group as migration 0002 makes it (a transactional test's flush
    empties the tables the migration filled)."""
    migration = import_module("campaigns.migrations.0002_create_team_groups")
    group, _created = Group.objects.get_or_create(name=name)
    for (app_label, model), verbs in migration.ROLE_PERMISSIONS[name].items():
        group.permissions.add(
            *Permission.objects.filter(
                content_type__app_label=app_label,
                codename__in=[f"{verb}_{model}" for verb in verbs],
            )
        )
    return group


def staff_user(username: str, group: str) -> User:
    user = User.objects.create_user(username, password=PASSWORD, is_staff=True)
    user.groups.add(team_group(group))
    return user


def log_in(page, site, user: User) -> None:
    page.goto(f"{site.url}/admin/login/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    # Wherever the login leads (the admin home, or the desk for a volunteer),
    # it leaves the login page.
    page.wait_for_url(lambda url: not url.split("?")[0].endswith("/admin/login/"))


def pledge(campaign, amount: str, line=None, **donor):
    return pledge_create(
        campaign=campaign,
        line=line,
        amount=Decimal(amount),
        donor=Donor(**donor),
        submission_token=None,
    )


def screenshot(page, name: str) -> None:
    """Full-page screenshots into the git-ignored screenshots/ folder."""
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def image_loaded(locator, seconds: float = 5) -> bool:
    """Whether the image arrives and decodes within `seconds`, as a reader
    waits for it (the page is shown before its images are fetched)."""
    deadline = time.monotonic() + seconds
    while True:
        if locator.evaluate("img => img.complete && img.naturalWidth > 0"):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
