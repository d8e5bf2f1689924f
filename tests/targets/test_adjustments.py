"""Adjustment requests: who asks, who decides, what refuses, and what changes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from notifications.models import Notification
from targets.models import Adjustment, Target
from tests.conftest import PERSONAS, by_persona
from tests.targets.helpers_core import close
from tests.targets.helpers_mine import publish_targets


@pytest.fixture
def published(org, time_machine):
    # FY2026, whose months the messages name: today is pinned inside it.
    time_machine.move_to("2026-08-19 10:00 +08:00")
    return publish_targets(org)


def new_url(target):
    return reverse("targets:adjustment-new", args=[target.pk])


def request_data(published, **overrides):
    data = {
        "new_value": "108000.00",
        "kind": "quota_relief",
        "reason": "Lost the Metro tender.",
        "effective_period": published.fy.months[6].pk,  # the 7th month
    }
    data.update(overrides)
    return data


def months_of(target):
    return list(
        Target.objects.filter(
            metric=target.metric,
            person_id=target.person_id,
            unit_id=target.unit_id,
            period__kind="month",
        ).order_by("period__start_date")
    )


# --- asking --------------------------------------------------------------------------


def test_supervisor_requests_an_adjustment_and_the_department_is_told(
    client_as, org, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("supervisor").post(new_url(published.sam), request_data(published))
    assert response.status_code == 302
    adjustment = Adjustment.objects.get()
    assert adjustment.status == Adjustment.Status.PENDING
    assert adjustment.old_value == Decimal("120000.00")
    assert adjustment.new_value == Decimal("108000.00")
    assert adjustment.requested_by == org.supervisor
    published.sam.refresh_from_db()
    assert published.sam.value == Decimal("120000.00")  # unchanged until approved
    told = Notification.objects.filter(kind="adjustment_requested")
    assert list(told.values_list("recipient", flat=True)) == [org.department.pk]


def test_the_form_offers_only_the_periods_from_the_first_open_month_on(client_as, published):
    fy = published.fy
    close(fy.months[0])
    response = client_as("supervisor").get(new_url(published.sam))
    assert response.status_code == 200
    form = response.context["form"]
    choices = {int(str(pk)) for pk, _label in form.fields["effective_period"].choices}
    # January is closed: the year and the first quarter start with it, so they are
    # not offered; the list starts in February.
    assert choices == {p.pk for p in [fy.months[1], fy.months[2], *fy.quarters[1:], *fy.months[3:]]}
    assert form.initial["effective_period"] == fy.months[1].pk
    for refused_period in (fy.months[0], fy.quarters[0], fy.year):
        refused = client_as("supervisor").post(
            new_url(published.sam), request_data(published, effective_period=refused_period.pk)
        )
        assert refused.status_code == 400
        assert refused.context["form"].errors["effective_period"] == [
            "This period starts before February 2026, the first month still open: months "
            "that are closing or closed never change. Choose February 2026 or a later period."
        ]
    assert not Adjustment.objects.exists()


def test_a_month_that_closes_while_the_form_is_open_is_named_by_the_service(
    client_as, published, monkeypatch
):
    """The form offered January; January is closed when the request is made: the
    service refuses it on the field, and nothing is written."""
    from targets import selectors

    fy = published.fy
    offered = selectors.adjustment_periods(target=published.sam, first=fy.months[0])
    monkeypatch.setattr(selectors, "adjustment_periods", lambda **kwargs: offered)
    monkeypatch.setattr(selectors, "first_adjustable_month", lambda **kwargs: fy.months[0])
    close(fy.months[0])
    before = list(Target.objects.values_list("pk", "value"))
    response = client_as("supervisor").post(
        new_url(published.sam), request_data(published, effective_period=fy.quarters[0].pk)
    )
    assert response.status_code == 400
    assert response.context["form"].errors["effective_period"] == [
        "January 2026 is closed: its target cannot change, so an adjustment cannot take "
        "effect from FY2026 Q1. Choose February 2026 or a later period."
    ]
    assert not Adjustment.objects.exists()
    assert list(Target.objects.values_list("pk", "value")) == before


def test_a_target_whose_last_month_is_closed_offers_nothing(client_as, published):
    for month in published.fy.months:
        close(month)
    response = client_as("supervisor").get(new_url(published.sam))
    assert response.status_code == 200
    assert "the target cannot be adjusted any more" in response.content.decode()
    assert "Send the request" not in response.content.decode()


def test_an_adjustment_without_a_reason_is_refused_and_nothing_is_written(
    client_as, published, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as("supervisor").post(
            new_url(published.sam), request_data(published, reason="   ")
        )
    assert response.status_code == 400
    assert "An adjustment needs a reason." in response.content.decode()
    assert not Adjustment.objects.exists()
    assert not Notification.objects.filter(kind="adjustment_requested").exists()


def test_a_negative_value_is_refused(client_as, published):
    response = client_as("supervisor").post(
        new_url(published.sam), request_data(published, new_value="-5")
    )
    assert response.status_code == 400
    assert "A target cannot be negative." in response.content.decode()
    assert not Adjustment.objects.exists()


def test_a_second_request_waits_for_the_first(client_as, published):
    client = client_as("supervisor")
    client.post(new_url(published.sam), request_data(published))
    response = client.post(new_url(published.sam), request_data(published, new_value="1"))
    assert response.status_code == 400
    assert "already has an adjustment waiting" in response.content.decode()
    assert Adjustment.objects.count() == 1
    page = client.get(reverse("targets:detail", args=[published.sam.pk])).content.decode()
    assert new_url(published.sam) not in page


NEW_STATUS = by_persona(404, salesperson=403, supervisor=200, department=200, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_may_ask_for_an_adjustment(client_as, published, persona):
    client = client_as(persona)
    assert client.get(new_url(published.sam)).status_code == NEW_STATUS[persona]
    response = client.post(new_url(published.sam), request_data(published))
    expected = 302 if NEW_STATUS[persona] == 200 else NEW_STATUS[persona]
    assert response.status_code == expected
    assert Adjustment.objects.exists() == (NEW_STATUS[persona] == 200)


# --- deciding ------------------------------------------------------------------------


@pytest.fixture
def pending(client_as, published):
    client_as("supervisor").post(new_url(published.sam), request_data(published))
    return Adjustment.objects.get()


def decide(client, adjustment, **data):
    return client.post(reverse("targets:adjustment-decide", args=[adjustment.pk]), data)


def test_approval_spreads_the_change_over_the_months_and_keeps_the_history(
    client_as, org, published, pending, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = decide(client_as("department"), pending, decision="approve")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Adjustment.Status.APPROVED
    assert pending.decided_by == org.department
    sam = Target.objects.get(pk=published.sam.pk)
    assert sam.value == Decimal("108000.00")
    months = months_of(sam)
    assert sum(m.value for m in months) == sam.value
    assert [m.value for m in months[:6]] == [Decimal("10000.00")] * 6  # before: kept
    assert all(m.value == Decimal("8000.00") for m in months[6:])
    quarters = Target.objects.filter(
        metric=sam.metric, person=sam.person, period__kind="quarter"
    ).select_related("period")
    for quarter in quarters:
        inside = [m for m in months if m.period.parent_id == quarter.period_id]
        assert quarter.value == sum(m.value for m in inside)
    old_values = list(sam.history.values_list("value", flat=True))
    assert Decimal("120000.00") in old_values and Decimal("108000.00") in old_values
    assert "adjustment #" in (sam.history.first().history_change_reason or "")
    # The list and the target page show the months changed, old -> new.
    page = client_as("department").get(reverse("targets:adjustments")).content.decode()
    assert "6 months changed" in page
    assert "10,000.00" in page and "8,000.00" in page
    detail = client_as("salesperson").get(reverse("targets:detail", args=[sam.pk]))
    assert "6 months changed" in detail.content.decode()
    assert Notification.objects.filter(
        kind="adjustment_approved", recipient=org.salesperson
    ).exists()


def test_approval_on_the_page_is_refused_when_a_month_closed_since_the_request(
    client_as, published, pending
):
    """Requested from July; July closed before the department decided: the approval is
    refused with the month and the first month a new request can take effect from; the
    targets keep their values and the request waits, to be rejected with a note."""
    fy = published.fy
    for month in fy.months[:7]:
        close(month)
    before = list(Target.objects.order_by("pk").values_list("pk", "value", "basis"))
    client = client_as("department")
    response = decide(client, pending, decision="approve")
    assert response.status_code == 302
    page = client.get(reverse("targets:adjustments")).content.decode()
    assert (
        "July 2026 is now closed: its target cannot change, so this adjustment can no longer "
        "take effect from July 2026. Reject it with a note; a new request can take effect "
        "from August 2026 at the earliest."
    ) in page
    pending.refresh_from_db()
    assert pending.status == Adjustment.Status.PENDING
    assert list(Target.objects.order_by("pk").values_list("pk", "value", "basis")) == before
    decide(client, pending, decision="reject", note="July is closed: ask again from August.")
    pending.refresh_from_db()
    assert pending.status == Adjustment.Status.REJECTED


def test_rejection_needs_a_note(client_as, published, pending):
    client = client_as("department")
    response = decide(client, pending, decision="reject", note=" ")
    assert response.status_code == 302
    pending.refresh_from_db()
    assert pending.status == Adjustment.Status.PENDING
    page = client.get(reverse("targets:adjustments")).content.decode()
    assert "Say why the adjustment is not approved." in page

    decide(client, pending, decision="reject", note="Tender can still be won.")
    pending.refresh_from_db()
    assert pending.status == Adjustment.Status.REJECTED
    assert pending.decision_note == "Tender can still be won."
    published.sam.refresh_from_db()
    assert published.sam.value == Decimal("120000.00")


def test_a_decided_adjustment_cannot_be_decided_again(client_as, published, pending):
    decide(client_as("department"), pending, decision="approve")
    decide(client_as("department"), pending, decision="reject", note="oops")
    pending.refresh_from_db()
    assert pending.status == Adjustment.Status.APPROVED


DECIDE_STATUS = by_persona(404, salesperson=403, supervisor=403, department=302, anonymous=302)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_decides(client_as, published, pending, persona):
    response = decide(client_as(persona), pending, decision="approve")
    assert response.status_code == DECIDE_STATUS[persona]
    pending.refresh_from_db()
    expected = "approved" if persona == "department" else "pending"
    assert pending.status == expected


# --- the list ------------------------------------------------------------------------


def test_the_list_shows_each_persona_what_they_may_see(client_as, published, pending):
    def listed(persona):
        page = client_as(persona).get(reverse("targets:adjustments"))
        assert page.status_code == 200
        return reverse("targets:adjustment-decide", args=[pending.pk]), page.content.decode()

    decide_url, body = listed("department")
    assert "Lost the Metro tender." in body and decide_url in body
    decide_url, body = listed("supervisor")
    assert "Lost the Metro tender." in body and decide_url not in body
    _url, body = listed("salesperson")
    assert "Lost the Metro tender." in body  # their own target
    for persona in ("teammate", "other_supervisor", "other_salesperson", "hr"):
        _url, body = listed(persona)
        assert "Lost the Metro tender." not in body, persona


def test_pending_requests_come_first(client_as, org, published, pending):
    decide(client_as("department"), pending, decision="reject", note="no")
    client_as("supervisor").post(
        new_url(published.tina), request_data(published, reason="Tina moves territory")
    )
    page = client_as("department").get(reverse("targets:adjustments"))
    rows = list(page.context["page"].object_list)
    assert [a.status for a in rows] == ["pending", "rejected"]


@pytest.mark.parametrize("size", [1, 12])
def test_the_list_runs_a_fixed_number_of_queries(
    client_as, org, published, django_assert_max_num_queries, size
):
    from targets import services

    targets = list(
        Target.objects.filter(status="published", person__isnull=False).order_by("pk")[:size]
    )
    for target in targets:
        adjustment = services.adjustment_request(
            target=target,
            new_value=target.value + 1,
            kind="other",
            reason="more",
            effective_period=target.period,
            acting_user=org.department,
        )
        services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    client = client_as("department")
    with django_assert_max_num_queries(12):
        assert client.get(reverse("targets:adjustments")).status_code == 200
