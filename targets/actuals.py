"""Last year's actuals, used by the 'last year's shape' seasonality and the
'last year's share' allocation.

Targets must not depend on the sales app (sales depends on targets), so the
sales app provides the numbers through a function named in the
TARGETS_ACTUALS_PROVIDER setting:

    provider(*, metric, start, end, owners) -> {owner_key: [12 monthly Decimals]}

where an owner key is ("unit", id) or ("person", id) and the months run from
`start`. Without a provider there are no actuals, and the methods that need
them say so.
"""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.conf import settings
from django.utils.module_loading import import_string


def monthly_actuals(
    *, metric, start: datetime.date, end: datetime.date, owners: list[tuple[str, int]]
) -> dict[tuple[str, int], list[Decimal]]:
    path = settings.TARGETS_ACTUALS_PROVIDER
    if not path or not owners:
        return {}
    provider = import_string(path)
    return provider(metric=metric, start=start, end=end, owners=owners)
