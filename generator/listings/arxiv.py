"""arXiv pages: a category's new or recent submissions, an author's papers, search results,
a paper's own page. In a list each paper starts at its identifier line; the labelled lines
after it say what the rest are:

    [1] arXiv:2412.04261 [pdf, html, other]       a list page (/list/cs.CL/new, /recent)
    Aya Expanse: Combining Research Breakthroughs  the title ("Title: …" in some copies)
    John Dang, Shivalika Singh, Daniel D'souza     the authors ("Authors: …" in some)
    Comments: 20 pages                              optional labelled lines
    Subjects: Computation and Language (cs.CL); Machine Learning (cs.LG)
    We introduce the Aya Expanse model family …    the abstract (on /new pages only)

    arXiv:2412.01234  [pdf, other]                  a search result
    cs.CL cs.AI                                     its categories
    Title of the paper
    Authors: A. One, B. Two
    Abstract: We study … ▽ More
    Submitted 3 December, 2024; originally announced December 2024.

A paper's own page (arxiv.org/abs/…) shows its labels (``Title:``, ``Authors:``,
``Abstract:``) and its identifier last, on its "Cite as: arXiv:…" line.

A list page's date is the day its heading names ("Showing new listings for Friday, 6
December 2024", "Fri, 6 Dec 2024 (showing 50 of 152 entries )"); a replaced paper and a
paper with no heading above it are dated by the year of their identifier. The identifier
tells papers apart: a paper listed twice (a page pasted twice, a paper cross-listed in
two pages pasted together) is imported once, as its fuller copy shows it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from generator.diagnostics import warning
from generator.listings.common import (
    Line,
    ParseResult,
    copy_restarts,
    extract_urls,
    iso_date,
    looks_like_content,
    normalize_space,
    reads_as_prose,
    report_cut,
    report_skipped,
)
from generator.model import Entry

FORMAT = "arxiv-listing"

_ID = r"(?P<id>\d{4}\.\d{4,5}|[a-z][a-z-]*(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?"
# "[1] arXiv:2412.04261 [pdf, html, other]", "arXiv:2306.01234 (replaced) [pdf]",
# "[7] arXiv:2412.0001 (cross-list from cs.LG) [pdf, other]", "1. arXiv:2412.01234 [pdf]";
# a search result's categories (and DOI) may follow on its line: "… [pdf, other] cs.CL cs.AI"
_CATEGORY_WORD = r"[a-z]+(?:-[a-z]+(?:\.[A-Za-z-]+)?|\.[A-Za-z-]+)"  # cs.CL, cond-mat.soft
ITEM = re.compile(
    rf"(?:\[\d+\]\s*|\d+\.\s*)?arXiv:\s?{_ID}"
    r"(?:\s*\((?P<how>replaced|cross-list from [\w.-]+)\))?(?:\s*\[[a-z, ]*\])?"
    rf"(?P<categories>(?:\s+{_CATEGORY_WORD})*)(?:\s+doi\s+(?P<doi>10\.\S+))?")
_NUMBER = re.compile(r"\[\d+\]|\d+\.")  # the item number, when a browser puts it on its own line
_LABEL = re.compile(r"(?P<label>Title|Authors|Comments|Journal-ref|Subjects|Report-number|"
                    r"DOI|MSC Class|ACM Class|Abstract|Journal ref|Journal reference|"
                    r"Related DOI):"
                    r"\s*(?P<value>.*)")
# A paper's own page (arxiv.org/abs/…): its identifier comes last, after its labelled lines
CITE_AS = re.compile(rf"Cite as:\s*arXiv:\s?{_ID}(?:\s*\[[\w.-]+\])?")
_SUBMITTED_ON = re.compile(r"\[Submitted on (?P<day>\d{1,2}) (?P<month>[A-Z][a-z]+) "
                           r"(?P<year>\d{4})\b.*")
# "cs.CL cs.AI", "hep-th quant-ph": a search result's categories, each with a dot or a dash
_CATEGORIES = re.compile(rf"{_CATEGORY_WORD}(?:\s+{_CATEGORY_WORD})*")
_CATEGORY = re.compile(r"\(([a-z-]+(?:\.[A-Za-z-]+)?)\)")  # "Computation and Language (cs.CL)"
_SUBMITTED = re.compile(r"Submitted (?P<day>\d{1,2}) (?P<month>[A-Z][a-z]+),? (?P<year>\d{4})\b.*")
# "Showing new listings for Friday, 6 December 2024"; "Fri, 6 Dec 2024 (showing 50 of 152
# entries )"; "New submissions for Fri, 6 Dec 24" (older pages)
_HEADING = re.compile(
    r"(?:Showing new listings for |New submissions for )?(?:[A-Z][a-z]+,\s*)?"
    r"(?P<day>\d{1,2}) (?P<month>[A-Z][a-z]+)\.? (?P<year>\d{4}|\d{2})\b(?:\s*\(.*\))?")
_SECTION = re.compile(r"(?:New|Cross|Replacement) submissions(?: \(.*\))?|"
                      r"(?:Cross-lists|Replacements) for .*|Total of \d+ entries.*|"
                      r"Showing up to \d+ entries per page.*")
# arXiv's header and footer as copied, outside papers; and a note among a paper's lines
_JS_NOTE = "You must enable JavaScript to view entire author list."
_PAGE_TEXT = re.compile(
    r"Skip to main content|"
    r"We gratefully acknowledge support from .*|arxiv logo.*|.*Help \| Advanced Search|"
    r"Search|GO|quick links|Login|Help Pages|About|Help|Contact|Subscribe|Copyright|"
    r"Privacy Policy|Web Accessibility Assistance|arXiv Operational Status|"
    r"Get status notifications via email or slack|contact arXiv.*|subscribe to arXiv.*|"
    r"Authors and titles for .*|See today's new changes|Search v\d.*|"
    r"Showing \d[\d,]*[–-]\d[\d,]* of \d[\d,]* results.*")
_SUFFIX = re.compile(r"(?:Jr|Sr)\.?|I{2,3}|IV")  # "Martin Luther King, Jr.": one author
_ET_AL = re.compile(r",?\s*et al\.?(?:\s*\((?P<more>\d+) additional authors? not shown\))?$")
_MORE_LESS = re.compile(r"\s*(?:▽ More|△ Less)$")
EXPECTED = ("a paper: a line like '[1] arXiv:2412.04261 [pdf, html, other]', then its "
            "title, its authors and labelled lines such as 'Subjects: …'")


@dataclass
class _Item:
    """One paper's lines: its identifier line and what follows, up to the next one."""

    match: re.Match[str]
    line: Line
    date: str | None  # the list page's heading above it, if any
    piece: int  # which piece of the paste it is in (a second copy starts another)
    body: list[Line] = field(default_factory=list)


