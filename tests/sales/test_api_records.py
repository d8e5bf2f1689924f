"""The sales records API under /api/v1/ (customers, contacts, follow-ups, sales records
and the ERP's bulk push): who sees and changes what, per persona; every refusal
answering 400 with the rule's message while writing nothing; the push idempotent by
external id; tokens; the schema."""

import datetime
from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from org.models import Membership, Period
from sales.models import Contact, Customer, FollowUp, MonthTotal, SalesCredit, SalesRecord
from sales.records import services
from tests.api_errors import error_of, field_errors
from tests.api_queries import client_for, count
from tests.conftest import PERSONAS
from tests.factories import MembershipFactory, OrgUnitFactory, UserFactory
from tests.sales.helpers import (
    BAD_BULK_ROWS_REFUSED,
    bad_bulk_rows,
    customer,
    make_year,
    month,
    sale,
    set_status,
)

DAY = datetime.date(2026, 3, 10)
PEOPLE = ("salesperson", "teammate", "east2_person", "other_salesperson")


# --- fixtures --------------------------------------------------------------------------------


@pytest.fixture
def world(org):
    """FY2026 (calendar). For each of sam, tina, eve (East Team 2) and oscar (South): a
    customer (external id C-<key>) with a contact, a sale of 100 on 10 March (external
    id R-<key>) and a follow-up whose next action is due. Plus a sale of 10 shared 50/50
    by sam and oscar (R-shared) and a browser sale of sam's without an external id."""
    year = make_year()
    today = timezone.localdate()
    found = {"year": year}
    for key in PEOPLE:
        person = getattr(org, key)
        cust = customer(person, name=f"{key} customer", external_id=f"C-{key}")
        found[f"{key}_customer"] = cust
        found[f"{key}_contact"] = services.contact_save(
            customer=cust, name=f"{key} contact", email=f"{key}@client.test"
        )
        found[f"{key}_record"] = sale(
            DAY, cust, "100", [(person, 100)], external_id=f"R-{key}", acting_user=person
        )
        found[f"{key}_followup"] = services.followup_save(
            customer=cust,
            salesperson=person,
            kind="call",
            happened_on=today - datetime.timedelta(days=5),
            next_action="call back",
            next_action_on=today - datetime.timedelta(days=1),
        )
    found["shared_record"] = sale(
        DAY,
        found["salesperson_customer"],
        "10",
        [(org.salesperson, D(50)), (org.other_salesperson, D(50))],
        external_id="R-shared",
    )
    found["browser_record"] = sale(
        datetime.date(2026, 3, 12), found["salesperson_customer"], "7", [(org.salesperson, 100)]
    )
    return found


def results(response):
    assert response.status_code == 200, response.content
    return response.json()["results"]


def ids(response):
    return {row["id"] for row in results(response)}


def keys(world, kind, *names):
    return {world[f"{n}_{kind}"].pk for n in names}


def snapshot():
    """Everything a refused request must leave as it was."""
    return (
        sorted(
            SalesRecord.objects.values_list(
                "pk", "external_id", "date", "amount", "quantity", "status", "customer_id"
            )
        ),
        sorted(SalesCredit.objects.values_list("record_id", "person_id", "share_pct", "amount")),
        sorted(MonthTotal.objects.values_list("person_id", "month", "amount")),
        sorted(Customer.objects.values_list("pk", "name", "owner_id", "status", "external_id")),
        sorted(Contact.objects.values_list("pk", "name", "email")),
        sorted(FollowUp.objects.values_list("pk", "kind", "done", "next_action_on")),
        SalesRecord.history.count(),
        SalesCredit.history.count(),
    )


def refused(response, words: str):
    assert response.status_code == 400, response.content
    assert words in response.json()["detail"], response.json()


def field_refused(response, field: str, words: str = ""):
    assert response.status_code == 400, response.content
    assert field in field_errors(response), response.json()
    assert words in " ".join(str(m) for m in field_errors(response)[field]), response.json()


ALL = set(PEOPLE)

# persona: (records, customers / contacts / follow-ups), by owner key
VISIBLE = {
    "salesperson": ({"salesperson", "shared", "browser"}, {"salesperson"}),
    "teammate": ({"teammate"}, {"teammate"}),
    "other_salesperson": ({"other_salesperson", "shared"}, {"other_salesperson"}),
    "supervisor": ({"salesperson", "teammate", "shared", "browser"}, {"salesperson", "teammate"}),
    "other_supervisor": ({"other_salesperson", "shared"}, {"other_salesperson"}),
    "department": (ALL | {"shared", "browser"}, ALL),
    "hr": (set(), set()),
}


# --- anonymous and tokens --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/api/v1/customers/"),
        ("post", "/api/v1/customers/"),
        ("get", "/api/v1/customers/1/"),
        ("patch", "/api/v1/customers/1/"),
        ("get", "/api/v1/contacts/"),
        ("post", "/api/v1/contacts/"),
        ("get", "/api/v1/contacts/1/"),
        ("patch", "/api/v1/contacts/1/"),
        ("get", "/api/v1/follow-ups/"),
        ("post", "/api/v1/follow-ups/"),
        ("get", "/api/v1/follow-ups/1/"),
        ("patch", "/api/v1/follow-ups/1/"),
        ("post", "/api/v1/follow-ups/1/done/"),
        ("get", "/api/v1/sales-records/"),
        ("post", "/api/v1/sales-records/"),
        ("get", "/api/v1/sales-records/1/"),
        ("patch", "/api/v1/sales-records/1/"),
        ("post", "/api/v1/sales-records/1/cancel/"),
        ("post", "/api/v1/sales-records/bulk/"),
    ],
)
def test_anonymous_gets_401_with_a_token_challenge(api_as, world, method, url):
    before = snapshot()
    response = getattr(api_as("anonymous"), method)(url, {}, format="json")
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Token"
    assert snapshot() == before


def token_client(user) -> APIClient:
    client = APIClient(enforce_csrf_checks=True)
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def test_a_token_works_for_the_erp_push_and_the_lists(org, world):
    erp = token_client(org.department)
    pushed = erp.post("/api/v1/sales-records/bulk/", [bulk_row(1)], format="json")
    assert pushed.status_code == 200, pushed.content  # no CSRF token needed
    assert pushed.json() == {"created": 1, "updated": 0}
    listed = erp.get("/api/v1/sales-records/?external_id=ERP-1")
    assert [r["amount"] for r in results(listed)] == ["100.00"]


