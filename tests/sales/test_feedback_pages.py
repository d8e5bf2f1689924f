"""The progress report and satisfaction pages, per persona: who sees which page and
report (hidden: 404; visible but forbidden: 403; anonymous: to the login page), and
what each page does.

sam's submitted report of last week and tina's draft of this week exist; responses
about sam (east team 1) and oscar (south)."""

import datetime

import pytest
from django.urls import reverse

from notifications.models import Notification
from sales.feedback import services
from sales.models import ProgressReport, SatisfactionResponse
from tests.conftest import PERSONAS, by_persona
from tests.sales import test_feedback_services as feedback
from tests.sales.helpers import month, set_status

d = datetime.date
write = feedback.write
LAST_WEEK, THIS_WEEK = feedback.LAST_WEEK, feedback.THIS_WEEK


@pytest.fixture
def pages(org, fb, clock):
    clock(d(2026, 3, 6))
    sams = write(org.salesperson, period_start=LAST_WEEK, customer_feedback="Globex likes it")
    clock(d(2026, 3, 11))
    tinas_draft = write(org.teammate, submit=False, progress="Half done")
    services.satisfaction_save(
        customer=fb.globex,
        salesperson=org.salesperson,
        answered_on=d(2026, 3, 4),
        score=5,
        comment="Very helpful",
        acting_user=org.department,
    )
    services.satisfaction_save(
        customer=fb.initech,
        salesperson=org.other_salesperson,
        answered_on=d(2026, 3, 4),
        score=2,
        comment="Slow answers",
        acting_user=org.department,
    )
    return type("Pages", (), {"sams": sams, "tinas_draft": tinas_draft, "fb": fb})


def is_login_redirect(response):
    return response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def expect(response, code):
    if code == "login":
        assert is_login_redirect(response), response.status_code
    elif code == "team":
        assert response.status_code == 302 and response["Location"] == "/sales/progress/team/"
    else:
        assert response.status_code == code, (response.status_code, response.content[:300])


# --- who reaches which page ----------


