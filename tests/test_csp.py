"""Content-Security-Policy (issue 14, item 2): every page answers with the policy, and
no page needs an inline script (the browser journeys check that Chromium reports no
violation: e2e/support.py)."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE_DIRS = [ROOT / "templates", *sorted(ROOT.glob("*/templates"))]

# <script> elements the browser runs: any type but the JSON data of json_script.
RUNNABLE_SCRIPT = re.compile(r"<script\b(?![^>]*\btype=\"application/(?:ld\+)?json\")[^>]*>")
INLINE_HANDLER = re.compile(r"""\s(on[a-z]+|hx-on[:-][a-z:-]*)\s*=\s*["']""", re.IGNORECASE)
JS_URL = re.compile(r"""(href|src|action)\s*=\s*["']\s*javascript:""", re.IGNORECASE)

REQUIRED = {
    "default-src": "'self'",
    "script-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'self'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
    "img-src": "'self' data:",
}


def _policy(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    directives = {}
    for part in header.split(";"):
        name, _, value = part.strip().partition(" ")
        directives[name] = value.strip()
    return directives


def _assert_policy(response) -> None:
    policy = _policy(response)
    for name, value in REQUIRED.items():
        assert policy.get(name) == value, (name, policy.get(name))
    assert "unsafe" not in policy["script-src"]
    assert "Content-Security-Policy-Report-Only" not in response.headers


def _inline_scripts(html: str) -> list[str]:
    return [tag for tag in RUNNABLE_SCRIPT.findall(html) if " src=" not in tag]


def _assert_no_inline_script(html: str, where: str) -> None:
    assert not _inline_scripts(html), (where, _inline_scripts(html))
    assert not INLINE_HANDLER.search(html), (where, INLINE_HANDLER.search(html).group(0))
    assert not JS_URL.search(html), where


def test_the_policy_is_the_documented_one():
    directives = settings.CONTENT_SECURITY_POLICY["DIRECTIVES"]
    assert "csp.middleware.CSPMiddleware" in settings.MIDDLEWARE
    assert directives["script-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.parametrize(
    "path", sorted({str(p.relative_to(ROOT)) for d in TEMPLATE_DIRS for p in d.rglob("*.html")})
)
def test_no_template_has_an_inline_script_or_handler(path):
    html = (ROOT / path).read_text()
    _assert_no_inline_script(html, path)


def test_the_template_check_catches_inline_scripts():
    assert _inline_scripts('<p><script>alert(1)</script><script src="/a.js"></script>')
    assert not _inline_scripts('<script id="d" type="application/json">{}</script>')
    assert INLINE_HANDLER.search('<form onsubmit="return confirm(1)">')
    assert INLINE_HANDLER.search('<button hx-on:click="x()">')
    assert not INLINE_HANDLER.search('<div data-confirm="Really?" class="onsubmit">')


PAGES = {
    "anonymous": ["login", "password_reset"],
    "salesperson": [
        "home",
        "targets:mine",
        "targets:plans",
        "sales:dashboard-mine",
        "sales:records",
        "sales:record-new",
        "sales:progress-mine",
        "appraisal:mine",
        "notifications:list",
        "password_change",
        "api-docs",
    ],
    "supervisor": [
        "home",
        "org-tree",
        "sales:dashboard-team",
        "sales:progress-team",
        "targets:allocations",
        "appraisal:to-rate",
        "appraisal:cycles",
    ],
    "department": [
        "home",
        "sales:dashboard-org",
        "sales:report-sales",
        "sales:reports",
        "targets:workspace",
        "targets:seasonality-new",
        "targets:metrics",
        "appraisal:templates",
        "appraisal:template-new",
        "closing:periods",
        "periods",
        "org-import",
        "audit-log",
    ],
    "hr": ["home", "appraisal-results:list", "people-list"],
}


@pytest.mark.parametrize(
    ("persona", "name"), [(persona, name) for persona, names in PAGES.items() for name in names]
)
def test_main_pages_answer_with_the_policy_and_no_inline_script(client_as, persona, name):
    response = client_as(persona).get(reverse(name))
    assert response.status_code == 200, (persona, name, response.status_code)
    _assert_policy(response)
    _assert_no_inline_script(response.content.decode(), name)


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/org/user/",
        "/admin/org/user/add/",
        "/admin/django_celery_beat/periodictask/",
        "/admin/django_celery_beat/periodictask/add/",
        "/admin/axes/accessattempt/",
    ],
)
def test_admin_pages_answer_with_the_policy_and_no_inline_script(client_as, path):
    response = client_as("admin").get(path)
    assert response.status_code == 200, response.status_code
    _assert_policy(response)
    _assert_no_inline_script(response.content.decode(), path)


def test_the_periodic_task_form_gets_its_crontab_help_from_json(client_as):
    html = client_as("admin").get("/admin/django_celery_beat/periodictask/add/").content.decode()
    assert 'id="readable-crontabs" type="application/json"' in html
    assert 'id="crontab-help" type="application/json"' in html
    assert "beat/periodic_task.js" in html


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/api/v1/me/", "application/json"),
        ("/api/v1/me/", "text/html"),  # the browsable API
        ("/api/docs/", "text/html"),
        ("/api/docs/?script=", "*/*"),
        ("/health/", "text/html"),
        ("/accounts/login/", "text/html"),
    ],
)
def test_other_responses_carry_the_policy_too(client_as, path, accept):
    response = client_as("salesperson").get(path, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    _assert_policy(response)
    if response["Content-Type"].startswith("text/html"):
        _assert_no_inline_script(response.content.decode(), path)


def test_a_refused_page_carries_the_policy(client_as):
    response = client_as("salesperson").get(reverse("closing:periods"))
    assert response.status_code in (403, 404)
    _assert_policy(response)


def test_the_staff_health_page_carries_the_policy(db, client):
    client.force_login(UserFactory(username="ops", roles=["admin"]))
    response = client.get("/health/", HTTP_ACCEPT="text/html")
    assert b"System status" in response.content
    _assert_policy(response)
