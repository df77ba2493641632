"""Search in headless Chromium on the real built site (the bundled reading list).

From file:// and from a server under a sub-path (/repo/, as GitHub Pages serves a project
site): the header box (focused by /) shows results as you type, arrows and Enter open the
right paper page, the search page answers ?q= links, malformed queries give hints and never
a console error, the index loads lazily and only from the site, and axe-core finds no
serious or critical violation in the open result list, light or dark. Debian's
/usr/bin/chromium is used (never a downloaded browser); without it the tests skip, unless
CI is set.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from conftest import PUBLISHED, REPO, serve_under_prefix, write_list

from generator.build import build_to_disk
from generator.config import load_config

pytestmark = pytest.mark.browser

LANDMARK = "papers/landmark-attention-random-access-infinite-context-length/index.html"
LENGTH = "papers/a-length-extrapolatable-transformer/index.html"
MALFORMED = ["author:", "*", '"unbalanced', "~", "^", "question?", ":", "+", "-", '"',
             "title:\"long", "((", "\\", "a:b:c", "constructor", "__proto__", "x~9", "^^2",
             "-\"long context\"", "+-", "atten* -", "😀", "year:20"]



@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled reading list, built with the real build."""
    if not any((REPO / "content" / "papers").glob("*.md")):
        pytest.skip("content/papers is empty")
    config, problems = load_config(REPO / "config.yaml", PUBLISHED)
    assert not [p for p in problems if p.severity == "error"], problems
    out = tmp_path_factory.mktemp("search-browser") / "site"
    build_to_disk(config, out)
    assert (out / "search" / "meta.js").exists() and (out / LANDMARK).exists()
    return out


@pytest.fixture(scope="module")
def bases(site: Path) -> Iterator[dict[str, str]]:
    with serve_under_prefix(site) as url:
        yield {"file": site.as_uri() + "/", "http": url}


class Page:
    """A page plus everything that went wrong while it lived."""

    def __init__(self, browser, base: str, path: str, scheme: str = "light"):
        self.base = base
        self.context = browser.new_context(color_scheme=scheme)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.requests: list[str] = []
        p = self.page
        p.on("console", lambda m: self.problems.append(f"console {m.type}: {m.text}")
             if m.type in ("error", "warning") else None)
        p.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        p.on("requestfailed", self._failed)
        p.on("response", lambda r: self.problems.append(f"HTTP {r.status}: {r.url}")
             if r.status >= 400 else None)
        p.on("request", self._request)
        self.context.route("http*://**/*", lambda route: route.continue_()
                           if route.request.url.startswith(base) else route.abort())
        p.goto(base + path, wait_until="load")

    def _failed(self, request) -> None:
        # A navigation (Enter opening a result) cancels the abstracts part still loading
        # in the background: that is ERR_ABORTED, not a missing or broken file.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} {request.failure}")

    def _request(self, request) -> None:
        self.requests.append(request.url)
        if not (request.url.startswith(self.base) or request.url.startswith("data:")):
            self.problems.append(f"request outside the site: {request.url}")

    def close(self) -> None:
        self.context.close()

    def options(self, listbox: str) -> list[str]:
        return self.page.locator(f"#{listbox} [role=option] .rl-result-title").all_inner_texts()

    def wait_first(self, listbox: str, text: str) -> None:
        self.page.wait_for_function(
            """([id, text]) => {
                const o = document.querySelector('#' + id + ' [role=option] .rl-result-title');
                return o && o.textContent.includes(text);
            }""", arg=[listbox, text], timeout=10_000)

    def status(self, selector: str) -> str:
        return self.page.locator(selector).inner_text()


@pytest.fixture
def open_page(browser, bases) -> Iterator:
    pages: list[Page] = []

    def make(how: str, path: str, scheme: str = "light") -> Page:
        page = Page(browser, bases[how], path, scheme)
        pages.append(page)
        return page

    yield make
    problems = [p for page in pages for p in page.problems]
    for page in pages:
        page.close()
    assert not problems, problems


