"""The site model: papers in site order, the tag/author/year/venue indexes, every page URL.

Pure data, built once from the loaded papers; templates read it and never call back.
URLs here are *site-relative* posix paths that end in ``index.html`` (``papers/x/index.html``),
so a page links to another as ``root + url`` where ``root`` climbs back to the site root
(``page_root``). That works from ``file://``, at a domain root and under a sub-path.
"""

from __future__ import annotations

import hashlib
import marshal
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar

from generator.diagnostics import Diagnostic, error
from generator.model import (
    SLUG_MAX,
    WINDOWS_RESERVED,
    Compact,
    Paper,
    normalize_title,
    term_slug,
    unique_slug,
)

HOME_URL = "index.html"
SEARCH_URL = "search/index.html"


@dataclass(frozen=True)
class Link(Compact):
    """A labelled site-relative URL."""

    text: str
    url: str


@dataclass(frozen=True)
class Term(Compact):
    """One tag, author, year or venue, with its page and its papers (slugs, site order)."""

    kind: str  # "tag" | "author" | "year" | "venue"
    name: str
    slug: str
    url: str
    papers: tuple[str, ...]

    @property
    def count(self) -> int:
        return len(self.papers)

    @property
    def link(self) -> Link:
        return Link(self.name, self.url)

    @property
    def bib_url(self) -> str:
        """Its papers' BibTeX, beside its page."""
        return self.url.removesuffix("index.html") + "papers.bib"

    @property
    def feed_url(self) -> str:
        """Its newest additions as Atom (made for tags), beside its page."""
        return self.url.removesuffix("index.html") + "feed.xml"


@dataclass(frozen=True)
class Index(Compact):
    """The page listing every term of one kind (``tags/index.html``)."""

    kind: str  # "tags" | "authors" | "years" | "venues": also the URL folder
    term_kind: str  # "tag" | ...
    title: str
    url: str
    terms: tuple[Term, ...]  # display order


@dataclass(frozen=True)
class Shape(Compact):
    """A paper's *shape*: every field of it the site model, the page list, the BibTeX keys,
    the feed's order, the sitemap and the related papers read (of the abstract, which only
    the related papers read, a digest). An edit that keeps every paper's shape (notes, a
    status, a rating, links...) keeps the site model as it was."""

    slug: str
    path: str
    title: str
    date: str | None
    year: int | None
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    venue: str | None
    added: str | None
    citation_key: str | None  # (a paper's own BibTeX key: the keys are made from shapes)
    abstract_digest: str  # (the related papers are made from titles, abstracts and tags)

    @property
    def sort_date(self) -> str:
        """As ``Paper.sort_date``."""
        return self.date or (f"{self.year:04d}" if self.year else "")

    @property
    def display_year(self) -> int | None:
        return self.year or (int(self.date[:4]) if self.date else None)


def shape_of(paper: Paper | Shape) -> Shape:
    """The shape of a paper."""
    if isinstance(paper, Shape):
        return paper
    return Shape(paper.slug, paper.path, paper.title, paper.date, paper.year, paper.authors,
                 paper.tags, paper.venue, paper.added, paper.citation_key,
                 hashlib.blake2b(paper.abstract.encode(), digest_size=8).hexdigest())


@dataclass(frozen=True)
class SitePaper(Compact):
    """A paper placed in the site: its shape, URL, links to its terms, its neighbours and
    its related papers. (The paper itself is looked up by slug where a page shows more
    than its shape.)"""

    shape: Shape
    url: str
    authors: tuple[Link, ...]
    tags: tuple[Link, ...]
    venue: Link | None
    year: Link | None
    prev: str | None  # slug of the newer neighbour
    next: str | None  # slug of the older neighbour
    slug: str  # the paper's
    related: tuple[str, ...] = ()  # slugs of its nearest papers, best first (related.py)


@dataclass(frozen=True)
class Site:
    """Everything the pages need to know about each other."""

    papers: tuple[SitePaper, ...]  # newest first
    indexes: tuple[Index, ...]  # tags, authors, years, venues
    by_slug: Mapping[str, SitePaper] = field(compare=False, repr=False)

    def index(self, kind: str) -> Index:
        return next(i for i in self.indexes if i.kind == kind)

    @property
    def counts(self) -> dict[str, int]:
        out = {"papers": len(self.papers)}
        out.update({i.kind: len(i.terms) for i in self.indexes})
        return out


def paper_url(slug: str) -> str:
    return f"papers/{slug}/index.html"


def page_root(path: str) -> str:
    """Relative prefix from a page back to the site root: ``papers/x/index.html`` -> ``../../``."""
    return "../" * path.count("/")


def pretty_url(path: str) -> str:
    """The URL a server shows for a page: ``papers/x/index.html`` -> ``papers/x/``."""
    return path[: -len("index.html")] if path.endswith("index.html") else path


def absolute_url(site_url: str, path: str) -> str:
    """An absolute URL from ``config.site_url``; '' when the site URL is unknown."""
    return site_url + pretty_url(path) if site_url else ""


