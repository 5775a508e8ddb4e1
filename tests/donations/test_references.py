"""Reference codes are found however they were typed: a Cyrillic or Greek
keyboard's look-alike letters, a leading label, case, spaces and dashes."""

from __future__ import annotations

from django.urls import reverse

from donations.forms import FindForm
from donations.models import Pledge, normalize_reference
from tests.donations.base import pledge
from tests.teams.base import TeamTestCase

CODE = "H88PMGW3"

# (what was typed, why it is the code H88PMGW3)
TYPED = [
    ("H88PMGW3", "as printed"),
    ("h88pmgw3", "lower case"),
    (" H88P-MGW3 ", "grouped, with spaces"),
    ("H88P MGW3", "grouped with a space"),
    ("Н88РМGW3", "Cyrillic Н, Р, М from a Cyrillic layout"),
    ("н88рмgw3", "Cyrillic, lower case"),
    ("Η88ΡΜGW3", "Greek Η, Ρ, Μ"),
    ("Ｈ８８ＰＭＧＷ３", "full-width letters and digits"),
    ("Ref: H88PMGW3", "Ref:"),
    ("Ref H88PMGW3", "Ref"),
    ("ref.h88pmgw3", "ref."),
    ("REF:H88PMGW3", "REF: without a space"),
    ("Reference: H88P-MGW3", "Reference:"),
    ("Код: Н88РМGW3", "Russian label, Cyrillic letters"),
    ("код H88PMGW3", "Russian label, lower case"),
    ("Kod: H88PMGW3", "Kod:"),
    ("Tytuł: H88PMGW3", "Polish transfer title"),
    ("tytul H88PMGW3", "Polish, without the ł"),
    ("Title: H88PMGW3", "Title:"),
    ("Nr: H88PMGW3", "Nr:"),
    ("nr H88PMGW3", "nr"),
]

# Codes that begin like a label are codes, not labels: only a text longer than
# a code loses its label.
CODES_LIKE_LABELS = ["NR2345AB", "REFA2345", "NR 2345AB", "ref-a2345"]

# Not H88PMGW3, whatever the folding.
NOT_THE_CODE = [
    "H88PMGW",  # a letter short
    "Refh88pmgw3",  # no label without a break after it
    "Reference H88PMGW33",
    "Д88РМGW3",  # Д looks like no Latin letter
    "Ref: Ref: H88PMGW3",
]


class NormalizeReferenceTests(TeamTestCase):
    def test_every_way_of_typing_the_code_is_the_code(self):
        for typed, why in TYPED:
            with self.subTest(why, typed=typed):
                self.assertEqual(normalize_reference(typed), CODE)

    def test_a_code_that_begins_like_a_label_keeps_its_letters(self):
        for typed in CODES_LIKE_LABELS:
            with self.subTest(typed=typed):
                self.assertEqual(
                    normalize_reference(typed),
                    typed.upper().replace(" ", "").replace("-", ""),
                )

    def test_other_texts_are_not_the_code(self):
        for typed in NOT_THE_CODE:
            with self.subTest(typed=typed):
                self.assertNotEqual(normalize_reference(typed), CODE)


class FindByTypedReferenceTests(TeamTestCase):
    def setUp(self):
        self.made = pledge(self.campaign, "25")
        Pledge.objects.filter(pk=self.made.pk).update(reference=CODE)
        self.client.force_login(self.volunteer)

    def test_the_desk_finds_the_pledge_however_the_code_was_typed(self):
        card = reverse("donations:desk_pledge", args=[CODE])
        for typed, why in TYPED:
            with self.subTest(why, typed=typed):
                response = self.client.get(
                    reverse("donations:desk"), {"reference": typed}
                )
                self.assertRedirects(response, card)

    def test_the_find_form_takes_a_label_and_separators(self):
        form = FindForm({"reference": "Reference: H88P-MGW3"})
        self.assertTrue(form.is_valid(), form.errors)
        self.assertEqual(form.cleaned_data["reference"], CODE)

    def test_a_typo_is_still_bad_input(self):
        for typed in ("Ref: H88PMGW", "Д88РМGW3"):
            with self.subTest(typed=typed):
                response = self.client.get(
                    reverse("donations:desk"), {"reference": typed}
                )
                self.assertIn(response.status_code, (400, 404))
                self.assertNotIn("Location", response.headers)

    def test_the_card_address_takes_look_alike_letters(self):
        response = self.client.get(reverse("donations:desk_pledge", args=["Н88РМGW3"]))
        self.assertContains(response, CODE)

    def test_the_admin_search_finds_it_too(self):
        self.client.force_login(self.organizer)
        response = self.client.get(
            reverse("admin:donations_pledge_changelist"), {"q": "Ref: Н88РМGW3"}
        )
        self.assertContains(response, CODE)
        self.assertContains(response, "1 result")