@pytest.mark.parametrize("how", ["file", "http"])
def test_header_box_types_moves_and_opens(open_page, how):
    page = open_page(how, "index.html")
    p = page.page
    # nothing of the index is loaded before the box is used
    assert not any("search/meta.js" in u or "lunr" in u for u in page.requests)
    assert p.locator("#rl-q").get_attribute("aria-expanded") == "false"
    p.keyboard.press("/")
    assert p.evaluate("document.activeElement.id") == "rl-q"
    p.keyboard.type("landmark att", delay=20)
    page.wait_first("rl-q-listbox", "Landmark Attention")
    box = p.locator("#rl-q")
    assert box.get_attribute("role") == "combobox"
    assert box.get_attribute("aria-expanded") == "true"
    assert box.get_attribute("aria-controls") == "rl-q-listbox"
    assert p.locator("#rl-q-listbox").get_attribute("role") == "listbox"
    first = p.locator("#rl-q-listbox [role=option]").first
    assert first.locator("mark").all_inner_texts()[:2] == ["Landmark", "Attention"]
    assert "2023" in first.locator(".rl-result-meta").inner_text()
    p.keyboard.press("ArrowDown")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    assert first.get_attribute("aria-selected") == "true"
    p.keyboard.press("ArrowDown")
    p.keyboard.press("ArrowUp")
    assert box.get_attribute("aria-activedescendant") == first.get_attribute("id")
    with p.expect_navigation():
        p.keyboard.press("Enter")
    assert p.url == page.base + LANDMARK
    assert "Landmark Attention" in p.locator("h1").inner_text()
    assert any(u.endswith("search/meta.js") for u in page.requests)


@pytest.mark.parametrize("how", ["file", "http"])
def test_the_abstracts_part_loads_after_the_first_results_are_shown(open_page, how):
    """Title and author hits come first, before the abstracts part is even asked for (its
    parsing would hold them up; search.js asks once they are painted), which follows."""
    page = open_page(how, "index.html")
    p = page.page
    p.evaluate("""() => {
        window.__shown = null;
        document.querySelector('#rl-q').form.addEventListener('rl:results', () => {
            if (window.__shown === null) window.__shown = performance.now();
        });
        const add = document.head.appendChild.bind(document.head);
        document.head.appendChild = (node) => {
            if (node.src && node.src.endsWith('search/text.js')) window.__text = performance.now();
            return add(node);
        };
    }""")
    p.evaluate("""() => {  // a query waiting when the index arrives (as one typed at once)
        const input = document.querySelector('#rl-q');
        input.focus();
        input.value = 'landmark';
        input.dispatchEvent(new Event('input', {bubbles: true}));
    }""")
    page.wait_first("rl-q-listbox", "Landmark Attention")
    p.wait_for_function("window.__text !== undefined", timeout=10_000)
    shown, text = p.evaluate("[window.__shown, window.__text]")
    assert shown is not None and shown <= text
    p.wait_for_function("""() => !/loading/.test(
        document.querySelector('[data-rl-status]').textContent)""", timeout=10_000)


@pytest.mark.parametrize("how", ["file", "http"])
def test_results_from_a_paper_page_link_back_up(open_page, how):
    page = open_page(how, LANDMARK)
    p = page.page
    p.locator("#rl-q").click()
    p.keyboard.type("author:sun extrapolatable", delay=10)
    page.wait_first("rl-q-listbox", "A Length-Extrapolatable Transformer")
    href = p.locator("#rl-q-listbox [role=option]").first.get_attribute("href")
    assert href == "../../" + LENGTH
    live = p.locator("[data-rl-live]").first
    p.wait_for_function("el => /result/.test(el.textContent)", arg=live.element_handle())
    p.keyboard.press("Escape")
    assert p.locator("#rl-q").get_attribute("aria-expanded") == "false"
    assert p.locator(".rl-popup").is_hidden()
    p.keyboard.press("ArrowDown")  # reopens
    page.wait_first("rl-q-listbox", "A Length-Extrapolatable Transformer")
    with p.expect_navigation():
        p.locator("#rl-q-listbox [role=option]").first.click()
    assert p.url == page.base + LENGTH


