"""The notifications API: everyone reads and marks only their own notifications."""

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications.models import Notification
from notifications.services import notify
from tests.api_errors import field_errors


@pytest.fixture
def inbox(org):
    """Two notifications for sam (one already read), one for tina."""
    params = {"metric": "Revenue", "period": "FY2026", "value": "100.00", "unit": ""}
    first = notify(
        recipient_ids=[org.salesperson.pk], kind="target_published", params=params, url="/t/"
    )[0]
    second = notify(
        recipient_ids=[org.salesperson.pk],
        kind="plan_approved",
        params={"period": "FY2026"},
        url="/p/",
    )[0]
    Notification.objects.filter(pk=second.pk).update(read_at="2026-01-02T00:00:00Z")
    tinas = notify(recipient_ids=[org.teammate.pk], kind="plan_approved", params={"period": "X"})
    return {"first": first, "second": second, "tina": tinas[0]}


def rows(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_a_person_lists_only_their_own_notifications(api_as, inbox):
    listed = rows(api_as("salesperson").get("/api/v1/notifications/"))
    assert [n["id"] for n in listed] == [inbox["second"].pk, inbox["first"].pk]
    first = listed[1]
    assert first["text"] == "Your Revenue target for FY2026 is published: 100.00."
    assert first["kind"] == "target_published"
    assert first["url"] == "/t/"
    assert first["is_read"] is False and first["read_at"] is None
    assert listed[0]["is_read"] is True


@pytest.mark.parametrize("persona", ["supervisor", "department", "hr"])
def test_nobody_sees_anyone_elses_notifications(api_as, inbox, persona):
    assert rows(api_as(persona).get("/api/v1/notifications/")) == []


def test_the_text_is_in_the_language_of_the_request(api_as, inbox):
    listed = rows(api_as("teammate").get("/api/v1/notifications/", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    assert listed[0]["text"] != "Your sales plan for X is approved."
    assert "X" in listed[0]["text"]


def test_unread_filter(api_as, inbox):
    client = api_as("salesperson")
    assert [n["id"] for n in rows(client.get("/api/v1/notifications/?unread=true"))] == [
        inbox["first"].pk
    ]
    assert [n["id"] for n in rows(client.get("/api/v1/notifications/?unread=false"))] == [
        inbox["second"].pk
    ]


def test_mark_read_by_ids_ignores_other_peoples_ids(api_as, inbox):
    response = api_as("salesperson").post(
        "/api/v1/notifications/mark-read/",
        {"ids": [inbox["first"].pk, inbox["tina"].pk]},
        format="json",
    )
    assert response.status_code == 200
    assert response.json() == {"count": 1}
    assert Notification.objects.get(pk=inbox["first"].pk).read_at is not None
    assert Notification.objects.get(pk=inbox["tina"].pk).read_at is None


def test_mark_read_without_ids_marks_all_own_unread(api_as, inbox):
    response = api_as("teammate").post("/api/v1/notifications/mark-read/", {}, format="json")
    assert response.json() == {"count": 1}
    assert Notification.objects.filter(read_at__isnull=True).count() == 1  # sam's first


def test_mark_read_with_bad_ids_is_400(api_as, inbox):
    response = api_as("salesperson").post(
        "/api/v1/notifications/mark-read/", {"ids": ["x"]}, format="json"
    )
    assert response.status_code == 400
    assert "ids" in field_errors(response)
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("body", "content_type", "field"),
    [
        ('{"ids": null}', "application/json", "ids"),
        ('{"ids": "1"}', "application/json", "ids"),
        ('{"ids": [1, -2]}', "application/json", "ids"),
        ('{"idz": [1]}', "application/json", "idz"),
        ('{"ids": [], "all": false}', "application/json", "all"),
        ("[1, 2]", "application/json", ""),
        ('"all"', "application/json", ""),
        ("null", "application/json", ""),
        ("{ids: [1]", "application/json", None),  # not JSON
        ("idz=1", "application/x-www-form-urlencoded", "idz"),
        ("ids=x", "application/x-www-form-urlencoded", "ids"),
    ],
)
def test_a_malformed_mark_read_is_400_and_marks_nothing(api_as, inbox, body, content_type, field):
    response = api_as("salesperson").post(
        "/api/v1/notifications/mark-read/", body, content_type=content_type
    )
    assert response.status_code == 400, response.content
    error = response.json()
    assert error["code"] in {"invalid", "parse_error"}
    if field is not None:
        assert error.get("field", "").split(".")[0] == field, error
    assert Notification.objects.filter(read_at__isnull=True).count() == 2


@pytest.mark.parametrize(
    ("method", "url"),
    [("get", "/api/v1/notifications/"), ("post", "/api/v1/notifications/mark-read/")],
)
def test_anonymous_gets_401(api_as, method, url):
    response = getattr(api_as("anonymous"), method)(url, {}, format="json")
    assert response.status_code == 401


def test_a_token_reads_its_owners_notifications(org, inbox):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=org.teammate).key}")
    assert [n["id"] for n in rows(client.get("/api/v1/notifications/"))] == [inbox["tina"].pk]


def test_listing_runs_a_fixed_number_of_queries(org, api_as, django_assert_max_num_queries):
    client = api_as("salesperson")
    notify(recipient_ids=[org.salesperson.pk], kind="plan_approved", params={"period": "Q1"})
    with django_assert_max_num_queries(6):
        assert len(rows(client.get("/api/v1/notifications/"))) == 1
    for n in range(40):
        notify(recipient_ids=[org.salesperson.pk], kind="plan_approved", params={"period": n})
    with django_assert_max_num_queries(6):
        assert len(rows(client.get("/api/v1/notifications/"))) == 41
    with django_assert_max_num_queries(6):
        client.post("/api/v1/notifications/mark-read/", {}, format="json")
