"""Reference-manager exports -> entries: BibTeX/BibLaTeX, CSL-JSON and RIS.

The file formats are parsed by well-kept libraries (bibtexparser 2 for BibTeX, the standard
json module for CSL-JSON, rispy for RIS), and LaTeX in names and titles is turned into the
text a reader sees by latexcodec. What is ours is the mapping of each format's fields onto
an ``Entry``: venue, date precision, arXiv ids from wherever an export hides them, truncated
author lists, and a ``file:line: error:`` for each record that cannot be read.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from generator.diagnostics import error, warning
from generator.listings.common import MONTHS, ParseResult, extract_urls
from generator.model import ENTRY_TYPES, Entry, arxiv_id, is_citation_key

if TYPE_CHECKING:
    from bibtexparser.model import Entry as BibEntry

BIBTEX, CSL_JSON, RIS = "bibtex", "csl-json", "ris"

_BIB_START = re.compile(r"^\s*@\s*[A-Za-z]+\s*[{(]", re.M)
_RIS_TYPE = re.compile(r"^TY  - ", re.M)
_DOI = re.compile(r"10\.\d{4,9}/\S+")
_LATEX = re.compile(r"[\\$]")  # what only a LaTeX parser reads right
_BRACES_DASHES = re.compile(r"[{}~]|-{2,3}")
_NAME_SYNTAX = re.compile(r"[{}\\]|,.*,")  # braces, commands, "Last, Jr, First"
_PLAIN = {"{": "", "}": "", "~": "\u00a0", "--": "\u2013", "---": "\u2014"}


def detect(text: str, name: str = "") -> str | None:
    """Which reference format ``text`` is in, by its content (the file name breaks a tie)."""
    text = text.removeprefix("\ufeff")  # (a BOM before the first "@" or "TY")
    stripped = text.lstrip(" \t\r\n")
    if stripped[:1] in "[{":
        try:
            data = json.loads(stripped)
        except (ValueError, RecursionError):  # (arrays nested thousands deep)
            data = None
        items = data if isinstance(data, list) else [data]
        if items and all(isinstance(i, dict) for i in items) and \
                any("title" in i or "type" in i for i in items):
            return CSL_JSON
        if name.lower().endswith(".json"):
            return CSL_JSON
    if _RIS_TYPE.search(text) and re.search(r"^ER  -", text, re.M):
        return RIS
    if _BIB_START.search(text):
        return BIBTEX
    return None


# --- text --------------------------------------------------------------------------------

class LatexText:
    """LaTeX as a reader sees it: accents composed, braces and commands gone, one space.

    One per file read: most fields hold no command (at most the braces Zotero puts around
    capitals, or "--") and skip the LaTeX decoder; the others are decoded by latexcodec and
    remembered, since a library names the same authors and venues again and again. A
    command it does not know (``\\emph{x}``) leaves its argument's text."""

    def __init__(self) -> None:
        self._seen: dict[str, str] = {}

    def __call__(self, value: str) -> str:
        if _LATEX.search(value):
            found = self._seen.get(value)
            if found is None:
                found = self._seen[value] = _decoded(value)
            value = found
        elif _BRACES_DASHES.search(value):
            value = _BRACES_DASHES.sub(lambda m: _PLAIN[m.group()], value)
        return " ".join(value.split())


_COMMAND = re.compile(r"\\([A-Za-z]+)\*?(\s*)|\\(?=[^A-Za-z])")
# Commands latexcodec leaves that a reader sees as text: math operators print their name
# ("$O(n \\log n)$" is "O(n log n)"), and a few symbols.
_COMMAND_TEXT = {**{name: name for name in (
    "arccos arcsin arctan arg argmax argmin cos cosh cot deg det dim exp gcd inf ker lg lim "
    "liminf limsup ln log max min Pr sec sin sinh sup tan tanh").split()},
    "textbraceleft": "\ue000", "textbraceright": "\ue001", "textdollar": "\ue002",
    "LaTeX": "LaTeX", "TeX": "TeX", "ell": "\u2113", "sqrt": "\u221a", "emptyset": "\u2205",
    "varnothing": "\u2205",
    # (the text symbols Zotero and Mendeley write for characters BibTeX would misread:
    # an abstract's "{\textless}b{\textgreater}")
    "textless": "<", "textgreater": ">", "textbar": "|", "textunderscore": "_",
    "textasciicircum": "^", "textquotedbl": '"', "textquotesingle": "'",
    "textquoteleft": "\u2018", "textquoteright": "\u2019"}


def _command_text(match: re.Match[str]) -> str:
    """An unknown command -> nothing (its argument's text stays), or what it prints."""
    text = _COMMAND_TEXT.get(match[1] or "", "")
    after = match.string[match.end():match.end() + 1]  # a word or command next: a space
    return text + " " if text.isalpha() and (after.isalnum() or after in "\\{") else text


