"""The payroll export (薪酬导出): the decisions from approval on, each with the figures of
its current version (the same as the decision pages show, an appeal's version 2
included), whose money columns add up; as a streamed CSV and an XLSX holding the same
rows, headers in the reader's language, formula-looking cells neutralised, filtered by
period and unit subtree; for HR and the department only, from the page and the API, in a
fixed number of queries."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal as D

import pytest
from django.db import connection
from django.http import FileResponse, StreamingHttpResponse
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from rewards import exports, services
from rewards.models import Decision, PromotionHold
from tests.closing.helpers import _sale, d, grow
from tests.conftest import PERSONAS, by_persona, signed_in_as
from tests.rewards.conftest import AFTER, decisions

pytestmark = pytest.mark.django_db

PAGE = "rewards:payroll"
API = "/api/v1/bonus-decisions/export/"
RELEASE = AFTER + datetime.timedelta(days=2)

HEADER = [
    "Employee number",
    "Name",
    "Unit",
    "Period",
    "Currency",
    "Bonus before penalties",
    "Penalties",
    "Adjustments",
    "Bonus",
    "Version",
    "Promotion hold until",
    "Approved at",
]
# The columns by position.
(NO, NAME, UNIT, PERIOD, CURRENCY, BEFORE, PENALTIES, ADJUSTMENTS, BONUS, VERSION, HOLD, AT) = (
    range(len(HEADER))
)
MONEY = slice(BEFORE, BONUS + 1)


def _approve_all_but_oscar(rw):
    """January computed; everyone has an employee number; dora adds 5.00 to tina's
    revenue line, dina approves every decision but oscar's (left proposed)."""
    services.decisions_compute(period=rw.jan, now=AFTER)
    found = decisions(rw.jan)
    for username, decision in found.items():
        decision.person.employee_no = f"E-{username}"
        decision.person.save(update_fields=["employee_no"])
    services.decision_adjust(
        decision=found["tina"],
        line="revenue",
        amount="5.00",
        reason="The split sale was hers alone",
        acting_user=rw.org.department,
        now=AFTER,
    )
    chosen = [x for name, x in found.items() if name != "oscar"]
    services.decisions_approve(decisions=chosen, acting_user=rw.dina, now=AFTER)
    rw.found = {u: Decision.objects.get(pk=x.pk) for u, x in found.items()}
    return rw


@pytest.fixture
def approved(rw):
    return _approve_all_but_oscar(rw)


@pytest.fixture
def appealed(approved):
    """sam's decision released, appealed and resolved with a change: version 2 gives back
    9.75 of the penalty and 0.25 on the bonus (65.00 - 19.50 + 10.00 = 55.50)."""
    sam = approved.found["sam"]
    services.decisions_release(decisions=[sam], acting_user=approved.org.department, now=RELEASE)
    services.decision_appeal(
        decision=sam,
        reason="The penalty read the cancelled order",
        acting_user=approved.org.salesperson,
        now=RELEASE + datetime.timedelta(days=1),
    )
    services.appeal_resolve(
        decision=sam,
        outcome="changed",
        reason="Half of the penalty is given back",
        changes=[("low", "9.75")],
        amount="0.25",
        acting_user=approved.org.department,
        now=RELEASE + datetime.timedelta(days=4),
    )
    return approved


def _client(org, persona):
    return signed_in_as(org, persona)


def _api(org, persona):
    from rest_framework.test import APIClient

    return signed_in_as(org, persona, client_class=APIClient)


def _body(response) -> bytes:
    return b"".join(response.streaming_content)


def _csv(response) -> list[list[str]]:
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = _body(response).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def _xlsx(response) -> list[tuple]:
    assert isinstance(response, FileResponse)
    assert response["Content-Type"] == exports.XLSX_CONTENT_TYPE
    sheet = load_workbook(io.BytesIO(_body(response))).active
    return list(sheet.iter_rows(values_only=True))


def _by_number(rows) -> dict[str, list[str]]:
    return {row[NO]: row for row in rows[1:]}


def _file(client, fmt="csv", **params):
    return client.get(reverse(PAGE), {**params, "format": fmt})


