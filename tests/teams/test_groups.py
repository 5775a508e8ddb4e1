import importlib

from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import TransactionTestCase

from campaigns.permissions import ROLE_PERMISSIONS

migration = importlib.import_module("campaigns.migrations.0002_create_team_groups")
added = importlib.import_module(
    "donations.migrations.0007_add_donor_emails_updates_spending"
)


class TeamGroupsTests(TransactionTestCase):
    def assertGroupsComplete(self):
        for name, models in ROLE_PERMISSIONS.items():
            group = Group.objects.get(name=name)
            have = set(
                group.permissions.values_list("content_type__app_label", "codename")
            )
            want = {
                (app_label, f"{verb}_{model}")
                for (app_label, model), verbs in models.items()
                for verb in verbs
            }
            self.assertEqual(have, want, name)

    def test_the_groups_survive_a_database_flush(self):
        self.assertGroupsComplete()
        call_command("flush", interactive=False, verbosity=0)
        self.assertGroupsComplete()

    def test_the_migrations_and_the_app_agree_on_each_roles_permissions(self):
        granted = {
            name: dict(models) for name, models in migration.ROLE_PERMISSIONS.items()
        }
        for name, models in added.ADDED_PERMISSIONS.items():
            granted[name].update(models)
        self.assertEqual(granted, ROLE_PERMISSIONS)
