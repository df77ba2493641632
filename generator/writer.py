"""The only writer of site/ (and of every other file): temporary file or folder, then a rename.

The staging folder (``.<name>.new-<pid>-*``) sits beside the output, on the same file
system. Only when every file is written is the output touched, and then in one step: the
next site is a whole folder (for an update, the files that stay are hard links to the
current ones, so nothing is copied) exchanged with the current one by one atomic
``renameat2(RENAME_EXCHANGE)``. Killed at any instant, site/ is the previous build or the
new one, never a mix. Where the system cannot exchange, the old folder is renamed away
(``.<name>.old-<pid>-*``) and the new one in; killed between the two, the next build puts
the old one back before anything else, and removes what a killed build left. Paths are
checked first: one output path written twice (two papers with one slug), a path that
escapes the folder, or a file that is also a folder is an error.
"""

from __future__ import annotations

import ctypes
import errno
import json
import os
import re
import secrets
import shutil
from collections.abc import Iterable, Iterator, Mapping, Set
from pathlib import Path

from generator.diagnostics import BuildError, error

MARKER = ".nojekyll"  # every build has it; a folder without it is not ours to replace


Stat = tuple[int, int, int]  # size, mtime_ns, inode: how a file was left


def atomic_write(path: Path, data: bytes | memoryview, *, durable: bool = False,
                 exclusive: bool = False) -> None:
    """Replace ``path`` with ``data`` so that a reader (or a crash) sees the old bytes or
    the new ones, never a mix: a temporary file beside it, then a rename. The file keeps
    its mode (a new one gets the user's usual mode); a symbolic link is written through
    (its target is replaced, the link stays). ``durable``: flushed to the disk before the
    rename (a user's file, not a cache). ``exclusive``: a new file, never over one that is
    there (or appears meanwhile): FileExistsError, and nothing written."""
    if not exclusive and os.path.islink(path):
        path = Path(os.path.realpath(path))
    path.parent.mkdir(parents=True, exist_ok=True)
    temp = path.parent / _temporary(f".{path.name}.", ".tmp")
    try:
        mode = os.stat(path).st_mode & 0o7777
    except OSError:
        mode = None
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)  # (less the umask)
        with os.fdopen(fd, "wb") as handle:
            if mode is not None:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        if exclusive:  # a second name for the whole file, refused when the name is taken
            _link_new(temp, path)
            temp.unlink(missing_ok=True)
        else:
            os.replace(temp, path)
    except BaseException as exc:
        temp.unlink(missing_ok=True)
        if isinstance(exc, OSError) and exc.filename in (None, str(temp)) and \
                not isinstance(exc, FileExistsError):  # (a full disk): name the file
            raise OSError(exc.errno, exc.strerror, str(path)) from exc
        raise


def _link_new(temp: Path, path: Path) -> None:
    """``temp`` becomes ``path`` too, unless ``path`` is there (FileExistsError). Where the
    file system has no hard links (FAT, some network shares), a check, then a rename."""
    try:
        os.link(temp, path, follow_symlinks=False)
    except FileExistsError:
        raise
    except OSError:
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path)) from None
        os.rename(temp, path)


def _temporary(prefix: str, suffix: str = "") -> str:
    """A name for a temporary file or folder that says which process made it, so a later
    run can tell a leftover (its process is gone) from work under way."""
    return f"{prefix}{os.getpid()}-{secrets.token_hex(4)}{suffix}"


# a staging folder or an old site (beside the site), or a temporary file (atomic_write)
_LEFTOVER = re.compile(r"^\..+\.(?:(?:new-|old-)(\d+)-[0-9a-f]{8}|(\d+)-[0-9a-f]{8}\.tmp)$")


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except OSError:  # (someone else's process: alive)
        return False
    return False


def clear_leftovers(folder: Path, out: Path | None = None, *, below: bool = False) -> None:
    """Remove what a killed run left in ``folder`` (``below``: and in every folder in it):
    temporary files and staging folders of processes that are gone. With ``out`` (a site
    in ``folder``): when ``out`` is missing and the old site is there under its recovery
    name, it is put back first."""
    try:
        names = sorted(os.listdir(folder))
    except OSError:
        return
    for name in names:
        path = folder / name
        found = _LEFTOVER.match(name)
        if found is None or not _gone(int(found[1] or found[2])):
            if below and path.is_dir() and not path.is_symlink():
                clear_leftovers(path, below=True)
            continue
        if out is not None and name.startswith(f".{out.name}.old-") and not out.exists():
            os.rename(path, out)  # the previous site, renamed away just before a kill
            continue
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


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
    parts = list(parts)
    merge_paths(parts)  # (a mapping iterates over its paths)
    return dict(sorted(item for _, outputs in parts for item in outputs.items()))


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


def staging_path(out: Path) -> Path:
    """The name of a new folder beside ``out`` (same file system: its files can be renamed
    in), not made yet: a caller that must remove it when stopped holds the name first."""
    out = out.absolute()
    _check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return out.parent / _temporary(f".{out.name}.new-")


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


