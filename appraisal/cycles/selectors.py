"""Reads of appraisal cycles, each in a fixed number of queries whatever the size.

What a reader sees follows `appraisal.cycles.permissions`: the rows are filtered to
the appraisals they may see, and within an appraisal the supervisor's levels,
comments and scores, the adjustments, the total and the grade are hidden from those
who do not see the ratings (the person before release); the self-assessment from
those who do not see it; the peers' ratings are only ever an average and a count,
and the average is hidden below `APPRAISAL_PEER_MINIMUM` ratings.

The explained score (the "working") of an appraisal comes from the latest
AppraisalResult once finalised; before that it is provisional, worked out from the
DimensionScore rows with `domain_cycles.explain` when every dimension has a score, or
line by line (no total) when some have none. Curve texts, scale anchors, names and
labels are rendered in the active language when read.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field, replace
from decimal import Decimal

from django.conf import settings
from django.db.models import Avg, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from appraisal.cycles import domain as domain_cycles
from appraisal.cycles.permissions import (
    APPRAISAL_RELATED,
    RATING_STATUSES,
    RELEASED_STATUSES,
    is_own,
    is_rater,
    sees_ratings,
    sees_self_assessment,
    visible_appraisals,
    visible_cycles,
)
from appraisal.models import (
    Adjustment,
    Appraisal,
    AppraisalResult,
    Cycle,
    Dimension,
    DimensionScore,
    GradeBand,
    PeerRating,
)
from appraisal.template import domain
from appraisal.template.domain import Band
from appraisal.template.permissions import member_team_paths
from core.errors import DomainError
from org.permissions import led_unit_paths, subtree_q

CURVE_METHODS = (
    Dimension.Method.ATTAINMENT,
    Dimension.Method.SATISFACTION,
    Dimension.Method.TRAINING,
)


def _language() -> str:
    return translation.get_language() or "en"


def _zh() -> bool:
    return _language().lower().startswith("zh")


def _name(name: str, name_zh: str) -> str:
    return name_zh if _zh() and name_zh else name


def _decimal(value) -> Decimal | None:
    return None if value is None or value == "" else Decimal(str(value))


def _status_label(status: str) -> str:
    return str(Appraisal.Status(status).label)


def _peer_minimum() -> int:
    return int(settings.APPRAISAL_PEER_MINIMUM)


# --- the parts of a template, read once ----------------------------------------------------


def template_dimensions(appraisal_or_cycle) -> list[Dimension]:
    """The dimensions of the appraisal's (or cycle's) template, in order, with their
    metric: one query."""
    cycle = getattr(appraisal_or_cycle, "cycle", appraisal_or_cycle)
    return list(
        Dimension.objects.filter(template_id=cycle.template_id)
        .select_related("metric")
        .order_by("position", "id")
    )


def _bands(template_id: int) -> list[Band]:
    return [
        Band(grade=b.grade, min_score=b.min_score, label=b.label, label_zh=b.label_zh)
        for b in GradeBand.objects.filter(template_id=template_id).order_by("-min_score")
    ]


def _band_label(grade: str | None, bands: list[Band]) -> str:
    band = next((b for b in bands if b.grade == grade), None)
    return band.label_for(_language()) if band else ""


def rating_inputs(*, appraisal: Appraisal) -> dict[int, DimensionScore]:
    """{dimension id: its DimensionScore row} (levels, comments, self-assessment)."""
    return {row.dimension_id: row for row in DimensionScore.objects.filter(appraisal=appraisal)}


def _peer_rows(appraisal_ids) -> dict[tuple[int, int], tuple[Decimal, int]]:
    """{(appraisal id, dimension id): (average level, number of ratings)}: one query."""
    rows = (
        PeerRating.objects.filter(appraisal_id__in=appraisal_ids)
        .values("appraisal_id", "dimension_id")
        .annotate(average=Avg("level"), count=Count("id"))
    )
    return {
        (r["appraisal_id"], r["dimension_id"]): (
            domain.round_score(Decimal(str(r["average"]))),
            r["count"],
        )
        for r in rows
    }


def peer_aggregates(*, appraisal: Appraisal) -> dict[int, tuple[Decimal | None, int]]:
    """{dimension id: (average of the peers' levels, number of peer ratings)}; the
    average is None below APPRAISAL_PEER_MINIMUM ratings (the count stays)."""
    minimum = _peer_minimum()
    return {
        dimension_id: (average if count >= minimum else None, count)
        for (_a, dimension_id), (average, count) in _peer_rows([appraisal.pk]).items()
    }


def peer_ratings_by(*, appraisal: Appraisal, rater) -> dict[int, tuple[int, str]]:
    """{dimension id: (level, comment)} of `rater`'s own peer ratings of the appraisal."""
    return {
        r.dimension_id: (r.level, r.comment)
        for r in PeerRating.objects.filter(appraisal=appraisal, rater=rater)
    }


# --- the working ---------------------------------------------------------------------------


def _provisional(
    dims: list[Dimension],
    rows: dict[int, DimensionScore],
    bands: list[Band],
    *,
    peers: dict[int, tuple[Decimal, int]] | None = None,
    reasons: dict[int, str] | None = None,
) -> tuple[dict, list[str]]:
    """(working, names of the dimensions without a score) from the working rows."""
    peers = peers or {}
    reasons = reasons or {}
    lines = [
        domain_cycles.line_from(
            d,
            rows.get(d.pk),
            peer_average=peers.get(d.pk, (None, 0))[0],
            peer_count=peers.get(d.pk, (None, 0))[1],
            adjustment_reason=reasons.get(d.pk, ""),
        )
        for d in dims
    ]
    missing = domain_cycles.missing_scores(lines)
    if not missing:
        try:
            return domain_cycles.explain(lines, bands), []
        except DomainError:
            pass
    working = {
        "lines": [domain_cycles.line_data(line) for line in lines],
        "total": None,
        "grade": None,
        "bands": [b.as_data() for b in bands],
    }
    return working, missing


def _latest(results) -> AppraisalResult | None:
    results = list(results)
    return max(results, key=lambda r: r.version) if results else None


def _score_and_grade(
    appraisal: Appraisal, dims, bands
) -> tuple[Decimal | None, str | None, list[str], dict]:
    """The (provisional or final) total, grade, missing dimension names and working of
    an appraisal whose `scores` and `results` are prefetched."""
    if appraisal.finalised_at is not None:
        latest = _latest(appraisal.results.all())
        if latest is not None:
            return latest.score, latest.grade, [], latest.working
    rows = {row.dimension_id: row for row in appraisal.scores.all()}
    working, missing = _provisional(dims, rows, bands)
    return _decimal(working.get("total")), working.get("grade"), missing, working


def _with_rows(qs: QuerySet[Appraisal]) -> QuerySet[Appraisal]:
    return qs.select_related("person", "unit", "rated_by").prefetch_related("scores", "results")


# --- cycles --------------------------------------------------------------------------------


def cycle_list(user) -> list[Cycle]:
    """The cycles `user` may see, newest period first, each with `appraisal_count` and
    `finalised_count` (of the appraisals the user may see) and `released_count`: one
    query (after the reader's roles and led units)."""
    visible = visible_appraisals(user).values("pk")
    return list(
        visible_cycles(user)
        .select_related("template", "period__fiscal_year", "opened_by")
        .annotate(
            appraisal_count=Count(
                "appraisals", filter=Q(appraisals__pk__in=visible), distinct=True
            ),
            finalised_count=Count(
                "appraisals",
                filter=Q(appraisals__pk__in=visible, appraisals__finalised_at__isnull=False),
                distinct=True,
            ),
            released_count=Count(
                "appraisals",
                filter=Q(appraisals__pk__in=visible, appraisals__released_at__isnull=False),
                distinct=True,
            ),
        )
        .order_by("-period__start_date", "template__code", "pk")
    )


@dataclass(frozen=True)
class OverviewRow:
    appraisal: Appraisal
    person: object
    unit: object
    status: str
    status_label: str
    score: Decimal | None  # provisional (or final once finalised); None: hidden or missing
    grade: str | None
    grade_label: str
    rater: object | None  # who submitted the rating
    missing: list[str]  # dimensions without a score (when the reader sees ratings)
    hidden: bool  # the ratings are hidden from the reader


@dataclass
class CycleOverview:
    cycle: Cycle
    rows: list[OverviewRow]
    counts: dict[str, int]  # every status (in workflow order) -> number of appraisals
    total: int
    ready: int  # rated with every dimension scored: finalisable once the period ended

    @property
    def status_counts(self) -> list[tuple[str, str, int]]:
        """[(status, label, count)] in workflow order."""
        return [(s, _status_label(s), n) for s, n in self.counts.items()]


def cycle_overview(*, cycle: Cycle, user) -> CycleOverview:
    """The appraisals of the cycle `user` may see (person, team, status, provisional
    score and grade where the reader sees the ratings, rater) and the counts by
    status: six queries (after the reader's roles and led units)."""
    dims = template_dimensions(cycle)
    bands = _bands(cycle.template_id)
    appraisals = list(
        _with_rows(visible_appraisals(user).filter(cycle=cycle)).order_by(
            "unit__path", "person__username"
        )
    )
    rows: list[OverviewRow] = []
    counts = dict.fromkeys(Appraisal.Status.values, 0)
    ready = 0
    for appraisal in appraisals:
        counts[appraisal.status] += 1
        score, grade, missing, _working = _score_and_grade(appraisal, dims, bands)
        if appraisal.status == Appraisal.Status.RATED and not missing:
            ready += 1
        hidden = not sees_ratings(user, appraisal)
        rows.append(
            OverviewRow(
                appraisal=appraisal,
                person=appraisal.person,
                unit=appraisal.unit,
                status=appraisal.status,
                status_label=_status_label(appraisal.status),
                score=None if hidden else score,
                grade=None if hidden else grade,
                grade_label="" if hidden else _band_label(grade, bands),
                rater=appraisal.rated_by,
                missing=[] if hidden else missing,
                hidden=hidden,
            )
        )
    return CycleOverview(cycle=cycle, rows=rows, counts=counts, total=len(rows), ready=ready)


# --- one appraisal -------------------------------------------------------------------------


@dataclass(frozen=True)
class ScaleLevel:
    level: int
    score: Decimal
    anchor: str  # in the reader's language


@dataclass(frozen=True)
class ViewLine:
    dimension_id: int
    name: str  # in the reader's language
    method: str
    method_label: str
    weight: Decimal
    metric_name: str | None
    metric_unit: str | None
    actual: Decimal | None
    target: Decimal | None
    value: Decimal | None  # attainment %, average satisfaction
    count: int | None  # satisfaction responses
    curve_text: str  # the scoring curve in words, in the reader's language
    scale: list[ScaleLevel]
    note: str  # why there is no value ("No training data yet."), else ""
    level: int | None  # the supervisor's (None when hidden)
    level_anchor: str
    comment: str
    self_level: int | None  # None when the reader does not see the self-assessment
    self_anchor: str
    self_comment: str
    peer_average: Decimal | None  # None when hidden or below the minimum
    peer_count: int
    peers_too_few: bool  # some peer ratings, but fewer than the minimum
    score: Decimal | None
    adjusted_score: Decimal | None
    adjustment_reason: str
    final_score: Decimal | None
    contribution: Decimal | None
    hidden: bool  # the supervisor's rating of this line is hidden from the reader

    @property
    def is_rated(self) -> bool:
        return self.method == Dimension.Method.RATED


@dataclass(frozen=True)
class AdjustmentRow:
    dimension_id: int
    dimension: str
    old_score: Decimal | None
    new_score: Decimal
    reason: str
    adjusted_by: object
    adjusted_at: datetime.datetime


@dataclass(frozen=True)
class ResultVersion:
    version: int
    score: Decimal
    grade: str
    grade_label: str
    reason: str
    created_at: datetime.datetime
    created_by: object


@dataclass(frozen=True)
class AppealState:
    released_at: datetime.datetime | None
    deadline: datetime.datetime | None
    open: bool  # the person may still appeal (released, within the window)
    acknowledged_at: datetime.datetime | None
    appealed_at: datetime.datetime | None
    reason: str
    resolved_at: datetime.datetime | None
    resolution: str
    resolution_label: str
    resolution_reason: str


@dataclass
class AppraisalView:
    appraisal: Appraisal
    status: str
    status_label: str
    final: bool  # lines from the latest result (else provisional)
    lines: list[ViewLine]
    total: Decimal | None  # None when hidden or not every dimension has a score
    grade: str | None
    grade_label: str
    missing: list[str]  # dimensions without a score (when the reader sees the ratings)
    bands: list[Band]
    sees_ratings: bool
    sees_self_assessment: bool
    sees_peers: bool
    peer_minimum: int
    adjustments: list[AdjustmentRow] = field(default_factory=list)
    versions: list[ResultVersion] = field(default_factory=list)
    appeal: AppealState | None = None  # the person and those who see the ratings
    self_submitted: bool = False


def _curve_text(line: dict) -> str:
    if not line.get("curve") or line["method"] not in CURVE_METHODS:
        return ""
    unit = "%" if line["method"] == Dimension.Method.ATTAINMENT else ""
    try:
        return domain.describe_curve(domain.parse_curve(line["curve"]), unit=unit)
    except DomainError:
        return ""


def _scale(line: dict) -> list[domain.Level]:
    if not line.get("scale") or line["method"] != Dimension.Method.RATED:
        return []
    try:
        return domain.parse_scale(line["scale"])
    except DomainError:
        return []


def _anchor(levels: list[domain.Level], level: int | None) -> str:
    row = next((x for x in levels if x.level == level), None)
    return row.anchor_for(_language()) if row else ""


def _note(line: dict) -> str:
    if line["method"] not in CURVE_METHODS or line.get("value") is not None:
        return ""
    if line["method"] == Dimension.Method.TRAINING:
        return _("No training data yet.")
    if line["method"] == Dimension.Method.SATISFACTION:
        return _("No customer satisfaction responses in the period.")
    return _("No target or no figures for the period yet.")


def _view_line(
    line: dict,
    *,
    ratings: bool,
    self_assessment: bool,
    self_comment: str,
) -> ViewLine:
    rated = line["method"] == Dimension.Method.RATED
    hide_rating = rated and not ratings
    levels = _scale(line)
    metric = line.get("metric") or None
    peer_count = int(line.get("peer_count") or 0)
    too_few = 0 < peer_count < _peer_minimum()
    self_level = line.get("self_level") if self_assessment else None
    return ViewLine(
        dimension_id=line["dimension_id"],
        name=_name(line["name"], line.get("name_zh", "")),
        method=line["method"],
        method_label=str(Dimension.Method(line["method"]).label),
        weight=Decimal(line["weight"]),
        metric_name=_name(metric["name"], metric.get("name_zh", "")) if metric else None,
        metric_unit=metric.get("unit") if metric else None,
        actual=_decimal(line.get("actual")),
        target=_decimal(line.get("target")),
        value=_decimal(line.get("value")),
        count=line.get("count"),
        curve_text=_curve_text(line),
        scale=[
            ScaleLevel(level=x.level, score=x.score, anchor=x.anchor_for(_language()))
            for x in levels
        ],
        note=_note(line),
        level=None if hide_rating else line.get("level"),
        level_anchor="" if hide_rating else _anchor(levels, line.get("level")),
        comment="" if hide_rating else line.get("comment") or "",
        self_level=self_level,
        self_anchor=_anchor(levels, self_level),
        self_comment=self_comment if self_assessment else "",
        peer_average=(
            _decimal(line.get("peer_average")) if ratings and rated and not too_few else None
        ),
        peer_count=peer_count if ratings and rated else 0,
        peers_too_few=too_few if ratings and rated else False,
        score=None if hide_rating else _decimal(line.get("score")),
        adjusted_score=_decimal(line.get("adjusted_score")) if ratings else None,
        adjustment_reason=line.get("adjustment_reason") or "" if ratings else "",
        final_score=_decimal(line.get("final_score")) if ratings else None,
        contribution=_decimal(line.get("contribution")) if ratings else None,
        hidden=hide_rating,
    )


def appraisal_view(
    *, appraisal: Appraisal, user, now: datetime.datetime | None = None
) -> AppraisalView:
    """The explained appraisal as `user` may see it: lines (figures, curve in words,
    scale anchors, levels, self-assessment, peers' aggregate, scores, adjustments,
    contributions), total and grade, adjustments, result versions and the appeal
    state. Seven queries (after the reader's roles and led units)."""
    now = now or timezone.now()
    ratings = sees_ratings(user, appraisal)
    self_assessment = sees_self_assessment(user, appraisal)
    dims = template_dimensions(appraisal)
    bands = _bands(appraisal.cycle.template_id)
    rows = rating_inputs(appraisal=appraisal)
    adjustments = list(
        Adjustment.objects.filter(appraisal=appraisal)
        .select_related("dimension", "adjusted_by")
        .order_by("adjusted_at", "id")
    )
    results = list(
        AppraisalResult.objects.filter(appraisal=appraisal)
        .select_related("created_by")
        .order_by("version")
    )
    latest = results[-1] if results and appraisal.finalised_at is not None else None
    if latest is not None:
        working, missing = latest.working, []
    else:
        peers = {d: v for (_a, d), v in _peer_rows([appraisal.pk]).items()}
        reasons = {a.dimension_id: a.reason for a in adjustments}  # the latest wins
        working, missing = _provisional(dims, rows, bands, peers=peers, reasons=reasons)
    lines = [
        _view_line(
            line,
            ratings=ratings,
            self_assessment=self_assessment,
            self_comment=getattr(rows.get(line["dimension_id"]), "self_comment", "") or "",
        )
        for line in working["lines"]
    ]
    grade = working.get("grade") if ratings else None
    appeal = None
    if ratings or is_own(user, appraisal):
        released = appraisal.released_at
        days = settings.APPRAISAL_APPEAL_DAYS
        appeal = AppealState(
            released_at=released,
            deadline=domain_cycles.appeal_deadline(released, days) if released else None,
            open=appraisal.status == Appraisal.Status.RELEASED
            and domain_cycles.appeal_open(released, days, now),
            acknowledged_at=appraisal.acknowledged_at,
            appealed_at=appraisal.appealed_at,
            reason=appraisal.appeal_reason,
            resolved_at=appraisal.resolved_at,
            resolution=appraisal.resolution,
            resolution_label=appraisal.get_resolution_display() if appraisal.resolution else "",
            resolution_reason=appraisal.resolution_reason,
        )
    names = {d.pk: _name(d.name, d.name_zh) for d in dims}
    return AppraisalView(
        appraisal=appraisal,
        status=appraisal.status,
        status_label=_status_label(appraisal.status),
        final=latest is not None,
        lines=lines,
        total=_decimal(working.get("total")) if ratings else None,
        grade=grade,
        grade_label=_band_label(grade, bands) if grade else "",
        missing=missing if ratings else [],
        bands=bands,
        sees_ratings=ratings,
        sees_self_assessment=self_assessment,
        sees_peers=ratings,
        peer_minimum=_peer_minimum(),
        adjustments=(
            [
                AdjustmentRow(
                    dimension_id=a.dimension_id,
                    dimension=names.get(a.dimension_id) or a.dimension.name,
                    old_score=a.old_score,
                    new_score=a.new_score,
                    reason=a.reason,
                    adjusted_by=a.adjusted_by,
                    adjusted_at=a.adjusted_at,
                )
                for a in adjustments
            ]
            if ratings
            else []
        ),
        versions=(
            [
                ResultVersion(
                    version=r.version,
                    score=r.score,
                    grade=r.grade,
                    grade_label=_band_label(r.grade, bands),
                    reason=r.reason,
                    created_at=r.created_at,
                    created_by=r.created_by,
                )
                for r in results
            ]
            if ratings
            else []
        ),
        appeal=appeal,
        self_submitted=appraisal.self_submitted_at is not None,
    )


# --- lists of one person's work ------------------------------------------------------------


@dataclass(frozen=True)
class MyAppraisal:
    appraisal: Appraisal
    status: str
    status_label: str
    score: Decimal | None  # the latest result, once released
    grade: str | None
    to_do: str  # "self_assess", "respond" (acknowledge or appeal) or ""
    deadline: datetime.datetime | None  # of the appeal window, once released


def my_appraisals(person, *, now: datetime.datetime | None = None) -> list[MyAppraisal]:
    """The person's own appraisals, newest period first, with the result once released
    and what they have to do: two queries."""
    now = now or timezone.now()
    days = settings.APPRAISAL_APPEAL_DAYS
    if not getattr(person, "is_authenticated", False):
        return []
    appraisals = (
        Appraisal.objects.filter(person=person)
        .select_related("cycle__template", "cycle__period__fiscal_year", "unit")
        .prefetch_related("results")
        .order_by("-cycle__period__start_date", "cycle__template__code")
    )
    rows = []
    for appraisal in appraisals:
        released = appraisal.status in RELEASED_STATUSES
        latest = _latest(appraisal.results.all()) if released else None
        to_do = ""
        if appraisal.status == Appraisal.Status.OPEN:
            to_do = "self_assess"
        elif appraisal.status == Appraisal.Status.RELEASED and domain_cycles.appeal_open(
            appraisal.released_at, days, now
        ):
            to_do = "respond"
        rows.append(
            MyAppraisal(
                appraisal=appraisal,
                status=appraisal.status,
                status_label=_status_label(appraisal.status),
                score=latest.score if latest else None,
                grade=latest.grade if latest else None,
                to_do=to_do,
                deadline=(
                    domain_cycles.appeal_deadline(appraisal.released_at, days)
                    if released and appraisal.released_at
                    else None
                ),
            )
        )
    return rows


def _task_related(qs: QuerySet[Appraisal]) -> QuerySet[Appraisal]:
    return qs.select_related(
        "person", "unit", "cycle__template", "cycle__period__fiscal_year"
    ).order_by("cycle__period__start_date", "unit__path", "person__username")


def rating_tasks(user, on: datetime.date | None = None) -> list[Appraisal]:
    """The appraisals `user` rates as supervisor and has not submitted yet (open or
    self-assessed, in a unit they lead today or below it, not their own), each with
    `started` (a level saved as a draft) and `self_sent` (the self-assessment sent):
    one query (after the led units)."""
    if not user.is_authenticated:
        return []
    paths = led_unit_paths(user, on)
    if not paths:
        return []
    started = DimensionScore.objects.filter(appraisal=OuterRef("pk"), level__isnull=False)
    qs = (
        Appraisal.objects.filter(subtree_q(paths, "unit__path"), status__in=RATING_STATUSES)
        .exclude(person=user)
        .annotate(started=Exists(started))
    )
    tasks = list(_task_related(qs))
    for appraisal in tasks:
        appraisal.self_sent = appraisal.self_submitted_at is not None
    return tasks


def peer_tasks(user, on: datetime.date | None = None) -> list[Appraisal]:
    """The teammates' appraisals `user` may rate as a peer (see
    permissions_cycles.can_peer_rate), each with `done` (they already rated): one
    query (after their teams and led units)."""
    if not user.is_authenticated:
        return []
    day = on or timezone.localdate()
    teams = member_team_paths(user, day)
    if not teams:
        return []
    peer_dims = Dimension.objects.filter(
        template_id=OuterRef("cycle__template_id"),
        method=Dimension.Method.RATED,
        rated_by_peers=True,
    )
    done = PeerRating.objects.filter(appraisal=OuterRef("pk"), rater=user)
    qs = (
        Appraisal.objects.filter(unit__path__in=teams, status__in=RATING_STATUSES)
        .exclude(person=user)
        .filter(Exists(peer_dims))
        .annotate(done=Exists(done))
    )
    return [a for a in _task_related(qs) if not is_rater(user, a, day)]


# --- calibration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupStats:
    key: object  # rater id, unit id, or "all"
    label: str
    count: int  # appraisals with a total
    mean: Decimal | None
    min: Decimal | None
    max: Decimal | None
    grades: dict[str, int]  # every grade of the template, best first -> count
    rated_mean: Decimal | None  # mean of the rated dimensions' (supervisor's) scores
    outlier: Decimal | None  # rated mean minus everyone else's, when the gap is reached


@dataclass(frozen=True)
class CalibrationRow:
    appraisal: Appraisal
    person: object
    unit: object
    rater: object | None
    status: str
    status_label: str
    score: Decimal | None
    grade: str | None
    rated_mean: Decimal | None
    missing: list[str]
    adjustments: list[AdjustmentRow]
    outlier: bool  # rated by a rater flagged as an outlier


@dataclass
class Calibration:
    cycle: Cycle
    rows: list[CalibrationRow]
    raters: list[GroupStats]
    units: list[GroupStats]
    overall: GroupStats
    bands: list[Band]
    gap: Decimal
    minimum: int = 2

    @property
    def outlier_raters(self) -> list[GroupStats]:
        return [g for g in self.raters if g.outlier is not None]


def _rated_mean(appraisal: Appraisal, rated_ids: set[int]) -> Decimal | None:
    """Mean of the supervisor's scores of the rated dimensions (before adjustment)."""
    scores = [
        row.score
        for row in appraisal.scores.all()
        if row.dimension_id in rated_ids and row.score is not None
    ]
    if not scores:
        return None
    return domain.round_score(sum(scores, Decimal(0)) / len(scores))


def _group(
    key, label: str, rows: list[CalibrationRow], bands: list[Band], outliers: dict
) -> GroupStats:
    stats = domain_cycles.summary([r.score for r in rows if r.score is not None])
    grades = {b.grade: 0 for b in bands}
    for row in rows:
        if row.grade in grades:
            grades[row.grade] += 1
    rated = domain_cycles.summary([r.rated_mean for r in rows if r.rated_mean is not None])
    return GroupStats(
        key=key,
        label=label,
        count=stats["count"],
        mean=stats["mean"],
        min=stats["min"],
        max=stats["max"],
        grades=grades,
        rated_mean=rated["mean"],
        outlier=outliers.get(key),
    )


def calibration(*, cycle: Cycle, minimum: int = 2) -> Calibration:
    """For the department: every appraisal of the cycle with its rater, team,
    provisional (or final) score and grade, the mean of its rated dimensions and its
    adjustments; the distribution per rater, per team and overall (count, mean, min,
    max, grade counts); the raters and teams whose mean rated score differs from
    everyone else's by APPRAISAL_OUTLIER_POINTS or more (domain_cycles.outliers).
    Six queries."""
    gap = Decimal(str(settings.APPRAISAL_OUTLIER_POINTS))
    dims = template_dimensions(cycle)
    rated_ids = {d.pk for d in dims if d.method == Dimension.Method.RATED}
    names = {d.pk: _name(d.name, d.name_zh) for d in dims}
    bands = _bands(cycle.template_id)
    adjustments = Prefetch(
        "adjustments",
        queryset=Adjustment.objects.select_related("adjusted_by").order_by("adjusted_at", "id"),
    )
    appraisals = list(
        _with_rows(Appraisal.objects.filter(cycle=cycle))
        .prefetch_related(adjustments)
        .order_by("unit__path", "person__username")
    )
    rows: list[CalibrationRow] = []
    for appraisal in appraisals:
        score, grade, missing, _working = _score_and_grade(appraisal, dims, bands)
        rows.append(
            CalibrationRow(
                appraisal=appraisal,
                person=appraisal.person,
                unit=appraisal.unit,
                rater=appraisal.rated_by,
                status=appraisal.status,
                status_label=_status_label(appraisal.status),
                score=score,
                grade=grade,
                rated_mean=_rated_mean(appraisal, rated_ids),
                missing=missing,
                adjustments=[
                    AdjustmentRow(
                        dimension_id=a.dimension_id,
                        dimension=names.get(a.dimension_id, ""),
                        old_score=a.old_score,
                        new_score=a.new_score,
                        reason=a.reason,
                        adjusted_by=a.adjusted_by,
                        adjusted_at=a.adjusted_at,
                    )
                    for a in appraisal.adjustments.all()
                ],
                outlier=False,
            )
        )
    by_rater: dict[int, list[CalibrationRow]] = defaultdict(list)
    by_unit: dict[int, list[CalibrationRow]] = defaultdict(list)
    for row in rows:
        if row.rater is not None:
            by_rater[row.rater.pk].append(row)
        by_unit[row.unit.pk].append(row)

    def means(groups):
        return {k: [r.rated_mean for r in v if r.rated_mean is not None] for k, v in groups.items()}

    rater_outliers = domain_cycles.outliers(means(by_rater), gap=gap, minimum=minimum)
    unit_outliers = domain_cycles.outliers(means(by_unit), gap=gap, minimum=minimum)
    raters = sorted(
        (
            _group(pk, group[0].rater.display_name, group, bands, rater_outliers)
            for pk, group in by_rater.items()
        ),
        key=lambda g: g.label,
    )
    units = sorted(
        (
            _group(pk, group[0].unit.display_name, group, bands, unit_outliers)
            for pk, group in by_unit.items()
        ),
        key=lambda g: g.label,
    )
    flagged = set(rater_outliers)
    rows = [replace(row, outlier=row.rater is not None and row.rater.pk in flagged) for row in rows]
    return Calibration(
        cycle=cycle,
        rows=rows,
        raters=raters,
        units=units,
        overall=_group("all", _("Everyone"), rows, bands, {}),
        bands=bands,
        gap=gap,
        minimum=minimum,
    )


def appraisals_for_api(user) -> QuerySet[Appraisal]:
    """The appraisals `user` may see, with their parts and the latest result's score
    and grade (`result_score`, `result_grade`: two subqueries, not a query per row)."""
    latest = AppraisalResult.objects.filter(appraisal=OuterRef("pk")).order_by("-version")
    return (
        visible_appraisals(user)
        .select_related(*APPRAISAL_RELATED)
        .annotate(
            result_score=Subquery(latest.values("score")[:1]),
            result_grade=Subquery(latest.values("grade")[:1]),
        )
    )
