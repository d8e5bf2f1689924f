"""Writes of progress reports and customer satisfaction.

Progress reports: the salesperson saves a draft or submits the report of the
current period (or of the previous one during its grace, `domain_feedback`); a
submitted report stays editable by its author until a supervisor (or the
department) comments on it, then it is locked. Submitting tells the supervisors;
a comment tells the author; a supervisor opening a submitted report marks it read.
`reports_flag_missing` tells each supervisor once per period whose report is
missing.

Satisfaction: one response at a time (department, supervisors) or many at once
(imports, the API's bulk endpoint), idempotent by external id; a response dated in
a closing or closed month is refused, as sales records are.

Every write is atomic, audited with the acting user (django-simple-history) and
raises DomainError with a message naming the problem; nothing is written then.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from core.errors import DomainError
from core.history import audit_as
from core.imports import check_rows
from core.permissions import require
from notifications.models import Notification
from notifications.services import notify
from org.models import Period, Role, RoleAssignment, User
from sales.feedback import domain, permissions, selectors
from sales.models import Customer, ProgressReport, SatisfactionResponse

TEXT_FIELDS = ("progress", "customer_feedback", "problems", "help_needed")


class FieldError(DomainError):
    """A rule about one value was broken; `field` names it."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message, field=field_name)


# --- progress reports -----------------------------------------------------------------------


def _locked_message() -> str:
    return _(
        "Your supervisor has commented on this report: it is locked and can no longer be changed."
    )


def _notify_submitted(report: ProgressReport) -> None:
    period = selectors.report_period(report)
    recipients = selectors.report_supervisor_ids(
        person=report.person, period=period, day=timezone.localdate()
    )
    if not recipients:
        return
    params = {"person": report.person.display_name, **selectors.period_label_both(period)}
    url = reverse("sales:progress-detail", args=[report.pk])
    transaction.on_commit(
        lambda: notify(
            recipient_ids=sorted(recipients),
            kind="progress_report_submitted",
            params=params,
            url=url,
        )
    )


@transaction.atomic
def report_save(
    *,
    person: User,
    period_start: datetime.date | None = None,
    progress: str,
    customer_feedback: str = "",
    problems: str = "",
    help_needed: str = "",
    submit: bool = False,
    acting_user,
    today: datetime.date | None = None,
) -> ProgressReport:
    """Write (or rewrite) the person's report for the period starting on `period_start`
    (default: the current period) and, with `submit`, submit it. A draft or a new
    report is written within its period or the grace after it; a submitted report is
    rewritten until it is commented on."""
    today = today or timezone.localdate()
    require(permissions.can_write_report_of(acting_user, person))
    frequency = selectors.report_frequency()
    if period_start is None:
        period = domain.period_containing(today, frequency)
    else:
        try:
            period = domain.period_starting(period_start, frequency)
        except DomainError as exc:
            raise FieldError("period_start", str(exc)) from None
    texts = {
        "progress": (progress or "").strip(),
        "customer_feedback": (customer_feedback or "").strip(),
        "problems": (problems or "").strip(),
        "help_needed": (help_needed or "").strip(),
    }
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .filter(person=person, frequency=frequency, period_start=period.start)
        .first()
    )
    if report is not None and report.commented_at is not None:
        raise DomainError(_locked_message())
    was_submitted = report is not None and report.submitted_at is not None
    if not was_submitted:
        try:
            domain.check_writable(period, today)
        except DomainError as exc:
            raise FieldError("period_start", str(exc)) from None
    if (submit or was_submitted) and not texts["progress"]:
        raise FieldError("progress", _("Describe your progress: a submitted report needs it."))
    if not any(texts.values()):
        raise FieldError("progress", _("Write something before saving the report."))
    if report is None:
        report = ProgressReport(
            person=person, frequency=frequency, period_start=period.start, period_end=period.end
        )
    changed = any(getattr(report, name) != value for name, value in texts.items())
    for name, value in texts.items():
        setattr(report, name, value)
    newly_submitted = submit and not was_submitted
    reason = ""
    if newly_submitted:
        report.submitted_at = timezone.now()
        reason = "submitted"
    elif was_submitted and changed:
        # Changed since the supervisor read it: unread again.
        report.read_at = None
        reason = "edited after submission"
    audit_as(report, acting_user, reason)
    report.save()
    if newly_submitted:
        _notify_submitted(report)
    return report


