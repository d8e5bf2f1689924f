"""The zh-Hans catalogue is complete and its compiled .mo matches the .po."""

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
