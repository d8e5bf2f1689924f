"""HR's appraisal results: the page, the CSV and XLSX files and the API.

The finalised appraisals and their results are written directly with the ORM, in
the order the guards allow (a result is only ever inserted: version 1 while the
appraisal is finalised, version 2 once its appeal is resolved with a change, naming
that resolution), so these tests read exactly what they set up: sam released (v1),
tina resolved with a change (v1 then v2), eve finalised, oscar acknowledged, and sue
still in calibration (no result).
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from appraisal.models import Appraisal, AppraisalResult, Cycle, ResultExport
from appraisal.results import exports
from org.models import Membership, User
from tests.api_errors import field_errors
from tests.appraisal.helpers import make_published, make_year

pytestmark = pytest.mark.django_db

LIST = "appraisal-results:list"
EXPORT = "appraisal-results:export"
API_LIST = "api-appraisal-result-list"
API_EXPORT = "api-appraisal-result-export"

UTC = datetime.UTC
RATED_AT = datetime.datetime(2026, 4, 2, 9, 0, tzinfo=UTC)
FINALISED_AT = datetime.datetime(2026, 4, 6, 9, 0, tzinfo=UTC)
RELEASED_AT = datetime.datetime(2026, 4, 8, 2, 30, tzinfo=UTC)  # 10:30 in Shanghai
LATER = datetime.datetime(2026, 4, 12, 9, 0, tzinfo=UTC)

ALLOWED = ["department", "hr"]
FORBIDDEN = [
    "salesperson",
    "teammate",
    "other_salesperson",
    "supervisor",
    "other_supervisor",
    "regional",
    "admin",
]


def _appraisal(cycle, person, unit, status, *, by, department) -> Appraisal:
    """An appraisal rated by `by`, with the dates `status` needs; a final one is stored
    as `finalised` (for its version 1) and reaches `status` with _reach()."""
    final = status not in ("open", "self_assessed", "rated")
    released = status in ("released", "acknowledged", "appealed", "resolved")
    appraisal = Appraisal.objects.create(
        cycle=cycle,
        person=person,
        unit=unit,
        status="finalised" if final else status,
        self_submitted_at=RATED_AT,
        rated_by=by,
        rated_at=RATED_AT,
        finalised_at=FINALISED_AT if final else None,
        finalised_by=department if final else None,
        released_at=RELEASED_AT if released else None,
        acknowledged_at=LATER if status == "acknowledged" else None,
        appealed_at=LATER if status in ("appealed", "resolved") else None,
        appeal_reason="The satisfaction average missed my March answers."
        if status in ("appealed", "resolved")
        else "",
        resolved_at=LATER if status == "resolved" else None,
        resolution="changed" if status == "resolved" else "",
        resolution_reason="March answers added." if status == "resolved" else "",
    )
    appraisal.status = status
    return appraisal


def _reach(*appraisals) -> None:
    """Each appraisal moves on to the status it was made for (the workflow columns of a
    finalised appraisal may move on)."""
    for appraisal in appraisals:
        Appraisal.objects.filter(pk=appraisal.pk).update(status=appraisal.status)


def _result(appraisal, version, score, grade, *, by, reason="", lines=()) -> AppraisalResult:
    return AppraisalResult.objects.create(
        appraisal=appraisal,
        version=version,
        score=Decimal(score),
        grade=grade,
        working={"total": score, "grade": grade, "lines": list(lines)},
        reason=reason,
        appeal_resolved_at=appraisal.resolved_at if version > 1 else None,
        created_by=by,
    )


def _line(dimension_id, name, name_zh, method, weight, score, contribution, **figures):
    """One line of a result's working, with the keys `domain_cycles.line_data` writes."""
    line = dict.fromkeys(["actual", "target", "value", "level"])
    line.update(
        dimension_id=dimension_id,
        name=name,
        name_zh=name_zh,
        method=method,
        weight=weight,
        score=score,
        final_score=score,
        contribution=contribution,
        **figures,
    )
    return line


TINA_LINES = [
    _line(
        1,
        "Revenue",
        "销售额",
        "attainment",
        "60.00",
        "90.00",
        "54.00",
        actual="90000.00",
        target="100000.00",
    ),
    _line(2, "Work attitude", "工作态度", "rated", "40.00", "70.00", "28.00", level=3),
]


