"""Writes for sales: records with their credit split (one at a time, or in bulk for
the ERP and imports), cancellation, customers, contacts and follow-ups.

Every write is atomic, checks its rules in `sales.domain`, records the acting
user in the history (django-simple-history) and raises DomainError with a
message naming the problem; nothing is written when it refuses.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import DomainError
from core.history import audit_as
from core.imports import check_rows
from org.models import Membership, Period, User
from sales import domain
from sales.models import Contact, Customer, FollowUp, MonthTotal, SalesCredit, SalesRecord


class _FieldProblem(DomainError):
    def __init__(self, field_name: str, message: str):
        super().__init__(message, field=field_name)


# --- lookups shared by the single and the bulk write (a fixed number of queries) ---------


@dataclass
class _Lookups:
    today: datetime.date
    periods: list[Period] = field(default_factory=list)
    memberships: dict[int, list[Membership]] = field(default_factory=dict)
    existing: dict[str, SalesRecord] = field(default_factory=dict)
    # The current credits of the records being changed, by record id.
    credits: dict[int, list[SalesCredit]] = field(default_factory=dict)
    # Each person's largest booked sale (the amount of a record credited to them), and
    # the largest of anyone's: what "far above their usual" is measured against.
    largest: dict[int, Decimal] = field(default_factory=dict)
    largest_anyone: Decimal | None = None


def _load(dates, user_ids, external_ids, *, lock=False, records=()) -> _Lookups:
    """What checking records needs, in a fixed number of queries: the records with these
    external ids (locked with `lock`), the current credits of those and of `records`,
    the month periods from the earliest to the latest of `dates` and of those records'
    own dates and collection dates, and the memberships of `user_ids`."""
    found = _Lookups(today=timezone.localdate())
    if external_ids:
        existing = SalesRecord.objects.filter(external_id__in=external_ids).select_related(
            "period__fiscal_year"
        )
        if lock:
            existing = existing.select_for_update(of=("self",))
        found.existing = {r.external_id: r for r in existing}
    known = {r.pk: r for r in [*records, *found.existing.values()] if r.pk is not None}
    if known:
        for c in SalesCredit.objects.filter(record_id__in=sorted(known)).order_by("pk"):
            found.credits.setdefault(c.record_id, []).append(c)
    dates = [
        d
        for d in [*dates, *(d for r in known.values() for d in (r.date, r.collected_on))]
        if isinstance(d, datetime.date)
    ]
    if dates:
        found.periods = list(
            Period.objects.filter(
                kind=Period.Kind.MONTH, start_date__lte=max(dates), end_date__gte=min(dates)
            ).select_related("fiscal_year")
        )
    if user_ids:
        booked = SalesCredit.objects.filter(booked=True)
        found.largest = dict(
            booked.filter(person_id__in=user_ids)
            .values("person_id")
            .annotate(largest=Max("record__amount"))
            .values_list("person_id", "largest")
        )
        found.largest_anyone = booked.aggregate(largest=Max("record__amount"))["largest"]
        for m in (
            Membership.objects.filter(user_id__in=user_ids, kind=Membership.Kind.MEMBER)
            .select_related("unit")
            .order_by("-start_date", "-id")
        ):
            found.memberships.setdefault(m.user_id, []).append(m)
    return found


def _month_period(day: datetime.date, periods: list[Period]) -> Period | None:
    return next((p for p in periods if p.start_date <= day <= p.end_date), None)


def _check_open(period: Period | None, day: datetime.date) -> Period:
    if period is None:
        raise _FieldProblem(
            "date",
            _("There is no fiscal period for %(date)s: the department creates the fiscal year.")
            % {"date": day.isoformat()},
        )
    if period.status != Period.Status.OPEN:
        raise _FieldProblem(
            "date",
            _("%(period)s is %(status)s: a correction goes into an open period.")
            % {"period": period.label, "status": period.get_status_display()},
        )
    return period


def _team_or_none(person: User, day: datetime.date, found: _Lookups):
    for m in found.memberships.get(person.pk, []):
        if m.is_active_on(day):
            return m.unit
    return None


def _shown(person: User, day: datetime.date, found: _Lookups) -> str:
    """A person as the pages show them: "name · team" (their team on `day`, else their
    latest), never by username."""
    team = _team_or_none(person, day, found)
    if team is None:
        latest = found.memberships.get(person.pk) or []
        team = latest[0].unit if latest else None
    return f"{person.display_name} · {team.display_name}" if team else person.display_name


def _team_on(person: User, day: datetime.date, found: _Lookups):
    team = _team_or_none(person, day, found)
    if team is not None:
        return team
    raise _FieldProblem(
        "credits",
        _("%(person)s is not a member of any team on %(date)s.")
        % {"person": person.display_name, "date": day.isoformat()},
    )


def _check_usual(amount: Decimal, credits_in, day, found: _Lookups, before=None) -> None:
    """An amount far above the usual (domain.needs_confirmation against each credited
    person's largest sale, or anyone's for a person with none yet) needs `confirm`. A
    record keeping the amount it had is not asked again."""
    if before is not None and amount <= before:
        return
    for person, _share in credits_in:
        largest = found.largest.get(person.pk) or found.largest_anyone
        if domain.needs_confirmation(amount, largest):
            raise _FieldProblem(
                "confirm",
                _(
                    "The amount %(amount)s is more than %(factor)s times the largest sale of "
                    "%(person)s (%(largest)s). If it is right, confirm it and save again."
                )
                % {
                    "amount": f"{amount:,.2f}",
                    "factor": domain.CONFIRM_FACTOR,
                    "person": _shown(person, day, found),
                    "largest": f"{Decimal(largest):,.2f}",
                },
            )


@dataclass
class _Prepared:
    record: SalesRecord
    is_new: bool
    credits: list[SalesCredit]
    old_credits: list[SalesCredit] = field(default_factory=list)


def _prepare(data: dict, found: _Lookups, acting_user) -> _Prepared:
    """Check one record's values against the lookups; raises _FieldProblem."""
    day = data["date"]
    if not isinstance(day, datetime.date):
        raise _FieldProblem("date", _("The date is missing or not a date."))
    try:
        amount, quantity, margin, collected = domain.check_record_values(
            data["amount"], data["quantity"], data["gross_margin"], data.get("collected_amount")
        )
    except domain.RecordValueError as exc:
        raise _FieldProblem(exc.field, str(exc)) from None
    collected_on = data.get("collected_on")
    try:
        domain.check_not_future(day, field="date", today=found.today)
        domain.check_collection(collected, collected_on, day)
        domain.check_not_future(collected_on, field="collected_on", today=found.today)
    except (domain.RecordValueError, domain.DateRuleError) as exc:
        raise _FieldProblem(exc.field, str(exc)) from None
    credits_in = data["credits"]
    try:
        shares = domain.check_credit_split(
            [(p.pk, s) for p, s in credits_in],
            labels={p.pk: _shown(p, day, found) for p, _s in credits_in},
        )
    except DomainError as exc:
        raise _FieldProblem("credits", str(exc)) from None
    external_id = (data.get("external_id") or "").strip() or None
    record = data.get("record") or (found.existing.get(external_id) if external_id else None)
    is_new = record is None
    if not data.get("confirm"):
        _check_usual(amount, credits_in, day, found, None if is_new else record.amount)
    if data.get("record") is not None and record.status == SalesRecord.Status.CANCELLED:
        raise _FieldProblem("status", _("This record is cancelled: it cannot be changed."))
    if not is_new and record.period.status != Period.Status.OPEN:
        raise _FieldProblem(
            "external_id",
            _(
                "Record %(id)s is in %(period)s, which is %(status)s: it cannot be changed; "
                "a correction goes into an open period."
            )
            % {
                "id": external_id or f"#{record.pk}",
                "period": record.period.label,
                "status": record.period.get_status_display(),
            },
        )
    period = _check_open(_month_period(day, found.periods), day)
    # The status given, else the record's own: a record pushed or imported again keeps
    # its cancellation unless the row says "booked" (never re-booked silently).
    status = data.get("status") or (SalesRecord.Status.BOOKED if is_new else record.status)
    if status not in SalesRecord.Status.values:
        raise _FieldProblem(
            "status",
            _("Unknown status: %(status)s (booked or cancelled).") % {"status": status},
        )
    teams = [_team_on(person, day, found) for person, _s in credits_in]
    before = (
        None if is_new else _Before(record.status, record.collected_amount, record.collected_on)
    )
    if is_new:
        record = SalesRecord(external_id=external_id, created_by=acting_user)
    record.date = day
    record.customer = data["customer"]
    record.product = data.get("product") or ""
    record.category = data.get("category") or ""
    record.amount, record.quantity, record.gross_margin = amount, quantity, margin
    record.collected_amount, record.collected_on = collected, collected_on
    record.status = status
    record.period = period
    parts = zip(
        domain.credited_amounts(amount, shares),
        domain.credited_amounts(margin, shares),
        domain.credited_amounts(quantity, shares, domain.QUANTITY_PLACES),
        domain.credited_amounts(collected, shares),
        strict=True,
    )
    credits = [
        SalesCredit(
            record=record,
            person=person,
            team=team,
            share_pct=share,
            amount=a,
            gross_margin=g,
            quantity=q,
            collected_amount=c,
            date=day,
            collected_on=collected_on,
            booked=status == SalesRecord.Status.BOOKED,
        )
        for (person, _s), team, share, (a, g, q, c) in zip(
            credits_in, teams, shares, parts, strict=True
        )
    ]
    old_credits = [] if is_new else found.credits.get(record.pk, [])
    _check_frozen_collection(before, record, old_credits, credits, found)
    return _Prepared(record, is_new, credits, old_credits)


