"""Content files written from the command line: `import` (listing entries -> content
files) and the `new`/`tag`/`status`/`rate` edits.

Import matches by identifier (DOI, arXiv, ACL Anthology, OpenReview id), then normalised
title, then (for a title the user edited) by evidence of the same paper, merges, and
writes without loss.
``plan_import`` is pure apart from reading the content folder: it returns every intended
change (with the new file text) so ``--dry-run`` can show it and ``apply_plan`` only writes.
Imported keys are refreshed; everything else in a file (notes, user keys, unknown keys,
comments, key order) stays byte for byte, because edits go through ``edit_front_matter``
and ``writer.atomic_write``; so do `tag`/`status`/`rate`, and a file whose value does not
change is not rewritten. A new file is written with ``content.render_file``, never over
another.
"""

from __future__ import annotations

import codecs
import dataclasses
import datetime as dt
import difflib
import os
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from urllib.parse import unquote

from generator.check import tag_key
from generator.content import (
    MAX_YAML_BYTES,
    FrontMatterError,
    content_files,
    edit_front_matter,
    normalize_date,
    read_front_matter,
    render_file,
    slug_for_path,
    text_list,
)
from generator.diagnostics import Diagnostic, error, shown_path, universal_text, warning
from generator.markdown import plain_inline
from generator.model import (
    FILLED_KEYS,
    IMPORTED_KEYS,
    RATING_RANGE,
    STATUSES,
    USER_KEYS,
    Entry,
    Listing,
    arxiv_id,
    new_slug,
    normalize_title,
    slugify,
    unique_slug,
)
from generator.parallel import default_jobs, fork_map
from generator.writer import atomic_write

Action = Literal["create", "update", "unchanged", "skip"]


@dataclass(frozen=True)
class Change:
    """What an import does to one paper's file."""

    action: Action
    path: Path
    title: str
    text: str | None = None  # the new file text for create/update
    fields: tuple[str, ...] = ()  # imported keys that changed (update)
    was: str | None = None  # update: the file's text that ``text`` was made from


@dataclass(frozen=True)
class ImportPlan:
    changes: tuple[Change, ...]
    diagnostics: tuple[Diagnostic, ...]
    skipped_entries: int  # entries reported by the parsers and not imported

    def count(self, action: Action) -> int:
        n = sum(1 for c in self.changes if c.action == action)
        return n + (self.skipped_entries if action == "skip" else 0)

    def summary(self) -> str:
        return (f"{self.count('create')} created, {self.count('update')} updated, "
                f"{self.count('unchanged')} unchanged, {self.count('skip')} skipped")


def today(env: dict[str, str] | None = None) -> str:
    """The import date, from SOURCE_DATE_EPOCH when set (reproducible builds), else UTC now."""
    env = dict(os.environ) if env is None else env
    epoch = env.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date().isoformat()
    return dt.datetime.now(dt.timezone.utc).date().isoformat()


# --- merging ---------------------------------------------------------------------------

def title_slug(title: str) -> str:
    """The slug, and file name, of a new paper titled ``title``: made from the words the
    title shows (``$\\mathcal{O}(n)$`` shows "O(n)", ``\\texttt{x}`` "x"), never from the
    names of its LaTeX commands or its Markdown."""
    return new_slug(plain_inline(title))


def _unique(items: Iterable[Any]) -> list[Any]:
    seen: list[Any] = []
    for item in items:
        if item not in seen:
            seen.append(item)
    return seen


