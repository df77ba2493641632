"""Edits from the command line: `new` entries and tag/status/rating changes in place.

A new entry is written with ``content.render_file``; an edit goes through
``content.edit_front_matter`` + ``writer.atomic_write``, so comments, unknown keys, key order
and notes stay byte for byte, and a file whose value does not change is not rewritten.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.check import shown_path, tag_key
from generator.content import (
    FrontMatterError,
    content_files,
    edit_front_matter,
    normalize_date,
    read_front_matter,
    render_file,
    slug_for_path,
)
from generator.diagnostics import Diagnostic, error
from generator.ingest import canonical, scan_papers, today
from generator.model import (
    IMPORTED_KEYS,
    RATING_RANGE,
    STATUSES,
    USER_KEYS,
    normalize_title,
    slugify,
    unique_slug,
)
from generator.writer import atomic_write

KEY_ORDER = IMPORTED_KEYS + USER_KEYS


class EditError(Exception):
    """A request that cannot be carried out; the message says why and what to do."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.line = line


# --- finding papers --------------------------------------------------------------------

def paper_files(papers_dir: Path) -> dict[str, Path]:
    """slug -> content file, for every ``*.md`` under papers_dir (first file wins)."""
    found: dict[str, Path] = {}
    if papers_dir.is_dir():
        for file in (Path(path) for _, path in content_files(papers_dir).papers):
            found.setdefault(slug_for_path(file), file)
    return found


def resolve(refs: Sequence[str], papers_dir: Path
            ) -> tuple[list[Path], list[Diagnostic], list[tuple[str, Path]]]:
    """Slugs, unique starts of slugs, or paths -> (content files, one error per reference
    that names no paper or several, the references that were starts: (ref, file))."""
    files = paper_files(papers_dir)
    paths: list[Path] = []
    problems: list[Diagnostic] = []
    matched: list[tuple[str, Path]] = []
    where = shown_path(papers_dir) if papers_dir.is_dir() else \
        f"this project (it has no {shown_path(papers_dir)}/ folder: run this in your " \
        f"project's folder, or give --config)"
    for ref in refs:
        as_path = Path(ref)
        if ref.endswith(".md") or os.sep in ref or "/" in ref:
            if as_path.is_file():
                paths.append(as_path)
                continue
        slug = as_path.stem if ref.endswith(".md") else ref
        if slug in files:
            paths.append(files[slug])
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
        close = [s for s in sorted(files) if slug and slug in s][:3]
        close += [s for s in difflib.get_close_matches(slug, files, n=3, cutoff=0.6)
                  if s not in close]
        hint = f"; did you mean {', '.join(repr(c) for c in close[:3])}?" if close else ""
        problems.append(error(ref, None, f"no paper with this slug or path in {where}{hint}"))
    unique = list(dict.fromkeys(paths))
    return unique, problems, matched


# --- editing ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Edit:
    """What an edit did to one file: ``changed`` False means the file was left alone."""

    path: Path
    changed: bool
    detail: str


Change = Callable[[dict[str, Any]], tuple[dict[str, Any], str]]


def _edit_file(path: Path, change: Change) -> Edit:
    text = path.read_text(encoding="utf-8")
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
    atomic_write(path, new.encode("utf-8"), durable=True)
    return Edit(path, True, detail)


def _current_tags(data: dict[str, Any], path: Path) -> list[str]:
    tags = data.get("tags")
    if tags is None:
        return []
    if isinstance(tags, str):
        return [tags]
    if isinstance(tags, list) and all(isinstance(t, (str, int, float)) and
                                      not isinstance(t, bool) for t in tags):
        return [str(t) for t in tags]
    raise EditError("tags: expected a list of text; fix it by hand first")


def edit_tags(path: Path, add: Sequence[str], remove: Sequence[str]) -> Edit:
    """Add and remove tags in one file; a tag already there (in any spelling) is kept."""

    def change(data: dict[str, Any]) -> tuple[dict[str, Any], str]:
        tags = _current_tags(data, path)
        notes: list[str] = []
        removing = {t.casefold() for t in remove}
        kept = [t for t in tags if t.casefold() not in removing]
        notes += [f"-{t}" for t in tags if t not in kept]
        for tag in add:
            same = [t for t in kept if tag_key(t) == tag_key(tag)]
            if same:
                if same[0] != tag:
                    notes.append(f"already tagged '{same[0]}'")
                continue
            kept.append(tag)
            notes.append(f"+{tag}")
        return {"tags": kept}, " ".join(notes)

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
    detail = f"rating: {rating}" if rating is not None else "rating removed"
    return _edit_file(path, lambda data: ({"rating": rating}, detail))


# --- new -------------------------------------------------------------------------------

def _is_link(value: str) -> bool:
    return value.startswith(("http://", "https://"))


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
            if not _is_link(value.strip()):
                raise EditError(f"--{key}: expected an http(s) link, got {value!r}")
            front[key] = value.strip()
    return render_file(front)


def create_entry(papers_dir: Path, title: str, **options: Any) -> Path:
    """Write a new content file for ``title`` under a unique slug; never overwrites."""
    text = new_entry_text(title, **options)
    by_title, taken, _ = scan_papers(papers_dir)
    existing = by_title.get("title:" + normalize_title(title))
    if existing is not None:
        raise EditError(f"a paper with this title is already in {shown_path(existing.path)}")
    if papers_dir.is_dir():
        taken |= {p.stem for p in papers_dir.iterdir()}
    slug = unique_slug(slugify(title), taken)
    path = papers_dir / f"{slug}.md"
    papers_dir.mkdir(parents=True, exist_ok=True)
    try:
        with open(path, "x", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
    except FileExistsError:
        raise EditError(f"refusing to overwrite {shown_path(path)}") from None
    return path