# --- collections counted in a month that is not open -------------------------------------------


@dataclass(frozen=True)
class _Before:
    """What a record was before a change, as far as its collection goes."""

    status: str
    collected_amount: Decimal
    collected_on: datetime.date | None


def _frozen(day: datetime.date | None, periods: list[Period]) -> Period | None:
    """The month period of `day` when it is closing or closed (None when it is open, or
    when no fiscal year covers the day: nothing was reported for it)."""
    if day is None:
        return None
    period = _month_period(day, periods)
    return period if period is not None and period.status != Period.Status.OPEN else None


def _frozen_values(period: Period, day: datetime.date) -> dict:
    return {
        "date": day.isoformat(),
        "period": period.label,
        "status": period.get_status_display(),
    }


def _check_frozen_collection(
    before: _Before | None,
    record: SalesRecord,
    old_credits: list[SalesCredit],
    new_credits: list[SalesCredit],
    found: _Lookups,
) -> None:
    """A collection dated in a month that is not open is part of that month's reported
    actuals: its date is neither set there, nor moved out or removed, and what it
    counts (the collected amount, the credit split, the record being booked) does not
    change. The record's own month is open (checked before). Raises _FieldProblem
    naming the field and the period."""
    old_on = before.collected_on if before else None
    new_on = record.collected_on
    if old_on != new_on:
        period = _frozen(old_on, found.periods)
        if period is not None:
            raise _FieldProblem(
                "collected_on",
                _(
                    "This amount was collected on %(date)s, in %(period)s, which is "
                    "%(status)s: the collection date can no longer be changed or removed; "
                    "a correction goes into an open period."
                )
                % _frozen_values(period, old_on),
            )
        period = _frozen(new_on, found.periods)
        if period is not None:
            raise _FieldProblem(
                "collected_on",
                _(
                    "The collection date %(date)s is in %(period)s, which is %(status)s: "
                    "its collections can no longer change; a collection is dated in an open "
                    "period."
                )
                % _frozen_values(period, new_on),
            )
    for month in domain.months_changed(old_credits, new_credits):
        period = _frozen(month, found.periods)
        if period is None:
            continue
        # The sale's own month is open, so what changes here is the collection of
        # `new_on` (the same day as before: a moved date was refused above).
        values = _frozen_values(period, new_on or month)
        if before is not None and before.collected_amount != record.collected_amount:
            raise _FieldProblem(
                "collected_amount",
                _(
                    "This amount was collected on %(date)s, in %(period)s, which is "
                    "%(status)s: the collected amount can no longer change; a correction "
                    "goes into an open period."
                )
                % values,
            )
        if before is not None and before.status != record.status:
            raise _FieldProblem("status", _status_frozen_message(record.status) % values)
        raise _FieldProblem(
            "credits",
            _(
                "This sale's collection on %(date)s counts in %(period)s, which is "
                "%(status)s: who is credited with it, and in which team, can no longer "
                "change; a correction goes into an open period."
            )
            % values,
        )


