"""The current page in every language: for the switcher and hreflang links."""

from __future__ import annotations

import functools

from babel import Locale
from babel.core import UnknownLocaleError
from django import template
from django.conf import settings
from django.urls import translate_url
from django.utils.html import format_html
from django.utils.translation import get_language, get_language_info, to_locale
from django.utils.translation import gettext_lazy as _

register = template.Library()


@register.simple_tag(takes_context=True)
def page_in_languages(context) -> list[dict]:
    """One entry per language: code, its own name, and this page's address in it
    (absolute in `absolute_url`). Pages outside the language prefixes (the
    admin) get an empty list. No query."""
    request = context.get("request")
    if request is None or request.resolver_match is None:
        return []
    current = get_language()
    path = request.path
    languages = []
    for code, _name in settings.LANGUAGES:
        url = translate_url(path, code)
        if url == path and code != current:
            return []  # not a translatable page
        name = get_language_info(code)["name_local"]
        languages.append(
            {
                "code": code,
                "name": name[:1].upper() + name[1:],
                "url": url,
                "absolute_url": settings.SITE_URL + url,
                "is_current": code == current,
                "is_default": code == settings.LANGUAGE_CODE,
            }
        )
    return languages


@register.simple_tag(takes_context=True)
def page_in_default_language(context) -> str:
    """This page's address outside the language prefixes (/desk/ for /pl/desk/),
    for the staff language switcher: Django's set_language view resolves its
    `next` in the default language, so only that address can be translated."""
    request = context.get("request")
    if request is None:
        return ""
    return translate_url(request.get_full_path(), settings.LANGUAGE_CODE)


@functools.cache
def _countries_by_english_name() -> dict[str, str]:
    return {
        name.casefold(): code
        for code, name in Locale.parse("en").territories.items()
        if code.isalpha()  # countries, not regions such as "150" (Europe)
    }


@register.filter
def country_name(country: str) -> str:
    """A country the organizer wrote in English ("Poland") in the page's
    language ("Polska", "Польшча"), from CLDR; anything else as written."""
    code = _countries_by_english_name().get((country or "").strip().casefold())
    if code is None:
        return country
    try:
        locale = Locale.parse(to_locale(get_language() or settings.LANGUAGE_CODE))
    except (ValueError, UnknownLocaleError):
        return country
    return locale.territories.get(code, country)


# One sentence per language rather than "shown in %(language)s": each language
# declines the name differently ("po rosyjsku", "на русском языке").
STORY_SHOWN_IN = {
    "en": _("This story is shown in English."),
    "pl": _("This story is shown in Polish."),
    "be": _("This story is shown in Belarusian."),
    "ru": _("This story is shown in Russian."),
    "uk": _("This story is shown in Ukrainian."),
}


@register.simple_tag
def lang_attribute(campaign, field: str = "story") -> str:
    """` lang="ru"` when `field` of `campaign` is shown in a language other than
    the page's (its translation is missing), so screen readers switch voice."""
    shown = campaign.shown_language(field)
    if not shown or shown == get_language():
        return ""
    return format_html(' lang="{}"', shown)


@register.simple_tag
def story_language_note(campaign) -> str:
    """ "This story is shown in Russian." when the story is not in the page's
    language (the campaign has no translation for it); otherwise ""."""
    shown = campaign.shown_language("story")
    if not shown or shown == get_language():
        return ""
    return STORY_SHOWN_IN.get(shown, "")
