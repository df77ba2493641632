"""Filters, sorts, facets, list scopes and the BibTeX download, in headless Chromium.

On a built list with varied statuses, ratings, notes, tags and short list pages
(tests/filterlist.py), from file:// and under a sub-path: the search page's filters give
exactly the papers with those facts, every sort gives its order, a facet's count is the
number of results its choice leaves, a list page's filter form counts the whole list (a
tag page's count is its paper count) and opens the search page on exactly its papers, and
"Download BibTeX" saves exactly the shown results' entries, as papers.bib has them. axe-core
finds no violation of any impact on the search page with facets shown nor on a list page
with the form open.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import filterlist
import pytest
from conftest import serve_under_prefix
from filterlist import PAPERS, rating, status

pytestmark = pytest.mark.browser
BY_SLUG = {p["slug"]: p for p in PAPERS}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return filterlist.build(tmp_path_factory.mktemp("filters-browser"))


@pytest.fixture(scope="module")
def bases(site: Path) -> Iterator[dict[str, str]]:
    with serve_under_prefix(site) as url:
        yield {"file": site.as_uri() + "/", "http": url}


@pytest.fixture
def open_page(browser, bases) -> Iterator:
    contexts, problems = [], []

    def make(how: str, path: str, scheme: str = "light"):
        base = bases[how]
        context = browser.new_context(color_scheme=scheme, accept_downloads=True)
        contexts.append(context)
        page = context.new_page()
        page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
                if m.type in ("error", "warning") else None)
        page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
        page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}")
                if r.status >= 400 else None)
        page.on("request", lambda r: None if r.url.startswith((base, "data:", "blob:"))
                else problems.append(f"request outside the site: {r.url}"))
        page.goto(base + path, wait_until="load")
        page.base = base  # type: ignore[attr-defined]
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems, problems


def shown(page) -> list[str]:
    """The slugs of every result (showing them all first)."""
    while page.locator("[data-rl-more]:visible").count():
        page.locator("[data-rl-more]:visible").click()
    hrefs = page.locator("#rl-page-listbox [role=option]").evaluate_all(
        "els => els.map(e => e.getAttribute('href'))")
    return [h.split("/")[-2] for h in hrefs]


def wait_results(page, count: int) -> None:
    page.wait_for_function(
        """n => { const s = document.querySelector('.rl-page-form [data-rl-status]');
                  return s && s.textContent.startsWith(n + (n === 1 ? ' paper' : ' papers'))
                      && !/loading/.test(s.textContent); }""", arg=count, timeout=10_000)


def slugs_where(test) -> set[str]:
    return {p["slug"] for p in PAPERS if test(p)}


@pytest.mark.parametrize("how", ["file", "http"])
def test_filters_give_exactly_the_papers_with_those_facts(open_page, how):
    cases = {
        "status:read": lambda p: status(p) == "read",
        "rating:>=4": lambda p: rating(p) >= 4,
        "has:notes": lambda p: bool(p["notes"]),
        "-status:read has:notes": lambda p: status(p) != "read" and bool(p["notes"]),
    }
    page = open_page(how, "search/index.html?q=" + quote("status:read"))
    for q, test in cases.items():
        expect = slugs_where(test)
        page.locator("#rl-page-q").fill(q)
        wait_results(page, len(expect))
        assert set(shown(page)) == expect, q
        assert page.url.endswith("?q=" + quote(q, safe=":").replace("%20", "+")) or \
            "q=" in page.url
    # an unknown field: a hint naming the closest field, no text search for it
    page.locator("#rl-page-q").fill("stauts:read")
    page.wait_for_function("""() => /did you mean status:/.test(
        document.querySelector('.rl-page-form [data-rl-status]').textContent)""")
    assert page.locator("#rl-page-listbox [role=option]").count() == 0
    assert "rating:" in page.locator(".rl-page-form [data-rl-status]").inner_text()


@pytest.mark.parametrize("how", ["file", "http"])
def test_each_sort_orders_the_results_and_is_in_the_url(open_page, how):
    page = open_page(how, "search/index.html?q=" + quote("-status:read") + "&sort=rating")
    expect = slugs_where(lambda p: status(p) != "read")
    wait_results(page, len(expect))
    assert page.locator("[data-rl-sort]").input_value() == "rating"
    by_rating = shown(page)
    assert set(by_rating) == expect
    assert [rating(BY_SLUG[s]) for s in by_rating] == \
        sorted((rating(BY_SLUG[s]) for s in by_rating), reverse=True)
    page.locator("[data-rl-sort]").select_option("date")
    assert "sort=date" in page.url
    by_date = shown(page)
    dates = [BY_SLUG[s]["front"]["date"] for s in by_date]
    assert dates == sorted(dates, reverse=True) and set(by_date) == expect
    order = {s: i for i, s in enumerate(by_date)}
    assert by_rating == sorted(by_date, key=lambda s: -rating(BY_SLUG[s]))
    page.locator("[data-rl-sort]").select_option("added")
    assert shown(page) == sorted(by_date, key=lambda s: (
        -int(BY_SLUG[s]["front"]["added"].replace("-", "")), order[s]))
    page.locator("[data-rl-sort]").select_option("title")
    assert shown(page) == sorted(by_date, key=lambda s: (
        BY_SLUG[s]["front"]["title"].lower(), order[s]))
    assert "sort=title" in page.url
    # words to search for: relevance by default
    page.locator("#rl-page-q").fill("attention")
    page.locator("[data-rl-sort]").select_option("relevance")
    page.wait_for_selector("#rl-page-listbox [role=option]")
    titles = page.locator("#rl-page-listbox .rl-result-title").all_inner_texts()
    assert titles[0].startswith("Attention")


@pytest.mark.parametrize("how", ["file", "http"])
def test_facets_count_the_results_and_narrow_them(open_page, how):
    page = open_page(how, "search/index.html?q=" + quote("has:notes"))
    noted = [p for p in PAPERS if p["notes"]]
    wait_results(page, len(noted))
    page.wait_for_selector("[data-rl-facets] .rl-facet")
    facet = page.locator("[data-rl-facets] .rl-facet[data-rl-token='status:reading']")
    count = int(facet.locator(".rl-facet-count").inner_text())
    expect = {p["slug"] for p in noted if status(p) == "reading"}
    assert count == len(expect) > 0
    assert facet.get_attribute("aria-pressed") == "false"
    facet.click()
    wait_results(page, count)
    assert set(shown(page)) == expect
    assert page.locator("#rl-page-q").input_value() == "has:notes status:reading"
    assert "status%3Areading" in page.url or "status:reading" in page.url
    pressed = page.locator("[data-rl-facets] .rl-facet[data-rl-token='status:reading']")
    assert pressed.get_attribute("aria-pressed") == "true"
    tag = page.locator("[data-rl-facets] .rl-facet[data-rl-token='in:tags/rag']")
    if tag.count():
        n = int(tag.locator(".rl-facet-count").inner_text())
        assert n == len({s for s in expect if "rag" in BY_SLUG[s]["front"]["tags"]})
    pressed.click()  # a second click takes the filter out
    wait_results(page, len(noted))


@pytest.mark.parametrize("how", ["file", "http"])
def test_a_tag_page_filter_counts_the_whole_list_and_opens_it_filtered(open_page, how):
    rag = [p for p in PAPERS if "rag" in p["front"]["tags"]]
    page = open_page(how, "tags/rag/index.html")
    assert page.locator(".paper-list > li").count() == 4  # a page of a longer list
    form = page.locator("[data-rl-filters]")
    assert form.is_visible()
    form.locator("summary").click()
    page.wait_for_function("""() => /papers in this list/.test(
        document.querySelector('[data-rl-filters-total]').textContent)""")
    total = form.locator("[data-rl-filters-total]").inner_text()
    assert total == f"{len(rag)} papers in this list."
    lead = page.locator(".lead").inner_text()
    assert lead.startswith(f"{len(rag)} paper")
    status_counts = {o.get_attribute("value"): int(o.get_attribute("data-count"))
                     for o in form.locator("select[name=status] option").all()
                     if o.get_attribute("value")}
    assert sum(status_counts.values()) == len(rag)
    read = {p["slug"] for p in rag if status(p) == "read"}
    assert status_counts["status:read"] == len(read)
    form.locator("select[name=status]").select_option("status:read")
    form.locator("select[name=sort]").select_option("rating")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    assert page.url == page.base + "search/index.html?in=tags%2Frag&q=status%3Aread&sort=rating"
    wait_results(page, len(read))
    assert set(shown(page)) == read
    scope = page.locator("[data-rl-scope]")
    assert "Tag rag" in scope.inner_text()
    scope.locator("button").click()  # the scope can be removed
    every_read = slugs_where(lambda p: status(p) == "read")
    wait_results(page, len(every_read))
    assert "in=" not in page.url



@pytest.mark.parametrize("how", ["file", "http"])
def test_enter_in_a_scoped_search_keeps_the_list_and_the_focus(open_page, how):
    """The search page's form has no field for the list scope: Enter (or the Search
    button) reloaded the page without ``in=``, so the results widened to the whole list
    and the focus fell to the page's top. The results are live already: the form stays."""
    rag_read = slugs_where(lambda p: "rag" in p["front"]["tags"] and status(p) == "read")
    page = open_page(how, "search/index.html?in=tags/rag&q=status:read&sort=rating")
    wait_results(page, len(rag_read))
    box = page.locator("#rl-page-q")
    box.focus()
    box.press("End")
    box.press("Enter")
    page.wait_for_timeout(500)  # (a reload, were there one, has begun)
    wait_results(page, len(rag_read))
    assert set(shown(page)) == rag_read
    assert "in=tags%2Frag" in page.url or "in=tags/rag" in page.url
    assert page.evaluate("document.activeElement.id") == "rl-page-q"
    page.locator(".rl-page-form button[type=submit]").click()
    page.wait_for_timeout(500)
    wait_results(page, len(rag_read))
    assert "Tag rag" in page.locator("[data-rl-scope]").inner_text()

