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