@pytest.mark.parametrize("how", ["file", "http"])
def test_search_page_answers_q_links(open_page, how):
    page = open_page(how, "search/index.html?q=" + quote("author:sun"))
    p = page.page
    assert p.locator("#rl-page-q").input_value() == "author:sun"
    p.wait_for_function("document.querySelectorAll('#rl-page-listbox [role=option]').length == 7")
    assert "7 papers" in page.status("[data-rl-search=page] .rl-status")
    for mark in p.locator("#rl-page-listbox mark").all_inner_texts():
        assert mark == "Sun"
    # the syntax is documented on the page
    syntax = p.locator("#syntax").locator("xpath=..").inner_text()
    for example in ("author:sun", '"long context"', "atten*", "transfomer~1", "tag:long-context",
                    "year:2024", "title:attention", "+reasoning -survey"):
        assert example in syntax
    # typing on the page: live results, a typo, then the keyboard opens the paper
    p.locator("#rl-page-q").fill("")
    p.locator("#rl-page-q").type("landmrk~1", delay=10)
    page.wait_first("rl-page-listbox", "Landmark Attention")
    p.keyboard.press("ArrowDown")
    with p.expect_navigation():
        p.keyboard.press("Enter")
    assert p.url == page.base + LANDMARK


def test_show_more_from_the_keyboard_keeps_the_focus_in_the_search(open_page):
    """"Show 50 more" keeps the focus while more remain; when it shows the last ones it
    hides, and the box takes the focus with the first paper just shown as its choice
    (instead of the focus falling to the top of the page): Enter opens that paper."""
    page = open_page("file", "search/index.html?q=" + quote("status:unread"))
    p = page.page
    p.wait_for_selector("#rl-page-listbox [role=option]")
    total = int(page.status("[data-rl-search=page] .rl-status").split()[0])
    assert total > 100
    more = p.locator("button[data-rl-more]")
    more.focus()
    shown = 50
    while shown + 50 < total:
        p.keyboard.press("Enter")
        shown += 50
        p.wait_for_function(f"document.querySelectorAll('#rl-page-listbox [role=option]')"
                            f".length == {shown}")
        assert p.evaluate("document.activeElement.matches('button[data-rl-more]')")
    p.keyboard.press("Enter")
    p.wait_for_function(f"document.querySelectorAll('#rl-page-listbox [role=option]')"
                        f".length == {total}")
    assert more.is_hidden()
    assert p.evaluate("document.activeElement.id") == "rl-page-q"
    choice = p.locator(f"#rl-page-listbox-{shown}")
    chosen = p.locator("#rl-page-q").get_attribute("aria-activedescendant")
    assert chosen == choice.get_attribute("id")
    assert choice.get_attribute("aria-selected") == "true" and choice.is_visible()
    href = choice.get_attribute("href")
    with p.expect_navigation():
        p.keyboard.press("Enter")
    assert p.url.endswith(href.lstrip("./"))


@pytest.mark.parametrize("how", ["file", "http"])
def test_enter_without_a_choice_goes_to_the_search_page(open_page, how):
    page = open_page(how, "tags/index.html")
    p = page.page
    p.keyboard.press("/")
    p.keyboard.type("distill*")
    page.wait_first("rl-q-listbox", "")
    with p.expect_navigation():
        p.keyboard.press("Enter")
    assert p.url == page.base + "search/index.html?q=distill*"
    p.wait_for_selector("#rl-page-listbox [role=option]")
    # title and author hits come first; abstracts (and their hits) once painted
    p.wait_for_function("""() => !/loading/.test(
        document.querySelector('.rl-page-form [data-rl-status]').textContent)""",
                        timeout=10_000)
    assert p.locator("#rl-page-q").input_value() == "distill*"
    assert len(page.options("rl-page-listbox")) >= 10


@pytest.mark.parametrize("how", ["file", "http"])
def test_malformed_queries_give_hints_never_errors(open_page, how):
    page = open_page(how, "search/index.html")
    p = page.page
    status = "[data-rl-search=page] .rl-status"
    p.wait_for_function("window.lunr !== undefined")
    for query in MALFORMED:
        p.locator("#rl-page-q").fill("")
        p.locator("#rl-page-q").type(query, delay=5)  # every prefix of it, as typed
        p.wait_for_timeout(30)
        text = page.status(status)
        assert text.strip(), query  # a result count or a hint, always something
    p.locator("#rl-page-q").fill("author:")
    assert "author:sun" in page.status(status)
    # the header box too
    p.locator("#rl-q").click()
    for query in MALFORMED[:8]:
        p.locator("#rl-q").fill(query)
        p.wait_for_timeout(20)
    assert p.locator("#rl-q").get_attribute("aria-expanded") in ("true", "false")


