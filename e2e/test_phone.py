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

    # The menu is folded behind the toggler, and opens.
    menu = page.locator("#mainnav")
    assert not menu.is_visible(), "the menu is not folded on a phone"
    page.locator("button.navbar-toggler").click()
    menu.locator("a[href='/']").wait_for(state="visible")
    j.screenshot("menu")
