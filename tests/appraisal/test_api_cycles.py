"""The appraisal cycles API (/api/v1/appraisal-cycles/, /api/v1/appraisals/), persona by
persona: 401 for anonymous requests, 404 for what one may not see, 403 for what one may
see but not do, 400 with the service's message (naming the person, the dimension or
the field) for a broken rule; what the person sees of the ratings before and after
release; a fixed number of queries per endpoint whatever the size.

The cycle (cycle_helpers.make_cycle) appraises EAST + SOUTH for Q1 2026: sam, tina and
sue (T-EAST-1; sue rates sam and tina, rita rates sue), eve (T-EAST-2, rated by rita)
and oscar (T-SOUTH-1, rated by otto). Requests run on the real today (after Q1 2026
ended, memberships running since 2020), so finalising through the API is allowed and
a result released through the API is within its appeal window.
"""

import datetime
import functools
import types
from decimal import Decimal

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from appraisal.models import Adjustment, Appraisal, AppraisalResult, Cycle, PeerRating
from org.models import User
from tests.api_errors import field_errors
from tests.appraisal import cycle_helpers as ch
from tests.conftest import api_authenticated_as
from tests.factories import MembershipFactory, grow_teams

PEOPLE = {
    "salesperson": "sam",
    "teammate": "tina",
    "supervisor": "sue",
    "east2_person": "eve",
    "other_salesperson": "oscar",
}
MAX_API_QUERIES = 12


@pytest.fixture
def api_as(org):
    return functools.partial(api_authenticated_as, org)


@pytest.fixture
def cyc(org):
    cycle = ch.make_cycle(org)
    ch.compute(cycle)
    appraisals = {persona: ch.appraisal_of(cycle, getattr(org, persona)) for persona in PEOPLE}
    return types.SimpleNamespace(cycle=cycle, dims=ch.dimensions(cycle), **appraisals)


def cycles_url(pk=None, action=None):
    if pk is None:
        return reverse("api-appraisal-cycle-list")
    if action:
        return reverse(f"api-appraisal-cycle-{action}", args=[pk])
    return reverse("api-appraisal-cycle-detail", args=[pk])


def appraisals_url(pk=None, action=None):
    if pk is None:
        return reverse("api-appraisal-list")
    if action:
        return reverse(f"api-appraisal-{action}", args=[pk])
    return reverse("api-appraisal-detail", args=[pk])


def people(response) -> set[str]:
    return {row["person"]["username"] for row in response.json()["results"]}


def line(body, name):
    return next(row for row in body["lines"] if row["name"] == name)


def entries(cyc, attitude=(4, ""), teamwork=(3, "")):
    return [
        {"dimension": cyc.dims[ch.ATTITUDE].pk, "level": attitude[0], "comment": attitude[1]},
        {"dimension": cyc.dims[ch.TEAMWORK].pk, "level": teamwork[0], "comment": teamwork[1]},
    ]


# --- anonymous -------------------------------------------------------------------------------


def test_anonymous_requests_are_refused_with_401(api_as, cyc):
    client = api_as("anonymous")
    assert client.get(cycles_url()).status_code == 401
    assert client.get(cycles_url(cyc.cycle.pk)).status_code == 401
    assert client.post(cycles_url(cyc.cycle.pk, "finalise")).status_code == 401
    assert client.get(appraisals_url()).status_code == 401
    assert client.get(appraisals_url(cyc.salesperson.pk)).status_code == 401
    assert client.post(appraisals_url(cyc.salesperson.pk, "rating"), {}, "json").status_code == 401


# --- cycles ----------------------------------------------------------------------------------

CYCLE_VISIBLE = {
    "department": True,
    "supervisor": True,
    "regional": True,
    "other_supervisor": True,
    "hr": False,  # nothing finalised yet
    "salesperson": False,
    "teammate": False,
    "east2_person": False,
    "other_salesperson": False,
}


@pytest.mark.parametrize(("persona", "visible"), sorted(CYCLE_VISIBLE.items()))
def test_each_persona_sees_the_cycle_or_not(api_as, cyc, persona, visible):
    client = api_as(persona)
    listed = client.get(cycles_url())
    assert listed.status_code == 200
    assert [row["id"] for row in listed.json()["results"]] == ([cyc.cycle.pk] if visible else [])
    assert client.get(cycles_url(cyc.cycle.pk)).status_code == (200 if visible else 404)