@transaction.atomic
def report_submit(
    *, report: ProgressReport, acting_user, today: datetime.date | None = None
) -> ProgressReport:
    """Submit a draft report (its author, within the period or its grace)."""
    today = today or timezone.localdate()
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=report.pk)
    )
    require(permissions.can_write_report_of(acting_user, report.person))
    if report.submitted_at is not None:
        raise DomainError(_("This report is already submitted."))
    domain.check_writable(selectors.report_period(report), today)
    if not report.progress.strip():
        raise FieldError("progress", _("Describe your progress: a submitted report needs it."))
    report.submitted_at = timezone.now()
    audit_as(report, acting_user, "submitted")
    report.save(update_fields=["submitted_at"])
    _notify_submitted(report)
    return report


@transaction.atomic
def report_comment(*, report: ProgressReport, comment: str, acting_user) -> ProgressReport:
    """The supervisor's (or the department's) comment on a submitted report: it locks
    the report and tells its author. A later comment replaces the earlier one (the
    history keeps both)."""
    report = (
        ProgressReport.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=report.pk)
    )
    comment = (comment or "").strip()
    if report.person_id == acting_user.pk:
        raise DomainError(_("Nobody comments on their own progress report."))
    if report.submitted_at is None:
        raise DomainError(_("Only a submitted report can be commented on."))
    if not comment:
        raise FieldError("comment", _("Write the comment."))
    now = timezone.now()
    report.supervisor_comment = comment
    report.commented_by = acting_user
    report.commented_at = now
    if report.read_at is None:
        report.read_at = now
    audit_as(report, acting_user, "commented")
    report.save(update_fields=["supervisor_comment", "commented_by", "commented_at", "read_at"])
    period = selectors.report_period(report)
    params = {
        "supervisor": acting_user.display_name,
        "comment": comment[:300],
        **selectors.period_label_both(period),
    }
    url = reverse("sales:progress-detail", args=[report.pk])
    transaction.on_commit(
        lambda: notify(
            recipient_ids=[report.person_id],
            kind="progress_report_commented",
            params=params,
            url=url,
        )
    )
    return report


@transaction.atomic
def report_mark_read(*, report: ProgressReport, acting_user) -> bool:
    """A supervisor opened a submitted report: mark it read (once). The caller decides
    that the user supervises the author. True if it was marked now."""
    if report.person_id == acting_user.pk or report.submitted_at is None:
        return False
    if report.read_at is not None:
        return False
    locked = (
        ProgressReport.objects.select_for_update(of=("self",))
        .filter(pk=report.pk, read_at__isnull=True)
        .first()
    )
    if locked is None:  # another request got there first
        return False
    locked.read_at = timezone.now()
    audit_as(locked, acting_user, "read")
    locked.save(update_fields=["read_at"])
    report.read_at = locked.read_at
    return True


@transaction.atomic
def reports_flag_missing(*, today: datetime.date | None = None) -> int:
    """Tell each supervisor, once per period, which of their people did not submit the
    report of the latest period whose grace has ended (the nearest supervisor above
    each person's team). Running it again changes nothing. Returns the number of
    notifications sent."""
    today = today or timezone.localdate()
    period = domain.period_to_flag(today, selectors.report_frequency())
    missing = selectors.missing_reports(period=period, today=today)
    if not missing:
        return 0
    chain = {a for m in missing for a in domain.ancestor_paths(m.team.path)}
    leads = selectors.supervisors_by_path(chain, today)
    people_of: dict[int, dict[int, User]] = {}
    for item in missing:
        for supervisor_id in domain.nearest_supervisors(
            item.team.path, leads, exclude=item.person.pk
        ):
            people_of.setdefault(supervisor_id, {})[item.person.pk] = item.person
    if not people_of:
        return 0
    # Lock the supervisors' rows: two runs at once wait for each other, and the second
    # sees the first one's notifications.
    list(
        User.objects.select_for_update(of=("self",))
        .filter(pk__in=sorted(people_of))
        .values_list("pk", flat=True)
    )
    already = set(
        Notification.objects.filter(
            recipient_id__in=list(people_of),
            kind="progress_reports_missing",
            params__frequency=period.frequency,
            params__period_start=period.start.isoformat(),
        ).values_list("recipient_id", flat=True)
    )
    labels = selectors.period_label_both(period)
    url = f"{reverse('sales:progress-team')}?end={period.start.isoformat()}&missing=1"
    rows = []
    for supervisor_id, people in sorted(people_of.items()):
        if supervisor_id in already:
            continue
        names = sorted(p.display_name for p in people.values())
        rows.append(
            Notification(
                recipient_id=supervisor_id,
                kind="progress_reports_missing",
                params={
                    **labels,
                    "people": ", ".join(names),
                    "count": len(names),
                    "frequency": period.frequency,
                    "period_start": period.start.isoformat(),
                },
                url=url,
            )
        )
    Notification.objects.bulk_create(rows)
    return len(rows)


