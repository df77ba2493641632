"""Search: papers -> a lunr index and result rows, as scripts a page can load from file://.

The index is a lunr 2.3.9 index over eight fields (title, author, tag, org, venue, year,
abstract, notes; boosted so title and author hits rank above abstract hits). It ships as
three scripts, each pushing its part onto ``self.readinglistSearch`` (no fetch/XHR, which
browsers refuse on file://), all loaded by ``themes/default/static/js/search.js`` on the
first use of the search box:

* ``search/meta.js``: the title/author/tag/org/venue/year part of the index;
* ``search/docs.js``: the result rows (slug, title, first authors, year, venue, snippet),
  beside the index, not in it; these two give the first results;
* ``search/text.js``: the abstract and notes part, loaded after the first results.

Two more shards, made with the other data files (generator.plan) and loaded only when
needed, so they never delay a first result:

* ``search/facets.js``: per-paper facts in document order, for the filters (``status:``,
  ``rating:``, ``has:``, ``in:``), the sorts and the facet counts (``facets_payload``);
* ``search/bib.js``: slug -> the paper's BibTeX entry, as in papers.bib, for "Download
  BibTeX" (``bib_payload``).

The encoding is compact: per field and paper, the sorted ids of its terms (repeated tf
times, delta-coded), the terms themselves once, and the document frequency of the first
part's terms. The browser scores the field vectors with lunr.Builder's own formula and
derives the postings, so what it searches is exactly the index lunr.Builder would build
(tests/test_search.py checks it against lunr.py's Builder, and the search results against
lunr.js's ``Index#query`` and lunr.py). Term ids 0..M-1 are the first part's vocabulary,
M.. the words found only in abstracts and notes.

A build keeps its index for the next (``SearchMemo``; generator.plan pickles it in
``.cache/search.pickle``): papers whose content did not change are not read again, and
their encoded rows are reused, or renumbered when the vocabulary changed. What is shipped
is byte for byte what a build from nothing makes.

Text processing is ours, not lunr's default, and search.js repeats it exactly for
queries: NFKC, lower case, words are runs of letters and digits (``3.5`` stays one word)
but a run of Chinese, Japanese or Korean letters gives its pairs of letters, lunr's
stop-word list, and lunr.js's Porter stemmer (ported here: lunr.py's stemmer
differs from lunr.js on words ending in y, such as survey, key or deploy).
"""

from __future__ import annotations

import functools
import hashlib
import json
import marshal
import re
import unicodedata
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from operator import itemgetter, sub
from typing import NamedTuple

from lunr.stop_word_filter import WORDS as _LUNR_STOP_WORDS

from generator.config import Config
from generator.markdown import (
    is_plain,
    plain_inline,
    render_markdown_with_text,
    tex_words,
    without_footnote_marks,
)
from generator.model import STATUSES, Paper, authors_counted
from generator.reading import Facts
from generator.site import Site, document_order

FORMAT = "readinglist-search/1"
LUNR_VERSION = "2.3.9"
META_PATH = "search/meta.js"
DOCS_PATH = "search/docs.js"
TEXT_PATH = "search/text.js"
FACETS_PATH = "search/facets.js"
BIB_PATH = "search/bib.js"
PAPER_URL = "papers/{slug}/index.html"
GLOBAL = "readinglistSearch"  # shard scripts push [part, payload] onto self[GLOBAL]
SNIPPET_CHARS = 140
AUTHORS_SHOWN = 3
ET_AL = "et al."  # the last of a result's names when it has more (search.js knows it)
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


# ASCII: upper case to lower, every character that is neither a letter, a digit nor a dot
# to a space (str.translate and str.split are quicker than the regex)
_ASCII_FOLD = {i: chr(i).lower() if chr(i).isalpha() else " " for i in range(128)
               if not (chr(i).isdigit() or "a" <= chr(i) <= "z" or chr(i) == ".")}