def test_a_cycle_shows_counts_and_the_rows_the_reader_may_see(api_as, cyc):
    body = api_as("department").get(cycles_url(cyc.cycle.pk)).json()
    assert body["template"]["code"] == "cycle"
    assert {u["code"] for u in body["units"]} == {"east", "south"}
    assert body["total"] == 5
    counts = {row["status"]: row["count"] for row in body["counts"]}
    assert counts["open"] == 5 and counts["rated"] == 0
    assert {row["person"]["username"] for row in body["appraisals"]} == set(PEOPLE.values())
    supervisor = api_as("supervisor").get(cycles_url(cyc.cycle.pk)).json()
    assert supervisor["total"] == 3
    assert {row["person"]["username"] for row in supervisor["appraisals"]} == {"sam", "tina", "sue"}
    # sue's own appraisal: her rating is rita's, hidden from her
    own = next(r for r in supervisor["appraisals"] if r["person"]["username"] == "sue")
    assert own["hidden"] is True and own["score"] is None


def test_hr_sees_a_cycle_once_an_appraisal_is_finalised(api_as, org, cyc):
    ch.finalise(org, cyc.east2_person)
    response = api_as("hr").get(cycles_url(cyc.cycle.pk))
    assert response.status_code == 200
    assert [row["person"]["username"] for row in response.json()["appraisals"]] == ["eve"]


def test_the_department_opens_a_cycle(api_as, org):
    template = ch.make_cycle_template(org)
    year = ch.make_year()
    data = {"template": template.pk, "period": year.quarters[0].pk, "units": [org.south.pk]}
    response = api_as("department").post(cycles_url(), data, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["period"]["id"] == year.quarters[0].pk
    assert [row["person"]["username"] for row in body["appraisals"]] == ["oscar"]
    again = api_as("department").post(cycles_url(), data, format="json")
    assert again.status_code == 400
    assert again.json()["detail"]
    assert Cycle.objects.count() == 1


@pytest.mark.parametrize("persona", ["supervisor", "regional", "hr", "salesperson"])
def test_nobody_else_opens_a_cycle(api_as, org, persona):
    template = ch.make_cycle_template(org)
    data = {"template": template.pk, "period": ch.make_year().quarters[0].pk}
    assert api_as(persona).post(cycles_url(), data, format="json").status_code == 403
    assert not Cycle.objects.exists()


def test_opening_a_cycle_is_refused_with_the_rule_or_the_missing_fields(api_as, org):
    template = ch.make_cycle_template(org)
    year = ch.make_year()
    wrong_kind = {"template": template.pk, "period": year.months[0].pk}
    response = api_as("department").post(cycles_url(), wrong_kind, format="json")
    assert response.status_code == 400
    assert year.months[0].label in response.json()["detail"]
    missing = api_as("department").post(cycles_url(), {}, format="json")
    assert missing.status_code == 400
    assert {"template", "period"} <= set(field_errors(missing))
    assert not Cycle.objects.exists()


def test_the_department_recomputes_the_figures(api_as, cyc):
    response = api_as("department").post(cycles_url(cyc.cycle.pk, "compute"))
    assert response.status_code == 200
    assert response.json() == {"computed": 5}
    assert api_as("supervisor").post(cycles_url(cyc.cycle.pk, "compute")).status_code == 403
    assert api_as("salesperson").post(cycles_url(cyc.cycle.pk, "compute")).status_code == 404


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("supervisor", 403), ("regional", 403), ("hr", 404), ("salesperson", 404)],
)
def test_only_the_department_finalises_releases_and_calibrates(api_as, cyc, persona, expected):
    client = api_as(persona)
    for action in ("finalise", "release"):
        assert client.post(cycles_url(cyc.cycle.pk, action)).status_code == expected
    assert client.get(cycles_url(cyc.cycle.pk, "calibration")).status_code == expected


def test_finalising_reports_the_appraisals_that_are_not_ready(api_as, org, cyc):
    ch.rate(org, cyc.salesperson)
    ch.adjust_missing(org, ch.reload(cyc.salesperson))
    ch.rate(org, cyc.teammate)  # rated, but attainment and satisfaction have no score
    response = api_as("department").post(cycles_url(cyc.cycle.pk, "finalise"))
    assert response.status_code == 200
    body = response.json()
    assert body["finalised"] == 1
    tina = org.teammate.display_name
    assert any(tina in p and ch.ATTAINMENT in p for p in body["problems"]), body["problems"]
    assert ch.reload(cyc.salesperson).status == "finalised"
    assert AppraisalResult.objects.filter(appraisal=cyc.salesperson, version=1).exists()


