"""ACL Anthology author pages, as copied from a browser.

Structure: a year heading ("2025") on its own line, then per paper a run of label lines
("pdf", "bib", "abs", sometimes "video", "poster" …), the title, the authors one per line
with "|" lines between them, the venue, and the abstract lines up to the next paper, the
next year heading or the end. Page text around the papers (the author's name, the
"Co-authors"/"Venues" side bar, the site footer) is skipped and reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from generator.diagnostics import warning
from generator.listings.common import (
    Line,
    ParseResult,
    copy_restarts,
    extract_urls,
    is_pagination,
    looks_like_content,
    normalize_space,
    report_skipped,
)
from generator.model import Entry

FORMAT = "acl-anthology"

# Link badges the Anthology shows before a title; one of the first three marks a paper.
LABELS = frozenset({
    "pdf", "bib", "abs", "video", "poster", "slides", "software", "dataset", "data", "code",
    "note", "attachment", "presentation", "supplementary", "erratum", "revision", "award",
})
PAPER_LABELS = frozenset({"pdf", "bib", "abs"})

_YEAR = re.compile(r"(?:19|20)\d{2}")

# Side-bar and footer text of an author page. Such a line ends the abstract before it, so
# that page chrome copied after the last paper does not end up inside that abstract.
_CHROME_LINES = frozenset({
    "co-authors", "venues", "fix data", "fix author", "show all...", "show all", "show all…",
    "search", "also published as:",
})
_CHROME_PREFIXES = ("acl materials are copyright", "the acl anthology is managed",
                    "site last built on", "also published as:")

EXPECTED_PAPER = "a paper: 'pdf'/'bib'/'abs' label lines, then title, authors, venue, abstract"


def _labels(text: str) -> frozenset[str] | None:
    """The labels on a label line ("pdf", or "pdf bib abs" when copied as one line)."""
    words = text.lower().split()
    return frozenset(words) if words and all(w in LABELS for w in words) else None


def _is_chrome(text: str) -> bool:
    lowered = text.lower()
    return (lowered in _CHROME_LINES or lowered.startswith(_CHROME_PREFIXES)
            or is_pagination(text))


class _Cursor:
    """The non-blank lines, with where label runs (and so papers) begin precomputed."""

    def __init__(self, lines: Sequence[Line]):
        self.lines = lines
        self.labels = [_labels(line.text) for line in lines]
        # For a label line: the labels of its run from there on, and the index after the run.
        self._run: list[tuple[frozenset[str], int]] = [(frozenset(), 0)] * len(lines)
        for i in reversed(range(len(lines))):
            here = self.labels[i]
            if here is None:
                continue
            if i + 1 < len(lines) and self.labels[i + 1] is not None:
                after, end = self._run[i + 1]
            else:
                after, end = frozenset(), i + 1
            self._run[i] = (after | here, end)
        self._last_start: int | None = None  # where the last paper starts, when asked

    def paper_labels(self, i: int) -> frozenset[str]:
        """Labels of the run starting at line i if it starts a paper, else an empty set.

        A paper starts with label lines holding pdf, bib or abs, followed by its title.
        """
        if i >= len(self.lines) or self.labels[i] is None:
            return frozenset()
        labels, end = self._run[i]
        return labels if labels & PAPER_LABELS and end < len(self.lines) else frozenset()

    def paper_starts(self, i: int) -> bool:
        return bool(self.paper_labels(i))

    def year_heading(self, i: int) -> bool:
        """A 4-digit year line counts only right before a paper (or a cut), never inside an
        abstract."""
        return (i < len(self.lines) and _YEAR.fullmatch(self.lines[i].text) is not None
                and (self.paper_starts(i + 1) or self.dangling(i + 1)))

    def dangling(self, i: int) -> bool:
        """From line i on there is only what a cut copy leaves of the next paper's start:
        nothing, or label lines with no title after them."""
        if i >= len(self.lines):
            return True
        return self.labels[i] is not None and self._run[i][1] >= len(self.lines)

    def boundary(self, i: int) -> bool:
        """Where the current paper must end: the end, the next paper or the next year."""
        return (i >= len(self.lines) or self.paper_starts(i) or self.year_heading(i)
                or self.dangling(i))

    def last_paper(self, i: int) -> bool:
        """No paper starts at or after line i: the paper before i ends the segment."""
        if self._last_start is None:
            self._last_start = max((j for j in range(len(self.lines)) if self.paper_starts(j)),
                                   default=-1)
        return i > self._last_start

    def text_until_boundary(self, i: int) -> tuple[list[Line], int]:
        """Lines from i up to the next paper, year heading, page chrome line or the end."""
        found = []
        while not self.boundary(i) and not _is_chrome(self.lines[i].text):
            found.append(self.lines[i])
            i += 1
        return found, i


def _read_authors(cur: _Cursor, i: int) -> tuple[list[str], int]:
    """Names from line i on: "A", "|", "B", "|", "C" (or "A | B | C" on one line)."""
    names: list[str] = []
    while not cur.boundary(i) and not _is_chrome(cur.lines[i].text):
        text = cur.lines[i].text
        i += 1
        names.extend(n for n in (normalize_space(part) for part in text.split("|")) if n)
        if text == "|":  # a stray separator, e.g. before the first name
            continue
        if i < len(cur.lines) and cur.lines[i].text == "|":
            i += 1
            continue
        break
    return names, i


_ENDS_SENTENCE = ".!?)]\"'”’"


def _ends_whole(abstract: str) -> bool:
    """Whether an abstract ends as abstracts do: a sentence's end or a URL. Its last line
    at the end of a cut copy that does not may have lost the lines after it."""
    last = abstract.rsplit(" ", 1)[-1]
    return abstract.endswith(tuple(_ENDS_SENTENCE)) or bool(extract_urls(last))


def _without_page_text(abstract: list[Line], source: str, result: ParseResult) -> list[Line]:
    """A paper's abstract lines without the page text after them (a "Load more" button,
    a footer the parser does not know): short lines after the last line where the
    abstract ends as abstracts do, reported as skipped. They were the end of the abstract,
    and after the last paper of a copy they made it look cut, so it was skipped."""
    ends = [n for n in range(1, len(abstract) + 1)
            if _ends_whole(" ".join(line.text for line in abstract[:n]))]
    if not ends or ends[-1] == len(abstract):
        return abstract
    rest = abstract[ends[-1]:]
    if any(looks_like_content(line.text) for line in rest):
        return abstract  # more paper text: the copy may have been cut inside it
    report_skipped(result, source, rest, lost_entry=False, expected=EXPECTED_PAPER)
    return abstract[:ends[-1]]


def _read_paper(cur: _Cursor, i: int, year: str | None, source: str,
                result: ParseResult) -> int:
    """Parse the paper whose label lines start at line i; return the index after it.

    The last paper of a segment may be cut short by the end of the copy: if it lacks its
    authors, venue or (when it has an "abs" label) a whole abstract, it is a fragment and
    is skipped with a warning instead of becoming a paper.
    """
    lines = cur.lines
    start = lines[i].number
    labels = cur.paper_labels(i)
    while cur.labels[i] is not None:
        i += 1
    title = normalize_space(lines[i].text)
    authors, i = _read_authors(cur, i + 1)
    venue = None
    if not cur.boundary(i) and not _is_chrome(lines[i].text):
        venue = normalize_space(lines[i].text)
        i += 1
    abstract_lines, i = cur.text_until_boundary(i)
    if "abs" in labels:
        abstract_lines = _without_page_text(abstract_lines, source, result)
    if cur.last_paper(i) and (not authors or venue is None or (
            "abs" in labels and not _ends_whole(" ".join(ln.text for ln in abstract_lines)))):
        result.diagnostics.append(warning(
            source, start, f"skipped lines {start}-{lines[i - 1].number}, paper {title!r}: "
            "the copy ends inside it, so it was not imported"))
        return i
    if venue is None:
        result.diagnostics.append(warning(
            source, start, f"paper {title!r} has no venue line; expected the venue after "
            "the authors"))
    if abstract_lines and "abs" not in labels:
        # The page shows an "abs" label for every paper that has an abstract.
        result.diagnostics.append(warning(
            source, abstract_lines[0].number, f"skipped the text after the venue of paper "
            f"{title!r}: it has no 'abs' label, so this is not its abstract"))
        abstract_lines = []
    abstract = normalize_space(" ".join(line.text for line in abstract_lines))
    if not authors:
        result.diagnostics.append(warning(
            source, start, f"paper {title!r} has no authors; expected names separated by "
            "'|' lines after the title"))
    result.entries.append(Entry(
        title=title, abstract=abstract, authors=tuple(authors), authors_truncated=False,
        author_count=len(authors), date=year, date_text=year, venue=venue,
        urls=extract_urls(abstract), line=start,
    ))
    return i


def score(lines: Sequence[Line]) -> int:
    """Evidence for this format: the number of places where a paper starts."""
    cur = _Cursor(lines)
    return sum(1 for i in range(len(lines))
               if (i == 0 or cur.labels[i - 1] is None) and cur.paper_starts(i))


def parse(lines: Sequence[Line], source: str, year: int) -> ParseResult:
    """Non-blank lines of an ACL Anthology author page -> its papers, in page order.

    ``year`` is unused: every date on these pages is a full year heading.
    """
    del year
    result = ParseResult()
    restarts = copy_restarts(lines, _is_chrome)
    segment: list[Line] = []
    for line in lines:
        if line.number in restarts:  # a second copy starts: the first one ends here
            _parse_segment(segment, source, result)
            segment = []
        if _is_chrome(line.text):
            _parse_segment(segment, source, result)
            segment = []
        else:
            segment.append(line)
    _parse_segment(segment, source, result)
    return result


def _parse_segment(lines: Sequence[Line], source: str, result: ParseResult) -> None:
    """The papers between two runs of page chrome (or the ends of the text).

    Page chrome splits a paste that holds a page twice, or two pages; a year heading
    never reaches across it, and a copy cut at either end leaves only warnings there.
    """
    if not lines:
        return
    cur = _Cursor(lines)
    heading: str | None = None
    skipped: list[Line] = []
    seen_paper = False

    def flush(*, between_papers: bool) -> None:
        report_skipped(result, source, skipped, lost_entry=between_papers,
                       expected=EXPECTED_PAPER)
        skipped.clear()

    i = 0
    while i < len(lines):
        if cur.year_heading(i):
            flush(between_papers=seen_paper)
            heading = lines[i].text
            i += 1
        elif cur.paper_starts(i):
            flush(between_papers=seen_paper)
            if heading is None and not seen_paper:
                result.diagnostics.append(warning(
                    source, lines[i].number, "no year heading above this paper (the copy "
                    "may start below it): the year of the papers up to the next heading is "
                    "left out"))
            seen_paper = True
            i = _read_paper(cur, i, heading, source, result)
        else:
            skipped.append(lines[i])
            i += 1
    flush(between_papers=False)