def merge_records(records: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several views of one paper (imported-key dicts, oldest first) -> one merged view.

    The fullest author list, the most precise date, the longest abstract, the union of
    organisations, links and sources; otherwise the first value seen wins.
    """
    merged: dict[str, Any] = {}
    for rec in records:
        for key, value in rec.items():
            if value is None or value == [] or value == "":
                continue
            old = merged.get(key)
            if old is None:
                merged[key] = value
            elif key == "authors":
                old_full = not merged.get("authors_truncated", False)
                new_full = not rec.get("authors_truncated", False)
                if (new_full and not old_full) or (new_full == old_full and
                                                   len(value) > len(old)):
                    merged[key] = value
            elif key == "authors_truncated":
                merged[key] = old and value
            elif key in ("author_count", "upvotes", "comments", "score"):
                merged[key] = max(old, value)
            elif key == "has_code":
                merged[key] = old or value
            elif key in ("date", "abstract"):  # the most precise date, the longest abstract
                if len(value) > len(old):
                    merged[key] = value
            elif key in ("organizations", "links", "keywords"):
                merged[key] = _unique([*old, *value])
            elif key == "sources":
                merged[key] = sorted(_unique([*old, *value]),
                                     key=lambda s: (s.get("file", ""), s.get("format", "")))
            elif key == "added":
                merged[key] = min(old, value)
    if not merged.get("authors_truncated"):
        # The list is whole: the count is the list's length and says nothing more.
        merged.pop("authors_truncated", None)
        if merged.get("authors"):
            merged.pop("author_count", None)
    date = merged.get("date")
    if date and len(date) == 4:
        merged["year"] = int(date)
        del merged["date"]
    elif date:
        merged.pop("year", None)
    return merged


def entry_record(entry: Entry, listing: Listing) -> dict[str, Any]:
    """One parsed entry -> its imported front-matter keys (None for what it does not show)."""
    return {
        "title": entry.title,
        "authors": list(entry.authors),
        "author_count": entry.author_count if entry.authors_truncated else (
            len(entry.authors) if entry.authors else entry.author_count),
        "authors_truncated": entry.authors_truncated,
        "date": entry.date,
        "venue": entry.venue,
        "category": entry.category,
        "organizations": list(entry.organizations),
        "has_code": entry.has_code,
        "upvotes": entry.upvotes,
        "comments": entry.comments,
        "score": entry.score,
        "abstract": entry.abstract,
        "links": _unique(entry.urls),
        "arxiv": entry.arxiv,
        "pages": entry.pages,
        "volume": entry.volume,
        "publisher": entry.publisher,
        "citation_key": entry.citation_key,
        "entry_type": entry.entry_type,
        "keywords": list(entry.keywords),
        "doi": entry.doi,
        "url": entry.url,
        # (in NFC: a name read on a Mac, or from a checkout of a repo made there, is NFD)
        "sources": [{"file": unicodedata.normalize("NFC", Path(listing.source).name),
                     "format": listing.format}],
    }


def existing_record(data: dict[str, Any]) -> dict[str, Any]:
    """A file's current front matter -> its imported keys, in the shape merge_records uses."""
    rec: dict[str, Any] = {}
    for key in IMPORTED_KEYS + FILLED_KEYS:
        if key not in data or data[key] is None:
            continue
        value = data[key]
        if key == "comments" and not _is_count(value):
            continue  # the user's own comments under this name: not ours to merge
        if key in ("date", "added"):
            value = normalize_date(value)
        elif key == "year":
            key, value = "date", normalize_date(value) if "date" not in data else None
        if value is not None:
            rec[key] = value
    authors, count = rec.get("authors"), rec.get("author_count")
    if isinstance(authors, list) and authors and "authors_truncated" not in rec:
        # A list without the flag is whole (unless its count says more): a page's
        # "2 authors" does not make it a list of the first few.
        rec["authors_truncated"] = isinstance(count, int) and count > len(authors)
    return rec


def canonical(value: Any) -> Any:
    """A value in a form where 'same meaning' means 'equal' (dates, tuples)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return normalize_date(value)
    if isinstance(value, (list, tuple)):
        return [canonical(v) for v in value]
    if isinstance(value, dict):
        return {str(k): canonical(v) for k, v in sorted(value.items())}
    return value  # (a float equals the int it rounds to already: 3.0 == 3)


def ordered_front(record: dict[str, Any], added: str) -> dict[str, Any]:
    """A new file's front matter: imported keys in schema order, then the user keys."""
    front = {key: record[key] for key in IMPORTED_KEYS if key in record}
    front["added"] = added
    front["tags"] = []
    front["status"] = "unread"
    front.update((key, record[key]) for key in FILLED_KEYS if record.get(key))
    return front


# --- planning --------------------------------------------------------------------------

@dataclass
class _Existing:
    path: Path
    text: str
    data: dict[str, Any]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _key_line(text: str, key: str) -> int | None:
    """The 1-based line of a top-level front-matter key, so that a warning can name it."""
    for number, line in enumerate(text.splitlines()[1:], start=2):
        if line.rstrip() == "---":
            return None
        if line.startswith(f"{key}:"):
            return number
    return None


def _migrate_counts(current: dict[str, Any], found: _Existing,
                    records: Sequence[dict[str, Any]]) -> list[Diagnostic]:
    """Move an ``upvotes`` value that the old importer wrote to ``comments``, in ``current``.

    Importers before ``comments`` existed stored the number after a Hugging Face date (the
    comment count) as ``upvotes``. Such a file has ``upvotes`` and no ``comments``; when the
    listing now shows that same number after the date (and not as upvotes), it is moved.
    When it cannot be told, the value is left and a warning says so.
    """
    old = current.get("upvotes")
    if old is None or "comments" in found.data:
        return []
    shown_comments = {r["comments"] for r in records if r.get("comments") is not None}
    shown_upvotes = {r["upvotes"] for r in records if r.get("upvotes") is not None}
    if not shown_comments or old in shown_upvotes:
        return []
    if old in shown_comments:
        current["comments"] = current.pop("upvotes")
        return []
    return [warning(str(found.path), _key_line(found.text, "upvotes"),
                    f"upvotes: {old} may be a comment count written "
                    "by an older importer (the listing shows "
                    f"{' or '.join(map(str, sorted(shown_comments)))} comments now); left as it "
                    "is, check it")]


# The kinds of identity, strongest first. An identifier names one paper wherever it is
# written; a title names the paper it spells, until the user edits it.
IDENTITY_KINDS = ("doi", "arxiv", "acl", "openreview", "title")
_DOI = re.compile(r"10\.\d{4,9}/\S+")
ARXIV_DOI_PREFIX = "doi:10.48550/arxiv."  # arXiv's DOI for a paper: its id, as a DOI
_ARXIV_DOI = re.compile(r"10\.48550/arxiv\.(.+)", re.I)
_ACL_ID = r"([a-z]\d{2}-\d{4}|\d{4}\.[a-z0-9]+(?:-[a-z0-9]+)*\.\d+)"
_ACL_DOI = re.compile(r"10\.18653/v1/" + _ACL_ID, re.I)
_ACL_URL = re.compile(r"(?:aclanthology\.org|aclweb\.org/anthology)/" + _ACL_ID
                      + r"(?:v\d+)?(?:\.pdf)?/?$", re.I)
_HF_PAPER = re.compile(r"huggingface\.co/papers/(\d{4}\.\d{4,5})(?:v\d+)?/?(?:[?#]|$)", re.I)
_OPENREVIEW = re.compile(r"openreview\.net/(?:forum|pdf)\?(?:.*&)?id=([\w-]+)", re.I)


def _doi_identities(text: str) -> list[str]:
    """A DOI (bare, ``doi:``, or a doi.org link) -> its identities: the DOI in lower case
    (DOIs ignore case), and the arXiv or ACL Anthology id an arXiv or ACL DOI holds."""
    found = _DOI.search(unquote(text))
    if not found:
        return []
    doi = found.group().rstrip(".,;/").lower()
    ids = ["doi:" + doi]
    arxiv = _ARXIV_DOI.fullmatch(doi)
    if arxiv and arxiv_id(arxiv[1]):
        ids.append(f"arxiv:{arxiv_id(arxiv[1])}".lower())
    acl = _ACL_DOI.fullmatch(doi)
    if acl:
        ids.append("acl:" + acl[1].lower())
    return ids


def _link_identities(link: str) -> list[str]:
    """A link to a paper's page -> the identifier it holds, for the sites whose links name
    one paper (doi.org, arXiv, Hugging Face papers, the ACL Anthology, OpenReview). Other
    links are no identity: a reference manager may give one link to a whole proceedings."""
    link = link.strip()
    if "doi.org/" in link.lower():
        return _doi_identities(link)
    for pattern, kind in ((_HF_PAPER, "arxiv"), (_ACL_URL, "acl"), (_OPENREVIEW, "openreview")):
        found = pattern.search(link.split("#")[0])
        if found:  # (OpenReview's ids are case-sensitive)
            return [f"{kind}:{found[1] if kind == 'openreview' else found[1].lower()}"]
    html = re.search(r"arxiv\.org/html/", link, re.I)  # (arXiv's HTML pages: no hint)
    arxiv = arxiv_id(link[html.end():].strip("/")) if html else \
        arxiv_id(link) if "arxiv.org/" in link.lower() else None
    return [f"arxiv:{arxiv.lower()}"] if arxiv else []


def identities(record: Mapping[str, Any]) -> list[str]:
    """What tells a paper apart, strongest first (``IDENTITY_KINDS``): its DOI, arXiv id,
    ACL Anthology id and OpenReview id, however a source writes them (a doi.org link or a
    bare DOI, an arXiv id with or without its version, an ``abs/`` or ``pdf/`` link), then
    its normalised title."""
    found: list[str] = []
    doi = record.get("doi")
    if isinstance(doi, str):
        found += _doi_identities(doi)
    arxiv = record.get("arxiv")
    if isinstance(arxiv, str) and arxiv_id(arxiv.strip()):
        found.append(f"arxiv:{arxiv_id(arxiv.strip())}".lower())
    for key in ("url", "pdf"):
        if isinstance(record.get(key), str):
            found += _link_identities(record[key])
    found.sort(key=lambda identity: IDENTITY_KINDS.index(identity.split(":", 1)[0]))
    title = record.get("title")
    if isinstance(title, (str, int, float)) and not isinstance(title, bool):
        key = normalize_title(str(title))
        if key:
            found.append("title:" + key)
    return _unique(found)


def _grouped(records: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Records -> groups of the records of one paper: two records are one paper when they
    share an identity (see ``identities``: an identifier or a normalised title), and so on,
    transitively."""
    parent = list(range(len(records)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    first: dict[str, int] = {}
    for i, record in enumerate(records):
        for identity in identities(record):
            if identity in first:
                parent[root(i)] = root(first[identity])
            else:
                first[identity] = i
    groups: dict[int, list[dict[str, Any]]] = {}
    for i, record in enumerate(records):
        groups.setdefault(root(i), []).append(record)
    return list(groups.values())


def _match(group: Sequence[Mapping[str, Any]], existing: Mapping[str, _Existing]
           ) -> _Existing | None:
    """The file a paper's records name, by their strongest identity (``IDENTITY_KINDS``)."""
    for kind in IDENTITY_KINDS:
        for record in group:
            for identity in identities(record):
                if identity.startswith(kind + ":") and identity in existing:
                    return existing[identity]
    return None


def _year(record: Mapping[str, Any]) -> str | None:
    """The year of a record from ``existing_record`` or ``merge_records``."""
    if _is_count(record.get("year")):
        return str(record["year"])
    date = record.get("date")
    return date[:4] if isinstance(date, str) and len(date) >= 4 else None


def _first_surname(record: Mapping[str, Any]) -> str | None:
    authors = record.get("authors")
    if not isinstance(authors, list) or not authors or not isinstance(authors[0], str):
        return None
    words = [w for w in authors[0].split() if not w.startswith("(")]  # "Li (李)"
    return slugify(words[-1]) if words else None


def _abstract(record: Mapping[str, Any]) -> str:
    abstract = record.get("abstract")
    return " ".join(abstract.split()).casefold() if isinstance(abstract, str) else ""


ABSTRACT_WORDS = 20  # an abstract this long is one paper's: two papers never share it


def _same_paper(file: _Existing, group: Sequence[dict[str, Any]]) -> bool:
    """Whether a file no identity matched is the paper of a group of records anyway: the
    user edited its title. Said only on evidence that two papers never share: the same
    year, no different first author and no different identifier, and either the same
    abstract of some length, or (no abstracts that differ) the same first author and the
    file's name being the slug the import would give the paper, its title not cut to
    make it (two titles that start alike are cut to one slug) and not made of letters a
    slug cannot spell (every title in Chinese slugs to 'paper')."""
    mine, theirs = existing_record(file.data), merge_records(group)
    if _year(mine) is None or _year(mine) != _year(theirs):
        return False
    surnames = {_first_surname(mine), _first_surname(theirs)}
    if len(surnames - {None}) > 1:
        return False

    def ids(record: Mapping[str, Any]) -> list[str]:  # (an arXiv DOI is the arXiv id's)
        return [i for i in identities(record) if not i.startswith(("title:", ARXIV_DOI_PREFIX))]

    ours = ids(file.data)
    for identity in (i for r in group for i in ids(r)):
        kind = identity.split(":", 1)[0] + ":"
        if identity not in ours and any(i.startswith(kind) for i in ours):
            return False
    abstracts = {_abstract(r) for r in group} - {""}
    if _abstract(mine) in abstracts and len(_abstract(mine).split()) >= ABSTRACT_WORDS:
        return True
    if _abstract(mine) and abstracts:
        return False
    shown = [plain_inline(str(r.get("title", ""))) for r in group]  # (as title_slug reads)
    slugs = {new_slug(t) for t in shown if slugify(t) == slugify(t, max_length=1000)}
    return None not in surnames and slug_for_path(file.path) in slugs - {"paper"}


def _fallback_matches(unmatched: Sequence[Sequence[dict[str, Any]]],
                      files: Sequence[_Existing]) -> dict[int, _Existing]:
    """Groups no identity matched -> (by their place) the file each is the paper of, by
    ``_same_paper``; a group that two files fit, or a file that two groups fit, is left
    unmatched (a new file rather than two papers in one)."""
    by_abstract: dict[str, list[_Existing]] = {}
    by_slug: dict[str, list[_Existing]] = {}
    for file in files:
        if len(_abstract(file.data).split()) >= ABSTRACT_WORDS:
            by_abstract.setdefault(_abstract(file.data), []).append(file)
        by_slug.setdefault(slug_for_path(file.path), []).append(file)
    fits: dict[int, list[_Existing]] = {}
    for n, group in enumerate(unmatched):
        candidates = [f for r in group for f in by_abstract.get(_abstract(r), [])]
        candidates += [f for r in group for f in by_slug.get(title_slug(str(r.get("title"))), [])]
        fits[n] = [f for f in {f.path: f for f in candidates}.values() if _same_paper(f, group)]
    claims: dict[Path, int] = {}
    for fit in fits.values():
        for file in fit:
            claims[file.path] = claims.get(file.path, 0) + 1
    return {n: fit[0] for n, fit in fits.items() if len(fit) == 1 and claims[fit[0].path] == 1}


def _read_existing(file: Path) -> tuple[str, dict[str, Any]] | Diagnostic:
    """A content file -> (its text, its front matter), or why it is left alone."""
    try:
        text = universal_text(file.read_bytes(), str(file))  # (as read_text reads it)
        if isinstance(text, Diagnostic):
            return warning(text.path, text.line, f"{text.message}; left as it is")
        return text, read_front_matter(text)[0]
    except FrontMatterError as exc:
        return warning(str(file), exc.line, f"{exc}; this file is left as it is and its "
                                            "paper may be imported again under a new name")
    except OSError as exc:  # (another user's file)
        return warning(str(file), None, f"cannot read: {exc.strerror}; this file is left "
                                        "as it is and its paper may be imported again under "
                                        "a new name")


def scan_papers(papers_dir: Path, root: Path | None = None
                ) -> tuple[dict[str, _Existing], set[str], list[Diagnostic]]:
    """The content folder -> (identity (see ``identities``) -> first file with it, slugs
    taken, warnings for files that cannot be read and are left alone). ``root``: the
    project, which a link may not leave (as ``content.content_files``)."""
    by_title: dict[str, _Existing] = {}
    slugs: set[str] = set()
    problems: list[Diagnostic] = []
    if not papers_dir.is_dir():
        return by_title, slugs, problems
    content = content_files(papers_dir, root)  # the files a build reads, by the same rule
    problems.extend(warning(d.path, d.line, f"{d.message}; left alone") for d in content.problems)
    files = [Path(path) for _, path in content.papers]
    for file, read in zip(files, fork_map(_read_existing, files, jobs=default_jobs()),
                          strict=True):  # (read on every core: a list of thousands)
        slugs.add(slug_for_path(file))
        if isinstance(read, Diagnostic):
            problems.append(read)
            continue
        found = _Existing(file, *read)
        for key in identities(found.data):  # (a numeric title, `title: 1984`, is text too)
            if key in by_title:
                if key.startswith("title:"):
                    problems.append(warning(str(file), None, f"same title as "
                                            f"{by_title[key].path}; imports update the "
                                            "first one only"))
                continue
            by_title[key] = found
    return by_title, slugs, problems


def plan_import(listings: Sequence[Listing], papers_dir: Path, *, added: str,
                root: Path | None = None) -> ImportPlan:
    """Parsed listings + the current content folder -> every change an import would make.
    ``root``: the project (a content file linked from out of it is neither read nor
    written, as the build does not read it)."""
    records: list[dict[str, Any]] = []
    diagnostics: list[Diagnostic] = []
    skipped = 0
    for listing in listings:
        diagnostics.extend(listing.diagnostics)
        if listing.entries:
            skipped += sum(1 for d in listing.diagnostics if d.severity == "error")
        for entry in listing.entries:
            if not normalize_title(entry.title):
                diagnostics.append(error(listing.source, entry.line, "entry has no title; "
                                         "skipped"))
                skipped += 1
                continue
            records.append(entry_record(entry, listing))
    existing, taken, problems = scan_papers(papers_dir, root)
    diagnostics.extend(problems)
    changes: list[Change] = []
    # Records of one paper, and records that name the same file, become one change.
    plans: list[tuple[_Existing | None, list[dict[str, Any]]]] = []
    planned: dict[Path, int] = {}  # a file -> its place in plans
    groups = _grouped(records)
    matches = [_match(group, existing) for group in groups]
    # A paper that no identity found may be in a file whose title the user edited.
    unmatched = [n for n, found in enumerate(matches) if found is None]
    matched = {found.path for found in matches if found is not None}
    files = [f for f in {f.path: f for f in existing.values()}.values()
             if f.path not in matched]
    for n, fit in _fallback_matches([groups[n] for n in unmatched], files).items():
        matches[unmatched[n]] = fit
    for group, match in zip(groups, matches, strict=True):
        if match is None:
            plans.append((None, group))
        elif match.path in planned:
            plans[planned[match.path]][1].extend(group)
        else:
            planned[match.path] = len(plans)
            plans.append((match, group))
    fronts: list[dict[str, Any]] = []  # of the new files, written on every core below
    for found, group in plans:
        if found is None:
            merged = merge_records(group)
            slug = unique_slug(title_slug(merged["title"]), taken)
            taken.add(slug)
            changes.append(Change("create", papers_dir / f"{slug}.md", merged["title"]))
            fronts.append(ordered_front(merged, added))
            continue
        current = existing_record(found.data)
        diagnostics.extend(_migrate_counts(current, found, group))
        merged = merge_records([current, *group])
        merged["title"] = current.get("title", merged["title"])  # the user's spelling wins
        if current.get("authors") and not current.get("authors_truncated"):
            merged["authors"] = current["authors"]  # a whole list: maybe the user's fix
        if current.get("abstract") and not _shown_cut(current["abstract"]):
            merged["abstract"] = current["abstract"]  # maybe the user's, trimmed or fixed
        if "added" not in found.data:
            merged.pop("added", None)
        updates: dict[str, Any] = {}
        for k in FILLED_KEYS:  # the user's value, when there is one, stays
            if merged.get(k) and not found.data.get(k):
                updates[k] = merged[k]
        for k in IMPORTED_KEYS:
            if k == "comments" and "comments" in found.data and not _is_count(
                    found.data["comments"]):
                continue  # the user's own text under this name stays as it is
            new = merged.get(k)
            old = found.data.get(k)
            if canonical(new) != canonical(old):
                updates[k] = new
        if not updates:
            changes.append(Change("unchanged", found.path, current["title"]))
            continue
        text = edit_front_matter(found.text, updates, order=IMPORTED_KEYS + ("tags", "status"))
        changes.append(Change("update", found.path, current["title"], text,
                              tuple(sorted(updates)), found.text))
    texts = iter(fork_map(render_file, fronts, jobs=default_jobs()))  # (a .bib of thousands)
    changes = [dataclasses.replace(c, text=next(texts)) if c.action == "create" else c
               for c in changes]
    kept = [c for c in changes if not _too_large(c, diagnostics)]
    return ImportPlan(tuple(kept), tuple(diagnostics), skipped + len(changes) - len(kept))


def _shown_cut(abstract: Any) -> bool:
    """Whether an abstract in a file ends as a page shows one it cut ("… ▽ More" is kept
    as "…"): the only abstract an import completes. Any other is kept as it is, since
    the file's text may be the user's (trimmed, corrected) and no page knows better; three
    dots are the user's (no page cuts so, and a trim is marked so by hand)."""
    return isinstance(abstract, str) and abstract.rstrip().endswith("…")


def _too_large(change: Change, diagnostics: list[Diagnostic]) -> bool:
    """Whether the file a change writes would be one the build refuses (front matter past
    ``content.yaml_limits``: an abstract of megabytes), said in ``diagnostics``; such a
    file was written, then left alone by the next import, which wrote another."""
    if change.text is None or len(change.text) <= MAX_YAML_BYTES:
        return False  # (the usual file: too small to be too large)
    try:
        read_front_matter(change.text)
    except FrontMatterError as exc:
        diagnostics.append(error(shown_path(change.path), None, f"not written: {exc} with "
                                 f"what this import brings for '{change.title[:60]}'"))
        return True
    return False


# --- writing ---------------------------------------------------------------------------

def apply_plan(plan: ImportPlan, papers_dir: Path) -> list[Diagnostic]:
    """Write every create/update of a plan; each file is replaced atomically -> errors for
    the files left alone because they changed (or appeared) after the plan read the
    folder: someone saved them while the import ran, and what they wrote stays."""
    root = Path(os.path.abspath(papers_dir))
    left: list[Diagnostic] = []
    for change in plan.changes:
        if change.text is None or change.action not in ("create", "update"):
            continue
        # (a name in the folder: a link in it leads inside the project, content_files saw)
        target = Path(os.path.abspath(change.path))
        if root not in target.parents:
            raise ValueError(f"refusing to write outside {papers_dir}: {change.path}")
        data = change.text.encode("utf-8")
        if change.action == "update":
            now = _read_now(target)
            if now is None or now[0] != change.was:
                left.append(error(shown_path(change.path), None, "changed while the import "
                                  "ran; left as it was saved: run the import again to merge "
                                  "into it"))
                continue
            data = with_line_ends(change.text, now[1])
        try:
            atomic_write(change.path, data, durable=change.action == "update",
                         exclusive=change.action == "create")
        except FileExistsError:
            left.append(error(shown_path(change.path), None, "appeared while the import ran; "
                              "left as it is: run the import again to merge into it"))
    return left


def _text_and_bytes(path: Path) -> tuple[str, bytes]:
    """A file's text (as read_text reads it: universal newlines) and its bytes (their line
    ends, for ``with_line_ends``); raises OSError or UnicodeDecodeError."""
    raw = path.read_bytes()
    return raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n"), raw


def _read_now(path: Path) -> tuple[str, bytes] | None:
    try:
        return _text_and_bytes(path)
    except (OSError, UnicodeDecodeError):
        return None


def with_line_ends(text: str, was: bytes) -> bytes:
    """Text read with universal newlines -> the bytes that replace a file that was ``was``:
    every line the text keeps comes back as it was, line end and all (notes saved with
    CRLF under front matter with LF, a mix, a last line with no line end), a line an edit
    wrote gets the file's line end (as its first line has it), and a byte-order mark that
    Notepad wrote stays."""
    bom = codecs.BOM_UTF8 if was.startswith(codecs.BOM_UTF8) else b""
    data = text.encode("utf-8")
    old = was[len(bom):].splitlines(keepends=True)  # (LF, CRLF or CR; the last maybe none)
    new = (data[len(bom):] if bom and data.startswith(bom) else data).splitlines(keepends=True)
    end = old[0][len(old[0].rstrip(b"\r\n")):] if old else b""
    end = end or b"\n"

    def bare(line: bytes) -> tuple[bytes, bool]:  # (its text, whether it has a line end)
        text = line.rstrip(b"\r\n")
        return text, text != line

    # An edit changes the front matter only: compare the lines between the common start
    # and the common end (the notes), where a diff is cheap.
    start = 0
    while start < min(len(old), len(new)) and bare(old[start]) == bare(new[start]):
        start += 1
    stop = 0
    while (stop < min(len(old), len(new)) - start
           and bare(old[-1 - stop]) == bare(new[-1 - stop])):
        stop += 1
    out = old[:start]
    middle_old, middle_new = old[start:len(old) - stop], new[start:len(new) - stop]
    matcher = difflib.SequenceMatcher(None, [bare(line) for line in middle_old],
                                      [bare(line) for line in middle_new], autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out += middle_old[i1:i2]
        else:
            out += [text + end if ended else text
                    for text, ended in map(bare, middle_new[j1:j2])]
    return bom + b"".join(out + old[len(old) - stop:])


# --- edits from the command line: the papers they name --------------------------------

KEY_ORDER = IMPORTED_KEYS + USER_KEYS  # where a key an edit adds goes


class EditError(Exception):
    """A request that cannot be carried out; the message says why and what to do."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


def _content_paths(papers_dir: Path, root: Path | None) -> list[Path]:
    """The content files a build reads (``content_files``: no link out of ``root``)."""
    if not papers_dir.is_dir():
        return []
    return [Path(path) for _, path in content_files(papers_dir, root).papers]


def _by_slug(files: Iterable[Path]) -> dict[str, Path]:
    """slug -> content file (first file wins)."""
    found: dict[str, Path] = {}
    for file in files:
        found.setdefault(slug_for_path(file), file)
    return found


def paper_files(papers_dir: Path, root: Path | None = None) -> dict[str, Path]:
    """slug -> content file, for every ``*.md`` under papers_dir (first file wins)."""
    return _by_slug(_content_paths(papers_dir, root))


def resolve(refs: Sequence[str], papers_dir: Path, root: Path | None = None
            ) -> tuple[list[Path], list[Diagnostic], list[tuple[str, Path]]]:
    """Slugs, unique starts of slugs, or paths of content files -> (content files, one error
    per reference that names no paper or several, or a file that is none, the references
    that were starts: (ref, file)). ``root``: the project, which a link may not leave."""
    content = _content_paths(papers_dir, root)
    files = _by_slug(content)
    listed = {os.path.abspath(file) for file in content}  # (a second file of a slug too)
    paths: list[Path] = []
    problems: list[Diagnostic] = []
    matched: list[tuple[str, Path]] = []
    where = shown_path(papers_dir) if papers_dir.is_dir() else \
        f"this project (it has no {shown_path(papers_dir)}/ folder: run this in your " \
        f"project's folder, or give --config)"
    for ref in refs:
        as_path = Path(ref)
        if ref.endswith(".md") or os.sep in ref or "/" in ref:
            if as_path.is_file() and os.path.abspath(as_path) in listed:
                paths.append(as_path)
                continue
            if as_path.is_file():  # (a link out of the project, a file elsewhere)
                problems.append(error(ref, None, f"not a paper's file: the papers are the "
                                                 f"*.md files in {where}"))
                continue
        slug = as_path.stem if ref.endswith(".md") else ref
        if slug in files:
            paths.append(files[slug])
            continue
        # typed loosely: spaced, in capitals, or the title itself (its slug, as `new` made it)
        if re.search(r"[^\W_]", slug):  # (a title Windows reserves, or in Chinese: its
            named = title_slug(slug)  # new file's name is not its slugify'd title)
            latin = re.search(r"[A-Za-z0-9]", slug)
            slug = named if named in files else slugify(slug) if latin else slug
        if slug in files:
            paths.append(files[slug])
            matched.append((ref, files[slug]))
            continue
        starting = [s for s in sorted(files) if slug and s.startswith(slug)]
        if len(starting) == 1:
            paths.append(files[starting[0]])
            matched.append((ref, files[starting[0]]))
            continue
        if len(starting) > 1:
            shown = ", ".join(starting[:8]) + (f" and {len(starting) - 8} more"
                                               if len(starting) > 8 else "")
            problems.append(error(ref, None, f"names {len(starting)} papers: {shown}; give "
                                             f"more of the slug"))
            continue
        if not slug.strip():
            problems.append(error(repr(ref), None, "no slug given: name a paper by its slug, "
                                                   "the start of it, or its file"))
            continue
        close = [s for s in sorted(files) if slug in s][:3]
        # People type the start of a long slug: compare a typo with starts as long as it
        # (every paper a close start begins).
        starts: dict[str, list[str]] = {}
        for s in sorted(files):
            starts.setdefault(s[:len(slug)], []).append(s)
        close += [s for start in difflib.get_close_matches(slug, starts, n=3, cutoff=0.8)
                  for s in starts[start] if s not in close]
        close = close or difflib.get_close_matches(slug, files, n=3, cutoff=0.6)
        hint = f"; did you mean {', '.join(repr(c) for c in close[:3])}?" if close else ""
        problems.append(error(ref, None, f"no paper with this slug or path in {where}{hint}"))
    unique = list(dict.fromkeys(paths))
    return unique, problems, matched


# --- `tag`, `status`, `rate` -----------------------------------------------------------

@dataclass(frozen=True)
class Edit:
    """What an edit did to one file: ``changed`` False means the file was left alone."""

    path: Path
    changed: bool
    detail: str


FrontMatterChange = Callable[[dict[str, Any]], tuple[dict[str, Any], str]]


def _edit_file(path: Path, change: FrontMatterChange) -> Edit:
    raw = path.read_bytes()
    text = universal_text(raw, str(path))
    if isinstance(text, Diagnostic):  # (as check says it)
        raise EditError(text.message, text.line)
    try:
        data, _, _ = read_front_matter(text)
    except FrontMatterError as exc:
        raise EditError(f"{exc}; fix it by hand first", exc.line) from None
    updates, detail = change(data)
    updates = {k: v for k, v in updates.items() if canonical(v) != canonical(data.get(k))}
    if not updates:
        return Edit(path, False, detail)
    new = edit_front_matter(text, updates, order=KEY_ORDER)
    if new == text:
        return Edit(path, False, detail)
    atomic_write(path, with_line_ends(new, raw), durable=True)
    return Edit(path, True, detail)


def _current_tags(data: dict[str, Any]) -> list[str]:
    tags = data.get("tags")
    found = [] if tags is None else text_list(tags)
    if found is None:
        raise EditError("tags: expected a list of text; fix it by hand first")
    return found


def edit_tags(path: Path, add: Sequence[str], remove: Sequence[str]) -> Edit:
    """Add and remove tags in one file; a tag already there (in any spelling) is kept. A
    tag is written as the site names it (spaces collapsed, ``new`` does the same). Adding
    and removing know a tag alike, in any spelling (``check.tag_key``: case, spaces or
    hyphens, a plural 's'): ``--remove "long context"`` removes ``long-context``, as
    ``--add`` of it says it is there."""

    def change(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
        tags = _current_tags(data)
        notes: list[str] = []
        removing = {tag_key(t) for t in remove}
        kept = [t for t in tags if tag_key(t) not in removing]
        notes += [f"-{t}" for t in tags if t not in kept]
        for tag in (" ".join(t.split()) for t in add):  # spaced as the site shows it
            if not tag:
                continue
            same = [t for t in kept if tag_key(t) == tag_key(tag)]
            if same:
                if same[0] != tag:  # (which tag it says this of: several may be added)
                    notes.append(f"{tag}: already tagged '{same[0]}'")
                continue
            kept.append(tag)
            notes.append(f"+{tag}")
        return {"tags": kept}, ", ".join(notes)

    return _edit_file(path, change)


def set_status(path: Path, status: str) -> Edit:
    """Set the reading status (one of model.STATUSES) of one file."""
    if status not in STATUSES:
        raise EditError(f"status must be one of {', '.join(STATUSES)}, got {status!r}")
    return _edit_file(path, lambda data: ({"status": status}, f"status: {status}"))


def set_rating(path: Path, rating: int | None) -> Edit:
    """Set (or with None, remove) the rating of one file."""
    low, high = RATING_RANGE
    if rating is not None and not low <= rating <= high:
        raise EditError(f"rating must be from {low} to {high}, got {rating}")

    def change(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
        if rating is not None:
            return {"rating": rating}, f"rating: {rating}"
        return {"rating": None}, "no rating" if data.get("rating") is None else "rating removed"

    return _edit_file(path, change)


# --- `new` -----------------------------------------------------------------------------

def new_entry_text(title: str, *, authors: Sequence[str] = (), tags: Sequence[str] = (),
                   url: str | None = None, pdf: str | None = None, date: str | None = None,
                   venue: str | None = None, status: str = "unread",
                   added: str | None = None) -> str:
    """The options of `readinglist new` -> the text of a well-formed content file."""
    title = " ".join(title.split())
    if not title:
        raise EditError("the title is empty")
    front: dict[str, Any] = {"title": title}
    if authors:
        front["authors"] = [" ".join(a.split()) for a in authors if a.strip()]
    if date is not None:
        iso = normalize_date(date)
        if iso is None:
            raise EditError(f"--date: expected YYYY-MM-DD (or YYYY-MM, YYYY), got {date!r}")
        if len(iso) == 4:
            front["year"] = int(iso)
        else:
            front["date"] = iso
    if venue:
        front["venue"] = " ".join(venue.split())
    front["added"] = added or today()
    front["tags"] = list(dict.fromkeys(" ".join(t.split()) for t in tags if t.strip()))
    if status not in STATUSES:
        raise EditError(f"--status must be one of {', '.join(STATUSES)}, got {status!r}")
    front["status"] = status
    for key, value in (("url", url), ("pdf", pdf)):
        if value is not None:
            if not value.strip().startswith(("http://", "https://")):
                raise EditError(f"--{key}: expected an http(s) link, got {value!r}")
            front[key] = value.strip()
    return render_file(front)


def create_entry(papers_dir: Path, title: str, root: Path | None = None,
                 **options: Any) -> Path:
    """Write a new content file for ``title`` under a unique slug; never overwrites.
    ``root``: the project, which a link may not leave."""
    text = new_entry_text(title, **options)
    by_title, taken, _ = scan_papers(papers_dir, root)
    existing = by_title.get("title:" + normalize_title(title))
    if existing is not None:
        raise EditError(f"a paper with this title is already in {shown_path(existing.path)}")
    if papers_dir.is_dir():
        taken |= {p.stem for p in papers_dir.iterdir()}
    slug = unique_slug(title_slug(title), taken)
    path = papers_dir / f"{slug}.md"
    papers_dir.mkdir(parents=True, exist_ok=True)
    try:  # (killed or out of space midway, no half-written file is left)
        atomic_write(path, text.encode("utf-8"), durable=True, exclusive=True)
    except FileExistsError:
        raise EditError(f"refusing to overwrite {shown_path(path)}") from None
    return path
