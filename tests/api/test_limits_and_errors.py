"""The request size limit and the API's one error shape, at the edges.

The limit is SALES_IMPORT_MAX_BYTES (20 MiB by default; Django's
DATA_UPLOAD_MAX_MEMORY_SIZE follows it). The tests set a small one to stay fast.
"""

from __future__ import annotations

import json

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from notifications.models import Notification
from sales.models import SalesRecord, SatisfactionResponse

ERROR_KEYS = {"detail", "code", "field", "errors", "limit", "problems", "run"}


@pytest.fixture
def department(org):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=org.department).key}")
    return client


def padded(body: str, size: int) -> str:
    """`body` (JSON ending in ] or }) padded with spaces before its last character."""
    assert len(body) <= size
    return body[:-1] + " " * (size - len(body)) + body[-1]


def test_the_limit_is_one_setting():
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE == django_settings.SALES_IMPORT_MAX_BYTES
    assert django_settings.SALES_IMPORT_MAX_BYTES == 20 * 1024 * 1024  # the README's 20 MiB


@pytest.mark.parametrize(
    ("url", "body", "accepted"),
    [
        ("/api/v1/sales-records/bulk/", "[]", 200),
        ("/api/v1/satisfaction-responses/bulk/", '{"rows": []}', 400),  # an empty list
    ],
)
def test_a_push_at_the_limit_is_read_and_one_byte_over_is_a_json_413(
    department, settings, url, body, accepted
):
    settings.SALES_IMPORT_MAX_BYTES = 4096
    at_limit = department.post(url, padded(body, 4096), content_type="application/json")
    assert at_limit.status_code == accepted, at_limit.content
    assert at_limit.json()
    over = department.post(url, padded(body, 4097), content_type="application/json")
    assert over.status_code == 413
    assert over["Content-Type"] == "application/json"
    assert over.json() == {
        "detail": "The request has 4 KB; at most 4 KB are accepted: split it into smaller "
        "requests.",
        "code": "too_large",
        "limit": 4096,
    }
    assert not SalesRecord.objects.exists() and not SatisfactionResponse.objects.exists()


def test_a_push_over_the_default_limit_is_refused_before_it_is_read(department):
    rows = [{"external_id": f"ERP-{n}", "note": "x" * 4000} for n in range(5300)]
    body = json.dumps(rows)
    assert len(body) > 20 * 1024 * 1024
    response = department.post("/api/v1/sales-records/bulk/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["limit"] == 20 * 1024 * 1024
    assert "at most 20 MB are accepted" in response.json()["detail"]
    assert not SalesRecord.objects.exists()


def test_a_push_of_a_few_megabytes_is_read_not_refused(department):
    """Django's own default (2.5 MB) refused a 3 MB push with a bare HTML 400."""
    body = padded("[]", 3 * 1024 * 1024)
    response = department.post("/api/v1/sales-records/bulk/", body, content_type="application/json")
    assert response.status_code == 200
    assert response.json() == {"created": 0, "updated": 0}


def test_anonymous_over_the_limit_is_refused_too(org, settings):
    settings.SALES_IMPORT_MAX_BYTES = 100
    response = APIClient().post(
        "/api/v1/sales-records/bulk/", padded("[]", 101), content_type="application/json"
    )
    assert response.status_code == 413 and response.json()["code"] == "too_large"


@pytest.mark.parametrize(
    ("name", "page"),
    [("sales.csv", "sales:records-import"), ("answers.csv", "sales:satisfaction-import")],
)
def test_an_upload_page_names_the_limit_on_the_form(client_as, settings, name, page):
    settings.SALES_IMPORT_MAX_BYTES = 1024
    client = client_as("department")
    at_limit = client.post(
        reverse(page), {"file": SimpleUploadedFile(name, b"x" * 1024, "text/csv")}
    )
    assert "larger than" not in at_limit.content.decode()
    over = client.post(reverse(page), {"file": SimpleUploadedFile(name, b"x" * 1025, "text/csv")})
    assert over.status_code == 400
    assert over["Content-Type"].startswith("text/html")
    assert "larger than 1 KB" in over.content.decode()
    assert not SalesRecord.objects.exists() and not SatisfactionResponse.objects.exists()


# --- the one error shape, for what Django answers outside DRF --------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nothing-here/",
        "/api/v1/units/1.5/",
        "/api/v1/units/abc/",
        "/api/v1/units/%20/",
        "/api/v1/units/1/nothing/",
        "/api/v2/units/",
        "/api/",
    ],
)
def test_an_unknown_api_url_is_a_json_404(department, path):
    response = department.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found.", "code": "not_found"}


@pytest.mark.parametrize("method", ["TRACE", "PUT", "DELETE"])
def test_an_unsupported_method_is_a_json_405(department, method):
    response = department.generic(method, "/api/v1/me/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert "GET" in response["Allow"]


def test_anonymous_is_a_json_401_with_a_challenge(org):
    response = APIClient().get("/api/v1/units/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("page", ["0", "-1", "abc", "99"])
def test_a_page_out_of_range_is_a_json_404(department, page):
    response = department.get("/api/v1/units/", {"page": page})
    assert response.status_code == 404
    assert set(response.json()) == {"detail", "code"}


def test_a_validation_error_names_every_field(department):
    response = department.post("/api/v1/units/", {"code": "", "kind": "galaxy"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["field"] == "code"
    assert {e["field"] for e in body["errors"]} == {"code", "name", "kind"}
    assert body["detail"].startswith("code: This field may not be blank.")
    assert set(body) <= ERROR_KEYS


def test_a_domain_error_has_its_code(department, org):
    response = department.post(
        "/api/v1/units/",
        {"code": "east", "name": "Again", "kind": "team", "parent": org.company.pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The unit code east is already used.",
        "code": "domain_error",
    }
    assert not Notification.objects.exists()