def test_a_token_keeps_the_persons_permissions(org, world):
    client = token_client(org.salesperson)
    assert ids(client.get("/api/v1/customers/")) == keys(world, "customer", "salesperson")
    teammates = world["teammate_customer"]
    assert client.get(f"/api/v1/customers/{teammates.pk}/").status_code == 404
    assert client.post("/api/v1/sales-records/bulk/", [], format="json").status_code == 403
    created = client.post(
        "/api/v1/follow-ups/",
        {
            "customer": world["salesperson_customer"].pk,
            "kind": "visit",
            "happened_on": "2026-03-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert FollowUp.objects.get(kind="visit").history.get().history_user == org.salesperson


# --- customers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_customers_visible_per_persona(api_as, world, persona):
    expected = keys(world, "customer", *VISIBLE[persona][1])
    assert ids(api_as(persona).get("/api/v1/customers/")) == expected


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_a_hidden_customer_is_404(api_as, world, persona):
    client = api_as(persona)
    for key in PEOPLE:
        response = client.get(f"/api/v1/customers/{world[f'{key}_customer'].pk}/")
        assert response.status_code == (200 if key in VISIBLE[persona][1] else 404), key


def test_customer_fields(api_as, world, org):
    row = api_as("salesperson").get(f"/api/v1/customers/{world['salesperson_customer'].pk}/")
    assert row.json() == {
        "id": world["salesperson_customer"].pk,
        "name": "salesperson customer",
        "owner": {
            "id": org.salesperson.pk,
            "username": "sam",
            "display_name": org.salesperson.display_name,
        },
        "industry": "",
        "region": "",
        "status": "prospect",
        "became_customer_on": None,
        "external_id": "C-salesperson",
        "notes": "",
    }


def test_customer_filters(api_as, world, org):
    sam = world["salesperson_customer"]
    tina = world["teammate_customer"]
    services.customer_save(
        customer=sam,
        name="Globex",
        owner=org.salesperson,
        industry="Mining",
        region="Jiangsu",
        status="active",
        external_id="C-salesperson",
    )
    client = api_as("supervisor")
    assert ids(client.get("/api/v1/customers/?status=active")) == {sam.pk}
    assert ids(client.get("/api/v1/customers/?status=prospect")) == {tina.pk}
    assert ids(client.get(f"/api/v1/customers/?owner={org.teammate.pk}")) == {tina.pk}
    assert ids(client.get("/api/v1/customers/?industry=mining")) == {sam.pk}
    assert ids(client.get("/api/v1/customers/?region=JIANGSU")) == {sam.pk}
    assert ids(client.get("/api/v1/customers/?search=glob")) == {sam.pk}
    assert ids(client.get("/api/v1/customers/?search=teammate")) == {tina.pk}
    # filters never widen: oscar's customer stays hidden
    assert ids(client.get(f"/api/v1/customers/?owner={org.other_salesperson.pk}")) == set()
    assert client.get("/api/v1/customers/?status=asleep").status_code == 400


# Who may change one of sam's things (his customer, its contact, his sale): sam, his
# supervisor and the department; to the others it does not exist.
SAMS_TO_CHANGE = [
    ("salesperson", 200),
    ("supervisor", 200),
    ("department", 200),
    ("teammate", 404),
    ("other_salesperson", 404),
    ("other_supervisor", 404),
    ("hr", 404),
]


@pytest.mark.parametrize(
    ("persona", "owner", "status"),
    [
        ("salesperson", None, 201),
        ("salesperson", "salesperson", 201),
        ("salesperson", "teammate", 400),  # not somebody they may give a customer to
        ("teammate", None, 201),
        ("other_salesperson", None, 201),
        ("supervisor", "teammate", 201),
        ("supervisor", "other_salesperson", 400),
        ("other_supervisor", "other_salesperson", 201),
        ("other_supervisor", "salesperson", 400),
        ("department", "other_salesperson", 201),
        ("hr", None, 403),
        ("hr", "salesperson", 403),
    ],
)
def test_who_adds_a_customer_for_whom(api_as, world, org, persona, owner, status):
    body = {"name": "Initech", "industry": "Software", "status": "active"}
    if owner:
        body["owner"] = getattr(org, owner).pk
    before = snapshot()
    response = api_as(persona).post("/api/v1/customers/", body, format="json")
    assert response.status_code == status, response.content
    if status == 201:
        created = Customer.objects.get(name="Initech")
        assert created.owner == getattr(org, owner or persona)
        assert created.became_customer_on == timezone.localdate()
        assert created.history.get().history_user == getattr(org, persona)
        assert response.json()["owner"]["id"] == created.owner_id
    else:
        if status == 400:
            assert "owner" in field_errors(response)
        assert snapshot() == before


@pytest.mark.parametrize(("persona", "status"), SAMS_TO_CHANGE)
def test_who_changes_sams_customer(api_as, world, persona, status):
    sams = world["salesperson_customer"]
    before = snapshot()
    response = api_as(persona).patch(
        f"/api/v1/customers/{sams.pk}/", {"region": "Zhejiang"}, format="json"
    )
    assert response.status_code == status, response.content
    if status == 200:
        sams.refresh_from_db()
        assert (sams.region, sams.name, sams.external_id) == (
            "Zhejiang",
            "salesperson customer",
            "C-salesperson",
        )
        assert response.json()["region"] == "Zhejiang"
    else:
        assert snapshot() == before


def test_a_supervisor_hands_a_customer_to_a_teammate(api_as, world, org):
    sams = world["salesperson_customer"]
    response = api_as("supervisor").patch(
        f"/api/v1/customers/{sams.pk}/", {"owner": org.teammate.pk}, format="json"
    )
    assert response.json()["owner"]["username"] == "tina"
    # sam no longer sees it; a salesperson cannot give a customer away
    assert api_as("salesperson").get(f"/api/v1/customers/{sams.pk}/").status_code == 404
    tinas = world["teammate_customer"]
    given = api_as("teammate").patch(
        f"/api/v1/customers/{tinas.pk}/", {"owner": org.salesperson.pk}, format="json"
    )
    field_refused(given, "owner")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"name": "A", "became_customer_on": "2026-03-01"}, "A prospect has not become"),
        ({"name": "A", "external_id": "C-teammate"}, "already has the external id C-teammate"),
    ],
)
def test_a_bad_customer_is_refused_with_the_services_message(api_as, world, body, words):
    before = snapshot()
    refused(api_as("salesperson").post("/api/v1/customers/", body, format="json"), words)
    assert snapshot() == before


def test_malformed_customer_values_name_the_field(api_as, world):
    client = api_as("salesperson")
    before = snapshot()
    field_refused(client.post("/api/v1/customers/", {"name": "A", "status": "asleep"}), "status")
    field_refused(client.post("/api/v1/customers/", {"industry": "x"}), "name", "required")
    field_refused(client.post("/api/v1/customers/", {"name": "  "}), "name", "blank")
    field_refused(
        client.post("/api/v1/customers/", {"name": "A" * 201}, format="json"), "name", "200"
    )
    sams = world["salesperson_customer"]
    field_refused(
        client.patch(f"/api/v1/customers/{sams.pk}/", {"became_customer_on": "soon"}),
        "became_customer_on",
    )
    assert snapshot() == before


def test_put_and_delete_are_not_offered(api_as, world):
    client = api_as("department")
    for url in (
        f"/api/v1/customers/{world['salesperson_customer'].pk}/",
        f"/api/v1/contacts/{world['salesperson_contact'].pk}/",
        f"/api/v1/follow-ups/{world['salesperson_followup'].pk}/",
        f"/api/v1/sales-records/{world['salesperson_record'].pk}/",
    ):
        assert client.put(url, {}, format="json").status_code == 405, url
        assert client.delete(url).status_code == 405, url


# --- contacts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_contacts_visible_per_persona(api_as, world, persona):
    client = api_as(persona)
    expected = keys(world, "contact", *VISIBLE[persona][1])
    assert ids(client.get("/api/v1/contacts/")) == expected
    for key in PEOPLE:
        response = client.get(f"/api/v1/contacts/{world[f'{key}_contact'].pk}/")
        assert response.status_code == (200 if key in VISIBLE[persona][1] else 404), key


