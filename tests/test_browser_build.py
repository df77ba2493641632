"""The built site in headless Chromium: from file:// and from a server under a sub-path.

Home and a paper page must load with no console error, no failed request and no request
leaving the site, and axe-core must find no serious or critical accessibility violation,
in the light and the dark scheme. Debian's /usr/bin/chromium is used (never a downloaded
browser); without it the tests skip, unless CI is set.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AXE, PREFIX, PUBLISHED, REPO, serve_under_prefix

from generator.build import build
from generator.config import load_config
from generator.writer import write_site

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _axe_installed(axe_script: Path) -> None:
    """Every test here runs axe-core; without it they skip (or fail in CI)."""


@pytest.fixture(scope="module")
def sites(sample_site: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sample site, and the bundled reading list when content/papers has papers."""
    found = {"sample": sample_site}
    if any((REPO / "content" / "papers").glob("*.md")):
        config, _ = load_config(REPO / "config.yaml", PUBLISHED)
        out = tmp_path_factory.mktemp("bundled") / "site"
        write_site(build(config).files, out)
        found["bundled"] = out
    return found


@pytest.fixture(scope="module")
def servers(sites: dict[str, Path]) -> Iterator[dict[str, str]]:
    with contextlib.ExitStack() as stack:
        yield {name: stack.enter_context(serve_under_prefix(folder))
               for name, folder in sites.items()}


def _first_paper(site: Path) -> str:
    return sorted(p.relative_to(site).as_posix() for p in (site / "papers").glob("*/index.html"))[0]


def _open(browser, base: str, path: str, scheme: str = "light"):
    """Open base+path; returns (page, problems list that fills while the page lives)."""
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    problems: list[str] = []
    allowed = base.split(PREFIX)[0] + PREFIX if base.startswith("http") else base
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"failed: {r.url} {r.failure}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
            if r.status >= 400 else None)
    page.on("request", lambda r: None if r.url.startswith(allowed) or
            r.url.startswith("data:") else problems.append(f"external request: {r.url}"))
    context.route("http*://**/*", lambda route: route.continue_()
                  if route.request.url.startswith(allowed) else route.abort())
    page.goto(base + path, wait_until="load")
    page.wait_for_timeout(150)  # late scripts and lazy loads
    return page, problems


def _axe(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"], preload: false});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [f"{v['impact']}: {v['id']} at {v['targets']}" for v in violations
            if v["impact"] in ("serious", "critical")]


