"""Theme search path: the user's override folder first, then ``themes/<theme>/``.

A theme is looked up in the project's ``themes_dir`` first, then among the themes that ship
inside the installed package (``generator/themes/``, copied from the repository's
``themes/`` when the wheel is built), so a project made by ``readinglist init`` needs no
theme folder of its own.

Templates are looked up in ``overrides/templates/`` then the theme's ``templates/``; the name
prefix ``!theme/`` always means the theme's own file, so an override can
``{% extends "!theme/base.html" %}`` and change one block. Static files are the theme's
``static/`` with ``overrides/static/`` laid over it, published under ``static/``. A project's
copy of a bundled theme (``init --copy-theme``) has the bundled theme beneath it: a file the
copy lacks, such as a page added to the theme after it was copied, comes from there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.config import OPTIONS, Config
from generator.diagnostics import Diagnostic, error, warning

if TYPE_CHECKING:
    import jinja2

THEME_PREFIX = "!theme"
STATIC_PREFIX = "static/"
_PACKAGE = Path(__file__).resolve().parent


def bundled_themes() -> Path:
    """The folder of the themes that ship with readinglist: inside the installed package,
    or the repository's ``themes/`` when running from a checkout (an editable install)."""
    installed = _PACKAGE / "themes"
    return installed if installed.is_dir() else _PACKAGE.parent / "themes"


def theme_folder(config: Config) -> Path | None:
    """The folder of the configured theme: the project's own, else the bundled one."""
    for folder in (config.theme_path, bundled_themes() / config.theme):
        if (folder / "templates").is_dir():
            return folder
    return None


def _available(config: Config) -> list[str]:
    names: set[str] = set()
    for themes in (config.root / config.themes_dir, bundled_themes()):
        if themes.is_dir():
            names.update(p.name for p in themes.iterdir() if (p / "templates").is_dir())
    return sorted(names)


@dataclass(frozen=True)
class Theme:
    """Where a theme's files are, in search order."""

    name: str
    path: Path
    template_dirs: tuple[Path, ...]  # overrides/templates (if any), theme templates, fallback
    static_dirs: tuple[Path, ...]  # fallback static, theme static, then overrides/static
    # (later wins); the fallback: under a copy of a bundled theme, the bundled one
    fallback: Path | None = None

    @property
    def own_templates(self) -> tuple[Path, ...]:
        """What ``!theme/`` reaches: the theme's templates, then the fallback's."""
        fallback = () if self.fallback is None else (self.fallback / "templates",)
        return (self.templates, *fallback)

    @property
    def templates(self) -> Path:
        return self.path / "templates"

    @property
    def folders(self) -> tuple[Path, ...]:
        """Every folder whose files make up the theme as built (templates, then static)."""
        return self.template_dirs + self.static_dirs


def load_theme(config: Config) -> tuple[Theme, list[Diagnostic]]:
    """Config -> (theme search path, diagnostics for a missing theme)."""
    found = theme_folder(config)
    path = found or config.theme_path
    problems: list[Diagnostic] = []
    if found is None:
        problems.append(error(config.source, config.line("theme"),
                              f"theme '{config.theme}' not found: neither "
                              f"{config.themes_dir}/{config.theme}/templates/ nor a bundled "
                              f"theme of that name exists (available: "
                              f"{', '.join(_available(config)) or 'none'})"))
    elif found != config.theme_path and config.theme_path.is_dir():
        problems.append(warning(str(config.theme_path), None,
                                f"ignored: a theme folder needs templates/ (the theme "
                                f"'{config.theme}' that ships with readinglist is used); to "
                                f"add or replace a few files, put them in "
                                f"{config.theme_overrides or 'overrides'}/templates/ or "
                                f"static/"))
    overrides = config.overrides_path
    if overrides is not None and not overrides.exists() and \
            config.theme_overrides != OPTIONS["theme_overrides"].default:
        problems.append(warning(config.source, config.line("theme_overrides"),
                                f"'theme_overrides' names {config.theme_overrides}/, which "
                                f"is not there: nothing overrides the theme"))
    template_dirs = [path / "templates"]
    static_dirs = [path / "static"]
    bundled = bundled_themes() / config.theme
    fallback = bundled if found is not None and (bundled / "templates").is_dir() and \
        bundled.resolve() != path.resolve() else None
    if fallback is not None:  # a copy (init --copy-theme), maybe by an older readinglist:
        # what it lacks, a page added since, comes from the theme that ships with this one
        template_dirs.append(fallback / "templates")
        static_dirs.insert(0, fallback / "static")
    if overrides is not None and overrides.is_dir():
        template_dirs.insert(0, overrides / "templates")
        static_dirs.append(overrides / "static")
    theme = Theme(config.theme, path,
                  tuple(d for d in template_dirs if d.is_dir()),
                  tuple(d for d in static_dirs if d.is_dir()), fallback)
    if overrides is not None and overrides.is_dir() and \
            overrides.resolve() != config.root.resolve():  # (`.`: config.py's error)
        problems.extend(_strays(overrides))
    if overrides is not None and (overrides / "static").is_dir():
        problems.extend(static_clashes(theme.static_dirs[:-1], overrides / "static"))
    return theme, problems


