"""Content files <-> papers: front matter parsing with line-precise diagnostics, and
text-level front-matter edits that keep the user's comments, key order and unknown keys."""

from __future__ import annotations

import datetime as dt
import difflib
import errno
import hashlib
import os
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import yaml

from generator.diagnostics import Diagnostic, as_written, error, universal_text, warning
from generator.model import (
    ENTRY_TYPES,
    KNOWN_KEYS,
    RATING_RANGE,
    STATUSES,
    Paper,
    is_safe_slug,
    slugify,
)

FENCE = "---"
_DATE_RE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class FrontMatterError(ValueError):
    """The file has no readable front matter; ``line`` is 1-based in the whole file."""

    def __init__(self, message: str, line: int | None):
        super().__init__(message)
        self.line = line


def _as_split(text: str) -> str:
    """File text as ``split_front_matter`` reads it: no BOM, LF line ends."""
    return text.lstrip("\ufeff").replace("\r\n", "\n")


# All a symbolic link is where git does not make links (Windows, core.symlinks false): its
# target, on one line without a line end
_LINK_AS_FILE = re.compile(r"(?:\S*|[^\n]*/[^\n]*)\.md")


def split_front_matter(text: str) -> tuple[str, str, int]:
    """File text -> (front-matter text, body, line number of the first front-matter line)."""
    text = _as_split(text)
    lines = text.split("\n")
    if not lines or lines[0].strip() != FENCE:
        if _LINK_AS_FILE.fullmatch(text):
            raise FrontMatterError(f"missing front matter: all the file holds is '{text}': a "
                                   f"symbolic link that git checked out as a file (as on "
                                   f"Windows, without core.symlinks); copy the file it "
                                   f"names here instead", 1)
        raise FrontMatterError("missing front matter: the file must start with a '---' line",
                               1)
    for i in range(1, len(lines)):
        if lines[i].rstrip() == FENCE:
            body = "\n".join(lines[i + 1:])
            return "\n".join(lines[1:i]) + "\n", body.lstrip("\n"), 2
    raise FrontMatterError("front matter is not closed: add a '---' line after it", 1)


def body_line(text: str, body: str) -> int:
    """The line of the file ``text`` on which ``body`` (as ``split_front_matter`` gave it)
    starts, for messages about the notes."""
    whole = _as_split(text)
    return whole.count("\n", 0, len(whole) - len(body)) + 1


MAX_YAML_NUMBER = 100  # characters of an integer (an id pasted without quotes is longer)


