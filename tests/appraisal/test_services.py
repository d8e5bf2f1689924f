"""Writes of appraisal/template/services.py: drafts, dimensions, bands, publication and new
versions. Every refusal names the problem; published versions never change."""

import datetime
from decimal import Decimal as D

import pytest

from appraisal.models import AppraisalTemplate, Dimension, GradeBand
from appraisal.template import services
from core.errors import DomainError
from notifications.models import Notification
from org.models import Period
from tests.appraisal.helpers import (
    BANDS,
    LINEAR_CURVE,
    SCALE,
    TODAY,
    make_draft,
    make_metric,
    make_published,
    make_year,
)


@pytest.fixture
def fy(db):
    return make_year(2026)


def snapshot():
    return (
        AppraisalTemplate.objects.count(),
        AppraisalTemplate.history.count(),
        Dimension.objects.count(),
        GradeBand.objects.count(),
    )


# --- drafts --------------------------------------------------------------------------------


def test_a_new_template_is_a_draft_v1_with_its_population_and_history(org, fy):
    template = make_draft(org, dimensions=False, bands=False, units=[org.east, org.south])
    assert (template.code, template.version, template.status) == ("sales", 1, "draft")
    assert template.applies_from == fy.quarters[0]
    assert set(template.units.all()) == {org.east, org.south}
    first = template.history.earliest()
    assert first.history_user == org.department
    assert first.history_change_reason == "created"
    assert {u.orgunit_id for u in template.history.latest().units.all()} == {
        org.east.pk,
        org.south.pk,
    }


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"code": "no spaces"}, "letters, digits, hyphens and underscores"),
        ({"name": " "}, "needs a name"),
        ({"name_zh": ""}, "needs a Chinese name"),
        ({"period_kind": "week"}, "Unknown appraisal period: week"),
        ({"period_kind": "month"}, "must be a month, not FY2026 Q1"),
        ({"units": []}, "Choose the units"),
    ],
)
def test_a_template_is_refused_naming_the_field(org, fy, fields, words):
    values = {
        "code": "sales",
        "name": "Sales appraisal",
        "name_zh": "销售考核",
        "description": "",
        "period_kind": "quarter",
        "applies_from": fy.quarters[0],
        "units": [org.company],
    } | fields
    before = snapshot()
    with pytest.raises(DomainError, match=words):
        services.template_create(acting_user=org.department, **values)
    assert snapshot() == before


def test_a_template_code_is_used_once_later_versions_are_made_from_it(org, fy):
    make_draft(org, dimensions=False, bands=False)
    with pytest.raises(DomainError, match="code sales is already used: make a new version"):
        make_draft(org, dimensions=False, bands=False)


def test_a_draft_can_be_edited_and_the_edit_is_in_its_history(org, fy):
    template = make_draft(org, dimensions=False, bands=False)
    services.template_update(
        template=template,
        name="Quarterly appraisal",
        applies_from=fy.quarters[1],
        units=[org.south],
        acting_user=org.department,
    )
    template.refresh_from_db()
    assert (template.name, template.applies_from) == ("Quarterly appraisal", fy.quarters[1])
    assert list(template.units.all()) == [org.south]
    latest = template.history.first()
    assert latest.history_change_reason == "edited" and latest.history_user == org.department
    with pytest.raises(DomainError, match="must be a quarter"):
        services.template_update(
            template=template, applies_from=fy.months[3], acting_user=org.department
        )


# --- dimensions and bands ---------------------------------------------------------------


