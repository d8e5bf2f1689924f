"""The demo targets loaded by `manage.py seed_demo` (targets/demo.py)."""

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from notifications.models import Notification
from org.models import FiscalYear, Membership, OrgUnit, Period, User
from targets import services
from targets.models import (
    Adjustment,
    Metric,
    SalesPlan,
    SalesPlanVersion,
    SeasonalityProfile,
    Target,
)


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Metric,
            SeasonalityProfile,
            Target,
            Adjustment,
            SalesPlan,
            SalesPlanVersion,
            Notification,
        )
    } | {"Target.history": Target.history.count()}


@pytest.fixture
def demo(db, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # the notifications
        call_command("seed_demo", quiet=True)
    out = capsys.readouterr().out
    fiscal_year = FiscalYear.objects.get(
        start_date__lte=timezone.localdate(), end_date__gte=timezone.localdate()
    )
    return out, fiscal_year, fiscal_year.periods.get(kind=Period.Kind.YEAR)


def test_the_demo_prints_a_summary_and_a_second_run_changes_nothing(demo, capsys):
    out, fiscal_year, _year = demo
    assert f"Targets: 4 metrics, 2 seasonality profiles; {fiscal_year.name}:" in out
    before = counts()
    assert before["Target"] > 2000 and before["Notification"] > 40
    call_command("seed_demo", quiet=True)
    assert counts() == before


def _the_demo_has_the_four_metrics_in_english_and_chinese(demo):
    metrics = {m.code: m for m in Metric.objects.all()}
    assert set(metrics) == {"revenue", "gross_margin", "new_customers", "collections"}
    assert [metrics[c].name_zh for c in ("revenue", "gross_margin", "new_customers")] == [
        "营业收入",
        "毛利",
        "新客户数",
    ]
    assert metrics["collections"].name_zh == "回款额"
    assert metrics["new_customers"].decimal_places == 0
    assert metrics["gross_margin"].source == Metric.Source.MARGIN
    assert all(m.description for m in metrics.values())


def _the_demo_seasonality_profile_adds_up_to_100_and_has_a_slow_new_year_month(demo):
    profile = SeasonalityProfile.objects.get(name="Instrument sales season")
    weights = profile.weight_values
    assert len(weights) == 12 and sum(weights) == 100
    assert min(weights) == Decimal(4)  # the Chinese New Year month
    assert SeasonalityProfile.objects.get(name="Equal months").method == "equal"


def _every_salesperson_has_a_published_revenue_target_for_the_year(demo):
    _out, _fy, year = demo
    sellers = User.objects.filter(
        role_assignments__role="salesperson",
        memberships__kind=Membership.Kind.MEMBER,
        memberships__start_date__lte=year.end_date,
    ).distinct()
    assert sellers.count() >= 40
    for metric in ("revenue", "gross_margin", "collections"):
        published = set(
            Target.objects.filter(
                metric__code=metric,
                period=year,
                person__isnull=False,
                status=Target.Status.PUBLISHED,
            ).values_list("person_id", flat=True)
        )
        assert set(sellers.values_list("pk", flat=True)) <= published, metric


def _every_teams_person_targets_are_within_the_tolerance_in_every_period(demo):
    _out, fiscal_year, year = demo
    low, high = services.tolerance()
    revenue = Metric.objects.get(code="revenue")
    for team in OrgUnit.objects.filter(kind=OrgUnit.Kind.TEAM):
        for period in fiscal_year.periods.all():
            parent = Target.objects.get(metric=revenue, period=period, unit=team)
            total = sum(
                Target.objects.filter(metric=revenue, period=period, team=team).values_list(
                    "value", flat=True
                ),
                Decimal(0),
            )
            assert parent.value * low / 100 <= total <= parent.value * high / 100, (team, period)
    assert services.publication_problems(metric=revenue, fiscal_year_id=fiscal_year.pk) == [
        "There are no draft Revenue targets to publish."
    ]
    company = Target.objects.get(metric=revenue, period=year, unit__code="qingyun")
    assert company.value == Decimal("48000000.00")


def _the_newcomer_of_a_team_has_a_prorated_target_that_says_so(demo):
    _out, _fy, year = demo
    newcomers = Target.objects.filter(
        metric__code="revenue", period=year, basis__contains="prorated"
    )
    assert newcomers.count() >= 5  # one per team, and the person who moved team
    for target in newcomers:
        full = (
            Target.objects.filter(metric__code="revenue", period=year, team=target.team)
            .exclude(basis__contains="prorated")
            .first()
        )
        assert target.value < full.value


def _new_customer_targets_are_drafts_for_the_company_and_its_regions_only(demo):
    drafts = Target.objects.filter(metric__code="new_customers").select_related("unit")
    assert {t.unit.code for t in drafts} == {"qingyun", "east", "south"}
    assert {t.status for t in drafts} == {Target.Status.DRAFT}
    assert (
        sum(t.value for t in drafts if t.unit.kind == "region")
        == drafts.get(unit__code="qingyun").value
    )


def _some_targets_are_acknowledged_but_not_all_and_one_adjustment_waits(demo):
    _out, _fy, year = demo
    people = Target.objects.filter(metric__code="revenue", period=year, person__isnull=False)
    acknowledged = people.filter(acknowledged_at__isnull=False)
    assert 0 < acknowledged.count() < people.count()
    assert not acknowledged.filter(person__username="wei.zhang").exists()
    adjustment = Adjustment.objects.get()
    assert adjustment.status == Adjustment.Status.PENDING
    assert adjustment.kind == Adjustment.Reason.QUOTA_RELIEF
    assert adjustment.new_value < adjustment.old_value and adjustment.reason


def _the_demo_plans_are_approved_submitted_and_returned_with_two_versions(demo):
    plans = {p.status: p for p in SalesPlan.objects.all()}
    assert set(plans) == {"approved", "submitted", "returned"}
    returned = plans["returned"]
    assert returned.versions.count() == 2
    assert all(v.review_comment for v in returned.versions.all())
    assert plans["approved"].versions.get().decision == "approved"


# Loading the demo takes seconds: each test below loads it once and checks several things.


def test_revenue_is_published_for_every_salesperson_within_the_tolerance_everywhere(demo):
    _every_salesperson_has_a_published_revenue_target_for_the_year(demo)
    _every_teams_person_targets_are_within_the_tolerance_in_every_period(demo)
    _the_newcomer_of_a_team_has_a_prorated_target_that_says_so(demo)


def test_the_demo_catalogue_drafts_acknowledgements_adjustment_and_plans(demo):
    _the_demo_has_the_four_metrics_in_english_and_chinese(demo)
    _the_demo_seasonality_profile_adds_up_to_100_and_has_a_slow_new_year_month(demo)
    _new_customer_targets_are_drafts_for_the_company_and_its_regions_only(demo)
    _some_targets_are_acknowledged_but_not_all_and_one_adjustment_waits(demo)
    _the_demo_plans_are_approved_submitted_and_returned_with_two_versions(demo)
    assert (
        Notification.objects.filter(
            recipient__username="wei.zhang", kind="target_published"
        ).count()
        == 3
    )  # revenue, gross margin, collections
    assert Notification.objects.filter(kind="adjustment_requested").exists()