def _int(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """An integer, refusing one of more than ``MAX_YAML_NUMBER`` characters: Python will not
    read 4,300 digits, nor print a longer hex number, and check or build stopped with an
    internal error."""
    scalar = cast(yaml.ScalarNode, node)
    if len(str(scalar.value)) > MAX_YAML_NUMBER:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number of more than {MAX_YAML_NUMBER} characters; put it in "
                        "quotes if it is text", scalar.start_mark)
    return yaml.SafeLoader.construct_yaml_int(loader, scalar)


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's SafeLoader, refusing integers too long to read or print (config.yaml's)."""


BoundedLoader.add_constructor("tag:yaml.org,2002:int", _int)


class _PyLoader(BoundedLoader):
    """SafeLoader that keeps an impossible date (2024-02-30) as text instead of raising
    ValueError, so it is reported on its key's line like any other bad date. Pure Python:
    used for its messages, when libyaml rejects a file."""


def _timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    scalar = cast(yaml.ScalarNode, node)  # the resolver tags only scalars as timestamps
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, scalar)
    except ValueError:
        return loader.construct_scalar(scalar)


def _mapping(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """A mapping, refusing a key written twice (PyYAML would keep the last one silently:
    ``title: A`` then ``title: B`` is B, and the user never learns why A is gone)."""
    if isinstance(node, yaml.MappingNode):
        seen: dict[Any, yaml.Mark] = {}
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode):
                key = loader.construct_scalar(key_node)
                if key in seen:
                    raise yaml.constructor.ConstructorError(
                        "duplicate key", seen[key], f"duplicate key '{key}'; keep one",
                        key_node.start_mark)
                seen[key] = key_node.start_mark
    return yaml.SafeLoader.construct_yaml_map(loader, node)


_PyLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
_PyLoader.add_constructor("tag:yaml.org,2002:map", _mapping)
_Loader: type[Any] = _PyLoader
if hasattr(yaml, "CSafeLoader"):  # PyYAML built with libyaml: about 20 times faster
    class _CLoader(yaml.CSafeLoader):
        """The same safe loader, parsing with libyaml."""

    _CLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)
    _CLoader.add_constructor("tag:yaml.org,2002:map", _mapping)
    _CLoader.add_constructor("tag:yaml.org,2002:int", _int)
    _Loader = _CLoader


def key_lines(fm: str, first_line: int) -> dict[str, int]:
    """Top-level key -> its line, in YAML text whose first line is ``first_line``."""
    node = None
    for loader in (_Loader, _PyLoader):
        try:
            node = yaml.compose(fm, Loader=loader)
            break
        except yaml.YAMLError:
            continue
    if not isinstance(node, yaml.MappingNode):
        return {}
    return {str(k.value): k.start_mark.line + first_line for k, _ in node.value}


# What a content or config file may make PyYAML build: PyYAML follows aliases by reference,
# so 9 aliases of 9 aliases... (a "billion laughs") load in a blink and then hang whatever
# walks the value (papers.json, a merge), and its constructor recurses once per level.
MAX_YAML_BYTES = 1_000_000
MAX_YAML_DEPTH = 32
MAX_YAML_NODES = 100_000  # counting every node an alias stands for
_NESTING = re.compile(r"^[ \t]{64}|[\[{](?:[^\]}]*[\[{]){7}", re.M)  # deep, maybe


def yaml_limits(text: str) -> tuple[int, str] | None:
    """(0-based line, what to fix) when YAML text is larger, deeper or expands to more nodes
    than front matter or a config ever needs; None when it is within the limits."""
    if len(text) > MAX_YAML_BYTES:
        return 0, f"YAML too large ({len(text):,} characters; at most {MAX_YAML_BYTES:,})"
    if "*" not in text and not _NESTING.search(text):
        return None  # no alias and no deep nesting: the usual file, checked in no time
    sizes: dict[str, int] = {}  # anchor -> nodes it stands for
    open_: list[list[Any]] = [[0, None]]  # per open collection: [nodes so far, its anchor]
    try:
        for event in yaml.parse(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
            line = event.start_mark.line if event.start_mark else 0
            if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
                open_.append([1, event.anchor])
                if len(open_) > MAX_YAML_DEPTH:
                    return line, f"YAML nested too deep (more than {MAX_YAML_DEPTH} levels)"
            elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
                count, anchor = open_.pop()
                if anchor:
                    sizes[anchor] = count
                open_[-1][0] += count
            elif isinstance(event, (yaml.ScalarEvent, yaml.AliasEvent)):
                count = sizes.get(event.anchor or "", 1) if isinstance(
                    event, yaml.AliasEvent) else 1
                if isinstance(event, yaml.ScalarEvent) and event.anchor:
                    sizes[event.anchor] = 1
                open_[-1][0] += count
            if sum(c for c, _ in open_) > MAX_YAML_NODES:
                return line, (f"YAML aliases expand to more than {MAX_YAML_NODES:,} values; "
                              f"write the values out, or use fewer '*' aliases")
    except yaml.YAMLError as exc:  # libyaml stops at 1,000 levels, before any event
        mark = getattr(exc, "problem_mark", None)
        if "nesting depth" in str(exc):
            return (mark.line if mark else 0), f"YAML nested too deep (more than " \
                                               f"{MAX_YAML_DEPTH} levels)"
        return None  # the loader reports it, with its own words
    return None


# "\uD83D" without its pair: PyYAML (the loader when libyaml is missing, or the config's)
# reads it as half a character, which no UTF-8 file can hold: the build failed writing it.
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
SURROGATE_PROBLEM = "a '\\uD800'-'\\uDFFF' escape alone is half a character; write the " \
                    "character itself"


def _holds_surrogate(value: Any) -> bool:
    if isinstance(value, str):
        return any("\ud800" <= c <= "\udfff" for c in value)
    if isinstance(value, dict):
        return any(_holds_surrogate(k) or _holds_surrogate(v) for k, v in value.items())
    return isinstance(value, list) and any(_holds_surrogate(v) for v in value)


def surrogate_line(text: str, data: Any) -> int | None:
    """The 0-based line of the first surrogate escape in YAML ``text`` when the value it
    loaded to holds half a character; None when it holds none (the usual case: no escape)."""
    found = _SURROGATE_ESCAPE.search(text)
    if found is None or not _holds_surrogate(data):
        return None
    return text.count("\n", 0, found.start())


_NOT_CLOSED = {"while parsing a flow sequence": "a list opened with '[' here is not closed",
               "while parsing a flow mapping": "a mapping opened with '{' here is not closed",
               "while scanning a quoted scalar": "a quoted value opened here is not closed",
               # (`page_size 5`: PyYAML notices only on the next line)
               "while scanning a simple key": "a key without ':' after it"}


def yaml_problem(exc: yaml.YAMLError, first: int) -> tuple[int | None, str]:
    """A YAML error -> (line, what is wrong), ``first`` the file's line of the YAML's
    first: an unclosed bracket or quote named where it opens, not where the parser gave up
    (often the next key, or the end); a duplicate key with the line of its first use."""
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + first if mark else None
    problem = getattr(exc, "problem", None) or "could not be read"
    context, seen = getattr(exc, "context", None), getattr(exc, "context_mark", None)
    if seen is not None and context in _NOT_CLOSED and seen.line + first != line:
        where = f" on line {line}" if line is not None else ""
        return seen.line + first, f"{_NOT_CLOSED[context]} ({problem}{where})"
    if seen is not None and context == "duplicate key":
        problem = problem.replace(";", f" (first on line {seen.line + first});")
    return line, problem


def _load_front_matter(text: str) -> tuple[dict[str, Any], str, str, int]:
    """File text -> (front-matter mapping, body, front-matter text, its first line)."""
    fm, body, first = split_front_matter(text)
    limit = yaml_limits(fm)
    if limit is not None:
        raise FrontMatterError(f"{limit[1]}", limit[0] + first)
    try:
        data = yaml.load(fm, Loader=_Loader)  # safe constructors only
    except yaml.YAMLError:
        try:  # the same verdict, in PyYAML's words (libyaml's differ)
            data = yaml.load(fm, Loader=_PyLoader)
        except yaml.YAMLError as exc:
            line, problem = yaml_problem(exc, first)
            raise FrontMatterError(f"invalid YAML in front matter: {problem}",
                                   first if line is None else line) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise FrontMatterError("front matter must be a mapping of 'key: value' lines", first)
    half = surrogate_line(fm, data)
    if half is not None:
        raise FrontMatterError(SURROGATE_PROBLEM, half + first)
    return data, body, fm, first


def read_front_matter(text: str) -> tuple[dict[str, Any], str, dict[str, int]]:
    """File text -> (front-matter mapping, body, key -> line). Raises FrontMatterError."""
    data, body, fm, first = _load_front_matter(text)
    return data, body, key_lines(fm, first)


def normalize_date(value: Any) -> str | None:
    """A YAML date value -> 'YYYY-MM-DD' / 'YYYY-MM' / 'YYYY'; None when it is not a date."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int) and not isinstance(value, bool) and 1000 <= value <= 9999:
        return f"{value:04d}"
    if isinstance(value, str):
        m = _DATE_RE.match(value.strip())
        if not m:
            return None
        try:
            if m.group(3):
                return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
            if m.group(2) and not 1 <= int(m.group(2)) <= 12:
                return None
        except ValueError:
            return None
        return value.strip()
    return None