# --- satisfaction -----------------------------------------------------------------------------


@dataclass
class _SatLookups:
    periods: list[Period]
    existing: dict[str, SatisfactionResponse]


def _sat_load(dates, external_ids) -> _SatLookups:
    dates = [d for d in dates if isinstance(d, datetime.date)]
    periods = []
    if dates:
        periods = list(
            Period.objects.filter(
                kind=Period.Kind.MONTH, start_date__lte=max(dates), end_date__gte=min(dates)
            ).select_related("fiscal_year")
        )
    existing = {}
    if external_ids:
        existing = {
            r.external_id: r
            for r in SatisfactionResponse.objects.select_for_update(of=("self",))
            .filter(external_id__in=sorted(external_ids))
            .select_related("period__fiscal_year")
        }
    return _SatLookups(periods, existing)


def _open_month(day: datetime.date, found: _SatLookups) -> Period:
    period = next((p for p in found.periods if p.start_date <= day <= p.end_date), None)
    if period is None:
        raise FieldError(
            "answered_on",
            _("There is no fiscal period for %(date)s: the department creates the fiscal year.")
            % {"date": day.isoformat()},
        )
    if period.status != Period.Status.OPEN:
        raise FieldError(
            "answered_on",
            _("%(period)s is %(status)s: responses dated in it can no longer be entered.")
            % {"period": period.label, "status": period.get_status_display()},
        )
    return period


def _sat_prepare(
    data: dict, found: _SatLookups, acting_user, today: datetime.date
) -> tuple[SatisfactionResponse, bool]:
    """Check one response's values; the response to save and whether it is new."""
    salesperson = data["salesperson"]
    sells = getattr(salesperson, "sells", None)
    if sells is None:
        sells = salesperson.has_role(Role.SALESPERSON)
    if not sells:
        raise FieldError(
            "salesperson",
            _("%(name)s is not a salesperson.") % {"name": salesperson.username},
        )
    try:
        score = domain.check_score(data["score"])
    except DomainError as exc:
        raise FieldError("score", str(exc)) from None
    day = data["answered_on"]
    if not isinstance(day, datetime.date):
        raise FieldError("answered_on", _("The date is missing or not a date."))
    try:
        domain.check_answered_on(day, today)
    except DomainError as exc:
        raise FieldError("answered_on", str(exc)) from None
    external_id = (data.get("external_id") or "").strip() or None
    response = found.existing.get(external_id) if external_id else None
    is_new = response is None
    if not is_new and response.period.status != Period.Status.OPEN:
        raise FieldError(
            "external_id",
            _("Response %(id)s is in %(period)s, which is %(status)s: it can no longer be changed.")
            % {
                "id": external_id,
                "period": response.period.label,
                "status": response.period.get_status_display(),
            },
        )
    period = _open_month(day, found)
    if is_new:
        response = SatisfactionResponse(external_id=external_id, entered_by=acting_user)
    response.customer = data["customer"]
    response.salesperson = salesperson
    response.answered_on = day
    response.period = period
    response.score = score
    response.comment = (data.get("comment") or "").strip()
    return response, is_new


@transaction.atomic
def satisfaction_save(
    *,
    customer: Customer,
    salesperson: User,
    answered_on: datetime.date,
    score,
    comment: str = "",
    external_id: str | None = None,
    acting_user,
    today: datetime.date | None = None,
) -> SatisfactionResponse:
    """Record one customer's answer about a salesperson (or update the response with
    the same external id). Nobody records a response about themselves."""
    today = today or timezone.localdate()
    if acting_user is not None and salesperson.pk == acting_user.pk:
        raise FieldError(
            "salesperson", _("Nobody enters a satisfaction response about themselves.")
        )
    external_id = (external_id or "").strip() or None
    found = _sat_load([answered_on], [external_id] if external_id else [])
    response, _is_new = _sat_prepare(
        {
            "customer": customer,
            "salesperson": salesperson,
            "answered_on": answered_on,
            "score": score,
            "comment": comment,
            "external_id": external_id,
        },
        found,
        acting_user,
        today,
    )
    if acting_user is not None:
        # Who may record it (the department, or a supervisor of the person's team that day).
        require(permissions.can_enter_satisfaction_for(acting_user, salesperson, answered_on))
    audit_as(response, acting_user)
    response.save()
    return response


