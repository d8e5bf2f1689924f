"""Reads of the catalogue: the tolerance band in force and its history."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings

from targets.models import ToleranceBand


def tolerance() -> tuple[Decimal, Decimal]:
    """The tolerance band in force, in % of the parent: the latest the department set
    (`ToleranceBand`), else the TARGET_TOLERANCE_* settings. One query."""
    latest = ToleranceBand.objects.values_list("min_pct", "max_pct").first()
    if latest is not None:
        return _plain(latest[0]), _plain(latest[1])
    return Decimal(settings.TARGET_TOLERANCE_MIN_PCT), Decimal(settings.TARGET_TOLERANCE_MAX_PCT)


def tolerance_history(limit: int = 20) -> list[ToleranceBand]:
    """The band's versions, newest first, with who set them."""
    return list(ToleranceBand.objects.select_related("created_by")[:limit])


def _plain(value: Decimal) -> Decimal:
    """100.00 as 100 and 97.50 as 97.5 (as the settings give them), for messages."""
    if value == value.to_integral_value():
        return value.quantize(Decimal(1))
    return value.normalize()
