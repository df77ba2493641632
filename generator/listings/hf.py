"""Hugging Face Daily Papers pages, as copied from a browser.

Structure: header chrome ("Daily Papers", "Subscribe" …) and the page date, then per paper
a title line, an abstract line and an optional footer: "• N authors" or an organisation
line "<org-id> <Display Name>", then "·", then "Mon D[, YYYY][ upvotes]". Papers without a
footer are followed directly by the next title.

The footers anchor the parse: the two text lines before a footer are that paper's title and
abstract. Text between footers holds footer-less papers (a short title line followed by a
long abstract line) or page chrome, which is skipped and reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import Enum

from generator.diagnostics import Diagnostic, warning
from generator.listings.common import (
    DATE_PATTERN,
    Line,
    ParseResult,
    extract_urls,
    iso_date,
    normalize_space,
    skipped_lines,
)
from generator.model import Entry

FORMAT = "hf-daily-papers"

# Page chrome around the papers; dropped without comment wherever it appears.
_CHROME = frozenset({
    "new", "get trending papers in your email inbox!", "subscribe", "daily papers",
    "byak and the research community",
})
_SUBMITTED_BY = re.compile(r"submitted by\b.*", re.IGNORECASE)

DOT = "·"  # U+00B7, the separator line between the author/organisation line and the date
_AUTHORS = re.compile(r"(?:[•·]\s*)?(?P<count>\d+)\s+authors?", re.IGNORECASE)
_DATE = re.compile(rf"(?:Published on\s+)?(?P<date>{DATE_PATTERN})(?:\s+(?P<upvotes>\d+))?")
_COUNT = re.compile(r"\d+")

EXPECTED_PAPER = "a paper: a title line, an abstract line, then '• N authors', '·' and a date"


class Kind(Enum):
    TEXT = "text"
    AUTHORS = "authors"
    DOT = "dot"
    DATE = "date"


@dataclass(frozen=True)
class Item:
    """One non-chrome line, classified by its shape."""

    kind: Kind
    line: Line
    match: re.Match[str] | None = None

    @property
    def text(self) -> str:
        return self.line.text


@dataclass(frozen=True)
class Footer:
    """What a paper's footer shows; every part is optional."""

    line: int
    author_count: int | None = None
    organization: str | None = None
    date: str | None = None
    date_text: str | None = None
    upvotes: int | None = None


def _classify(lines: Sequence[Line]) -> list[Item]:
    """Lines -> items, dropping known page chrome and "Submitted by <user>" bylines."""
    items: list[Item] = []
    skip_next_word = False
    for line in lines:
        text = line.text
        if skip_next_word and len(text.split()) == 1:
            skip_next_word = False
            continue
        skip_next_word = False
        if text.lower() in _CHROME:
            continue
        if _SUBMITTED_BY.fullmatch(text):
            skip_next_word = text.lower() == "submitted by"  # the user name is on the next line
            continue
        if text == DOT:
            items.append(Item(Kind.DOT, line))
        elif m := _AUTHORS.fullmatch(text):
            items.append(Item(Kind.AUTHORS, line, m))
        elif m := _DATE.fullmatch(text):
            items.append(Item(Kind.DATE, line, m))
        else:
            items.append(Item(Kind.TEXT, line))
    return items


def looks_like_abstract(text: str) -> bool:
    """Abstracts are long prose; titles, names and menu items are short."""
    return len(text) >= 200 or (len(text) >= 60 and text.endswith((".", "!")))


def looks_like_title(text: str) -> bool:
    return len(text) <= 300


def looks_like_organization(text: str) -> bool:
    """ "<org-id> <Display Name>": a few words, not a sentence."""
    return len(text) <= 100 and len(text.split()) <= 10 and not looks_like_abstract(text)


def organization_name(text: str) -> str:
    """ "tencent Tencent" -> "Tencent", "google Google DeepMind" -> "Google DeepMind".

    The line shows the organisation's id (a slug, never containing spaces) and then its
    display name; a line of one word is taken as the name itself.
    """
    org_id, _, display = text.partition(" ")
    return display.strip() or org_id


def _date_parts(item: Item, year: int) -> tuple[str | None, str, int | None]:
    """A DATE item -> (ISO date or None if impossible, date text as shown, upvotes)."""
    assert item.match is not None
    m = item.match
    date_text = normalize_space(m["date"])
    upvotes = int(m["upvotes"]) if m["upvotes"] else None
    return iso_date(m["month"], m["day"], m["year"] or year), date_text, upvotes


def _page_date(items: list[Item], year: int) -> tuple[str | None, int]:
    """The page date in the header, and the index of the first item after it.

    It is the first date that no footer ("·", "• N authors") and no abstract precedes; the
    text before it is header chrome.
    """
    for i, item in enumerate(items):
        if item.kind in (Kind.DOT, Kind.AUTHORS):
            break
        if item.kind is Kind.DATE:
            if i and looks_like_abstract(items[i - 1].text):
                break
            return _date_parts(item, year)[0], i + 1
    return None, 0


