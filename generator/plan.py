"""The site as parts keyed by their inputs: what a build has to make, before making any.

    inputs ─parse→ papers ─index→ site model ─key→ parts (pages, feeds, search, static)

A part's key hashes exactly what it is made from: a page's context with its papers given
by their *view keys* (a hash of the content file, the paper's place in the site and its
BibTeX key), the base values its templates read, and a salt of config, theme files and
code. A content file is parsed again only when its bytes change; cards, BibTeX entries
and JSON rows are kept by key (``memo``) between builds.
"""

from __future__ import annotations

import importlib
import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.cache import CACHE_DIR, BuildCache, CacheStore, Inputs, digest
from generator.config import Config
from generator.diagnostics import BuildError, Diagnostic, has_errors

if TYPE_CHECKING:
    from generator.content import Source
    from generator.model import Paper
    from generator.render import Page, PageKeys, Renderer
    from generator.theme import Theme

log = logging.getLogger(__name__)


class Clock:
    """Stage times, logged at debug level (logger ``generator.plan``)."""

    def __init__(self) -> None:
        self.last = time.perf_counter()

    def __call__(self, stage: str) -> None:
        now = time.perf_counter()
        log.debug("%-28s %6.3f s", stage, now - self.last)
        self.last = now


def _search_outputs(papers: list[Paper], config: Config, keys: list[str], reuse: bool
                    ) -> dict[str, bytes]:
    """The search index scripts. The index is kept in .cache/search.pickle for the next
    build, which re-reads only the papers whose ``keys`` (content file hashes) changed;
    with ``reuse`` false (no last build to go on) it is made from nothing. Runs in a
    process of its own on big sites, so it reads and writes its cache file itself."""
    try:  # guarded until the search stage lands everywhere
        search = importlib.import_module("generator.search")
    except ModuleNotFoundError as exc:
        if exc.name != "generator.search":
            raise
        return {}
    store = CacheStore(config.root / CACHE_DIR, config.output_path)
    memo = store.read("search") if reuse else None
    if not isinstance(memo, search.SearchMemo):
        memo = search.SearchMemo()
    files = dict(search.search_outputs(papers, config, memo, keys))
    store.write("search", memo)
    return files


@dataclass
class Part:
    """Output files made together. ``key`` hashes everything they are made from; ``make``
    makes them (cheap parts are made up front, to be keyed by their bytes)."""

    name: str
    stage: str  # as errors name it: pages, theme static files, feeds, search
    key: str
    make: Callable[[], dict[str, bytes]] | None = None
    files: dict[str, bytes] | None = None
    page: Page | None = None  # for a page: what it shows (the workers sort by it)


@dataclass
class Plan:
    """The site to build: its parts, and what making them needs."""

    papers: int
    diagnostics: list[Diagnostic]
    parts: list[Part]
    renderer: Renderer
    page_keys: PageKeys
    memo: dict[tuple[str, str], Any] = field(default_factory=dict)  # kept for next time

    def keep_cards(self, reused: Iterable[Part], old: Mapping[tuple[str, str], Any]) -> None:
        """Keep the cards of pages this build reuses: the next change to such a page
        re-renders the page, not its hundreds of cards."""
        wanted = {slug for part in reused if part.page is not None for slug in part.page.cards}
        for slug in wanted:
            key = ("card", self.page_keys.card(slug))
            if key not in self.memo and key in old:
                self.memo[key] = old[key]


def _parse(sources: tuple[Source, ...], cache: BuildCache, jobs: int
           ) -> tuple[list[Paper], list[Diagnostic]]:
    """Content files -> (papers, diagnostics); a file whose bytes the cache has seen is not
    parsed again. The cache keeps exactly the files of this build."""
    from generator.content import parse_source, parse_sources
    from generator.parallel import fork_map

    parsed: dict[tuple[str, str, str], Any] = {}
    new = []
    for source in sources:
        key = (source.shown, source.slug, source.digest)
        found = cache.parsed.get(key)
        if found is not None:
            parsed[key] = found
        else:
            new.append(source)
    for source, found in zip(new, fork_map(parse_source, new, jobs=jobs), strict=True):
        parsed[(source.shown, source.slug, source.digest)] = found
    cache.parsed = parsed
    return parse_sources(sources, parsed)


