"""The Jinja2 environment and page rendering: site model -> pages -> bytes, and page keys.

Autoescape is on for every template and undefined names are errors. Templates receive plain
data (a view per paper: Markdown rendered once, on first use) and never call back into the
generator. A page's context names papers by slug (``Ref``/``Refs``, ``Briefs`` for papers
it shows only by title and year), so ``PageKeys`` can hash what a page depends on without
rendering anything, and ``Renderer`` makes only the views the pages it renders need. A
template error is a bug in the theme: it raises ``BuildError`` naming the template, its
line and the page being rendered.
"""

from __future__ import annotations

import dataclasses
import pickle
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence, Set
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any
from urllib.parse import quote, urlsplit

import jinja2
import jinja2.bccache
import jinja2.nodes
from markupsafe import Markup

from generator import __version__
from generator.cache import digest
from generator.config import Config
from generator.diagnostics import BuildError, bad_byte_line, error
from generator.feeds import FeedText, citation_markdown, citation_text, doi_name, entry_type
from generator.markdown import plain_inline, render_inline, render_markdown_with_text
from generator.model import Paper, authors_counted, is_code_link, link_host
from generator.reading import Facts, reading_queue, reading_stats
from generator.search import snippet_source
from generator.site import (
    HOME_URL,
    SEARCH_URL,
    Index,
    Link,
    Site,
    SitePaper,
    Term,
    absolute_url,
    highlight_key,
    page_root,
)
from generator.theme import Theme, template_file, template_loader

Progress = Callable[[int, int], None]
AUTHORS_SHOWN = 3
CARD_TEMPLATE = "partials/paper_card.html"
# A card is rendered once per paper with this in place of ``root``, which each page then
# puts back as its own root: list pages at two depths share one rendering per paper.
ROOT_MARK = "\ue000root\ue000"
DESCRIPTION_CHARS = 200
CARD_SNIPPET_CHARS = 160
QUEUE_UNREAD = 100  # unread papers the queue shows when lists are not split into pages
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
STATUS_LABELS = {"unread": "Unread", "reading": "Reading", "read": "Read"}
TERM_HEADINGS = {"tag": "Tagged", "author": "Papers by", "year": "Papers from",
                 "venue": "Papers in"}


@dataclass(frozen=True)
class ExternalLink:
    """A link leaving the site (code, PDF, DOI), with a short label."""

    label: str
    url: str
    text: str


@dataclass(frozen=True)
class PaperView:
    """Everything a template shows of one paper, computed once."""

    slug: str
    url: str  # site-relative
    canonical: str  # absolute, or '' without base_url
    title: str  # as written (may hold LaTeX)
    title_html: Markup
    title_text: str
    authors: tuple[Link, ...]
    authors_short: tuple[str, ...]
    authors_more: str  # '' or 'et al.' (cards show the first three)
    authors_incomplete: bool  # the listing showed only some of the authors
    mine: frozenset[str]  # the authors (as shown) that config.highlight_authors names
    author_count: int | None
    author_count_text: str  # '9 authors'
    date: str | None
    date_text: str
    year: Link | None
    venue: Link | None
    venue_kind: str | None  # 'conference' | 'journal'
    category: str | None
    organizations: tuple[str, ...]
    tags: tuple[Link, ...]
    status: str
    status_label: str
    rating: int | None
    rating_text: str  # '★★★★☆'
    upvotes: int | None
    comments: int | None
    score: float | None
    has_code: bool | None
    abstract_html: Markup
    snippet: str  # the start of the abstract (or notes), plain text, for cards
    has_notes: bool
    notes_html: Markup
    description: str
    links: tuple[ExternalLink, ...]
    pdf: str | None
    doi: str | None
    citation_date: str  # Google Scholar: 2025/03/16 or 2025
    bibtex: str
    bibtex_key: str
    citation_text: str
    citation_markdown: str
    sources: tuple[str, ...]
    added: str | None


class NotText(jinja2.TemplateSyntaxError):
    """A template file that is not UTF-8 (saved in another encoding): a mistake in that
    file, at its path, not an exception from inside Jinja."""


class _TextLoader(jinja2.BaseLoader):
    """The theme's loader (``theme.template_loader``), raising NotText for such a file. A
    byte order mark (Windows Notepad saves one) is not text of the template: kept, it was
    put in the page, before its <!DOCTYPE> or amid it where a partial was included."""

    def __init__(self, theme: Theme):
        self.theme = theme
        self.loader = template_loader(theme)

    def get_source(self, environment: jinja2.Environment, template: str
                   ) -> tuple[str, str | None, Callable[[], bool] | None]:
        try:
            source, filename, uptodate = self.loader.get_source(environment, template)
            return source.removeprefix("\ufeff"), filename, uptodate
        except UnicodeDecodeError as exc:
            file = template_file(self.theme, template)
            raise NotText(f"not UTF-8 text ({exc.reason}); save it as UTF-8",
                          bad_byte_line(exc), template,
                          str(file) if file is not None else template) from None

    def list_templates(self) -> list[str]:
        return self.loader.list_templates()


