"""What the listing parsers share: clean lines, dates, URLs and skipped-text reports.

Everything here is a pure function of its arguments; the parsers never read files.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from generator.diagnostics import Diagnostic, error, warning
from generator.model import Entry


class Line(NamedTuple):
    """One line of the listing: its 1-based number (as an editor shows it) and stripped text."""

    number: int
    text: str


@dataclass
class ParseResult:
    """What one format parser found; ``parse_listing`` wraps it into a ``Listing``."""

    page_date: str | None = None
    entries: list[Entry] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)


# --- text clean-up ----------------------------------------------------------------------

# Invisible characters that browsers leave in copied text and that carry no meaning here:
# BOM, zero-width space, word joiner, soft hyphen, and the direction marks and isolates
# that a page puts around names and user text (dir="auto"), which copies keep.
_INVISIBLE = dict.fromkeys(map(ord, "\ufeff\u200b\u2060\u00ad\u200e\u200f\u061c"
                                    "\u202a\u202b\u202c\u202d\u202e"
                                    "\u2066\u2067\u2068\u2069"), None)
_NEEDS_CLEANING = re.compile(r"[^\x20-\x7e\n]")
_UNICODE_LINE_ENDS = dict.fromkeys(map(ord, "\u2028\u2029\x85"), "\n")


def _clean_char(ch: str) -> str:
    """Any Unicode space or line separator becomes a plain space; control characters and
    lone surrogates (undecodable bytes) vanish."""
    if ch == "\n" or ch == " ":
        return ch
    category = unicodedata.category(ch)
    if category in ("Zs", "Zl", "Zp") or ch.isspace():
        return " "
    if category in ("Cc", "Cs"):
        return ""
    return ch


def normalize_text(text: str) -> str:
    """Make pasted text uniform: no BOM, LF line ends, plain spaces, no control characters.

    Done once up front so that no parser has to care how a browser or editor saved the text.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_INVISIBLE)
    if "\n" not in text:  # lines ended only by Unicode's separators (or NEL): lines still
        text = text.translate(_UNICODE_LINE_ENDS)  # (else they are spaces, as grep sees)
    if not _NEEDS_CLEANING.search(text):  # fast path: plain printable ASCII
        return text
    return "".join(_clean_char(ch) for ch in text)


def split_lines(text: str) -> list[Line]:
    """Normalised text -> its non-blank lines, stripped, numbered as in the original file."""
    lines = normalize_text(text).split("\n")
    return [Line(n, s.strip()) for n, s in enumerate(lines, start=1) if s.strip()]


def normalize_space(text: str) -> str:
    """The gold whitespace rule: split on any whitespace, join with single spaces."""
    return " ".join(text.split())


# --- where a second copy starts ----------------------------------------------------------

def copy_restarts(lines: Sequence[Line], is_chrome: Callable[[str], bool]) -> frozenset[int]:
    """The numbers of the lines where a copy of the page ends or a second copy starts.

    A page pasted twice, or two overlapping parts of one, repeats a run of lines. The
    page text between the two copies ends the first and starts the second, but it may be
    text the parser does not know ("Load more", a cookie banner), so these places are
    found from the repeat itself: a run of lines equal to an earlier run that holds two
    lines of paper text (an abstract and a title), or one and many more lines (a title
    and its authors, one to a line); a venue, an organisation or a name alone recurs on
    one page. Then

    * the first copy ends where the earlier run stops matching while the text goes on
      (its last paper may be cut there), and
    * the second copy starts where the run begins, followed back over the lines equal to
      those before the earlier run, if what stands before the earlier run is page text
      that the second copy does not repeat, or if no paper text stands between the end of
      the first copy and the run. (Otherwise the second copy may well start earlier in
      the page than the first did, and the join is where the first copy ends.)

    A repeat is compared with the copy just before it, and not followed back past where
    that one starts: a page pasted three times has three copies. ``is_chrome`` tells the
    page chrome that the parser knows.
    """
    texts = [normalize_space(line.text) for line in lines]
    previous = _previous_occurrences(texts)
    found: set[int] = set()
    floor = 0  # where the last repeat starts: a later one is not followed back past it
    j = 0
    while j < len(texts):
        i = previous[j]
        run = 0
        while j + run < len(texts) and i + run < j and texts[i + run] == texts[j + run]:
            run += 1
        before, start = i, j
        while before > floor and start - 1 > before and texts[before - 1] == texts[start - 1]:
            before, start = before - 1, start - 1
        if i == j or not _is_repeat(texts[start:j + run]):
            j += 1
            continue
        first_end = i + run  # where the earlier run stops matching
        if first_end == j:  # it runs right up to its repeat: the second copy starts there
            found.add(lines[start].number)
        elif j + run < len(texts):  # the text goes on: the first copy ends
            found.add(lines[first_end].number)
        if before > floor and not is_chrome(texts[before - 1]):
            found.add(lines[start].number)  # the second copy starts
        elif first_end < j and not any(map(_is_text, texts[first_end:start])):
            found.add(lines[start].number)  # only page chrome (or nothing) between copies
        floor = start
        j += run
    return frozenset(found)


def _previous_occurrences(texts: Sequence[str]) -> list[int]:
    """For each line of paper text, where the same line stood last before it (for any
    other line, or a first occurrence, its own index)."""
    seen: dict[str, int] = {}
    previous = []
    for j, text in enumerate(texts):
        previous.append(seen.get(text, j))
        if _is_text(text):
            seen[text] = j
    return previous


_LONG_REPEAT = 8  # lines: a title and four authors with their "|" lines between them