def plan(config: Config, inputs: Inputs, theme: Theme, theme_problems: list[Diagnostic],
         cache: BuildCache, compiled: Path | None = None, jobs: int = 1,
         start: Callable[[Part], Part] | None = None) -> Plan:
    """Load, index and key the whole site; nothing is rendered yet. Raises BuildError with
    every problem when there is an error. ``compiled``: where compiled templates are kept
    between runs; ``jobs``: processes to parse files in; ``start``: given the search part
    as soon as it is keyed, to start making it early."""
    from generator.feeds import (
        atom_feed,
        bibtex_entry,
        bibtex_keys,
        feed_papers,
        key_base,
        papers_bib,
        papers_json,
        papers_json_row,
        robots_txt,
        sitemap,
    )
    from generator.parallel import PARALLEL_MIN
    from generator.render import (
        PageKeys,
        Renderer,
        base_context,
        feed_texts,
        html_pages,
        make_environment,
        names_read,
        site_pages,
    )
    from generator.site import build_site, site_papers
    from generator.theme import static_files

    clock = Clock()
    papers, diagnostics = _parse(inputs.sources, cache, jobs)
    ordered, collisions = site_papers(papers)
    diagnostics = sorted([*diagnostics, *theme_problems, *collisions],
                         key=lambda d: (d.path, d.line or 0, d.message))
    if has_errors(diagnostics):
        raise BuildError(diagnostics)
    clock("  load papers")
    by_file = {s.shown: digest(s.shown, s.slug, s.digest) for s in inputs.sources}
    # The search index reads the papers (in site order) and the config, not the theme. It
    # takes longest: it may start now and run while the rest is keyed and made.
    reuse = cache.last is not None  # a build from nothing makes the index from nothing too
    paper_keys = [by_file[p.path] for p in ordered]
    search = Part("search", "search", digest(inputs.settings, *paper_keys),
                  make=lambda: _search_outputs(ordered, config, paper_keys, reuse))
    if start is not None and len(ordered) >= PARALLEL_MIN:  # a small site: not worth a fork
        search = start(search)
    site, _ = build_site(ordered)
    hashes = {p.slug: by_file[p.paper.path] for p in site.papers}
    clock("  site model")
    old, memo = cache.memo, {}

    def remember(kind: str, key: str, make: Callable[[], Any]) -> Any:
        value = old.get((kind, key))
        if value is None:
            value = make()
        memo[(kind, key)] = value
        return value

    by_slug = site.by_slug
    keys = bibtex_keys((p.paper for p in site.papers), lambda paper: remember(
        "citekey", hashes[paper.slug], lambda: key_base(paper)))

    def entry(slug: str) -> str:
        return remember("bibtex", digest(hashes[slug], keys[slug]),
                        lambda: bibtex_entry(by_slug[slug].paper, keys[slug]))

    def links(items: Iterable[Any]) -> str:
        return "\x1f".join(f"{link.text}\x1e{link.url}" for link in items if link)

    # A paper's view is made from its file, its place in the site and its BibTeX key.
    view_keys = {p.slug: digest(hashes[p.slug], p.url, links(p.authors), links(p.tags),
                                links((p.venue, p.year)), keys[p.slug]) for p in site.papers}
    salt = digest(inputs.settings, *(f"{w}\0{h}" for w, h in inputs.theme))
    env = make_environment(theme, compiled)
    used = remember("names", salt, lambda: names_read(env))
    page_keys = PageKeys(base_context(site, config), used, view_keys, salt)
    renderer = Renderer(site, config, env, keys, entry, cards=_Cards(old, memo),
                        card_key=page_keys.card)
    clock("  keys: citations, views")

    def render(page: Page) -> Callable[[], dict[str, bytes]]:
        return lambda: {page.path: renderer.render(page)}

    parts: list[Part] = []
    pages = site_pages(site, config.page_size)
    for page in pages:
        parts.append(Part(page.path, "pages", page_keys.page(page), make=render(page),
                          page=page))
    clock("  keys: pages")

    def made(name: str, stage: str, files: dict[str, bytes]) -> None:
        parts.append(Part(name, stage, digest(*(x for path in sorted(files)
                                                for x in (path, files[path]))), files=files))

    made("static", "theme static files", static_files(theme))
    newest = [p.slug for p in feed_papers(site, config.feed_size)]
    parts.append(Part("feed.xml", "feeds", digest(salt, *(view_keys[s] for s in newest)),
                      make=lambda: {"feed.xml": atom_feed(site, config, feed_texts(
                          {s: renderer.view(s) for s in newest}))}))
    if config.site_url:
        listed = html_pages(p.path for p in pages)
        dates = (f"{p.url}\0{p.paper.added}\0{p.paper.date}" for p in site.papers)
        parts.append(Part("sitemap.xml", "feeds", digest(salt, *listed, *dates),
                          make=lambda: {"sitemap.xml": sitemap(site, config, listed) or b""}))
    made("robots.txt", "feeds", {"robots.txt": robots_txt(config)})
    clock("  static, feed, sitemap keys")
    made("papers.bib", "feeds", {"papers.bib": papers_bib(
        {p.slug: entry(p.slug) for p in site.papers}, keys)})
    clock("  papers.bib")
    # papers.json (abstracts and notes of every paper) is the largest data file: made with
    # the pages, on any core, from rows kept by key
    rows = {p.slug: digest(hashes[p.slug], p.url, keys[p.slug]) for p in site.papers}
    parts.append(Part("papers.json", "feeds", digest(inputs.settings, *rows.values()),
                      make=lambda: {"papers.json": papers_json(
                          site, config, keys, lambda placed, key: remember(
                              "json", rows[placed.slug], lambda: papers_json_row(placed, key)))}))
    made(".nojekyll", "feeds", {".nojekyll": b""})
    parts.append(search)
    clock("  papers.json")
    renderer.prepare(pages)
    clock("  compile templates")
    return Plan(len(site.papers), diagnostics, parts, renderer, page_keys, memo)


class _Cards(MutableMapping[str, str]):
    """Card HTML by card key, as the renderer sees it: found in the last build's memo or
    rendered now; either way kept in this build's memo."""

    def __init__(self, old: Mapping[tuple[str, str], Any], new: dict[tuple[str, str], Any]):
        self.old = old
        self.new = new

    def __getitem__(self, key: str) -> str:
        value = self.new.get(("card", key))
        if value is None:
            value = self.old[("card", key)]
            self.new[("card", key)] = value
        return value

    def __setitem__(self, key: str, value: str) -> None:
        self.new[("card", key)] = value

    def __delitem__(self, key: str) -> None:
        del self.new[("card", key)]

    def __iter__(self) -> Iterator[str]:
        return (key for kind, key in self.new if kind == "card")

    def __len__(self) -> int:
        return sum(1 for _ in self)
