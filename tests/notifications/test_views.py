"""The notification list and marking notifications read: everyone sees and changes
only their own."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify
from targets.plans import services as plan_services
from tests.targets.helpers_mine import publish_targets

PARAMS = {"metric": "Revenue", "period": "FY2026", "value": "100.00", "unit": ""}


@pytest.fixture
def inbox(org):
    """Two notifications for sam (the older one read), one for tina."""
    older = notify(
        recipient_ids=[org.salesperson.pk],
        kind="plan_approved",
        params={"period": "FY2026 Q1"},
        url="/targets/plans/",
    )[0]
    Notification.objects.filter(pk=older.pk).update(
        read_at=timezone.now(), created_at=timezone.now() - datetime.timedelta(days=2)
    )
    newer = notify(
        recipient_ids=[org.salesperson.pk], kind="target_published", params=PARAMS, url="/t/"
    )[0]
    tinas = notify(
        recipient_ids=[org.teammate.pk],
        kind="plan_returned",
        params={"period": "X", "comment": "Y"},
    )[0]
    return {"older": older, "newer": newer, "tina": tinas}


def test_the_list_shows_my_notifications_newest_first_rendered(client_as, inbox):
    response = client_as("salesperson").get(reverse("notifications:list"))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert rows == [inbox["newer"], inbox["older"]]
    body = response.content.decode()
    assert "Your Revenue target for FY2026 is published: 100.00." in body
    assert "Your sales plan for FY2026 Q1 is approved." in body
    assert "was returned" not in body  # tina's
    assert body.count("list-group-item-primary") == 1  # only the unread one stands out


def test_notifications_are_rendered_in_the_readers_language(client_as, inbox):
    client = client_as("salesperson")
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()


def test_anonymous_is_sent_to_sign_in(client_as):
    response = client_as("anonymous").get(reverse("notifications:list"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]
    assert client_as("anonymous").post(reverse("notifications:mark-read")).status_code == 302


def test_mark_one_read(client_as, inbox):
    response = client_as("salesperson").post(
        reverse("notifications:mark-read"), {"id": inbox["newer"].pk}
    )
    assert response.status_code == 302
    inbox["newer"].refresh_from_db()
    assert inbox["newer"].read_at is not None


def test_another_users_notification_id_changes_nothing(client_as, inbox):
    response = client_as("salesperson").post(
        reverse("notifications:mark-read"), {"id": inbox["tina"].pk}
    )
    assert response.status_code == 302
    inbox["tina"].refresh_from_db()
    assert inbox["tina"].read_at is None
    inbox["newer"].refresh_from_db()
    assert inbox["newer"].read_at is None


def test_a_bad_id_changes_nothing(client_as, inbox):
    client_as("salesperson").post(reverse("notifications:mark-read"), {"id": "abc"})
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


def test_mark_all_read_marks_only_mine(client_as, inbox):
    client_as("salesperson").post(reverse("notifications:mark-read"))
    inbox["newer"].refresh_from_db()
    inbox["tina"].refresh_from_db()
    assert inbox["newer"].read_at is not None
    assert inbox["tina"].read_at is None


def test_htmx_gets_the_list_back_without_the_page(client_as, inbox):
    response = client_as("salesperson").post(
        reverse("notifications:mark-read"), {"id": inbox["newer"].pk}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="notification-list">')
    assert "<html" not in body
    assert "list-group-item-primary" not in body


def test_marking_read_only_answers_posts(client_as):
    assert client_as("salesperson").get(reverse("notifications:mark-read")).status_code == 405


def test_publishing_notifies_each_owner_only_of_their_own(
    client_as, org, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        data = publish_targets(org)
    year = data.fy.year.label
    sam = client_as("salesperson").get(reverse("notifications:list")).content.decode()
    assert f"Your Revenue target for {year} is published: 120,000.00." in sam
    assert sam.count("Your Revenue target") == 1
    sue = client_as("supervisor").get(reverse("notifications:list")).content.decode()
    assert f"The Revenue target of East Team 1 for {year} is published" in sue
    assert "South Team 1" not in sue
    for persona in ("hr", "department"):
        response = client_as(persona).get(reverse("notifications:list"))
        assert response.context["page"].paginator.count == 0, persona
    oscar = client_as("other_salesperson").get(reverse("notifications:list"))
    assert [n.recipient_id for n in oscar.context["page"]] == [org.other_salesperson.pk]


def test_a_submitted_plan_is_listed_to_the_supervisor_only(
    client_as, org, django_capture_on_commit_callbacks
):
    data = publish_targets(org)
    quarter = data.fy.quarters[0]
    with django_capture_on_commit_callbacks(execute=True):
        plan = plan_services.plan_save(
            person=org.salesperson,
            period=quarter,
            key_accounts="A",
            actions="B",
            pipeline={},
            acting_user=org.salesperson,
        )
        plan_services.plan_submit(plan=plan, acting_user=org.salesperson)
    text = f"submitted a sales plan for {quarter.label}"
    assert text in client_as("supervisor").get(reverse("notifications:list")).content.decode()
    for persona in ("salesperson", "teammate", "other_supervisor", "hr"):
        body = client_as(persona).get(reverse("notifications:list")).content.decode()
        assert text not in body, persona


@pytest.mark.parametrize("count", [3, 80])
def test_the_list_runs_a_fixed_number_of_queries(
    client_as, org, django_assert_max_num_queries, count
):
    for _ in range(count):
        notify(recipient_ids=[org.salesperson.pk], kind="target_published", params=PARAMS)
    client = client_as("salesperson")
    with django_assert_max_num_queries(8):
        response = client.get(reverse("notifications:list"))
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(count, 30)
