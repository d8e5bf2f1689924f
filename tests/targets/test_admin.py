"""Targets and adjustments in the Django admin: read only, history included. They change
through the services (cascade, allocation, publication, adjustments), which keep
closed months closed and approve adjustments with the department's decision."""

from decimal import Decimal

import pytest
from django.urls import reverse

from targets.models import Adjustment, Target
from tests.factories import UserFactory
from tests.targets.helpers_core import close
from tests.targets.helpers_mine import publish_targets


@pytest.fixture
def published(org, time_machine):
    time_machine.move_to("2026-08-19 10:00 +08:00")
    return publish_targets(org)


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def state():
    return (
        sorted(Target.objects.values_list("pk", "value", "status", "basis")),
        sorted(Adjustment.objects.values_list("pk", "status", "new_value")),
        Target.history.count(),
    )


def admin_url(obj, view="change", *args):
    meta = obj._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_{view}", args=[obj.pk, *args])


def test_a_target_in_a_closed_month_is_shown_but_cannot_be_changed(admin_client, published):
    january = Target.objects.get(person=published.sam.person, period=published.fy.months[0])
    close(published.fy.months[0])
    page = admin_client.get(admin_url(january))
    assert page.status_code == 200
    assert 'name="value"' not in page.content.decode()  # no input: read only
    before = state()
    response = admin_client.post(admin_url(january), {"value": "1", "status": "draft"})
    assert response.status_code == 403
    assert admin_client.post(admin_url(january, "delete"), {"post": "yes"}).status_code == 403
    assert admin_client.get(reverse("admin:targets_target_add")).status_code == 403
    assert state() == before


def test_a_target_cannot_be_reverted_to_an_earlier_version_from_its_history(
    admin_client, org, published
):
    """The history's "revert" writes the old version back: it would undo a closed
    month's target or an approved adjustment without any rule. Refused."""
    from targets import services

    fy = published.fy
    adjustment = services.adjustment_request(
        target=published.sam,
        new_value="108000",
        kind="quota_relief",
        reason="Lost the Metro tender.",
        effective_period=fy.months[6],
        acting_user=org.supervisor,
    )
    services.adjustment_decide(adjustment=adjustment, approve=True, acting_user=org.department)
    for month in fy.months[:8]:
        close(month)
    sam = Target.objects.get(pk=published.sam.pk)
    old = sam.history.filter(value=Decimal("120000.00")).first()
    history_url = reverse("admin:targets_target_simple_history", args=[sam.pk, old.history_id])
    assert admin_client.get(history_url).status_code == 200  # the old version can be read
    before = state()
    response = admin_client.post(history_url, {})
    assert response.status_code == 403
    assert state() == before
    assert Target.objects.get(pk=sam.pk).value == Decimal("108000.00")


def test_an_adjustment_cannot_be_approved_or_reverted_in_the_admin(admin_client, org, published):
    from targets import services

    adjustment = services.adjustment_request(
        target=published.sam,
        new_value="108000",
        kind="quota_relief",
        reason="Lost the Metro tender.",
        effective_period=published.fy.months[6],
        acting_user=org.supervisor,
    )
    assert admin_client.get(admin_url(adjustment)).status_code == 200
    before = state()
    response = admin_client.post(admin_url(adjustment), {"status": "approved"})
    assert response.status_code == 403
    version = adjustment.history.first()
    history_url = reverse(
        "admin:targets_adjustment_simple_history", args=[adjustment.pk, version.history_id]
    )
    assert admin_client.post(history_url, {}).status_code == 403
    assert admin_client.post(admin_url(adjustment, "delete"), {"post": "yes"}).status_code == 403
    assert state() == before
    assert Adjustment.objects.get(pk=adjustment.pk).status == Adjustment.Status.PENDING


def test_the_admin_lists_targets_and_adjustments(admin_client, published):
    assert admin_client.get(reverse("admin:targets_target_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:targets_adjustment_changelist")).status_code == 200
