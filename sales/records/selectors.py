"""Reads of sales: the actuals per month for targets (TARGETS_ACTUALS_PROVIDER) and
per period.

Amount, margin and quantity are sums of the credited parts (each credit holds its
share, rounded so the parts add up to the record), by the month of the record's
date; collections the same by the month of the collection — read from the monthly
totals (`MonthTotal`), which sales.records.services keeps in step with the credits in the
same transaction as every write, so they are as live as the credits themselves
(`month_totals_from_credits` recomputes them from the credits, for the check); new customers a
count by the month the customer became one, credited to the owner (and to the
team the owner was a member of that day). Cancelled records do not count.
A unit's actual is the sum over the credits whose team lies in its subtree.
Whatever the number of owners and records: one query for the units' paths and
one aggregate (GROUP BY month in SQL) per kind of owner.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth

from core import history
from org.domain import ancestor_paths, outermost_paths
from org.models import Membership, OrgUnit, Period
from org.permissions import subtree_q
from sales.models import Contact, Customer, FollowUp, MonthTotal, SalesCredit, SalesRecord
from sales.records import permissions as sales_permissions
from sales.records.filters import CustomerFilter, FollowUpFilter, SalesRecordFilter
from targets.models import Metric

_SUMMED = {
    Metric.Source.AMOUNT: "amount",
    Metric.Source.MARGIN: "gross_margin",
    Metric.Source.QUANTITY: "quantity",
    Metric.Source.COLLECTIONS: "collected_amount",
}


def _month_index(day: datetime.date) -> int:
    return day.year * 12 + day.month - 1


def _months(start: datetime.date, end: datetime.date) -> int:
    return max(_month_index(end) - _month_index(start) + 1, 0)


def monthly_actuals(
    *, metric, start: datetime.date, end: datetime.date, owners: list[tuple[str, int]]
) -> dict[tuple[str, int], list[Decimal]]:
    """{owner: [actual per month from start's month to end's month]} for owners
    ("unit", id) and ("person", id), by the metric's source."""
    return monthly_actuals_many(metrics=[metric], start=start, end=end, owners=owners)[metric.pk]