def test_dimensions_are_added_in_order_and_keep_only_what_their_method_uses(org, fy):
    template = make_draft(org, dimensions=False, bands=False)
    revenue = make_metric()
    first = services.dimension_save(
        template=template,
        name="Revenue",
        name_zh="营业收入",
        weight=D("60"),
        method="attainment",
        metric=revenue,
        curve=LINEAR_CURVE,
        scale=SCALE,
        rated_by_peers=True,
        acting_user=org.department,
    )
    second = services.dimension_save(
        template=template,
        name="Attitude",
        name_zh="态度",
        weight="40",
        method="rated",
        metric=revenue,
        curve=LINEAR_CURVE,
        scale=SCALE,
        rated_by_self=True,
        acting_user=org.department,
    )
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.position, second.position) == (0, 1)
    assert (first.scale, first.rated_by_peers, first.metric) == ([], False, revenue)
    assert first.curve["floor"] == "60"
    assert (second.curve, second.metric, second.rated_by_self) == ({}, None, True)
    assert second.weight == D("40") and len(second.scale) == 5
    assert template.history.first().history_change_reason == "dimension saved: Attitude"
    services.dimension_save(
        template=template, dimension=second, weight=D("40.5"), acting_user=org.department
    )
    second.refresh_from_db()
    assert second.weight == D("40.50")
    services.dimension_delete(dimension=first, acting_user=org.department)
    assert list(template.dimensions.all()) == [second]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"name": ""}, "A dimension needs a name"),
        ({"name_zh": ""}, "Revenue: the dimension needs a Chinese name"),
        ({"weight": D("0")}, "Revenue: the weight must be more than 0 % and at most 100 %"),
        ({"weight": D("101")}, "at most 100 %"),
        ({"weight": D("10.001")}, "Revenue: the weight has more than two decimals"),
        ({"weight": "ten"}, "Revenue: the weight is not a number"),
        ({"method": "guess"}, "Revenue: unknown scoring method guess"),
        ({"metric": None}, "Revenue: choose the metric whose attainment is scored"),
        ({"curve": LINEAR_CURVE | {"cap": "90"}}, "Revenue: Linear curve: the cap cannot be"),
        (
            {"method": "rated", "scale": SCALE[:1]},
            "Revenue: A rating scale needs at least two levels",
        ),
    ],
)
def test_a_bad_dimension_is_refused_naming_it_and_nothing_is_written(org, fy, fields, words):
    template = make_draft(org, dimensions=False, bands=False)
    values = {
        "name": "Revenue",
        "name_zh": "营业收入",
        "weight": D("50"),
        "method": "attainment",
        "metric": make_metric(),
        "curve": LINEAR_CURVE,
    } | fields
    before = snapshot()
    with pytest.raises(DomainError, match=words):
        services.dimension_save(template=template, acting_user=org.department, **values)
    assert snapshot() == before


def test_two_dimensions_of_a_template_cannot_share_a_name(org, fy):
    template = make_draft(org)
    with pytest.raises(DomainError, match="already has a dimension called teamwork"):
        services.dimension_save(
            template=template,
            name="teamwork",
            name_zh="协作",
            weight=D("5"),
            method="rated",
            acting_user=org.department,
        )


def test_grade_bands_are_replaced_as_a_whole_and_must_give_every_score_a_grade(org, fy):
    template = make_draft(org)
    services.bands_save(
        template=template,
        bands=[{"grade": "Pass", "min_score": "60"}, {"grade": "Fail", "min_score": "0"}],
        acting_user=org.department,
    )
    assert [(b.grade, b.min_score) for b in template.grades.all()] == [
        ("Pass", D("60")),
        ("Fail", D("0")),
    ]
    with pytest.raises(DomainError, match="must start at 0"):
        services.bands_save(
            template=template, bands=[{"grade": "A", "min_score": "1"}], acting_user=org.department
        )
    assert template.grades.count() == 2


# --- publication ----------------------------------------------------------------------------


def test_publishing_freezes_the_draft_and_tells_the_covered_salespeople(
    org, fy, django_capture_on_commit_callbacks
):
    template = make_draft(org, units=[org.east])
    with django_capture_on_commit_callbacks(execute=True):
        services.template_publish(template=template, acting_user=org.department, today=TODAY)
    template.refresh_from_db()
    assert template.status == "published"
    assert template.published_by == org.department and template.published_at is not None
    assert template.history.first().history_change_reason == "published"
    notified = set(
        Notification.objects.filter(kind="appraisal_template_published").values_list(
            "recipient__username", flat=True
        )
    )
    assert notified == {"sam", "tina", "sue", "eve"}  # not oscar (south), nor rita (leads)
    notice = Notification.objects.filter(recipient=org.salesperson).get()
    assert notice.params["template_zh"] == "销售绩效考核方案"
    assert notice.params["period"] == "FY2026 Q1"
    assert notice.url == "/appraisal/"


def test_a_template_cannot_be_published_once_its_first_period_has_started(org, fy):
    template = make_draft(org)
    with pytest.raises(DomainError, match="FY2026 Q1 has already started"):
        services.template_publish(
            template=template, acting_user=org.department, today=fy.quarters[0].start_date
        )
    template.refresh_from_db()
    assert template.status == "draft"