# Chinese, Japanese and Korean letters (Han, Hiragana, Katakana, Hangul): written without
# spaces between words (Korean: without spaces between a word and its particles), so a run
# of them is indexed as its overlapping pairs of letters ("语言模型": 语言 言模 模型), as
# Lucene's CJKBigramFilter does; a query finds any run of 2+ letters inside a longer one.
# A lone letter (its run is one letter long) is a word of its own. search.js has the same
# ranges (CJK): keep them in step.
CJK_RANGES = ("\u1100-\u11ff\u2e80-\u2fdf\u3005-\u3007\u3021-\u3029\u3038-\u303c"
              "\u3040-\u30ff\u3130-\u318f\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff"
              "\ua960-\ua97f\uac00-\ud7ff\uf900-\ufaff\uff66-\uffdc"
              "\U00020000-\U0003ffff")
_CJK = re.compile(f"[{CJK_RANGES}]")
_CJK_OR_NOT = re.compile(f"[{CJK_RANGES}]+|[^{CJK_RANGES}]+")


def cjk_pairs(run: str) -> list[str]:
    """A run of CJK letters -> its words: each letter with the next, or the lone letter."""
    return [run[i:i + 2] for i in range(len(run) - 1)] if len(run) > 1 else [run]


def words(text: str) -> list[str]:
    """Text -> its words, NFKC-normalised and lower-cased (stop words kept); a run of CJK
    letters as its pairs of letters (``cjk_pairs``)."""
    if text.isascii():
        folded = text.translate(_ASCII_FOLD).replace(". ", " ").rstrip(".")
        if "." not in folded:  # the dots all ended sentences: the words are what is left
            return folded.split()
        return _ASCII_WORD.findall(text.lower())
    text = unicodedata.normalize("NFKC", text).lower()
    found = _WORD.findall(text)
    if not _CJK.search(text):
        return found
    out: list[str] = []
    for word in found:
        if not _CJK.search(word):
            out.append(word)
            continue
        for piece in _CJK_OR_NOT.findall(word):  # "qwen2.5の推論": qwen2.5, の推, 推論
            if _CJK.match(piece):
                out += cjk_pairs(piece)
            else:
                out.append(piece)
    return out


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
_STEP2_ENDS = tuple(_STEP2)
_STEP3_ENDS = tuple(_STEP3)
_STEP4_ENDS = ("al", "ance", "ence", "er", "ic", "able", "ible", "ant", "ement", "ment", "ent",
               "ou", "ism", "ate", "iti", "ous", "ive", "ize", "sion", "tion")
_RE_5 = re.compile(r"^(.+?)e$")
_RE3_5 = re.compile("^" + _C + _v + "[^aeiouwxy]$")


def porter_stem(w: str) -> str:
    """One lower-case word -> its stem, exactly as lunr.js 2.3.9's ``lunr.stemmer``."""
    if len(w) < 3 or not w.isascii() and max(w) > "\uffff":
        return w  # astral characters: JavaScript would count UTF-16 units; leave alone
    first_y = w[0] == "y"
    if first_y:
        w = "Y" + w[1:]
    # (each regex is tried only when the word has an ending it could match: much faster)
    # Step 1a
    if not w.endswith("s"):
        pass
    elif m := _RE_1A.match(w):
        w = m[1] + m[2]
    elif m := _RE2_1A.match(w):
        w = m[1] + m[2]
    # Step 1b
    if not w.endswith(("ed", "ing")):
        pass
    elif m := _RE_1B.match(w):
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
    if w.endswith("y") and (m := _RE_1C.match(w)):
        w = m[1] + "i"
    # Step 2
    if w.endswith(_STEP2_ENDS) and (m := _RE_2.match(w)) and _MGR0.search(m[1]):
        w = m[1] + _STEP2[m[2]]
    # Step 3
    if w.endswith(_STEP3_ENDS) and (m := _RE_3.match(w)) and _MGR0.search(m[1]):
        w = m[1] + _STEP3[m[2]]
    # Step 4
    if not w.endswith(_STEP4_ENDS):
        pass
    elif m := _RE_4.match(w):
        if _MGR1.search(m[1]):
            w = m[1]
    elif m := _RE2_4.match(w):
        stem = m[1] + m[2]
        if _MGR1.search(stem):
            w = stem
    # Step 5
    if w.endswith("e") and (m := _RE_5.match(w)):
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
    """A paper -> the text of each search field (lists joined, so surnames are words). The
    title as it is shown (``Schr\\"odinger`` is found as Schrödinger, ``$\\mathcal{O}$`` not
    as mathcal), as the result row shows it; the abstract and notes by the words their
    LaTeX shows (``\\times`` is no word)."""
    year = paper.display_year
    return {
        "title": plain_inline(paper.title),
        "author": ", ".join(paper.authors),
        "tag": " ".join(paper.tags),
        "org": " ".join(paper.organizations),
        "venue": _venue_text(paper),
        "year": str(year) if year else "",
        "abstract": tex_words(paper.abstract),
        "notes": tex_words(without_footnote_marks(paper.notes)),
    }


