"""Pure rules of sales records: the credit split, credited amounts and the values of
a record. No ORM here.

Returns and corrections: a record may be negative. A sale in a closed period is
never changed; a return or a correction is a new record, dated in an open
period, with a negative amount (and a quantity, margin and collected amount of
the same sign or zero). That keeps every closed month's actuals as they were
reported, and the month of the correction shows it.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from org.domain import DomainError
from targets.domain import split_by_weights, to_decimal

HUNDRED = Decimal(100)
MONEY_PLACES = 2
QUANTITY_PLACES = 2
SHARE_PLACES = 2


class RecordValueError(DomainError):
    """A record's value is wrong; `field` names it (amount, quantity, gross_margin,
    collected_amount, collected_on)."""

    def __init__(self, field: str, message: str):
        self.field = field
        super().__init__(message)


def _places_ok(value: Decimal, places: int) -> bool:
    return value == value.quantize(Decimal(1).scaleb(-places))


def check_credit_split(shares: Sequence[tuple[Hashable, object]]) -> list[Decimal]:
    """`shares` is [(person, share %)]: not empty, every share a number above 0 with
    at most 2 decimals, nobody twice, and the shares add up to exactly 100.
    Returns the shares as Decimals, in order."""
    if not shares:
        raise DomainError(_("Credit the sale to at least one salesperson."))
    seen = set()
    values = []
    for person, raw in shares:
        if person in seen:
            raise DomainError(
                _("%(person)s is credited twice: give each person one share.") % {"person": person}
            )
        seen.add(person)
        value = to_decimal(raw, what=_("The share of %(person)s") % {"person": person})
        if value <= 0:
            raise DomainError(
                _("The share of %(person)s must be above 0 %%, not %(share)s %%.")
                % {"person": person, "share": value}
            )
        if not _places_ok(value, SHARE_PLACES):
            raise DomainError(
                _("The share of %(person)s has more than 2 decimals: %(share)s.")
                % {"person": person, "share": value}
            )
        values.append(value)
    total = sum(values, Decimal(0))
    if total != HUNDRED:
        raise DomainError(
            _("The credit shares add up to %(sum)s %%, not 100 %%.")
            % {"sum": f"{total.normalize():f}"}
        )
    return values


def credited_amounts(amount, shares: Sequence[Decimal], places: int = MONEY_PLACES) -> list:
    """`amount` split by the shares (percentages), rounded to `places` decimals so that
    the parts add up to `amount` exactly (largest remainder; a negative amount is
    split as its magnitude, every part negative)."""
    amount = Decimal(amount)
    if amount == 0:
        return [Decimal(0).quantize(Decimal(1).scaleb(-places))] * len(shares)
    parts = split_by_weights(abs(amount), list(shares), places)
    return [-p for p in parts] if amount < 0 else parts


def credited_amount(amount, share_pct) -> Decimal:
    """A lone share's part of `amount`, rounded half up to the cent. The parts of a
    whole record come from `credited_amounts`, which makes them add up exactly."""
    value = Decimal(amount) * Decimal(share_pct) / HUNDRED
    return value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def check_record_values(amount, quantity, gross_margin, collected_amount) -> tuple:
    """The money and quantity of a record: numbers with at most 2 decimals. A sale is
    positive; a return or correction negative (see the module docstring): the
    quantity, margin and collected amount cannot go the other way than the amount,
    and what was collected cannot exceed the amount. Returns the four Decimals;
    raises RecordValueError naming the field."""
    fields = [
        ("amount", _("Amount"), amount),
        ("quantity", _("Quantity"), quantity),
        ("gross_margin", _("Gross margin"), gross_margin),
        ("collected_amount", _("Collected amount"), collected_amount or 0),
    ]
    values = []
    for name, label, raw in fields:
        try:
            value = to_decimal(raw, what=label)
        except DomainError as exc:
            raise RecordValueError(name, str(exc)) from None
        if not _places_ok(value, 2):
            raise RecordValueError(
                name,
                _("%(what)s has more than 2 decimals: %(value)s.")
                % {"what": label, "value": value},
            )
        limit = Decimal("1e12") if name == "quantity" else Decimal("1e16")
        if abs(value) >= limit:
            raise RecordValueError(name, _("%(what)s is too large.") % {"what": label})
        values.append(value)
    amount, quantity, margin, collected = values
    sign = -1 if amount < 0 else 1
    if quantity * sign < 0:
        raise RecordValueError(
            "quantity",
            _("Quantity %(quantity)s goes the other way than the amount %(amount)s.")
            % {"quantity": quantity, "amount": amount},
        )
    if margin * sign > amount * sign:
        raise RecordValueError(
            "gross_margin",
            _("Gross margin %(margin)s cannot exceed the amount %(amount)s.")
            % {"margin": margin, "amount": amount},
        )
    if collected * sign < 0:
        raise RecordValueError(
            "collected_amount",
            _("Collected amount %(collected)s goes the other way than the amount %(amount)s.")
            % {"collected": collected, "amount": amount},
        )
    if collected * sign > amount * sign:
        raise RecordValueError(
            "collected_amount",
            _("Collected amount %(collected)s exceeds the amount %(amount)s.")
            % {"collected": collected, "amount": amount},
        )
    return amount, quantity, margin, collected


def check_collection(collected_amount: Decimal, collected_on) -> None:
    """A collected amount needs the day it was collected."""
    if collected_amount and collected_on is None:
        raise RecordValueError("collected_on", _("Give the date the amount was collected."))
