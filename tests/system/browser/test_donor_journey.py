"""A donor's way through the site in a real browser: read, pledge, pay, see the
page change; the goal promised, then collected; all of it with the keyboard
alone and without JavaScript."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from donations.pledging import pledge_receive
from tests.system.browser.support import image_loaded, pledge

pytestmark = pytest.mark.browser

REFERENCE = re.compile(r"^[A-Z0-9]{4,12}$")


def test_a_donor_pledges_to_a_line_and_gets_what_they_need_to_pay(site, page, campaign):
    page.goto(f"{site.url}/c/konstantin/")
    expect(page.locator("h1")).to_have_text(campaign.title)
    expect(page.locator(".progress__collected")).to_have_text(
        "€0 collected of the €2,500 goal (0%)"
    )
    expect(page.locator(".cover img")).to_be_visible()
    assert image_loaded(page.locator(".cover img"))

    page.get_by_role("link", name="Give", exact=True).first.click()
    expect(page).to_have_url(f"{site.url}/c/konstantin/give/")
    page.get_by_label("Other amount", exact=True).check()
    page.get_by_role("textbox", name="Other amount").fill("300")
    page.get_by_role("radio", name="Food").check()
    page.get_by_label("Your name").fill("Anna")
    page.get_by_role("button", name="Pledge").click()

    expect(page).to_have_url(re.compile(rf"^{site.url}/thanks/[^/]+/$"))
    expect(page.locator("h1")).to_have_text("Thank you for your pledge!")
    reference = page.locator(".pledge-facts .reference").inner_text()
    assert REFERENCE.match(reference), reference
    payment = page.locator(".payment")
    expect(payment).to_contain_text(f"Put the reference code {reference}")
    expect(payment.locator(".iban")).to_have_text("PL61 1090 1014 0000 0712 1981 2874")
    expect(payment).to_contain_text("Zbor Test Foundation")
    expect(payment).to_contain_text("€300")
    qr = payment.locator(".epc-qr img")
    expect(qr).to_be_visible()
    assert image_loaded(qr), "the EPC QR code did not load"

    # A promise is not money yet: it stands beside the headline, not in it.
    page.get_by_role("link", name=campaign.title).click()
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
    totals = page.locator(".progress__totals > div")
    expect(totals.filter(has_text="Still needed").locator("dd")).to_have_text("€2,200")
    expect(totals.filter(has_text="Supporters").locator("dd")).to_have_text("1")
    expect(page.locator(".supporters")).to_contain_text("Anna")


def test_promises_never_stop_the_collection_only_collected_money_does(
    site, browser, campaign
):
    arrived = pledge(campaign, "2000")
    pledge_receive(pledge=arrived, amount=Decimal("2000"), by=None)
    first = browser.new_page()
    first.goto(f"{site.url}/c/konstantin/give/")  # a form opened before the goal

    second = browser.new_page()
    second.goto(f"{site.url}/c/konstantin/")
    expect(second.locator(".progress__collected")).to_have_text(
        "€2,000 collected of the €2,500 goal (80%)"
    )
    second.get_by_role("link", name="Give", exact=True).first.click()
    second.get_by_role("radio", name="Other amount").check()
    second.get_by_role("textbox", name="Other amount").fill("600")
    second.get_by_role("button", name="Pledge").click()
    expect(second.locator("h1")).to_have_text("Thank you for your pledge!")

    # Fully promised, but not every promise arrives: donors can still give.
    second.goto(f"{site.url}/c/konstantin/")
    expect(second.locator(".pledge-state--promised")).to_contain_text(
        "Fully promised: €600 on its way; if every promise arrives, the goal is met."
    )
    expect(second.locator(".progress__collected")).to_have_text(
        "€2,000 collected of the €2,500 goal (80%)"
    )
    expect(second.get_by_role("link", name="Give", exact=True).first).to_be_visible()

    # The 600 arrives: collected money reaches the goal and closes it.
    crossing = campaign.pledges.get(amount=Decimal("600"))
    pledge_receive(pledge=crossing, amount=Decimal("600"), by=None)
    second.goto(f"{site.url}/c/konstantin/")
    expect(second.locator(".pledge-state--closed")).to_have_text(
        "The collection is over. Collected: €2,600"
    )
    expect(second.locator(".progress__collected")).to_have_text(
        "€2,600 collected of the €2,500 goal (104%), €100 over the goal"
    )
    expect(second.get_by_role("link", name="Give", exact=True)).to_have_count(0)

    # The donor whose form was already open is told, and nothing is stored.
    first.get_by_role("radio", name="€10", exact=True).check()
    first.get_by_role("button", name="Pledge").click()
    expect(first.locator(".pledge-state--closed")).to_be_visible()
    expect(first.locator("form.pledge-form")).to_have_count(0)
    campaign.refresh_from_db()
    assert campaign.supporters == 2
    assert campaign.closed_reason == "goal"


def tab_to(page, selector: str, limit: int = 60) -> None:
    """Press Tab until the focused element matches `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_the_whole_pledge_with_the_keyboard_alone(site, page, campaign):
    page.goto(f"{site.url}/c/konstantin/")
    # The skip link comes first and moves focus to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"
    expect(page.locator(".skip-link")).to_be_in_viewport()
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"

    tab_to(page, ".give-link a")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid", "the focused link shows no focus ring"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{site.url}/c/konstantin/give/")

    tab_to(page, "input[name=amount]")  # the first amount, €10
    page.keyboard.press("ArrowRight")  # €25
    page.keyboard.press("Space")
    tab_to(page, "input[name=line]:checked")  # "Where most needed"
    page.keyboard.press("ArrowDown")  # the first line still open: the rent
    tab_to(page, "#id_donor_name")
    page.keyboard.type("Keyboard donor")
    tab_to(page, "#id_show_amount")
    page.keyboard.press("Space")
    tab_to(page, "button[type=submit]")
    page.keyboard.press("Enter")

    expect(page.locator("h1")).to_have_text("Thank you for your pledge!")
    facts = page.locator(".pledge-facts")
    expect(facts).to_contain_text("€25")
    expect(facts).to_contain_text("Rent for the first three months")
    created = campaign.pledges.get()
    assert created.show_amount and created.donor_name == "Keyboard donor"


def test_the_whole_pledge_without_javascript(site, browser, campaign):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site.url}/c/konstantin/")
    page.get_by_role("link", name="Give", exact=True).first.click()

    # A mistake first: the form comes back with the message beside the field.
    page.get_by_role("button", name="Pledge").click()
    expect(page.locator(".field__errors").first).to_contain_text(
        "Choose or enter an amount."
    )
    page.get_by_role("radio", name="€50").check()
    page.get_by_role("radio", name="Paying off debts").check()
    page.get_by_role("button", name="Pledge").click()

    expect(page.locator("h1")).to_have_text("Thank you for your pledge!")
    expect(page.locator(".pledge-facts")).to_contain_text("Paying off debts")
    assert image_loaded(page.locator(".epc-qr img"))
    page.goto(f"{site.url}/c/konstantin/")
    expect(page.locator(".progress__collected")).to_have_text(
        "€0 collected of the €2,500 goal (0%)"
    )
    expect(page.locator(".progress__promised")).to_have_text(
        "€50 on its way (promised, not yet arrived)"
    )
    context.close()
