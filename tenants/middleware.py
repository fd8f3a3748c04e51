"""Korean first: the UI language is Korean unless the user picked another one.

Django's LocaleMiddleware also follows the browser's Accept-Language, which would show English
to every Korean marketer whose browser happens to be set to English. Here only an explicit choice
(the language cookie written by /i18n/setlang/) switches the language.
"""
from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class KoreanFirstLocaleMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
