"""The cascade's tolerance band: the department sets it in the app (each change a new
version with its reason), everyone reads it on "How targets are set" and in the API,
and allocations and publications check against the band in force."""

from decimal import Decimal as D

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from core.errors import DomainError
from targets import services
from targets.catalogue import selectors as catalogue_selectors
from targets.catalogue import services as catalogue_services
from targets.models import ToleranceBand
from tests.conftest import PERSONAS
from tests.factories import UserFactory
from tests.targets.helpers_core import make_metric, make_year

RULES = reverse("targets:rules")
SET = reverse("targets:tolerance-set")
API = reverse("api-tolerance")


def _set(org, low, high, reason="Wider band for the new year's cascade"):
    return catalogue_services.tolerance_set(
        min_pct=D(low), max_pct=D(high), reason=reason, acting_user=org.department
    )


def test_without_a_band_set_the_settings_apply(db, settings):
    settings.TARGET_TOLERANCE_MIN_PCT, settings.TARGET_TOLERANCE_MAX_PCT = "100", "110"
    assert catalogue_selectors.tolerance() == (D(100), D(110))
    assert catalogue_services.tolerance() == (D(100), D(110))


def test_the_latest_band_applies_and_the_earlier_ones_are_kept(org):
    _set(org, "95", "105")
    _set(org, "100", "120", reason="Allow more over-allocation")
    assert catalogue_selectors.tolerance() == (D(100), D(120))
    assert [(b.min_pct, b.max_pct, b.reason) for b in catalogue_selectors.tolerance_history()] == [
        (D(100), D(120), "Allow more over-allocation"),
        (D(95), D(105), "Wider band for the new year's cascade"),
    ]


@pytest.mark.parametrize(
    ("low", "high", "reason", "message"),
    [
        ("101", "110", "r", "lowest share must be between 50 % and 100 %"),
        ("49.99", "110", "r", "lowest share must be between 50 % and 100 %"),
        ("100", "99", "r", "highest share must be between 100 % and 200 %"),
        ("100", "200.01", "r", "highest share must be between 100 % and 200 %"),
        ("100", "110", "  ", "Say why the tolerance band changes"),
        ("100", "110", "r", "already the tolerance band"),  # the settings' default
    ],
)
def test_a_bad_band_is_refused_and_nothing_is_written(org, low, high, reason, message):
    with pytest.raises(DomainError, match=message):
        _set(org, low, high, reason=reason)
    assert not ToleranceBand.objects.exists()


def test_the_database_refuses_a_band_outside_the_range_or_without_a_reason(org):
    for low, high, reason in [("40", "110", "r"), ("100", "250", "r"), ("100", "110", "")]:
        with pytest.raises(IntegrityError), transaction.atomic():
            ToleranceBand.objects.create(
                min_pct=D(low), max_pct=D(high), reason=reason, created_by=org.department
            )


def test_publication_checks_the_band_in_force(org):
    fy = make_year(2026)
    revenue = make_metric("revenue", "currency")
    team = services.target_set(
        metric=revenue, period=fy.year, value="900", unit=org.team, acting_user=org.department
    )
    for person in (org.salesperson, org.teammate, org.supervisor):
        services.target_set(
            metric=revenue, period=fy.year, value="330", person=person, acting_user=org.department
        )
    # 990 of 900 is 110 %: inside the default band, outside a band to 105 %.
    assert team.value == D("900.00")
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert not [p for p in problems if "East Team 1" in p]
    _set(org, "100", "105")
    problems = services.publication_problems(metric=revenue, fiscal_year_id=fy.fiscal_year.pk)
    assert "East Team 1, FY2026: the targets below add up to 110.00 % of 900.00; " in problems[0]
    assert "they must be between 100 % and 105 %." in problems[0]


# --- the page --------------------------------------------------------------------------------


def test_the_rules_page_says_where_the_band_comes_from(client_as, org):
    body = client_as("salesperson").get(RULES).content.decode()
    assert "default band of the server's settings" in body
    assert "Change the tolerance band" not in body  # the form is the department's
    _set(org, "95", "105")
    _set(org, "100", "115", reason="Seasonal hiring: allow more over-allocation")
    body = client_as("salesperson").get(RULES).content.decode()
    assert "between 100 % and 115 %" in body
    assert "Seasonal hiring: allow more over-allocation" in body
    assert org.department.display_name in body
    assert "95 % to 105 %" in body  # the earlier band


