"""The site as parts keyed by their inputs: what a build has to make, before making any.

    inputs ─parse→ papers ─index→ site model ─key→ parts (pages, feeds, search, static)

A part's key hashes exactly what it is made from: a page's context with its papers given
by their *view keys* (a hash of the content file, the paper's place in the site and its
BibTeX key), the base values its templates read, and a salt of config, theme files and
code. A content file is parsed again only when its bytes change; cards, BibTeX entries
and JSON rows are kept by key (``memo``) between builds.

A build whose papers all keep the last build's *shape* (``site.Shape``: an edit of notes,
an abstract, a status...) is planned as an edit of that build (``_edit``): the site model
(plain shape records) and page list are the last build's, only the pages that show an
edited paper are keyed again (the others keep their keys from the manifest), and
papers.json and papers.bib are patched. Keys are the same either way: such a build makes
what a build afresh would.

The stages, as ``build._build`` calls them: ``changes`` (the files changed since the last
build), ``early_search`` (an edit's index, before the site model is read), ``load`` (the
papers), ``search_part``, ``plan`` (a ``_Planner``'s steps: site model, keys, renderer,
pages, data files).
"""

from __future__ import annotations

import functools
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
    from generator.site import Shape, Site, SitePaper, SiteShape, Term
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
        from generator.search import SearchMemo, ordered_outputs
        from generator.site import document_order

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
    # as errors name it: pages, theme static files, feeds (each about all papers: a worker
    # task each), exports (each term's: small, made with the pages), search
    stage: str
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
    # memo keys to keep when not used (see keep_from): BibTeX entries, search facts
    entries: list[tuple[str, str]] = field(default_factory=list)

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
        if has_errors(theme_problems):  # (a static override added: the templates as they were)
            raise BuildError(list(theme_problems))
        clock(f"  load {len(edit.papers)} edited papers")
        return Loaded([p.shape for p in edit.shape.site.papers],
                      _Papers(inputs.sources, cache.parsed, change.papers), change.hashes,
                      edit.diagnostics, edit)
    loaded, diagnostics = _parse(inputs.sources, cache, jobs)
    ordered, collisions = site_papers(loaded, _title_line(inputs.sources))
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


def _title_line(sources: tuple[Source, ...]) -> Callable[[str], int | None]:
    """A content file's title line, read again: wanted only to name a paper in two files
    (so nothing is looked up or read for a build without one)."""
    from generator.content import FrontMatterError, read_front_matter

    def line_of(path: str) -> int | None:
        source = next((s for s in sources if s.shown == path), None)
        try:
            return read_front_matter(source.read().decode("utf-8"))[2].get("title") \
                if source is not None else None
        except (OSError, UnicodeDecodeError, FrontMatterError):
            return None
    return line_of


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
    planner = _Planner(config, inputs, theme, loaded, cache)
    planner.key_papers()
    planner.make_renderer(env, compiled)
    parts = planner.page_parts() + planner.data_parts(previous) + [search]
    return planner.result(parts)


class _Memo:
    """Fragments kept between builds by (kind, key): citation key bases, BibTeX entries,
    JSON rows, cards, template reads. ``new`` is this build's (after an edit, the last
    build's kept whole), ``old`` the last build's; ``fresh`` what this process made, which
    a worker sends back (not JSON rows: many, large, and an edit patches without them)."""

    def __init__(self, old: MutableMapping[tuple[str, str], Any],
                 new: MutableMapping[tuple[str, str], Any]):
        self.old = old
        self.new = new
        self.fresh: dict[tuple[str, str], Any] = {}

    def get(self, kind: str, key: str, make: Callable[[], Any]) -> Any:
        # the new memo first: in a build afresh it holds what workers made before (a
        # paper's BibTeX entry for its page, then again for papers.bib)
        value = self.new.get((kind, key))
        if value is None:
            value = self.old.get((kind, key))
        if value is None:
            value = make()
            if kind != "json":
                self.fresh[(kind, key)] = value
        self.new[(kind, key)] = value
        return value


def _links(items: Iterable[Any]) -> str:
    return "\x1f".join(f"{link.text}\x1e{link.url}" for link in items if link)