@pytest.fixture
def results(org):
    """The cycle of Q1 2026 with its appraisals and results (see the module's doc)."""
    year = make_year()
    template = make_published(org)
    cycle = Cycle.objects.create(
        template=template, period=year.quarters[0], opened_by=org.department
    )
    cycle.units.set([org.east, org.south])
    org.team.name_zh = "华东一组"
    org.team.save()
    dora, sue, rita = org.department, org.supervisor, org.regional

    sam = _appraisal(cycle, org.salesperson, org.team, "released", by=sue, department=dora)
    tina = _appraisal(cycle, org.teammate, org.team, "resolved", by=sue, department=dora)
    eve = _appraisal(cycle, org.east2_person, org.team2, "finalised", by=rita, department=dora)
    oscar = _appraisal(
        cycle, org.other_salesperson, org.other_team, "acknowledged", by=dora, department=dora
    )
    _appraisal(cycle, sue, org.team, "rated", by=rita, department=dora)  # no result yet

    _result(sam, 1, "88.50", "B", by=dora)
    _result(tina, 1, "70.00", "C", by=dora)
    _result(eve, 1, "96.00", "A", by=dora)
    _result(oscar, 1, "55.00", "D", by=dora)
    _reach(sam, tina, eve, oscar)
    _result(
        tina,
        2,
        "82.00",
        "B",
        by=dora,
        reason="-1 point was a typo: March answers added",
        lines=TINA_LINES,
    )
    return {"year": year, "cycle": cycle, "template": template, "tina": org.teammate}


def _add_many(org, cycle, count: int) -> None:
    """`count` more finalised appraisals with results in T-EAST-2 (bulk)."""
    people = User.objects.bulk_create([User(username=f"bulk{i:03d}") for i in range(count)])
    Membership.objects.bulk_create(
        [Membership(user=p, unit=org.team2, start_date=datetime.date(2025, 1, 1)) for p in people]
    )
    appraisals = Appraisal.objects.bulk_create(
        [
            Appraisal(
                cycle=cycle,
                person=p,
                unit=org.team2,
                status="finalised",
                rated_by=org.regional,
                rated_at=RATED_AT,
                finalised_at=FINALISED_AT,
                finalised_by=org.department,
            )
            for p in people
        ]
    )
    AppraisalResult.objects.bulk_create(
        [
            AppraisalResult(
                appraisal=a,
                version=1,
                score=Decimal("75.00"),
                grade="C",
                working={},
                created_by=org.department,
            )
            for a in appraisals
        ]
    )


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def _xlsx_rows(response) -> list[tuple]:
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    return list(sheet.iter_rows(values_only=True))


def _usernames(rows) -> list[str]:
    return [row[0] for row in rows[1:]]


# --- access -----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALLOWED)
def test_hr_and_department_read_and_export(results, client_as, persona):
    client = client_as(persona)
    assert client.get(reverse(LIST)).status_code == 200
    assert client.get(reverse(EXPORT), {"format": "csv"}).status_code == 200
    assert client.get(reverse(EXPORT), {"format": "xlsx"}).status_code == 200
    assert client.get(reverse(API_LIST)).status_code == 200
    assert client.get(reverse(API_EXPORT), {"format": "csv"}).status_code == 200
    assert client.get(reverse(API_EXPORT), {"format": "xlsx"}).status_code == 200


@pytest.mark.parametrize("persona", FORBIDDEN)
def test_others_are_refused(results, client_as, persona):
    client = client_as(persona)
    assert client.get(reverse(LIST)).status_code == 403
    assert client.get(reverse(EXPORT), {"format": "csv"}).status_code == 403
    assert client.get(reverse(EXPORT), {"format": "xlsx"}).status_code == 403
    assert client.get(reverse(API_LIST)).status_code == 403
    assert client.get(reverse(API_EXPORT), {"format": "csv"}).status_code == 403


def test_anonymous_signs_in_first(results, client_as):
    client = client_as("anonymous")
    for name in (LIST, EXPORT):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]
    assert client.get(reverse(API_LIST)).status_code == 401
    assert client.get(reverse(API_EXPORT)).status_code == 401


