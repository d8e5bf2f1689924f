# ruff: noqa: RUF001  (Chinese text uses full-width punctuation)
"""Demo appraisals for Qingyun Instruments, called by `manage.py seed_demo` after the
organisation, the targets and the sales are there.

The template: "Sales performance appraisal" (销售绩效考核方案) for the whole company,
quarterly, with four dimensions (revenue attainment 50 %, customer satisfaction
20 %, work attitude 15 % and teamwork 15 %, both rated by the supervisor after the
person's self-assessment, teamwork by peers too) and the grades S/A/B/C/D. Version 1
applies from the quarter before the current one (the last quarter that has ended,
which the demo's history always holds: see org.demo_calendar), so that a whole cycle
can already be shown; version 2, a draft adding training participation, applies from
the next quarter when the calendar has one. It stays a draft: until training records
are kept, publication refuses a training dimension and says why.

The cycles:
- the last quarter that has ended, its appraisals in
  every state: a few teams' appraisals waiting for a self-assessment or for the
  supervisor, most rated and in calibration (the Guangzhou supervisor rates far
  more generously than the others, so the calibration page flags him), and in the
  Shanghai team one result finalised and not yet released, one released (wei.zhang,
  whose appeal window is still open), one acknowledged, one appealed and one appeal
  resolved with a changed score (result version 2);
- the current quarter, in self-assessment: some sent, some drafts, a few peers rated.

Everything goes through the services with `today` / `now` set to the dates when the
step would have happened (spread between the end of the quarter and now), so the
history, the notifications and the results exist. Idempotent: the template is
skipped when it is there, each cycle when it is there.
"""

from __future__ import annotations

import datetime
from collections import Counter, defaultdict
from decimal import Decimal

from django.utils import timezone

from appraisal.cycles import services as cycles
from appraisal.cycles.permissions import can_peer_rate
from appraisal.models import (
    Adjustment,
    Appraisal,
    AppraisalTemplate,
    Cycle,
    Dimension,
    DimensionScore,
    PeerRating,
)
from appraisal.template import services
from org import demo as org_demo
from org.models import Membership, OrgUnit, Period, User
from targets.catalogue.services import metric_save
from targets.models import Metric

DEPARTMENT = "dept.zhou"
CODE = "sales-performance"
NAME = "Sales performance appraisal"
NAME_ZH = "销售绩效考核方案"
DESCRIPTION = (
    "How every salesperson is appraised each period, fixed and announced before the "
    "period starts. / 每个考核期销售人员的考核办法，在考核期开始前确定并公布。"
)
# The team whose appraisals show the end of the workflow, and the demo login among them
# who finds a released result to acknowledge or appeal.
SHOWCASE_TEAM = "sh-key"
SHOWCASE_PERSON = "wei.zhang"
# The supervisor who rates far more generously than the others (an outlier in
# calibration), and the team whose appraisals still wait for self-assessments and
# ratings.
GENEROUS_TEAM = "gz"
LATE_TEAM = "sz"

