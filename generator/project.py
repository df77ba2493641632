"""A new project: the files `readinglist init` writes, and a copy of the bundled theme.

Nothing here overwrites a file: what exists is kept and reported, so ``init`` can be run
again in a project to add what is missing (a workflow, the theme to edit).
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from urllib.request import url2pathname

import yaml

from generator.config import BASE_URL_VARIABLE, CONFIG_NAME, OPTIONS
from generator.diagnostics import Diagnostic, shown_path, warning
from generator.theme import bundled_themes
from generator.writer import atomic_write

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"


@dataclass
class Made:
    """What ``init`` did: files and folders created, files that were there and kept."""

    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    unnamed: Path | None = None  # a requirements.txt written without a requirement
    extended: list[tuple[Path, list[str]]] = field(default_factory=list)  # lines added
    from_pypi: tuple[Path, int, str] | None = None  # a kept requirement of PyPI's namesake
    requirement: str | None = None  # the line that installs the readinglist running here


def commented_config() -> str:
    """config.yaml listing every key with its default and what it does."""
    lines = ["# readinglist project configuration. Every key is optional: one left out (or",
             "# commented out) takes the value shown here. `readinglist check` validates it.",
             ""]
    for key, option in OPTIONS.items():
        help_text = option.help
        if key == "base_url":
            help_text += (f" Empty: taken from ${BASE_URL_VARIABLE}, which the GitHub Pages "
                          f"workflow sets.")
        words, line = help_text.split(), "#"
        for word in words:
            if len(line) + len(word) + 1 > 88:
                lines.append(line)
                line = "#"
            line += " " + word
        lines.append(line)
        value = yaml.safe_dump({key: option.default}, allow_unicode=True,
                               default_flow_style=False).strip()
        lines += [value, ""]
    return "\n".join(lines)


REQUIREMENT_EXAMPLE = "readinglist @ git+https://github.com/OWNER/readinglist"

REQUIREMENT_HELP = """\
# The readinglist that builds this site: the GitHub Pages workflow installs what this file
# names. Name the repository readinglist comes from (not "readinglist" alone: that name on
# PyPI is another project), best with a commit, e.g.
#   readinglist @ git+https://github.com/OWNER/readinglist@COMMIT
"""


def requirement(installed: Mapping[str, Any] | None = None) -> str | None:
    """What the Pages workflow should install (a pip requirement): the readinglist that
    runs here, by the repository and commit pip recorded for a git install, or those of
    the clone it was installed from (``pip install .``). ``installed``: pip's record of
    the install (direct_url.json; default: this one's). None when neither says."""
    info = _direct_url() if installed is None else installed
    url, commit = info.get("url"), None
    vcs = info.get("vcs_info")
    if isinstance(vcs, dict) and vcs.get("vcs") == "git":
        commit = vcs.get("commit_id")
    elif isinstance(url, str) and url.startswith("file://") and "dir_info" in info:
        url, commit = _clone_origin(Path(url2pathname(urlsplit(url).path)))
    else:
        url = None
    url = _public_url(url) if isinstance(url, str) else None
    if url is None:
        return None
    return f"readinglist @ git+{url}" + (f"@{commit}" if isinstance(commit, str) else "")


def requirements_file(line: str | None) -> str:
    """requirements.txt: the help, then the requirement (none: the user is to write it)."""
    return REQUIREMENT_HELP + (f"{line}\n" if line else "")


def _direct_url() -> dict[str, Any]:
    """pip's record of where the installed readinglist came from ({}: none, e.g. run from
    a source tree; a build's leftover egg-info there holds no record and is passed over)."""
    for found in metadata.distributions(name="readinglist"):
        try:
            info = json.loads(found.read_text("direct_url.json") or "null")
        except ValueError:
            continue
        if isinstance(info, dict):
            return info
    return {}


def _clone_origin(clone: Path) -> tuple[str | None, str | None]:
    """The remote ``origin`` of the git clone that is ``clone`` (not of a repository that
    merely holds the folder, e.g. a downloaded copy inside the user's list), and its
    checked-out commit when a remote branch has it (a local commit cannot be fetched by a
    CI machine; then the remote's default branch is what it gets)."""
    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(clone), *args], capture_output=True,
                                  text=True, timeout=10, check=False)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip() or None if done.returncode == 0 else None

    top = git("rev-parse", "--show-toplevel")
    if top is None or Path(top).resolve() != clone.resolve():
        return None, None
    pushed = git("branch", "--remotes", "--contains", "HEAD")
    return git("config", "--get", "remote.origin.url"), \
        git("rev-parse", "HEAD") if pushed else None


def _public_url(url: str) -> str | None:
    """A repository address a CI machine can clone, written into a file that is published:
    https without any user name or token in it; an SSH address rewritten to https (the
    machine has no key), its port dropped; None for anything else (a local path)."""
    scp = re.fullmatch(r"[\w.-]+@([\w.-]+):(?!/)(.+)", url)  # git@github.com:me/repo.git
    if scp:
        return f"https://{scp[1]}/{scp[2]}"
    parts = urlsplit(url)
    if parts.scheme not in ("https", "ssh") or not parts.hostname or not parts.path.strip("/"):
        return None
    port = f":{parts.port}" if parts.scheme == "https" and parts.port else ""
    return urlunsplit(("https", parts.hostname + port, parts.path, "", ""))