# --- what is listed ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ALLOWED)
def test_latest_result_of_each_finalised_appraisal(results, org, persona):
    rows = list(exports.latest_results(getattr(org, persona)))
    listed = {r.appraisal.person.username: (r.version, r.score, r.grade) for r in rows}
    assert listed == {
        "sam": (1, Decimal("88.50"), "B"),
        "tina": (2, Decimal("82.00"), "B"),  # the appeal's version, not v1
        "eve": (1, Decimal("96.00"), "A"),
        "oscar": (1, Decimal("55.00"), "D"),
    }  # sue is still in calibration: no result


def test_page_lists_results_with_labels(results, client_as):
    response = client_as("hr").get(reverse(LIST))
    body = response.content.decode()
    assert response.status_code == 200
    for text in ("88.50", "82.00", "96.00", "55.00", "sam", "v2"):
        assert text in body
    assert "-1 point was a typo" in body  # the reason of the appeal's version
    assert "4 results" in body
    assert reverse(EXPORT) + "?format=csv" in body
    tina = AppraisalResult.objects.get(appraisal__person__username="tina", version=2)
    assert reverse("appraisal:appraisal-detail", args=[tina.appraisal_id]) in body
    assert ">sue<" not in body


def test_page_paginates(results, client_as, monkeypatch):
    from appraisal.results import views as views_results

    monkeypatch.setattr(views_results, "ROWS_PER_PAGE", 3)
    client = client_as("department")
    first = client.get(reverse(LIST)).context["page"]
    second = client.get(reverse(LIST), {"page": 2}).context["page"]
    assert first.paginator.count == 4
    assert len(first.object_list) == 3 and len(second.object_list) == 1
    seen = [r.appraisal.person.username for r in [*first.object_list, *second.object_list]]
    assert sorted(seen) == ["eve", "oscar", "sam", "tina"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, {"sam", "tina", "eve", "oscar"}),
        ({"unit": "east"}, {"sam", "tina", "eve"}),
        ({"unit": "team"}, {"sam", "tina"}),
        ({"unit": "south"}, {"oscar"}),
        ({"period": "year"}, {"sam", "tina", "eve", "oscar"}),
        ({"period": "q1"}, {"sam", "tina", "eve", "oscar"}),
        ({"period": "q2"}, set()),
        ({"period": "january"}, set()),  # a quarter's cycle does not lie within a month
        ({"grade": "B"}, {"sam", "tina"}),
        ({"grade": "C"}, set()),  # tina's C was replaced by the appeal's B
        ({"unit": "east", "grade": "A"}, {"eve"}),
    ],
)
def test_filters(results, org, client_as, params, expected):
    year = results["year"]
    ids = {
        "east": org.east.pk,
        "team": org.team.pk,
        "south": org.south.pk,
        "year": year.year.pk,
        "q1": year.quarters[0].pk,
        "q2": year.quarters[1].pk,
        "january": year.months[0].pk,
    }
    query = {k: (ids[v] if k in ("unit", "period") else v) for k, v in params.items()}
    client = client_as("hr")

    page = client.get(reverse(LIST), query)
    assert page.status_code == 200
    assert {r.appraisal.person.username for r in page.context["page"].object_list} == expected

    assert set(_usernames(_csv_rows(client.get(reverse(EXPORT), {**query, "format": "csv"})))) == (
        expected
    )
    xlsx = client.get(reverse(EXPORT), {**query, "format": "xlsx"})
    assert set(_usernames(_xlsx_rows(xlsx))) == expected

    api = client.get(reverse(API_LIST), query).json()
    assert api["count"] == len(expected)
    assert {r["person"]["username"] for r in api["results"]} == expected


def test_bad_filters_answer_400_naming_the_field(results, client_as):
    client = client_as("department")
    page = client.get(reverse(LIST), {"unit": "999999"})
    assert page.status_code == 400
    assert "Unit" in page.content.decode()
    export = client.get(reverse(EXPORT), {"grade": "Z", "format": "csv"})
    assert export.status_code == 400
    assert export.content.decode().startswith("Grade:")
    assert client.get(reverse(EXPORT), {"format": "pdf"}).status_code == 400
    api = client.get(reverse(API_LIST), {"period": "999999"})
    assert api.status_code == 400 and "period" in field_errors(api)
    api_export = client.get(reverse(API_EXPORT), {"format": "pdf"})
    assert api_export.status_code == 400 and "format" in field_errors(api_export)