def test_contacts_of_one_customer(api_as, world):
    sams = world["salesperson_customer"]
    extra = services.contact_save(customer=sams, name="Ann", title="CTO")
    client = api_as("supervisor")
    rows = results(client.get(f"/api/v1/contacts/?customer={sams.pk}"))
    assert [(r["name"], r["customer"]) for r in rows] == [
        ("Ann", sams.pk),
        ("salesperson contact", sams.pk),
    ]
    assert ids(client.get("/api/v1/contacts/?search=cto")) == {extra.pk}
    hidden = world["other_salesperson_customer"]
    assert ids(client.get(f"/api/v1/contacts/?customer={hidden.pk}")) == set()


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("salesperson", 201),
        ("supervisor", 201),
        ("department", 201),
        ("teammate", 400),  # a customer they cannot see does not exist for them
        ("other_salesperson", 400),
        ("other_supervisor", 400),
        ("hr", 403),
    ],
)
def test_who_adds_a_contact_to_sams_customer(api_as, world, persona, status):
    sams = world["salesperson_customer"]
    before = snapshot()
    response = api_as(persona).post(
        "/api/v1/contacts/",
        {"customer": sams.pk, "name": "Bob", "email": "bob@globex.test", "phone": "123"},
        format="json",
    )
    assert response.status_code == status, response.content
    if status == 201:
        assert response.json()["customer"] == sams.pk
        assert sams.contacts.filter(name="Bob", phone="123").exists()
    else:
        if status == 400:
            assert "customer" in field_errors(response)
        assert snapshot() == before


@pytest.mark.parametrize(("persona", "status"), SAMS_TO_CHANGE)
def test_who_changes_a_contact_of_sams_customer(api_as, world, persona, status):
    contact = world["salesperson_contact"]
    before = snapshot()
    response = api_as(persona).patch(
        f"/api/v1/contacts/{contact.pk}/", {"title": "Buyer"}, format="json"
    )
    assert response.status_code == status, response.content
    if status == 200:
        contact.refresh_from_db()
        assert (contact.title, contact.name) == ("Buyer", "salesperson contact")
    else:
        assert snapshot() == before


def test_a_bad_contact_is_refused_and_nothing_is_written(api_as, world):
    client = api_as("salesperson")
    sams = world["salesperson_customer"]
    before = snapshot()
    refused(
        client.post("/api/v1/contacts/", {"customer": sams.pk, "name": "Ann", "email": "not-mail"}),
        "not-mail is not an email address",
    )
    field_refused(client.post("/api/v1/contacts/", {"customer": sams.pk}), "name", "required")
    contact = world["salesperson_contact"]
    field_refused(client.patch(f"/api/v1/contacts/{contact.pk}/", {"name": " "}), "name", "blank")
    assert snapshot() == before


# --- follow-ups ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_follow_ups_visible_per_persona(api_as, world, persona):
    client = api_as(persona)
    expected = keys(world, "followup", *VISIBLE[persona][1])
    assert ids(client.get("/api/v1/follow-ups/")) == expected
    for key in PEOPLE:
        response = client.get(f"/api/v1/follow-ups/{world[f'{key}_followup'].pk}/")
        assert response.status_code == (200 if key in VISIBLE[persona][1] else 404), key


def test_follow_up_fields_and_filters(api_as, world, org):
    today = timezone.localdate()
    sams = world["salesperson_customer"]
    later = services.followup_save(
        customer=sams,
        salesperson=org.salesperson,
        kind="visit",
        happened_on=today,
        next_action="demo",
        next_action_on=today + datetime.timedelta(days=10),
    )
    due = world["salesperson_followup"]
    tinas = world["teammate_followup"]
    services.followup_done(followup=tinas)
    client = api_as("supervisor")
    row = client.get(f"/api/v1/follow-ups/{due.pk}/").json()
    assert row["is_due"] is True and row["done"] is False and row["kind"] == "call"
    assert row["customer"] == {"id": sams.pk, "name": sams.name, "external_id": "C-salesperson"}
    assert row["salesperson"]["username"] == "sam"
    assert client.get(f"/api/v1/follow-ups/{later.pk}/").json()["is_due"] is False
    assert ids(client.get("/api/v1/follow-ups/?due=true")) == {due.pk}
    assert ids(client.get("/api/v1/follow-ups/?due=false")) == {later.pk, tinas.pk}
    assert ids(client.get("/api/v1/follow-ups/?done=true")) == {tinas.pk}
    assert ids(client.get(f"/api/v1/follow-ups/?customer={sams.pk}")) == {due.pk, later.pk}
    assert ids(client.get(f"/api/v1/follow-ups/?salesperson={org.teammate.pk}")) == {tinas.pk}
    assert ids(client.get("/api/v1/follow-ups/?kind=visit")) == {later.pk}
    other = world["other_salesperson_customer"]
    assert ids(client.get(f"/api/v1/follow-ups/?customer={other.pk}")) == set()


@pytest.mark.parametrize(
    ("persona", "salesperson", "status"),
    [
        ("salesperson", None, 201),
        ("salesperson", "salesperson", 201),
        ("supervisor", None, 201),  # the supervisor's own follow-up with sam's customer
        ("supervisor", "salesperson", 403),  # only the department notes one for somebody
        ("department", "salesperson", 201),
        ("teammate", None, 400),  # sam's customer does not exist for tina
        ("other_salesperson", None, 400),
        ("other_supervisor", None, 400),
        ("hr", None, 403),
    ],
)
def test_who_notes_a_follow_up_with_sams_customer(api_as, world, org, persona, salesperson, status):
    body = {
        "customer": world["salesperson_customer"].pk,
        "kind": "pre_sales",
        "happened_on": "2026-03-10",
        "need": "a demo",
        "next_action": "demo",
        "next_action_on": "2026-03-17",
    }
    if salesperson:
        body["salesperson"] = getattr(org, salesperson).pk
    before = snapshot()
    response = api_as(persona).post("/api/v1/follow-ups/", body, format="json")
    assert response.status_code == status, response.content
    if status == 201:
        made = FollowUp.objects.get(pk=response.json()["id"])
        assert made.salesperson == getattr(org, salesperson or persona)
        assert (made.kind, made.need, made.next_action_on) == (
            "pre_sales",
            "a demo",
            datetime.date(2026, 3, 17),
        )
        assert made.history.get().history_user == getattr(org, persona)
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("salesperson", 200),
        ("department", 200),
        ("supervisor", 403),  # sees it, but it is sam's
        ("teammate", 404),
        ("other_salesperson", 404),
        ("other_supervisor", 404),
        ("hr", 404),
    ],
)
def test_who_changes_and_closes_sams_follow_up(api_as, world, persona, status):
    followup = world["salesperson_followup"]
    client = api_as(persona)
    before = snapshot()
    changed = client.patch(f"/api/v1/follow-ups/{followup.pk}/", {"need": "a quote"}, format="json")
    assert changed.status_code == status, changed.content
    done = client.post(f"/api/v1/follow-ups/{followup.pk}/done/")
    assert done.status_code == status, done.content
    followup.refresh_from_db()
    if status == 200:
        assert (followup.need, followup.done, followup.next_action) == (
            "a quote",
            True,
            "call back",
        )
        assert done.json()["done"] is True and done.json()["is_due"] is False
        refused(client.post(f"/api/v1/follow-ups/{followup.pk}/done/"), "already done")
    else:
        assert snapshot() == before


