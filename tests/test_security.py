"""Login lockout directly and behind the reverse proxy (issue 14, item 1).

The lockout is keyed on the username and the client's address. Directly, the address
is the peer's; behind TRUSTED_PROXY_COUNT proxies it is read from X-Forwarded-For,
so a storm of wrong passwords from one client does not lock the user out elsewhere.
"""

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.test import APIClient

from salesperf.client_ip import client_ip

PASSWORD = "pw-for-tests-1"
PROXY = "172.18.0.1"
CLIENT_A = "198.51.100.7"
CLIENT_B = "203.0.113.20"


def _direct(address: str) -> Client:
    return Client(REMOTE_ADDR=address)


def _via_proxy(address: str, forged: str = "") -> Client:
    """A browser behind the proxy: the proxy connects and appends the client's address
    to whatever X-Forwarded-For the client sent."""
    header = f"{forged}, {address}" if forged else address
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=header)


def _storm(client: Client, username: str, times: int = 5) -> list[int]:
    return [
        client.post(reverse("login"), {"username": username, "password": "wrong"}).status_code
        for _ in range(times)
    ]


def _sign_in(client: Client, username: str):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.AXES_FAILURE_LIMIT = 5


# --- the client's address -------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "meta", "expected"),
    [
        (0, {}, PROXY),
        (0, {"HTTP_X_FORWARDED_FOR": CLIENT_A}, PROXY),  # no proxy trusted: header ignored
        (1, {"HTTP_X_FORWARDED_FOR": CLIENT_A}, CLIENT_A),
        (1, {"HTTP_X_FORWARDED_FOR": f"{CLIENT_B}, {CLIENT_A}"}, CLIENT_A),  # forged left
        (1, {"HTTP_X_FORWARDED_FOR": f" {CLIENT_B} ,{CLIENT_A} "}, CLIENT_A),
        (2, {"HTTP_X_FORWARDED_FOR": f"{CLIENT_B}, {CLIENT_A}, 10.0.0.3"}, CLIENT_A),
        (2, {"HTTP_X_FORWARDED_FOR": CLIENT_A}, CLIENT_A),  # fewer hops than proxies
        (1, {}, PROXY),  # a probe that did not come through the proxy
        (1, {"HTTP_X_FORWARDED_FOR": f"{CLIENT_B}, not-an-address"}, PROXY),
        (1, {"HTTP_X_FORWARDED_FOR": "2001:db8::1"}, "2001:db8::1"),
    ],
)
def test_client_ip_reads_the_trusted_proxies_entry(settings, count, meta, expected):
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, **meta)
    assert client_ip(request) == expected


# --- the sign-in page -----------------------------------------------------------------


def test_directly_a_storm_locks_that_client_out(org, settings):
    settings.AXES_FAILURE_LIMIT = 5
    attacker = _direct(CLIENT_A)
    assert _storm(attacker, "sam") == [200, 200, 200, 200, 429]
    assert _sign_in(attacker, "sam").status_code == 429


def test_directly_a_forged_forwarded_header_does_not_dodge_the_lock(org, settings):
    settings.AXES_FAILURE_LIMIT = 5
    for n in range(5):
        Client(REMOTE_ADDR=CLIENT_A, HTTP_X_FORWARDED_FOR=f"10.9.9.{n}").post(
            reverse("login"), {"username": "sam", "password": "wrong"}
        )
    assert _sign_in(_direct(CLIENT_A), "sam").status_code == 429


def test_directly_a_storm_from_one_client_leaves_another_client_alone(org, settings):
    settings.AXES_FAILURE_LIMIT = 5
    _storm(_direct(CLIENT_A), "sam")
    real_user = _direct(CLIENT_B)
    response = _sign_in(real_user, "sam")
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_behind_the_proxy_a_storm_does_not_lock_out_the_real_user(org, behind_proxy):
    assert _storm(_via_proxy(CLIENT_A), "sam")[-1] == 429
    real_user = _via_proxy(CLIENT_B)
    response = _sign_in(real_user, "sam")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert real_user.get(reverse("home")).status_code == 200


def test_behind_the_proxy_the_storming_client_is_locked_out(org, behind_proxy):
    attacker = _via_proxy(CLIENT_A)
    _storm(attacker, "sam")
    assert _sign_in(attacker, "sam").status_code == 429
    # Forging X-Forwarded-For does not help: the proxy appends the real address.
    assert _sign_in(_via_proxy(CLIENT_A, forged=CLIENT_B), "sam").status_code == 429


def test_without_a_trusted_proxy_everyone_behind_it_shares_its_address(org, settings):
    """The failure the setting fixes: with TRUSTED_PROXY_COUNT=0 behind a proxy, the
    proxy's address is everyone's, so the storm locks out the real user too."""
    settings.TRUSTED_PROXY_COUNT = 0
    settings.AXES_FAILURE_LIMIT = 5
    _storm(_via_proxy(CLIENT_A), "sam")
    assert _sign_in(_via_proxy(CLIENT_B), "sam").status_code == 429


# --- the API's token endpoint -----------------------------------------------------------


def _token(client: APIClient, username: str, password: str) -> int:
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    ).status_code


