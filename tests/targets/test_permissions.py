"""Who sees and does what with targets and plans (targets/permissions.py), persona
by persona: salesperson, teammate, supervisor, regional supervisor, another
supervisor, the department and HR."""

import datetime

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from org.models import Membership
from targets import permissions, services
from targets.models import Metric, Target
from targets.plans import permissions as plan_permissions
from targets.plans import services as plan_services
from tests.targets.helpers_core import make_metric, make_year


@pytest.fixture
def world(org):
    """Revenue cascaded from the company to everybody and published; new-customer
    targets for the east team and two of its people left in draft."""
    fy = make_year(2026)
    revenue = make_metric("revenue")
    customers = make_metric("new_customers", "count")
    dept = org.department
    company = services.target_set(
        metric=revenue, period=fy.year, value="6000", unit=org.company, acting_user=dept
    )
    services.cascade_down(target=company, acting_user=dept)
    services.targets_publish(metric=revenue, fiscal_year_id=fy.fiscal_year.pk, acting_user=dept)
    for owner in ({"unit": org.team}, {"person": org.salesperson}, {"person": org.teammate}):
        services.target_set(metric=customers, period=fy.year, value="10", acting_user=dept, **owner)
    return fy, revenue, customers


def year_targets(user, fy, metric):
    return {
        t.owner_label
        for t in permissions.visible_targets(user)
        .filter(period=fy.year, metric=metric)
        .select_related("unit", "person")
    }


def names(org, *attrs):
    return {getattr(org, a).display_name for a in attrs}


# Whose year targets each persona sees: of the published revenue, and of the draft
# new-customer targets (None: not asked).
YEAR_TARGETS_SEEN = {
    # a salesperson: only their own published target; a draft is not theirs yet
    "salesperson": (("salesperson",), ()),
    # a supervisor: their team and its members, drafts included
    "supervisor": (
        ("team", "salesperson", "teammate", "supervisor"),
        ("team", "salesperson", "teammate"),
    ),
    # a regional supervisor: the region and everything below
    "regional": (
        ("east", "team", "team2", "salesperson", "teammate", "supervisor", "east2_person"),
        None,
    ),
    # another supervisor: only their own team
    "other_supervisor": (("other_team", "other_salesperson"), ()),
}


@pytest.mark.parametrize("persona", list(YEAR_TARGETS_SEEN))
def test_who_sees_which_year_targets(org, world, persona):
    fy, revenue, customers = world
    user = getattr(org, persona)
    published, drafts = YEAR_TARGETS_SEEN[persona]
    assert year_targets(user, fy, revenue) == names(org, *published)
    if drafts is not None:
        assert year_targets(user, fy, customers) == names(org, *drafts)


def test_a_salesperson_sees_every_period_of_their_own_target(org, world):
    assert permissions.visible_targets(org.salesperson).count() == 17  # year, 4 q, 12 m


def test_the_department_sees_every_target(org, world):
    assert permissions.visible_targets(org.department).count() == Target.objects.count()


def test_hr_and_anonymous_see_no_target(org, world):
    assert not permissions.visible_targets(org.hr).exists()
    assert not permissions.visible_targets(AnonymousUser()).exists()


def test_a_hidden_target_is_not_found(org, world):
    fy, revenue, _customers = world
    tinas = Target.objects.get(metric=revenue, period=fy.year, person=org.teammate)
    with pytest.raises(Http404):
        permissions.target_for_user(org.salesperson, tinas.pk)
    with pytest.raises(Http404):
        permissions.target_for_user(org.other_supervisor, tinas.pk)
    with pytest.raises(Http404):
        permissions.target_for_user(org.salesperson, "nope")
    assert permissions.target_for_user(org.supervisor, tinas.pk) == tinas


# --- editing a draft ---------------------------------------------------------------------


def _target(metric_code, period, **owner):
    return Target.objects.get(metric=Metric.objects.get(code=metric_code), period=period, **owner)


def test_the_department_edits_any_draft_but_no_published_target(org, world):
    fy, *_ = world
    assert permissions.can_edit_target(
        org.department, _target("new_customers", fy.year, unit=org.team)
    )
    assert not permissions.can_edit_target(
        org.department, _target("revenue", fy.year, unit=org.company)
    )


def test_a_supervisor_edits_their_members_drafts_only_while_the_allocation_is_open(org, world):
    fy, *_ = world
    tina = _target("new_customers", fy.year, person=org.teammate)
    assert permissions.can_edit_target(org.supervisor, tina)
    assert permissions.can_edit_target(org.regional, tina)
    assert not permissions.can_edit_target(org.other_supervisor, tina)
    assert not permissions.can_edit_target(org.teammate, tina)
    assert not permissions.can_edit_target(org.hr, tina)
    assert not permissions.can_edit_target(
        org.supervisor, _target("new_customers", fy.year, unit=org.team)
    )

    team = _target("new_customers", fy.year, unit=org.team)
    for status, editable in [("submitted", False), ("approved", False), ("returned", True)]:
        Target.objects.filter(pk=team.pk).update(allocation_status=status)
        assert permissions.can_edit_target(org.supervisor, tina) is editable, status


def test_a_supervisor_does_not_set_their_own_target(org, world):
    fy, _revenue, customers = world
    own = services.target_set(
        metric=customers,
        period=fy.year,
        value="3",
        person=org.supervisor,
        acting_user=org.department,
    )
    assert not permissions.can_edit_target(org.supervisor, own)
    assert permissions.can_edit_target(org.regional, own)


