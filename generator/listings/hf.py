"""Hugging Face Daily Papers pages, as copied from a browser.

A card, in page order (blank lines vary by browser and are ignored)::

    12                        upvotes: a number, or "-" for none (today's layout only)
    Title
    Abstract, one long line
    • 4 authors               or an organisation line: "Carnegie Mellon University",
    ·                         "nvidia NVIDIA" (id, then display name) when the avatar's
    Oct 22, 2025 3            text is copied too; then "·", then the date [comments]

The footer ("• N authors"/organisation, "·", date) is optional: a card without one is
followed directly by the next card. The samples kept in tests/fixtures show the older
layout, which has no upvote line.

How the text is read, and why:

* Page chrome ("Daily", "Weekly", "Get trending papers…", navigation, a pager), a date
  standing alone (the page's date in its header, not after a "·") and the places where a
  repeated copy of the text ends and starts (``common.copy_restarts``) split the text
  into *segments*.
  A paste may hold a page twice, or two pages, and a copy may start or end anywhere, so a
  card never spans a segment boundary, and the two ends of a segment are where a copy may
  have been cut.
* Footers anchor the cards: the lines before a footer are its card's title and abstract.
  In today's layout the upvote line starts every card, which tells exactly where each
  card begins; in the older layout titles and abstracts are paired by their shape.
* An incomplete card at either end of a segment is a fragment of a cut copy: it is
  skipped with a warning naming its line and never becomes a paper. Text inside a segment
  that fits no card is an error when it reads like paper text (a paper was lost).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import Enum

from generator.diagnostics import warning
from generator.listings.common import (
    DATE_PATTERN,
    Line,
    ParseResult,
    copy_restarts,
    extract_urls,
    is_pagination,
    iso_date,
    normalize_space,
    reads_as_prose,
    report_cut,
    report_skipped,
)
from generator.model import Entry

FORMAT = "hf-daily-papers"

# The papers page's own header: evidence for this format (see ``score``).
_HEADER = frozenset({
    "daily papers", "byak and the research community", "get trending papers in your email "
    "inbox", "get trending papers in your email inbox once a day",
})
# Page chrome, compared lower-cased without end punctuation: the papers page's header and
# tabs, the site's navigation and footer. Dropped silently; each one is a segment boundary.
# ("Hugging Face" is left out: it is also an organisation's display name in card footers.)
_CHROME = _HEADER | frozenset({
    "new", "subscribe", "daily", "weekly", "monthly", "previous", "next", "trending papers",
    "models", "datasets", "spaces", "community", "docs", "enterprise", "pricing", "log in",
    "sign up", "search any paper with ai", "system theme", "company", "tos", "privacy",
    "about", "careers", "website", "papers", "submit paper", "submit",
})
_SUBMITTED_BY = re.compile(r"submitted by\b.*", re.IGNORECASE)

DOT = "·"  # U+00B7, the separator line between the author/organisation line and the date
# Glyphs a copy shows for that separator: "·", or "•" (a bullet) in some browsers' copies.
SEPARATORS = (DOT, "•")
# (counts of at most nine digits: a longer one is no count, and int() refuses 4,300 digits)
_AUTHORS = re.compile(r"(?:[•·]\s*)?(?P<count>\d{1,9})\s+authors?", re.IGNORECASE)
# "May 6", "Sep 9, 2025 3" (3 comments), "Published on May 6", "Published May 6, 2025"
_DATE = re.compile(rf"(?:(?:Published|Submitted)(?:\s+on)?:?\s+)?(?P<date>{DATE_PATTERN})"
                   rf"(?:\s+(?P<comments>\d{{1,9}}))?")
# "12", "1.2k" (the page shortens thousands), or "-" for none
_VOTE = re.compile(r"(?P<count>\d{1,7}|\d{1,4}(?:\.\d)?k)|[-–—]", re.IGNORECASE)


def _count(text: str) -> int:
    """ "12" -> 12; "1.2k" -> 1200."""
    if text[-1] in "kK":
        whole, _, tenths = text[:-1].partition(".")
        return int(whole) * 1000 + int(tenths or 0) * 100
    return int(text)


EXPECTED_PAPER = ("a paper: [upvotes], a title line, an abstract line, then '• N authors' "
                  "or an organisation, '·' and a date")


def _chrome_key(text: str) -> str:
    return normalize_space(text).lower().rstrip("!.:")


def _is_chrome(text: str) -> bool:
    return _chrome_key(text) in _CHROME or is_pagination(text)


class Kind(Enum):
    TEXT = "text"
    AUTHORS = "authors"
    DOT = "dot"
    DATE = "date"
    VOTE = "vote"
    CHROME = "chrome"
    BYLINE = "byline"  # "Submitted by <user>": dropped where it stands, even inside a card


@dataclass(frozen=True)
class Item:
    """One line, classified by its shape."""

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
    comments: int | None = None
    has_date: bool = False


def _footer_parts(line: Line) -> list[Line]:
    """A footer copied as one line -> its parts, each numbered as the line they share.

    A browser that copies the footer's inline parts with tabs or spaces between them, not
    line breaks, gives "• 4 authors · Oct 22, 2025 3" (or "nvidia NVIDIA · May 15"): the
    part after the last separator is a date, the part before it authors or an
    organisation. Any other line is returned as it is.
    """
    for separator in SEPARATORS:
        head, found, tail = line.text.rpartition(separator)
        head, tail = head.strip(), tail.strip()
        if found and _DATE.fullmatch(tail) and (not head or looks_like_organization(head)):
            date = [Line(line.number, DOT), Line(line.number, tail)]
            return [Line(line.number, head), *date] if head else date
    return [line]


def _classify(lines: Sequence[Line]) -> list[Item]:
    """Lines -> items, each classified by its shape alone."""
    items: list[Item] = []
    byline_name_next = False
    parts = [part for line in lines for part in _footer_parts(line)]
    for n, line in enumerate(parts):
        text = line.text
        if byline_name_next and len(text.split()) == 1:
            byline_name_next = False
            items.append(Item(Kind.BYLINE, line))
            continue
        byline_name_next = False
        if _is_chrome(text):
            items.append(Item(Kind.CHROME, line))
        elif _SUBMITTED_BY.fullmatch(text):
            byline_name_next = text.lower() == "submitted by"  # the user name follows
            items.append(Item(Kind.BYLINE, line))
        elif text in SEPARATORS:
            # "•" then "4 authors" on the next line is the count's own bullet, copied on
            # a line of its own; any other lone "•" or "·" separates the footer's parts.
            if not (text == "•" and n + 1 < len(parts)
                    and _AUTHORS.fullmatch(parts[n + 1].text)):
                items.append(Item(Kind.DOT, line))
        elif m := _AUTHORS.fullmatch(text):
            items.append(Item(Kind.AUTHORS, line, m))
        elif m := _DATE.fullmatch(text):
            items.append(Item(Kind.DATE, line, m))
        elif m := _VOTE.fullmatch(text):
            items.append(Item(Kind.VOTE, line, m))
        else:
            items.append(Item(Kind.TEXT, line))
    return items


def looks_like_abstract(text: str) -> bool:
    """Abstracts are long prose; titles, names and menu items are short."""
    return len(text) >= 200 or (len(text) >= 60 and text.endswith((".", "!")))


def looks_like_title(text: str) -> bool:
    return len(text) <= 300 and not looks_like_abstract(text)


def looks_like_organization(text: str) -> bool:
    """An organisation's name, maybe after its id: a few words, not a sentence."""
    return len(text) <= 100 and len(text.split()) <= 10 and not looks_like_abstract(text)


