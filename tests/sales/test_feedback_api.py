"""The progress report and satisfaction API under /api/v1/, per persona: who lists,
reads, writes, submits and comments on which report; who sees, enters and bulk
imports satisfaction responses and their averages; refusals answer 400 with the
rule's message and write nothing; every endpoint is in the OpenAPI schema."""

import datetime

import pytest

from notifications.models import Notification
from sales.feedback import services
from sales.models import ProgressReport, SatisfactionResponse
from tests.api_errors import field_errors
from tests.conftest import PERSONAS, SIGNED_IN, by_persona
from tests.sales import test_feedback_services as feedback
from tests.sales.helpers import month, set_status

d = datetime.date
write = feedback.write
LAST_WEEK, THIS_WEEK = feedback.LAST_WEEK, feedback.THIS_WEEK


@pytest.fixture
def data(org, fb, clock):
    """sam's submitted report of last week, tina's draft of this week, oscar's
    submitted one of last week; a response about sam and one about oscar."""
    clock(d(2026, 3, 6))
    sams = write(org.salesperson, period_start=LAST_WEEK)
    oscars = write(org.other_salesperson, period_start=LAST_WEEK)
    clock(d(2026, 3, 11))
    tinas = write(org.teammate, submit=False)
    about_sam = services.satisfaction_save(
        customer=fb.globex,
        salesperson=org.salesperson,
        answered_on=d(2026, 3, 4),
        score=5,
        acting_user=org.department,
        external_id="S-1",
    )
    about_oscar = services.satisfaction_save(
        customer=fb.initech,
        salesperson=org.other_salesperson,
        answered_on=d(2026, 3, 4),
        score=2,
        acting_user=org.department,
    )
    return type(
        "Data",
        (),
        {
            "sams": sams,
            "oscars": oscars,
            "tinas": tinas,
            "about_sam": about_sam,
            "about_oscar": about_oscar,
            "fb": fb,
        },
    )


def ids(response):
    assert response.status_code == 200, response.content
    return {row["id"] for row in response.json()["results"]}


def snapshot():
    return (
        sorted(
            ProgressReport.objects.values_list(
                "pk", "progress", "submitted_at", "supervisor_comment", "read_at"
            )
        ),
        sorted(SatisfactionResponse.objects.values_list("pk", "score", "comment")),
        Notification.objects.count(),
    )


# --- progress reports: reading ----------


