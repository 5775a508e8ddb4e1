"""manage.py import_campaign FILE.json: create or update a campaign from a file.

The format is in the README ("Importing a campaign") and docs/example-campaign.json.
A bad file gets one error naming the field and its value, and changes nothing.
The edit rules are the admin's: each model's full_clean() runs before it is
saved (a published campaign needs a way to pay, the currency is fixed once
pledges exist, a line's target stays at or above what is earmarked to it).
Every import is written to the campaign's Activity record.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from djmoney.money import Money

from campaigns import contact, rules
from campaigns.forms import clean_bic, clean_iban, clean_target
from campaigns.models import Activity, BudgetLine, Campaign
from campaigns.money import to_cents

REQUIRED = ("title", "slug", "beneficiary", "summary", "lines")
OPTIONAL = {
    "city": "",
    "country": "",
    "story": "",
    "currency": "EUR",
    "deadline": None,
    "stop_at_goal": True,
    "published": False,
    "account_holder": "",
    "iban": "",
    "bic": "",
    "bank_name": "",
    "payment_other": "",
    "over_goal_rule": "",
    "fallback_languages": "",
    "organizer": "",
    "contact_email": "",
    "contact_telegram": "",
    "contact_signal": "",
    "contact_phone": "",
    "attested_by": "",
    "attested_on": None,
    "attestation_url": "",
}
TEXT_FIELDS = (
    "title",
    "slug",
    "beneficiary",
    "summary",
    "city",
    "country",
    "story",
    "currency",
    "account_holder",
    "iban",
    "bic",
    "bank_name",
    "payment_other",
    "over_goal_rule",
    "fallback_languages",
    "organizer",
    "contact_email",
    "contact_telegram",
    "contact_signal",
    "contact_phone",
    "attested_by",
    "attestation_url",
)
LINE_FIELDS = {"label", "target", "note"}
# Texts that may be given per language: "title": {"en": "…", "be": "…"}, or
# "title": "…" (English) with "title_be": "…" beside it. English is required
# wherever the field is.
TRANSLATED = ("title", "summary", "story", "payment_other", "over_goal_rule")
TRANSLATED_LINE = ("label", "note")
LANGUAGES = [code for code, _name in settings.LANGUAGES]
OTHER_LANGUAGES = [code for code in LANGUAGES if code != "en"]
ENGLISH_REQUIRED = ("title", "summary", "label")
# The campaign's fields the file sets besides its texts (the Activity record
# names those that changed).
PLAIN_FIELDS = (
    "city",
    "country",
    "fallback_languages",
    "currency",
    "deadline",
    "stop_at_goal",
    "published",
    "account_holder",
    "iban",
    "bic",
    "bank_name",
    "contact_email",
    "contact_telegram",
    "contact_signal",
    "contact_phone",
    "attested_by",
    "attested_on",
    "attestation_url",
)
# The file's names for model fields that are called otherwise.
RENAMED = {"beneficiary_name": "beneficiary", "organizer_name": "organizer"}
VIA = "import_campaign"


def bad_file(field: str, value: Any, problem: str) -> CommandError:
    """The one error a bad file gets: the field, what is wrong, and its value."""
    return CommandError(f"{field}: {problem} (got {json.dumps(value, default=str)})")


class Command(BaseCommand):
    help = "Create or update (by slug) a campaign from a JSON file."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options) -> None:
        data = read_file(file)
        with transaction.atomic():
            campaign, created = import_campaign(data)
        verb = "Created" if created else "Updated"
        self.stdout.write(
            f"{verb} {campaign.slug!r} with {len(data['lines'])} lines: "
            f"{settings.SITE_URL}{campaign.get_absolute_url()}"
        )


def read_file(file: Path) -> dict:
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise CommandError(f"{file}: cannot read it ({error.strerror}).") from error
    except UnicodeDecodeError as error:
        raise CommandError(f"{file}: not UTF-8 text.") from error
    try:
        data = json.loads(text, parse_float=str)
    except json.JSONDecodeError as error:
        raise CommandError(
            f"{file}: not valid JSON ({error.msg}, line {error.lineno} "
            f"column {error.colno})."
        ) from error
    return check(data)


def check(data: Any) -> dict:
    """The file's content with defaults filled in, or one CommandError."""
    if not isinstance(data, dict):
        raise CommandError("The file must hold one JSON object, {...}.")
    translations = split_translations(data, TRANSLATED, "")
    data = {**data, "translations": translations}
    unknown = sorted(set(data) - set(REQUIRED) - set(OPTIONAL) - {"translations"})
    if unknown:
        raise bad_file(unknown[0], data[unknown[0]], "unknown field")
    for name in REQUIRED:
        if name not in data:
            raise CommandError(f"{name}: this field is required but missing.")
    data = {**OPTIONAL, **data}
    for name in TEXT_FIELDS:
        if not isinstance(data[name], str):
            raise bad_file(name, data[name], "must be a string")
    for name in ("stop_at_goal", "published"):
        if not isinstance(data[name], bool):
            raise bad_file(name, data[name], "must be true or false")
    data["deadline"] = check_deadline(data["deadline"])
    data["attested_on"] = check_date("attested_on", data["attested_on"])
    for name, cleaner in (
        ("iban", clean_iban),
        ("bic", clean_bic),
        ("contact_telegram", contact.clean_telegram),
        ("contact_signal", contact.clean_signal),
        ("contact_phone", contact.clean_phone),
    ):
        try:
            data[name] = cleaner(data[name])
        except ValidationError as error:
            raise bad_file(name, data[name], error.messages[0]) from error
    data["lines"] = check_lines(data["lines"])
    if data["published"] and not data["lines"]:
        raise bad_file("lines", [], rules.message("published_without_lines"))
    return data


