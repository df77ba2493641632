"""The Jinja2 environment and page rendering: site model -> {site-relative path: bytes}.

Autoescape is on for every template and undefined names are errors. Templates receive plain
data (views built here once per paper: Markdown rendered once) and never call back into the
generator. A template error is a bug in the theme: it raises ``BuildError`` naming the
template, its line and the page being rendered.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import jinja2
from markupsafe import Markup

from generator import __version__
from generator.config import Config
from generator.diagnostics import BuildError, error
from generator.feeds import FeedText, citation_markdown, citation_text, venue_kind
from generator.markdown import plain_inline, render_inline, render_markdown_with_text
from generator.site import (
    HOME_URL,
    SEARCH_URL,
    Index,
    Link,
    Site,
    SitePaper,
    Term,
    absolute_url,
    page_root,
)
from generator.theme import Theme, template_loader

Progress = Callable[[int, int], None]
AUTHORS_SHOWN = 3
CARD_TEMPLATE = "partials/paper_card.html"
DESCRIPTION_CHARS = 200
MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov",
               "Dec")
STATUS_LABELS = {"unread": "Unread", "reading": "Reading", "read": "Read"}
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")
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
    score: float | None
    has_code: bool | None
    abstract_html: Markup
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


def make_environment(theme: Theme) -> jinja2.Environment:
    """One environment for the whole build: templates compile once, autoescape everywhere."""
    return jinja2.Environment(
        loader=template_loader(theme),
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


def _external_links(placed: SitePaper) -> tuple[ExternalLink, ...]:
    paper = placed.paper
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
        add("DOI", "https://doi.org/" + paper.doi.removeprefix("https://doi.org/"))
    for url in paper.links:
        host = urlsplit(url).netloc.lower().removeprefix("www.")
        label = "Code" if host in CODE_HOSTS else \
            "Hugging Face" if host == "huggingface.co" else "Link"
        add(label, url)
    return tuple(links)


def paper_view(placed: SitePaper, config: Config, bibtex_key: str, bibtex: str) -> PaperView:
    """A placed paper -> its view: Markdown and LaTeX rendered, citations formatted."""
    paper = placed.paper
    abstract_html, abstract_text = render_markdown_with_text(paper.abstract)
    notes_html = render_markdown_with_text(
        paper.notes, allow_html=config.allow_raw_html, heading_offset=2)[0] \
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
        author_count=count,
        author_count_text=f"{count} author{'s' if count != 1 else ''}" if count else "",
        date=date,
        date_text=_date_text(date, paper.year),
        year=placed.year,
        venue=placed.venue,
        venue_kind=venue_kind(paper.venue),
        category=paper.category,
        organizations=paper.organizations,
        tags=placed.tags,
        status=status,
        status_label=STATUS_LABELS.get(status, status.capitalize()),
        rating=paper.rating,
        rating_text=("★" * paper.rating + "☆" * (5 - paper.rating)) if paper.rating else "",
        upvotes=paper.upvotes,
        score=paper.score,
        has_code=paper.has_code,
        abstract_html=Markup(abstract_html),
        notes_html=Markup(notes_html),
        description=_shorten(abstract_text) or title_text,
        links=_external_links(placed),
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


def _theme_frame(exc: BaseException) -> tuple[str, int | None]:
    """The template file and line where a template error happened."""
    if isinstance(exc, jinja2.TemplateSyntaxError):
        return exc.filename or exc.name or "?", exc.lineno
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".html", ".xml", ".txt")):
            return frame.filename, frame.lineno
    return "?", None


@dataclass(frozen=True)
class Page:
    """One page to render: output path, template name(s) and its own context."""

    path: str
    templates: tuple[str, ...]
    title: str
    nav: str
    context: Mapping[str, Any]
    cards: tuple[str, ...] = ()  # slugs whose rendered cards the page lists, as `cards`


def _groups(terms: Iterable[Term]) -> list[tuple[str, list[Term]]]:
    """Terms grouped by first letter, for the A–Z jump list of long indexes."""
    groups: dict[str, list[Term]] = {}
    for term in terms:
        first = term.name[:1].upper()
        letter = first if first.isalpha() and first.isascii() else "#"
        groups.setdefault(letter, []).append(term)
    return list(groups.items())


def site_pages(site: Site, views: Mapping[str, PaperView]) -> list[Page]:
    """Every HTML page of the site, in a fixed order."""
    cards = [views[p.slug] for p in site.papers]
    pages = [Page(HOME_URL, ("index.html",), "", "papers", {"papers": cards},
                  tuple(p.slug for p in site.papers))]
    for placed in site.papers:
        view = views[placed.slug]
        pages.append(Page(placed.url, ("paper.html",), view.title_text, "papers", {
            "paper": view,
            "prev": views[placed.prev] if placed.prev else None,
            "next": views[placed.next] if placed.next else None,
        }))
    for index in site.indexes:
        pages.append(_index_page(index))
        for term in index.terms:
            pages.append(Page(term.url, (f"{index.term_kind}.html", "term.html"),
                              f"{TERM_HEADINGS[term.kind]} {term.name}", index.kind, {
                                  "index": index, "term": term,
                                  "heading": TERM_HEADINGS[term.kind],
                                  "papers": [views[s] for s in term.papers]},
                              term.papers))
    pages.append(Page(SEARCH_URL, ("search.html",), "Search", "search", {}))
    return pages


def _index_page(index: Index) -> Page:
    return Page(index.url, (f"{index.kind}.html", "terms.html"), index.title, index.kind,
                {"index": index, "groups": _groups(index.terms)})


def render_pages(site: Site, config: Config, env: jinja2.Environment,
                 views: Mapping[str, PaperView], *,
                 progress: Progress | None = None) -> dict[str, bytes]:
    """Render every page and 404.html -> {path: bytes}."""
    base = {
        "config": config,
        "site_url": config.site_url,
        "counts": site.counts,
        "indexes": site.indexes,
        "generator": f"readinglist {__version__}",
        "home_url": HOME_URL,
        "search_url": SEARCH_URL,
    }
    pages = site_pages(site, views)
    pages.append(Page("404.html", ("404.html",), "Page not found", "", {}))
    out: dict[str, bytes] = {}
    total = len(pages)
    step = max(1, total // 100)
    templates: dict[tuple[str, ...], jinja2.Template] = {}
    # A card depends only on its paper and the page's root: render it once per pair.
    card_cache: dict[tuple[str, str], Markup] = {}

    def card(slug: str, root: str, page: str) -> Markup:
        html = card_cache.get((slug, root))
        if html is None:
            with _theme_errors(CARD_TEMPLATE, page):
                template = env.get_template(CARD_TEMPLATE)
                html = Markup(template.render(dict(base, root=root, paper=views[slug])))
            card_cache[(slug, root)] = html
        return html

    for done, page in enumerate(pages, 1):
        # 404.html is served at any depth: its links are absolute when the URL is known
        root = config.site_url if page.path == "404.html" else page_root(page.path)
        cards = [card(slug, root, page.path) for slug in page.cards]
        context = dict(base)
        context.update(page.context)
        context.update(root=root, page_title=page.title, nav_active=page.nav,
                       page_url=page.path, cards=cards, cards_html=Markup("\n".join(cards)),
                       canonical=absolute_url(config.site_url, page.path)
                       if page.path != "404.html" else "")
        with _theme_errors(page.templates[0], page.path):
            template = templates.get(page.templates)
            if template is None:
                template = templates[page.templates] = env.select_template(
                    list(page.templates))
            out[page.path] = template.render(context).encode("utf-8")
        if progress and (done % step == 0 or done == total):
            progress(done, total)
    return out


@contextmanager
def _theme_errors(template: str, page: str) -> Iterator[None]:
    """Turn a Jinja error into a BuildError naming the template, its line and the page."""
    try:
        yield
    except jinja2.TemplateError as exc:
        file, line = _theme_frame(exc)
        raise BuildError([error(file, line, f"template error in {template} while rendering "
                                            f"{page}: {exc}")]) from exc


def html_pages(paths: Iterable[str]) -> list[str]:
    """The pages a sitemap lists: every HTML page but 404.html."""
    return [p for p in paths if p.endswith(".html") and p != "404.html"]