_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_LOWER_SLUG = re.compile(r"[a-z0-9]+(?:[-_.][a-z0-9]+)+")  # "allen-ai", "meta-llama"
_FUNCTION_WORDS = frozenset({"of", "for", "and", "the", "at", "in", "de", "&"})


def _squash(text: str) -> str:
    return "".join(ch for ch in text.casefold() if ch.isalnum())


def is_organization_id(first: str, rest: str) -> bool:
    """Whether ``first`` is the organisation's id shown before its display name ``rest``.

    Ids are slugs; the avatar's text is the id, and it echoes the name: "nvidia NVIDIA",
    "google Google DeepMind", "deepseek-ai DeepSeek", "cmu Carnegie Mellon University".
    A display name's own first word ("Carnegie Mellon University") echoes nothing.
    """
    if not rest or not _SLUG.fullmatch(first):
        return False
    if _LOWER_SLUG.fullmatch(first):
        return True  # a lower-case slug with a separator: never how a name starts
    ident, name = _squash(first), _squash(rest)
    words = [_squash(w) for w in rest.split()]
    words = [w for w in words if w]
    if len(ident) < 2 or not name or not words:
        return False
    if ident == name or name.startswith(ident) or ident.startswith(name):
        return True
    if len(words[0]) >= 3 and ident.startswith(words[0]):
        return True  # "huggingfacetb Hugging Face Smol Models"
    initials = "".join(w[0] for w in words)
    capital_initials = "".join(w[0] for w in rest.split()
                               if w[:1].isupper() and w.lower() not in _FUNCTION_WORDS)
    return len(ident) >= 2 and ident in (initials, _squash(capital_initials))


