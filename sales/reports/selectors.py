"""Reads for the sales reports (policy 2.2, "analyse sales data"): sales by unit, person,
product, category, customer and month, and the target variance report.

What a user sees (`report_scope`):
- the sales management department: every credit;
- a supervisor: the credits whose team lies in the units they lead and below;
- a salesperson: their own credits (a supervisor who also sells: both);
- HR and anybody else: nothing, and the reports answer 403.

The figures are always sums of the credited parts (`SalesCredit`: each person's share
of a record's amount, gross margin, quantity and collected amount; booked credits only),
so a record split between two people is never counted twice, and a cancelled record
not at all. The product, category and customer come from the record. Amount, margin,
quantity and the number of records count by the day of the sale; "collected" is what
was collected in the range, by the day it was collected (as the collections metric
counts it). A unit's row is the sum over the teams in its subtree.

The variance report compares each owner's published target for a metric and a period
(`targets.models.Target`) with the actual of `sales.records.selectors.actual_for`.

Every report runs a fixed number of queries, whatever the number of rows and records.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db.models import Case, Count, IntegerField, Q, Sum, Value, When
from django.db.models.functions import TruncMonth
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.errors import DomainError
from org.models import Membership, OrgUnit, Period, User
from org.permissions import is_department, is_salesperson, led_unit_paths, subtree_q
from sales import domain
from sales.models import SalesCredit
from sales.records.selectors import actual_for
from sales.reports.permissions import can_compare_units, report_scope
from targets.models import Metric, Target

ZERO = Decimal(0)
CENT = Decimal("0.01")
MAX_MONTHS = 120

UNIT = "unit"
PERSON = "person"
PRODUCT = "product"
CATEGORY = "category"
CUSTOMER = "customer"
MONTH = "month"

DIMENSIONS = [
    (UNIT, gettext_lazy("unit")),
    (PERSON, gettext_lazy("person")),
    (PRODUCT, gettext_lazy("product")),
    (CATEGORY, gettext_lazy("category")),
    (CUSTOMER, gettext_lazy("customer")),
    (MONTH, gettext_lazy("month")),
]
DIMENSION_TITLES = {
    UNIT: gettext_lazy("Sales by unit"),
    PERSON: gettext_lazy("Sales by person"),
    PRODUCT: gettext_lazy("Sales by product"),
    CATEGORY: gettext_lazy("Sales by category"),
    CUSTOMER: gettext_lazy("Sales by customer"),
    MONTH: gettext_lazy("Sales by month"),
}
OWNER_TYPES = [(UNIT, gettext_lazy("units")), (PERSON, gettext_lazy("people"))]

SALES_COLUMNS = ["label", "amount", "gross_margin", "quantity", "collected", "records"]
VARIANCE_COLUMNS = ["label", "target", "actual", "variance", "attainment"]


def sort_choices(columns: list[str]) -> list[tuple[str, str]]:
    """Every column ascending and (with a leading minus) descending."""
    return [(c, c) for c in columns] + [(f"-{c}", f"-{c}") for c in columns]


SALES_SORTS = sort_choices(SALES_COLUMNS)
VARIANCE_SORTS = sort_choices(VARIANCE_COLUMNS)


class ReportFilterError(DomainError):
    """A report's filter is wrong; `field` names it (period, start, end...)."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message, field=field_name)


def _require_scope(user) -> Q:
    scope = report_scope(user)
    if scope is None:
        raise PermissionDenied
    return scope


def _may_open(user, unit: OrgUnit) -> bool:
    """The unit can be a filter for this user (no query)."""
    return is_department(user) or any(unit.path.startswith(p) for p in led_unit_paths(user))


def _parent_path(path: str) -> str | None:
    parts = path.strip("/").split("/")
    return "/" + "/".join(parts[:-1]) + "/" if len(parts) > 1 else None


def _up(user, parent: OrgUnit | None) -> int | None:
    """The id of the unit one level up, when the user may open it."""
    if parent is None or parent.parent_id is None:
        return None
    above = _parent_path(parent.path)
    if is_department(user) or (above and any(above.startswith(p) for p in led_unit_paths(user))):
        return parent.parent_id
    return None


# --- the date range -------------------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    start: datetime.date
    end: datetime.date
    period: Period | None = None

    @property
    def label(self) -> str:
        if self.period is not None:
            return self.period.label
        return _("%(start)s to %(end)s") % {
            "start": formats.date_format(self.start, "SHORT_DATE_FORMAT"),
            "end": formats.date_format(self.end, "SHORT_DATE_FORMAT"),
        }


