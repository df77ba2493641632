"""Compact paper listings: three lines per paper, with the parts glued together.

    99.7CLApr 30Code                         [score] CATEGORY date ["Code"]
    Tool Learning with Foundation ModelsYujia Qin, Shengding Hu, Yankai Lin et al. · tsinghua
    Humans possess an extraordinary ability ...        the abstract

The hard part is line 2: the first author's name is glued to the end of the title with no
space, and titles may contain commas. ``split_byline`` scores every structurally possible
split (which comma-separated parts are names, where in the glued part the name starts) by
how much the result looks like "title + person names", and picks the cheapest.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from generator.diagnostics import error, warning
from generator.listings.common import (
    DATE_PATTERN,
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

FORMAT = "compact-listing"

# "99.7CLApr 30Code", "CLMar 16, 2022Code", "LGApr 15"; tolerant of spaces between parts.
# A paper in several categories shows them all ("CL LG", "CL, LG"), the first its primary
# one; after the date come the markers of a code release and of a data set, in any order.
META = re.compile(
    rf"(?:(?P<score>\d{{1,3}}(?:\.\d+)?)\s*)?(?P<categories>[A-Z]{{2,4}}(?:[\s,/]+[A-Z]{{2,4}})*)"
    rf"\s*(?P<date>{DATE_PATTERN})(?P<markers>(?:\s*(?:Code|Data))*)")
EXPECTED_ENTRY = ("an entry: a line like '99.7CLApr 30Code' ([score]CATEGORY date [Code]), "
                  "then 'TitleFirst Author, Second Author et al.', then the abstract")

_ET_AL = re.compile(r"(?:,\s*|\s+)et\s+al\.?$")
ORG_SEPARATOR = " · "  # U+00B7 between the names and the organisation ids
_ORG_ID = re.compile(r"[\w.&-]{1,60}")  # "tencent-ai", "tsinghua": slugs, never spaces
MAX_SHOWN = 100  # most names a byline can show; only bounds the search
MAX_NAME_WORDS = 5  # "Zhen Leng Thai", "Maria de la Cruz"
MAX_NAME_CHARS = 150  # longer is no name (five long words): only bounds the search

# --- scoring how name-like a candidate name is -----------------------------------------
# Costs are additive; 0 is a perfectly ordinary name or title ending. The weights order the
# shapes from "usual" to "implausible"; their exact values matter only relative to each other.
INF = math.inf
_PARTICLES = frozenset({
    "van", "von", "de", "der", "den", "da", "di", "du", "del", "della", "le", "la", "bin",
    "binti", "al", "el", "ten", "ter", "dos", "das", "y", "zu",
})
# Function words that start title words but are not names ("... Is All You Need").
# Surnames such as "An", "He", "Do", "You" and given names such as "Can" are left out.
_NOT_NAMES = frozenset({
    "the", "of", "for", "and", "with", "via", "is", "are", "from", "towards", "toward",
    "using", "through", "without", "into", "beyond", "what", "how", "why", "when", "does",
    "not", "all", "your", "need", "we", "our", "a",
})
_INITIAL = re.compile(r"[A-Z]\.(?:-?[A-Z]\.)*")
_CAPITALISED = re.compile(r"[A-Z][a-z]*")  # "Yujia", "Qin", "X"
_LOWER = re.compile(r"[a-z]+")  # "li" in "Zhang-li"
_PREFIXED = re.compile(r"(?:Mc|Mac|De|Di|Da|Du|La|Le|Van|Von|Fitz|O)[A-Z][a-z]+")  # "LeCun"
_CAPS_TAIL = re.compile(r"[A-Z][a-z]+[A-Z]{2,}")  # "MiniCPM", as in "MiniCPM Team"
_ALL_CAPS = re.compile(r"[A-Z]{2,}")  # "CPM", "ZHANG"
_CAMEL = re.compile(r"[A-Z][a-z]+(?:[A-Z][a-z]+)+")  # two words glued: "SeekYujia"
_CAPS_THEN_LOWER = re.compile(r"[A-Z]{2,}[a-z].*")  # an acronym glued to a name: "LMYujia"
_GLUED_END = re.compile(r"[a-z]{2,}[A-Z][a-z]+$")  # a title word ending "...ingMini"


def _ascii_shape(text: str) -> str:
    """Map letters to A/a by case so the shape patterns work for any alphabet."""
    return "".join("A" if ch.isupper() else "a" if ch.islower() else ch for ch in text)


def _part_cost(part: str, first_part: bool) -> float:
    """Cost of one hyphen/apostrophe-separated piece of a name token."""
    if not part:
        return INF
    shape = _ascii_shape(part)
    if _CAPITALISED.fullmatch(shape):
        return 0.0
    if _LOWER.fullmatch(shape):
        return 0.0 if not first_part else INF  # "Zhang-li", but never "li" alone
    if _PREFIXED.fullmatch(part):
        return 0.3
    if _CAPS_TAIL.fullmatch(shape):
        return 2.0
    if _ALL_CAPS.fullmatch(shape):
        return 2.5
    if _CAMEL.fullmatch(shape):
        return 4.0
    if _CAPS_THEN_LOWER.fullmatch(shape):
        return 6.0
    return 3.0


def _uncased(text: str) -> bool:
    """Letters of a script without capitals (Chinese, Japanese, Korean, …)."""
    return all(ch.isalpha() and not ch.isupper() and not ch.islower() for ch in text)


def token_cost(token: str, *, first: bool) -> float:
    """How unlike one word of a person's name ``token`` is (0 = "Yujia", INF = "(LLMs)")."""
    if not first and token in _PARTICLES:
        return 0.2
    if _uncased(token) and len(token) <= 4:
        return 0.0  # "李明": a name in a script without capitals, written without spaces
    if _INITIAL.fullmatch(token):
        return 0.0
    if len(token) == 1 and first:
        return 1.0  # an initial without its full stop: possible, but unusual
    if token.lower() in _NOT_NAMES:
        return 3.0
    if not token[0].isupper():
        return INF if first else 3.0
    if not all(ch.isalnum() or ch in "-'’." for ch in token):
        return INF
    digits = 5.0 if any(ch.isdigit() for ch in token) else 0.0
    parts = re.split(r"[-'’]", token.rstrip("."))
    cost = sum(_part_cost(part, i == 0) for i, part in enumerate(parts) if not part.isdigit())
    length = 1.0 if len(token) > 15 else 0.0
    return cost + digits + length


