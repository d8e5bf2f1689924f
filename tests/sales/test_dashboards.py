"""The attainment dashboards and the home card, per persona: who opens which page
(HR and anonymous never), what they see, the period selector, htmx bodies, and the
end-to-end story: a salesperson logs a sale and their numbers move; the supervisor
sees a member far behind flagged at risk."""

import datetime
from decimal import Decimal as D

import pytest
from django.conf import settings
from django.urls import reverse

from org.models import Membership
from tests.conftest import by_persona
from tests.factories import MembershipFactory, UserFactory
from tests.sales import test_attainment_selectors as base
from tests.sales.helpers import sale

world = base.world  # the fixture: FY2026, today pinned to 14 February 2026
pinned_today = base.pinned_today
d = base.d

MINE = reverse("sales:dashboard-mine")
TEAM = reverse("sales:dashboard-team")
ORG = reverse("sales:dashboard-org")


def person_url(person):
    return reverse("sales:dashboard-person", args=[person.pk])


def q1(world):
    return {"period": world.q1.pk}


# --- who opens what ---------------------------------------------------------------------------

MINE_STATUS = by_persona(200, hr=403, anonymous=302)
# sam's dashboard: himself, his supervisor, the department.
PERSON_STATUS = MINE_STATUS | {"teammate": 404, "other_salesperson": 404, "other_supervisor": 404}
LEADERS_ONLY = MINE_STATUS | {"salesperson": 403, "teammate": 403, "other_salesperson": 403}


@pytest.mark.parametrize("persona", list(MINE_STATUS))
def test_my_dashboard_by_persona(client_as, world, persona):
    response = client_as(persona).get(MINE)
    assert response.status_code == MINE_STATUS[persona]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", list(PERSON_STATUS))
def test_a_person_s_dashboard_by_persona(client_as, org, world, persona):
    response = client_as(persona).get(person_url(org.salesperson))
    assert response.status_code == PERSON_STATUS[persona]
    if response.status_code == 200:
        assert response.context["person"] == org.salesperson


@pytest.mark.parametrize("persona", list(LEADERS_ONLY))
def test_the_team_dashboard_by_persona(client_as, world, persona):
    assert client_as(persona).get(TEAM).status_code == LEADERS_ONLY[persona]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("supervisor", 200), ("other_supervisor", 404), ("department", 200), ("salesperson", 403)],
)
def test_a_team_outside_the_scope_is_hidden(client_as, org, world, persona, status):
    assert client_as(persona).get(TEAM, {"unit": org.team.pk}).status_code == status


@pytest.mark.parametrize("persona", list(LEADERS_ONLY))
def test_the_org_dashboard_by_persona(client_as, world, persona):
    assert client_as(persona).get(ORG).status_code == LEADERS_ONLY[persona]


def test_a_missing_person_period_metric_or_unit_answers_404(client_as, world):
    client = client_as("department")
    assert client.get(reverse("sales:dashboard-person", args=[999999])).status_code == 404
    assert client.get(MINE, {"period": 999999}).status_code == 404
    assert client.get(MINE, {"period": "x"}).status_code == 404
    assert client.get(ORG, {"metric": "nope"}).status_code == 404
    assert client.get(TEAM, {"unit": "nope"}).status_code == 404


@pytest.mark.parametrize("url", [MINE, TEAM, ORG])
def test_only_get(client_as, world, url):
    assert client_as("department").post(url).status_code == 405


# --- what they see ----------------------------------------------------------------------------


def test_my_dashboard_shows_the_cards_the_pace_and_the_trend(client_as, world):
    response = client_as("salesperson").get(MINE, q1(world))
    body = response.content.decode()
    assert response.context["choice"].period == world.q1
    cards = response.context["d"].cards
    assert [c.metric.code for c in cards] == ["revenue", "customers"]
    assert cards[0].actual == D("130.01") and cards[0].progress.expected == D("200.00")
    assert "130.01" in body and "1,000.00" in body and "650.05" in body
    assert "at risk" in body
    assert 'id="chart-person-data"' in body and "chart.umd.js" in body and "dashboards.js" in body
    assert response.context["chart"]["metrics"][0]["actual"][:2] == [100.0, 30.01]


