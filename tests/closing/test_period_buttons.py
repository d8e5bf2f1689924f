"""The periods page sends the department through the period close: an ended open
period offers "Close…" (the close's confirmation page), a closing one the close's
progress, a closed one "Reopen…" (with a reason, recorded by the close)."""

import datetime

import pytest
from django.urls import reverse

from org.services import period_transition
from tests.closing.helpers import period_of
from tests.conftest import local_moment

pytestmark = pytest.mark.django_db


@pytest.fixture
def year(org):
    from org.services import fiscal_year_create

    return fiscal_year_create(start_year=2026, start_month=1)


def test_buttons_follow_the_close(org, client_as, year, time_machine):
    time_machine.move_to(local_moment(datetime.date(2026, 3, 15)), tick=False)
    jan, feb, mar = (period_of(year, "month", n) for n in (1, 2, 3))
    period_transition(period=feb, to_status="closing", acting_user=org.department)
    period_transition(period=jan, to_status="closing", acting_user=org.department)
    period_transition(period=jan, to_status="closed", acting_user=org.department)

    page = client_as("department").get(reverse("periods")).content.decode()
    assert reverse("closing:reopen", args=[jan.pk]) in page
    assert reverse("closing:close", args=[jan.pk]) not in page
    assert reverse("closing:periods") in page  # February is being closed
    assert reverse("closing:close", args=[mar.pk]) not in page  # March has not ended
    assert f"/periods/{jan.pk}/transition/" not in page

    period_transition(period=mar, to_status="closing", acting_user=org.department)
    period_transition(period=mar, to_status="open", acting_user=org.department)
    time_machine.move_to(local_moment(datetime.date(2026, 4, 2)), tick=False)
    page = client_as("department").get(reverse("periods")).content.decode()
    assert reverse("closing:close", args=[mar.pk]) in page


def test_others_see_no_buttons(org, client_as, year):
    page = client_as("hr").get(reverse("periods"))
    assert page.status_code == 200
    assert reverse("closing:periods") not in page.content.decode()