def monthly_actuals_many(
    *,
    metrics,
    start: datetime.date,
    end: datetime.date,
    owners: list[tuple],
    unit_paths: dict[int, str] | None = None,
) -> dict[int, dict[tuple, list[Decimal]]]:
    """{metric id: {owner: [actual per month]}} for several metrics at once: every
    summed source in the same two queries (people, units), whatever the number of
    metrics, owners and records; new customers in two more when asked for.

    An owner is ("unit", id), ("person", id) or ("person", id, unit id): a person's
    actual within a unit, what they were credited while in a team of its subtree (the
    credit keeps the team). `unit_paths` ({unit id: path} of the units named) saves
    the query when the caller has them."""
    count = _months(start, end)
    result = {m.pk: {owner: [Decimal(0)] * count for owner in owners} for m in metrics}
    if not owners or count == 0 or not metrics:
        return result
    first = _month_index(start)
    person_ids = sorted({owner[1] for owner in owners if owner[0] == "person"})
    unit_ids = sorted({owner[1] for owner in owners if owner[0] == "unit"})
    within = [owner for owner in owners if owner[0] == "person" and len(owner) == 3]
    if unit_paths is None:
        named = set(unit_ids) | {owner[2] for owner in within}
        unit_paths = dict(OrgUnit.objects.filter(pk__in=named).values_list("pk", "path"))
    # The people asked for within a unit: person id -> [(owner, the unit's path)].
    within_of: dict[int, list[tuple[tuple, str]]] = defaultdict(list)
    for owner in within:
        within_of[owner[1]].append((owner, unit_paths[owner[2]]))
    whole = {owner[1] for owner in owners if owner[0] == "person" and len(owner) == 2}
    unit_paths_all = unit_paths
    unit_paths = {pk: unit_paths_all[pk] for pk in unit_ids}
    summed = [m for m in metrics if m.source in _SUMMED]

    def add(metric_id, owner, month: datetime.date, value) -> None:
        i = _month_index(month) - first
        if 0 <= i < count and value:
            result[metric_id][owner][i] += Decimal(value)

    def add_to_person(metric_id, person_id, team_path: str, month, value) -> None:
        if person_id in whole:
            add(metric_id, ("person", person_id), month, value)
        for owner, path in within_of.get(person_id, ()):
            if team_path.startswith(path):
                add(metric_id, owner, month, value)

    units_of: dict[str, list[int]] = {}  # team path -> the asked units above or at it
    unit_at: dict[str, list[int]] = defaultdict(list)  # path -> the asked units there
    for pk, up in unit_paths.items():
        unit_at[up].append(pk)
    # The subtrees to read: those of the asked units not inside another asked unit.
    outer = tuple(outermost_paths(unit_paths.values()))
    # ... and, for new customers, the memberships within the units people are asked in.
    outer_members = tuple(
        outermost_paths(
            [*unit_paths.values(), *(p for pairs in within_of.values() for _o, p in pairs)]
        )
    )

    def units_above(path: str) -> list[int]:
        if path not in units_of:
            units_of[path] = [pk for up in ancestor_paths(path) for pk in unit_at.get(up, ())]
        return units_of[path]

    def add_to_units(metric_id, path: str, month, value) -> None:
        for pk in units_above(path):
            add(metric_id, ("unit", pk), month, value)

    if summed:
        # One query for people and units alike: the totals of the people asked for and
        # of every team in the units' subtrees, by person, team and month.
        fields = sorted({_SUMMED[m.source] for m in summed})
        wanted = Q(person_id__in=person_ids) if person_ids else Q(pk__in=[])
        if outer:
            wanted |= subtree_q(outer, "team__path")
        asked = set(person_ids)
        by_team: dict[tuple[str, datetime.date], dict[str, Decimal]] = defaultdict(
            lambda: dict.fromkeys(fields, Decimal(0))
        )
        for row in (
            MonthTotal.objects.filter(wanted, month__gte=start.replace(day=1), month__lte=end)
            .values("person_id", "team__path", "month")
            .annotate(**{f: Sum(f) for f in fields})
            .order_by()
        ):
            if row["person_id"] in asked:
                for m in summed:
                    add_to_person(
                        m.pk,
                        row["person_id"],
                        row["team__path"],
                        row["month"],
                        row[_SUMMED[m.source]],
                    )
            if unit_paths:
                team = by_team[(row["team__path"], row["month"])]
                for f in fields:
                    team[f] += row[f]
        for (path, month), values in by_team.items():
            for m in summed:
                add_to_units(m.pk, path, month, values[_SUMMED[m.source]])
    counted = [m for m in metrics if m.source == Metric.Source.NEW_CUSTOMERS]
    if counted:
        # A customer counts for its owner, and for the units of the team the owner was
        # a member of that day (once per unit, even if in two of its teams that day).
        by_user = defaultdict(list)
        if outer_members:
            for user_id, path, s, e in Membership.objects.filter(
                subtree_q(outer_members, "unit__path"),
                kind=Membership.Kind.MEMBER,
                start_date__lte=end,
            ).values_list("user_id", "unit__path", "start_date", "end_date"):
                by_user[user_id].append((path, s, e))
        asked = set(person_ids)
        for owner_id, day in Customer.objects.filter(
            owner_id__in=sorted(asked | set(by_user)),
            became_customer_on__gte=start,
            became_customer_on__lte=end,
        ).values_list("owner_id", "became_customer_on"):
            month = day.replace(day=1)
            if owner_id in whole:
                for m in counted:
                    add(m.pk, ("person", owner_id), month, 1)
            # Within a unit: when they were a member of a team in it that day.
            for owner, upath in within_of.get(owner_id, ()):
                if any(
                    path.startswith(upath) and s <= day and (e is None or e >= day)
                    for path, s, e in by_user.get(owner_id, ())
                ):
                    for m in counted:
                        add(m.pk, owner, month, 1)
            units = set()
            for path, s, e in by_user.get(owner_id, ()):
                if s <= day and (e is None or e >= day):
                    units.update(units_above(path))
            for unit_pk in units:
                for m in counted:
                    add(m.pk, ("unit", unit_pk), month, 1)
    return result


def actual_for(*, metric, period: Period, owners: list[tuple[str, int]]) -> dict:
    """{owner: the actual over the whole period} (a month, quarter or year)."""
    found = monthly_actuals(
        metric=metric, start=period.start_date, end=period.end_date, owners=owners
    )
    return {owner: sum(values, Decimal(0)) for owner, values in found.items()}


def month_totals_from_credits() -> dict[tuple[int, int, datetime.date], list[Decimal]]:
    """The monthly totals computed from the booked credits themselves:
    {(person, team, month): [amount, gross margin, quantity, collected]} (zero rows
    left out). Two GROUP BY queries over all credits: for the check and the rebuild."""
    zero = Decimal(0)
    found: dict = defaultdict(lambda: [zero, zero, zero, zero])
    booked = SalesCredit.objects.filter(booked=True).order_by()
    for row in (
        booked.annotate(month=TruncMonth("date"))
        .values("person_id", "team_id", "month")
        .annotate(a=Sum("amount"), g=Sum("gross_margin"), q=Sum("quantity"))
    ):
        values = found[(row["person_id"], row["team_id"], row["month"])]
        values[0] += row["a"]
        values[1] += row["g"]
        values[2] += row["q"]
    for row in (
        booked.filter(collected_on__isnull=False)
        .annotate(month=TruncMonth("collected_on"))
        .values("person_id", "team_id", "month")
        .annotate(c=Sum("collected_amount"))
    ):
        found[(row["person_id"], row["team_id"], row["month"])][3] += row["c"]
    return {k: v for k, v in found.items() if any(v)}


