"""The data that flows through the pipeline: listing entries, papers, and their schema.

listing text -> ``Entry`` (what one listing shows of a paper)
content file -> ``Paper`` (what the reading list knows of it, plus the user's own fields)
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from generator.diagnostics import Diagnostic

PAGE_FORMATS = ("acl-anthology", "hf-daily-papers", "compact-listing",  # pasted text
                "arxiv-listing")
# pages whose every date shows its year (an ACL Anthology page dates by year headings)
DATED_FORMATS = ("arxiv-listing", "acl-anthology")
FORMATS = (*PAGE_FORMATS, "bibtex", "csl-json", "ris")  # and reference-manager exports


@dataclass(frozen=True)
class Entry:
    """One paper as one listing shows it; fields the listing does not show are None/empty."""

    title: str
    abstract: str = ""
    authors: tuple[str, ...] = ()
    authors_truncated: bool = False
    author_count: int | None = None
    organizations: tuple[str, ...] = ()
    date: str | None = None  # "YYYY-MM-DD", or "YYYY" when only a year is shown
    date_text: str | None = None
    venue: str | None = None
    category: str | None = None
    score: float | None = None
    has_code: bool | None = None
    upvotes: int | None = None  # Hugging Face: the count above the title ("-" = none)
    comments: int | None = None  # Hugging Face: the count after the date
    urls: tuple[str, ...] = ()
    line: int = 0  # 1-based line of the listing where the entry starts
    # what reference managers export (BibTeX, CSL-JSON, RIS); listing pages show none
    doi: str | None = None
    arxiv: str | None = None  # the id, without a version: "2404.06395"
    url: str | None = None
    pages: str | None = None
    volume: str | None = None
    publisher: str | None = None
    citation_key: str | None = None
    keywords: tuple[str, ...] = ()
    entry_type: str | None = None  # a reference manager's kind, as a BibTeX entry type


@dataclass(frozen=True)
class Listing:
    """The parse of one listing file: its entries and what could not be parsed."""

    source: str
    format: str
    page_date: str | None = None
    entries: tuple[Entry, ...] = ()
    diagnostics: tuple[Diagnostic, ...] = ()


# Front-matter keys in the order they are written. Imported keys are owned by `import`
# and refreshed on re-import; user keys are never touched by it.
IMPORTED_KEYS = (
    "title", "authors", "author_count", "authors_truncated", "date", "year", "venue",
    "category", "organizations", "has_code", "upvotes", "comments", "score", "abstract",
    "links", "arxiv", "pages", "volume", "publisher", "citation_key", "entry_type",
    "keywords", "sources", "added",
)
# BibTeX's entry types: what a reference manager said a paper is (`entry_type`), which
# papers.bib keeps (without one, it is told from the venue's name)
ENTRY_TYPES = ("article", "book", "booklet", "inbook", "incollection", "inproceedings",
               "manual", "mastersthesis", "misc", "phdthesis", "proceedings", "techreport",
               "unpublished")
USER_KEYS = ("tags", "status", "rating", "url", "pdf", "doi")
# User keys an import may fill in when a file has none (a reference manager knows them);
# a value already there is the user's and stays.
FILLED_KEYS = ("url", "doi")
KNOWN_KEYS = IMPORTED_KEYS + USER_KEYS
STATUSES = ("unread", "reading", "read")
RATING_RANGE = (1, 5)
CODE_HOSTS = ("github.com", "gitlab.com", "bitbucket.org", "codeberg.org")


def authors_counted(count: int) -> str:
    """A paper's number of authors as a card, its page and a search result say it, where
    the listing showed no names: "1 author", "5 authors"."""
    return f"{count} author{'s' if count != 1 else ''}"


def link_host(url: str) -> str:
    """A link's host as the paper page names it: lower case, without "www."."""
    return urlsplit(url).netloc.lower().removeprefix("www.")


def is_code_link(url: str) -> bool:
    """A link the paper page shows as "Code" (http(s), to a code host): one definition for
    the page and for the search's has:code (reading.facts_of)."""
    return url.startswith(("http://", "https://")) and link_host(url) in CODE_HOSTS