def organization_name(text: str) -> str:
    """The display name on an organisation line, without a leading id when there is one.

    "Carnegie Mellon University" stays whole; "nvidia NVIDIA" -> "NVIDIA".
    """
    text = normalize_space(text)
    first, _, rest = text.partition(" ")
    return rest if is_organization_id(first, rest) else text


def _date_parts(item: Item, year: int) -> tuple[str | None, str, int | None]:
    """A DATE item -> (ISO date or None if impossible, date text as shown, comments)."""
    assert item.match is not None
    m = item.match
    date_text = normalize_space(m["date"])
    comments = int(m["comments"]) if m["comments"] else None
    return iso_date(m["month"], m["day"], m["year"] or year), date_text, comments


# --- segments ---------------------------------------------------------------------------

def _segments(items: list[Item], year: int, restarts: frozenset[int]
              ) -> tuple[str | None, list[list[Item]]]:
    """Split at chrome, at dates that stand alone and where a second copy of the text
    starts (``restarts``, line numbers) into the runs of items between two boundaries (or
    the ends of the text); the first header date is the page's.

    A footer's date follows its "·" (or "• N authors" when a browser drops the "·"); any
    other date line is a page header's date, or the end of a footer that a copy cut.
    """
    page_date: str | None = None
    segments: list[list[Item]] = [[]]
    items = [item for item in items if item.kind is not Kind.BYLINE]
    for i, item in enumerate(items):
        before = items[i - 1].kind if i else None
        if (item.line.number in restarts and segments[-1]
                and segments[-1][-1].line.number != item.line.number):
            segments.append([])
        if item.kind is Kind.DATE and before not in (Kind.DOT, Kind.AUTHORS):
            assert item.match is not None
            if page_date is None and not item.match["comments"] and before in (
                    None, Kind.CHROME):
                page_date = _date_parts(item, year)[0]
            segments.append([])
        elif item.kind is Kind.CHROME:
            if segments[-1]:
                segments.append([])
        else:
            segments[-1].append(item)
    return page_date, [s for s in segments if s]


# --- reading one segment ------------------------------------------------------------------

@dataclass
class _Chunk:
    """The lines before one footer (or after the last one), and that footer."""

    body: list[Item]
    footer: Footer | None
    footer_items: list[Item]
    cut: list[Item] = field(default_factory=list)  # a footer that the end of a copy cut