def _title_key(paper: Paper | Shape) -> tuple[str, str]:
    return (unicodedata.normalize("NFKC", paper.title).casefold(), paper.slug)


def order_papers(papers: Iterable[Shape]) -> list[Shape]:
    """Newest first (date or year, descending; undated last), then title, then slug."""
    ordered = sorted(papers, key=_title_key)
    return sorted(ordered, key=lambda p: p.sort_date, reverse=True)


_Ordered = TypeVar("_Ordered", Paper, Shape)


def document_order(papers: Iterable[_Ordered]) -> list[_Ordered]:
    """The fixed order papers enter the search index: newest first, then by slug.

    The position is the lunr ref, and equal scores keep this order in the browser. The
    queue's unread papers added the same day keep it too, so the search page sorted by
    date added (oldest first) lists them as the queue does."""
    return sorted(sorted(papers, key=lambda p: p.slug), key=lambda p: p.sort_date, reverse=True)


def name_identity(name: str) -> str:
    """The key a name is one term by (an author written two ways is one author): case,
    compatible forms and spacing aside. ``highlight_authors`` matches names by it too."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def highlight_key(name: str) -> str:
    """The key ``highlight_authors`` matches names by: ``name_identity`` without the
    accents of Latin letters, as listings often drop them (``[Jose Garcia]`` marks José
    García, and the reverse); a mark on another script's letter (a Japanese dakuten) is
    part of the letter and stays."""
    kept: list[str] = []
    for char in unicodedata.normalize("NFKD", name_identity(name)):
        if not (unicodedata.combining(char) and kept and kept[-1].isascii()):
            kept.append(char)
    return unicodedata.normalize("NFC", "".join(kept))


_ASCII_WORD = re.compile(r"[a-z0-9]")


_NON_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def _term_slug(kind: str, name: str, identity: str) -> str:
    """A term's slug: ``model.term_slug``'s (a long name's ends in a hash of its identity,
    a name Windows reserves gets ``-kind``), or for a name in a non-Latin script a hash of
    it (in NFC: the same name typed on a Mac or read from a file name there is one slug)."""
    if name.isascii():  # model.term_slug's result, without its per-character Unicode work
        text = name.replace("++", "pp").replace("#", "sharp").replace("&", " and ")
        slug = _NON_ALNUM.sub("-", text).strip("-").lower()
        if slug and len(slug) <= SLUG_MAX and slug not in WINDOWS_RESERVED:
            return slug
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    if not _ASCII_WORD.search(folded):  # a name in a non-Latin script: stable hash slug
        nfc = unicodedata.normalize("NFC", name)
        return f"{kind}-{hashlib.sha1(nfc.encode('utf-8')).hexdigest()[:8]}"
    return term_slug(name, kind, identity)


Named = list[tuple[str, str]]  # (name as written, spacing normalised; its identity key)


def _collect(ordered: list[Shape], kind: str, named: list[Named]) -> dict[str, Term]:
    """identity key -> Term; one term per identity, collision-safe slugs.

    ``named[i]`` holds the (name, identity) pairs of ``ordered[i]`` for this kind."""
    spellings: dict[str, dict[str, int]] = {}
    members: dict[str, list[str]] = {}
    for paper, names in zip(ordered, named, strict=True):
        for name, key in names:
            counts = spellings.get(key)
            if counts is None:
                spellings[key] = {name: 1}
                members[key] = [paper.slug]
                continue
            counts[name] = counts.get(name, 0) + 1
            papers = members[key]
            if papers[-1] != paper.slug:  # a paper counts once per term
                papers.append(paper.slug)
    taken: set[str] = set()
    terms: dict[str, Term] = {}
    for key in sorted(spellings):
        counts = spellings[key]
        name = sorted(counts, key=lambda s: (-counts[s], s))[0]
        slug = unique_slug(_term_slug(kind, name, key), taken)
        taken.add(slug)
        terms[key] = Term(kind, name, slug, f"{kind}s/{slug}/index.html", tuple(members[key]))
    return terms


def _year_value(paper: Shape) -> Iterable[str]:
    year = paper.display_year
    return (str(year),) if year else ()


def duplicate_papers(titled: Iterable[tuple[str, int | None, str]],
                     line_of: Callable[[str], int | None] | None = None) -> list[Diagnostic]:
    """(path, line of the title, title) of each file -> an error for each file whose paper
    (its normalised title) another file holds too. ``check`` and the build both use it, so a
    list that checks clean never publishes one paper twice. ``line_of``: a file's title
    line, asked only for the files named (the build does not keep lines)."""
    groups: dict[str, list[tuple[str, int | None]]] = {}
    for path, line, title in titled:
        key = normalize_title(title)
        if key:
            groups.setdefault(key, []).append((path, line))
    problems = []
    for group in groups.values():
        if len(group) > 1 and line_of is not None:
            group = [(path, line or line_of(path)) for path, line in group]
        for path, line in group if len(group) > 1 else ():
            others = ", ".join(f"{p}:{n}" if n else p for p, n in group if p != path)
            problems.append(error(path, line, f"title: same paper as {others}; keep one file"))
    return problems


def site_papers(papers: Iterable[Paper | Shape],
                line_of: Callable[[str], int | None] | None = None
                ) -> tuple[list[Shape], list[Diagnostic]]:
    """Loaded papers -> (the shapes of the site's papers in site order, diagnostics for
    slug collisions: of two papers with one slug, the first by path is kept; and for one
    paper in two files, named at the title's line by ``line_of``, if given)."""
    shapes = [shape_of(p) for p in papers]
    problems = duplicate_papers(((p.path, None, p.title) for p in shapes), line_of)
    unique: dict[str, Shape] = {}
    for paper in sorted(shapes, key=lambda p: (p.slug, p.path)):
        if paper.slug in unique:
            problems.append(error(paper.path, None, f"slug '{paper.slug}' is also the slug of "
                                                    f"{unique[paper.slug].path}; rename one "
                                                    f"file so each paper has its own page"))
            continue
        unique[paper.slug] = paper
    return order_papers(unique.values()), problems


def build_site(papers: Iterable[Paper | Shape],
               related: Mapping[str, tuple[str, ...]] | None = None
               ) -> tuple[Site, list[Diagnostic]]:
    """Loaded papers (or their shapes: all it reads) -> (site model, diagnostics for slug
    collisions between papers). ``related``: each paper's related papers by slug
    (``related.related_papers``, made from the papers, not their shapes), if known."""
    ordered, problems = site_papers(papers)

    memo: dict[str, str] = {}

    def identity(name: str) -> str:
        key = memo.get(name)
        if key is None:
            key = memo[name] = name_identity(name)
        return key

    spelled: dict[str, tuple[str, str] | None] = {}  # as written -> (name, identity)

    def named(values: Iterable[str]) -> Named:
        out: Named = []
        for value in values:
            if value in spelled:  # names repeat across papers: work each out once
                pair = spelled[value]
            else:
                name = " ".join(value.split())
                pair = spelled[value] = (name, identity(name)) if name else None
            if pair is not None:
                out.append(pair)
        return out

    tag_names = [named(p.tags) for p in ordered]
    author_names = [named(p.authors) for p in ordered]
    year_names = [named(_year_value(p)) for p in ordered]
    venue_names = [named((p.venue,) if p.venue else ()) for p in ordered]
    tags = _collect(ordered, "tag", tag_names)
    authors = _collect(ordered, "author", author_names)
    years = _collect(ordered, "year", year_names)
    venues = _collect(ordered, "venue", venue_names)

    made: dict[tuple[str, str], Link] = {}  # one Link object per (spelling, term URL)

    def links(terms: dict[str, Term], names: Named) -> tuple[Link, ...]:
        out: list[Link] = []
        seen: set[str] = set()
        for name, key in names:
            if key not in seen:
                seen.add(key)
                url = terms[key].url
                link = made.get((name, url))
                if link is None:
                    link = made[name, url] = Link(name, url)
                out.append(link)
        return tuple(out)

    placed: list[SitePaper] = []
    last = len(ordered) - 1
    for i, paper in enumerate(ordered):
        venue = links(venues, venue_names[i])
        year = links(years, year_names[i])
        placed.append(SitePaper(
            shape=paper,
            url=paper_url(paper.slug),
            authors=links(authors, author_names[i]),
            tags=links(tags, tag_names[i]),
            venue=venue[0] if venue else None,
            year=year[0] if year else None,
            prev=ordered[i - 1].slug if i > 0 else None,
            next=ordered[i + 1].slug if i < last else None,
            slug=paper.slug,
            related=related.get(paper.slug, ()) if related else (),
        ))

    def by_name(terms: dict[str, Term]) -> tuple[Term, ...]:
        return tuple(sorted(terms.values(), key=lambda t: (identity(t.name), t.slug)))

    indexes = (
        Index("tags", "tag", "Tags", "tags/index.html", by_name(tags)),
        Index("authors", "author", "Authors", "authors/index.html", by_name(authors)),
        Index("years", "year", "Years", "years/index.html",
              tuple(sorted(years.values(), key=lambda t: t.name, reverse=True))),
        Index("venues", "venue", "Venues", "venues/index.html", by_name(venues)),
    )
    site = Site(tuple(placed), indexes, {p.slug: p for p in placed})
    return site, problems


def shape_id(shapes: Iterable[Shape], page_size: int, settings: str) -> str:
    """One hash of the shapes of a site's papers (in site order), the page size (which
    decides the list pages) and the settings (config and code version)."""
    data = marshal.dumps((page_size, settings, [s.__getstate__() for s in shapes]), 0)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


@dataclass
class SiteShape:
    """The site model of one shape (``id``: its ``shape_id``) and the paths of its pages,
    kept for the next build: plain data (shapes, links, terms), no paper beyond its
    shape. (A build after an edit makes Page objects only for the pages the edit
    touches.)"""

    id: str
    site: Site
    paths: tuple[str, ...]