def _read_footer(items: list[Item], i: int, year: int,
                 diagnostics: list[Diagnostic], source: str) -> tuple[Footer, int]:
    """The footer starting at item i: [• N authors] [·] [date [upvotes]]."""
    start = items[i].line.number
    count = None
    if (m := items[i].match) is not None and items[i].kind is Kind.AUTHORS:
        count = int(m["count"])
        i += 1
    if i < len(items) and items[i].kind is Kind.DOT:
        i += 1
    date = date_text = upvotes = None
    if i < len(items) and items[i].kind is Kind.DATE:
        date, date_text, upvotes = _date_parts(items[i], year)
        if date is None:
            diagnostics.append(warning(source, items[i].line.number,
                                       f"{date_text!r} is not a valid date; left empty"))
        i += 1
        if upvotes is None and i < len(items) and _COUNT.fullmatch(items[i].text):
            upvotes = int(items[i].text)  # upvote count copied onto its own line
            i += 1
    else:
        diagnostics.append(warning(source, start, "paper footer has no date; expected a "
                                   "line like 'May 15' or 'Sep 9, 2025 3' after '·'"))
    return Footer(start, count, None, date, date_text, upvotes), i


def _entry(title: Item, abstract: Item | None, footer: Footer | None) -> Entry:
    abstract_text = normalize_space(abstract.text) if abstract else ""
    footer = footer or Footer(0)
    return Entry(
        title=normalize_space(title.text), abstract=abstract_text, authors=(),
        authors_truncated=True, author_count=footer.author_count,
        organizations=(footer.organization,) if footer.organization else (),
        date=footer.date, date_text=footer.date_text, upvotes=footer.upvotes,
        urls=extract_urls(abstract_text), line=title.line.number,
    )


class _Builder:
    """Turns the runs of text lines between footers into entries and diagnostics."""

    def __init__(self, source: str, result: ParseResult):
        self.source = source
        self.result = result

    def footerless(self, gap: list[Item], *, more_follow: bool) -> None:
        """Pair up title and abstract lines; report what does not pair up."""
        skipped: list[Line] = []
        j = 0
        while j < len(gap):
            if (j + 1 < len(gap) and looks_like_title(gap[j].text)
                    and looks_like_abstract(gap[j + 1].text)):
                self.skip(skipped, lost_entry=bool(self.result.entries))
                self.result.entries.append(_entry(gap[j], gap[j + 1], None))
                j += 2
            else:
                skipped.append(gap[j].line)
                j += 1
        self.skip(skipped, lost_entry=bool(self.result.entries) and more_follow)

    def skip(self, skipped: list[Line], *, lost_entry: bool) -> None:
        diagnostic = skipped_lines(self.source, skipped, lost_entry=lost_entry,
                                   expected=EXPECTED_PAPER)
        if diagnostic:
            self.result.diagnostics.append(diagnostic)
        skipped.clear()

    def footed(self, gap: list[Item], footer: Footer) -> None:
        """The last two lines before a footer are its paper; earlier ones are footer-less."""
        if not gap:
            self.result.diagnostics.append(warning(
                self.source, footer.line, f"footer ('·', date) with no title or abstract "
                f"before it; expected {EXPECTED_PAPER}"))
            return
        if len(gap) == 1:
            title, abstract = gap[0], None
            self.result.diagnostics.append(warning(
                self.source, title.line.number,
                f"paper {title.text!r} has no abstract; expected an abstract line after the "
                "title"))
        else:
            title, abstract = gap[-2], gap[-1]
        self.footerless(gap[:-2], more_follow=True)
        self.result.entries.append(_entry(title, abstract, footer))


def score(lines: Sequence[Line]) -> int:
    """Evidence for this format: footer lines ("·", "• N authors") and header chrome."""
    return sum(1 for line in lines
               if line.text == DOT or _AUTHORS.fullmatch(line.text)
               or line.text.lower() in _CHROME - {"new", "subscribe"})


def parse(lines: Sequence[Line], source: str, year: int) -> ParseResult:
    """Non-blank lines of a Daily Papers page -> its page date and papers, in page order."""
    result = ParseResult()
    items = _classify(lines)
    result.page_date, i = _page_date(items, year)
    if i:
        result.diagnostics.extend(filter(None, [skipped_lines(
            source, [it.line for it in items[: i - 1]], lost_entry=False,
            expected="the page header")]))
    build = _Builder(source, result)
    gap: list[Item] = []
    while i < len(items):
        item = items[i]
        if item.kind is Kind.TEXT:
            gap.append(item)
            i += 1
            continue
        organization = None
        if (len(gap) >= 3 and looks_like_organization(gap[-1].text)
                and looks_like_abstract(gap[-2].text)):
            organization = organization_name(gap.pop().text)
        footer, i = _read_footer(items, i, year, result.diagnostics, source)
        build.footed(gap, replace(footer, organization=organization))
        gap = []
    build.footerless(gap, more_follow=False)
    return result
