"""The appraisal template pages, persona by persona, and the department's flows:
create and edit a draft, add dimensions of each scoring method, grades, the weights
warning, publication refused with every problem listed, publication, published
versions that cannot change, new versions; the salesperson's "How I will be
appraised"."""

import pytest
from django.urls import reverse

from appraisal.models import AppraisalTemplate, Dimension
from notifications.models import Notification
from tests.appraisal import test_permissions
from tests.appraisal.helpers import make_draft, make_metric, make_year

READERS = ["salesperson", "teammate", "other_salesperson", "supervisor", "other_supervisor", "hr"]

# The shared fixtures.
pinned_today = test_permissions.pinned_today
world = test_permissions.world


def url(name, *args):
    return reverse(f"appraisal:{name}", args=args)


def status_of(client_as, persona, path, method="get", data=None):
    client = client_as(persona)
    response = client.post(path, data or {}) if method == "post" else client.get(path)
    return response.status_code


# --- access to every page ------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["anonymous"])
def test_anonymous_people_are_sent_to_sign_in_from_every_page(client_as, world, persona):
    sales, draft = world.sales, world.draft
    dim = draft.dimensions.first()
    paths = [
        url("mine"),
        url("templates"),
        url("template-new"),
        url("template-detail", sales.pk),
        url("template-edit", draft.pk),
        url("dimension-new", draft.pk),
        url("dimension-edit", draft.pk, dim.pk),
        url("dimension-delete", draft.pk, dim.pk),
        url("bands", draft.pk),
        url("template-publish", draft.pk),
    ]
    client = client_as(persona)
    for path in paths:
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith(reverse("login")), path
    response = client.post(url("template-new-version", sales.pk))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", [*READERS, "department"])
def test_everybody_signed_in_reads_the_list_and_how_they_will_be_appraised(
    client_as, world, persona
):
    assert status_of(client_as, persona, url("templates")) == 200
    assert status_of(client_as, persona, url("mine")) == 200


@pytest.mark.parametrize(
    ("persona", "template", "expected"),
    [
        ("department", "draft", 200),
        ("department", "south", 200),
        ("hr", "south", 200),
        ("hr", "draft", 404),
        ("salesperson", "sales", 200),
        ("salesperson", "south", 404),
        ("salesperson", "draft", 404),
        ("teammate", "east2", 404),
        ("other_salesperson", "south", 200),
        ("supervisor", "sales", 200),
        ("supervisor", "south", 404),
        ("other_supervisor", "south", 200),
        ("other_supervisor", "draft", 404),
    ],
)
def test_the_detail_page_follows_the_visibility_rules(
    client_as, world, persona, template, expected
):
    pk = getattr(world, template).pk
    assert status_of(client_as, persona, url("template-detail", pk)) == expected


def editing_pages(world):
    draft = world.draft
    dim = draft.dimensions.first()
    return [
        url("template-edit", draft.pk),
        url("dimension-new", draft.pk),
        url("dimension-edit", draft.pk, dim.pk),
        url("dimension-delete", draft.pk, dim.pk),
        url("bands", draft.pk),
        url("template-publish", draft.pk),
    ]


def test_the_department_opens_every_editing_page_of_a_draft(client_as, world):
    client = client_as("department")
    for path in [url("template-new"), *editing_pages(world)]:
        assert client.get(path).status_code == 200, path


@pytest.mark.parametrize("persona", READERS)
def test_nobody_else_creates_a_template(client_as, world, persona):
    assert status_of(client_as, persona, url("template-new")) == 403
    assert status_of(client_as, persona, url("template-new"), "post", {"code": "x"}) == 403
    assert not AppraisalTemplate.objects.filter(code="x").exists()


@pytest.mark.parametrize("persona", READERS)
def test_a_draft_is_hidden_from_everybody_else_on_every_editing_page(client_as, world, persona):
    for path in editing_pages(world):
        assert status_of(client_as, persona, path) == 404, path
        assert status_of(client_as, persona, path, "post") == 404, path


