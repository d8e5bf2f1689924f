"""Every figure on the main pages is shown in the reader's format, with a thousands
separator: no run of five or more digits reaches the reader ungrouped (60000000.00
beside 60,000,000.00), in English or in Chinese, for any role.

Identifiers are left out: `<code>` and `<pre>` (codes, CSV examples), attributes
(ids, urls, chart data) and digits glued to letters (employee numbers, external ids)."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from appraisal.models import Appraisal, Cycle
from org.models import User
from sales.models import SalesRecord
from targets.models import Target

UNGROUPED = re.compile(r"(?<![\w.,:/#-])\d{5,}(?:\.\d+)?(?![\w%])")


class VisibleText(HTMLParser):
    """The text a reader sees: no scripts, styles, code, examples or attributes."""

    SKIPPED = {"script", "style", "code", "pre", "template", "noscript", "title"}

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIPPED:
            self.depth += 1

    def handle_endtag(self, tag):
        if tag in self.SKIPPED and self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def ungrouped_numbers(html: str) -> list[str]:
    parser = VisibleText()
    parser.feed(html)
    return UNGROUPED.findall(" ".join(parser.parts))


def pages() -> dict[str, list[str]]:
    cycle = Cycle.objects.order_by("-period__start_date").first()
    calibration = [reverse("appraisal:cycle-calibration", args=[cycle.pk])] if cycle else []
    wei = User.objects.get(username="wei.zhang")
    details = [
        reverse("appraisal:appraisal-detail", args=[a.pk])
        for a in Appraisal.objects.filter(person=wei).order_by("-pk")[:2]
    ]
    details += [
        reverse("targets:detail", args=[t.pk])
        for t in Target.objects.filter(person=wei).order_by("-value")[:1]
    ]
    details += [
        reverse("sales:record-detail", args=[r.pk])
        for r in SalesRecord.objects.filter(credits__person=wei).order_by("-amount")[:1]
    ]
    return {
        "wei.zhang": [
            reverse("home"),
            reverse("sales:dashboard-mine"),
            reverse("targets:mine"),
            reverse("targets:plans"),
            reverse("sales:records"),
            reverse("appraisal:mine"),
            *details,
        ],
        "sup.sh": [
            reverse("sales:dashboard-team"),
            reverse("sales:records"),
            reverse("appraisal:to-rate"),
        ],
        "dept.zhou": [
            reverse("home"),
            reverse("sales:dashboard-org"),
            reverse("targets:workspace"),
            reverse("targets:allocations"),
            reverse("sales:records"),
            reverse("sales:report-sales") + "?by=unit",
            reverse("sales:report-sales") + "?by=month",
            reverse("sales:report-variance"),
            reverse("closing:periods"),
            *calibration,
        ],
        "hr.chen": [reverse("home"), reverse("appraisal-results:list")],
    }


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_no_figure_on_the_main_pages_is_shown_ungrouped(client, language):
    found = {}
    for username, paths in pages().items():
        client.force_login(User.objects.get(username=username))
        client.cookies["django_language"] = language
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (username, path, response.status_code)
            numbers = ungrouped_numbers(response.content.decode())
            if numbers:
                found[(username, path)] = numbers[:5]
    assert not found, f"figures without a thousands separator: {found}"


def test_the_check_finds_an_ungrouped_figure():
    html = (
        '<p data-x="1234567">60,000,000.00 and <b>60000000.00</b> of 230400</p>'
        "<code>E100234</code><script>var x = 99999;</script><p>2026-12-07 S-10023</p>"
    )
    assert ungrouped_numbers(html) == ["60000000.00", "230400"]