class _Planner:
    """One build's plan in the making, a step a method: the site model (``__init__``),
    the papers' keys, the renderer, the pages' parts, the data files' parts. After an edit
    (``self.edit``) each step takes what the edit leaves as it was from the last build."""

    def __init__(self, config: Config, inputs: Inputs, theme: Theme, loaded: Loaded,
                 cache: BuildCache):
        from generator.reading import Facts, facts_of
        from generator.related import related_papers
        from generator.render import reading_pages, site_pages
        from generator.site import SiteShape, build_site, shape_id

        self.clock = Clock()
        self.config, self.inputs, self.theme, self.cache = config, inputs, theme, cache
        self.edit, self.papers, self.hashes = loaded.edit, loaded.papers, loaded.hashes
        self.diagnostics = loaded.diagnostics
        self.salt, self.static_key = salts(config, inputs, theme)
        # an edit keeps the memo whole (less what it forgets), a build afresh only what it
        # uses
        self.memo = _Memo(cache.memo, cache.memo if self.edit is not None else {})
        if self.edit is None:
            related = related_papers(loaded.papers.values())
            self.clock("  related papers")
            self.site, _ = build_site(loaded.shapes, related)
            # one object per distinct value: most papers' facts are alike, and the plan
            # keys that keep them are written and read on every build
            alike: dict[Facts, Facts] = {}
            self.facts = {slug: alike.setdefault(facts, facts) for slug, facts in (
                (slug, facts_of(self.papers[slug], config.default_status))
                for slug in self.site.by_slug)}
            self.pages = site_pages(self.site, config.page_size) + \
                reading_pages(self.site, self.facts, config.page_size)
            self.shape = SiteShape(shape_id(loaded.shapes, config.page_size, inputs.settings),
                                   self.site, tuple(page.path for page in self.pages))
            self.clock("  site model, pages")
        else:  # the pages that show an edited paper; the others as the last build keyed them
            self.site = self.edit.shape.site  # (every paper keeps its shape: the same model)
            self.shape = self.edit.shape
            self.facts = dict(self.edit.known.facts)
            self.facts.update((p.slug, facts_of(p, config.default_status))
                              for p in self.edit.papers)
            self.pages = site_pages(self.site, config.page_size,
                                    only={p.slug for p in self.edit.papers}) + \
                reading_pages(self.site, self.facts, config.page_size)
        self.edited = {p.slug for p in self.edit.papers} if self.edit is not None else set()
        self.kept: list[tuple[str, str]] = []  # memo keys beyond BibTeX entries to keep

    def view_key(self, slug: str) -> str:
        """A paper's view is made from its file, its place in the site and its BibTeX
        key."""
        p = self.site.by_slug[slug]
        return digest(self.hashes[slug], p.url, _links(p.authors), _links(p.tags),
                      _links((p.venue, p.year)), self.keys[slug])

    def key_papers(self) -> None:
        """Each paper's BibTeX key and view key; after an edit, the last build's but for
        the edited papers, whose old BibTeX entries and cards are set aside (``_forget``)."""
        from generator.feeds import bibtex_keys, key_base

        self.entries_were: dict[str, str | None] = {}
        self.cards_were: dict[str, tuple[str, str]] = {}
        self.card_views: dict[str, str] = {}
        self.used: frozenset[str] | None = None
        if self.edit is not None:
            known = self.edit.known
            self.keys = known.keys
            self.view_keys = dict(known.view_keys)
            self.view_keys.update((slug, self.view_key(slug)) for slug in self.edited)
            self.used = known.used
            self.entries_were, self.cards_were = _forget(self.memo.new, known, self.hashes,
                                                         self.edited)
            self.card_views = dict(known.card_views)
        else:
            self.keys = bibtex_keys((p.shape for p in self.site.papers), lambda paper: (
                self.memo.get("citekey", self.hashes[paper.slug], lambda: key_base(paper))))
            self.view_keys = {slug: self.view_key(slug) for slug in self.site.by_slug}

    def entry(self, slug: str) -> str:
        """A paper's BibTeX entry."""
        from generator.feeds import bibtex_entry

        return self.memo.get("bibtex", f"{self.hashes[slug]}\0{self.keys[slug]}",
                             lambda: bibtex_entry(self.papers[slug], self.keys[slug]))

    def make_renderer(self, env: jinja2.Environment | None, compiled: Path | None) -> None:
        """The renderer and the page keys: what each template reads, the base values."""
        from generator.render import (
            PageKeys,
            Renderer,
            base_context,
            make_environment,
            names_read,
            template_reads,
        )

        edit, memo, site = self.edit, self.memo, self.site
        env = env if env is not None else make_environment(self.theme, compiled)
        reads = memo.get("reads", self.salt, lambda: template_reads(env))
        if edit is None:
            self.used = names_read(reads)
        self.page_keys = PageKeys(base_context(site, self.config), self.used, self.view_keys,
                                  self.salt, token=edit.known.base if edit else None,
                                  card_views=self.card_views, reads=reads,
                                  tokens=edit.known.bases if edit else None)
        if edit is not None:
            self.page_keys.remember(site.indexes, edit.known.indexes)
        self.renderer = Renderer(site, self.papers, self.config, env, self.keys, self.entry,
                                 cards=_Cards(memo.old, memo.new), card_key=self.page_keys.card,
                                 memo=memo.new, fresh=memo.fresh)
        # an edited paper whose card comes out as it was (its notes edited, say): the pages
        # that list it keep their keys, by the view its card was made from
        for slug, (view_was, card_was) in sorted(self.cards_were.items()):
            self.card_views.pop(slug, None)
            if not self.page_keys.reads_cards:
                continue
            card = self.renderer.fresh_card(slug, site.by_slug[slug].url)
            if memo.new.get(("card", card_was)) == card:
                self.card_views[slug] = view_was
            else:
                memo.new.pop(("card", card_was), None)
                memo.new[("card", self.page_keys.card(slug))] = card
        self.clock("  keys: citations, views")

    def page_parts(self) -> list[Part]:
        """A part per page, keyed by what it shows; after an edit, every page in site
        order, those that do not show an edited paper with the last build's keys."""
        from generator.render import site_pages

        renderer, page_keys = self.renderer, self.page_keys
        parts = [Part(page.path, "pages", page_keys.page(page), make=_render(renderer, page),
                      page=page) for page in self.pages]
        if self.edit is not None:
            every: dict[str, Page] = {}  # every page, made when first needed

            def page_at(path: str) -> Page:
                if not every:
                    every.update((page.path, page)
                                 for page in site_pages(self.site, self.config.page_size))
                return every[path]

            last, keyed = self.edit.last_parts, {part.name: part for part in parts}
            parts = [keyed.get(path) or Part(
                path, "pages", last[path][0] if path in last else page_keys.page(page_at(path)),
                make=_render_at(renderer, page_at, path)) for path in self.shape.paths]
        self.clock("  keys: pages")
        return parts

    def data_parts(self, previous: Callable[[str], bytes | None]) -> list[Part]:
        """The static files, feed, sitemap, robots.txt, papers.bib and papers.json. The
        two data files are the largest (abstracts and notes of every paper): made with the
        pages, on any core, from entries and rows kept by key; after an edit, patched."""
        from generator.feeds import (
            atom_feed,
            feed_papers,
            papers_bib,
            papers_json,
            papers_json_row,
            patch_papers_bib,
            patch_papers_json,
            robots_txt,
            sitemap,
        )
        from generator.render import feed_texts, html_pages
        from generator.search import BIB_PATH, bib_payload, patch_bib_script, shard_script
        from generator.theme import static_files

        config, site, renderer, salt = self.config, self.site, self.renderer, self.salt
        keys, hashes, papers, edited = self.keys, self.hashes, self.papers, self.edited
        settings = self.inputs.settings
        # keyed by the static files' hashes, read only when they are to be written
        parts = [Part("static", "theme static files", self.static_key,
                      make=lambda: static_files(self.theme))]
        newest = [p.slug for p in feed_papers(site, config.feed_size)]
        parts.append(Part("feed.xml", "feeds",
                          digest(salt, *(self.view_keys[s] for s in newest)),
                          make=lambda: {"feed.xml": atom_feed(site, config, feed_texts(
                              {s: renderer.view(s) for s in newest}))}))
        if config.site_url:
            listed = html_pages(self.shape.paths)
            dates = (f"{p.url}\0{p.shape.added}\0{p.shape.date}" for p in site.papers)
            parts.append(Part("sitemap.xml", "feeds", digest(salt, *listed, *dates),
                              make=lambda: {"sitemap.xml": sitemap(site, config, listed)
                                            or b""}))
        parts.append(_made("robots.txt", {"robots.txt": robots_txt(config)}))
        self.clock("  static, feed, sitemap keys")
        slugs = [p.slug for p in site.papers]
        self.entries = [f"{hashes[s]}\0{keys[s]}" for s in slugs]
        was_bib = self.entries_were

        def bib_file() -> dict[str, bytes]:
            """papers.bib and the search page's search/bib.js (slug -> entry); after an
            edit, the last ones with the edited papers' entries replaced (their keys, so
            their places, are as they were)."""
            was = previous("papers.bib") if self.edit is not None else None
            was_js = previous(BIB_PATH) if self.edit is not None else None
            if was is not None and was_js is not None and all(was_bib.values()):
                changes = [(s, was_bib[s] or "", self.entry(s)) for s in sorted(edited)]
                patched = patch_papers_bib(was, [(b, a) for _, b, a in changes])
                patched_js = patch_bib_script(was_js, changes)
                if patched is not None and patched_js is not None:
                    return {"papers.bib": patched, BIB_PATH: patched_js}
            entries = {s: self.entry(s) for s in slugs}
            return {"papers.bib": papers_bib(entries, keys),
                    BIB_PATH: shard_script("bib", bib_payload(entries))}

        parts.append(Part("papers.bib", "feeds", digest(settings, *self.entries),
                          make=bib_file))  # (and search/bib.js)
        rows = {p.slug: f"{hashes[p.slug]}\0{p.url}\0{keys[p.slug]}" for p in site.papers}

        def row(placed: SitePaper) -> str:
            return self.memo.get("json", rows[placed.slug], lambda: papers_json_row(
                placed, papers[placed.slug], keys[placed.slug]))

        def json_file() -> dict[str, bytes]:
            """papers.json; after an edit, the last one with the edited papers' rows
            replaced (their places in the site are as they were)."""
            was = previous("papers.json") if self.edit is not None else None
            if was is not None:
                at = {p.slug: i for i, p in enumerate(site.papers) if p.slug in edited}
                patched = patch_papers_json(was, {i: papers_json_row(
                    site.by_slug[slug], papers[slug], keys[slug]) for slug, i in at.items()},
                    len(site.papers))
                if patched is not None:
                    return {"papers.json": patched}
            return {"papers.json": papers_json(site, config, row)}

        parts.append(Part("papers.json", "feeds", digest(settings, *rows.values()),
                          make=json_file))
        parts.append(_made(".nojekyll", {".nojekyll": b""}))
        parts.append(self.facets_part(slugs))
        self.clock("  papers.bib, papers.json, search facets and BibTeX")
        parts += self.term_parts()
        self.clock("  each term's papers.bib, each tag's feed.xml")
        return parts

    def term_parts(self) -> list[Part]:
        """Beside each tag, author, year and venue page, its papers as BibTeX; beside each
        tag page, its newest additions as Atom: keyed by their papers' entries and views.
        After an edit, a term without an edited paper keeps the last build's keys."""
        from generator.feeds import feed_papers

        entries = dict(zip((p.slug for p in self.site.papers), self.entries, strict=True))
        settings, keys, renderer = self.inputs.settings, self.keys, self.renderer
        last = self.edit.last_parts if self.edit is not None else {}

        def kept(path: str, term: Term) -> str | None:
            """The last build's key of a term's file, when no edited paper is in it."""
            return last[path][0] if path in last and self.edited.isdisjoint(term.papers) \
                else None

        parts = []
        for index in self.site.indexes:
            for term in index.terms:
                bib = kept(term.bib_url, term) or digest(settings,
                                                         *(entries[s] for s in term.papers))
                parts.append(Part(term.bib_url, "exports", bib, make=functools.partial(
                    _term_bib, term, self.entry, keys)))
        for term in self.site.index("tags").terms:
            newest = [p.slug for p in feed_papers(self.site, self.config.feed_size,
                                                  term.papers)]
            feed = kept(term.feed_url, term) or digest(  # (its name: the feed's title)
                self.salt, term.name, term.url, *(self.view_keys[s] for s in newest))
            parts.append(Part(term.feed_url, "exports", feed, make=functools.partial(
                _term_feed, self.site, self.config, term, renderer, newest)))
        return parts

    def facets_part(self, slugs: list[str]) -> Part:
        """search/facets.js, the search page's lazily loaded facts (see generator.search):
        the site's part kept by shape, and each paper's reading facts (``self.facts``).
        (The other lazy shard, search/bib.js, is made with papers.bib.)"""
        from generator.search import (
            FACETS_PATH,
            facets_payload,
            facets_site,
            fact_digits,
            shard_script,
        )

        digits = {s: fact_digits(self.facts[s]) for s in slugs}
        self.kept.append(("facets-site", self.shape.id))

        def facets_file() -> dict[str, bytes]:
            order, site_part = self.memo.get("facets-site", self.shape.id,
                                             lambda: facets_site(self.site))
            return {FACETS_PATH: shard_script("facets", facets_payload(
                site_part, map(digits.__getitem__, order), len(order)))}

        return Part(FACETS_PATH, "search", digest(self.inputs.settings, self.shape.id,
                                                  *digits.values()), make=facets_file)

    def result(self, parts: list[Part]) -> Plan:
        """The plan, with what the next build may reuse of it."""
        site, page_keys = self.site, self.page_keys
        self.renderer.prepare(self.pages)
        self.clock("  compile templates")
        plan_keys = PlanKeys(self.shape.id, self.salt, page_keys.base,
                             page_keys.tokens(site.indexes), self.used,
                             {s.shown: (s.slug, s.digest) for s in self.inputs.sources},
                             self.hashes, dict(self.keys), self.view_keys,
                             {s: v for s, v in self.card_views.items()
                              if v != self.view_keys[s]},
                             dict(page_keys.bases), self.facts)
        result = Plan(len(site.papers), self.diagnostics, parts, self.renderer, page_keys,
                      plan_keys, self.shape, self.memo.new, self.edit is not None,
                      [("bibtex", e) for e in self.entries] + self.kept)
        if self.edit is None and self.cache.last is not None:  # (before workers fork, and
            result.keep_from(self.memo.old)  # the memo is saved while they make the last round)
        self.clock("  keep from the memo")
        return result


def _term_bib(term: Term, entry: Callable[[str], str], keys: Mapping[str, str]
              ) -> dict[str, bytes]:
    from generator.feeds import papers_bib

    return {term.bib_url: papers_bib({slug: entry(slug) for slug in term.papers}, keys)}


def _term_feed(site: Site, config: Config, term: Term, renderer: Renderer,
               newest: list[str]) -> dict[str, bytes]:
    from generator.feeds import atom_feed
    from generator.render import feed_texts

    texts = feed_texts({slug: renderer.view(slug) for slug in newest})
    return {term.feed_url: atom_feed(site, config, texts, term)}


def _render(renderer: Renderer, page: Page) -> Callable[[], dict[str, bytes]]:
    return lambda: {page.path: renderer.render(page)}


def _render_at(renderer: Renderer, page_at: Callable[[str], Page], path: str
               ) -> Callable[[], dict[str, bytes]]:
    return lambda: {path: renderer.render(page_at(path))}


def _made(name: str, files: dict[str, bytes]) -> Part:
    """A part made up front (it is cheap), keyed by its bytes."""
    return Part(name, "feeds", digest(*(x for path in sorted(files) for x in (path, files[path]))),
                files=files)


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