# --- the figures ------------------------------------------------------------------------------


def test_one_row_per_decision_from_approval_on_with_its_figures(approved):
    rows = _csv(_file(_client(approved.org, "hr"), period=approved.jan.pk))
    assert rows[0] == HEADER
    found = _by_number(rows)
    # oscar's decision is still proposed: not in the file.
    assert set(found) == {"E-sam", "E-tina", "E-eve", "E-sue"}
    sam = found["E-sam"]
    assert sam[NAME] == approved.org.salesperson.display_name
    assert sam[UNIT] == "East Team 1"
    assert (sam[PERIOD], sam[CURRENCY], sam[VERSION]) == ("January 2026", "CNY", "1")
    # 130.01 of 1000: 65.00, reduced by 30 % by the rule "low"; promotion held 2 months.
    assert sam[MONEY] == ["65.00", "-19.50", "0.00", "45.50"]
    assert sam[HOLD] == "2026-03-31"
    assert sam[AT] == "2026-02-03 10:00"  # local time (Asia/Shanghai)
    # tina: below the threshold, 0.00, but dora's adjustment of 5.00; held too.
    assert found["E-tina"][MONEY] == ["0.00", "0.00", "5.00", "5.00"]
    assert found["E-eve"][MONEY] == ["100.00", "0.00", "0.00", "100.00"]
    assert found["E-eve"][HOLD] == ""


def test_the_money_columns_add_up_and_penalties_are_the_penalty_and_gate_lines(appealed):
    rows = _csv(_file(_client(appealed.org, "department"), period=appealed.jan.pk))
    for row in rows[1:]:
        before, penalties, adjustments, bonus = (D(x) for x in row[MONEY])
        assert before + penalties + adjustments == bonus
        decision = appealed.found[row[NO].removeprefix("E-")]
        working = services.current_version(decision).working
        assert penalties == sum(
            (D(x["amount"]) for x in working["lines"] if x["kind"] in ("penalty", "gate")),
            D(0),
        )
        assert adjustments == sum(
            (D(x["amount"]) for x in working["lines"] if x["kind"] == "adjustment"), D(0)
        )


def test_the_file_matches_the_decision_pages_after_an_appeal_changed_version_2(appealed):
    hr = _client(appealed.org, "hr")
    found = _by_number(_csv(_file(hr, period=appealed.jan.pk)))
    sam = found["E-sam"]
    # Version 2: the penalty and the bonus given back are adjustments; version 1 stays.
    assert sam[VERSION] == "2"
    assert sam[MONEY] == ["65.00", "-19.50", "10.00", "55.50"]
    for number, row in found.items():
        decision = appealed.found[number.removeprefix("E-")]
        page = hr.get(reverse("rewards:decision", args=[decision.pk]))
        assert page.status_code == 200
        assert D(row[BONUS]) == page.context["total"]
        assert int(row[VERSION]) == page.context["versions"][-1].version
        assert f"<strong>{page.context['total']:.2f}</strong>" in page.content.decode()


def test_a_lifted_hold_is_not_in_the_file(approved):
    hold = PromotionHold.objects.get(decision=approved.found["sam"])
    services.hold_lift(
        hold=hold, reason="Promoted after review", acting_user=approved.org.department, now=AFTER
    )
    found = _by_number(_csv(_file(_client(approved.org, "hr"), period=approved.jan.pk)))
    assert found["E-sam"][HOLD] == ""
    assert found["E-tina"][HOLD] == "2026-03-31"


