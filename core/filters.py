"""What the lists' filter definitions (django-filter FilterSets) share: the page side.

A list has one FilterSet, used by the API through `core.api.StrictFilterBackend` and by
its page through a selector; a page's form only offers the choices and hands its values
over as the FilterSet's query parameters (`query_params`)."""

from __future__ import annotations

import datetime


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