def test_finalising_before_the_period_ends_is_refused_saying_when_it_ends(
    api_as, org, cyc, time_machine
):
    ch.rate(org, cyc.salesperson)
    ch.adjust_missing(org, ch.reload(cyc.salesperson))
    time_machine.move_to(ch.at(ch.OPEN_DAY), tick=False)
    response = api_as("department").post(cycles_url(cyc.cycle.pk, "finalise"))
    assert response.status_code == 400
    assert "2026-03-31" in response.json()["detail"]
    assert ch.reload(cyc.salesperson).finalised_at is None


def test_the_department_releases_the_finalised_appraisals(api_as, org, cyc):
    ch.finalise(org, cyc.salesperson)
    response = api_as("department").post(cycles_url(cyc.cycle.pk, "release"))
    assert response.status_code == 200
    assert response.json() == {"released": 1}
    assert ch.reload(cyc.salesperson).status == "released"
    assert ch.reload(cyc.teammate).status == "open"


def test_calibration_shows_the_distribution_and_adjustments(api_as, org, cyc):
    for persona in ("salesperson", "teammate", "east2_person", "other_salesperson"):
        ch.rate(org, getattr(cyc, persona))
    ch.adjust_missing(org, ch.reload(cyc.salesperson))
    response = api_as("department").get(cycles_url(cyc.cycle.pk, "calibration"))
    assert response.status_code == 200
    body = response.json()
    assert body["overall"]["key"] == "all"
    assert body["overall"]["count"] == 1  # only sam has a score for every dimension
    raters = {org.supervisor, org.regional, org.other_supervisor}
    assert {g["label"] for g in body["raters"]} == {u.display_name for u in raters}
    sam = next(r for r in body["appraisals"] if r["person"]["username"] == "sam")
    assert sam["score"] is not None and sam["grade"]
    assert len(sam["adjustments"]) == 2
    assert sam["adjustments"][0]["reason"].startswith("No data for")
    assert [b["grade"] for b in body["bands"]] == ["S", "A", "B", "C", "D"]


# --- appraisals: reading -------------------------------------------------------------------------

APPRAISALS_VISIBLE = {
    "department": {"sam", "tina", "sue", "eve", "oscar"},
    "hr": set(),  # nothing finalised yet
    "salesperson": {"sam"},
    "teammate": {"tina"},
    "east2_person": {"eve"},
    "other_salesperson": {"oscar"},
    "supervisor": {"sam", "tina", "sue"},
    "other_supervisor": {"oscar"},
    "regional": {"sam", "tina", "sue", "eve"},
}


@pytest.mark.parametrize(("persona", "expected"), sorted(APPRAISALS_VISIBLE.items()))
def test_each_persona_lists_the_appraisals_they_may_see(api_as, cyc, persona, expected):
    response = api_as(persona).get(appraisals_url())
    assert response.status_code == 200
    assert people(response) == expected


@pytest.mark.parametrize(
    ("persona", "whose", "expected"),
    [
        ("salesperson", "salesperson", 200),
        ("salesperson", "teammate", 404),
        ("teammate", "salesperson", 404),
        ("east2_person", "salesperson", 404),
        ("supervisor", "salesperson", 200),
        ("supervisor", "supervisor", 200),
        ("supervisor", "east2_person", 404),
        ("other_supervisor", "salesperson", 404),
        ("regional", "east2_person", 200),
        ("hr", "salesperson", 404),
        ("department", "other_salesperson", 200),
    ],
)
def test_retrieving_follows_the_visibility_rules(api_as, cyc, persona, whose, expected):
    assert api_as(persona).get(appraisals_url(getattr(cyc, whose).pk)).status_code == expected


def test_filters_narrow_the_list(api_as, org, cyc):
    client = api_as("department")
    assert people(client.get(appraisals_url(), {"unit": org.east.pk})) == {
        "sam",
        "tina",
        "sue",
        "eve",
    }
    assert people(client.get(appraisals_url(), {"unit": org.team2.pk})) == {"eve"}
    ch.rate(org, cyc.other_salesperson)
    assert people(client.get(appraisals_url(), {"status": "rated"})) == {"oscar"}
    assert people(client.get(appraisals_url(), {"cycle": cyc.cycle.pk})) == set(PEOPLE.values())
    assert people(client.get(appraisals_url(), {"cycle": cyc.cycle.pk + 100})) == set()
    period = cyc.cycle.period
    assert len(people(client.get(appraisals_url(), {"period": period.pk}))) == 5
    assert client.get(appraisals_url(), {"status": "nonsense"}).status_code == 400
    # a filter never widens: sam filtering on his team still sees only himself
    assert people(api_as("salesperson").get(appraisals_url(), {"unit": org.team.pk})) == {"sam"}


