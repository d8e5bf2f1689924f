"""Reads of appraisal/template/selectors.py: who is covered by which published version, the
list each persona sees, the problems before publishing, and fixed query counts."""

import datetime

import pytest

from appraisal.template import selectors, services
from tests.appraisal.helpers import TODAY, make_draft, make_published, make_year


@pytest.fixture
def fy(db):
    return make_year(2026)


def codes(templates):
    return [(t.code, t.version) for t in templates]


def test_a_salesperson_sees_the_version_in_force_and_the_next_published_one(org, fy):
    v1 = make_published(org)
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    in_q1 = fy.quarters[0].start_date + datetime.timedelta(days=5)
    # a draft is nobody's business yet
    assert codes(selectors.templates_for_person(person=org.salesperson, on=in_q1)) == [("sales", 1)]
    services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    assert codes(selectors.templates_for_person(person=org.salesperson, on=TODAY)) == [
        ("sales", 1),
        ("sales", 2),
    ]
    assert codes(selectors.templates_for_person(person=org.salesperson, on=in_q1)) == [
        ("sales", 1),
        ("sales", 2),
    ]
    in_q3 = fy.quarters[2].start_date
    assert codes(selectors.templates_for_person(person=org.salesperson, on=in_q3)) == [("sales", 2)]


def test_only_the_templates_covering_the_persons_team_are_theirs(org, fy):
    make_published(org, code="east", units=[org.east])
    make_published(org, code="south-team", units=[org.other_team])
    make_draft(org, code="all")
    assert codes(selectors.templates_for_person(person=org.salesperson, on=TODAY)) == [("east", 1)]
    assert codes(selectors.templates_for_person(person=org.other_salesperson, on=TODAY)) == [
        ("south-team", 1)
    ]
    # people in no team (the regional supervisor leads but is no member) have none
    assert selectors.templates_for_person(person=org.regional, on=TODAY) == []


def test_a_later_version_with_a_smaller_population_stops_covering_the_others(org, fy):
    v1 = make_published(org, units=[org.company])
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    services.template_update(template=v2, units=[org.south], acting_user=org.department)
    services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    in_q2 = fy.quarters[1].start_date
    assert codes(selectors.templates_for_person(person=org.salesperson, on=TODAY)) == [("sales", 1)]
    assert selectors.templates_for_person(person=org.salesperson, on=in_q2) == []
    assert codes(selectors.templates_for_person(person=org.other_salesperson, on=in_q2)) == [
        ("sales", 2)
    ]


def test_each_persona_lists_the_versions_it_may_see(org, fy):
    make_published(org, code="east", units=[org.team])
    make_published(org, code="south", units=[org.south])
    make_draft(org, code="draft")
    assert codes(selectors.template_list(user=org.department)) == [
        ("draft", 1),
        ("east", 1),
        ("south", 1),
    ]
    assert codes(selectors.template_list(user=org.admin)) == codes(
        selectors.template_list(user=org.department)
    )
    assert codes(selectors.template_list(user=org.hr)) == [("east", 1), ("south", 1)]
    assert codes(selectors.template_list(user=org.salesperson)) == [("east", 1)]
    assert codes(selectors.template_list(user=org.east2_person)) == []
    assert codes(selectors.template_list(user=org.other_salesperson)) == [("south", 1)]
    assert codes(selectors.template_list(user=org.supervisor)) == [("east", 1)]
    assert codes(selectors.template_list(user=org.other_supervisor)) == [("south", 1)]
    assert codes(selectors.template_list(user=org.regional)) == [("east", 1)]


def test_publication_problems_say_everything_that_stops_publication(org, fy):
    template = make_draft(org, bands=False)
    assert selectors.publication_problems(template=template, today=TODAY) == [
        "The template has no grade bands."
    ]
    started = fy.quarters[0].start_date
    assert selectors.publication_problems(template=template, today=started)[-1] == (
        "FY2026 Q1 has already started: a template is published before the first period it "
        "applies to. Choose a later period."
    )
    published = make_published(org, code="done")
    assert selectors.publication_problems(template=published, today=TODAY) == [
        "Version 1 of Sales performance appraisal is already published."
    ]


def test_the_detail_has_dimensions_metrics_bands_and_population(org, fy, django_assert_num_queries):
    template = make_published(org)
    with django_assert_num_queries(4):
        detail = selectors.template_detail(template=template)
        dims = [(d.name, d.metric.code if d.metric else None) for d in detail.dimensions.all()]
        grades = [b.grade for b in detail.grades.all()]
        units = [u.code for u in detail.units.all()]
        label = detail.applies_from.label
        publisher = detail.published_by.username
    assert dims[0] == ("Revenue attainment", "revenue") and len(dims) == 4
    assert grades == ["S", "A", "B", "C", "D"]
    assert (units, label, publisher) == (["acme"], "FY2026 Q1", "dora")


@pytest.fixture(params=["small", "large"])
def many(request, org, fy):
    """One template, or ten codes with two published versions and a draft each."""
    count = 1 if request.param == "small" else 10
    for i in range(count):
        v1 = make_published(org, code=f"t{i}", units=[org.company, org.east, org.team])
        v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
        services.template_publish(template=v2, acting_user=org.department, today=TODAY)
        services.template_new_version(template=v2, acting_user=org.department, today=TODAY)
    return count


def test_the_reads_take_a_fixed_number_of_queries(org, many, django_assert_max_num_queries):
    with django_assert_max_num_queries(6):
        mine = selectors.templates_for_person(person=org.salesperson, on=TODAY)
        for t in mine:
            [(d.name, d.metric and d.metric.name) for d in t.dimensions.all()]
            [b.grade for b in t.grades.all()]
            [u.path for u in t.units.all()]
            t.applies_from.label  # noqa: B018
    assert len(mine) == 2 * many
    for user, expected in [
        (org.department, 3 * many),
        (org.hr, 2 * many),
        (org.salesperson, 2 * many),
        (org.regional, 2 * many),
    ]:
        user = type(user).objects.get(pk=user.pk)  # no cached roles
        with django_assert_max_num_queries(5):
            rows = selectors.template_list(user=user)
            [(t.applies_from.label, [u.code for u in t.units.all()]) for t in rows]
        assert len(rows) == expected
    with django_assert_max_num_queries(5):
        detail = selectors.template_detail(template=mine[-1])
        [(d.metric and d.metric.name) for d in detail.dimensions.all()]