# (the lookahead only lets the regex engine skip to candidate characters quickly)
_MARKUP = re.compile(r"(?=[*_`$\\{}])(?:\*\*|__|[*`$]|\\(?:textbf|textit|emph|url|href)\{|"
                     r"(?<!\\)[{}])")


def snippet_source(paper: Paper, limit: int = SNIPPET_CHARS) -> str:
    """The start of the abstract (or notes), markup stripped, cut at a word boundary."""
    source = (paper.abstract or paper.notes)[:limit * 3]
    head = source.rstrip()  # a cut that ends in a space is no reason to parse Markdown:
    if is_plain(head):
        text = " ".join(head.split())
    elif paper.abstract:
        text = plain_inline(source)  # ReLU$^2$ -> ReLU²
    else:  # notes are blocks: '# Summary', '- [ ] read', '> quote' show their words only
        # (and a footnote's words; its reference, when the cut left out its definition, none)
        text = without_footnote_marks(" ".join(
            render_markdown_with_text(source, footnote_ids="")[1].split()))
    text = " ".join(_MARKUP.sub("", text).split())
    if len(text) <= limit:
        return text
    cut = text[:limit + 1].rsplit(" ", 1)[0] if " " in text[:limit] else text[:limit]
    return cut.rstrip(" ,;:.") + "…"


def _authors_short(paper: Paper) -> list[str]:
    """The names a result shows, spaced as the cards show them, then ET_AL when there are
    more; without names, how many authors the listing said there are. A list, not one
    string: a name may hold a comma ("Lovelace, Ada"), and search.js marks the user's own
    names (``highlight_authors``) one by one."""
    names = paper.authors or paper.organizations
    if not names and paper.author_count:  # as the card says it: "5 authors"
        return [authors_counted(paper.author_count)]
    shown = [" ".join(name.split()) for name in names[:AUTHORS_SHOWN]]
    if len(names) > AUTHORS_SHOWN or (paper.authors and paper.authors_truncated):
        shown.append(ET_AL)
    return shown


def _venue_short(paper: Paper, limit: int = 60) -> str:
    venue = " ".join((paper.venue or "").split())
    if len(venue) <= limit:
        return venue
    cut = venue[:limit]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut).rstrip(" ,;:(") + "…"


def result_row(paper: Paper) -> list:
    """What a result shows: [slug, title, [author, ...], year, venue, snippet]."""
    return [paper.slug, plain_inline(paper.title), _authors_short(paper), paper.display_year or 0,
            _venue_short(paper), snippet_source(paper)]


# --- the index -----------------------------------------------------------------------
#
# A build's index is kept for the next (SearchMemo): each paper by a hash of what is read
# of it, with its result row and its term ids per field, and the counts of every term. The
# next build reads only the papers whose hash changed. While the vocabulary stays the same
# (no word new to the whole site, none gone from it, none moved between parts) the ids
# mean the same, and every other paper's encoded rows are joined as they are; otherwise
# the ids from the first one that changed on are renumbered, and only the ends of the
# rows that hold such ids are encoded again.