_ESCAPED = {"\\{": "\ue000", "\\}": "\ue001", "\\$": "\ue002"}  # kept through the decoding
_UNESCAPED = {"\ue000": "{", "\ue001": "}", "\ue002": "$"}  # (private-use characters)


def _decoded(value: str) -> str:
    """LaTeX -> text; the braces and dollars that are syntax go, the escaped ones
    (``$\\{0,1\\}^n$``, ``\\$100``) are text."""
    import codecs

    import latexcodec  # noqa: F401 - registers the "ulatex" codec

    # (a doubled backslash, LaTeX's line break, escapes no brace after it)
    value = re.sub(r"\\\\|\\[{}$]", lambda m: _ESCAPED.get(m[0], m[0]), value)
    try:
        value = str(codecs.decode(value, "ulatex"))  # type: ignore[call-overload]
    except Exception:  # noqa: BLE001 - text the decoder cannot take is kept as written
        pass
    value = _COMMAND.sub(_command_text, value).replace("{", "").replace("}", "") \
        .replace("$", "")
    return re.sub("[\ue000-\ue002]", lambda m: _UNESCAPED[m[0]], value)


def person(first: str, last: str) -> str:
    return " ".join(part for part in (first.strip(), last.strip()) if part)


_EXTENDED_NAME = re.compile(r"\s*(?:family|given|prefix|suffix)\s*=", re.I)


def _extended_name(raw: str, latex_text: LatexText) -> str:
    """biblatex's extended name format, which Better BibTeX writes for a name with a
    particle (``family=Berg, given=Anna, prefix=van den, useprefix=false``) -> "First
    Last": the parts in reading order, whatever order they are written in."""
    parts: dict[str, str] = {}
    depth, start = 0, 0
    for i, char in enumerate(raw + ","):
        depth += {"{": 1, "}": -1}.get(char, 0)
        if char == "," and depth == 0:
            key, _, value = raw[start:i].partition("=")
            parts[key.strip().lower()] = latex_text(value.strip())
            start = i + 1
    name = person(" ".join(p for p in (parts.get("given", ""), parts.get("prefix", ""))
                           if p), parts.get("family", ""))
    return name + (", " + parts["suffix"] if parts.get("suffix") else "")


def _bib_names(value: str, latex_text: LatexText) -> tuple[list[str], bool]:
    """A BibTeX author field -> ("First Last" names, whether "and others" ended it)."""
    from bibtexparser.middlewares.names import (
        parse_single_name_into_parts,
        split_multiple_persons_names,
    )

    names, more = [], False
    for raw in split_multiple_persons_names(value):
        raw = " ".join(raw.split())
        while raw[:4].lower() == "and ":  # a stray "and" at either end of the list, or
            raw = raw[4:]  # doubled, as a hand edit leaves it: no name
        while raw[-4:].lower() == " and":
            raw = raw[:-4]
        if not raw or raw.lower() == "and":
            continue
        if raw.lower() == "others":
            more = True
            continue
        if "=" in raw and _EXTENDED_NAME.match(raw):  # biblatex's "family=Berg, given=…"
            names.append(_extended_name(raw, latex_text))
            continue
        if not _NAME_SYNTAX.search(raw):  # "Last, First" or "First Last": nothing to split
            last, comma, first = raw.partition(",")
            plain = person(first, last) if comma else raw
            if comma or not re.search(r"(?:^| )[a-z]", raw):  # (no "von", no "de la")
                names.append(plain)
                continue
        if raw.startswith("{") and raw.endswith("}") and raw.count("{") == 1:
            names.append(latex_text(raw))  # {Gemma Team}: an institution, kept whole
            continue
        try:
            parts = parse_single_name_into_parts(raw, strict=False)
        except Exception:  # noqa: BLE001 - a name it cannot split is kept as written
            names.append(latex_text(raw))
            continue
        last = " ".join([*parts.von, *parts.last])
        first = " ".join(parts.first)
        name = person(first, last)
        if parts.jr:
            name += ", " + " ".join(parts.jr)
        names.append(latex_text(name))
    return [n for n in names if n], more


# (not str.isdigit: it takes "²", which int() refuses, and thousands of digits int() refuses)
_DAY_OR_MONTH = re.compile(r"[0-9]{1,2}")


