"""Search: papers -> a lunr index and result rows, as scripts a page can load from file://.

The index is a lunr 2.3.9 index over eight fields (title, author, tag, org, venue, year,
abstract, notes; boosted so title and author hits rank above abstract hits). It ships as
three scripts, each pushing its part onto ``self.readinglistSearch`` (no fetch/XHR, which
browsers refuse on file://), all loaded by ``themes/default/static/js/search.js`` on the
first use of the search box:

* ``search/meta.js``: the title/author/tag/org/venue/year part of the index;
* ``search/docs.js``: the result rows (slug, title, short authors, year, venue, snippet),
  beside the index, not in it; these two give the first results;
* ``search/text.js``: the abstract and notes part, loaded after the first results.

The encoding is compact: per field and paper, the sorted ids of its terms (repeated tf
times, delta-coded), the terms themselves once, and the document frequency of the first
part's terms. The browser scores the field vectors with lunr.Builder's own formula and
derives the postings, so what it searches is exactly the index lunr.Builder would build
(tests/test_search.py checks it against lunr.py's Builder, and the search results against
lunr.js's ``Index#query`` and lunr.py). Term ids 0..M-1 are the first part's vocabulary,
M.. the words found only in abstracts and notes.

Text processing is ours, not lunr's default, and search.js repeats it exactly for
queries: NFKC, lower case, words are runs of letters and digits (``3.5`` stays one word),
lunr's stop-word list, and lunr.js's Porter stemmer (ported here: lunr.py's stemmer
differs from lunr.js on words ending in y, such as survey, key or deploy).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from operator import sub

from lunr.stop_word_filter import WORDS as _LUNR_STOP_WORDS

from generator.config import Config
from generator.markdown import plain_inline
from generator.model import Paper

FORMAT = "readinglist-search/1"
LUNR_VERSION = "2.3.9"
META_PATH = "search/meta.js"
DOCS_PATH = "search/docs.js"
TEXT_PATH = "search/text.js"
PAPER_URL = "papers/{slug}/index.html"
GLOBAL = "readinglistSearch"  # shard scripts push [part, payload] onto self[GLOBAL]
SNIPPET_CHARS = 140
AUTHORS_SHOWN = 3
K1 = 1.2
B = 0.75


@dataclass(frozen=True)
class SearchField:
    name: str  # the lunr field name, also the query syntax's `name:`
    boost: float
    part: str  # "meta" (loaded first) or "text"


FIELDS: tuple[SearchField, ...] = (
    SearchField("title", 10, "meta"),
    SearchField("author", 8, "meta"),
    SearchField("tag", 6, "meta"),
    SearchField("org", 4, "meta"),
    SearchField("venue", 2, "meta"),
    SearchField("year", 2, "meta"),
    SearchField("abstract", 1, "text"),
    SearchField("notes", 2, "text"),
)
PARTS = (("meta", META_PATH), ("docs", DOCS_PATH), ("text", TEXT_PATH))
STOP_WORDS = frozenset(_LUNR_STOP_WORDS)

# --- text processing (mirrored in search.js: keep the two in step) -------------------

# A word: letters and digits, with a dot kept between two digits ("qwen2.5", "3.5").
# Python's [^\W_] is JavaScript's [\p{L}\p{N}].
_WORD = re.compile(r"[^\W_]+(?:\.(?<=[0-9]\.)(?=[0-9])[^\W_]+)*")
_ASCII_WORD = re.compile(r"[a-z0-9]+(?:\.(?<=[0-9]\.)(?=[0-9])[a-z0-9]+)*")  # same, faster


def words(text: str) -> list[str]:
    """Text -> its words, NFKC-normalised and lower-cased (stop words kept)."""
    if text.isascii():
        return _ASCII_WORD.findall(text.lower())
    return _WORD.findall(unicodedata.normalize("NFKC", text).lower())


# lunr.js 2.3.9's Porter stemmer, regex for regex (lunr/lib/stemmer.js).
_c = "[^aeiou]"
_v = "[aeiouy]"
_C = _c + "[^aeiouy]*"
_V = _v + "[aeiou]*"
_MGR0 = re.compile("^(" + _C + ")?" + _V + _C)
_MEQ1 = re.compile("^(" + _C + ")?" + _V + _C + "(" + _V + ")?$")
_MGR1 = re.compile("^(" + _C + ")?" + _V + _C + _V + _C)
_S_V = re.compile("^(" + _C + ")?" + _v)
_RE_1A = re.compile(r"^(.+?)(ss|i)es$")
_RE2_1A = re.compile(r"^(.+?)([^s])s$")
_RE_1B = re.compile(r"^(.+?)eed$")
_RE2_1B = re.compile(r"^(.+?)(ed|ing)$")
_RE2_1B_2 = re.compile(r"(at|bl|iz)$")
_RE3_1B_2 = re.compile(r"([^aeiouylsz])\1$")
_RE4_1B_2 = re.compile("^" + _C + _v + "[^aeiouwxy]$")
_RE_1C = re.compile(r"^(.+?[^aeiou])y$")
_STEP2 = {
    "ational": "ate", "tional": "tion", "enci": "ence", "anci": "ance", "izer": "ize",
    "bli": "ble", "alli": "al", "entli": "ent", "eli": "e", "ousli": "ous", "ization": "ize",
    "ation": "ate", "ator": "ate", "alism": "al", "iveness": "ive", "fulness": "ful",
    "ousness": "ous", "aliti": "al", "iviti": "ive", "biliti": "ble", "logi": "log",
}
_STEP3 = {"icate": "ic", "ative": "", "alize": "al", "iciti": "ic", "ical": "ic", "ful": "",
          "ness": ""}
_RE_2 = re.compile(r"^(.+?)(ational|tional|enci|anci|izer|bli|alli|entli|eli|ousli|ization|"
                   r"ation|ator|alism|iveness|fulness|ousness|aliti|iviti|biliti|logi)$")
_RE_3 = re.compile(r"^(.+?)(icate|ative|alize|iciti|ical|ful|ness)$")
_RE_4 = re.compile(r"^(.+?)(al|ance|ence|er|ic|able|ible|ant|ement|ment|ent|ou|ism|ate|iti|"
                   r"ous|ive|ize)$")
_RE2_4 = re.compile(r"^(.+?)(s|t)(ion)$")
_RE_5 = re.compile(r"^(.+?)e$")
_RE3_5 = re.compile("^" + _C + _v + "[^aeiouwxy]$")


def porter_stem(w: str) -> str:
    """One lower-case word -> its stem, exactly as lunr.js 2.3.9's ``lunr.stemmer``."""
    if len(w) < 3 or any(ord(ch) > 0xFFFF for ch in w):
        return w  # astral characters: JavaScript would count UTF-16 units; leave alone
    first_y = w[0] == "y"
    if first_y:
        w = "Y" + w[1:]
    # Step 1a
    if m := _RE_1A.match(w):
        w = m[1] + m[2]
    elif m := _RE2_1A.match(w):
        w = m[1] + m[2]
    # Step 1b
    if m := _RE_1B.match(w):
        if _MGR0.search(m[1]):
            w = w[:-1]
    elif m := _RE2_1B.match(w):
        stem = m[1]
        if _S_V.search(stem):
            w = stem
            if _RE2_1B_2.search(w):
                w += "e"
            elif _RE3_1B_2.search(w):
                w = w[:-1]
            elif _RE4_1B_2.search(w):
                w += "e"
    # Step 1c
    if m := _RE_1C.match(w):
        w = m[1] + "i"
    # Step 2
    if (m := _RE_2.match(w)) and _MGR0.search(m[1]):
        w = m[1] + _STEP2[m[2]]
    # Step 3
    if (m := _RE_3.match(w)) and _MGR0.search(m[1]):
        w = m[1] + _STEP3[m[2]]
    # Step 4
    if m := _RE_4.match(w):
        if _MGR1.search(m[1]):
            w = m[1]
    elif m := _RE2_4.match(w):
        stem = m[1] + m[2]
        if _MGR1.search(stem):
            w = stem
    # Step 5
    if m := _RE_5.match(w):
        stem = m[1]
        if _MGR1.search(stem) or (_MEQ1.search(stem) and not _RE3_5.search(stem)):
            w = stem
    if w.endswith("ll") and _MGR1.search(w):
        w = w[:-1]
    if first_y:
        w = "y" + w[1:]
    return w


