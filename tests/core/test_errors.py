"""The structured DomainError: how a page puts it beside its field and how the API answers
it (code, field, errors, data; 409 for a conflict), with no message read to learn which."""

from __future__ import annotations

import pickle

import pytest
from django import forms
from django.contrib.messages.storage.fallback import FallbackStorage
from django.test import RequestFactory
from rest_framework.views import APIView

from core.api import api_exception_handler
from core.errors import Conflict, DomainError
from core.views import attempt, perform, refusal_status, submit


class _Form(forms.Form):
    name = forms.CharField()
    email = forms.CharField(required=False)


def _refuse(error: DomainError):
    def action():
        raise error

    return action


def test_a_refusal_naming_a_field_of_the_form_goes_beside_it():
    form = _Form({"name": "Ann", "email": "x"})
    done = submit(form, _refuse(DomainError("x is not an email address.", field="email")))
    assert not done and done.message == "x is not an email address."
    assert form.errors == {"email": ["x is not an email address."]}


def test_a_refusal_naming_no_field_or_another_goes_on_the_form_as_a_whole():
    for field in (None, "credits"):
        form = _Form({"name": "Ann"})
        submit(form, _refuse(DomainError("No.", field=field)))
        assert form.non_field_errors() == ["No."]
        assert "email" not in form.errors and "name" not in form.errors


def test_an_invalid_form_does_not_run_the_service():
    ran = []
    form = _Form({})
    done = submit(form, lambda: ran.append(1))
    assert not done and done.error is None and ran == []
    assert "name" in form.errors


def test_the_value_of_a_service_that_succeeds_is_kept():
    assert attempt(lambda: 42).value == 42
    assert attempt(lambda: None)  # a service returning None still succeeded
    assert submit(_Form({"name": "Ann"}), lambda: "saved").value == "saved"


def test_a_refused_button_becomes_an_error_message():
    request = RequestFactory().post("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    done = perform(request, _refuse(DomainError("Too late.")))
    assert not done
    assert [m.message for m in request._messages] == ["Too late."]


def test_a_conflict_answers_409_on_a_page_and_anything_else_400():
    assert refusal_status(Conflict("Busy.")) == 409
    assert refusal_status(DomainError("No.")) == 400
    assert refusal_status(None) == 400


def _answer(error: DomainError):
    request = RequestFactory().post("/api/v1/x/")
    response = api_exception_handler(error, {"request": request, "view": APIView()})
    return response.status_code, response.data


def test_the_api_answers_the_code_the_field_and_the_data():
    status, body = _answer(
        DomainError("Too early.", code="invalid", field="effective_period", data={"first": 3})
    )
    assert status == 400
    assert body == {
        "detail": "Too early.",
        "code": "invalid",
        "field": "effective_period",
        "errors": [{"field": "effective_period", "message": "Too early."}],
        "first": 3,
    }


def test_the_api_answers_a_plain_refusal_with_the_default_code_only():
    assert _answer(DomainError("No.")) == (400, {"detail": "No.", "code": "domain_error"})


def test_the_api_answers_a_conflict_409():
    status, body = _answer(Conflict("A close is running.", data={"run": 7}))
    assert status == 409
    assert body == {"detail": "A close is running.", "code": "conflict", "run": 7}


def test_a_refusal_survives_pickling_with_its_parts():
    error = pickle.loads(pickle.dumps(DomainError("No.", code="c", field="f", data={"a": 1})))
    assert (error.message, error.code, error.field, error.data) == ("No.", "c", "f", {"a": 1})


@pytest.mark.parametrize("error", [DomainError("x"), Conflict("y")])
def test_a_refusal_is_a_value_error_with_its_message(error):
    assert isinstance(error, ValueError) and str(error) == error.message
