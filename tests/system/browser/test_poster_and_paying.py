"""The demo's seed campaign as donors meet it: its A4 poster prints on one page in
every language, the thank-you page's copy buttons copy, and the pages that
issue 16 changed stay accessible. Screenshots go to the git-ignored screenshots/
(and, with ZBOR_SHOTS set, to that folder as well)."""

import os
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.utils import timezone
from playwright.sync_api import expect

from campaigns.models import Campaign
from donations.demo import load_campaigns
from donations.pledging import campaign_close
from tests.system.browser.support import SCREENSHOTS, image_loaded, pledge

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
axe = Axe()
# The seed campaign's title as organizers would write it in each language: the
# poster must fit on one A4 page with the longest of them.
TITLES = {
    "pl": (
        "Pomoc byłemu więźniowi politycznemu Konstantinowi M. w rozpoczęciu "
        "nowego życia w Polsce"
    ),
    "be": "Дапамога былому палітвязню Канстанціну М. пачаць новае жыццё ў Польшчы",
    "ru": (
        "Помощь бывшему политзаключённому Константину М. в начале новой жизни в Польше"
    ),
    "uk": "Допомога колишньому політв'язню Костянтину М. почати нове життя в Польщі",
}


def shot(page, name: str) -> None:
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)
    extra = os.environ.get("ZBOR_SHOTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=Path(extra) / f"{name}.png", full_page=True)


def assert_accessible(page, name: str) -> None:
    results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_21_AA}})
    assert results.violations_count == 0, f"{name}:\n{results.generate_report()}"


def pdf_pages(page) -> int:
    pdf = page.pdf(format="A4")
    return len(re.findall(rb"/Type\s*/Page[^s]", pdf))


@pytest.fixture
def seed(site):
    """The demo's seed campaign, with who runs it, titled in every language."""
    campaign = load_campaigns(now=timezone.now())["konstantin"]
    Campaign.objects.filter(pk=campaign.pk).update(
        organizer_name="Belarusian House in Warsaw",
        contact_email="help@example.org",
        contact_telegram="@zbor_help",
        contact_phone="+48 600 123 456",
        attested_by="Dapamoga Foundation",
        attested_on=date(2026, 11, 20),
        attestation_url="https://example.org/confirmed",
        deadline=timezone.now() + timedelta(days=12),
        **{f"title_{code}": title for code, title in TITLES.items()},
    )
    campaign.refresh_from_db()
    return campaign


def test_the_seed_poster_prints_on_one_a4_page_in_every_language(site, page, seed):
    pledge(seed, "300", line=seed.lines.get(label_en="Food"))
    for code, _name in settings.LANGUAGES:
        prefix = "" if code == "en" else f"/{code}"
        page.goto(f"{site.url}{prefix}/c/konstantin/poster/")
        assert image_loaded(page.locator(".poster-qr img"))
        expect(page.locator(".poster-organizer")).to_contain_text(
            "Belarusian House in Warsaw"
        )
        page.emulate_media(media="print")
        assert pdf_pages(page) == 1, f"the {code} poster takes more than one page"
        page.emulate_media(media="screen")
    # Closed, it thanks and says so, and still fits.
    campaign_close(campaign=seed, reason="manual", by=None)
    for prefix in ("", "/ru"):
        page.goto(f"{site.url}{prefix}/c/konstantin/poster/")
        page.emulate_media(media="print")
        assert pdf_pages(page) == 1
        page.emulate_media(media="screen")
    page.goto(f"{site.url}/c/konstantin/poster/")
    expect(page.locator(".poster-qr figcaption")).to_contain_text(
        "The collection is over. Scan to read the story:"
    )
    expect(page.locator(".poster-qr figcaption")).not_to_contain_text("give")


def test_paying_on_a_phone_copies_and_shows_who_to_ask(site, browser, seed):
    made = pledge(seed, "25", line=seed.lines.get(label_en="Food"))
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    page = context.new_page()
    for prefix in ("", "/pl"):
        page.goto(f"{site.url}{prefix}/c/konstantin/")
        expect(page.locator(".give-link")).to_have_count(2)
        expect(page.locator(".organizer")).to_contain_text("help@example.org")
        assert_accessible(page, f"campaign page {prefix or '/'}")
        shot(page, f"h4-campaign{prefix.replace('/', '-') or '-en'}")

        page.goto(f"{site.url}{prefix}/thanks/{made.access_key}/")
        copy_iban = page.locator(".payment-details button[data-copy]").first
        expect(copy_iban).to_be_visible()
        copy_iban.click()
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied == "PL61109010140000071219812874"
        expect(page.get_by_role("status")).to_contain_text(
            "PL61109010140000071219812874"
        )
        expect(page.locator(".organizer")).to_contain_text("@zbor_help")
        assert_accessible(page, f"thank-you page {prefix or '/'}")
        shot(page, f"h4-thanks{prefix.replace('/', '-') or '-en'}")

        page.goto(f"{site.url}{prefix}/c/konstantin/share/")
        page.locator("button[data-copy-from]").click()
        text = page.evaluate("navigator.clipboard.readText()")
        if not prefix:
            assert "€2,475 still needed" in text
        assert f"{site.url}{prefix}/c/konstantin/" in text
        assert_accessible(page, f"share page {prefix or '/'}")
        shot(page, f"h4-share{prefix.replace('/', '-') or '-en'}")

        page.goto(f"{site.url}{prefix}/c/konstantin/poster/")
        assert_accessible(page, f"poster {prefix or '/'}")
        shot(page, f"h4-poster{prefix.replace('/', '-') or '-en'}")
    # Zloty into a Polish account: the Polish banks' 2D code.
    alesia = Campaign.objects.get(slug="alesia-laptop")
    zloty = pledge(alesia, "150")
    page.goto(f"{site.url}/pl/thanks/{zloty.access_key}/")
    expect(page.locator(".epc-qr figcaption")).to_have_text(
        re.compile("banking app|bank", re.IGNORECASE)
    )
    assert image_loaded(page.locator(".epc-qr img"))
    assert_accessible(page, "thank-you page in zloty")
    shot(page, "h4-thanks-pln-pl")
    page.goto(f"{site.url}/")
    assert_accessible(page, "list")
    shot(page, "h4-list-en")
    context.close()


def test_without_javascript_the_payment_details_stay_as_text(site, browser, seed):
    made = pledge(seed, "25")
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.url}/thanks/{made.access_key}/")
    expect(page.locator(".payment-details .iban")).to_have_text(
        "PL61 1090 1014 0000 0712 1981 2874"
    )
    expect(page.locator("button[data-copy]").first).to_be_hidden()
    context.close()
