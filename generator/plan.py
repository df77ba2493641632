"""The site as parts keyed by their inputs: what a build has to make, before making any.

    inputs ─parse→ papers ─index→ site model ─key→ parts (pages, feeds, search, static)

A part's key hashes exactly what it is made from: a page's context with its papers given
by their *view keys* (a hash of the content file, the paper's place in the site and its
BibTeX key), the base values its templates read, and a salt of config, theme files and
code. A content file is parsed again only when its bytes change; cards, BibTeX entries
and JSON rows are kept by key (``memo``) between builds.

A build whose papers all keep the last build's *shape* (generator.shape: an edit of notes,
an abstract, a status...) is planned as an edit of that build (``_edit``): the site model
and page list are the last build's, only the pages that show an edited paper are keyed
again (the others keep their keys from the manifest), and papers.json and papers.bib are
patched. Keys are the same either way: such a build makes what a build afresh would.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.cache import (
    CACHE_DIR,
    BuildCache,
    CacheStore,
    Inputs,
    PlanKeys,
    digest,
    folder_name,
)
from generator.config import Config
from generator.diagnostics import BuildError, Diagnostic, has_errors
from generator.model import Paper

if TYPE_CHECKING:
    import jinja2

    from generator.content import Source
    from generator.render import Page, PageKeys, Renderer
    from generator.site import Shape, SiteShape
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


@dataclass
class _Search:
    """Making the search index scripts (``index``, ``edit``), then keeping the index for the
    next build (``save``), which re-reads only the papers whose keys (content file hashes)
    changed. On big sites both run in a process of its own, so the index, read and
    updated there, is written from there too (see ``make.Background``)."""

    config: Config
    memo: Any = None  # the index as updated by this build (search.SearchMemo)

    def _store(self) -> CacheStore:
        return CacheStore(self.config.root / CACHE_DIR, self.config.output_path)

    def index(self, shapes: list[Shape], papers: Mapping[str, Paper], keys: list[str],
              reuse: bool) -> dict[str, bytes]:
        """The scripts of the site's papers (``shapes`` in site order, their ``keys``); a
        paper is looked up in ``papers`` only when the index does not hold its key.
        ``reuse`` false: no last build to go on, the index is made from nothing."""
        from generator.search import SearchMemo, document_order, ordered_outputs

        clock = Clock()
        memo = self._store().read("search") if reuse else None
        self.memo = memo if isinstance(memo, SearchMemo) else SearchMemo()
        clock("search: read cache")
        key_of = {shape.slug: key for shape, key in zip(shapes, keys, strict=True)}
        order = [shape.slug for shape in document_order(shapes)]
        ordered = [None if key_of[slug] in self.memo.papers else papers[slug] for slug in order]
        files = ordered_outputs(self.memo, ordered, [key_of[slug] for slug in order])
        clock("search: index")
        return files

    def edit(self, edited: Changes, was: Mapping[str, str],
             otherwise: Callable[[], dict[str, bytes]]) -> dict[str, bytes]:
        """The scripts after an edit that keeps every paper's shape, so the last build's
        document order (the memo's): from the memo and the edited papers alone, no site
        shape. ``was``: the last build's content keys by slug; ``otherwise``: what to do
        when the memo is not that build's."""
        from generator.search import SearchMemo, ordered_outputs

        clock = Clock()
        memo = self._store().read("search")
        clock("search: read cache")
        if not isinstance(memo, SearchMemo) or len(memo.papers) != len(was) or \
                not all(key in memo.papers for key in was.values()):
            return otherwise()
        new = {was[s.slug]: (edited.hashes[s.slug], p)
               for s, p in zip(edited.sources, edited.papers, strict=True)}
        keys, ordered = [], []
        for key in memo.papers:
            now, paper = new.get(key, (key, None))
            keys.append(now)
            ordered.append(paper)
        self.memo = memo
        files = ordered_outputs(memo, ordered, keys)
        clock("search: index")
        return files

    def save(self) -> None:
        if self.memo is not None:
            self._store().write("search", self.memo)


@dataclass(slots=True)
class Part:
    """Output files made together. ``key`` hashes everything they are made from; ``make``
    makes them (cheap parts are made up front, to be keyed by their bytes)."""

    name: str
    stage: str  # as errors name it: pages, theme static files, feeds, search
    key: str
    make: Callable[[], dict[str, bytes]] | None = None
    files: dict[str, bytes] | None = None
    after: Callable[[], None] | None = None  # once made, work the build need not wait for
    page: Page | None = None  # for a page: what it shows (the workers sort by it)


@dataclass
class Plan:
    """The site to build: its parts, and what making them needs."""

    papers: int
    diagnostics: list[Diagnostic]
    parts: list[Part]
    renderer: Renderer
    page_keys: PageKeys
    keys: PlanKeys  # what the next build may reuse
    shape: SiteShape | None = None  # the site model and page paths, for the next build
    memo: MutableMapping[tuple[str, str], Any] = field(default_factory=dict)  # for next time
    edit: bool = False  # an edit of the last build: its memo was kept whole
    entries: list[tuple[str, str]] = field(default_factory=list)  # memo keys: BibTeX entries

    def keep_from(self, old: Mapping[tuple[str, str], Any]) -> None:
        """Keep what the last build's memo has of this one's cards and BibTeX entries, which
        this process may not see used (workers take them, or a page is reused): the next
        change to a page re-renders it, not its hundreds of cards, and the next edit
        patches papers.bib with the entries, instead of making them all again."""
        if self.edit:  # (the memo was kept whole)
            return
        wanted = {slug for part in self.parts if part.page is not None
                  for slug in part.page.cards}
        for key in [("card", self.page_keys.card(slug)) for slug in sorted(wanted)] + \
                self.entries:
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


def _content_key(source: Source) -> str:
    """A paper's content key (by slug in ``PlanKeys.hashes``): its file's path, slug and
    bytes. An edit and a build afresh must key alike."""
    return digest(source.shown, source.slug, source.digest)


EDITS_MAX = 64  # edited files beyond which a build plans the site afresh


@dataclass
class _Edit:
    """A build whose papers keep the last build's shape: the papers edited, the build's
    diagnostics, and the last build's plan it reuses."""

    sources: list[Source]  # the files edited
    papers: list[Paper]  # their papers
    diagnostics: list[Diagnostic]
    shape: SiteShape
    known: PlanKeys
    last_parts: dict[str, tuple[str, tuple[str, ...]]]  # the last build's (Manifest.parts)


@dataclass
class Changes:
    """The files a build changes of the last one's (see ``changes``): parsed, and the
    content keys of every paper then, by slug."""

    sources: list[Source]
    papers: list[Paper]
    found: list[list[Diagnostic]]
    hashes: dict[str, str]  # slug -> content key


def salts(config: Config, inputs: Inputs, theme: Theme) -> tuple[str, str]:
    """(the salt of every page: config, templates and code; the key of the static files).
    Pages are made from templates, never from static files: a stylesheet edited makes the
    static files again, not every page."""
    templates = tuple(folder_name(d, config.root) + "/" for d in theme.template_dirs)
    salt = digest(inputs.settings, *(f"{w}\0{h}" for w, h in inputs.theme
                                     if (w + "/").startswith(templates)))
    static_key = digest("static", inputs.settings, *(f"{w}\0{h}" for w, h in inputs.theme
                                                     if not (w + "/").startswith(templates)))
    return salt, static_key


def changes(config: Config, inputs: Inputs, theme: Theme, cache: BuildCache
            ) -> Changes | None:
    """The files this build changes of the last one's, parsed, when it may be an edit of
    it (same files, same config, theme and code, at most EDITS_MAX changed, all
    readable); else None. (Whether each keeps its shape is ``load``'s to tell.)"""
    from generator.content import parse_source

    salt, _ = salts(config, inputs, theme)
    last = cache.last
    known = last.plan if last is not None else None
    if last is None or known is None or known.salt != salt or \
            len(known.sources) != len(inputs.sources):
        return None
    edited = []
    for source in inputs.sources:
        was = known.sources.get(source.shown)
        if was is None or was[0] != source.slug:
            return None
        if was[1] != source.digest:
            edited.append(source)
            if len(edited) > EDITS_MAX:
                return None
    papers, found = [], []
    for source in edited:
        paper, problems = parse_source(source)
        if paper is None or has_errors(problems):
            return None
        papers.append(paper)
        found.append(problems)
    hashes = dict(known.hashes)
    hashes.update((s.slug, _content_key(s)) for s in edited)
    return Changes(edited, papers, found, hashes)


def _edit(cache: BuildCache, edited: Changes) -> _Edit | None:
    """This build as an edit of the last one, when every paper keeps its shape (see
    ``site.Shape``) and the config, theme and code are the same; else None."""
    from generator.site import shape_of

    last = cache.last
    known = last.plan if last is not None else None
    assert last is not None and known is not None  # (see _edited)
    shape = cache.site_shape()
    if shape is None or shape.id != known.shape:
        return None
    problems = []
    for source, paper, found in zip(edited.sources, edited.papers, edited.found, strict=True):
        placed = shape.site.by_slug.get(source.slug)
        if placed is None or placed.shape != shape_of(paper):
            return None
        problems += found
        cache.parsed.pop((source.shown, source.slug, known.sources[source.shown][1]), None)
        cache.parsed[(source.shown, source.slug, source.digest)] = (paper, found)
    shown = {source.shown for source in edited.sources}
    diagnostics = sorted([*(d for d in last.diagnostics if d.path not in shown), *problems],
                         key=lambda d: (d.path, d.line or 0, d.message))
    return _Edit(edited.sources, edited.papers, diagnostics, shape, known, last.parts)


class _Papers(Mapping[str, Paper]):
    """The papers of a build that reuses the last one's site model, by slug: the edited
    ones as given, any other parsed when first asked for (from the parse cache, else its
    file). Only what a page, card or data file shows beyond the shape asks."""

    def __init__(self, sources: Iterable[Source], parsed: Mapping[tuple[str, str, str], Any],
                 edited: Iterable[Paper]):
        self.sources = {source.slug: source for source in sources}
        self.parsed = parsed
        self.found = {paper.slug: paper for paper in edited}

    def __getitem__(self, slug: str) -> Paper:
        from generator.content import parse_source

        paper = self.found.get(slug)
        if paper is None:
            source = self.sources[slug]
            parsed = self.parsed.get((source.shown, source.slug, source.digest))
            paper = (parsed or parse_source(source))[0]
            assert paper is not None  # the last build parsed it
            self.found[slug] = paper
        return paper

    def __iter__(self) -> Iterator[str]:
        return iter(self.sources)

    def __len__(self) -> int:
        return len(self.sources)


def early_search(config: Config, inputs: Inputs, cache: BuildCache, change: Changes) -> Part:
    """The search index of a build that may be an edit, made from the search memo and the
    edited papers alone (the last build's order): it can start before the site shape is
    read. It is of use only if ``load`` finds the build an edit after all."""
    assert cache.last is not None and cache.last.plan is not None
    was = cache.last.plan.hashes
    searching = _Search(config)
    papers = _Papers(inputs.sources, cache.parsed, change.papers)

    def otherwise() -> dict[str, bytes]:  # (in the search's process)
        shape = cache.site_shape()
        assert shape is not None  # (read again: the edit is known to keep it)
        shapes = [p.shape for p in shape.site.papers]
        return searching.index(shapes, papers, [change.hashes[s.slug] for s in shapes], True)

    return Part("search", "search", digest(inputs.settings, *change.hashes.values()),
                make=lambda: searching.edit(change, was, otherwise), after=searching.save)


@dataclass
class Loaded:
    """A build's papers: their shapes in site order, the papers by slug, their content
    keys by slug, the build's diagnostics; for an edit of the last build, what it reuses
    of that build (then ``papers`` parses a paper not edited only when asked for)."""

    shapes: list[Shape]
    papers: Mapping[str, Paper]
    hashes: dict[str, str]
    diagnostics: list[Diagnostic]
    edit: _Edit | None = None


def load(inputs: Inputs, theme_problems: list[Diagnostic], cache: BuildCache, jobs: int,
         change: Changes | None) -> Loaded:
    """The papers: the last build's with the changed ones in, when every changed paper
    keeps its shape (see ``changes``); else every file parsed (on ``jobs`` processes; a
    file whose bytes the cache has seen is not parsed again). Raises BuildError with
    every problem when there is an error."""
    from generator.site import site_papers

    clock = Clock()
    edit = _edit(cache, change) if change is not None else None
    if edit is not None and change is not None:
        clock(f"  load {len(edit.papers)} edited papers")
        return Loaded([p.shape for p in edit.shape.site.papers],
                      _Papers(inputs.sources, cache.parsed, change.papers), change.hashes,
                      edit.diagnostics, edit)
    loaded, diagnostics = _parse(inputs.sources, cache, jobs)
    ordered, collisions = site_papers(loaded)
    papers: dict[str, Paper] = {}
    for paper in sorted(loaded, key=lambda p: (p.slug, p.path)):
        papers.setdefault(paper.slug, paper)  # (as site_papers keeps them)
    diagnostics = sorted([*diagnostics, *theme_problems, *collisions],
                         key=lambda d: (d.path, d.line or 0, d.message))
    if has_errors(diagnostics):
        raise BuildError(diagnostics)
    by_file = {s.shown: _content_key(s) for s in inputs.sources}
    clock("  load papers")
    return Loaded(ordered, papers, {p.slug: by_file[p.path] for p in ordered}, diagnostics)


def search_part(config: Config, inputs: Inputs, loaded: Loaded, cache: BuildCache) -> Part:
    """The search index: it reads the papers (in site order) and the config, not the
    theme. It takes longest: a build starts it as soon as the papers are loaded, to run
    while the rest is planned and made."""
    reuse = cache.last is not None  # a build from nothing makes the index from nothing too
    keys = [loaded.hashes[p.slug] for p in loaded.shapes]
    searching = _Search(config)
    return Part("search", "search", digest(inputs.settings, *keys),
                make=lambda: searching.index(loaded.shapes, loaded.papers, keys, reuse),
                after=searching.save)


def plan(config: Config, inputs: Inputs, theme: Theme, loaded: Loaded, cache: BuildCache,
         search: Part, compiled: Path | None = None,
         previous: Callable[[str], bytes | None] = lambda path: None,
         env: jinja2.Environment | None = None) -> Plan:
    """The site model and every part of the site keyed (``search`` as given); nothing is
    rendered yet. ``compiled``: where compiled templates are kept between runs;
    ``previous``: a file of the output as the last build left it (None: unknown or
    changed since); ``env``: the theme's environment, when made already (see
    ``render.make_environment``).

    For an edit of the last build (``loaded.edit``: every paper keeps its shape) the site
    model, the pages and the keys of what the edited papers do not touch are the last
    build's (``cache.last.plan``, ``cache.shape``): the work is the edit's, not the
    site's."""
    from generator.feeds import (
        atom_feed,
        bibtex_entry,
        bibtex_keys,
        feed_papers,
        key_base,
        papers_bib,
        papers_json,
        papers_json_row,
        patch_papers_bib,
        patch_papers_json,
        robots_txt,
        sitemap,
    )
    from generator.render import (
        PageKeys,
        Renderer,
        base_context,
        feed_texts,
        html_pages,
        make_environment,
        names_read,
        site_pages,
        template_reads,
    )
    from generator.site import SitePaper, SiteShape, build_site, shape_id
    from generator.theme import static_files

    clock = Clock()
    salt, static_key = salts(config, inputs, theme)
    edit, papers, hashes, ordered = loaded.edit, loaded.papers, loaded.hashes, loaded.shapes
    diagnostics = loaded.diagnostics
    old = cache.memo
    # an edit keeps the memo whole (less what it forgets), a build afresh only what it uses
    memo: MutableMapping[tuple[str, str], Any] = old if edit is not None else {}
    if edit is None:
        site, _ = build_site(ordered)
        pages = site_pages(site, config.page_size)
        shape = SiteShape(shape_id(ordered, config.page_size, inputs.settings), site,
                          tuple(page.path for page in pages))
        clock("  site model, pages")
    else:  # the pages that show an edited paper; the others as the last build keyed them
        site = edit.shape.site  # (every paper keeps its shape: the same site model)
        shape = edit.shape
        pages = site_pages(site, config.page_size, only={p.slug for p in edit.papers})

    # made now, and worth sending back from a worker (see parallel): not JSON rows, which
    # are many and large, and which a build after an edit does without (it patches)
    fresh: dict[tuple[str, str], Any] = {}

    def remember(kind: str, key: str, make: Callable[[], Any]) -> Any:
        # the memo first: in a build afresh it holds what workers made before (a paper's
        # BibTeX entry for its page, then again for papers.bib)
        value = memo.get((kind, key))
        if value is None:
            value = old.get((kind, key))
        if value is None:
            value = make()
            if kind != "json":
                fresh[(kind, key)] = value
        memo[(kind, key)] = value
        return value

    def links(items: Iterable[Any]) -> str:
        return "\x1f".join(f"{link.text}\x1e{link.url}" for link in items if link)

    def view_key(slug: str) -> str:
        """A paper's view is made from its file, its place in the site and its BibTeX
        key."""
        p = by_slug[slug]
        return digest(hashes[slug], p.url, links(p.authors), links(p.tags),
                      links((p.venue, p.year)), keys[slug])

    by_slug = site.by_slug
    edited = {p.slug for p in edit.papers} if edit is not None else set()
    if edit is not None:
        known = edit.known
        keys = known.keys
        view_keys = dict(known.view_keys)
        view_keys.update((slug, view_key(slug)) for slug in edited)
        used = known.used
        entries_were, cards_were = _forget(memo, known, hashes, edited)
        card_views = dict(known.card_views)
    else:
        keys = bibtex_keys((p.shape for p in site.papers), lambda paper: remember(
            "citekey", hashes[paper.slug], lambda: key_base(paper)))
        view_keys = {slug: view_key(slug) for slug in by_slug}
        used = None
        entries_were, cards_were, card_views = {}, {}, {}

    def entry(slug: str) -> str:
        return remember("bibtex", f"{hashes[slug]}\0{keys[slug]}",
                        lambda: bibtex_entry(papers[slug], keys[slug]))

    env = env if env is not None else make_environment(theme, compiled)
    reads = remember("reads", salt, lambda: template_reads(env))
    if edit is None:
        used = names_read(reads)
    page_keys = PageKeys(base_context(site, config), used, view_keys, salt,
                         token=edit.known.base if edit is not None else None,
                         card_views=card_views, reads=reads,
                         tokens=edit.known.bases if edit is not None else None)
    if edit is not None:
        page_keys.remember(site.indexes, edit.known.indexes)
    renderer = Renderer(site, papers, config, env, keys, entry, cards=_Cards(old, memo),
                        card_key=page_keys.card, memo=memo, fresh=fresh)
    # an edited paper whose card comes out as it was (its notes edited, say): the pages
    # that list it keep their keys, by the view its card was made from
    for slug, (view_was, card_was) in sorted(cards_were.items()):
        card_views.pop(slug, None)
        if not page_keys.reads_cards:
            continue
        card = renderer.fresh_card(slug, by_slug[slug].url)
        if memo.get(("card", card_was)) == card:
            card_views[slug] = view_was
        else:
            memo.pop(("card", card_was), None)
            memo[("card", page_keys.card(slug))] = card
    clock("  keys: citations, views")

    def render(page: Page) -> Callable[[], dict[str, bytes]]:
        return lambda: {page.path: renderer.render(page)}

    every: dict[str, Page] = {}  # after an edit: every page, made when first needed

    def page_at(path: str) -> Page:
        if not every:
            every.update((page.path, page) for page in site_pages(site, config.page_size))
        return every[path]

    def render_at(path: str) -> Callable[[], dict[str, bytes]]:
        return lambda: {path: renderer.render(page_at(path))}

    parts = [Part(page.path, "pages", page_keys.page(page), make=render(page), page=page)
             for page in pages]
    if edit is not None:  # in site order, the pages keyed now among those kept
        last, keyed = edit.last_parts, {part.name: part for part in parts}
        parts = [keyed.get(path) or Part(path, "pages", last[path][0] if path in last else
                                         page_keys.page(page_at(path)), make=render_at(path))
                 for path in shape.paths]
    clock("  keys: pages")

    def made(name: str, stage: str, files: dict[str, bytes]) -> None:
        parts.append(Part(name, stage, digest(*(x for path in sorted(files)
                                                for x in (path, files[path]))), files=files))

    # keyed by the static files' hashes, read only when they are to be written
    parts.append(Part("static", "theme static files", static_key,
                      make=lambda: static_files(theme)))
    newest = [p.slug for p in feed_papers(site, config.feed_size)]
    parts.append(Part("feed.xml", "feeds", digest(salt, *(view_keys[s] for s in newest)),
                      make=lambda: {"feed.xml": atom_feed(site, config, feed_texts(
                          {s: renderer.view(s) for s in newest}))}))
    if config.site_url:
        listed = html_pages(shape.paths)
        dates = (f"{p.url}\0{p.shape.added}\0{p.shape.date}" for p in site.papers)
        parts.append(Part("sitemap.xml", "feeds", digest(salt, *listed, *dates),
                          make=lambda: {"sitemap.xml": sitemap(site, config, listed) or b""}))
    made("robots.txt", "feeds", {"robots.txt": robots_txt(config)})
    clock("  static, feed, sitemap keys")
    # papers.bib and papers.json (abstracts and notes of every paper) are the largest data
    # files: made with the pages, on any core, from entries and rows kept by key
    slugs = [p.slug for p in site.papers]
    entries = [f"{hashes[s]}\0{keys[s]}" for s in slugs]

    def bib_file() -> dict[str, bytes]:
        """papers.bib; after an edit, the last one with the edited papers' entries
        replaced (their keys, so their places, are as they were)."""
        was = previous("papers.bib") if edit is not None else None
        if was is not None and all(entries_were.values()):
            patched = patch_papers_bib(was, [(entries_were[s] or "", entry(s))
                                             for s in sorted(edited)])
            if patched is not None:
                return {"papers.bib": patched}
        return {"papers.bib": papers_bib({s: entry(s) for s in slugs}, keys)}

    parts.append(Part("papers.bib", "feeds", digest(inputs.settings, *entries),
                      make=bib_file))
    rows = {p.slug: f"{hashes[p.slug]}\0{p.url}\0{keys[p.slug]}" for p in site.papers}

    def row(placed: SitePaper) -> str:
        return remember("json", rows[placed.slug], lambda: papers_json_row(
            placed, papers[placed.slug], keys[placed.slug]))

    def json_file() -> dict[str, bytes]:
        """papers.json; after an edit, the last one with the edited papers' rows
        replaced (their places in the site are as they were)."""
        was = previous("papers.json") if edit is not None else None
        if was is not None:
            at = {p.slug: i for i, p in enumerate(site.papers) if p.slug in edited}
            patched = patch_papers_json(was, {i: papers_json_row(by_slug[slug], papers[slug],
                                                                 keys[slug])
                                              for slug, i in at.items()}, len(site.papers))
            if patched is not None:
                return {"papers.json": patched}
        return {"papers.json": papers_json(site, config, row)}

    parts.append(Part("papers.json", "feeds", digest(inputs.settings, *rows.values()),
                      make=json_file))
    made(".nojekyll", "feeds", {".nojekyll": b""})
    parts.append(search)
    clock("  papers.bib, papers.json")
    renderer.prepare(pages)
    clock("  compile templates")
    plan_keys = PlanKeys(shape.id, salt, page_keys.base, page_keys.tokens(site.indexes), used,
                         {s.shown: (s.slug, s.digest) for s in inputs.sources},
                         hashes, dict(keys), view_keys,
                         {s: v for s, v in card_views.items() if v != view_keys[s]},
                         dict(page_keys.bases))
    result = Plan(len(site.papers), diagnostics, parts, renderer, page_keys, plan_keys, shape,
                  memo, edit is not None, [("bibtex", e) for e in entries])
    if edit is None and cache.last is not None:  # (before workers fork, and the memo is
        result.keep_from(old)                    # saved while they make the last round)
    clock("  keep from the memo")
    return result


def _forget(memo: MutableMapping[tuple[str, str], Any], known: PlanKeys,
            hashes: Mapping[str, str], edited: set[str]
            ) -> tuple[dict[str, str | None], dict[str, tuple[str, str]]]:
    """Drop from the memo the BibTeX entries of the edited papers as they were (made again
    with the edit), and move their citation key bases, which only read their shape, to
    their new content keys -> (the BibTeX entries they had (None: not kept), the view key
    and memo key of the card each had: the plan keeps a card that comes out the same)."""
    from generator.render import PageKeys

    cards = PageKeys({}, known.used, known.view_keys, known.salt, token=known.base,
                     card_views=known.card_views)  # as they were
    entries = {}
    for slug in edited:
        was, now, key = known.hashes[slug], hashes[slug], known.keys[slug]
        base = memo.pop(("citekey", was), None)
        if base is not None:
            memo[("citekey", now)] = base
        entries[slug] = memo.pop(("bibtex", f"{was}\0{key}"), None)
        # (JSON rows are left as they are: an edit patches papers.json without them, and
        # the next build afresh keeps only the rows it uses)
    return entries, {slug: (cards.card_view(slug), cards.card(slug)) for slug in edited}


class _Cards(MutableMapping[str, str]):
    """Card HTML by card key, as the renderer sees it: found in the last build's memo or
    rendered now; either way kept in this build's memo."""

    def __init__(self, old: Mapping[tuple[str, str], Any],
                 new: MutableMapping[tuple[str, str], Any]):
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