def test_token_endpoint_behind_the_proxy_locks_only_the_storming_client(org, behind_proxy):
    attacker = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_A)
    assert [_token(attacker, "dora", "bad") for _ in range(5)] == [400, 400, 400, 400, 429]
    assert _token(attacker, "dora", PASSWORD) == 429
    erp = APIClient(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_B)
    assert _token(erp, "dora", PASSWORD) == 200


def test_token_endpoint_directly_locks_the_storming_client(org, settings):
    settings.AXES_FAILURE_LIMIT = 5
    attacker = APIClient(REMOTE_ADDR=CLIENT_A)
    for _ in range(5):
        _token(attacker, "dora", "bad")
    assert _token(attacker, "dora", PASSWORD) == 429
    assert _token(APIClient(REMOTE_ADDR=CLIENT_B), "dora", PASSWORD) == 200


# --- what anonymous users get (issue 14, item 3) ------------------------------------------


@pytest.mark.parametrize("url", ["/api/schema/", "/api/schema/?format=json", "/api/docs/"])
def test_schema_and_docs_refuse_anonymous_users(db, url):
    response = APIClient().get(url)
    assert response.status_code in (401, 403)
    assert b"openapi" not in response.content
    assert b"swagger" not in response.content.lower()


def test_the_docs_script_refuses_anonymous_users(db):
    assert APIClient().get("/api/docs/?script=").status_code in (401, 403)


def test_an_anonymous_api_client_is_challenged_for_the_schema(db):
    response = APIClient().get("/api/schema/", HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("persona", ["salesperson", "department"])
def test_signed_in_users_get_the_schema_and_docs(org, client_as, persona):
    client = client_as(persona)
    assert client.get("/api/schema/", {"format": "json"}).json()["openapi"].startswith("3.")
    assert client.get("/api/docs/").status_code == 200


def test_a_token_gets_the_schema(org):
    from rest_framework.authtoken.models import Token

    token = Token.objects.create(user=org.salesperson)
    client = APIClient(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get("/api/schema/", {"format": "json"}).status_code == 200


def test_api_docs_public_opens_the_schema_and_docs(db, settings):
    settings.API_DOCS_PUBLIC = True
    assert APIClient().get("/api/schema/", {"format": "json"}).status_code == 200
    assert APIClient().get("/api/docs/").status_code == 200


def _health(client: Client, fmt: str = "json", **headers):
    return client.get("/health/", {"format": fmt} if fmt else {}, **headers)


@pytest.mark.parametrize(
    ("fmt", "accept"),
    [
        ("json", "*/*"),
        ("", "application/json"),
        ("", "text/html"),
        ("text", "*/*"),
        ("atom", "*/*"),
        ("rss", "*/*"),
        ("openmetrics", "*/*"),
    ],
)
def test_health_tells_anonymous_users_only_up_or_down(db, settings, fmt, accept):
    settings.HEALTH_TOKEN = "probe-secret"
    response = _health(Client(), fmt, HTTP_ACCEPT=accept)
    assert response.status_code == 200
    body = response.content.decode()
    if response["Content-Type"].startswith("application/json"):
        assert response.json() == {"status": "up"}
    else:
        assert body == "up\n"
    for detail in ("Database", "Cache", "Redis", "redis://", "OK"):
        assert detail not in body
    assert "Authorization" in response["Vary"] and "Cookie" in response["Vary"]


def test_health_answers_down_with_500_when_a_check_fails(db, monkeypatch):
    from health_check.checks import Cache
    from health_check.exceptions import ServiceUnavailable

    def broken(self):
        raise ServiceUnavailable("cache at 10.1.2.3:6379 db 4 refused")

    monkeypatch.setattr(Cache, "run", broken)
    response = _health(Client())
    assert response.status_code == 500
    assert response.json() == {"status": "down"}
    assert "10.1.2.3" not in response.content.decode()


@pytest.mark.parametrize(
    "header", ["", "Bearer wrong", "Token probe-secret", "probe-secret", "Bearer "]
)
def test_health_details_refuse_a_wrong_token(db, settings, header):
    settings.HEALTH_TOKEN = "probe-secret"
    response = _health(Client(), HTTP_AUTHORIZATION=header)
    assert response.json() == {"status": "up"}


def test_health_details_need_a_token_to_be_configured(db, settings):
    settings.HEALTH_TOKEN = ""
    response = _health(Client(), HTTP_AUTHORIZATION="Bearer ")
    assert response.json() == {"status": "up"}


def test_health_token_shows_the_details(db, settings):
    settings.HEALTH_TOKEN = "probe-secret"
    response = _health(Client(), HTTP_AUTHORIZATION="Bearer probe-secret")
    assert response.status_code == 200
    checks = response.json()
    assert "status" not in checks
    assert any(name.startswith("Database") for name in checks)
    assert set(checks.values()) == {"OK"}


@pytest.mark.parametrize(("persona", "details"), [("admin", True), ("department", False)])
def test_health_details_are_for_staff_users(org, client_as, persona, details):
    response = _health(client_as(persona))
    assert response.status_code == 200
    assert ("status" not in response.json()) is details
    html = _health(client_as(persona), fmt="", HTTP_ACCEPT="text/html").content.decode()
    assert ("System status" in html) is details
