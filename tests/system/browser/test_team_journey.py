"""The team in a real browser: an organizer writes and publishes a campaign in
the admin; a volunteer confirms money and closes a collection at the desk; the
donor then sees that it is over."""

import io
import re

import pytest
from django.contrib.auth.models import User
from PIL import Image
from playwright.sync_api import expect

from campaigns.models import Campaign, TeamMember
from tests.system.browser.support import image_loaded, log_in, pledge, staff_user

pytestmark = pytest.mark.browser


def png_bytes(size=(1200, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def test_an_organizer_creates_and_publishes_a_campaign(site, page):
    organizer = staff_user("olga", "Organizers")
    log_in(page, site, organizer)
    page.goto(f"{site.url}/admin/campaigns/campaign/add/")
    title = page.get_by_label("Title:", exact=True)
    title.fill("Winter clothes for Mikalai")
    title.press("Tab")  # the admin fills the slug in on change
    expect(page.get_by_label("Slug:")).to_have_value("winter-clothes-for-mikalai")
    page.get_by_label("Beneficiary's public name:").fill("Mikalai S.")
    page.get_by_label("Country:", exact=True).fill("Poland")
    page.get_by_label("Summary:", exact=True).fill("A coat and boots before winter.")
    page.get_by_label("Story:", exact=True).fill("Mikalai arrived in **October**.")
    page.get_by_label("IBAN:").fill("PL61109010140000071219812874")
    # A way to pay: the IBAN with its account holder (published or not yet).
    page.get_by_label("Account holder:").fill("Mikalai S.")

    page.locator("[name=lines-0-label]").fill("A winter coat")
    page.locator("[name=lines-0-target]").fill("150")
    page.locator("#lines-group .add-row a").click()
    page.locator("[name=lines-1-position]").fill("1")
    page.locator("[name=lines-1-label]").fill("Boots")
    page.locator("[name=lines-1-target]").fill("90")

    page.locator("[name=photos-0-upload]").set_input_files(
        {"name": "coat.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    page.locator("[name=photos-0-alt_text]").fill("A warm grey coat")
    # A new organizer is in no team yet: no "continue editing" before the save.
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")

    campaign = Campaign.objects.get(slug="winter-clothes-for-mikalai")
    assert not campaign.published
    assert [line.label for line in campaign.lines.all()] == ["A winter coat", "Boots"]
    assert campaign.photos.count() == 1
    assert TeamMember.objects.filter(campaign=campaign, user=organizer).exists()
    response = page.request.get(f"{site.url}/c/winter-clothes-for-mikalai/")
    assert response.status == 404, "a draft must not be public"

    # Now the campaign's organizer, she finds it in the list and publishes it.
    page.goto(f"{site.url}/admin/campaigns/campaign/")
    page.get_by_role("link", name="Winter clothes for Mikalai").click()
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    donor = page.context.browser.new_page()
    donor.goto(f"{site.url}/")
    donor.get_by_role("link", name="Winter clothes for Mikalai").click()
    expect(donor.locator("h1")).to_have_text("Winter clothes for Mikalai")
    expect(donor.locator(".progress__collected")).to_have_text(
        "€0 collected of the €240 goal (0%)"
    )
    cover = donor.locator(".cover img")
    expect(cover).to_have_attribute("alt", "A warm grey coat")
    assert image_loaded(cover)
    expect(donor.get_by_role("link", name="Give", exact=True).first).to_be_visible()


def test_a_volunteer_confirms_money_and_closes_the_collection(site, page, campaign):
    volunteer = staff_user("viktor", "Volunteers")
    TeamMember.objects.create(
        campaign=campaign, user=volunteer, role=TeamMember.Role.VOLUNTEER
    )
    promised = pledge(campaign, "300", name="Anna")
    log_in(page, site, volunteer)
    # A volunteer lands on the desk, the one place for money.
    expect(page).to_have_url(f"{site.url}/desk/")

    page.get_by_label("Reference code").fill(promised.reference.lower())
    page.get_by_role("button", name="Find").click()
    expect(page.locator("#content-main h2")).to_have_text(promised.reference)
    page.get_by_label("Amount").fill("295.50")  # the bank took its fee
    page.get_by_role("button", name="Received: confirm").click()
    expect(page.locator(".messagelist")).to_contain_text("marked received")

    # The admin's pledge page only shows the pledge, and leads back to the desk.
    page.goto(f"{site.url}/admin/donations/pledge/{promised.pk}/change/")
    expect(page.get_by_role("button", name="Save")).to_have_count(0)
    page.get_by_role("link", name="Open on the desk").first.click()
    expect(page.locator("#content-main h2")).to_have_text(promised.reference)

    page.goto(f"{site.url}/desk/")
    page.get_by_role("link", name="Close the collection").click()
    page.get_by_label("Why close it now?").fill("Konstantin found work")
    page.get_by_role("button", name=re.compile("Close", re.I)).click()

    campaign.refresh_from_db()
    assert campaign.closed_at is not None
    assert campaign.closed_by == User.objects.get(username="viktor")

    donor = page.context.browser.new_page()
    donor.goto(f"{site.url}/c/konstantin/")
    expect(donor.locator(".pledge-state--closed")).to_have_text(
        "The collection is over. Collected: €295.50"
    )
    expect(donor.get_by_role("link", name="Give", exact=True)).to_have_count(0)
    donor.goto(f"{site.url}/c/konstantin/give/")
    expect(donor.locator(".pledge-state--closed")).to_be_visible()
    expect(donor.locator("form.pledge-form")).to_have_count(0)
    donor.goto(f"{site.url}/")
    expect(donor.locator(".card-closed")).to_contain_text("The collection is over")
