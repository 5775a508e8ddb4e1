import copy
import json
import tempfile
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import TestCase, override_settings
from djmoney.money import Money

from campaigns.models import Activity, BudgetLine, Campaign
from donations.models import Pledge
from tests.support import GOOD_IMPORT as GOOD

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "example-campaign.json"
SEED_TITLE_RU = (
    "Поможем бывшему политзаключённому Константину М. начать новую жизнь в Польше"
)


@override_settings(SITE_URL="https://zbor.example")
class ImportCampaignTests(TestCase):
    def run_import(self, content) -> str:
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as file:
            file.write(content if isinstance(content, str) else json.dumps(content))
        self.addCleanup(Path(file.name).unlink)
        out = StringIO()
        call_command("import_campaign", file.name, stdout=out)
        return out.getvalue()

    def assertRefused(self, content, *fragments) -> None:
        before = list(
            BudgetLine.objects.order_by("pk").values_list(
                "pk", "label", "target", "note", "position"
            )
        )
        campaigns = list(Campaign.objects.order_by("pk").values())
        activities = Activity.objects.count()
        with self.assertRaises(CommandError) as caught:
            self.run_import(content)
        for fragment in fragments:
            self.assertIn(fragment, str(caught.exception))
        self.assertEqual(list(Campaign.objects.order_by("pk").values()), campaigns)
        after = BudgetLine.objects.order_by("pk").values_list(
            "pk", "label", "target", "note", "position"
        )
        self.assertEqual(list(after), before)
        self.assertEqual(Activity.objects.count(), activities)

    def test_it_creates_a_campaign_and_prints_its_address(self):
        out = self.run_import(GOOD)
        self.assertIn("https://zbor.example/c/ales/", out)
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(campaign.beneficiary_name, "Ales B.")
        self.assertEqual(campaign.goal, Money("275.50", "EUR"))
        self.assertEqual(campaign.deadline.isoformat(), "2026-12-24T17:00:00+00:00")
        self.assertEqual(
            [(line.label, line.note, line.position) for line in campaign.lines.all()],
            [("Coats", "two", 0), ("Boots", "", 1)],
        )

    def test_the_readme_example_imports(self):
        out = self.run_import(EXAMPLE.read_text())
        self.assertIn("/c/konstantin/", out)
        campaign = Campaign.objects.get(slug="konstantin")
        self.assertEqual(campaign.goal, Money("2500", "EUR"))
        self.assertEqual(campaign.iban, "PL61109010140000071219812874")

    def test_the_example_carries_every_text_in_every_language(self):
        self.run_import(EXAMPLE.read_text())
        campaign = Campaign.objects.get(slug="konstantin")
        for code, _name in settings.LANGUAGES:
            for name in ("title", "summary", "story", "over_goal_rule"):
                with self.subTest(field=f"{name}_{code}"):
                    self.assertTrue(getattr(campaign, f"{name}_{code}"))
            for line in campaign.lines.all():
                for name in ("label", "note"):
                    with self.subTest(line=line.label_en, field=f"{name}_{code}"):
                        self.assertTrue(getattr(line, f"{name}_{code}"))
        self.assertIn("Рэчыцы", campaign.story_be)
        self.assertEqual(
            [line.label_uk for line in campaign.lines.all()],
            [
                "Оренда житла на перші три місяці",
                "Їжа",
                "Одяг і речі для дому",
                "Погашення боргів",
            ],
        )
        # The same texts as the demo's seed campaign (donations/demo.py).
        self.assertEqual(campaign.title_ru, SEED_TITLE_RU)

    def test_an_update_matches_lines_by_label(self):
        self.run_import(GOOD)
        coats = BudgetLine.objects.get(label="Coats")
        changed = copy.deepcopy(GOOD)
        changed["title"] = "Winter clothes for Ales B."
        changed["lines"] = [
            {"label": "Gloves", "target": "20"},
            {"label": "Coats", "target": "200"},
        ]
        out = self.run_import(changed)
        self.assertIn("Updated", out)
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(campaign.title, "Winter clothes for Ales B.")
        lines = list(campaign.lines.all())
        self.assertEqual([line.label for line in lines], ["Gloves", "Coats"])
        self.assertEqual(lines[1].pk, coats.pk)  # the same line, kept
        self.assertEqual(lines[1].target, Money("200", "EUR"))
        self.assertFalse(BudgetLine.objects.filter(label="Boots").exists())

    def test_it_refuses_to_remove_a_line_with_pledges(self):
        self.run_import(GOOD)
        campaign = Campaign.objects.get(slug="ales")
        boots = campaign.lines.get(label="Boots")
        Pledge.objects.create(campaign=campaign, line=boots, amount=Money("10", "EUR"))
        changed = copy.deepcopy(GOOD)
        changed["lines"] = [{"label": "Coats", "target": "999"}]
        changed["title"] = "Changed"
        self.assertRefused(changed, "Boots", "pledges earmarked")

    def test_it_refuses_a_new_currency_once_pledges_exist(self):
        self.run_import(GOOD)
        campaign = Campaign.objects.get(slug="ales")
        Pledge.objects.create(campaign=campaign, amount=Money("10", "EUR"))
        self.assertRefused({**GOOD, "currency": "PLN"}, "currency", "PLN")

    def test_bad_json(self):
        self.assertRefused('{"title": "x",', "not valid JSON", "line 1")

    def test_not_an_object(self):
        self.assertRefused("[1, 2]", "one JSON object")

    def test_a_missing_field(self):
        data = {k: v for k, v in GOOD.items() if k != "summary"}
        self.assertRefused(data, "summary", "missing")

    def test_an_unknown_field(self):
        self.assertRefused({**GOOD, "titel": "x"}, "titel", "unknown")

    def test_bad_targets(self):
        for target, problem in (
            ("abc", "not a decimal amount"),
            ("-5", "positive"),
            ("0", "positive"),
            ("1.005", "two decimal places"),
            (True, "as a string"),
        ):
            data = copy.deepcopy(GOOD)
            data["lines"][1]["target"] = target
            self.assertRefused(data, "lines[1].target", problem, json.dumps(target))

    def test_a_json_number_target_is_read_exactly(self):
        data = copy.deepcopy(GOOD)
        data["lines"][1]["target"] = 95.1
        self.run_import(data)
        self.assertEqual(
            str(BudgetLine.objects.get(label="Boots").target.amount), "95.10"
        )

    def test_a_bad_currency(self):
        self.assertRefused({**GOOD, "currency": "GBP"}, "currency", '"GBP"')

    def test_a_deadline_without_offset(self):
        self.assertRefused(
            {**GOOD, "deadline": "2026-12-24T18:00:00"}, "deadline", "UTC offset"
        )

    def test_a_deadline_that_is_not_a_date(self):
        self.assertRefused({**GOOD, "deadline": "next Friday"}, "deadline", "ISO 8601")

    def test_duplicate_labels(self):
        data = copy.deepcopy(GOOD)
        data["lines"][1]["label"] = "coats"
        self.assertRefused(data, "lines[1].label", "two lines have this label")

    def test_a_bad_slug(self):
        self.assertRefused({**GOOD, "slug": "no spaces please"}, "slug")

    def test_a_published_campaign_without_lines(self):
        self.assertRefused({**GOOD, "lines": []}, "lines", "at least one budget line")

    def test_a_bad_iban(self):
        self.assertRefused({**GOOD, "iban": "PL00 1234"}, "iban", "PL00 1234")

    def test_a_refusal_on_update_changes_nothing(self):
        self.run_import(GOOD)
        data = copy.deepcopy(GOOD)
        data["title"] = "Changed"
        data["lines"][1]["target"] = "-1"
        self.assertRefused(data, "lines[1].target")
        self.assertEqual(Campaign.objects.get(slug="ales").title, GOOD["title"])

    # The admin's edit rules, through the models' clean() ----------------------

    def test_publishing_without_a_way_to_pay_is_refused_and_nothing_stored(self):
        data = {**GOOD, "account_holder": "", "iban": ""}
        self.assertRefused(
            data, "published: A campaign needs a way to pay", "(got true)"
        )
        self.assertFalse(Campaign.objects.exists())

    def test_other_ways_to_give_alone_are_enough_to_publish(self):
        data = {
            **GOOD,
            "account_holder": "",
            "iban": "",
            "payment_other": "Cash at the Gdańsk community centre, Mondays.",
        }
        self.run_import(data)
        campaign = Campaign.objects.get(slug="ales")
        self.assertTrue(campaign.published)
        self.assertEqual(campaign.iban, "")

    def test_a_draft_needs_no_way_to_pay_yet(self):
        self.run_import({**GOOD, "published": False, "account_holder": "", "iban": ""})
        self.assertFalse(Campaign.objects.get(slug="ales").published)

    def test_an_iban_without_its_holder_is_refused(self):
        self.assertRefused(
            {**GOOD, "account_holder": ""}, "account_holder: Give the account holder"
        )

    def test_publishing_an_existing_draft_without_a_way_to_pay_changes_nothing(self):
        draft = {**GOOD, "published": False, "account_holder": "", "iban": ""}
        self.run_import(draft)
        self.assertRefused(
            {**draft, "published": True, "title": "Changed"}, "published"
        )
        self.assertFalse(Campaign.objects.get(slug="ales").published)

    def test_a_line_target_below_its_earmarks_is_refused(self):
        self.run_import(GOOD)
        BudgetLine.objects.filter(label="Coats").update(earmarked=Money("150", "EUR"))
        data = copy.deepcopy(GOOD)
        data["lines"][0]["target"] = "100"
        self.assertRefused(data, "lines[0].target", '"100"')

    def test_the_currency_is_locked_by_the_model(self):
        self.run_import(GOOD)
        campaign = Campaign.objects.get(slug="ales")
        Pledge.objects.create(campaign=campaign, amount=Money("10", "EUR"))
        self.assertRefused(
            {**GOOD, "currency": "PLN"},
            "currency: The currency cannot change once pledges have been made.",
            '(got "PLN")',
        )

    def test_the_rule_for_money_over_the_goal_is_imported_in_each_language(self):
        data = {
            **GOOD,
            "over_goal_rule": {
                "en": "Anything over goes to rent.",
                "be": "Рэшта — на арэнду.",
            },
        }
        self.run_import(data)
        campaign = Campaign.objects.get(slug="ales")
        self.assertEqual(campaign.over_goal_rule_en, "Anything over goes to rent.")
        self.assertEqual(campaign.over_goal_rule_be, "Рэшта — на арэнду.")
        self.assertIsNone(campaign.over_goal_rule_pl)
        self.assertIn("over_goal_rule", json.loads(EXAMPLE.read_text()))

    def test_a_bad_over_goal_rule(self):
        self.assertRefused({**GOOD, "over_goal_rule": 5}, "over_goal_rule", "string")

    # The Activity record ------------------------------------------------------

    def test_an_import_records_activity_rows(self):
        self.run_import(GOOD)
        campaign = Campaign.objects.get(slug="ales")
        rows = {
            row.action: row.details
            for row in Activity.objects.filter(campaign=campaign)
        }
        self.assertEqual(
            set(rows),
            {
                Activity.Action.PUBLISHED,
                Activity.Action.BUDGET_EDITED,
                Activity.Action.EDITED,
            },
        )
        self.assertEqual(
            rows[Activity.Action.EDITED], {"created": True, "via": "import_campaign"}
        )
        self.assertEqual(
            rows[Activity.Action.BUDGET_EDITED]["added"],
            [
                {"label": "Coats", "target": "180.00"},
                {"label": "Boots", "target": "95.50"},
            ],
        )
        self.assertTrue(
            all(row.actor is None for row in Activity.objects.filter(campaign=campaign))
        )

    def test_an_update_records_what_changed(self):
        self.run_import(GOOD)
        Activity.objects.all().delete()
        changed = copy.deepcopy(GOOD)
        changed["iban"] = "PL27 1140 2004 0000 3002 0135 5387"
        changed["lines"][0]["target"] = "200"
        self.run_import(changed)
        rows = {row.action: row.details for row in Activity.objects.all()}
        self.assertEqual(
            rows,
            {
                Activity.Action.EDITED: {"fields": ["iban"], "via": "import_campaign"},
                Activity.Action.BUDGET_EDITED: {
                    "added": [],
                    "changed": [
                        {"label": "Coats", "target": "200.00", "fields": ["target"]}
                    ],
                    "removed": [],
                    "via": "import_campaign",
                },
            },
        )

    def test_the_same_file_again_records_the_import_and_no_change(self):
        self.run_import(GOOD)
        Activity.objects.all().delete()
        self.run_import(GOOD)
        self.assertEqual(
            [(row.action, row.details) for row in Activity.objects.all()],
            [(Activity.Action.EDITED, {"fields": [], "via": "import_campaign"})],
        )