def test_only_the_department_gives_a_follow_up_to_somebody_else(api_as, world, org):
    followup = world["salesperson_followup"]
    body = {"salesperson": org.salesperson.pk, "kind": "visit"}
    assert (
        api_as("salesperson")
        .patch(f"/api/v1/follow-ups/{followup.pk}/", body, format="json")
        .status_code
        == 200
    )
    tina = {"salesperson": org.teammate.pk}
    field_refused(  # tina is not somebody sam may see
        api_as("salesperson").patch(f"/api/v1/follow-ups/{followup.pk}/", tina, format="json"),
        "salesperson",
    )
    given = api_as("department").patch(f"/api/v1/follow-ups/{followup.pk}/", tina, format="json")
    assert given.json()["salesperson"]["username"] == "tina"


def test_a_bad_follow_up_is_refused_and_nothing_is_written(api_as, world):
    client = api_as("salesperson")
    sams = world["salesperson_customer"].pk
    before = snapshot()
    refused(
        client.post(
            "/api/v1/follow-ups/",
            {
                "customer": sams,
                "kind": "visit",
                "happened_on": "2026-03-10",
                "next_action": "call",
                "next_action_on": "2026-03-01",
            },
            format="json",
        ),
        "before the follow-up itself",
    )
    refused(
        client.post(
            "/api/v1/follow-ups/",
            {
                "customer": sams,
                "kind": "visit",
                "happened_on": "2026-03-10",
                "next_action_on": "2026-03-11",
            },
            format="json",
        ),
        "Say what the next action is",
    )
    field_refused(
        client.post(
            "/api/v1/follow-ups/",
            {"customer": sams, "kind": "email", "happened_on": "2026-03-10"},
            format="json",
        ),
        "kind",
    )
    assert snapshot() == before


# --- sales records: reading -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", list(VISIBLE))
def test_records_visible_per_persona(api_as, world, persona):
    client = api_as(persona)
    visible = VISIBLE[persona][0]
    assert ids(client.get("/api/v1/sales-records/")) == keys(world, "record", *visible)
    for key in [*PEOPLE, "shared", "browser"]:
        response = client.get(f"/api/v1/sales-records/{world[f'{key}_record'].pk}/")
        assert response.status_code == (200 if key in visible else 404), key


def test_a_record_with_its_credits(api_as, world, org):
    shared = world["shared_record"]
    row = api_as("other_supervisor").get(f"/api/v1/sales-records/{shared.pk}/").json()
    assert row["external_id"] == "R-shared"
    assert row["date"] == "2026-03-10"
    assert row["period"]["label"] == "March 2026"
    assert row["customer"]["name"] == "salesperson customer"
    assert (row["amount"], row["quantity"], row["gross_margin"]) == ("10.00", "1.00", "0.00")
    assert row["status"] == "booked"
    assert [
        (c["person"]["username"], c["team"]["code"], c["share_pct"], c["amount"])
        for c in row["credits"]
    ] == [("oscar", "t-south-1", "50.00", "5.00"), ("sam", "t-east-1", "50.00", "5.00")]
    mine = api_as("salesperson").get(f"/api/v1/sales-records/{world['salesperson_record'].pk}/")
    assert mine.json()["created_by"]["username"] == "sam"


def test_record_filters(api_as, world, org):
    year = world["year"]
    april = sale(datetime.date(2026, 4, 2), world["teammate_customer"], "30",
                 [(org.teammate, 100)], product="Pump X2", category="Pumps")  # fmt: skip
    services.record_cancel(record=world["teammate_record"])
    client = api_as("department")

    def found(query):
        return ids(client.get(f"/api/v1/sales-records/?page_size=100&{query}"))

    every = keys(world, "record", *PEOPLE, "shared", "browser")
    assert found("date_from=2026-03-11") == {world["browser_record"].pk, april.pk}
    assert found("date_from=2026-03-01&date_to=2026-03-10") == keys(
        world, "record", *PEOPLE, "shared"
    )
    assert found(f"period={month(year, 4).pk}") == {april.pk}
    quarter = Period.objects.get(fiscal_year=year, kind="quarter", number=1)
    assert found(f"period={quarter.pk}") == every
    assert found(f"person={org.other_salesperson.pk}") == keys(
        world, "record", "other_salesperson", "shared"
    )
    assert found(f"team={org.team.pk}") == keys(
        world, "record", "salesperson", "teammate", "shared", "browser"
    ) | {april.pk}
    assert found(f"team={org.east.pk}") == found(f"team={org.team.pk}") | keys(
        world, "record", "east2_person"
    )
    assert found(f"team={org.other_team.pk}") == keys(
        world, "record", "other_salesperson", "shared"
    )
    assert found(f"customer={world['salesperson_customer'].pk}") == keys(
        world, "record", "salesperson", "shared", "browser"
    )
    assert found("status=cancelled") == keys(world, "record", "teammate")
    assert found("product=pump") == {april.pk}
    assert found("category=pumps") == {april.pk}
    assert found("external_id=R-shared") == keys(world, "record", "shared")
    assert client.get("/api/v1/sales-records/?period=x").status_code == 400
    # filters never widen: sam asking for oscar's records sees only the shared one
    sam = api_as("salesperson")
    assert ids(sam.get(f"/api/v1/sales-records/?person={org.other_salesperson.pk}")) == keys(
        world, "record", "shared"
    )


# --- sales records: logging


def split(*pairs):
    return [{"person": person, "share_pct": share} for person, share in pairs]


def record_body(world, credits, **overrides):
    return {
        "date": "2026-03-20",
        "customer": world["salesperson_customer"].pk,
        "product": "Pump",
        "amount": "200.00",
        "quantity": "2",
        "gross_margin": "50",
        "credits": credits,
    } | overrides


@pytest.mark.parametrize(
    ("persona", "credits", "status"),
    [
        ("salesperson", split(("sam", "100")), 201),
        ("salesperson", split(("sam", 60), ("tina", 40)), 201),
        ("salesperson", split(("tina", "100")), 403),  # holds no credit
        ("salesperson", split(("sam", 50), ("oscar", 50)), 403),
        ("supervisor", split(("sam", 70), ("tina", 30)), 201),
        ("department", split(("sam", 50), ("oscar", 50)), 201),
        ("hr", split(("sam", "100")), 403),
    ],
)
def test_who_logs_a_sale_credited_to_whom(api_as, world, org, persona, credits, status):
    before = snapshot()
    response = api_as(persona).post(
        "/api/v1/sales-records/", record_body(world, credits), format="json"
    )
    assert response.status_code == status, response.content
    if status == 201:
        record = SalesRecord.objects.get(pk=response.json()["id"])
        assert record.created_by == getattr(org, persona)
        assert record.amount == D("200.00") and record.period == month(world["year"], 3)
        assert sum(c.amount for c in record.credits.all()) == D("200.00")
        assert {c["person"]["username"] for c in response.json()["credits"]} == {
            c["person"] for c in credits
        }
    else:
        assert snapshot() == before