class Stemmer(dict[str, str]):
    """Memoised ``porter_stem`` over a build's vocabulary; stop words map to ''."""

    def __missing__(self, word: str) -> str:
        stem = self[word] = "" if word in STOP_WORDS else porter_stem(word)
        return stem

    def terms(self, text: str) -> list[str]:
        """Text -> index terms: words without lunr's stop words, stemmed."""
        return list(filter(None, map(self.__getitem__, words(text))))


# --- what is indexed and shown ------------------------------------------------------

_VENUE_ACRONYMS = (
    ("north american chapter of the association for computational linguistics", "naacl"),
    ("european chapter of the association for computational linguistics", "eacl"),
    ("transactions of the association for computational linguistics", "tacl"),
    ("association for computational linguistics", "acl"),
    ("empirical methods in natural language processing", "emnlp"),
    ("international conference on computational linguistics", "coling"),
    ("neural information processing systems", "neurips"),
    ("international conference on learning representations", "iclr"),
    ("international conference on machine learning", "icml"),
    ("conference on language modeling", "colm"),
    ("computer vision and pattern recognition", "cvpr"),
    ("association for the advancement of artificial intelligence", "aaai"),
)


def _venue_text(paper: Paper) -> str:
    """The venue as indexed: its name, its usual acronym (venue:acl) and the arXiv category."""
    venue = paper.venue or ""
    low = " ".join(words(venue))
    extra = [short for long, short in _VENUE_ACRONYMS if long in low]
    return " ".join([venue, *extra, paper.category or ""])


