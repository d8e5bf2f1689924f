"""The one reader of object histories (django-simple-history), for any model.

A historical row is one version of an object: when, who, the kind ("+" created, "~"
changed, "-" deleted), the change reason and the values of the tracked fields. This
module turns rows into `Version`s with the fields that changed from the version before,
each shown through a display hook (linked objects by a label, choices by their label,
decimals and dates formatted), so that every history page reads its rows the same way
and only says which rows, which fields and how a value looks. It reads nothing itself
but the labels of linked objects: one query per kind of linked object.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Field, Model, QuerySet
from django.utils import formats

KINDS = ("+", "~", "-")

# (model, pk) -> the label shown for a linked object
Labels = dict[tuple[type[Model], object], str]
# (field, value, labels) -> what the page shows for the value
Display = Callable[[Field, object, Labels], object]


@dataclass
class Change:
    field: str
    before: object
    after: object


@dataclass
class Version:
    when: datetime.datetime
    who: object | None
    kind: str  # "+", "~", "-"
    reason: str
    changes: list[Change] = field(default_factory=list)
    row: object = None  # the historical row itself
    previous: object = None  # the version before, None for the first one read


def tracked_fields(model: type[Model], *, only: Sequence[str] = (), hidden=()) -> list[Field]:
    """The history's fields of `model`: those named in `only` in that order, else every
    tracked field but the `hidden` ones."""
    tracked = {f.name: f for f in model.history.model.tracked_fields}
    if only:
        return [tracked[name] for name in only]
    return [f for name, f in tracked.items() if name not in hidden]


def linked_labels(
    rows: Iterable[tuple[object | None, Sequence[Field]]],
    *,
    label: Callable[[Model], str] = str,
    querysets: Mapping[type[Model], QuerySet] | None = None,
) -> Labels:
    """The labels of the objects that the rows' foreign keys among their fields point to
    (rows given with their fields; a missing row is None), one query per kind of linked
    object: {(model, pk): label(object)}. `querysets` reads a kind through its own queryset
    (what its label needs selected with it)."""
    wanted: dict[type[Model], set] = {}
    for row, fields in rows:
        if row is None:
            continue
        for f in fields:
            if f.is_relation and getattr(row, f.attname) is not None:
                wanted.setdefault(f.related_model, set()).add(getattr(row, f.attname))
    labels: Labels = {}
    for model, ids in wanted.items():
        source = (querysets or {}).get(model, model._default_manager.all())
        for obj in source.filter(pk__in=ids):
            labels[(model, obj.pk)] = label(obj)
    return labels


def display(f: Field, value, labels: Labels):
    """The default look of a value: a linked object by its label, a choice by its label,
    a decimal with two places and grouping, a date in the short format; nothing stays
    None."""
    if value is None:
        return None
    if f.is_relation:
        return labels.get((f.related_model, value), value)
    if f.flatchoices:
        return dict(f.flatchoices).get(value, value)
    if isinstance(value, Decimal):
        return formats.number_format(value, decimal_pos=2, force_grouping=True)
    if isinstance(value, datetime.datetime):
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, datetime.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    return value


def _empty(value) -> bool:
    return value is None or value == ""


def version(
    row,
    previous=None,
    *,
    fields: Sequence[Field],
    labels: Labels | None = None,
    show: Display = display,
) -> Version:
    """One version with what changed from `previous`: for the first one (no previous)
    the values it was given, for a deletion the values it took away, else the fields
    whose shown value differs."""
    labels = labels or {}
    changes = []
    for f in fields:
        value = getattr(row, f.attname)
        if row.history_type == "-":
            old, new = value, None
        elif previous is None:
            old, new = None, value
        else:
            old, new = getattr(previous, f.attname), value
        before, after = show(f, old, labels), show(f, new, labels)
        if previous is None or row.history_type == "-":
            if _empty(old) and _empty(new):
                continue
        elif before == after:
            continue
        changes.append(Change(str(f.verbose_name), before, after))
    return Version(
        when=row.history_date,
        who=row.history_user,
        kind=row.history_type,
        reason=row.history_change_reason or "",
        changes=changes,
        row=row,
        previous=previous,
    )


def versions(
    rows: Iterable,
    *,
    fields: Sequence[Field] = (),
    label: Callable[[Model], str] = str,
    show: Display = display,
) -> list[Version]:
    """The versions of one object from its historical rows given oldest first (with
    `history_user` selected), newest first; the labels of linked objects in one query
    per kind."""
    rows = list(rows)
    pairs = list(zip(rows, [None, *rows][: len(rows)], strict=True))
    labels = linked_labels([(row, fields) for row in rows], label=label) if fields else {}
    found = [version(row, prev, fields=fields, labels=labels, show=show) for row, prev in pairs]
    found.reverse()
    return found


# --- writing: who makes the next change, and why -------------------------------------


def audit_as(instance, acting_user, reason: str = "") -> None:
    """Tell simple-history who makes the next change to `instance`, and why.

    Every app's services call this before saving an audited model."""
    if acting_user is not None and getattr(acting_user, "pk", None):
        instance._history_user = acting_user
    if reason:
        instance._change_reason = reason[:100]