# --- acknowledging and adjusting ------------------------------------------------------------


def test_only_the_owner_may_acknowledge_a_published_target_once(org, world):
    fy, *_ = world
    sams = _target("revenue", fy.year, person=org.salesperson)
    assert permissions.can_acknowledge(org.salesperson, sams)
    for other in ("teammate", "supervisor", "regional", "department", "hr"):
        assert not permissions.can_acknowledge(getattr(org, other), sams), other
    services.target_acknowledge(target=sams, acting_user=org.salesperson)
    sams.refresh_from_db()
    assert not permissions.can_acknowledge(org.salesperson, sams)
    draft = _target("new_customers", fy.year, person=org.salesperson)
    assert not permissions.can_acknowledge(org.salesperson, draft)


def test_a_teams_target_is_acknowledged_by_the_teams_own_supervisor(org, world):
    fy, *_ = world
    team = _target("revenue", fy.year, unit=org.team)
    assert permissions.can_acknowledge(org.supervisor, team)
    assert not permissions.can_acknowledge(org.regional, team)
    assert not permissions.can_acknowledge(org.salesperson, team)
    assert permissions.can_acknowledge(org.regional, _target("revenue", fy.year, unit=org.east))


def test_supervisors_and_the_department_request_adjustments_of_published_targets(org, world):
    fy, *_ = world
    sams = _target("revenue", fy.year, person=org.salesperson)
    assert permissions.can_request_adjustment(org.supervisor, sams)
    assert permissions.can_request_adjustment(org.regional, sams)
    assert permissions.can_request_adjustment(org.department, sams)
    assert not permissions.can_request_adjustment(org.salesperson, sams)
    assert not permissions.can_request_adjustment(org.other_supervisor, sams)
    assert not permissions.can_request_adjustment(org.hr, sams)
    draft = _target("new_customers", fy.year, person=org.salesperson)
    assert not permissions.can_request_adjustment(org.department, draft)


def test_adjustments_are_visible_with_their_targets(org, world):
    fy, *_ = world
    sams = _target("revenue", fy.year, person=org.salesperson)
    adjustment = services.adjustment_request(
        target=sams,
        new_value="1",
        kind="quota_relief",
        reason="leave",
        effective_period=fy.year,
        acting_user=org.supervisor,
    )
    for persona, sees in [
        ("salesperson", True),
        ("teammate", False),
        ("supervisor", True),
        ("other_supervisor", False),
        ("department", True),
        ("hr", False),
    ]:
        visible = permissions.visible_adjustments(getattr(org, persona))
        assert visible.filter(pk=adjustment.pk).exists() is sees, persona


# --- plans ---------------------------------------------------------------------------------


@pytest.fixture
def plans(org, world):
    fy, *_ = world

    def write(person):
        plan = plan_services.plan_save(
            person=person,
            period=fy.quarters[0],
            key_accounts="A hospital",
            actions="Visit",
            pipeline={},
            acting_user=person,
        )
        return plan_services.plan_submit(plan=plan, acting_user=person)

    return {"sam": write(org.salesperson), "sue": write(org.supervisor), "fy": fy}


@pytest.mark.parametrize(
    ("persona", "sees"),
    [
        ("salesperson", True),
        ("teammate", False),
        ("supervisor", True),
        ("regional", True),
        ("other_supervisor", False),
        ("department", True),
        ("hr", False),
    ],
)
def test_who_sees_a_salespersons_plan(org, plans, persona, sees):
    assert (
        plan_permissions.visible_plans(getattr(org, persona)).filter(pk=plans["sam"].pk).exists()
        is sees
    )


def test_a_supervisor_does_not_see_the_plan_of_someone_who_had_left_their_team(org, plans):
    Membership.objects.filter(user=org.teammate, unit=org.team).update(
        end_date=datetime.date(2025, 12, 31)
    )
    fy = plans["fy"]
    plan = plan_services.plan_save(
        person=org.teammate,
        period=fy.quarters[0],
        key_accounts="x",
        actions="y",
        pipeline={},
        acting_user=org.teammate,
    )
    assert not plan_permissions.visible_plans(org.supervisor).filter(pk=plan.pk).exists()
    assert plan_permissions.visible_plans(org.teammate).filter(pk=plan.pk).exists()


@pytest.mark.parametrize(
    ("persona", "may"),
    [
        ("salesperson", False),
        ("teammate", False),
        ("supervisor", True),
        ("regional", True),
        ("other_supervisor", False),
        ("department", True),
        ("hr", False),
    ],
)
def test_who_reviews_a_submitted_plan(org, plans, persona, may):
    assert plan_permissions.can_review_plan(getattr(org, persona), plans["sam"]) is may


def test_nobody_may_review_their_own_plan_but_the_one_above_may(org, plans):
    assert not plan_permissions.can_review_plan(org.supervisor, plans["sue"])
    assert plan_permissions.can_review_plan(org.regional, plans["sue"])


def test_a_plan_that_is_not_submitted_is_not_reviewed_and_only_its_author_writes_it(org, plans):
    plan = plan_services.plan_review(
        plan=plans["sam"], approve=False, comment="more", acting_user=org.supervisor
    )
    assert not plan_permissions.can_review_plan(org.supervisor, plan)
    assert plan_permissions.can_write_plan(org.salesperson, plan)
    assert not plan_permissions.can_write_plan(org.supervisor, plan)
