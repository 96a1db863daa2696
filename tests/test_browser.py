"""A real browser on the running app: headless Chromium opens every page the app declares.

The app (``streamlit run dashboards/app.py``) serves the built 200-customer company
(``small_home``) on 127.0.0.1 at a free port. Playwright drives Debian's Chromium
(``/usr/bin/chromium``, installed by ``bootstrap.py test`` when missing; Playwright's own browser
download is never used). The pages are the nav links the running app shows, so a page added to
``st.navigation`` is covered without touching this test; their number is held to the ``st.Page``
calls in ``dashboards/app.py``. Each page must finish its script run with content, no
``stException``, no error text and no JavaScript error, and is saved as a full-page screenshot in
the test's tmp dir.

To refresh the screenshots in the docs (the lead commits them once the pages are final)::

    REVSTACK_SCREENSHOTS=docs/screenshots .venv/bin/pytest tests/test_browser.py

writes ``docs/screenshots/<page>.png`` (``overview.png``, ``data-health.png``, …).
"""

from __future__ import annotations

import ast
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urljoin

import pytest

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "dashboards" / "app.py"
CHROMIUM = Path("/usr/bin/chromium")
# Without the background-networking flags Chromium keeps calling home on a closed network.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
NAV_LINKS = '[data-testid="stSidebarNavLink"], [data-testid="stTopNavLink"]'
# What a Python error looks like when a page prints it instead of raising it.
ERROR_TEXT = re.compile(
    r"Traceback \(most recent call last\)|\b(?:Error|Exception|[A-Z]\w*(?:Error|Exception)): "
)
VIEWPORT = {"width": 1400, "height": 900}
TIMEOUT_MS = 60_000  # generous: the machine is shared; nothing here asserts a duration

# Skipped by a bare `pytest` on a machine without the browser; never in CI, where
# `bootstrap.py test` has installed it (a missing browser there is a failure, not a skip).
pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists() and not os.environ.get("CI"),
    reason=f"{CHROMIUM} is missing: `python3 bootstrap.py test` installs Debian's chromium",
)


def declared_pages(app: Path = APP) -> list[str]:
    """The first argument (page file or callable name) of every ``st.Page(...)`` in the router."""
    pages = []
    for node in ast.walk(ast.parse(app.read_text())):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "Page"
            and node.args
        ):
            first = node.args[0]
            pages.append(first.value if isinstance(first, ast.Constant) else ast.unparse(first))
    return pages