def name_cost(name: str) -> float:
    """How unlike a person's (or team's) name ``name`` is; names have 1 to 5 words."""
    tokens = name.split()
    if not 1 <= len(tokens) <= MAX_NAME_WORDS:
        return INF
    size = 0.3 if len(tokens) == 1 else 0.5 * max(0, len(tokens) - 3)
    return size + sum(token_cost(t, first=i == 0) for i, t in enumerate(tokens))


def boundary_cost(title: str, name: str) -> float:
    """How unlike "end of a title, start of a name" the glue point between them is."""
    last = title.rsplit(" ", 1)[-1]
    end = last[-1]
    if end in "-/([{_&'’":
        return 3.0  # the split would cut a compound word ("Sparse-Dense") or a name ("O'Brien")
    if end.isupper():
        if len(name) > 1 and not name[1].islower():
            return 3.0  # the split would cut an acronym: "CP|M Team", "MiniC|PM Team"
        if len(last) == 1 or not last[-2].islower():
            return 0.3  # an acronym or numeral ends the title: "LLM", "Part I", "4K"
        return 0.5 if len(last) <= 4 else 1.5  # "MoE" vs "ModelingMiniC"
    if _GLUED_END.search(_ascii_shape(last)):
        return 1.0  # "DeepSeek" is a title word, but so is half of "ModelingMini CPM"
    return 0.0


# --- candidate splits -------------------------------------------------------------------

@dataclass(frozen=True)
class Split:
    """One reading of a byline: the title, the names, and how implausible that reading is."""

    title: str
    authors: tuple[str, ...]
    cost: float


