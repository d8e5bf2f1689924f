"""Fixtures of the browser journeys (`make e2e`; see e2e/pytest.ini).

- `demo_template`: the demo seeded ONCE per run into a template SQLite file (migrate,
  then `seed_demo --quiet`); with pytest-xdist the first worker seeds it under a lock
  and the others wait for it. `E2E_DEMO_TEMPLATE=path` keeps it between runs (seeded
  when the file is missing; delete it after a model or demo change, and on another
  day: the demo is seeded as of its day).
  `E2E_TODAY=YYYY-MM-DD` seeds it, and runs the sites, as of that day (the clock moved
  by time-machine) to try the journeys on an awkward day; by default the real day.
- `site`: for each journey, a copy of the template and its own server on a free port
  (`manage.py runserver --noreload`, the embedded default as `make run` has it:
  debug, SQLite, tasks in-process, static files from WhiteNoise), so every journey
  starts from the same demo whatever the others did.
- `browser`: Debian's Chromium (/usr/bin/chromium, or E2E_CHROMIUM) driven by
  Playwright; `playwright install` is never needed.
- `journey`: a `support.Journey` in the test's language (`lang` is "en" or "zh"),
  failing at the end on any browser problem it saw.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from support import SCREENSHOTS, Journey, Vocabulary

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# Headless, and quiet: without the background services Chromium makes no connection
# of its own (this machine's network refuses them).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--no-default-browser-check",
    "--hide-scrollbars",
    "--font-render-hinting=none",
]
SERVER_START_SECONDS = 60


def pytest_configure(config):
    config.addinivalue_line("markers", "journey(name): a journey of one role")


def pytest_sessionstart(session):
    if not hasattr(session.config, "workerinput") and SCREENSHOTS.exists():
        for old in SCREENSHOTS.glob("*.png"):  # the run's screenshots, and only them
            old.unlink()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """A journey that ran to its end fails, as a test, on what its browser saw."""
    result = yield
    journey = item.funcargs.get("journey")
    if journey is not None:
        journey.assert_no_problems()
    return result


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.journey_failed = report.failed
    return report


def _env(sqlite_path: Path) -> dict[str, str]:
    """The embedded default (as `make run`): no DATABASE_URL, no REDIS_URL."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(SQLITE_PATH=str(sqlite_path), PYTHONUNBUFFERED="1", DJANGO_DEBUG="true")
    return env


def _clock_args() -> list[str]:
    today = os.environ.get("E2E_TODAY", "").strip()
    return ["--today", today] if today else []


def _seed(path: Path) -> None:
    started = time.monotonic()
    env = _env(path)
    manage = [PYTHON, str(ROOT / "manage.py")]
    for args in (["migrate", "--noinput"], ["seed_demo", "--quiet", *_clock_args()]):
        done = subprocess.run(
            [*manage, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
        )
        if done.returncode:
            command = " ".join(args)
            pytest.exit(
                f"seeding the demo failed: manage.py {command}\n{done.stdout}\n{done.stderr}",
                returncode=1,
            )
    words = subprocess.run(
        [PYTHON, str(ROOT / "e2e" / "vocabulary.py")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    path.with_suffix(".json").write_text(words, encoding="utf-8")
    print(f"\ndemo seeded in {time.monotonic() - started:.0f} s: {path}", file=sys.stderr)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory, worker_id) -> Path:
    """The seeded demo, shared by every journey (and every xdist worker) of the run."""
    given = os.environ.get("E2E_DEMO_TEMPLATE", "").strip()
    if given:  # kept between runs (seeded when missing): a quicker start while writing journeys
        path = Path(given).resolve()
        root = path.parent
        root.mkdir(parents=True, exist_ok=True)
    else:
        root = tmp_path_factory.getbasetemp()
        if worker_id != "master":
            root = root.parent  # shared by the workers of this run
        path = root / "demo-template.sqlite3"
    with open(root / "demo-template.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not path.with_suffix(".json").exists():
                _seed(path)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return path


@pytest.fixture(scope="session")
def vocabulary(demo_template) -> Vocabulary:
    return Vocabulary(json.loads(demo_template.with_suffix(".json").read_text(encoding="utf-8")))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


class Site:
    """One server on its own copy of the demo."""

    def __init__(self, template: Path, folder: Path):
        self.db = folder / "site.sqlite3"
        shutil.copyfile(template, self.db)
        self.port = _free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = folder / "server.log"
        command = [str(ROOT / "e2e" / "serve.py"), *_clock_args(), f"127.0.0.1:{self.port}"]
        with open(self.log, "w") as out:
            self.process = subprocess.Popen(
                [PYTHON, *command],
                cwd=ROOT,
                env=_env(self.db),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _answers(self.base_url + "/accounts/login/"):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"the server did not start on {self.base_url}:\n{self.log_tail()}")
            time.sleep(0.2)

    def log_tail(self, lines: int = 60) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        return "(no log)"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@pytest.fixture
def site(demo_template, tmp_path):
    site = Site(demo_template, tmp_path)
    yield site
    site.stop()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.exit(
            f"{CHROMIUM} is missing: install Debian's Chromium (apt-get install -y chromium); "
            "the journeys never download a browser",
            returncode=1,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=["en", "zh"])
def lang(request) -> str:
    return request.param


@pytest.fixture
def journey(request, site, browser, vocabulary, lang):
    marker = request.node.get_closest_marker("journey")
    name = marker.args[0] if marker else request.node.name
    viewport = marker.kwargs.get("viewport") if marker else None
    journey = Journey(
        name=name,
        lang=lang,
        base_url=site.base_url,
        browser=browser,
        vocabulary=vocabulary.copy(),
        **({"viewport": viewport} if viewport else {}),
    )
    yield journey
    if getattr(request.node, "journey_failed", False):
        with contextlib.suppress(Exception):
            journey.screenshot("failure")
        if journey.problems:
            print(journey.problems_text(), file=sys.stderr)
        print(f"\n--- server log ({site.base_url}) ---\n{site.log_tail()}", file=sys.stderr)
    journey.close()
