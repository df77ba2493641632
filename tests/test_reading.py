"""Working with the list: the reading queue, the stats page, each term's BibTeX and each
tag's Atom feed, cards that carry what you scan for, and highlighted names. Real builds of
the bundled list, their HTML parsed; the expected numbers are counted from the content
files themselves."""

from __future__ import annotations

import re
import shutil
import xml.etree.ElementTree as ET
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import PUBLISHED, REPO, write_list

from generator.build import build
from generator.cli import main
from generator.config import load_config, parse_config
from generator.content import parse_paper
from generator.model import Paper

ATOM = "{http://www.w3.org/2005/Atom}"


class Page(HTMLParser):
    """An HTML page as its links, its elements' classes and its text, enough to assert on."""

    def __init__(self, html: str):
        super().__init__()
        self.links: list[tuple[str, str]] = []  # (href, class)
        self.tables: list[list[list[str]]] = []
        self.text: list[str] = []
        self._cell: list[str] | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "a":
            self.links.append((a.get("href") or "", a.get("class") or ""))
        elif tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append([])
        elif tag in ("td", "th") and self.tables:
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None and self.tables:
            self.tables[-1][-1].append(" ".join("".join(self._cell).split()))
            self._cell = None

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def bundled() -> dict[str, bytes]:
    config, problems = load_config(REPO / "config.yaml", PUBLISHED)
    assert not problems
    return dict(build(config).files)


@pytest.fixture(scope="module")
def papers() -> dict[str, Paper]:
    found = {}
    for path in sorted((REPO / "content" / "papers").glob("*.md")):
        paper, _ = parse_paper(path.read_text(encoding="utf-8"), path.name, path.stem)
        assert paper is not None
        found[paper.slug] = paper
    return found


def page(files: dict[str, bytes], path: str) -> Page:
    return Page(files[path].decode("utf-8"))


def cards(files: dict[str, bytes], path: str) -> list[str]:
    """The slugs of the papers a list page shows, in order."""
    html = files[path].decode("utf-8")
    return re.findall(r'<h3 class="card-title"><a href="[./]*papers/([^/]+)/index.html"', html)


def test_the_stats_page_counts_what_the_files_say(bundled, papers) -> None:
    stats = page(bundled, "stats/index.html")
    text = " ".join(" ".join(stats.text).split())
    statuses = Counter(p.status or "unread" for p in papers.values())
    assert statuses["read"] >= 5 and statuses["reading"] >= 2  # (the bundled list shows them)
    for status in ("Unread", "Reading", "Read"):
        assert f"{status} {statuses[status.lower()]}" in text
    assert f"Papers {len(papers)}" in text
    assert f"Rated {sum(1 for p in papers.values() if p.rating)}" in text
    assert f"With notes {sum(1 for p in papers.values() if p.notes.strip())}" in text
    # each chart is an inline SVG with its numbers in a table
    html = bundled["stats/index.html"].decode("utf-8")
    assert html.count("<svg") == len(stats.tables) == 5
    by_year, _, _, by_tag, _ = stats.tables
    years = Counter(str(p.display_year) for p in papers.values() if p.display_year)
    assert {row[0]: int(row[-1]) for row in by_year[1:]} == years
    per_status = {row[0]: [int(n) for n in row[1:4]] for row in by_year[1:]}
    for year, (unread, reading, read) in per_status.items():
        mine = [p for p in papers.values() if str(p.display_year) == year]
        assert (unread, reading, read) == tuple(
            sum(1 for p in mine if (p.status or "unread") == s)
            for s in ("unread", "reading", "read"))
    tags = Counter(t for p in papers.values() for t in p.tags)
    top = {row[0]: int(row[-1]) for row in by_tag[1:]}
    assert top and all(tags[name] == n for name, n in top.items())
    assert list(top.values()) == sorted(top.values(), reverse=True)
    # the bars are as long as their numbers say
    for svg in re.findall(r"<svg.*?</svg>", html, re.S):
        rows = re.findall(r"<text class=\"chart-label\"(.*?)<text class=\"chart-value\"", svg,
                          re.S)
        widths = [sum(float(w) for w in re.findall(r' width="([\d.]+)%"', row))
                  for row in rows]
        totals = [int(n) for n in re.findall(r'class="chart-value"[^>]*>(\d+)<', svg)]
        assert widths and len(widths) == len(totals)
        assert max(widths) == pytest.approx(85, abs=0.05)  # the longest bar: 85%
        for width, total in zip(widths, totals, strict=True):
            assert width == pytest.approx(total / max(totals) * 85, abs=0.05)


