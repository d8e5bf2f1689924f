"""HTML pages of the organisation and the fiscal calendar. Thin: access through
`permissions`, reads through `selectors`, writes through `services`."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.imports import ImportIssue, problems_context
from core.permissions import require
from core.spreadsheets import XLSX_CONTENT_TYPE
from core.uploads import human_size
from core.views import CSV_CONTENT_TYPE, attachment, perform, submit
from org import audit, imports, permissions, selectors, services
from org.forms import (
    AuditFilterForm,
    FiscalYearForm,
    MembershipEndForm,
    MembershipForm,
    OrgImportForm,
    PeopleFilterForm,
)


@login_required
def home(request):
    summary = selectors.home_summary(user=request.user)
    return render(request, "org/home.html", {"summary": summary, "panels": _home_panels(request)})


def _home_panels(request) -> list[tuple[str, dict]]:
    """Cards that later apps add to the home page (HOME_PANELS: functions taking the
    request and returning (template name, context) or None), so org depends on none."""
    panels = []
    for path in settings.HOME_PANELS:
        panel = import_string(path)(request)
        if panel is not None:
            panels.append(panel)
    return panels


@login_required
def org_tree(request):
    return render(request, "org/tree.html", {"roots": selectors.org_tree(user=request.user)})


@login_required
def unit_detail(request, pk):
    unit = permissions.unit_for_user(request.user, pk)
    detail = selectors.unit_detail(user=request.user, unit=unit)
    return render(request, "org/unit_detail.html", {"detail": detail, "unit": unit})


@login_required
def people_list(request):
    units = permissions.visible_units(request.user).order_by("path")
    form = PeopleFilterForm(request.GET or None, units=units)
    people = selectors.people_list(user=request.user, params=form.filter_params())
    page = Paginator(people, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "org/people_list.html",
        {"form": form, "page": page, "query": query.urlencode()},
    )


@login_required
def person_detail(request, pk):
    person = permissions.person_for_user(request.user, pk)
    detail = selectors.person_detail(person=person)
    can_manage = permissions.can_manage_organisation(request.user)
    return render(
        request,
        "org/person_detail.html",
        {
            "detail": detail,
            "person": person,
            "can_manage": can_manage,
            "membership_form": MembershipForm() if can_manage else None,
        },
    )


@login_required
@require_POST
def person_add_membership(request, pk):
    person = permissions.person_for_user(request.user, pk)
    require(permissions.can_manage_organisation(request.user))
    form = MembershipForm(request.POST)
    if submit(
        form,
        lambda: services.membership_create(
            user=person, acting_user=request.user, **form.cleaned_data
        ),
    ):
        messages.success(request, _("The membership was added."))
        return redirect("person-detail", pk=person.pk)
    detail = selectors.person_detail(person=person)
    return render(
        request,
        "org/person_detail.html",
        {"detail": detail, "person": person, "can_manage": True, "membership_form": form},
        status=400,
    )


@login_required
@require_POST
def membership_end(request, pk):
    membership = permissions.membership_for_user(request.user, pk)
    require(permissions.can_manage_organisation(request.user))
    form = MembershipEndForm(request.POST)
    if form.is_valid():
        if perform(
            request,
            lambda: services.membership_end(
                membership=membership,
                end_date=form.cleaned_data["end_date"],
                acting_user=request.user,
            ),
        ):
            messages.success(request, _("The membership was ended."))
    else:
        messages.error(request, _("Enter a valid end date."))
    return redirect("person-detail", pk=membership.user_id)


@login_required
@require_http_methods(["GET", "POST"])
def periods(request):
    can_manage = permissions.can_manage_periods(request.user)
    form = (
        FiscalYearForm(request.POST or None, suggested=selectors.next_fiscal_year_start())
        if can_manage
        else None
    )
    if request.method == "POST":
        require(can_manage)
        done = submit(
            form, lambda: services.fiscal_year_create(acting_user=request.user, **form.cleaned_data)
        )
        if done:
            messages.success(
                request, _("Fiscal year %(name)s was created.") % {"name": done.value.name}
            )
            return redirect("periods")
    return render(
        request,
        "org/periods.html",
        {
            "years": selectors.fiscal_years_with_periods(),
            "form": form,
            "can_manage": can_manage,
            # A later app (the period close) may offer its own buttons for a period.
            "period_buttons": settings.PERIOD_BUTTONS_TEMPLATE,
            "today": timezone.localdate(),
        },
        status=400 if form is not None and form.errors else 200,
    )


@login_required
def audit_log(request):
    require(permissions.can_read_audit_trail(request.user))
    form = AuditFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    entries = audit.audit_entries(
        model_key=filters.get("model") or "",
        object_id=filters.get("object"),
        before=filters.get("before"),
    )
    next_query = None
    if len(entries) == 50:
        query = request.GET.copy()
        query["before"] = entries[-1].when.isoformat()
        next_query = query.urlencode()
    return render(
        request,
        "org/audit_log.html",
        {"form": form, "entries": entries, "next_query": next_query},
    )


# --- the organisation import and its template files (department and administrators) ---


def _summary(filename: str, counts: dict[str, dict[str, int]]) -> str:
    parts = [
        _("%(kind)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged")
        % {"kind": imports.KIND_LABELS[kind], **counts[kind]}
        for kind in imports.KINDS
        if kind in counts
    ]
    return _("Imported %(file)s. %(counts)s.") % {"file": filename, "counts": "; ".join(parts)}


@login_required
@require_http_methods(["GET", "POST"])
def org_import(request):
    require(permissions.can_manage_organisation(request.user))
    errors: list[ImportIssue] = []
    if request.method == "POST":
        form = OrgImportForm(request.POST, request.FILES, max_bytes=settings.ORG_IMPORT_MAX_BYTES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            result = imports.import_organisation(
                upload,
                filename=upload.name,
                kind=form.cleaned_data["kind"] or None,
                acting_user=request.user,
            )
            if result.ok:
                messages.success(request, _summary(upload.name, result.counts))
                return redirect("org-import")
            errors = result.errors
    else:
        form = OrgImportForm(max_bytes=settings.ORG_IMPORT_MAX_BYTES)
    context = {
        "form": form,
        **problems_context(errors, sheets=True),
        "tables": [
            {"kind": kind, "label": imports.KIND_LABELS[kind], "columns": imports.COLUMNS[kind]}
            for kind in imports.KINDS
        ],
        "max_size": human_size(settings.ORG_IMPORT_MAX_BYTES),
    }
    return render(request, "org/import.html", context)


@login_required
@require_GET
def org_import_template(request, kind: str):
    """A CSV file with the header row of one kind of table."""
    require(permissions.can_manage_organisation(request.user))
    if kind not in imports.KINDS:
        raise Http404
    return attachment(imports.template_csv(kind), f"{kind}.csv", CSV_CONTENT_TYPE)


@login_required
@require_GET
def org_import_template_xlsx(request):
    """A workbook with one sheet per kind of table, each with its header row."""
    require(permissions.can_manage_organisation(request.user))
    return attachment(imports.template_xlsx(), "organisation-import.xlsx", XLSX_CONTENT_TYPE)
