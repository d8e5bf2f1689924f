from django.core.management import call_command
from django.urls import reverse

from org.models import FiscalYear, Membership, OrgUnit, Period, User


def test_the_demo_loads_a_company_and_is_idempotent(db, capsys):
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "salesperf-demo" in out and "dept.zhou" in out and "hr.chen" in out

    counts = (
        User.objects.count(),
        OrgUnit.objects.count(),
        Membership.objects.count(),
        Period.objects.count(),
        User.history.count(),
    )
    assert OrgUnit.objects.filter(kind="region").count() == 2
    assert OrgUnit.objects.filter(kind="team").count() == 5
    salespeople = User.objects.filter(role_assignments__role="salesperson").count()
    assert 40 <= salespeople <= 45
    assert FiscalYear.objects.count() == 2
    last_year = FiscalYear.objects.order_by("start_date").first()
    # Last year is closed (and the demo's period close closes this year's past months).
    assert Period.objects.filter(status="closed", fiscal_year=last_year).count() == 17

    call_command("seed_demo", quiet=True)
    assert counts == (
        User.objects.count(),
        OrgUnit.objects.count(),
        Membership.objects.count(),
        Period.objects.count(),
        User.history.count(),
    )


def test_every_team_has_a_supervisor_and_the_demo_users_can_sign_in(db, client):
    call_command("seed_demo", quiet=True)
    for team in OrgUnit.objects.filter(kind="team"):
        assert team.memberships.filter(kind="supervisor").exists(), team.code
    for username in ("wei.zhang", "sup.sh", "dept.zhou", "hr.chen", "admin"):
        response = client.post(
            reverse("login"), {"username": username, "password": "salesperf-demo"}
        )
        assert response.status_code == 302, username
        client.post(reverse("logout"))