def test_my_dashboard_defaults_to_the_current_month(client_as, world):
    response = client_as("salesperson").get(MINE)
    assert response.context["choice"].period == world.feb
    card = response.context["d"].cards[0]
    assert (card.target, card.actual) == (D(200), D("30.01"))
    body = response.content.decode()
    # The selector lists the year, the quarters and the months, the month chosen.
    assert f'<option value="{world.feb.pk}" selected>' in body
    assert f'<option value="{world.year.pk}"' in body and f'<option value="{world.q1.pk}"' in body


def test_a_salesperson_does_not_see_their_draft_target(client_as, world):
    card = client_as("teammate").get(MINE, q1(world)).context["d"].cards[0]
    assert (card.actual, card.target) == (D("530.00"), None)


def test_the_supervisor_sees_a_draft_with_its_status(client_as, org, world):
    response = client_as("supervisor").get(person_url(org.teammate), q1(world))
    card = response.context["d"].cards[0]
    assert (card.target, card.target_status) == (D(900), "draft")
    assert "draft" in response.content.decode()


def test_follow_ups_due_and_report_status(client_as, org, world):
    base.sams_follow_up(org, world, "Send the quote", d(2, 12))
    base.sams_follow_up(org, world, "Far away", d(3, 30))
    response = client_as("salesperson").get(MINE)
    body = response.content.decode()
    assert "Send the quote" in body and "overdue" in body and "Far away" not in body
    report = response.context["report"]
    assert set(report) >= {"period_start", "period_end", "report", "previous_missing"}
    assert "Progress report" in body
    assert reverse("sales:followups") in body and reverse("sales:progress-mine") in body


def test_the_drill_down_does_not_link_to_the_viewer_s_own_lists(client_as, org, world):
    body = client_as("supervisor").get(person_url(org.salesperson)).content.decode()
    assert reverse("sales:followups") not in body.split('id="dashboard"')[1]


def test_a_person_without_the_salesperson_role_has_no_report_card(client_as, world):
    response = client_as("other_supervisor").get(MINE)
    assert response.context["report"] is None


def test_the_team_dashboard_shows_totals_members_and_the_chart(client_as, org, world):
    response = client_as("supervisor").get(TEAM, q1(world))
    dash = response.context["d"]
    assert dash.unit == org.team
    assert dash.totals[0].actual == D("660.01") and dash.totals[0].target == D(2000)
    by_name = sorted([org.salesperson, org.supervisor, org.teammate], key=lambda p: p.display_name)
    assert [r.person for r in dash.members] == by_name
    body = response.content.decode()
    assert person_url(org.salesperson) in body  # the drill-down
    assert 'id="chart-team-data"' in body
    risk = dict(
        zip(
            response.context["chart"]["labels"],
            response.context["chart"]["metrics"][0]["risk"],
            strict=True,
        )
    )
    assert risk == {
        org.salesperson.display_name: True,
        org.supervisor.display_name: False,
        org.teammate.display_name: False,
    }


def test_the_team_dashboard_has_a_phone_layout(client_as, org, world):
    """On a phone a member's cell shows the attainment only (the details are
    `.cell-detail`, hidden below 768 px until the row's chevron is tapped), and the
    charts sit in a box of a readable height (the CSS the e2e phone journey checks)."""
    body = client_as("supervisor").get(TEAM, q1(world)).content.decode()
    rows = body.split('id="team-table"', 1)[1].split("</table>", 1)[0]
    assert rows.count("js-expand-row") == 3  # one per member
    assert 'aria-expanded="false"' in rows and "cell-detail" in rows
    assert '<div class="chart-box"><canvas id="chart-members"' in body
    css = (settings.BASE_DIR / "static" / "css" / "salesperf.css").read_text()
    assert "#team-table .cell-detail { display: none; }" in css
    assert ".chart-box { position: relative; height: 15rem; }" in css


