"""The demo appraisals loaded by `manage.py seed_demo` (appraisal/demo.py).

The demo works relative to the real today; the tests fix "now" (django.utils.timezone.now,
which timezone.localdate, auto_now fields and the history use too) so that they do not
depend on the day they run.
"""

import datetime
import io
from collections import Counter
from decimal import Decimal as D
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils import timezone

from appraisal import demo, domain, domain_cycles, selectors
from appraisal.models import (
    Adjustment,
    Appraisal,
    AppraisalResult,
    AppraisalTemplate,
    Cycle,
    DimensionScore,
    GradeBand,
    PeerRating,
)
from notifications.models import Notification
from org.models import FiscalYear, Period, User

SHANGHAI = ZoneInfo("Asia/Shanghai")


def moment(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=SHANGHAI).astimezone(datetime.UTC)


def freeze(monkeypatch, when: datetime.datetime) -> None:
    monkeypatch.setattr(timezone, "now", lambda: when)


def seed_demo(django_capture_on_commit_callbacks) -> str:
    out = io.StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", quiet=True, stdout=out)
    return out.getvalue()


def appraisal_line(out: str) -> str:
    return next(line for line in out.splitlines() if line.startswith("Appraisal: "))


def counts():
    return (
        AppraisalTemplate.objects.count(),
        AppraisalTemplate.history.count(),
        Cycle.objects.count(),
        Appraisal.objects.count(),
        Appraisal.history.count(),
        DimensionScore.objects.count(),
        DimensionScore.history.count(),
        PeerRating.objects.count(),
        Adjustment.objects.count(),
        AppraisalResult.objects.count(),
        GradeBand.objects.count(),
        Notification.objects.count(),
    )


def quarters(day: datetime.date) -> list[Period]:
    fiscal_year = FiscalYear.objects.get(start_date__lte=day, end_date__gte=day)
    return list(
        fiscal_year.periods.filter(kind=Period.Kind.QUARTER)
        .select_related("fiscal_year")
        .order_by("start_date")
    )


def statuses(cycle: Cycle) -> Counter:
    return Counter(cycle.appraisals.values_list("status", flat=True))


def by_person(cycle: Cycle) -> dict[str, Appraisal]:
    return {a.person.username: a for a in cycle.appraisals.select_related("person", "unit")}


def rated_means(cycle: Cycle) -> dict[int, list[D]]:
    """{rater id: per appraisal, the mean of the supervisor's rated scores}."""
    scores: dict[int, list[D]] = {}
    for appraisal in cycle.appraisals.filter(rated_by__isnull=False):
        rated = [
            row.score
            for row in appraisal.scores.filter(dimension__method="rated", score__isnull=False)
        ]
        scores.setdefault(appraisal.rated_by_id, []).append(sum(rated) / len(rated))
    return scores


NOW = moment(2026, 11, 27, 10, 0)  # the brief's "today": FY2026 Q4, Q3 ended
JUST_AFTER = moment(2026, 10, 1, 0, 30)  # half an hour after FY2026 Q3 ended