@pytest.mark.parametrize("persona", ["hr", "salesperson", "supervisor", "other_salesperson"])
def test_a_visible_published_template_is_forbidden_to_change_for_everybody_else(
    client_as, world, persona
):
    sales = world.sales
    dim = sales.dimensions.first()
    for path in [
        url("template-edit", sales.pk),
        url("dimension-new", sales.pk),
        url("dimension-edit", sales.pk, dim.pk),
        url("dimension-delete", sales.pk, dim.pk),
        url("bands", sales.pk),
        url("template-publish", sales.pk),
    ]:
        assert status_of(client_as, persona, path) == 403, path
    assert status_of(client_as, persona, url("template-new-version", sales.pk), "post") == 403
    assert AppraisalTemplate.objects.filter(code="sales").count() == 1


def test_the_new_version_button_takes_a_post_only(client_as, world):
    assert status_of(client_as, "department", url("template-new-version", world.sales.pk)) == 405


# --- the list and the detail -----------------------------------------------------------------


def test_the_department_lists_every_version_with_status_period_and_population(client_as, world):
    html = client_as("department").get(url("templates")).content.decode()
    for code in ("sales", "south", "east2", "east-next"):
        assert f"<code>{code}</code>" in html
    assert "draft" in html and "published" in html
    assert "2026 Q1" in html or "FY2026 Q1" in html or world.fy.quarters[0].label in html
    assert world.draft.units.first().display_name in html
    assert reverse("appraisal:template-new") in html


def test_a_salesperson_lists_only_the_templates_covering_them(client_as, world):
    html = client_as("salesperson").get(url("templates")).content.decode()
    assert "<code>sales</code>" in html
    assert "<code>south</code>" not in html and "<code>east-next</code>" not in html
    assert reverse("appraisal:template-new") not in html


def test_the_detail_explains_the_working_in_plain_words(client_as, world):
    html = client_as("salesperson").get(url("template-detail", world.sales.pk)).content.decode()
    assert "Below 60 % scores 0" in html
    assert "capped at 120 %" in html
    assert "4.5 or more scores 100" in html  # the satisfaction step table, no unit
    assert "Excellent" in html and "优秀" not in html  # the anchors in English
    assert "50 %" in html and "Your peers rate you too." in html
    assert "Outstanding" in html  # grade S
    assert '<strong class="text-success">100 %</strong>' in html
    # nobody but the department gets editing controls
    assert url("dimension-new", world.sales.pk) not in html
    assert url("template-new-version", world.sales.pk) not in html


