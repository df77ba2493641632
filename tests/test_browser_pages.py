"""Every kind of page of the bundled list in headless Chromium, from file://: axe-core finds
no violation of any impact, in the light and the dark scheme; a list shows at least twelve
cards on a 1280x900 screen; the queue, the stats page and the exports work from disk."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import AXE, REPO, serve_under_prefix, write_list

from generator.build import build
from generator.config import load_config
from generator.writer import write_site

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _axe_installed(axe_script: Path) -> None:
    """Every test here may run axe-core; without it they skip (or fail in CI)."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # (no site URL: 404.html, whose links start at the site URL's path when it is known, then
    # links relative to the site root, and works from disk too)
    config, _ = load_config(REPO / "config.yaml", {})
    out = tmp_path_factory.mktemp("bundled") / "site"
    write_site(build(config).files, out)
    return out


def _one(site: Path, pattern: str) -> str:
    """The first page (sorted) whose path matches."""
    return sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html")
                  if re.fullmatch(pattern, p.relative_to(site).as_posix()))[0]


def page_kinds(site: Path) -> list[str]:
    notes = next(p for p in sorted((REPO / "content" / "papers").glob("*.md"))
                 if not p.read_text(encoding="utf-8").endswith("---\n"))
    return ["index.html", "page-2.html", f"papers/{notes.stem}/index.html",
            "tags/index.html", "tags/long-context/index.html",
            "authors/index.html", _one(site, r"authors/[^/]+/index\.html"),
            "years/index.html", _one(site, r"years/\d+/index\.html"),
            "venues/index.html", _one(site, r"venues/[^/]+/index\.html"),
            "queue/index.html", "stats/index.html", "search/index.html?q=attention",
            "404.html"]


def _axe_all(page) -> list[str]:
    page.add_script_tag(path=str(AXE))
    violations = page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ["violations"]});
        return result.violations.map(v => ({id: v.id, impact: v.impact,
            targets: v.nodes.slice(0, 3).map(n => n.target.join(" "))}));
    }""")
    return [f"{v['impact']}: {v['id']} at {v['targets']}" for v in violations]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_kind_has_no_accessibility_violation(browser, site, scheme) -> None:
    context = browser.new_context(color_scheme=scheme)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    found = {}
    try:
        for path in page_kinds(site):
            page.goto(site.as_uri() + "/" + path, wait_until="load")
            if "?q=" in path:  # the results are shown
                page.wait_for_selector("[data-rl-listbox] [role=option]", timeout=10000)
            else:
                page.wait_for_timeout(50)
            violations = _axe_all(page)
            if violations:
                found[path] = violations
    finally:
        context.close()
    assert not found, found
    assert not errors, errors


def test_a_list_shows_at_least_twelve_cards_on_a_1280_by_900_screen(browser, site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        for path in ("index.html", "page-2.html", "tags/long-context/index.html",
                     "queue/index.html"):
            page.goto((site / path).as_uri())
            shown = page.evaluate("""() => [...document.querySelectorAll('.card')].filter(c => {
                const r = c.getBoundingClientRect();
                return r.top >= 0 && r.bottom <= innerHeight; }).length""")
            assert shown >= 12 or path == "queue/index.html" and shown >= 8, (path, shown)
    finally:
        context.close()


@pytest.mark.parametrize("width", [390, 1280])
def test_no_page_kind_is_wider_than_the_screen(browser, site, width) -> None:
    """A phone shows every page without scrolling sideways: the stats tables of long venue
    names and the search page's syntax table wrap instead of widening the page."""
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    wide = {}
    try:
        for path in page_kinds(site):
            page.goto(site.as_uri() + "/" + path, wait_until="load")
            sizes = page.evaluate("[document.documentElement.scrollWidth,"
                                  " document.documentElement.clientWidth]")
            if sizes[0] > sizes[1]:
                wide[path] = sizes
    finally:
        context.close()
    assert not wide, wide