def split_translations(
    data: dict, fields: tuple[str, ...], where: str
) -> dict[str, dict[str, str]]:
    """Take the other languages' texts out of `data`, in place, leaving each
    field's English text: {"title": {"be": "…"}, …}. `title_be` keys and
    {"en": …, "be": …} objects both work; a text must be a string."""
    translations: dict[str, dict[str, str]] = {name: {} for name in fields}
    for name in fields:
        value = data.get(name)
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(LANGUAGES))
            if unknown:
                raise bad_file(
                    f"{where}{name}.{unknown[0]}",
                    value[unknown[0]],
                    f"unknown language; use {', '.join(LANGUAGES)}",
                )
            if "en" not in value and name in ENGLISH_REQUIRED:
                raise bad_file(f"{where}{name}", value, 'give the English text, "en"')
            translations[name].update(value)
            data[name] = translations[name].pop("en", "")
        for code in OTHER_LANGUAGES:
            key = f"{name}_{code}"
            if key in data:
                translations[name][code] = data.pop(key)
        for code, text in translations[name].items():
            if not isinstance(text, str):
                raise bad_file(f"{where}{name}.{code}", text, "must be a string")
    return translations


def check_deadline(value: Any) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_file("deadline", value, "must be an ISO 8601 string or null")
    try:
        deadline = datetime.fromisoformat(value)
    except ValueError as error:
        raise bad_file("deadline", value, "not an ISO 8601 date and time") from error
    if deadline.tzinfo is None:
        raise bad_file(
            "deadline",
            value,
            "give the UTC offset, like 2026-12-24T18:00:00+01:00",
        )
    return deadline


def check_date(name: str, value: Any) -> date | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise bad_file(name, value, "must be a date like 2026-11-20, or null")
    try:
        return date.fromisoformat(value)
    except ValueError as error:
        raise bad_file(name, value, "not a date like 2026-11-20") from error


def check_lines(lines: Any) -> list[dict]:
    if not isinstance(lines, list):
        raise bad_file("lines", lines, "must be a list of lines")
    checked, seen = [], set()
    for index, line in enumerate(lines):
        where = f"lines[{index}]"
        if not isinstance(line, dict):
            raise bad_file(where, line, "must be an object with label and target")
        translations = split_translations(line, TRANSLATED_LINE, f"{where}.")
        unknown = sorted(set(line) - LINE_FIELDS)
        if unknown:
            raise bad_file(f"{where}.{unknown[0]}", line[unknown[0]], "unknown")
        label = line.get("label")
        if not isinstance(label, str) or not label.strip():
            raise bad_file(f"{where}.label", label, "a line needs a label")
        label = label.strip()
        if label.lower() in seen:
            raise bad_file(f"{where}.label", label, "two lines have this label")
        seen.add(label.lower())
        note = line.get("note", "")
        if not isinstance(note, str):
            raise bad_file(f"{where}.note", note, "must be a string")
        checked.append(
            {
                "label": label,
                "note": note,
                "target": check_target(f"{where}.target", line.get("target")),
                "translations": translations,
            }
        )
    return checked


