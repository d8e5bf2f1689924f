"""Helpers the views of every app share: the open-redirect guard, and the one way a page
runs a service.

A page runs a service through `attempt` (the service's refusal as a value), `submit` (a
bound form: validated first, a refusal put beside the field it names, else on the form as a
whole) or `perform` (a button: a refusal becomes an error message). The view then says what
success means (a message, a redirect). Nothing reads a refusal's words to learn its field:
`DomainError.field` names it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from core.errors import Conflict, DomainError
from core.forms import ImportUploadForm
from core.imports import ImportIssue, ImportResult, problems_context
from core.spreadsheets import XLSX_CONTENT_TYPE


def next_url(request, default: str) -> str:
    """The `next` the request names when it stays on this site (no open redirect), else
    `default`."""
    candidate = request.POST.get("next") or request.GET.get("next")
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def is_htmx(request) -> bool:
    """Whether htmx sent the request (it then wants a part of the page, not the page)."""
    return request.headers.get("HX-Request") == "true"


@dataclass(frozen=True)
class Attempt:
    """What running a service gave: its value when it `ok`, else the refusal (`error`, None
    when a form was not valid and the service was not run)."""

    ok: bool
    value: Any = None
    error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.ok

    @property
    def message(self) -> str:
        return self.error.message if self.error is not None else ""


def attempt(action: Callable[[], Any]) -> Attempt:
    """Run `action` (a service call); a `DomainError` is returned, not raised (the
    transaction the service ran in is already rolled back)."""
    try:
        value = action()
    except DomainError as error:
        return Attempt(ok=False, error=error)
    return Attempt(ok=True, value=value)


def submit(form, action: Callable[[], Any]) -> Attempt:
    """Validate the bound `form`, then run `action`; a refusal goes on the form, beside the
    field it names when the form has that field, else on the form as a whole."""
    if not form.is_valid():
        return Attempt(ok=False)
    done = attempt(action)
    if done.error is not None:
        on_form(form, done.error)
    return done


def post_form(request, form, action: Callable[[dict], Any]) -> Attempt | None:
    """A form page's POST: `submit` the bound `form`, then `action(form.cleaned_data)`;
    None for a GET (the page shows the form). `form_status` is the page's status."""
    if request.method != "POST":
        return None
    return submit(form, lambda: action(form.cleaned_data))


def form_status(done: Attempt | None) -> int:
    """The status of a form page shown: 200 for a GET, 400 for a POST that did not go
    through (a form that was not valid or a refusal, on the form)."""
    return 200 if done is None else 400


def form_page(
    request, form, action: Callable[[dict], Any], *, page: str, context=None, then
) -> HttpResponse:
    """A form's page: a GET shows `form` on the template `page` (beside `context`, a dict
    or a function giving it, read only when the page is shown); a POST runs
    `action(form.cleaned_data)` (see `post_form`) and, when it went through, answers
    `then(value)`; else the page again with the refusal on the form (400)."""
    done = post_form(request, form, action)
    if done:
        return then(done.value)
    if callable(context):
        context = context()
    return render(request, page, {"form": form, **(context or {})}, status=form_status(done))


def saved(request, message: str, to, *args, **kwargs) -> HttpResponse:
    """After a write: `message` on the next page, and the redirect to it (`to`, `args`
    and `kwargs` as for `redirect`)."""
    messages.success(request, message)
    return redirect(to, *args, **kwargs)


def on_form(form, error: DomainError) -> None:
    """Put a service's refusal on `form`: beside its field if the form has it."""
    field = error.field if error.field in form.fields else None
    form.add_error(field, error.message)


def perform(request, action: Callable[[], Any]) -> Attempt:
    """Run `action` for a button; a refusal becomes an error message on the next page."""
    done = attempt(action)
    if done.error is not None:
        messages.error(request, done.message)
    return done


def refusal_status(error: DomainError | None) -> int:
    """The status of a page answering a refusal: 409 for a conflict (something under way),
    else 400 (also for a form that was not valid)."""
    return 409 if isinstance(error, Conflict) else 400


# --- the page of a one-table import --------------------------------------------------------

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"


def attachment(content, filename: str, content_type: str) -> HttpResponse:
    """A file to download (`content`, bytes or text) named `filename`."""
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def import_page(
    request,
    *,
    page: str,
    run: Callable[[Any], ImportResult],
    done: str,
    then: str,
    blank: str,
    csv: Callable[[], Any],
    xlsx: Callable[[], Any] | None = None,
    max_bytes: int,
    context: dict | None = None,
):
    """An import page: `?template=csv` (and `xlsx` where given) downloads the blank file
    named `blank`; a GET shows the form; a POST runs `run` on the uploaded file and, when
    it is written, says `done` (formatted with the file's name and the result's counts)
    and redirects to `then`, else shows the problems (400). `max_bytes` limits the file
    (the import's own setting)."""
    blanks = {"csv": (csv, CSV_CONTENT_TYPE), "xlsx": (xlsx, XLSX_CONTENT_TYPE)}
    kind = request.GET.get("template")
    if request.method == "GET" and kind in blanks and blanks[kind][0] is not None:
        make, content_type = blanks[kind]
        return attachment(make(), f"{blank}.{kind}", content_type)
    errors: list[ImportIssue] = []
    status = 200
    if request.method == "POST":
        form = ImportUploadForm(request.POST, request.FILES, max_bytes=max_bytes)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = run(upload)
            if result.ok:
                counts = {"created": result.created, "updated": result.updated}
                counts["unchanged"] = result.unchanged
                messages.success(request, done % {"file": upload.name, **counts})
                return redirect(then)
            errors = result.errors
        status = 400
    else:
        form = ImportUploadForm(max_bytes=max_bytes)
    return render(
        request, page, {"form": form, **problems_context(errors), **(context or {})}, status=status
    )
