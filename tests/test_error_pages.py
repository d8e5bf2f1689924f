"""The 403, 404 and 500 pages: in the site's layout (the menu, for a signed-in
reader), in the reader's language, with a way back; the 404 says the same for a
missing page and a hidden one."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error


def _page(response) -> str:
    return response.content.decode()


def _without_tokens(body: str) -> str:
    """The page without its CSRF tokens (masked anew at every render)."""
    return re.sub(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value=")[^"]*', r"\1", body)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_not_found_is_styled_and_translated(client_as, org, language):
    client = client_as("salesperson")
    client.cookies["django_language"] = language
    missing = client.get("/org/units/999999/")
    hidden = client.get(reverse("unit-detail", args=[org.other_team.pk]))
    assert missing.status_code == hidden.status_code == 404
    for response in (missing, hidden):
        body = _page(response)
        assert 'data-error-page="404"' in body
        assert f'<html lang="{language}">' in body
        assert 'aria-label="' in body and reverse("home") in body  # the menu and the way back
        if language == "en":
            assert "Page not found" in body and "Back to the home page" in body
        else:
            assert "找不到页面" in body and "返回首页" in body
            assert "Page not found" not in body
    # The hidden team's page reads exactly like a missing one, but for the path.
    hidden_body = _without_tokens(_page(hidden)).replace(f"/{org.other_team.pk}/", "/N/")
    assert hidden_body == _without_tokens(_page(missing)).replace("/999999/", "/N/")


def test_not_found_for_an_anonymous_reader(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    body = _page(response)
    assert 'data-error-page="404"' in body and "Back to the home page" in body


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_forbidden_is_styled_and_translated(client_as, language):
    client = client_as("salesperson")
    client.cookies["django_language"] = language
    response = client.post(reverse("periods"), {"start_year": 2030, "start_month": 1})
    assert response.status_code == 403
    body = _page(response)
    assert 'data-error-page="403"' in body
    assert reverse("home") in body
    assert ("Not allowed" in body) == (language == "en")
    if language != "en":
        assert "无权操作" in body


def test_server_error_page_needs_no_database_and_is_translated(db):
    request = RequestFactory().get("/anything/")
    with translation.override("zh-hans"):
        response = server_error(request)
    body = _page(response)
    assert response.status_code == 500
    assert 'data-error-page="500"' in body and '<html lang="zh-hans">' in body
    assert "出错了" in body and "Something went wrong" not in body


def test_api_errors_stay_json(client_as):
    response = client_as("salesperson").get("/api/v1/units/999999/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert "data-error-page" not in _page(response)
