from django.apps import AppConfig, apps
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from campaigns.cache import connect_signals
        from campaigns.permissions import ensure_team_groups

        # After donations' post_migrate: by then auth has created its permissions.
        post_migrate.connect(
            ensure_team_groups,
            sender=apps.get_app_config("donations"),
            dispatch_uid="campaigns.ensure_team_groups",
        )

        # Saving a campaign through the ORM (the admin) replaces its pages' pointers.
        connect_signals()
