"""Browser tests: Playwright driving Debian's Chromium (apt package `chromium`), headless, on loopback.
`make browser-setup` installs the browser; where it is missing these tests are skipped, except in CI
(the CI variable set), where they fail."""
import functools
import http.server
import os
import shutil
import threading

import pytest

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# No background traffic: the machine has no network, and the tests check that the pages ask for none.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--autoplay-policy=no-user-gesture-required"]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no Chromium at {CHROMIUM}: `make browser-setup` installs Debian's package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    """A fresh page that records console errors, uncaught exceptions, failed requests and any request
    that leaves this machine (aborted)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)   # lesson pages carry megabytes of video, rendered without a GPU on a busy machine
    page.problems = []
    page.on("console", lambda message: message.type == "error" and page.problems.append(f"console: {message.text}"))
    page.on("pageerror", lambda error: page.problems.append(f"exception: {error}"))
    page.on("requestfailed", lambda request: page.problems.append(f"request failed: {request.url} ({request.failure})"))

    def local_only(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1", "data:", "blob:", "about:")):
            return route.continue_()
        page.problems.append(f"outside request: {url}")
        return route.abort()

    page.route("**/*", local_only)
    yield page
    context.close()


@pytest.fixture(scope="module")
def serve():
    """Serves a folder over HTTP on a free loopback port: `serve(folder)` returns its base URL."""
    servers = []

    def start(folder):
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(folder)))
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass
