"""The built book (`make book`) in a real browser: every page loads with no console error and asks
nothing from outside this machine, every video has a playable source, the maths is typeset, a
widget shows its default output, search finds a term, and three screenshots are written to
build/book/screenshots/ for the record."""
import os

import pytest

from utils.course.book import BOOK

HTML = BOOK / "html"
SCREENSHOTS = BOOK / "screenshots"
PAGES = sorted(str(p.relative_to(HTML)) for p in HTML.rglob("*.html") if p.relative_to(HTML).parts[0] != "_static") \
    if HTML.exists() else []


@pytest.fixture(scope="module")
def site(serve):
    if not (HTML / "index.html").exists():
        (pytest.fail if os.environ.get("CI") else pytest.skip)(f"no book at {HTML}: `make book` builds it")
    return serve(HTML)


def test_the_book_has_every_lesson_run_sheet_card_and_the_bibliography(site):
    names = set(PAGES)
    assert sum(p.startswith("lessons/") for p in names) == 11, sorted(names)
    assert sum(p.startswith("runsheets/") for p in names) == 11, sorted(names)
    assert {"index.html", "references.html", "search.html", "cards/vgan.html"} <= names, sorted(names)


@pytest.mark.parametrize("path", PAGES)
def test_page_loads_cleanly_and_its_videos_play(site, page, path):
    page.goto(f"{site}/{path}", wait_until="networkidle")   # every script, font and late console message is in
    videos = page.locator("video").count()
    if videos:
        # readyState ≥ 1: the browser decoded the H.264 stream's header, so it knows the duration
        page.wait_for_function("[...document.querySelectorAll('video')].every(v => v.readyState >= 1)", timeout=60_000)
        durations = page.eval_on_selector_all("video", "vs => vs.map(v => v.duration)")
        assert all(d > 0 for d in durations), f"{path}: video durations {durations}"
    if page.locator("div.math, span.math").count():
        page.wait_for_function("document.querySelectorAll('mjx-container').length >= "
                               "document.querySelectorAll('div.math, span.math').length", timeout=60_000)
        assert page.locator("mjx-merror").count() == 0, f"{path}: MathJax could not typeset some maths"
    assert not page.problems, f"{path}: " + "; ".join(page.problems)
    assert "BEGIN SOLUTION" not in page.inner_text("main"), f"{path} shows nbgrader's solution markers"


def test_a_lesson_shows_its_videos_and_what_its_widgets_show_by_default(site, page):
    page.goto(f"{site}/lessons/01_overview.html", wait_until="load")
    assert page.locator("video").count() >= 3
    # each of the lesson's two sliders widgets: the note, then the video of its default settings
    assert page.locator(".static-widget").count() == 2
    assert page.locator(".cell_output:has(.static-widget) video").count() == 2
    page.locator("video").first.scroll_into_view_if_needed()
    page.screenshot(path=str(SCREENSHOTS / "lesson01.png"))


def test_search_finds_a_term(site, page):
    page.goto(f"{site}/search.html?q=optical+flow", wait_until="load")
    results = page.locator("#search-results li")
    results.first.wait_for(timeout=60_000)
    links = results.locator("a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    assert any(link.startswith("lessons/") for link in links), links
    page.screenshot(path=str(SCREENSHOTS / "search.png"))


def test_front_page_lists_the_lessons(site, page):
    page.goto(f"{site}/index.html", wait_until="load")
    links = set(page.locator("a[href^='lessons/']").evaluate_all("links => links.map(a => a.getAttribute('href').split('#')[0])"))
    assert len(links) == 11, sorted(links)
    page.screenshot(path=str(SCREENSHOTS / "index.png"), full_page=False)