def _strays(overrides: Path) -> list[Diagnostic]:
    """Files in the overrides folder beside ``templates/`` and ``static/``, which override
    nothing (``overrides/paper.html``): each would otherwise be ignored without a word."""
    problems = []
    for entry in sorted(overrides.iterdir()):
        name = entry.name
        if name in ("templates", "static") or name.startswith(".") or \
                name.lower().startswith("readme"):
            continue
        where = "templates" if name.endswith((".html", ".xml", ".txt")) else "static"
        problems.append(warning(str(entry), None, f"overrides nothing: only what is in "
                                                  f"{overrides.name}/templates/ and "
                                                  f"{overrides.name}/static/ does; move it to "
                                                  f"{overrides.name}/{where}/{name}"))
    return problems


def static_clashes(theme_static: Sequence[Path], overrides: Path) -> list[Diagnostic]:
    """An override replaces a file of the theme with a file: one that is a file where the
    theme has a folder (or the reverse) would publish both, which cannot be."""
    problems = []
    theirs = {rel.as_posix().casefold(): rel.as_posix() for folder in theme_static
              for rel in (file.relative_to(folder) for file in folder.rglob("*"))}
    for file in sorted(overrides.rglob("*")):
        rel = file.relative_to(overrides)
        if any(part.startswith(".") for part in rel.parts):
            continue  # (not published)
        other = theirs.get(rel.as_posix().casefold(), rel.as_posix())
        if other != rel.as_posix() and file.is_file():
            name = other.rsplit("/", 1)[-1]
            problems.append(error(str(file), None, f"differs only in case from the theme's "
                                                   f"{STATIC_PREFIX}{other}, which it would "
                                                   f"replace on some disks and not on "
                                                   f"others; name it {name} to replace it, "
                                                   f"or give it another name"))
            continue
        if file.is_file() and any((folder / rel).is_dir() for folder in theme_static):
            problems.append(error(str(file), None, f"a file where the theme has the folder "
                                                   f"{STATIC_PREFIX}{rel.as_posix()}/; give "
                                                   f"it another name"))
        elif file.is_dir() and any((folder / rel).is_file() for folder in theme_static) \
                and any(f.is_file() for f in file.rglob("*")):
            problems.append(error(str(file), None, f"a folder where the theme has the file "
                                                   f"{STATIC_PREFIX}{rel.as_posix()}; give "
                                                   f"it another name"))
    return problems


def template_file(theme: Theme, name: str) -> Path | None:
    """The file ``template_loader`` loads for a template name (for messages about it)."""
    own = name.startswith(THEME_PREFIX + "/")
    rel = name[len(THEME_PREFIX) + 1:] if own else name
    for folder in theme.own_templates if own else theme.template_dirs:
        if (folder / rel).is_file():
            return folder / rel
    return None


def template_loader(theme: Theme) -> jinja2.BaseLoader:
    """Overrides, then the theme; ``!theme/name`` reaches past the overrides (the order
    ``template_file`` follows too)."""
    import jinja2

    return jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in theme.template_dirs]),
        jinja2.PrefixLoader({THEME_PREFIX: jinja2.FileSystemLoader(
            [str(d) for d in theme.own_templates])}, delimiter="/"),
    ])


def static_files(theme: Theme) -> dict[str, bytes]:
    """Theme static files overlaid with the user's: ``static/<path>`` -> bytes, sorted."""
    files: dict[str, bytes] = {}
    for folder in theme.static_dirs:
        for file in sorted(folder.rglob("*")):
            rel = file.relative_to(folder)
            if not file.is_file() or any(part.startswith(".") for part in rel.parts):
                continue
            files[STATIC_PREFIX + rel.as_posix()] = file.read_bytes()
    return dict(sorted(files.items()))