def check_target(where: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise bad_file(where, value, 'write the amount as a string, like "1000"')
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as error:
        raise bad_file(where, value, "not a decimal amount") from error
    try:
        return clean_target(amount)
    except ValidationError as error:
        raise bad_file(where, value, error.messages[0]) from error


def import_campaign(data: dict) -> tuple[Campaign, bool]:
    """Create or update the campaign and its lines, and record it. Call inside
    a transaction: a refusal half-way leaves nothing changed.

    Each row is validated by its model's full_clean() before it is saved, while
    the database still holds what the file replaces: the rules compare the new
    values with the stored ones (the currency, a line's target)."""
    campaign = Campaign.objects.select_for_update().filter(slug=data["slug"]).first()
    created = campaign is None
    if created:
        campaign = Campaign(slug=data["slug"])
    before = campaign_values(campaign)
    was_published = campaign.published
    campaign.beneficiary_name = data["beneficiary"]
    campaign.organizer_name = data["organizer"]
    set_texts(campaign, data, TRANSLATED)
    for name in PLAIN_FIELDS:
        setattr(campaign, name, data[name])
    campaign.collected = Money(campaign.collected.amount, campaign.currency)
    campaign.promised = Money(campaign.promised.amount, campaign.currency)
    full_clean(campaign, data, exclude=[])
    changed_fields = sorted(
        name
        for name, value in campaign_values(campaign).items()
        if value != before[name] and name != "published"  # recorded on its own
    )
    campaign.save()
    budget = import_lines(campaign, data["lines"])

    if campaign.published != was_published or (created and campaign.published):
        Activity.objects.record(
            campaign,
            Activity.Action.PUBLISHED,
            details={"published": campaign.published, "via": VIA},
        )
    if any(budget.values()):
        Activity.objects.record(
            campaign, Activity.Action.BUDGET_EDITED, details={**budget, "via": VIA}
        )
    edited = {"created": True} if created else {"fields": changed_fields}
    Activity.objects.record(
        campaign, Activity.Action.EDITED, details={**edited, "via": VIA}
    )
    return campaign, created


def import_lines(campaign: Campaign, items: list[dict]) -> dict[str, list[dict]]:
    """Make the campaign's lines the file's, matched by English label. Returns
    the lines added, changed and removed, as the Activity record names them."""
    existing = {line.label_en: line for line in campaign.lines.all()}
    wanted = {item["label"] for item in items}
    budget: dict[str, list[dict]] = {"added": [], "changed": [], "removed": []}
    for label, line in existing.items():
        if label not in wanted:
            if line.pledges.exists():
                raise bad_file(
                    "lines",
                    label,
                    "this line is missing from the file but has pledges "
                    "earmarked to it, so it cannot be removed: keep it in the file",
                )
            budget["removed"].append(line_details(line))
            line.delete()
    for position, item in enumerate(items):
        line = existing.get(item["label"])
        if line is None:
            line, before = BudgetLine(campaign=campaign), None
        else:
            before = line_values(line)
        set_texts(line, item, TRANSLATED_LINE)
        line.target = Money(item["target"], campaign.currency)
        line.earmarked = Money(line.earmarked.amount, campaign.currency)
        line.earmarked_collected = Money(
            line.earmarked_collected.amount, campaign.currency
        )
        line.position = position
        full_clean(line, item, exclude=["campaign"], prefix=f"lines[{position}].")
        if before is None:
            budget["added"].append(line_details(line))
        elif changed := sorted(
            name for name, value in line_values(line).items() if value != before[name]
        ):
            budget["changed"].append({**line_details(line), "fields": changed})
        line.save()
    return budget


def campaign_values(campaign: Campaign) -> dict[str, Any]:
    names = [
        *RENAMED,
        *(f"{name}_{code}" for name in TRANSLATED for code in LANGUAGES),
        *PLAIN_FIELDS,
    ]
    return {name: blank_as_none(getattr(campaign, name)) for name in names}


def line_values(line: BudgetLine) -> dict[str, Any]:
    names = [f"{name}_{code}" for name in TRANSLATED_LINE for code in LANGUAGES]
    values = {name: blank_as_none(getattr(line, name)) for name in names}
    return {**values, "target": to_cents(line.target.amount), "position": line.position}


def blank_as_none(value: Any) -> Any:
    # A language without a text is None or "", as it was last saved.
    return None if value == "" else value


def line_details(line: BudgetLine) -> dict[str, str]:
    # As the admin records lines: by label, never by a donor's anything.
    return {"label": line.label_en, "target": str(to_cents(line.target.amount))}


def set_texts(instance, data: dict, fields: tuple[str, ...]) -> None:
    """English from the field itself, the other languages from its translations;
    a language the file leaves out is cleared (the file is the whole campaign)."""
    for name in fields:
        setattr(instance, f"{name}_en", data[name])
        for code in OTHER_LANGUAGES:
            text = data["translations"][name].get(code) or None
            setattr(instance, f"{name}_{code}", text)


def full_clean(instance, data: dict, *, exclude: list[str], prefix: str = "") -> None:
    """The model's own validation, as one error naming the field of the file."""
    try:
        instance.full_clean(exclude=exclude)
    except ValidationError as error:
        field, messages = next(iter(error.message_dict.items()))
        name, value = file_field(field, data)
        raise bad_file(prefix + name, value, messages[0]) from error


def file_field(field: str, data: dict) -> tuple[str, Any]:
    """The file's name for a model field ("title.be" for title_be), and its value."""
    if field in RENAMED:
        return RENAMED[field], data.get(RENAMED[field])
    base, _, code = field.rpartition("_")
    if base in TRANSLATED + TRANSLATED_LINE and code in LANGUAGES:
        if code == "en":
            return base, data.get(base)
        return f"{base}.{code}", data["translations"][base].get(code)
    return field, data.get(field)
