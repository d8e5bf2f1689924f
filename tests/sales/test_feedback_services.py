"""Progress reports and satisfaction: the services (drafts, submission, grace, lock
on comment, read marks, notifications, the missing-report flag and its task) and the
selectors (report status, team reports, satisfaction averages).

The clock is pinned: Wednesday 11 March 2026 (weekly reports, week of 9 March)."""

import datetime
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied

from core.errors import DomainError
from core.imports import RowsRefused
from notifications.models import Notification
from org.models import Membership
from sales import tasks
from sales.feedback import selectors, services
from sales.models import ProgressReport, SatisfactionResponse
from tests.factories import MembershipFactory, UserFactory
from tests.sales.conftest import WEDNESDAY
from tests.sales.helpers import customer, month, set_status

d = datetime.date

THIS_WEEK = d(2026, 3, 9)
LAST_WEEK = d(2026, 3, 2)


def write(person, period_start=None, submit=True, today=None, **texts):
    values = {"progress": "Visited three customers."} | texts
    return services.report_save(
        person=person,
        period_start=period_start,
        submit=submit,
        acting_user=person,
        today=today,
        **values,
    )


def notes(kind):
    return list(Notification.objects.filter(kind=kind).order_by("recipient_id", "pk"))


# --- writing and submitting ----------


def test_a_draft_is_saved_without_telling_anyone(org, fb):
    report = write(org.salesperson, submit=False)
    assert report.period_start == THIS_WEEK and report.period_end == d(2026, 3, 15)
    assert report.frequency == "weekly" and report.submitted_at is None
    assert not Notification.objects.exists()
    assert report.history.first().history_user == org.salesperson


