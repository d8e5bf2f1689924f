"""Number formats of the attainment dashboards, as filters: a table of many cells
renders them without an include (or a full `number_format`) per number."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from django import template
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.translation import get_language

register = template.Library()

MISSING = format_html('<span class="text-body-secondary">{}</span>', "—")


def _group(digits: str, size: int, separator: str) -> str:
    if not separator or size <= 0 or len(digits) <= size:
        return digits
    head = len(digits) % size or size
    return separator.join(
        [digits[:head]] + [digits[i : i + size] for i in range(head, len(digits), size)]
    )


@lru_cache(maxsize=16)
def _formats(language: str | None) -> tuple[int, str, str]:
    """(grouping, thousand separator, decimal separator) of a language: looked up once
    per language, not once per cell (the format modules do not change at run time)."""
    grouping = get_format("NUMBER_GROUPING", language)
    return (
        grouping if isinstance(grouping, int) else 3,
        get_format("THOUSAND_SEPARATOR", language),
        get_format("DECIMAL_SEPARATOR", language),
    )


def _formatted(value, places: int) -> str:
    """`value` rounded half up to `places` decimals, grouped and separated by the
    reader's format (DECIMAL_SEPARATOR, THOUSAND_SEPARATOR, NUMBER_GROUPING)."""
    rounded = Decimal(value).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    text = f"{abs(rounded):f}"
    whole, _dot, fraction = text.partition(".")
    grouping, thousands, decimal = _formats(get_language())
    whole = _group(whole, grouping, thousands)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{whole}{decimal}{fraction}" if fraction else sign + whole


@register.filter
def metric_value(value, metric):
    """A value of `metric` in the reader's number format: whole numbers for counts, 2
    decimals otherwise, "%" for percentages; a muted dash when there is none."""
    if value is None or value == "":
        return MISSING
    text = _formatted(value, metric.decimal_places)
    return f"{text} %" if metric.unit == "percent" else text


@register.filter
def signed_value(value, metric):
    """As metric_value, with a "+" in front of a positive value."""
    if value is None or value == "":
        return MISSING
    text = metric_value(value, metric)
    return f"+{text}" if Decimal(value) > 0 else text


def pct_text(value, places: int | None = 1) -> str:
    """A percentage in the reader's format as plain text: to 0.1, "12.5 %", or with
    `places` None to the decimals it has, "90 %"."""
    if places is None:
        exponent = Decimal(value).normalize().as_tuple().exponent
        places = max(-exponent, 0) if isinstance(exponent, int) else 0
    return f"{_formatted(value, places)} %"


@register.filter
def pct(value):
    """A percentage to 0.1, "12.5 %"; a muted dash when there is none."""
    if value is None or value == "":
        return MISSING
    return f"{_formatted(value, 1)} %"