def test_a_long_bar_name_keeps_its_start_and_end_so_two_venues_stay_apart() -> None:
    """Two venues' names often differ only at the end (the year): the chart's short name
    keeps both ends, cut between words, within LABEL_CHARS; the full name is the title."""
    from generator.reading import LABEL_CHARS, Bar

    names = ["Findings of the Association for Computational Linguistics: ACL 2023",
             "Findings of the Association for Computational Linguistics: ACL 2025"]
    short = [Bar(name, None, (1,)).short for name in names]
    assert short[0] != short[1]
    assert short == ["Findings of the Association … ACL 2023",
                     "Findings of the Association … ACL 2025"]
    assert Bar("rag", None, (1,)).short == "rag"
    assert len(Bar("x" * 90, None, (1,)).short) <= LABEL_CHARS


def test_the_queue_is_the_papers_being_read_then_the_unread_oldest_added_first(
        bundled, papers) -> None:
    shown = cards(bundled, "queue/index.html")
    reading = [s for s in shown if papers[s].status == "reading"]
    assert reading and shown[:len(reading)] == reading
    unread = shown[len(reading):]
    assert unread and all((papers[s].status or "unread") == "unread" for s in unread)
    added = [papers[s].added or "" for s in unread]
    assert added == sorted(added)
    total = sum(1 for p in papers.values() if (p.status or "unread") == "unread")
    assert len(unread) == min(100, total) < total
    assert not any(papers[s].status == "read" for s in shown)
    # the rest are a link away, in this order (tests/test_search_filters.py runs the query)
    queue = page(bundled, "queue/index.html")
    assert ("../search/index.html?q=status:unread&sort=added-oldest", "") in queue.links
    text = " ".join("".join(queue.text).split())
    assert f"(100 of {total}: all unread papers, in this order)" in text


def test_each_term_page_links_its_own_bibtex_of_exactly_its_papers(bundled) -> None:
    bibs = [p for p in bundled if p.endswith("/papers.bib")]
    kinds = {p.split("/")[0] for p in bibs}
    assert kinds == {"tags", "authors", "years", "venues"}
    for term_page in [p for p in bundled if re.fullmatch(r"(tags|authors|years|venues)/"
                                                          r"[^/]+/index\.html", p)]:
        folder = term_page.removesuffix("index.html")
        listed = set(cards(bundled, term_page))
        pages = [p for p in bundled if p.startswith(folder) and re.search(r"page-\d+", p)]
        for more in pages:
            listed |= set(cards(bundled, more))
        links = [href for href, _ in page(bundled, term_page).links
                 if href.endswith("papers.bib")]
        assert f"../../{folder}papers.bib" in links, term_page  # beside the page
        bib = bundled[folder + "papers.bib"].decode("utf-8")
        keys = re.findall(r"^@\w+\{([^,]+),", bib, re.MULTILINE)
        assert len(keys) == len(listed) == len(set(keys)), term_page
        # the entries are the site's own, byte for byte
        whole = bundled["papers.bib"].decode("utf-8")
        for entry in bib.split("\n@"):
            assert entry.strip("@\n") in whole


