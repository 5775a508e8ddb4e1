from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignsConfig(AppConfig):
    name = "campaigns"
    verbose_name = _("Campaigns")

    def ready(self) -> None:
        from campaigns.cache import connect_signals

        # Saving a campaign through the ORM (the admin) replaces its pages' pointers.
        connect_signals()
