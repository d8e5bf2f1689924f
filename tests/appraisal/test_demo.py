"""The demo appraisal template loaded by `manage.py seed_demo` (appraisal/demo.py)."""

import io
from decimal import Decimal as D

import pytest
from django.core.management import call_command
from django.utils import timezone

from appraisal import demo, domain, selectors
from appraisal.models import AppraisalTemplate, Dimension, GradeBand
from notifications.models import Notification
from org.models import FiscalYear, Period, User


def counts():
    return (
        AppraisalTemplate.objects.count(),
        AppraisalTemplate.history.count(),
        Dimension.objects.count(),
        GradeBand.objects.count(),
        Notification.objects.filter(kind="appraisal_template_published").count(),
    )


def forget_the_demo_template():
    AppraisalTemplate.objects.filter(code=demo.CODE).delete()
    Notification.objects.filter(kind="appraisal_template_published").delete()


def seed(today):
    out = io.StringIO()
    demo.seed(stdout=out, today=today)
    return out.getvalue()


@pytest.fixture
def loaded(db, capsys, django_capture_on_commit_callbacks):
    """The whole demo, loaded once through seed_demo (today's date decides whether the
    appraisal part found a quarter to come)."""
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", quiet=True)
    today = timezone.localdate()
    fiscal_year = FiscalYear.objects.get(start_date__lte=today, end_date__gte=today)
    return capsys.readouterr().out, fiscal_year


def test_the_demo_template_is_published_ahead_with_a_draft_v2_and_is_idempotent(
    loaded, django_capture_on_commit_callbacks
):
    out, fiscal_year = loaded
    assert "Appraisal: " in out  # seed_demo found and ran appraisal/demo.py
    forget_the_demo_template()
    quarters = list(fiscal_year.periods.filter(kind=Period.Kind.QUARTER).order_by("start_date"))
    with django_capture_on_commit_callbacks(execute=True):
        printed = seed(fiscal_year.start_date)  # the first quarter has just started
    assert printed == (
        f"Appraisal: Sales performance appraisal: v1 published from {quarters[1].label}; "
        f"v2 draft from {quarters[2].label}."
    )
    v1, v2 = AppraisalTemplate.objects.filter(code=demo.CODE).order_by("version")
    assert (v1.name_zh, v1.period_kind, v1.status) == ("销售绩效考核方案", "quarter", "published")
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
    assert teamwork.rated_by_peers and not attitude.rated_by_peers
    assert [(b.grade, b.min_score) for b in v1.grades.all()] == [
        ("S", D("110.00")),
        ("A", D("95.00")),
        ("B", D("80.00")),
        ("C", D("60.00")),
        ("D", D("0.00")),
    ]
    # v2, being edited, adds training participation and is publishable as it stands
    assert v2.status == "draft" and v2.applies_from == quarters[2]
    assert {d.name: d.weight for d in v2.dimensions.all()}["Training participation"] == D("5")
    assert selectors.publication_problems(template=v2, today=fiscal_year.start_date) == []
    # every salesperson was told, and sees the template
    wei = User.objects.get(username="wei.zhang")
    assert Notification.objects.filter(recipient=wei, kind="appraisal_template_published").exists()
    assert Notification.objects.filter(kind="appraisal_template_published").count() >= 40
    assert selectors.templates_for_person(person=wei, on=fiscal_year.start_date) == [v1]

    before = counts()
    assert seed(fiscal_year.start_date) == printed
    assert seed(quarters[3].start_date) == printed
    assert counts() == before


def test_with_every_quarter_started_the_demo_publishes_a_monthly_template(loaded):
    _out, fiscal_year = loaded
    forget_the_demo_template()
    months = list(fiscal_year.periods.filter(kind=Period.Kind.MONTH).order_by("start_date"))
    printed = seed(months[-3].start_date)  # the last quarter has started
    assert f"v1 published from {months[-2].label}" in printed
    v1 = AppraisalTemplate.objects.get(code="sales-performance", version=1)
    assert (v1.period_kind, v1.applies_from) == ("month", months[-2])


def test_without_a_month_to_come_the_demo_creates_no_template_and_says_why(loaded):
    _out, fiscal_year = loaded
    forget_the_demo_template()
    before = counts()
    last = fiscal_year.periods.filter(kind=Period.Kind.MONTH).order_by("start_date").last()
    printed = seed(last.start_date)
    assert "no demo template, because every month of the current fiscal year has started" in (
        printed
    )
    assert counts() == before
    assert FiscalYear.objects.count() == 2  # no fiscal year was made for it