def _write(path: Path, text: str | bytes, made: Made) -> None:
    if path.exists():
        made.kept.append(path)
        return
    try:  # never over a file made meanwhile, never half written (a killed init)
        atomic_write(path, text.encode("utf-8") if isinstance(text, str) else text,
                     exclusive=True)
    except FileExistsError:
        made.kept.append(path)
        return
    made.created.append(path)


def _extend_ignores(path: Path, text: str, made: Made) -> None:
    """Write .gitignore, or add at the end of the one there the patterns of ``text`` it
    lacks (with their comments): a project made by an older readinglist does not ignore
    what newer builds leave beside site/, which `git add -A` would otherwise commit. The
    lines already there are kept as they are."""
    if not path.exists():
        _write(path, text, made)
        return
    raw = path.read_bytes()
    old = raw.decode("utf-8", errors="replace")
    have = {line.strip().strip("/") for line in old.splitlines()
            if line.strip() and not line.lstrip().startswith("#")}
    added: list[str] = []
    block: list[str] = []
    missing: list[str] = []
    for line in text.splitlines():
        block.append(line)
        if line.startswith("#"):
            continue
        if line.strip().strip("/") not in have:
            added += block
            missing.append(line)
        block = []
    if not missing:
        made.kept.append(path)
        return
    more = ("" if old.endswith("\n") or not old else "\n") + "\n".join(added) + "\n"
    atomic_write(path, raw + more.encode("utf-8"), durable=True)  # (whole)
    made.extended.append((path, missing))


def _requirement_lines(path: Path) -> list[tuple[int, str]]:
    """The numbered lines of a requirements.txt that the Pages workflow takes for
    requirements (its check: a line that starts with neither ``#`` nor a space)."""
    try:
        lines = path.read_text("utf-8", errors="replace").splitlines()
    except OSError:
        return []
    return [(number, line) for number, line in enumerate(lines, 1)
            if line and not line[0].isspace() and not line.startswith("#")]


def _pypi_namesake(path: Path) -> tuple[Path, int, str] | None:
    """The line of a requirements.txt that asks for "readinglist" by name alone, which pip
    takes from PyPI, where that name is another project (an older init wrote
    ``readinglist==0.1.0``, and the Pages workflow failed on it)."""
    for number, line in _requirement_lines(path):
        if re.fullmatch(r"\s*readinglist\s*(\[[^]]*\])?\s*([=<>~!].*)?", line, re.IGNORECASE):
            return path, number, line.strip()
    return None


WORKFLOW = ".github/workflows/pages.yml"
_USES = re.compile(r"\s*(?:-\s*)?uses:\s*(actions/[\w.-]+)@v(\d+)\b.*")


def workflow_problems(root: Path) -> list[Diagnostic]:
    """The official actions a project's Pages workflow uses at an older major version than
    the one ``init`` writes today, each named at its line. An older ``init`` wrote the file
    and ``init`` never overwrites it; GitHub retires old versions, and then the site
    stops deploying with nothing said here."""
    path = root / WORKFLOW
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    today = {m[1]: int(m[2]) for m in map(_USES.fullmatch, (SCAFFOLD / "pages.yml").read_text(
        "utf-8").splitlines()) if m}
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        m = _USES.fullmatch(line)
        if m and int(m[2]) < today.get(m[1], 0):
            problems.append(warning(shown_path(path), number, (
                f"{m[1]}@v{m[2]} is older than the v{today[m[1]]} that 'readinglist init' "
                f"writes today, and GitHub retires old versions (the site then stops "
                f"deploying): write @v{today[m[1]]}, or delete this file and run "
                f"'readinglist init' to write it anew")))
    return problems


def _folder(path: Path, made: Made) -> None:
    if not path.is_dir():
        path.mkdir(parents=True)
        made.created.append(path)


def init_project(root: Path) -> Made:
    """Make ``root`` a ready project; files already there are kept as they are."""
    made = Made()
    _folder(root, made)
    _write(root / CONFIG_NAME, commented_config(), made)
    for folder in ("content/papers", "content/listings", "overrides/templates",
                   "overrides/static"):
        _folder(root / folder, made)
    for target, scaffold in (("overrides/README.md", "overrides.md"),
                             (WORKFLOW, "pages.yml")):
        _write(root / target, (SCAFFOLD / scaffold).read_text("utf-8"), made)
    _extend_ignores(root / ".gitignore", (SCAFFOLD / "gitignore").read_text("utf-8"), made)
    made.requirement = requirement()
    wanted = root / "requirements.txt"
    _write(wanted, requirements_file(made.requirement), made)
    if wanted in made.created:
        made.unnamed = None if made.requirement else wanted
    else:  # kept: still to be written, or written by an older init, wrongly
        made.from_pypi = _pypi_namesake(wanted)
        made.unnamed = None if _requirement_lines(wanted) else wanted
    return made


def copy_theme(root: Path, name: str = "default", themes_dir: str = "themes") -> Made:
    """Copy a bundled theme into ``root/themes_dir/name`` to change all of it; a file that
    is already there is kept."""
    made = Made()
    source = bundled_themes() / name
    target = root / themes_dir / name
    if source.resolve() == target.resolve():
        made.kept.append(target)  # running from the repository: it is the theme's source
        return made
    for file in sorted(source.rglob("*")):
        if file.is_file() and not any(p.startswith((".", "__")) for p in
                                      file.relative_to(source).parts):
            _write(target / file.relative_to(source), file.read_bytes(), made)
    return made