def field_texts(paper: Paper) -> dict[str, str]:
    """A paper -> the text of each search field (lists joined, so surnames are words)."""
    year = paper.display_year
    return {
        "title": paper.title,
        "author": ", ".join(paper.authors),
        "tag": " ".join(paper.tags),
        "org": " ".join(paper.organizations),
        "venue": _venue_text(paper),
        "year": str(year) if year else "",
        "abstract": paper.abstract,
        "notes": paper.notes,
    }


_MARKUP = re.compile(r"\*\*|__|[*`$]|\\(?:textbf|textit|emph|url|href)\{|(?<!\\)[{}]")


def snippet_source(paper: Paper, limit: int = SNIPPET_CHARS) -> str:
    """The start of the abstract (or notes), markup stripped, cut at a word boundary."""
    text = plain_inline((paper.abstract or paper.notes)[:limit * 3])  # ReLU$^2$ -> ReLU²
    text = " ".join(_MARKUP.sub("", text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _authors_short(paper: Paper) -> str:
    names = list(paper.authors) or list(paper.organizations)
    shown = ", ".join(names[:AUTHORS_SHOWN])
    if len(names) > AUTHORS_SHOWN or (paper.authors and paper.authors_truncated):
        shown += " et al."
    return shown


def _venue_short(paper: Paper, limit: int = 60) -> str:
    venue = " ".join((paper.venue or "").split())
    if len(venue) <= limit:
        return venue
    cut = venue[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:(") + "…"


def result_row(paper: Paper) -> list:
    """What a result shows: [slug, title, authors, year, venue, snippet]."""
    return [paper.slug, plain_inline(paper.title), _authors_short(paper), paper.display_year or 0,
            _venue_short(paper), snippet_source(paper)]


def document_order(papers: Iterable[Paper]) -> list[Paper]:
    """The fixed order documents enter the index: newest first, then by slug.

    The position is the lunr ref, and equal scores keep this order in the browser."""
    return sorted(sorted(papers, key=lambda p: p.slug), key=lambda p: p.sort_date, reverse=True)


# --- the index -----------------------------------------------------------------------

def _utf16_key(term: str) -> bytes:
    """JavaScript's string order (lunr's TokenSet.Builder insists on it)."""
    return term.encode("utf-16-be", "surrogatepass")


@dataclass
class BuiltIndex:
    """What lunr.Builder counts before it scores: terms per field and document."""

    fields: tuple[SearchField, ...]
    terms: list[str]  # term id -> term; meta vocabulary first (sorted), then the rest
    meta_term_count: int
    df: list[int]  # term id -> documents with the term, once per field (lunr.idf)
    # per field: per document, the sorted term ids of its terms, repeated tf times
    ids: dict[str, list[list[int]]]


TermMemo = dict[tuple[str, ...], tuple[list[str], ...]]


def build_index(papers: Sequence[Paper],
                texts: Callable[[Paper], dict[str, str]] = field_texts,
                fields: tuple[SearchField, ...] = FIELDS,
                memo: TermMemo | None = None) -> BuiltIndex:
    """Papers in document order -> the counts lunr.Builder scores its field vectors from.

    ``memo`` (field texts -> their terms) lets a later build skip the papers that did not
    change; it is left holding this build's papers only."""
    stemmer = Stemmer()
    per_field: dict[str, list[list[str]]] = {f.name: [] for f in fields}
    used: TermMemo = {}
    for paper in papers:
        text = texts(paper)
        key = tuple(text.get(f.name) or "" for f in fields)
        terms = memo.get(key) if memo is not None else None
        if terms is None:
            terms = tuple(stemmer.terms(t) for t in key)
        used[key] = terms
        for f, field_terms in zip(fields, terms, strict=True):
            per_field[f.name].append(field_terms)
    if memo is not None:
        memo.clear()
        memo.update(used)
    df: Counter[str] = Counter()
    for f in fields:
        for row in per_field[f.name]:
            df.update(set(row))
    meta_vocab = {t for f in fields if f.part == "meta" for ts in per_field[f.name] for t in ts}
    vocab = sorted(meta_vocab, key=_utf16_key)
    vocab += sorted((t for t in df if t not in meta_vocab), key=_utf16_key)
    term_id = {t: i for i, t in enumerate(vocab)}.__getitem__
    ids = {name: [sorted(map(term_id, terms)) for terms in rows]
           for name, rows in per_field.items()}
    return BuiltIndex(fields, vocab, len(meta_vocab), [df[t] for t in vocab], ids)


def _delta(rows: list[list[int]]) -> list[list[int]]:
    """Sorted ids -> the first id, then each id minus the one before it."""
    return [row[:1] + list(map(sub, row[1:], row)) for row in rows]


def encode_parts(index: BuiltIndex, docs: list[list]) -> dict[str, dict]:
    """The index and result rows -> the three shipped payloads (see the module docstring)."""
    parts = {}
    m = index.meta_term_count
    for part in ("meta", "text"):
        fields = [f for f in index.fields if f.part == part]
        payload: dict = {
            "format": FORMAT,
            "part": part,
            "lunr": LUNR_VERSION,
            "fields": [[f.name, f.boost] for f in index.fields],
            "partFields": [f.name for f in fields],
            "docCount": len(docs),
            "termBase": 0 if part == "meta" else m,
            "terms": index.terms[:m] if part == "meta" else index.terms[m:],
            "ids": [_delta(index.ids[f.name]) for f in fields],
        }
        if part == "meta":
            payload["df"] = index.df[:m]  # text-only terms: the browser counts them
        parts[part] = payload
    parts["docs"] = {"format": FORMAT, "part": "docs", "docCount": len(docs), "url": PAPER_URL,
                     "docs": docs}
    return parts


def shard_script(part: str, payload: dict) -> bytes:
    """A payload -> an ASCII script that hands it to search.js (no fetch: file:// works)."""
    text = json.dumps(payload, ensure_ascii=True, sort_keys=True, separators=(",", ":"))
    literal = text.replace("\\", "\\\\").replace("'", "\\'")
    return (f"/* readinglist search index, part '{part}': generated, do not edit */\n"
            f"(self.{GLOBAL}=self.{GLOBAL}||[]).push(['{part}',JSON.parse('{literal}')]);\n"
            ).encode("ascii")


def search_outputs(papers: Sequence[Paper], config: Config,
                   memo: TermMemo | None = None) -> dict[str, bytes]:
    """Papers -> {site-relative path: bytes} of the search index scripts.

    Pass the same ``memo`` dict to successive builds (the dev server) to re-read only the
    papers that changed; the output does not depend on it."""
    del config  # nothing configurable yet; kept for the build's uniform stage signature
    ordered = document_order(papers)
    index = build_index(ordered, memo=memo)
    parts = encode_parts(index, [result_row(p) for p in ordered])
    return {path: shard_script(part, parts[part]) for part, path in PARTS}