def slug(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-") or "page"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"streamlit exited {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer on {url} in {timeout:.0f} s:\n{log.read_text()[-4000:]}")


@pytest.fixture
def app_url(small_home: Path, tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``streamlit run dashboards/app.py`` on 127.0.0.1:<free port> over the built small company;
    yields its URL and its log file; stopped (its whole process group) afterwards."""
    port = _free_port()
    log = tmp_path / "streamlit.log"
    env = dict(os.environ, REVSTACK_HOME=str(small_home))
    for name in ("REVSTACK_WAREHOUSE", "DAGSTER_HOME"):
        env.pop(name, None)
    cmd = [
        sys.executable, "-m", "streamlit", "run", str(APP),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--server.fileWatcherType", "none",
        "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, proc, log)
        yield url, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def wait_for_run(page) -> None:
    """Wait until the app is connected, its script run has finished and the page has content."""
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-connection-state="CONNECTED"]',
        state="attached",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_selector(
        '[data-testid="stApp"][data-test-script-state="notRunning"]',
        state="attached",
        timeout=TIMEOUT_MS,
    )
    page.wait_for_selector('[data-testid="stStatusWidgetRunningIcon"]', state="detached")
    page.wait_for_selector('[data-testid="stSkeleton"]', state="detached", timeout=TIMEOUT_MS)
    page.wait_for_selector(
        '[data-testid="stMainBlockContainer"] [data-testid="stElementContainer"]',
        timeout=TIMEOUT_MS,
    )
    # charts draw after the run ends: wait until each has its canvas or svg
    page.wait_for_function(
        """() => [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')]
                 .every(chart => chart.querySelector('canvas, svg'))""",
        timeout=TIMEOUT_MS,
    )


def nav_links(page, url: str) -> list[tuple[str, str]]:
    """(title, absolute URL) of every page link the app shows, in the sidebar or at the top."""
    more = page.locator('[data-testid="stSidebarNavViewButton"]')
    if more.count() and "more" in more.first.inner_text().lower():
        more.first.click()  # a long page list is collapsed behind "View n more"
    links = page.locator(NAV_LINKS)
    return [
        (links.nth(i).inner_text().strip(), urljoin(url + "/", links.nth(i).get_attribute("href")))
        for i in range(links.count())
    ]


def save_full_page(page, path: Path) -> None:
    """Screenshot the whole page. Streamlit scrolls inside its main container, not the document,
    so the window is first made as tall as the content (up to 8,000 px)."""
    height = page.evaluate(
        """() => Math.max(document.documentElement.scrollHeight,
                   ...[...document.querySelectorAll('[data-testid="stMain"]')]
                       .map(main => main.scrollHeight))"""
    )
    page.set_viewport_size({"width": VIEWPORT["width"], "height": min(max(height, 900), 8000)})
    page.wait_for_timeout(500)  # let charts and tables redraw at the new size
    page.screenshot(path=str(path), full_page=True)


def test_every_page_renders_in_chromium(app_url: tuple[str, Path], tmp_path: Path):
    from playwright.sync_api import sync_playwright

    url, log = app_url
    shots = tmp_path / "screenshots"
    shots.mkdir()
    declared = declared_pages()
    assert declared, f"no st.Page in {APP}"
    js_errors: list[str] = []
    visited: dict[str, str] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            page = browser.new_page(viewport=VIEWPORT)
            page.set_default_timeout(TIMEOUT_MS)
            page.on("pageerror", lambda exc: js_errors.append(str(exc)))
            page.goto(url)
            wait_for_run(page)
            nav = nav_links(page, url)
            if not nav and len(declared) == 1:  # Streamlit shows no nav for a single page
                nav = [("page", url)]
            assert len(nav) == len(declared), (nav, declared)
            for title, href in nav:
                page.set_viewport_size(VIEWPORT)
                page.goto(href)
                wait_for_run(page)
                main = page.locator('[data-testid="stMain"]')
                exceptions = page.locator('[data-testid="stException"]')
                assert exceptions.count() == 0, f"{title}: {exceptions.first.inner_text()}"
                text = main.inner_text()
                assert text.strip(), f"{title}: the page is empty"
                error = ERROR_TEXT.search(text)
                assert error is None, f"{title}: error text {error.group(0)!r} in:\n{text[:2000]}"
                save_full_page(page, shots / f"{slug(title)}.png")
                visited[title] = text
        finally:
            browser.close()
    assert not js_errors, js_errors
    server_log = log.read_text()
    assert "Traceback" not in server_log, server_log[-4000:]
    # each link led to its own page (not the default page again), and each has its PNG
    assert len(set(visited.values())) == len(visited) == len(nav)
    pngs = sorted(p.name for p in shots.glob("*.png"))
    assert pngs == sorted(f"{slug(t)}.png" for t in visited)
    assert all((shots / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for name in pngs)
    target = os.environ.get("REVSTACK_SCREENSHOTS")
    if target:
        out = Path(target) if Path(target).is_absolute() else ROOT / target
        out.mkdir(parents=True, exist_ok=True)
        for name in pngs:
            shutil.copyfile(shots / name, out / name)


def test_declared_pages_are_read_from_the_router(tmp_path: Path):
    app = tmp_path / "app.py"
    app.write_text(
        "import streamlit as st\n"
        "def about(): ...\n"
        "pages = {'Finance': [st.Page('pages/a.py', title='A'), st.Page(about)],\n"
        "         'Ops': [st.Page('pages/b.py', url_path='bee')]}\n"
        "st.navigation(pages).run()\n"
    )
    assert declared_pages(app) == ["pages/a.py", "about", "pages/b.py"]
