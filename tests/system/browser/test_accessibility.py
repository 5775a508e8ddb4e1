"""axe-core (axe-playwright-python, axe 4.12) finds no WCAG 2.1 A/AA violation on
the donor's pages, in every state they can be in; and what axe cannot judge
(numbers in text, errors announced and linked, the page's language) is checked
by hand."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from donations.pledging import pledge_receive
from tests.system.browser.support import assert_accessible, pledge

pytestmark = pytest.mark.browser


def test_the_open_campaign_its_list_and_its_poster(site, page, campaign):
    pledge(campaign, "300", line=campaign.lines.get(label="Food"), name="Anna")
    page.goto(f"{site.url}/")
    assert_accessible(page, "list")
    page.goto(f"{site.url}/c/konstantin/")
    assert_accessible(page, "campaign page")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    # Bars carry their numbers in text, not only in a drawing. The headline
    # is what arrived; a promise stands beside it, never added to it.
    expect(page.locator(".progress__collected")).to_have_text(
        "€0 collected of the €2,500 goal (0%)"
    )
    expect(page.locator(".progress__promised")).to_have_text(
        "€300 on its way (promised, not yet arrived)"
    )
    food = page.locator(".line", has_text="Food")
    expect(food.locator(".line__figures")).to_have_text(
        "€0 of €400 received · €300 on its way · €100 still needed"
    )
    expect(food.locator("progress")).to_have_accessible_name("Food")
    page.goto(f"{site.url}/c/konstantin/poster/")
    assert_accessible(page, "poster")


def test_the_pledge_form_with_its_errors_and_the_thank_you_page(site, page, campaign):
    page.goto(f"{site.url}/c/konstantin/give/")
    assert_accessible(page, "pledge form")
    page.get_by_role("radio", name="Other amount").check()
    page.get_by_role("textbox", name="Other amount").fill("0.10")
    page.locator("#id_email").fill("not an address")
    page.get_by_role("button", name="Pledge").click()

    # The errors are announced, listed at the top, and tied to their fields.
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("The smallest pledge is")
    expect(summary).to_contain_text("Enter a valid email address.")
    for field in ("#id_other_amount", "#id_email"):
        element = page.locator(field)
        expect(element).to_have_attribute("aria-invalid", "true")
        error_id = element.get_attribute("aria-describedby").split()[-1]
        expect(page.locator(f"#{error_id}")).to_be_visible()
    expect(page.locator("#id_email")).to_have_accessible_description(
        re.compile(r"Enter a valid email address\.$")
    )
    summary.get_by_role("link").first.click()
    assert page.evaluate("document.activeElement.id") == "id_other_amount"
    assert_accessible(page, "pledge form with errors")

    page.get_by_role("textbox", name="Other amount").fill("40")
    page.locator("#id_email").fill("")
    page.get_by_role("button", name="Pledge").click()
    expect(page.locator("h1")).to_have_text("Thank you for your pledge!")
    assert_accessible(page, "thank-you page")


def test_the_fully_promised_and_closed_pages(site, page, campaign):
    made = pledge(
        campaign, "2500", name="Maria", message="Good luck!", show_amount=True
    )
    page.goto(f"{site.url}/c/konstantin/")
    expect(page.locator(".pledge-state--promised")).to_be_visible()
    assert_accessible(page, "fully promised")
    page.goto(f"{site.url}/c/konstantin/give/")
    expect(page.locator(".pledge-state--promised")).to_be_visible()
    expect(page.locator("form.pledge-form")).to_be_visible()
    assert_accessible(page, "pledge page, fully promised")

    # The money arrives: collected reaches the goal and closes the collection.
    pledge_receive(pledge=made, amount=Decimal("2500"), by=None)
    page.goto(f"{site.url}/c/konstantin/")
    expect(page.locator(".pledge-state--closed")).to_be_visible()
    assert_accessible(page, "closed")
    page.goto(f"{site.url}/")
    assert_accessible(page, "list with a closed campaign")


def test_polish_pages_say_they_are_polish(site, page, campaign):
    page.goto(f"{site.url}/pl/c/konstantin/")
    expect(page.locator("html")).to_have_attribute("lang", "pl")
    assert_accessible(page, "campaign page in Polish")
