from django.urls import reverse


def test_sign_in_and_out(org, client):
    response = client.post(reverse("login"), {"username": "sam", "password": "pw-for-tests-1"})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("home")).status_code == 302


def test_repeated_failed_sign_ins_lock_the_account_for_a_while(org, client, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        client.post(reverse("login"), {"username": "sam", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "sam", "password": "pw-for-tests-1"})
    assert response.status_code == 429
    assert "Too many failed sign-in attempts" in response.content.decode()


def test_password_change(org, client_as):
    client = client_as("salesperson")
    response = client.post(
        reverse("password_change"),
        {
            "old_password": "pw-for-tests-1",
            "new_password1": "a-much-longer-secret-42",
            "new_password2": "a-much-longer-secret-42",
        },
    )
    assert response.status_code == 302
    org.salesperson.refresh_from_db()
    assert org.salesperson.check_password("a-much-longer-secret-42")