REVENUE_CURVE = {
    "kind": "linear",
    "floor": "60",
    "floor_score": "60",
    "target": "100",
    "target_score": "100",
    "cap": "120",
}
SATISFACTION_CURVE = {
    "kind": "steps",
    "steps": [["1", "0"], ["2", "40"], ["3", "60"], ["4", "80"], ["4.5", "100"]],
}
TRAINING_CURVE = {
    "kind": "linear",
    "floor": "0",
    "floor_score": "0",
    "target": "100",
    "target_score": "100",
    "cap": "100",
}
ATTITUDE_SCALE = [
    (
        "Often late with follow-ups; needs reminders to log visits and update the pipeline.",
        "客户跟进经常拖延，需要提醒才记录拜访和更新商机。",
    ),
    (
        "Follows up most leads, but the records are incomplete; rarely takes the initiative.",
        "能跟进大部分线索，但记录不完整，主动性不足。",
    ),
    (
        "Follows up every lead on time and keeps complete records.",
        "按时跟进所有线索，记录完整。",
    ),
    (
        "Seeks out new opportunities and prepares every visit thoroughly.",
        "主动开拓新机会，每次拜访都准备充分。",
    ),
    (
        "Goes beyond the plan: proposes initiatives and leads them to results.",
        "超出计划要求，主动提出新举措并推动落实。",
    ),
]
TEAMWORK_SCALE = [
    (
        "Works alone and keeps customer information from colleagues.",
        "单打独斗，不与同事分享客户信息。",
    ),
    ("Shares information when asked.", "在被要求时分享信息。"),
    (
        "Shares leads and information readily and helps when asked.",
        "乐于分享线索和信息，应邀提供帮助。",
    ),
    (
        "Offers help unasked and covers for colleagues when needed.",
        "主动提供帮助，必要时为同事补位。",
    ),
    (
        "Lifts the whole team: coaches newcomers and coordinates joint bids.",
        "带动整个团队：辅导新人，协调联合投标。",
    ),
]
BANDS = [
    {"grade": "S", "min_score": "110", "label": "Outstanding", "label_zh": "卓越"},
    {"grade": "A", "min_score": "95", "label": "Excellent", "label_zh": "优秀"},
    {"grade": "B", "min_score": "80", "label": "Good", "label_zh": "良好"},
    {"grade": "C", "min_score": "60", "label": "Acceptable", "label_zh": "合格"},
    {"grade": "D", "min_score": "0", "label": "Needs improvement", "label_zh": "待改进"},
]


def _scale(anchors: list[tuple[str, str]]) -> list[dict]:
    return [
        {"level": i, "score": str(20 * i), "anchor": en, "anchor_zh": zh}
        for i, (en, zh) in enumerate(anchors, start=1)
    ]


def _dimensions(revenue: Metric) -> list[dict]:
    return [
        {
            "name": "Revenue attainment",
            "name_zh": "营业收入达成率",
            "weight": Decimal("50"),
            "method": Dimension.Method.ATTAINMENT,
            "metric": revenue,
            "curve": REVENUE_CURVE,
        },
        {
            "name": "Customer satisfaction",
            "name_zh": "客户满意度",
            "weight": Decimal("20"),
            "method": Dimension.Method.SATISFACTION,
            "curve": SATISFACTION_CURVE,
        },
        {
            "name": "Work attitude",
            "name_zh": "工作态度",
            "weight": Decimal("15"),
            "method": Dimension.Method.RATED,
            "scale": _scale(ATTITUDE_SCALE),
            "rated_by_self": True,
        },
        {
            "name": "Teamwork",
            "name_zh": "团队协作",
            "weight": Decimal("15"),
            "method": Dimension.Method.RATED,
            "scale": _scale(TEAMWORK_SCALE),
            "rated_by_self": True,
            "rated_by_peers": True,
        },
    ]


def _revenue(dept: User) -> Metric:
    metric = Metric.objects.filter(code="revenue").first()
    return metric or metric_save(
        acting_user=dept,
        code="revenue",
        name="Revenue",
        name_zh="营业收入",
        unit=Metric.Unit.CURRENCY,
        source=Metric.Source.AMOUNT,
    )


# --- when things happened -----------------------------------------------------------------------


def _at(day: datetime.date, hour: int = 10, minute: int = 0) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour, minute)))


def _reference(today: datetime.date) -> datetime.datetime:
    """The demo's present moment: now when `today` is the real day, else the evening of
    `today` (when the demo is seeded as of another day)."""
    now = timezone.now()
    return now if timezone.localdate(now) == today else _at(today, 18)


def _between(start: datetime.datetime, end: datetime.datetime, share: float):
    """The moment `share` of the way from start to end (start when end is earlier)."""
    return start + max(end - start, datetime.timedelta(0)) * share