def test_the_working_explains_each_dimension(api_as, org, cyc):
    ch.rate(org, cyc.salesperson, levels=(4, 3))
    body = api_as("supervisor").get(appraisals_url(cyc.salesperson.pk)).json()
    assert body["person"]["username"] == "sam" and body["status"] == "rated"
    assert [row["name"] for row in body["lines"]] == [
        ch.ATTAINMENT,
        ch.SATISFACTION,
        ch.ATTITUDE,
        ch.TEAMWORK,
    ]
    attainment = line(body, ch.ATTAINMENT)
    assert attainment["weight"] == "40.00"
    assert attainment["curve_text"].startswith("Below 60 % scores 0")
    assert attainment["score"] is None and attainment["note"]
    attitude = line(body, ch.ATTITUDE)
    assert (attitude["level"], attitude["score"], attitude["level_anchor"]) == (4, "80.00", "Good")
    assert attitude["scale"][0]["anchor"] == "Poor"
    assert body["total"] is None  # attainment and satisfaction have no score yet
    assert set(body["missing"]) == {ch.ATTAINMENT, ch.SATISFACTION}


def test_the_working_reads_in_chinese(api_as, org, cyc):
    ch.rate(org, cyc.salesperson)
    client = api_as("supervisor")
    body = client.get(appraisals_url(cyc.salesperson.pk), HTTP_ACCEPT_LANGUAGE="zh-hans").json()
    attitude = line(body, "工作态度")
    assert attitude["level_anchor"] == "良好"
    assert attitude["scale"][4]["anchor"] == "优秀"


def test_the_person_does_not_see_the_rating_before_release(api_as, org, cyc):
    ch.self_assess(cyc.salesperson, levels=(5, 4))
    ch.rate(org, cyc.salesperson, levels=(2, 3))
    ch.adjust_missing(org, ch.reload(cyc.salesperson))
    before = api_as("salesperson").get(appraisals_url(cyc.salesperson.pk)).json()
    attitude = line(before, ch.ATTITUDE)
    assert attitude["hidden"] is True
    assert (attitude["level"], attitude["comment"], attitude["score"]) == (None, "", None)
    assert attitude["self_level"] == 5  # their own self-assessment stays visible
    assert before["total"] is None and before["grade"] is None
    assert before["adjustments"] == [] and before["versions"] == []
    listed = api_as("salesperson").get(appraisals_url()).json()["results"][0]
    assert listed["score"] is None
    ch.finalise(org, ch.reload(cyc.salesperson))
    assert api_as("salesperson").get(appraisals_url()).json()["results"][0]["score"] is None
    api_as("department").post(cycles_url(cyc.cycle.pk, "release"))
    after = api_as("salesperson").get(appraisals_url(cyc.salesperson.pk)).json()
    attitude = line(after, ch.ATTITUDE)
    assert (attitude["hidden"], attitude["level"], attitude["comment"]) == (False, 2, "Reliable.")
    assert after["final"] is True and after["total"] and after["grade"]
    assert [v["version"] for v in after["versions"]] == [1]
    assert after["appeal"]["open"] is True
    listed = api_as("salesperson").get(appraisals_url()).json()["results"][0]
    assert listed["score"] == after["total"] and listed["grade"] == after["grade"]


def test_peers_are_shown_only_in_aggregate(api_as, org, cyc, settings):
    settings.APPRAISAL_PEER_MINIMUM = 1
    teamwork = cyc.dims[ch.TEAMWORK].pk
    tina = api_as("teammate").post(
        appraisals_url(cyc.salesperson.pk, "peer-rating"),
        {"entries": [{"dimension": teamwork, "level": 2, "comment": "Keeps to himself."}]},
        format="json",
    )
    assert tina.status_code == 200
    body = api_as("supervisor").get(appraisals_url(cyc.salesperson.pk)).json()
    row = line(body, ch.TEAMWORK)
    assert (row["peer_average"], row["peer_count"]) == ("2.00", 1)
    assert "Keeps to himself." not in str(body)
    assert org.teammate.display_name not in str(body) and "tina" not in str(body)


def test_hr_reads_finalised_appraisals_only(api_as, org, cyc):
    ch.finalise(org, cyc.east2_person)
    client = api_as("hr")
    assert people(client.get(appraisals_url())) == {"eve"}
    body = client.get(appraisals_url(cyc.east2_person.pk)).json()
    assert body["final"] is True and body["total"] and body["sees_ratings"] is True
    assert client.get(appraisals_url(cyc.salesperson.pk)).status_code == 404


# --- what one has to rate ------------------------------------------------------------------------