def test_the_home_page_form_without_javascript_is_hidden(browser, bases):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(bases["file"] + "index.html")
    assert page.locator("[data-rl-filters]").is_hidden()
    assert page.locator(".paper-list > li").count() == 4
    context.close()


@pytest.mark.parametrize("how", ["file", "http"])
def test_download_bibtex_saves_exactly_the_shown_results(open_page, how, site):
    expect = slugs_where(lambda p: rating(p) >= 4)
    page = open_page(how, "search/index.html?q=" + quote("rating:>=4"))
    wait_results(page, len(expect))
    button = page.locator("[data-rl-bib]")
    assert button.is_visible()
    with page.expect_download() as info:
        button.click()
    download = info.value
    assert download.suggested_filename.endswith(".bib")
    text = Path(download.path()).read_text(encoding="utf-8")
    entries = filterlist.bib_entries(text)
    keys = filterlist.bibtex_keys(site)
    assert set(entries) == {keys[s] for s in expect}
    papers_bib = filterlist.bib_entries((site / "papers.bib").read_text(encoding="utf-8"))
    for key, entry in entries.items():
        assert papers_bib[key] == entry


def focused(page) -> str:
    """What has the keyboard focus: a facet's token, else the element's tag and text."""
    return page.evaluate("""() => { const e = document.activeElement;
        return e.getAttribute('data-rl-token')
            || e.tagName + ' ' + (e.textContent || '').trim().slice(0, 30); }""")