def test_submitting_tells_the_team_supervisor(org, fb, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        report = write(org.salesperson)
    assert report.submitted_at is not None
    [note] = notes("progress_report_submitted")
    assert note.recipient == org.supervisor
    assert str(note).startswith(f"{org.salesperson.display_name} submitted a progress report")
    assert note.url == f"/sales/progress/{report.pk}/"
    assert note.params["period_zh"]


def test_a_selling_supervisor_reports_to_the_level_above(
    org, fb, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        write(org.supervisor)  # sue leads her own team: rita (the region) is told
        write(org.east2_person)  # east team 2 has no supervisor: rita too
    assert [n.recipient for n in notes("progress_report_submitted")] == [
        org.regional,
        org.regional,
    ]


def test_submitting_a_draft_later(org, fb, django_capture_on_commit_callbacks):
    draft = write(org.salesperson, submit=False)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_submit(report=draft, acting_user=org.salesperson)
    draft.refresh_from_db()
    assert draft.submitted_at is not None
    assert len(notes("progress_report_submitted")) == 1
    with pytest.raises(DomainError, match="already submitted"):
        services.report_submit(report=draft, acting_user=org.salesperson)


def test_a_report_needs_its_progress_to_be_submitted(org, fb):
    with pytest.raises(services.FieldError, match="Describe your progress") as refused:
        write(org.salesperson, progress="  ", customer_feedback="They like it")
    assert refused.value.field == "progress"
    draft = write(org.salesperson, submit=False, progress="", problems="Prices")
    with pytest.raises(DomainError, match="Describe your progress"):
        services.report_submit(report=draft, acting_user=org.salesperson)
    with pytest.raises(DomainError, match="Write something"):
        write(org.teammate, submit=False, progress="")
    assert ProgressReport.objects.count() == 1


def test_only_the_salesperson_writes_their_own(org, fb):
    with pytest.raises(PermissionDenied):
        services.report_save(person=org.salesperson, progress="x", acting_user=org.supervisor)
    with pytest.raises(PermissionDenied):
        write(org.hr)
    draft = write(org.salesperson, submit=False)
    with pytest.raises(PermissionDenied):
        services.report_submit(report=draft, acting_user=org.supervisor)
    assert not ProgressReport.objects.filter(person=org.hr).exists()


def test_the_previous_week_is_written_during_the_grace_and_counts_late(org, fb, clock):
    clock(d(2026, 3, 10))  # Tuesday: last week's grace
    report = write(org.salesperson, period_start=LAST_WEEK)
    assert report.period_end == d(2026, 3, 8)
    state = selectors.state_of(report, selectors.report_period(report), d(2026, 3, 10))
    assert state.late and state.submitted
    clock(WEDNESDAY)
    with pytest.raises(services.FieldError, match="grace for late reports ended") as refused:
        write(org.teammate, period_start=LAST_WEEK)
    assert refused.value.field == "period_start"


def test_a_future_or_misaligned_period_is_refused(org, fb):
    with pytest.raises(DomainError, match="has not started yet"):
        write(org.salesperson, period_start=d(2026, 3, 16))
    with pytest.raises(DomainError, match="not a Monday"):
        write(org.salesperson, period_start=d(2026, 3, 10))
    assert not ProgressReport.objects.exists()


def test_monthly_reports_follow_the_setting(org, fb, settings):
    settings.SALES_REPORT_FREQUENCY = "monthly"
    report = write(org.salesperson)
    assert (report.frequency, report.period_start, report.period_end) == (
        "monthly",
        d(2026, 3, 1),
        d(2026, 3, 31),
    )


# --- editing, reading, commenting ----------


def test_a_submitted_report_can_be_edited_until_commented(org, fb, clock):
    report = write(org.salesperson)
    services.report_mark_read(report=report, acting_user=org.supervisor)
    report.refresh_from_db()
    assert report.read_at is not None
    clock(d(2026, 3, 20))  # past the grace: a submitted report can still be corrected
    edited = write(org.salesperson, period_start=THIS_WEEK, submit=False, progress="Four visits.")
    assert edited.pk == report.pk and edited.progress == "Four visits."
    assert edited.submitted_at == report.submitted_at  # still submitted, not late
    assert edited.read_at is None  # changed since the supervisor read it
    services.report_comment(report=edited, comment="Good week.", acting_user=org.supervisor)
    with pytest.raises(DomainError, match="locked"):
        write(org.salesperson, period_start=THIS_WEEK, progress="Five visits.")
    edited.refresh_from_db()
    assert edited.progress == "Four visits."


def test_commenting_locks_the_report_and_tells_the_author(
    org, fb, django_capture_on_commit_callbacks
):
    report = write(org.salesperson)
    with django_capture_on_commit_callbacks(execute=True):
        services.report_comment(report=report, comment=" Call Globex. ", acting_user=org.supervisor)
    report.refresh_from_db()
    assert report.supervisor_comment == "Call Globex."
    assert report.commented_by == org.supervisor and report.commented_at and report.read_at
    [note] = notes("progress_report_commented")
    assert note.recipient == org.salesperson
    assert str(note) == (
        f"{org.supervisor.display_name} commented on your progress report for "
        "Week of March 9, 2026: Call Globex."
    )
    assert report.history.first().history_user == org.supervisor


def test_comment_refusals(org, fb):
    draft = write(org.salesperson, submit=False)
    with pytest.raises(DomainError, match="Only a submitted report"):
        services.report_comment(report=draft, comment="x", acting_user=org.supervisor)
    own = write(org.supervisor)
    with pytest.raises(DomainError, match="own progress report"):
        services.report_comment(report=own, comment="x", acting_user=org.supervisor)
    report = write(org.teammate)
    with pytest.raises(services.FieldError, match="Write the comment"):
        services.report_comment(report=report, comment="  ", acting_user=org.supervisor)
    assert not ProgressReport.objects.filter(commented_at__isnull=False).exists()


def test_a_report_is_marked_read_once_and_not_by_its_author(org, fb):
    draft = write(org.teammate, submit=False)
    assert not services.report_mark_read(report=draft, acting_user=org.supervisor)
    report = write(org.salesperson)
    assert not services.report_mark_read(report=report, acting_user=org.salesperson)
    assert services.report_mark_read(report=report, acting_user=org.supervisor)
    first = ProgressReport.objects.get(pk=report.pk).read_at
    stale = ProgressReport.objects.get(pk=report.pk)
    stale.read_at = None  # another request had loaded it before
    assert not services.report_mark_read(report=stale, acting_user=org.regional)
    assert ProgressReport.objects.get(pk=report.pk).read_at == first


# --- selectors ----------


def test_report_status_keeps_its_contract(org, fb, clock, django_assert_num_queries):
    # Last four ended weeks: 2 Mar, 23 Feb, 16 Feb, 9 Feb. Sam submits two of them.
    for day, start in [(d(2026, 2, 20), d(2026, 2, 16)), (d(2026, 3, 6), LAST_WEEK)]:
        clock(day)
        write(org.salesperson, period_start=start)
    clock(WEDNESDAY)
    current = write(org.salesperson, submit=False)
    with django_assert_num_queries(2):
        status = selectors.report_status(person=org.salesperson, today=WEDNESDAY)
    assert status == {
        "period_start": THIS_WEEK,
        "period_end": d(2026, 3, 15),
        "report": current,
        "previous_missing": 2,
    }
    empty = selectors.report_status(person=org.teammate, today=WEDNESDAY)
    assert empty["report"] is None and empty["previous_missing"] == 4
    # Not a team member: nothing is missing.
    assert selectors.report_status(person=org.department, today=WEDNESDAY)["previous_missing"] == 0


def test_a_newcomer_misses_only_the_weeks_since_joining(org, fb):
    newcomer = UserFactory(username="nina", roles=["salesperson"])
    MembershipFactory(user=newcomer, unit=org.team, start_date=d(2026, 2, 25))
    status = selectors.report_status(person=newcomer, today=WEDNESDAY)
    assert status["previous_missing"] == 2  # the weeks of 23 February and 2 March


def test_team_reports_list_every_member_with_their_report_or_a_missing_flag(org, fb, clock):
    clock(d(2026, 3, 6))
    sams = write(org.salesperson, period_start=LAST_WEEK)
    clock(d(2026, 3, 10))
    tinas = write(org.teammate, period_start=LAST_WEEK)  # late
    clock(WEDNESDAY)

    def rows(user):
        return {
            r["person"].username: (r["state"], r["report"])
            for r in selectors.team_reports(user=user, period_start=LAST_WEEK, today=WEDNESDAY)
        }

    assert rows(org.supervisor) == {"sam": ("submitted", sams), "tina": ("late", tinas)}
    assert rows(org.regional) == {
        "sam": ("submitted", sams),
        "tina": ("late", tinas),
        "sue": ("missing", None),
        "eve": ("missing", None),
    }
    assert set(rows(org.department)) == {"sam", "tina", "sue", "eve", "oscar"}
    assert rows(org.other_supervisor) == {"oscar": ("missing", None)}
    assert rows(org.hr) == {}
    missing = selectors.team_reports(user=org.regional, period_start=LAST_WEEK, today=WEDNESDAY)
    assert {r["person"].username for r in missing if r["missing"]} == {"sue", "eve"}


def test_a_member_who_moved_team_is_expected_where_they_were(org, fb):
    Membership.objects.filter(user=org.teammate).update(end_date=d(2026, 3, 4))
    MembershipFactory(user=org.teammate, unit=org.other_team, start_date=d(2026, 3, 5))
    grid = selectors.team_grid(
        user=org.supervisor,
        periods=[
            selectors.domain.period_containing(LAST_WEEK, "weekly"),
            selectors.domain.period_containing(THIS_WEEK, "weekly"),
        ],
        today=WEDNESDAY,
    )
    tina = next(r for r in grid if r.person == org.teammate)
    assert [c.state.state for c in tina.cells] == ["missing", "not_expected"]


def test_missing_reports_are_flagged_once_per_supervisor_and_period(org, fb, clock):
    clock(d(2026, 3, 6))
    write(org.salesperson, period_start=LAST_WEEK)
    clock(WEDNESDAY)
    assert tasks.flag_missing_reports("2026-03-11") == 3
    assert tasks.flag_missing_reports("2026-03-11") == 0
    tasks.flag_missing_reports("2026-03-12")  # later in the same week
    flagged = {n.recipient.username: n for n in notes("progress_reports_missing")}
    assert len(notes("progress_reports_missing")) == 3
    assert flagged["sue"].params["people"] == org.teammate.display_name
    assert set(flagged["rita"].params["people"].split(", ")) == {
        org.supervisor.display_name,
        org.east2_person.display_name,
    }
    assert flagged["otto"].params["count"] == 1
    assert flagged["sue"].url == "/sales/progress/team/?end=2026-03-02&missing=1"
    assert str(flagged["sue"]).startswith("1 progress report(s) missing for Week of ")
    assert str(flagged["sue"]).endswith(f": {org.teammate.display_name}.")
    # The next week past its grace is a new period: flagged again, once.
    assert tasks.flag_missing_reports("2026-03-18") == 3
    assert tasks.flag_missing_reports("2026-03-18") == 0
    assert Notification.objects.filter(kind="progress_reports_missing").count() == 6
    assert (
        Notification.objects.get(
            recipient=org.supervisor, params__period_start="2026-03-09"
        ).params["count"]
        == 2
    )


def test_during_the_grace_the_last_week_is_not_flagged_yet(org, fb):
    # On Tuesday 10 March the week of 2 March can still be submitted: the week before
    # it (23 February) is the one flagged.
    services.reports_flag_missing(today=d(2026, 3, 10))
    assert {n.params["period_start"] for n in notes("progress_reports_missing")} == {"2026-02-23"}


# --- satisfaction ----------


MARCH_5 = d(2026, 3, 5)


def answer(by, about, day=MARCH_5, score=4, cust=None, fb=None, **kwargs):
    return services.satisfaction_save(
        customer=cust or fb.globex,
        salesperson=about,
        answered_on=day,
        score=score,
        acting_user=by,
        **kwargs,
    )


def test_a_response_is_recorded_in_its_month(org, fb):
    response = answer(org.supervisor, org.salesperson, fb=fb, comment=" Helpful ")
    assert response.period == month(fb.year, 3)
    assert (response.score, response.comment, response.entered_by) == (4, "Helpful", org.supervisor)
    assert response.history.first().history_user == org.supervisor


def test_satisfaction_refusals(org, fb):
    with pytest.raises(DomainError, match="about themselves"):
        answer(org.supervisor, org.supervisor, fb=fb)
    with pytest.raises(DomainError, match="whole number from 1 to 5"):
        answer(org.department, org.salesperson, score=6, fb=fb)
    with pytest.raises(DomainError, match="in the future"):
        answer(org.department, org.salesperson, day=d(2026, 3, 12), fb=fb)
    with pytest.raises(DomainError, match="not a salesperson"):
        answer(org.department, org.hr, fb=fb)
    with pytest.raises(DomainError, match="no fiscal period"):
        answer(org.department, org.salesperson, day=d(2025, 12, 31), fb=fb)
    set_status(month(fb.year, 2), "closed")
    set_status(month(fb.year, 1), "closing")
    with pytest.raises(DomainError, match="is closed"):
        answer(org.department, org.salesperson, day=d(2026, 2, 10), fb=fb)
    with pytest.raises(DomainError, match="is closing"):
        answer(org.department, org.salesperson, day=d(2026, 1, 10), fb=fb)
    assert not SatisfactionResponse.objects.exists()


def test_the_service_refuses_a_supervisor_of_another_team(org, fb):
    # The page and the API check it first; the service refuses every other caller too.
    with pytest.raises(PermissionDenied):
        answer(org.other_supervisor, org.salesperson, fb=fb)
    with pytest.raises(PermissionDenied):
        answer(org.salesperson, org.teammate, fb=fb)
    assert not SatisfactionResponse.objects.exists()


def test_the_same_external_id_updates_the_response(org, fb, clock):
    first = answer(org.department, org.salesperson, fb=fb, external_id="S-1")
    again = answer(org.department, org.salesperson, score=2, fb=fb, external_id="S-1")
    assert again.pk == first.pk and SatisfactionResponse.objects.get().score == 2
    set_status(month(fb.year, 3), "closed")
    clock(d(2026, 4, 2))
    with pytest.raises(DomainError, match="can no longer be changed"):
        answer(org.department, org.salesperson, day=d(2026, 4, 1), fb=fb, external_id="S-1")


def rows(*items):
    keys = ["customer", "salesperson", "answered_on", "score", "comment", "external_id"]
    return [dict(zip(keys, item, strict=False)) for item in items]


def test_bulk_upsert_is_idempotent_by_external_id(org, fb, django_assert_max_num_queries):
    data = rows(
        ("C-1", "sam", "2026-03-02", 5, "Great", "S-1"),
        ("initech", "oscar", d(2026, 3, 3), "3", "", "S-2"),  # by name, any case
        ("Globex", "sam", "2026-02-27", 4.0),  # no external id: always new
    )
    with django_assert_max_num_queries(12):
        assert services.satisfaction_bulk_upsert(data, acting_user=org.department) == {
            "created": 3,
            "updated": 0,
        }
    data[0]["score"] = 1
    assert services.satisfaction_bulk_upsert(data[:2], acting_user=org.department) == {
        "created": 0,
        "updated": 2,
    }
    assert SatisfactionResponse.objects.count() == 3
    assert SatisfactionResponse.objects.get(external_id="S-1").score == 1
    assert SatisfactionResponse.objects.get(external_id="S-2").customer == fb.initech


def test_bulk_upsert_names_every_bad_row_and_writes_nothing(org, fb):
    set_status(month(fb.year, 2), "closed")
    customer(org.teammate, "Globex")  # a second "Globex": the name is ambiguous
    data = rows(
        ("C-1", "sam", "2026-03-02", 5, "", "S-1"),
        ("C-404", "sam", "2026-03-02", 5),
        ("C-1", "nobody", "2026-03-02", 5),
        ("C-1", "sam", "2026-02-10", 5),
        ("C-1", "sam", "03/02/2026", 5),
        ("C-1", "sam", "2026-03-02", 9),
        ("Globex", "sam", "2026-03-02", 5),
        ("C-1", "sam", "2026-03-02", 5, "", "S-1"),
        ("C-1", "harry", "2026-03-02", 5),
        ("", "", "", ""),
    )
    with pytest.raises(RowsRefused) as refused:
        services.satisfaction_bulk_upsert(data, acting_user=org.department)
    found = [(e.row, e.field) for e in refused.value.errors]
    assert found == [
        (2, "customer"),
        (3, "salesperson"),
        (4, "answered_on"),
        (5, "answered_on"),
        (6, "score"),
        (7, "customer"),
        (8, "external_id"),
        (9, "salesperson"),
        (10, "customer"),
    ]
    messages = {e.row: e.message for e in refused.value.errors}
    assert "Unknown customer: C-404" in messages[2]
    assert "Unknown salesperson: nobody" in messages[3]
    assert "closed" in messages[4]
    assert "Several customers are named Globex" in messages[7]
    assert "also in row 1" in messages[8]
    assert not SatisfactionResponse.objects.exists()


def test_satisfaction_average_in_one_query(org, fb, clock, django_assert_num_queries):
    clock(d(2026, 4, 15))
    for score, day in [(5, d(2026, 3, 1)), (4, d(2026, 3, 2)), (4, d(2026, 3, 31))]:
        answer(org.department, org.salesperson, score=score, day=day, fb=fb)
    answer(org.department, org.salesperson, score=1, day=d(2026, 4, 1), fb=fb)  # outside
    answer(org.department, org.teammate, score=3, fb=fb)
    people = [org.salesperson.pk, org.teammate.pk, org.east2_person.pk]
    with django_assert_num_queries(1):
        found = selectors.satisfaction_average(
            person_ids=people, start=d(2026, 3, 1), end=d(2026, 3, 31)
        )
    assert found == {  # the total too: the exact mean is total / count (13 / 3)
        org.salesperson.pk: {"average": D("4.33"), "count": 3, "total": 13},
        org.teammate.pk: {"average": D("3.00"), "count": 1, "total": 3},
        org.east2_person.pk: {"average": None, "count": 0, "total": 0},
    }
    q1 = selectors.satisfaction_average_for_period(
        person_ids=[org.salesperson.pk], period=month(fb.year, 3).parent
    )
    assert q1[org.salesperson.pk]["count"] == 3
    narrow = selectors.satisfaction_average(
        person_ids=[org.salesperson.pk], start=d(2026, 3, 2), end=d(2026, 3, 2)
    )
    assert narrow[org.salesperson.pk] == {"average": D("4.00"), "count": 1, "total": 4}


def test_averages_over_visible_responses(org, fb):
    answer(org.department, org.salesperson, score=5, fb=fb)
    answer(org.department, org.salesperson, score=2, fb=fb)
    answer(org.department, org.other_salesperson, score=3, cust=fb.initech, fb=fb)
    found = selectors.satisfaction_averages(selectors.satisfaction_for(org.supervisor))
    assert [(a.person, a.average, a.count) for a in found] == [(org.salesperson, D("3.50"), 2)]
    everyone = selectors.satisfaction_averages(selectors.satisfaction_for(org.department))
    assert {a.person.username for a in everyone} == {"sam", "oscar"}
    by_unit = selectors.satisfaction_for(org.department, unit=org.south)
    assert [a.person for a in selectors.satisfaction_averages(by_unit)] == [org.other_salesperson]
