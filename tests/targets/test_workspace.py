"""The department's cascade workspace: the tree, in-place edits, the cascade preview and
write, and publication."""

from decimal import Decimal

import pytest
from django.urls import reverse

from notifications.models import Notification
from org.models import Period
from targets.catalogue import services as catalogue_services
from targets.models import Metric, SeasonalityProfile, Target
from tests.conftest import PERSONAS
from tests.factories import new_customers_metric

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def count_metric(db):
    return new_customers_metric(code="new-customers", position=5)


def set_target(metric, period, value, *, unit=None, person=None, team=None, **extra):
    target = Target.objects.create(
        metric=metric, period=period, unit=unit, person=person, team=team, value=Decimal(value)
    )
    if extra:
        Target.objects.filter(pk=target.pk).update(**extra)
        target.refresh_from_db()
    return target


def snapshot():
    return Target.objects.count(), Target.history.count()


def workspace_url(metric, period):
    return f"{reverse('targets:workspace')}?metric={metric.pk}&period={period.pk}"


@pytest.fixture
def tree(org, metric, year):
    """Company 1000 → east 600 + south 400; team 1 (sam, tina, sue) 300; team 2 300."""
    t = {
        "company": set_target(metric, year, "1000", unit=org.company),
        "east": set_target(metric, year, "600", unit=org.east),
        "south": set_target(metric, year, "400", unit=org.south),
        "team": set_target(metric, year, "300", unit=org.team),
        "team2": set_target(metric, year, "300", unit=org.team2),
        "sam": set_target(metric, year, "100", person=org.salesperson, team=org.team),
    }
    return t


# --- access -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_opens_the_workspace(client_as, persona, metric, year):
    response = client_as(persona).get(workspace_url(metric, year))
    expected = {"department": 200, "anonymous": 302}.get(persona, 403)
    assert response.status_code == expected
    if persona == "anonymous":
        assert response.url.startswith(reverse("login"))


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "department"])
def test_nobody_but_the_department_edits_a_cell(client_as, persona, org, metric, year):
    before = snapshot()
    response = client_as(persona).post(
        reverse("targets:cell-edit"),
        {"metric": metric.pk, "period": year.pk, "unit": org.team.pk, "value": "5"},
        **HTMX,
    )
    assert response.status_code == (302 if persona == "anonymous" else 403)
    assert snapshot() == before


@pytest.mark.parametrize("persona", PERSONAS)
def test_cascade_and_publish_pages_are_for_the_department(client_as, persona, tree, metric, fy):
    cascade = client_as(persona).get(reverse("targets:cascade", args=[tree["team"].pk]))
    publish = client_as(persona).get(
        f"{reverse('targets:publish')}?metric={metric.pk}&fiscal_year={fy.pk}"
    )
    if persona == "department":
        assert (cascade.status_code, publish.status_code) == (200, 200)
    elif persona == "anonymous":
        assert (cascade.status_code, publish.status_code) == (302, 302)
    elif persona == "supervisor":
        # sue sees her team's target (403: visible but not hers to cascade)
        assert (cascade.status_code, publish.status_code) == (403, 403)
    else:
        # the target is hidden from them: the same answer as a missing one
        assert (cascade.status_code, publish.status_code) == (404, 403)


# --- the tree -----------------------------------------------------------------------------


def test_the_workspace_shows_every_node_with_sum_gap_and_state(client_as, org, tree, metric, year):
    response = client_as("department").get(workspace_url(metric, year))
    assert response.status_code == 200
    rows = {row.node.key: row for row in response.context["rows"]}
    company = rows[f"unit-{org.company.pk}"].node
    assert company.children_sum == Decimal("1000")
    assert company.gap == Decimal("0")
    assert company.state == "ok"
    team = rows[f"unit-{org.team.pk}"].node
    assert team.children_sum == Decimal("100")
    assert team.state == "under"
    # people sit under their team, each with the team an edit belongs to
    assert rows[f"person-{org.teammate.pk}-{org.team.pk}"].team == org.team
    assert rows[f"person-{org.teammate.pk}-{org.team.pk}"].target is None
    html = response.content.decode()
    assert "Tolerance band" in html and "110" in html
    assert "East Team 1" in html and html.index("East Team 1") < html.index(
        org.salesperson.display_name
    )


def test_the_workspace_defaults_to_the_first_active_metric_and_the_current_year(
    client_as, org, metric, count_metric, year
):
    Metric.objects.filter(pk=metric.pk).update(is_active=False)
    response = client_as("department").get(reverse("targets:workspace"))
    assert response.status_code == 200
    assert response.context["metric"] == count_metric
    assert response.context["period"] == year