def month_totals_stored() -> dict[tuple[int, int, datetime.date], list[Decimal]]:
    """The monthly totals as stored, zero rows left out (for the check)."""
    return {
        (t.person_id, t.team_id, t.month): values
        for t in MonthTotal.objects.order_by()
        if any(values := [t.amount, t.gross_margin, t.quantity, t.collected_amount])
    }


# --- the API's lists: what each joins, so a page costs a fixed number of queries -------


def customers_for_api(user):
    return sales_permissions.visible_customers(user).select_related("owner")


def contacts_for_api(user):
    return Contact.objects.filter(
        customer_id__in=sales_permissions.visible_customers(user).values("pk")
    ).select_related("customer")


def followups_for_api(user):
    return sales_permissions.visible_followups(user).select_related("customer", "salesperson")


def records_for_api(user):
    return with_record_parts(
        sales_permissions.visible_records(user).select_related("period__fiscal_year", "created_by")
    )


# --- the record pages ---------------------------------------------------------------


def with_record_parts(queryset: QuerySet[SalesRecord]) -> QuerySet[SalesRecord]:
    """Records with their customer and their credits (person, team), biggest share first:
    two queries for a page of any size."""
    credits = SalesCredit.objects.select_related("person", "team").order_by(
        "-share_pct", "person__username", "pk"
    )
    return queryset.select_related("customer").prefetch_related(
        Prefetch("credits", queryset=credits)
    )


def records_filtered(*, user, params) -> QuerySet[SalesRecord]:
    """The records `user` may see, narrowed by the records list's filters
    (`SalesRecordFilter`, the API's as well) given as query parameters."""
    return SalesRecordFilter(params, queryset=sales_permissions.visible_records(user)).qs


def customers_filtered(*, user, params) -> QuerySet[Customer]:
    """The customers `user` may see, narrowed by the customers list's filters
    (`CustomerFilter`, the API's as well) given as query parameters."""
    return CustomerFilter(params, queryset=sales_permissions.visible_customers(user)).qs


def followups_filtered(*, user, params) -> QuerySet[FollowUp]:
    """The follow-ups `user` may see, narrowed by the follow-ups list's filters
    (`FollowUpFilter`, the API's as well) given as query parameters."""
    return FollowUpFilter(params, queryset=sales_permissions.visible_followups(user)).qs


@dataclass
class Totals:
    count: int
    amount: Decimal
    gross_margin: Decimal
    quantity: Decimal
    collected_amount: Decimal
    credited: Decimal | None = None
    credited_to: str = ""


def record_totals(records: QuerySet[SalesRecord], *, person=None, unit=None, own=None) -> Totals:
    """Sums of the booked records among `records`, and the part credited to a person or
    a unit (with its subtree) when the list is filtered by one. Two queries."""
    sums = records.filter(status=SalesRecord.Status.BOOKED).aggregate(
        count=Count("pk"),
        amount=Sum("amount"),
        gross_margin=Sum("gross_margin"),
        quantity=Sum("quantity"),
        collected_amount=Sum("collected_amount"),
    )
    zero = Decimal(0)
    totals = Totals(
        count=sums["count"],
        amount=sums["amount"] or zero,
        gross_margin=sums["gross_margin"] or zero,
        quantity=sums["quantity"] or zero,
        collected_amount=sums["collected_amount"] or zero,
    )
    credits = SalesCredit.objects.filter(booked=True, record__in=records.values("pk"))
    if person is not None:
        credits, totals.credited_to = credits.filter(person=person), person.display_name
    elif unit is not None:
        credits = credits.filter(team__path__startswith=unit.path)
        totals.credited_to = unit.display_name
    elif own is not None:
        credits, totals.credited_to = credits.filter(person=own), own.display_name
    else:
        return totals
    totals.credited = credits.aggregate(total=Sum("amount"))["total"] or zero
    return totals


_SHOWN_FIELDS = (
    "date",
    "customer",
    "product",
    "category",
    *SalesRecord.FIGURES,
    "status",
    "external_id",
)


def _customer_name(customer: Customer) -> str:
    return customer.name


def record_history(record: SalesRecord) -> list[history.Version]:
    """The record's versions, newest first, with what changed in each. Two queries."""
    return history.versions(
        record.history.select_related("history_user").order_by("history_date", "history_id"),
        fields=history.tracked_fields(SalesRecord, only=_SHOWN_FIELDS),
        label=_customer_name,
    )


def credit_history(record: SalesRecord):
    return list(
        SalesCredit.history.filter(record_id=record.pk)
        .select_related("history_user", "person")
        .order_by("-history_date", "-history_id")
    )
