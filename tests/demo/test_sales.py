"""The demo sales (sales/demo.py) on the suite's day."""

import pytest
from django.utils import timezone

from sales.feedback import selectors as selectors_feedback
from sales.feedback.services import reports_flag_missing
from sales.models import Customer, SalesCredit, SalesRecord
from tests.demo.conftest import line

pytestmark = pytest.mark.today


def test_some_sales_are_split_between_teammates(demo):
    assert line(demo.out, "Sales: ").startswith("Sales: 328 customers, ")
    split = SalesCredit.objects.filter(share_pct__lt=100).values("record_id").distinct()
    assert split.count() > 0
    assert SalesRecord.objects.filter(pk__in=split).count() < SalesRecord.objects.count() / 2


def test_the_people_behind_missed_reports_and_their_supervisors_are_told(demo):
    today = timezone.localdate()
    assert reports_flag_missing(today=today) > 0
    owners = {c.owner for c in Customer.objects.select_related("owner")}
    missing = [
        selectors_feedback.report_status(person=p, today=today)["previous_missing"] for p in owners
    ]
    assert 0 < sum(1 for m in missing if m) < len(owners) / 2