def test_each_tag_has_an_atom_feed_of_its_newest_papers(bundled, papers) -> None:
    tags = Counter(t for p in papers.values() for t in p.tags)
    feeds = sorted(p for p in bundled if re.fullmatch(r"tags/[^/]+/feed\.xml", p))
    assert len(feeds) == len(tags)
    for path in feeds:
        root = ET.fromstring(bundled[path])
        name = root.find(f"{ATOM}title").text.split(": ", 1)[1]
        entries = root.findall(f"{ATOM}entry")
        assert len(entries) == min(tags[name], 50)
        for entry in entries:
            assert name in [c.get("term") for c in entry.findall(f"{ATOM}category")]
            href = entry.find(f"{ATOM}link").get("href")
            assert href.startswith(PUBLISHED["READINGLIST_BASE_URL"].rstrip("/") + "/papers/")
        tag_page = path.removesuffix("feed.xml") + "index.html"
        assert 'rel="alternate" type="application/atom+xml"' in \
            bundled[tag_page].decode("utf-8")
        assert (f"../../{path}", "") in page(bundled, tag_page).links


def test_a_feed_without_a_site_url_links_relative_to_itself(tmp_path: Path) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    (tmp_path / "config.yaml").write_text("title: Mine\n")
    config, _ = load_config(tmp_path / "config.yaml", {})
    files = build(config).files
    feed = ET.fromstring(files["tags/long-context/feed.xml"])
    for entry in feed.findall(f"{ATOM}entry"):
        href = entry.find(f"{ATOM}link").get("href")
        assert href.startswith("../../papers/")
        assert href.removeprefix("../../") + "index.html" in files


@pytest.mark.parametrize("base_url", ["", "https://you.github.io/my-papers/"])
def test_relative_links_in_a_feeds_notes_resolve_as_on_the_papers_page(
        tmp_path: Path, base_url: str) -> None:
    """A feed entry's content is based (xml:base) at the paper's page, so a relative link
    or image in the notes points where it points on the page, in the list's feed and in
    each tag's."""
    from urllib.parse import urljoin

    config = write_list(tmp_path, {"fig-paper": (
        "---\ntitle: Figures\ntags: [vision]\nadded: 2024-01-02\n---\n"
        "See ![the plot](plot.png) and [the other one](../other/index.html).\n")},
        f"title: Mine\nbase_url: '{base_url}'\n")
    files = build(config).files
    here = base_url or "https://host.example/site/"  # (where the site is, for the joins)
    for feed_path in ("feed.xml", "tags/vision/feed.xml"):
        [entry] = ET.fromstring(files[feed_path]).findall(f"{ATOM}entry")
        content = entry.find(f"{ATOM}content")
        page = urljoin(urljoin(here, feed_path), content.get(
            "{http://www.w3.org/XML/1998/namespace}base"))
        assert page.rstrip("/") == urljoin(here, "papers/fig-paper/").rstrip("/"), feed_path
        assert urljoin(page, "plot.png") == urljoin(here, "papers/fig-paper/plot.png")
        assert 'src="plot.png"' in content.text


def test_a_figure_in_the_notes_is_a_file_of_the_site_as_the_readme_says(tmp_path: Path
                                                                          ) -> None:
    """README: a figure put in overrides/static/ is published under static/, and notes
    reach it relative to the paper's page."""
    import posixpath

    (tmp_path / "overrides" / "static" / "img").mkdir(parents=True)
    (tmp_path / "overrides" / "static" / "img" / "attention-map.png").write_bytes(b"\x89PNG")
    config = write_list(tmp_path, {"fig-paper": (
        "---\ntitle: Figures\n---\n![Attention map](../../static/img/attention-map.png)\n")})
    files = build(config).files
    page = "papers/fig-paper/index.html"
    [src] = re.findall(r'<img src="([^"]+)" alt="Attention map"', files[page].decode())
    assert files[posixpath.normpath(posixpath.join(posixpath.dirname(page), src))] == \
        b"\x89PNG"