def iso(year: Any, month: Any = None, day: Any = None) -> str | None:
    """Year, month (number or name) and day, each possibly missing -> the most precise
    ISO date they give (YYYY, YYYY-MM or YYYY-MM-DD); None without a four-digit year."""
    year_text = str(year or "").strip()
    match = re.search(r"\b(\d{4})\b", year_text)
    if match is None:
        return None
    out = match[1]
    month_number: int | None = None
    text = str(month or "").strip().lower().rstrip(".")
    if _DAY_OR_MONTH.fullmatch(text) and 1 <= int(text) <= 12:
        month_number = int(text)
    elif text:
        month_number = MONTHS.get(text) or MONTHS.get(text[:3])
    if month_number is None:
        return out
    out += f"-{month_number:02d}"
    day_text = str(day or "").strip()
    if _DAY_OR_MONTH.fullmatch(day_text) and 1 <= int(day_text) <= 31:
        try:
            return dt.date(int(out[:4]), month_number, int(day_text)).isoformat()
        except ValueError:
            return out
    return out


_WORD = re.compile(r"[A-Za-z]+")


def _date_in(text: str) -> str | None:
    """The date in free text: its first three numbers when the year comes first
    ("2024/05/01/", "2024 5"), else the year, a month's name and a day, in any order
    ("May 1, 2024", "1 May 2024")."""
    numbers = re.findall(r"\d+", text)
    month = next((w for w in _WORD.findall(text) if w.lower() in MONTHS), None)
    if month is None and numbers and len(numbers[0]) == 4:
        return iso(*(numbers + [None, None, None])[:3])
    year = next((n for n in numbers if len(n) == 4), None)
    day = next((n for n in numbers if len(n) <= 2), None)
    return iso(year, month, day if month else None)


def _text(value: Any) -> str | None:
    """A field's value as text; None when it is missing or empty."""
    return str(value) if value else None


def doi(value: str | None) -> str | None:
    """A DOI without its resolver prefix, or None."""
    if not value:
        return None
    found = _DOI.search(re.sub(r"\\([_%#&])", r"\1", str(value)))  # (10.1000/a\_b: escaped)
    return found.group().rstrip(".,;") if found else None


def _pages(value: Any, latex_text: LatexText) -> str | None:
    """Pages as printed: a range with an en dash ("14590–14604"), else as given."""
    text = latex_text(str(value or ""))
    found = re.fullmatch(r"(\w+)\s*[-\u2013\u2014]+\s*(\w+)", text)
    return f"{found[1]}\u2013{found[2]}" if found else text or None


def _key(value: Any) -> str | None:
    """A citation key as a reference manager exported it (a CSL id, a RIS ID). Zotero's item
    URLs are none, nor are the record numbers EndNote writes as a RIS ID ("12")."""
    text = str(value or "").strip()
    return text if is_citation_key(text) and not text.isdigit() and \
        not text.startswith(("http://", "https://")) else None


def _keywords(value: Any) -> tuple[str, ...]:
    items = value if isinstance(value, list) else re.split(r"[,;]", str(value or ""))
    return tuple(dict.fromkeys(k for k in (" ".join(str(i).split()) for i in items) if k))


# What each format calls a kind of paper (compared lower-cased), as BibTeX's entry type
# (model.ENTRY_TYPES): a kind not here (a patent, a map...) is none, and papers.bib tells
# it from the venue's name.
_BIB_TYPES = {kind: kind for kind in ENTRY_TYPES} | {
    "conference": "inproceedings", "online": "misc", "www": "misc", "electronic": "misc",
    "software": "misc", "dataset": "misc", "preprint": "misc", "thesis": "phdthesis",
    "report": "techreport", "collection": "book", "mvbook": "book",
    "inreference": "incollection"}  # (BibLaTeX's and others' names for them)
_CSL_TYPES = {"article-journal": "article", "article-magazine": "article",
              "article-newspaper": "article", "paper-conference": "inproceedings",
              "book": "book", "chapter": "incollection", "entry-encyclopedia": "incollection",
              "thesis": "phdthesis", "report": "techreport", "manuscript": "unpublished",
              "article": "misc", "webpage": "misc", "post-weblog": "misc",
              "software": "misc", "dataset": "misc"}  # ("article": a preprint, say)
_RIS_TYPES = {"jour": "article", "jfull": "article", "ejour": "article", "mgzn": "article",
              "news": "article", "conf": "inproceedings", "cpaper": "inproceedings",
              "book": "book", "ebook": "book", "edbook": "book", "chap": "incollection",
              "echap": "incollection", "thes": "phdthesis", "rprt": "techreport",
              "unpb": "unpublished", "manscpt": "unpublished", "gen": "misc", "elec": "misc",
              "web": "misc", "data": "misc", "comp": "misc", "blog": "misc"}


def _kind(written: Any, names: Mapping[str, str]) -> str | None:
    """A format's name for a kind of paper -> its BibTeX entry type, or None."""
    return names.get(written.strip().lower()) if isinstance(written, str) else None


