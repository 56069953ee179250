"""Browser test of the built book: every page loads offline, typesets its maths, and every
interactive figure works without a kernel.

Serves ``_build/html`` on 127.0.0.1 and visits each page in headless Debian Chromium driven by
Playwright. A page fails on JavaScript errors and console errors (two harmless Jupyter Book
messages excepted), failed requests, HTTP errors, requests to any other host, broken images, maths
that MathJax did not typeset, or an ipywidgets control (a live widget's slider is dead without a
kernel: the book shows each app's kernel-free version instead). Every kernel-free figure
(``nncourse.widgets.static``) has each control moved through all its values: the frame shown must
change at every move and be the frame Python rendered for those values. The frames of each page
and of the whole book stay within the budgets of ``nncourse.widgets.static``.

Needs ``make book`` first. Without Chromium it skips, unless NNLIB_REQUIRE_BROWSER=1 (set by CI).
"""

from __future__ import annotations

import functools
import json
import os
import re
import shutil
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlparse

import pytest

from nncourse.widgets import BOOK_BUDGET_BYTES, PAGE_BUDGET_BYTES

pytestmark = pytest.mark.browser

# The built book (another folder with NNLIB_BOOK_SITE, e.g. a small test book).
SITE = Path(
    os.environ.get("NNLIB_BOOK_SITE", Path(__file__).resolve().parents[1] / "_build" / "html")
)
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
    context = browser.new_context(viewport={"width": 1280, "height": 900})
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
    pending: set[str] = set()  # networkidle never comes with routing and data: images
    tab.on("request", lambda req: pending.add(req.url))
    tab.on("requestfinished", lambda req: pending.discard(req.url))
    tab.on("requestfailed", lambda req: pending.discard(req.url))
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
    _wait_until_quiet(tab, pending)
    dead = tab.locator(".widget-slider, .widget-dropdown, .widget-checkbox").count()
    if dead:
        problems.append(f"{dead} ipywidgets controls, which do nothing without a kernel")
    problems += _check_static_figures(tab)
    broken = tab.evaluate(
        "Array.from(document.images).filter(i => i.complete && i.naturalWidth === 0)"
        ".map(i => i.src)"
    )
    problems += [f"broken image: {src}" for src in broken]
    context.close()
    assert not problems, f"{page}:\n" + "\n".join(problems)


def _wait_until_quiet(tab, pending: set[str], seconds: float = 30.0) -> None:
    """Wait until no request (data: URLs aside) has been in flight for half a second."""
    quiet_since = None
    for _ in range(int(seconds / 0.1)):
        if any(not url.startswith("data:") for url in pending):
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.monotonic()
        elif time.monotonic() - quiet_since > 0.5:
            return
        tab.wait_for_timeout(100)
    raise AssertionError(f"requests still in flight after {seconds} s: {sorted(pending)[:5]}")


FRAMES = re.compile(r'<script type="application/json" class="nnlib-frames">(.*?)</script>', re.S)


def _figures_data(html: str) -> list[dict]:
    return [json.loads(m.replace("<\\/", "</")) for m in FRAMES.findall(html)]


def _check_static_figures(tab) -> list[str]:
    """Move every control of every kernel-free figure through its values; each move must show
    a new frame, the one Python rendered for the values now selected."""
    problems = []
    figures = tab.locator(".nnlib-static-figure")
    for f in range(figures.count()):
        figure = figures.nth(f)
        data = json.loads(figure.locator("script.nnlib-frames").text_content())
        image = figure.locator("img.nnlib-frame")
        controls = figure.locator(".nnlib-input")
        if controls.count() != len(data["params"]):
            problems.append(f"figure {f}: {controls.count()} controls for {len(data['params'])}")
            continue
        for k, param in enumerate(data["params"]):
            control = controls.nth(k)
            where = f"figure {f}, control {param['name']!r}"
            if control.get_attribute("data-param") != param["name"]:
                problems.append(f"{where}: the control is out of order")
                continue
            order = [i for i in range(len(param["values"])) if i != param["default"]]
            for i in [*order, param["default"]]:
                before = image.get_attribute("src")
                _set(control, param["kind"], i)
                key = list(data["default"])
                key[param["position"]] = i
                expected = data["frames"][data["index"][",".join(map(str, key))]]
                shown = image.get_attribute("src")
                if shown != expected:
                    problems.append(
                        f"{where} = {param['values'][i]}: not the frame Python rendered"
                    )
                if shown == before:
                    problems.append(f"{where} = {param['values'][i]}: the frame did not change")
    return problems