def test_cards_carry_venue_tags_notes_and_the_start_of_the_abstract(bundled, papers) -> None:
    html = bundled["index.html"].decode("utf-8")
    items = html.split('<li class="card">')[1:]
    assert len(items) == 100  # (page_size)
    by_slug = {re.search(r'papers/([^/]+)/index.html', item)[1]: item for item in items}
    for slug, item in by_slug.items():
        paper = papers[slug]
        assert ('class="has-notes"' in item) == bool(paper.notes.strip()), slug
        for tag in paper.tags:
            assert f">{tag}</a>" in item
        if paper.venue:
            assert 'class="card-venue"' in item
        if paper.abstract:
            first = paper.abstract.split()[0].strip("$\\{}")
            assert first in re.search(r'class="card-snippet">([^<]*)<', item)[1], slug
    assert any('class="has-notes"' in i for i in items)
    assert any('class="rating"' in i for i in items)


def test_highlight_authors_marks_those_names_everywhere_they_are_listed(tmp_path: Path,
                                                                        papers) -> None:
    name = "Chaojun Xiao"
    mine = sorted(s for s, p in papers.items() if name in p.authors)
    assert len(mine) >= 2
    shutil.copytree(REPO / "content", tmp_path / "content")
    (tmp_path / "config.yaml").write_text("highlight_authors: [chaojun  XIAO]\n")
    config, problems = load_config(tmp_path / "config.yaml", {})
    assert not problems and config.highlight_authors == ("chaojun XIAO",)
    files = build(config).files
    for slug in mine:
        html = files[f"papers/{slug}/index.html"].decode("utf-8")
        assert re.search(rf'<a href="[^"]+" class="mine">{name}</a>', html), slug
    authors = files["authors/index.html"].decode("utf-8")
    assert re.search(rf'class="mine">{name}</a>', authors)
    assert authors.count('class="mine"') == 1
    marked = Counter(m for p in files if p.endswith(".html")
                     for m in re.findall(r'class="mine">([^<]+)<', files[p].decode("utf-8")))
    assert set(marked) == {name}  # nobody else
    assert any(f'<strong class="mine">{name}</strong>' in files[p].decode("utf-8")
               for p in files if p.endswith(".html"))  # cards in lists too


@pytest.mark.parametrize("value", ["Chaojun Xiao", "[1, 2]", "['']", "{a: b}"])
def test_highlight_authors_must_be_a_list_of_names(value: str) -> None:
    _, problems = parse_config(f"title: T\nhighlight_authors: {value}\n", "config.yaml",
                               Path("."))
    assert [str(p) for p in problems] and all(
        str(p).startswith("config.yaml:2: error: 'highlight_authors' must be")
        for p in problems), problems


def test_a_status_edit_remakes_the_queue_and_the_stats_page(tmp_path: Path, capsys) -> None:
    """Status, rating and notes are not a paper's shape; the pages that count them are
    made again all the same, and the result is what a build from nothing makes."""
    shutil.copytree(REPO / "content", tmp_path / "content")
    (tmp_path / "config.yaml").write_text("title: Mine\n")
    config, _ = load_config(tmp_path / "config.yaml", {})
    from generator.build import build_to_disk

    build_to_disk(config)
    site = tmp_path / "site"
    unread = cards({"q": (site / "queue/index.html").read_bytes()}, "q")[-1]
    assert main(["--config", str(tmp_path / "config.yaml"), "status", unread, "reading"]) == 0
    assert main(["--config", str(tmp_path / "config.yaml"), "rate", unread, "5"]) == 0
    capsys.readouterr()
    build_to_disk(config)
    queue = cards({"q": (site / "queue/index.html").read_bytes()}, "q")
    reading = sum(1 for p in (tmp_path / "content/papers").glob("*.md")
                  if "\nstatus: reading\n" in p.read_text(encoding="utf-8"))
    assert unread in queue[:reading]  # among the papers being read now
    assert {p: (site / p).read_bytes() for p in ("queue/index.html", "stats/index.html")} == \
        {p: build(config).files[p] for p in ("queue/index.html", "stats/index.html")}