def _status_frozen_message(new_status: str) -> str:
    if new_status == SalesRecord.Status.CANCELLED:
        return _(
            "This sale's collection on %(date)s counts in %(period)s, which is %(status)s: "
            "the sale can no longer be cancelled; book the return as a negative record in an "
            "open period."
        )
    return _(
        "This sale's collection on %(date)s counts in %(period)s, which is %(status)s: the "
        "cancelled sale can no longer be booked again; book it as a new record in an open "
        "period."
    )


# --- the monthly totals (sales.models.MonthTotal) ---------------------------------------------

_TOTALS_UPSERT = (
    "INSERT INTO {table} (person_id, team_id, month, amount, gross_margin, quantity,"
    " collected_amount) VALUES {rows}"
    " ON CONFLICT (person_id, team_id, month) DO UPDATE SET"
    " amount = {table}.amount + excluded.amount,"
    " gross_margin = {table}.gross_margin + excluded.gross_margin,"
    " quantity = {table}.quantity + excluded.quantity,"
    " collected_amount = {table}.collected_amount + excluded.collected_amount"
)


def _apply_totals(deltas: dict) -> None:
    """Add the deltas to the monthly totals by increments (INSERT … ON CONFLICT DO
    UPDATE SET x = x + excluded.x): two transactions crediting the same person and
    month add up instead of overwriting each other. Keys in a fixed order so
    concurrent writers lock rows in the same order."""
    if not deltas:
        return
    table = connection.ops.quote_name(MonthTotal._meta.db_table)
    keys = sorted(deltas)
    for start in range(0, len(keys), 500):
        batch = keys[start : start + 500]
        params: list = []
        for person_id, team_id, month in batch:
            params += [
                person_id,
                team_id,
                month,
                *(str(v) for v in deltas[(person_id, team_id, month)]),
            ]
        rows = ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(batch))
        with connection.cursor() as cursor:
            cursor.execute(_TOTALS_UPSERT.format(table=table, rows=rows), params)