def test_publishing_refuses_weights_not_adding_up_to_100(org, fy):
    template = make_draft(org)
    dimension = template.dimensions.get(name="Teamwork")
    services.dimension_save(
        template=template, dimension=dimension, weight=D("10"), acting_user=org.department
    )
    with pytest.raises(DomainError, match=r"The weights add up to 95\.00 %"):
        services.template_publish(template=template, acting_user=org.department, today=TODAY)


def test_publishing_refuses_a_dimension_without_its_curve_or_scale(org, fy):
    template = make_draft(org)
    services.dimension_save(
        template=template,
        dimension=template.dimensions.get(name="Customer satisfaction"),
        curve={},
        acting_user=org.department,
    )
    services.dimension_save(
        template=template,
        dimension=template.dimensions.get(name="Teamwork"),
        scale=[],
        acting_user=org.department,
    )
    with pytest.raises(DomainError) as exc:
        services.template_publish(template=template, acting_user=org.department, today=TODAY)
    assert "Customer satisfaction: the scoring curve is missing." in str(exc.value)
    assert "Teamwork: the rating scale is missing." in str(exc.value)


def test_an_attainment_dimension_without_a_metric_is_refused(org, fy):
    # The service (and the database) refuse to store one, so a draft never lacks it;
    # domain.check_template lists it too (tests/appraisal/test_domain.py).
    template = make_draft(org)
    revenue = template.dimensions.get(method="attainment")
    with pytest.raises(DomainError, match="Revenue attainment: choose the metric"):
        services.dimension_save(
            template=template, dimension=revenue, metric=None, acting_user=org.department
        )
    revenue.refresh_from_db()
    assert revenue.metric is not None


def test_publishing_refuses_bands_that_do_not_cover_zero_or_no_bands(org, fy):
    template = make_draft(org, bands=False)
    with pytest.raises(DomainError, match="The template has no grade bands"):
        services.template_publish(template=template, acting_user=org.department, today=TODAY)
    GradeBand.objects.create(template=template, grade="A", min_score=D("50"))
    with pytest.raises(DomainError, match="The lowest grade starts at 50: it must start at 0"):
        services.template_publish(template=template, acting_user=org.department, today=TODAY)


def test_publishing_a_published_version_again_is_refused(org, fy):
    template = make_published(org)
    with pytest.raises(DomainError, match="Version 1 of Sales performance appraisal is published"):
        services.template_publish(template=template, acting_user=org.department, today=TODAY)


def test_a_new_version_must_apply_after_the_latest_published_one(org, fy):
    v1 = make_published(org, applies_from=fy.quarters[1])
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    services.template_update(template=v2, applies_from=fy.quarters[1], acting_user=org.department)
    with pytest.raises(DomainError, match="Version 1 already applies from FY2026 Q2"):
        services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    services.template_update(template=v2, applies_from=fy.quarters[0], acting_user=org.department)
    with pytest.raises(DomainError, match="later period than FY2026 Q2"):
        services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    services.template_update(template=v2, applies_from=fy.quarters[2], acting_user=org.department)
    services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    assert AppraisalTemplate.objects.filter(code="sales", status="published").count() == 2


# --- published versions never change ----------------------------------------------------


def test_every_service_refuses_to_change_a_published_version(org, fy):
    template = make_published(org)
    dimension = template.dimensions.first()
    before = snapshot()
    frozen = "Version 1 of Sales performance appraisal is published and can no longer change: make"
    attempts = [
        lambda: services.template_update(
            template=template, name="Changed", acting_user=org.department
        ),
        lambda: services.dimension_save(
            template=template, dimension=dimension, weight=D("50"), acting_user=org.department
        ),
        lambda: services.dimension_save(
            template=template,
            name="Extra",
            name_zh="额外",
            weight=D("1"),
            method="rated",
            acting_user=org.department,
        ),
        lambda: services.dimension_delete(dimension=dimension, acting_user=org.department),
        lambda: services.bands_save(template=template, bands=BANDS, acting_user=org.department),
    ]
    for attempt in attempts:
        with pytest.raises(DomainError, match=frozen):
            attempt()
    assert snapshot() == before
    template.refresh_from_db()
    assert template.name == "Sales performance appraisal"


# --- new versions ---------------------------------------------------------------------------


