"""A researcher's notes under a paper's front matter: links to other papers, math, headings,
and what ``check`` says about a link to a paper that is not there."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from generator import cli
from generator.build import build_to_disk
from generator.markdown import render_markdown
from generator.model import Paper
from generator.search import snippet_source
from tests.conftest import write_list


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
