"""The zh-Hans catalogue is complete and its compiled .mo matches the .po."""

import re
from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"


def test_every_message_has_a_chinese_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_the_compiled_catalogue_matches_the_source():
    po = polib.pofile(str(LOCALE / "django.po"))
    mo = polib.mofile(str(LOCALE / "django.mo"))

    def key(e):
        return (e.msgctxt or "", e.msgid)

    compiled = {key(e): (e.msgstr, tuple(sorted(e.msgstr_plural.items()))) for e in mo}
    for entry in po.translated_entries():
        assert key(entry) in compiled, f"not compiled: {entry.msgid!r} (run make messages)"
        assert compiled[key(entry)] == (
            entry.msgstr,
            tuple(sorted(entry.msgstr_plural.items())),
        ), f"stale translation in django.mo: {entry.msgid!r} (run compilemessages)"


TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
# An attribute that people read (screen readers, tooltips, empty fields) written as a
# literal word in a template is never translated.
READ_ATTRIBUTE = re.compile(r'\b(aria-label|title|placeholder|alt)="([^"{]*[A-Za-z]{2,}[^"{]*)"')


def test_no_template_writes_an_attribute_people_read_in_english_only():
    literal = [
        f"{path.relative_to(TEMPLATES)}:{number}: {match.group(0)}"
        for path in sorted(TEMPLATES.rglob("*.html"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        for match in READ_ATTRIBUTE.finditer(line)
    ]
    assert not literal, "use {% translate %} in:\n" + "\n".join(literal)
