"""Writes of appraisal cycles: opening a cycle, computing its figures, the
self-assessment, the supervisor's and the peers' ratings, calibration adjustments,
finalisation, release, acknowledgement, appeals and their resolution.

Each service is atomic, checks the workflow state and who acts (the person for
their own steps, `permissions_cycles.can_rate` for the supervisor's rating, the
department for calibration, finalisation, release and appeals), records the acting
user in the audit trail and raises `DomainError` with a message naming the field,
the dimension or the person. A wrong actor gets `PermissionDenied` (views and the
API have checked access before; this is the last line). `today` / `now` are
parameters so that tests and replays are dated.

Finalising writes AppraisalResult version 1 with the explained working
(`domain_cycles.explain`); from then on the appraisal's working rows and results
are fixed (models refuse, and the database triggers of migration 0003 too). An
appeal resolved with a change adds the next result version; nothing is overwritten.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from fractions import Fraction

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from appraisal.cycles import domain as domain_cycles
from appraisal.cycles import permissions as access
from appraisal.models import (
    Adjustment,
    Appraisal,
    AppraisalResult,
    AppraisalTemplate,
    Cycle,
    Dimension,
    DimensionScore,
    PeerRating,
    ResultExport,
)
from appraisal.template import domain
from core.errors import DomainError
from core.history import audit_as
from core.permissions import require
from notifications.models import Notification
from notifications.services import notify
from org.models import Membership, Period, Role, User
from org.permissions import active_on_q, is_department, subtree_q
from salesperf.celery import app as celery_app

Status = Appraisal.Status
Method = Dimension.Method
BEFORE_RATED = (Status.OPEN, Status.SELF_ASSESSED)
FIGURE_FIELDS = ["actual", "target", "raw_value", "count", "score", "computed_at"]
FOUR_PLACES = Decimal("0.0001")


# --- helpers ------------------------------------------------------------------------------


def _now(now: datetime.datetime | None) -> datetime.datetime:
    return now or timezone.now()


def _today(today: datetime.date | None) -> datetime.date:
    return today or timezone.localdate()


def _move(appraisal: Appraisal, status: str, acting_user, reason: str, **fields) -> None:
    """One step of an appraisal's workflow: `status` and the `fields` that record it,
    saved (those alone) with `reason` in its history."""
    appraisal.status = status
    for name, value in fields.items():
        setattr(appraisal, name, value)
    audit_as(appraisal, acting_user, reason)
    appraisal.save(update_fields=["status", *fields])


def _require_department(user) -> None:
    require(user is not None and is_department(user))


def _person_name(user) -> str:
    return user.display_name if user is not None else "?"


def _locked(appraisal: Appraisal | int) -> Appraisal:
    pk = appraisal.pk if isinstance(appraisal, Appraisal) else appraisal
    return (
        Appraisal.objects.select_for_update(of=("self",))
        .select_related("cycle__template", "cycle__period__fiscal_year", "person", "unit")
        .get(pk=pk)
    )


def _quantize(value, places: Decimal = FOUR_PLACES) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(places)


def _template_data(template: AppraisalTemplate) -> dict:
    return {
        "id": template.pk,
        "code": template.code,
        "version": template.version,
        "name": template.name,
        "name_zh": template.name_zh,
    }


def _period_data(period: Period) -> dict:
    return {
        "id": period.pk,
        "kind": period.kind,
        "start": period.start_date.isoformat(),
        "end": period.end_date.isoformat(),
    }


def _dimensions(template_id: int) -> list[Dimension]:
    return list(
        Dimension.objects.filter(template_id=template_id)
        .select_related("metric")
        .order_by("position", "id")
    )


def _url(name: str, *args) -> str:
    """The link of a notification (the person's appraisal page, else their appraisals)."""
    try:
        return reverse(f"appraisal:{name}", args=args)
    except NoReverseMatch:
        return reverse("appraisal:mine")


def _status_label(status: str) -> str:
    return str(Status(status).label)


def _parse_level(raw) -> int | None:
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except (TypeError, ValueError):
        return -1  # not on any scale: check_rating refuses it naming the dimension


# --- opening a cycle ----------------------------------------------------------------------


def _in_force(template: AppraisalTemplate, period: Period) -> AppraisalTemplate | None:
    """The published version of the template's code in force for `period`."""
    return (
        AppraisalTemplate.objects.filter(
            code=template.code,
            status=AppraisalTemplate.Status.PUBLISHED,
            period_kind=period.kind,
            applies_from__start_date__lte=period.start_date,
        )
        .order_by("-applies_from__start_date", "-version")
        .first()
    )


def population(*, units, period: Period, today: datetime.date) -> list[tuple[int, int]]:
    """(person id, team id) of the salespeople to appraise: active members of a unit
    under `units` on min(period end, today); a person in two teams: the first by path."""
    paths = [unit.path for unit in units]
    if not paths:
        return []
    day = min(period.end_date, today)
    chosen: dict[int, int] = {}
    for user_id, unit_id in (
        Membership.objects.filter(
            subtree_q(paths, "unit__path"),
            active_on_q(day),
            kind=Membership.Kind.MEMBER,
            user__is_active=True,
            user__role_assignments__role=Role.SALESPERSON,
        )
        .order_by("unit__path", "pk")
        .values_list("user_id", "unit_id")
    ):
        chosen.setdefault(user_id, unit_id)
    return list(chosen.items())


@transaction.atomic
def cycle_open(
    *,
    template: AppraisalTemplate,
    period: Period,
    units=None,
    acting_user,
    today: datetime.date | None = None,
) -> Cycle:
    """Open the appraisals of `period` with `template` for the salespeople of `units`
    (by default the template's population): one appraisal per person and one score
    row per dimension. The people are told; the figures are computed once committed."""
    _require_department(acting_user)
    today = _today(today)
    template = (
        AppraisalTemplate.objects.select_for_update(of=("self",))
        .select_related("applies_from__fiscal_year")
        .get(pk=template.pk)
    )
    period = Period.objects.select_related("fiscal_year").get(pk=period.pk)
    if template.status != AppraisalTemplate.Status.PUBLISHED:
        raise DomainError(
            _("Version %(version)s of %(name)s is a draft: publish it before opening a cycle.")
            % {"version": template.version, "name": template.display_name}
        )
    if period.kind != template.period_kind:
        raise DomainError(
            _("%(name)s appraises each %(kind)s: %(period)s is not one.")
            % {
                "name": template.display_name,
                "kind": Period.Kind(template.period_kind).label,
                "period": period.label,
            }
        )
    if template.applies_from.start_date > period.start_date:
        raise DomainError(
            _("Version %(version)s of %(name)s applies from %(first)s, after %(period)s.")
            % {
                "version": template.version,
                "name": template.display_name,
                "first": template.applies_from.label,
                "period": period.label,
            }
        )
    in_force = _in_force(template, period)
    if in_force is not None and in_force.pk != template.pk:
        raise DomainError(
            _("Version %(version)s of %(name)s is in force for %(period)s: use that version.")
            % {"version": in_force.version, "name": in_force.display_name, "period": period.label}
        )
    covered = list(template.units.all())
    units = list(units) if units is not None else covered
    if not units:
        raise DomainError(_("Choose the units whose salespeople are appraised."))
    covered_paths = [unit.path for unit in covered]
    for unit in units:
        if not any(unit.path.startswith(path) for path in covered_paths):
            raise DomainError(
                _("%(unit)s is outside the population of %(name)s.")
                % {"unit": unit.display_name, "name": template.display_name}
            )
    if Cycle.objects.filter(template=template, period=period).exists():
        raise DomainError(
            _("A cycle of %(name)s for %(period)s is already open.")
            % {"name": template.display_name, "period": period.label}
        )
    people = population(units=units, period=period, today=today)
    if not people:
        raise DomainError(
            _("Nobody to appraise: no salesperson is a member of a team in the population.")
        )
    dimensions = _dimensions(template.pk)
    if not dimensions:
        raise DomainError(_("The template has no dimensions."))
    first_status = Status.OPEN if any(d.rated_by_self for d in dimensions) else Status.SELF_ASSESSED

    cycle = Cycle(template=template, period=period, opened_by=acting_user)
    audit_as(cycle, acting_user, "opened")
    cycle.save()
    cycle.units.set(units)
    appraisals = bulk_create_with_history(
        [
            Appraisal(cycle=cycle, person_id=person_id, unit_id=unit_id, status=first_status)
            for person_id, unit_id in people
        ],
        Appraisal,
        default_user=acting_user,
        default_change_reason="cycle opened",
    )
    bulk_create_with_history(
        [
            DimensionScore(appraisal=appraisal, dimension=dimension)
            for appraisal in appraisals
            for dimension in dimensions
        ],
        DimensionScore,
        default_user=acting_user,
        default_change_reason="cycle opened",
    )

    recipients = [person_id for person_id, _unit in people]
    params = {
        "template": template.name,
        "template_zh": template.name_zh,
        "period": period.label,
    }
    url = reverse("appraisal:mine")
    cycle_id = cycle.pk

    def after_commit():
        notify(recipient_ids=recipients, kind="appraisal_cycle_opened", params=params, url=url)
        # By the task's name: the tasks module imports this one, never the reverse.
        celery_app.signature("appraisal.compute_cycle", args=(cycle_id,)).delay()

    transaction.on_commit(after_commit)
    return cycle


# --- figures ---------------------------------------------------------------------------------


def _compute_rows(
    *,
    cycle: Cycle,
    dimensions: dict[int, Dimension],
    rows: list[DimensionScore],
    person_of: dict[int, int],
    today: datetime.date,
    now: datetime.datetime,
) -> None:
    """Fill the figures and scores of `rows` (in memory): attainment and satisfaction
    from the sales data as of min(today, period end), rated dimensions from the
    supervisor's level, training: no data yet. A fixed number of queries."""
    from sales.attainment.selectors import live_attainment
    from sales.domain import exact_attainment
    from sales.feedback.selectors import satisfaction_average_for_period

    period = cycle.period
    day = min(today, period.end_date)
    people = sorted(set(person_of.values()))
    methods = {d.method for d in dimensions.values()}
    metrics = list(
        {
            d.metric_id: d.metric for d in dimensions.values() if d.method == Method.ATTAINMENT
        }.values()
    )
    attainment = (
        live_attainment(
            owners=[("person", pk) for pk in people], metrics=metrics, period=period, today=day
        )
        if metrics and people
        else {}
    )
    satisfaction = (
        satisfaction_average_for_period(person_ids=people, period=period)
        if Method.SATISFACTION in methods and people
        else {}
    )
    curves = {
        pk: domain.parse_curve(d.curve)
        for pk, d in dimensions.items()
        if d.method in domain.CURVE_METHODS and d.curve
    }
    scales = {
        pk: domain.parse_scale(d.scale)
        for pk, d in dimensions.items()
        if d.method == Method.RATED and d.scale
    }
    for row in rows:
        dimension = dimensions[row.dimension_id]
        person_id = person_of[row.appraisal_id]
        actual = target = value = count = score = None
        # The curve scores the exact value; the value is stored (and shown) with
        # domain.RAW_PLACES decimals (see the rounding rule in appraisal.template.domain).
        if dimension.method == Method.ATTAINMENT:
            found = attainment.get((("person", person_id), dimension.metric_id))
            if found is not None:
                actual, target = found.actual, found.target
                value = exact_attainment(actual, target, found.metric.direction)
        elif dimension.method == Method.SATISFACTION:
            found = satisfaction.get(person_id) or {}
            count = found.get("count")
            if count:
                value = Fraction(int(found["total"]), int(count))
        elif (
            dimension.method == Method.RATED
            and row.level is not None
            and row.dimension_id in scales
        ):
            try:
                score = domain.level_score(scales[row.dimension_id], row.level)
            except DomainError:
                score = None
        # TRAINING: no training data exists yet; value and score stay empty.
        if value is not None and row.dimension_id in curves:
            score = domain.curve_score(curves[row.dimension_id], value)
        row.actual = _quantize(actual)
        row.target = _quantize(target)
        row.raw_value = domain.raw_display(value)
        row.count = count
        row.score = score
        row.computed_at = now


def _compute(
    *,
    cycle: Cycle,
    appraisal_ids: list[int] | None,
    today: datetime.date,
    now: datetime.datetime,
) -> tuple[int, list[DimensionScore], dict[int, Dimension]]:
    """Recompute the figures of the cycle's appraisals that are not finalised (or of
    `appraisal_ids` among them) and store them in one bulk update."""
    dimensions = {d.pk: d for d in _dimensions(cycle.template_id)}
    rows_qs = DimensionScore.objects.filter(
        appraisal__cycle_id=cycle.pk, appraisal__finalised_at__isnull=True
    ).select_related("appraisal")
    if appraisal_ids is not None:
        rows_qs = rows_qs.filter(appraisal_id__in=appraisal_ids)
    rows = list(rows_qs.order_by("appraisal_id", "dimension__position", "dimension_id"))
    person_of = {row.appraisal_id: row.appraisal.person_id for row in rows}
    _compute_rows(
        cycle=cycle, dimensions=dimensions, rows=rows, person_of=person_of, today=today, now=now
    )
    if rows:
        DimensionScore.objects.bulk_update(rows, FIGURE_FIELDS)
    return len(person_of), rows, dimensions


@transaction.atomic
def cycle_compute(
    *, cycle_id: int, today: datetime.date | None = None, now: datetime.datetime | None = None
) -> int:
    """Compute (again) the figures and scores of the cycle's appraisals that are not
    finalised. Idempotent; a fixed number of queries whatever the cycle's size.
    Returns the number of appraisals computed."""
    today, now = _today(today), _now(now)
    cycle = (
        Cycle.objects.select_for_update(of=("self",))
        .select_related("template", "period__fiscal_year")
        .get(pk=cycle_id)
    )
    count, _rows, _dims = _compute(cycle=cycle, appraisal_ids=None, today=today, now=now)
    Cycle.objects.filter(pk=cycle.pk).update(computed_at=now)
    return count


# --- self-assessment and ratings ------------------------------------------------------------


def _rows_by_dimension(appraisal: Appraisal) -> dict[int, DimensionScore]:
    return {
        row.dimension_id: row
        for row in DimensionScore.objects.filter(appraisal=appraisal).select_related("dimension")
    }


def _entry(entries: dict, dimension_id: int) -> tuple[int | None, str]:
    raw = entries.get(dimension_id, entries.get(str(dimension_id)))
    if raw is None:
        return None, ""
    level, comment = raw
    return _parse_level(level), (comment or "").strip()


def _unknown_entries(entries: dict, allowed: set[int]) -> None:
    for key in entries:
        try:
            pk = int(key)
        except (TypeError, ValueError):
            pk = None
        if pk not in allowed:
            raise DomainError(_("Dimension %(id)s cannot be rated here.") % {"id": key})


def _checked_entries(rows: dict, entries: dict, *, submit: bool, missing: str, need_comment: bool):
    """(row, level, comment, score) for each of `rows` ({dimension id: row}) from
    `entries`, one after the other: a level is checked against the row's scale (its
    score; None without a level); no level is refused when `submit` (`missing`, with
    the dimension's `name`)."""
    _unknown_entries(entries, set(rows))
    for pk, row in rows.items():
        level, comment = _entry(entries, pk)
        score = None
        if level is None:
            if submit:
                raise DomainError(missing % {"name": row.dimension.display_name})
        else:
            score = domain_cycles.check_rating(
                row.dimension.scale,
                level,
                comment,
                name=row.dimension.display_name,
                need_comment=need_comment,
            )
        yield row, level, comment, score


@transaction.atomic
def self_assessment_save(
    *,
    appraisal: Appraisal,
    entries: dict,
    submit: bool,
    acting_user,
    now: datetime.datetime | None = None,
) -> Appraisal:
    """The person's self-assessment: {dimension id: (level or None, comment)} of the
    dimensions rated by the person; saved as a draft, or submitted (every such
    dimension rated), which hands the appraisal to the supervisor."""
    appraisal = _locked(appraisal)
    require(acting_user is not None and access.is_own(acting_user, appraisal))
    if appraisal.status != Status.OPEN:
        raise DomainError(
            _("The self-assessment is closed: the appraisal is %(status)s.")
            % {"status": _status_label(appraisal.status)}
        )
    rows = _rows_by_dimension(appraisal)
    own = {pk: row for pk, row in rows.items() if row.dimension.rated_by_self}
    missing = _("%(name)s: choose a level before sending the self-assessment.")
    for row, level, comment, _score in _checked_entries(
        own, entries, submit=submit, missing=missing, need_comment=False
    ):
        row.self_level = level
        row.self_comment = comment
        audit_as(row, acting_user, "self-assessment")
        row.save(update_fields=["self_level", "self_comment"])
    if submit:
        _move(
            appraisal,
            Status.SELF_ASSESSED,
            acting_user,
            "self-assessment sent",
            self_submitted_at=_now(now),
        )
    return appraisal


@transaction.atomic
def rating_save(
    *,
    appraisal: Appraisal,
    entries: dict,
    submit: bool,
    acting_user,
    now: datetime.datetime | None = None,
) -> Appraisal:
    """The supervisor's rating: {dimension id: (level or None, comment)} of the rated
    dimensions; a top or bottom level needs a comment. Submitted (every rated
    dimension rated), the appraisal is `rated` and the self-assessment closes."""
    appraisal = _locked(appraisal)
    if appraisal.status not in BEFORE_RATED:
        raise DomainError(
            _("%(person)s's appraisal is already %(status)s: the rating can no longer change.")
            % {"person": _person_name(appraisal.person), "status": _status_label(appraisal.status)}
        )
    require(acting_user is not None and access.can_rate(acting_user, appraisal))
    rows = _rows_by_dimension(appraisal)
    rated = {pk: row for pk, row in rows.items() if row.dimension.method == Method.RATED}
    missing = _("%(name)s: choose a level before submitting the rating.")
    for row, level, comment, score in _checked_entries(
        rated, entries, submit=submit, missing=missing, need_comment=submit
    ):
        row.score = score
        row.level = level
        row.comment = comment
        audit_as(row, acting_user, "rating")
        row.save(update_fields=["level", "comment", "score"])
    if submit:
        _move(
            appraisal,
            Status.RATED,
            acting_user,
            "rating submitted",
            rated_by=acting_user,
            rated_at=_now(now),
        )
    return appraisal


@transaction.atomic
def peer_rating_save(
    *, appraisal: Appraisal, entries: dict, acting_user, now=None
) -> list[PeerRating]:
    """A teammate's ratings of the peer-rated dimensions ({dimension id: (level or None,
    comment)}; None removes an earlier rating), until the supervisor submits."""
    appraisal = _locked(appraisal)
    require(acting_user is not None and not access.is_own(acting_user, appraisal))
    if appraisal.status not in BEFORE_RATED:
        raise DomainError(
            _("%(person)s's appraisal is already rated: peer ratings are closed.")
            % {"person": _person_name(appraisal.person)}
        )
    require(access.can_peer_rate(acting_user, appraisal))
    dimensions = {
        d.pk: d
        for d in Dimension.objects.filter(
            template_id=appraisal.cycle.template_id, method=Method.RATED, rated_by_peers=True
        )
    }
    _unknown_entries(entries, set(dimensions))
    existing = {
        r.dimension_id: r for r in PeerRating.objects.filter(appraisal=appraisal, rater=acting_user)
    }
    saved: list[PeerRating] = []
    for pk, dimension in dimensions.items():
        if pk not in entries and str(pk) not in entries:
            continue
        level, comment = _entry(entries, pk)
        rating = existing.get(pk)
        if level is None:
            if rating is not None:
                rating.delete()
            continue
        domain_cycles.check_rating(
            dimension.scale, level, comment, name=dimension.display_name, need_comment=False
        )
        rating = rating or PeerRating(appraisal=appraisal, dimension=dimension, rater=acting_user)
        rating.level = level
        rating.comment = comment
        rating.rated_at = now or timezone.now()
        rating.save()
        saved.append(rating)
    return saved


# --- calibration ------------------------------------------------------------------------------


def _clean_score(raw, *, name: str) -> Decimal:
    try:
        value = Decimal(str(raw))
    except (InvalidOperation, ValueError, TypeError):
        value = None
    if value is None or not value.is_finite():
        raise DomainError(_("%(name)s: the score is not a number.") % {"name": name})
    if value < 0:
        raise DomainError(_("%(name)s: the score cannot be negative.") % {"name": name})
    if value >= Decimal("100000"):
        raise DomainError(_("%(name)s: the score is too large.") % {"name": name})
    return domain.round_score(value)


@transaction.atomic
def score_adjust(
    *, appraisal: Appraisal, dimension_id: int, new_score, reason: str, acting_user, now=None
) -> Adjustment:
    """The department's calibration of one dimension's score, with its reason (kept)."""
    _require_department(acting_user)
    appraisal = _locked(appraisal)
    if appraisal.status != Status.RATED:
        raise DomainError(
            _(
                "%(person)s's appraisal is %(status)s: scores are calibrated once rated and "
                "before finalisation."
            )
            % {"person": _person_name(appraisal.person), "status": _status_label(appraisal.status)}
        )
    row = (
        DimensionScore.objects.filter(appraisal=appraisal, dimension_id=dimension_id)
        .select_related("dimension")
        .first()
    )
    if row is None:
        raise DomainError(
            _("Dimension %(id)s is not part of this appraisal.") % {"id": dimension_id}
        )
    name = row.dimension.display_name
    score = _clean_score(new_score, name=name)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("%(name)s: give the reason for the adjustment.") % {"name": name})
    adjustment = Adjustment.objects.create(
        appraisal=appraisal,
        dimension_id=dimension_id,
        old_score=row.final_score,
        new_score=score,
        reason=reason,
        adjusted_by=acting_user,
        adjusted_at=now or timezone.now(),
    )
    row.adjusted_score = score
    audit_as(row, acting_user, f"adjusted: {reason}")
    row.save(update_fields=["adjusted_score"])
    return adjustment


