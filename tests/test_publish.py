"""The site as published on GitHub Pages under a sub-path (https://you.github.io/REPO/):
every link of every page found on disk and under the sub-path, 404.html from any depth,
the feeds (Atom), the sitemap, robots.txt and every BibTeX export read by real parsers, and
two builds in different folders and environments byte-identical.

Checked on the bundled list and on a small list of hard cases, both built as the Pages
workflow builds them (READINGLIST_BASE_URL, no trailing slash, SOURCE_DATE_EPOCH set).
"""

from __future__ import annotations

import html
import os
import posixpath
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import bibtexparser
import pytest
from conftest import REPO, read_tree

from generator.build import build
from generator.config import load_config

PAGES_URL = "https://you.github.io/my-papers"  # as configure-pages reports it
SITE_URL = PAGES_URL + "/"
SUB_PATH = "/my-papers/"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"

HARD_CASES = {
    "doi-and-escapes": """---
title: "50% of $O(n^2)$ & the {Transformer} #1: a_b ~ c"
authors: ["José Núñez", "Ann O'Brien, Jr.", "DeepSeek-AI", "Bob & Co"]
date: 2024-05-01
added: 2024-06-01
tags: [long-context, "c++"]
venue: "Proceedings of ACL & EMNLP"
doi: https://doi.org/10.1162/tacl_a_00001
url: "https://example.org/paper?id=1&x={y}"
---
Notes with <b>raw html</b>, [a link](https://example.org/) and [the other](doi-twin.md).
""",
    "doi-twin": """---
title: "50% of $O(n^2)$: the sequel"
authors: ["José Núñez"]
date: 2024
tags: [long-context]
doi: "10.1002/(SICI)1097-4636(199601)30:1<1::AID-JBM1>3.0.CO;2-#"
---
""",
    "undated": """---
title: "<script>alert(1)</script> Undated"
authors: []
tags: ["c++"]
---
""",
}


