"""A new project: the files `readinglist init` writes, and a copy of the bundled theme.

Nothing here overwrites a file: what exists is kept and reported, so ``init`` can be run
again in a project to add what is missing (a workflow, the theme to edit).
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import yaml

from generator import __version__
from generator.config import BASE_URL_VARIABLE, CONFIG_NAME, OPTIONS
from generator.theme import bundled_themes

SCAFFOLD = Path(__file__).resolve().parent / "scaffold"


@dataclass
class Made:
    """What ``init`` did: files and folders created, files that were there and kept."""

    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)


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


def requirement() -> str:
    """How a CI machine installs the readinglist that runs here: the repository and commit
    pip recorded for a VCS install, else this version by name."""
    pinned = f"readinglist=={__version__}"
    try:
        direct = metadata.distribution("readinglist").read_text("direct_url.json")
        info = json.loads(direct) if direct else {}
    except (metadata.PackageNotFoundError, ValueError):
        info = {}
    vcs = info.get("vcs_info") if isinstance(info, dict) else None
    if isinstance(vcs, dict) and vcs.get("vcs") == "git" and info.get("url"):
        commit = vcs.get("commit_id")
        pinned = f"readinglist @ git+{info['url']}" + (f"@{commit}" if commit else "")
    return ("# The readinglist that builds this site (the GitHub Pages workflow installs it).\n"
            "# To follow a repository instead, write e.g.\n"
            "#   readinglist @ git+https://github.com/OWNER/readinglist\n"
            f"{pinned}\n")


def _write(path: Path, text: str, made: Made) -> None:
    if path.exists():
        made.kept.append(path)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8") as handle:  # "x": never over a file made meanwhile
        handle.write(text)
    made.created.append(path)


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
                             (".github/workflows/pages.yml", "pages.yml"),
                             (".gitignore", "gitignore")):
        _write(root / target, (SCAFFOLD / scaffold).read_text("utf-8"), made)
    _write(root / "requirements.txt", requirement(), made)
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
            destination = target / file.relative_to(source)
            if destination.exists():
                made.kept.append(destination)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(file, destination)
            made.created.append(destination)
    return made