def totals_rebuild() -> int:
    """Recompute every monthly total from the credits (the repair path of
    `manage.py sales_totals --rebuild`); returns the number of rows written."""
    from sales.records.selectors import month_totals_from_credits

    with transaction.atomic():
        MonthTotal.objects.all().delete()
        rows = [
            MonthTotal(
                person_id=person_id,
                team_id=team_id,
                month=month,
                amount=v[0],
                gross_margin=v[1],
                quantity=v[2],
                collected_amount=v[3],
            )
            for (person_id, team_id, month), v in month_totals_from_credits().items()
        ]
        MonthTotal.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _delete_credits(record_ids: list[int], acting_user, old: list[SalesCredit]) -> None:
    """Delete the credits of these records (`old`, read under the records' lock), with
    their "deleted" history rows, in a fixed number of queries (a plain delete writes
    one history row per credit)."""
    if not old:
        return
    _apply_totals(domain.total_deltas(old, -1))
    history = SalesCredit.history.model
    now = timezone.now()
    user_id = acting_user.pk if getattr(acting_user, "pk", None) else None
    history.objects.bulk_create(
        [
            history(
                **{f.attname: getattr(c, f.attname) for f in SalesCredit._meta.concrete_fields},
                history_date=now,
                history_type="-",
                history_user_id=user_id,
                history_change_reason="",
            )
            for c in old
        ],
        batch_size=500,
    )
    # No signals: the history rows above are the audit; nothing refers to a credit.
    SalesCredit.objects.filter(record_id__in=record_ids)._raw_delete(SalesCredit.objects.db)