# --- the template ---------------------------------------------------------------------------


def _quarter_starting(day: datetime.date) -> Period | None:
    return (
        Period.objects.filter(kind=Period.Kind.QUARTER, start_date=day)
        .select_related("fiscal_year")
        .first()
    )


def _publish_v1(*, period: Period, company: OrgUnit, dept: User) -> AppraisalTemplate:
    """Version 1, published two weeks before `period` starts.

    A template is published before the first period it applies to, and the service
    refuses a period that has started (`publication_problems`). The demo's period has
    usually started already, so the service is told the publication moment (`today`,
    `now`), and the other recorded moments (created, and the history rows) are then set
    directly: the services stamp the real time, and a template published after its first
    period began would show a workflow that cannot happen."""
    published_on = period.start_date - datetime.timedelta(days=14)
    template = services.template_create(
        code=CODE,
        name=NAME,
        name_zh=NAME_ZH,
        description=DESCRIPTION,
        period_kind=period.kind,
        applies_from=period,
        units=[company],
        acting_user=dept,
    )
    for position, fields in enumerate(_dimensions(_revenue(dept))):
        services.dimension_save(template=template, acting_user=dept, position=position, **fields)
    services.bands_save(template=template, bands=BANDS, acting_user=dept)
    drafted, published = _at(published_on - datetime.timedelta(days=7)), _at(published_on)
    template = services.template_publish(
        template=template, acting_user=dept, today=published_on, now=published
    )
    # Once published, only the bookkeeping created_at may still be set (the models and
    # the database refuse any other change of a published version).
    AppraisalTemplate.objects.filter(pk=template.pk).update(created_at=drafted)
    history = AppraisalTemplate.history.filter(id=template.pk)
    history.exclude(history_change_reason="published").update(history_date=drafted)
    history.filter(history_change_reason="published").update(history_date=published)
    template.refresh_from_db()
    return template


def _draft_v2(v1: AppraisalTemplate, *, dept: User, today: datetime.date) -> AppraisalTemplate:
    """The next version, being edited: revenue 45 % and training participation 5 %. It
    cannot be published until training records are kept (publication says so)."""
    v2 = services.template_new_version(template=v1, acting_user=dept, today=today)
    services.template_update(
        template=v2,
        description=DESCRIPTION
        + "\nDraft: adds training participation; it cannot be published until training "
        "records are kept. / 草稿：加入培训参与度；培训记录启用之前不能发布。",
        acting_user=dept,
    )
    services.dimension_save(
        template=v2,
        dimension=v2.dimensions.get(method=Dimension.Method.ATTAINMENT),
        weight=Decimal("45"),
        acting_user=dept,
    )
    services.dimension_save(
        template=v2,
        name="Training participation",
        name_zh="培训参与度",
        weight=Decimal("5"),
        method=Dimension.Method.TRAINING,
        curve=TRAINING_CURVE,
        acting_user=dept,
    )
    return v2


def _seed_template(*, company: OrgUnit, dept: User, today: datetime.date) -> None:
    period = _quarter_starting(org_demo.calendar(today).last_ended_quarter.start)
    if period is None:
        return
    v1 = _publish_v1(period=period, company=company, dept=dept)
    if _quarter_to_come(today):
        _draft_v2(v1, dept=dept, today=today)


def _quarter_to_come(today: datetime.date) -> bool:
    return Period.objects.filter(kind=Period.Kind.QUARTER, start_date__gt=today).exists()


def _in_force(period: Period) -> AppraisalTemplate | None:
    """The published quarterly version of the demo template that applies to `period`."""
    return (
        AppraisalTemplate.objects.filter(
            code=CODE,
            status=AppraisalTemplate.Status.PUBLISHED,
            period_kind=Period.Kind.QUARTER,
            applies_from__start_date__lte=period.start_date,
        )
        .order_by("-applies_from__start_date", "-version")
        .first()
    )