def test_the_detail_speaks_chinese_to_a_chinese_reader(client_as, world):
    client = client_as("salesperson")
    html = client.get(
        url("template-detail", world.sales.pk), HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "优秀" in html and "卓越" in html  # anchors and grade meanings in Chinese
    assert "销售绩效考核方案" in html  # the Chinese name


def test_the_department_sees_the_draft_controls_and_the_new_version_button(client_as, world):
    client = client_as("department")
    draft_html = client.get(url("template-detail", world.draft.pk)).content.decode()
    assert url("dimension-new", world.draft.pk) in draft_html
    assert url("template-publish", world.draft.pk) in draft_html
    published_html = client.get(url("template-detail", world.sales.pk)).content.decode()
    assert url("template-new-version", world.sales.pk) in published_html
    assert url("template-edit", world.sales.pk) not in published_html


# --- how I will be appraised ---------------------------------------------------------------


def test_a_salesperson_reads_how_they_will_be_appraised(client_as, world):
    html = client_as("other_salesperson").get(url("mine")).content.decode()
    assert html.count("Sales performance appraisal") >= 2  # sales and south
    assert "Below 60 % scores 0" in html
    assert "Customer satisfaction" in html and "Work attitude" in html


def test_a_person_covered_by_nothing_published_is_told_so(client_as, world):
    for persona in ("hr", "department"):
        html = client_as(persona).get(url("mine")).content.decode()
        assert "No appraisal template covering you is published yet" in html


def test_before_anything_is_published_the_salesperson_is_told_so(client_as, org, pinned_today):
    make_draft(org, code="only-draft")
    html = client_as("salesperson").get(url("mine")).content.decode()
    assert "No appraisal template covering you is published yet" in html


# --- the department's flows ---------------------------------------------------------------


@pytest.fixture
def empty_draft(org, pinned_today):
    return make_draft(org, code="fresh", dimensions=False, bands=False)


def test_the_department_creates_a_draft_from_the_page(client_as, org, pinned_today):
    fy = make_year(2026)
    response = client_as("department").post(
        url("template-new"),
        {
            "code": "quarterly",
            "name": "Quarterly appraisal",
            "name_zh": "季度考核",
            "description": "",
            "period_kind": "quarter",
            "applies_from": fy.quarters[1].pk,
            "units": [org.east.pk, org.south.pk],
        },
    )
    template = AppraisalTemplate.objects.get(code="quarterly")
    assert response.status_code == 302
    assert response["Location"] == url("template-detail", template.pk)
    assert template.status == "draft" and template.version == 1
    assert set(template.units.all()) == {org.east, org.south}


def test_the_form_offers_only_periods_not_started_yet(client_as, org, pinned_today):
    fy = make_year(2026)
    past = make_year(2025)
    form = client_as("department").get(url("template-new")).context["form"]
    offered = set(form.fields["applies_from"].queryset)
    assert fy.quarters[0] in offered and fy.year in offered
    assert past.quarters[3] not in offered  # 2025 Q4 started before TODAY


def test_a_period_of_another_kind_is_refused_naming_the_field(client_as, org, pinned_today):
    fy = make_year(2026)
    response = client_as("department").post(
        url("template-new"),
        {
            "code": "mixed",
            "name": "Mixed",
            "name_zh": "混合",
            "period_kind": "quarter",
            "applies_from": fy.months[3].pk,
            "units": [org.company.pk],
        },
    )
    assert response.status_code == 400
    assert "applies_from" in response.context["form"].errors
    assert not AppraisalTemplate.objects.filter(code="mixed").exists()


def test_the_department_edits_a_draft(client_as, org, empty_draft):
    fy = make_year(2026)
    response = client_as("department").post(
        url("template-edit", empty_draft.pk),
        {
            "name": "Renamed",
            "name_zh": "新名称",
            "description": "Changed",
            "period_kind": "quarter",
            "applies_from": fy.quarters[2].pk,
            "units": [org.team.pk],
        },
    )
    assert response.status_code == 302
    empty_draft.refresh_from_db()
    assert (empty_draft.name, empty_draft.applies_from) == ("Renamed", fy.quarters[2])
    assert list(empty_draft.units.all()) == [org.team]


def dimension_post(**fields):
    data = {"name": "Dimension", "name_zh": "维度", "weight": "25", "position": "0"}
    data.update(fields)
    return data


def test_the_department_adds_a_dimension_of_each_method(client_as, org, empty_draft):
    metric = make_metric()
    client = client_as("department")
    path = url("dimension-new", empty_draft.pk)
    posts = [
        dimension_post(
            name="Revenue",
            method="attainment",
            metric=metric.pk,
            curve_kind="linear",
            floor="60",
            floor_score="0",
            target="100",
            target_score="100",
            cap="120",
        ),
        dimension_post(
            name="Satisfaction",
            method="satisfaction",
            curve_kind="steps",
            step_threshold_1="1",
            step_score_1="0",
            step_threshold_2="4",
            step_score_2="80",
            step_threshold_3="4.5",
            step_score_3="100",
            level_score_1="99",  # ignored: not a rated dimension
        ),
        dimension_post(
            name="Attitude",
            method="rated",
            rated_by_self="on",
            level_score_1="40",
            level_anchor_1="Passive",
            level_anchor_zh_1="被动",
            level_score_2="70",
            level_anchor_2="Engaged",
            level_anchor_zh_2="投入",
            level_score_3="100",
            level_anchor_3="Drives others",
            level_anchor_zh_3="带动他人",
            floor="1",  # ignored: not a curve dimension
        ),
        dimension_post(
            name="Training",
            method="training",
            curve_kind="linear",
            floor="0",
            floor_score="0",
            target="100",
            target_score="100",
        ),
    ]
    for data in posts:
        response = client.post(path, data)
        assert response.status_code == 302, response.context and response.context["form"].errors
    dims = {d.name: d for d in empty_draft.dimensions.all()}
    assert dims["Revenue"].metric == metric and dims["Revenue"].curve["cap"] == "120"
    assert dims["Satisfaction"].curve["steps"][-1] == ["4.5", "100"]
    assert dims["Satisfaction"].scale == []
    assert [lvl["anchor_zh"] for lvl in dims["Attitude"].scale] == ["被动", "投入", "带动他人"]
    assert dims["Attitude"].rated_by_self and not dims["Attitude"].rated_by_peers
    assert dims["Attitude"].curve == {}
    assert dims["Training"].curve["cap"] == dims["Training"].curve["target"]  # no cap given
    html = client.get(url("template-detail", empty_draft.pk)).content.decode()
    assert "There is no training data yet" in html
    assert "Drives others" in html


def test_the_dimension_form_shows_every_section_with_the_method_switch(client_as, empty_draft):
    html = client_as("department").get(url("dimension-new", empty_draft.pk)).content.decode()
    assert 'data-methods="attainment"' in html and 'data-methods="rated"' in html
    assert "appraisal/dimension.js" in html
    assert 'name="step_threshold_1"' in html and 'name="level_anchor_zh_1"' in html
    assert "{" not in html.split("<main")[1].split("</main>")[0].replace("{%", "")  # no JSON


def test_an_attainment_without_a_metric_or_a_complete_curve_is_refused(client_as, empty_draft):
    response = client_as("department").post(
        url("dimension-new", empty_draft.pk),
        dimension_post(method="attainment", curve_kind="linear", floor="60"),
    )
    assert response.status_code == 400
    errors = response.context["form"].errors
    assert "metric" in errors and "target" in errors
    assert not empty_draft.dimensions.exists()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        pytest.param(
            {
                "name": "Sat",
                "method": "satisfaction",
                "curve_kind": "linear",
                "floor": "4",
                "floor_score": "0",
                "target": "3",
                "target_score": "100",
            },
            "Sat: Linear curve: the target must be above the floor.",
            id="a_bad_curve_comes_back_with_the_domain_message_naming_the_dimension",
        ),
        pytest.param(
            {
                "name": "Team",
                "method": "rated",
                "level_score_1": "50",
                "level_anchor_1": "OK",
                "level_anchor_zh_1": "可以",
                "level_score_2": "100",
                "level_anchor_2": "Great",
            },
            "level 2",
            id="a_scale_anchor_missing_in_chinese_is_refused_naming_the_level",
        ),
    ],
)
def test_a_bad_dimension_is_refused_with_its_message(client_as, empty_draft, fields, message):
    response = client_as("department").post(
        url("dimension-new", empty_draft.pk), dimension_post(**fields)
    )
    assert response.status_code == 400
    assert message in response.content.decode()