def test_the_team_dashboard_sorts_on_the_server(client_as, world):
    response = client_as("supervisor").get(TEAM, q1(world) | {"sort": "-revenue"})
    assert [r.person.username for r in response.context["d"].members] == ["tina", "sam", "sue"]
    body = response.content.decode()
    assert "sort=revenue" in body  # the header now links to the other order


def test_a_regional_supervisor_sees_the_teams_rolled_up(client, org, world):
    client.force_login(org.regional)
    response = client.get(TEAM, q1(world))
    dash = response.context["d"]
    assert dash.unit == org.east
    assert [(r.unit, r.cells[0].actual) for r in dash.subunits] == [
        (org.team, D("660.01")),
        (org.team2, D(40)),
    ]
    assert "eve" in [r.person.username for r in dash.members]
    assert client.get(TEAM, {"unit": org.team2.pk}).status_code == 200
    assert client.get(TEAM, {"unit": org.other_team.pk}).status_code == 404


def test_the_department_may_pick_any_unit(client_as, org, world):
    client = client_as("department")
    assert client.get(TEAM).context["d"].unit.kind == "team"
    response = client.get(TEAM, {"unit": org.other_team.pk} | q1(world))
    assert response.context["d"].totals[0].actual == D(999)


def test_the_org_dashboard_for_the_department_and_a_supervisor(client_as, org, world):
    response = client_as("department").get(ORG, q1(world) | {"metric": "revenue"})
    dash = response.context["d"]
    assert dash.roots == [org.company]
    assert [r.unit.code for r in dash.tree][:2] == ["acme", "east"]
    body = response.content.decode()
    assert "South Team 1" in body and 'id="chart-org-data"' in body
    assert person_url(org.teammate) in body  # the best of the people, opened from here
    mine = client_as("supervisor").get(ORG, q1(world)).context["d"]
    assert mine.roots == [org.team] and [r.unit for r in mine.tree] == [org.team]
    customers = client_as("department").get(ORG, q1(world) | {"metric": "customers"})
    assert customers.context["metric"].code == "customers"


def test_htmx_gets_the_body_only(client_as, world):
    client = client_as("supervisor")
    for url in (MINE, TEAM, ORG):
        partial = client.get(url, q1(world), headers={"HX-Request": "true"})
        assert partial.status_code == 200
        text = partial.content.decode()
        assert text.lstrip().startswith('<div id="dashboard">') and "<html" not in text
        restore = client.get(
            url, q1(world), headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
        )
        assert "<html" in restore.content.decode()


def test_both_languages(client_as, world):
    client = client_as("salesperson")
    client.post(reverse("set_language"), {"language": "zh-hans"})
    body = client.get(MINE, q1(world)).content.decode()
    assert "收入" in body  # the metric's Chinese name
    assert 'lang="zh-hans"' in body


def test_without_a_fiscal_year_the_pages_say_so(client_as, org, db):
    for url in (MINE, TEAM, ORG):
        response = client_as("department").get(url)
        assert response.status_code == 200
        assert "There is no fiscal year yet" in response.content.decode()


# --- the home card ----------------------------------------------------------------------------


def sales_panel(response) -> dict:
    """The context of the sales card on the home page."""
    return next(
        p for t, p in response.context["panels"] if t == "sales/attainment/dashboards/panel.html"
    )


def test_the_home_card_of_a_salesperson(client_as, org, world):
    base.sams_follow_up(org, world, "Call", d(2, 15))
    response = client_as("salesperson").get(reverse("home"))
    panel = sales_panel(response)
    assert panel["mine"].actual == D("30.01")  # February
    assert panel["followups_due"] == 1
    body = response.content.decode()
    assert MINE in body and "Sales in" in body