def _paper_file(title: str, tags: list[str], added: str) -> str:
    return (f"---\ntitle: {title}\nyear: 2024\nadded: {added}\ntags: [{', '.join(tags)}]\n"
            f"---\n")


def test_a_tag_feed_takes_its_tags_new_name_after_an_edit(tmp_path: Path) -> None:
    """A tag is named as most of its papers spell it; the feed's title follows, even when
    the papers that decide it are not among the feed's newest."""
    from generator.build import build_to_disk

    config = write_list(tmp_path, {"a": _paper_file("Alpha", ["Ml"], "2024-03-01"),
                                   "b": _paper_file("Beta", ["ML"], "2024-01-01"),
                                   "c": _paper_file("Gamma", ["ML"], "2024-01-02")},
                        "title: T\nfeed_size: 1\n")
    papers = tmp_path / "content" / "papers"
    build_to_disk(config)
    assert b"<title>T: ML</title>" in (tmp_path / "site/tags/ml/feed.xml").read_bytes()
    (papers / "c.md").write_text(_paper_file("Gamma", ["Ml"], "2024-01-02"))
    build_to_disk(config)
    feed = (tmp_path / "site/tags/ml/feed.xml").read_bytes()
    assert b"<title>T: Ml</title>" in feed
    assert feed == build(config).files["tags/ml/feed.xml"]


def test_a_build_refuses_a_default_status_that_is_not_a_status(tmp_path: Path,
                                                               capsys) -> None:
    shutil.copytree(REPO / "content", tmp_path / "content")
    (tmp_path / "config.yaml").write_text("title: T\ndefault_status: skimmed\n")
    assert main(["--config", str(tmp_path / "config.yaml"), "build"]) == 1
    err = capsys.readouterr().err
    assert "config.yaml:2: error: 'default_status' must be one of unread, reading, read" in err
    assert not (tmp_path / "site").exists()


def test_the_queue_puts_unread_papers_without_a_date_added_last(tmp_path: Path) -> None:
    config = write_list(tmp_path, {"old": _paper_file("Old", [], "2024-01-01"),
                                   "new": _paper_file("New", [], "2024-05-01"),
                                   "undated": "---\ntitle: Undated\nyear: 2024\n---\n"})
    assert cards(build(config).files, "queue/index.html") == ["old", "new", "undated"]


def test_the_year_chart_says_how_many_papers_have_no_year(tmp_path: Path) -> None:
    """The page's total counts every paper; the year chart's bars only the dated ones, so
    it says how many it leaves out."""
    config = write_list(tmp_path, {"dated": _paper_file("Dated", [], "2024-01-01"),
                                   "a": "---\ntitle: No year A\n---\n",
                                   "b": "---\ntitle: No year B\nadded: 2024-02-01\n---\n"})
    stats = page(build(config).files, "stats/index.html")
    text = " ".join(" ".join(stats.text).split())
    assert "Papers 3" in text
    assert "Papers by year 2 papers have no year and are not shown." in text
    assert [row[-1] for row in stats.tables[0][1:]] == ["1"]
    one = write_list(tmp_path / "one", {"dated": _paper_file("Dated", [], "2024-01-01"),
                                        "a": "---\ntitle: No year\n---\n"})
    assert "1 paper has no year and is not shown." in " ".join(
        page(build(one).files, "stats/index.html").text)
    dated = write_list(tmp_path / "dated", {"dated": _paper_file("Dated", [], "2024-01-01")})
    assert "no year" not in " ".join(page(build(dated).files, "stats/index.html").text)