# --- who rates whom, and how -------------------------------------------------------------------

# The supervisor's levels (work attitude, teamwork) by position in the team: around
# "meets expectations", with one weak and one outstanding rating; the generous
# supervisor gives nearly everyone the top levels.
LEVELS = [(4, 4), (3, 4), (4, 3), (3, 3), (4, 4), (2, 3), (4, 4), (5, 4), (3, 3), (4, 3)]
GENEROUS_LEVELS = [(5, 5), (4, 5), (5, 4), (4, 4), (5, 4), (4, 4), (5, 5), (4, 4)]
SELF_LEVELS = [(4, 4), (4, 5), (3, 4), (5, 4), (4, 4), (4, 3), (5, 5), (4, 4), (3, 3), (4, 4)]
COMMENTS = {
    1: "Well below what the role needs this quarter; we agreed an improvement plan.",
    2: "Several follow-ups were late; we went through the pipeline together each week.",
    3: "Meets what we expect: follow-ups on time, records complete.",
    4: "Consistently good; prepares visits well and shares leads with the team.",
    5: "Outstanding this quarter: led the joint bid and coached the newest colleague.",
}
SELF_COMMENTS = [
    "I followed up every lead within two days and logged all visits.",
    "",
    "I helped prepare the team's tender documents.",
    "",
]


def _leaders(today: datetime.date) -> dict[int, list[User]]:
    """{unit id: the people who lead it today or lead a unit above it, nearest first}."""
    units = {u.pk: u for u in OrgUnit.objects.all()}
    direct: dict[int, list[User]] = defaultdict(list)
    for m in (
        Membership.objects.filter(kind=Membership.Kind.SUPERVISOR, start_date__lte=today)
        .exclude(end_date__lt=today)
        .select_related("user")
        .order_by("user__username")
    ):
        direct[m.unit_id].append(m.user)
    leaders: dict[int, list[User]] = {}
    for pk, unit in units.items():
        chain, current = [], unit
        while current is not None:
            chain += direct.get(current.pk, [])
            current = units.get(current.parent_id)
        leaders[pk] = chain
    return leaders


def _rater(appraisal: Appraisal, leaders: dict[int, list[User]]) -> User | None:
    """The nearest leader of the appraisal's team who is not the person."""
    return next(
        (u for u in leaders.get(appraisal.unit_id, []) if u.pk != appraisal.person_id), None
    )


def _by_team(cycle: Cycle) -> dict[str, list[Appraisal]]:
    """{team code: its appraisals}, the showcase person first, then by username."""
    teams: dict[str, list[Appraisal]] = defaultdict(list)
    for appraisal in cycle.appraisals.select_related("person", "unit", "cycle__period").order_by(
        "unit__code", "person__username"
    ):
        teams[appraisal.unit.code].append(appraisal)
    for rows in teams.values():
        rows.sort(key=lambda a: (a.person.username != SHOWCASE_PERSON, a.person.username))
    return teams


def _rated_dimensions(cycle: Cycle) -> tuple[Dimension, Dimension]:
    """(work attitude, teamwork): the rated dimensions, the second one rated by peers."""
    rated = list(
        Dimension.objects.filter(
            template_id=cycle.template_id, method=Dimension.Method.RATED
        ).order_by("position", "pk")
    )
    attitude = next(d for d in rated if not d.rated_by_peers)
    teamwork = next(d for d in rated if d.rated_by_peers)
    return attitude, teamwork


def _self_assess(appraisal, dims, index: int, *, submit: bool, now) -> None:
    levels = SELF_LEVELS[index % len(SELF_LEVELS)]
    comment = SELF_COMMENTS[index % len(SELF_COMMENTS)]
    cycles.self_assessment_save(
        appraisal=appraisal,
        entries={dims[0].pk: (levels[0], comment), dims[1].pk: (levels[1], "")},
        submit=submit,
        acting_user=appraisal.person,
        now=now,
    )