def _set(control, kind: str, index: int) -> None:
    if kind == "choice":
        control.select_option(index=index)  # by position: a value "2" would also match a label "2"
    elif kind == "bool":
        control.set_checked(index == 1)
    else:
        control.fill(str(index))


def _page_frame_bytes(path: Path) -> int:
    """Bytes of the frames embedded in one built page (decoded size of their base64)."""
    html = path.read_text(errors="replace")
    return sum(len(uri) * 3 // 4 for data in _figures_data(html) for uri in data["frames"])


def test_frames_fit_the_page_and_book_budgets():
    pages = _pages()
    if not pages:
        pytest.skip("no built book in _build/html")
    sizes = {page: _page_frame_bytes(SITE / page) for page in pages}
    over = {p: s for p, s in sizes.items() if s > PAGE_BUDGET_BYTES}
    assert not over, f"pages over {PAGE_BUDGET_BYTES / 1e6:.0f} MB of frames: {over}"
    total = sum(sizes.values())
    assert total <= BOOK_BUDGET_BYTES, f"{total / 1e6:.1f} MB of frames in the book"


# What must fit the column: code and output blocks, tables, display equations.
BLOCKS = (
    "pre, div.highlight, div.cell_output, div.output, table, "
    "mjx-container[display='true'], div.math"
)
OVERFLOWING = """(selector) => {
  document.querySelectorAll('details').forEach(d => { d.open = true; });
  const seen = [];
  for (const e of document.querySelectorAll(selector)) {
    if (e.clientWidth === 0 || e.closest('.nnlib-static-figure')) continue;  // hidden; widgets
    if (e.scrollWidth > e.clientWidth + 1) {
      const section = e.closest('section');
      const heading = section && section.querySelector('h1, h2, h3');
      seen.push({
        tag: e.tagName.toLowerCase() + (e.className ? '.' + String(e.className).split(' ')[0] : ''),
        over: e.scrollWidth - e.clientWidth,
        width: e.clientWidth,
        where: heading ? heading.textContent.replace('#', '').trim().slice(0, 40) : '',
        text: (e.textContent || '').trim().split('\\n')[0].slice(0, 60),
      });
    }
  }
  return seen;
}"""


@pytest.mark.parametrize("page", _pages() or ["(no built book)"])
def test_no_block_overflows_its_column(browser, site_url, page):
    """Every code block, output, table and display equation fits its column at 1280 px: its
    content is no wider than the box (scrollWidth <= clientWidth), with collapsed cells opened.
    Nested boxes that report the same line are reported once."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.goto(site_url + page, wait_until="load")
    if 'class="math' in tab.content():
        tab.wait_for_selector("mjx-container", state="attached", timeout=15_000)
        tab.evaluate("() => window.MathJax?.startup?.promise ?? null")
    found = tab.evaluate(OVERFLOWING, BLOCKS)
    context.close()
    inner = _innermost(found)
    lines = [
        f"{b['tag']} ({b['where']}): {b['over']} px wider than its {b['width']} px: {b['text']!r}"
        for b in inner
    ]
    assert not lines, f"{page}: {len(lines)} blocks overflow their column\n" + "\n".join(lines[:15])


def _innermost(found: list[dict]) -> list[dict]:
    """One report per overflowing line: of boxes around the same text in the same section, keep
    the first (the outermost)."""
    kept, keys = [], set()
    for block in found:
        key = (block["text"][:30], block["where"])
        if key not in keys:
            keys.add(key)
            kept.append(block)
    return kept
