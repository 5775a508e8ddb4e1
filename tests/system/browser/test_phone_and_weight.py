"""Light and phone-sized: what the campaign page costs to download, that nothing
leaves our origin, that photos wait until they are needed, and that a 360 px
screen never scrolls sideways. Screenshots go to the git-ignored screenshots/."""

import gzip
import re

import pytest
from playwright.sync_api import expect

from donations.pledging import campaign_close
from tests.system.browser.support import (
    BUDGET_BYTES,
    COUNTED,
    SCREENSHOTS,
    image_loaded,
    pledge,
    screenshot,
    scroll_to_the_end,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 740}
DESKTOP = {"width": 1280, "height": 800}


def test_the_campaign_page_is_light_and_asks_only_our_origin(site, browser, campaign):
    pledge(campaign, "300", name="Anna", message="For the winter.")
    context = browser.new_context(viewport=PHONE)
    page = context.new_page()
    requested = []
    page.on("request", lambda request: requested.append(request.url))
    responses = []
    page.on("response", lambda response: responses.append(response))

    page.goto(f"{site.url}/c/konstantin/")
    page.wait_for_load_state("networkidle")
    scroll_to_the_end(page)

    foreign = [url for url in requested if not url.startswith(site.url + "/")]
    assert foreign == [], f"requests left the site: {foreign}"
    counted = {
        response.url: len(gzip.compress(response.body(), compresslevel=6))
        for response in responses
        if response.request.resource_type in COUNTED and response.ok
    }
    assert any(url.endswith(".css") for url in counted)
    total = sum(counted.values())
    print(f"\ncampaign page, gzip: {total} bytes ({counted})")
    assert total < BUDGET_BYTES, counted
    photos_loaded = [r.url for r in responses if r.request.resource_type == "image"]
    assert any("/media/photos/" in url for url in photos_loaded)
    context.close()


def test_photos_are_sized_and_those_below_the_fold_are_lazy(site, page, campaign):
    page.goto(f"{site.url}/c/konstantin/")
    cover = page.locator(".cover img")
    expect(cover).not_to_have_attribute("loading", "lazy")  # seen at once
    for img in page.locator("main img").all():
        for attribute in ("srcset", "sizes", "width", "height", "alt"):
            assert img.get_attribute(attribute), f"{attribute} missing on {img}"
    below = page.locator(".gallery img")
    expect(below).to_have_count(1)
    expect(below).to_have_attribute("loading", "lazy")
    # The phone picks a copy sized for its screen, not the largest.
    phone = page.context.browser.new_page(viewport=PHONE)
    phone.goto(f"{site.url}/c/konstantin/")
    chosen = phone.locator(".cover img").evaluate("img => img.currentSrc")
    largest = phone.locator(".cover img").get_attribute("src")
    assert chosen != largest, "a 360 px screen downloaded the largest photo"


def no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def test_a_phone_never_scrolls_sideways_and_screenshots(site, browser, campaign):
    promised = pledge(campaign, "300", name="Anna", message="A" * 120)
    phone = browser.new_context(viewport=PHONE, device_scale_factor=1)
    desktop = browser.new_context(viewport=DESKTOP, device_scale_factor=1)
    on_phone, on_desktop = phone.new_page(), desktop.new_page()

    for path in (
        "/",
        "/c/konstantin/",
        "/c/konstantin/give/",
        f"/thanks/{promised.access_key}/",
        "/c/konstantin/poster/",
        "/pl/c/konstantin/",
    ):
        on_phone.goto(site.url + path)
        no_sideways_scrolling(on_phone)

    on_phone.goto(f"{site.url}/c/konstantin/give/")
    on_phone.get_by_role("button", name="Pledge").click()  # with its errors
    no_sideways_scrolling(on_phone)

    for name, page in (("360", on_phone), ("1280", on_desktop)):
        page.goto(f"{site.url}/c/konstantin/")
        scroll_to_the_end(page)
        screenshot(page, f"campaign-{name}-open")
    campaign_close(campaign=campaign, reason="manual", by=None)
    for name, page in (("360", on_phone), ("1280", on_desktop)):
        page.goto(f"{site.url}/c/konstantin/")
        expect(page.locator(".pledge-state--closed")).to_be_visible()
        scroll_to_the_end(page)
        screenshot(page, f"campaign-{name}-closed")
    no_sideways_scrolling(on_phone)
    on_phone.goto(f"{site.url}/c/konstantin/poster/")
    screenshot(on_phone, "poster-360")
    phone.close()
    desktop.close()


def test_the_poster_prints_on_one_a4_page(site, page, campaign):
    page.goto(f"{site.url}/c/konstantin/poster/")
    expect(page.locator(".poster-qr img")).to_be_visible()
    assert image_loaded(page.locator(".poster-qr img"))
    page.emulate_media(media="print")
    expect(page.locator(".site-header")).to_be_hidden()
    SCREENSHOTS.mkdir(exist_ok=True)
    pdf = page.pdf(path=SCREENSHOTS / "poster.pdf", format="A4")
    pages = re.findall(rb"/Type\s*/Page[^s]", pdf)
    assert len(pages) == 1, f"the poster takes {len(pages)} pages"