def test_on_a_phone_the_menu_shows_the_section_you_are_in(browser, site) -> None:
    """The menu scrolls sideways on a phone: the marked section (Stats, Search: the last
    ones) is scrolled into view, and the first ones still show on the home page."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    seen = {}
    try:
        for path, label in [("stats/index.html", "Stats"), ("search/index.html", "Search"),
                            ("queue/index.html", "Queue"), ("index.html", "Papers")]:
            page.goto(site.as_uri() + "/" + path, wait_until="load")
            page.wait_for_timeout(50)
            seen[label] = page.evaluate("""() => {
                const nav = document.querySelector('.site-nav').getBoundingClientRect();
                const a = document.querySelector('.site-nav a.active');
                const r = a.getBoundingClientRect();
                return [a.textContent.trim(), r.left >= nav.left - 0.5
                        && r.right <= nav.right + 0.5];
            }""")
    finally:
        context.close()
    assert seen == {label: [label, True] for label in seen}, seen


def test_the_filter_form_open_on_a_phone_is_no_wider_than_the_screen(browser, site) -> None:
    """The venue select, filled with the list's venues once the form opens, is as wide as
    its longest name unless told otherwise: a 1,260 px page on a 390 px phone."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto((site / "index.html").as_uri())
        page.locator("details.rl-filters summary").click()
        page.wait_for_selector("select[name=venue] option:nth-child(2)", state="attached")
        sizes = page.evaluate("[document.documentElement.scrollWidth,"
                              " document.documentElement.clientWidth]")
        venue = page.locator("select[name=venue]").bounding_box()
    finally:
        context.close()
    assert sizes[0] <= sizes[1], sizes
    assert venue and venue["x"] + venue["width"] <= 390


def _small_site(tmp_path: Path, papers: dict[str, str]) -> Path:
    """A list of these papers (slug -> file text) built with this repository's theme."""
    config = write_list(tmp_path, papers,
                        f"title: T\nthemes_dir: {(REPO / 'themes').as_posix()}\n")
    site = tmp_path / "site"
    write_site(build(config).files, site)
    return site


def test_a_long_author_list_shows_twelve_names_and_the_rest_on_demand(browser,
                                                                      tmp_path) -> None:
    """A big collaboration's 80 names would fill screens of a phone before the abstract:
    the first twelve show, then "and 68 more", which opens (by keyboard too, and for a
    print) on all of them, each still a link to its author's page. Sixteen names all
    show."""
    names = [f"Ann Lee{i}" for i in range(80)]
    site = _small_site(tmp_path, {
        "many": f"---\ntitle: Many\nauthors: {names!r}\ndate: 2024-01-01\n---\n",
        "some": f"---\ntitle: Some\nauthors: {names[:16]!r}\ndate: 2024-01-02\n---\n"})
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto((site / "papers/some/index.html").as_uri())
        assert page.locator(".byline a:visible").count() == 16
        assert page.locator(".byline details").count() == 0
        page.goto((site / "papers/many/index.html").as_uri())
        links = page.locator(".byline a")
        assert links.count() == 80
        assert page.locator(".byline a:visible").count() == 12
        assert page.locator("#abstract-heading").bounding_box()["y"] < 844
        summary = page.locator(".byline summary")
        assert summary.inner_text() == "and 68 more"
        # printed, the page names them all; after the print, as it was
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        assert page.locator(".byline a:visible").count() == 80
        page.evaluate("window.dispatchEvent(new Event('afterprint'))")
        assert page.locator(".byline a:visible").count() == 12
        summary.focus()
        page.keyboard.press("Enter")
        assert page.locator(".byline a:visible").count() == 80
        assert links.nth(79).get_attribute("href") == "../../authors/ann-lee79/index.html"
        assert not _axe_all(page)
    finally:
        context.close()


WIDE_NOTES = """---
title: "Supercalifragilisticexpialidociousnessification: Long Words in Titles"
authors: ["Ada Lovelace", "Charles Babbage"]
date: 2024-03-01
tags: [long-context]
---
## Results

| Model | Context | Perplexity | Notes on the run and its setup | Checkpoint |
|---|---|---|---|---|
| Llama-2-7B-long-model-name | 4096 | 5.47 | the baseline | aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa |

Call `a_very_long_identifier_without_any_break_for_a_phone_screen_at_all()` first.
"""


def test_a_paper_with_a_wide_table_and_long_words_fits_a_phone(browser, tmp_path) -> None:
    """A notes table of five columns scrolls sideways in its own box (which the keyboard
    can reach) and a title word longer than a phone's line breaks, instead of making the
    whole page scroll sideways; axe-core finds nothing to fault. Printed, the table's cells
    wrap to fit the paper."""
    site = _small_site(tmp_path, {"wide": WIDE_NOTES})
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        wide = {}
        for path in ("papers/wide/index.html", "index.html", "tags/long-context/index.html"):
            page.goto((site / path).as_uri())
            sizes = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
            if sizes[0] > sizes[1]:
                wide[path] = sizes
        page.goto((site / "papers/wide/index.html").as_uri())
        box = page.locator(".notes .table-scroll")
        assert box.evaluate("b => b.scrollWidth > b.clientWidth")  # it scrolls, inside
        box.focus()
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            "document.querySelector('.notes .table-scroll').scrollLeft > 0")
        assert not _axe_all(page)
        page.emulate_media(media="print")  # paper does not scroll: the table fits instead
        assert page.evaluate("""() => {
            const box = document.querySelector('.notes .table-scroll');
            return box.scrollWidth <= box.clientWidth
                && document.documentElement.scrollWidth <= innerWidth; }""")
    finally:
        context.close()
    assert not wide, wide


