"""What one build leaves for the next: fingerprints of the inputs and caches keyed by them.

    inputs ─scan→ Inputs (every content file's bytes and hash, theme files, config, code)
      ├─ fingerprint == the last good build's, and site/ as it was left → nothing to do
      └─ otherwise each stage looks its work up by a hash of exactly what it reads:
         a content file by its bytes, a page by its context, the search index by its papers

Caches are only ever keyed by content hashes, never by a modification time; a content
file's hash alone is taken from the last scan when its size, times and inode are unchanged
(and were not too fresh then: see ``content.read_sources``). Every cache file records the
format and the generator's code version: a file from another version, or one that cannot
be read, is ignored. They live in ``<project>/.cache/``; the in-memory ``BuildCache`` is
what the dev server keeps between rebuilds.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
import pickle
import sys
import time
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.config import Config
from generator.content import FileStat, Reader, Source, content_files, read_sources
from generator.diagnostics import Diagnostic
from generator.writer import Stat, atomic_write

if TYPE_CHECKING:
    from generator.reading import Facts
    from generator.site import SiteShape

CACHE_DIR = ".cache"
FORMAT = 9  # of the cache files and of Manifest: change it when their shape changes
# Libraries whose behaviour shapes the output: an upgrade must not reuse old results.
LIBRARIES = ("Jinja2", "MarkupSafe", "markdown-it-py", "mdit-py-plugins", "linkify-it-py",
             "mdurl", "PyYAML", "lunr")


def digest(*parts: str | bytes) -> str:
    """A short, stable hash of a sequence of strings/bytes (their boundaries count)."""
    texts = [part for part in parts if type(part) is str]
    if len(texts) == len(parts):  # the common case, in one go
        text = "".join([f"{len(part)}:{part}" for part in texts])
        return hashlib.blake2b(text.encode("utf-8", "surrogatepass"),
                               digest_size=16).hexdigest()
    h = hashlib.blake2b(digest_size=16)
    for part in parts:
        data = part.encode("utf-8", "surrogatepass") if isinstance(part, str) else part
        h.update(f"{len(data)}{'s' if isinstance(part, str) else 'b'}:".encode())
        h.update(data)
    return h.hexdigest()


def _library_versions() -> list[str]:
    """The installed distributions of LIBRARIES (their dist-info folder names hold the
    versions), found without importing importlib.metadata (slow to import)."""
    wanted = {name.lower().replace("-", "_") for name in LIBRARIES}
    found: set[str] = set()
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith((".dist-info", ".egg-info")) and \
                    name.split("-")[0].lower().replace(".", "_") in wanted:
                found.add(f"{entry}/{name}")
    if len({f.rsplit("/", 1)[1].split("-")[0].lower() for f in found}) < len(wanted):
        import importlib.metadata  # an unusual install: ask properly

        for name in LIBRARIES:
            try:
                found.add(f"{name} {importlib.metadata.version(name)}")
            except importlib.metadata.PackageNotFoundError:
                found.add(f"{name} -")
    return sorted(found)


@functools.cache
def code_version() -> str:
    """Our own source files, Python's version and the libraries' versions, as one hash
    (worked out once a process)."""
    package = Path(__file__).resolve().parent
    parts: list[str | bytes] = [str(FORMAT), sys.version, *_library_versions()]
    for file in sorted(package.rglob("*.py")):
        parts += [file.relative_to(package).as_posix(), file.read_bytes()]
    return digest(*parts)


# --- inputs ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Inputs:
    """Everything a build reads, hashed: equal fingerprints build equal sites."""

    sources: tuple[Source, ...]
    theme: tuple[tuple[str, str], ...]  # (where, hash) of every template and static file
    settings: str  # config, SOURCE_DATE_EPOCH and the code version
    fingerprint: str
    scanned_ns: int = 0  # when the scan began (time.time_ns())
    problems: tuple[Diagnostic, ...] = ()  # content the build may not read (content_files)

    @property
    def known(self) -> dict[str, tuple[FileStat, str]]:
        """What the next scan may take from this one: each content file's stat and hash."""
        return {s.shown: (s.stat, s.digest) for s in self.sources}


def _tree(folder: Path) -> list[tuple[str, str]]:
    files = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            files.append((path.relative_to(folder).as_posix(),
                          hashlib.blake2b(path.read_bytes(), digest_size=16).hexdigest()))
    return files