class _Compiled(jinja2.FileSystemBytecodeCache):
    """Compiled templates kept between runs (``.cache/jinja``). Jinja reads a file cut
    short inside its checksum as an error; here it is compiled again, like any file that
    does not match (a power cut can leave one, and a cache must never fail a build)."""

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        try:
            super().load_bytecode(bucket)
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError, OSError):
            bucket.reset()


def make_environment(theme: Theme, compiled: Path | None = None) -> jinja2.Environment:
    """One environment for the whole build: templates compile once, autoescape everywhere.
    ``compiled``: a folder keeping compiled templates between runs (Jinja checks that the
    source is the same before it uses one)."""
    bytecode = None
    if compiled is not None:
        try:
            compiled.mkdir(parents=True, exist_ok=True)
            bytecode = _Compiled(str(compiled))
        except OSError:
            bytecode = None
    return jinja2.Environment(
        bytecode_cache=bytecode,
        loader=_TextLoader(theme),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
        cache_size=-1,
    )


def _date_text(date: str | None, year: int | None) -> str:
    if date and len(date) >= 7:
        month = MONTH_NAMES[int(date[5:7]) - 1]
        return f"{month} {int(date[8:10])}, {date[:4]}" if len(date) == 10 \
            else f"{month} {date[:4]}"
    if date:
        return date[:4]
    return str(year) if year else ""


def _shorten(text: str, limit: int = DESCRIPTION_CHARS) -> str:
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[:limit].rsplit(" ", 1)[0].rstrip(",;:.")
    return cut + "…"


def _external_links(paper: Paper) -> tuple[ExternalLink, ...]:
    links: list[ExternalLink] = []
    seen: set[str] = set()

    def add(label: str, url: str | None) -> None:
        if not url or not url.startswith(("http://", "https://")) or url in seen:
            return
        seen.add(url)
        parts = urlsplit(url)
        text = (parts.netloc.removeprefix("www.") + parts.path).rstrip("/")
        links.append(ExternalLink(label, url, text))

    add("Paper", paper.url)
    add("PDF", paper.pdf)
    if paper.doi:
        # (encoded: a "#" or "<" in a DOI is part of it, not the link's fragment)
        add("DOI", "https://doi.org/" + quote(doi_name(paper.doi), safe="/:;()"))
    for url in paper.links:
        label = "Code" if is_code_link(url) else \
            "Hugging Face" if link_host(url) == "huggingface.co" else "Link"
        add(label, url)
    return tuple(links)


def paper_view(placed: SitePaper, paper: Paper, config: Config, bibtex_key: str,
               bibtex: str) -> PaperView:
    """A paper and its place in the site -> its view: Markdown and LaTeX rendered,
    citations formatted."""
    abstract_html, abstract_text = render_markdown_with_text(paper.abstract)
    notes_html = render_markdown_with_text(
        paper.notes, allow_html=config.allow_raw_html, heading_offset=2,
        footnote_ids=paper.slug)[0] \
        if paper.notes.strip() else ""
    title_text = plain_inline(paper.title)
    canonical = absolute_url(config.site_url, placed.url)
    count = paper.author_count or (len(paper.authors) if paper.authors else None)
    more = ""
    if paper.authors:
        hidden = max(len(paper.authors) - AUTHORS_SHOWN, 0)
        if hidden or paper.authors_truncated or (count or 0) > len(paper.authors):
            more = "et al."
    status = paper.status or config.default_status
    highlighted = {highlight_key(name) for name in config.highlight_authors}
    cite_url = canonical or paper.url or paper.pdf or ""
    date = paper.date
    if date:
        citation_date = date.replace("-", "/")
    else:
        citation_date = str(paper.year) if paper.year else ""
    return PaperView(
        slug=paper.slug,
        url=placed.url,
        canonical=canonical,
        title=paper.title,
        title_html=Markup(render_inline(paper.title)),
        title_text=title_text,
        authors=placed.authors,
        authors_short=tuple(a.text for a in placed.authors[:AUTHORS_SHOWN]),
        authors_more=more,
        authors_incomplete=bool(paper.authors) and (
            paper.authors_truncated or (count or 0) > len(paper.authors)),
        mine=frozenset(a.text for a in placed.authors if highlight_key(a.text) in highlighted)
        if highlighted else frozenset(),
        author_count=count,
        author_count_text=authors_counted(count) if count else "",
        date=date,
        date_text=_date_text(date, paper.year),
        year=placed.year,
        venue=placed.venue,
        venue_kind=("journal" if entry_type(paper) == "article" else "conference")
        if paper.venue else None,
        category=paper.category,
        organizations=paper.organizations,
        tags=placed.tags,
        status=status,
        status_label=STATUS_LABELS.get(status, status.capitalize()),
        rating=paper.rating,
        rating_text=("★" * paper.rating + "☆" * (5 - paper.rating)) if paper.rating else "",
        upvotes=paper.upvotes,
        comments=paper.comments,
        score=paper.score,
        has_code=paper.has_code,
        abstract_html=Markup(abstract_html),
        snippet=snippet_source(paper, CARD_SNIPPET_CHARS),
        has_notes=bool(notes_html),
        notes_html=Markup(notes_html),
        description=_shorten(abstract_text) or title_text,
        links=_external_links(paper),
        pdf=paper.pdf if paper.pdf and paper.pdf.startswith(("http://", "https://")) else None,
        doi=paper.doi,
        citation_date=citation_date,
        bibtex=bibtex,
        bibtex_key=bibtex_key,
        citation_text=citation_text(paper, title_text, cite_url),
        citation_markdown=citation_markdown(paper, title_text, cite_url),
        sources=tuple(
            " · ".join(v for v in (s.get("file", ""), s.get("format", "")) if v)
            for s in paper.sources),
        added=paper.added,
    )


