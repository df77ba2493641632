"""Data outputs beside the pages: Atom feed, sitemap, robots.txt, BibTeX, JSON, citations.

Absolute URLs come only from ``config.site_url``; without it the feed uses relative links and
``urn:uuid:`` ids, the sitemap is left out and no canonical URL is claimed. No wall-clock
time: dates come from the papers, else from ``SOURCE_DATE_EPOCH``, else the Unix epoch.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import re
import unicodedata
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from generator.config import Config
from generator.model import Paper, is_citation_key
from generator.model import arxiv_id as find_arxiv_id
from generator.site import (
    Shape,
    Site,
    SitePaper,
    Term,
    absolute_url,
    page_root,
    paper_url,
    pretty_url,
)

ATOM_NS = "http://www.w3.org/2005/Atom"
SITEMAP_NS = "http://www.sitemaps.org/schemas/sitemap/0.9"
_JOURNAL = re.compile(r"\b(journal|transactions|letters|magazine|review|tacl|jmlr|tmlr)\b",
                      re.IGNORECASE)
# A preprint server given as the venue ("arXiv", "arXiv preprint", "CoRR", "bioRxiv")
_PREPRINT = re.compile(r"\s*(?:arxiv|corr|biorxiv|medrxiv|ssrn)(?:\s+(?:preprint|e-prints))?"
                       r"(?:\s*(?:arxiv)?:?\s*[\w./-]+)?\s*", re.IGNORECASE)
_STOPWORDS = frozenset("a an the on of in for to and with from by is are do does can at as "
                       "via towards toward what why how when".split())
MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")


def venue_kind(venue: str | None) -> str | None:
    """'journal' or 'conference' for a venue name; None without one."""
    if not venue:
        return None
    return "journal" if _JOURNAL.search(venue) else "conference"


# The field of each BibTeX entry type that names the venue (misc and the rest: howpublished)
_VENUE_FIELDS = {"article": "journal", "inproceedings": "booktitle",
                 "incollection": "booktitle", "inbook": "booktitle", "techreport": "institution",
                 "phdthesis": "school", "mastersthesis": "school", "book": "", "proceedings": ""}


def entry_type(paper: Paper) -> str:
    """The paper's BibTeX entry type: the one its reference manager gave (an article or a
    paper in proceedings only with a venue to name), else told from the venue's name."""
    given = paper.entry_type
    if given and (paper.venue or given not in ("article", "inproceedings", "incollection")):
        return given
    if paper.venue and _PREPRINT.fullmatch(paper.venue):
        return "misc"  # "arXiv": a preprint server, no proceedings (howpublished names it)
    kind = venue_kind(paper.venue)
    return "article" if kind == "journal" else "inproceedings" if kind == "conference" \
        else "misc"


def arxiv_id(paper: Paper) -> str | None:
    """The paper's arXiv id: its own, else the one its links give."""
    return paper.arxiv or find_arxiv_id(paper.url, paper.pdf, *paper.links)


def source_epoch() -> dt.datetime:
    """The build's notion of 'now': SOURCE_DATE_EPOCH when set, else the Unix epoch."""
    value = os.environ.get("SOURCE_DATE_EPOCH", "")
    seconds = int(value) if value.strip().isdigit() else 0
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _rfc3339(date: str | None) -> str | None:
    if not date:
        return None
    parts = (date.split("-") + ["01", "01"])[:3]
    return f"{parts[0]}-{parts[1]}-{parts[2]}T00:00:00Z"


# --- BibTeX ----------------------------------------------------------------------------

