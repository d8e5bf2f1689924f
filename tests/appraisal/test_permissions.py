"""Who sees which appraisal templates (appraisal/template/permissions.py), persona by persona:
the department (and, to read, administrators) sees every version, drafts included;
HR every published one;
salespeople the published ones covering their team; supervisors the published ones
covering the units they lead.

The `world` and `pinned_today` fixtures are shared with the page, API and query
tests."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404

from appraisal.template import permissions
from tests.appraisal.helpers import TODAY, make_draft, make_published, make_year
from tests.conftest import local_moment


@pytest.fixture
def pinned_today(time_machine):
    """The clock is on TODAY (before fiscal 2026 starts)."""
    time_machine.move_to(local_moment(TODAY), tick=False)
    return TODAY


@pytest.fixture
def world(org, pinned_today):
    """Published: `sales` for the whole company, `south` for the south region, `east2`
    for the second east team. Draft: `east-next` for the east region."""
    fy = make_year(2026)
    sales = make_published(org, code="sales", year=fy)
    south = make_published(org, code="south", year=fy, units=[org.south])
    east2 = make_published(org, code="east2", year=fy, units=[org.team2])
    draft = make_draft(org, code="east-next", year=fy, units=[org.east])
    return type(
        "World", (), {"fy": fy, "sales": sales, "south": south, "east2": east2, "draft": draft}
    )


VISIBLE = {
    "department": {"sales", "south", "east2", "east-next"},
    "hr": {"sales", "south", "east2"},
    "admin": {"sales", "south", "east2", "east-next"},
    "salesperson": {"sales"},
    "teammate": {"sales"},
    "east2_person": {"sales", "east2"},
    "other_salesperson": {"sales", "south"},
    "supervisor": {"sales"},
    "other_supervisor": {"sales", "south"},
    "regional": {"sales", "east2"},
    "anonymous": set(),
}


def user_of(org, persona):
    return AnonymousUser() if persona == "anonymous" else getattr(org, persona)


@pytest.mark.parametrize(("persona", "expected"), sorted(VISIBLE.items()))
def test_each_persona_sees_the_templates_the_rules_give_them(org, world, persona, expected):
    codes = set(permissions.visible_templates(user_of(org, persona)).values_list("code", flat=True))
    assert codes == expected


def test_a_draft_is_hidden_from_everybody_but_the_department(org, world):
    for persona in ("hr", "salesperson", "supervisor", "regional", "anonymous"):
        with pytest.raises(Http404):
            permissions.template_for_user(user_of(org, persona), world.draft.pk)
    assert permissions.template_for_user(org.department, world.draft.pk) == world.draft


def test_a_template_outside_ones_units_is_hidden_like_a_missing_one(org, world):
    with pytest.raises(Http404):
        permissions.template_for_user(org.salesperson, world.south.pk)
    for missing in (999_999, "nonsense", None):
        with pytest.raises(Http404):
            permissions.template_for_user(org.department, missing)


def test_a_supervisor_sees_a_template_for_a_unit_below_the_one_they_lead(org, world):
    assert permissions.template_for_user(org.regional, world.east2.pk) == world.east2
    with pytest.raises(Http404):
        permissions.template_for_user(org.supervisor, world.east2.pk)


def test_only_the_department_manages_templates(org):
    assert permissions.can_manage_templates(org.department)
    for persona in ("hr", "admin", "salesperson", "supervisor", "regional", "anonymous"):
        assert not permissions.can_manage_templates(user_of(org, persona))


def test_a_dimension_is_found_only_within_its_template(org, world):
    dimension = world.sales.dimensions.first()
    assert permissions.dimension_for_user(org.department, world.sales, dimension.pk) == dimension
    with pytest.raises(Http404):
        permissions.dimension_for_user(org.department, world.south, dimension.pk)


def test_ancestor_paths_are_every_path_at_or_above():
    assert permissions.ancestor_paths(["/1/4/9/", "/1/5/"]) == {"/1/", "/1/4/", "/1/4/9/", "/1/5/"}
    assert permissions.ancestor_paths([]) == set()
