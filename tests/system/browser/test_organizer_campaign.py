"""An organizer who is not technical writes a campaign from scratch in the
admin: who and where, the story with a photo picked from the gallery, three
lines put in order, a mistyped IBAN that sends the page back (the photo is
kept), a preview of the draft, publishing; then a donor sees the photo and the
lines in that order. Once at a laptop's width and once at a phone's."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from campaigns.models import Campaign
from tests.system.browser.support import image_loaded, log_in, screenshot, staff_user

pytestmark = pytest.mark.browser

BAD_IBAN = "PL61 1090 1014 0000 0712 1981 2875"  # the last digit mistyped
GOOD_IBAN = "PL61 1090 1014 0000 0712 1981 2874"


def png_bytes(size=(1200, 800)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (40, 90, 160)).save(buffer, "PNG")
    return buffer.getvalue()


def add_line(page, index: int, label: str, target: str) -> None:
    if index:
        page.locator("#lines-group .add-row a").click()
    page.locator(f"[name=lines-{index}-label]").fill(label)
    page.locator(f"[name=lines-{index}-target]").fill(target)


def line_labels(page) -> list[str]:
    rows = page.locator("#lines-group tbody tr.form-row:not(.empty-form)")
    return [
        value
        for value in rows.locator("input[name$='-label']").evaluate_all(
            "inputs => inputs.map(input => input.value)"
        )
        if value
    ]


@pytest.mark.parametrize(
    "width,height,name", [(1280, 900, "laptop"), (390, 844, "phone")]
)
def test_an_organizer_writes_previews_and_publishes_a_campaign(
    site, page, width, height, name
):
    page.set_viewport_size({"width": width, "height": height})
    log_in(page, site, staff_user("olga", "Organizers"))
    page.goto(f"{site.url}/admin/campaigns/campaign/add/")

    # Who and where.
    title = page.get_by_label("Title:", exact=True)
    title.fill("A warm winter for Mikalai")
    title.press("Tab")
    page.get_by_label("Beneficiary's public name:").fill("Mikalai S.")
    page.get_by_label("City:", exact=True).fill("Białystok")
    page.get_by_label("Country:", exact=True).fill("Poland")
    summary = page.get_by_label("Summary:", exact=True)
    summary.fill("A coat, boots and a month of rent before the frost.")
    expect(page.locator(".zbor-count").first).to_have_text("51 of 300 characters")

    # The story, with the photo chosen below and picked from the gallery.
    story = page.get_by_label("Story:", exact=True)
    story.fill("Mikalai arrived in **October** with one bag.")
    page.locator("[name=photos-0-upload]").set_input_files(
        {"name": "coat.png", "mimeType": "image/png", "buffer": png_bytes()}
    )
    page.locator("[name=photos-0-alt_text]").fill("A warm grey coat")
    picked = page.locator(".zbor-picker li", has_text="Photo 1 (not saved yet)")
    expect(picked).to_contain_text("A warm grey coat")
    story.press("End")
    picked.get_by_role("button", name="Insert in the story").click()
    expect(story).to_have_value(
        "Mikalai arrived in **October** with one bag.\n\n"
        "![A warm grey coat](photo:1)\n\n"
    )

    # What is needed: three lines typed without positions, the last moved up.
    page.get_by_label("Currency:").select_option("EUR")
    add_line(page, 0, "A month of rent", "600")
    add_line(page, 1, "Food", "200")
    add_line(page, 2, "A winter coat", "150")
    page.locator("#lines-2 [data-zbor-up]").click()
    assert line_labels(page) == ["A month of rent", "A winter coat", "Food"]

    # How to pay, with one digit wrong.
    page.get_by_label("Account holder:").fill("Mikalai S.")
    page.get_by_label("IBAN:").fill(BAD_IBAN)
    page.get_by_role("button", name="Save", exact=True).click()

    # Sent back: the mistake beside its field, nothing lost, the photo kept.
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator(".field-iban .errorlist")).to_contain_text(
        "is not a valid IBAN"
    )
    expect(page.locator(".zbor-kept-note")).to_contain_text(
        "Your photo coat.png is kept"
    )
    expect(page.locator(".field-upload .zbor-kept")).to_contain_text(
        "Your photo “coat.png” is kept; it will be saved with the campaign."
    )
    expect(page.get_by_label("Story:", exact=True)).to_have_value(
        "Mikalai arrived in **October** with one bag.\n\n"
        "![A warm grey coat](photo:1)\n\n"
    )
    assert line_labels(page) == ["A month of rent", "A winter coat", "Food"]
    # The story preview shows what was typed, with the kept photo in it.
    sent_back = page.frame_locator("iframe[name=zbor-story-frame]")
    expect(sent_back.locator(".story img")).to_have_attribute("alt", "A warm grey coat")
    screenshot(page, f"organizer-{name}-sent-back")
    assert not Campaign.objects.exists()

    page.get_by_label("IBAN:").fill(GOOD_IBAN)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was added successfully")
    campaign = Campaign.objects.get(slug="a-warm-winter-for-mikalai")
    assert [line.label for line in campaign.lines.all()] == [
        "A month of rent",
        "A winter coat",
        "Food",
    ]
    assert campaign.photos.get().number == 1

    # The draft: its story preview in the page, and the whole page previewed.
    page.locator("#result_list").get_by_role(
        "link", name="A warm winter for Mikalai"
    ).click()
    frame = page.frame_locator("iframe[name=zbor-story-frame]")
    expect(frame.locator(".story img")).to_have_attribute("alt", "A warm grey coat")
    screenshot(page, f"organizer-{name}-change-form")
    page.get_by_role("link", name="Preview", exact=True).click()
    expect(page.locator(".preview-notice")).to_contain_text("Preview — not public.")
    expect(page.locator("meta[name=robots]")).to_have_attribute("content", "noindex")
    assert image_loaded(page.locator(".story img"))
    screenshot(page, f"organizer-{name}-preview")
    assert page.request.get(f"{site.url}/c/{campaign.slug}/").status == 404

    # Published.
    page.go_back()
    page.get_by_label("Published").check()
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator(".messagelist")).to_contain_text("was changed successfully")

    donor = page.context.browser.new_page(viewport={"width": width, "height": height})
    donor.goto(f"{site.url}/c/{campaign.slug}/")
    expect(donor.locator("h1")).to_have_text("A warm winter for Mikalai")
    photo = donor.locator(".story img")
    expect(photo).to_have_attribute("alt", "A warm grey coat")
    assert image_loaded(photo)
    expect(donor.locator(".needs tbody th")).to_have_text(
        ["A month of rent", "A winter coat", "Food"]
    )
    expect(donor.locator(".preview-notice")).to_have_count(0)
    screenshot(donor, f"organizer-{name}-public")
    donor.close()