_NOT_ALNUM = re.compile(r"[^a-z0-9]")
_TITLE_SPLIT = re.compile(r"[\s\-–—:/]+")
_BIB_MATH = re.compile(r"(\$[^$]+\$)")
_BIB_SPECIAL = re.compile(r"(?<!\\)([&%#_$])")  # ($ outside a $…$ pair: a dollar sign)
_BIB_TILDE = re.compile(r"(?<!\\)~")
_BIB_PLAIN = re.compile(r"[&%#_~{}$\\^]")
# LaTeX that reads or writes files, runs programs or redefines commands when a document
# cites the entry: a title from a pasted page is data, so these are written as text.
_BIB_UNSAFE = re.compile(
    r"\\(?=(?:input|include|includeonly|InputIfFileExists|IfFileExists|openin|openout|"
    r"read|readline|write|immediate|newwrite|newread|closein|closeout|special|catcode|"
    r"def|edef|gdef|xdef|let|futurelet|csname|expandafter|newcommand|renewcommand|"
    r"providecommand|DeclareRobustCommand|usepackage|RequirePackage|documentclass|"
    r"directlua|luaexec|ShellEscape|verbatiminput|lstinputlisting|makeatletter)"
    r"(?![A-Za-z]))")


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _NOT_ALNUM.sub("", folded.lower())


def key_base(paper: Paper | Shape) -> str:
    """A paper's citation key before collisions: surname, year, first title word."""
    return _key_base(paper)


def _key_base(paper: Paper | Shape) -> str:
    if paper.citation_key and is_citation_key(paper.citation_key):
        return paper.citation_key  # the key the user's reference manager knows it by
    words: list[str] = []
    for word in _TITLE_SPLIT.split(paper.title):  # the first two that count are enough
        word = _ascii_word(word)
        if word and word not in _STOPWORDS:
            words.append(word)
            if len(words) == 2:
                break
    words = words or ["paper"]
    year = str(paper.display_year or "")
    surname = _ascii_word(paper.authors[0].partition(", ")[0].split()[-1]) \
        if paper.authors and paper.authors[0].strip() else ""  # ("Smith, Jr.": Smith)
    if surname:
        return f"{surname}{year}{words[0]}"
    second = words[1] if len(words) > 1 else ""
    return f"{words[0]}{year}{second}"


def bibtex_keys(papers: Iterable[Paper | Shape],
                key_base: Callable[[Paper | Shape], str] | None = None) -> dict[str, str]:
    """slug -> citation key like ``sun2023length``; unique, stable (suffixes b, c… by slug).
    A key the paper's reference manager gave is handed out first: the user's documents
    cite it, so a made-up key of another paper takes the suffix instead.
    ``key_base``: the key a paper would have alone (default: worked out here)."""
    keys: dict[str, str] = {}
    taken: set[str] = set()
    for paper in sorted(papers, key=lambda p: (not is_citation_key(p.citation_key), p.slug)):
        base = key_base(paper) if key_base is not None else _key_base(paper)
        key, n = base, 1
        while key in taken:
            n += 1
            key = f"{base}{chr(ord('a') + n - 1)}" if n <= 26 else f"{base}{n}"
        taken.add(key)
        keys[paper.slug] = key
    return keys


_DOI_PREFIX = re.compile(r"\A(?:https?://(?:dx\.)?doi\.org/|doi:)\s*", re.IGNORECASE)


def doi_name(doi: str) -> str:
    """The DOI itself from a ``doi`` written as its link or as ``doi:…``: biblatex puts
    https://doi.org/ before the field, so a link kept there would be linked twice."""
    return _DOI_PREFIX.sub("", doi.strip())


_VERBATIM_ENCODED = str.maketrans({"{": "%7B", "}": "%7D", "\\": "%5C", "^": "%5E"})


def _verbatim(text: str) -> str:
    """A verbatim field's value (biblatex's doi, url: ``\\_`` there is a backslash in the
    link): as it is, percent-encoded where a brace would end the field, and a backslash or
    ``^^`` would be a command to a style that prints the field as text."""
    return text.translate(_VERBATIM_ENCODED)