def test_each_persona_lists_what_they_have_to_rate(api_as, org, cyc):
    def tasks(persona):
        body = api_as(persona).get(reverse("api-appraisal-to-rate")).json()
        return (
            {row["person"]["username"] for row in body["rating"]},
            {row["person"]["username"] for row in body["peers"]},
        )

    assert tasks("supervisor") == ({"sam", "tina"}, set())
    assert tasks("regional") == ({"sam", "tina", "sue", "eve"}, set())
    assert tasks("other_supervisor") == ({"oscar"}, set())
    assert tasks("teammate") == (set(), {"sam", "sue"})  # sue rates sam: not his peer
    assert tasks("salesperson") == (set(), {"tina", "sue"})
    assert tasks("hr") == (set(), set())
    ch.rate(org, cyc.salesperson)
    assert tasks("supervisor") == ({"tina"}, set())
    assert tasks("teammate") == (set(), {"sue"})
    assert api_as("anonymous").get(reverse("api-appraisal-to-rate")).status_code == 401


# --- self-assessment and rating ------------------------------------------------------------------


def test_the_person_self_assesses(api_as, cyc):
    client = api_as("salesperson")
    url = appraisals_url(cyc.salesperson.pk, "self-assessment")
    draft = client.post(url, {"entries": entries(cyc, (4, "Good year."), (3, ""))}, "json")
    assert draft.status_code == 200, draft.json()
    assert draft.json()["status"] == "open"
    assert line(draft.json(), ch.ATTITUDE)["self_comment"] == "Good year."
    sent = client.post(url, {"entries": entries(cyc), "submit": True}, "json")
    assert sent.status_code == 200
    assert sent.json()["status"] == "self_assessed"
    again = client.post(url, {"entries": entries(cyc)}, "json")
    assert again.status_code == 403  # closed once sent


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("teammate", 404), ("other_supervisor", 404), ("supervisor", 403), ("department", 403)],
)
def test_nobody_else_self_assesses(api_as, cyc, persona, expected):
    url = appraisals_url(cyc.salesperson.pk, "self-assessment")
    response = api_as(persona).post(url, {"entries": entries(cyc)}, "json")
    assert response.status_code == expected
    assert ch.reload(cyc.salesperson).scores.filter(self_level__isnull=False).count() == 0


def test_a_bad_self_assessment_is_refused_naming_the_dimension(api_as, cyc):
    url = appraisals_url(cyc.salesperson.pk, "self-assessment")
    client = api_as("salesperson")
    response = client.post(url, {"entries": entries(cyc, (9, ""))}, "json")
    assert response.status_code == 400
    assert ch.ATTITUDE in response.json()["detail"]
    shape = client.post(url, {"entries": [{"dimension": "x"}]}, "json")
    assert shape.status_code == 400
    assert "entries" in field_errors(shape)
    twice = entries(cyc) + entries(cyc)
    assert client.post(url, {"entries": twice}, "json").status_code == 400


def test_the_supervisor_rates_and_submits(api_as, cyc):
    url = appraisals_url(cyc.salesperson.pk, "rating")
    client = api_as("supervisor")
    draft = client.post(url, {"entries": entries(cyc, (4, ""), (3, ""))}, "json")
    assert draft.status_code == 200, draft.json()
    assert draft.json()["status"] == "open"
    sent = client.post(url, {"entries": entries(cyc, (4, ""), (3, "")), "submit": True}, "json")
    assert sent.status_code == 200
    body = sent.json()
    assert body["status"] == "rated" and body["rated_by"]["username"] == "sue"
    assert client.post(url, {"entries": entries(cyc)}, "json").status_code == 403


def test_a_rating_at_the_top_or_bottom_needs_a_comment(api_as, cyc):
    url = appraisals_url(cyc.salesperson.pk, "rating")
    response = api_as("supervisor").post(
        url, {"entries": entries(cyc, (5, ""), (3, "")), "submit": True}, "json"
    )
    assert response.status_code == 400
    assert ch.ATTITUDE in response.json()["detail"]
    assert ch.reload(cyc.salesperson).status == "open"
    commented = api_as("supervisor").post(
        url, {"entries": entries(cyc, (5, "Outstanding."), (3, "")), "submit": True}, "json"
    )
    assert commented.status_code == 200