def feed_texts(views: Mapping[str, PaperView]) -> dict[str, FeedText]:
    return {slug: FeedText(v.title_text, str(v.abstract_html) + str(v.notes_html))
            for slug, v in views.items()}


# What a template's file is named (a file of another name beside them is no template).
TEMPLATE_SUFFIXES = (".html", ".xml", ".txt")


def _theme_frame(exc: BaseException) -> tuple[str, int | None]:
    """The template file and line where a template error happened."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or "?", exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith(TEMPLATE_SUFFIXES):
            return frame.filename, frame.lineno
    return "?", None


def _cycle_frame(exc: RecursionError) -> tuple[str, int | None]:
    """The template statement that closes a cycle of templates (one extending or including
    itself, two including each other): of the template lines the stack holds more than
    once, the first include (or import), else the first extends; the deepest frame depends
    on where the limit struck, so it would name any line of the cycle."""
    seen: dict[tuple[str, int | None], str] = {}
    repeated: list[tuple[str, int | None]] = []
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename.endswith(TEMPLATE_SUFFIXES):
            where = (frame.filename, frame.lineno)
            if where in seen and where not in repeated:
                repeated.append(where)
            seen[where] = frame.line or ""
    for words in (("include", "import"), ("extends",)):
        for where in repeated:
            if any(word in seen[where] for word in words):
                return where
    return _theme_frame(exc)


@dataclass(frozen=True)
class Ref:
    """A paper's view in a page context, made when the page is rendered."""

    slug: str


@dataclass(frozen=True)
class Refs:
    """Papers' views in a page context; templates see a list (``Views``)."""

    slugs: tuple[str, ...]


@dataclass(frozen=True)
class Briefs:
    """Papers a page shows only by their link, title and year (its related papers), in a
    page context: keyed by what is shown of them (``shown``), not by their whole views, so
    an edit of a paper's notes does not make again every page that names it. Templates
    see a list of ``PaperBrief``."""

    slugs: tuple[str, ...]
    shown: str  # each paper's slug, title and year (its link: the year's page)


@dataclass(frozen=True)
class PaperBrief:
    """What a page shows of a paper it only names: its URL, title and year."""

    slug: str
    url: str  # site-relative
    title: str  # as written (may hold LaTeX)
    title_html: Markup
    title_text: str
    year: Link | None


def briefs(site: Site, slugs: tuple[str, ...]) -> Briefs:
    """Papers named by a page, with what it shows of them (see ``Briefs``)."""
    shown = []
    for slug in slugs:
        placed = site.by_slug[slug]
        year = placed.year
        title = placed.shape.title
        shown.append(f"{slug}:{len(title)}:{title}:{year.url if year else ''}")
    return Briefs(slugs, ",".join(shown))


class Views(Sequence[PaperView]):
    """A read-only list of papers' views, each made on first use: a template that only asks
    whether the list is empty (or uses the pre-rendered cards) makes none."""

    def __init__(self, slugs: Sequence[str], view: Callable[[str], PaperView]):
        self._slugs = slugs
        self._view = view

    def __len__(self) -> int:
        return len(self._slugs)

    def __getitem__(self, i: Any) -> Any:
        if isinstance(i, slice):
            return [self._view(s) for s in self._slugs[i]]
        return self._view(self._slugs[i])

    def __iter__(self) -> Iterator[PaperView]:
        return (self._view(s) for s in self._slugs)

    def __repr__(self) -> str:
        return repr(list(self))


@dataclass(frozen=True)
class Page:
    """One page to render: output path, template name(s) and its own context."""

    path: str
    templates: tuple[str, ...]
    title: str
    nav: str
    context: Mapping[str, Any]  # its own values; Ref/Refs stand for papers' views
    cards: tuple[str, ...] = ()  # slugs whose rendered cards the page lists, as `cards`


def _groups(terms: Iterable[Term]) -> list[tuple[str, list[Term]]]:
    """Terms grouped by first letter, for the A–Z jump list of long indexes."""
    groups: dict[str, list[Term]] = {}
    for term in terms:
        first = term.name[:1].upper()
        letter = first if first.isalpha() and first.isascii() else "#"
        groups.setdefault(letter, []).append(term)
    return list(groups.items())