def settings_digest(config: Config) -> str:
    """The config, the environment the output reads and the code version, as one hash."""
    # not where the project is (nor how the command line named it): the site is the same
    return digest(repr(dataclasses.replace(config, root=Path("."))),
                  os.environ.get("SOURCE_DATE_EPOCH", ""), code_version())


def folder_name(folder: Path, root: Path) -> str:
    """A theme folder as the scan names it: from the project folder, however the command
    line named that."""
    return os.path.relpath(os.path.abspath(folder), os.path.abspath(root))


def scan_inputs(config: Config, theme_dirs: Iterable[Path], last: Manifest | None = None,
                read: Reader | None = None) -> Inputs:
    """Read (and hash) every input of a build: content files, theme folders, settings.
    ``last``: the last build's manifest, whose scan tells which files need no reading;
    ``read``: how to read the others (see ``content.read_sources``)."""
    scanned_ns = time.time_ns()
    known, then = (last.sources, last.scanned_ns) if last is not None else ({}, 0)
    files = content_files(config.papers_path, config.root)
    sources = tuple(read_sources(config.papers_path, config.root, known, then, read, files))
    theme: list[tuple[str, str]] = []
    for folder in theme_dirs:
        named = folder_name(folder, config.root)
        theme.append((named, "folder"))
        theme += [(f"{named}/{name}", h) for name, h in _tree(folder)]
    settings = settings_digest(config)
    fingerprint = digest(settings, *(f"{w}\0{h}" for w, h in theme),
                         *(f"{s.shown}\0{s.digest}" for s in sources))
    return Inputs(sources, tuple(theme), settings, fingerprint, scanned_ns,
                  tuple(files.problems))


# --- what a build leaves behind -------------------------------------------------------

@dataclass
class PlanKeys:
    """What a build worked out of its papers that the next build can reuse when the site
    keeps its shape (see generator.shape): per paper, by slug, its content key, BibTeX key
    and view key (and, where its card is as an earlier view made it, that view's key),
    and the keys every page shares."""

    shape: str  # the SiteShape id
    salt: str  # config, theme and code
    base: str  # the base values' token for cards (PageKeys)
    indexes: list[str]  # the tokens of the site's indexes (PageKeys)
    used: frozenset[str] | None  # context names the templates read
    sources: dict[str, tuple[str, str]]  # content file (shown) -> (slug, hash)
    hashes: dict[str, str]
    keys: dict[str, str]
    view_keys: dict[str, str]
    card_views: dict[str, str] = field(default_factory=dict)  # PageKeys.card_views
    bases: dict[str, str] = field(default_factory=dict)  # PageKeys.bases: pages' base tokens
    facts: dict[str, Facts] = field(default_factory=dict)  # reading.Facts, by slug


@dataclass
class Manifest:
    """The last good build of one output: what it was built from and what it wrote."""

    fingerprint: str
    papers: int
    diagnostics: list[Diagnostic]
    parts: dict[str, tuple[str, tuple[str, ...]]]  # part -> (inputs key, its files)
    stats: dict[str, Stat] = field(default_factory=dict)  # file -> stat (on disk only)
    sources: dict[str, tuple[FileStat, str]] = field(default_factory=dict)  # Inputs.known
    scanned_ns: int = 0  # when the scan of this build's inputs began
    plan: PlanKeys | None = None


@dataclass
class BuildCache:
    """Work a build can reuse, keyed by hashes of its inputs.

    ``parsed``: (shown path, slug, content hash) -> (Paper or None, diagnostics).
    ``memo``: (kind, key) -> a rendered fragment (paper cards, BibTeX entries, JSON rows).
    ``last``: the manifest of the output this cache belongs to; ``files``: that output's
    bytes when it lives in memory (the dev server). ``shape``: the site model and page
    paths of the last build's shape, or how to read them (``read_shape``) when needed."""

    parsed: MutableMapping[tuple[str, str, str], Any] = field(default_factory=dict)
    memo: MutableMapping[tuple[str, str], Any] = field(default_factory=dict)
    last: Manifest | None = None
    files: dict[str, bytes] | None = None
    shape: SiteShape | None = None
    read_shape: Callable[[], SiteShape | None] | None = field(default=None, repr=False)

    def site_shape(self) -> SiteShape | None:
        if self.shape is None and self.read_shape is not None:
            self.shape, self.read_shape = self.read_shape(), None
        return self.shape


