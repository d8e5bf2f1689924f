"""What the lists' filter definitions (django-filter FilterSets) share: the id filter, and
the page side.

A list has one FilterSet, used by the API through `core.api.StrictFilterBackend` and by
its page through a selector; a page's form only offers the choices and hands its values
over as the FilterSet's query parameters (`query_params`)."""

from __future__ import annotations

import datetime

from django import forms
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema_field


def query_params(**values) -> dict[str, str]:
    """A FilterSet's query parameters from a form's values: objects by id, dates as ISO
    dates, booleans as true/false, empty values (None, "") left out."""
    params = {}
    for name, value in values.items():
        if value is None or value == "":
            continue
        if hasattr(value, "pk"):
            value = value.pk
        elif isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, datetime.date):
            value = value.isoformat()
        params[name] = str(value)
    return params


# The largest id a database may hold (SQLite and PostgreSQL's bigint): a larger number
# names nothing, and is refused rather than sent to the database (where it overflows).
MAX_ID = 2**63 - 1


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(filters.NumberFilter):
    """An integer id from 1 (NumberFilter would also take 1.5), documented as such."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(*args, **kwargs)
