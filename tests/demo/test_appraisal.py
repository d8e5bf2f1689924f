"""The demo appraisals (appraisal/demo.py) on the suite's day."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.utils import timezone

from appraisal import demo as appraisal_demo
from appraisal.models import Adjustment, AppraisalTemplate, Cycle
from appraisal.template import domain, selectors
from notifications.models import Notification
from org.models import Period, User
from tests.demo.conftest import line

pytestmark = pytest.mark.today


def quarter_starting(day) -> Period:
    return Period.objects.select_related("fiscal_year").get(kind="quarter", start_date=day)


def test_the_summary_shows_the_past_cycle_in_every_state(demo):
    past = quarter_starting(demo.calendar.last_ended_quarter.start)
    current = quarter_starting(demo.calendar.current_quarter.start)
    text = line(demo.out, "Appraisal: ")
    assert text.startswith(
        f"Appraisal: Sales performance appraisal: v1 published from {past.label}"
    )
    assert (
        f"cycle {past.label}: 41 appraisals (4 open, 4 self_assessed, 28 rated, 1 finalised, "
        "1 released, 1 acknowledged, 1 appealed, 1 resolved)"
    ) in text
    assert f"cycle {current.label}: 41 appraisals (21 open, 20 self_assessed)" in text


def test_the_template_is_the_published_method(demo):
    v1 = AppraisalTemplate.objects.get(code=appraisal_demo.CODE, version=1)
    assert (v1.name_zh, v1.period_kind) == ("销售绩效考核方案", "quarter")
    assert [u.code for u in v1.units.all()] == ["qingyun"]
    assert [
        (d.name, d.weight, d.method, d.rated_by_self, d.rated_by_peers) for d in v1.dimensions.all()
    ] == [
        ("Revenue attainment", D("50.00"), "attainment", False, False),
        ("Customer satisfaction", D("20.00"), "satisfaction", False, False),
        ("Work attitude", D("15.00"), "rated", True, False),
        ("Teamwork", D("15.00"), "rated", True, True),
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
    wei = User.objects.get(username="wei.zhang")
    assert selectors.templates_for_person(person=wei, on=demo.today) == [v1]
    assert Notification.objects.filter(recipient=wei, kind="appraisal_template_published").exists()


def test_the_next_version_is_a_draft_that_says_it_cannot_be_published_yet(demo):
    """Version 2 adds training participation: until training records are kept,
    publication refuses it, naming the dimension and the reason, and nothing else."""
    drafts = AppraisalTemplate.objects.filter(code=appraisal_demo.CODE, status="draft")
    if not Period.objects.filter(kind="quarter", start_date__gt=demo.today).exists():
        assert not drafts.exists()
        assert "no draft of the next version" in line(demo.out, "Appraisal: ")
        return
    v2 = drafts.get()
    assert v2.applies_from.start_date > demo.today
    assert {d.name: d.weight for d in v2.dimensions.all()}["Training participation"] == D("5")
    problems = selectors.publication_problems(template=v2, today=demo.today)
    assert len(problems) == 1
    assert problems[0].startswith("Training participation: training participation cannot")
    assert "no training records are kept" in problems[0]
    assert "cannot be published until training records are kept" in v2.description
    assert "the draft cannot be published until training records are kept" in line(
        demo.out, "Appraisal: "
    )


def test_a_generous_rating_was_brought_in_line_with_a_reason(demo):
    past = Cycle.objects.get(period__start_date=demo.calendar.last_ended_quarter.start)
    adjustment = Adjustment.objects.get(
        appraisal__cycle=past, appraisal__unit__code=appraisal_demo.GENEROUS_TEAM
    )
    assert (adjustment.old_score, adjustment.new_score) == (D("100.00"), D("80.00"))
    assert adjustment.reason
    assert adjustment.adjusted_at <= timezone.now()