def _split_points(glued: str) -> list[int]:
    """Indices where a name may start inside the glued part: a capital after a non-space,
    or a letter of a script without capitals after one with them ("…AI李明").

    Only the last ``MAX_NAME_WORDS`` words can hold the first name, which keeps the search
    linear in the length of the line.
    """
    words = list(re.finditer(r"\S+", glued))[-MAX_NAME_WORDS:]
    lowest = words[0].start() if words else len(glued)
    # (and its last characters: each capital of one long word was tried, in quadratic time)
    lowest = max(lowest, len(glued) - MAX_NAME_CHARS)
    return [p for p in range(max(1, lowest), len(glued))
            if not glued[p - 1].isspace() and (glued[p].isupper() or (
                _uncased(glued[p]) and not _uncased(glued[p - 1])))]


def candidate_splits(names_part: str) -> list[Split]:
    """Every structurally possible title/author reading of ``names_part``, cheapest first.

    The part is "<title><First Name>, <Name>, ..., <Name>"; commas may occur in the title,
    so each number of names k (taken from the right) is tried, and for each the point in
    the k-th part from the right where the title ends and the first name begins.
    """
    segments = names_part.split(", ")
    splits: list[Split] = []
    others: list[str] = []  # the names right of the glued part, for the current k
    others_cost = 0.0
    for k in range(1, min(len(segments), MAX_SHOWN) + 1):
        if k > 1:
            others.insert(0, normalize_space(segments[len(segments) - k + 1]))
            others_cost += name_cost(others[0])
            if others_cost == INF:
                break  # a part that is no name: it and everything left of it is title
        other_sizes = {len(name.split()) for name in others}
        prefix = ", ".join(segments[: len(segments) - k])
        glued = segments[len(segments) - k]
        for p in _split_points(glued):
            first = normalize_space(glued[p:])
            cost = name_cost(first) + others_cost + boundary_cost(glued[:p], first)
            if cost == INF:
                continue
            if other_sizes and len(first.split()) not in other_sizes:
                cost += 0.5  # names in one list usually have the same shape
            title = f"{prefix}, {glued[:p]}" if prefix else glued[:p]
            splits.append(Split(normalize_space(title), (first, *others), cost))
    splits.sort(key=lambda s: (s.cost, len(s.authors)))
    return splits


def choose_split(splits: Sequence[Split], *, truncated: bool,
                 shown: int | None) -> Split | None:
    """The cheapest split, given how many names the listing usually shows before "et al."."""
    def cost(split: Split) -> float:
        if shown is None:
            return split.cost
        extra = len(split.authors) - shown
        off = abs(extra) if truncated else max(0, extra)
        return split.cost + 1.5 * off

    return min(splits, key=cost, default=None)


@dataclass(frozen=True)
class Byline:
    """Line 2 with its structural parts cut off: the glued names part, "et al.", org ids."""

    names_part: str
    truncated: bool
    organizations: tuple[str, ...]


def parse_byline(text: str) -> Byline:
    """Cut " · org, org" and " et al." off line 2; what remains is "<title><names>"."""
    organizations: tuple[str, ...] = ()
    head = text
    if ORG_SEPARATOR in text:
        before, after = text.rsplit(ORG_SEPARATOR, 1)
        orgs = tuple(org.strip() for org in after.split(","))
        if before.strip() and all(_ORG_ID.fullmatch(org) for org in orgs):
            head, organizations = before, orgs
    head = head.strip()
    m = _ET_AL.search(head)
    if m:
        head = head[: m.start()]
    return Byline(head, m is not None, organizations)


def split_byline(text: str, *, shown: int | None = None) -> tuple[Byline, Split | None]:
    """Line 2 -> its structural parts and the best title/author split (None if none fits).

    ``shown`` is how many names the listing usually shows before "et al.", if known.
    """
    byline = parse_byline(text)
    splits = candidate_splits(byline.names_part)
    return byline, choose_split(splits, truncated=byline.truncated, shown=shown)


# --- the listing --------------------------------------------------------------------------

@dataclass(frozen=True)
class _Raw:
    """One entry's lines before they are read: the byline is line 2 of the glued layout;
    in the author-page layout ``title`` holds the title and ``byline`` the authors."""

    meta: re.Match[str]
    start: int
    byline: Line
    abstract: str
    title: Line | None = None