def current_year_period(today: datetime.date | None = None) -> Period | None:
    """The fiscal year (as a period) containing today, else the latest one before it,
    else the earliest one. One query."""
    day = today or timezone.localdate()
    years = list(
        Period.objects.filter(kind=Period.Kind.YEAR)
        .select_related("fiscal_year")
        .order_by("start_date")
    )
    for year in years:
        if year.start_date <= day <= year.end_date:
            return year
    before = [y for y in years if y.start_date <= day]
    if before:
        return before[-1]
    return years[0] if years else None


def default_metric() -> Metric | None:
    """The first active metric of the catalogue (else the first one). One query."""
    return Metric.objects.filter(is_active=True).first() or Metric.objects.first()


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _month_of(index: int) -> datetime.date:
    return datetime.date(index // 12, index % 12 + 1, 1)


def report_range(
    *,
    period: Period | None = None,
    start: datetime.date | None = None,
    end: datetime.date | None = None,
    today: datetime.date | None = None,
) -> DateRange:
    """A period, or a date range (both ends), or by default the current fiscal year
    (else the calendar year to date). Raises ReportFilterError naming the field."""
    if period is not None:
        if start is not None or end is not None:
            raise ReportFilterError(
                "period", _("Choose either a period or a date range, not both.")
            )
        return DateRange(period.start_date, period.end_date, period)
    if start is None and end is None:
        found = current_year_period(today)
        if found is not None:
            return DateRange(found.start_date, found.end_date, found)
        day = today or timezone.localdate()
        return DateRange(day.replace(month=1, day=1), day)
    if start is None:
        raise ReportFilterError("start", _("Give the start date of the range too."))
    if end is None:
        raise ReportFilterError("end", _("Give the end date of the range too."))
    if end < start:
        raise ReportFilterError("end", _("The end date is before the start date."))
    if _month_index(end) - _month_index(start) + 1 > MAX_MONTHS:
        raise ReportFilterError(
            "end", _("A report covers at most %(months)s months.") % {"months": MAX_MONTHS}
        )
    return DateRange(start, end)


# --- sales by a dimension ------------------------------------------------------------------


@dataclass
class SalesRow:
    label: str
    code: str = ""  # a unit's code, a person's username, a product's category
    id: int | None = None  # the unit, person or customer
    month: datetime.date | None = None
    amount: Decimal = ZERO
    gross_margin: Decimal = ZERO
    quantity: Decimal = ZERO
    collected: Decimal = ZERO
    records: int = 0
    drill: bool = False  # a unit with units below it, which the user may open


@dataclass
class SalesReport:
    by: str
    range: DateRange
    unit: OrgUnit | None  # the filter (for `by=unit`: the level whose units are the rows)
    up: int | None  # for `by=unit`: the unit one level up, if the user may open it
    rows: list[SalesRow]
    totals: SalesRow
    sort: str


_SALES_SUMS = {
    "amount": Sum("amount"),
    "gross_margin": Sum("gross_margin"),
    "quantity": Sum("quantity"),
    "records": Count("record_id", distinct=True),
}


def _top_units(user, credits) -> list[OrgUnit]:
    """Without a unit chosen: the department's roots; a supervisor's led units; a
    salesperson's teams (those of their credits in the range). Only the top-most."""
    units = OrgUnit.objects.annotate(below=Count("children"))
    if is_department(user):
        return list(units.filter(parent__isnull=True))
    paths = set(led_unit_paths(user))
    if is_salesperson(user):
        paths |= set(
            credits.filter(person_id=user.pk).values_list("team__path", flat=True).distinct()
        )
    top = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    return list(units.filter(path__in=top)) if top else []


def _unit_level(user, unit: OrgUnit | None, credits) -> tuple[OrgUnit | None, list[OrgUnit]]:
    """(the unit whose children are the rows, the children); without a unit, the top
    units, or the children of the only top unit."""
    if unit is None:
        tops = _top_units(user, credits)
        if len(tops) != 1:
            return None, tops
        unit = tops[0]
    children = list(OrgUnit.objects.filter(parent=unit).annotate(below=Count("children")))
    return unit, children


def _sorted(rows: list, sort: str, *, by_month: bool = False) -> list:
    column = sort.lstrip("-")
    descending = sort.startswith("-")

    def label_key(row):
        return row.month if by_month else (row.label.casefold(), row.code.casefold())

    rows = sorted(rows, key=label_key)
    if column == "label":
        return sorted(rows, key=label_key, reverse=descending)
    # Rows without a value (no target) go last, whichever the direction.
    present = [r for r in rows if getattr(r, column) is not None]
    missing = [r for r in rows if getattr(r, column) is None]
    return sorted(present, key=lambda r: getattr(r, column), reverse=descending) + missing


def default_sales_sort(by: str) -> str:
    return "label" if by == MONTH else "-amount"


def sales_report(
    *,
    user,
    by: str,
    date_range: DateRange,
    unit: OrgUnit | None = None,
    sort: str | None = None,
) -> SalesReport:
    """The sales of the range grouped by `by` (unit, person, product, category, customer,
    month), within what the user may see and, with `unit`, within its subtree. For
    `by=unit`, the rows are the units directly below `unit` (each summing its subtree)
    and, if any, the sales booked to `unit` itself."""
    if by not in dict(DIMENSIONS):
        raise ReportFilterError("by", _("Unknown report: %(by)s.") % {"by": by})
    scope = _require_scope(user)
    start, end = date_range.start, date_range.end
    credits = SalesCredit.objects.filter(scope, booked=True)
    if unit is not None:
        credits = credits.filter(team__path__startswith=unit.path)
    sold = credits.filter(date__gte=start, date__lte=end)
    collected = credits.filter(collected_on__gte=start, collected_on__lte=end)
    rows: dict = {}
    up = None

    if by == UNIT:
        active = credits.filter(
            Q(date__gte=start, date__lte=end) | Q(collected_on__gte=start, collected_on__lte=end)
        )
        parent, children = _unit_level(user, unit, active)
        whens = []
        if parent is not None:
            whens.append(When(team__path=parent.path, then=Value(parent.pk)))
            direct = _("%(unit)s (directly)") if children else "%(unit)s"
            rows[parent.pk] = SalesRow(
                label=direct % {"unit": parent.display_name}, code=parent.code, id=parent.pk
            )
        for child in children:
            whens.append(When(team__path__startswith=child.path, then=Value(child.pk)))
            rows[child.pk] = SalesRow(
                label=child.display_name,
                code=child.code,
                id=child.pk,
                drill=child.below > 0 and _may_open(user, child),
            )
        if not whens:
            return _finish(by, date_range, unit, None, [], sold.none(), sort)
        key = Case(*whens, default=Value(None), output_field=IntegerField())
        sold = sold.annotate(row=key).exclude(row=None)
        collected = collected.annotate(row=key).exclude(row=None)
        for r in sold.values("row").annotate(**_SALES_SUMS).order_by():
            _add(rows[r["row"]], r)
        for r in collected.values("row").annotate(collected=Sum("collected_amount")).order_by():
            rows[r["row"]].collected += r["collected"] or ZERO
        if parent is not None and children:
            own = rows[parent.pk]
            if not (own.amount or own.quantity or own.collected or own.records):
                del rows[parent.pk]
        up = _up(user, parent)
        return _finish(by, date_range, parent, up, list(rows.values()), sold, sort)

    if by == PERSON:
        names = ("person_id", "person__username", "person__first_name", "person__last_name")

        def make(r):
            person = User(
                username=r["person__username"],
                first_name=r["person__first_name"],
                last_name=r["person__last_name"],
            )
            return SalesRow(label=person.display_name, code=person.username, id=r["person_id"])

        key = "person_id"
    elif by == PRODUCT:
        names = ("record__product", "record__category")

        def make(r):
            return SalesRow(
                label=r["record__product"] or _("(no product)"), code=r["record__category"]
            )

        key = names
    elif by == CATEGORY:
        names = ("record__category",)

        def make(r):
            return SalesRow(label=r["record__category"] or _("(no category)"))

        key = names
    elif by == CUSTOMER:
        names = ("record__customer_id", "record__customer__name")

        def make(r):
            return SalesRow(label=r["record__customer__name"], id=r["record__customer_id"])

        key = "record__customer_id"
    else:  # MONTH: every month of the range, with or without sales
        first, last = _month_index(start), _month_index(end)
        for index in range(first, last + 1):
            month = _month_of(index)
            rows[month] = SalesRow(
                label=formats.date_format(month, "YEAR_MONTH_FORMAT"),
                code=month.strftime("%Y-%m"),
                month=month,
            )
        for r in sold.annotate(m=TruncMonth("date")).values("m").annotate(**_SALES_SUMS).order_by():
            _add(rows[_as_date(r["m"])], r)
        for r in (
            collected.annotate(m=TruncMonth("collected_on"))
            .values("m")
            .annotate(collected=Sum("collected_amount"))
            .order_by()
        ):
            rows[_as_date(r["m"])].collected += r["collected"] or ZERO
        return _finish(by, date_range, unit, None, list(rows.values()), sold, sort)

    def row_key(r):
        return tuple(r[k] for k in key) if isinstance(key, tuple) else r[key]

    for r in sold.values(*names).annotate(**_SALES_SUMS).order_by():
        row = rows.setdefault(row_key(r), make(r))
        _add(row, r)
    for r in collected.values(*names).annotate(collected=Sum("collected_amount")).order_by():
        row = rows.setdefault(row_key(r), make(r))
        row.collected += r["collected"] or ZERO
    return _finish(by, date_range, unit, None, list(rows.values()), sold, sort)


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _add(row: SalesRow, values: dict) -> None:
    row.amount += values["amount"] or ZERO
    row.gross_margin += values["gross_margin"] or ZERO
    row.quantity += values["quantity"] or ZERO
    row.records += values["records"] or 0


def _finish(by, date_range, unit, up, rows, sold, sort) -> SalesReport:
    sort = sort or default_sales_sort(by)
    totals = SalesRow(label=_("Total"))
    for row in rows:
        totals.amount += row.amount
        totals.gross_margin += row.gross_margin
        totals.quantity += row.quantity
        totals.collected += row.collected
    # A record split over two rows counts once in the total.
    if rows:
        totals.records = sold.aggregate(n=Count("record_id", distinct=True))["n"] or 0
    for row in [*rows, totals]:
        # Sums read back from the database may carry more digits than the fields.
        row.amount = row.amount.quantize(CENT)
        row.gross_margin = row.gross_margin.quantize(CENT)
        row.quantity = row.quantity.quantize(CENT)
        row.collected = row.collected.quantize(CENT)
    return SalesReport(
        by=by,
        range=date_range,
        unit=unit,
        up=up,
        rows=_sorted(rows, sort, by_month=by == MONTH),
        totals=totals,
        sort=sort,
    )


# --- target variance -------------------------------------------------------------------------


def variance_figures(
    target: Decimal | None, actual: Decimal, direction: str = Metric.Direction.HIGHER
) -> tuple[Decimal | None, Decimal | None]:
    """(variance, attainment %) of an actual against a target: actual - target, and the
    attainment of the dashboards (`sales.domain.attainment_pct`, to 0.1, half up).
    Without a target, neither; with a zero target, the variance only."""
    if target is None:
        return None, None
    return actual - target, domain.attainment_pct(actual, target, direction)


@dataclass
class VarianceRow:
    owner_type: str
    id: int | None
    label: str
    code: str = ""
    target: Decimal | None = None
    actual: Decimal = ZERO
    variance: Decimal | None = None
    attainment: Decimal | None = None
    drill: bool = False

    def compute(self, direction: str) -> None:
        self.variance, self.attainment = variance_figures(self.target, self.actual, direction)


@dataclass
class VarianceReport:
    metric: Metric
    period: Period
    owners: str
    unit: OrgUnit | None
    up: int | None
    rows: list[VarianceRow]
    totals: VarianceRow
    sort: str
    notes: list[str] = field(default_factory=list)


def variance_report(
    *,
    user,
    metric: Metric,
    period: Period,
    owners: str,
    unit: OrgUnit | None = None,
    sort: str | None = None,
) -> VarianceReport:
    """Published target, actual, variance and attainment of `metric` in `period` for
    units (the units directly below `unit`, each rolled up over its subtree) or people
    (those in `unit`'s subtree during the period, or with a target there). A
    salesperson sees their own row only; units need the department or a supervisor."""
    _require_scope(user)
    if unit is not None and not _may_open(user, unit):
        raise PermissionDenied
    sort = sort or "label"
    published = Target.objects.filter(metric=metric, period=period, status=Target.Status.PUBLISHED)
    rows: list[VarianceRow]
    up = None
    if owners == UNIT:
        if not can_compare_units(user):
            raise PermissionDenied
        parent, children = _unit_level_for_targets(user, unit)
        units = children or ([parent] if parent is not None else [])
        rows = [
            VarianceRow(
                UNIT,
                u.pk,
                u.display_name,
                u.code,
                drill=u.below > 0 and _may_open(user, u),
            )
            for u in units
        ]
        targets = {t.unit_id: t.value for t in published.filter(unit_id__in=[u.pk for u in units])}
        up = _up(user, parent)
        unit = parent
    elif owners == PERSON:
        people = _variance_people(user, unit, period, published)
        rows = [VarianceRow(PERSON, p.pk, p.display_name, p.username) for p in people]
        # A person's target is the sum of their parts; within a unit, the parts its
        # teams gave them (as on the team dashboard).
        parts = published.filter(person_id__in=[p.pk for p in people])
        if unit is not None:
            parts = parts.filter(team__path__startswith=unit.path)
        targets = {}
        for person_id, value in parts.values_list("person_id", "value"):
            targets[person_id] = targets.get(person_id, ZERO) + value
    else:
        raise ReportFilterError("owners", _("Choose units or people."))

    def owner_of(row) -> tuple:
        if owners == PERSON and unit is not None:
            return (PERSON, row.id, unit.pk)
        return (owners, row.id)

    actuals = actual_for(metric=metric, period=period, owners=[owner_of(row) for row in rows])
    places = Decimal(1).scaleb(-metric.decimal_places)
    for row in rows:
        row.target = targets.get(row.id)
        row.actual = actuals.get(owner_of(row), ZERO).quantize(places)
        row.compute(metric.direction)
    totals = VarianceRow(owners, None, _("Total"))
    with_target = [row.target for row in rows if row.target is not None]
    totals.target = sum(with_target, ZERO) if with_target else None
    totals.actual = sum((row.actual for row in rows), ZERO)
    totals.compute(metric.direction)
    notes = []
    if owners == PERSON and unit is not None:
        notes.append(
            _(
                "Within %(unit)s, a person's target is the part its teams gave them for the "
                "days they were members, and their actual what they sold while in those teams."
            )
            % {"unit": unit.display_name}
        )
    elif owners == PERSON:
        notes.append(
            _(
                "A person's target is the sum of the parts each team they were in gave them, "
                "and their actual counts all their sales in the period, in whichever team."
            )
        )
    return VarianceReport(
        metric=metric,
        period=period,
        owners=owners,
        unit=unit,
        up=up,
        rows=_sorted(rows, sort),
        totals=totals,
        sort=sort,
        notes=notes,
    )


def _unit_level_for_targets(user, unit: OrgUnit | None):
    """As `_unit_level`, for the units a user may compare: the department's roots, a
    supervisor's led units."""
    with_below = OrgUnit.objects.annotate(below=Count("children"))
    if unit is None:
        if is_department(user):
            tops = list(with_below.filter(parent__isnull=True))
        else:
            paths = led_unit_paths(user)
            top = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
            tops = list(with_below.filter(path__in=top))
        if len(tops) != 1:
            return None, tops
        unit = tops[0]
    else:
        unit = with_below.get(pk=unit.pk)
    return unit, list(with_below.filter(parent=unit))


def _variance_people(user, unit: OrgUnit | None, period: Period, published) -> list[User]:
    """People to compare: a salesperson themselves; otherwise the members of the units
    in scope (the unit's subtree, or what the user leads) during the period, and the
    people whose target belongs to a team there."""
    if not can_compare_units(user):
        return [user]
    if unit is not None:
        paths: tuple[str, ...] | None = (unit.path,)
    elif is_department(user):
        paths = None
    else:
        paths = led_unit_paths(user)
    members = Membership.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=period.start_date),
        kind=Membership.Kind.MEMBER,
        start_date__lte=period.end_date,
    )
    with_target = published.filter(person__isnull=False)
    if paths is not None:
        members = members.filter(subtree_q(paths, "unit__path"))
        with_target = with_target.filter(subtree_q(paths, "team__path"))
    condition = Q(pk__in=members.values("user_id")) | Q(pk__in=with_target.values("person_id"))
    if unit is None and not is_department(user) and is_salesperson(user):
        condition |= Q(pk=user.pk)
    return list(User.objects.filter(condition).order_by("username"))