LISTED = {
    "salesperson": {"sams"},
    "teammate": {"tinas"},  # a draft: its author's alone
    "other_salesperson": {"oscars"},
    "supervisor": {"sams"},
    "other_supervisor": {"oscars"},
    "department": {"sams", "oscars"},
    "hr": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_lists_and_reads_which_report(api_as, data, persona):
    client = api_as(persona)
    response = client.get("/api/v1/progress-reports/")
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        assert client.get(f"/api/v1/progress-reports/{data.sams.pk}/").status_code in (401, 403)
        return
    assert ids(response) == {getattr(data, name).pk for name in LISTED[persona]}
    for name in ("sams", "tinas", "oscars"):
        response = client.get(f"/api/v1/progress-reports/{getattr(data, name).pk}/")
        assert response.status_code == (200 if name in LISTED[persona] else 404), name


def test_a_report_reads_with_its_state(api_as, data):
    body = api_as("salesperson").get(f"/api/v1/progress-reports/{data.sams.pk}/").json()
    assert body["period_start"] == "2026-03-02" and body["period_end"] == "2026-03-08"
    assert body["frequency"] == "weekly" and body["state"] == "submitted"
    assert body["late"] is False and body["locked"] is False
    assert body["person"]["username"] == "sam"


def test_reading_as_the_supervisor_marks_it_read(api_as, data):
    api_as("department").get(f"/api/v1/progress-reports/{data.sams.pk}/")
    assert ProgressReport.objects.get(pk=data.sams.pk).read_at is None
    body = api_as("supervisor").get(f"/api/v1/progress-reports/{data.sams.pk}/").json()
    assert body["read_at"] is not None


def test_report_filters(api_as, data, org):
    client = api_as("department")
    assert ids(client.get("/api/v1/progress-reports/", {"person": org.salesperson.pk})) == {
        data.sams.pk
    }
    assert ids(client.get("/api/v1/progress-reports/", {"since": "2026-03-09"})) == set()
    assert ids(client.get("/api/v1/progress-reports/", {"submitted": "true"})) == {
        data.sams.pk,
        data.oscars.pk,
    }
    own = api_as("teammate")
    assert ids(own.get("/api/v1/progress-reports/", {"submitted": "false"})) == {data.tinas.pk}


# --- progress reports: writing ----------


CREATE = by_persona(
    403,
    salesperson=201,
    teammate=200,  # rewrites the draft of this week
    other_salesperson=201,
    supervisor=201,
    personas=SIGNED_IN,
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_writes_a_report(api_as, data, persona, org):
    response = api_as(persona).post(
        "/api/v1/progress-reports/",
        {"progress": "Three visits", "submit": True},
        format="json",
    )
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == CREATE[persona], response.content
    if response.status_code in (200, 201):
        body = response.json()
        assert body["period_start"] == "2026-03-09" and body["state"] == "submitted"
        assert body["person"]["username"] == getattr(org, persona).username


def test_writing_the_previous_week_after_its_grace_is_refused(api_as, data):
    before = snapshot()
    response = api_as("teammate").post(
        "/api/v1/progress-reports/",
        {"period_start": "2026-03-02", "progress": "Late"},
        format="json",
    )
    assert response.status_code == 400
    assert "grace for late reports ended" in response.json()["detail"]
    assert snapshot() == before


UPDATE = by_persona(
    # persona: PATCH sam's report
    404,
    salesperson=200,
    supervisor=403,
    department=403,
    personas=SIGNED_IN,
)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_changes_a_report(api_as, data, persona):
    response = api_as(persona).patch(
        f"/api/v1/progress-reports/{data.sams.pk}/", {"problems": "Prices"}, format="json"
    )
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == UPDATE[persona], response.content
    report = ProgressReport.objects.get(pk=data.sams.pk)
    assert (report.problems == "Prices") == (UPDATE[persona] == 200)
    if UPDATE[persona] == 200:
        assert report.progress == data.sams.progress  # the fields not given stay


def test_submitting_a_draft(api_as, data):
    assert (
        api_as("supervisor").post(f"/api/v1/progress-reports/{data.tinas.pk}/submit/").status_code
        == 404
    )
    response = api_as("teammate").post(f"/api/v1/progress-reports/{data.tinas.pk}/submit/")
    assert response.status_code == 200 and response.json()["state"] == "submitted"
    again = api_as("teammate").post(f"/api/v1/progress-reports/{data.tinas.pk}/submit/")
    assert again.status_code == 400 and "already submitted" in again.json()["detail"]
    assert (
        api_as("salesperson").post(f"/api/v1/progress-reports/{data.tinas.pk}/submit/").status_code
        == 404
    )
    assert (
        api_as("supervisor").post(f"/api/v1/progress-reports/{data.tinas.pk}/submit/").status_code
        == 403
    )


COMMENT = by_persona(404, salesperson=403, supervisor=200, department=200, personas=SIGNED_IN)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_comments(api_as, data, persona):
    response = api_as(persona).post(
        f"/api/v1/progress-reports/{data.sams.pk}/comment/", {"comment": "Good"}, format="json"
    )
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == COMMENT[persona], response.content
    if COMMENT[persona] == 200:
        assert response.json()["locked"] is True
        locked = api_as("salesperson").patch(
            f"/api/v1/progress-reports/{data.sams.pk}/", {"problems": "x"}, format="json"
        )
        assert locked.status_code == 400 and "locked" in locked.json()["detail"]


def test_an_empty_comment_is_refused(api_as, data):
    before = snapshot()
    response = api_as("supervisor").post(
        f"/api/v1/progress-reports/{data.sams.pk}/comment/", {"comment": ""}, format="json"
    )
    assert response.status_code == 400 and "comment" in field_errors(response)
    assert snapshot() == before


# --- satisfaction ----------


SEEN = {
    "salesperson": {"about_sam"},
    "teammate": set(),
    "other_salesperson": {"about_oscar"},
    "supervisor": {"about_sam"},
    "other_supervisor": {"about_oscar"},
    "department": {"about_sam", "about_oscar"},
    "hr": set(),
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_sees_which_response(api_as, data, persona):
    client = api_as(persona)
    response = client.get("/api/v1/satisfaction-responses/")
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert ids(response) == {getattr(data, name).pk for name in SEEN[persona]}
    detail = client.get(f"/api/v1/satisfaction-responses/{data.about_sam.pk}/")
    assert detail.status_code == (200 if "about_sam" in SEEN[persona] else 404)


ENTER = by_persona(
    # persona: a response about sam
    403,
    salesperson=403,  # about themselves, and not a supervisor
    supervisor=201,
    other_supervisor=400,  # sam's customer is hidden from otto: "does not exist"
    department=201,
    personas=SIGNED_IN,
)


def enter(client, customer, salesperson):
    """POST a score of 4 from `customer` about `salesperson`, answered on 10 March 2026."""
    return client.post(
        "/api/v1/satisfaction-responses/",
        {
            "customer": customer.pk,
            "salesperson": salesperson.pk,
            "answered_on": "2026-03-10",
            "score": 4,
        },
        format="json",
    )


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_enters_a_response(api_as, data, persona, org):
    before = SatisfactionResponse.objects.count()
    response = enter(api_as(persona), data.fb.globex, org.salesperson)
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == ENTER[persona], response.content
    created = SatisfactionResponse.objects.count() - before
    assert created == (1 if ENTER[persona] == 201 else 0)


def test_a_hidden_person_answers_404(api_as, data, org):
    response = enter(api_as("other_supervisor"), data.fb.initech, org.salesperson)
    assert response.status_code == 404


def test_a_supervisor_cannot_enter_a_response_about_themselves(api_as, data, org):
    response = enter(api_as("supervisor"), data.fb.globex, org.supervisor)
    assert response.status_code == 403


def test_entering_again_by_external_id_updates(api_as, data, org):
    body = {
        "customer": data.fb.globex.pk,
        "salesperson": org.salesperson.pk,
        "answered_on": "2026-03-04",
        "score": 3,
        "external_id": "S-1",
    }
    response = api_as("department").post("/api/v1/satisfaction-responses/", body, format="json")
    assert response.status_code == 200 and response.json()["id"] == data.about_sam.pk
    assert SatisfactionResponse.objects.get(pk=data.about_sam.pk).score == 3


def test_a_response_in_a_closed_month_or_with_a_bad_score_is_refused(api_as, data, org):
    set_status(month(data.fb.year, 2), "closed")
    before = snapshot()
    client = api_as("department")
    body = {
        "customer": data.fb.globex.pk,
        "salesperson": org.salesperson.pk,
        "answered_on": "2026-02-10",
        "score": 4,
    }
    response = client.post("/api/v1/satisfaction-responses/", body, format="json")
    assert response.status_code == 400 and "is closed" in response.json()["detail"]
    response = client.post(
        "/api/v1/satisfaction-responses/",
        body | {"answered_on": "2026-03-10", "score": 0},
        format="json",
    )
    assert response.status_code == 400 and "from 1 to 5" in response.json()["detail"]
    assert snapshot() == before


BULK = by_persona(403, department=200, personas=SIGNED_IN)


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_bulk_imports(api_as, data, persona):
    rows = [
        {
            "customer": "C-1",
            "salesperson": "sam",
            "answered_on": "2026-03-05",
            "score": 4,
            "external_id": "S-9",
        },
    ]
    response = api_as(persona).post(
        "/api/v1/satisfaction-responses/bulk/", {"rows": rows}, format="json"
    )
    if persona == "anonymous":
        assert response.status_code in (401, 403)
        return
    assert response.status_code == BULK[persona], response.content
    if BULK[persona] == 200:
        assert response.json() == {"created": 1, "updated": 0}
        again = api_as(persona).post(
            "/api/v1/satisfaction-responses/bulk/", {"rows": rows}, format="json"
        )
        assert again.json() == {"created": 0, "updated": 1}
        assert SatisfactionResponse.objects.filter(external_id="S-9").count() == 1


def test_a_bulk_import_with_a_bad_row_names_it_and_writes_nothing(api_as, data):
    before = snapshot()
    rows = [
        {"customer": "C-1", "salesperson": "sam", "answered_on": "2026-03-05", "score": 4},
        {"customer": "C-404", "salesperson": "sam", "answered_on": "2026-03-05", "score": 4},
        {"customer": "C-1", "salesperson": "ghost", "answered_on": "2026-03-05", "score": "x"},
    ]
    response = api_as("department").post(
        "/api/v1/satisfaction-responses/bulk/", {"rows": rows}, format="json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(2, "customer"), (3, "salesperson")]
    assert "C-404" in errors[0]["message"] and "ghost" in errors[1]["message"]
    assert snapshot() == before


def test_averages_over_a_period_among_the_visible_responses(api_as, data, org):
    march = month(data.fb.year, 3)
    services.satisfaction_save(
        customer=data.fb.globex,
        salesperson=org.salesperson,
        answered_on=d(2026, 3, 9),
        score=4,
        acting_user=org.department,
    )
    body = (
        api_as("supervisor")
        .get("/api/v1/satisfaction-responses/averages/", {"period": march.pk})
        .json()
    )
    assert body == [
        {
            "person": {
                "id": org.salesperson.pk,
                "username": "sam",
                "display_name": org.salesperson.display_name,
            },
            "average": "4.50",
            "count": 2,
        }
    ]
    everyone = api_as("department").get(
        "/api/v1/satisfaction-responses/averages/", {"start": "2026-03-01", "end": "2026-03-31"}
    )
    assert {row["person"]["username"] for row in everyone.json()} == {"sam", "oscar"}
    south = api_as("department").get(
        "/api/v1/satisfaction-responses/averages/", {"period": march.pk, "unit": org.south.pk}
    )
    assert [row["average"] for row in south.json()] == ["2.00"]
    assert (
        api_as("teammate")
        .get("/api/v1/satisfaction-responses/averages/", {"period": march.pk})
        .json()
        == []
    )
    assert (
        api_as("hr")
        .get("/api/v1/satisfaction-responses/averages/", {"period": march.pk})
        .status_code
        == 403
    )
    hidden = api_as("supervisor").get(
        "/api/v1/satisfaction-responses/averages/",
        {"period": march.pk, "person": org.other_salesperson.pk},
    )
    assert hidden.status_code == 404
    bad = api_as("department").get("/api/v1/satisfaction-responses/averages/")
    assert bad.status_code == 400


# --- schema ----------


def test_schema_lists_every_feedback_endpoint(docs_client):
    paths = docs_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    expected = {
        "/api/v1/progress-reports/": {"get", "post"},
        "/api/v1/progress-reports/{id}/": {"get", "patch"},
        "/api/v1/progress-reports/{id}/submit/": {"post"},
        "/api/v1/progress-reports/{id}/comment/": {"post"},
        "/api/v1/satisfaction-responses/": {"get", "post"},
        "/api/v1/satisfaction-responses/{id}/": {"get"},
        "/api/v1/satisfaction-responses/bulk/": {"post"},
        "/api/v1/satisfaction-responses/averages/": {"get"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
    params = {p["name"] for p in paths["/api/v1/progress-reports/"]["get"]["parameters"]}
    assert params >= {"person", "period_start", "since", "until", "submitted"}


def test_schema_validates_without_warnings(tmp_path, db):
    from django.core.management import call_command

    out = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    assert "ReportFrequencyEnum" in text and "ReportStateEnum" in text
    assert "/api/v1/satisfaction-responses/bulk/" in text