# The header of an author page: "h-index11", "45papers", "520citations", "Novelty33%",
# "AI Score52", "45 Papers". The author's name and a category stand just above these.
_HEADER_STAT = re.compile(
    r"h-index\s*\d+|\d[\d,]*\s*papers?|\d[\d,.]*\s*k?\s*citations?"
    r"|novelty\s*\d+(?:\.\d+)?\s*%|ai\s*score\s*\d+(?:\.\d+)?", re.IGNORECASE)
_HEADER_ABOVE = 2  # the author's name and a category


def is_author_line(text: str) -> bool:
    """Whether a line is only names ("A, B, C et al. · org"), as on author pages.

    Its structure ("et al.", " · org ids") is enough when every part can be a name;
    otherwise every part must read as an ordinary name, which no abstract does.
    """
    byline = parse_byline(text)
    names = [normalize_space(n) for n in byline.names_part.split(", ")]
    if not names or not all(names) or len(text) > 2000:
        return False
    costs = [name_cost(name) for name in names]
    if byline.truncated or byline.organizations:
        return all(cost < INF for cost in costs)
    return all(cost <= 3.0 for cost in costs)


def _has_byline_structure(text: str) -> bool:
    """ "et al.", " · org ids" or several names: what only an author list shows."""
    byline = parse_byline(text)
    return byline.truncated or bool(byline.organizations) or ", " in byline.names_part


def _names_on_own_line(body: Sequence[Line]) -> bool:
    """Whether an entry's lines are title, names, abstract (author pages) rather than
    "TitleNames", abstract: the second line must be names, and the first must not end in
    an author list itself. A lone name-like second line ("Abstract.") needs an abstract
    after it."""
    if len(body) < 2 or not is_author_line(body[1].text):
        return False
    first = parse_byline(body[0].text)
    if first.truncated or first.organizations:
        return False
    return _has_byline_structure(body[1].text) or (
        len(body) >= 3 and looks_like_content(body[2].text))


def _segments(lines: Sequence[Line]) -> list[list[Line]]:
    """Split the lines at author-page headers, which are dropped, and where a second copy
    of the text starts.

    A paste may hold two pages, or one page twice: a header between them, or the start of
    the repeat, ends what came before, so an entry never spans it.
    """
    restarts = copy_restarts(lines, lambda text: _HEADER_STAT.fullmatch(text) is not None)
    header = [bool(_HEADER_STAT.fullmatch(line.text)) for line in lines]
    for i in range(len(lines)):
        if header[i] and (i == 0 or not header[i - 1]):
            for j in range(i - 1, max(-1, i - 1 - _HEADER_ABOVE), -1):
                text = lines[j].text
                if header[j] or META.fullmatch(text) or looks_like_content(text):
                    break
                header[j] = True
    segments: list[list[Line]] = [[]]
    for line, is_header in zip(lines, header, strict=True):
        if line.number in restarts and segments[-1]:
            segments.append([])
        if not is_header:
            segments[-1].append(line)
        elif segments[-1]:
            segments.append([])
    return [seg for seg in segments if seg]


def _read_entries(lines: Sequence[Line], source: str, result: ParseResult) -> list[_Raw]:
    """Group each segment's lines into entries; report what is no entry.

    An entry is a meta line and the lines up to the next one: "TitleNames" and the
    abstract, or (author pages) the title, the names and the abstract. At either end of a
    segment an incomplete entry is a piece of a cut copy: a warning, never a paper.
    """
    raws: list[_Raw] = []
    for segment in _segments(lines):
        starts = [i for i, line in enumerate(segment) if META.fullmatch(line.text)]
        _fragment(segment[: starts[0] if starts else len(segment)], source, result,
                  "starts")
        for k, i in enumerate(starts):
            end = starts[k + 1] if k + 1 < len(starts) else len(segment)
            last = k + 1 == len(starts)
            raw = _read_entry(segment[i], segment[i + 1:end], source, result, last=last)
            if raw is not None:
                raws.append(raw)
    return raws


