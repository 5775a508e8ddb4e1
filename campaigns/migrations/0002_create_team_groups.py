"""The two team groups and the model permissions each role carries.

Team membership (campaigns.TeamMember) decides which campaigns they reach; see
campaigns/permissions.py. Pledge permissions are listed here too, so one place
says what each role may touch: hence the dependency on donations' first
migration (a migration dependency, not an import).
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

VIEW, ADD, CHANGE, DELETE = "view", "add", "change", "delete"
ALL = (VIEW, ADD, CHANGE, DELETE)

ROLE_PERMISSIONS = {
    "Organizers": {
        ("campaigns", "campaign"): (VIEW, ADD, CHANGE),
        ("campaigns", "budgetline"): ALL,
        ("campaigns", "photo"): ALL,
        ("campaigns", "teammember"): ALL,
        ("campaigns", "activity"): (VIEW,),
        ("donations", "pledge"): (VIEW, ADD, CHANGE),
    },
    "Volunteers": {
        ("campaigns", "campaign"): (VIEW,),
        ("campaigns", "budgetline"): (VIEW,),
        ("campaigns", "photo"): (VIEW,),
        ("donations", "pledge"): (VIEW, ADD, CHANGE),
    },
}


def create_team_groups(apps, schema_editor):
    # Permissions are normally created after all migrations ran; a fresh
    # database needs them now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, models in ROLE_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        for (app_label, model), verbs in models.items():
            group.permissions.add(
                *Permission.objects.filter(
                    content_type__app_label=app_label,
                    codename__in=[f"{verb}_{model}" for verb in verbs],
                )
            )


def remove_team_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=list(ROLE_PERMISSIONS)
    ).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("campaigns", "0001_initial"),
        ("donations", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_team_groups, remove_team_groups)]