def _heading_date(text: str) -> str | None:
    m = _HEADING.fullmatch(text)
    if m is None:
        return None
    year = int(m["year"]) + (2000 if len(m["year"]) == 2 else 0)
    return iso_date(m["month"], m["day"], year)


def _is_chrome(text: str) -> bool:
    """Page text around the papers that is known to be none: headings and section titles."""
    return bool(_heading_date(text) or _SECTION.fullmatch(text) or _NUMBER.fullmatch(text))


def score(lines: Sequence[Line]) -> int:
    """Evidence for this format: the number of identifier lines (and "Cite as" lines)."""
    return sum(1 for line in lines if ITEM.fullmatch(line.text) or CITE_AS.fullmatch(line.text))


def _items(lines: Sequence[Line], source: str, result: ParseResult) -> list[_Item]:
    """Group the lines into papers, each from its identifier line to the next, within the
    pieces of the paste (a second copy starts a new piece, so a paper never spans it);
    headings set the date of the papers below them, other page text is skipped."""
    restarts = _restarts(lines)
    items: list[_Item] = []
    date: str | None = None
    current: _Item | None = None
    piece = 0
    started = False  # whether this piece of the paste has had a paper yet
    loose: list[Line] = []  # text outside papers: before the first, the copy's cut start

    def close() -> None:  # (a page's own text, a category's name, passes silently)
        if any(looks_like_content(line.text) or _LABEL.fullmatch(line.text)
               for line in loose):
            if started:
                report_skipped(result, source, loose, lost_entry=False, expected=EXPECTED)
            else:
                report_cut(result, source, loose, where="starts", noun="paper",
                           expected=EXPECTED)
        loose.clear()

    for line in lines:
        if line.number in restarts:
            close()
            current, started, piece = None, False, piece + 1
        m = ITEM.fullmatch(line.text)
        heading = _heading_date(line.text)
        if m is not None:
            close()
            current, started = _Item(m, line, date, piece), True
            items.append(current)
        elif heading is not None:
            close()
            date = heading
            current = None  # (a heading ends the last paper above it)
        elif _SECTION.fullmatch(line.text) or _NUMBER.fullmatch(line.text):
            close()
            current = None
        elif current is not None:  # (a paper's own lines: any text, "Search" a title too)
            if line.text != _JS_NOTE:
                current.body.append(line)
        elif not _PAGE_TEXT.fullmatch(line.text):
            loose.append(line)
    close()
    return items


