"""Reads of the audit trail (django-simple-history) for the history page.

Every change to people, roles, units, memberships, fiscal years and periods is
a historical row with the acting user, the time and a change reason. This
module picks the rows (of every audited model, newest first, a page at a time)
and reads them with the one history reader (`core.history`), in a fixed number of
queries: two per audited model plus one per kind of linked object.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import history
from core.history import Change
from org.models import FiscalYear, Membership, OrgUnit, Period, RoleAssignment, User

AUDITED = {
    "user": (User, _("person")),
    "role": (RoleAssignment, _("role assignment")),
    "unit": (OrgUnit, _("organisation unit")),
    "membership": (Membership, _("membership")),
    "fiscal_year": (FiscalYear, _("fiscal year")),
    "period": (Period, _("period")),
}

HIDDEN_FIELDS = {"id", "path", "depth", "granted_at"}

ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass
class AuditEntry:
    when: datetime.datetime
    actor: User | None
    model_key: str
    model_label: str
    object_id: int
    object_label: str
    action: str
    action_label: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _tracked_fields(model):
    return history.tracked_fields(model, hidden=HIDDEN_FIELDS)


def _label(obj) -> str:
    if isinstance(obj, User):
        return obj.username
    if isinstance(obj, OrgUnit):
        return obj.code
    if isinstance(obj, Period):
        return obj.label  # read with its fiscal year (LINKED_QUERYSETS)
    return str(obj)


def _display(f, value, labels) -> str:
    if value is None or value == "":
        return ""
    if f.is_relation:
        return labels.get((f.related_model, value), f"#{value}")
    if f.flatchoices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


def _object_label(model_key: str, row, labels) -> str:
    if model_key == "user":
        return row.username
    if model_key == "role":
        return labels.get((User, row.user_id), f"#{row.user_id}")
    if model_key == "unit":
        return f"{row.code} · {row.name}"
    if model_key == "membership":
        return (
            f"{labels.get((User, row.user_id), row.user_id)} @ "
            f"{labels.get((OrgUnit, row.unit_id), row.unit_id)}"
        )
    if model_key == "fiscal_year":
        return row.name
    if model_key == "period":
        year = labels.get((FiscalYear, row.fiscal_year_id), "")
        return Period.label_of(row.kind, row.number, row.start_date, year)
    return str(row.pk)


def audit_entries(
    *,
    model_key: str = "",
    object_id: int | None = None,
    before: datetime.datetime | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """The newest `limit` changes (older than `before`), newest first."""
    keys = [model_key] if model_key in AUDITED else list(AUDITED)
    rows: list[tuple[str, object, object | None]] = []
    for key in keys:
        model = AUDITED[key][0]
        hist = model.history.model
        previous = hist.objects.filter(
            id=OuterRef("id"), history_date__lt=OuterRef("history_date")
        ).order_by("-history_date", "-history_id")
        qs = hist.objects.select_related("history_user").annotate(
            prev_history_id=Subquery(previous.values("history_id")[:1])
        )
        if object_id is not None and model_key:
            qs = qs.filter(id=object_id)
        if before is not None:
            qs = qs.filter(history_date__lt=before)
        page = list(qs.order_by("-history_date", "-history_id")[:limit])
        prev_ids = [r.prev_history_id for r in page if r.prev_history_id]
        prev_rows = {r.history_id: r for r in hist.objects.filter(history_id__in=prev_ids)}
        rows.extend((key, r, prev_rows.get(r.prev_history_id)) for r in page)

    rows.sort(key=lambda item: item[1].history_date, reverse=True)
    rows = rows[:limit]

    # Names for the linked objects, one query per kind.
    labels = history.linked_labels(
        [(r, _tracked_fields(AUDITED[key][0])) for key, row, prev in rows for r in (row, prev)],
        label=_label,
        querysets={Period: Period.objects.select_related("fiscal_year")},
    )

    entries = []
    for key, row, prev in rows:
        model, model_label = AUDITED[key]
        read = history.version(
            row, prev, fields=_tracked_fields(model), labels=labels, show=_display
        )
        entries.append(
            AuditEntry(
                when=read.when,
                actor=read.who,
                model_key=key,
                model_label=str(model_label),
                object_id=row.id,
                object_label=_object_label(key, row, labels),
                action=read.kind,
                action_label=str(ACTIONS.get(read.kind, read.kind)),
                reason=read.reason,
                changes=read.changes,
            )
        )
    return entries