def test_the_workspace_says_what_to_do_without_metrics(client_as, org, fy):
    response = client_as("department").get(reverse("targets:workspace"))
    assert response.status_code == 200
    assert "metrics catalogue" in response.content.decode()


def test_a_published_target_is_not_editable_and_links_to_an_adjustment(
    client_as, org, tree, metric, year
):
    Target.objects.filter(pk=tree["east"].pk).update(status=Target.Status.PUBLISHED)
    response = client_as("department").get(workspace_url(metric, year))
    html = response.content.decode()
    assert f'id="v-unit-{org.east.pk}"' not in html
    assert reverse("targets:adjustment-new", args=[tree["east"].pk]) in html
    assert f'id="v-unit-{org.company.pk}"' in html


# --- editing in place -----------------------------------------------------------------------


def cell(client, metric, period, value, **owner):
    data = {"metric": metric.pk, "period": period.pk, "value": value}
    data.update({k: v.pk for k, v in owner.items()})
    return client.post(reverse("targets:cell-edit"), data, **HTMX)


def test_editing_a_cell_saves_a_draft_and_answers_the_table_body(
    client_as, org, tree, metric, year
):
    client = client_as("department")
    response = cell(client, metric, year, "650", unit=org.east)
    assert response.status_code == 200
    assert response.content.decode().lstrip().startswith('<tbody id="ws-body">')
    tree["east"].refresh_from_db()
    assert tree["east"].value == Decimal("650.00")
    assert tree["east"].history.first().history_user == org.department
    rows = {row.node.key: row.node for row in response.context["rows"]}
    assert rows[f"unit-{org.company.pk}"].children_sum == Decimal("1050")
    assert rows[f"unit-{org.company.pk}"].state == "ok"


def test_an_edit_box_shows_the_value_grouped_and_takes_it_back_so(
    client_as, org, tree, metric, year
):
    client = client_as("department")
    response = cell(client, metric, year, "1,234,567.5", unit=org.east)
    assert response.status_code == 200
    tree["east"].refresh_from_db()
    assert tree["east"].value == Decimal("1234567.50")
    body = response.content.decode()
    box = body.split(f'id="v-unit-{org.east.pk}"', 1)[1].split(">", 1)[0]
    assert 'value="1,234,567.50"' in box  # as every figure beside it, not 1234567.50


def test_editing_a_person_creates_their_target_in_the_team_shown(
    client_as, org, tree, metric, year
):
    response = cell(
        client_as("department"), metric, year, "120.5", person=org.teammate, team=org.team
    )
    assert response.status_code == 200
    target = Target.objects.get(person=org.teammate, period=year, metric=metric)
    assert (target.value, target.team, target.status) == (Decimal("120.50"), org.team, "draft")


def test_without_htmx_an_edit_redirects_back_to_the_workspace(client_as, org, metric, year):
    response = client_as("department").post(
        reverse("targets:cell-edit"),
        {"metric": metric.pk, "period": year.pk, "unit": org.team.pk, "value": "10"},
    )
    assert response.status_code == 302
    assert response.url == workspace_url(metric, year)
    assert Target.objects.get(unit=org.team).value == Decimal("10")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-5", "cannot be negative"),
        ("12.345", "at most 2 decimals"),
        ("lots", "is not a number"),
        ("", "Type a value"),
    ],
)
def test_a_bad_value_is_refused_inline_and_nothing_is_written(
    client_as, org, tree, metric, year, value, message
):
    before = snapshot()
    response = cell(client_as("department"), metric, year, value, unit=org.east)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'aria-invalid="true"' in html and f'id="e-unit-{org.east.pk}"' in html
    assert snapshot() == before
    tree["east"].refresh_from_db()
    assert tree["east"].value == Decimal("600")


def test_a_count_metric_refuses_decimals(client_as, org, count_metric, year):
    response = cell(client_as("department"), count_metric, year, "1.5", unit=org.team)
    assert response.status_code == 400
    assert "whole numbers" in response.content.decode()
    assert not Target.objects.exists()


def test_a_closed_period_refuses_edits(client_as, org, metric, fy):
    month = fy.periods.get(kind=Period.Kind.MONTH, number=1)
    Period.objects.filter(pk=month.pk).update(status=Period.Status.CLOSED)
    before = snapshot()
    response = cell(client_as("department"), metric, month, "10", unit=org.team)
    assert response.status_code == 400
    assert "closed" in response.content.decode()
    assert snapshot() == before


def test_a_published_target_refuses_edits(client_as, org, tree, metric, year):
    Target.objects.filter(pk=tree["team"].pk).update(status=Target.Status.PUBLISHED)
    before = snapshot()
    response = cell(client_as("department"), metric, year, "1", unit=org.team)
    assert response.status_code == 400
    assert "request an adjustment" in response.content.decode()
    assert snapshot() == before


