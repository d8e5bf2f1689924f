"""The layout every page extends (templates/base.html)."""

import re

from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse


def test_every_page_names_its_icon_so_the_browser_does_not_ask_for_a_missing_one(client):
    # Without a <link rel="icon"> browsers request /favicon.ico, which answers 404.
    page = client.get(reverse("login")).content.decode()
    icon = re.search(r'<link rel="icon" href="([^"]+)"', page)
    assert icon, "the layout links no icon"
    assert icon.group(1) == static("favicon.svg")
    assert finders.find("favicon.svg"), "static/favicon.svg is missing"