def test_the_department_edits_and_removes_a_dimension(client_as, world):
    draft = world.draft
    dim = draft.dimensions.get(name="Work attitude")
    client = client_as("department")
    form = client.get(url("dimension-edit", draft.pk, dim.pk)).context["form"]
    assert form.initial["level_anchor_5"] == "Excellent"
    data = {k: v for k, v in form.initial.items() if v is not None}
    data.update(weight="10", rated_by_peers="on")
    assert client.post(url("dimension-edit", draft.pk, dim.pk), data).status_code == 302
    dim.refresh_from_db()
    assert str(dim.weight) == "10.00" and dim.rated_by_peers
    confirm = client.get(url("dimension-delete", draft.pk, dim.pk)).content.decode()
    assert "Remove Work attitude?" in confirm
    assert client.post(url("dimension-delete", draft.pk, dim.pk)).status_code == 302
    assert not Dimension.objects.filter(pk=dim.pk).exists()


def test_weights_not_adding_up_to_100_are_warned_about_on_the_draft(client_as, world):
    dim = world.draft.dimensions.get(name="Teamwork")
    client = client_as("department")
    client.post(url("dimension-delete", world.draft.pk, dim.pk))
    html = client.get(url("template-detail", world.draft.pk)).content.decode()
    assert "The weights add up to 85.00 %; they must add up to exactly 100 %" in html
    ok_html = client.get(url("template-detail", world.sales.pk)).content.decode()
    assert "they must add up to exactly 100 %" not in ok_html


def test_the_department_saves_the_grades(client_as, empty_draft):
    client = client_as("department")
    response = client.post(
        url("bands", empty_draft.pk),
        {
            "grade_1": "A",
            "min_score_1": "90",
            "label_1": "Great",
            "label_zh_1": "很好",
            "grade_2": "B",
            "min_score_2": "0",
        },
    )
    assert response.status_code == 302
    assert [(b.grade, str(b.min_score)) for b in empty_draft.grades.all()] == [
        ("A", "90.00"),
        ("B", "0.00"),
    ]
    form = client.get(url("bands", empty_draft.pk)).context["form"]
    assert form.initial["grade_1"] == "A"


