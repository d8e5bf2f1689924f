"""Rules about plain text that every app shares."""

from decimal import Decimal

from django.utils.translation import pgettext, pgettext_lazy

_SLUG_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def is_slug(value: str) -> bool:
    """Letters, digits, hyphens and underscores only (what a unit code may hold)."""
    return bool(value) and all(ch in _SLUG_CHARS for ch in value)


def plain(value: Decimal) -> str:
    """A number as a rule states it: 60 rather than 60.00 or 6E+1; 4.5 stays 4.5."""
    text = format(Decimal(value).normalize(), "f")
    return "0" if text in ("-0", "") else text


def sentence(parts: list[str]) -> str:
    """Clauses joined and closed with the active language's punctuation ("; " and "."
    in English, full-width in Chinese), the first letter capitalised."""
    text = pgettext("between clauses of a sentence", "; ").join(parts)
    return text[0].upper() + text[1:] + pgettext("end of a sentence", ".")


# ISO currency codes as a reader says them (the Chinese reader: 元); another code is
# shown as it is.
CURRENCY_NAMES = {"CNY": pgettext_lazy("currency", "CNY")}


def currency_name(code: str) -> str:
    """A currency code in the active language ("CNY"; 元 in Chinese)."""
    name = CURRENCY_NAMES.get(code)
    return str(name) if name is not None else code