class Links(HTMLParser):
    """Every href/src of a page (and its <link> elements with their rel)."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.refs: list[str] = []
        self.heads: list[dict[str, str]] = []
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        self.refs += [found[a] for a in ("href", "src") if a in found]
        if tag == "link":
            self.heads.append(found)


def site_path(url: str) -> str:
    """The file of the site an absolute URL under the site URL names."""
    assert url.startswith(SITE_URL), f"{url} is not under {SITE_URL}"
    path = unquote(urlsplit(url).path)[len(SUB_PATH):]
    return path + "index.html" if path == "" or path.endswith("/") else path


def broken_links(files: dict[str, bytes]) -> list[str]:
    """Each href/src that does not lead to a file of the site: on disk (relative, naming
    index.html, never above the root) and, for 404.html, from any depth under the sub-path
    (absolute paths from it); absolute URLs of the site under the site URL."""
    broken = []
    for page, data in files.items():
        if not page.endswith(".html"):
            continue
        for ref in Links(data.decode("utf-8")).refs:
            parts = urlsplit(ref)
            if parts.scheme in ("http", "https") and parts.netloc == urlsplit(SITE_URL).netloc:
                target = site_path(ref) if ref.startswith(SITE_URL) else "(outside the site)"
            elif parts.scheme or parts.netloc or not parts.path:
                continue  # another site, mailto:, or #fragment
            elif page == "404.html":  # served at any depth: only the sub-path works
                if not parts.path.startswith(SUB_PATH):
                    broken.append(f"{page}: {ref} (relative on a page served at any depth)")
                    continue
                target = unquote(parts.path)[len(SUB_PATH):] or "index.html"
                target += "index.html" if target.endswith("/") else ""
            else:
                if parts.path.startswith("/") or parts.path.endswith("/"):
                    broken.append(f"{page}: {ref} (from file:// a link names a file)")
                    continue
                target = posixpath.normpath(posixpath.join(posixpath.dirname(page),
                                                           unquote(parts.path)))
            if target.startswith("../") or target not in files:
                broken.append(f"{page}: {ref}")
    return broken


def check_feeds(files: dict[str, bytes]) -> list[str]:
    """Every Atom feed: what RFC 4287 requires, links to pages of the site, and announced
    on the page it belongs to. Returns the feed paths."""
    feeds = sorted(p for p in files if p.endswith("feed.xml"))
    for path in feeds:
        feed = ET.fromstring(files[path])
        assert feed.tag == ATOM + "feed", path
        for name in ("id", "title", "updated"):
            assert (feed.findtext(ATOM + name) or "").strip(), (path, name)
        assert feed.findtext(f"{ATOM}author/{ATOM}name"), path
        links = {link.get("rel"): link.get("href") for link in feed.findall(ATOM + "link")}
        assert links["self"] == SITE_URL + path, path
        assert site_path(links["alternate"]) in files, path
        ids = [entry.findtext(ATOM + "id") for entry in feed.findall(ATOM + "entry")]
        assert ids and len(set(ids)) == len(ids), path
        for entry in feed.findall(ATOM + "entry"):
            for name in ("id", "title", "updated"):
                assert (entry.findtext(ATOM + name) or "").strip(), (path, name)
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ",
                                entry.findtext(ATOM + "updated")), path
            (link,) = entry.findall(ATOM + "link")
            assert site_path(link.get("href")) in files and link.get("href") == \
                entry.findtext(ATOM + "id"), path
            content = entry.find(ATOM + "content")
            assert content is not None and content.get("type") == "html"
            assert "<script" not in (content.text or "")
        # the page it belongs to announces it (every page announces the site's feed)
        page = posixpath.join(posixpath.dirname(path), "index.html")
        announced = [posixpath.normpath(posixpath.join(posixpath.dirname(page), link["href"]))
                     for link in Links(files[page].decode()).heads
                     if link.get("rel") == "alternate" and
                     link.get("type") == "application/atom+xml"]
        assert path in announced, (path, announced)
    return feeds


def check_sitemap(files: dict[str, bytes]) -> None:
    """sitemap.xml lists every page but 404.html, each once, absolute under the site URL;
    robots.txt points at it."""
    root = ET.fromstring(files["sitemap.xml"])
    locs = [loc.text or "" for loc in root.iter(SITEMAP + "loc")]
    assert len(set(locs)) == len(locs)
    pages = {p for p in files if p.endswith(".html") and p != "404.html"}
    assert {site_path(loc) for loc in locs} == pages
    for lastmod in root.iter(SITEMAP + "lastmod"):
        assert re.fullmatch(r"\d{4}-\d\d-\d\d", lastmod.text or "")
    assert f"Sitemap: {SITE_URL}sitemap.xml" in files["robots.txt"].decode().splitlines()


def check_bibtex(files: dict[str, bytes]) -> dict[str, bibtexparser.model.Entry]:
    """Every .bib parses whole with bibtexparser, keys unique; each paper page's BibTeX
    block is its papers.bib entry. Returns papers.bib's entries by key."""
    for path in sorted(p for p in files if p.endswith(".bib")):
        library = bibtexparser.parse_string(files[path].decode("utf-8"))
        assert not library.failed_blocks, (path, library.failed_blocks[:1])  # (a duplicate key too)
        keys = [entry.key for entry in library.entries]
        assert keys and len(set(keys)) == len(keys), path
    library = bibtexparser.parse_string(files["papers.bib"].decode("utf-8"))
    entries = {entry.key: entry for entry in library.entries}
    whole = files["papers.bib"].decode("utf-8")
    for path in (p for p in files if re.fullmatch(r"papers/[^/]+/index\.html", p)):
        block = re.search(r'<pre id="cite-bibtex"[^>]*><code>(.*?)</code></pre>',
                          files[path].decode("utf-8"), re.DOTALL)
        assert block, path
        assert html.unescape(block.group(1)) in whole, path
    return entries


def published(root: Path) -> dict[str, bytes]:
    """The site as the Pages workflow builds it from the project at ``root``."""
    config, problems = load_config(root / "config.yaml", {"READINGLIST_BASE_URL": PAGES_URL})
    assert not [p for p in problems if p.severity == "error"], problems
    return build(config).files


@pytest.fixture(scope="module")
def hard_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    root = tmp_path_factory.mktemp("hard")
    (root / "content" / "papers").mkdir(parents=True)
    for slug, text in HARD_CASES.items():
        (root / "content" / "papers" / f"{slug}.md").write_text(text, encoding="utf-8")
    (root / "config.yaml").write_text("title: Hard & <cases>\nauthor: Ada\n", encoding="utf-8")
    return published(root)


