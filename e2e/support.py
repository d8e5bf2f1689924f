"""What every journey shares: a browser page that watches for errors, checks the
language and the charts of each page it visits, and takes its screenshots.

A journey is written as a person uses the site: it goes to a page, reads it, fills a
form, presses a button. After each page it calls `check(shot)`, which asserts that

- `<html lang>` is the journey's language;
- in Chinese, no text in the page's body (nor an `aria-label`, `title`, `placeholder`
  or `alt`, nor a label a chart draws) holds English words outside the user data: the
  names, codes and free texts found in the database (see vocabulary.py) or typed by the
  journey, a few tokens that are English in Chinese too (`TOKENS`) and elements that
  declare `lang="en"` (the language switch);
- every chart canvas is drawn: it has a size, a Chart.js instance and coloured pixels;

and saves a full-page screenshot as e2e/screenshots/<journey>-<language>-<shot>.png.
All along, a console error, an uncaught exception, a failed request, a response of
400 or more (except inside `expect_status`), a Content-Security-Policy violation (the
browser's `securitypolicyviolation` event, and Chromium's console message about it) and
a page of the site served without a Content-Security-Policy header are recorded, and
the journey fails at its end with the list.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import Browser, Page, Response

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
PASSWORD = "salesperf-demo"  # every demo login's (org/demo.py)
LANGUAGES = {"en": "en", "zh": "zh-hans"}  # the journey's name for it: <html lang>
DESKTOP = {"width": 1400, "height": 900}  # the README's screenshots are 1400 px wide
PHONE = {"width": 375, "height": 812}

# English that is right in a Chinese page as well: the product's name, acronyms, file
# formats and key names as they are printed on the keyboard.
TOKENS = {"salesperf", "API", "CSV", "XLSX", "Enter"}

# Reports every CSP violation of every page (and frame) to the journey, with the
# directive, what was blocked and where: Chromium's console message names no source
# line for an inline handler, the event does.
_CSP_WATCH_JS = r"""
document.addEventListener("securitypolicyviolation", (e) => {
  window.__salesperfCspViolation({
    directive: e.effectiveDirective || e.violatedDirective,
    blocked: e.blockedURI,
    source: e.sourceFile,
    line: e.lineNumber,
    sample: e.sample,
    disposition: e.disposition,
  });
});
"""
WORD = re.compile(r"[A-Za-z]{3,}")

# Every text node and the attributes people read, of the page's body, with where it is
# and the language the element declares (the nearest `lang`).
_TEXTS_JS = r"""
() => {
  const out = [];
  const skip = new Set(["SCRIPT", "STYLE", "NOSCRIPT", "TEMPLATE"]);
  const where = (el) => {
    const parts = [];
    for (let e = el; e && e !== document.body && parts.length < 4; e = e.parentElement) {
      let part = e.tagName.toLowerCase();
      if (e.id) part += "#" + e.id;
      else if (e.classList.length) part += "." + [...e.classList].slice(0, 2).join(".");
      parts.unshift(part);
    }
    return parts.join(" > ");
  };
  const visit = (el) => {
    if (skip.has(el.tagName)) return;
    const lang = (el.closest("[lang]") || document.documentElement).getAttribute("lang") || "";
    for (const name of ["aria-label", "title", "placeholder", "alt"]) {
      const value = el.getAttribute(name);
      if (value && value.trim()) out.push([value, where(el) + "[" + name + "]", lang]);
    }
    for (const child of el.childNodes) {
      if (child.nodeType === Node.TEXT_NODE) {
        if (child.data.trim()) out.push([child.data, where(el), lang]);
      } else if (child.nodeType === Node.ELEMENT_NODE) {
        visit(child);
      }
    }
  };
  visit(document.body);
  return out;
}
"""

# [id, css width, css height, has a Chart.js instance, has coloured pixels] per canvas.
_CANVASES_JS = r"""
() => [...document.querySelectorAll("canvas")].map((canvas) => {
  const box = canvas.getBoundingClientRect();
  const chart = window.Chart ? window.Chart.getChart(canvas) : undefined;
  let painted = false;
  if (canvas.width && canvas.height) {
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i]) { painted = true; break; } }
  }
  return [canvas.id || "(no id)", Math.round(box.width), Math.round(box.height), !!chart, painted];
})
"""

# The texts a chart draws: its labels and its datasets' names, per canvas.
_CHART_TEXTS_JS = r"""
() => !window.Chart ? [] : [...document.querySelectorAll("canvas")].flatMap((canvas) => {
  const chart = window.Chart.getChart(canvas);
  if (!chart) return [];
  const where = "canvas#" + (canvas.id || "?");
  return [
    ...(chart.data.labels || []).map((label) => [String(label), where + " (label)", ""]),
    ...chart.data.datasets.map((set) => [String(set.label || ""), where + " (dataset)", ""]),
  ];
})
"""

_CHARTS_SETTLED_JS = r"""
() => !window.Chart || [...document.querySelectorAll("canvas")].every((canvas) => {
  const chart = window.Chart.getChart(canvas);
  return chart && !window.Chart.animator.running(chart);
})
"""


def _normal(text: str) -> str:
    return " ".join(text.split())


class Vocabulary:
    """The user data of the demo (and of the journey): texts that may be English in a
    Chinese page."""

    def __init__(self, texts):
        self._texts: list[str] = []
        self.add(*texts)

    def copy(self) -> Vocabulary:
        return Vocabulary(self._texts)

    def add(self, *texts: str) -> None:
        """Texts, and each of their lines (a page breaks a long text into lines)."""
        for text in texts:
            self._texts.extend(t for t in map(_normal, [text, *text.splitlines()]) if t)
        self._texts = sorted(set(self._texts), key=len, reverse=True)
        self._english = [t for t in self._texts if WORD.search(t)]

    def english_outside_data(self, text: str) -> str | None:
        """What is left of `text` that is English and neither data nor a token, or None."""
        rest = _normal(text)
        if not WORD.search(rest):
            return None
        if rest.endswith("…"):  # a data text cut short
            start = rest.removesuffix("…").rstrip()
            if any(t.startswith(start) for t in self._english):
                return None
        for data in self._english:  # data texts within the text, longest first
            if data in rest:
                rest = re.sub(rf"(?<![A-Za-z]){re.escape(data)}(?![A-Za-z])", " ", rest)
                if not WORD.search(rest):
                    return None
        words = [w for w in WORD.findall(rest) if w not in TOKENS]
        return _normal(rest) if words else None


@dataclass
class Problem:
    kind: str
    what: str
    page: str

    def __str__(self) -> str:
        return f"{self.kind}: {self.what}  (on {self.page})"


@dataclass
class Journey:
    """A person's visit to the site, in one language, in its own browser context."""

    name: str  # salesperson, supervisor, ...
    lang: str  # "en" or "zh"
    base_url: str
    browser: Browser
    vocabulary: Vocabulary
    viewport: dict = field(default_factory=lambda: dict(DESKTOP))
    problems: list[Problem] = field(default_factory=list)
    shots: list[Path] = field(default_factory=list)
    _expected: list[tuple[int, list[Response]]] = field(default_factory=list)
    _downloads: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.context = self.browser.new_context(
            viewport=self.viewport,
            locale="en-GB",  # the site's language comes from its switch, not the browser
            timezone_id="Asia/Shanghai",
            accept_downloads=True,
        )
        self.context.set_default_timeout(15_000)
        self.context.set_default_navigation_timeout(30_000)
        self.context.expose_function("__salesperfCspViolation", self._on_csp_violation)
        self.context.add_init_script(_CSP_WATCH_JS)
        self.page: Page = self.context.new_page()
        self.page.on("console", self._on_console)
        try:  # Chromium's own report of an uncaught exception names the file and the line
            cdp = self.context.new_cdp_session(self.page)
            cdp.on("Runtime.exceptionThrown", self._on_exception)
            cdp.send("Runtime.enable")
        except Exception:  # not Chromium: Playwright's report, without the file and line
            self.page.on("pageerror", lambda e: self._problem("uncaught exception", str(e)))
        self.page.on("requestfailed", self._on_request_failed)
        self.page.on("response", self._on_response)

    # --- what goes wrong ---------------------------------------------------------------------

    @property
    def html_lang(self) -> str:
        return LANGUAGES[self.lang]

    @property
    def zh(self) -> bool:
        return self.lang == "zh"

    def _where(self) -> str:
        return self.page.url.removeprefix(self.base_url) or "/"

    def _problem(self, kind: str, what: str) -> None:
        self.problems.append(Problem(kind, what, self._where()))

    def _on_csp_violation(self, event: dict) -> None:
        source = (event.get("source") or "").removeprefix(self.base_url)
        where = f" [{source}:{event.get('line')}]" if source else ""
        sample = f" {event['sample']!r}" if event.get("sample") else ""
        self._problem(
            "CSP violation",
            f"{event.get('directive')} blocked {event.get('blocked') or '?'}{sample}{where}"
            f" ({event.get('disposition')})",
        )

    def _on_console(self, message) -> None:
        if message.type == "error" and "Content Security Policy" in message.text:
            self._problem("CSP violation", f"console: {message.text}")
            return
        if message.type == "error":
            # Chromium also logs a response of 400 or more; an expected one is not a problem.
            status = re.match(r"Failed to load resource: .* status of (\d+)", message.text)
            if status and any(int(status.group(1)) == s for s, _seen in self._expected):
                return
            location = message.location or {}
            url = (location.get("url") or "").removeprefix(self.base_url)
            self._problem("console error", f"{message.text} [{url}:{location.get('lineNumber')}]")

    def _on_exception(self, event: dict) -> None:
        details = event.get("exceptionDetails", {})
        what = (details.get("exception") or {}).get("description") or details.get("text", "")
        url = (details.get("url") or "").removeprefix(self.base_url)
        line = details.get("lineNumber", -1) + 1
        first = what.splitlines()[0] if what else "?"
        self._problem("uncaught exception", f"{first} [{url}:{line}]")

    def _on_request_failed(self, request) -> None:
        if request.url in self._downloads and request.failure == "net::ERR_ABORTED":
            return  # a navigation that became a download ends so
        self._problem("failed request", f"{request.method} {request.url} ({request.failure})")

    def _on_response(self, response: Response) -> None:
        request = response.request
        # django-csp leaves the header off a 404 or 500 in debug mode (Django's technical
        # pages have inline scripts); an unexpected one is an HTTP error below anyway.
        if (
            request.resource_type == "document"
            and response.url.startswith(self.base_url)
            and response.status not in (404, 500)
            and "content-security-policy" not in response.headers
        ):
            self._problem("no CSP header", f"{response.status} for {request.method} {response.url}")
        if response.status < 400:
            return
        for status, seen in self._expected:
            if response.status == status:
                seen.append(response)
                return
        self._problem("HTTP error", f"{response.status} for {request.method} {response.url}")

    @contextlib.contextmanager
    def expect_status(self, status: int):
        """Inside the block a response with `status` is expected (a refused form), and
        must come."""
        seen: list[Response] = []
        self._expected.append((status, seen))
        try:
            yield seen
        finally:
            self._expected.remove((status, seen))
        assert seen, f"expected a {status} response, got none (on {self._where()})"

    def problems_text(self) -> str:
        lines = "\n  ".join(str(p) for p in self.problems)
        return (
            f"{self.name} ({self.lang}): {len(self.problems)} problem(s) in the browser:\n  {lines}"
        )

    def assert_no_problems(self) -> None:
        """Fail with every problem seen during the journey."""
        assert not self.problems, self.problems_text()

    def close(self) -> None:
        self.context.close()

    # --- moving around -----------------------------------------------------------------------

    def url(self, path: str) -> str:
        return self.base_url + path

    def go(self, path: str, shot: str | None = None) -> Page:
        response = self.page.goto(self.url(path))
        assert response is not None and response.ok, f"GET {path}: {response and response.status}"
        self.page.wait_for_load_state("networkidle")
        self.check(shot)
        return self.page

    def click(self, target, shot: str | None = None) -> Page:
        """Press a button or follow a link, and wait for the page it leads to."""
        with self.page.expect_navigation():
            target.click()
        self.page.wait_for_load_state("networkidle")
        self.check(shot)
        return self.page

    def log_in(self, username: str) -> None:
        """Sign in as `username` with the demo password, choosing the journey's language
        with the switch of the sign-in page."""
        self.page.goto(self.url("/accounts/login/"))
        if self.page.locator("html").get_attribute("lang") != self.html_lang:
            switch = self.page.locator(f"button[name=language][value={self.html_lang}]")
            self.click(switch)
        self.check()
        form = self.page.locator("main form")
        form.locator("input[name=username]").fill(username)
        form.locator("input[name=password]").fill(PASSWORD)
        self.click(form.locator("[type=submit]"))
        assert "/accounts/login/" not in self.page.url, f"{username} could not sign in"

    def download(self, link, folder: Path) -> Path:
        """Follow a link to a file and save the file in `folder`."""
        self._downloads.add(self.url(link.get_attribute("href")))
        with self.page.expect_download() as event:
            link.click()
        download = event.value
        assert download.failure() is None, f"the download failed: {download.failure()}"
        path = folder / download.suggested_filename
        download.save_as(path)
        return path

    # --- what every page must be -------------------------------------------------------------

    def check(self, shot: str | None = None) -> None:
        """The page's language, its charts and (with `shot`) its screenshot."""
        self.assert_no_problems()  # the first page with a problem is where the journey stops
        page = self.page
        lang = page.locator("html").get_attribute("lang")
        assert lang == self.html_lang, (
            f"{self._where()}: <html lang={lang!r}>, not {self.html_lang}"
        )
        if self.zh:
            self._check_no_english()
        self._check_charts()
        if shot:
            self.screenshot(shot)

    def _check_no_english(self) -> None:
        found = []
        texts = self.page.evaluate(_TEXTS_JS) + self.page.evaluate(_CHART_TEXTS_JS)
        for text, where, lang in texts:
            if lang.lower().startswith("en"):
                continue  # declared English: the language switch
            rest = self.vocabulary.english_outside_data(text)
            if rest is not None:
                found.append(f"{_normal(text)[:100]!r} in {where}")
        assert not found, (
            f"{self._where()}: the Chinese page shows English outside the user data "
            f"(an untranslated text?):\n  " + "\n  ".join(dict.fromkeys(found))
        )

    def _check_charts(self) -> None:
        canvases = self.page.locator("canvas")
        if not canvases.count():
            return
        with contextlib.suppress(Exception):  # drawn below or not: the assertion says which
            self.page.wait_for_function(_CHARTS_SETTLED_JS, timeout=5_000)
        bad = [
            f"#{cid} ({w}×{h} px, Chart.js instance: {chart}, drawn: {painted})"
            for cid, w, h, chart, painted in self.page.evaluate(_CANVASES_JS)
            if not (w > 0 and h > 0 and chart and painted)
        ]
        assert not bad, f"{self._where()}: chart not rendered: " + ", ".join(bad)

    def screenshot(self, shot: str) -> Path:
        SCREENSHOTS.mkdir(exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{self.lang}-{shot}.png"
        self.page.screenshot(path=path, full_page=True, animations="disabled")
        self.shots.append(path)
        return path

    # --- reading pages -----------------------------------------------------------------------

    def shows(self, text: str) -> bool:
        """Whether the page's main content shows `text`."""
        return self.page.locator("main").get_by_text(text).count() > 0

    def number(self, selector: str) -> Decimal:
        """The number shown in the element (digits with thousands separators)."""
        text = self.page.locator(selector).first.inner_text()
        match = re.search(r"-?[\d,]+(?:\.\d+)?", text)
        assert match, f"{self._where()}: no number in {selector}: {text!r}"
        return Decimal(match.group().replace(",", ""))