def test_a_chart_with_no_bars_says_why(tmp_path: Path) -> None:
    """"No papers yet" is for an empty list; a list whose papers have no venue, tag or year
    says that instead."""
    config = write_list(tmp_path, {"a": "---\ntitle: No year\n---\n"})
    text = " ".join(" ".join(page(build(config).files, "stats/index.html").text).split())
    assert "No papers yet" not in text and "not shown" not in text
    for said in ("Papers by year No paper has a year.", "Papers by venue No paper has a venue.",
                 "Top tags No paper has tags.", "Top authors No paper lists its authors."):
        assert said in text
    empty = write_list(tmp_path / "empty", {})
    text = " ".join(page(build(empty).files, "stats/index.html").text)
    assert text.count("No papers yet.") == 5 and "No paper has" not in text


def test_a_paper_page_says_when_the_paper_was_added_with_or_without_sources(
        tmp_path: Path) -> None:
    """The date added showed only under "Imported from": a paper written by hand, with no
    sources, never said when it joined the list the queue orders by."""
    config = write_list(tmp_path, {"hand": _paper_file("By hand", [], "2020-01-05"),
                                   "undated": "---\ntitle: Undated\n---\n"})
    files = build(config).files
    html = files["papers/hand/index.html"].decode("utf-8")
    assert "Imported from" not in html
    assert 'Added <time datetime="2020-01-05">2020-01-05</time>' in html
    assert "Added" not in " ".join(page(files, "papers/undated/index.html").text)


def test_has_pdf_is_a_pdf_the_paper_page_links() -> None:
    from generator.reading import facts_of

    assert facts_of(Paper(slug="a", title="A", pdf="https://e.org/a.pdf"), "unread").pdf
    assert not facts_of(Paper(slug="b", title="B", pdf="javascript:alert(1)"), "unread").pdf


def test_has_code_is_the_listings_code_flag_or_a_link_the_paper_page_labels_code() -> None:
    from generator.reading import facts_of
    from generator.render import _external_links

    for url in ("https://github.com/a/b", "http://www.GitLab.com/a", "https://codeberg.org/a",
                "https://example.org/github.com", "https://huggingface.co/a", "ftp://github.com/a",
                "github.com/a/b", "javascript:alert(1)"):
        paper = Paper(slug="a", title="A", links=(url,))
        labelled = any(link.label == "Code" for link in _external_links(paper))
        assert facts_of(paper, "unread").code == labelled, url
        assert labelled == (url in ("https://github.com/a/b", "http://www.GitLab.com/a",
                                    "https://codeberg.org/a")), url
    assert facts_of(Paper(slug="b", title="B", has_code=True), "unread").code
    assert not facts_of(Paper(slug="c", title="C"), "unread").code


def heading_levels(html: str) -> list[tuple[int, str]]:
    """Each heading of a page, in order: (level, its class)."""
    return [(int(level), cls) for level, cls in
            re.findall(r'<h([1-6])(?: class="([^"]*)")?[ >]', html)]


@pytest.mark.parametrize("path", ["index.html", "page-2.html", "queue/index.html",
                                  "tags/long-context/index.html", "years/2024/index.html"])
def test_cards_are_headings_one_level_below_their_list(bundled, path: str) -> None:
    """Who moves by headings meets the page (h1), its list or the queue's section (h2),
    then each paper (h3): never a card at the level of the section holding it."""
    levels = heading_levels(bundled[path].decode())
    assert levels[0][0] == 1
    titles = [level for level, cls in levels if "card-title" in cls]
    assert titles and set(titles) == {3}, path
    for (before, _), (after, _) in zip(levels, levels[1:], strict=False):
        assert after <= before + 1, (path, levels)
    # a card follows an h2 (its list's, or the queue's section's) before any other h1/h2
    last_outer = None
    for level, cls in levels:
        if level <= 2:
            last_outer = level
        elif "card-title" in cls:
            assert last_outer == 2, (path, levels)