def _read_footer(items: list[Item], i: int, year: int) -> tuple[Footer, int]:
    """The footer starting at item i: [• N authors] [·] [date [comments]]."""
    start = items[i].line.number
    count = None
    if items[i].kind is Kind.AUTHORS and (m := items[i].match) is not None:
        count = int(m["count"])
        i += 1
    if i < len(items) and items[i].kind is Kind.DOT:
        i += 1
    if i < len(items) and items[i].kind is Kind.DATE:
        date, date_text, comments = _date_parts(items[i], year)
        i += 1
        # A comment count on a line of its own shows as two numbers in a row: the comments,
        # then the next card's upvotes. A single number is the next card's upvote line.
        if (comments is None and i + 1 < len(items) and items[i].kind is Kind.VOTE
                and items[i + 1].kind is Kind.VOTE and (m := items[i].match) is not None
                and m["count"]):
            comments = _count(m["count"])
            i += 1
        return Footer(start, count, None, date, date_text, comments, True), i
    return Footer(start, count), i


def _chunks(items: list[Item], year: int) -> list[_Chunk]:
    chunks: list[_Chunk] = []
    body: list[Item] = []
    i = 0
    while i < len(items):
        item = items[i]
        if item.kind in (Kind.AUTHORS, Kind.DOT):
            footer, j = _read_footer(items, i, year)
            chunks.append(_Chunk(body, footer, items[i:j]))
            body = []
            i = j
        else:
            body.append(item)
            i += 1
    if body:
        chunks.append(_Chunk(body, None, []))
    return chunks


@dataclass(frozen=True)
class _Card:
    """A card's lines: title, abstract (None if missing) and organisation line."""

    title: Item
    abstract: Item | None
    organization: str | None


def _footed_card(texts: list[Item], *, lone_title: bool) -> tuple[list[Item], _Card] | None:
    """The card at the end of ``texts`` (the lines just before a footer), and what precedes.

    The last lines are "title, abstract" or "title, abstract, organisation". A lone title
    line is accepted only where no copy can have been cut (``lone_title``). Nothing marks
    the card's lines by position, so an abstract must read as text: two short lines are
    page chrome, a button and a menu item.
    """
    if (len(texts) >= 3 and looks_like_organization(texts[-1].text)
            and reads_as_prose(texts[-2].text) and looks_like_title(texts[-3].text)):
        return texts[:-3], _Card(texts[-3], texts[-2], organization_name(texts[-1].text))
    if (len(texts) >= 2 and looks_like_title(texts[-2].text)
            and reads_as_prose(texts[-1].text)):
        return texts[:-2], _Card(texts[-2], texts[-1], None)
    if len(texts) == 1 and lone_title and looks_like_title(texts[0].text):
        return [], _Card(texts[0], None, None)
    return None


def _card_by_position(texts: list[Item]) -> _Card | None:
    """The card whose lines follow its upvote line, up to its footer: title, abstract
    and maybe an organisation, whatever their length; None for any other number of lines.
    """
    if (len(texts) == 3 and looks_like_organization(texts[2].text)
            and looks_like_title(texts[0].text)):
        return _Card(texts[0], texts[1], organization_name(texts[2].text))
    if len(texts) == 2 and looks_like_title(texts[0].text):
        return _Card(texts[0], texts[1], None)
    if len(texts) == 1 and looks_like_title(texts[0].text):
        return _Card(texts[0], None, None)
    return None


def _is_pair(texts: Sequence[Item]) -> bool:
    return (len(texts) == 2 and looks_like_title(texts[0].text)
            and reads_as_prose(texts[1].text))


def _layout_evidence(items: Sequence[Item]) -> tuple[int, int]:
    """(upvote lines just above a title line, footers): the evidence for today's layout."""
    led = sum(1 for a, b in zip(items, items[1:], strict=False)
              if a.kind is Kind.VOTE and b.kind is Kind.TEXT)
    footers = sum(1 for a, b in zip(items, items[1:], strict=False)
                  if a.kind is Kind.DOT and b.kind is Kind.DATE)
    return led, footers


def _is_today(led: int, footers: int) -> bool:
    """Today's layout puts an upvote line above every card; a stray number is no sign."""
    return led >= 1 and 2 * led >= footers


