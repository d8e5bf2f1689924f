"""Copy the journeys' screenshots that the README shows into docs/screenshots/
(`make screenshots` runs the journeys first).

    python e2e/screenshots.py          # after `make e2e`
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "e2e" / "screenshots"
DOCS = ROOT / "docs" / "screenshots"

# The README's image: the journey's screenshot (<journey>-<language>-<shot>.png).
README = {
    "workspace-en.png": "department-en-workspace-drafts.png",
    "my-targets-zh.png": "salesperson-zh-my-targets.png",
    "sales-dashboard-mine-en.png": "salesperson-en-dashboard.png",
    "sales-dashboard-phone-zh.png": "phone-zh-dashboard.png",
    "sales-team-phone-en.png": "phone-team-en-team-expanded.png",
    "sales-team-zh.png": "supervisor-zh-team-dashboard.png",
    "sales-organisation-en.png": "department-en-organisation-dashboard.png",
    "appraisal-how-i-am-appraised-en.png": "salesperson-en-how-i-am-appraised.png",
    "sales-log-a-sale-en.png": "salesperson-en-log-a-sale.png",
    "home-supervisor-en.png": "supervisor-en-home.png",
    "organisation-en.png": "supervisor-en-organisation.png",
    "appraisal-rating-en.png": "supervisor-en-rating-refused.png",
    "appraisal-calibration-zh.png": "department-zh-calibration.png",
    "appraisal-result-explained-en.png": "department-en-result-explained.png",
    "closing-periods-en.png": "department-en-periods.png",
    "closing-run-zh.png": "department-zh-close-run.png",
}


def main() -> int:
    missing = [shot for shot in README.values() if not (SHOTS / shot).exists()]
    if missing:
        print(
            f"missing in {SHOTS.relative_to(ROOT)}/ (run make e2e first): " + ", ".join(missing),
            file=sys.stderr,
        )
        return 1
    DOCS.mkdir(parents=True, exist_ok=True)
    for name, shot in README.items():
        shutil.copyfile(SHOTS / shot, DOCS / name)
        print(f"docs/screenshots/{name} <- e2e/screenshots/{shot}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