@pytest.mark.parametrize("persona", ["teammate", "other_salesperson", "other_supervisor"])
def test_a_sale_on_a_customer_one_cannot_see_is_refused(api_as, world, org, persona):
    person = getattr(org, persona)
    before = snapshot()
    body = record_body(world, split((person.pk, "100")))
    field_refused(api_as(persona).post("/api/v1/sales-records/", body, format="json"), "customer")
    assert snapshot() == before


def test_people_are_given_by_id_or_username(api_as, world, org):
    credits = [
        {"person": org.salesperson.pk, "share_pct": "33.34"},
        {"person": "tina", "share_pct": "66.66"},
    ]
    response = api_as("salesperson").post(
        "/api/v1/sales-records/", record_body(world, credits, amount="100"), format="json"
    )
    assert response.status_code == 201, response.content
    assert [(c["person"]["username"], c["amount"]) for c in response.json()["credits"]] == [
        ("tina", "66.66"),
        ("sam", "33.34"),
    ]


@pytest.mark.parametrize(
    ("overrides", "field", "words"),
    [
        (
            {"credits": split(("sam", 60), ("tina", 30))},
            "detail",
            "The credit shares add up to 90 %, not 100 %.",
        ),
        ({"credits": []}, "detail", "Credit the sale to at least one salesperson"),
        ({"credits": split(("ghost", 100))}, "credits", "Unknown salesperson: ghost"),
        ({"credits": split((999999, 100))}, "credits", "Unknown salesperson: 999999"),
        ({"credits": split((True, 100))}, "credits", "id (a number) or username"),
        ({"credits": split(("sam", "lots"))}, "credits", "valid number"),
        ({"credits": "sam"}, "credits", "Expected a list"),
        ({"amount": "abc"}, "amount", "valid number"),
        ({"amount": "10.123"}, "detail", "Amount has more than 2 decimals"),
        ({"gross_margin": "500"}, "detail", "cannot exceed the amount"),
        ({"date": "20/03/2026"}, "date", "wrong format"),
        ({"date": "2025-12-31"}, "detail", "There is no fiscal period for 2025-12-31"),
        ({"customer": 999999}, "customer", "does not exist"),
        ({"product": "P" * 201}, "product", "200"),
        ({"collected_amount": "10"}, "detail", "Give the date the amount was collected"),
    ],
)  # fmt: skip
def test_a_bad_sale_is_refused_naming_the_problem_and_nothing_is_written(
    api_as, world, overrides, field, words
):
    before = snapshot()
    body = record_body(world, split(("sam", "100"))) | overrides
    response = api_as("salesperson").post("/api/v1/sales-records/", body, format="json")
    assert response.status_code == 400, response.content
    found = response.json()["detail"] if field == "detail" else field_errors(response)[field]
    assert words in str(found), response.json()
    assert snapshot() == before


@pytest.mark.parametrize("status", ["closed", "closing"])
def test_a_sale_in_a_closed_or_closing_period_is_refused(api_as, world, status):
    set_status(month(world["year"], 3), status)
    before = snapshot()
    body = record_body(world, [{"person": "sam", "share_pct": "100"}])
    refused(
        api_as("salesperson").post("/api/v1/sales-records/", body, format="json"),
        f"March 2026 is {status}: a correction goes into an open period.",
    )
    assert snapshot() == before


def test_dates_after_tomorrow_are_refused_with_the_latest_date_allowed(api_as, world, time_machine):
    time_machine.move_to("2026-03-20 09:00 +08:00")
    client = api_as("salesperson")
    before = snapshot()
    body = record_body(world, split(("sam", "100")), date="2026-03-22")
    refused(
        client.post("/api/v1/sales-records/", body, format="json"),
        "The sale's date 2026-03-22 is in the future: the latest date allowed is 2026-03-21.",
    )
    record = world["salesperson_record"]
    refused(
        client.patch(
            f"/api/v1/sales-records/{record.pk}/",
            {"collected_amount": "100", "collected_on": "2026-04-01"},
            format="json",
        ),
        "The collection date 2026-04-01 is in the future: the latest date allowed is 2026-03-21.",
    )
    refused(
        client.post(
            "/api/v1/follow-ups/",
            {
                "customer": world["salesperson_customer"].pk,
                "kind": "visit",
                "happened_on": "2026-03-25",
            },
            format="json",
        ),
        "The follow-up's date 2026-03-25 is in the future",
    )
    refused(
        client.patch(
            f"/api/v1/customers/{world['salesperson_customer'].pk}/",
            {"status": "active", "became_customer_on": "2026-03-23"},
            format="json",
        ),
        "The customer-since date 2026-03-23 is in the future",
    )
    response = api_as("department").post(
        "/api/v1/sales-records/bulk/",
        [bulk_row(1, collected_amount="1", collected_on="2026-03-30")],
        format="json",
    )
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(1, "collected_on")]
    assert snapshot() == before


