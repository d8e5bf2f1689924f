"""The salesperson's dashboard on a phone (375 px wide): nothing wider than the
screen, the menu folded behind its button, the chart drawn at the phone's width."""

import pytest
from support import PHONE


@pytest.mark.journey("phone", viewport=PHONE)
def test_phone(journey):
    j, page = journey, journey.page
    j.log_in("wei.zhang")
    j.go("/sales/dashboard/", shot="dashboard")

    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width} px wide on a {PHONE['width']} px screen"
    cards = page.locator("main section.card[aria-labelledby^=h-card-]")
    assert cards.count(), "no metric card"
    for box in (cards.nth(i).bounding_box() for i in range(cards.count())):
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box
    chart = page.locator("main canvas").first.bounding_box()
    assert chart["width"] <= PHONE["width"], f"the chart is {chart['width']} px wide"
    assert chart["height"] >= 200, f"the chart is {chart['height']} px high: not readable"
    switch = page.locator("main [data-chart-switch]").first
    if switch.count():
        box, card = switch.bounding_box(), page.locator("main section:has(canvas)").first
        edge = card.bounding_box()
        assert box["x"] + box["width"] <= edge["x"] + edge["width"] + 1, "metric buttons overflow"

    # The menu is folded behind the toggler, and opens.
    menu = page.locator("#mainnav")
    assert not menu.is_visible(), "the menu is not folded on a phone"
    page.locator("button.navbar-toggler").click()
    menu.locator("a[href='/']").wait_for(state="visible")
    j.screenshot("menu")


@pytest.mark.journey("phone-team", viewport=PHONE)
def test_phone_team(journey):
    """The supervisor's team dashboard on a phone: one figure per member and metric,
    the rest behind a tap on the member's row."""
    j, page = journey, journey.page
    j.log_in("sup.sh")
    j.go("/sales/dashboard/team/", shot="team")
    row = page.locator("#team-table tbody tr").first
    detail = row.locator(".cell-detail").first
    assert not detail.is_visible(), "the member cells are not compact on a phone"
    row.locator(".js-expand-row").click()
    detail.wait_for(state="visible")
    assert row.locator(".js-expand-row").get_attribute("aria-expanded") == "true"
    chart = page.locator("main canvas").first.bounding_box()
    assert chart["height"] >= 200, f"the chart is {chart['height']} px high: not readable"
    j.screenshot("team-expanded")