def paper_key(paper: Paper) -> str:
    """A hash of every field the index and the result row read: a paper whose key did not
    change indexes as before. Keep it in step with ``field_texts`` and ``result_row``."""
    data = marshal.dumps((paper.slug, paper.title, paper.authors, paper.authors_truncated,
                          paper.author_count, paper.organizations, paper.tags, paper.venue,
                          paper.category, paper.year, paper.date, paper.abstract, paper.notes),
                         0)  # version 0: by value only (no references, no interning flags)
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def _unique(keys: Iterable[str]) -> list[str]:
    """Keys made unique (a paper given twice is two documents)."""
    out: list[str] = []
    seen: set[str] = set()
    for key in keys:
        base, n = key, 1
        while key in seen:
            key, n = f"{base}+{n}", n + 1
        seen.add(key)
        out.append(key)
    return out


class IndexedPaper(NamedTuple):
    """One paper as the index holds it, for the vocabulary of the memo holding it."""

    row: str  # its result row, as JSON
    ids: bytes  # per field of FIELDS in turn: its sorted term ids, tf times each (array "i")
    sizes: tuple[int, ...]  # per field: how many ids
    encoded: tuple[str, ...]  # per field: its ids as shipped (JSON, delta-coded)

    def id_rows(self) -> list[array[int]]:
        """The ids, per field."""
        ids = array("i")
        ids.frombytes(self.ids)
        rows, start = [], 0
        for size in self.sizes:
            rows.append(ids[start:start + size])
            start += size
        return rows


def _indexed(row: str, ids: Sequence[Sequence[int]], encoded: Iterable[str]) -> IndexedPaper:
    """An IndexedPaper from its ids as lists (kept as bytes: they pickle fastest)."""
    return IndexedPaper(row, array("i", list(chain.from_iterable(ids))).tobytes(),
                        tuple(map(len, ids)), tuple(encoded))


@dataclass
class SearchMemo:
    """A build's index, kept for the next build (see above): the papers of exactly that
    build by key, the vocabulary their ids refer to, and the term counts."""

    papers: dict[str, IndexedPaper] = field(default_factory=dict)
    vocab: list[str] = field(default_factory=list)  # term id -> term (see ``vocabulary``)
    meta_count: int = 0  # M: terms 0..M-1 are the first part's
    df: Counter[str] = field(default_factory=Counter)  # term -> (paper, field) pairs with it
    in_meta: Counter[str] = field(default_factory=Counter)  # the same, in meta fields only

    def __getstate__(self) -> tuple:
        """Pickled by columns: plain lists of strings and bytes (pickle's quickest)."""
        return (list(self.papers), *map(list, zip(*self.papers.values(), strict=True)),
                self.vocab, self.meta_count, dict(self.df), dict(self.in_meta)) \
            if self.papers else ([], [], [], [], [], self.vocab, self.meta_count, {}, {})

    def __setstate__(self, state: tuple) -> None:
        keys, rows, ids, sizes, encoded, self.vocab, self.meta_count, df, in_meta = state
        self.papers = dict(zip(keys, map(IndexedPaper, rows, ids, sizes, encoded),
                               strict=True))
        self.df, self.in_meta = Counter(df), Counter(in_meta)


class _Numbering:
    """Numbers for this build's terms (``terms``: number -> term; 0: stop words), so that
    each text becomes a list of small ints in one pass over its words."""

    def __init__(self) -> None:
        self.stemmer = Stemmer()
        self.terms = [""]
        self.numbers = {"": 0}  # term -> number
        self.words: dict[str, int] = {}  # word -> the number of its term

    def numbered(self, text: str) -> list[int]:
        """Text -> the numbers of its terms, in text order, stop words left out."""
        found = words(text)
        try:  # a plain dict's lookups are quicker than those of one with __missing__
            return list(filter(None, map(self.words.__getitem__, found)))
        except KeyError:
            for word in set(found).difference(self.words):
                stem = self.stemmer[word]
                number = self.numbers.get(stem)
                if number is None:
                    number = self.numbers[stem] = len(self.terms)
                    self.terms.append(stem)
                self.words[word] = number
            return list(filter(None, map(self.words.__getitem__, found)))


def _utf16_key(term: str) -> bytes:
    """JavaScript's string order (lunr's TokenSet.Builder insists on it)."""
    return term.encode("utf-16-be", "surrogatepass")