class Compact:
    """For dataclasses kept by the thousand in caches: pickled as their values in field
    order, which is quicker to write and to read than a dict per object."""

    def __getstate__(self) -> tuple[Any, ...] | dict[str, Any]:
        values = self.__dict__
        return tuple([values[name] for name in self.__dataclass_fields__])  # type: ignore[attr-defined]

    def __setstate__(self, state: tuple[Any, ...] | dict[str, Any]) -> None:
        self.__dict__.update(zip(self.__dataclass_fields__, state, strict=True)  # type: ignore[attr-defined]
                             if type(state) is tuple else state)


@dataclass(frozen=True)
class Paper(Compact):
    """One content file: front matter as typed fields, the body as the user's notes."""

    slug: str
    title: str
    authors: tuple[str, ...] = ()
    author_count: int | None = None
    authors_truncated: bool = False
    date: str | None = None  # "YYYY-MM-DD", "YYYY-MM" or None
    year: int | None = None
    venue: str | None = None
    category: str | None = None
    organizations: tuple[str, ...] = ()
    has_code: bool | None = None
    upvotes: int | None = None
    comments: int | None = None
    score: float | None = None
    abstract: str = ""
    links: tuple[str, ...] = ()
    arxiv: str | None = None
    pages: str | None = None
    volume: str | None = None
    publisher: str | None = None
    citation_key: str | None = None
    entry_type: str | None = None  # one of ENTRY_TYPES
    keywords: tuple[str, ...] = ()
    sources: tuple[dict[str, str], ...] = ()
    added: str | None = None
    tags: tuple[str, ...] = ()
    status: str | None = None
    rating: int | None = None
    url: str | None = None
    pdf: str | None = None
    doi: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)  # unknown keys, kept as data
    notes: str = ""  # the Markdown body
    path: str = ""  # content file, relative to the project, for messages

    @property
    def sort_date(self) -> str:
        """ISO-ish key for newest-first ordering; papers without a date sort last."""
        if self.date:
            return self.date
        if self.year:
            return f"{self.year:04d}"
        return ""

    @property
    def display_year(self) -> int | None:
        if self.year:
            return self.year
        if self.date:
            return int(self.date[:4])
        return None


_PUNCT_OR_SPACE = re.compile(r"[\W_]+", re.UNICODE)


def normalize_title(title: str) -> str:
    """The identity of a paper: NFKC, case-folded, punctuation and spacing removed."""
    text = unicodedata.normalize("NFKC", title).casefold()
    return _PUNCT_OR_SPACE.sub(" ", text).strip()


_GREEK = {
    "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "λ": "lambda",
    "μ": "mu", "π": "pi", "σ": "sigma", "θ": "theta", "ω": "omega", "τ": "tau", "φ": "phi",
}
# Latin letters Unicode does not decompose into a letter and a mark (NFKD would drop them:
# "Łukasz" -> "ukasz", "Straße" -> "strae"), as German, Polish, the Nordic and Slavic
# languages spell them in ASCII
_LATIN = {
    "ß": "ss", "ẞ": "ss", "ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae",
    "œ": "oe", "ı": "i", "ħ": "h", "ŋ": "ng",
}
# (with capitals: a slug is lower case)
_SPELLED_OUT = {ord(ch): name for letter, name in (*_GREEK.items(), *_LATIN.items())
                for ch in {letter, letter.upper()} if len(ch) == 1}
SLUG_MAX = 60