class _Reader:
    """Turns the chunks of one segment into entries and diagnostics."""

    def __init__(self, source: str, year: int, result: ParseResult):
        self.source = source
        self.year = year
        self.result = result

    # -- reporting

    def fragment(self, items: Sequence[Item], where: str) -> None:
        """Lines at a segment's end from a card that the copy cut: a warning, no paper."""
        report_cut(self.result, self.source, [it.line for it in items], where=where,
                   noun="paper", expected=EXPECTED_PAPER)

    def skipped(self, items: Sequence[Item], *, lost_entry: bool) -> None:
        report_skipped(self.result, self.source, [it.line for it in items],
                       lost_entry=lost_entry, expected=EXPECTED_PAPER)

    # -- entries

    def add(self, card: _Card, footer: Footer | None, upvotes: int | None) -> None:
        abstract = normalize_space(card.abstract.text) if card.abstract else ""
        footer = footer or Footer(0)
        title = card.title
        if card.abstract is None:
            self.result.diagnostics.append(warning(
                self.source, title.line.number, f"paper {title.text!r} has no abstract; "
                "expected an abstract line after the title"))
        if footer.date_text is not None and footer.date is None:
            self.result.diagnostics.append(warning(
                self.source, footer.line, f"{footer.date_text!r} is not a valid date; "
                "left empty"))
        elif footer.line and not footer.has_date:
            self.result.diagnostics.append(warning(
                self.source, footer.line, "paper footer has no date; expected a line like "
                "'May 15' or 'Sep 9, 2025 3' after '·'"))
        self.result.entries.append(Entry(
            title=normalize_space(title.text), abstract=abstract, authors=(),
            authors_truncated=True, author_count=footer.author_count,
            organizations=(card.organization,) if card.organization else (),
            date=footer.date, date_text=footer.date_text, upvotes=upvotes,
            comments=footer.comments, urls=extract_urls(abstract), line=title.line.number,
        ))

    def orphan_footer(self, footer: Footer) -> None:
        self.result.diagnostics.append(warning(
            self.source, footer.line, f"footer ('·', date) with no title or abstract before "
            f"it; expected {EXPECTED_PAPER}"))

    def segment(self, items: list[Item], file_today: bool) -> None:
        chunks = _chunks(items, self.year)
        led, footers = _layout_evidence(items)
        # A segment of two or more cards shows its own layout; a smaller piece (one card
        # whose upvote line the copy cut off) is read in the layout of the whole paste.
        today = _is_today(led, footers) if led or footers >= 2 else file_today
        for n, chunk in enumerate(chunks):
            first, last = n == 0, n == len(chunks) - 1
            if chunk.footer is not None and last and not chunk.footer.has_date:
                # The copy ends inside a footer: its card is a fragment, the cards before
                # it may be whole.
                chunk = _Chunk(chunk.body, None, [], chunk.footer_items)
            if today:
                self.today_chunk(chunk, first=first, last=last)
            else:
                self.older_chunk(chunk, first=first, last=last)

    def today_chunk(self, chunk: _Chunk, *, first: bool, last: bool) -> None:
        """Each card starts at its upvote line: split there, then read each card."""
        lead: list[Item] = []
        cards: list[tuple[Item, list[Item]]] = []
        for item in chunk.body:
            if item.kind is Kind.VOTE:
                cards.append((item, []))
            elif cards:
                cards[-1][1].append(item)
            else:
                lead.append(item)
        if first:
            self.fragment(lead + ([] if cards else chunk.footer_items + chunk.cut), "starts")
        elif chunk.cut and not cards:
            self.fragment(lead + chunk.cut, "ends")
        else:
            self.skipped(lead, lost_entry=True)
            if not cards and chunk.footer is not None:
                self.orphan_footer(chunk.footer)
        for k, (vote, texts) in enumerate(cards):
            assert vote.match is not None
            upvotes = _count(vote.match["count"]) if vote.match["count"] else None
            is_last = k == len(cards) - 1
            if is_last and chunk.footer is not None:
                card = _card_by_position(texts)
                if card is None:
                    # More lines than a card has: a cut copy joined the upvote line's
                    # card, cut short, to the end of another whose start it cut.
                    if len(texts) >= 3:
                        self.fragment([vote, *texts], "ends")
                    else:
                        self.skipped([vote, *texts], lost_entry=True)
                    self.orphan_footer(chunk.footer)
                    continue
                self.add(card, chunk.footer, upvotes)
            elif is_last and last:
                self.fragment([vote, *texts, *chunk.cut], "ends")  # the copy cut it off
            elif len(texts) == 2 and looks_like_title(texts[0].text):
                self.add(_Card(texts[0], texts[1], None), None, upvotes)  # no footer
            else:
                self.skipped([vote, *texts], lost_entry=True)

    def older_chunk(self, chunk: _Chunk, *, first: bool, last: bool) -> None:
        """No upvote lines: title and abstract lines are paired by their shape."""
        self.skipped([it for it in chunk.body if it.kind is not Kind.TEXT], lost_entry=False)
        texts = [it for it in chunk.body if it.kind is Kind.TEXT]
        footed: _Card | None = None
        if chunk.footer is not None:
            found = _footed_card(texts, lone_title=not first)
            if found is None:
                if first:
                    self.fragment(texts + chunk.footer_items, "starts")
                else:
                    self.skipped(texts, lost_entry=True)
                    self.orphan_footer(chunk.footer)
                return
            texts, footed = found
        # Footer-less cards: title/abstract pairs from the left. Unpaired lines before the
        # first card of the segment are the rest of a cut card; later ones lost a paper.
        # Where the segment ends with no footer, a pair is whole only if a next card (title
        # and abstract) follows it: a lone line after it may be its organisation line, cut
        # off from the rest of its footer.
        tail = footed is None and last
        seen_card = not first
        skipped: list[Item] = []
        j = 0
        while j < len(texts):
            if _is_pair(texts[j:j + 2]):
                if tail and not _is_pair(texts[j + 2:j + 4]):
                    break  # the segment's last card shows no footer: it may have been cut
                self.flush(skipped, seen_card)
                self.add(_Card(texts[j], texts[j + 1], None), None, None)
                seen_card = True
                j += 2
            else:
                skipped.append(texts[j])
                j += 1
        if j < len(texts):
            self.flush(skipped, seen_card)
            self.fragment(texts[j:] + chunk.cut, "ends")
        elif tail and (skipped or chunk.cut):
            self.fragment(skipped + chunk.cut, "ends" if seen_card else "starts")
            skipped.clear()
        self.flush(skipped, seen_card)
        if footed is not None:
            self.add(footed, chunk.footer, None)

    def flush(self, skipped: list[Item], seen_card: bool) -> None:
        if seen_card:
            self.skipped(skipped, lost_entry=True)
        else:
            self.fragment(skipped, "starts")
        skipped.clear()


def score(lines: Sequence[Line]) -> int:
    """Evidence for this format: footer lines ("·", "• N authors") and header chrome."""
    parts = [part for line in lines for part in _footer_parts(line)]
    return sum(1 for part in parts
               if part.text == DOT or _AUTHORS.fullmatch(part.text)
               or _chrome_key(part.text) in _HEADER)


def parse(lines: Sequence[Line], source: str, year: int) -> ParseResult:
    """Non-blank lines of a Daily Papers page -> its page date and papers, in page order."""
    result = ParseResult()
    page_date, segments = _segments(_classify(lines), year,
                                    copy_restarts(lines, _is_chrome))
    result.page_date = page_date
    reader = _Reader(source, year, result)
    evidence = [_layout_evidence(segment) for segment in segments]
    file_today = _is_today(sum(led for led, _ in evidence), sum(f for _, f in evidence))
    for segment in segments:
        reader.segment(segment, file_today)
    result.diagnostics.sort(key=lambda d: d.line or 0)
    return result