# --- finalisation ---------------------------------------------------------------------------


def _check_period_ended(cycle: Cycle, today: datetime.date) -> None:
    period = cycle.period
    if today <= period.end_date:
        raise DomainError(
            _("%(period)s ends on %(end)s: appraisals are finalised after it has ended.")
            % {"period": period.label, "end": period.end_date.isoformat()}
        )


def _peer_aggregates(appraisal_ids) -> dict[tuple[int, int], tuple[Decimal | None, int]]:
    minimum = int(getattr(settings, "APPRAISAL_PEER_MINIMUM", 2))
    found = {}
    for row in (
        PeerRating.objects.filter(appraisal_id__in=appraisal_ids)
        .values("appraisal_id", "dimension_id")
        .annotate(average=Avg("level"), n=Count("id"))
        .order_by()
    ):
        average = domain.round_score(Decimal(str(row["average"]))) if row["n"] >= minimum else None
        found[(row["appraisal_id"], row["dimension_id"])] = (average, row["n"])
    return found


def _adjustment_reasons(appraisal_ids) -> dict[tuple[int, int], str]:
    reasons: dict[tuple[int, int], str] = {}
    for appraisal_id, dimension_id, reason in (
        Adjustment.objects.filter(appraisal_id__in=appraisal_ids)
        .order_by("adjusted_at", "id")
        .values_list("appraisal_id", "dimension_id", "reason")
    ):
        reasons[(appraisal_id, dimension_id)] = reason  # the latest one wins
    return reasons