@pytest.mark.parametrize(
    ("persona", "whose", "expected"),
    [
        ("supervisor", "supervisor", 403),  # never one's own
        ("regional", "supervisor", 200),
        ("regional", "salesperson", 200),  # a unit above
        ("other_supervisor", "salesperson", 404),  # outside the subtree
        ("supervisor", "east2_person", 404),
        ("salesperson", "salesperson", 403),
        ("teammate", "salesperson", 404),
        ("hr", "salesperson", 404),
        ("department", "salesperson", 403),
    ],
)
def test_who_rates_whom(api_as, cyc, persona, whose, expected):
    url = appraisals_url(getattr(cyc, whose).pk, "rating")
    response = api_as(persona).post(url, {"entries": entries(cyc), "submit": True}, "json")
    assert response.status_code == expected
    assert ch.reload(getattr(cyc, whose)).status == ("rated" if expected == 200 else "open")


# --- peer rating -----------------------------------------------------------------------------


def test_a_teammate_rates_on_the_peer_dimensions_without_seeing_the_appraisal(api_as, cyc):
    client = api_as("teammate")
    url = appraisals_url(cyc.salesperson.pk, "peer-rating")
    form = client.get(url)
    assert form.status_code == 200
    body = form.json()
    assert body["person"]["username"] == "sam"
    assert [d["name"] for d in body["dimensions"]] == [ch.TEAMWORK]
    assert body["dimensions"][0]["scale"][0]["anchor"] == "Poor"
    assert body["entries"] == []
    teamwork = cyc.dims[ch.TEAMWORK].pk
    saved = client.post(url, {"entries": [{"dimension": teamwork, "level": 4}]}, "json")
    assert saved.status_code == 200
    assert saved.json()["entries"] == [{"dimension": teamwork, "level": 4, "comment": ""}]
    assert PeerRating.objects.filter(appraisal=cyc.salesperson, rater__username="tina").exists()
    assert client.get(appraisals_url(cyc.salesperson.pk)).status_code == 404
    attitude = cyc.dims[ch.ATTITUDE].pk
    refused = client.post(url, {"entries": [{"dimension": attitude, "level": 4}]}, "json")
    assert refused.status_code == 400


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("east2_person", 404),  # another team
        ("other_salesperson", 404),
        ("salesperson", 403),  # their own appraisal
        ("supervisor", 403),  # the rater: sees it, rates it as supervisor
        ("department", 403),
    ],
)
def test_only_teammates_peer_rate(api_as, cyc, persona, expected):
    url = appraisals_url(cyc.salesperson.pk, "peer-rating")
    teamwork = cyc.dims[ch.TEAMWORK].pk
    response = api_as(persona).post(url, {"entries": [{"dimension": teamwork, "level": 3}]}, "json")
    assert response.status_code == expected
    assert not PeerRating.objects.exists()


def test_peer_rating_closes_when_the_supervisor_submits(api_as, org, cyc):
    ch.rate(org, cyc.salesperson)
    url = appraisals_url(cyc.salesperson.pk, "peer-rating")
    teamwork = cyc.dims[ch.TEAMWORK].pk
    response = api_as("teammate").post(
        url, {"entries": [{"dimension": teamwork, "level": 3}]}, "json"
    )
    assert response.status_code == 403


# --- calibration adjustments ---------------------------------------------------------------------


def test_the_department_adjusts_a_score_with_a_reason(api_as, org, cyc):
    ch.rate(org, cyc.salesperson)
    url = appraisals_url(cyc.salesperson.pk, "adjust")
    data = {"dimension": cyc.dims[ch.ATTAINMENT].pk, "score": "85", "reason": "ERP outage."}
    response = api_as("department").post(url, data, "json")
    assert response.status_code == 200, response.json()
    row = line(response.json(), ch.ATTAINMENT)
    assert (row["adjusted_score"], row["adjustment_reason"]) == ("85.00", "ERP outage.")
    assert response.json()["adjustments"][0]["adjusted_by"]["username"] == "dora"
    assert Adjustment.objects.filter(appraisal=cyc.salesperson).count() == 1
    no_reason = api_as("department").post(url, {**data, "reason": ""}, "json")
    assert no_reason.status_code == 400 and "reason" in field_errors(no_reason)


def test_adjusting_before_the_rating_is_refused_naming_the_person(api_as, org, cyc):
    url = appraisals_url(cyc.salesperson.pk, "adjust")
    data = {"dimension": cyc.dims[ch.ATTAINMENT].pk, "score": "85", "reason": "ERP outage."}
    response = api_as("department").post(url, data, "json")
    assert response.status_code == 400
    assert org.salesperson.display_name in response.json()["detail"]
    assert not Adjustment.objects.exists()


