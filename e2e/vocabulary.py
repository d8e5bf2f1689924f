"""Print, as JSON, the demo's own words: every text that people typed (or the demo
wrote for them) into the database given by SQLITE_PATH.

The journeys' language check uses it to tell user data from interface text: in the
Chinese pages, English is allowed only where it is such data (a customer's name, a
report's text, a supervisor's comment). A field that has a Chinese twin (`name` beside
`name_zh`) is left out on purpose: the Chinese page must show the twin.

Run by e2e/conftest.py as `python e2e/vocabulary.py` with the settings of the site.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesperf.settings")

# model label: the fields whose values are data, shown as typed in any language
DATA_FIELDS = {
    "org.User": ["username", "first_name", "last_name", "email", "employee_no"],
    "org.OrgUnit": ["code"],
    "org.FiscalYear": ["name"],
    "targets.Metric": ["code", "description"],
    "targets.SeasonalityProfile": ["name"],
    "targets.Target": ["allocation_comment"],
    "targets.Adjustment": ["reason", "decision_note"],
    "targets.SalesPlanVersion": ["key_accounts", "actions", "resources", "review_comment"],
    "sales.Customer": ["name", "industry", "region", "external_id", "notes"],
    "sales.Contact": ["name", "title", "phone", "email"],
    "sales.FollowUp": ["need", "next_action"],
    "sales.SalesRecord": ["product", "category", "external_id"],
    "sales.ProgressReport": [
        "progress",
        "customer_feedback",
        "problems",
        "help_needed",
        "supervisor_comment",
    ],
    "sales.SatisfactionResponse": ["comment", "external_id"],
    "appraisal.AppraisalTemplate": ["code", "description"],
    "appraisal.Appraisal": ["appeal_reason", "resolution_reason"],
    "appraisal.DimensionScore": ["self_comment", "comment"],
    "appraisal.PeerRating": ["comment"],
    "appraisal.Adjustment": ["reason"],
    "appraisal.AppraisalResult": ["reason"],
    "closing.CloseRun": ["error"],
    "closing.CloseStep": ["error"],
    "closing.Reopening": ["reason"],
}


def main() -> None:
    import django

    django.setup()
    from django.apps import apps

    words: set[str] = set()
    for label, fields in DATA_FIELDS.items():
        model = apps.get_model(label)
        for row in model.objects.values_list(*fields):
            words.update(value.strip() for value in row if isinstance(value, str) and value.strip())
    json.dump(sorted(words), sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