def vocabulary(df: Counter[str], in_meta: Counter[str]) -> tuple[list[str], int]:
    """Term counts -> (term id -> term, M): ids 0..M-1 are the terms of the first part's
    fields, in JavaScript's string order, then the terms found only in the text part's."""
    meta = sorted((t for t, n in in_meta.items() if n > 0), key=_utf16_key)
    rest = sorted((t for t, n in df.items() if n > 0 and in_meta[t] <= 0), key=_utf16_key)
    return meta + rest, len(meta)


def _counts(papers: Iterable[Sequence[Iterable[int]]], terms: Sequence[str]
            ) -> tuple[Counter[str], Counter[str]]:
    """Papers as term numbers per field (``terms``: number -> term) -> (term -> pairs of
    (paper, field) with it, the same for meta fields only); a C loop per field."""
    df: Counter[str] = Counter()
    in_meta: Counter[str] = Counter()
    for f, rows in zip(FIELDS, zip(*papers, strict=True), strict=False):  # none: no rows
        counts = Counter(chain.from_iterable(map(set, rows)))
        named = {terms[n]: c for n, c in counts.items()}
        df.update(named)
        if f.part == "meta":
            in_meta.update(named)
    return df, in_meta


def _id_texts(count: int) -> Callable[[int], str]:
    """str() for the ints 0..count, by a table (quicker for many)."""
    return [str(i) for i in range(count + 1)].__getitem__


def _encoded(ids: list[int], text: Callable[[int], str], before: int = 0) -> str:
    """Sorted ids -> their JSON, delta-coded (each id less the one before it), without the
    opening bracket; ``before``: the id before the first."""
    return ",".join(map(text, map(sub, ids, chain((before,), ids)))) + "]"


def update_index(memo: SearchMemo, ordered: Sequence[Paper],
                 keys: Sequence[str] | None = None) -> list[str]:
    """Bring ``memo`` to the papers ``ordered`` (in document order), whose keys are
    ``keys`` (default: ``paper_key``) -> the keys, made unique. Only the papers the memo
    does not hold are read."""
    keys = _unique(map(paper_key, ordered) if keys is None else keys)
    old = memo.papers
    kept = {key for key in keys if key in old}
    gone = [key for key in old if key not in kept]
    numbers = _Numbering()
    fresh = []  # the papers read now: (key, result row, term numbers per field)
    for key, paper in zip(keys, ordered, strict=True):
        if key not in kept:
            texts = field_texts(paper)
            fresh.append((key, _json(result_row(paper)),
                          [numbers.numbered(texts[f.name]) for f in FIELDS]))
    added = _counts((numbered for _, _, numbered in fresh), numbers.terms)
    if len(gone) <= len(kept):  # the last build's counts, less the papers gone
        removed = _counts((old[key].id_rows() for key in gone), memo.vocab)
        df, in_meta = Counter(memo.df), Counter(memo.in_meta)  # (the memo changes last)
        for counts, less, more in zip((df, in_meta), removed, added, strict=True):
            counts.subtract(less)
            counts.update(more)
        touched = removed[0].keys() | added[0].keys()
        for term in touched:
            for counts in (df, in_meta):
                if counts.get(term, 1) <= 0:
                    del counts[term]
    else:  # most papers are new: count afresh
        df, in_meta = _counts((old[key].id_rows() for key in kept), memo.vocab)
        df.update(added[0])
        in_meta.update(added[1])
        touched = df.keys() | memo.df.keys()
    term_id = {t: i for i, t in enumerate(memo.vocab)}
    m = memo.meta_count
    papers = {key: old[key] for key in keys if key in kept}
    if all((t in term_id) == (t in df) and (term_id.get(t, m) < m) == (t in in_meta)
           for t in touched):  # no term new, gone or moved to the other part
        vocab = memo.vocab
    else:
        vocab, m = vocabulary(df, in_meta)
        term_id = {t: i for i, t in enumerate(vocab)}
        _renumber(papers, [term_id.get(t, -1) for t in memo.vocab], len(vocab))
    # numbers -> ids; many rows: their ids' text from a table (quicker than str())
    to_id = [term_id.get(t, -1) for t in numbers.terms].__getitem__
    text = _id_texts(len(vocab)) if len(fresh) > 20 else str
    for key, row, numbered in fresh:
        ids = [sorted(map(to_id, n)) for n in numbered]
        papers[key] = _indexed(row, ids, ("[" + _encoded(i, text) for i in ids))
    if fresh:  # in document order, as an edit's early index takes it (see ordered_outputs)
        papers = {key: papers[key] for key in keys}
    memo.papers, memo.vocab, memo.meta_count, memo.df, memo.in_meta = \
        papers, vocab, m, df, in_meta
    return keys