@pytest.mark.parametrize("width", [320, 390, 1280])
def test_the_stats_charts_labels_are_readable_and_inside_the_chart(browser, site,
                                                                   width) -> None:
    """On a phone the charts' words are as large as on a wide screen (a chart scaled down
    to the screen's width made them 7 px tall), and every label and number is drawn inside
    its chart, none clipped at an edge: a long venue name is cut short (in the middle) to fit."""
    context = browser.new_context(viewport={"width": width, "height": 844})
    page = context.new_page()
    try:
        page.goto((site / "stats/index.html").as_uri())
        texts = page.evaluate("""() => [...document.querySelectorAll('.chart-svg text')]
            .map(t => {
                const svg = t.ownerSVGElement.getBoundingClientRect();
                const box = t.getBoundingClientRect();
                return {text: t.textContent, kind: t.getAttribute('class'),
                        px: parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a,
                        inside: box.left >= svg.left - 0.5 && box.right <= svg.right + 0.5
                                && box.top >= svg.top - 0.5 && box.bottom <= svg.bottom + 0.5};
            })""")
    finally:
        context.close()
    labels = [t["text"] for t in texts if t["kind"] == "chart-label"]
    assert len(labels) >= 20 and any(" … " in label for label in labels)
    assert not [t for t in texts if t["px"] < 11.5], texts
    assert not [t for t in texts if not t["inside"]]


def test_the_stats_tables_do_not_break_names_inside_words_on_a_phone(browser, site) -> None:
    """The names' column of a stats table gets the room the numbers leave: a table as
    narrow as its content broke "Computational" into "Computa tional" on a 390 px phone."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto((site / "stats/index.html").as_uri())
        broken = page.evaluate("""() => {
            const span = document.createElement('span');
            span.style.whiteSpace = 'nowrap';
            span.style.position = 'absolute';
            document.body.append(span);
            const found = [];
            for (const th of document.querySelectorAll('.chart-table tbody th')) {
                span.style.font = getComputedStyle(th.querySelector('a') || th).font;
                const style = getComputedStyle(th);
                const room = th.getBoundingClientRect().width
                    - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
                for (const word of th.textContent.split(/(?<=-)|\\s+/)) {
                    span.textContent = word;
                    if (span.getBoundingClientRect().width > room + 0.5) found.push(word);
                }
            }
            span.remove();
            return found;
        }""")
        names = page.locator(".chart-table tbody th").count()
    finally:
        context.close()
    assert names >= 20 and not broken, broken


def test_the_stats_page_draws_each_chart_and_its_table(browser, site) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    try:
        page.goto((site / "stats/index.html").as_uri())
        charts = page.locator("section.chart")
        assert charts.count() == 5
        for i in range(charts.count()):
            chart = charts.nth(i)
            box = chart.locator("svg").bounding_box()
            assert box and box["width"] > 200 and box["height"] > 10
            bars = chart.locator("svg rect").count()
            rows = chart.locator("tbody tr").count()
            assert rows >= 1 and bars >= rows  # (a stacked bar is a rect per status)
            assert chart.locator("svg").get_attribute("role") == "img"
        # a bar's label links to its page in the table
        page.locator("#by-tag ~ table a", has_text="long-context").click()
        page.wait_for_load_state("load")
        assert "long-context" in page.locator("h1").inner_text()
    finally:
        context.close()


def test_a_tag_pages_bibtex_downloads_under_a_sub_path(browser, site) -> None:
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        with serve_under_prefix(site) as base:
            page.goto(base + "tags/long-context/")
            count = int(re.match(r"\d+", page.locator("p.lead").inner_text())[0])
            with page.expect_download() as info:
                page.locator("a", has_text="BibTeX of these papers").click()
            assert info.value.suggested_filename == "papers.bib"
            text = Path(info.value.path()).read_text(encoding="utf-8")
        assert len(re.findall(r"^@\w+\{", text, re.MULTILINE)) == count
    finally:
        context.close()


def test_highlighted_names_are_marked_in_search_results_too(browser, tmp_path: Path) -> None:
    """A result marks exactly the names the paper's card marks: a name written with a comma
    ("Lovelace, Ada") is one name, and names are the same by site.name_identity (case
    folded: STRASSE is Straße), not by what JavaScript's toLowerCase makes of them."""
    import shutil

    shutil.copytree(REPO / "content", tmp_path / "content")
    papers = tmp_path / "content" / "papers"
    for slug, authors in (("comma-one", ["Lovelace, Ada", "Babbage, Charles"]),
                          ("comma-two", ["Byron, George", "LOVELACE,  Ada",
                                         "STRASSE, Jürgen"])):
        (papers / f"{slug}.md").write_text(
            f"---\ntitle: Analytical engine notes {slug}\nauthors: {authors!r}\n"
            "date: 2024-01-02\n---\n", encoding="utf-8")
    (tmp_path / "config.yaml").write_text(
        'highlight_authors: [chaojun xiao, "Lovelace, Ada", "Straße, Jürgen"]\n',
        encoding="utf-8")
    config, problems = load_config(tmp_path / "config.yaml", {})
    assert not problems
    site = tmp_path / "site"
    write_site(build(config).files, site)
    carded: dict[str, set[str]] = {}  # slug -> the names its card marks
    for path in sorted(site.glob("page-*.html")) + [site / "index.html"]:
        html = path.read_text(encoding="utf-8")
        for card in re.findall(r'<li class="card.*?</li>', html, re.S):
            slug = re.search(r'href="papers/([^/]+)/', card)[1]
            carded[slug] = set(re.findall(r'<strong class="mine">([^<]+)</strong>', card))
    assert carded["comma-one"] == {"Lovelace, Ada"}
    assert carded["comma-two"] == {"LOVELACE, Ada", "STRASSE, Jürgen"}
    context = browser.new_context()
    page = context.new_page()
    try:
        for query, least in (("author:xiao", 2), ("analytical engine", 2)):
            page.goto((site / "search" / "index.html").as_uri() + "?q=" + query)
            page.wait_for_selector("[data-rl-listbox] .rl-result", timeout=10000)
            results = page.locator("[data-rl-listbox] .rl-result")
            assert results.count() >= least
            for i in range(results.count()):
                result = results.nth(i)
                slug = result.get_attribute("href").split("/")[-2]
                marked = set(result.locator(".rl-result-authors strong.mine").all_inner_texts())
                assert marked == carded[slug], (query, slug)
            if query != "author:xiao":  # shown as written: the names, a comma between
                assert any("Lovelace, Ada, Babbage, Charles" in text
                           for text in results.all_inner_texts())
        assert not _axe_all(page)
    finally:
        context.close()


