"""HR's journey (hr.chen): the finalised appraisal results, exported as XLSX and read
back: the header row in the journey's language, and the same rows as the page."""

from decimal import Decimal

import openpyxl
import pytest

HEADERS_EN = [
    "Username",
    "Name",
    "Team",
    "Team code",
    "Period",
    "Template",
    "Template code",
    "Template version",
    "Result version",
    "Final score",
    "Grade",
    "Status",
    "Released at",
    "Acknowledged at",
    "Appealed at",
    "Resolution",
    "Recorded at",
    "Reason for this version",
]
SHEET = {"en": "Appraisal results", "zh": "考核结果"}
DIMENSIONS_SHEET = {"en": "Dimensions", "zh": "维度明细"}


@pytest.mark.journey("hr")
def test_hr(journey, lang, tmp_path):
    j, page = journey, journey.page
    j.log_in("hr.chen")
    j.check("home")
    j.go("/appraisal/results/", shot="results")

    # What the page lists: (username, score, grade, result version) per result.
    shown = set()
    for row in page.locator("main table tbody tr:has(th a)").all():
        username = row.locator("th span.small").inner_text().strip()
        score = Decimal(row.locator("td.text-end").inner_text().strip())
        grade = row.locator("td .badge").inner_text().strip()
        version = int(row.locator("td").nth(5).inner_text().strip().removeprefix("v"))
        shown.add((username, score, grade, version))
    assert shown, "the page lists no result"

    path = j.download(page.locator("main a[href*='format=xlsx']"), tmp_path)
    assert path.suffix == ".xlsx", path.name

    workbook = openpyxl.load_workbook(path, read_only=True)
    sheet = workbook.active
    assert sheet.title == SHEET[lang]
    rows = list(sheet.iter_rows(values_only=True))
    headers, data = list(rows[0]), rows[1:]
    assert len(headers) == len(HEADERS_EN), headers
    if lang == "en":
        assert headers == HEADERS_EN
    else:
        english = [h for h in headers if j.vocabulary.english_outside_data(h)]
        assert not english, f"headers in English in the Chinese file: {english}"
    column = {name: i for i, name in enumerate(HEADERS_EN)}
    exported = {
        (
            row[column["Username"]],
            Decimal(str(row[column["Final score"]])).quantize(Decimal("0.01")),
            row[column["Grade"]],
            int(row[column["Result version"]]),
        )
        for row in data
    }
    assert exported == shown, f"file: {sorted(exported)}\npage: {sorted(shown)}"
    released = [row for row in data if row[column["Released at"]] is not None]
    assert released, "no released result in the file"
    assert all(row[column["Name"]] for row in data), "a row without the person's name"
    assert all(row[column["Template"]] != row[column["Template code"]] for row in data), (
        "the template column shows the code, not the name"
    )

    # The second sheet: a row per result and dimension whose contributions add up to
    # the result's score.
    assert workbook.sheetnames == [SHEET[lang], DIMENSIONS_SHEET[lang]]
    lines = list(workbook[DIMENSIONS_SHEET[lang]].iter_rows(values_only=True))[1:]
    totals = {}
    for line in lines:
        key = (line[0], int(line[5]))
        totals[key] = totals.get(key, Decimal(0)) + Decimal(str(line[15] or 0))
    scores = {(u, v): s for (u, s, _g, v) in exported}
    assert set(totals) == set(scores), "results without dimensions, or the other way"
    for key, total in totals.items():
        assert abs(total - scores[key]) <= Decimal("0.05"), (key, total, scores[key])
