"""The catalogue everybody reads (metrics, seasonality profiles, how targets are set)
and the department alone changes."""

from decimal import Decimal

import pytest
from django.urls import reverse

from targets.models import Metric, SeasonalityProfile
from tests.conftest import PERSONAS
from tests.targets.helpers_core import make_metric

SIGNED_IN = [p for p in PERSONAS if p != "anonymous"]


@pytest.fixture
def metrics(org):
    revenue = make_metric("revenue", acting_user=org.department)
    old = make_metric("old_metric", acting_user=org.department)
    Metric.objects.filter(pk=old.pk).update(is_active=False)
    return revenue, old


def metric_data(**overrides):
    data = {
        "code": "collections",
        "name": "Collections",
        "name_zh": "回款",
        "unit": "currency",
        "direction": "higher",
        "source": "collections",
        "description": "Payments received from customers.",
        "position": "4",
        "is_active": "on",
    }
    data.update(overrides)
    return data


# --- metrics -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_every_signed_in_user_reads_the_metrics(client_as, metrics, persona):
    response = client_as(persona).get(reverse("targets:metrics"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Revenue" in body and "sum of amount" in body and "higher is better" in body
    manages = persona == "department"
    assert ("Old_Metric" in body) is manages  # inactive metrics only for the department
    assert (reverse("targets:metric-new") in body) is manages


def test_anonymous_is_sent_to_sign_in_for_the_catalogue(client_as):
    for name in ("targets:metrics", "targets:seasonality", "targets:rules"):
        response = client_as("anonymous").get(reverse(name))
        assert response.status_code == 302
        assert reverse("login") in response["Location"]


def test_the_metric_name_follows_the_language(client_as, metrics):
    client = client_as("salesperson")
    client.cookies["django_language"] = "zh-hans"
    body = client.get(reverse("targets:metrics")).content.decode()
    assert "营业收入" in body


def test_the_department_creates_a_metric(client_as, org):
    response = client_as("department").post(reverse("targets:metric-new"), metric_data())
    assert response.status_code == 302
    metric = Metric.objects.get(code="collections")
    assert (metric.name_zh, metric.unit, metric.source) == ("回款", "currency", "collections")
    assert metric.history.first().history_user == org.department


def test_the_department_edits_a_metric(client_as, metrics):
    revenue, _old = metrics
    url = reverse("targets:metric-edit", args=[revenue.pk])
    page = client_as("department").get(url)
    assert page.status_code == 200
    assert 'value="revenue"' in page.content.decode()
    response = client_as("department").post(
        url, metric_data(code="revenue", name="Net revenue", source="amount")
    )
    assert response.status_code == 302
    revenue.refresh_from_db()
    assert revenue.name == "Net revenue"


def test_a_metric_code_used_twice_is_refused(client_as, metrics):
    response = client_as("department").post(
        reverse("targets:metric-new"), metric_data(code="revenue")
    )
    assert response.status_code == 400
    assert "The metric code revenue is already used." in response.content.decode()
    assert Metric.objects.filter(code="revenue").count() == 1


@pytest.mark.parametrize("persona", ["salesperson", "supervisor", "hr"])
def test_only_the_department_changes_metrics(client_as, metrics, persona):
    revenue, _old = metrics
    client = client_as(persona)
    assert client.get(reverse("targets:metric-new")).status_code == 403
    assert client.post(reverse("targets:metric-new"), metric_data()).status_code == 403
    edit = reverse("targets:metric-edit", args=[revenue.pk])
    assert client.post(edit, metric_data(code="revenue", name="Hacked")).status_code == 403
    assert not Metric.objects.filter(code="collections").exists()
    revenue.refresh_from_db()
    assert revenue.name == "Revenue"


# --- seasonality ---------------------------------------------------------------------

WEIGHTS = ["5", "6", "9", "7", "8", "10", "7", "8", "10", "8", "9", "13"]


def profile_data(weights=WEIGHTS, **overrides):
    data = {"name": "Retail", "method": "custom"}
    data.update({f"weight_{i}": w for i, w in enumerate(weights, start=1)})
    data.update(overrides)
    return data


def test_the_department_saves_custom_weights_that_add_up_to_100(client_as):
    response = client_as("department").post(reverse("targets:seasonality-new"), profile_data())
    assert response.status_code == 302
    profile = SeasonalityProfile.objects.get()
    assert profile.weight_values == [Decimal(w) for w in WEIGHTS]


def test_weights_that_do_not_add_up_to_100_are_refused(client_as):
    weights = ["8"] * 12  # 96 %
    response = client_as("department").post(
        reverse("targets:seasonality-new"), profile_data(weights)
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "The monthly weights must add up to 100 %; these add up to 96 %." in body
    assert not SeasonalityProfile.objects.exists()


def test_equal_months_need_no_weights(client_as):
    response = client_as("department").post(
        reverse("targets:seasonality-new"), {"name": "Flat", "method": "equal"}
    )
    assert response.status_code == 302
    assert SeasonalityProfile.objects.get().weights == []


def test_the_weight_inputs_are_labelled_by_month(client_as):
    body = client_as("department").get(reverse("targets:seasonality-new")).content.decode()
    for month in ("January", "June", "December"):
        assert f">{month}</label>" in body
    assert body.count('name="weight_') == 12


def test_editing_a_profile_keeps_its_weights_in_the_form(client_as, org):
    client_as("department").post(reverse("targets:seasonality-new"), profile_data())
    profile = SeasonalityProfile.objects.get()
    body = (
        client_as("department")
        .get(reverse("targets:seasonality-edit", args=[profile.pk]))
        .content.decode()
    )
    assert 'name="weight_12" value="13"' in body


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_everybody_reads_the_profiles_and_only_the_department_changes_them(client_as, persona):
    SeasonalityProfile.objects.create(name="Q4 heavy", method="custom", weights=WEIGHTS)
    client = client_as(persona)
    page = client.get(reverse("targets:seasonality"))
    assert page.status_code == 200
    assert "Q4 heavy" in page.content.decode()
    expected = 302 if persona == "department" else 403
    assert client.post(reverse("targets:seasonality-new"), profile_data()).status_code == expected
    assert SeasonalityProfile.objects.filter(name="Retail").exists() == (persona == "department")


# --- how targets are set -------------------------------------------------------------


@pytest.mark.parametrize("persona", SIGNED_IN)
def test_everybody_reads_how_targets_are_set(client_as, persona):
    response = client_as(persona).get(reverse("targets:rules"))
    assert response.status_code == 200


def test_the_rules_show_the_tolerance_from_the_settings(client_as, settings):
    settings.TARGET_TOLERANCE_MIN_PCT = "100"
    settings.TARGET_TOLERANCE_MAX_PCT = "105"
    body = client_as("salesperson").get(reverse("targets:rules")).content.decode()
    assert "between 100 % and 105 %" in body
    assert "between 1,000,000.00 and 1,050,000.00" in body


def test_the_rules_work_an_example_with_the_domain_functions(client_as):
    body = client_as("salesperson").get(reverse("targets:rules")).content.decode()
    # Month by month: July 50,000 + 50,000; August 31 : 31 : 16 of 100,000 (the
    # newcomer 20,512.82); September a third each; the newcomer in 46 of 92 days.
    assert "46 of 92 days" in body
    assert "31 : 31 : 16" in body
    assert "50,000.00" in body and "20,512.82" in body and "300,000.00" in body
    # Largest remainder: 100.00 over three is 33.34 + 33.33 + 33.33.
    assert "33.34" in body
    assert "draft" in body.lower() and "acknowledged" in body.lower()


def test_the_rules_render_in_chinese(client_as):
    client = client_as("salesperson")
    client.cookies["django_language"] = "zh-hans"
    response = client.get(reverse("targets:rules"))
    assert response.status_code == 200
    assert '<html lang="zh-hans">' in response.content.decode()