def test_logging_an_existing_external_id_updates_that_record(api_as, world, org):
    sams = world["salesperson_record"]
    count = SalesRecord.objects.count()
    body = record_body(world, [{"person": "sam", "share_pct": "100"}], external_id="R-salesperson")
    response = api_as("salesperson").post("/api/v1/sales-records/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["id"] == sams.pk
    assert SalesRecord.objects.count() == count
    sams.refresh_from_db()
    assert (sams.amount, sams.date, sams.product) == (
        D("200.00"),
        datetime.date(2026, 3, 20),
        "Pump",
    )
    assert SalesCredit.objects.get(record=sams).amount == D("200.00")


def test_an_external_id_of_a_hidden_record_is_404_and_leaves_it_alone(api_as, world, org):
    before = snapshot()
    body = record_body(world, [{"person": "sam", "share_pct": "100"}], external_id="R-teammate")
    response = api_as("salesperson").post("/api/v1/sales-records/", body, format="json")
    assert response.status_code == 404
    assert snapshot() == before


# --- sales records: changing and cancelling -------------------------------------------------------


@pytest.mark.parametrize(("persona", "status"), SAMS_TO_CHANGE)
def test_who_changes_sams_record(api_as, world, persona, status):
    record = world["salesperson_record"]
    before = snapshot()
    response = api_as(persona).patch(
        f"/api/v1/sales-records/{record.pk}/", {"amount": "150", "quantity": "3"}, format="json"
    )
    assert response.status_code == status, response.content
    if status == 200:
        record.refresh_from_db()
        assert (record.amount, record.quantity, record.date) == (D("150.00"), D("3.00"), DAY)
        assert [c["amount"] for c in response.json()["credits"]] == ["150.00"]
        assert record.history.first().history_user is not None
    else:
        assert snapshot() == before


@pytest.mark.parametrize(
    ("persona", "added"),
    [("salesperson", "east2_person"), ("other_supervisor", "teammate")],
)
def test_a_change_keeps_the_people_credited_and_adds_only_creditable_ones(
    api_as, world, org, persona, added
):
    """sam and otto may change the sale shared by sam (East) and oscar (South), keeping
    both, but not add eve (another team of sam's region) or tina (outside otto's)."""
    shared = world["shared_record"]
    client = api_as(persona)
    url = f"/api/v1/sales-records/{shared.pk}/"
    before = snapshot()
    three = split(("sam", 40), ("oscar", 40), (getattr(org, added).pk, 20))
    assert client.patch(url, {"credits": three}, format="json").status_code == 403
    assert snapshot() == before
    kept = split(("oscar", 70), ("sam", 30))
    response = client.patch(url, {"amount": "12", "credits": kept}, format="json")
    assert response.status_code == 200, response.content
    assert sorted(shared.credits.values_list("person__username", "amount")) == [
        ("oscar", D("8.40")),
        ("sam", D("3.60")),
    ]


def test_new_credits_replace_the_old_ones(api_as, world, org):
    shared = world["shared_record"]
    response = api_as("department").patch(
        f"/api/v1/sales-records/{shared.pk}/",
        {"credits": [{"person": "tina", "share_pct": 75}, {"person": "eve", "share_pct": 25}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert sorted(shared.credits.values_list("person__username", "amount")) == [
        ("eve", D("2.50")),
        ("tina", D("7.50")),
    ]
    # oscar no longer holds a credit: the record left his view
    oscar = api_as("other_salesperson")
    assert oscar.get(f"/api/v1/sales-records/{shared.pk}/").status_code == 404


def test_a_record_without_an_external_id_is_changed_by_its_id_until_cancelled(api_as, world):
    browser = world["browser_record"]
    client = api_as("salesperson")
    url = f"/api/v1/sales-records/{browser.pk}/"
    changed = client.patch(url, {"amount": "8", "collected_amount": "8",
                                 "collected_on": "2026-03-20"}, format="json")  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert (changed.json()["amount"], changed.json()["external_id"]) == ("8.00", None)
    assert SalesRecord.objects.filter(external_id=None).count() == 1
    assert client.post(f"{url}cancel/").json()["status"] == "cancelled"
    before = snapshot()
    refused(client.patch(url, {"amount": "9"}, format="json"), "This record is cancelled")
    assert snapshot() == before


@pytest.mark.parametrize("status", ["closed", "closing"])
def test_a_record_in_a_closed_period_is_neither_changed_nor_cancelled(api_as, world, status):
    set_status(month(world["year"], 3), status)
    record = world["salesperson_record"]
    client = api_as("salesperson")
    before = snapshot()
    refused(
        client.patch(f"/api/v1/sales-records/{record.pk}/", {"date": "2026-04-02"}, format="json"),
        f"Record R-salesperson is in March 2026, which is {status}: it cannot be changed",
    )
    refused(
        client.post(f"/api/v1/sales-records/{record.pk}/cancel/"),
        f"March 2026 is {status}: a correction goes into an open period.",
    )
    assert snapshot() == before


def test_malformed_changes_name_the_field(api_as, world):
    record = world["salesperson_record"]
    client = api_as("salesperson")
    before = snapshot()
    url = f"/api/v1/sales-records/{record.pk}/"
    field_refused(client.patch(url, {"amount": "NaN"}, format="json"), "amount")
    field_refused(client.patch(url, {"collected_on": "yesterday"}, format="json"), "collected_on")
    refused(client.patch(url, {"credits": [{"person": "sam", "share_pct": 0}]}, format="json"),
            "must be above 0")  # fmt: skip
    assert snapshot() == before


@pytest.mark.parametrize(("persona", "status"), SAMS_TO_CHANGE)
def test_who_cancels_sams_record(api_as, world, org, persona, status):
    record = world["salesperson_record"]
    before = snapshot()
    client = api_as(persona)
    response = client.post(f"/api/v1/sales-records/{record.pk}/cancel/")
    assert response.status_code == status, response.content
    if status == 200:
        assert response.json()["status"] == "cancelled"
        assert not SalesCredit.objects.get(record=record).booked
        # sam's March: only the shared sale's half and the browser sale are left
        assert MonthTotal.objects.get(person=org.salesperson).amount == D("12.00")
        refused(client.post(f"/api/v1/sales-records/{record.pk}/cancel/"), "already cancelled")
    else:
        assert snapshot() == before


# --- the ERP's bulk push


def bulk_row(n, **overrides):
    return {
        "external_id": f"ERP-{n}",
        "date": "2026-03-10",
        "customer": "C-salesperson",
        "amount": "100.00",
        "quantity": "1",
        "gross_margin": "20",
        "product": "Pump",
        "credits": [{"person": "sam", "share_pct": "60"}, {"person": "tina", "share_pct": "40"}],
    } | overrides


def push(client, rows):
    return client.post("/api/v1/sales-records/bulk/", rows, format="json")


def test_the_same_push_twice_updates_and_never_duplicates(api_as, world):
    client = api_as("department")
    rows = [bulk_row(n) for n in range(1, 4)] + [bulk_row(4, customer="C-other_salesperson",
            credits=[{"person": "oscar", "share_pct": 100}])]  # fmt: skip
    first = push(client, rows)
    assert first.status_code == 200, first.content
    assert first.json() == {"created": 4, "updated": 0}
    after_first = snapshot()
    second = push(client, rows)
    assert second.json() == {"created": 0, "updated": 4}
    assert snapshot()[:3] == after_first[:3]  # the same records, credits and totals
    assert SalesRecord.objects.filter(external_id__startswith="ERP-").count() == 4
    assert SalesCredit.objects.filter(record__external_id__startswith="ERP-").count() == 7
    changed = push(client, [bulk_row(1, amount="50", gross_margin="5"), bulk_row(5)])
    assert changed.json() == {"created": 1, "updated": 1}
    erp1 = SalesRecord.objects.get(external_id="ERP-1")
    assert sorted(erp1.credits.values_list("amount", flat=True)) == [D("20.00"), D("30.00")]
    assert erp1.created_by.username == "dora"


def test_a_push_can_update_a_record_logged_through_the_api(api_as, world):
    pushed = push(api_as("department"), [bulk_row(1, external_id="R-salesperson", amount="80")])
    assert pushed.json() == {"created": 0, "updated": 1}
    assert SalesRecord.objects.get(external_id="R-salesperson").amount == D("80.00")


@pytest.mark.parametrize("persona", [p for p in PERSONAS if p != "department"])
def test_only_the_department_pushes(api_as, world, persona):
    before = snapshot()
    response = push(api_as(persona), [bulk_row(1)])
    assert response.status_code == (401 if persona == "anonymous" else 403)
    assert snapshot() == before


def test_a_push_with_bad_rows_names_every_row_and_field_and_writes_nothing(api_as, world):
    set_status(month(world["year"], 2), "closed")
    rows = [
        *bad_bulk_rows(bulk_row),
        bulk_row(11, amount="a lot", product="P" * 201),
        bulk_row(12, credits=[{"person": "sam", "share_pct": "x"}]),
        bulk_row(13, amount="1.005"),
        bulk_row(14),
    ]
    before = snapshot()
    response = push(api_as("department"), rows)
    assert response.status_code == 400, response.content
    assert snapshot() == before
    body = response.json()
    assert body["detail"] == "Nothing was written: 12 of 14 rows have problems."
    found = {(e["row"], e["field"]): e["message"] for e in body["errors"]}
    assert set(found) == BAD_BULK_ROWS_REFUSED | {
        (11, "amount"),
        (11, "product"),
        (12, "credits.1.share_pct"),
        (13, "amount"),
    }
    assert [e["row"] for e in body["errors"]] == sorted(e["row"] for e in body["errors"])
    assert found[(2, "customer")] == "Unknown customer: NOPE."
    assert found[(3, "credits")] == "Unknown salesperson: ghost."
    assert "add up to 70 %" in found[(4, "credits")]
    assert "February 2026 is closed" in found[(5, "date")]
    assert "also in row 1" in found[(6, "external_id")]
    assert "YYYY-MM-DD" in found[(7, "date")]
    assert "cannot exceed the amount" in found[(8, "gross_margin")]
    assert "Expected a list" in found[(9, "credits")]
    assert "valid number" in found[(11, "amount")]
    assert "200 characters" in found[(11, "product")]
    assert "more than 2 decimals" in found[(13, "amount")]


@pytest.mark.parametrize("body", [{"rows": []}, "rows", 3])
def test_a_push_that_is_not_a_list_is_refused(api_as, world, body):
    response = push(api_as("department"), body)
    assert response.status_code == 400
    assert error_of(response) == {"detail": "Send a JSON list of rows.", "errors": []}


def test_an_empty_push_writes_nothing(api_as, world):
    assert push(api_as("department"), []).json() == {"created": 0, "updated": 0}


def test_a_push_of_too_many_rows_is_refused_before_reading_them(api_as, world):
    before = snapshot()
    response = push(api_as("department"), [{}] * 5001)
    assert response.status_code == 400
    assert response.json()["detail"] == (
        "5001 rows: at most 5000 rows per request; split the push."
    )
    assert snapshot() == before


def test_a_push_larger_than_the_import_limit_is_refused(api_as, world, settings):
    settings.SALES_IMPORT_MAX_BYTES = 500
    before = snapshot()
    response = push(api_as("department"), [bulk_row(n) for n in range(5)])
    assert response.status_code == 413
    assert response.json() == {
        "detail": "The request has 1.1 KB; at most 500 bytes are accepted: split it into "
        "smaller requests.",
        "code": "too_large",
        "limit": 500,
    }
    assert snapshot() == before


def test_a_push_is_json_only(api_as, world):
    response = api_as("department").post(
        "/api/v1/sales-records/bulk/", {"external_id": "x"}, format="multipart"
    )
    assert response.status_code == 415


def test_a_pushed_salesperson_without_a_team_that_day_is_named(api_as, world, org):
    newcomer = UserFactory(username="nick", roles=["salesperson"])
    MembershipFactory(user=newcomer, unit=org.team, start_date=datetime.date(2026, 4, 1))
    response = push(
        api_as("department"), [bulk_row(1, credits=[{"person": "nick", "share_pct": 100}])]
    )
    assert response.json()["errors"] == [
        {
            "row": 1,
            "field": "credits",
            "message": f"{newcomer.display_name} is not a member of any team on 2026-03-10.",
        }
    ]


# --- schema


def test_schema_lists_every_sales_records_endpoint(docs_client):
    paths = docs_client.get("/api/schema/", {"format": "json"}).json()["paths"]
    expected = {
        "/api/v1/customers/": {"get", "post"},
        "/api/v1/customers/{id}/": {"get", "patch"},
        "/api/v1/contacts/": {"get", "post"},
        "/api/v1/contacts/{id}/": {"get", "patch"},
        "/api/v1/follow-ups/": {"get", "post"},
        "/api/v1/follow-ups/{id}/": {"get", "patch"},
        "/api/v1/follow-ups/{id}/done/": {"post"},
        "/api/v1/sales-records/": {"get", "post"},
        "/api/v1/sales-records/{id}/": {"get", "patch"},
        "/api/v1/sales-records/{id}/cancel/": {"post"},
        "/api/v1/sales-records/bulk/": {"post"},
    }
    for path, methods in expected.items():
        assert set(paths[path]) - {"parameters"} == methods, path
    record_params = {p["name"] for p in paths["/api/v1/sales-records/"]["get"]["parameters"]}
    assert record_params >= {
        "date_from",
        "date_to",
        "period",
        "person",
        "team",
        "customer",
        "status",
        "product",
    }
    followup_params = {p["name"] for p in paths["/api/v1/follow-ups/"]["get"]["parameters"]}
    assert followup_params >= {"due", "done", "customer", "salesperson"}
    customer_params = {p["name"] for p in paths["/api/v1/customers/"]["get"]["parameters"]}
    assert customer_params >= {"status", "owner", "industry", "region", "search"}
    bulk = paths["/api/v1/sales-records/bulk/"]["post"]
    assert set(bulk["requestBody"]["content"]) == {"application/json"}
    assert bulk["requestBody"]["content"]["application/json"]["schema"]["type"] == "array"


def test_the_schema_of_these_endpoints_builds_without_warnings(db):
    from django.urls import include, path
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator
    from drf_spectacular.validation import validate_schema
    from rest_framework.routers import DefaultRouter

    from sales.records import api as api_records

    router = DefaultRouter()
    api_records.register(router)
    GENERATOR_STATS.reset()
    generator = SchemaGenerator(patterns=[path("api/v1/", include(router.urls))])
    schema = generator.get_schema(request=None, public=True)
    assert not GENERATOR_STATS, "the schema of the sales records API has warnings"
    validate_schema(schema)
    components = schema["components"]["schemas"]
    assert {"CustomerStatusEnum", "FollowUpKindEnum", "SalesRecordStatusEnum"} <= set(components)
    assert components["CustomerStatusEnum"]["enum"] == ["prospect", "active", "lost"]


# --- a fixed number of queries -------------------------------------------------------------------

MAX_READ_QUERIES = 10
MAX_WRITE_QUERIES = 30


def grow(org, world, teams: int = 6, people_per_team: int = 4, sales_each: int = 4) -> None:
    """Many more teams and people, each with customers, contacts, follow-ups and sales
    shared with a teammate; and more of sam's own."""
    today = timezone.localdate()
    rows = []
    for n in range(teams):
        parent = org.east if n % 2 else org.south
        team = OrgUnitFactory(code=f"grow-{n}", name=f"Grown {n}", parent=parent)
        lead = UserFactory(username=f"lead-{n}", roles=["supervisor"])
        MembershipFactory(user=lead, unit=team, kind=Membership.Kind.SUPERVISOR)
        people = []
        for i in range(people_per_team):
            person = UserFactory(username=f"p-{n}-{i}", roles=["salesperson"])
            MembershipFactory(user=person, unit=team)
            people.append(person)
            cust = customer(person, name=f"customer {n}-{i}", external_id=f"C-{n}-{i}")
            services.contact_save(customer=cust, name=f"contact {n}-{i}")
            services.followup_save(
                customer=cust,
                salesperson=person,
                kind="visit",
                happened_on=today - datetime.timedelta(days=3),
                next_action="call",
                next_action_on=today,
            )
        for i, person in enumerate(people):
            partner = people[(i + 1) % len(people)]
            rows += [
                bulk_row(
                    f"{n}-{i}-{k}",
                    customer=f"C-{n}-{i}",
                    date=f"2026-0{1 + k % 3}-1{k}",
                    credits=[
                        {"person": person.username, "share_pct": "50"},
                        {"person": partner.username, "share_pct": "50"},
                    ],
                )
                for k in range(sales_each)
            ]
    for k in range(10):
        cust = customer(org.salesperson, name=f"sam's {k}", external_id=f"C-sam-{k}")
        services.contact_save(customer=cust, name=f"sam's contact {k}")
        services.followup_save(
            customer=cust, salesperson=org.salesperson, kind="call", happened_on=today
        )
        rows.append(
            bulk_row(
                f"sam-{k}",
                customer=f"C-sam-{k}",
                credits=[{"person": "sam", "share_pct": 50}, {"person": "tina", "share_pct": 50}],
            )
        )
    services.records_bulk_upsert(rows, acting_user=org.department)


READS = [
    "/api/v1/customers/?page_size=500",
    "/api/v1/customers/?page_size=500&status=prospect&search=customer&ordering=-name",
    "/api/v1/customers/{customer}/",
    "/api/v1/contacts/?page_size=500",
    "/api/v1/contacts/?page_size=500&customer={customer}",
    "/api/v1/contacts/{contact}/",
    "/api/v1/follow-ups/?page_size=500",
    "/api/v1/follow-ups/?page_size=500&due=true&done=false&salesperson={sam}",
    "/api/v1/follow-ups/{followup}/",
    "/api/v1/sales-records/?page_size=500",
    "/api/v1/sales-records/?page_size=500&period={q1}&team={east}&date_from=2026-01-01"
    "&status=booked&ordering=-amount",
    "/api/v1/sales-records/?page_size=500&person={sam}&customer={customer}&product=pump",
    "/api/v1/sales-records/{record}/",
]
GROWING = ("/customers/?page_size", "/contacts/?page_size", "/follow-ups/?page_size",
           "/sales-records/?page_size")  # fmt: skip


@pytest.mark.parametrize("persona", ["department", "regional", "supervisor", "salesperson"])
def test_reads_run_a_fixed_number_of_queries(org, world, persona, django_assert_max_num_queries):
    values = {
        "customer": world["salesperson_customer"].pk,
        "contact": world["salesperson_contact"].pk,
        "followup": world["salesperson_followup"].pk,
        "record": world["salesperson_record"].pk,
        "sam": org.salesperson.pk,
        "q1": Period.objects.get(fiscal_year=world["year"], kind="quarter", number=1).pk,
        "east": org.east.pk,
    }
    urls = [template.format(**values) for template in READS]
    client = client_for(getattr(org, persona))
    small = {url: count(client, "get", url) for url in urls}
    grow(org, world)
    client = client_for(getattr(org, persona))  # signing in is not part of the requests
    for url in urls:
        with django_assert_max_num_queries(MAX_READ_QUERIES):
            large, response = count(client, "get", url)
        small_count, small_response = small[url]
        assert large == small_count, url
        if any(part in url for part in GROWING) and url.endswith("page_size=500"):
            assert response.json()["count"] > small_response.json()["count"], url


def writes(org, world):
    """(persona, method, url, body) of every write, in an order that works."""
    sams = world["salesperson_customer"]
    record = world["salesperson_record"]
    followup = world["salesperson_followup"]
    return [
        ("salesperson", "post", "/api/v1/customers/", {"name": "Initech", "status": "active"}),
        ("supervisor", "post", "/api/v1/contacts/", {"customer": sams.pk, "name": "Ann"}),
        (
            "supervisor",
            "patch",
            f"/api/v1/contacts/{world['salesperson_contact'].pk}/",
            {"title": "CEO"},
        ),
        (
            "salesperson",
            "post",
            "/api/v1/follow-ups/",
            {
                "customer": world["salesperson_customer"].pk,
                "kind": "visit",
                "happened_on": "2026-03-10",
            },
        ),
        ("salesperson", "patch", f"/api/v1/follow-ups/{followup.pk}/", {"need": "price"}),
        ("salesperson", "post", f"/api/v1/follow-ups/{followup.pk}/done/", {}),
        (
            "supervisor",
            "post",
            "/api/v1/sales-records/",
            record_body(
                world,
                split(("sam", 50), ("tina", 50)),
                customer=world["teammate_customer"].pk,
                external_id="NEW-1",
            ),
        ),
        (
            "supervisor",
            "post",
            "/api/v1/sales-records/",
            record_body(
                world,
                split(("tina", "100")),
                customer=world["teammate_customer"].pk,
                external_id="NEW-1",
            ),
        ),
        (
            "salesperson",
            "patch",
            f"/api/v1/sales-records/{record.pk}/",
            {"amount": "90", "credits": split(("sam", 50), (org.teammate.pk, 50))},
        ),
        ("salesperson", "post", f"/api/v1/sales-records/{record.pk}/cancel/", {}),
        ("department", "post", "/api/v1/sales-records/bulk/", [bulk_row(n) for n in range(3)]),
        ("supervisor", "patch", f"/api/v1/customers/{sams.pk}/", {"owner": org.teammate.pk}),
    ]


@pytest.mark.parametrize("size", ["small", "large"])
def test_writes_run_a_bounded_number_of_queries(org, world, size, django_assert_max_num_queries):
    if size == "large":
        grow(org, world)
    clients = {}
    for persona, method, url, body in writes(org, world):
        client = clients.setdefault(persona, client_for(getattr(org, persona)))
        with django_assert_max_num_queries(MAX_WRITE_QUERIES):
            count(client, method, url, body)
    assert SalesRecord.objects.get(external_id="NEW-1").credits.get().person == org.teammate
    assert SalesRecord.objects.filter(external_id__in=["ERP-0", "ERP-1", "ERP-2"]).count() == 3


def test_a_push_adds_a_fixed_number_of_queries_to_the_services(org, world):
    """The push checks every row without a query; the service's own queries grow only by
    batches (SQLite's limit of 999 parameters makes them smaller than PostgreSQL's)."""
    client = client_for(org.department)
    count(client, "post", "/api/v1/sales-records/bulk/", [bulk_row("warm-up")])
    overhead = []
    for size in (3, 600):
        with CaptureQueriesContext(connection) as ctx:
            services.records_bulk_upsert(
                [bulk_row(f"s{size}-{n}") for n in range(size)], acting_user=org.department
            )
        rows = [bulk_row(f"a{size}-{n}") for n in range(size)]
        api, response = count(client, "post", "/api/v1/sales-records/bulk/", rows)
        assert response.json() == {"created": size, "updated": 0}
        again, response = count(client, "post", "/api/v1/sales-records/bulk/", rows)
        assert response.json() == {"created": 0, "updated": size}
        assert again <= size // 5 + 21
        overhead.append(api - len(ctx.captured_queries))
    assert overhead[0] == overhead[1] <= 6


def test_a_push_cancels_with_a_status_and_never_rebooks_without_one(api_as, world):
    client = api_as("department")
    assert push(client, [bulk_row(1, status="cancelled")]).json() == {"created": 1, "updated": 0}
    assert SalesRecord.objects.get(external_id="ERP-1").status == "cancelled"
    push(client, [bulk_row(1)])
    assert SalesRecord.objects.get(external_id="ERP-1").status == "cancelled"
    refused = push(client, [bulk_row(1, status="lost")])
    assert refused.status_code == 400
    assert [(e["row"], e["field"]) for e in refused.json()["errors"]] == [(1, "status")]
    push(client, [bulk_row(1, status="booked")])
    assert SalesRecord.objects.get(external_id="ERP-1").status == "booked"