@functools.cache
def _prefix(n: int) -> re.Pattern[str]:
    """A regex for the first n ids of a row."""
    return re.compile(rf"\[(?:[0-9]+,){{{n}}}")


def _span(encoded: str, n: int, size: int) -> tuple[int, int]:
    """Where the n-th of an encoded row's ``size`` ids (from 0) is written: (start, end)
    offsets, found from whichever end of the row is nearer."""
    if n >= size // 2:  # split off the ids after it (only those become strings)
        head = encoded.rsplit(",", size - 1 - n)[0]
        end = len(head)
        start = head.rfind(",") + 1 if n else 1
        return start, end if n < size - 1 else end - 1
    found = _prefix(n).match(encoded)
    assert found is not None
    start = found.end()
    return start, encoded.find(",", start)


def _renumber(papers: dict[str, IndexedPaper], to_new: list[int], count: int) -> None:
    """Give ``papers`` the ids ``to_new`` maps theirs to (-1: a term none of them has), in
    a vocabulary of ``count`` terms.

    Ids below the first that changes keep their number: a row of only those stays as it
    is. When the ids keep their order, and a few runs of them move by as much as each
    other (a few words new to the site or gone from it), only the first id of each run
    gets a new delta in a long row: that is written into its text. Otherwise (and in
    short rows, where that is quicker) the row is encoded again."""
    first = next((i for i, new in enumerate(to_new) if new != i), len(to_new))
    kept = [i for i in to_new if i >= 0]
    ordered = kept == sorted(kept)  # else a term moved between the parts
    runs, shift = [], 0  # the old ids where the shift to the new ones changes
    for i, new in enumerate(to_new):
        if new >= 0 and new - i != shift:
            shift = new - i
            runs.append(i)
    patch = ordered and len(runs) <= 8
    new_id, text = to_new.__getitem__, _id_texts(count)
    for key, paper in papers.items():
        ids = array("i")
        ids.frombytes(paper.ids)
        encoded, start, changed = list(paper.encoded), 0, False
        for f, size in enumerate(paper.sizes):
            end = start + size
            if size and ids[end - 1] >= first:
                changed = True
                n = start if size <= 32 else bisect_left(ids, first, start, end)
                tail = list(map(new_id, ids[n:end]))
                if not ordered:
                    tail.sort()
                if size <= 32:
                    encoded[f] = "[" + _encoded(tail, text)
                elif patch:
                    encoded[f] = _patched(encoded[f], ids, start, end, runs, new_id)
                else:  # the text up to the first id that changed, then the rest anew
                    encoded[f] = encoded[f][:_span(encoded[f], n - start, size)[0]] + \
                        _encoded(tail, text, ids[n - 1] if n > start else 0)
                ids[n:end] = array("i", tail)
            start = end
        if changed:
            papers[key] = IndexedPaper(paper.row, ids.tobytes(), paper.sizes, tuple(encoded))


def _patched(encoded: str, ids: array[int], start: int, end: int, runs: list[int],
             new_id: Callable[[int], int]) -> str:
    """A row's text (its old ids ``ids[start:end]``) with the deltas of the first id of
    each run (see _renumber) written anew: the others moved as much as the ids before."""
    out: list[str] = []
    done = 0
    for at in sorted({bisect_left(ids, run, start, end) for run in runs} - {end}):
        begin, stop = _span(encoded, at - start, end - start)
        out += encoded[done:begin], str(new_id(ids[at]) - (new_id(ids[at - 1])
                                                             if at > start else 0))
        done = stop
    out.append(encoded[done:])
    return "".join(out)


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=True, separators=(",", ":"))