def _peer_rate(team: list[Appraisal], teamwork: Dimension, *, count: int) -> None:
    """Each appraisal of the team rated on teamwork by the next `count` teammates who
    may (a teammate who also leads the team rates as the supervisor instead)."""
    for index, appraisal in enumerate(team):
        appraisal = _reload(appraisal)
        after = [team[(index + step) % len(team)].person for step in range(1, len(team))]
        peers = [p for p in after if can_peer_rate(p, appraisal)][:count]
        for step, peer in enumerate(peers, start=1):
            cycles.peer_rating_save(
                appraisal=appraisal,
                entries={teamwork.pk: (3 + (index + step) % 2, "")},
                acting_user=peer,
            )


def _rate(appraisal, dims, levels, rater, *, now) -> None:
    cycles.rating_save(
        appraisal=appraisal,
        entries={dim.pk: (level, COMMENTS[level]) for dim, level in zip(dims, levels, strict=True)},
        submit=True,
        acting_user=rater,
        now=now,
    )


def _reload(appraisal: Appraisal) -> Appraisal:
    return Appraisal.objects.select_related("person", "unit", "cycle__period").get(pk=appraisal.pk)


def _adjust(appraisal, dimension_id, score, reason, *, dept, when) -> None:
    adjustment = cycles.score_adjust(
        appraisal=appraisal,
        dimension_id=dimension_id,
        new_score=score,
        reason=reason,
        acting_user=dept,
    )
    # auto_now_add stamps "now"; the appraisal is not finalised yet, so it may be dated.
    Adjustment.objects.filter(pk=adjustment.pk).update(adjusted_at=when)


def _fill_missing(appraisal: Appraisal, dept: User, period: Period, *, when) -> None:
    """Calibration: the department scores the dimensions without figures (no target,
    no survey answer), with its reason; finalising refuses them otherwise."""
    rows = DimensionScore.objects.filter(appraisal=appraisal).select_related("dimension")
    for row in rows:
        if row.final_score is None:
            _adjust(
                appraisal,
                row.dimension_id,
                Decimal("60"),
                f"No {row.dimension.name.lower()} figures for {period.label}: scored 60 "
                "(meets expectations) from the supervisor's account of the quarter.",
                dept=dept,
                when=when,
            )


# --- the cycles -------------------------------------------------------------------------------


def _open(template, period, company, dept, *, when: datetime.datetime) -> Cycle:
    cycle = cycles.cycle_open(
        template=template,
        period=period,
        units=[company],
        acting_user=dept,
        today=timezone.localdate(when),
    )
    Cycle.objects.filter(pk=cycle.pk).update(opened_at=when)  # auto_now_add stamps "now"
    return cycle


