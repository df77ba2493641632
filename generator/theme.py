"""Theme search path: the user's override folder first, then ``themes/<theme>/``.

Templates are looked up in ``overrides/templates/`` then the theme's ``templates/``; the name
prefix ``!theme/`` always means the theme's own file, so an override can
``{% extends "!theme/base.html" %}`` and change one block. Static files are the theme's
``static/`` with ``overrides/static/`` laid over it, published under ``static/``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from generator.config import Config
from generator.diagnostics import Diagnostic, error

if TYPE_CHECKING:
    import jinja2

THEME_PREFIX = "!theme"
STATIC_PREFIX = "static/"


@dataclass(frozen=True)
class Theme:
    """Where a theme's files are, in search order."""

    name: str
    path: Path
    template_dirs: tuple[Path, ...]  # overrides/templates (if any), theme templates
    static_dirs: tuple[Path, ...]  # theme static, then overrides/static (later wins)

    @property
    def templates(self) -> Path:
        return self.path / "templates"

    @property
    def folders(self) -> tuple[Path, ...]:
        """Every folder whose files make up the theme as built (templates, then static)."""
        return self.template_dirs + self.static_dirs


def load_theme(config: Config) -> tuple[Theme, list[Diagnostic]]:
    """Config -> (theme search path, diagnostics for a missing theme)."""
    path = config.theme_path
    problems: list[Diagnostic] = []
    if not (path / "templates").is_dir():
        themes = config.root / config.themes_dir
        available = sorted(p.name for p in themes.iterdir()
                           if (p / "templates").is_dir()) if themes.is_dir() else []
        problems.append(error("config.yaml", None,
                              f"theme '{config.theme}' not found: {path}/templates/ does not "
                              f"exist (available: {', '.join(available) or 'none'})"))
    overrides = config.overrides_path
    template_dirs = [path / "templates"]
    static_dirs = [path / "static"]
    if overrides is not None and overrides.is_dir():
        template_dirs.insert(0, overrides / "templates")
        static_dirs.append(overrides / "static")
    theme = Theme(config.theme, path,
                  tuple(d for d in template_dirs if d.is_dir()),
                  tuple(d for d in static_dirs if d.is_dir()))
    return theme, problems


def template_loader(theme: Theme) -> jinja2.BaseLoader:
    """Overrides, then the theme; ``!theme/name`` reaches past the overrides."""
    import jinja2

    return jinja2.ChoiceLoader([
        jinja2.FileSystemLoader([str(d) for d in theme.template_dirs]),
        jinja2.PrefixLoader({THEME_PREFIX: jinja2.FileSystemLoader(str(theme.templates))},
                            delimiter="/"),
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
