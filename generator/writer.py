"""The only writer of site/: every file first into a staging folder, then into place.

The staging folder (``.<name>.new-*``) sits beside the output, on the same file system, so
files move in by renaming. Only when every file is written is the output touched: a new
site is swapped in whole (the old folder renamed away, the new one in, the old one
deleted); a site we built is updated in place, each changed file renamed over the old one
(a reader sees the old file or the new, never half of one), then the files no longer built
deleted. A failed build never touches the previous site. Paths are checked first: one
output path written twice (two papers with one slug), a path that escapes the folder, or a
file that is also a folder is an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Mapping, Set
from pathlib import Path

from generator.diagnostics import BuildError, error

MARKER = ".nojekyll"  # every build has it; a folder without it is not ours to replace


Stat = tuple[int, int, int]  # size, mtime_ns, inode: how a file was left


def atomic_write(path: Path, data: bytes | memoryview, *, durable: bool = False) -> None:
    """Replace ``path`` with ``data`` so that a reader (or a crash) sees the old bytes or
    the new ones, never a mix: a temporary file beside it, then a rename. ``durable``:
    flushed to the disk before the rename (a user's file, not a cache)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def merge_paths(parts: Iterable[tuple[str, Iterable[str]]]) -> None:
    """(stage name, paths) parts: raise BuildError when two stages make one path."""
    owner: dict[str, str] = {}
    problems = []
    for stage, paths in parts:
        for path in paths:
            if path in owner:
                problems.append(error(path, None, f"output written twice: by {owner[path]} "
                                                  f"and by {stage}"))
                continue
            owner[path] = stage
    if problems:
        raise BuildError(problems)


def merge_outputs(parts: Iterable[tuple[str, Mapping[str, bytes]]]) -> dict[str, bytes]:
    """(stage name, {path: bytes}) parts -> one mapping; a path made twice is an error."""
    files: dict[str, bytes] = {}
    owner: dict[str, str] = {}
    problems = []
    for stage, outputs in parts:
        for path, data in outputs.items():
            if path in files:
                problems.append(error(path, None, f"output written twice: by {owner[path]} "
                                                  f"and by {stage}"))
                continue
            files[path] = data
            owner[path] = stage
    if problems:
        raise BuildError(problems)
    return dict(sorted(files.items()))


def check_paths(paths: Iterable[str]) -> None:
    """Raise BuildError for unsafe or colliding output paths."""
    problems = []
    seen: dict[str, str] = {}
    files = set(paths)
    dirs: set[str] = set()
    for path in sorted(files):
        parts = path.split("/")
        if not path or any(p in ("", ".", "..") for p in parts) or "\\" in path \
                or "\x00" in path:
            problems.append(error(path or "<empty>", None, "unsafe output path"))
            continue
        folded = path.casefold()
        if folded in seen:  # case-insensitive file systems (macOS, Windows)
            problems.append(error(path, None, f"output path differs only in case from "
                                              f"{seen[folded]}"))
        seen[folded] = path
        end = 0
        for part in parts[:-1]:  # every folder the file is in
            end += len(part) + 1
            dirs.add(path[:end - 1])
    for clash in sorted(files & dirs):
        problems.append(error(clash, None, "output path is both a file and a folder"))
    if problems:
        raise BuildError(problems)


def _check_replaceable(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise BuildError([error(str(out), None, "output path exists and is not a folder")])
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BuildError([error(str(out), None, f"refusing to replace a folder that was not "
                                                f"built by readinglist (no {MARKER}); remove "
                                                f"it or choose another output folder")])


def staging_folder(out: Path) -> Path:
    """A new empty folder beside ``out`` (same file system: its files can be renamed in)."""
    out = out.absolute()
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    os.chmod(new, 0o755)  # mkdtemp makes it private; a site is meant to be read
    return new


class FolderWriter:
    """Writes files into a (staging) folder, making each folder once. A file of ``same``
    (files of the live site ``site`` as the last build left them) whose bytes are the
    ones there already is not written at all: a re-made page that came out the same keeps
    its file, its time and its inode."""

    def __init__(self, folder: Path, site: Path | None = None,
                 same: Set[str] = frozenset()):
        self.base = str(folder)
        self.site = str(site) if site is not None else None
        self.same = same
        self.made: set[str] = {self.base}
        self.written: list[str] = []

    def _unchanged(self, path: str, data: bytes) -> bool:
        if self.site is None or path not in self.same:
            return False
        try:
            fd = os.open(f"{self.site}/{path}", os.O_RDONLY)
        except OSError:
            return False
        try:  # one read more than the size tells a longer file apart
            return os.fstat(fd).st_size == len(data) and os.read(fd, len(data) + 1) == data
        finally:
            os.close(fd)

    def write(self, path: str, data: bytes) -> Stat | None:
        """Write one file -> the stat it was left with; None when the site has it already."""
        if self._unchanged(path, data):
            return None
        target = f"{self.base}/{path}"
        parent = target.rpartition("/")[0]
        if parent not in self.made:
            try:  # its own parent is there already, mostly: one call, not makedirs' two
                os.mkdir(parent)
            except FileExistsError:
                pass
            except FileNotFoundError:
                os.makedirs(parent, exist_ok=True)
            self.made.add(parent)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            st = os.fstat(fd)
        finally:
            os.close(fd)
        self.written.append(path)
        return (st.st_size, st.st_mtime_ns, st.st_ino)


def swap_in(new: Path, out: Path) -> None:
    """Make the staging folder ``new`` the site: rename the old one away, the new one in,
    then delete the old one."""
    out = out.absolute()
    _check_replaceable(out)
    old: Path | None = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-", dir=out.parent))
        old.rmdir()
        out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        if old is not None:
            old.rename(out)
        shutil.rmtree(new, ignore_errors=True)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_site(files: Mapping[str, bytes], out: Path) -> None:
    """Write ``files`` as the new content of ``out``, atomically as far as renames allow."""
    check_paths(files)
    new = staging_folder(out)
    try:
        writer = FolderWriter(new)
        for path in sorted(files):
            writer.write(path, files[path])
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    swap_in(new, out)


def is_our_site(out: Path) -> bool:
    """A folder a build of ours wrote (it has the marker file)."""
    return out.is_dir() and (out / MARKER).is_file()


def _make_folder(folder: str, out: str, made: set[str]) -> None:
    """``folder`` (inside ``out``) exists as a folder: a file in its way is removed."""
    if folder in made:
        return
    probe = folder
    while probe != out and not os.path.isdir(probe):  # a file where a folder now goes
        if os.path.lexists(probe):
            os.unlink(probe)
            break
        probe = probe.rpartition("/")[0]
    os.makedirs(folder, exist_ok=True)
    made.add(folder)


def update_site(out: Path, staged: Path, paths: Iterable[str], delete: Iterable[str] = ()
                ) -> None:
    """Bring a site we built up to date in place (a file keeps its stat when moved in).

    ``paths`` are the changed files, written in the folder ``staged`` (removed afterwards):
    each is renamed over the old one (a reader sees the old file or the new, never half of
    one). Files in ``delete`` are then removed, and folders left empty by that."""
    paths = sorted(paths)
    check_paths(paths)
    if not is_our_site(out):
        raise BuildError([error(str(out), None, f"not a site built by readinglist (no "
                                                f"{MARKER}); refusing to update it")])
    base = str(out.absolute())
    made: set[str] = {base}
    for path in paths:
        target = f"{base}/{path}"
        if os.path.isdir(target) and not os.path.islink(target):  # a folder where a file goes
            shutil.rmtree(target)
        _make_folder(target.rpartition("/")[0], base, made)
        os.replace(f"{staged}/{path}", target)
    shutil.rmtree(staged, ignore_errors=True)
    emptied: set[str] = set()
    for path in sorted(set(delete) - set(paths)):
        target = f"{base}/{path}"
        try:
            os.unlink(target)
        except FileNotFoundError:
            pass
        except OSError:  # a folder now, or not ours to remove
            continue
        parts = path.split("/")[:-1]
        emptied.update("/".join(parts[:n]) for n in range(1, len(parts) + 1))
    for folder in sorted(emptied, key=lambda p: p.count("/"), reverse=True):
        try:
            os.rmdir(f"{base}/{folder}")  # only when empty
        except OSError:
            pass


class SiteFiles(Mapping[str, bytes]):
    """The files of a site on disk as a mapping: the ones in ``made`` from memory, the others
    read from ``out`` when asked for."""

    def __init__(self, out: Path, paths: Iterable[str],
                 made: Mapping[str, bytes] | None = None):
        self.out = out
        self.paths = sorted(paths)
        self.made = made or {}
        self._known = set(self.paths)

    def __getitem__(self, path: str) -> bytes:
        if path not in self._known:
            raise KeyError(path)
        data = self.made.get(path)
        return data if data is not None else (self.out / path).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(self.paths)

    def __len__(self) -> int:
        return len(self.paths)

    def __contains__(self, path: object) -> bool:
        return path in self._known