def test_a_clawback_is_an_adjustment_of_the_period_it_is_taken_back_in(rw):
    # As tests/rewards/test_clawback.py: eve sold 40 + 20 of her 200 in January; the 20
    # is cancelled after January was approved and taken back in February.
    extra = _sale(d(1, 21), rw.customer, "20", [(rw.org.east2_person, 100)])
    services.decisions_compute(period=rw.jan)
    services.decisions_approve(
        decisions=list(decisions(rw.jan).values()), acting_user=rw.org.department
    )
    from sales.records import services as sales_services

    sales_services.record_cancel(record=extra)
    services.decisions_compute(period=rw.feb)
    services.decisions_approve(
        decisions=list(decisions(rw.feb).values()), acting_user=rw.org.department
    )
    eve = decisions(rw.feb)["eve"]
    clawback = eve.person.clawbacks.get()
    rows = _csv(_file(_client(rw.org, "hr"), period=rw.feb.pk))
    (row,) = [r for r in rows[1:] if r[NAME] == eve.person.display_name]
    assert row[PERIOD] == "February 2026"
    assert D(row[ADJUSTMENTS]) == clawback.amount < 0
    assert D(row[BEFORE]) + D(row[PENALTIES]) + D(row[ADJUSTMENTS]) == D(row[BONUS])
    # January's file is the decisions of January only.
    january = _csv(_file(_client(rw.org, "hr"), period=rw.jan.pk))
    assert {r[PERIOD] for r in january[1:]} == {"January 2026"}


# --- filters, language, neutralisation, formats -------------------------------------------------


def test_the_unit_filter_takes_its_subtree(approved):
    hr = _client(approved.org, "hr")
    org = approved.org
    east = _by_number(_csv(_file(hr, period=approved.jan.pk, unit=org.east.pk)))
    assert set(east) == {"E-sam", "E-tina", "E-eve", "E-sue"}
    team2 = _by_number(_csv(_file(hr, period=approved.jan.pk, unit=org.team2.pk)))
    assert set(team2) == {"E-eve"}
    other = _csv(_file(hr, period=approved.jan.pk, unit=org.other_team.pk))
    assert other == [HEADER]  # oscar's is not approved
    response = _file(hr, "xlsx", period=approved.jan.pk, unit=org.team2.pk)
    assert 'filename="payroll-2026-01-' in response["Content-Disposition"]


def test_headers_and_names_in_chinese_for_a_chinese_reader(approved):
    approved.org.team.name_zh = "华东一组"
    approved.org.team.save()
    client = _client(approved.org, "hr")
    client.cookies["django_language"] = "zh-hans"
    rows = _csv(_file(client, period=approved.jan.pk))
    header = rows[0]
    for chinese in ("工号", "姓名", "组织单元", "期间", "币种", "扣减前奖金", "调整", "奖金"):
        assert chinese in header
    assert "Employee number" not in header and "Bonus" not in header
    sam = _by_number(rows)["E-sam"]
    assert (sam[UNIT], sam[PERIOD]) == ("华东一组", "2026年1月")
    xlsx = _xlsx(_file(client, "xlsx", period=approved.jan.pk))
    assert xlsx[0][NO] == "工号" and xlsx[0][UNIT] == "组织单元"


def test_a_formula_looking_name_is_neutralised(approved):
    sam = approved.org.salesperson
    sam.first_name, sam.last_name = '=HYPERLINK("http://x")', ""
    sam.employee_no = "-1"
    sam.save()
    approved.org.team.name = "+East"
    approved.org.team.save()
    hr = _client(approved.org, "hr")
    (row,) = [r for r in _csv(_file(hr, period=approved.jan.pk)) if r[NO] == "'-1"]
    assert (row[NAME], row[UNIT]) == ('\'=HYPERLINK("http://x")', "'+East")
    (row,) = [r for r in _xlsx(_file(hr, "xlsx", period=approved.jan.pk)) if r[NO] == "'-1"]
    assert (row[NAME], row[UNIT]) == ('\'=HYPERLINK("http://x")', "'+East")


def _as_csv_text(value, column) -> str:
    """An XLSX cell read back by openpyxl as the CSV writes it."""
    if value is None:
        return ""
    if column == HOLD:
        return value.date().isoformat()
    if column == AT:
        return value.strftime("%Y-%m-%d %H:%M")
    if column in (BEFORE, PENALTIES, ADJUSTMENTS, BONUS):
        assert isinstance(value, int | float)
        return f"{D(str(value)):.2f}"
    return str(value)