# --- the files --------------------------------------------------------------------------------


def test_csv_is_streamed_with_headers_and_neutralised_cells(results, client_as):
    response = client_as("hr").get(reverse(EXPORT), {"format": "csv"})
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="appraisal-results.csv"' in response["Content-Disposition"]
    rows = _csv_rows(response)
    header = rows[0]
    assert header[:12] == [
        "Username",
        "Name",
        "Team",
        "Team code",
        "Period",
        "Template",
        "Template code",
        "Template version",
        "Result version",
        "Final score",
        "Grade",
        "Status",
    ]
    by_name = {row[0]: dict(zip(header, row, strict=True)) for row in rows[1:]}
    tina = by_name["tina"]
    assert tina["Result version"] == "2"
    assert tina["Final score"] == "82.00"
    assert tina["Grade"] == "B"
    assert tina["Status"] == "appeal resolved"
    assert tina["Resolution"] == "changed"
    assert tina["Reason for this version"] == "'-1 point was a typo: March answers added"
    assert tina["Team"] == "East Team 1" and tina["Team code"] == "t-east-1"
    assert tina["Period"] == "FY2026 Q1"
    assert tina["Template"] == "Sales performance appraisal"
    assert tina["Template code"] == "sales" and tina["Template version"] == "1"
    sam = by_name["sam"]
    assert sam["Released at"] == "2026-04-08 10:30"  # local time (Asia/Shanghai)
    assert sam["Acknowledged at"] == "" and sam["Appealed at"] == ""
    assert by_name["eve"]["Released at"] == ""
    # newest period first, then template, team (by path), person
    assert _usernames(rows) == ["sam", "tina", "eve", "oscar"]


def test_formula_names_are_neutralised(results, org, client_as):
    org.salesperson.first_name, org.salesperson.last_name = '=HYPERLINK("x")', ""
    org.salesperson.save()
    org.team.name = "+East"
    org.team.save()
    rows = _csv_rows(client_as("hr").get(reverse(EXPORT), {"format": "csv"}))
    sam = next(r for r in rows if r[0] == "sam")
    assert sam[1] == '\'=HYPERLINK("x")'
    assert sam[2] == "'+East"
    xlsx = _xlsx_rows(client_as("hr").get(reverse(EXPORT), {"format": "xlsx"}))
    sam = next(r for r in xlsx if r[0] == "sam")
    assert sam[1] == '\'=HYPERLINK("x")'
    assert sam[2] == "'+East"


def test_xlsx_is_a_file_with_numbers_and_local_times(results, client_as):
    response = client_as("department").get(reverse(EXPORT), {"format": "xlsx"})
    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert 'filename="appraisal-results.xlsx"' in response["Content-Disposition"]
    data = b"".join(response.streaming_content)
    sheet = load_workbook(io.BytesIO(data)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Username" and rows[0][9] == "Final score"
    tina = next(r for r in rows if r[0] == "tina")
    assert tina[9] == 82 and isinstance(tina[9], int | float)
    assert tina[17] == "'-1 point was a typo: March answers added"
    sam = next(r for r in rows if r[0] == "sam")
    assert sam[12] == datetime.datetime(2026, 4, 8, 10, 30)  # local time, no zone
    assert sam[13] is None  # not acknowledged


def _sheets(response) -> dict[str, list[tuple]]:
    workbook = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in workbook}


