"""The appraisal cycle pages, persona by persona (hidden → 404, visible but forbidden →
403, anonymous → sign in), and the whole workflow through the browser: the
department opens a cycle, the salesperson assesses themselves, teammates rate as
peers, the supervisor rates (comment required at the extremes), the department
calibrates, finalises and releases, the person reads the explained result and
appeals, the department resolves it with a new version; "To rate" and "My
appraisals"; fixed query counts.

The cycle (FY2026 Q1, EAST + SOUTH) appraises sam, tina and sue (T-EAST-1; sue
rated by rita), eve (T-EAST-2, rita) and oscar (T-SOUTH-1, otto). The clock
(timezone.localdate and timezone.now) is pinned: during the quarter by default,
after it for finalisation and release."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from appraisal.models import (
    Adjustment,
    Appraisal,
    AppraisalResult,
    Cycle,
    PeerRating,
)
from org.models import Membership
from tests.appraisal import cycle_helpers as ch
from tests.factories import MembershipFactory, UserFactory

DURING = datetime.date(2026, 3, 1)  # Q1 2026 is running
AFTER = ch.AFTER_END  # Q1 2026 has ended
RELEASED_DAY = datetime.date(2026, 4, 16)  # the day after the release, appeal open

PERSONAS = [
    "salesperson",  # sam, T-EAST-1
    "teammate",  # tina, T-EAST-1
    "east2_person",  # eve, T-EAST-2
    "other_salesperson",  # oscar, T-SOUTH-1
    "supervisor",  # sue leads T-EAST-1 and is a member of it
    "other_supervisor",  # otto leads T-SOUTH-1
    "regional",  # rita leads EAST
    "department",  # dora
    "hr",  # harry
]


class Clock:
    def __init__(self, time_machine):
        self.time_machine = time_machine
        self.set(DURING)

    def set(self, day: datetime.date) -> None:
        self.time_machine.move_to(ch.at(day), tick=False)


@pytest.fixture
def clock(time_machine):
    return Clock(time_machine)


@pytest.fixture
def cycle(org, clock):
    cycle = ch.make_cycle(org)
    ch.compute(cycle, today=DURING)
    return cycle


def url(name, *args):
    return reverse(f"appraisal:{name}", args=args)


def main(html: str) -> str:
    """The page without the navigation bar."""
    return html.split("<main", 1)[1]


def shows(html: str, appraisal: Appraisal) -> bool:
    return url("appraisal-detail", appraisal.pk) in html


def of(cycle, org, persona):
    return ch.appraisal_of(cycle, getattr(org, persona))


def get(client_as, persona, path):
    return client_as(persona).get(path)


def status(client_as, persona, path, method="get", data=None):
    client = client_as(persona)
    if method == "post":
        return client.post(path, data or {}).status_code
    return client.get(path).status_code


def rating_data(cycle, levels: dict[str, int | None], comments=None, action="submit") -> dict:
    dims = ch.dimensions(cycle)
    data = {"action": action}
    for name, level in levels.items():
        pk = dims[name].pk
        data[f"level_{pk}"] = "" if level is None else str(level)
        data[f"comment_{pk}"] = (comments or {}).get(name, "")
    return data


# --- anonymous --------------------------------------------------------------------------------


def test_anonymous_people_are_sent_to_sign_in_from_every_page(client_as, org, cycle):
    sam = of(cycle, org, "salesperson").pk
    paths = [
        url("cycles"),
        url("cycle-new"),
        url("cycle-detail", cycle.pk),
        url("cycle-compute", cycle.pk),
        url("cycle-finalise", cycle.pk),
        url("cycle-release", cycle.pk),
        url("cycle-calibration", cycle.pk),
        url("to-rate"),
        url("appraisal-detail", sam),
        url("self-assessment", sam),
        url("rating", sam),
        url("peer-rating", sam),
        url("adjust", sam),
        url("appeal", sam),
        url("resolve", sam),
    ]
    client = client_as("anonymous")
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("login")), path
    for name in ("finalise", "acknowledge"):
        response = client.post(url(name, sam))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


# --- cycles: list, opening, overview, actions -----------------------------------------------


CYCLE_LIST = {
    "department": 200,
    "hr": 200,
    "supervisor": 200,
    "other_supervisor": 200,
    "regional": 200,
    "salesperson": 403,
    "teammate": 403,
    "east2_person": 403,
    "other_salesperson": 403,
}


@pytest.mark.parametrize(("persona", "expected"), sorted(CYCLE_LIST.items()))
def test_the_cycle_list_is_for_the_department_hr_and_supervisors(
    client_as, cycle, persona, expected
):
    response = get(client_as, persona, url("cycles"))
    assert response.status_code == expected
    if expected == 200 and persona != "hr":
        assert url("cycle-detail", cycle.pk) in response.content.decode()


def test_hr_sees_a_cycle_only_once_something_is_finalised(client_as, org, cycle, clock):
    assert url("cycle-detail", cycle.pk) not in get(client_as, "hr", url("cycles")).content.decode()
    assert status(client_as, "hr", url("cycle-detail", cycle.pk)) == 404
    clock.set(AFTER)
    ch.finalise(org, of(cycle, org, "salesperson"))
    assert url("cycle-detail", cycle.pk) in get(client_as, "hr", url("cycles")).content.decode()
    html = get(client_as, "hr", url("cycle-detail", cycle.pk)).content.decode()
    assert shows(html, of(cycle, org, "salesperson"))  # the finalised one only
    assert not shows(html, of(cycle, org, "teammate"))


CYCLE_DETAIL = {
    "department": 200,
    "supervisor": 200,
    "other_supervisor": 200,
    "regional": 200,
    "hr": 404,
    "salesperson": 404,
    "teammate": 404,
    "east2_person": 404,
    "other_salesperson": 404,
}


@pytest.mark.parametrize(("persona", "expected"), sorted(CYCLE_DETAIL.items()))
def test_the_overview_is_hidden_from_those_without_an_appraisal_in_it(
    client_as, cycle, persona, expected
):
    assert status(client_as, persona, url("cycle-detail", cycle.pk)) == expected


def test_a_supervisor_sees_only_the_appraisals_of_the_units_they_lead(client_as, org, cycle):
    html = get(client_as, "other_supervisor", url("cycle-detail", cycle.pk)).content.decode()
    assert shows(html, of(cycle, org, "other_salesperson"))
    assert not shows(html, of(cycle, org, "salesperson"))
    assert not shows(html, of(cycle, org, "east2_person"))
    html = get(client_as, "supervisor", url("cycle-detail", cycle.pk)).content.decode()
    assert shows(html, of(cycle, org, "salesperson")) and shows(html, of(cycle, org, "teammate"))
    assert not shows(html, of(cycle, org, "east2_person"))
    assert not shows(html, of(cycle, org, "other_salesperson"))
    # sue rates sam, never herself
    assert url("rating", of(cycle, org, "salesperson").pk) in html
    assert url("rating", of(cycle, org, "supervisor").pk) not in html
    assert url("cycle-finalise", cycle.pk) not in html


def test_the_department_sees_everything_and_every_action(client_as, org, cycle):
    html = get(client_as, "department", url("cycle-detail", cycle.pk)).content.decode()
    for appraisal in Appraisal.objects.filter(cycle=cycle):
        assert shows(html, appraisal)
    for action in ("cycle-compute", "cycle-finalise", "cycle-release", "cycle-calibration"):
        assert url(action, cycle.pk) in html


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("department", 200),
        ("supervisor", 403),
        ("regional", 403),
        ("other_supervisor", 403),
        ("hr", 404),
        ("salesperson", 404),
    ],
)
@pytest.mark.parametrize(
    "action", ["cycle-compute", "cycle-finalise", "cycle-release", "cycle-calibration"]
)
def test_the_cycle_actions_and_calibration_are_the_departments(
    client_as, cycle, persona, expected, action
):
    assert status(client_as, persona, url(action, cycle.pk)) == expected
    if action != "cycle-calibration" and persona != "department":
        assert status(client_as, persona, url(action, cycle.pk), "post") == expected


@pytest.mark.parametrize("persona", ["supervisor", "hr", "salesperson", "regional"])
def test_only_the_department_opens_a_cycle(client_as, org, clock, persona):
    template = ch.make_cycle_template(org)
    quarter = ch.make_year().quarters[0]
    assert status(client_as, persona, url("cycle-new")) == 403
    data = {"template": template.pk, "period": quarter.pk}
    assert status(client_as, persona, url("cycle-new"), "post", data) == 403
    assert not Cycle.objects.exists()


def test_the_department_opens_a_cycle_from_the_page(client_as, org, clock):
    template = ch.make_cycle_template(org)
    year = ch.make_year()
    client = client_as("department")
    page = client.get(url("cycle-new")).content.decode()
    assert template.display_name in page
    response = client.post(
        url("cycle-new"), {"template": template.pk, "period": year.quarters[0].pk}
    )
    cycle = Cycle.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("cycle-detail", cycle.pk)
    assert set(cycle.appraisals.values_list("person__username", flat=True)) == {
        "sam",
        "tina",
        "sue",
        "eve",
        "oscar",
    }
    # the same again: refused by the service, shown on the form
    response = client.post(
        url("cycle-new"), {"template": template.pk, "period": year.quarters[0].pk}
    )
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert Cycle.objects.count() == 1


def test_a_period_of_another_kind_is_refused_on_the_form(client_as, org, clock):
    template = ch.make_cycle_template(org)
    month = ch.make_year().months[0]
    response = client_as("department").post(
        url("cycle-new"), {"template": template.pk, "period": month.pk}
    )
    assert response.status_code == 400
    assert "period" in response.context["form"].errors
    assert not Cycle.objects.exists()


def test_a_population_inside_the_templates_can_be_chosen(client_as, org, clock):
    template = ch.make_cycle_template(org)
    year = ch.make_year()
    client_as("department").post(
        url("cycle-new"),
        {"template": template.pk, "period": year.quarters[0].pk, "units": [org.south.pk]},
    )
    assert list(Cycle.objects.get().appraisals.values_list("person__username", flat=True)) == [
        "oscar"
    ]


def test_recomputing_the_figures_asks_first_then_runs(client_as, org, cycle):
    client = client_as("department")
    page = client.get(url("cycle-compute", cycle.pk)).content.decode()
    assert "Recompute now" in page
    response = client.post(url("cycle-compute", cycle.pk))
    assert response.status_code == 302
    cycle.refresh_from_db()
    assert cycle.computed_at is not None


def test_finalising_before_the_period_ends_says_when_it_ends(client_as, org, cycle):
    ch.rate(org, of(cycle, org, "salesperson"))
    response = client_as("department").post(url("cycle-finalise", cycle.pk))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was done." in html and "2026-03-31" in html
    assert not Appraisal.objects.filter(finalised_at__isnull=False).exists()


def test_finalising_the_ready_ones_lists_the_refusals_of_the_others(client_as, org, cycle, clock):
    sam = ch.rate(org, of(cycle, org, "salesperson"))
    ch.adjust_missing(org, sam)
    clock.set(AFTER)
    response = client_as("department").post(url("cycle-finalise", cycle.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "These appraisals are not finalised yet" in html
    assert escape(org.teammate.display_name) in html
    assert ch.reload(sam).status == Appraisal.Status.FINALISED
    assert ch.reload(of(cycle, org, "teammate")).status != Appraisal.Status.FINALISED


def test_releasing_with_nothing_finalised_is_refused(client_as, cycle):
    response = client_as("department").post(url("cycle-release", cycle.pk))
    assert response.status_code == 400
    assert "No finalised appraisal" in response.content.decode()


# --- one appraisal: who sees it ---------------------------------------------------------------


SAM_DETAIL = {
    "salesperson": 200,
    "supervisor": 200,
    "regional": 200,
    "department": 200,
    "teammate": 404,
    "east2_person": 404,
    "other_salesperson": 404,
    "other_supervisor": 404,
    "hr": 404,
}


@pytest.mark.parametrize(("persona", "expected"), sorted(SAM_DETAIL.items()))
def test_an_appraisal_is_seen_by_the_person_the_raters_and_the_department(
    client_as, org, cycle, persona, expected
):
    sam = of(cycle, org, "salesperson")
    assert status(client_as, persona, url("appraisal-detail", sam.pk)) == expected


def test_hr_reads_a_finalised_appraisal_but_changes_nothing(client_as, org, cycle, clock):
    clock.set(AFTER)
    sam = ch.finalise(org, of(cycle, org, "salesperson"))
    assert status(client_as, "hr", url("appraisal-detail", sam.pk)) == 200
    assert status(client_as, "hr", url("adjust", sam.pk)) == 403
    assert status(client_as, "hr", url("resolve", sam.pk)) == 403
    assert status(client_as, "hr", url("finalise", sam.pk), "post") == 403
    assert status(client_as, "hr", url("acknowledge", sam.pk), "post") == 403
    assert status(client_as, "hr", url("cycle-release", cycle.pk), "post") == 403


def test_the_person_does_not_see_the_supervisors_rating_before_release(
    client_as, org, cycle, clock
):
    sam = of(cycle, org, "salesperson")
    ch.rate(org, sam, levels=(5, 3), comments=("A model of initiative.", "Solid."))
    html = get(client_as, "salesperson", url("appraisal-detail", sam.pk)).content.decode()
    assert "A model of initiative." not in html
    assert "hidden until release" in html
    assert "Final score" not in html
    # the supervisor and the department see it
    for persona in ("supervisor", "department"):
        html = get(client_as, persona, url("appraisal-detail", sam.pk)).content.decode()
        assert "A model of initiative." in html
    # released: the person sees it, with the result
    clock.set(AFTER)
    ch.release(org, ch.reload(sam))
    clock.set(RELEASED_DAY)
    html = get(client_as, "salesperson", url("appraisal-detail", sam.pk)).content.decode()
    assert "A model of initiative." in html
    assert "Final score" in html and "Recorded results" in html


def test_the_working_explains_each_dimension(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    html = get(client_as, "department", url("appraisal-detail", sam.pk)).content.decode()
    assert ch.ATTAINMENT in html and ch.SATISFACTION in html
    assert "Below 60 % scores 0" in html  # the curve in words
    assert "Excellent" in html  # a scale anchor
    assert "not part of the score" in html


def test_the_working_is_in_chinese_for_a_chinese_reader(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    client = client_as("salesperson")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    html = client.get(url("appraisal-detail", sam.pk)).content.decode()
    assert "营业收入达成率" in html and "工作态度" in html
    html = client.get(url("self-assessment", sam.pk)).content.decode()
    assert "优秀" in html  # the anchors in the reader's language


# --- self-assessment ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("salesperson", 200),
        ("supervisor", 403),
        ("department", 403),
        ("regional", 403),
        ("teammate", 404),
        ("other_supervisor", 404),
        ("hr", 404),
    ],
)
def test_only_the_person_assesses_themselves(client_as, org, cycle, persona, expected):
    sam = of(cycle, org, "salesperson")
    assert status(client_as, persona, url("self-assessment", sam.pk)) == expected
    if persona != "salesperson":
        data = rating_data(cycle, {ch.ATTITUDE: 5, ch.TEAMWORK: 5})
        assert status(client_as, persona, url("self-assessment", sam.pk), "post", data) == expected
        assert ch.reload(sam).status == Appraisal.Status.OPEN


def test_a_salesperson_saves_then_sends_the_self_assessment(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    client = client_as("salesperson")
    page = client.get(url("self-assessment", sam.pk)).content.decode()
    assert "Excellent" in page and "Poor" in page  # the anchors
    assert ch.SATISFACTION not in main(page)  # only the dimensions rated by the person
    draft = rating_data(cycle, {ch.ATTITUDE: 4, ch.TEAMWORK: None}, action="save")
    response = client.post(url("self-assessment", sam.pk), draft)
    assert response.status_code == 302
    assert ch.reload(sam).status == Appraisal.Status.OPEN
    page = client.get(url("self-assessment", sam.pk)).content.decode()
    assert 'value="4" checked' in page
    sent = rating_data(cycle, {ch.ATTITUDE: 4, ch.TEAMWORK: 5}, {ch.TEAMWORK: "I help a lot."})
    response = client.post(url("self-assessment", sam.pk), sent)
    assert response.status_code == 302
    sam = ch.reload(sam)
    assert sam.status == Appraisal.Status.SELF_ASSESSED
    # sent: the form is closed
    assert status(client_as, "salesperson", url("self-assessment", sam.pk)) == 403


def test_sending_an_incomplete_self_assessment_is_refused_on_the_form(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    data = rating_data(cycle, {ch.ATTITUDE: 4, ch.TEAMWORK: None})
    response = client_as("salesperson").post(url("self-assessment", sam.pk), data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()
    assert ch.reload(sam).status == Appraisal.Status.OPEN


# --- supervisor rating ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("supervisor", 200),
        ("regional", 200),
        ("department", 403),
        ("salesperson", 403),
        ("teammate", 404),
        ("other_supervisor", 404),
        ("hr", 404),
    ],
)
def test_the_supervisors_above_rate(client_as, org, cycle, persona, expected):
    sam = of(cycle, org, "salesperson")
    assert status(client_as, persona, url("rating", sam.pk)) == expected
    if expected != 200:
        data = rating_data(cycle, {ch.ATTITUDE: 3, ch.TEAMWORK: 3})
        assert status(client_as, persona, url("rating", sam.pk), "post", data) == expected
        assert ch.reload(sam).rated_at is None


def test_a_supervisor_never_rates_themselves(client_as, org, cycle):
    sue = of(cycle, org, "supervisor")
    assert status(client_as, "supervisor", url("rating", sue.pk)) == 403
    data = rating_data(
        cycle, {ch.ATTITUDE: 5, ch.TEAMWORK: 5}, {ch.ATTITUDE: "Me!", ch.TEAMWORK: "Me!"}
    )
    assert status(client_as, "supervisor", url("rating", sue.pk), "post", data) == 403
    assert status(client_as, "regional", url("rating", sue.pk)) == 200


def test_the_rating_form_shows_the_self_assessment_and_says_it_is_no_score(client_as, org, cycle):
    sam = ch.self_assess(of(cycle, org, "salesperson"), levels=(2, 5))
    html = get(client_as, "supervisor", url("rating", sam.pk)).content.decode()
    assert "Self-assessment" in html
    assert "not part of the score" in html
    assert "comment required" in html
    assert "Excellent" in html and "Poor" in html


def test_a_comment_is_required_at_the_top_and_bottom_levels(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    client = client_as("supervisor")
    data = rating_data(cycle, {ch.ATTITUDE: 5, ch.TEAMWORK: 3})
    response = client.post(url("rating", sam.pk), data)
    assert response.status_code == 400
    errors = " ".join(response.context["form"].non_field_errors())
    assert ch.ATTITUDE in errors
    assert ch.reload(sam).status == Appraisal.Status.OPEN
    data = rating_data(cycle, {ch.ATTITUDE: 5, ch.TEAMWORK: 3}, {ch.ATTITUDE: "Always first."})
    response = client.post(url("rating", sam.pk), data)
    assert response.status_code == 302
    sam = ch.reload(sam)
    assert sam.status == Appraisal.Status.RATED and sam.rated_by == org.supervisor
    # submitted: closed for the supervisor
    assert status(client_as, "supervisor", url("rating", sam.pk)) == 403


def test_a_draft_rating_keeps_the_appraisal_open(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    data = rating_data(cycle, {ch.ATTITUDE: 3, ch.TEAMWORK: None}, action="save")
    assert status(client_as, "supervisor", url("rating", sam.pk), "post", data) == 302
    assert ch.reload(sam).status == Appraisal.Status.OPEN


# --- peers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("teammate", 200),
        ("salesperson", 403),  # their own
        ("supervisor", 403),  # the rater, not a peer
        ("department", 403),
        ("east2_person", 404),
        ("other_salesperson", 404),
        ("other_supervisor", 404),
        ("hr", 404),
    ],
)
def test_only_teammates_rate_as_peers(client_as, org, cycle, persona, expected):
    sam = of(cycle, org, "salesperson")
    assert status(client_as, persona, url("peer-rating", sam.pk)) == expected


def test_a_peer_cannot_read_the_appraisal_itself(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    assert status(client_as, "teammate", url("peer-rating", sam.pk)) == 200
    assert status(client_as, "teammate", url("appraisal-detail", sam.pk)) == 404


def test_peers_rate_and_the_rater_sees_only_their_average(client_as, org, cycle):
    sue = of(cycle, org, "supervisor")  # rated by rita; peers: sam and tina
    for persona, level, comment in (("salesperson", 4, "Secret A"), ("teammate", 5, "Secret B")):
        page = get(client_as, persona, url("peer-rating", sue.pk)).content.decode()
        assert ch.TEAMWORK in page and ch.ATTITUDE not in main(page)  # peer dimensions only
        data = rating_data(cycle, {ch.TEAMWORK: level}, {ch.TEAMWORK: comment}, action="save")
        response = client_as(persona).post(url("peer-rating", sue.pk), data)
        assert response.status_code == 302
    assert PeerRating.objects.filter(appraisal=sue).count() == 2
    html = get(client_as, "regional", url("rating", sue.pk)).content.decode()
    assert "4.5" in html and "2 peers" in html
    assert "Secret A" not in html and "Secret B" not in html
    html = get(client_as, "regional", url("appraisal-detail", sue.pk)).content.decode()
    assert "Secret A" not in html and "4.5" in html


def test_a_single_peer_rating_is_not_shown(client_as, org, cycle):
    sue = of(cycle, org, "supervisor")
    data = rating_data(cycle, {ch.TEAMWORK: 2}, action="save")
    client_as("teammate").post(url("peer-rating", sue.pk), data)
    html = get(client_as, "regional", url("rating", sue.pk)).content.decode()
    assert "not enough peer ratings yet" in html


def test_peers_cannot_rate_once_the_supervisor_submitted(client_as, org, cycle):
    sam = ch.rate(org, of(cycle, org, "salesperson"))
    assert status(client_as, "teammate", url("peer-rating", sam.pk)) == 403


# --- to rate, my appraisals ----------------------------------------------------------------


def test_to_rate_lists_the_supervisors_and_the_peers_tasks(client_as, org, cycle):
    html = get(client_as, "supervisor", url("to-rate")).content.decode()
    assert url("rating", of(cycle, org, "salesperson").pk) in html
    assert url("rating", of(cycle, org, "teammate").pk) in html
    assert url("rating", of(cycle, org, "supervisor").pk) not in html
    html = get(client_as, "teammate", url("to-rate")).content.decode()
    assert url("peer-rating", of(cycle, org, "salesperson").pk) in html
    assert url("peer-rating", of(cycle, org, "teammate").pk) not in html
    assert "Nothing to rate as supervisor" in html
    for persona in ("hr", "department", "other_salesperson"):
        html = get(client_as, persona, url("to-rate")).content.decode()
        assert "Nothing to rate as supervisor" in html and "Nothing to rate as a peer" in html


def test_my_appraisals_lead_to_the_self_assessment(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    html = get(client_as, "salesperson", url("mine")).content.decode()
    assert "My appraisals" in html
    assert url("self-assessment", sam.pk) in html
    assert url("to-rate") in html  # sam can rate teammates as a peer
    html = get(client_as, "department", url("mine")).content.decode()
    assert "My appraisals" not in main(html)


# --- calibration, finalisation, release, appeal --------------------------------------------


def test_calibration_shows_the_distribution_and_flags_an_outlier(client_as, org, cycle):
    # sue rates harshly, rita and otto generously
    for persona in ("salesperson", "teammate"):
        ch.rate(org, of(cycle, org, persona), levels=(1, 1), comments=("Late.", "Alone."))
    for persona in ("supervisor", "east2_person", "other_salesperson"):
        ch.rate(org, of(cycle, org, persona), levels=(5, 5), comments=("Great.", "Great."))
    response = get(client_as, "department", url("cycle-calibration", cycle.pk))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Per supervisor" in html and "Per team" in html
    assert "Flagged supervisors" in html
    calibration = response.context["calibration"]
    flagged = {g.label for g in calibration.outlier_raters}
    assert org.supervisor.display_name in flagged
    assert "harsher" in html


def test_an_adjustment_needs_a_reason_and_is_recorded(client_as, org, cycle):
    sam = ch.rate(org, of(cycle, org, "salesperson"))
    dims = ch.dimensions(cycle)
    client = client_as("department")
    assert client.get(url("adjust", sam.pk)).status_code == 200
    data = {"dimension": dims[ch.ATTAINMENT].pk, "new_score": "85", "reason": " "}
    response = client.post(url("adjust", sam.pk), data)
    assert response.status_code == 400
    assert not Adjustment.objects.exists()
    data["reason"] = "The target was set late."
    data["next"] = "calibration"
    response = client.post(url("adjust", sam.pk), data)
    assert response.status_code == 302
    assert response["Location"] == url("cycle-calibration", cycle.pk)
    adjustment = Adjustment.objects.get()
    assert adjustment.new_score == Decimal("85") and adjustment.adjusted_by == org.department
    html = client.get(url("appraisal-detail", sam.pk)).content.decode()
    assert "The target was set late." in html
    html = client.get(url("cycle-calibration", cycle.pk)).content.decode()
    assert "The target was set late." in html


@pytest.mark.parametrize("persona", ["supervisor", "regional", "salesperson"])
def test_nobody_else_adjusts(client_as, org, cycle, persona):
    sam = ch.rate(org, of(cycle, org, "salesperson"))
    data = {"dimension": ch.dimensions(cycle)[ch.ATTAINMENT].pk, "new_score": "99", "reason": "x"}
    assert status(client_as, persona, url("adjust", sam.pk), "post", data) == 403
    assert not Adjustment.objects.exists()


def test_adjusting_an_appraisal_not_rated_yet_is_refused_on_the_form(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    data = {"dimension": ch.dimensions(cycle)[ch.ATTAINMENT].pk, "new_score": "80", "reason": "x"}
    response = client_as("department").post(url("adjust", sam.pk), data)
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def test_finalising_one_appraisal_names_the_missing_dimension(client_as, org, cycle, clock):
    sam = ch.rate(org, of(cycle, org, "salesperson"))
    clock.set(AFTER)
    client = client_as("department")
    response = client.post(url("finalise", sam.pk), follow=True)
    html = response.content.decode()
    assert ch.SATISFACTION in html or ch.ATTAINMENT in html
    assert ch.reload(sam).finalised_at is None
    ch.adjust_missing(org, sam)
    client.post(url("finalise", sam.pk))
    sam = ch.reload(sam)
    assert sam.status == Appraisal.Status.FINALISED
    assert AppraisalResult.objects.filter(appraisal=sam, version=1).exists()


def test_the_whole_release_and_appeal_through_the_pages(client_as, org, cycle, clock):
    sam = ch.rate(org, of(cycle, org, "salesperson"))
    ch.adjust_missing(org, sam)
    clock.set(AFTER)
    dept = client_as("department")
    assert dept.post(url("cycle-finalise", cycle.pk)).status_code in (200, 302)
    assert "Release now" in dept.get(url("cycle-release", cycle.pk)).content.decode()
    assert dept.post(url("cycle-release", cycle.pk)).status_code == 302
    assert ch.reload(sam).status == Appraisal.Status.RELEASED

    clock.set(RELEASED_DAY)
    person = client_as("salesperson")
    html = person.get(url("mine")).content.decode()
    assert "Read my result" in html
    html = person.get(url("appraisal-detail", sam.pk)).content.decode()
    assert url("appeal", sam.pk) in html and url("acknowledge", sam.pk) in html
    page = person.get(url("appeal", sam.pk)).content.decode()
    assert "You can appeal until" in page
    response = person.post(url("appeal", sam.pk), {"reason": ""})
    assert response.status_code == 400
    response = person.post(url("appeal", sam.pk), {"reason": "My teamwork was underrated."})
    assert response.status_code == 302
    assert ch.reload(sam).status == Appraisal.Status.APPEALED

    # nobody but the department resolves
    for persona in ("salesperson", "supervisor"):
        assert status(client_as, persona, url("resolve", sam.pk)) == 403
    page = dept.get(url("resolve", sam.pk)).content.decode()
    assert "My teamwork was underrated." in page
    teamwork = ch.dimensions(cycle)[ch.TEAMWORK].pk
    response = dept.post(url("resolve", sam.pk), {"outcome": "changed", "reason": "Agreed."})
    assert response.status_code == 400  # changed without a new score
    response = dept.post(
        url("resolve", sam.pk),
        {"outcome": "changed", "reason": "Peers confirm it.", f"score_{teamwork}": "90"},
    )
    assert response.status_code == 302
    sam = ch.reload(sam)
    assert sam.status == Appraisal.Status.RESOLVED
    assert list(sam.results.values_list("version", flat=True)) == [1, 2]
    html = person.get(url("appraisal-detail", sam.pk)).content.decode()
    assert "v2" in html and "Peers confirm it." in html


def test_the_person_acknowledges_a_released_result(client_as, org, cycle, clock):
    clock.set(AFTER)
    sam = ch.release(org, of(cycle, org, "salesperson"))
    clock.set(RELEASED_DAY)
    assert status(client_as, "supervisor", url("acknowledge", sam.pk), "post") == 403
    assert status(client_as, "teammate", url("acknowledge", sam.pk), "post") == 404
    response = client_as("salesperson").post(url("acknowledge", sam.pk))
    assert response.status_code == 302
    assert ch.reload(sam).status == Appraisal.Status.ACKNOWLEDGED
    # once acknowledged it can no longer be appealed
    response = client_as("salesperson").post(url("appeal", sam.pk), {"reason": "Too late."})
    assert response.status_code == 400
    assert ch.reload(sam).status == Appraisal.Status.ACKNOWLEDGED


def test_acknowledging_before_release_is_refused_with_a_message(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    response = client_as("salesperson").post(url("acknowledge", sam.pk), follow=True)
    assert "once released" in response.content.decode()
    assert ch.reload(sam).status == Appraisal.Status.OPEN


def test_an_appeal_after_the_window_is_refused(client_as, org, cycle, clock):
    clock.set(AFTER)
    sam = ch.release(org, of(cycle, org, "salesperson"))
    clock.set(datetime.date(2026, 6, 1))
    response = client_as("salesperson").post(url("appeal", sam.pk), {"reason": "Late."})
    assert response.status_code == 400
    assert "The time to appeal ended" in response.content.decode()


def test_the_navigation_offers_the_cycle_pages_by_role(client_as, cycle):
    html = get(client_as, "department", url("templates")).content.decode()
    assert url("cycles") in html
    html = get(client_as, "salesperson", url("templates")).content.decode()
    assert url("cycles") not in html and url("to-rate") in html
    assert reverse("appraisal-results:list") not in html
    html = get(client_as, "hr", url("templates")).content.decode()
    assert url("cycles") in html and url("to-rate") not in html
    assert reverse("appraisal-results:list") in html


# --- fixed query counts ---------------------------------------------------------------------

MAX_PAGE_QUERIES = 20


def grow(org, *, people: int = 6) -> None:
    """More salespeople in each team of the population."""
    for n in range(people):
        for unit in (org.team, org.team2, org.other_team):
            person = UserFactory(username=f"grown-{unit.code}-{n}", roles=["salesperson"])
            MembershipFactory(user=person, unit=unit, kind=Membership.Kind.MEMBER)


def progress(org, cycle) -> None:
    """Some appraisals self-assessed, some rated, one peer rating, one adjustment."""
    appraisals = list(Appraisal.objects.filter(cycle=cycle).select_related("unit"))
    for index, appraisal in enumerate(appraisals):
        if index % 3 == 0:
            ch.self_assess(appraisal)
        if index % 2 == 0:
            rated = ch.rate(org, ch.reload(appraisal))
            if index == 0:
                ch.adjust_missing(org, rated)


def pages(org, cycle) -> list[tuple[str, str]]:
    sam = of(cycle, org, "salesperson").pk
    sue = of(cycle, org, "supervisor").pk
    return [
        ("department", url("cycles")),
        ("department", url("cycle-detail", cycle.pk)),
        ("supervisor", url("cycle-detail", cycle.pk)),
        ("department", url("cycle-calibration", cycle.pk)),
        ("department", url("appraisal-detail", sam)),
        ("salesperson", url("appraisal-detail", sam)),
        ("regional", url("rating", sue)),
        ("teammate", url("peer-rating", sue)),
        ("supervisor", url("to-rate")),
        ("salesperson", url("mine")),
        ("department", url("adjust", sam)),
    ]


def count_pages(client_as, org, cycle, django_assert_max_num_queries) -> list:
    counts = []
    for persona, path in pages(org, cycle):
        client = client_as(persona)
        client.get(path)  # warm the session
        with (
            django_assert_max_num_queries(MAX_PAGE_QUERIES),
            CaptureQueriesContext(connection) as queries,
        ):
            response = client.get(path)
        assert response.status_code == 200, path
        counts.append((persona, path.split("/")[-2], len(queries)))
    return counts


def test_every_page_runs_a_fixed_number_of_queries(
    client_as, org, clock, django_assert_max_num_queries
):
    small_cycle = ch.make_cycle(org, code="small")
    progress(org, small_cycle)
    small = count_pages(client_as, org, small_cycle, django_assert_max_num_queries)
    grow(org)
    large_cycle = ch.make_cycle(org, code="large")
    assert large_cycle.appraisals.count() > 3 * small_cycle.appraisals.count()
    progress(org, large_cycle)
    large = count_pages(client_as, org, large_cycle, django_assert_max_num_queries)
    # the second cycle adds rows to the list, "to rate" and "my appraisals", not queries
    assert [(p, n) for p, _path, n in large] == [(p, n) for p, _path, n in small]


def test_an_appeal_upheld_keeps_the_single_version(client_as, org, cycle, clock):
    clock.set(AFTER)
    sam = ch.appeal(org, of(cycle, org, "salesperson"))
    clock.set(RELEASED_DAY)
    teamwork = ch.dimensions(cycle)[ch.TEAMWORK].pk
    dept = client_as("department")
    response = dept.post(
        url("resolve", sam.pk),
        {"outcome": "upheld", "reason": "The rating is fair.", f"score_{teamwork}": ""},
    )
    assert response.status_code == 302
    sam = ch.reload(sam)
    assert sam.status == Appraisal.Status.RESOLVED and sam.resolution == "upheld"
    assert list(sam.results.values_list("version", flat=True)) == [1]
    html = client_as("salesperson").get(url("appraisal-detail", sam.pk)).content.decode()
    assert "The rating is fair." in html


def test_a_peer_finds_their_rating_when_they_come_back(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    data = rating_data(cycle, {ch.TEAMWORK: 2}, {ch.TEAMWORK: "Could share more."}, "save")
    client = client_as("teammate")
    assert client.post(url("peer-rating", sam.pk), data).status_code == 302
    page = client.get(url("peer-rating", sam.pk)).content.decode()
    assert 'value="2" checked' in page and "Could share more." in page
    html = client.get(url("to-rate")).content.decode()
    assert html.count(">given</span>") == 1  # sam rated; sue not yet


def test_the_department_finalises_only_a_rated_appraisal(client_as, org, cycle):
    sam = of(cycle, org, "salesperson")
    dept = client_as("department")
    assert url("finalise", sam.pk) not in dept.get(url("appraisal-detail", sam.pk)).content.decode()
    ch.rate(org, sam)
    html = dept.get(url("appraisal-detail", sam.pk)).content.decode()
    assert url("finalise", sam.pk) in html and url("adjust", sam.pk) in html
    html = client_as("supervisor").get(url("appraisal-detail", sam.pk)).content.decode()
    assert url("finalise", sam.pk) not in html and url("adjust", sam.pk) not in html