def _replace_credits(prepared: list[_Prepared], acting_user) -> None:
    old = [p.record.pk for p in prepared if not p.is_new]
    if old:
        _delete_credits(
            old, acting_user, [c for p in prepared if not p.is_new for c in p.old_credits]
        )
    credits = []
    for p in prepared:
        for c in p.credits:
            c.record = p.record  # now with its primary key
            credits.append(c)
    bulk_create_with_history(credits, SalesCredit, default_user=acting_user, batch_size=500)
    _apply_totals(domain.total_deltas(credits, 1))


# --- records ------------------------------------------------------------------------------


@transaction.atomic
def record_save(
    *,
    record: SalesRecord | None = None,
    date: datetime.date,
    customer: Customer,
    amount,
    quantity,
    gross_margin,
    collected_amount=0,
    collected_on: datetime.date | None = None,
    product: str = "",
    category: str = "",
    credits: list[tuple[User, Decimal]],
    external_id: str | None = None,
    confirm: bool = False,
    acting_user=None,
) -> SalesRecord:
    """Create a sales record, or update `record` (a change in the browser) or else the one
    with the same external id. A cancelled record, or one in a period that is not open,
    is not changed. An amount far above a credited person's usual is refused (field
    `confirm`) unless `confirm` says it is right."""
    external_id = (external_id or "").strip() or None
    if record is not None:
        record = (
            SalesRecord.objects.select_for_update(of=("self",))
            .select_related("period__fiscal_year")
            .get(pk=record.pk)
        )
        external_id = record.external_id
    found = _load(
        [date, collected_on],
        [p.pk for p, _s in credits],
        [external_id] if external_id else [],
        lock=True,
        records=[record] if record is not None else [],
    )
    data = {
        "record": record,
        "date": date,
        "customer": customer,
        "amount": amount,
        "quantity": quantity,
        "gross_margin": gross_margin,
        "collected_amount": collected_amount,
        "collected_on": collected_on,
        "product": product,
        "category": category,
        "credits": credits,
        "external_id": external_id,
        "confirm": confirm,
    }
    prepared = _prepare(data, found, acting_user)
    audit_as(prepared.record, acting_user)
    prepared.record.save()
    _replace_credits([prepared], acting_user)
    return prepared.record


@transaction.atomic
def record_cancel(*, record: SalesRecord, acting_user=None) -> SalesRecord:
    """Cancel a booked record in an open period: it no longer counts in the actuals."""
    locked = (
        SalesRecord.objects.select_for_update(of=("self",))
        .select_related("period")
        .get(pk=record.pk)
    )
    if locked.status == SalesRecord.Status.CANCELLED:
        raise DomainError(_("This record is already cancelled."))
    if locked.period.status != Period.Status.OPEN:
        raise DomainError(
            _("%(period)s is %(status)s: a correction goes into an open period.")
            % {"period": locked.period.label, "status": locked.period.get_status_display()}
        )
    credits = list(locked.credits.all())
    months = domain.months_changed(credits, [])
    if months:
        periods = list(
            Period.objects.filter(
                kind=Period.Kind.MONTH, start_date__lte=max(months), end_date__gte=min(months)
            ).select_related("fiscal_year")
        )
        for month in months:
            period = _frozen(month, periods)
            if period is not None:  # the month of the collection: the sale's own is open
                raise _FieldProblem(
                    "status",
                    _status_frozen_message(SalesRecord.Status.CANCELLED)
                    % _frozen_values(period, locked.collected_on or month),
                )
    locked.status = SalesRecord.Status.CANCELLED
    audit_as(locked, acting_user)
    locked.save(update_fields=["status"])
    _apply_totals(domain.total_deltas(credits, -1))
    for c in credits:
        c.booked = False
    bulk_update_with_history(credits, SalesCredit, ["booked"], default_user=acting_user)
    return locked