@pytest.mark.parametrize("site_name", ["sample", "bundled"])
@pytest.mark.parametrize("how", ["file", "http"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_home_and_a_paper_page_load_cleanly_and_pass_axe(browser, sites, servers, site_name,
                                                         how, scheme):
    if site_name not in sites:
        pytest.skip("content/papers is empty")
    site = sites[site_name]
    base = site.as_uri() + "/" if how == "file" else servers[site_name]
    paths = ["index.html", _first_paper(site)]
    if site_name == "bundled":  # more papers than a page: the second page and its links
        assert (site / "page-2.html").is_file()
        paths.append("page-2.html")
    for path in paths:
        page, problems = _open(browser, base, path, scheme)
        assert page.title(), path
        assert page.locator("main h1").count() >= 1, path
        assert not problems, (path, problems)
        found = _axe(page)
        page.context.close()
        assert not found, (path, found)


@pytest.mark.parametrize("how", ["file", "http"])
def test_navigation_works_from_file_and_under_a_sub_path(browser, sites, servers, how):
    site = sites["sample"]
    base = site.as_uri() + "/" if how == "file" else servers["sample"]
    page, problems = _open(browser, base, "index.html")
    page.click("a[href='papers/focusllm/index.html']")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text().startswith("FocusLLM")
    page.click("a[href='../../authors/yutao-sun/index.html']")
    page.wait_for_load_state("load")
    assert "Yutao Sun" in page.locator("h1").inner_text()
    page.click(".site-nav a[href='../../tags/index.html']")
    page.wait_for_load_state("load")
    assert page.locator("h1").inner_text() == "Tags"
    stylesheet_applied = page.evaluate(
        "getComputedStyle(document.querySelector('.site-header')).borderBottomStyle")
    assert stylesheet_applied == "solid"
    page.context.close()
    assert not problems, problems


def test_a_related_paper_link_opens_that_paper_from_file(browser, sites):
    """The "Related papers" section of a paper page, opened from disk: its first link
    opens the paper it names."""
    site = sites["sample"]
    page, problems = _open(browser, site.as_uri() + "/", "papers/focusllm/index.html")
    assert page.locator(".related h2").inner_text() == "Related papers"
    first = page.locator(".related a").first
    title = first.inner_text()
    href = first.get_attribute("href")
    assert href.startswith("../../papers/") and "focusllm" not in href
    first.click()
    page.wait_for_load_state("load")
    assert page.url.startswith("file://") and page.url.endswith(href.removeprefix("../.."))
    assert page.locator("h1").inner_text() == title
    page.context.close()
    assert not problems, problems


def test_copy_buttons_copy_the_citation(browser, servers):
    context = browser.new_context()
    base = servers["sample"]
    context.grant_permissions(["clipboard-read", "clipboard-write"],
                              origin=base.split(PREFIX)[0])
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(base + "papers/focusllm/index.html")
    button = page.locator("button[data-copy-target='cite-bibtex']")
    assert button.is_visible()  # shown only once the script runs
    button.click()
    page.wait_for_function(
        "document.querySelector('#cite-bibtex').closest('.citation')"
        ".querySelector('.copy-status').textContent !== ''")
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith("@inproceedings{li2025focusllm,")
    context.close()
    assert not errors, errors


def test_a_long_list_renders_only_the_cards_near_the_screen(browser, sites):
    """The bundled home page shows 100 cards: those off screen are skipped (not laid out
    or painted) until they come near, yet stay in the page: their links are in the
    accessibility tree, reachable by keyboard, and shown once scrolled to."""
    if "bundled" not in sites:
        pytest.skip("content/papers is empty")
    context = browser.new_context(viewport={"width": 900, "height": 700})
    page = context.new_page()
    page.goto(sites["bundled"].as_uri() + "/index.html", wait_until="load")
    cards = page.locator(".paper-list > .card")
    assert cards.count() == 100
    shown = "(e) => e.checkVisibility({contentVisibilityAuto: true})"
    assert cards.first.evaluate(shown)
    last = cards.last.locator(".card-title a")
    assert not last.evaluate(shown)  # skipped: far below the fold
    assert page.get_by_role("link", name=last.inner_text()).count() >= 1
    last.focus()  # reached by keyboard: comes into view and is drawn
    page.wait_for_function(shown, arg=last.element_handle(), timeout=5_000)
    box = last.bounding_box()
    assert box is not None and 0 <= box["y"] < 700
    page.emulate_media(media="print")  # a printout has every card
    assert cards.last.evaluate("(e) => getComputedStyle(e).contentVisibility") == "visible"
    context.close()


def test_print_stylesheet_hides_the_chrome(browser, sites):
    context = browser.new_context()
    page = context.new_page()
    page.goto(sites["sample"].as_uri() + "/papers/focusllm/index.html")
    page.emulate_media(media="print")
    assert page.locator(".site-header").is_hidden()
    assert page.locator(".pager").is_hidden()
    assert page.locator(".abstract").is_visible()
    context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_header_takes_at_most_100_px_and_keeps_every_link(browser, sites,
                                                                          scheme):
    site = sites["sample"]
    context = browser.new_context(viewport={"width": 390, "height": 844},
                                  color_scheme=scheme)
    page = context.new_page()
    try:
        for path in ("index.html", "search/index.html", _first_paper(site)):
            page.goto((site / path).as_uri())
            header = page.locator("header.site-header")
            assert header.bounding_box()["height"] <= 100, path
            assert page.locator(".site-nav a").all_inner_texts() == [
                "Papers", "Tags", "Authors", "Years", "Venues", "Queue", "Stats", "Search"]
            page.locator(".site-nav a", has_text="Search").scroll_into_view_if_needed()
            assert page.locator(".site-nav a", has_text="Search").is_visible()
            assert page.locator("#rl-q").is_visible()
    finally:
        context.close()