# What a preprint's "journal" says: "arXiv preprint arXiv:2404.06395" (Google Scholar),
# "arXiv:2005.14165 [cs]" (Zotero before it had a preprint type), "ArXiv" (Semantic
# Scholar), "CoRR" (DBLP), "arXiv e-prints" (NASA ADS).
_PREPRINT_VENUE = re.compile(r"(arxiv|corr)(\s+e-prints)?(\s+preprint)?"
                             r"(\s*(arxiv)?:\s*\S+|\s+abs/\S+)?(\s*\[[^\]]*\])?", re.I)


def _entry(line: int, *, title: str, authors: Iterable[str] = (), more: bool = False,
           date: str | None, venue: str | None, abstract: str = "", doi_value: str | None,
           arxiv: str | None, url: str | None, pages: str | None, volume: str | None,
           publisher: str | None, key: str | None, keywords: tuple[str, ...],
           entry_type: str | None = None) -> Entry:
    authors = tuple(authors)
    if venue and _PREPRINT_VENUE.fullmatch(venue.strip()):
        venue = None  # "arXiv preprint arXiv:2404.06395": a preprint, not a venue
        if volume and volume.startswith("abs/"):  # CoRR's and Semantic Scholar's volume:
            arxiv, volume = arxiv or arxiv_id(volume[4:]), None  # the arXiv id again
    abstract = " ".join(abstract.split())
    more_urls: list[str] = []
    if url and len(url.split()) > 1:  # Mendeley's links, all in one field, a space apart
        url, *more_urls = url.split()
    # (the abstract's links are the paper's links too, as a page's)
    return Entry(title=title, abstract=abstract, authors=authors,
                 authors_truncated=more, date=date, venue=venue or None,
                 doi=doi_value, arxiv=arxiv, url=url, pages=pages, volume=volume,
                 publisher=publisher, citation_key=key, keywords=keywords, line=line,
                 entry_type=entry_type,
                 urls=(*more_urls, *(extract_urls(abstract) if "http" in abstract else ())))


# --- BibTeX ------------------------------------------------------------------------------

_BIB_VENUE = ("booktitle", "journal", "journaltitle", "eventtitle", "howpublished",
              "school", "institution")  # (a thesis's, a report's)


_BIB_LINK = re.compile(r"\s*(?:\\url\s*\{([^{}\s]+)\}|(https?://\S+))\s*")
_BIB_TOKEN = re.compile(r'\s*(?:(\{)|"|([^\s#"{}]+))')
_BIB_DELIMITER = re.compile(r'[{}"]')


def _bib_value(raw: str, macros: Mapping[str, str], after: list[str] | None = None) -> str:
    """A field's value as BibTeX reads it: "{…}", "\"…\"", numbers and @string macros
    (any case), joined by '#'. bibtexparser 2 resolves only a lone macro, so
    ``booktitle = "Proc. of " # acl`` came out as written. A value that is not such an
    expression is kept as written; text after a whole value (``{X} year=2020``: a comma
    missing) is added to ``after``."""
    parts: list[str] = []
    i = 0
    while True:
        m = _BIB_TOKEN.match(raw, i)
        if m is None:
            return raw.strip()
        if m[2] is not None:  # a number or a macro name: "jan" stays "jan" if not defined
            parts.append(macros.get(m[2].lower(), m[2]))
            i = m.end()
        else:  # braces nest; a quoted part ends at a '"' outside braces
            close, depth = "}" if m[1] else '"', 0
            for mark in _BIB_DELIMITER.finditer(raw, m.end()):  # (delimiter to delimiter:
                if depth == 0 and mark[0] == close:  # an abstract has few)
                    break
                depth += {"{": 1, "}": -1}.get(mark[0], 0)
            else:
                return raw.strip()
            parts.append(raw[m.end():mark.start()])
            i = mark.end()
        rest = raw[i:].lstrip()
        if not rest:
            return "".join(parts)
        if rest[0] != "#":
            if after is not None:
                after.append(rest)
            return raw.strip()
        i = len(raw) - len(rest) + 1


def _verbatim(value: str) -> str:
    """A url or doi field as it was meant: Mendeley writes ``a{\\_}b``, others ``a\\_b``
    or ``\\url{…}``, where BibLaTeX reads the field verbatim."""
    if "\\" not in value and "{" not in value:
        return value
    value = re.sub(r"\\([_%#&~$])", r"\1", re.sub(r"\\url\s*", "", value))
    return value.replace("{", "").replace("}", "")


def _repeated(item: BibEntry) -> str:
    """The warning for an entry that gives a field more than once."""
    names = [f.key.lower() for f in item.fields]
    twice = sorted({name for name in names if names.count(name) > 1})
    return (f"entry '{item.key}': {', '.join(twice)} "
            f"{'is' if len(twice) == 1 else 'are'} given more than once; the first is read")