def test_xlsx_breaks_each_result_down_by_dimension(results, client_as):
    sheets = _sheets(client_as("hr").get(reverse(EXPORT), {"format": "xlsx"}))
    assert list(sheets) == ["Appraisal results", "Dimensions"]
    header, *rows = sheets["Dimensions"]
    assert header == (
        "Username", "Name", "Team", "Period", "Template", "Result version",
        "Dimension", "Method", "Weight (%)", "Actual", "Target", "Raw value",
        "Rated level", "Score", "Final score", "Contribution",
    )  # fmt: skip
    # Only tina's second version has lines in this fixture: one row per dimension, the
    # figures as numbers, exactly as the result recorded them.
    assert [(r[0], *r[2:7]) for r in rows] == [
        ("tina", "East Team 1", "FY2026 Q1", "Sales performance appraisal", 2, name)
        for name in ("Revenue", "Work attitude")
    ]  # fmt: skip
    assert {r[1] for r in rows} == {results["tina"].display_name}
    revenue, attitude = rows
    assert revenue[7:] == (
        "attainment of a metric", 60, 90000, 100000, None, None, 90, 90, 54,
    )  # fmt: skip
    assert attitude[7:] == ("rated on a scale", 40, None, None, None, 3, 70, 70, 28)
    # The contributions add up to the result's score.
    assert sum(r[15] for r in rows) == 82


def test_the_dimensions_sheet_in_chinese(results, client_as):
    client = client_as("hr")
    client.cookies["django_language"] = "zh-hans"
    sheets = _sheets(client.get(reverse(EXPORT), {"format": "xlsx"}))
    assert list(sheets) == ["考核结果", "维度明细"]
    header, *rows = sheets["维度明细"]
    assert "用户名" in header and "Username" not in header
    assert [r[6] for r in rows] == ["销售额", "工作态度"]
    assert rows[0][4] == "销售绩效考核方案"


def test_filename_names_the_filters(results, org, client_as):
    q1 = results["year"].quarters[0]
    response = client_as("hr").get(
        reverse(EXPORT), {"format": "xlsx", "period": q1.pk, "unit": org.east.pk, "grade": "B"}
    )
    assert 'filename="appraisal-results-FY2026-Q1-east-B.xlsx"' in response["Content-Disposition"]


def test_headers_and_names_in_chinese(results, client_as):
    client = client_as("hr")
    client.cookies["django_language"] = "zh-hans"
    rows = _csv_rows(client.get(reverse(EXPORT), {"format": "csv"}))
    header = rows[0]
    for chinese in ("用户名", "姓名", "销售团队", "期间", "考核方案", "考核等级", "状态"):
        assert chinese in header
    assert "Username" not in header
    sam = next(r for r in rows if r[0] == "sam")
    assert sam[2] == "华东一组"
    xlsx = _xlsx_rows(client.get(reverse(EXPORT), {"format": "xlsx"}))
    assert xlsx[0][0] == "用户名" and xlsx[0][2] == "销售团队"
    assert next(r for r in xlsx if r[0] == "sam")[2] == "华东一组"
    page = client.get(reverse(LIST)).content.decode()
    assert "华东一组" in page


@pytest.mark.parametrize(
    ("first_name", "last_name", "username"),
    [("Sam", "Smith", "sam"), ("明", "王", "wang"), ("", "", "nobody"), ("Ann", "", "ann")],
)
def test_person_name_is_the_display_name(db, first_name, last_name, username):
    user = User(first_name=first_name, last_name=last_name, username=username)
    assert exports.person_name(first_name, last_name, username) == user.display_name


def test_csv_streams_a_chunk_at_a_time(results, org, client_as, monkeypatch):
    """The generator reads and writes `CHUNK_SIZE` rows at a time, never the whole list."""
    monkeypatch.setattr(exports, "CHUNK_SIZE", 3)
    _add_many(org, results["cycle"], 7)  # 4 + 7 = 11 rows: chunks of 3, 3, 3, 2
    response = client_as("hr").get(reverse(EXPORT), {"format": "csv"})
    pieces = list(response.streaming_content)
    assert len(pieces) == 1 + 4
    assert sum(piece.count(b"\r\n") for piece in pieces) == 12


def test_api_rows(results, client_as):
    body = client_as("hr").get(reverse(API_LIST)).json()
    assert body["count"] == 4
    tina = next(r for r in body["results"] if r["person"]["username"] == "tina")
    assert tina["version"] == 2
    assert tina["score"] == "82.00"
    assert tina["grade"] == "B"
    assert tina["status"] == "resolved"
    assert tina["resolution"] == "changed"
    assert tina["team"]["code"] == "t-east-1"
    assert tina["period"]["label"] == "FY2026 Q1"
    assert tina["template"]["code"] == "sales"
    assert tina["reason"].startswith("-1 point")


