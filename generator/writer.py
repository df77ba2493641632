"""The only writer of site/: every file into a temporary folder beside it, then a swap.

A failed build never touches the previous site: files are written to ``.<name>.new-*``
next to the output folder; only when all are written is the old folder renamed away, the
new one renamed in, and the old one deleted. Paths are checked first: one output path
written twice (two papers with one slug), a path that escapes the folder, or a file that is
also a folder is an error.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from generator.diagnostics import BuildError, error

MARKER = ".nojekyll"  # every build has it; a folder without it is not ours to replace


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
        pure = PurePosixPath(path)
        if not path or pure.is_absolute() or any(p in ("", ".", "..") for p in path.split("/")) \
                or "\\" in path or "\x00" in path:
            problems.append(error(path or "<empty>", None, "unsafe output path"))
            continue
        folded = path.casefold()
        if folded in seen:  # case-insensitive file systems (macOS, Windows)
            problems.append(error(path, None, f"output path differs only in case from "
                                              f"{seen[folded]}"))
        seen[folded] = path
        dirs.update(str(parent) for parent in pure.parents if str(parent) != ".")
    for clash in sorted(files & dirs):
        problems.append(error(clash, None, "output path is both a file and a folder"))
    if problems:
        raise BuildError(problems)


def write_site(files: Mapping[str, bytes], out: Path) -> None:
    """Write ``files`` as the new content of ``out``, atomically as far as renames allow."""
    check_paths(files)
    out = out.absolute()
    if out.exists() and not out.is_dir():
        raise BuildError([error(str(out), None, "output path exists and is not a folder")])
    if out.is_dir() and any(out.iterdir()) and not (out / MARKER).exists():
        raise BuildError([error(str(out), None, f"refusing to replace a folder that was not "
                                                f"built by readinglist (no {MARKER}); remove "
                                                f"it or choose another output folder")])
    out.parent.mkdir(parents=True, exist_ok=True)
    new = Path(tempfile.mkdtemp(prefix=f".{out.name}.new-", dir=out.parent))
    try:
        for path in sorted(files):
            target = new / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(files[path])
        os.chmod(new, 0o755)  # mkdtemp makes it private; a site is meant to be read
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
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