def _is_repeat(lines: Sequence[str]) -> bool:
    """Whether repeated lines show a second copy: two lines of paper text, or one and
    many more lines (a venue, an organisation or a name alone recurs on one page)."""
    text_lines = sum(map(_is_text, lines))
    return text_lines >= 2 or (text_lines == 1 and len(lines) >= _LONG_REPEAT)


def _is_text(text: str) -> bool:
    """A line of paper text, or a short title: not a label, a name, a count or a date."""
    return looks_like_content(text) or (len(text) >= 20 and len(text.split()) >= 3)


_PAGE_LINKS = frozenset({"previous", "prev", "next", "«", "»", "‹", "›", "←", "→", "…", "..."})


def is_pagination(text: str) -> bool:
    """A pager copied as one line: "Previous 1 2 3 … 10 Next", "« 1 2 3 »", "1 2 3"."""
    words = text.lower().split()
    numbers = sum(word.isdigit() for word in words)
    return (len(words) >= 2 and all(w.isdigit() or w in _PAGE_LINKS for w in words)
            and (numbers >= 2 or numbers < len(words)))


# --- URLs ------------------------------------------------------------------------------

# A URL runs to whitespace or a bracket/quote character; sentence punctuation is then cut.
_URL = re.compile(r"https?://[^\s{}()\[\]<>\"`]+")
_URL_TRAILING = ".,;:!?'"


def extract_urls(text: str) -> tuple[str, ...]:
    """Every http(s) URL in ``text``, in order, duplicates kept, trailing punctuation cut."""
    urls = (m.group().rstrip(_URL_TRAILING) for m in _URL.finditer(text))
    return tuple(url for url in urls if len(url) > len("https://"))


# --- dates -----------------------------------------------------------------------------

MONTHS = {
    "jan": 1, "feb": 2, "mar": 3, "apr": 4, "may": 5, "jun": 6,
    "jul": 7, "aug": 8, "sep": 9, "sept": 9, "oct": 10, "nov": 11, "dec": 12,
    "january": 1, "february": 2, "march": 3, "april": 4, "june": 6, "july": 7,
    "august": 8, "september": 9, "october": 10, "november": 11, "december": 12,
}
# Longest names first so "March" is not read as "Mar" followed by "ch".
_MONTH_NAMES = "|".join(
    name.capitalize() for name in sorted(MONTHS, key=len, reverse=True))
# "May 15", "Sep 9, 2025", "March 5, 2024", "Sept. 9, 2025". Groups: month, day, year.
DATE_PATTERN = rf"(?P<month>{_MONTH_NAMES})\.?\s?(?P<day>\d{{1,2}})(?:,\s?(?P<year>\d{{4}}))?"
_DATE = re.compile(DATE_PATTERN)


def iso_date(month: str, day: str, year: str | int) -> str | None:
    """Month name, day and year -> "YYYY-MM-DD"; None for an impossible date like Feb 30."""
    number = MONTHS.get(month.lower().rstrip("."))
    if number is None:
        return None
    try:
        return dt.date(int(year), number, int(day)).isoformat()
    except ValueError:
        return None


def parse_date(text: str, year: int) -> str | None:
    """ "May 15" -> f"{year}-05-15"; "Sep 9, 2025" -> "2025-09-09"; None if not a date."""
    m = _DATE.fullmatch(text.strip())
    if m is None:
        return None
    return iso_date(m["month"], m["day"], m["year"] or year)


# --- reporting text that is not part of any entry -------------------------------------

def looks_like_content(text: str) -> bool:
    """A line long enough to be a title or an abstract, rather than a button or a menu item."""
    return len(text) >= 60 or len(text.split()) >= 8


_CLOSERS = "\"')]”’"


def reads_as_prose(text: str) -> bool:
    """Whether a line can be an abstract where nothing marks it by position: text (long,
    or a sentence of a few words, "We study X."), not a button or a menu item ("Load
    more", "Home", "12 / 50"), which is short and no sentence. A very short abstract is
    still an abstract."""
    if looks_like_content(text):
        return True
    sentence = text.rstrip(_CLOSERS)
    return (len(text.split()) >= 2 and sentence.endswith(".")
            and not sentence.endswith(".."))


def quote(text: str, limit: int = 50) -> str:
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def _span(lines: Sequence[Line]) -> str:
    first, last = lines[0].number, lines[-1].number
    return f"line {first}" if first == last else f"lines {first}-{last}"


def report_skipped(result: ParseResult, source: str, lines: Sequence[Line], *,
                   lost_entry: bool, expected: str) -> None:
    """Report a run of lines that fit no entry (nothing for an empty run).

    An error when the run sits between entries and reads like paper text (a paper was
    probably lost); a warning for page chrome such as menus, headers and footers.
    """
    if not lines:
        return
    message = f"skipped {_span(lines)}, starting {quote(lines[0].text)}; expected {expected}"
    severity = error if lost_entry and any(looks_like_content(line.text) for line in lines) \
        else warning
    result.diagnostics.append(severity(source, lines[0].number, message))


def report_cut(result: ParseResult, source: str, lines: Sequence[Line], *, where: str,
               noun: str, expected: str,
               is_content: Callable[[str], bool] = looks_like_content) -> None:
    """Report the lines of an entry that the copy cut at a segment's end (``where``: it
    "starts" or "ends" inside the entry): a warning, never a paper. Lines with no text of
    the entry (``is_content``: menus and such) get the usual skipped-lines message."""
    if not lines:
        return
    if not any(is_content(line.text) for line in lines):
        report_skipped(result, source, lines, lost_entry=False, expected=expected)
        return
    article = "an" if noun[0] in "aeiou" else "a"
    result.diagnostics.append(warning(
        source, lines[0].number, f"skipped {_span(lines)}, starting {quote(lines[0].text)}: "
        f"the copy {where} inside {article} {noun}, so that {noun} was not imported"))