def test_an_edit_naming_no_owner_is_refused(client_as, org, metric, year):
    response = cell(client_as("department"), metric, year, "1")
    assert response.status_code == 400
    assert not Target.objects.exists()


# --- cascade ----------------------------------------------------------------------------------


def cascade_url(target, **params):
    url = reverse("targets:cascade", args=[target.pk])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


def test_a_cascade_preview_writes_nothing(client_as, org, tree, metric):
    before = snapshot()
    response = client_as("department").get(cascade_url(tree["east"], mode="org", method="equal"))
    assert response.status_code == 200
    planned = response.context["planned"]
    assert [(p.unit, p.value) for p in planned] == [
        (org.team, Decimal("300.00")),
        (org.team2, Decimal("300.00")),
    ]
    assert snapshot() == before


def test_posting_a_cascade_writes_exactly_the_previewed_values(client_as, org, tree, metric):
    client = client_as("department")
    preview = client.get(
        cascade_url(tree["team"], mode="org", method="weights", share_0=1, share_1=2, share_2=3)
    )
    assert preview.status_code == 200
    planned = {(p.person.pk, p.value) for p in preview.context["planned"]}
    response = client.post(
        cascade_url(tree["team"]),
        {
            "mode": "org",
            "method": "weights",
            "share_0": "1",
            "share_1": "2",
            "share_2": "3",
            "preview": preview.context["digest"],
        },
    )
    assert response.status_code == 302
    written = {
        (t.person_id, t.value)
        for t in Target.objects.filter(team=org.team, period=tree["team"].period)
    }
    assert written == planned
    assert sum(v for _p, v in written) == Decimal("300")
    tree["team"].refresh_from_db()
    assert tree["team"].allocation_method == "weights"


def test_a_cascade_whose_data_changed_since_the_preview_is_refused(client_as, org, tree):
    client = client_as("department")
    preview = client.get(cascade_url(tree["east"], mode="org", method="equal"))
    digest = preview.context["digest"]
    Target.objects.filter(pk=tree["east"].pk).update(value=Decimal("700"))
    before = snapshot()
    response = client.post(
        cascade_url(tree["east"]), {"mode": "org", "method": "equal", "preview": digest}
    )
    assert response.status_code == 400
    assert "changed since the preview" in response.content.decode()
    assert snapshot() == before


def test_typed_in_values_are_previewed_with_their_sum_and_written(client_as, org, tree):
    client = client_as("department")
    params = {"mode": "org", "method": "manual", "share_0": "350", "share_1": "300"}
    preview = client.get(cascade_url(tree["east"], **params))
    assert preview.status_code == 200
    summary = preview.context["summary"]
    assert (summary["total"], summary["state"]) == (Decimal("650.00"), "ok")
    response = client.post(cascade_url(tree["east"]), params)
    assert response.status_code == 302
    assert Target.objects.get(unit=org.team).value == Decimal("350")
    tree["east"].refresh_from_db()
    assert tree["east"].allocation_method == "manual"