def test_a_facet_chosen_with_the_keyboard_keeps_the_focus(open_page):
    """The facet panel is drawn anew after each choice: the focus stays on the button just
    pressed (its new self), so a keyboard user can take the filter out again or go on to
    the next one, instead of starting over from the top of the page."""
    page = open_page("file", "search/index.html?q=" + quote("has:notes"))
    noted = [p for p in PAPERS if p["notes"]]
    wait_results(page, len(noted))
    page.wait_for_selector("[data-rl-facets] .rl-facet")
    reading = [p for p in noted if status(p) == "reading"]
    page.locator("[data-rl-facets] .rl-facet[data-rl-token='status:reading']").focus()
    page.keyboard.press("Enter")
    wait_results(page, len(reading))
    assert focused(page) == "status:reading"
    pressed = page.locator("[data-rl-facets] .rl-facet[data-rl-token='status:reading']")
    assert pressed.get_attribute("aria-pressed") == "true"
    assert pressed.evaluate("b => b.matches(':focus-visible')")
    page.keyboard.press("Space")  # pressed again: the filter is taken out, the focus stays
    wait_results(page, len(noted))
    assert focused(page) == "status:reading"
    page.keyboard.press("Tab")  # on to the next facet
    assert focused(page) != "status:reading"
    assert page.evaluate("document.activeElement.closest('[data-rl-facets] li') !== null")


