"""A researcher's notes under a paper's front matter: links to other papers, math, headings,
and what ``check`` says about a link to a paper that is not there."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator import cli
from generator.build import build_to_disk
from generator.feeds import XML_BASE
from generator.markdown import render_markdown
from generator.model import Paper
from generator.search import snippet_source
from tests.conftest import write_list

ATOM = "{http://www.w3.org/2005/Atom}"


class _Links(HTMLParser):
    """Every ``<a href>`` inside the page's notes section."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "section" and "notes" in (found.get("class") or "").split():
            self.depth = 1
        elif tag == "section" and self.depth:
            self.depth += 1
        elif tag == "a" and self.depth:
            self.hrefs.append(found.get("href") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.depth:
            self.depth -= 1


def _notes_links(page: Path) -> list[str]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.hrefs


OTHER = "---\ntitle: Rotary Embeddings\nyear: 2021\n---\nShort notes.\n"


def test_links_to_another_paper_open_its_page_from_disk(tmp_path):
    """Every way a writer links the paper beside this one (its file, as an editor or GitHub
    would follow it; README's folder form; a bare slug) opens that paper's page, also
    from file:// where a folder link shows a listing, and keeps its #fragment."""
    notes = ("See [a](rotary.md), [b](./rotary.md), [c](../rotary.md), [d](../rotary/), "
             "[e](rotary), [f](rotary.md#results), [g](https://example.org/x.md), "
             "[h](fig.png), [i](#top).\n")
    config = write_list(tmp_path, {
        "rotary": OTHER,
        "main": "---\ntitle: Main Paper\nyear: 2024\n---\n" + notes})
    build_to_disk(config, tmp_path / "site")
    page = tmp_path / "site" / "papers" / "main" / "index.html"
    hrefs = _notes_links(page)
    assert hrefs == ["../rotary/index.html"] * 5 + [
        "../rotary/index.html#note-results", "https://example.org/x.md", "fig.png", "#top"]
    for href in hrefs[:6]:
        assert (page.parent / href.split("#")[0]).resolve().is_file()


def test_check_warns_of_a_link_to_a_paper_not_in_the_list(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "config.yaml").write_text("title: T\n")
    (tmp_path / "content" / "papers" / "rotary.md").write_text(OTHER)
    # CRLF line ends, a blank line after the front matter, links in a list and a quote
    text = ("---\ntitle: Main Paper\nyear: 2024\n---\n\n# Notes\n\nFine: [r](rotary.md).\n\n"
            "- one\n- see [gone](gone-paper.md) and\n  [typo](../rotray/)\n\n"
            "> quoted [x](missing)\n")
    (tmp_path / "content" / "papers" / "main.md").write_bytes(
        text.replace("\n", "\r\n").encode())
    assert cli.main(["check"]) == 0
    err = capsys.readouterr().err
    assert err.splitlines() == [
        "content/papers/main.md:11: warning: notes: link to 'gone-paper', but no paper's file "
        "is named gone-paper.md; the link would be dead",
        "content/papers/main.md:12: warning: notes: link to 'rotray', but no paper's file "
        "is named rotray.md; the link would be dead",
        "content/papers/main.md:14: warning: notes: link to 'missing', but no paper's file "
        "is named missing.md; the link would be dead",
    ]


def test_check_warns_of_a_link_the_site_shows_as_text(tmp_path, monkeypatch, capsys):
    """A javascript:, data:, vbscript: or file: link is never made a link (the page shows
    the Markdown as text): check says so at its line; the same text in code is code."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "config.yaml").write_text("title: T\n")
    (tmp_path / "content" / "papers" / "main.md").write_text(
        "---\ntitle: Main Paper\n---\nSee [run](javascript:go()) and `[x](javascript:y)` "
        "and [ok](https://example.org).\n\n![pic](data:text/html,x) and\n"
        "[two](  JaVaScRiPt:x), [three](file:///etc/passwd).\n\n    [code](javascript:z)\n\n"
        "[ref]: vbscript:x\n")
    assert cli.main(["check"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        f"content/papers/main.md:{line}: warning: notes: a {scheme}: link is never made a "
        "link; the site shows it as text"
        for line, scheme in [(4, "javascript"), (6, "data"), (7, "file"), (7, "javascript"),
                             (11, "vbscript")]]
    config = write_list(tmp_path / "built", {"main": (tmp_path / "content" / "papers" /
                                                      "main.md").read_text()})
    build_to_disk(config, tmp_path / "site")
    hrefs = _notes_links(tmp_path / "site" / "papers" / "main" / "index.html")
    assert hrefs == ["https://example.org"]


@pytest.mark.parametrize(("source", "html"), [
    # display math on lines of its own: one formula, no `$$` and no raw `x_i` left
    ("$$\n\\sum_{i=1}^n x_i^2\n$$",
     '<p><span class="math math-display">∑<sub>i=1</sub><sup>n</sup> x<sub>i</sub>'
     "<sup>2</sup></span></p>\n"),
    ("\\[\n a_i * b_i * c \n\\]",
     '<p><span class="math math-display">a<sub>i</sub> * b<sub>i</sub> * c</span></p>\n'),
    # \(...\): LaTeX's inline math, not escaped parentheses with emphasis between
    ("so \\(a*b*c_i\\) holds",
     '<p>so <span class="math">a*b*c<sub>i</sub></span> holds</p>\n'),
    ("\\(x\\) and \\(y_1\\)",
     '<p><span class="math">x</span> and <span class="math">y<sub>1</sub></span></p>\n'),
    # still Markdown's escapes and prices
    ("see \\[1\\] and \\(sic", "<p>see [1] and (sic</p>\n"),
    ("a $$ b", "<p>a $$ b</p>\n"),
])
def test_math_in_notes(source, html):
    assert render_markdown(source, heading_offset=2) == html


@pytest.mark.parametrize("notes", [
    "# Key ideas\n\nplain words\n\n## Results\n\n## Results\n",  # the shortcut past markdown-it
    "# Key ideas\n\nSee [k](#key-ideas), [r](#results-1).\n\n## Results\n\n## Results\n",
])
def test_links_to_headings_in_the_notes_find_them(notes):
    """``[see](#key-ideas)`` finds ``# Key ideas`` as on GitHub (a repeated heading is
    ``-1``); the ids start with ``note-``, clear of the page's own (``#main``, ``#cite-text``)."""
    html = render_markdown(notes, heading_offset=2)
    assert '<h3 id="note-key-ideas">Key ideas</h3>' in html
    assert '<h4 id="note-results">Results</h4>\n<h4 id="note-results-1">Results</h4>' in html
    if "[k]" in notes:
        assert '<a href="#note-key-ideas">k</a>, <a href="#note-results-1">r</a>' in html
    assert "id=" not in render_markdown(notes)  # an abstract, shown in lists: no ids


@pytest.fixture
def heading_site(tmp_path: Path) -> Path:
    """Two papers whose notes link headings (built before the browser starts its threads)."""
    config = write_list(tmp_path, {
        "rotary": "---\ntitle: Rotary\nyear: 2021\n---\n# Results\n\n" + "Filler.\n\n" * 80
                  + "## Ablations\n\nLast.\n",
        "main": "---\ntitle: Main\nyear: 2024\n---\n[jump](#open-questions) "
                "[there](rotary.md#ablations)\n\n" + "Filler.\n\n" * 80
                + "## Open questions\n\nWhy?\n"})
    build_to_disk(config, tmp_path / "site")
    return tmp_path / "site"


def test_a_heading_link_works_in_the_browser(heading_site, browser):
    """Clicking a link to a heading of the notes, and one to a heading of another paper's
    notes, from file://, scrolls to that heading."""
    page = browser.new_page(viewport={"width": 800, "height": 600})
    try:
        page.goto((heading_site / "papers/main/index.html").as_uri())
        page.click("text=jump")
        page.wait_for_function("location.hash === '#note-open-questions'")
        top = page.evaluate("document.getElementById('note-open-questions')"
                            ".getBoundingClientRect().top")
        assert 0 <= top < 600
        page.click("text=there")
        page.wait_for_url("**/papers/rotary/index.html#note-ablations")
        top = page.evaluate("document.getElementById('note-ablations')"
                            ".getBoundingClientRect().top")
        assert 0 <= top < 600
    finally:
        page.close()


def test_a_paper_with_notes_only_shows_their_words_in_cards_and_search(tmp_path):
    """Without an abstract, the card and the search result show the start of the notes:
    their words, not the Markdown that lays them out ('# Summary', '- [ ]', '>')."""
    notes = ("# Summary\n\n- [ ] read section 3\n- two *points*\n\n> A quoted passage.\n\n"
             "```python\nx = 1\n```\n")
    assert snippet_source(Paper(slug="n", title="N", notes=notes)) == \
        "Summary ☐ read section 3 two points A quoted passage."
    config = write_list(tmp_path, {"n": "---\ntitle: Notes Only\nyear: 2024\n---\n" + notes})
    build_to_disk(config, tmp_path / "site")
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert ('<span class="card-snippet">Summary ☐ read section 3 two points A quoted '
            "passage.</span>") in home


def test_task_lists_show_ballot_boxes():
    """``- [ ] read section 3`` is a to-do, not brackets: ☐ / ☑ (read out by screen
    readers) in place of the bullet; ``[ ]`` outside a list item stays as written."""
    html = render_markdown("- [ ] read section 3\n- [x] read the abstract\n- a point\n\n"
                           "1. [X] rerun\n\n[ ] not a task", heading_offset=2)
    assert html == ('<ul>\n<li class="task">☐ read section 3</li>\n'
                    '<li class="task">☑ read the abstract</li>\n<li>a point</li>\n</ul>\n'
                    '<ol>\n<li class="task">☑ rerun</li>\n</ol>\n<p>[ ] not a task</p>\n')


def test_check_warns_of_an_image_the_site_does_not_publish(tmp_path, monkeypatch, capsys):
    """Only ``static/`` files are copied into the site: an image beside the content file
    would be a broken image, so check says where to put it; one in overrides/static is
    fine, and a remote one is not looked at."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "overrides" / "static" / "img").mkdir(parents=True)
    (tmp_path / "overrides" / "static" / "img" / "map.png").write_bytes(b"png")
    (tmp_path / "config.yaml").write_text("title: T\n")
    (tmp_path / "content" / "papers" / "main.md").write_text(
        "---\ntitle: Main\nyear: 2024\n---\n![fig](fig1.png)\n\n"
        "![ok](../../static/img/map.png) ![remote](https://example.org/a.png)\n"
        "![gone](../../static/img/gone.png)\n")
    assert cli.main(["check"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "content/papers/main.md:5: warning: notes: image 'fig1.png' is not a file the site "
        "publishes; put it in overrides/static/ and write ../../static/fig1.png",
        "content/papers/main.md:8: warning: notes: image '../../static/img/gone.png': no "
        "overrides/static/img/gone.png",
    ]


# --- footnotes ---------------------------------------------------------------------------

class _Elements(HTMLParser):
    """Every element's (tag, attributes) and the text of ``section.notes``."""

    def __init__(self) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.depth = 0
        self.notes_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.elements.append((tag, found))
        if tag == "section" and ("notes" in found.get("class", "").split() or self.depth):
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "section" and self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.notes_text.append(data)


def _elements(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


# notes as a researcher writes them: a note cited twice, a named one, one cited in a table
FOOTNOTES = ("The method scales[^1] to 128K tokens.[^long] It fails on code[^1].\n\n"
             "| Length | Score[^t] |\n|---|---:|\n| 8K | 0.9 |\n\n"
             "- [ ] rerun section 3\n- [x] read the appendix\n\n"
             "[^1]: Only with **RoPE** scaling; a quixotic claim.\n"
             "[^long]: Two paragraphs\n\n    of a [longer](https://example.org) note.\n"
             "[^t]: Exact match.\n")


def test_footnotes_link_to_their_notes_and_back(tmp_path):
    """``text[^1]`` ... ``[^1]: the note`` is a footnote: a numbered link to the note at the
    end of the notes, and from the note back to each place that cites it. The ids are
    unique on the page and across a feed's entries (two papers' notes each have a note 1;
    the slugs ``two`` and ``two-2`` start alike), and no ``[^1]`` is left as text."""
    front = "---\ntitle: {}\ndate: 2024-01-0{}\ntags: [x]\n---\n"
    config = write_list(tmp_path, {"two": front.format("Two", 1) + FOOTNOTES,
                                   "two-2": front.format("Two again", 2) + FOOTNOTES},
                        "title: T\nbase_url: https://example.org/list/\n")
    build_to_disk(config, tmp_path / "site")
    html = (tmp_path / "site" / "papers" / "two" / "index.html").read_text(encoding="utf-8")
    page = _elements(html)
    ids = [a["id"] for _, a in page.elements if "id" in a]
    assert len(ids) == len(set(ids))
    refs = [a for tag, a in page.elements if tag == "a" and a.get("aria-label", "")
            .startswith("Footnote ")]
    backs = [a for _, a in page.elements if a.get("class") == "footnote-backref"]
    notes = [a["id"] for tag, a in page.elements if tag == "li" and a.get("id", "")
             .startswith("fn-")]
    # in the order first cited; the note cited twice has two ways back
    assert [r["href"] for r in refs] == \
        ["#fn-two--1", "#fn-two--2", "#fn-two--1", "#fn-two--3"]
    assert notes == ["fn-two--1", "fn-two--2", "fn-two--3"]
    assert [b["href"] for b in backs] == [
        "#" + r["id"] for r in (refs[0], refs[2], refs[1], refs[3])]
    assert {r["href"][1:] for r in refs} <= set(ids)
    text = " ".join("".join(page.notes_text).split())
    assert "[^" not in text and "]:" not in text
    for words in ("Only with RoPE scaling; a quixotic claim.", "Two paragraphs",
                  "of a longer note.", "Exact match.", "☐ rerun section 3"):
        assert words in text, words
    assert ("table", {}) in page.elements
    # a feed shows many papers' notes: no id twice, and each link finds its note from the
    # entry's base (the paper's page)
    feed = ET.fromstring((tmp_path / "site" / "feed.xml").read_bytes())
    contents = [e.find(ATOM + "content") for e in feed.findall(ATOM + "entry")]
    feed_ids = [a["id"] for c in contents for _, a in _elements(c.text or "").elements
                if "id" in a]
    assert len(feed_ids) == 14 and len(set(feed_ids)) == 14
    for content in contents:
        assert "[^" not in (content.text or "")
        page_url = content.get(XML_BASE)
        assert page_url.endswith(("/papers/two/", "/papers/two-2/"))
        slug = page_url.rstrip("/").rsplit("/", 1)[1]
        assert f'href="#fn-{slug}--1"' in (content.text or "")
    # the search index has the notes' words, not the footnotes' labels
    search = (tmp_path / "site" / "search" / "text.js").read_text(encoding="utf-8")
    assert '"quixot"' in search and '"long"' not in search


def test_footnote_markup_leaves_no_trace_in_a_card_or_an_abstract(tmp_path):
    """A card shows the start of notes without an abstract: a footnote's number is no part
    of it, nor a reference whose note is past the cut. An abstract's ``[^1]`` is text
    (footnotes are the notes'): no ids beside the notes' on the page."""
    notes = "Read it twice[^1] " + "and again " * 40 + "\n\n[^1]: Once more.\n"
    snippet = snippet_source(Paper(slug="n", title="N", notes=notes))
    assert snippet.startswith("Read it twice and again") and "[^" not in snippet
    config = write_list(tmp_path, {
        "n": "---\ntitle: N\nyear: 2024\n---\n" + notes,
        "a": "---\ntitle: A\nyear: 2024\nabstract: 'Pre[^1] text.'\n---\n"})
    build_to_disk(config, tmp_path / "site")
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "Read it twice and again" in home and "[^" not in home.split("Pre[^1]")[0]
    abstract = (tmp_path / "site" / "papers" / "a" / "index.html").read_text(encoding="utf-8")
    assert "<p>Pre[^1] text.</p>" in abstract and "footnote" not in abstract


def test_check_reads_links_in_footnotes_at_their_lines(tmp_path, monkeypatch, capsys):
    """check reads the notes as the site does: a link in a footnote is warned of at its
    line; so is a citation of a footnote never written (shown as ``[^2]``) and a footnote
    never cited (left out of the page)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    write_list(tmp_path, {"main": (
        "---\ntitle: Main\n---\nSee this.[^1] And that.[^2]\n\n"
        "[^1]: As [gone](gone.md) said,\n    and [run](javascript:go()).\n"
        "[^3]: A note written, never cited.\n\nIn code, `[^4]` is no footnote.\n")})
    assert cli.main(["check"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "content/papers/main.md:4: warning: notes: [^2] cites no footnote (no line "
        "'[^2]: ...'); the site shows it as written",
        "content/papers/main.md:6: warning: notes: link to 'gone', but no paper's file is "
        "named gone.md; the link would be dead",
        "content/papers/main.md:7: warning: notes: a javascript: link is never made a link; "
        "the site shows it as text",
        "content/papers/main.md:8: warning: notes: footnote [^3] is cited nowhere (no "
        "'[^3]' in the text); the site leaves it out"]


@pytest.fixture
def footnote_site(tmp_path: Path) -> Path:
    """A paper whose notes have footnotes, a task list and a table, far apart on the page
    (built before the browser starts its threads)."""
    notes = FOOTNOTES.replace("It fails", "Filler.\n\n" * 60 + "It fails")
    config = write_list(tmp_path, {"main": "---\ntitle: Main\nyear: 2024\n---\n" + notes})
    build_to_disk(config, tmp_path / "site")
    return tmp_path / "site"


def test_a_footnote_and_its_way_back_work_in_the_browser(footnote_site, browser, axe_script):
    """From file://, a footnote's number scrolls to its note, and the note's second way
    back to the second place that cites it; axe-core finds no violation of any impact on
    the page (footnotes, task list, table), in the light and the dark scheme."""
    for scheme in ("light", "dark"):
        context = browser.new_context(viewport={"width": 800, "height": 600},
                                      color_scheme=scheme)
        page = context.new_page()
        try:
            page.goto((footnote_site / "papers/main/index.html").as_uri())
            page.add_script_tag(path=str(axe_script))
            violations = page.evaluate("""async () => (await axe.run(document,
                {resultTypes: ["violations"]})).violations.map(v => v.id + " " + v.impact)""")
            assert violations == [], (scheme, violations)
        finally:
            context.close()
    page = browser.new_page(viewport={"width": 800, "height": 600})
    try:
        page.goto((footnote_site / "papers/main/index.html").as_uri())
        page.locator("sup.footnote-ref a").nth(2).click()  # the second citation of note 1
        page.wait_for_function("location.hash === '#fn-main--1'")
        top = page.evaluate("document.getElementById('fn-main--1').getBoundingClientRect().top")
        assert 0 <= top < 600
        page.get_by_label("Back to reference 1-2").click()
        page.wait_for_function("location.hash === '#fnref-main--1-2'")
        top = page.evaluate("document.getElementById('fnref-main--1-2')"
                            ".getBoundingClientRect().top")
        assert 0 <= top < 600
        assert page.evaluate("document.getElementById('fnref-main--1').getBoundingClientRect()"
                             ".top") < 0  # the first citation is far above
    finally:
        page.close()


def test_check_takes_an_escaped_footnote_citation_as_text(tmp_path, monkeypatch, capsys):
    """``\\[^a-z]`` (a regex, a bracket) is written as text on purpose: no warning; a note
    nothing cites is found at its own line, not at a line of code that looks like it."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    write_list(tmp_path, {"main": (
        "---\ntitle: Main\n---\nThe regex \\[^a-z]+ and &#91;^b] drop letters; [^c] is "
        "missing.\n\n```\n[^1]: in code\n```\n\n[^1]: Never cited.\n")})
    assert cli.main(["check"]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "content/papers/main.md:4: warning: notes: [^c] cites no footnote (no line "
        "'[^c]: ...'); the site shows it as written",
        "content/papers/main.md:10: warning: notes: footnote [^1] is cited nowhere (no "
        "'[^1]' in the text); the site leaves it out"]

