"""Notifications in the Django admin: readable, not written there."""

from django.urls import reverse

from notifications.services import notify
from tests.factories import UserFactory


def test_the_admin_lists_notifications_with_their_text(client, org):
    notify(
        recipient_ids=[org.salesperson.pk],
        kind="plan_approved",
        params={"period": "FY2026 Q1"},
    )
    boss = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(boss)
    response = client.get(reverse("admin:notifications_notification_changelist"))
    assert response.status_code == 200
    assert "Your sales plan for FY2026 Q1 is approved." in response.content.decode()
    assert client.get(reverse("admin:notifications_notification_add")).status_code == 403