def _text_after(item: BibEntry, fields: Mapping[str, Any], macros: Mapping[str, str]
                ) -> Iterable[str]:
    """The warnings for values followed by more text (``{X} year=2020``: a comma missing)."""
    for name, value in fields.items():
        rest: list[str] = []
        if isinstance(value, str):
            _bib_value(value, macros, rest)
        if rest:
            yield (f"entry '{item.key}': {name} has text after its value, {rest[0][:40]!r} "
                   f"(a comma missing?); it is read as written")


_ENTRY_START = re.compile(r"\n(?=@[A-Za-z])")
PIECE_MIN = 2_000_000  # characters of BibTeX below which one core reads it as soon


def parse_bibtex(text: str, source: str) -> ParseResult:
    """BibTeX/BibLaTeX text -> entries; a block that does not parse, a duplicate key or an
    entry without a title is an error naming its line, and the rest is read.

    A large library (a whole Zotero export) is read on every core, in pieces cut where an
    entry starts: half the time on two cores. A file with @string macros, which any later
    entry may use, is read whole."""
    from generator.parallel import default_jobs, fork_map

    text = text.removeprefix("\ufeff")
    jobs = default_jobs()
    pieces = [(0, text)]
    if jobs > 1 and len(text) >= PIECE_MIN and "@string" not in text.lower():
        cuts = [0]
        for k in range(1, jobs):
            found = _ENTRY_START.search(text, len(text) * k // jobs)
            if found and found.end() > cuts[-1]:
                cuts.append(found.end())
        cuts.append(len(text))
        pieces = [(text.count("\n", 0, start), text[start:end])
                  for start, end in zip(cuts, cuts[1:], strict=False)]
    read = fork_map(lambda piece: _parse_bib_piece(piece, source), pieces, jobs=jobs,
                    minimum=2)
    result = ParseResult()
    keys: set[str | None] = set()
    for part in read:
        result.diagnostics.extend(part.diagnostics)
        for entry in part.entries:
            if entry.citation_key is not None and entry.citation_key in keys:  # (each piece
                # checks its own)
                result.diagnostics.append(error(source, entry.line, f"duplicate citation key "
                                                f"'{entry.citation_key}'; this entry is "
                                                f"skipped"))
                continue
            keys.add(entry.citation_key)
            result.entries.append(entry)
    if not result.entries and not result.diagnostics:
        result.diagnostics.append(error(source, None, "no BibTeX entries found"))
    return result


def _parse_bib_piece(piece: tuple[int, str], source: str) -> ParseResult:
    """(lines before it, BibTeX text) -> what ``parse_bibtex`` reads there."""
    import bibtexparser
    from bibtexparser.model import DuplicateBlockKeyBlock, DuplicateFieldKeyBlock
    from bibtexparser.model import Entry as BibEntry

    logging.getLogger("bibtexparser").setLevel(logging.CRITICAL)  # we report, not it
    offset, text = piece
    result, latex_text = ParseResult(), LatexText()
    library = bibtexparser.parse_string(text, parse_stack=[])  # values as written
    macros: dict[str, str] = {}
    for string in library.strings:  # in file order: a macro may use the ones above it
        macros[string.key.lower()] = _bib_value(string.value, macros)

    def _line(start: int | None) -> int | None:
        return None if start is None else start + 1 + offset  # (it counts from 0)

    entries = list(library.entries)
    for block in library.failed_blocks:
        line = _line(block.start_line)
        if isinstance(block, DuplicateBlockKeyBlock) and not block.key.strip() and \
                isinstance(block.ignore_error_block, BibEntry):
            entries.append(block.ignore_error_block)  # no key (JabRef's before it makes
            # one) repeats no key
        elif isinstance(block, DuplicateFieldKeyBlock) and \
                isinstance(block.ignore_error_block, BibEntry):
            entries.append(block.ignore_error_block)  # a field twice: read, with a warning
        elif isinstance(block, DuplicateBlockKeyBlock):
            result.diagnostics.append(error(source, line, f"duplicate citation key "
                                            f"'{block.key}'; this entry is skipped"))
        else:
            first = (block.raw or "").strip().splitlines()[0][:60] if block.raw else ""
            result.diagnostics.append(error(source, line, f"this BibTeX entry does not parse "
                                            f"(unbalanced braces or quotes?): {first!r}; it "
                                            f"is skipped"))
    entries.sort(key=lambda item: item.start_line or 0)
    for item in entries:
        line = _line(item.start_line)
        fields = {f.key.lower(): f.value for f in reversed(item.fields)}  # (the first of
        if len(fields) < len(item.fields):  # a repeated field wins, as in biber)
            result.diagnostics.append(warning(source, line, _repeated(item)))
        rest: list[str] = []  # what follows a value, when something does
        values = {k: _bib_value(v, macros, rest).strip() if isinstance(v, str) else str(v)
                  for k, v in fields.items()}
        if rest:
            result.diagnostics.extend(warning(source, line, message)
                                      for message in _text_after(item, fields, macros))
        title = latex_text(values.get("title", ""))
        if not title:
            result.diagnostics.append(error(source, line, f"entry '{item.key}' has no title; "
                                                          f"it is skipped"))
            continue
        authors, more = _bib_names(values.get("author") or values.get("editor") or "",
                                   latex_text)
        # BibLaTeX's date: "2023-05-01", a range "2022-07-17/2022-07-23" (its start), an
        # uncertain or approximate "2023-05?" / "2023~" (EDTF's marks)
        date_field = values.get("date", "").partition("/")[0].strip().rstrip("?~%")
        parts = date_field.split("-") if re.match(r"\d{4}", date_field) else []
        date = iso(parts[0], *parts[1:3]) if parts else \
            iso(values.get("year"), values.get("month"), values.get("day"))
        link = _BIB_LINK.fullmatch(values.get("howpublished", ""))
        if link:  # @misc{…, howpublished = {\url{https://github.com/…}}}: a link, no venue
            values["url"] = values.get("url") or link[1] or link[2]
            del values["howpublished"]
        for name in ("url", "doi"):
            if name in values:
                values[name] = _verbatim(values[name])
        venue_raw = next((values[k] for k in _BIB_VENUE if values.get(k)), None)
        archive = (values.get("archiveprefix") or values.get("eprinttype") or "").lower()
        eprint = values.get("eprint") if archive in ("", "arxiv") else None
        arxiv = arxiv_id(eprint, values.get("url"), venue_raw, values.get("note"),
                         values.get("journal"))
        result.entries.append(_entry(
            line or 0, title=title, authors=authors, more=more, date=date,
            venue=latex_text(venue_raw) if venue_raw else None,
            abstract=latex_text(values.get("abstract", "")), doi_value=doi(values.get("doi")),
            arxiv=arxiv, url=values.get("url") or None,
            pages=_pages(values.get("pages"), latex_text),
            volume=values.get("volume") or None,
            publisher=latex_text(values["publisher"]) if values.get("publisher") else None,
            key=item.key.strip() or None,
            keywords=_keywords(latex_text(",".join(  # (Mendeley's own tags: its field)
                values[k] for k in ("keywords", "mendeley-tags") if values.get(k)))),
            entry_type=_kind(item.entry_type, _BIB_TYPES)))
    return result


# --- CSL-JSON ----------------------------------------------------------------------------

# The rich text Zotero keeps in a title and writes as is to CSL-JSON and RIS: "<i>E.
# coli</i>", "H<sub>2</sub>O", '<span class="nocase">iPhone</span>'.
_RICH_TEXT = re.compile(r"</?(?:i|b|sup|sub|sc)>|</span>|<span (?:class=\"nocase\"|"
                        r"style=\"font-variant: ?small-caps;?\")>")


def _plain(text: str) -> str:
    """A title without the rich-text tags Zotero writes in it."""
    return _RICH_TEXT.sub("", text) if "<" in text else text


def _csl_date(value: Any) -> str | None:
    """A CSL date: its date-parts, else its "raw", "literal" or "edtf" text (CSL-JSON
    1.0.2), or a date written as a plain string, as some tools do."""
    if isinstance(value, str):
        return _date_in(value.partition("/")[0])
    if not isinstance(value, Mapping):
        return None
    parts = value.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        return iso(*(parts[0] + [None, None])[:3])
    raw = value.get("raw") or value.get("literal") or value.get("edtf")
    return _date_in(raw.partition("/")[0]) if isinstance(raw, str) else None


def _csl_names(value: Any, latex_text: LatexText) -> list[str]:
    names = []
    for name in value if isinstance(value, list) else []:
        if not isinstance(name, Mapping):
            continue
        if name.get("literal"):
            names.append(latex_text(str(name["literal"])))
            continue
        given = str(name.get("given") or "")  # (null is no name part, not "None")
        family = " ".join(str(name.get(k) or "") for k in ("dropping-particle",
                                                          "non-dropping-particle", "family"))
        full = person(given, family)
        if name.get("suffix"):
            full += ", " + str(name["suffix"])
        if full:
            names.append(" ".join(full.split()))
    return names


_JSON_SPACE = re.compile(r"[ \t\n\r]*")


def _after_space(text: str, at: int) -> int:
    """The first position from ``at`` that is not JSON whitespace."""
    found = _JSON_SPACE.match(text, at)
    return found.end() if found else at


def _decode_at(decoder: json.JSONDecoder, text: str, at: int) -> tuple[Any, int]:
    """``decoder.raw_decode``; a value nested too deeply for Python's stack, or a number of
    thousands of digits (``int()`` refuses it with a ValueError), is refused as invalid
    JSON, with the place where it starts."""
    try:
        return decoder.raw_decode(text, at)
    except RecursionError:
        raise json.JSONDecodeError("nested too deeply to read", text, at) from None
    except json.JSONDecodeError:
        raise
    except ValueError:
        raise json.JSONDecodeError("a number too long to read", text, at) from None


_SURROGATE = re.compile("[\ud800-\udfff]")


def _whole_characters(value: Any) -> Any:
    """A decoded JSON value with each lone "\\ud800" escape (half a character, which no
    content file can hold: the import failed writing it) read as U+FFFD."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {_whole_characters(k): _whole_characters(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_whole_characters(v) for v in value]
    return value


def _json_items(text: str) -> list[tuple[int, Any]]:
    """A CSL-JSON document -> (the line it starts on, item) for each element of its
    top-level array, or for the one object it is; read element by element, so each has
    its line. Raises json.JSONDecodeError as json.loads would."""
    decoder = json.JSONDecoder()
    at = _after_space(text, 0)
    items: list[tuple[int, Any]] = []
    if text.startswith("[", at):
        at = _after_space(text, at + 1)
        line, counted = 1, 0
        while not (text.startswith("]", at) and not items):
            line, counted = line + text.count("\n", counted, at), at
            value, end = _decode_at(decoder, text, at)
            items.append((line, _whole_characters(value)))
            at = _after_space(text, end)
            if not text.startswith(",", at):
                break
            at = _after_space(text, at + 1)
        if not text.startswith("]", at):
            raise json.JSONDecodeError("Expecting ',' delimiter", text, at)
        end = at + 1
    else:
        value, end = _decode_at(decoder, text, at)
        items.append((text.count("\n", 0, at) + 1, _whole_characters(value)))
    rest = _after_space(text, end)
    if rest < len(text):
        raise json.JSONDecodeError("Extra data", text, rest)
    return items


def parse_csl_json(text: str, source: str) -> ParseResult:
    """CSL-JSON (Zotero's "CSL JSON" export, citeproc) -> entries."""
    result = ParseResult()
    latex_text = LatexText()
    try:
        items = _json_items(text.lstrip("\ufeff"))
    except json.JSONDecodeError as exc:
        result.diagnostics.append(error(source, exc.lineno, f"not valid JSON: {exc.msg}"))
        return result
    if len(items) == 1 and isinstance(items[0][1], Mapping) and \
            isinstance(items[0][1].get("papers"), list):  # (no CSL item has "papers")
        result.diagnostics.append(error(source, items[0][0], "a readinglist site's "
                                        "papers.json, not CSL-JSON: import that site's "
                                        "papers.bib, which holds the same papers"))
        return result
    for index, (line, item) in enumerate(items):
        if not isinstance(item, Mapping):
            result.diagnostics.append(error(source, line, f"item {index + 1} is not an "
                                                          f"object; it is skipped"))
            continue
        title = latex_text(_plain(str(item.get("title") or "")))
        if not title:
            result.diagnostics.append(error(source, line, f"item {item.get('id', index + 1)!r}"
                                                          f" has no title; it is skipped"))
            continue
        venue = item.get("container-title") or item.get("event-title") or \
            item.get("event") or None
        if isinstance(venue, list):
            venue = venue[0] if venue else None
        date = _csl_date(item.get("issued")) or _csl_date(item.get("event-date"))
        number = str(item.get("number") or "")
        arxiv = arxiv_id(number if "arxiv" in str(item.get("publisher", "")).lower()
                         else None, item.get("URL"), venue, item.get("note"),
                         str(item.get("DOI") or "").replace("10.48550/arXiv.", "arXiv:"))
        result.entries.append(_entry(
            line, title=title, authors=_csl_names(item.get("author"), latex_text), date=date,
            venue=latex_text(str(venue)) if venue else None,
            abstract=str(item.get("abstract") or ""), doi_value=doi(item.get("DOI")),
            arxiv=arxiv, url=item.get("URL") or None,
            pages=_pages(item.get("page"), latex_text),
            volume=_text(item.get("volume")), publisher=_text(item.get("publisher")),
            key=_key(item.get("citation-key") or item.get("id")),
            keywords=_keywords(item.get("keyword")),
            entry_type=_kind(item.get("type"), _CSL_TYPES)))
    if not items:
        result.diagnostics.append(error(source, None, "no CSL-JSON items found"))
    return result


# --- RIS ---------------------------------------------------------------------------------

_RIS_TAG = re.compile(r"[A-Z][A-Z0-9]  -")  # (an export's header, "Provider: JSTOR", is none)


def _ris_records(text: str) -> tuple[list[tuple[int, str]], list[tuple[int, int]]]:
    """(1-based line of its TY, text) of each record, which ends at its ER, else at the
    next TY or the end of the file; and (first line, count) of each run of tag lines
    outside any record (data lost to the import: the caller says so)."""
    records: list[tuple[int, str]] = []
    stray: list[tuple[int, int]] = []
    start: int | None = None
    lines = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    for number, line in enumerate(lines, start=1):
        if line.startswith("TY  -"):
            if start is not None:  # no ER before this TY: the record ends here
                records.append((start, "\n".join(lines[start - 1:number - 1]) + "\nER  - \n"))
            start = number
        elif line.startswith("ER  -") and start is not None:
            records.append((start, "\n".join(lines[start - 1:number]) + "\n"))
            start = None
        elif start is None and _RIS_TAG.match(line) and not line.startswith("ER  -"):
            if stray and stray[-1][0] + stray[-1][1] == number:
                stray[-1] = (stray[-1][0], stray[-1][1] + 1)
            else:
                stray.append((number, 1))
    if start is not None:
        records.append((start, "\n".join(lines[start - 1:]) + "\nER  - \n"))
    return records, stray


def parse_ris(text: str, source: str) -> ParseResult:
    """RIS (Zotero, Mendeley, EndNote, publishers' "export citation") -> entries."""
    import rispy

    result = ParseResult()
    latex_text = LatexText()
    records, stray = _ris_records(text)
    for line, count in stray:
        result.diagnostics.append(warning(source, line, (
            "this line is" if count == 1 else f"these {count} lines are") +
            " outside any record (not between a TY and its ER) and ignored"))
    for line, record in records:
        try:
            found = rispy.loads(record)
        except Exception as exc:  # noqa: BLE001 - rispy's errors: report, go on
            result.diagnostics.append(error(source, line, f"this RIS record does not parse: "
                                                          f"{exc}; it is skipped"))
            continue
        for item in found:
            title = latex_text(_plain(str(item.get("title") or item.get("primary_title") or
                                          "")))
            if not title:
                result.diagnostics.append(error(source, line, "record has no title (TI or "
                                                              "T1); it is skipped"))
                continue
            authors = [_ris_name(n, latex_text) for n in (item.get("first_authors") or []) +
                       (item.get("authors") or [])]  # (A1, the primary authors, first)
            date = _ris_date(item)
            venue = item.get("secondary_title") or item.get("journal_name") or \
                item.get("alternate_title3") or None
            urls = item.get("urls") or []
            start, end = item.get("start_page"), item.get("end_page")
            pages = _pages(f"{start}-{end}" if start and end else start, latex_text)
            result.entries.append(_entry(
                line, title=title, authors=[a for a in authors if a], date=date,
                venue=_text(venue), abstract=str(item.get("abstract") or  # AB, or
                                                 item.get("notes_abstract") or ""),  # N2
                doi_value=doi(item.get("doi")),
                arxiv=arxiv_id(*(str(u) for u in urls), str(venue or "")),
                url=str(urls[0]) if urls else None, pages=pages,
                volume=_text(item.get("volume")), publisher=_text(item.get("publisher")),
                key=_key(item.get("id")), keywords=_keywords(item.get("keywords")),
                entry_type=_kind(item.get("type_of_reference"), _RIS_TYPES)))
    if not records:
        result.diagnostics.append(error(source, None, "no RIS records (TY  - … ER  -) found"))
    return result


_MONTH_DAY = re.compile(r"\s*([A-Za-z]{3,})\.?(?:\s+(\d{1,2}))?\b")


def _ris_date(item: Mapping[str, Any]) -> str | None:
    """A record's date: DA ("2023/05/01/"), else Y1 or PY. Web of Science's DA holds only
    the month and day ("NOV 15"), whose year is PY's."""
    written = str(item.get("date") or "")
    found = _date_in(written)
    if found:
        return found
    year = _date_in(str(item.get("publication_year") or item.get("year") or ""))
    month_day = _MONTH_DAY.match(written)
    if year and len(year) == 4 and month_day:
        return iso(year, month_day[1], month_day[2])
    return year


def _ris_name(name: str, latex_text: LatexText) -> str:
    """ "Last, First" or "Last, First, Suffix" (RIS's forms) -> "First Last, Suffix"."""
    if "," in name:
        last, first, *suffix = (latex_text(part) for part in name.split(",", 2))
        full = person(first, last)
        return f"{full}, {suffix[0]}" if suffix and suffix[0] else full
    return latex_text(name)


PARSERS: dict[str, Callable[[str, str], ParseResult]] = {
    BIBTEX: parse_bibtex, CSL_JSON: parse_csl_json, RIS: parse_ris,
}