@pytest.mark.parametrize(
    ("method", "shares", "message"),
    [
        # a bad typed-in value names its owner
        ("manual", ("-1", "300"), "East Team 1: A target cannot be negative."),
        ("weights", ("x", "1"), "A weight is a number"),
    ],
    ids=["typed-in value", "weight"],
)
def test_a_bad_value_is_refused_and_writes_nothing(client_as, org, tree, method, shares, message):
    before = snapshot()
    response = client_as("department").post(
        cascade_url(tree["east"]),
        {"mode": "org", "method": method, "share_0": shares[0], "share_1": shares[1]},
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert snapshot() == before


def test_an_annual_target_is_split_over_time_by_a_profile(client_as, org, tree, fy):
    weights = ["5", "5", "10", "10", "10", "10", "5", "5", "10", "10", "10", "10"]
    profile = catalogue_services.seasonality_save(
        name="Spring", method="custom", weights=weights, acting_user=None
    )
    client = client_as("department")
    preview = client.get(cascade_url(tree["team"], mode="time", profile=profile.pk))
    assert preview.status_code == 200
    planned = preview.context["planned"]
    assert len(planned) == 16
    months = [p.value for p in planned if p.period.kind == "month"]
    assert months[0] == Decimal("15.00") and sum(months) == Decimal("300")
    response = client.post(
        cascade_url(tree["team"]),
        {"mode": "time", "profile": profile.pk, "preview": preview.context["digest"]},
    )
    assert response.status_code == 302
    assert Target.objects.filter(unit=org.team, period__kind="month").count() == 12
    assert (
        SeasonalityProfile.objects.get().pk == Target.objects.get(pk=tree["team"].pk).seasonality_id
    )


def test_a_full_cascade_previews_every_unit_person_and_month_then_writes_them(
    client_as, org, tree, metric
):
    client = client_as("department")
    before = snapshot()
    preview = client.get(cascade_url(tree["company"], mode="down", method="equal"))
    assert preview.status_code == 200
    planned = preview.context["planned"]
    assert snapshot() == before
    people = {p.person for p in planned if p.person}
    assert {org.salesperson, org.teammate, org.supervisor, org.east2_person} <= people
    response = client.post(
        cascade_url(tree["company"]),
        {"mode": "down", "method": "equal", "preview": preview.context["digest"]},
    )
    assert response.status_code == 302
    stored = {
        (t.period_id, t.unit_id, t.person_id, t.team_id): t.value
        for t in Target.objects.filter(metric=metric)
    }
    for p in planned:
        assert stored[p.key] == p.value


def test_a_cascade_refused_by_the_rules_shows_why_and_writes_nothing(client_as, org, tree):
    Target.objects.filter(pk=tree["team"].pk).update(status=Target.Status.PUBLISHED)
    before = snapshot()
    response = client_as("department").post(
        cascade_url(tree["east"]), {"mode": "org", "method": "equal"}
    )
    assert response.status_code == 400
    assert "already has a published" in response.content.decode()
    assert snapshot() == before


def test_a_person_target_only_offers_the_split_over_time(client_as, org, tree):
    response = client_as("department").get(cascade_url(tree["sam"]))
    assert response.status_code == 200
    assert [value for value, _label in response.context["form"].fields["mode"].choices] == ["time"]
    assert len(response.context["planned"]) == 16


# --- publication ---------------------------------------------------------------------------


def publish_url(metric, fy):
    return f"{reverse('targets:publish')}?metric={metric.pk}&fiscal_year={fy.pk}"


def test_publication_lists_what_stops_it_and_refuses_outside_the_tolerance(
    client_as, org, tree, metric, fy
):
    client = client_as("department")
    page = client.get(publish_url(metric, fy))
    assert page.status_code == 200
    problems = page.context["problems"]
    assert any("East Team 1" in p for p in problems)
    before = (Target.objects.filter(status="published").count(), Notification.objects.count())
    response = client.post(reverse("targets:publish"), {"metric": metric.pk, "fiscal_year": fy.pk})
    assert response.status_code == 400
    assert "Nothing was published" in response.content.decode()
    after = (Target.objects.filter(status="published").count(), Notification.objects.count())
    assert after == before


def test_publication_of_a_consistent_tree_publishes_and_notifies_the_owners(
    client_as, org, metric, year, fy, django_capture_on_commit_callbacks
):
    set_target(metric, year, "100", unit=org.other_team)
    set_target(metric, year, "100", person=org.other_salesperson, team=org.other_team)
    client = client_as("department")
    page = client.get(publish_url(metric, fy))
    assert page.context["problems"] == []
    assert "Ready: 2 draft targets will be published" in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("targets:publish"), {"metric": metric.pk, "fiscal_year": fy.pk}
        )
    assert response.status_code == 302
    assert response.url == workspace_url(metric, year)
    assert Target.objects.filter(status="published").count() == 2
    assert Notification.objects.filter(recipient=org.other_salesperson).exists()
    assert Notification.objects.filter(recipient=org.other_supervisor).exists()


def test_the_weight_boxes_start_from_the_weights_given_never_a_prorated_value(
    client_as, org, tree, metric
):
    """A joiner's part is prorated: starting her weight box from its value would
    prorate her twice when the cascade is written again. The boxes start from the
    weights the cascade stored."""
    import datetime

    from org.services import membership_create
    from tests.factories import UserFactory

    nina = UserFactory(username="nina", roles=["salesperson"])
    membership_create(user=nina, unit=org.team, start_date=datetime.date(2026, 7, 1))
    client = client_as("department")
    response = client.post(
        cascade_url(tree["team"]),
        # by username: nina, sam, sue, tina
        {"mode": "org", "method": "weights", "share_0": "1", "share_1": "2", "share_2": "1"}
        | {"share_3": "1"},
    )
    assert response.status_code == 302
    page = client.get(cascade_url(tree["team"], mode="org", method="weights"))
    shares = [page.context["form"][f"share_{i}"].value() for i in range(4)]
    assert shares == ["1", "2", "1", "1"]  # nina (joined 1 July) keeps her weight 1
    again = client.post(
        cascade_url(tree["team"]),
        {"mode": "org", "method": "weights"} | {f"share_{i}": v for i, v in enumerate(shares)},
    )
    assert again.status_code == 302
    assert Target.objects.get(person=nina, period=tree["team"].period).weight == 1
