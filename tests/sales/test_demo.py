"""The demo sales loaded by `manage.py seed_demo` (sales/demo.py)."""

import pytest
from django.core.management import call_command
from django.utils import timezone

from sales import selectors, selectors_feedback
from sales.models import (
    Contact,
    Customer,
    FollowUp,
    MonthTotal,
    ProgressReport,
    SalesCredit,
    SalesRecord,
    SatisfactionResponse,
)
from sales.services_feedback import reports_flag_missing


def counts():
    return {
        model.__name__: model.objects.count()
        for model in (
            Customer,
            Contact,
            FollowUp,
            SalesRecord,
            SalesCredit,
            MonthTotal,
            ProgressReport,
            SatisfactionResponse,
        )
    } | {"SalesRecord.history": SalesRecord.history.count()}


@pytest.fixture
def demo(db, capsys, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        call_command("seed_demo", quiet=True)
    return capsys.readouterr().out


def test_the_demo_sells_to_customers_with_splits_and_a_cancellation(demo):
    assert "Sales: " in demo
    today = timezone.localdate()
    records = SalesRecord.objects.all()
    # Three to six records a month per salesperson, from the year's first month.
    assert records.count() >= 3 * 40
    assert not records.filter(date__gt=today).exists()
    assert records.filter(status=SalesRecord.Status.CANCELLED).count() == 1
    # Some records are split between teammates, and every split adds up to 100 %.
    split = SalesCredit.objects.filter(share_pct__lt=100).values("record_id").distinct()
    assert split.count() > 0 or records.count() < 400
    for record in records.filter(pk__in=split)[:20]:
        assert sum(c.share_pct for c in record.credits.all()) == 100
    assert Customer.objects.filter(status=Customer.Status.PROSPECT).exists()
    owners = Customer.objects.values("owner_id").distinct().count()
    assert Customer.objects.filter(status=Customer.Status.ACTIVE).count() == 6 * owners
    assert FollowUp.objects.filter(done=False, next_action_on__lte=today).exists()


def test_the_monthly_totals_match_the_credits(demo):
    assert selectors.month_totals_stored() == selectors.month_totals_from_credits()


def test_a_second_run_changes_nothing(demo):
    before = counts()
    call_command("seed_demo", quiet=True)
    assert counts() == before


def test_most_reports_are_in_some_are_missing_and_surveys_have_answers(demo):
    today = timezone.localdate()
    assert ProgressReport.objects.filter(submitted_at__isnull=False).count() > 100
    assert ProgressReport.objects.exclude(supervisor_comment="").exists()
    # The people behind missed their latest report: their supervisors are told.
    assert reports_flag_missing(today=today) > 0
    owners = {c.owner for c in Customer.objects.select_related("owner")}
    missing = [
        selectors_feedback.report_status(person=p, today=today)["previous_missing"] for p in owners
    ]
    assert 0 < sum(1 for m in missing if m) < len(owners) / 2
    assert SatisfactionResponse.objects.count() > 100
    assert set(SatisfactionResponse.objects.values_list("score", flat=True)) <= {1, 2, 3, 4, 5}