@dataclass(frozen=True)
class Pagination:
    """Where a page sits in a list of papers split into pages of ``page_size``."""

    number: int  # this page, from 1
    urls: tuple[str, ...]  # site-relative URL of every page of the list, first to last
    first: int  # the list position of this page's first paper, from 1 (``<ol start>``)
    total: int  # papers in the whole list
    last: int  # the list position of this page's last paper

    @property
    def count(self) -> int:
        return len(self.urls)

    @property
    def prev_url(self) -> str | None:
        return self.urls[self.number - 2] if self.number > 1 else None

    @property
    def next_url(self) -> str | None:
        return self.urls[self.number] if self.number < len(self.urls) else None

    @property
    def window(self) -> list[tuple[int, str | None]]:
        """The page links to show: first, last and two either side of this one; a gap is
        (0, None)."""
        shown = sorted({1, len(self.urls), *range(max(1, self.number - 2),
                                                  min(len(self.urls), self.number + 2) + 1)})
        out: list[tuple[int, str | None]] = []
        for n in shown:
            if out and n - out[-1][0] == 2:  # one page in between: show it, not a gap
                out.append((n - 1, self.urls[n - 2]))
            elif out and n - out[-1][0] > 2:
                out.append((0, None))
            out.append((n, self.urls[n - 1]))
        return out


def page_url(first: str, number: int) -> str:
    """The URL of page ``number`` of a list whose first page is ``first``: page-2.html
    beside it, so every page of a list shares one folder depth (and one card rendering)."""
    return first if number == 1 else first.rsplit("index.html", 1)[0] + f"page-{number}.html"