def bib_escape(text: str) -> str:
    """Text for a braced BibTeX field: LaTeX and ``$math$`` kept, ``& % # _`` escaped,
    braces balanced (BibTeX counts them even after a backslash). Commands that touch files
    or define commands (``_BIB_UNSAFE``) become text, and ``^^`` is split (TeX reads
    ``^^5c`` as a backslash)."""
    if not _BIB_PLAIN.search(text):
        return text
    text = _BIB_UNSAFE.sub(r"\\textbackslash{}", text).replace("^^", "^{}^")
    parts = _BIB_MATH.split(text)
    for i in range(0, len(parts), 2):
        part = _BIB_SPECIAL.sub(r"\\\1", parts[i])
        parts[i] = _BIB_TILDE.sub(r"\\textasciitilde{}", part)
    out = "".join(parts)
    depth = 0
    balanced = True
    for ch in out:
        depth += 1 if ch == "{" else -1 if ch == "}" else 0
        if depth < 0:
            balanced = False
            break
    if not balanced or depth:
        out = out.replace("{", "\x00").replace("}", "\x01")
        out = out.replace("\x00", r"\textbraceleft{}").replace("\x01", r"\textbraceright{}")
    return out


_NAME_SUFFIX = re.compile(r"(?:jr|sr|[ivx]+|\d+(?:st|nd|rd|th))\.?", re.IGNORECASE)


# The last word of a team's or an organisation's name, as papers list them among their
# authors ("Gemma Team", "Meta AI", "DeepSeek-AI"): BibTeX would read "Team, G."
# ("AI" in capitals only: Ai is a surname)
_GROUP_WORDS = frozenset({"team", "group", "consortium", "collaboration", "lab",
                          "laboratory", "institute", "project", "research", "inc", "inc.",
                          "ltd", "ltd.", "corporation", "foundation", "deepmind"})


_ET_AL = re.compile(r"\s*(?:et\.?\s+al\.?|others)\s*", re.IGNORECASE)
_AND_WORD = re.compile(r"(?<![^\s,])and(?![^\s,])", re.IGNORECASE)


def bib_name(name: str) -> str:
    """A "First Last" name (BibTeX-escaped) as BibTeX reads it back. A suffix after a comma
    is written in BibTeX's "von Last, Jr, First" form ("John Smith, Jr." read as written is
    surname "John Smith", first name "Jr."); any other comma is in an institution's name,
    kept whole in braces, as is a team's or an organisation's name ("Gemma Team"). A word
    "and" in any case ("Anna van der And") is braced: BibTeX would take it for the word
    between two names."""
    base, comma, suffix = name.partition(", ")
    if not comma:
        words = name.replace("-", " ").split()
        group = len(words) > 1 and (words[-1] == "AI" or words[-1].lower() in _GROUP_WORDS)
        return "{" + name + "}" if group else _AND_WORD.sub(r"{\g<0>}", name)
    first = base.split()
    if len(first) < 2 or not _NAME_SUFFIX.fullmatch(suffix):
        return "{" + name + "}"
    last = [first.pop()]
    while len(first) > 1 and first[-1][:1].islower():  # "de la Cruz": von and last
        last.insert(0, first.pop())
    return _AND_WORD.sub(r"{\g<0>}", f"{' '.join(last)}, {suffix}, {' '.join(first)}")


def bibtex_entry(paper: Paper, key: str) -> str:
    """One BibTeX entry: @inproceedings/@article with a venue, else @misc with eprint/url."""
    fields: list[tuple[str, str]] = [("title", "{" + bib_escape(paper.title) + "}")]
    names = list(paper.authors)
    more = paper.authors_truncated or (paper.author_count or 0) > len(names)
    if names and _ET_AL.fullmatch(names[-1]):  # "Yutao Sun, et al." copied from a paper:
        names.pop()  # BibTeX's "and others", not an author surnamed "al."
        more = True
    if names:
        fields.append(("author", " and ".join(bib_name(bib_escape(n)) for n in names) +
                       (" and others" if more else "")))
    kind = entry_type(paper)
    venue_field = _VENUE_FIELDS.get(kind, "howpublished")
    if paper.venue and venue_field:
        fields.append((venue_field, bib_escape(paper.venue)))
    if paper.display_year:
        fields.append(("year", str(paper.display_year)))
    if paper.date and len(paper.date) >= 7:
        fields.append(("month", MONTHS[int(paper.date[5:7]) - 1]))
    if paper.date and len(paper.date) == 10:
        fields.append(("date", paper.date))  # (BibLaTeX's, with the day)
    for name in ("volume", "pages", "publisher"):
        value = getattr(paper, name)
        if value:
            fields.append((name, bib_escape(value.replace("\u2013", "--"))))
    eprint = arxiv_id(paper)
    if eprint:  # (written by hand, the id and the category may hold a brace: escaped)
        fields += [("eprint", bib_escape(eprint)), ("archiveprefix", "arXiv")]
        if paper.category:
            category = paper.category if "." in paper.category else f"cs.{paper.category}"
            fields.append(("primaryclass", bib_escape(category)))
    if paper.doi:  # (verbatim fields, as biblatex reads them: no escapes, braces encoded)
        fields.append(("doi", _verbatim(doi_name(paper.doi))))
    link = paper.url or paper.pdf
    if link:
        fields.append(("url", _verbatim(link)))
    keywords = list(dict.fromkeys([*paper.tags, *paper.keywords]))
    if keywords:
        fields.append(("keywords", bib_escape(", ".join(keywords))))
    width = max(len(name) for name, _ in fields)
    body = ",\n".join(f"  {name.ljust(width)} = " + (value if name == "month" else f"{{{value}}}")
                      for name, value in fields)
    return f"@{kind}{{{key},\n{body}\n}}\n"