def test_a_new_version_is_a_draft_copy_of_everything_applying_from_a_later_period(org, fy):
    v1 = make_published(org, units=[org.east, org.south])
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    assert (v2.code, v2.version, v2.status) == ("sales", 2, "draft")
    assert v2.applies_from == fy.quarters[1]
    assert (v2.name, v2.name_zh, v2.description, v2.period_kind) == (
        v1.name,
        v1.name_zh,
        v1.description,
        v1.period_kind,
    )
    assert set(v2.units.all()) == {org.east, org.south}

    def parts(t):
        dims = [
            (
                d.position,
                d.name,
                d.name_zh,
                d.weight,
                d.method,
                d.metric_id,
                d.curve,
                d.scale,
                d.rated_by_peers,
                d.rated_by_self,
            )
            for d in t.dimensions.all()
        ]
        bands = [(b.grade, b.min_score, b.label, b.label_zh) for b in t.grades.all()]
        return dims, bands

    assert parts(v2) == parts(v1)
    assert v2.history.earliest().history_change_reason == "new version of v1"
    # editing the copy leaves the published version as it was
    services.dimension_save(
        template=v2,
        dimension=v2.dimensions.get(name="Teamwork"),
        weight=D("10"),
        acting_user=org.department,
    )
    services.dimension_save(
        template=v2,
        dimension=v2.dimensions.get(name="Work attitude"),
        weight=D("20"),
        acting_user=org.department,
    )
    assert v1.dimensions.get(name="Teamwork").weight == D("15")
    services.template_publish(template=v2, acting_user=org.department, today=TODAY)


def test_a_new_version_starts_after_today_when_the_latest_one_already_applies(org, fy):
    v1 = make_published(org)
    in_q2 = fy.quarters[1].start_date + datetime.timedelta(days=10)
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=in_q2)
    assert v2.applies_from == fy.quarters[2]


def test_a_new_version_is_refused_while_a_draft_exists_or_from_a_draft(org, fy):
    v1 = make_published(org)
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    with pytest.raises(DomainError, match=r"Version 2 of .* is already a draft being edited"):
        services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    with pytest.raises(DomainError, match=r"Version 2 of .* is a draft: edit it"):
        services.template_new_version(template=v2, acting_user=org.department, today=TODAY)
    assert AppraisalTemplate.objects.count() == 2


def test_a_new_version_without_a_later_period_in_the_calendar_cannot_be_published_yet(org, fy):
    v1 = make_published(org, applies_from=fy.quarters[3])
    v2 = services.template_new_version(template=v1, acting_user=org.department, today=TODAY)
    assert v2.applies_from == fy.quarters[3]
    with pytest.raises(DomainError, match="later period than FY2026 Q4"):
        services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    next_year = make_year(2027)
    services.template_update(
        template=v2, applies_from=next_year.quarters[0], acting_user=org.department
    )
    services.template_publish(template=v2, acting_user=org.department, today=TODAY)
    assert Period.objects.filter(kind="quarter").count() == 8


# --- a training dimension before any training data exists ---------------------------------


def test_a_template_with_a_training_dimension_is_not_published_until_training_is_recorded(
    org,
):
    draft = make_draft(org)
    attainment = draft.dimensions.get(method="attainment")
    services.dimension_save(
        template=draft, dimension=attainment, weight=D("40"), acting_user=org.department
    )
    services.dimension_save(
        template=draft,
        name="Training participation",
        name_zh="培训参与度",
        weight=D("10"),
        method="training",
        curve=dict(LINEAR_CURVE),
        acting_user=org.department,
    )
    with pytest.raises(DomainError, match="no training records are kept") as refused:
        services.template_publish(template=draft, acting_user=org.department, today=TODAY)
    assert "Training participation: training participation cannot be scored yet" in str(
        refused.value
    )
    draft.refresh_from_db()
    assert draft.status == AppraisalTemplate.Status.DRAFT


def test_a_training_dimension_is_published_once_training_is_recorded(org, training_recorded):
    draft = make_draft(org)
    services.dimension_save(
        template=draft,
        dimension=draft.dimensions.get(method="attainment"),
        weight=D("40"),
        acting_user=org.department,
    )
    services.dimension_save(
        template=draft,
        name="Training participation",
        name_zh="培训参与度",
        weight=D("10"),
        method="training",
        curve=dict(LINEAR_CURVE),
        acting_user=org.department,
    )
    published = services.template_publish(template=draft, acting_user=org.department, today=TODAY)
    assert published.status == "published"