def _parse_date(raw, field_name: str):
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise _FieldProblem(
            field_name, _("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw}
        ) from None


def _confirmed(value) -> bool:
    """A row's `confirm`: true, yes, 1 (any case) or True."""
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in {"true", "yes", "1", "y", "x"}


@transaction.atomic
def records_bulk_upsert(rows: list[dict], acting_user=None) -> dict:
    """Write many records at once (ERP push, import), idempotent by external id.

    A row: {"external_id", "date", "customer" (customer external id), "amount",
    "quantity", "gross_margin", "collected_amount", "collected_on", "product",
    "category", "credits": [{"person": username, "share_pct": ...}], and optionally
    "status" ("booked" or "cancelled"; without it a new record is booked and an
    existing one keeps its status) and "confirm" (true, yes or 1: an amount far above
    a credited person's usual is right)}.
    Every row is checked first; if any is bad, RowsRefused names each row and field
    and nothing is written. The queries do not grow with the number of rows (beyond
    batches of 500). Returns {"created": n, "updated": n}.
    """
    if not rows:
        return {"created": 0, "updated": 0}
    dicts = [r for r in rows if isinstance(r, dict)]
    customer_ids = {str(r.get("customer") or "").strip() for r in dicts} - {""}
    usernames = {
        str(c.get("person") or "").strip()
        for r in dicts
        if isinstance(r.get("credits"), list | tuple)
        for c in r["credits"]
        if isinstance(c, dict)
    } - {""}
    customers = {c.external_id: c for c in Customer.objects.filter(external_id__in=customer_ids)}
    people = {u.username: u for u in User.objects.filter(username__in=usernames)}

    def parse(row: dict) -> dict:
        if not isinstance(row.get("credits"), list | tuple) or not all(
            isinstance(c, dict) for c in row["credits"]
        ):
            raise _FieldProblem(
                "credits", _("Give the credits as a list of salespeople and shares.")
            )
        day = _parse_date(row.get("date"), "date")
        if day is None:
            raise _FieldProblem("date", _("The date is missing."))
        collected_on = _parse_date(row.get("collected_on"), "collected_on")
        key = str(row.get("customer") or "").strip()
        if key not in customers:
            raise _FieldProblem("customer", _("Unknown customer: %(id)s.") % {"id": key or "—"})
        credits = []
        for credit in row.get("credits") or []:
            name = str(credit.get("person") or "").strip()
            if name not in people:
                raise _FieldProblem(
                    "credits", _("Unknown salesperson: %(name)s.") % {"name": name or "—"}
                )
            credits.append((people[name], credit.get("share_pct")))
        return {
            "date": day,
            "customer": customers[key],
            "amount": row.get("amount"),
            "quantity": row.get("quantity", 0),
            "gross_margin": row.get("gross_margin", 0),
            "collected_amount": row.get("collected_amount") or 0,
            "collected_on": collected_on,
            "product": row.get("product") or "",
            "category": row.get("category") or "",
            "credits": credits,
            "external_id": str(row.get("external_id") or "").strip() or None,
            "status": str(row.get("status") or "").strip().lower() or None,
            "confirm": _confirmed(row.get("confirm")),
        }

    def load(valid: list[dict]) -> _Lookups:
        return _load(
            [d for v in valid for d in (v["date"], v["collected_on"])],
            {p.pk for d in valid for p, _s in d["credits"]},
            [d["external_id"] for d in valid if d["external_id"]],
            lock=True,
        )

    prepared: list[_Prepared] = check_rows(
        rows,
        parse=parse,
        load=load,
        prepare=lambda data, found: _prepare(data, found, acting_user),
        problem=_FieldProblem,
    )
    new = [p.record for p in prepared if p.is_new]
    changed = [p.record for p in prepared if not p.is_new]
    if new:
        created = bulk_create_with_history(
            new, SalesRecord, default_user=acting_user, batch_size=500
        )
        for p, obj in zip([p for p in prepared if p.is_new], created, strict=True):
            p.record = obj
    if changed:
        bulk_update_with_history(
            changed,
            SalesRecord,
            [
                "date",
                "customer",
                "product",
                "category",
                *SalesRecord.FIGURES,
                "status",
                "period",
            ],
            default_user=acting_user,
            batch_size=500,
        )
    _replace_credits(prepared, acting_user)
    return {"created": len(new), "updated": len(changed)}


# --- customers, contacts, follow-ups --------------------------------------------------------


def _customer_values(
    *,
    customer: Customer | None,
    name: str,
    owner: User,
    industry: str,
    region: str,
    status: str,
    became_customer_on: datetime.date | None,
    external_id: str | None,
    notes: str,
    lock: bool,
) -> dict:
    """The checked values of a customer (see customer_save); raises _FieldProblem
    naming the field."""
    name = (name or "").strip()
    if not name:
        raise _FieldProblem("name", _("The customer needs a name."))
    if status not in Customer.Status.values:
        raise _FieldProblem(
            "status", _("Unknown customer status: %(status)s.") % {"status": status}
        )
    if status == Customer.Status.PROSPECT and became_customer_on is not None:
        raise _FieldProblem(
            "became_customer_on",
            _("A prospect has not become a customer yet: leave the date empty."),
        )
    today = timezone.localdate()
    if status == Customer.Status.ACTIVE and became_customer_on is None:
        became_customer_on = today
    try:
        domain.check_not_future(became_customer_on, field="became_customer_on", today=today)
        domain.check_customer_since(became_customer_on)
    except domain.DateRuleError as exc:
        raise _FieldProblem(exc.field, str(exc)) from None
    before = None
    if customer is not None and customer.pk is not None:
        # The date as stored (the object given may already carry the new one).
        stored = Customer.objects.filter(pk=customer.pk)
        if lock:
            stored = stored.select_for_update()
        before = stored.values_list("became_customer_on", flat=True).first()
    if before != became_customer_on:
        _check_customer_months(before, became_customer_on)
    external_id = (external_id or "").strip() or None
    if external_id:
        clash = Customer.objects.filter(external_id=external_id)
        if customer is not None and customer.pk is not None:
            clash = clash.exclude(pk=customer.pk)
        if clash.exists():
            raise _FieldProblem(
                "external_id",
                _("Another customer already has the external id %(id)s.") % {"id": external_id},
            )
    return {
        "name": name,
        "owner": owner,
        "industry": (industry or "").strip(),
        "region": (region or "").strip(),
        "status": status,
        "became_customer_on": became_customer_on,
        "external_id": external_id,
        "notes": notes or "",
    }


def _check_customer_months(before: datetime.date | None, after: datetime.date | None) -> None:
    """A customer counts once among the new customers of the month of its date: while
    that month (the old date's or the new one's) is closing or closed, the date is
    neither set, changed nor cleared."""
    days = [d for d in (before, after) if d is not None]
    if not days:
        return
    periods = list(
        Period.objects.filter(
            kind=Period.Kind.MONTH, start_date__lte=max(days), end_date__gte=min(days)
        ).select_related("fiscal_year")
    )
    period = _frozen(before, periods)
    if period is not None:
        raise _FieldProblem(
            "became_customer_on",
            _(
                "This customer became one on %(date)s, in %(period)s, which is %(status)s: "
                "that month's count of new customers is final, so the date can no longer be "
                "changed or cleared."
            )
            % _frozen_values(period, before),
        )
    period = _frozen(after, periods)
    if period is not None:
        raise _FieldProblem(
            "became_customer_on",
            _(
                "The customer-since date %(date)s is in %(period)s, which is %(status)s: that "
                "month's count of new customers is final and can no longer change."
            )
            % _frozen_values(period, after),
        )


def customer_check(*, customer: Customer | None = None, **values) -> None:
    """The rules of customer_save (given its arguments but `acting_user`) without
    writing: the admin's form shows a refusal on the field it names before saving
    through customer_save."""
    _customer_values(customer=customer, lock=False, **values)


@transaction.atomic
def customer_save(
    *,
    customer: Customer | None = None,
    name: str,
    owner: User,
    industry: str = "",
    region: str = "",
    status: str = Customer.Status.PROSPECT,
    became_customer_on: datetime.date | None = None,
    external_id: str | None = None,
    notes: str = "",
    acting_user=None,
) -> Customer:
    """Create or change a customer. Becoming active without a date means today: the
    date counts the customer once in the "new customers" metric of its month, so it is
    not in the future, and it is neither set, changed nor cleared while the month of the
    old or the new date is closing or closed. A refusal names the field."""
    values = _customer_values(
        customer=customer,
        name=name,
        owner=owner,
        industry=industry,
        region=region,
        status=status,
        became_customer_on=became_customer_on,
        external_id=external_id,
        notes=notes,
        lock=True,
    )
    customer = customer or Customer()
    for attribute, value in values.items():
        setattr(customer, attribute, value)
    audit_as(customer, acting_user)
    customer.save()
    return customer


@transaction.atomic
def contact_save(
    *,
    customer: Customer,
    contact: Contact | None = None,
    name: str,
    title: str = "",
    phone: str = "",
    email: str = "",
    acting_user=None,
) -> Contact:
    name = (name or "").strip()
    if not name:
        raise DomainError(_("The contact needs a name."), field="name")
    email = (email or "").strip()
    if email and ("@" not in email or email.startswith("@") or email.endswith("@")):
        raise DomainError(_("%(email)s is not an email address.") % {"email": email}, field="email")
    contact = contact or Contact(customer=customer)
    if contact.customer_id != customer.pk:
        raise DomainError(_("This contact belongs to another customer."))
    contact.name, contact.title, contact.phone, contact.email = name, title.strip(), phone, email
    audit_as(contact, acting_user)
    contact.save()
    return contact


@transaction.atomic
def followup_save(
    *,
    followup: FollowUp | None = None,
    customer: Customer,
    salesperson: User,
    kind: str,
    happened_on: datetime.date,
    need: str = "",
    next_action: str = "",
    next_action_on: datetime.date | None = None,
    acting_user=None,
) -> FollowUp:
    if kind not in FollowUp.Kind.values:
        raise _FieldProblem("kind", _("Unknown kind of follow-up: %(kind)s.") % {"kind": kind})
    if happened_on is None:
        raise _FieldProblem("happened_on", _("Give the date of the follow-up."))
    today = timezone.localdate()
    # The dates as stored: one that is not changed is not judged again (a follow-up
    # logged a year ago can still be edited or its next action moved).
    stored = (None, None)
    if followup is not None and followup.pk is not None:
        stored = (
            FollowUp.objects.filter(pk=followup.pk)
            .values_list("happened_on", "next_action_on")
            .first()
        ) or stored
    try:
        domain.check_not_future(happened_on, field="happened_on", today=today)
        domain.check_followup_dates(
            happened_on=happened_on if happened_on != stored[0] else None,
            next_action_on=next_action_on if next_action_on != stored[1] else None,
            today=today,
        )
    except domain.DateRuleError as exc:
        raise _FieldProblem(exc.field, str(exc)) from None
    if next_action_on is not None and next_action_on < happened_on:
        raise _FieldProblem(
            "next_action_on",
            _("The next action date %(next)s is before the follow-up itself (%(date)s).")
            % {"next": next_action_on.isoformat(), "date": happened_on.isoformat()},
        )
    if next_action_on is not None and not (next_action or "").strip():
        raise _FieldProblem("next_action", _("Say what the next action is."))
    followup = followup or FollowUp()
    followup.customer, followup.salesperson, followup.kind = customer, salesperson, kind
    followup.happened_on, followup.need = happened_on, need
    followup.next_action, followup.next_action_on = (next_action or "").strip(), next_action_on
    audit_as(followup, acting_user)
    followup.save()
    return followup


@transaction.atomic
def followup_done(*, followup: FollowUp, acting_user=None) -> FollowUp:
    if followup.done:
        raise DomainError(_("This follow-up is already done."))
    followup.done = True
    audit_as(followup, acting_user)
    followup.save(update_fields=["done"])
    return followup