def _paged(path: str, slugs: tuple[str, ...], size: int
           ) -> Iterator[tuple[str, tuple[str, ...], Pagination | None]]:
    """A list page -> (path, its slugs, its pagination) for each of its pages."""
    if size <= 0 or len(slugs) <= size:
        yield path, slugs, None
        return
    count = -(-len(slugs) // size)
    urls = tuple(page_url(path, n) for n in range(1, count + 1))
    for n, url in enumerate(urls, 1):
        shown = slugs[(n - 1) * size:n * size]
        yield url, shown, Pagination(n, urls, (n - 1) * size + 1, len(slugs),
                                     (n - 1) * size + len(shown))


def _page_title(title: str, pagination: Pagination | None) -> str:
    if pagination is None or pagination.number == 1:
        return title
    shown = f"page {pagination.number} of {pagination.count}"
    return f"{title} ({shown})" if title else shown.capitalize()


def page_templates() -> list[tuple[str, ...]]:
    """The templates each kind of page is made with, first found wins (as ``site_pages``
    and ``reading_pages`` choose them), and the card's: what ``check`` wants a theme to
    have, so a theme lacking one fails there and not first in a build."""
    kinds = [(f"{kind}s.html", "terms.html") for kind in TERM_HEADINGS] + \
        [(f"{kind}.html", "term.html") for kind in TERM_HEADINGS]
    return [("index.html",), ("paper.html",), *kinds, ("search.html",), ("404.html",),
            ("queue.html",), ("stats.html",), (CARD_TEMPLATE,)]


def site_pages(site: Site, page_size: int = 0, only: Set[str] | None = None) -> list[Page]:
    """Every HTML page of the site and 404.html, in a fixed order. Lists longer than
    ``page_size`` papers (0: no limit) are split into pages. ``only``: just the pages that
    show one of these papers (its page, its neighbours' pages, the lists with its card)."""
    def shows(slugs: Iterable[str]) -> bool:
        return only is None or not only.isdisjoint(slugs)

    slugs = tuple(p.slug for p in site.papers)
    pages = [Page(path, ("index.html",), _page_title("", paged), "papers",
                  {"papers": Refs(shown), "pagination": paged}, shown)
             for path, shown, paged in _paged(HOME_URL, slugs, page_size) if shows(shown)]
    for placed in site.papers:
        if only is not None and placed.slug not in only and placed.prev not in only and \
                placed.next not in only:
            continue
        pages.append(Page(placed.url, ("paper.html",), plain_inline(placed.shape.title), "papers", {
            "paper": Ref(placed.slug),
            "prev": Ref(placed.prev) if placed.prev else None,
            "next": Ref(placed.next) if placed.next else None,
            "related": briefs(site, placed.related),
        }))
    for index in site.indexes:
        if only is None:
            pages.append(_index_page(index))
        for term in index.terms:
            if not shows(term.papers):
                continue
            title = f"{TERM_HEADINGS[term.kind]} {term.name}"
            for path, shown, paged in _paged(term.url, term.papers, page_size):
                if shows(shown):
                    pages.append(Page(path, (f"{index.term_kind}.html", "term.html"),
                                      _page_title(title, paged), index.kind, {
                                          "index": index, "term": term,
                                          "heading": TERM_HEADINGS[term.kind],
                                          "papers": Refs(shown), "pagination": paged},
                                      shown))
    if only is None:
        pages.append(Page(SEARCH_URL, ("search.html",), "Search", "search", {}))
        pages.append(Page("404.html", ("404.html",), "Page not found", "", {}))
    return pages


QUEUE_URL = "queue/index.html"
STATS_URL = "stats/index.html"


def reading_pages(site: Site, facts: Mapping[str, Facts], page_size: int) -> list[Page]:
    """The reading queue and the stats page: every paper's facts, not just its shape, so a
    build after an edit makes them again (their keys tell whether they changed)."""
    queue = reading_queue(site, facts, page_size or QUEUE_UNREAD)
    return [
        Page(QUEUE_URL, ("queue.html",), "Reading queue", "queue",
             {"queue": queue},
             queue.reading + queue.unread),
        Page(STATS_URL, ("stats.html",), "Stats", "stats",
             {"stats": reading_stats(site, facts)}),
    ]


def _index_page(index: Index) -> Page:
    return Page(index.url, (f"{index.kind}.html", "terms.html"), index.title, index.kind,
                {"index": index, "groups": _groups(index.terms)})


def base_context(site: Site, config: Config) -> dict[str, Any]:
    """The values every page (and every card) sees."""
    return {
        "config": config,
        "site_url": config.site_url,
        "counts": site.counts,
        "indexes": site.indexes,
        "generator": f"readinglist {__version__}",
        "home_url": HOME_URL,
        "search_url": SEARCH_URL,
        "highlighted": _highlighted(site, config),
    }


def _highlighted(site: Site, config: Config) -> tuple[str, ...]:
    """The author names ``highlight_authors`` names, as the authors index spells them and
    in every spelling the papers' author lists show (spacing normalised): search.js marks
    a result's names by looking them up here, so it needs no copy of highlight_key."""
    wanted = {highlight_key(name) for name in config.highlight_authors}
    if not wanted:
        return ()
    terms = [term for term in site.index("authors").terms if highlight_key(term.name) in wanted]
    shown = {link.text for term in terms for slug in term.papers
             for link in site.by_slug[slug].authors if link.url == term.url}
    return tuple(sorted(shown.union(term.name for term in terms)))


def link_root(path: str, config: Config) -> str:
    """The prefix a page's links start with. 404.html is served at any depth: its links
    start at the site URL's path when it is known (``/my-papers/``), which is where the
    host and ``readinglist serve`` both serve the site; else they are relative."""
    if path == "404.html" and config.site_url:
        return urlsplit(config.site_url).path
    return page_root(path)


class Renderer:
    """Renders pages. A paper's view (Markdown rendered) is made on first use, from its
    place in ``site`` and the paper in ``papers`` (by slug); a card is
    rendered once per paper (``ROOT_MARK`` for its root), or taken from ``cards`` (card key
    -> HTML, kept between builds) when ``card_key`` is given. ``memo``/``fresh``: the
    build's memo and what is added to it as parts are made (a worker sends that back)."""

    def __init__(self, site: Site, papers: Mapping[str, Paper], config: Config,
                 env: jinja2.Environment,
                 keys: Mapping[str, str], entry: Callable[[str], str], *,
                 cards: MutableMapping[str, str] | None = None,
                 card_key: Callable[[str], str] | None = None,
                 memo: MutableMapping[tuple[str, str], Any] | None = None,
                 fresh: dict[tuple[str, str], Any] | None = None):
        self.site = site
        self.papers = papers
        self.config = config
        self.env = env
        self.keys = keys
        self.entry = entry
        self.base = base_context(site, config)
        self.cards = cards if cards is not None else {}
        self.card_key = card_key
        self.new_cards: dict[str, str] = {}  # rendered here, not found in ``cards``
        # the build's memo, and what was made for it here (BibTeX entries, JSON rows...)
        self.memo = memo if memo is not None else {}
        self.fresh = fresh if fresh is not None else {}
        self._views: dict[str, PaperView] = {}
        self._briefs: dict[str, PaperBrief] = {}
        self._card_text: dict[str, str] = {}
        self._card_html: dict[tuple[str, str], Markup] = {}
        self._templates: dict[tuple[str, ...], jinja2.Template] = {}

    def forget(self) -> None:
        """Drop the views and cards made so far (they are made again when asked for)."""
        self._views.clear()
        self._briefs.clear()
        self._card_text.clear()
        self._card_html.clear()

    def view(self, slug: str) -> PaperView:
        view = self._views.get(slug)
        if view is None:
            view = self._views[slug] = paper_view(self.site.by_slug[slug], self.papers[slug],
                                                  self.config, self.keys[slug],
                                                  self.entry(slug))
        return view

    def brief(self, slug: str) -> PaperBrief:
        """What a page shows of a paper it only names (made from its shape alone)."""
        brief = self._briefs.get(slug)
        if brief is None:
            placed = self.site.by_slug[slug]
            title = placed.shape.title
            brief = self._briefs[slug] = PaperBrief(
                slug, placed.url, title, Markup(render_inline(title)), plain_inline(title),
                placed.year)
        return brief

    def card_text(self, slug: str, page: str) -> str:
        """A paper's card with ``ROOT_MARK`` for the root; ``page`` names the page that
        asked, for error messages."""
        text = self._card_text.get(slug)
        if text is not None:
            return text
        key = self.card_key(slug) if self.card_key else None
        text = self.cards.get(key) if key is not None else None
        if text is None:
            text = self.fresh_card(slug, page)
            if key is not None:
                self.cards[key] = self.new_cards[key] = text
        self._card_text[slug] = text
        return text

    def fresh_card(self, slug: str, page: str) -> str:
        """A paper's card (``ROOT_MARK`` for the root) rendered now, not looked up."""
        with _theme_errors(CARD_TEMPLATE, page):
            template = self.env.get_template(CARD_TEMPLATE)
            return template.render(dict(self.base, root=ROOT_MARK, paper=self.view(slug)))

    def card(self, slug: str, root: str, page: str) -> Markup:
        html = self._card_html.get((slug, root))
        if html is None:
            html = self._card_html[(slug, root)] = Markup(
                self.card_text(slug, page).replace(ROOT_MARK, root))
        return html

    def prepare(self, pages: Iterable[Page]) -> None:
        """Compile every template the pages use (before forking, so workers share them)."""
        cards = False
        for page in pages:
            self._template(page)
            cards = cards or bool(page.cards)
        if cards:
            with _theme_errors(CARD_TEMPLATE, "partials"):
                self.env.get_template(CARD_TEMPLATE)

    def _template(self, page: Page) -> jinja2.Template:
        template = self._templates.get(page.templates)
        if template is None:
            with _theme_errors(page.templates[0], page.path):
                template = self._templates[page.templates] = self.env.select_template(
                    list(page.templates))
        return template

    def _value(self, value: Any) -> Any:
        if isinstance(value, Ref):
            return self.view(value.slug)
        if isinstance(value, Refs):
            return Views(value.slugs, self.view)
        if isinstance(value, Briefs):
            return [self.brief(slug) for slug in value.slugs]
        return value

    def render(self, page: Page) -> bytes:
        """One page -> its bytes; a template error raises BuildError naming both."""
        config = self.config
        root = link_root(page.path, config)
        cards = [self.card(slug, root, page.path) for slug in page.cards]
        context = dict(self.base)
        context.update((k, self._value(v)) for k, v in page.context.items())
        context.update(root=root, page_title=page.title, nav_active=page.nav,
                       page_url=page.path, cards=cards, cards_html=Markup("\n".join(cards)),
                       canonical=absolute_url(config.site_url, page.path)
                       if page.path != "404.html" else "")
        template = self._template(page)
        with _theme_errors(page.templates[0], page.path):
            return template.render(context).encode("utf-8")


# template -> (name -> the attributes read of it, None: the value itself; the templates it
# extends, includes or imports, None: one named by an expression)
Names = dict[str, "frozenset[str] | None"]
Reads = dict[str, tuple[Names, "tuple[str, ...] | None"]]


def _names(tree: jinja2.nodes.Node) -> Names:
    """The names a parsed template reads, each with the attributes read of it (``index.url``
    reads ``url`` of ``index``) or None where the value itself is used."""
    nodes = jinja2.nodes
    found: dict[str, set[str] | None] = {}
    todo: list[tuple[jinja2.nodes.Node, jinja2.nodes.Node | None]] = [(tree, None)]
    while todo:
        node, parent = todo.pop()
        if isinstance(node, nodes.Name) and node.ctx == "load":
            if isinstance(parent, nodes.Getattr) and parent.node is node:
                attrs = found.setdefault(node.name, set())
                if attrs is not None:
                    attrs.add(parent.attr)
            else:
                found[node.name] = None
        todo.extend((child, node) for child in node.iter_child_nodes())
    return {name: frozenset(attrs) if attrs is not None else None
            for name, attrs in found.items()}


def template_reads(env: jinja2.Environment) -> Reads | None:
    """Each template of the search path -> (the names it reads, with the attributes it
    reads of each; the templates it extends, includes or imports); None when a template
    cannot be parsed (then every page reads every name). The names are a loop's or a
    ``set``'s as well as the context's: a few too many is safe, and finding them is a walk
    of the parsed template, not the code generation ``jinja2.meta`` does."""
    nodes = jinja2.nodes
    reads: Reads = {}
    try:
        for name in env.list_templates():
            assert env.loader is not None
            tree = env.parse(env.loader.get_source(env, name)[0])
            uses: list[str] | None = []
            for node in tree.find_all((nodes.Extends, nodes.Include, nodes.Import,
                                       nodes.FromImport)):
                target = node.template  # type: ignore[attr-defined]  # (all four have it)
                named = [target] if isinstance(target, nodes.Const) else \
                    target.items if isinstance(target, (nodes.List, nodes.Tuple)) else [None]
                for item in named:
                    if not isinstance(item, nodes.Const) or not isinstance(item.value, str):
                        uses = None
                    elif uses is not None:
                        uses.append(item.value)
            reads[name] = (_names(tree), tuple(sorted(set(uses))) if uses is not None else None)
    except Exception:  # a broken template: rendering reports it
        return None
    return reads


def names_read(reads: Reads | None) -> frozenset[str] | None:
    """Every name any template reads; None: every name counts. A value no template reads
    cannot change a page."""
    if reads is None:
        return None
    return frozenset().union(*(names for names, _ in reads.values()))


def chain_reads(reads: Reads | None, templates: Iterable[str]) -> Names | None:
    """The names (and their attributes) these templates read, with all they extend,
    include or import (None: every name, all of it, when that cannot be told)."""
    if reads is None:
        return None
    names: dict[str, frozenset[str] | None] = {}
    seen: set[str] = set()
    todo = list(templates)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        found = reads.get(name)
        if found is None:  # (not a template: a page naming it fails to render)
            continue
        for read, attrs in found[0].items():
            if read not in names:
                names[read] = attrs
            elif names[read] is not None:
                names[read] = None if attrs is None else names[read] | attrs  # type: ignore[operator]
        if found[1] is None:
            return None
        todo.extend(found[1])
    return names


class PageKeys:
    """What a page's output depends on, as one hash, worked out without rendering it.

    A page is a function of its template (theme and code: in ``salt``), the config (also in
    ``salt``), its own context, the base values its templates read, and the cards it lists.
    Papers enter through ``view_keys``: a hash of everything their view is made from. Names
    no template reads (``used``) are left out: an unread value cannot change a page.

    A paper's card enters a list page's key by the view key it was rendered from: its view
    key, or (``card_views``) an earlier one of its views whose card came out the same,
    after an edit that did not change the card (notes, an abstract): then the pages that
    list it keep their keys, and are not made again."""

    def __init__(self, base: Mapping[str, Any], used: frozenset[str] | None,
                 view_keys: Mapping[str, str], salt: str, *, token: str | None = None,
                 card_views: Mapping[str, str] | None = None,
                 reads: Reads | None = None, tokens: Mapping[str, str] | None = None):
        """``reads``: what each template reads (see ``template_reads``; without it every
        page counts every name of ``used``). ``token``: the cards' base token and
        ``tokens`` the pages' by their templates, when known (from a build of the same
        site shape and salt)."""
        self.used = used
        self.view_keys = view_keys
        self.card_views = card_views if card_views is not None else {}
        self.salt = salt
        self._memo: dict[int, tuple[Any, str]] = {}
        self._values = base
        self._reads = reads
        self.bases: dict[str, str] = dict(tokens or {})  # templates -> the base token
        self._chains: dict[tuple[str, ...], Names | None] = {}
        self.base = token if token is not None else self._base_token((CARD_TEMPLATE,))
        self.reads_cards = self.reads("cards") or self.reads("cards_html")

    def _chain(self, templates: tuple[str, ...]) -> Names | None:
        names = self._chains.get(templates, False)
        if names is False:
            names = self._chains[templates] = chain_reads(self._reads, templates)
        return names  # type: ignore[return-value]

    def _base_token(self, templates: tuple[str, ...]) -> str:
        """The token of the base values these templates (and theirs) read, as far as they
        read them: a page is not keyed by a value only other pages show (the home page's
        counts, say), so adding a paper does not make every page again."""
        names = self._chain(templates)
        return "{" + ",".join([f"{self.token(k)}:{self.read_token(v, names, k)}"
                               for k, v in self._values.items() if self.reads(k) and (
                                   names is None or k in names)]) + "}"

    def read_token(self, value: Any, names: Names | None, name: str) -> str:
        """The token of the part of a value the templates read: of a dataclass of which
        they read only some fields (``index.url``, ``index.title``), those; else all of it
        (a property or a method may read any field; so may a mapping's ``items()``)."""
        attrs = names.get(name) if names is not None else None
        if attrs is None or not dataclasses.is_dataclass(value) or isinstance(value, type):
            return self.token(value)
        if not attrs <= {f.name for f in dataclasses.fields(value)}:
            return self.token(value)
        return type(value).__name__ + "{" + ",".join(
            [f"{a}={self.token(getattr(value, a))}" for a in sorted(attrs)]) + "}"

    def page_base(self, templates: tuple[str, ...]) -> str:
        name = "\0".join(templates)
        token = self.bases.get(name)
        if token is None:
            token = self.bases[name] = self._base_token(templates)
        return token

    def tokens(self, values: Iterable[Any]) -> list[str]:
        """The tokens of these values (kept: the next build of the same shape may
        ``remember`` them)."""
        return [self.token(value) for value in values]

    def remember(self, values: Iterable[Any], tokens: Iterable[str]) -> None:
        """Take these dataclass values' tokens as given (from a build of the same site
        shape and salt)."""
        for value, token in zip(values, tokens, strict=True):
            self._memo[id(value)] = (value, token)

    def reads(self, name: str) -> bool:
        return self.used is None or name in self.used

    def token(self, value: Any) -> str:
        """A value of a page context -> an unambiguous string (papers by view key)."""
        kind = type(value)
        if kind is str:
            return f"s{len(value)}:{value}"
        if kind is Ref:
            return "r" + self.view_keys[value.slug]
        if value is None or kind is bool or kind is int or kind is float:
            return repr(value)
        if kind is Refs:
            return "R" + ",".join([self.view_keys[s] for s in value.slugs])
        if kind is Briefs:
            return f"b{len(value.shown)}:{value.shown}"
        if isinstance(value, str):
            kind_tag = "m" if isinstance(value, Markup) else "s"
            return f"{kind_tag}{len(value)}:{value}"
        if isinstance(value, (list, tuple)):
            if all(type(v) is str for v in value):  # slugs, names: no call per item
                return "[" + ",".join([f"s{len(v)}:{v}" for v in value]) + "]"
            return "[" + ",".join([self.token(v) for v in value]) + "]"
        if isinstance(value, Mapping):
            return "{" + ",".join([f"{self.token(k)}:{self.token(v)}"
                                   for k, v in value.items()]) + "}"
        if isinstance(value, PurePath):
            return "p" + self.token(str(value))
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            memo = self._memo.get(id(value))
            if memo is not None and memo[0] is value:
                return memo[1]
            text = type(value).__name__ + "(" + ",".join(
                [self.token(getattr(value, f.name)) for f in dataclasses.fields(value)]) + ")"
            if len(text) > 64:  # an index of every author is read by each author's page
                text = type(value).__name__ + "#" + digest(text)
            self._memo[id(value)] = (value, text)
            return text
        raise TypeError(f"cannot key a {type(value).__name__} in a page context")

    def page(self, page: Page) -> str:
        used, view_keys = self.used, self.view_keys
        names = self._chain(page.templates)
        own = []
        for name, value in page.context.items():
            if used is not None and name not in used or names is not None and name not in names:
                continue
            kind = type(value)  # the usual values without a call each
            if kind is Ref:
                own.append(f"{name}=r{view_keys[value.slug]}")
            elif value is None:
                own.append(f"{name}=None")
            else:
                own.append(f"{name}={self.read_token(value, names, name)}")
        if not self.reads_cards:
            cards = ""
        elif self.card_views:
            cards = ",".join([self.card_view(s) for s in page.cards])
        else:
            cards = ",".join([view_keys[s] for s in page.cards])
        return digest(f"{self.salt}\0{self.page_base(page.templates)}\0{page.path}\0"
                      f"{page.templates}\0"
                      f"{len(page.title)}:{page.title}\0{page.nav}\0{','.join(own)}", cards)

    def card_view(self, slug: str) -> str:
        """The view key a paper's card is keyed by (see the class)."""
        return self.card_views.get(slug) or self.view_keys[slug]

    def card(self, slug: str) -> str:
        return digest(self.salt, self.base, "card", self.card_view(slug))


@contextmanager
def _theme_errors(template: str, page: str) -> Iterator[None]:
    """Turn a Jinja error into a BuildError naming the template, its line and the page;
    and any other exception a template's own code raised (``{{ 1 / 0 }}``, ``{{ 'a' + 1
    }}``): a mistake in the theme, not a bug in readinglist, which is one raised in
    readinglist's own code."""
    try:
        yield
    except jinja2.TemplateError as exc:
        file, line = _theme_frame(exc)
        if file == "?" and isinstance(exc, jinja2.TemplateNotFound):  # the page's own
            names = " or ".join(getattr(exc, "templates", None) or [exc.name])
            raise BuildError([error(template, None, f"no such template in the theme or the "
                                                    f"overrides: {page} is made with "
                                                    f"{names}")]) from exc
        # (the message alone: str() of a syntax error may add its file and line)
        problem = f"no such template: {exc}" if isinstance(exc, jinja2.TemplateNotFound) \
            else exc.message or type(exc).__name__
        raise BuildError([error(file, line, f"template error in {template} while rendering "
                                            f"{page}: {problem}")]) from exc
    except RecursionError as exc:
        file, line = _cycle_frame(exc)
        if file == "?":
            raise
        raise BuildError([error(file, line, f"template error in {template} while rendering "
                                            f"{page}: templates extend or include each other "
                                            f"without end (an override reaches the theme's "
                                            f"file of its own name as \"!theme/NAME\")")]
                         ) from None
    except Exception as exc:
        file, line = _theme_frame(exc)
        frames = traceback.extract_tb(exc.__traceback__)
        ours = Path(__file__).parent
        if file == "?" or not frames or Path(frames[-1].filename).parent == ours:
            raise
        raise BuildError([error(file, line, f"template error in {template} while rendering "
                                            f"{page}: {type(exc).__name__}: {exc}")]) from exc


def html_pages(paths: Iterable[str]) -> list[str]:
    """The pages a sitemap lists: every HTML page but 404.html."""
    return [p for p in paths if p.endswith(".html") and p != "404.html"]