def _finalise_many(
    *,
    cycle: Cycle,
    appraisals: list[Appraisal],
    acting_user,
    today: datetime.date,
    now: datetime.datetime,
) -> tuple[list[AppraisalResult], list[str]]:
    """Recompute, explain and finalise the `rated` appraisals given (locked); returns
    the results written and the problems of those that could not be finalised."""
    problems: list[str] = []
    ready = []
    for appraisal in appraisals:
        if appraisal.status != Status.RATED:
            problems.append(
                _("%(person)s: not rated yet (%(status)s).")
                % {
                    "person": _person_name(appraisal.person),
                    "status": _status_label(appraisal.status),
                }
            )
        else:
            ready.append(appraisal)
    if not ready:
        return [], problems
    ids = [a.pk for a in ready]
    _count, rows, dimensions = _compute(cycle=cycle, appraisal_ids=ids, today=today, now=now)
    peers = _peer_aggregates(ids)
    reasons = _adjustment_reasons(ids)
    bands = domain.parse_bands(
        [
            {"grade": b.grade, "min_score": b.min_score, "label": b.label, "label_zh": b.label_zh}
            for b in cycle.template.grades.all()
        ]
    )
    order = {pk: i for i, pk in enumerate(dimensions)}
    rows_of: dict[int, list[DimensionScore]] = defaultdict(list)
    for row in rows:
        rows_of[row.appraisal_id].append(row)
    template_data = _template_data(cycle.template)
    period_data = _period_data(cycle.period)
    results: list[AppraisalResult] = []
    finalised: list[Appraisal] = []
    for appraisal in ready:
        lines = [
            domain_cycles.line_from(
                dimensions[row.dimension_id],
                row,
                peer_average=peers.get((appraisal.pk, row.dimension_id), (None, 0))[0],
                peer_count=peers.get((appraisal.pk, row.dimension_id), (None, 0))[1],
                adjustment_reason=reasons.get((appraisal.pk, row.dimension_id), ""),
            )
            for row in sorted(rows_of[appraisal.pk], key=lambda r: order[r.dimension_id])
        ]
        missing = domain_cycles.missing_scores(lines)
        if missing:
            problems.append(
                _(
                    "%(person)s: no score for %(dimensions)s; adjust it with a reason in "
                    "calibration before finalising."
                )
                % {"person": _person_name(appraisal.person), "dimensions": ", ".join(missing)}
            )
            continue
        working = domain_cycles.explain(lines, bands, template=template_data, period=period_data)
        results.append(
            AppraisalResult(
                appraisal=appraisal,
                version=1,
                score=Decimal(working["total"]),
                grade=working["grade"],
                working=working,
                created_by=acting_user,
                created_at=now,
            )
        )
        appraisal.status = Status.FINALISED
        appraisal.finalised_at = now
        appraisal.finalised_by = acting_user
        finalised.append(appraisal)
    if results:
        # The appraisals first: version 1 is written only while its appraisal is
        # finalised (AppraisalResult.check_new, and the trigger of migration 0004).
        bulk_update_with_history(
            finalised,
            Appraisal,
            ["status", "finalised_at", "finalised_by"],
            default_user=acting_user,
            default_change_reason="finalised",
            default_date=now,
        )
        AppraisalResult.objects.bulk_create(results)
    return results, problems