def _restarts(lines: Sequence[Line]) -> frozenset[int]:
    """Where a second copy of the page starts: a repeat of earlier text (see
    ``copy_restarts``) after which the first paper is one listed before it. (Papers of one
    author, in one category, repeat their author and subject lines, not their
    identifiers.)"""
    found = copy_restarts(lines, _is_chrome)
    if not found:
        return found
    kept = set()
    seen: set[str] = set()
    waiting: list[int] = []  # restarts not yet followed by an identifier line
    for line in lines:
        if line.number in found:
            waiting.append(line.number)
        m = ITEM.fullmatch(line.text)
        if m is None:
            continue
        if m["id"] in seen:
            kept.update(waiting)
        waiting.clear()
        seen.add(m["id"])
    return frozenset(kept)


def _leftover(result: ParseResult, source: str, lines: Sequence[Line]) -> None:
    """Text after a paper that is none of its parts: the page's footer and menus pass
    silently; text that reads like a paper's is reported (a paper may be lost)."""
    if any(looks_like_content(line.text) and not _PAGE_TEXT.fullmatch(line.text)
           for line in lines):
        report_skipped(result, source, lines, lost_entry=False, expected=EXPECTED)


def _shows_abstract(item: _Item) -> bool:
    """Whether text stands after the paper's subjects: its abstract, on a /new page."""
    subjects = next((i for i, line in enumerate(item.body)
                     if line.text.startswith("Subjects:")), None)
    return subjects is not None and any(
        not _LABEL.fullmatch(line.text) and not _PAGE_TEXT.fullmatch(line.text)
        for line in item.body[subjects + 1:])


def _split_body(item: _Item, source: str, result: ParseResult, *, last: bool,
                abstracts: bool) -> tuple[dict[str, Line], list[Line]] | None:
    """A paper's lines -> (its labelled lines by label, its other lines), cut where a
    label comes again, or where a title or authors follow the other labels (the text
    that follows belongs to no paper of the list: page text, a cut copy, a paper's own
    page); None when the paper has no title, or no authors, or is the last one copied
    and lacks its subjects or (``abstracts``: the page shows them) its abstract (the copy
    ends inside it)."""
    labelled: dict[str, Line] = {}
    plain: list[Line] = []
    for i, line in enumerate(item.body):
        m = _LABEL.fullmatch(line.text)
        label = m["label"] if m else "Submitted" if _SUBMITTED.fullmatch(line.text) else None
        # (a title or authors after the other labels are another paper's: an /abs page's)
        late = label in ("Title", "Authors") and any(
            key not in ("Title", "Authors") for key in labelled)
        if label is not None and (label in labelled or late):
            report_skipped(result, source, item.body[i:], lost_entry=False, expected=EXPECTED)
            break
        if label is not None:
            labelled[label] = line
        else:
            plain.append(line)
    titled = "Title" in labelled or bool(plain)
    authored = "Authors" in labelled or len(plain) >= 2 - ("Title" in labelled)
    # (every paper on a list page shows its subjects, and on a /new page its abstract
    # after them; every search result its date: the last paper copied without them is cut)
    subjects = labelled.get("Subjects")
    ended = "Submitted" in labelled or subjects is not None and (
        not abstracts or any(line.number > subjects.number for line in plain))
    whole = titled and authored and (not last or ended)
    if not whole:
        lines = [item.line, *item.body]
        if last:
            report_cut(result, source, lines, where="ends", noun="paper", expected=EXPECTED,
                       is_content=lambda text: bool(ITEM.fullmatch(text)))
        else:
            result.diagnostics.append(warning(
                source, item.line.number, f"paper {item.match['id']} has no "
                f"{'title' if not titled else 'authors'}; expected them on the lines after "
                "its identifier line; it was not imported"))
        return None
    return labelled, plain