def test_the_bundled_list_published_under_a_sub_path_links_parses_and_cites():
    files = published(REPO)
    assert not broken_links(files), broken_links(files)[:20]
    feeds = check_feeds(files)
    assert "feed.xml" in feeds and any(f.startswith("tags/") for f in feeds)
    check_sitemap(files)
    entries = check_bibtex(files)
    papers = list((REPO / "content" / "papers").glob("*.md"))
    assert len(entries) == len(papers)


def test_hard_cases_published_under_a_sub_path_link_parse_and_cite(hard_site):
    files = hard_site
    assert not broken_links(files), broken_links(files)
    check_feeds(files)
    check_sitemap(files)
    entries = check_bibtex(files)
    # (keys: surname, year, first word; the twin takes a suffix)
    first = entries["nunez202450"]
    assert first.fields_dict["doi"].value == "10.1162/tacl_a_00001"  # verbatim
    assert first.fields_dict["url"].value == "https://example.org/paper?id=1&x=%7By%7D"
    assert first.fields_dict["title"].value == \
        r"{50\% of $O(n^2)$ \& the {Transformer} \#1: a\_b \textasciitilde{} c}"
    assert first.fields_dict["booktitle"].value == r"Proceedings of ACL \& EMNLP"
    assert first.fields_dict["author"].value == \
        "José Núñez and O'Brien, Jr., Ann and {DeepSeek-AI} and Bob \\& Co"
    twin = entries["nunez202450b"]
    assert twin.fields_dict["doi"].value == \
        "10.1002/(SICI)1097-4636(199601)30:1<1::AID-JBM1>3.0.CO;2-#"
    feed = ET.fromstring(files["feed.xml"])
    titles = [e.findtext(ATOM + "title") for e in feed.findall(ATOM + "entry")]
    assert "<script>alert(1)</script> Undated" in titles
    assert feed.findtext(ATOM + "title") == "Hard & <cases>"


def _build_in_a_process(root: Path, env: dict[str, str]) -> dict[str, bytes]:
    """``readinglist build`` run in ``root`` as a user runs it (its own interpreter)."""
    run = subprocess.run([sys.executable, "-m", "generator", "build"], cwd=root,
                         env={**env, "PYTHONPATH": str(REPO), "NO_COLOR": "1"},
                         capture_output=True, text=True, check=False)
    assert run.returncode == 0, run.stderr
    return read_tree(root / "site")


@pytest.mark.slow
def test_two_builds_in_other_folders_times_and_locales_are_byte_identical(tmp_path):
    """The same content copied to two folders, built at different times in different
    time zones and locales, with SOURCE_DATE_EPOCH set as the workflow sets it: the same
    bytes. A paper with no date, nothing added, takes its feed time from SOURCE_DATE_EPOCH,
    never the clock."""
    sites = []
    for name, extra in (("one", {"TZ": "UTC", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8"}),
                        ("two", {"TZ": "Pacific/Kiritimati", "LANG": "de_DE.UTF-8",
                                 "LC_ALL": "tr_TR.UTF-8"})):
        root = tmp_path / name / "list"
        (root / "content" / "papers").mkdir(parents=True)
        for slug, text in HARD_CASES.items():
            (root / "content" / "papers" / f"{slug}.md").write_text(text, encoding="utf-8")
        (root / "config.yaml").write_text("title: Hard\n", encoding="utf-8")
        if name == "two":
            os.utime(root / "content" / "papers" / "undated.md", (0, 0))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LC_", "LANG"))}
        sites.append(_build_in_a_process(root, {**env, **extra, "SOURCE_DATE_EPOCH": "1700000000",
                                                "READINGLIST_BASE_URL": PAGES_URL}))
    assert sites[0] == sites[1]
    feed = ET.fromstring(sites[0]["feed.xml"])
    stamps = {e.findtext(ATOM + "title"): e.findtext(ATOM + "updated")
              for e in feed.findall(ATOM + "entry")}
    assert stamps["<script>alert(1)</script> Undated"] == "2023-11-14T22:13:20Z"
