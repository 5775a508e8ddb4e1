"""Campaign content in several languages, with django-modeltranslation.

Each translated field gets a column per language (`title_en`, `title_pl`, …);
reading `campaign.title` gives the reader's language. When that column is empty,
modeltranslation would fall back to one order for the whole site; a campaign has
its own (`Campaign.fallback_languages`, e.g. "be,ru,pl"), so the descriptors
below follow `Campaign.language_order()` instead. A budget line follows its
campaign's order when the campaign is already loaded with it (prefetched lines,
select_related), and English otherwise, so reading a label never runs a query.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from modeltranslation.fields import TranslationFieldDescriptor
from modeltranslation.translator import TranslationOptions, register
from modeltranslation.utils import build_localized_fieldname, fallbacks_enabled

from campaigns.models import BudgetLine, Campaign


@register(Campaign)
class CampaignTranslationOptions(TranslationOptions):
    fields = ("title", "summary", "story", "payment_other", "over_goal_rule")
    # English is the one language every campaign is written in.
    required_languages = ("en",)


@register(BudgetLine)
class BudgetLineTranslationOptions(TranslationOptions):
    fields = ("label", "note")
    required_languages = {"en": ("label",)}


def _campaign_of(instance) -> Campaign | None:
    # modeltranslation's values() reads through stand-ins that are neither model.
    if isinstance(instance, Campaign):
        return instance
    if isinstance(instance, BudgetLine) and BudgetLine.campaign.is_cached(instance):
        return instance.campaign
    return None


class CampaignOrderDescriptor(TranslationFieldDescriptor):
    """modeltranslation's descriptor, following the campaign's language order."""

    def __get__(self, instance, owner):
        if instance is None:
            return self
        campaign = _campaign_of(instance)
        if campaign is not None and fallbacks_enabled():
            for language in campaign.language_order():
                name = build_localized_fieldname(self.field.name, language)
                value = getattr(instance, name, None)
                if value:
                    return value
        return super().__get__(instance, owner)


def _follow_campaign_order(model, fields: tuple[str, ...]) -> None:
    for name in fields:
        original = model.__dict__[name]
        setattr(
            model,
            name,
            CampaignOrderDescriptor(
                original.field,
                fallback_languages=original.fallback_languages,
                fallback_value=original.fallback_value,
                fallback_undefined=original.fallback_undefined,
            ),
        )


_follow_campaign_order(Campaign, CampaignTranslationOptions.fields)
_follow_campaign_order(BudgetLine, BudgetLineTranslationOptions.fields)


# The admin -------------------------------------------------------------------
# The admin's plain "title", "label"… fields are the English ones, in whatever
# language the staff member reads it (campaigns.forms.EnglishTextsMixin); these
# add the other languages.


def other_languages() -> list[tuple[str, str]]:
    return [
        (code, name)
        for code, name in settings.LANGUAGES
        if code != settings.MODELTRANSLATION_DEFAULT_LANGUAGE
    ]


def campaign_translation_fieldsets() -> tuple:
    """One collapsed fieldset per language, after the language fallback order."""
    fieldsets = [
        (
            _("Languages"),
            {
                "fields": ("fallback_languages",),
                "description": _(
                    "Title, summary, story and other ways to give can be written "
                    "in each language below; budget lines have a column per "
                    "language. Empty fields are shown in the fallback order."
                ),
            },
        )
    ]
    for code, name in other_languages():
        fieldsets.append(
            (
                name,
                {
                    "classes": ("collapse",),
                    "fields": tuple(
                        build_localized_fieldname(field, code)
                        for field in CampaignTranslationOptions.fields
                    ),
                },
            )
        )
    return tuple(fieldsets)


def budget_line_translation_fields() -> tuple[str, ...]:
    return tuple(
        build_localized_fieldname(field, code)
        for code, _name in other_languages()
        for field in BudgetLineTranslationOptions.fields
    )