def _long_slug(title: str) -> str:
    """A title as an uncut slug: ASCII letters, digits and single hyphens ("" when the
    title has no Latin letter or digit)."""
    text = unicodedata.normalize("NFKC", title)
    text = text.translate(_SPELLED_OUT)
    text = text.replace("++", "pp").replace("#", "sharp").replace("&", " and ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()


def _cut(slug: str, max_length: int) -> str:
    """A slug cut to ``max_length``, at a hyphen when one is in its second half."""
    if len(slug) > max_length:
        cut = slug[:max_length]
        slug = cut.rsplit("-", 1)[0] if "-" in cut[max_length // 2:] else cut
    return slug.strip("-")


def slugify(title: str, max_length: int = SLUG_MAX) -> str:
    """A readable ASCII slug that is safe as one path segment ("" never: falls back to 'paper').

    The slug of a content file whose name is not one (``slug_for_path``), so it never
    changes: ``new_slug`` names new files, ``term_slug`` term pages."""
    return _cut(_long_slug(title), max_length) or "paper"


# Names Windows keeps for devices, in any case and with any extension (``con``, ``Aux.md``):
# no file or folder there can have one, so a list holding one cannot be checked out
WINDOWS_RESERVED = frozenset({"con", "prn", "aux", "nul",
                              *(f"{port}{n}" for port in ("com", "lpt") for n in range(10))})


def _portable(slug: str, kind: str) -> str:
    """A slug, with ``-kind`` after one that Windows reserves (``con`` -> ``con-paper``)."""
    return f"{slug}-{kind}" if slug in WINDOWS_RESERVED else slug


def _unspelled(title: str) -> bool:
    """Whether a title has letters no slug spells: Chinese, Cyrillic, Arabic… (not an
    accented Latin letter, ``ß`` or ``α``, which ``_long_slug`` writes in ASCII)."""
    text = unicodedata.normalize("NFKC", title).translate(_SPELLED_OUT)
    return any(ch.isalpha() and not any(part.isascii() and part.isalpha()
                                        for part in unicodedata.normalize("NFKD", ch))
               for ch in text if not ch.isascii())


def new_slug(title: str) -> str:
    """The slug, and file name, of a new content file: ``slugify``'s, never a name Windows
    reserves (a paper titled "Con" is ``con-paper.md``). A title with letters no slug
    spells ends in eight hex digits of a hash of the title, as a term's page does
    (``大型语言模型`` is ``paper-`` and those, ``LLM 推理`` ``llm-``…): its name tells papers apart
    whatever else the list holds. A file keeps its name, so a slug that another file has
    is made unique there, once (``unique_slug``)."""
    if not _unspelled(title):
        return _portable(slugify(title), "paper")
    digest = hashlib.blake2b(normalize_title(title).encode("utf-8"), digest_size=4).hexdigest()
    return f"{_cut(_long_slug(title), SLUG_MAX - len(digest) - 1) or 'paper'}-{digest}"


def term_slug(name: str, kind: str, identity: str) -> str:
    """The slug of a term's page (``kind``: tag, author, venue...), made again on every
    build: ``slugify``'s, except that a slug longer than ``SLUG_MAX`` is cut shorter and
    ends in a hash of the term's ``identity`` (two long venues that start alike get two
    slugs whatever other terms the list has), and a name Windows reserves gets ``-kind``
    (a tag "aux" is ``aux-tag``)."""
    slug = _long_slug(name)
    if len(slug) > SLUG_MAX:
        digest = hashlib.blake2b(identity.encode("utf-8"), digest_size=4).hexdigest()
        slug = f"{_cut(slug, SLUG_MAX - len(digest) - 1)}-{digest}"
    return _portable(slug or kind, kind)


_ARXIV_ID = re.compile(r"(?<![\w.])(\d{4}\.\d{4,5}|[a-z-]+(?:\.[A-Z]{2})?/\d{7})(?:v\d+)?\b")
_ARXIV_IN_TEXT = re.compile(r"arxiv(?:\.org/(?:abs|pdf)/|:\s*|\s+preprint\s+arxiv:\s*)",
                            re.I)


def arxiv_id(*texts: str | None) -> str | None:
    """An arXiv id (no version) from the first text that holds one: a bare id (an eprint
    field), an arXiv URL, or "arXiv:ID" / "arXiv preprint arXiv:ID" in running text."""
    for text in texts:
        if not text:
            continue
        text = str(text)
        bare = _ARXIV_ID.fullmatch(text.strip())
        if bare:
            return bare[1]
        hint = _ARXIV_IN_TEXT.search(text)
        if hint:
            found = _ARXIV_ID.match(text, hint.end())
            if found:
                return found[1]
    return None


_CITATION_KEY = re.compile(r"[^\s,{}\"#%'()=\\~]{1,100}")


def is_citation_key(text: str | None) -> bool:
    """A key BibTeX takes as written (``DBLP:conf/acl/Sun23``, ``li-etal-2025-focusllm``)."""
    return bool(text) and _CITATION_KEY.fullmatch(text or "") is not None


_SAFE_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_safe_slug(slug: str) -> bool:
    """True for a slug that cannot escape its folder or surprise a file system."""
    return bool(_SAFE_SLUG.match(slug)) and len(slug) <= 120


def unique_slug(base: str, taken: set[str]) -> str:
    """``base``, or ``base-2``, ``base-3``… whichever is not yet taken."""
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"