def test_grades_that_leave_scores_without_a_grade_are_refused(client_as, empty_draft):
    response = client_as("department").post(
        url("bands", empty_draft.pk), {"grade_1": "A", "min_score_1": "50"}
    )
    assert response.status_code == 400
    assert "it must start at 0" in response.content.decode()
    assert not empty_draft.grades.exists()


def test_publication_is_refused_with_every_problem_listed(client_as, empty_draft):
    client = client_as("department")
    client.post(
        url("dimension-new", empty_draft.pk),
        dimension_post(name="Attitude", weight="40", method="rated"),
    )  # refused: no levels
    make_metric()
    client.post(
        url("dimension-new", empty_draft.pk),
        dimension_post(
            name="Team",
            weight="40",
            method="training",
            curve_kind="linear",
            floor="0",
            floor_score="0",
            target="100",
            target_score="100",
        ),
    )
    page = client.get(url("template-publish", empty_draft.pk))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Not ready to publish" in html
    assert "The weights add up to 40.00 %" in html
    assert "The template has no grade bands." in html
    assert "Publish now" not in html
    response = client.post(url("template-publish", empty_draft.pk))
    assert response.status_code == 400
    assert "Nothing was published." in response.content.decode()
    empty_draft.refresh_from_db()
    assert empty_draft.status == "draft"


def test_publication_of_a_ready_draft_says_who_is_told_and_that_it_never_changes(
    client_as, org, world, django_capture_on_commit_callbacks
):
    client = client_as("department")
    html = client.get(url("template-publish", world.draft.pk)).content.decode()
    assert "will be notified" in html and org.east.display_name in html
    assert "A published version can never change." in html
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("template-publish", world.draft.pk))
    assert response.status_code == 302
    world.draft.refresh_from_db()
    assert world.draft.status == "published" and world.draft.published_by == org.department
    told = set(
        Notification.objects.filter(kind="appraisal_template_published").values_list(
            "recipient__username", flat=True
        )
    )
    assert {"sam", "tina", "eve"} <= told and "oscar" not in told


@pytest.mark.parametrize("page", ["template-edit", "dimension-new", "bands", "template-publish"])
def test_a_published_version_cannot_be_edited_and_says_to_make_a_new_version(
    client_as, world, page
):
    client = client_as("department")
    for response in (
        client.get(url(page, world.sales.pk)),
        client.post(url(page, world.sales.pk), {"name": "Changed"}),
    ):
        assert response.status_code == 400
        html = response.content.decode()
        assert "is published and can no longer change" in html
        assert url("template-new-version", world.sales.pk) in html
    world.sales.refresh_from_db()
    assert world.sales.name == "Sales performance appraisal"


def test_a_published_versions_dimension_cannot_be_edited_or_removed(client_as, world):
    dim = world.sales.dimensions.first()
    client = client_as("department")
    for page in ("dimension-edit", "dimension-delete"):
        response = client.post(url(page, world.sales.pk, dim.pk), {"weight": "1"})
        assert response.status_code == 400
    assert Dimension.objects.filter(pk=dim.pk, weight=dim.weight).exists()


def test_the_department_makes_a_new_version_of_a_published_template(client_as, world):
    client = client_as("department")
    response = client.post(url("template-new-version", world.sales.pk))
    new = AppraisalTemplate.objects.get(code="sales", version=2)
    assert response.status_code == 302
    assert response["Location"] == url("template-detail", new.pk)
    assert new.status == "draft"
    assert new.applies_from.start_date > world.sales.applies_from.start_date
    assert new.dimensions.count() == world.sales.dimensions.count()
    # a second copy while the draft exists is refused with a message
    again = client.post(url("template-new-version", world.sales.pk), follow=True)
    assert "already a draft being edited" in again.content.decode()
    assert AppraisalTemplate.objects.filter(code="sales").count() == 2


def test_the_dimension_form_keeps_a_running_total_of_the_weights(client_as, world):
    client = client_as("department")
    new_html = client.get(url("dimension-new", world.draft.pk)).content.decode()
    assert "The other dimensions weigh 100 % together." in new_html
    assert 'data-others-weight="100.00"' in new_html
    teamwork = world.draft.dimensions.get(name="Teamwork")
    edit_html = client.get(url("dimension-edit", world.draft.pk, teamwork.pk)).content.decode()
    assert "The other dimensions weigh 85 % together." in edit_html