def _value(labelled: dict[str, Line], label: str) -> str:
    line = labelled.get(label)
    if line is None:
        return ""
    m = _LABEL.fullmatch(line.text)
    return normalize_space(m["value"]) if m else ""


def _authors(text: str) -> tuple[tuple[str, ...], bool, int | None]:
    """ "A, B, et al. (12 additional authors not shown)" -> (names, cut, how many in all)."""
    text = text.replace(_JS_NOTE, "").strip()  # (on the authors' line in some copies)
    m = _ET_AL.search(text)
    more = int(m["more"]) if m and m["more"] else None
    names: list[str] = []
    for part in (text[:m.start()] if m else text).split(","):
        name = normalize_space(part)
        if names and _SUFFIX.fullmatch(name):
            names[-1] += f", {name}"
        elif name:
            names.append(name)
    total = len(names) + more if more is not None else None if m else len(names)
    return tuple(names), m is not None, total


def _id_year(arxiv: str) -> str:
    """The year an identifier was given: "2412.04261" and "hep-th/9901001" -> "2024", "1999"."""
    digits = arxiv.rsplit("/", 1)[-1][:2]
    return str((2000 if int(digits) < 91 else 1900) + int(digits))


def _submitted(labelled: dict[str, Line], pattern: re.Pattern[str] = _SUBMITTED) -> str | None:
    """The day of a paper's "Submitted" line (a search result's; ``_SUBMITTED_ON``: an /abs
    page's first version), if it has one."""
    line = labelled.get("Submitted")
    m = pattern.fullmatch(line.text) if line is not None else None
    return iso_date(m["month"], m["day"], m["year"]) if m else None


def _abstract(labelled: dict[str, Line], rest: list[Line]) -> tuple[str, list[Line]]:
    """A paper's abstract and the lines left over. It starts at its "Abstract:" label, or
    on a list page at the line after its subjects (whatever that says; a line arXiv has
    no label for may stand before), or else at a first line of prose; the lines of prose
    after it are its further paragraphs."""
    paragraphs = [_value(labelled, "Abstract")] if "Abstract" in labelled else []
    subjects = labelled.get("Subjects")
    start = end = 0
    if not paragraphs and subjects is not None:
        start = next((i for i, line in enumerate(rest) if line.number > subjects.number),
                     len(rest))
        paragraphs += [line.text for line in rest[start:start + 1]]
        end = start + len(paragraphs)
    elif not paragraphs and rest and reads_as_prose(rest[0].text):
        paragraphs, end = [rest[0].text], 1
    while (end < len(rest) and reads_as_prose(rest[end].text)
           and not _PAGE_TEXT.fullmatch(rest[end].text)):
        paragraphs.append(rest[end].text)
        end += 1
    abstract = normalize_space(_MORE_LESS.sub("", " ".join(paragraphs)))  # ("…": as shown)
    return abstract, rest[:start] + rest[end:]


def _entry(item: _Item, labelled: dict[str, Line], plain: list[Line], source: str,
           result: ParseResult) -> Entry:
    """One paper's parts -> its entry. The lines without a label are, in order, its
    categories (a search result's, unless on its identifier line), its title and its
    authors, when no label names them; then its abstract (see ``_abstract``)."""
    rest = list(plain)
    categories = item.match["categories"].split()
    # (a search result: its title unlabelled, its authors labelled, its categories above)
    if (not categories and "Authors" in labelled and "Title" not in labelled
            and len(rest) >= 2 and _CATEGORIES.fullmatch(rest[0].text)):
        categories = rest.pop(0).text.split()
    title = _value(labelled, "Title") or (normalize_space(rest.pop(0).text) if rest else "")
    authors_text = _value(labelled, "Authors") or (rest.pop(0).text if rest else "")
    names, cut, total = _authors(authors_text)
    abstract, rest = _abstract(labelled, rest)
    _leftover(result, source, rest)
    subjects = _value(labelled, "Subjects")
    found = _CATEGORY.search(subjects)
    category = found[1] if found else categories[0] if categories else None
    arxiv = item.match["id"]
    replaced = item.match["how"] == "replaced"
    date = _submitted(labelled) or (None if replaced else item.date)
    return Entry(
        title=title, abstract=abstract, authors=names, authors_truncated=cut,
        author_count=total, date=date or _id_year(arxiv),
        venue=_value(labelled, "Journal-ref") or _value(labelled, "Journal ref") or None,
        category=category,
        urls=extract_urls(abstract), line=item.line.number, arxiv=arxiv,
        doi=_value(labelled, "DOI") or item.match["doi"] or None,
        url=f"https://arxiv.org/abs/{arxiv}")