def intact(out: Path, stats: Mapping[str, Stat]) -> set[str]:
    """The files of ``stats`` still in ``out`` as the writer left them (size, time, inode)."""
    base = str(out)
    kept = set()
    for path, expected in stats.items():
        try:
            st = os.stat(f"{base}/{path}")
        except OSError:
            continue
        if (st.st_size, st.st_mtime_ns, st.st_ino) == expected:
            kept.add(path)
    return kept


class CacheStore:
    """The cache files of one project (``<root>/.cache/``) for one output folder.

    ``parsed-*.pickle``, ``memo-*.pickle`` and ``shape.pickle`` are shared by every output
    of the project (as is ``search.pickle``, which the search stage reads and writes
    itself: see generator.plan); the manifest is per output folder. The first two are split
    into shard files (the memo by kind too: cards, BibTeX entries, JSON rows...), each read
    on first use, and a build rewrites only the files whose entries changed: an edit to one
    paper reads and rewrites a few of them, not 60 MB. Reading never fails: a missing,
    corrupt or outdated file reads as empty. Writes are atomic (temporary file, then
    rename)."""

    def __init__(self, folder: Path, out: Path):
        self.folder = folder
        self.manifest_path = folder / f"site-{digest(str(out.resolve()))[:16]}.pickle"
        # shard files as read (None: one there that could not be used): each one the next
        # save finds unchanged is not written again
        self._read_shards: dict[str, dict[Any, Any] | None] = {}
        self._shape: str | None = None  # the id of the shape file as read

    def _read(self, path: Path, *, any_code: bool = False) -> Any:
        """A cache file's value; None when missing, unreadable, of another format or (unless
        ``any_code``) written by another version of the code."""
        try:
            with open(path, "rb") as handle:
                stored = pickle.load(handle)
        except Exception:  # missing, truncated, from another Python: start afresh
            return None
        if not (isinstance(stored, tuple) and len(stored) == 3 and stored[0] == FORMAT
                and (any_code or stored[1] == code_version())):
            return None
        return stored[2]

    def _write(self, path: Path, value: Any) -> None:
        tag = self.folder / "CACHEDIR.TAG"
        if not tag.exists():  # not for git, nor for backups (https://bford.info/cachedir/)
            self.folder.mkdir(parents=True, exist_ok=True)
            (self.folder / ".gitignore").write_text("# made by readinglist\n*\n")
            tag.write_text("Signature: 8a477f597d28d172789f06886806bc55\n"
                           "# This folder holds caches made by readinglist; it can be "
                           "deleted.\n")
        atomic_write(path, pickle.dumps((FORMAT, code_version(), value),
                                        protocol=pickle.HIGHEST_PROTOCOL))

    def read(self, name: str) -> Any:
        """The value of the cache file ``<name>.pickle``; None when missing, unreadable or
        written by another format or version of the code."""
        return self._read(self.folder / f"{name}.pickle")

    def write(self, name: str, value: Any) -> None:
        """Replace the cache file ``<name>.pickle`` (atomically); a read-only project is
        no error, its next build just reuses less."""
        try:
            self._write(self.folder / f"{name}.pickle", value)
        except OSError:
            pass

    def manifest(self) -> Manifest | None:
        """The last build's manifest, even from another version of the code: what it says
        about the output (files, their stats and hashes) stays true, and its keys include
        the code version, so nothing is reused that the new code would make differently."""
        value = self._read(self.manifest_path, any_code=True)
        return value if isinstance(value, Manifest) else None

    def forget_manifest(self) -> None:
        """Before the output changes: a crash half-way must not leave a manifest behind
        that claims the old files."""
        try:
            self.manifest_path.unlink()
        except OSError:  # none, or read-only: the files changed will not match its stats
            pass

    def _shard(self, stem: str) -> dict[Any, Any]:
        """One shard file's entries (as read, they are kept: to tell at save whether they
        changed)."""
        path = self.folder / f"{stem}.pickle"
        value = self._read(path)
        read = value if isinstance(value, dict) else None if path.exists() else {}
        self._read_shards[stem] = read
        return dict(read) if read else {}

    def load(self, manifest: Manifest | None) -> BuildCache:
        """The caches of the build whose manifest (``self.manifest()``) is given: each
        shard file read when a key in it is first used (a build after one edit needs few
        of them), the site shape when asked for."""
        cache = BuildCache()
        cache.parsed = Shards(self._shard, _shard_stem("parsed"))
        cache.memo = Shards(self._shard, _shard_stem("memo"))
        cache.last = manifest
        cache.read_shape = self.shape
        return cache

    def has_parsed(self) -> bool:
        """Whether any parsed files are kept (a build with no manifest of its own, to
        another output folder, may reuse them)."""
        return any(self.folder.glob("parsed-*.pickle"))

    def shape(self) -> SiteShape | None:
        from generator.site import SiteShape

        value = self.read("shape")
        if not isinstance(value, SiteShape):
            return None
        self._shape = value.id
        return value

    def save(self, cache: BuildCache) -> None:
        """Write the shard files that differ from what was read, the site shape when it is
        not the one read, then the manifest. A cache given whole (a dict, not ``Shards``)
        is all there is: shard files it has no entries for are deleted."""
        try:
            for name in SHARDED:
                self._save_shards(name, getattr(cache, name))
            self._save_shape(cache.shape)
            if cache.last is not None:
                self._write(self.manifest_path, cache.last)
        except OSError:  # a read-only project still builds; it only builds slower
            pass

    def save_ahead(self, cache: BuildCache, shape: SiteShape | None,
                   memo: MutableMapping[Any, Any] | None = None) -> None:
        """Write what is final once a build is planned: the parsed files and the site
        shape, and the memo as it is (``save`` rewrites the shards that change after).
        A build does it while its workers make the pages; ``save`` then finds them
        written."""
        try:
            self._save_shards("parsed", cache.parsed)
            self._save_shape(shape)
            if memo is not None:
                self._save_shards("memo", memo)
        except OSError:
            pass

    def _save_shards(self, name: str, value: MutableMapping[Any, Any]) -> None:
        if isinstance(value, Shards):
            parts = value.parts
        else:
            stem_of = _shard_stem(name)
            parts = {}
            for key, item in value.items():
                parts.setdefault(stem_of(key), {})[key] = item
            for path in self.folder.glob(f"{name}-*.pickle"):
                if path.stem not in parts:
                    path.unlink()
                    self._read_shards.pop(path.stem, None)
        for stem, new in sorted(parts.items()):
            # (the values kept are the very objects read: cheap to compare)
            if stem not in self._read_shards or new != self._read_shards[stem]:
                self._write(self.folder / f"{stem}.pickle", new)
                self._read_shards[stem] = dict(new)
        (self.folder / f"{name}.pickle").unlink(missing_ok=True)  # (before shards)

    def _save_shape(self, shape: SiteShape | None) -> None:
        if shape is not None and shape.id != self._shape:
            self._write(self.folder / "shape.pickle", shape)
            self._shape = shape.id


