"""The donor's own pages in Chromium on a 390 px phone, in English and
Polish: "I've sent the transfer" and "Cancel my pledge" from the thank-you
page, the "stop emails" page, "Email me my pledge's page again", and the
campaign page with the team's updates and spending report. axe finds nothing
on any of them; nothing scrolls sideways; the page weight budget holds."""

import gzip
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from djmoney.money import Money
from playwright.sync_api import expect

from donations.models import Pledge, Spending, Update
from donations.pledging import campaign_close, pledge_receive
from donations.updates import spending_save, update_save
from tests.system.browser.support import (
    BUDGET_BYTES,
    COUNTED,
    assert_accessible,
    pledge,
    scroll_to_the_end,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}
SHOTS = Path("/tmp/zbor/shots")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"h5-{name}.png", full_page=True)


def no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=1)
    yield context.new_page()
    context.close()


@pytest.mark.parametrize("language", ["en", "pl"])
def test_the_donor_says_it_is_sent_then_cancels(site, phone, campaign, language):
    made = pledge(campaign, "40", email="ala@example.org", language=language)
    prefix = "" if language == "en" else f"/{language}"
    phone.goto(f"{site.url}{prefix}/thanks/{made.access_key}/")
    expect(phone.locator("html")).to_have_attribute("lang", language)
    assert_accessible(phone, f"thank-you page ({language})")
    no_sideways_scrolling(phone)
    shot(phone, f"{language}-1-thanks")

    phone.locator(".self-service button[type=submit]").click()
    expect(phone.locator(".self-service .pledge-state")).to_be_visible()
    assert Pledge.objects.get(pk=made.pk).transfer_sent_at is not None
    assert_accessible(phone, f"thank-you page, transfer sent ({language})")
    shot(phone, f"{language}-2-sent")

    phone.locator(".self-service a").click()
    expect(phone).to_have_url(f"{site.url}{prefix}/thanks/{made.access_key}/cancel/")
    assert_accessible(phone, f"cancel page ({language})")
    no_sideways_scrolling(phone)
    shot(phone, f"{language}-3-cancel")
    phone.locator("form button[type=submit]").click()
    expect(phone).to_have_url(f"{site.url}{prefix}/thanks/{made.access_key}/")
    assert Pledge.objects.get(pk=made.pk).status == Pledge.Status.CANCELLED
    expect(phone.locator(".self-service")).to_have_count(0)
    assert_accessible(phone, f"thank-you page, cancelled ({language})")
    shot(phone, f"{language}-4-cancelled")


def test_stop_emails_and_the_pledge_link_pages(site, phone, campaign):
    made = pledge(campaign, "40", email="ala@example.org")
    phone.goto(site.url + made.stop_emails_path())
    assert_accessible(phone, "stop emails")
    shot(phone, "en-5-stop-emails")
    phone.get_by_role("button", name="Stop emails").click()
    expect(phone.get_by_role("status")).to_contain_text("No more emails")
    assert_accessible(phone, "stop emails, done")
    assert Pledge.objects.get(pk=made.pk).emails_stopped_at is not None

    phone.goto(f"{site.url}/c/konstantin/")
    phone.get_by_role(
        "link", name="Pledged already? Email me my pledge's page again"
    ).click()
    assert_accessible(phone, "pledge link form")
    phone.get_by_role("button", name="Send it").click()  # empty: an error
    expect(phone.get_by_role("alert")).to_be_visible()
    assert_accessible(phone, "pledge link form with its error")
    phone.get_by_label("The email you pledged with").fill("ala@example.org")
    phone.get_by_role("button", name="Send it").click()
    expect(phone.get_by_role("status")).to_contain_text("If this address pledged")
    assert_accessible(phone, "pledge link sent")
    no_sideways_scrolling(phone)
    shot(phone, "en-6-pledge-link")


def test_the_campaign_page_with_updates_and_spending(site, phone, campaign):
    rent = campaign.lines.get(label="Rent for the first three months")
    pledge_receive(
        pledge=pledge(campaign, "600", line=rent, name="Anna"),
        amount=Decimal("600"),
        by=None,
    )
    update_save(
        update=Update(
            campaign=campaign,
            title="Konstantin has a flat",
            body="He **signed** the lease today. Thank you!",
            published=True,
        )
    )
    spending_save(
        spending=Spending(
            line=rent,
            spent_on=date.today() - timedelta(days=1),
            amount=Money(Decimal("550.00"), "EUR"),
            note="First month's rent and deposit",
        )
    )
    responses = []
    phone.on("response", lambda response: responses.append(response))
    phone.goto(f"{site.url}/c/konstantin/")
    scroll_to_the_end(phone)
    expect(phone.locator(".update h3")).to_have_text("Konstantin has a flat")
    expect(phone.locator(".spending tbody tr").first).to_contain_text("€550")
    assert_accessible(phone, "campaign page with updates and spending")
    no_sideways_scrolling(phone)
    counted = sum(
        len(gzip.compress(r.body(), compresslevel=6))
        for r in responses
        if r.request.resource_type in COUNTED and r.ok
    )
    assert counted < BUDGET_BYTES
    shot(phone, "en-7-campaign-updates-spending")

    campaign_close(campaign=campaign, reason="manual", by=None)
    phone.goto(f"{site.url}/pl/c/konstantin/")
    scroll_to_the_end(phone)
    expect(phone.locator(".spending h2")).to_be_visible()
    assert_accessible(phone, "closed campaign page with its final report")
    no_sideways_scrolling(phone)
    shot(phone, "pl-8-closed-final-report")
