"""The donor's language: the address first, then the browser's preference."""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers

PUBLIC_NAMESPACES = {"campaigns", "donations"}


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
        preferred = translation.get_language_from_request(request, check_path=False)
        if preferred == settings.LANGUAGE_CODE or self._came_from_this_site(request):
            return None
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
        )

    @staticmethod
    def _came_from_this_site(request: HttpRequest) -> bool:
        referer = request.headers.get("Referer", "")
        return bool(referer) and urlsplit(referer).netloc == request.get_host()
