"""A real chargedesk server (subprocess, SQLite in a temp dir, free port) and the system Chromium via Playwright.

Chromium is Debian's /usr/bin/chromium, never a downloaded browser. Without it the browser tests skip locally
and fail in CI (env CI set), so that CI cannot pass without having run them.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"
DOCS_SCREENSHOTS = Path(__file__).parents[2] / "docs" / "screenshots"
ADMIN_EMAIL = "admin@e2e.example"
VIEWER_EMAIL = "viewer@e2e.example"
PASSWORD = "e2e password 1234"
ORGANIZATION = "E2E Operator"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cli(*args: str, stdin: str | None = None, env: dict[str, str]) -> str:
    """Run `chargedesk …` and return what it printed."""
    command = [sys.executable, "-m", "chargedesk.cli", *args]
    return subprocess.run(command, input=stdin, text=True, check=True, env=env, capture_output=True).stdout


@pytest.fixture(scope="package")
def server_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """The e2e server's environment: its SQLite database in a temp dir (CHARGEDESK_E2E_DIR), short OCPP timeouts."""
    workdir = tmp_path_factory.mktemp("e2e")
    return {
        **os.environ,
        "CHARGEDESK_E2E_DIR": str(workdir),
        "CHARGEDESK_DATABASE_URL": f"sqlite+aiosqlite:///{workdir / 'e2e.db'}",
        "CHARGEDESK_SECRET_KEY": "e2e-secret",
        "CHARGEDESK_OCPP_CALL_TIMEOUT": "5",
    }


@pytest.fixture(scope="package")
def server(server_env: dict[str, str]) -> Iterator[str]:
    """The base URL of a running `chargedesk serve`, with an admin and a viewer created by `chargedesk user create`."""
    env = server_env
    workdir = Path(env["CHARGEDESK_E2E_DIR"])
    port = _free_port()
    for email, role in ((ADMIN_EMAIL, "admin"), (VIEWER_EMAIL, "viewer")):
        cli("user", "create", "--email", email, "--organization", ORGANIZATION, "--role", role, "--password-stdin",
             stdin=PASSWORD + "\n", env=env)  # fmt: skip
    log = (workdir / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "chargedesk.cli", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server did not start: {(workdir / 'server.log').read_text()[-2000:]}")
        time.sleep(0.2)
    yield base
    process.terminate()
    process.wait(10)
    log.close()


@pytest.fixture(scope="package")
def api(server: str, server_env: dict[str, str]) -> Iterator[httpx.Client]:
    """The e2e server's API with an admin key of the e2e organisation (`chargedesk api-key create`), for seeding."""
    out = cli("api-key", "create", "--organization", ORGANIZATION, "--role", "admin", env=server_env)
    key = out.strip().splitlines()[-1]
    with httpx.Client(base_url=f"{server}/api/v1", headers={"Authorization": f"Bearer {key}"}, timeout=30) as client:
        yield client


@pytest.fixture(scope="package")
def browser() -> Iterator[object]:
    # Package scope: Playwright's sync API keeps an event loop running in this thread while it is open, and the
    # async tests after this package need the thread's loop to themselves.
    if not Path(CHROMIUM).exists():
        message = f"{CHROMIUM} is missing: apt-get install chromium"
        if os.environ.get("CI"):
            pytest.fail(message + " (CI must run the browser tests)")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def _page(browser, server: str, width: int, height: int) -> Iterator[object]:
    context = browser.new_context(viewport={"width": width, "height": height}, base_url=server)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def page(browser, server: str) -> Iterator[object]:
    yield from _page(browser, server, 1280, 860)


@pytest.fixture
def phone(browser, server: str) -> Iterator[object]:
    yield from _page(browser, server, 390, 844)


def shot(page, name: str, docs: bool = False) -> None:
    """Save a screenshot under tests/e2e/screenshots/; with UPDATE_DOCS_SCREENSHOTS=1 also the README's copy."""
    SCREENSHOTS.mkdir(exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    if docs and os.environ.get("UPDATE_DOCS_SCREENSHOTS"):
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, DOCS_SCREENSHOTS / path.name)


def log_in(page, email: str = ADMIN_EMAIL, password: str = PASSWORD) -> None:
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/")
