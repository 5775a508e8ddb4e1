from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DonationsConfig(AppConfig):
    name = "donations"
    verbose_name = _("Donations")

    def ready(self):
        from campaigns import views as campaign_views
        from donations.views import page_money

        # The campaign page, public or previewed by its team, shows the money.
        if page_money not in campaign_views.PAGE_PARTS:
            campaign_views.PAGE_PARTS.append(page_money)
