"""A volunteer on a phone imports the bank statement at the desk, reviews what
it matched and confirms it; the campaign page then shows the money collected,
and the same file imported again changes nothing. In English and in Polish:
the desk speaks the staff member's language."""

import re
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from campaigns.models import TeamMember
from donations.models import Pledge, StatementEntry
from tests.donations.bankstatements import Transfer, camt053
from tests.system.browser.support import (
    PASSWORD,
    assert_accessible,
    pledge,
    screenshot,
    staff_user,
)

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} is {width} px wide"


def log_in(page, site, username: str) -> None:
    """The login page in any language: its fields by their ids."""
    page.goto(f"{site.url}/admin/login/")
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_url(lambda url: not url.split("?")[0].endswith("/admin/login/"))


@pytest.mark.parametrize("language", ["en", "pl"])
def test_a_volunteer_imports_reviews_and_confirms_a_statement(
    site, browser, campaign, language
):
    volunteer = staff_user("viktor", "Volunteers")
    TeamMember.objects.create(
        campaign=campaign, user=volunteer, role=TeamMember.Role.VOLUNTEER
    )
    rent = pledge(campaign, "50", name="Anna")
    food = pledge(campaign, "120", name="Jan")
    statement = camt053(
        # A bank's long unbroken remittance line must not widen the page.
        Transfer(
            "49.30",
            f"Darowizna {rent.reference.lower()} /ROC/" + "0" * 60,
            payer="Anna Nowak",
        ),
        Transfer("60.00", f"{food.reference[:4]} {food.reference[4:]} cz. 1"),
        Transfer("12.00", "Opłata za prowadzenie rachunku", debit=True),
    )
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=1,
        locale="pl-PL" if language == "pl" else "en-GB",
    )
    page = context.new_page()
    log_in(page, site, volunteer.username)
    prefix = "/pl" if language == "pl" else ""
    expect(page).to_have_url(f"{site.url}{prefix}/desk/")
    expect(page.locator("html")).to_have_attribute("lang", language)

    page.locator(".desk-statements a").click()
    expect(page).to_have_url(f"{site.url}{prefix}/desk/statements/")
    no_sideways_scrolling(page)
    page.locator("#id_file").set_input_files(
        {"name": "wyciag.xml", "mimeType": "application/xml", "buffer": statement}
    )
    assert_accessible(page, "statement upload")
    screenshot(page, f"statement-upload-390-{language}")
    page.locator("#statement-upload [type=submit]").click()

    # The review: the fee-reduced transfer matched and selected, the half
    # payment doubtful and left to the volunteer, the debit not shown at all.
    expect(page.locator(".messagelist")).to_contain_text("2")
    expect(page.locator("#matched-heading")).to_contain_text("(1)")
    expect(page.locator("#doubtful-heading")).to_contain_text("(1)")
    matched = StatementEntry.objects.get(amount=Decimal("49.30"))
    doubtful = StatementEntry.objects.get(amount=Decimal("60.00"))
    take_matched = page.locator(f"#id_take_{matched.pk}")
    take_doubtful = page.locator(f"#id_take_{doubtful.pk}")
    expect(take_matched).to_be_checked()
    expect(take_doubtful).not_to_be_checked()
    # Each checkbox is named by its label, for a screen reader too.
    expect(page.get_by_label(re.compile(rent.reference))).to_have_count(1)
    expect(page.locator(f"#entry-{matched.pk}")).to_contain_text("Anna Nowak")
    no_sideways_scrolling(page)
    assert_accessible(page, "statement review")
    screenshot(page, f"statement-review-390-{language}")

    take_doubtful.check()
    page.locator("#statement-review [type=submit]").click()
    expect(page.locator(".messagelist")).to_contain_text("2")
    expect(page.locator("#done-heading")).to_contain_text("(2)")
    expect(page.locator("#statement-review [type=submit]")).to_have_count(0)
    no_sideways_scrolling(page)
    screenshot(page, f"statement-confirmed-390-{language}")

    rent.refresh_from_db()
    food.refresh_from_db()
    assert (rent.status, str(rent.received_amount.amount)) == ("received", "49.30")
    assert (food.status, str(food.received_amount.amount)) == ("received", "60.00")

    # The donors see the money collected: €109.30.
    donor = context.new_page()
    donor.goto(f"{site.url}{prefix}/c/konstantin/")
    expect(donor.locator(".progress__collected")).to_contain_text(
        re.compile(r"109[.,]30")
    )
    screenshot(donor, f"statement-campaign-390-{language}")

    # The same file again adds nothing and says so.
    page.goto(f"{site.url}{prefix}/desk/statements/")
    page.locator("#id_file").set_input_files(
        {"name": "wyciag.xml", "mimeType": "application/xml", "buffer": statement}
    )
    page.locator("#statement-upload [type=submit]").click()
    expect(page.locator(".messagelist")).to_be_visible()
    if language == "en":
        expect(page.locator(".messagelist")).to_contain_text(
            "Nothing new: all 2 entries of this file were already imported."
        )
    assert StatementEntry.objects.count() == 2
    rent.refresh_from_db()
    assert rent.received_amount.amount == matched.amount.amount
    assert Pledge.objects.filter(status="received").count() == 2
    no_sideways_scrolling(page)
    screenshot(page, f"statement-again-390-{language}")

    # The pledge's card lists the transfer that paid it.
    page.goto(f"{site.url}{prefix}/desk/p/{rent.reference}/")
    expect(page.locator(f"a[href$='#entry-{matched.pk}']")).to_be_visible()
    no_sideways_scrolling(page)
    screenshot(page, f"statement-card-390-{language}")
    context.close()
