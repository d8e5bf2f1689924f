"""The organisation import page and its template files (department and administrators)."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from core.forms import ImportUploadForm
from core.imports import ImportIssue, problems_context
from core.permissions import require
from core.spreadsheets import XLSX_CONTENT_TYPE
from core.uploads import human_size
from org import imports, permissions


class OrgImportForm(ImportUploadForm):
    """The file, and what a CSV file (or a workbook's single sheet) holds."""

    kind = forms.ChoiceField(
        label=gettext_lazy("The file contains"),
        choices=[
            ("", gettext_lazy("(workbook: taken from the sheet names)")),
            *imports.KIND_CHOICES,
        ],
        required=False,
        help_text=gettext_lazy(
            "Needed for a CSV file, and for a workbook with a single sheet that is not named "
            "units, users or memberships."
        ),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(
            *args, help_text=gettext_lazy("A CSV file (UTF-8) or an XLSX workbook."), **kwargs
        )


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
        form = OrgImportForm(request.POST, request.FILES)
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
        form = OrgImportForm()
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
    response = HttpResponse(imports.template_csv(kind), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{kind}.csv"'
    return response


@login_required
@require_GET
def org_import_template_xlsx(request):
    """A workbook with one sheet per kind of table, each with its header row."""
    require(permissions.can_manage_organisation(request.user))
    response = HttpResponse(imports.template_xlsx(), content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = 'attachment; filename="organisation-import.xlsx"'
    return response