@transaction.atomic
def appraisal_finalise(
    *,
    appraisal: Appraisal,
    acting_user,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> AppraisalResult:
    """Finalise one rated appraisal once its period has ended: figures recomputed,
    every dimension scored, AppraisalResult version 1 written with the working."""
    _require_department(acting_user)
    today, now = _today(today), _now(now)
    appraisal = _locked(appraisal)
    _check_period_ended(appraisal.cycle, today)
    results, problems = _finalise_many(
        cycle=appraisal.cycle, appraisals=[appraisal], acting_user=acting_user, today=today, now=now
    )
    if problems:
        raise DomainError(problems[0])
    return results[0]


@transaction.atomic
def cycle_finalise(
    *,
    cycle: Cycle,
    acting_user,
    today: datetime.date | None = None,
    now: datetime.datetime | None = None,
) -> tuple[int, list[str]]:
    """Finalise every rated appraisal of the cycle that is ready; returns how many and
    the problems of the others (not rated yet, dimensions without a score)."""
    _require_department(acting_user)
    today, now = _today(today), _now(now)
    cycle = (
        Cycle.objects.select_for_update(of=("self",))
        .select_related("template", "period__fiscal_year")
        .get(pk=cycle.pk)
    )
    _check_period_ended(cycle, today)
    appraisals = list(
        Appraisal.objects.select_for_update(of=("self",))
        .filter(cycle=cycle, finalised_at__isnull=True)
        .select_related("person")
        .order_by("person__username")
    )
    results, problems = _finalise_many(
        cycle=cycle, appraisals=appraisals, acting_user=acting_user, today=today, now=now
    )
    return len(results), problems


# --- release, acknowledgement, appeals -------------------------------------------------------


def _appeal_days() -> int:
    return int(getattr(settings, "APPRAISAL_APPEAL_DAYS", 10))


@transaction.atomic
def cycle_release(*, cycle: Cycle, acting_user, now: datetime.datetime | None = None) -> int:
    """Release the cycle's finalised appraisals to the people appraised (the appeal
    window starts); each person is told. Returns how many were released."""
    _require_department(acting_user)
    now = _now(now)
    cycle = (
        Cycle.objects.select_for_update(of=("self",))
        .select_related("template", "period__fiscal_year")
        .get(pk=cycle.pk)
    )
    appraisals = list(
        Appraisal.objects.select_for_update(of=("self",)).filter(
            cycle=cycle, status=Status.FINALISED
        )
    )
    if not appraisals:
        raise DomainError(_("No finalised appraisal is waiting to be released."))
    grades = dict(
        AppraisalResult.objects.filter(appraisal__in=appraisals)
        .order_by("appraisal_id", "version")
        .values_list("appraisal_id", "grade")
    )  # the latest version wins
    for appraisal in appraisals:
        appraisal.status = Status.RELEASED
        appraisal.released_at = now
    bulk_update_with_history(
        appraisals,
        Appraisal,
        ["status", "released_at"],
        default_user=acting_user,
        default_change_reason="released",
        default_date=now,
    )
    if cycle.released_at is None:
        cycle.released_at = now
        audit_as(cycle, acting_user, "released")
        cycle.save(update_fields=["released_at"])
    deadline = domain_cycles.appeal_deadline(now, _appeal_days())
    deadline_text = timezone.localtime(deadline).date().isoformat()
    period = cycle.period
    notices = [
        Notification(
            recipient_id=appraisal.person_id,
            kind="appraisal_released",
            params={
                "period": period.label,
                "grade": grades.get(appraisal.pk, ""),
                "deadline": deadline_text,
            },
            url=_url("appraisal-detail", appraisal.pk),
        )
        for appraisal in appraisals
    ]

    def after_commit():
        # notifications.services.notify sends one text to many; these differ per person.
        Notification.objects.bulk_create(notices)

    transaction.on_commit(after_commit)
    return len(appraisals)


def _own_released(appraisal: Appraisal, acting_user) -> Appraisal:
    appraisal = _locked(appraisal)
    require(acting_user is not None and access.is_own(acting_user, appraisal))
    if appraisal.status != Status.RELEASED:
        raise DomainError(
            _("The appraisal is %(status)s: it can be acknowledged or appealed once released.")
            % {"status": _status_label(appraisal.status)}
        )
    return appraisal


@transaction.atomic
def appraisal_acknowledge(
    *, appraisal: Appraisal, acting_user, now: datetime.datetime | None = None
) -> Appraisal:
    """The person acknowledges the released result."""
    appraisal = _own_released(appraisal, acting_user)
    _move(appraisal, Status.ACKNOWLEDGED, acting_user, "acknowledged", acknowledged_at=_now(now))
    return appraisal


@transaction.atomic
def appraisal_appeal(
    *, appraisal: Appraisal, reason: str, acting_user, now: datetime.datetime | None = None
) -> Appraisal:
    """The person appeals the released result, with reasons, within the appeal window;
    the department is told."""
    now = _now(now)
    appraisal = _own_released(appraisal, acting_user)
    deadline = domain_cycles.appeal_deadline(appraisal.released_at, _appeal_days())
    if now > deadline:
        raise DomainError(
            _("The time to appeal ended on %(date)s.")
            % {"date": timezone.localtime(deadline).date().isoformat()}
        )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Write the reasons for the appeal."))
    _move(
        appraisal, Status.APPEALED, acting_user, "appealed", appealed_at=now, appeal_reason=reason
    )
    department = list(
        User.objects.filter(is_active=True, role_assignments__role=Role.DEPARTMENT)
        .values_list("pk", flat=True)
        .distinct()
    )
    params = {
        "person": appraisal.person.display_name,
        "period": appraisal.cycle.period.label,
    }
    url = _url("appraisal-detail", appraisal.pk)
    transaction.on_commit(
        lambda: notify(recipient_ids=department, kind="appraisal_appealed", params=params, url=url)
    )
    return appraisal


OUTCOMES = {
    "upheld": ("upheld: the result stands", "维持原结果"),
    "changed": ("changed: see the new result", "已更改\uff0c请查看新结果"),
}


@transaction.atomic
def appeal_resolve(
    *,
    appraisal: Appraisal,
    outcome: str,
    reason: str,
    changes: dict | None = None,
    acting_user,
    now: datetime.datetime | None = None,
) -> AppraisalResult | None:
    """The department resolves an appeal: `upheld` (with its reason), or `changed`
    with new dimension scores {dimension id: Decimal} and the reason, which adds the
    next result version (the earlier ones stay). The person is told."""
    _require_department(acting_user)
    now = _now(now)
    appraisal = _locked(appraisal)
    if appraisal.status != Status.APPEALED:
        raise DomainError(
            _("%(person)s's appraisal is %(status)s: there is no appeal to resolve.")
            % {"person": _person_name(appraisal.person), "status": _status_label(appraisal.status)}
        )
    if outcome not in OUTCOMES:
        raise DomainError(_("Choose whether the result is upheld or changed."))
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the resolution."))
    changes = dict(changes or {})
    result = None
    if outcome == "upheld":
        if changes:
            raise DomainError(_("An upheld result keeps its scores: remove the new scores."))
    else:
        if not changes:
            raise DomainError(_("Give the new score of at least one dimension."))
        latest = AppraisalResult.objects.filter(appraisal=appraisal).order_by("-version").first()
        names = {line["dimension_id"]: line["name"] for line in latest.working["lines"]}
        cleaned = {}
        for key, value in changes.items():
            try:
                pk = int(key)
            except (TypeError, ValueError):
                pk = None
            if pk not in names:
                raise DomainError(
                    _("Dimension %(id)s is not part of this appraisal.") % {"id": key}
                )
            cleaned[pk] = _clean_score(value, name=names[pk])
        working = domain_cycles.apply_changes(latest.working, cleaned, reason)
    _move(
        appraisal,
        Status.RESOLVED,
        acting_user,
        f"appeal {outcome}",
        resolved_at=now,
        resolved_by=acting_user,
        resolution=outcome,
        resolution_reason=reason,
    )
    if outcome == "changed":
        # After the resolution is recorded: the new version names it, and is refused
        # unless the appraisal is resolved with a change (AppraisalResult.check_new, and
        # the trigger of migration 0004).
        result = AppraisalResult.objects.create(
            appraisal=appraisal,
            version=latest.version + 1,
            score=Decimal(working["total"]),
            grade=working["grade"],
            working=working,
            reason=reason,
            appeal_resolved_at=appraisal.resolved_at,
            created_by=acting_user,
            created_at=now,
        )
    text, text_zh = OUTCOMES[outcome]
    params = {
        "period": appraisal.cycle.period.label,
        "outcome": text,
        "outcome_zh": text_zh,
    }
    person_id = appraisal.person_id
    url = _url("appraisal-detail", appraisal.pk)
    transaction.on_commit(
        lambda: notify(
            recipient_ids=[person_id], kind="appraisal_appeal_resolved", params=params, url=url
        )
    )
    return result


__all__ = [
    "appeal_resolve",
    "appraisal_acknowledge",
    "appraisal_appeal",
    "appraisal_finalise",
    "cycle_compute",
    "cycle_finalise",
    "cycle_open",
    "cycle_release",
    "peer_rating_save",
    "population",
    "rating_save",
    "score_adjust",
    "self_assessment_save",
]


# --- exports of the results ------------------------------------------------------------------


def results_exported(*, user, file_format: str, period=None, unit=None, grade: str = ""):
    """Record that `user` exported the results (a file, page or API) with these filters,
    so that their home page can say what is new since."""
    return ResultExport.objects.create(
        user=user,
        file_format=file_format,
        filters={
            "period": getattr(period, "pk", None),
            "unit": getattr(unit, "pk", None),
            "grade": grade or "",
        },
    )
