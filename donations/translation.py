"""The team's updates in several languages (django-modeltranslation): a column
per language for the title and the text, as campaigns have. Reading
`update.title` gives the reader's language, else English."""

from modeltranslation.translator import TranslationOptions, register

from donations.models import Update


@register(Update)
class UpdateTranslationOptions(TranslationOptions):
    fields = ("title", "body")
    required_languages = {"en": ("title",)}
