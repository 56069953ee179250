"""Browser test of the built book: every page loads offline, typesets its maths, renders widgets.

Serves ``_build/html`` on 127.0.0.1 and visits each page in headless Debian Chromium driven by
Playwright. A page fails on JavaScript errors and console errors (two harmless Jupyter Book
messages excepted), failed requests, HTTP errors, requests to any other host, broken images, maths
that MathJax did not typeset, or widget state that did not render as widgets.

Needs ``make book`` first. Without Chromium it skips, unless NNLIB_REQUIRE_BROWSER=1 (set by CI).
"""

from __future__ import annotations

import functools
import os
import shutil
import threading
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

pytestmark = pytest.mark.browser

SITE = Path(__file__).resolve().parents[1] / "_build" / "html"
HARMLESS_CONSOLE = (
    "Identifier 'THEBE_JS_URL' has already been declared",
    "Got invalid theme mode",
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-quic",
    "--no-first-run",
    "--disable-sync",
]
SKIP_DIRS = {
    "_static",
    "_sources",
    "_images",
    "mathjax",
    "widgets",
    "requirejs",
    "@jupyter-widgets",
}


NOT_CONTENT = {"index.html", "genindex.html", "search.html"}  # index.html only redirects


def _pages() -> list[str]:
    if not SITE.is_dir():
        return []
    pages = []
    for path in sorted(SITE.rglob("*.html")):
        relative = path.relative_to(SITE)
        if relative.parts[0] in SKIP_DIRS or relative.as_posix() in NOT_CONTENT:
            continue
        pages.append(relative.as_posix())
    return pages


@pytest.fixture(scope="module")
def browser():
    executable = shutil.which("chromium")
    if executable is None:
        message = "Debian's chromium is not installed (sudo apt-get install chromium)"
        if os.environ.get("NNLIB_REQUIRE_BROWSER") == "1":
            pytest.fail(message + "; NNLIB_REQUIRE_BROWSER=1 requires the browser test")
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def site_url():
    if not (SITE / "index.html").is_file():
        pytest.fail("no built book in _build/html: run `make book` first")
    handler = functools.partial(_QuietHandler, directory=str(SITE))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def test_the_book_has_pages():
    pages = _pages()
    assert "book/intro.html" in pages, f"built pages: {pages}"
    assert any(p.startswith("notebooks/") for p in pages)


def test_index_redirects_to_the_introduction(browser, site_url):
    tab = browser.new_page()
    tab.goto(site_url)
    tab.wait_for_url("**/book/intro.html", timeout=10_000)
    assert "How neural networks are trained" in tab.title()
    tab.close()


@pytest.mark.parametrize("page", _pages() or ["(no built book)"])
def test_page_renders_offline(browser, site_url, page):
    problems: list[str] = []
    context = browser.new_context()
    host = urlparse(site_url).netloc

    def route(route_request):
        if urlparse(route_request.request.url).netloc == host:
            route_request.continue_()
        else:
            problems.append(f"request to another host: {route_request.request.url}")
            route_request.abort()

    context.route("**/*", route)
    tab = context.new_page()
    tab.on(
        "pageerror",
        lambda error: (
            any(h in str(error) for h in HARMLESS_CONSOLE)
            or problems.append(f"page error: {error}")
        ),
    )
    tab.on(
        "console",
        lambda msg: (
            msg.type == "error"
            and not any(h in msg.text for h in HARMLESS_CONSOLE)
            and problems.append(f"console error: {msg.text}")
        ),
    )
    tab.on(
        "requestfailed",
        lambda req: problems.append(f"failed request: {req.url} ({req.failure})"),
    )
    tab.on(
        "response",
        lambda resp: resp.status >= 400 and problems.append(f"HTTP {resp.status}: {resp.url}"),
    )
    tab.goto(site_url + page, wait_until="load")
    html = tab.content()

    if 'class="math' in html:
        tab.wait_for_selector("mjx-container", state="attached", timeout=15_000)
        untypeset = tab.evaluate(
            "Array.from(document.querySelectorAll('span.math, div.math'))"
            ".filter(e => !e.querySelector('mjx-container')).length"
        )
        if untypeset:
            problems.append(f"{untypeset} maths elements were not typeset")
    if "application/vnd.jupyter.widget-view+json" in html:
        tab.wait_for_selector(".widget-slider, .jupyter-widgets.widget-slider", timeout=15_000)
        views = tab.locator("script[type='application/vnd.jupyter.widget-view+json']").count()
        rendered = tab.locator(".jupyter-widgets.widget-container, .widget-vbox").count()
        if rendered < views:
            problems.append(f"{views} widget views in the page, {rendered} rendered")
    tab.wait_for_load_state("networkidle")
    broken = tab.evaluate(
        "Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0)"
        ".map(i => i.src)"
    )
    problems += [f"broken image: {src}" for src in broken]
    context.close()
    assert not problems, f"{page}:\n" + "\n".join(problems)
