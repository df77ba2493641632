"""Where the reading stands: each paper's reading facts, the reading queue and the stats page.

A paper's status, rating and notes are not part of its shape (``site.Shape``): editing them
keeps the site model, and the build re-makes only what shows them. The queue and the stats
page show them for every paper, so a build keeps every paper's ``Facts`` (small, by slug)
for the next one, which changes only the edited papers' facts and so never reads the
others' files. Charts are plain numbers here; the theme draws them as inline SVG.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from generator.model import STATUSES, Compact, Paper, is_code_link
from generator.site import Site, Term, document_order

TOP = 15  # bars in the venue, tag and author charts
LABEL_CHARS = 40  # a bar's name as the chart writes it: a 320 px phone's width at 13 px


@dataclass(frozen=True)
class Facts(Compact):
    """What the queue, the stats page and the search page's filters read of a paper
    beyond its shape."""

    status: str  # as shown: the config's default_status when the file has none
    rating: int | None
    notes: bool
    code: bool  # (these two: for the search page's has:code and has:pdf)
    pdf: bool


def facts_of(paper: Paper, default_status: str) -> Facts:
    """A paper's facts; ``code``: the listing's "Code" flag, or a link the paper page shows
    as "Code"."""
    return Facts(paper.status or default_status, paper.rating, bool(paper.notes.strip()),
                 bool(paper.has_code) or any(map(is_code_link, paper.links)),
                 bool(paper.pdf and paper.pdf.startswith(("http://", "https://"))))


@dataclass(frozen=True)
class Bar(Compact):
    """One bar of a chart: its label, the page it links to, a count per series."""

    label: str
    url: str | None
    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def short(self) -> str:
        """The label in at most LABEL_CHARS: a longer one keeps its start and its end, cut
        between words, for two venues' names often differ only at the end (ACL 2023, ACL
        2025)."""
        text = self.label
        if len(text) <= LABEL_CHARS:
            return text
        tail = text[-(LABEL_CHARS // 3):]
        tail = tail[tail.find(" ") + 1:] if " " in tail[:-1] else tail
        head = text[:LABEL_CHARS - len(tail) - 3]
        head = head[:head.rfind(" ")] if " " in head[1:] else head
        return f"{head.rstrip(' ,:;')} … {tail}"


@dataclass(frozen=True)
class Chart(Compact):
    """A bar chart and the table of its numbers: ``series`` names the counts of each bar
    (one series: plain bars; the statuses: stacked bars)."""

    id: str
    title: str
    label: str  # what a bar is: "Year", "Venue"...
    series: tuple[str, ...]
    bars: tuple[Bar, ...]
    note: str = ""  # said under the title, e.g. that only the top ones are shown
    empty: str = ""  # said instead of the bars when the list has papers but none has one

    @property
    def most(self) -> int:
        return max((bar.total for bar in self.bars), default=0)


@dataclass(frozen=True)
class Stats(Compact):
    """The numbers of the stats page."""

    papers: int
    statuses: tuple[tuple[str, int], ...]  # (status, papers), in STATUSES order
    rated: int
    rating_mean: str  # "4.2", or "" when nothing is rated
    with_notes: int
    charts: tuple[Chart, ...]


def _status_counts(slugs: Iterable[str], facts: Mapping[str, Facts]) -> tuple[int, ...]:
    counts = Counter(facts[slug].status for slug in slugs)
    return tuple(counts[status] for status in STATUSES)


def _term_bars(terms: Iterable[Term], facts: Mapping[str, Facts], top: int) -> tuple[Bar, ...]:
    """The ``top`` terms with the most papers (then by name), each split by status."""
    ranked = sorted(terms, key=lambda t: (-t.count, t.name.casefold(), t.slug))[:top]
    return tuple(Bar(t.name, t.url, _status_counts(t.papers, facts)) for t in ranked)


def reading_stats(site: Site, facts: Mapping[str, Facts]) -> Stats:
    """The site's papers and their facts -> the stats page's numbers and charts."""
    slugs = [p.slug for p in site.papers]
    statuses = _status_counts(slugs, facts)
    ratings = [r for r in (facts[s].rating for s in slugs) if r]
    years = sorted(site.index("years").terms, key=lambda t: t.name)
    # (a paper with no year has no bar: the note says so, or the bars add up to fewer
    # papers than the page's total with nothing to say why)
    no_year = len(slugs) - sum(t.count for t in years)
    added: dict[str, list[str]] = {}
    for placed in site.papers:
        month = (placed.shape.added or "")[:7] or "unknown"
        added.setdefault(month, []).append(placed.slug)
    charts = (
        Chart("by-year", "Papers by year", "Year", STATUSES,
              tuple(Bar(t.name, t.url, _status_counts(t.papers, facts)) for t in years),
              _no_year_note(no_year) if years else "", "No paper has a year."),
        Chart("by-added", "Reading status by month added", "Month added", STATUSES,
              tuple(Bar(month, None, _status_counts(added[month], facts))
                    for month in sorted(added))),
        _top_chart("by-venue", "Papers by venue", "Venue", site, "venues", facts,
                   "No paper has a venue."),
        _top_chart("by-tag", "Top tags", "Tag", site, "tags", facts, "No paper has tags."),
        _top_chart("by-author", "Top authors", "Author", site, "authors", facts,
                   "No paper lists its authors."),
    )
    return Stats(
        papers=len(slugs),
        statuses=tuple(zip(STATUSES, statuses, strict=True)),
        rated=len(ratings),
        rating_mean=f"{sum(ratings) / len(ratings):.1f}" if ratings else "",
        with_notes=sum(1 for s in slugs if facts[s].notes),
        charts=charts,
    )


def _no_year_note(papers: int) -> str:
    if not papers:
        return ""
    return "1 paper has no year and is not shown." if papers == 1 else \
        f"{papers} papers have no year and are not shown."


def _top_chart(id: str, title: str, label: str, site: Site, kind: str,
               facts: Mapping[str, Facts], empty: str) -> Chart:
    terms = site.index(kind).terms
    note = f"The {TOP} with the most papers, of {len(terms)}." if len(terms) > TOP else ""
    return Chart(id, title, label, STATUSES, _term_bars(terms, facts, TOP), note, empty)


@dataclass(frozen=True)
class Queue(Compact):
    """The reading queue: the papers being read (the most recently added first), then the
    unread ones in the order they were added (the oldest first), the first ``shown`` of
    each, and how many there are."""

    reading: tuple[str, ...]
    unread: tuple[str, ...]
    unread_total: int
    reading_total: int


def reading_queue(site: Site, facts: Mapping[str, Facts], shown: int) -> Queue:
    """Up to ``shown`` papers being read (most recently added first), then up to ``shown``
    unread papers (oldest added first); those with no date added last, papers added the
    same day in the search index's order: as the search page sorted by date added lists
    them, where the queue links for the rest of each."""
    def added(slug: str) -> str:
        return site.by_slug[slug].shape.added or ""

    def undated_last(slug: str) -> tuple[bool, str]:
        return (not added(slug), added(slug))

    def having(status: str) -> list[str]:  # in the search index's order
        return [p.slug for p in document_order(
            placed.shape for placed in site.papers if facts[placed.slug].status == status)]

    reading = sorted(having("reading"), key=added, reverse=True)  # (stable: ties keep order)
    unread = sorted(having("unread"), key=undated_last)
    return Queue(tuple(reading[:shown] if shown else reading),
                 tuple(unread[:shown] if shown else unread), len(unread), len(reading))