def _object(members: dict[str, str]) -> str:
    """Members already in JSON -> the object, as ``json.dumps(sort_keys=True)`` writes it."""
    return "{" + ",".join(f"{_json(k)}:{v}" for k, v in sorted(members.items())) + "}"


def encode_parts(memo: SearchMemo, keys: list[str]) -> dict[str, str]:
    """The index of the papers ``keys`` names, in that order -> the three payloads as JSON
    (see the module docstring), joined from the papers' encoded rows."""
    m = memo.meta_count
    rows = [memo.papers[key].encoded for key in keys]
    parts = {}
    for part in ("meta", "text"):
        which = [i for i, f in enumerate(FIELDS) if f.part == part]
        payload = {
            "format": _json(FORMAT),
            "part": _json(part),
            "lunr": _json(LUNR_VERSION),
            "fields": _json([[f.name, f.boost] for f in FIELDS]),
            "partFields": _json([FIELDS[i].name for i in which]),
            "docCount": str(len(keys)),
            "termBase": str(0 if part == "meta" else m),
            "terms": _json(memo.vocab[:m] if part == "meta" else memo.vocab[m:]),
            "ids": "[" + ",".join("[" + ",".join(map(itemgetter(i), rows)) + "]"
                                  for i in which) + "]",
        }
        if part == "meta":  # text-only terms: the browser counts them
            payload["df"] = "[" + ",".join(map(str, map(memo.df.__getitem__,
                                                        memo.vocab[:m]))) + "]"
        parts[part] = _object(payload)
    parts["docs"] = _object({
        "format": _json(FORMAT), "part": '"docs"', "docCount": str(len(keys)),
        "url": _json(PAPER_URL),
        "docs": "[" + ",".join(memo.papers[key].row for key in keys) + "]"})
    return parts


def shard_script(part: str, payload: str) -> bytes:
    """A payload in JSON -> an ASCII script that hands it to search.js (no fetch: file://
    works). The JSON is ASCII, so quoting it as a JavaScript string only has to escape
    backslashes and single quotes."""
    literal = payload.replace("\\", "\\\\").replace("'", "\\'")
    return (f"/* readinglist search index, part '{part}': generated, do not edit */\n"
            f"(self.{GLOBAL}=self.{GLOBAL}||[]).push(['{part}',JSON.parse('{literal}')]);\n"
            ).encode("ascii")


def search_outputs(papers: Sequence[Paper], config: Config, memo: SearchMemo | None = None,
                   keys: Sequence[str] | None = None) -> dict[str, bytes]:
    """Papers -> {site-relative path: bytes} of the search index scripts.

    Pass the last build's ``memo`` (kept in .cache/ between builds) to re-read only the
    papers that changed; it is updated for the next build. ``keys``: per paper, a hash
    that changes whenever the paper may have (default ``paper_key``; the build gives its
    content files' hashes). The output does not depend on either."""
    del config  # nothing configurable yet; kept for the build's uniform stage signature
    memo = memo if memo is not None else SearchMemo()
    ordered = document_order(papers)
    if keys is not None:
        key_of = {id(paper): key for paper, key in zip(papers, keys, strict=True)}
        keys = [key_of[id(paper)] for paper in ordered]
    return ordered_outputs(memo, ordered, keys)


def ordered_outputs(memo: SearchMemo, ordered: Sequence[Paper | None],
                    keys: Sequence[str] | None = None) -> dict[str, bytes]:
    """search_outputs of papers already in document order. Where the memo holds a paper's
    key the paper is not read, and may be None: an edit that keeps every paper's date and
    slug keeps the last build's order (the memo's), and needs only the papers it edited."""
    keys = update_index(memo, ordered, keys)  # type: ignore[arg-type]
    parts = encode_parts(memo, keys)
    return {path: shard_script(part, parts[part]) for part, path in PARTS}