class Shards(MutableMapping[Any, Any]):
    """A cache kept in shard files (``stem``: the file a key's entry is kept in), each read
    on first use of a key in it. What was read (``parts``) is what a save may rewrite."""

    def __init__(self, read: Callable[[str], dict[Any, Any]], stem: Callable[[Any], str]):
        self.read = read
        self.stem = stem
        self.parts: dict[str, dict[Any, Any]] = {}

    def _part(self, stem: str) -> dict[Any, Any]:
        part = self.parts.get(stem)
        if part is None:
            part = self.parts[stem] = self.read(stem)
        return part

    def __getitem__(self, key: Any) -> Any:
        return self._part(self.stem(key))[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._part(self.stem(key))[key] = value

    def __delitem__(self, key: Any) -> None:
        del self._part(self.stem(key))[key]

    def __iter__(self) -> Iterator[Any]:
        raise TypeError("a cache read shard by shard is not listed whole")

    def __len__(self) -> int:
        raise TypeError("a cache read shard by shard is not counted whole")


SHARDED = ("parsed", "memo")  # the BuildCache fields kept in shard files
SHARDS = 16


def shard_of(key: tuple[Any, ...]) -> int:
    """The shard of a cache key, by its last part (a content hash, mostly): stable across
    processes, unlike hash()."""
    return zlib.crc32(str(key[-1]).encode("utf-8", "surrogatepass")) % SHARDS


def _shard_stem(name: str) -> Callable[[tuple[Any, ...]], str]:
    """The shard file (stem) of a key of the cache ``name``: by its shard, and for the memo
    by its kind too (a build after an edit reads few cards, and no JSON rows)."""
    if name == "memo":
        return lambda key: f"memo-{key[0]}-{shard_of(key):x}"
    return lambda key: f"{name}-{shard_of(key):x}"
