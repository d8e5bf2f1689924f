"""The production shape: the documented production environment passes
`manage.py check --deploy` with zero warnings, and the static files build
that the Dockerfile runs works with the production storage.

Each test runs manage.py in a subprocess, so the settings are read afresh
from that environment (the test process's own settings are the embedded
default or whatever DATABASE_URL/REDIS_URL say).
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parent.parent


def production_env(**overrides: str) -> dict[str, str]:
    """The production environment documented in the README.

    DATABASE_URL and REDIS_URL are kept from the current environment when
    set (CI runs this on PostgreSQL + Redis too); every other DJANGO_*
    variable of the caller is dropped so the result does not depend on it.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_SETTINGS_MODULE="salesperf.settings",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(64),
        DJANGO_ALLOWED_HOSTS="salesperf.example.com",
        DJANGO_CSRF_TRUSTED_ORIGINS="https://salesperf.example.com",
        DJANGO_BEHIND_TLS_PROXY="true",
        PYTHONDONTWRITEBYTECODE="1",
    )
    env.update(overrides)
    return env


def run(args: list[str], env: dict[str, str], timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_check_deploy_has_zero_warnings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], production_env())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "WARNINGS" not in output, output
    assert "ERRORS" not in output, output
    assert "System check identified no issues" in output, output


def test_production_without_secret_key_refuses_to_start():
    env = production_env()
    del env["DJANGO_SECRET_KEY"]
    result = run(["manage.py", "check"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_collectstatic_with_the_production_storage(tmp_path):
    """What the Dockerfile runs: collectstatic with DJANGO_DEBUG=false, i.e.
    WhiteNoise's compressed manifest storage, which fails on a stylesheet or
    script that references a file that is not there."""
    script = (
        "import sys, django\n"
        "django.setup()\n"
        "from django.conf import settings\n"
        "from django.core.management import call_command\n"
        "settings.STATIC_ROOT = sys.argv[1]\n"
        "call_command('collectstatic', '--noinput', verbosity=0)\n"
    )
    result = run(["-c", script, str(tmp_path)], production_env(), timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    manifest = json.loads((tmp_path / "staticfiles.json").read_text())
    paths = manifest["paths"]
    assert "vendor/bootstrap/css/bootstrap.min.css" in paths
    assert (tmp_path / paths["vendor/bootstrap/css/bootstrap.min.css"]).is_file()
    assert (tmp_path / (paths["vendor/bootstrap/css/bootstrap.min.css"] + ".gz")).is_file()


def test_a_log_line_is_printed_once():
    """The dev server's "Watching for file changes" (and any django.* record) goes to
    the root's console handler only, not also to one of Django's own."""
    script = (
        "import django, logging; django.setup(); "
        "logging.getLogger('django.utils.autoreload').info('one line')"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env["DJANGO_SETTINGS_MODULE"] = "salesperf.settings"
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("one line") == 1, done.stderr


def test_the_favicon_is_the_sites_icon_for_pages_that_name_none(client):
    # The admin's pages name no icon, so browsers ask for /favicon.ico.
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith(".svg") and "favicon" in response["Location"]
    assert finders.find("favicon.svg")