# --- the lazily loaded shards: facts for filters and sorts, BibTeX entries -----------
#
# facets.js is joined from two parts, each kept by the build between builds: the site's
# (per shape id: the document order, the terms of each list kind and each paper's term
# ids, the date added), and one short string per paper (per content hash: its status,
# rating and flags), so an edit of a status or notes joins cached strings only.

FLAG_NOTES, FLAG_CODE, FLAG_PDF = 1, 2, 4
FACET_KINDS = ("tags", "authors", "years", "venues")  # the list pages a scope can name


def fact_digits(facts: Facts) -> str:
    """A paper's reading facts as three digits: its status (an index of STATUSES), its
    rating (0: none) and its flags (notes, code, pdf: FLAG_* summed)."""
    flags = (FLAG_NOTES if facts.notes else 0) | (FLAG_CODE if facts.code else 0) \
        | (FLAG_PDF if facts.pdf else 0)
    status = STATUSES.index(facts.status) if facts.status in STATUSES else 0
    return f"{status}{facts.rating or 0}{flags}"


def _day(date: str | None) -> int:
    """A date as YYYYMMDD (a month or a year alone: its first day; none: 0)."""
    if not date:
        return 0
    digits = date.replace("-", "")
    return int(digits.ljust(8, "0")) if digits.isdigit() else 0


def facets_site(site: Site) -> tuple[list[str], str]:
    """The site's part of facets.js -> (the slugs in document order, the JSON members
    ``added``, ``kinds``, ``terms`` and ``members``, comma-joined): per list kind its terms
    as [url folder, name, paper count] in the index's order, and per paper (document
    order) the ids of its terms of that kind: exactly the list pages' memberships."""
    order = [p.slug for p in document_order(p.shape for p in site.papers)]
    at = {slug: d for d, slug in enumerate(order)}
    terms, members = [], []
    for kind in FACET_KINDS:
        index = site.index(kind)
        per_doc: list[list[int]] = [[] for _ in order]
        for t, term in enumerate(index.terms):
            for slug in term.papers:
                per_doc[at[slug]].append(t)
        terms.append([[term.url[:-len("/index.html")], term.name, term.count]
                      for term in index.terms])
        members.append(per_doc)
    added = [_day(site.by_slug[slug].shape.added) for slug in order]
    return order, ",".join((f'"added":{_json(added)}', f'"kinds":{_json(list(FACET_KINDS))}',
                            f'"terms":{_json(terms)}', f'"members":{_json(members)}'))


def facets_payload(site_part: str, facts: Iterable[str], count: int) -> str:
    """facets.js's payload (JSON) from the site's part and each paper's facts (document
    order): ``facts`` is one string, three digits a paper (see ``fact_digits``)."""
    return (f'{{"format":{_json(FORMAT)},"part":"facets","docCount":{count},'
            f'"statuses":{_json(list(STATUSES))},"facts":"{"".join(facts)}",{site_part}}}')


def _literal(member: str) -> bytes:
    """JSON text as ``shard_script`` quotes it."""
    return member.replace("\\", "\\\\").replace("'", "\\'").encode("ascii")


def patch_bib_script(old: bytes, changes: Iterable[tuple[str, str, str]]) -> bytes | None:
    """bib.js (``old``, as ``shard_script`` wrote ``bib_payload``) with entries replaced,
    each (slug, entry as it was, entry now): what a build from the entries makes. None when
    a member is not in ``old`` exactly once."""
    for slug, before, after in changes:
        was = _literal(f"{_json(slug)}:{_json(before)}")
        at = old.find(was)
        if at < 0 or old.find(was, at + 1) >= 0 or old[at - 1:at] not in (b"{", b","):
            return None
        old = b"".join((old[:at], _literal(f"{_json(slug)}:{_json(after)}"),
                        old[at + len(was):]))
    return old


def bib_payload(entries: dict[str, str]) -> str:
    """bib.js's payload (JSON): slug -> BibTeX entry, the very text papers.bib has."""
    return (f'{{"format":{_json(FORMAT)},"part":"bib","entries":'
            f'{json.dumps(entries, ensure_ascii=True, separators=(",", ":"))}}}')