@pytest.mark.parametrize("now", [NOW, JUST_AFTER], ids=["weeks-after", "minutes-after"])
def test_the_demo_has_a_past_cycle_in_every_state_and_a_current_one_in_self_assessment(
    db, monkeypatch, django_capture_on_commit_callbacks, now
):
    freeze(monkeypatch, now)
    today = timezone.localdate()
    out = seed_demo(django_capture_on_commit_callbacks)
    _q1, _q2, q3, q4 = quarters(today)
    assert appraisal_line(out) == (
        "Appraisal: Sales performance appraisal: v1 published from FY2026 Q3; no draft of "
        "the next version, because the calendar has no quarter to come; cycle FY2026 Q3: 41 "
        "appraisals (4 open, 4 self_assessed, 28 rated, 1 finalised, 1 released, "
        "1 acknowledged, 1 appealed, 1 resolved); cycle FY2026 Q4: 41 appraisals (21 open, "
        "20 self_assessed)."
    )

    # The template applies from the past quarter: published two weeks before it began.
    v1 = AppraisalTemplate.objects.get(code=demo.CODE)
    assert (v1.version, v1.status, v1.period_kind, v1.applies_from) == (
        1,
        "published",
        "quarter",
        q3,
    )
    published_on = timezone.localdate(v1.published_at)
    assert published_on == q3.start_date - datetime.timedelta(days=14)
    assert v1.created_at < v1.published_at
    assert v1.history.get(history_change_reason="published").history_date == v1.published_at
    assert all(h.history_date <= v1.published_at for h in v1.history.all())
    assert [(d.name, d.rated_by_self, d.rated_by_peers) for d in v1.dimensions.all()] == [
        ("Revenue attainment", False, False),
        ("Customer satisfaction", False, False),
        ("Work attitude", True, False),
        ("Teamwork", True, True),
    ]

    past = Cycle.objects.get(template=v1, period=q3)
    current = Cycle.objects.get(template=v1, period=q4)
    assert past.opened_at < timezone.make_aware(
        datetime.datetime.combine(q3.end_date, datetime.time())
    )
    # Every step of the past cycle happened after the quarter ended (except the
    # self-assessments) and before now.
    end_of_q3 = datetime.datetime.combine(q3.end_date, datetime.time.max).replace(tzinfo=SHANGHAI)
    people = by_person(past)
    for appraisal in people.values():
        if appraisal.self_submitted_at:
            assert past.opened_at <= appraisal.self_submitted_at <= end_of_q3
        for stamp in (
            appraisal.rated_at,
            appraisal.finalised_at,
            appraisal.released_at,
            appraisal.acknowledged_at,
            appraisal.appealed_at,
            appraisal.resolved_at,
        ):
            assert stamp is None or end_of_q3 < stamp <= now
    assert (
        Adjustment.objects.filter(appraisal__cycle=past).exclude(adjusted_at__lte=now).count() == 0
    )

    # The end of the workflow, in the Shanghai team; the demo login can still appeal.
    wei = people["wei.zhang"]
    assert (wei.status, wei.unit.code) == ("released", "sh-key")
    assert domain_cycles.appeal_open(wei.released_at, settings.APPRAISAL_APPEAL_DAYS, now)
    final = {a.status: a for a in people.values() if a.finalised_at is not None}
    assert set(final) == {"finalised", "released", "acknowledged", "appealed", "resolved"}
    assert {a.unit.code for a in final.values()} == {"sh-key"}
    assert final["finalised"].released_at is None
    assert final["finalised"].finalised_at > wei.released_at
    assert final["acknowledged"].acknowledged_at > wei.released_at
    assert final["appealed"].appeal_reason and final["appealed"].resolved_at is None
    resolved = final["resolved"]
    assert resolved.resolution == "changed" and resolved.resolution_reason
    v1_result, v2_result = resolved.results.order_by("version")
    assert (v1_result.version, v2_result.version) == (1, 2)
    assert v2_result.reason == resolved.resolution_reason
    assert v2_result.score > v1_result.score
    for appraisal in final.values():
        working = appraisal.results.order_by("version").first().working
        assert len(working["lines"]) == 4
        assert all(line["final_score"] is not None for line in working["lines"])
        assert working["grade"] in {"S", "A", "B", "C", "D"}

    # The waiting ones: the late team (Shenzhen) is not rated; the supervisor's own
    # appraisal is rated by the regional supervisor.
    late = [a for a in people.values() if a.unit.code == demo.LATE_TEAM]
    assert Counter(a.status for a in late) == {"open": 4, "self_assessed": 4}
    assert people["sup.sh"].rated_by.username == "east.wang"
    assert all(a.rated_by_id != a.person_id for a in people.values() if a.rated_by_id is not None)
    # Peers rated teamwork (never a supervisor of the team), at least two each outside
    # the late team.
    peers = Counter(
        PeerRating.objects.filter(appraisal__cycle=past).values_list("appraisal_id", flat=True)
    )
    assert all(peers[a.pk] >= 2 for a in people.values() if a.unit.code != demo.LATE_TEAM)
    assert not PeerRating.objects.filter(rater__username__startswith="sup.").exists()

    # Calibration: the Guangzhou supervisor stands out, nobody else does; one of his
    # ratings was brought in line, with the reason.
    gap = D(settings.APPRAISAL_OUTLIER_POINTS)
    flagged = domain_cycles.outliers(rated_means(past), gap=gap)
    assert {User.objects.get(pk=pk).username for pk in flagged} == {"sup.gz"}
    assert all(diff > 0 for diff in flagged.values())
    adjustment = Adjustment.objects.get(appraisal__cycle=past, appraisal__unit__code="gz")
    assert (adjustment.old_score, adjustment.new_score) == (D("100.00"), D("80.00"))
    assert adjustment.reason

    # The current quarter: self-assessments only, figures computed.
    assert set(statuses(current)) == {"open", "self_assessed"}
    assert current.computed_at is not None
    assert not DimensionScore.objects.filter(appraisal__cycle=current, level__isnull=False)
    assert DimensionScore.objects.filter(
        appraisal__cycle=current, appraisal__status="open", self_level__isnull=False
    ).exists()  # a draft
    assert PeerRating.objects.filter(appraisal__cycle=current).exists()
    assert (
        Notification.objects.filter(
            recipient__username="wei.zhang", kind="appraisal_cycle_opened"
        ).count()
        == 2
    )
    assert Notification.objects.filter(kind="appraisal_released").count() == 4

    if now == NOW:  # idempotent
        before = counts()
        assert appraisal_line(seed_demo(django_capture_on_commit_callbacks)) == appraisal_line(out)
        assert counts() == before


