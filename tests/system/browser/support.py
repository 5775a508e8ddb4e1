"""Helpers the browser tests share: users, pledges, photos, screenshots, the
accessibility check and the page-weight budget. Fixtures live in conftest.py."""

import time
from importlib import import_module
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.models import Group, Permission, User

from campaigns import photos
from campaigns.models import Photo
from donations.pledging import Donor
from tests.campaigns.helpers import image_file
from tests.support import pledge as make_pledge

# The repository's git-ignored screenshots/ folder.
SCREENSHOTS = Path(__file__).resolve().parents[3] / "screenshots"
PASSWORD = "a long enough password"


BUDGET_BYTES = 60 * 1024
# What counts against the budget: everything but photos (and the favicon).
COUNTED = {"document", "stylesheet", "script", "font"}

WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
axe = Axe()


def assert_accessible(page, name: str) -> None:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def add_photo(campaign, *, alt: str, is_cover: bool = False, position: int = 0):
    photo = Photo(campaign=campaign, alt_text=alt, is_cover=is_cover, position=position)
    photos.apply(photo, photos.prepare(image_file(size=(1600, 1067))))
    photo.save()
    return photo


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
    """A pledge made as the form makes it, by a donor with these details."""
    return make_pledge(campaign, amount, line, donor=Donor(**donor))


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


def scroll_to_the_end(page) -> None:
    """Scroll down a screen at a time so lazy images below the fold load."""
    height = page.evaluate("document.scrollingElement.scrollHeight")
    for y in range(0, height + 1, 600):
        page.evaluate("y => window.scrollTo(0, y)", y)
        page.wait_for_timeout(50)
    page.wait_for_load_state("networkidle")
