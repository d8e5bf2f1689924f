"""The what-if estimator's page (/rewards/what-if/) and its fragment
(/rewards/what-if/panel/), which htmx swaps in as the amounts are typed and the
salesperson's dashboard loads as a card.

Both take `?person=<id>` (default: the one signed in; see
`rewards.permissions.estimate_person_for_user`), `?period=<id>` (default: the period of
the plan's kind containing today) and `?extra.<metric code>=<amount>`. Without
JavaScript the form's GET renders the page with the result. Bad input answers 400 with
the message naming the field, and today's estimate beside it.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.errors import DomainError
from org.models import Period
from rewards import estimator, permissions

PREFIX = "extra."


def _period(value) -> Period | None:
    if value in (None, ""):
        return None
    try:
        return Period.objects.select_related("fiscal_year").get(pk=value)
    except (Period.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def _context(request) -> tuple[dict, int]:
    person = permissions.estimate_person_for_user(request.user, request.GET.get("person"))
    period = _period(request.GET.get("period"))
    raw = {k[len(PREFIX) :]: v for k, v in request.GET.items() if k.startswith(PREFIX)}
    error = None
    try:
        found = estimator.estimate(person=person, period=period, extra=raw)
    except DomainError as refused:
        error = refused
        found = estimator.estimate(person=person, period=period)
    rows = [
        {
            "row": row,
            "name": f"{PREFIX}{row.key}",
            "value": raw.get(row.key, ""),
            "step_text": estimator.step_text(row) if row.step is not None else "",
            "invalid": error is not None and error.field == f"{PREFIX}{row.key}",
        }
        for row in found.rows
    ]
    context = {
        "e": found,
        "rows": rows,
        "error": error,
        "is_self": person.pk == request.user.pk,
        "person_param": "" if person.pk == request.user.pk else person.pk,
    }
    return context, 400 if error is not None else 200


@login_required
@require_GET
def what_if(request):
    context, status = _context(request)
    return render(request, "rewards/what_if.html", context, status=status)


@login_required
@require_GET
def what_if_panel(request):
    context, status = _context(request)
    return render(request, "rewards/_what_if_panel.html", context, status=status)