def test_partial_words_and_traps_in_the_browser(open_page):
    page = open_page("file", "search/index.html")
    p = page.page
    box = p.locator("#rl-page-q")
    box.type("extrapolatab", delay=10)  # a partial word already matches
    page.wait_first("rl-page-listbox", "A Length-Extrapolatable Transformer")
    # the abstracts loaded (they add hits); from then on a query's results show as typed
    p.wait_for_function("""() => !/loading/.test(
        document.querySelector('.rl-page-form [data-rl-status]').textContent)""",
                        timeout=10_000)
    box.fill("question?")
    with_mark = p.locator("#rl-page-listbox [role=option]").count()
    box.fill("question")
    assert with_mark == p.locator("#rl-page-listbox [role=option]").count() > 0
    box.fill("distill*")
    titles = page.options("rl-page-listbox")
    assert any("Distillation" in t for t in titles)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_open_result_lists_pass_axe(open_page, scheme, axe_script):
    page = open_page("http", "search/index.html?q=attention", scheme)
    p = page.page
    p.wait_for_selector("#rl-page-listbox [role=option]")
    p.locator("#rl-q").click()
    p.keyboard.type("sun")
    page.wait_first("rl-q-listbox", "")
    p.keyboard.press("ArrowDown")
    p.add_script_tag(path=str(axe_script))
    violations = p.evaluate("""async () => {
        const r = await axe.run(document, {resultTypes: ['violations']});
        return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ': ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
    }""")
    assert violations == []


def test_the_header_results_show_status_and_rating_once_the_facts_load(browser, tmp_path,
                                                                         axe_script):
    """The pop-up results show a paper's status and rating badges, as the search page's
    do: search/facets.js is asked for only once results are shown (never before anything
    is typed, never in the way of the first results), and the badges follow."""
    import shutil

    from generator.content import edit_front_matter

    shutil.copytree(REPO / "content", tmp_path / "content")
    slug = "infllm-training-free-long-context-extrapolation-for-llms"
    path = tmp_path / "content" / "papers" / f"{slug}.md"
    path.write_text(edit_front_matter(path.read_text(encoding="utf-8"),
                                      {"status": "read", "rating": 5}), encoding="utf-8")
    build_to_disk(write_list(tmp_path, {}))
    page = Page(browser, (tmp_path / "site").as_uri() + "/", "index.html")
    try:
        p = page.page
        p.evaluate("""() => {
            window.__shown = null;
            document.querySelector('#rl-q').form.addEventListener('rl:results', (e) => {
                if (window.__shown === null && e.detail.count) window.__shown = performance.now();
            });
            const add = document.head.appendChild.bind(document.head);
            document.head.appendChild = (node) => {
                if (node.src && node.src.endsWith('search/facets.js')) {
                    window.__facets = performance.now();
                }
                return add(node);
            };
        }""")
        p.locator("#rl-q").focus()
        p.wait_for_function("window.lunr !== undefined", timeout=10_000)
        assert p.evaluate("window.__facets") is None  # nothing typed: no facts asked for
        p.keyboard.type("infllm training-free", delay=20)
        page.wait_first("rl-q-listbox", "InfLLM: Training-Free")
        first = p.locator("#rl-q-listbox [role=option]").first
        assert first.get_attribute("href") == f"papers/{slug}/index.html"
        first.locator(".rl-result-facts").wait_for(timeout=10_000)
        assert first.locator(".rl-result-facts .status.status-read").inner_text() == "Read"
        assert first.locator(".rl-result-facts .rating .visually-hidden").inner_text() == \
            "Rating 5 of 5"
        assert first.locator(".rl-result-facts .rating [aria-hidden=true]").inner_text() == \
            "★★★★★"
        shown, facets = p.evaluate("[window.__shown, window.__facets]")
        assert shown is not None and facets is not None and shown <= facets
        p.keyboard.press("ArrowDown")
        assert first.get_attribute("aria-selected") == "true"
        assert not page.problems, page.problems  # (axe, from file://, may not read the CSS)
        p.add_script_tag(path=str(axe_script))
        violations = p.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.map(v => v.impact + ': ' + v.id + ' at ' +
                v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '));
        }""")
        assert violations == []
    finally:
        page.close()


def test_on_a_phone_the_header_popup_is_as_wide_as_the_page_and_works_by_keyboard(open_page):
    """At 390 px the header box shares its row with the site's title; its results, as
    narrow as the box, wrapped a title every two words: the popup takes the page's width."""
    page = open_page("http", LANDMARK)
    p = page.page
    p.set_viewport_size({"width": 390, "height": 844})
    for _ in range(20):  # Tab only: skip link, title, the navigation, then the box
        p.keyboard.press("Tab")
        if p.evaluate("document.activeElement.id") == "rl-q":
            break
    assert p.evaluate("document.activeElement.id") == "rl-q"
    p.keyboard.type("extrapolatable", delay=10)
    page.wait_first("rl-q-listbox", "A Length-Extrapolatable Transformer")
    box = p.locator(".rl-popup").bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert box["width"] >= 390 - 2 * 20 - 1  # the page's width, less its 1.25rem margins
    p.keyboard.press("ArrowDown")
    first = p.locator("#rl-q-listbox [role=option]").first
    assert first.get_attribute("aria-selected") == "true"
    assert p.locator("#rl-q").get_attribute("aria-activedescendant") == first.get_attribute("id")
    p.keyboard.press("Escape")
    assert p.locator(".rl-popup").is_hidden()
    assert p.evaluate("document.activeElement.id") == "rl-q"
    p.keyboard.press("ArrowDown")  # reopens, the first result chosen again by Enter
    page.wait_first("rl-q-listbox", "A Length-Extrapolatable Transformer")
    p.keyboard.press("ArrowDown")
    with p.expect_navigation():
        p.keyboard.press("Enter")
    assert p.url == page.base + LENGTH