def _abstract_pages(lines: Sequence[Line], source: str, result: ParseResult) -> None:
    """Papers' own pages, one or several pasted: the labelled lines (``Title:``,
    ``Authors:``, ``Abstract:``…) up to each page's "Cite as: arXiv:…" line, whose
    identifier is the paper's; everything else on the page (menus, the submission
    history, links) is passed over."""
    labelled: dict[str, Line] = {}
    more: list[str] = []  # the abstract's later paragraphs, on the lines after it
    last = ""  # the label of the last labelled line
    seen: set[str] = set()
    for line in lines:
        cite = CITE_AS.fullmatch(line.text)
        m = _LABEL.fullmatch(line.text)
        label = m["label"] if m else "Submitted" if _SUBMITTED_ON.fullmatch(line.text) \
            else None
        if cite is None and label is None:
            if last == "Abstract" and reads_as_prose(line.text):
                more.append(line.text)
            else:
                last = ""
            continue
        if cite is None:
            last = "" if label in labelled else str(label)
            labelled.setdefault(str(label), line)  # (a table's later rows repeat none)
            continue
        arxiv = cite["id"]
        if "Title" not in labelled or "Authors" not in labelled:
            result.diagnostics.append(warning(
                source, line.number, f"the page of arXiv:{arxiv} shows no 'Title:' and "
                "'Authors:' lines above its 'Cite as:' line (the copy starts inside it?); "
                "it was not imported"))
        elif arxiv not in seen:
            seen.add(arxiv)
            names, cut, total = _authors(_value(labelled, "Authors"))
            abstract = normalize_space(" ".join([_value(labelled, "Abstract"), *more]))
            found = _CATEGORY.search(_value(labelled, "Subjects"))
            result.entries.append(Entry(
                title=_value(labelled, "Title"), abstract=abstract, authors=names,
                authors_truncated=cut, author_count=total,
                date=_submitted(labelled, _SUBMITTED_ON) or _id_year(arxiv),
                venue=_value(labelled, "Journal reference") or None,
                category=found[1] if found else None, urls=extract_urls(abstract),
                line=labelled["Title"].number, arxiv=arxiv,
                doi=_value(labelled, "Related DOI") or None,
                url=f"https://arxiv.org/abs/{arxiv}"))
        labelled, more, last = {}, [], ""


def _fuller(entry: Entry, than: Entry) -> bool:
    """Whether a paper listed again shows more of itself: a longer abstract (the other
    copy's was cut, by the copy or by a search page), or the day of a list's heading."""
    return (len(entry.abstract), len(entry.date or "")) > (len(than.abstract),
                                                           len(than.date or ""))


def parse(lines: Sequence[Line], source: str, year: int) -> ParseResult:
    """Non-blank lines of a pasted arXiv listing -> its papers, in listing order, each
    once. (``year`` is not needed: every date an arXiv page shows has its year.)"""
    result = ParseResult()
    if not any(ITEM.fullmatch(line.text) for line in lines):
        _abstract_pages(lines, source, result)
        return result
    items = _items(lines, source, result)
    where: dict[str, int] = {}  # a paper's place among the entries, by its identifier
    abstracts = any(_shows_abstract(item) for item in items)
    for n, item in enumerate(items):
        last = n + 1 == len(items) or items[n + 1].piece != item.piece
        parts = _split_body(item, source, result, last=last, abstracts=abstracts)
        if parts is None:
            continue
        entry = _entry(item, *parts, source, result)
        at = where.setdefault(item.match["id"], len(result.entries))
        if at == len(result.entries):
            result.entries.append(entry)
        elif _fuller(entry, result.entries[at]):  # (a copy cut in its abstract, undated)
            result.entries[at] = entry
    dates = sorted({item.date for item in items if item.date})
    result.page_date = dates[-1] if dates else None
    return result