def test_the_home_card_of_a_supervisor_counts_people_at_risk(client_as, org, world):
    response = client_as("supervisor").get(reverse("home"))
    panel = sales_panel(response)
    # February: sam 30.01 of 200 by mid-month is at risk; tina and sue have no target.
    assert panel["at_risk"] == 1 and panel["members"] == 3
    assert TEAM + "?sort=risk" in response.content.decode()


def test_the_home_card_of_the_department_shows_the_company(client_as, org, world):
    response = client_as("department").get(reverse("home"))
    panel = sales_panel(response)
    assert [c.actual for c in panel["units"]] == [D("1559.01")]  # February
    assert ORG in response.content.decode()


HOME_CARD = {
    "salesperson": True,
    "teammate": True,
    "other_salesperson": True,
    "supervisor": True,
    "other_supervisor": True,
    "department": True,
    "hr": False,
}


@pytest.mark.parametrize("persona", [*HOME_CARD, "anonymous"])
def test_the_home_card_by_persona(client_as, world, persona):
    response = client_as(persona).get(reverse("home"))
    if persona == "anonymous":
        assert response.status_code == 302
        return
    assert response.status_code == 200
    shown = any(
        t == "sales/attainment/dashboards/panel.html" for t, _p in response.context["panels"]
    )
    assert shown == HOME_CARD[persona]


def test_no_home_card_for_hr(client_as, world):
    response = client_as("hr").get(reverse("home"))
    assert all(
        t != "sales/attainment/dashboards/panel.html" for t, _p in response.context["panels"]
    )


# --- end to end -------------------------------------------------------------------------------


def test_a_sale_moves_the_salesperson_s_dashboard_at_once(client_as, org, world):
    client = client_as("salesperson")
    before = client.get(MINE, q1(world)).context["d"].cards[0]
    assert before.actual == D("130.01") and before.at_risk
    base.sams_sale(org, world, d(2, 14), "500", margin="100")
    response = client.get(MINE, q1(world))
    after = response.context["d"].cards[0]
    assert after.actual == D("630.01")
    assert after.progress.projection == D("3150.05") and not after.at_risk
    assert "630.01" in response.content.decode()


def test_a_member_far_behind_is_flagged_on_the_team_dashboard(client_as, org, world):
    newcomer = UserFactory(username="nora", first_name="Nora", last_name="Behind",
                           roles=["salesperson"])  # fmt: skip
    MembershipFactory(user=newcomer, unit=org.team, start_date=d(1, 1))
    base.target(world.revenue, world.q1, "1200", person=newcomer, team=org.team)
    sale(d(1, 5), world.globex, "10", [(newcomer, 100)])
    response = client_as("supervisor").get(TEAM, q1(world) | {"sort": "risk"})
    rows = response.context["d"].members
    nora = next(r for r in rows if r.person == newcomer)
    assert nora.at_risk and nora.cells[0].progress.projection == D("20.00")
    assert rows[0].at_risk  # at risk first
    body = response.content.decode()
    row_html = body[body.index("Nora Behind") - 400 : body.index("Nora Behind")]
    assert 'class="table-danger"' in row_html


def test_a_member_who_left_still_shows_in_the_period_they_were_there(client_as, org, world):
    Membership.objects.filter(user=org.teammate, kind="member").update(end_date=d(1, 31))
    response = client_as("supervisor").get(TEAM, {"period": world.jan.pk})
    assert "tina" in [r.person.username for r in response.context["d"].members]
    body = response.content.decode()
    assert person_url(org.teammate) not in body  # not hers to open any more
    assert person_url(org.salesperson) in body
    response = client_as("supervisor").get(TEAM, {"period": world.mar.pk})
    assert "tina" not in [r.person.username for r in response.context["d"].members]


def test_the_static_files_exist():
    from django.contrib.staticfiles import finders

    assert finders.find("sales/dashboards.js")
    assert finders.find("vendor/chart.js/chart.umd.js")


def test_today_is_pinned(world):
    from django.utils import timezone

    assert timezone.localdate() == datetime.date(2026, 2, 14)
