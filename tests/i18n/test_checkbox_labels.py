"""A tick box's label ends without a colon ("Stay anonymous", not "Stay
anonymous:"), on the donors' form and at the desk, in every language."""

from __future__ import annotations

import inspect

from django import forms
from django.test import SimpleTestCase
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

import donations.forms
from donations.pledging import campaign_close
from tests.i18n.base import compile_catalogues
from tests.teams.base import TeamTestCase


class CheckboxLabelTests(SimpleTestCase):
    def test_every_declared_tick_box_has_no_label_suffix(self):
        # The donors' form and the desk's; the admin's ModelForms need nothing,
        # the admin drops the colon of a tick box itself.
        checked = []
        for name, form in inspect.getmembers(donations.forms, inspect.isclass):
            if not issubclass(form, forms.Form):
                continue
            for field_name, field in form.base_fields.items():
                if isinstance(field, forms.BooleanField):
                    checked.append(f"{name}.{field_name}")
                    self.assertEqual(field.label_suffix, "", f"{name}.{field_name}")
        self.assertIn("PledgeForm.is_anonymous", checked)
        self.assertIn("PledgeForm.show_amount", checked)
        self.assertIn("ReopenForm.stop_at_goal", checked)


class CheckboxLabelPageTests(TeamTestCase):
    @classmethod
    def setUpClass(cls):
        compile_catalogues()
        super().setUpClass()

    def test_the_pledge_form_in_each_language(self):
        for language in ("en", "pl", "be", "ru", "uk"):
            with self.subTest(language=language), translation.override(language):
                url = reverse("donations:pledge", args=[self.campaign.slug])
                html = self.client.get(url).content.decode()
                label = escape(translation.gettext("Stay anonymous"))
                self.assertIn(f"{label}</label>", html)
                self.assertNotIn(f"{label}:", html)
                # Other fields keep theirs.
                name = escape(translation.gettext("Your name"))
                self.assertIn(f"{name}:</label>", html)

    def test_the_desk_reopen_form(self):
        campaign_close(campaign=self.campaign, reason="manual", by=self.organizer)
        self.client.force_login(self.organizer)
        url = reverse("donations:desk_reopen", args=[self.campaign.pk])
        response = self.client.get(url)
        self.assertContains(response, 'class="vCheckboxLabel">Stop at goal</label>')
        self.assertNotContains(response, "Stop at goal:")