def papers_bib(entries: Mapping[str, str], keys: Mapping[str, str]) -> bytes:
    """The whole list as BibTeX (slug -> entry), sorted by key."""
    return "\n".join(entries[slug] for slug in sorted(entries, key=keys.__getitem__)) \
        .encode("utf-8")


def patch_papers_bib(old: bytes, changes: Iterable[tuple[str, str]]) -> bytes | None:
    """papers.bib (``old``, as ``papers_bib`` wrote it) with entries replaced, each
    (entry as it was, entry now) of the same key: what ``papers_bib`` makes with those
    entries. None when an entry is not in ``old`` exactly once, as a whole entry."""
    for before, after in changes:
        was = before.encode("utf-8")
        at = old.find(was)
        end = at + len(was)
        if at < 0 or old.find(was, at + 1) >= 0 or old[at - 1:at] not in (b"", b"\n") or \
                old[end:end + 1] not in (b"", b"\n"):
            return None
        whole = memoryview(old)
        old = b"".join((whole[:at], after.encode("utf-8"), whole[end:]))
    return old


# --- citations -------------------------------------------------------------------------

def _author_list(paper: Paper) -> str:
    names = list(paper.authors)
    more = paper.authors_truncated or (paper.author_count or 0) > len(names)
    if not names:
        return ""
    if more:
        return ", ".join(names) + ", et al."
    if len(names) == 1:
        return names[0]
    if len(names) == 2:
        return f"{names[0]} and {names[1]}"
    return ", ".join(names[:-1]) + ", and " + names[-1]


def citation_text(paper: Paper, title: str, url: str = "") -> str:
    """A plain-text reference, ACL style: ``A, B, and C. 2025. Title. Venue. URL``; with
    no author names known, the title leads: ``Title. 2025. Venue. URL``."""
    authors, year = _author_list(paper), str(paper.display_year or "")
    head = (authors, year, title.rstrip(".")) if authors else (title.rstrip("."), year)
    parts = [p for p in (*head, paper.venue or "") if p]
    text = ". ".join(p.rstrip(".") for p in parts) + "."
    return f"{text} {url}" if url else text


_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>])")


def citation_markdown(paper: Paper, title: str, url: str = "") -> str:
    """A Markdown reference: ``A, B, and C (2025). [Title](url). *Venue*.``."""
    def esc(text: str) -> str:
        return _MD_SPECIAL.sub(r"\\\1", text)
    # ("<" and ">" encoded: one ended the <…> target, and what followed it in the URL was
    # read as Markdown of its own: a link, [x](javascript:…))
    target = url.replace("<", "%3C").replace(">", "%3E")
    target = f"<{target}>" if re.search(r"[\s()]", target) else target
    linked = f"[{esc(title)}]({target})" if url else esc(title)
    head = esc(_author_list(paper))
    year = f" ({paper.display_year})" if paper.display_year else ""
    text = f"{head}{year}. {linked}." if head else f"{linked}{year}."  # (no names: title first)
    if paper.venue:
        text += f" *{esc(paper.venue)}*."
    return text