def test_on_a_phone_the_facet_panel_starts_closed_and_stays_as_left(browser, bases):
    """At 390 px the facet panel, open, pushed the first result a screen or more down: it
    starts closed there (open on a wide screen), opens from the keyboard, and stays open
    while facets are chosen."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(bases["file"] + "search/index.html?q=" + quote("has:notes"))
        noted = [p for p in PAPERS if p["notes"]]
        wait_results(page, len(noted))
        page.wait_for_selector("[data-rl-facets] summary")
        assert page.locator("[data-rl-facets] details").get_attribute("open") is None
        first = page.locator("#rl-page-listbox [role=option]").first.bounding_box()
        assert first and first["y"] + first["height"] <= 844
        page.locator("[data-rl-facets] summary").focus()
        page.keyboard.press("Enter")
        facet = page.locator("[data-rl-facets] .rl-facet[data-rl-token='status:reading']")
        facet.focus()
        page.keyboard.press("Enter")
        wait_results(page, len([p for p in noted if status(p) == "reading"]))
        assert page.locator("[data-rl-facets] details").get_attribute("open") is not None
        assert focused(page) == "status:reading"
        page.set_viewport_size({"width": 1280, "height": 900})
        page.reload()
        page.wait_for_selector("[data-rl-facets] .rl-facet")
        assert page.locator("[data-rl-facets] details").get_attribute("open") is not None
    finally:
        context.close()


def test_download_bibtex_from_the_keyboard_keeps_the_focus(open_page):
    """The button waits for the entries without being disabled: a disabled button drops
    the focus to the page's top."""
    expect = slugs_where(lambda p: rating(p) >= 4)
    page = open_page("file", "search/index.html?q=" + quote("rating:>=4"))
    wait_results(page, len(expect))
    page.locator("[data-rl-bib]").focus()
    with page.expect_download():
        page.keyboard.press("Enter")
    assert focused(page).startswith("BUTTON Download BibTeX")


def _axe_all(page, axe_script: Path) -> list[str]:
    page.add_script_tag(path=str(axe_script))
    return page.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.map(v => v.impact + ' ' + v.id + ': ' +
            v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_facets_and_the_filter_form_pass_axe(open_page, scheme, axe_script):
    page = open_page("http", "search/index.html?q=" + quote("has:notes") + "&sort=rating",
                     scheme)
    page.wait_for_selector("[data-rl-facets] .rl-facet")
    page.locator("[data-rl-facets] .rl-facet").first.click()
    page.wait_for_selector("[data-rl-facets] .rl-facet[aria-pressed=true]")
    assert _axe_all(page, axe_script) == []
    page = open_page("http", "tags/rag/index.html", scheme)
    page.locator("[data-rl-filters] summary").click()
    page.wait_for_selector("[data-rl-filters] select[name=tag] option:nth-child(2)",
                           state="attached")
    assert _axe_all(page, axe_script) == []