def _parse_day(raw) -> datetime.date | None:
    if raw in (None, ""):
        return None
    if isinstance(raw, datetime.datetime):
        return raw.date()
    if isinstance(raw, datetime.date):
        return raw
    try:
        return datetime.date.fromisoformat(str(raw).strip())
    except ValueError:
        raise FieldError(
            "answered_on", _("%(value)s is not a date (YYYY-MM-DD).") % {"value": raw}
        ) from None


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _customers_for(keys: set[str]) -> tuple[dict[str, Customer], dict[str, list[Customer]]]:
    """(by external id, by lower-case name) for the keys a file gives. One query."""
    if not keys:
        return {}, {}
    lowered = {k.lower() for k in keys}
    by_id: dict[str, Customer] = {}
    by_name: dict[str, list[Customer]] = {}
    for c in Customer.objects.annotate(lname=Lower("name")).filter(
        Q(external_id__in=sorted(keys)) | Q(lname__in=sorted(lowered))
    ):
        if c.external_id in keys:
            by_id[c.external_id] = c
        if c.lname in lowered:
            by_name.setdefault(c.lname, []).append(c)
    return by_id, by_name


@transaction.atomic
def satisfaction_bulk_upsert(
    rows: list[dict], *, acting_user, today: datetime.date | None = None
) -> dict:
    """Write many responses at once (a file import, the API), idempotent by external id
    (the same id again updates that response; rows without one are always new).

    A row: {"customer" (the customer's external id, or its name), "salesperson"
    (username), "answered_on" (date or YYYY-MM-DD), "score" (1-5), "comment",
    "external_id"}. Every row is checked first; if any is wrong, RowsRefused names
    each row (1-based) and field and nothing is written. A fixed number of queries
    (beyond batches of 500). Returns {"created": n, "updated": n}."""
    today = today or timezone.localdate()
    if not rows:
        return {"created": 0, "updated": 0}
    dicts = [r for r in rows if isinstance(r, dict)]
    customer_keys = {_text(r.get("customer")) for r in dicts} - {""}
    usernames = {_text(r.get("salesperson")) for r in dicts} - {""}
    by_id, by_name = _customers_for(customer_keys)
    people = {
        u.username: u
        for u in User.objects.filter(username__in=sorted(usernames)).annotate(
            sells=Exists(
                RoleAssignment.objects.filter(user_id=OuterRef("pk"), role=Role.SALESPERSON)
            )
        )
    }

    def parse(row: dict) -> dict:
        key = _text(row.get("customer"))
        if not key:
            raise FieldError("customer", _("The customer is missing."))
        customer = by_id.get(key)
        if customer is None:
            named = by_name.get(key.lower(), [])
            if len(named) > 1:
                raise FieldError(
                    "customer",
                    _("Several customers are named %(name)s: give the external id.")
                    % {"name": key},
                )
            if not named:
                raise FieldError("customer", _("Unknown customer: %(name)s.") % {"name": key})
            customer = named[0]
        username = _text(row.get("salesperson"))
        if not username:
            raise FieldError("salesperson", _("The salesperson is missing."))
        if username not in people:
            raise FieldError(
                "salesperson", _("Unknown salesperson: %(name)s.") % {"name": username}
            )
        day = _parse_day(row.get("answered_on"))
        if day is None:
            raise FieldError("answered_on", _("The date is missing."))
        return {
            "customer": customer,
            "salesperson": people[username],
            "answered_on": day,
            "score": row.get("score"),
            "comment": _text(row.get("comment")),
            "external_id": _text(row.get("external_id")) or None,
        }

    def load(valid: list[dict]) -> _SatLookups:
        return _sat_load(
            [d["answered_on"] for d in valid],
            {d["external_id"] for d in valid if d["external_id"]},
        )

    prepared = check_rows(
        rows,
        parse=parse,
        load=load,
        prepare=lambda data, found: _sat_prepare(data, found, acting_user, today),
        problem=FieldError,
    )
    new = [response for response, is_new in prepared if is_new]
    changed = [response for response, is_new in prepared if not is_new]
    if new:
        bulk_create_with_history(
            new, SatisfactionResponse, default_user=acting_user, batch_size=500
        )
    if changed:
        bulk_update_with_history(
            changed,
            SatisfactionResponse,
            ["customer", "salesperson", "answered_on", "period", "score", "comment"],
            default_user=acting_user,
            batch_size=500,
        )
    return {"created": len(new), "updated": len(changed)}