# --- Atom, sitemap, robots, JSON ------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class FeedText:
    """What the feed shows of a paper, rendered once by the page renderer."""

    title: str  # plain text
    content_html: str


def _uuid(site_title: str, name: str) -> str:
    return "urn:uuid:" + str(uuid.uuid5(uuid.NAMESPACE_URL, f"readinglist:{site_title}:{name}"))


# Characters XML 1.0 forbids even escaped (C0 controls but tab and newlines, lone
# surrogates, U+FFFE/U+FFFF): one in a title made the whole feed unreadable.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
    element = ET.SubElement(parent, tag, {k: _NOT_XML.sub("", v) for k, v in attrs.items()})
    if text is not None:
        element.text = _NOT_XML.sub("", text)
    return element


def _xml(root: ET.Element) -> bytes:
    ET.indent(root)
    return b'<?xml version="1.0" encoding="utf-8"?>\n' + \
        ET.tostring(root, encoding="utf-8", xml_declaration=False) + b"\n"


def feed_papers(site: Site, size: int, slugs: Iterable[str] | None = None) -> list[Shape]:
    """The newest additions (of ``slugs``, default every paper): by ``added``, then date,
    then site order."""
    ordered = [site.by_slug[s].shape for s in slugs] if slugs is not None else \
        [p.shape for p in site.papers]  # already newest first by date
    ordered = sorted(ordered, key=lambda p: p.added or "", reverse=True)
    return ordered[:size]


XML_BASE = "{http://www.w3.org/XML/1998/namespace}base"


def atom_feed(site: Site, config: Config, texts: Mapping[str, FeedText],
              term: Term | None = None) -> bytes:
    """feed.xml, Atom 1.0, or a term's, beside its page (``term.feed_url``): the papers of
    ``texts`` (slug -> text, in the order of ``feed_papers``: the newest additions, as
    the build keyed the feed by)."""
    ET.register_namespace("", ATOM_NS)
    papers = [site.by_slug[slug].shape for slug in texts]
    base = config.site_url
    path = term.feed_url if term else "feed.xml"
    root = page_root(path)  # links without a site URL are relative to the feed
    epoch = source_epoch().strftime("%Y-%m-%dT%H:%M:%SZ")
    stamps = {p.slug: _rfc3339(p.added) or _rfc3339(p.date) or
              _rfc3339(str(p.year) if p.year else None) or epoch for p in papers}
    feed = ET.Element(f"{{{ATOM_NS}}}feed")
    a = f"{{{ATOM_NS}}}"
    _sub(feed, a + "title", f"{config.title}: {term.name}" if term else config.title)
    if config.description and not term:
        _sub(feed, a + "subtitle", config.description)
    if term:
        _sub(feed, a + "id", absolute_url(base, term.url) or _uuid(config.title, term.url))
    else:
        _sub(feed, a + "id", base if base else _uuid(config.title, "feed"))
    _sub(feed, a + "updated", max(stamps.values(), default=epoch))
    if term:
        alternate = absolute_url(base, term.url) or root + pretty_url(term.url)
    else:
        alternate = base or "index.html"
    _sub(feed, a + "link", href=alternate, rel="alternate", type="text/html")
    if base:
        _sub(feed, a + "link", href=base + path, rel="self", type="application/atom+xml")
    author = _sub(feed, a + "author")
    _sub(author, a + "name", config.author or config.title)
    _sub(feed, a + "generator", "readinglist")
    for paper in papers:
        url = paper_url(paper.slug)
        page = absolute_url(base, url) or root + pretty_url(url)
        entry = _sub(feed, a + "entry")
        _sub(entry, a + "title", texts[paper.slug].title)
        _sub(entry, a + "id", absolute_url(base, url) or _uuid(config.title, paper.slug))
        _sub(entry, a + "link", href=page, rel="alternate", type="text/html")
        _sub(entry, a + "updated", stamps[paper.slug])
        if paper.date:
            _sub(entry, a + "published", _rfc3339(paper.date) or "")
        for name in paper.authors:
            _sub(_sub(entry, a + "author"), a + "name", name)
        for tag in paper.tags:
            _sub(entry, a + "category", term=tag)
        # relative links and images in the notes resolve as on the paper's page
        _sub(entry, a + "content", texts[paper.slug].content_html, type="html",
             **{XML_BASE: page})
    return _xml(feed)