def test_search_results_show_status_and_rating_when_sorted_by_rating(browser, site) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto((site / "search" / "index.html").as_uri() + "?q=status:read&sort=rating")
        page.wait_for_selector("[data-rl-listbox] .rl-result-facts", timeout=10000)
        facts = page.locator("[data-rl-listbox] .rl-result-facts")
        statuses = facts.locator(".status").all_inner_texts()
        assert statuses and set(statuses) == {"Read"}
        stars = [int(t.split()[1]) if t else 0 for t in (
            f.locator(".visually-hidden").inner_text() if f.locator(".rating").count() else ""
            for f in facts.all())]
        assert stars == sorted(stars, reverse=True) and stars[0] == 5
        assert not _axe_all(page)
    finally:
        context.close()


def test_the_home_pages_filter_form_with_nothing_chosen_lists_every_paper(browser,
                                                                          site) -> None:
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto((site / "index.html").as_uri())
        page.locator("details.rl-filters summary").click()
        page.locator("details.rl-filters button[type=submit]").click()
        page.wait_for_load_state("load")
        assert "sort=date" in page.url
        page.wait_for_selector("[data-rl-listbox] .rl-result", timeout=10000)
        papers = len(list((site / "papers").glob("*/index.html")))
        page.wait_for_function(f"document.body.innerText.includes('{papers} papers')",
                               timeout=10000)
    finally:
        context.close()


def test_a_long_site_title_keeps_a_phones_header_in_two_rows(browser, tmp_path) -> None:
    title = "Reading list of the Natural Language Processing Group, University of Somewhere"
    config = write_list(tmp_path, {"a-paper": "---\ntitle: A paper\ndate: 2024-01-02\n---\n"},
                        f"title: {title}\nthemes_dir: {(REPO / 'themes').as_posix()}\n")
    site = tmp_path / "site"
    write_site(build(config).files, site)
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto((site / "index.html").as_uri())
        assert page.locator("header.site-header").bounding_box()["height"] <= 100
        assert page.locator("#rl-q").is_visible()
        link = page.locator(".site-title")
        assert link.inner_text() == title  # cut on screen only: read out whole
        assert page.locator("h1").inner_text() == title
    finally:
        context.close()