def _exchange(a: Path, b: Path) -> bool:
    """Swap two folders in one atomic step (Linux's renameat2 with RENAME_EXCHANGE); False
    where the system or the file system cannot."""
    try:
        renameat2 = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    at_cwd, exchange = -100, 2
    return renameat2(at_cwd, os.fsencode(a), at_cwd, os.fsencode(b), exchange) == 0


def swap_in(new: Path, out: Path, *, keep: bool = False) -> None:
    """Make the folder ``new`` the site, in one step where the system allows (see the
    module's docstring). The old site is deleted, or with ``keep`` left at ``new``'s
    name."""
    out = out.absolute()
    _check_replaceable(out)
    if out.exists() and _exchange(new, out):
        if not keep:
            shutil.rmtree(new, ignore_errors=True)  # (the old site, now)
        return
    old: Path | None = None
    if out.exists():
        old = out.parent / _temporary(f".{out.name}.old-")
        out.rename(old)
    try:
        new.rename(out)
    except BaseException:
        if old is not None:
            old.rename(out)
        shutil.rmtree(new, ignore_errors=True)
        raise
    if old is not None and keep:
        old.rename(new)
    elif old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_site(files: Mapping[str, bytes], out: Path) -> None:
    """Write ``files`` as the new content of ``out``, in one step (see ``swap_in``)."""
    check_paths(files)
    clear_leftovers(out.absolute().parent, out.absolute())
    new = staging_path(out)
    try:
        new.mkdir(0o755)
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


def update_site(out: Path, staged: Path, paths: Iterable[str], delete: Iterable[str] = (),
                *, was: str = "", now: str = "") -> None:
    """Bring a site we built up to date in one step, at the cost of the files that changed.

    The next site is made in the *spare*, a second tree beside the site (``.<name>.spare``)
    whose files are hard links to the site's: it is brought to the current site by the
    files the last update changed (it recorded them, with ``was``, the build it left in
    the site), then given the changed files ``paths`` (written in ``staged``) and rid of
    those in ``delete``, and exchanged with the site; the old site is the next spare. A
    spare that is missing or does not match is made again from the whole site (once)."""
    paths = set(paths)
    check_paths(paths)
    if not is_our_site(out):
        raise BuildError([error(str(out), None, f"not a site built by readinglist (no "
                                                f"{MARKER}); refusing to update it")])
    gone = set(delete) - paths
    spare = out.parent / f".{out.name}.spare"
    record = spare / ".spare.json"
    try:
        state = json.loads(record.read_text(encoding="utf-8"))
        pending = state["pending"] if was and state.get("site") == was else None
    except (OSError, ValueError, KeyError, TypeError):
        pending = None
    if pending is not None:
        record.unlink()  # (until the exchange, the spare is half made)
        (spare / ".gitignore").unlink(missing_ok=True)  # (not for the site)
        for path in pending:
            _put(spare, path, out / path if os.path.isfile(out / path) else None)
    else:
        shutil.rmtree(spare, ignore_errors=True)
        _link_tree(out, spare)
    for path in sorted(paths):
        _put(spare, path, staged / path, move=True)
    for path in sorted(gone):
        _put(spare, path, None)
    shutil.rmtree(staged, ignore_errors=True)
    swap_in(spare, out, keep=True)
    (spare / ".spare.json").write_text(json.dumps({"site": now, "pending": sorted(
        paths | gone)}), encoding="utf-8")
    # git leaves it out wherever the site is (a site kept in the repository, as docs/ for
    # GitHub Pages from a branch, would else have a second copy committed beside it)
    (spare / ".gitignore").write_text("*\n", encoding="utf-8")


def _link_tree(source: Path, into: Path) -> None:
    """``into``: a tree of hard links to every file of ``source``."""
    base = str(source)
    for folder, _, files in os.walk(base):
        rel = folder[len(base) + 1:]
        os.makedirs(os.path.join(into, rel), exist_ok=True)
        for name in files:
            os.link(os.path.join(folder, name), os.path.join(into, rel, name),
                    follow_symlinks=False)


def _put(tree: Path, path: str, source: Path | None, *, move: bool = False) -> None:
    """``tree``'s file ``path`` becomes ``source`` (moved, or a hard link to it), or goes
    (with the folders that leaves empty) when ``source`` is None."""
    target = tree / path
    if source is None:
        target.unlink(missing_ok=True)
        folder = target.parent
        while folder != tree and folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            folder = folder.parent
        return
    if target.is_dir() and not target.is_symlink():  # a folder where a file now goes
        shutil.rmtree(target)
    probe = target.parent
    while probe != tree and not probe.is_dir():  # a file where a folder now goes
        if probe.exists() or probe.is_symlink():
            probe.unlink()
            break
        probe = probe.parent
    target.parent.mkdir(parents=True, exist_ok=True)
    if move:
        os.replace(source, target)
    else:
        temp = target.with_name(_temporary(f".{target.name}."))
        os.link(source, temp, follow_symlinks=False)
        os.replace(temp, target)


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