def text_list(value: Any) -> list[str] | None:
    """A text or a list of texts (numbers read as text) -> a list of str; None otherwise."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list) and all(isinstance(v, (str, int, float)) and
                                       not isinstance(v, bool) for v in value):
        return [str(v) for v in value]
    return None


def parse_paper(text: str, path: str, slug: str) -> tuple[Paper | None, list[Diagnostic]]:
    """Content-file text -> (Paper or None when unusable, diagnostics with file and line)."""
    try:
        data, body, fm, first = _load_front_matter(text)
    except FrontMatterError as exc:
        return None, [error(path, exc.line, str(exc))]
    problems: list[Diagnostic] = []
    fields: dict[str, Any] = {}
    lines: list[dict[str, int]] = []  # key -> line, worked out at the first problem only

    def bad(key: str, message: str, severity: str = "error") -> None:
        make = error if severity == "error" else warning
        if not lines:
            lines.append(key_lines(fm, first))
        problems.append(make(path, lines[0].get(key, 2), f"{key}: {message}"))

    for key, value in data.items():
        key = str(key)
        if value is None:
            continue
        if key == "title":
            if not isinstance(value, (str, int, float)) or not str(value).strip():
                bad(key, "expected text")
            else:
                fields["title"] = " ".join(str(value).split())
        elif key in ("authors", "organizations", "tags", "links", "keywords"):
            items = text_list(value)
            if items is None:
                bad(key, "expected a list of text, e.g. [a, b]")
                continue
            items = [" ".join(i.split()) for i in items if i.strip()]
            if key == "links":
                for link in items:
                    if not link.startswith(("http://", "https://")):
                        bad(key, f"'{link}' is not an http(s) link; it will not be shown",
                            "warning")
            fields[key] = tuple(items)
        elif key == "comments" and (isinstance(value, bool) or not isinstance(value, int)):
            fields.setdefault("extra", {})[key] = value  # the user's own comments, not a count
        elif key in ("author_count", "upvotes", "comments", "year", "rating"):
            if isinstance(value, bool) or not isinstance(value, int):
                bad(key, f"expected a whole number, got {as_written(value)}")
                continue
            if key == "year" and not 1000 <= value <= 9999:
                bad(key, f"expected a four-digit year, got {value}")
                continue
            if key in ("author_count", "upvotes", "comments") and not 0 <= value < 10**9:
                bad(key, f"expected a count from 0, got {value}")
                continue
            if key == "rating" and not RATING_RANGE[0] <= value <= RATING_RANGE[1]:
                bad(key, f"expected a rating from {RATING_RANGE[0]} to {RATING_RANGE[1]}, "
                         f"got {value}")
                continue
            fields[key] = value
        elif key in ("authors_truncated", "has_code"):
            if not isinstance(value, bool):
                bad(key, f"expected true or false, got {as_written(value)}")
                continue
            fields[key] = value
        elif key == "score":
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                bad(key, f"expected a number, got {as_written(value)}")
                continue
            fields[key] = float(value)
        elif key in ("date", "added"):
            iso = normalize_date(value)
            if iso is None:
                bad(key, "expected a date as YYYY-MM-DD (or YYYY-MM, YYYY), got "
                         + as_written(value))
                continue
            if key == "date" and len(iso) == 4:
                fields.setdefault("year", int(iso))
            else:
                fields[key] = iso
        elif key == "status":  # (any case: the site shows "Read", people type what they see)
            status = value.strip().lower() if isinstance(value, str) else value
            if status not in STATUSES:
                bad(key, f"expected one of {', '.join(STATUSES)}, got {as_written(value)}")
                continue
            fields[key] = status
        elif key in ("venue", "category", "abstract", "url", "pdf", "doi", "arxiv", "pages",
                     "volume", "publisher", "citation_key"):
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                bad(key, "expected text")
                continue
            text_value = str(value).strip()
            if key in ("url", "pdf") and not text_value.startswith(("http://", "https://")):
                bad(key, f"'{text_value}' is not an http(s) link; it will not be shown",
                    "warning")
                continue
            fields[key] = text_value if key == "abstract" else " ".join(text_value.split())
        elif key == "entry_type":
            kind = str(value).strip().lower() if isinstance(value, str) else None
            if kind not in ENTRY_TYPES:
                bad(key, f"expected a BibTeX entry type ({', '.join(ENTRY_TYPES)}), got "
                         f"{as_written(value)}; papers.bib tells it from the venue", "warning")
                continue
            fields[key] = kind
        elif key == "sources":
            if not isinstance(value, list) or not all(
                    isinstance(s, dict) and all(isinstance(v, str) for v in s.values())
                    for s in value):
                bad(key, "expected a list of {file: ..., format: ...} entries")
                continue
            fields[key] = tuple({str(k): v for k, v in s.items()} for s in value)
        else:
            close = difflib.get_close_matches(key, KNOWN_KEYS, n=1, cutoff=0.75)
            if close:
                bad(key, f"unknown key; did you mean '{close[0]}'?", "warning")
            fields.setdefault("extra", {})[key] = value
    if "title" not in fields and not any(d.message.startswith("title:") for d in problems):
        problems.append(error(path, 1, "title: missing; every paper needs a title"))
    if any(d.severity == "error" for d in problems):
        return None, problems
    return Paper(slug=slug, notes=body.strip("\n") + ("\n" if body.strip() else ""),
                 path=path, **fields), problems


def slug_for_path(path: Path) -> str:
    """The slug of a content file: its name, made safe if the user chose an unsafe one."""
    return path.stem if is_safe_slug(path.stem) else slugify(path.stem)


@dataclass(frozen=True)
class Source:
    """One content file as scanned: where it is, its path as shown in messages, its slug,
    the hash of its bytes, and the bytes when they were read (``None``: the scan knew the
    hash from the file's unchanged stat, see ``read_sources``)."""

    path: str
    shown: str
    slug: str
    data: bytes | None
    digest: str
    stat: FileStat = (0, 0, 0, 0)

    def read(self) -> bytes:
        return self.data if self.data is not None else _read(self.path)


FileStat = tuple[int, int, int, int]  # size, mtime_ns, ctime_ns, inode
Known = Mapping[str, tuple[FileStat, str]]  # shown path -> (stat, hash) from a scan
RACY_NS = 2_000_000_000  # a file changed this close to a scan may change again unseen


@dataclass(frozen=True)
class ContentFiles:
    """What a papers folder holds, by the one rule check, build, serve and import share."""

    papers: list[tuple[tuple[str, ...], str]]  # (parts below the folder, path) of each .md
    others: list[str]  # shown paths of files that are not .md (ignored; check says so)
    problems: list[Diagnostic]  # links that leave the project, or loop
    linked: list[str]  # where the links to .md files lead (the files, resolved)


def content_files(papers_dir: Path, root: Path | None = None) -> ContentFiles:
    """Every ``*.md`` file below ``papers_dir``, at any depth, sorted, except what an editor
    or the system keeps there: a file or folder whose name starts with ``.``. A symbolic
    link is followed when what it points to is inside the project (``root``, by default
    the folder holding the content folder); a link out of it, which would publish a file
    from anywhere, and a link that loops are errors."""
    root = (root if root is not None else papers_dir.parent.parent).resolve()
    shown_dir = papers_dir.relative_to(root).as_posix() if papers_dir.is_absolute() and \
        papers_dir.is_relative_to(root) else papers_dir.as_posix()
    found = ContentFiles([], [], [], [])

    def walk(folder: str, rel: str, inside: frozenset[str]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            found.problems.append(error(f"{shown_dir}/{rel}".rstrip("/"), None,
                                        f"cannot read this folder: {exc.strerror}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            name, shown = rel + entry.name, f"{shown_dir}/{rel}{entry.name}"
            link = entry.is_symlink()  # (the directory entry says: no system call)
            target = os.path.realpath(entry.path) if link else entry.path
            if link and not (target == str(root) or target.startswith(str(root) + os.sep)):
                found.problems.append(error(shown, None, f"a link to {target}, outside the "
                                            f"project; copy the file here instead"))
                continue
            if os.path.isdir(target) if link else entry.is_dir(follow_symlinks=False):
                real = os.path.realpath(target)
                if real in inside:
                    found.problems.append(error(shown, None, "a link that leads back to a "
                                                "folder it is in; remove it"))
                    continue
                walk(entry.path, name + "/", inside | {real})
            elif not (os.path.isfile(target) if link else entry.is_file(follow_symlinks=False)):
                nothing = link and not os.path.exists(target)
                found.problems.append(error(shown, None, "a link to nothing; remove it"
                                            if nothing else "not a file (a named pipe, a "
                                            "socket or a device); remove it"))
            elif entry.name.endswith(".md"):
                found.papers.append((tuple(name.split("/")), entry.path))
                if link:
                    found.linked.append(target)
            else:
                found.others.append(shown)

    if papers_dir.is_dir():
        walk(str(papers_dir), "", frozenset({os.path.realpath(papers_dir)}))
    found.papers.sort()
    return found


def _read(path: str, size: int = -1) -> bytes:
    """A file's bytes. ``size``: its size as just stat'ed: a read of one byte more that
    returns exactly that many is all of it, and one call, not two (the one that finds the
    end), per file; anything else reads on to the end."""
    fd = os.open(path, os.O_RDONLY)  # no buffered file object: 10,000 of them add up
    try:
        chunks = []
        if size >= 0:
            chunk = os.read(fd, size + 1)
            if len(chunk) == size:
                return chunk
            chunks.append(chunk)
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_source(file: tuple[str, str, str]) -> Source:
    """(path, shown, slug) -> the file's Source: read and hashed."""
    path, shown, slug = file
    st = os.stat(path)
    data = _read(path, st.st_size)
    return Source(path, shown, slug, data, hashlib.blake2b(data, digest_size=16).hexdigest(),
                  (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))


Reader = Callable[[list[tuple[str, str, str]]], list[Source]]


def read_sources(papers_dir: Path, root: Path | None = None, known: Known | None = None,
                 scanned_ns: int = 0, read: Reader | None = None,
                 files: ContentFiles | None = None) -> list[Source]:
    """Every ``*.md`` under papers_dir (sorted as paths sort) with the hash of its bytes.

    ``known``: what a scan at ``scanned_ns`` (time.time_ns()) found. A file whose size,
    times and inode are as then is not read again, unless it was modified within
    ``RACY_NS`` of that scan: an edit in the same clock tick could keep all four (git's
    "racy clean" problem), so such a file is hashed afresh. ``read``: reads the other
    files, (path, shown, slug) -> Source in order (default: ``read_source`` each, here).
    ``files``: the folder's ``content_files``, when the caller has them."""
    if not papers_dir.is_dir():
        return []
    shown_dir = str(papers_dir.relative_to(root)) if root and papers_dir.is_relative_to(root) \
        else str(papers_dir)
    sources: list[Source | None] = []
    unread: list[tuple[str, str, str]] = []
    known = known or {}
    files = files if files is not None else content_files(papers_dir, root)
    for parts, path in files.papers:
        stem = parts[-1][:-3] if len(parts[-1]) > 3 else parts[-1]
        slug = stem if is_safe_slug(stem) else slugify(stem)
        shown = shown_dir + "/" + "/".join(parts)
        seen = known.get(shown)
        if seen is not None:
            st = os.stat(path)
            stat = (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino)
            if seen[0] == stat and max(stat[1], stat[2]) < scanned_ns - RACY_NS:
                sources.append(Source(path, shown, slug, None, seen[1], stat))
                continue
        if not os.access(path, os.R_OK):  # (another user's file: said as check says it)
            files.problems.append(error(shown, None, f"cannot read: "
                                                     f"{os.strerror(errno.EACCES)}"))
            continue
        sources.append(None)
        unread.append((path, shown, slug))
    fresh = iter(read(unread) if read is not None and unread else map(read_source, unread))
    return [source if source is not None else next(fresh) for source in sources]


def read_and_parse(file: tuple[str, str, str]
                   ) -> tuple[Source, tuple[Paper | None, list[Diagnostic]]]:
    """(path, shown, slug) -> (its Source without the bytes, what parse_source makes of
    it): a build with nothing to reuse reads each file once, hashing and parsing."""
    source = read_source(file)
    return Source(source.path, shown=source.shown, slug=source.slug, data=None,
                  digest=source.digest, stat=source.stat), parse_source(source)


def parse_source(source: Source) -> tuple[Paper | None, list[Diagnostic]]:
    """A content file as read -> (Paper or None when unusable, diagnostics)."""
    text = universal_text(source.read(), source.shown)  # as read_text() reads it
    if isinstance(text, Diagnostic):
        return None, [text]
    return parse_paper(text, source.shown, source.slug)


def parse_sources(sources: Iterable[Source],
                  cache: dict[tuple[str, str, str], Any] | None = None
                  ) -> tuple[list[Paper], list[Diagnostic]]:
    """Content files -> (papers, all diagnostics). ``cache`` maps (path, slug, hash) to an
    earlier parse: a file whose bytes did not change is not parsed again."""
    papers: list[Paper] = []
    problems: list[Diagnostic] = []
    for source in sources:
        key = (source.shown, source.slug, source.digest)
        found = cache.get(key) if cache is not None else None
        if found is None:
            found = parse_source(source)
            if cache is not None:
                cache[key] = found
        paper, diagnostics = found
        problems.extend(diagnostics)
        if paper is not None:
            papers.append(paper)
    return papers, problems


def load_papers(papers_dir: Path, root: Path | None = None
                ) -> tuple[list[Paper], list[Diagnostic]]:
    """Read every ``*.md`` under papers_dir (sorted) -> (papers, all diagnostics)."""
    files = content_files(papers_dir, root)
    papers, problems = parse_sources(read_sources(papers_dir, root, files=files))
    return papers, [*files.problems, *problems]


# --- writing -------------------------------------------------------------------------

def _yaml_value(key: str, value: Any) -> Any:
    if key in ("date", "added") and isinstance(value, str) and len(value) == 10:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, tuple):
        return [_yaml_value("", v) for v in value]
    return value


# libyaml's emitter when PyYAML has it: the same text as the Python one (a test holds them
# to it on every bundled file), five times sooner, which a 10,000-entry .bib import notices
_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def dump_key(key: str, value: Any) -> str:
    """One top-level front-matter block, ``key: value`` plus continuation lines."""
    return yaml.dump({key: _yaml_value(key, value)}, Dumper=_DUMPER, allow_unicode=True,
                     sort_keys=False, width=90, default_flow_style=False)


def render_file(front: Mapping[str, Any], body: str = "") -> str:
    """Ordered mapping + notes -> the text of a new content file (the blocks ``dump_key``
    makes, made in one call)."""
    values = {k: _yaml_value(k, v) for k, v in front.items() if v is not None}
    blocks = yaml.dump(values, Dumper=_DUMPER, allow_unicode=True, sort_keys=False,
                       width=90, default_flow_style=False) if values else ""
    return f"{FENCE}\n{blocks}{FENCE}\n" + (f"\n{body.strip()}\n" if body.strip() else "")


_TOP_KEY = re.compile(r"^([^\s#\-][^:]*?|\"[^\"]*\"|'[^']*')\s*:(?:\s|$)")


_BLOCK_SCALAR = re.compile(r":\s*[|>][-+0-9]*\s*(?:#.*)?$")


def _comments(lines: list[str]) -> list[str]:
    """The comments inside one key's block after its first line, which an edit that
    rewrites the key keeps after it: comment lines (at any indentation) and the comments
    that end a line (``- rag  # why``), in order. The lines of a ``|`` or ``>`` block are
    text, even those starting with ``#``."""
    if _BLOCK_SCALAR.search(lines[0]):
        return []
    ends = _end_comments(lines)
    return [line if line.lstrip().startswith("#") else ends[i].strip()
            for i, line in enumerate(lines) if i and (line.lstrip().startswith("#") or ends[i])]


def _end_comments(lines: list[str]) -> list[str]:
    """For each line of one key's block, the comment that ends it with the blanks before it
    (``"  # since May"``), or ''. Found after the line's last YAML token, so a '#' in a
    quoted value or a ``|`` block is text; a block that does not scan alone has none."""
    found = [""] * len(lines)
    if not any("#" in line for line in lines):  # the common case, without a scan
        return found
    last: dict[int, int] = {}  # line -> column where its last token ends
    inside: set[int] = set()  # lines a token goes on past
    try:
        for token in yaml.scan("\n".join(lines) + "\n", Loader=yaml.SafeLoader):
            start, end = token.start_mark, token.end_mark
            if start.index == end.index:  # a marker of structure, not text
                continue
            inside.update(range(start.line, end.line))
            last[end.line] = max(last.get(end.line, 0), end.column)
    except yaml.YAMLError:
        return found
    for line, column in last.items():
        rest = lines[line][column:] if line < len(lines) and line not in inside else ""
        if rest[:1] in (" ", "\t") and rest.lstrip().startswith("#"):
            found[line] = rest
    return found


def _same_yaml(lines: list[str], other: list[str]) -> bool:
    """Whether two versions of a block hold the same value (one with a comment added)."""
    try:
        return bool(yaml.load("\n".join(lines), Loader=_Loader) ==
                    yaml.load("\n".join(other), Loader=_Loader))
    except yaml.YAMLError:
        return False


def _blocks(fm_lines: list[str]) -> list[tuple[str | None, list[str]]]:
    """Front-matter lines -> [(key or None for comments/blank, lines)] in order."""
    blocks: list[tuple[str | None, list[str]]] = []
    for line in fm_lines:
        m = _TOP_KEY.match(line)
        if m:
            blocks.append((m.group(1).strip("'\""), [line]))
        elif blocks and blocks[-1][0] is not None and (
                line.startswith((" ", "\t", "-")) or line == ""):
            blocks[-1][1].append(line)
        else:
            blocks.append((None, [line]))
    # Trailing blank lines belong to no key, so a replaced block does not eat them.
    fixed: list[tuple[str | None, list[str]]] = []
    for key, lines in blocks:
        tail: list[str] = []
        while key is not None and len(lines) > 1 and lines[-1] == "":
            tail.insert(0, lines.pop())
        fixed.append((key, lines))
        fixed.extend((None, [t]) for t in tail)
    return fixed


def edit_front_matter(text: str, updates: Mapping[str, Any],
                      order: Iterable[str] = ()) -> str:
    """Set or delete (value None) top-level keys, touching no other line of the file.

    Comments, unknown keys, user keys and the body stay byte for byte. A new key goes after
    the nearest preceding key of ``order`` that the file has, else at the end.
    """
    text = text.lstrip("\ufeff").replace("\r\n", "\n")
    fm, body_start = _front_matter_span(text)
    blocks = _blocks(fm.split("\n")[:-1] if fm.endswith("\n") else fm.split("\n"))
    order = list(order)
    present = {k for k, _ in blocks if k is not None}
    out: list[tuple[str | None, list[str]]] = []
    for key, lines in blocks:
        if key is not None and key in updates:
            value = updates[key]
            kept = [(None, [line]) for line in _comments(lines)]  # the user's, kept
            first = _end_comments(lines[:1])[0]  # "status: unread  # since May"
            block = [] if value is None else dump_key(key, value).rstrip("\n").split("\n")
            if first and block and _same_yaml(block, [block[0] + first, *block[1:]]):
                block[0] += first  # "status: read  # since May"
            elif first:  # (the new first line goes on in the next, or the key is gone)
                kept.insert(0, (None, [first.strip()]))
            if block:
                out.append((key, block))
            out.extend(kept)
        else:
            out.append((key, lines))
    for key, value in updates.items():
        if key in present or value is None:
            continue
        new = (key, dump_key(key, value).rstrip("\n").split("\n"))
        at = len(out)
        if key in order:
            earlier = order[:order.index(key)]
            positions = [i for i, (k, _) in enumerate(out) if k in earlier]
            later = order[order.index(key) + 1:]
            later_pos = [i for i, (k, _) in enumerate(out) if k in later]
            if positions:
                at = positions[-1] + 1
            elif later_pos:
                at = later_pos[0]
        out.insert(at, new)
    new_fm = "".join(line + "\n" for _, lines in out for line in lines)
    result = f"{FENCE}\n{new_fm}{FENCE}\n" + text[body_start:]
    return result


def _front_matter_span(text: str) -> tuple[str, int]:
    """Text -> (front-matter text, offset where the closing fence line ends)."""
    if not text.startswith(FENCE):
        raise FrontMatterError("missing front matter: the file must start with a '---' line", 1)
    first_nl = text.find("\n")
    pos = first_nl + 1
    while pos <= len(text):
        nl = text.find("\n", pos)
        end = len(text) if nl == -1 else nl
        if text[pos:end].rstrip() == FENCE:
            return text[first_nl + 1:pos], (end + 1 if nl != -1 else end)
        if nl == -1:
            break
        pos = nl + 1
    raise FrontMatterError("front matter is not closed: add a '---' line after it", 1)