def sitemap(site: Site, config: Config, pages: Iterable[str]) -> bytes | None:
    """sitemap.xml over the given HTML pages; None without a site URL (it needs absolute URLs)."""
    if not config.site_url:
        return None
    ET.register_namespace("", SITEMAP_NS)
    s = f"{{{SITEMAP_NS}}}"
    lastmod = {p.url: p.shape.added or (p.shape.date if p.shape.date and
                                         len(p.shape.date) == 10 else None)
               for p in site.papers}
    root = ET.Element(s + "urlset")
    for page in sorted(pages):
        url = _sub(root, s + "url")
        _sub(url, s + "loc", absolute_url(config.site_url, page))
        if lastmod.get(page):
            _sub(url, s + "lastmod", lastmod[page])
    return _xml(root)


def robots_txt(config: Config) -> bytes:
    lines = ["User-agent: *", "Allow: /"]
    if config.site_url:
        lines.append(f"Sitemap: {config.site_url}sitemap.xml")
    return ("\n".join(lines) + "\n").encode("utf-8")


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    return str(value)


_PAPER_FIELDS = [f.name for f in dataclasses.fields(Paper) if f.name != "path"]
_ROW = json.JSONEncoder(sort_keys=True, ensure_ascii=False, default=_jsonable)


def papers_json_row(placed: SitePaper, paper: Paper, key: str) -> str:
    """One paper's line of papers.json (sorted keys), from the paper and its place."""
    data = {name: getattr(paper, name) for name in _PAPER_FIELDS}
    data["page"] = placed.url
    data["bibtex_key"] = key
    return _ROW.encode(data)


def papers_json(site: Site, config: Config, row: Callable[[SitePaper], str]) -> bytes:
    """papers.json: every paper's data in site order, for other tools (sorted keys);
    ``row``: a paper's line (see ``papers_json_row``)."""
    lines = [row(placed) for placed in site.papers]
    slot = "\x00papers\x00"
    doc = json.dumps({"title": config.title, "description": config.description,
                      "url": config.site_url or None, "count": len(lines), "papers": slot},
                     sort_keys=True, ensure_ascii=False)
    # one paper per line, so that a diff of the file stays readable
    papers = "[\n" + ",\n".join(lines) + "\n]" if lines else "[]"
    return (doc.replace(json.dumps(slot), papers, 1) + "\n").encode("utf-8")


def patch_papers_json(old: bytes, rows: Mapping[int, str], count: int) -> bytes | None:
    """papers.json of ``count`` papers (``old``, as ``papers_json`` wrote it) with the rows
    at these positions replaced: what ``papers_json`` makes of the same site with those
    papers edited. None when ``old`` does not have that shape."""
    # JSON text has no raw newline: the file is a line up to "[", one line per row, and
    # the rest from "]" on
    if not count or old.count(b"\n") != count + 2 or not old.endswith(b"\n"):
        return None
    starts = [old.index(b"\n") + 1]  # where the rows' lines start, as far as needed
    end = old.rindex(b"\n", 0, len(old) - 1) + 1  # the start of the last line
    if old[starts[0] - 2:starts[0] - 1] != b"[" or old[end:end + 1] != b"]":
        return None
    while len(starts) <= max(rows, default=0) + 1:
        starts.append(old.index(b"\n", starts[-1]) + 1)
    whole = memoryview(old)  # (its slices are not copies: the join is the one copy)
    out: list[bytes | memoryview] = []
    done = 0
    for i, row in sorted(rows.items()):
        out += whole[done:starts[i]], row.encode("utf-8"), b",\n" if i < count - 1 else b"\n"
        done = starts[i + 1]
    out.append(whole[done:])
    return b"".join(out)