def test_in_the_first_quarter_the_demo_opens_the_current_cycle_and_drafts_v2(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    freeze(monkeypatch, moment(2026, 2, 10, 11, 0))
    today = timezone.localdate()
    out = seed_demo(django_capture_on_commit_callbacks)
    q1, q2, _q3, _q4 = quarters(today)
    assert appraisal_line(out) == (
        "Appraisal: Sales performance appraisal: v1 published from FY2026 Q1; v2 draft from "
        "FY2026 Q2; no cycle for a past quarter, because no quarter of FY2026 has ended yet; "
        "cycle FY2026 Q1: 36 appraisals (20 open, 16 self_assessed)."
    )
    v1, v2 = AppraisalTemplate.objects.filter(code=demo.CODE).order_by("version")
    assert (v1.name_zh, v1.period_kind, v1.status, v1.applies_from) == (
        "销售绩效考核方案",
        "quarter",
        "published",
        q1,
    )
    assert timezone.localdate(v1.published_at) < q1.start_date
    assert [u.code for u in v1.units.all()] == ["qingyun"]
    assert [(d.name, d.weight, d.method) for d in v1.dimensions.all()] == [
        ("Revenue attainment", D("50.00"), "attainment"),
        ("Customer satisfaction", D("20.00"), "satisfaction"),
        ("Work attitude", D("15.00"), "rated"),
        ("Teamwork", D("15.00"), "rated"),
    ]
    revenue, satisfaction, attitude, teamwork = v1.dimensions.all()
    assert revenue.metric.code == "revenue"
    curve = domain.parse_curve(revenue.curve)
    assert [domain.curve_score(curve, D(v)) for v in ("59", "60", "100", "130")] == [
        D("0.00"),
        D("60.00"),
        D("100.00"),
        D("120.00"),
    ]
    assert domain.curve_score(domain.parse_curve(satisfaction.curve), D("4.6")) == D("100.00")
    for rated in (attitude, teamwork):
        levels = domain.parse_scale(rated.scale)
        assert len(levels) == 5 and all(lv.anchor and lv.anchor_zh for lv in levels)
    assert [(b.grade, b.min_score) for b in v1.grades.all()] == [
        ("S", D("110.00")),
        ("A", D("95.00")),
        ("B", D("80.00")),
        ("C", D("60.00")),
        ("D", D("0.00")),
    ]
    # v2, being edited, adds training participation and is publishable as it stands
    assert v2.status == "draft" and v2.applies_from == q2
    assert {d.name: d.weight for d in v2.dimensions.all()}["Training participation"] == D("5")
    assert selectors.publication_problems(template=v2, today=today) == []
    # every salesperson was told of the template and of the cycle
    wei = User.objects.get(username="wei.zhang")
    assert Notification.objects.filter(recipient=wei, kind="appraisal_template_published").exists()
    assert Notification.objects.filter(kind="appraisal_template_published").count() >= 40
    # the five newest salespeople join their teams in the third month: not appraised
    assert Notification.objects.filter(kind="appraisal_cycle_opened").count() == 36
    assert selectors.templates_for_person(person=wei, on=today) == [v1]
    cycle = Cycle.objects.get()
    assert (cycle.template, cycle.period) == (v1, q1)
    assert not AppraisalResult.objects.exists()


def test_without_a_quarterly_version_in_force_the_demo_opens_no_cycle_and_says_why(
    db, monkeypatch, django_capture_on_commit_callbacks
):
    """A database seeded by an earlier demo (a monthly template from a later period)."""
    freeze(monkeypatch, moment(2026, 11, 27, 10, 0))
    original = demo.seed
    monkeypatch.setattr(demo, "seed", lambda **kwargs: None)
    seed_demo(django_capture_on_commit_callbacks)  # everything but the appraisals
    today = timezone.localdate()
    december = Period.objects.get(kind=Period.Kind.MONTH, start_date=datetime.date(2026, 12, 1))
    demo._publish_v1(
        period=december,
        company=demo.OrgUnit.objects.get(code="qingyun"),
        dept=User.objects.get(username=demo.DEPARTMENT),
    )
    out = io.StringIO()
    original(stdout=out, today=today)
    assert out.getvalue() == (
        "Appraisal: Sales performance appraisal: v1 published from December 2026; no draft of "
        "the next version, because the calendar has no quarter to come; no cycle for FY2026 "
        "Q3: no published quarterly version applies; no cycle for FY2026 Q4: no published "
        "quarterly version applies."
    )
    assert not Cycle.objects.exists()