def _past_cycle(
    template: AppraisalTemplate,
    period: Period,
    *,
    company: OrgUnit,
    dept: User,
    now: datetime.datetime,
) -> Cycle:
    """A quarter that has ended: self-assessments during its last weeks, peers and
    supervisors after it ended, calibration, then the showcase team's results."""
    end = period.end_date
    cycle = _open(template, period, company, dept, when=_at(end - datetime.timedelta(days=21), 9))
    after = timezone.make_aware(
        datetime.datetime.combine(end + datetime.timedelta(days=1), datetime.time(0))
    )
    dims = _rated_dimensions(cycle)
    leaders = _leaders(timezone.localdate(now))
    teams = _by_team(cycle)
    # Self-assessments in the quarter's last two weeks; the late team: half of them
    # sent, two drafts, two not started.
    for team, rows in teams.items():
        for index, appraisal in enumerate(rows):
            if team == LATE_TEAM and index >= len(rows) - 2:
                continue
            draft = team == LATE_TEAM and index >= len(rows) - 4
            when = _at(end - datetime.timedelta(days=14 - index % 10), 9 + index % 8)
            _self_assess(appraisal, dims, index, submit=not draft, now=when)
    # Peers rate teamwork before the supervisors (not in the late team).
    for team, rows in teams.items():
        if team != LATE_TEAM:
            _peer_rate(rows, dims[1], count=3 if team == SHOWCASE_TEAM else 2)
    PeerRating.objects.filter(appraisal__cycle=cycle).update(
        rated_at=_at(end - datetime.timedelta(days=3), 15)
    )
    # The supervisors rate in the first days after the quarter (not the late team).
    for team, rows in teams.items():
        if team == LATE_TEAM:
            continue
        pattern = GENEROUS_LEVELS if team == GENEROUS_TEAM else LEVELS
        for index, appraisal in enumerate(rows):
            rater = _rater(appraisal, leaders)
            if rater is None:
                continue
            levels = pattern[index % len(pattern)]
            when = _between(after, now, 0.1 + 0.1 * index / len(rows))
            _rate(_reload(appraisal), dims, levels, rater, now=when)
    # The figures of the whole quarter (finalising computes them again).
    computed_at = _between(after, now, 0.25)
    cycles.cycle_compute(cycle_id=cycle.pk, today=timezone.localdate(computed_at), now=computed_at)
    # Calibration: the department brings one of the generous ratings in line with the
    # peers' view.
    generous = teams.get(GENEROUS_TEAM, [])
    if generous:
        _adjust(
            _reload(generous[0]),
            dims[1].pk,
            Decimal("80"),
            "Calibration: the teammates rated teamwork 3 to 4 of 5, and the Guangzhou "
            "ratings are well above the other teams'; brought in line at level 4.",
            dept=dept,
            when=_between(after, now, 0.3),
        )
    _showcase(teams.get(SHOWCASE_TEAM, []), dims, period, dept=dept, after=after, now=now)
    return cycle


def _finalise(appraisal: Appraisal, dept, *, at: datetime.datetime) -> None:
    cycles.appraisal_finalise(
        appraisal=_reload(appraisal), acting_user=dept, today=timezone.localdate(at), now=at
    )


def _showcase(rows: list[Appraisal], dims, period: Period, *, dept, after, now) -> None:
    """The end of the workflow in the showcase team: released (the demo login), acknowledged,
    appealed, appeal resolved with a change, and one finalised after the release."""
    rows = [_reload(a) for a in rows if a.person.username != "sup.sh"][:5]
    if len(rows) < 5:
        return
    released, acknowledged, appealed, resolved, finalised = rows
    finalise_at = _between(after, now, 0.35)
    for appraisal in (released, acknowledged, appealed, resolved):
        _fill_missing(appraisal, dept, period, when=_between(after, now, 0.3))
        _finalise(appraisal, dept, at=finalise_at)
    # Released three days ago (or half-way when the quarter ended less than a week ago),
    # so the appeal window of the demo login is still open.
    release_at = max(_between(after, now, 0.5), now - datetime.timedelta(days=3))
    cycle = released.cycle
    cycles.cycle_release(cycle=cycle, acting_user=dept, now=release_at)
    cycles.appraisal_acknowledge(
        appraisal=_reload(acknowledged),
        acting_user=acknowledged.person,
        now=_between(release_at, now, 0.2),
    )
    appeals = [
        (
            appealed,
            "Two of my orders were booked in the first week of the next quarter because of "
            "the customer's approval; I ask that my revenue attainment takes them into account.",
            0.3,
        ),
        (
            resolved,
            "My work attitude was rated on the month I was on sick leave; the visit log shows "
            "every follow-up done on time in the other two months.",
            0.25,
        ),
    ]
    for appraisal, reason, share in appeals:
        cycles.appraisal_appeal(
            appraisal=_reload(appraisal),
            reason=reason,
            acting_user=appraisal.person,
            now=_between(release_at, now, share),
        )
    before = DimensionScore.objects.get(appraisal=resolved, dimension=dims[0]).final_score
    cycles.appeal_resolve(
        appraisal=_reload(resolved),
        outcome="changed",
        reason=(
            "The visit log confirms the follow-ups; the sick leave should not count. Work "
            "attitude raised by one level."
        ),
        changes={dims[0].pk: min((before or Decimal(60)) + Decimal(20), Decimal(100))},
        acting_user=dept,
        now=_between(release_at, now, 0.6),
    )
    # Finalised after the release: waits for the next release.
    late_at = _between(release_at, now, 0.7)
    _fill_missing(finalised, dept, period, when=_between(release_at, now, 0.65))
    _finalise(finalised, dept, at=late_at)


