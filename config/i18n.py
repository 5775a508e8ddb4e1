"""The reader's language. Donors: the address first, then the browser's
preference. Staff: the language they chose, then their browser's."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers

PUBLIC_NAMESPACES = {"campaigns", "donations"}
# The team's pages at their unprefixed addresses: the admin (config/urls.py) and
# the desk (donations/urls.py, "desk/…"). The desk is under the language
# prefixes too (/pl/desk/), where the prefix decides.
STAFF_PATHS = ("/admin/", "/desk/")


def is_unprefixed_staff_page(request: HttpRequest) -> bool:
    return request.path_info.startswith(STAFF_PATHS)


class StaffLanguageMiddleware:
    """The admin and the desk in the staff member's language: the one they picked
    in the switcher at the top of every staff page (Django's set_language view
    keeps it in the language cookie), else their browser's (Accept-Language).

    LocaleMiddleware gives every address outside the language prefixes English
    (the public pages' default), the admin included. This runs once the URL is
    resolved (process_view): the desk's unprefixed addresses only resolve in the
    default language. Its links then carry the staff member's prefix
    (/pl/desk/…), which decides from there on.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        if is_unprefixed_staff_page(request):
            language = translation.get_language_from_request(request, check_path=False)
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return None


class PreferredLanguageMiddleware:
    """Send a donor who arrives on an English (unprefixed) public page, from outside
    the site, to the same page in the language their browser prefers.

    A link shared in a Belarusian messenger chat then opens in Belarusian. Moves
    within the site (a same-origin Referer, such as the switcher's "English" link)
    are left alone, so a reader who picks English keeps it. Runs after
    LocaleMiddleware, which has already honoured a language prefix in the path.
    """

    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if self._is_unprefixed_public_page(request):
            patch_vary_headers(response, ("Accept-Language",))
        return response

    def process_view(self, request: HttpRequest, view_func, view_args, view_kwargs):
        # Django has resolved the URL by now: no second resolve on the hot path.
        if not self._is_unprefixed_public_page(request):
            return None
        if not redirects_to_preferred_language(request):
            return None
        preferred = translation.get_language_from_request(request, check_path=False)
        url = translate_url(request.get_full_path(), preferred)
        if url == request.get_full_path():
            return None
        response = HttpResponseRedirect(url)
        patch_vary_headers(response, ("Accept-Language", "Referer"))
        return response

    @staticmethod
    def _is_unprefixed_public_page(request: HttpRequest) -> bool:
        match = getattr(request, "resolver_match", None)
        return (
            match is not None
            and match.namespace in PUBLIC_NAMESPACES
            and request.method in ("GET", "HEAD")
            and not translation.get_language_from_path(request.path_info)
            and not is_unprefixed_staff_page(request)
        )


def redirects_to_preferred_language(request: HttpRequest) -> bool:
    """Whether a reader on an unprefixed (English) public page is sent to the
    language their browser or cookie prefers: they prefer another language and
    did not come from a page of this site. (The page cache asks too, to leave
    those requests to PreferredLanguageMiddleware.)"""
    preferred = translation.get_language_from_request(request, check_path=False)
    if preferred == settings.LANGUAGE_CODE:
        return False
    referer = request.headers.get("Referer", "")
    return not (referer and urlsplit(referer).netloc == request.get_host())