@pytest.mark.parametrize(("persona", "expected"), [("supervisor", 403), ("hr", 403)])
def test_nobody_else_adjusts(api_as, org, cyc, persona, expected):
    if persona == "hr":
        ch.finalise(org, cyc.salesperson)
    else:
        ch.rate(org, cyc.salesperson)
    url = appraisals_url(cyc.salesperson.pk, "adjust")
    data = {"dimension": cyc.dims[ch.ATTAINMENT].pk, "score": "85", "reason": "Why not."}
    assert api_as(persona).post(url, data, "json").status_code == expected
    assert not Adjustment.objects.filter(reason="Why not.").exists()


# --- release, acknowledgement, appeal, resolution ------------------------------------------------


@pytest.fixture
def released(api_as, org, cyc):
    """sam's appraisal finalised and released through the API (now: within the window)."""
    ch.finalise(org, cyc.salesperson)
    assert api_as("department").post(cycles_url(cyc.cycle.pk, "release")).status_code == 200
    return ch.reload(cyc.salesperson)


def test_the_person_acknowledges(api_as, released):
    url = appraisals_url(released.pk, "acknowledge")
    assert api_as("supervisor").post(url).status_code == 403
    assert api_as("teammate").post(url).status_code == 404
    response = api_as("salesperson").post(url)
    assert response.status_code == 200
    assert response.json()["status"] == "acknowledged"
    again = api_as("salesperson").post(url)
    assert again.status_code == 400 and again.json()["detail"]


def test_the_person_appeals_within_the_window_and_the_department_changes_the_result(
    api_as, cyc, released
):
    url = appraisals_url(released.pk, "appeal")
    assert api_as("supervisor").post(url, {"reason": "x"}, "json").status_code == 403
    assert api_as("salesperson").post(url, {"reason": ""}, "json").status_code == 400
    response = api_as("salesperson").post(url, {"reason": "Teamwork was better."}, "json")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "appealed"
    assert body["appeal"]["reason"] == "Teamwork was better."
    resolve = appraisals_url(released.pk, "resolve")
    change = {
        "outcome": "changed",
        "reason": "Peers confirm it.",
        "changes": [{"dimension": cyc.dims[ch.TEAMWORK].pk, "score": "100"}],
    }
    assert api_as("hr").post(resolve, change, "json").status_code == 403
    assert api_as("salesperson").post(resolve, change, "json").status_code == 403
    resolved = api_as("department").post(resolve, change, "json")
    assert resolved.status_code == 200, resolved.json()
    body = resolved.json()
    assert body["status"] == "resolved"
    assert [v["version"] for v in body["versions"]] == [1, 2]
    assert body["versions"][1]["reason"] == "Peers confirm it."
    assert Decimal(body["versions"][1]["score"]) > Decimal(body["versions"][0]["score"])
    assert body["appeal"]["resolution"] == "changed"
    assert AppraisalResult.objects.filter(appraisal=released).count() == 2


def test_an_appeal_upheld_keeps_the_result(api_as, released):
    api_as("salesperson").post(
        appraisals_url(released.pk, "appeal"), {"reason": "Too low."}, "json"
    )
    url = appraisals_url(released.pk, "resolve")
    bad = api_as("department").post(url, {"outcome": "maybe", "reason": "x"}, "json")
    assert bad.status_code == 400 and "outcome" in field_errors(bad)
    response = api_as("department").post(url, {"outcome": "upheld", "reason": "Fair."}, "json")
    assert response.status_code == 200
    assert response.json()["appeal"]["resolution"] == "upheld"
    assert [v["version"] for v in response.json()["versions"]] == [1]


def test_an_appeal_after_the_window_is_refused(api_as, org, cyc):
    ch.release(org, cyc.salesperson)  # released on 2026-04-15: the window has closed
    response = api_as("salesperson").post(
        appraisals_url(cyc.salesperson.pk, "appeal"), {"reason": "Too low."}, "json"
    )
    assert response.status_code == 400
    assert "2026-04-25" in response.json()["detail"]
    assert ch.reload(cyc.salesperson).status == "released"


def test_resolving_without_an_appeal_is_refused(api_as, released):
    response = api_as("department").post(
        appraisals_url(released.pk, "resolve"), {"outcome": "upheld", "reason": "x"}, "json"
    )
    assert response.status_code == 400
    assert "no appeal" in response.json()["detail"]


# --- fixed query counts ---------------------------------------------------------------------


def grow(org, teams: int = 4, people: int = 4) -> None:
    """More teams (each with its supervisor) and salespeople under EAST and SOUTH."""
    for team, _lead, person, _i in grow_teams(org, teams, people):
        MembershipFactory(user=person, unit=team)