def test_the_xlsx_read_back_equals_the_csv(appealed):
    hr = _client(appealed.org, "hr")
    for params in ({"period": appealed.jan.pk}, {}, {"unit": appealed.org.team.pk}):
        from_csv = _csv(_file(hr, **params))
        from_xlsx = _xlsx(_file(hr, "xlsx", **params))
        assert list(from_xlsx[0]) == from_csv[0]
        assert [
            [_as_csv_text(v, i) for i, v in enumerate(row)] for row in from_xlsx[1:]
        ] == from_csv[1:]
        assert len(from_csv) > 1


def test_the_api_gives_the_same_files(appealed):
    params = {"period": appealed.jan.pk}
    page = _csv(_file(_client(appealed.org, "hr"), **params))
    api = _api(appealed.org, "hr")
    assert _csv(api.get(API, {**params, "format": "csv"})) == page
    assert _csv(api.get(API, params)) == page  # csv unless asked
    assert len(_xlsx(api.get(API, {**params, "format": "xlsx"}))) == len(page)
    for bad in ({"format": "pdf"}, {"period": 999999}, {"unit": "x"}):
        answer = api.get(API, bad)
        assert answer.status_code == 400
        assert answer["Content-Type"] == "application/json"


def test_bad_filters_answer_400_naming_the_field(approved):
    hr = _client(approved.org, "hr")
    page = hr.get(reverse(PAGE), {"period": 999999})
    assert page.status_code == 400
    assert "Period" in page.content.decode()
    text = hr.get(reverse(PAGE), {"unit": "x", "format": "csv"})
    assert text.status_code == 400
    assert text.content.decode().startswith("Unit:")


def test_the_page_opens_on_the_latest_approved_period_with_its_two_links(approved):
    response = _client(approved.org, "hr").get(reverse(PAGE))
    assert response.status_code == 200
    assert response.context["form"].cleaned_data["period"] == approved.jan
    body = response.content.decode()
    assert f"?period={approved.jan.pk}&amp;format=csv" in body
    assert f"?period={approved.jan.pk}&amp;format=xlsx" in body
    assert "4 decisions: 150.50 CNY" in body


# --- access -----------------------------------------------------------------------------------


def test_only_hr_and_the_department_export(approved):
    org = approved.org
    page = by_persona(403, department=200, hr=200, anonymous=302)
    api = by_persona(403, department=200, hr=200, anonymous=401)
    for params in ({}, {"format": "csv"}, {"format": "xlsx"}):
        found = {p: _client(org, p).get(reverse(PAGE), params).status_code for p in PERSONAS}
        assert found == page
        found = {p: _api(org, p).get(API, params).status_code for p in PERSONAS}
        assert found == api


def test_the_links_are_for_hr_and_the_department(approved):
    org = approved.org
    link = reverse(PAGE)
    for persona in ("hr", "department"):
        body = _client(org, persona).get(reverse("rewards:decisions")).content.decode()
        assert body.count(f'href="{link}') == 2  # the menu and the review page
    body = _client(org, "supervisor").get(reverse("rewards:decisions")).content.decode()
    assert link not in body
    body = _client(org, "salesperson").get(reverse("rewards:mine")).content.decode()
    assert link not in body


# --- query counts -----------------------------------------------------------------------------


def _queries(client, url, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params)
        if getattr(response, "streaming", False):
            _body(response)
    assert response.status_code == 200
    return len(queries)


def test_the_same_queries_for_5_and_25_people(approved):
    org = approved.org
    hr, api = _client(org, "hr"), _api(org, "hr")
    calls = [
        (hr, reverse(PAGE), {}),
        (hr, reverse(PAGE), {"format": "csv"}),
        (hr, reverse(PAGE), {"format": "xlsx", "unit": org.east.pk}),
        (api, API, {"format": "csv", "period": approved.jan.pk}),
        (api, API, {"format": "xlsx"}),
    ]
    few = [_queries(*call) for call in calls]
    grown = grow(approved, 20, prefix="more")
    services.decisions_compute(period=approved.jan, now=AFTER)
    services.decisions_approve(
        decisions=list(Decision.objects.filter(person__in=grown)),
        acting_user=org.department,
        now=AFTER,
    )
    assert len(_csv(_file(hr, period=approved.jan.pk))) == 1 + 4 + 20
    assert [_queries(*call) for call in calls] == few