def test_api_export_files(results, client_as):
    client = client_as("department")
    response = client.get(reverse(API_EXPORT), {"format": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert _usernames(_csv_rows(response)) == ["sam", "tina", "eve", "oscar"]
    response = client.get(reverse(API_EXPORT), {"format": "xlsx"})
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    assert len(_xlsx_rows(response)) == 5


# --- a fixed number of queries ----------------------------------------------------------------


def _count(fn) -> int:
    with CaptureQueriesContext(connection) as queries:
        fn()
    return len(queries)


@pytest.mark.parametrize(
    ("name", "params", "limit"),
    [
        (LIST, {}, 10),
        (EXPORT, {"format": "csv"}, 7),  # with the record of the export
        (EXPORT, {"format": "xlsx"}, 8),  # the dimensions sheet reads a second time
        (API_LIST, {}, 6),
        (API_EXPORT, {"format": "csv"}, 6),
        (API_EXPORT, {"format": "xlsx"}, 7),
    ],
)
def test_query_count_does_not_grow_with_rows(
    results, org, client_as, django_assert_max_num_queries, name, params, limit
):
    client = client_as("hr")

    def read():
        response = client.get(reverse(name), params)
        assert response.status_code == 200
        if response.streaming:
            b"".join(response.streaming_content)

    read()  # warm up (the session, content types)
    few = _count(read)
    _add_many(org, results["cycle"], 60)
    with django_assert_max_num_queries(limit):
        read()
    assert _count(read) == few


# --- HR's home --------------------------------------------------------------------------------


def _home_panel(client):
    response = client.get(reverse("home"))
    assert response.status_code == 200
    return next((p for t, p in response.context["panels"] if "results" in t), None)


def test_hrs_home_leads_to_the_results_and_says_what_is_new_since_the_last_export(
    results, org, client_as, _pinned_clock
):
    clock = _pinned_clock  # the suite's clock (time-machine), moved on below
    client = client_as("hr")
    body = client.get(reverse("home")).content.decode()
    assert reverse(LIST) in body and f"{reverse(EXPORT)}?format=xlsx" in body
    panel = _home_panel(client)
    assert (panel["total"], panel["new"], panel["last"]) == (4, 4, None)
    assert "you have not exported any yet" in body

    clock.shift(datetime.timedelta(minutes=5))
    b"".join(client.get(reverse(EXPORT), {"format": "xlsx"}).streaming_content)
    panel = _home_panel(client)
    assert (panel["total"], panel["new"]) == (4, 0)
    assert panel["last"].file_format == "xlsx" and panel["last"].user == org.hr
    assert "Your last export: XLSX" in client.get(reverse("home")).content.decode()

    # A day later, one more appraisal is finalised: one result new since the export.
    clock.shift(datetime.timedelta(days=1))
    _add_many(org, results["cycle"], 1)
    assert (_home_panel(client)["total"], _home_panel(client)["new"]) == (5, 1)
    # Another reader's export does not count as this one's.
    b"".join(client_as("department").get(reverse(EXPORT), {"format": "csv"}).streaming_content)
    assert _home_panel(client)["new"] == 1
    assert _home_panel(client_as("department"))["new"] == 0


def test_an_export_through_the_api_counts_too(results, org, client_as):
    client = client_as("hr")
    response = client.get(reverse(API_EXPORT), {"format": "csv", "grade": "B"})
    b"".join(response.streaming_content)
    export = ResultExport.objects.get(user=org.hr)
    assert export.file_format == "csv" and export.filters["grade"] == "B"


def test_a_refused_export_is_not_recorded(results, client_as):
    assert client_as("hr").get(reverse(EXPORT), {"format": "pdf"}).status_code == 400
    assert client_as("salesperson").get(reverse(EXPORT), {"format": "csv"}).status_code == 403
    assert not ResultExport.objects.exists()


@pytest.mark.parametrize(
    "persona", ["salesperson", "teammate", "supervisor", "other_supervisor", "admin"]
)
def test_only_hr_and_the_department_see_the_results_card(results, client_as, persona):
    assert _home_panel(client_as(persona)) is None


def test_the_results_card_in_chinese(results, client_as):
    client = client_as("hr")
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("home")).content.decode()
    assert "导出全部" in body and "Export all as XLSX" not in body