def _current_cycle(
    template: AppraisalTemplate,
    period: Period,
    *,
    company: OrgUnit,
    dept: User,
    now: datetime.datetime,
) -> Cycle:
    """The current quarter, in self-assessment: in each team the first half sent, one
    draft, the rest not started; in the showcase team a few peers have rated."""
    opened = min(_at(min(period.start_date + datetime.timedelta(days=3), period.end_date), 9), now)
    cycle = _open(template, period, company, dept, when=opened)
    dims = _rated_dimensions(cycle)
    for team, rows in _by_team(cycle).items():
        for index, appraisal in enumerate(rows):
            if index > len(rows) // 2:
                break
            when = _between(opened, now, 0.2 + 0.05 * index)
            _self_assess(appraisal, dims, index, submit=index < len(rows) // 2, now=when)
        if team == SHOWCASE_TEAM:
            _peer_rate(rows[:3], dims[1], count=2)
    cycles.cycle_compute(cycle_id=cycle.pk, today=timezone.localdate(now), now=now)
    return cycle


def _summary(cycle: Cycle) -> str:
    counts = Counter(cycle.appraisals.values_list("status", flat=True))
    states = ", ".join(f"{counts[s]} {s}" for s in Appraisal.Status.values if counts[s])
    return f"cycle {cycle.period.label}: {sum(counts.values())} appraisals ({states})"


def _seed_cycles(*, company: OrgUnit, dept: User, today: datetime.date) -> list[str]:
    calendar = org_demo.calendar(today)
    past = _quarter_starting(calendar.last_ended_quarter.start)
    current = _quarter_starting(calendar.current_quarter.start)
    now = _reference(today)
    lines = []
    for period, seeder in ((past, _past_cycle), (current, _current_cycle)):
        if period is None:
            continue
        template = _in_force(period)
        if template is None:
            lines.append(f"no cycle for {period.label}: no published quarterly version applies")
            continue
        cycle = Cycle.objects.filter(template=template, period=period).first()
        if cycle is None:
            cycle = seeder(template, period, company=company, dept=dept, now=now)
        lines.append(_summary(cycle))
    return lines


def seed(*, stdout, today: datetime.date) -> None:
    dept = User.objects.filter(username=DEPARTMENT).first()
    company = OrgUnit.objects.filter(code="qingyun").first()
    if dept is None or company is None:
        return
    versions = AppraisalTemplate.objects.filter(code=CODE)
    if not versions.exists():
        _seed_template(company=company, dept=dept, today=today)
    rows = versions.select_related("applies_from__fiscal_year").order_by("version")
    lines = []
    if not versions.filter(status=AppraisalTemplate.Status.DRAFT).exists() and not (
        _quarter_to_come(today)
    ):
        lines.append("no draft of the next version, because the calendar has no quarter to come")
    elif versions.filter(status=AppraisalTemplate.Status.DRAFT).exists():
        lines.append("the draft cannot be published until training records are kept")
    lines += _seed_cycles(company=company, dept=dept, today=today)
    stdout.write(
        f"Appraisal: {NAME}: "
        + "; ".join(f"v{t.version} {t.status} from {t.applies_from.label}" for t in rows)
        + "".join(f"; {line}" for line in lines)
        + "."
    )