def progress(org, cycle, *, finalise_on: datetime.date) -> Appraisal:
    """Every appraisal of the cycle rated, sam's finalised (rows in every shape), a
    teammate's peer rating of sam; returns sam's appraisal."""
    for appraisal in Appraisal.objects.filter(cycle=cycle).select_related("unit"):
        rater = ch.rater_for(org, appraisal)
        if appraisal.unit.code.startswith("grow-"):
            rater = User.objects.get(username=f"lead-{appraisal.unit.code.split('-')[1]}")
        if appraisal.person_id == org.salesperson.pk:
            PeerRating.objects.create(
                appraisal=appraisal,
                dimension=ch.dimensions(cycle)[ch.TEAMWORK],
                rater=org.teammate,
                level=3,
            )
        ch.rate(org, appraisal, rater=rater)
    sam = ch.appraisal_of(cycle, org.salesperson)
    ch.finalise(org, sam, today=finalise_on, now=ch.at(finalise_on))
    return ch.reload(sam)


def endpoints(cycle, sam, tina):
    return [
        ("department", cycles_url()),
        ("supervisor", cycles_url()),
        ("department", cycles_url(cycle.pk)),
        ("regional", cycles_url(cycle.pk)),
        ("department", cycles_url(cycle.pk, "calibration")),
        ("department", appraisals_url()),
        ("regional", appraisals_url()),
        ("salesperson", appraisals_url()),
        ("hr", appraisals_url()),
        ("department", appraisals_url(sam.pk)),
        ("hr", appraisals_url(sam.pk)),
        ("salesperson", appraisals_url(sam.pk)),
        ("supervisor", appraisals_url(tina.pk)),
        ("salesperson", appraisals_url(tina.pk, "peer-rating")),
        ("regional", reverse("api-appraisal-to-rate")),
        ("teammate", reverse("api-appraisal-to-rate")),
    ]


def count_endpoints(org, cycle, assert_max) -> list[int]:
    sam = ch.appraisal_of(cycle, org.salesperson)
    tina = ch.appraisal_of(cycle, org.teammate)
    Appraisal.objects.filter(pk=tina.pk).update(status="open")  # peers may rate again
    counts = []
    for persona, path in endpoints(cycle, sam, tina):
        client = APIClient()
        # A fresh user object: nothing cached on it from an earlier request.
        client.force_authenticate(User.objects.get(pk=getattr(org, persona).pk))
        with assert_max(MAX_API_QUERIES) as captured:
            response = client.get(path, {"page_size": 500})
        assert response.status_code == 200, (persona, path, response.content[:300])
        counts.append(len(captured))
    return counts


def test_every_endpoint_costs_the_same_few_queries_small_and_large(
    org, django_assert_max_num_queries
):
    year = ch.make_year()
    template = ch.make_cycle_template(org, year=year)
    small = ch.make_cycle(org, template=template)
    ch.compute(small)
    progress(org, small, finalise_on=ch.AFTER_END)
    small_counts = count_endpoints(org, small, django_assert_max_num_queries)

    grow(org)  # then a cycle for the next quarter: four times as many appraisals
    large = ch.make_cycle(
        org, template=template, period=year.quarters[1], today=datetime.date(2026, 5, 4)
    )
    ch.compute(large, today=datetime.date(2026, 7, 10))
    progress(org, large, finalise_on=datetime.date(2026, 7, 10))
    assert Appraisal.objects.filter(cycle=large).count() == 21
    large_counts = count_endpoints(org, large, django_assert_max_num_queries)
    assert large_counts == small_counts


# --- schema ------------------------------------------------------------------------------


def test_the_schema_documents_the_cycle_endpoints(api_as, org):
    paths = api_as("department").get(reverse("api-schema"), {"format": "json"}).json()["paths"]
    for path in (
        "/api/v1/appraisal-cycles/",
        "/api/v1/appraisal-cycles/{id}/",
        "/api/v1/appraisal-cycles/{id}/compute/",
        "/api/v1/appraisal-cycles/{id}/finalise/",
        "/api/v1/appraisal-cycles/{id}/release/",
        "/api/v1/appraisal-cycles/{id}/calibration/",
        "/api/v1/appraisals/",
        "/api/v1/appraisals/{id}/",
        "/api/v1/appraisals/{id}/self-assessment/",
        "/api/v1/appraisals/{id}/rating/",
        "/api/v1/appraisals/{id}/peer-rating/",
        "/api/v1/appraisals/{id}/adjust/",
        "/api/v1/appraisals/{id}/acknowledge/",
        "/api/v1/appraisals/{id}/appeal/",
        "/api/v1/appraisals/{id}/resolve/",
        "/api/v1/appraisals/to-rate/",
    ):
        assert path in paths, path
