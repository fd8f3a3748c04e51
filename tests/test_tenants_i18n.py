"""The English catalog: every string in the .po is translated, and the committed .mo (what
Django loads) is compiled from that .po."""
import gettext
import re
from pathlib import Path

PO = Path(__file__).resolve().parent.parent / "untitle" / "locale" / "en" / "LC_MESSAGES" / "django.po"
ENTRY = re.compile(r'^(#, fuzzy\n(?:#.*\n)*)?msgid ((?:".*"\n)+)msgstr ((?:".*"(?:\n|$))+)', re.M)


def _unquote(chunk: str) -> str:
    text = "".join(re.findall(r'"(.*)"', chunk))
    escapes = {"n": "\n", "t": "\t", '"': '"', "\\": "\\"}
    return re.sub(r"\\(.)", lambda m: escapes.get(m.group(1), m.group(0)), text)


def _entries() -> dict[str, tuple[str, bool]]:
    src = re.sub(r"^#[:.,] .*\n|^#\n", lambda m: m.group(0) if m.group(0).startswith("#, fuzzy") else "",
                 PO.read_text(), flags=re.M)
    return {_unquote(m.group(2)): (_unquote(m.group(3)), bool(m.group(1)))
            for m in ENTRY.finditer(src) if _unquote(m.group(2))}


def test_every_string_has_an_english_translation():
    entries = _entries()
    assert len(entries) > 100
    untranslated = [k for k, (v, _fuzzy) in entries.items() if not v]
    fuzzy = [k for k, (_v, f) in entries.items() if f]
    assert untranslated == [] and fuzzy == []


def test_compiled_catalog_matches_the_po():
    with open(PO.with_suffix(".mo"), "rb") as fh:
        catalog = gettext.GNUTranslations(fh)
    stale = {k: v for k, (v, _f) in _entries().items() if catalog.gettext(k) != v}
    assert stale == {}, "run: msgfmt -o untitle/locale/en/LC_MESSAGES/django.mo untitle/locale/en/LC_MESSAGES/django.po"