def _read_entry(meta_line: Line, body: Sequence[Line], source: str, result: ParseResult,
                *, last: bool) -> _Raw | None:
    """One entry: its meta line and the lines up to the next meta line (or segment end)."""
    m = META.fullmatch(meta_line.text)
    assert m is not None
    start = meta_line.number
    if _names_on_own_line(body):
        title: Line | None = body[0]
        byline, rest = body[1], list(body[2:])
    elif body:
        title, byline, rest = None, body[0], list(body[1:])
    else:
        if last:
            _fragment([meta_line], source, result, "ends")
        else:
            result.diagnostics.append(error(
                source, start, f"entry {meta_line.text!r} has no title/authors line; "
                "expected 'TitleFirst Author, Second Author et al.' on the next line"))
        return None
    if not rest or not looks_like_content(rest[0].text):
        # The copy may end before the abstract, and page text follow: not whole. Where a
        # next entry follows, that page text reads as an entry only if its first line is
        # long or splits into a title and names ("Load more", "Home": a button, a menu),
        # and what stands in the abstract's place reads as one ("12 / 50" does not).
        if last or (title is None and not looks_like_content(byline.text)
                    and split_byline(byline.text)[1] is None) or (
                        rest and not reads_as_prose(rest[0].text)):
            _fragment([meta_line, *body], source, result, "ends")
            return None
    if not rest:
        result.diagnostics.append(warning(
            source, byline.number, "entry has no abstract; expected the abstract on the "
            "line after the " + ("authors line" if title else "title/authors line")))
        return _Raw(m, start, byline, "", title)
    report_skipped(result, source, rest[1:], lost_entry=not last, expected=EXPECTED_ENTRY)
    return _Raw(m, start, byline, rest[0].text, title)


def _fragment(lines: Sequence[Line], source: str, result: ParseResult, where: str) -> None:
    """Lines of an entry that the copy cut at a segment's end: a warning naming them."""
    report_cut(result, source, lines, where=where, noun="entry", expected=EXPECTED_ENTRY,
               is_content=lambda text: looks_like_content(text) or bool(META.fullmatch(text)))


def _usual_shown(raws: Sequence[_Raw]) -> int | None:
    """How many names this listing shows before "et al.", by majority over its entries."""
    counts: Counter[int] = Counter()
    for raw in raws:
        if raw.title is not None:
            byline = parse_byline(raw.byline.text)
            if byline.truncated:
                counts[len(byline.names_part.split(", "))] += 1
            continue
        byline, best = split_byline(raw.byline.text)
        if byline.truncated and best is not None:
            counts[len(best.authors)] += 1
    return counts.most_common(1)[0][0] if counts else None


def score(lines: Sequence[Line]) -> int:
    """Evidence for this format: the number of "[score]CATEGORY date [Code]" lines."""
    return sum(1 for line in lines if META.fullmatch(line.text))


def parse(lines: Sequence[Line], source: str, year: int) -> ParseResult:
    """Non-blank lines of a compact listing -> its papers, in listing order."""
    result = ParseResult()
    raws = _read_entries(lines, source, result)
    shown = _usual_shown(raws)
    for raw in raws:
        m = raw.meta
        authors: tuple[str, ...] = ()
        if raw.title is not None:  # author-page layout: the names stand on their own line
            byline = parse_byline(raw.byline.text)
            title = normalize_space(raw.title.text)
            authors = tuple(normalize_space(n) for n in byline.names_part.split(", "))
        else:
            byline, best = split_byline(raw.byline.text, shown=shown)
            if best is None:
                title = normalize_space(byline.names_part)
                result.diagnostics.append(warning(
                    source, raw.byline.number, "could not tell where the title ends and "
                    "the authors begin; expected 'TitleFirst Author, Second Author et al.'; "
                    "kept the whole line as the title"))
            else:
                title, authors = best.title, best.authors
        date = iso_date(m["month"], m["day"], m["year"] or year)
        if date is None:
            result.diagnostics.append(warning(
                source, raw.start, f"{m['date']!r} is not a valid date; left empty"))
        abstract = normalize_space(raw.abstract)
        result.entries.append(Entry(
            title=title, abstract=abstract, authors=authors,
            authors_truncated=byline.truncated,
            author_count=None if byline.truncated or not authors else len(authors),
            organizations=byline.organizations, date=date, date_text=normalize_space(m["date"]),
            category=re.split(r"[\s,/]+", m["categories"])[0],
            score=float(m["score"]) if m["score"] else None,
            has_code="Code" in m["markers"], urls=extract_urls(abstract), line=raw.start,
        ))
    return result