def test_the_department_sets_the_band_on_the_page(client_as, org):
    client = client_as("department")
    assert "Change the tolerance band" in client.get(RULES).content.decode()
    response = client.post(SET, {"min_pct": "98", "max_pct": "112", "reason": "Board decision"})
    assert response.status_code == 302
    assert catalogue_selectors.tolerance() == (D(98), D(112))
    page = client.get(response.url).content.decode()
    assert "The tolerance band is now 98 % to 112 %." in page


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"min_pct": "120", "max_pct": "130", "reason": "x"}, "less than or equal to 100"),
        ({"min_pct": "100", "max_pct": "130", "reason": ""}, "This field is required"),
        ({"min_pct": "100", "max_pct": "110", "reason": "x"}, "already the tolerance band"),
    ],
)
def test_a_refused_band_shows_the_form_again_with_its_error(client_as, org, data, error):
    response = client_as("department").post(SET, data)
    assert response.status_code == 400
    assert error in response.content.decode()
    assert not ToleranceBand.objects.exists()


SET_STATUS = dict.fromkeys(PERSONAS, 403) | {"department": 302, "anonymous": 302}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_sets_the_band(client_as, org, persona):
    response = client_as(persona).post(SET, {"min_pct": "95", "max_pct": "105", "reason": "x"})
    assert response.status_code == SET_STATUS[persona]
    if persona == "anonymous":
        assert response["Location"].startswith(reverse("login"))
    assert ToleranceBand.objects.exists() == (persona == "department")


def test_the_page_in_chinese(client_as, org):
    _set(org, "95", "105")
    client = client_as("department")
    client.cookies["django_language"] = "zh-hans"
    body = client.get(RULES).content.decode()
    assert "调整容差范围" in body and "Change the tolerance band" not in body


# --- the API ---------------------------------------------------------------------------------


def test_the_api_reads_the_band_and_its_history(client_as, org, settings):
    settings.TARGET_TOLERANCE_MIN_PCT, settings.TARGET_TOLERANCE_MAX_PCT = "100", "110"
    body = client_as("salesperson").get(API).json()
    assert body == {"min_pct": "100.00", "max_pct": "110.00", "source": "settings", "history": []}
    _set(org, "95", "105")
    body = client_as("salesperson").get(API).json()
    assert (body["min_pct"], body["max_pct"], body["source"]) == ("95.00", "105.00", "set")
    assert body["history"][0]["created_by"]["username"] == org.department.username


API_STATUS = dict.fromkeys(PERSONAS, 403) | {"department": 201, "anonymous": 401}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_department_sets_the_band_through_the_api(client_as, org, persona):
    response = client_as(persona).post(
        API, {"min_pct": "95", "max_pct": "105", "reason": "x"}, content_type="application/json"
    )
    assert response.status_code == API_STATUS[persona]
    assert ToleranceBand.objects.exists() == (persona == "department")


def test_the_api_refuses_a_bad_band_with_a_message(client_as, org):
    client = client_as("department")
    response = client.post(
        API, {"min_pct": "95", "max_pct": "250", "reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "max_pct"
    response = client.post(
        API, {"min_pct": "100", "max_pct": "110", "reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "already the tolerance band" in response.json()["detail"]
    assert not ToleranceBand.objects.exists()


# --- the admin -------------------------------------------------------------------------------


def test_the_admin_shows_the_bands_and_changes_none(client, org):
    band = _set(org, "95", "105")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert client.get(reverse("admin:targets_toleranceband_changelist")).status_code == 200
    change = reverse("admin:targets_toleranceband_change", args=[band.pk])
    assert client.get(change).status_code == 200  # read only
    client.post(change, {"min_pct": "50", "max_pct": "200", "reason": "x"})
    assert client.get(reverse("admin:targets_toleranceband_add")).status_code == 403
    delete = reverse("admin:targets_toleranceband_delete", args=[band.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    band.refresh_from_db()
    assert (band.min_pct, band.max_pct) == (D(95), D(105))


def test_the_api_rounds_the_band_half_up_to_two_decimals(client_as, org):
    response = client_as("department").post(
        API, {"min_pct": 97.125, "max_pct": 110.004, "reason": "x"}, content_type="application/json"
    )
    assert response.status_code == 201
    band = ToleranceBand.objects.get()
    assert (band.min_pct, band.max_pct) == (D("97.13"), D("110.00"))