def test_chinese_japanese_and_korean_words_are_found_inside_longer_runs(browser, tmp_path):
    """From file://, on the search page: a word typed in Chinese, Japanese (kana and
    kanji, half-width katakana) or Korean (without its particle) finds the paper whose
    title holds it inside a run without spaces, marks just that word, and works with a
    filter and beside a Latin word."""
    from generator.content import render_file

    papers = {
        "zh-llm": ({"title": "大型语言模型的推理能力研究", "authors": ["张伟"], "year": 2024,
                    "abstract": "本文研究大型语言模型在数学推理任务上的表现。",
                    "status": "read"}, ""),
        "zh-vision": ({"title": "视觉模型的压缩方法", "year": 2023}, ""),
        "ja-llm": ({"title": "大規模言語モデルにおける推論の評価", "year": 2024,
                    "abstract": "ＬＬＭの推論能力を評価する。"}, ""),
        "ko-llm": ({"title": "대규모 언어 모델의 추론 능력", "year": 2024}, ""),
        "en-llm": ({"title": "Reasoning in Large Language Models", "year": 2022}, ""),
    }
    build_to_disk(write_list(tmp_path, {slug: render_file(front, notes)
                                        for slug, (front, notes) in papers.items()}))
    page = Page(browser, (tmp_path / "site").as_uri() + "/", "search/index.html")
    try:
        p = page.page
        box = p.locator("#rl-page-q")

        p.evaluate("""() => document.querySelector('#rl-page-q').form.addEventListener(
            'rl:results', (e) => { window.__shown = e.detail; })""")

        def search(query: str) -> list[str]:
            """Type the query; once its results (with the abstracts) are on screen, their
            titles."""
            box.fill("")
            box.type(query, delay=10)
            p.wait_for_function("""([q]) => window.__shown && window.__shown.query.trim() === q
                                   && window.__shown.full""", arg=[query], timeout=10_000)
            return page.options("rl-page-listbox")

        assert search("语言模型") == ["大型语言模型的推理能力研究"]
        first = p.locator("#rl-page-listbox [role=option]").first
        assert first.locator(".rl-result-title mark").all_inner_texts() == ["语言模型"]
        assert first.get_attribute("href").endswith("papers/zh-llm/index.html")
        assert sorted(search("模型")) == ["大型语言模型的推理能力研究", "视觉模型的压缩方法"]
        assert search("ﾓﾃﾞﾙ") == ["大規模言語モデルにおける推論の評価"]
        assert first.locator(".rl-result-title mark").all_inner_texts() == ["モデル"]
        assert search("推論の評価") == ["大規模言語モデルにおける推論の評価"]
        assert search("모델") == ["대규모 언어 모델의 추론 능력"]
        assert first.locator(".rl-result-title mark").all_inner_texts() == ["모델"]
        assert search("语言推理") == []
        assert search("status:read 推理") == ["大型语言模型的推理能力研究"]
        assert sorted(search("LLM 推理")) == ["大型语言模型的推理能力研究",
                                             "大規模言語モデルにおける推論の評価"]
        assert not page.problems, page.problems
    finally:
        page.close()