ACCESS = {
    # persona: mine, write, detail of sam's report, team, satisfaction, new, import
    "salesperson": (200, 200, 200, 403, 200, 403, 403),
    "teammate": (200, 200, 404, 403, 200, 403, 403),
    "other_salesperson": (200, 200, 404, 403, 200, 403, 403),
    "supervisor": (200, 200, 200, 200, 200, 200, 403),
    "other_supervisor": ("team", 403, 404, 200, 200, 200, 403),
    "department": ("team", 403, 200, 200, 200, 200, 200),
    "hr": (403, 403, 404, 403, 403, 403, 403),
    "anonymous": ("login",) * 7,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_reaches_which_page(client_as, pages, persona):
    client = client_as(persona)
    urls = [
        reverse("sales:progress-mine"),
        reverse("sales:progress-write"),
        reverse("sales:progress-detail", args=[pages.sams.pk]),
        reverse("sales:progress-team"),
        reverse("sales:satisfaction"),
        reverse("sales:satisfaction-new"),
        reverse("sales:satisfaction-import"),
    ]
    for url, code in zip(urls, ACCESS[persona], strict=True):
        expect(client.get(url), code)


@pytest.mark.parametrize("persona", PERSONAS)
def test_a_draft_is_its_authors_alone(client_as, pages, persona):
    response = client_as(persona).get(reverse("sales:progress-detail", args=[pages.tinas_draft.pk]))
    expected = {"teammate": 200, "anonymous": "login"}.get(persona, 404)
    expect(response, expected)


COMMENT = by_persona(404, salesperson=403, supervisor=302, department=302, anonymous="login")


@pytest.mark.parametrize("persona", PERSONAS)
def test_who_comments_on_a_report(client_as, pages, persona, django_capture_on_commit_callbacks):
    url = reverse("sales:progress-comment", args=[pages.sams.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = client_as(persona).post(url, {"comment": "Call Globex again."})
    expect(response, COMMENT[persona])
    report = ProgressReport.objects.get(pk=pages.sams.pk)
    if COMMENT[persona] == 302:
        assert report.supervisor_comment == "Call Globex again."
        assert Notification.objects.filter(
            recipient=pages.sams.person, kind="progress_report_commented"
        ).exists()
    else:
        assert report.commented_at is None


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "department"])
def test_the_comment_page_answers_only_post(client_as, pages, persona):
    url = reverse("sales:progress-comment", args=[pages.sams.pk])
    assert client_as(persona).get(url).status_code == 405


# --- my reports and writing ----------


def test_my_reports_show_the_current_one_and_flag_missing_ones(client_as, pages):
    response = client_as("salesperson").get(reverse("sales:progress-mine"))
    text = response.content.decode()
    assert "Write the report" in text  # this week's is not written
    assert "3 reports are missing among the last four periods." in text
    assert f"/sales/progress/{pages.sams.pk}/" in text
    assert text.count("table-danger") >= 3
    older = client_as("salesperson").get(reverse("sales:progress-mine") + "?older=1")
    assert older.status_code == 200 and "Later periods" in older.content.decode()


def test_writing_and_submitting_the_current_report(client_as, pages, org):
    client = client_as("salesperson")
    response = client.post(
        reverse("sales:progress-write"),
        {"progress": "Closed the Globex deal.", "help_needed": "A demo unit", "submit": "1"},
    )
    report = ProgressReport.objects.get(person=org.salesperson, period_start=THIS_WEEK)
    assert response["Location"] == f"/sales/progress/{report.pk}/"
    assert report.submitted_at is not None and report.help_needed == "A demo unit"
    page = client.get(response["Location"]).content.decode()
    assert "Closed the Globex deal." in page and "submitted" in page


def test_saving_a_draft_and_finishing_it(client_as, pages):
    client = client_as("teammate")
    url = reverse("sales:progress-write")
    form = client.get(url).content.decode()
    assert "Half done" in form and "Save as draft" in form
    client.post(url, {"progress": "All done", "save": "1"})
    pages.tinas_draft.refresh_from_db()
    assert pages.tinas_draft.progress == "All done" and pages.tinas_draft.submitted_at is None


def test_a_report_without_progress_is_refused_with_the_field_named(client_as, pages, org):
    response = client_as("salesperson").post(
        reverse("sales:progress-write"), {"progress": " ", "problems": "x", "submit": "1"}
    )
    assert response.status_code == 400
    assert "Describe your progress" in response.content.decode()
    assert not ProgressReport.objects.filter(person=org.salesperson, period_start=THIS_WEEK)


def test_the_previous_week_cannot_be_written_after_its_grace(client_as, pages):
    client = client_as("teammate")
    response = client.get(reverse("sales:progress-write") + f"?period={LAST_WEEK}")
    assert response["Location"] == reverse("sales:progress-mine")
    assert client.get(reverse("sales:progress-write") + "?period=2026-03-10").status_code == 404
    assert client.get(reverse("sales:progress-write") + "?period=junk").status_code == 404


def test_a_commented_report_opens_read_only(client_as, pages, org):
    services.report_comment(report=pages.sams, comment="Fine.", acting_user=org.supervisor)
    client = client_as("salesperson")
    response = client.get(reverse("sales:progress-write") + f"?period={LAST_WEEK}")
    assert response["Location"] == f"/sales/progress/{pages.sams.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "it is locked" in page and "Fine." in page
    assert reverse("sales:progress-write") + f"?period={LAST_WEEK}" not in page


# --- supervisors ----------


def test_opening_a_report_as_its_supervisor_marks_it_read(client_as, pages):
    client_as("department").get(reverse("sales:progress-detail", args=[pages.sams.pk]))
    pages.sams.refresh_from_db()
    assert pages.sams.read_at is None  # the department is not the supervisor
    page = client_as("supervisor").get(reverse("sales:progress-detail", args=[pages.sams.pk]))
    assert "Your comment" in page.content.decode()
    pages.sams.refresh_from_db()
    assert pages.sams.read_at is not None


def test_the_team_page_shows_members_by_period(client_as, pages, org):
    text = client_as("supervisor").get(reverse("sales:progress-team")).content.decode()
    assert pages.sams.person.display_name in text
    assert pages.tinas_draft.person.display_name in text
    assert f"/sales/progress/{pages.sams.pk}/" in text
    assert f"/sales/progress/{pages.tinas_draft.pk}/" not in text  # a draft: no link
    assert "table-danger" in text and ">draft<" in text
    other = client_as("other_supervisor").get(reverse("sales:progress-team")).content.decode()
    assert org.other_salesperson.display_name in other
    assert pages.sams.person.display_name not in other


def test_the_team_page_filters_by_unit_and_missing(client_as, pages, org):
    client = client_as("department")
    south = client.get(reverse("sales:progress-team"), {"unit": org.south.pk}).content.decode()
    assert org.other_salesperson.display_name in south
    assert org.salesperson.display_name not in south
    missing = client.get(
        reverse("sales:progress-team"), {"periods": 4, "end": "2026-03-02", "missing": "on"}
    ).content.decode()
    assert org.teammate.display_name in missing
    assert ">submitted<" in missing  # sam's week of 2 March, among his missing ones
    # A unit outside the supervisor's subtree is hidden.
    response = client_as("supervisor").get(reverse("sales:progress-team"), {"unit": org.south.pk})
    assert response.status_code == 404


# --- satisfaction ----------


def test_the_satisfaction_list_shows_what_each_may_see(client_as, pages):
    def seen(persona):
        return client_as(persona).get(reverse("sales:satisfaction")).content.decode()

    sam = seen("salesperson")
    assert "Very helpful" in sam and "Slow answers" not in sam and "5.00" in sam
    assert "Very helpful" not in seen("teammate")
    assert "Very helpful" in seen("supervisor") and "Slow answers" not in seen("supervisor")
    assert "Slow answers" in seen("other_supervisor")
    department = seen("department")
    assert "Very helpful" in department and "Slow answers" in department
    assert "2.00" in department


def test_the_satisfaction_list_filters(client_as, pages, org):
    client = client_as("department")
    url = reverse("sales:satisfaction")
    march = month(pages.fb.year, 3)
    text = client.get(url, {"period": march.pk, "person": org.other_salesperson.pk}).content
    assert b"Slow answers" in text and b"Very helpful" not in text
    text = client.get(url, {"period": month(pages.fb.year, 2).pk}).content
    assert b"No responses in this period." in text
    text = client.get(url, {"period": "", "score": 5}).content
    assert b"Very helpful" in text and b"Slow answers" not in text
    text = client.get(url, {"unit": org.south.pk}).content
    assert b"Slow answers" in text and b"Very helpful" not in text
    # A supervisor cannot filter on a person or unit outside their subtree.
    sue = client_as("supervisor")
    assert sue.get(url, {"person": org.other_salesperson.pk}).status_code == 404
    assert sue.get(url, {"unit": org.south.pk}).status_code == 404


def test_a_supervisor_enters_a_response_about_their_people(client_as, pages, org):
    client = client_as("supervisor")
    form = client.get(reverse("sales:satisfaction-new")).context["form"]
    choices = set(form.fields["salesperson"].queryset)
    assert choices == {org.salesperson, org.teammate}  # never about themselves
    data = {
        "customer": pages.fb.globex.pk,
        "salesperson": org.salesperson.pk,
        "answered_on": "2026-03-10",
        "score": "4",
        "comment": "On time",
    }
    response = client.post(reverse("sales:satisfaction-new"), data)
    assert response["Location"] == reverse("sales:satisfaction")
    assert SatisfactionResponse.objects.filter(comment="On time", entered_by=org.supervisor)
    refused = client.post(
        reverse("sales:satisfaction-new"), data | {"salesperson": org.supervisor.pk}
    )
    assert refused.status_code == 400
    assert SatisfactionResponse.objects.count() == 3


def test_a_response_in_a_closed_month_is_refused(client_as, pages, org):
    set_status(month(pages.fb.year, 2), "closed")
    response = client_as("department").post(
        reverse("sales:satisfaction-new"),
        {
            "customer": pages.fb.globex.pk,
            "salesperson": org.salesperson.pk,
            "answered_on": "2026-02-10",
            "score": "3",
        },
    )
    assert response.status_code == 400
    assert "is closed" in response.content.decode()
    assert SatisfactionResponse.objects.count() == 2


def test_the_import_page_offers_a_template(client_as, pages):
    response = client_as("department").get(
        reverse("sales:satisfaction-import"), {"template": "csv"}
    )
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8-sig").startswith(
        "customer,salesperson,answered_on,score,comment,external_id"
    )


def test_monthly_reports_on_the_pages(client_as, pages, settings):
    settings.SALES_REPORT_FREQUENCY = "monthly"
    text = client_as("salesperson").get(reverse("sales:progress-mine")).content.decode()
    assert "Every month" in text and "March 2026" in text
    team = client_as("supervisor").get(reverse("sales:progress-team"))
    assert [label for _p, label in team.context["periods"]][-1] == "March 2026"


def test_the_pages_render_in_chinese(client_as, pages):
    client = client_as("supervisor")
    client.cookies["django_language"] = "zh-hans"
    for url in (
        reverse("sales:progress-mine"),
        reverse("sales:progress-team"),
        reverse("sales:progress-detail", args=[pages.sams.pk]),
        reverse("sales:satisfaction"),
    ):
        response = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200
        assert 'lang="zh-hans"' in response.content.decode()
