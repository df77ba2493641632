"""Typed project configuration (`config.yaml`): defaults, validation, paths.

Every key is declared once in ``OPTIONS`` with its type, default and meaning; an unknown
key is an error that suggests the closest known one, so a typo never passes silently.
"""

from __future__ import annotations

import difflib
import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from generator.diagnostics import Diagnostic, as_written, error, universal_text
from generator.model import STATUSES

CONFIG_NAME = "config.yaml"
# The address to publish at when config.yaml leaves base_url empty: the GitHub Pages
# workflow sets it from actions/configure-pages, so a fork publishes without a hand edit.
BASE_URL_VARIABLE = "READINGLIST_BASE_URL"


@dataclass(frozen=True)
class Option:
    type: type | tuple[type, ...]
    default: Any
    help: str


OPTIONS: dict[str, Option] = {
    "title": Option(str, "Reading list", "Site title, shown in the header and the feed."),
    "description": Option(str, "Papers I read, with notes.", "One line under the title."),
    "author": Option(str, "", "Owner of the list; used in the feed and the footer."),
    "base_url": Option(str, "", "Absolute URL the site is published at, e.g. "
                       "https://user.github.io/repo/. Only used where an absolute URL is "
                       "required: feed, sitemap, canonical links, and the links of 404.html "
                       "(served at any depth)."),
    "language": Option(str, "en", "Language of the site (the html lang attribute)."),
    "content_dir": Option(str, "content", "Folder holding papers/ and listings/."),
    "output_dir": Option(str, "site", "Folder the site is built into."),
    "theme": Option(str, "default", "Name of a theme: a folder under themes_dir, else a "
                    "theme that ships with readinglist (default)."),
    "themes_dir": Option(str, "themes", "Folder holding the themes."),
    "theme_overrides": Option((str, type(None)), "overrides", "Folder whose templates/ and "
                              "static/ files replace the theme's files of the same name "
                              "(empty: none)."),
    "allow_raw_html": Option(bool, False, "Render raw HTML written in notes. Off: it is "
                             "shown as text."),
    "feed_size": Option(int, 50, "Number of newest additions listed in feed.xml and in "
                        "each tag's feed."),
    "page_size": Option(int, 100, "Papers per page of the home page and of each tag, "
                        "author, year and venue page; longer lists continue on page-2.html "
                        "and so on. 0: every list on one page."),
    "default_status": Option(str, "unread", "Reading status shown for papers without one."),
    "highlight_authors": Option(list, [], "Author names to mark wherever authors are listed "
                                "(yours, your group's), e.g. [Ada Lovelace]."),
}


@dataclass(frozen=True)
class Config:
    title: str = "Reading list"
    description: str = "Papers I read, with notes."
    author: str = ""
    base_url: str = ""
    language: str = "en"
    content_dir: str = "content"
    output_dir: str = "site"
    theme: str = "default"
    themes_dir: str = "themes"
    theme_overrides: str | None = "overrides"
    allow_raw_html: bool = False
    feed_size: int = 50
    page_size: int = 100
    default_status: str = "unread"
    highlight_authors: tuple[str, ...] = ()
    root: Path = Path(".")  # the project folder (where config.yaml lives)
    # the config file as messages name it ("" when there is none); not a setting: the same
    # settings read from another path build the same site
    source: str = field(default="", compare=False, repr=False)
    # each key's line in that file, for messages found after parsing (a missing theme)
    lines: tuple[tuple[str, int], ...] = field(default=(), compare=False, repr=False)

    def line(self, key: str) -> int | None:
        """The line of config.yaml that sets ``key`` (None: not set there)."""
        return dict(self.lines).get(key)

    @property
    def content_path(self) -> Path:
        return self.root / self.content_dir

    @property
    def papers_path(self) -> Path:
        return self.content_path / "papers"

    @property
    def output_path(self) -> Path:
        return self.root / self.output_dir

    @property
    def theme_path(self) -> Path:
        return self.root / self.themes_dir / self.theme

    @property
    def overrides_path(self) -> Path | None:
        return self.root / self.theme_overrides if self.theme_overrides else None

    @property
    def site_url(self) -> str:
        """base_url with exactly one trailing slash, or '' when unset."""
        return self.base_url.rstrip("/") + "/" if self.base_url else ""


assert set(OPTIONS) == {f.name for f in fields(Config)} - {"root", "source", "lines"}


def _type_name(t: type | tuple[type, ...]) -> str:
    types = t if isinstance(t, tuple) else (t,)
    names = {str: "a string", bool: "true or false", int: "a whole number",
             type(None): "empty", list: "a list"}
    return " or ".join(names.get(x, x.__name__) for x in types)


def parse_config(text: str, path: str, root: Path) -> tuple[Config, list[Diagnostic]]:
    """Config text -> (config, diagnostics); on errors the defaults fill the gaps."""
    problems: list[Diagnostic] = []
    from generator.content import (
        SURROGATE_PROBLEM,
        BoundedLoader,
        surrogate_line,
        yaml_limits,
        yaml_problem,
    )

    limit = yaml_limits(text)
    if limit is not None:
        return Config(root=root), [error(path, limit[0] + 1, limit[1])]
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.load(text, Loader=BoundedLoader) if node is not None else {}
    except yaml.YAMLError as exc:
        line, problem = yaml_problem(exc, 1)
        return Config(root=root), [error(path, line, f"invalid YAML: {problem}")]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return Config(root=root), [error(path, 1, "expected a mapping of key: value lines")]
    half = surrogate_line(text, data)
    if half is not None:
        return Config(root=root), [error(path, half + 1, SURROGATE_PROBLEM)]
    lines: dict[str, int] = {}  # each key's line: its last, whose value YAML keeps
    if isinstance(node, yaml.MappingNode):
        first: dict[str, int] = {}
        for key_node, _ in node.value:
            key, line = str(key_node.value), key_node.start_mark.line + 1
            if key in first:  # (YAML would keep the last silently)
                problems.append(error(path, line, f"duplicate key '{key}' (first on line "
                                                  f"{first[key]}); keep one"))
            first.setdefault(key, line)
            lines[key] = line
    values: dict[str, Any] = {}
    for key, value in data.items():
        line = lines.get(str(key))
        option = OPTIONS.get(str(key))
        if option is None:
            close = difflib.get_close_matches(str(key), OPTIONS, n=1)
            hint = f"; did you mean '{close[0]}'?" if close else \
                f"; known keys: {', '.join(OPTIONS)}"
            problems.append(error(path, line, f"unknown key '{key}'{hint}"))
            continue
        expected = option.type if isinstance(option.type, tuple) else (option.type,)
        if value is None and type(None) not in expected:
            continue  # `base_url:` with nothing after it: not set, its default
        ok = isinstance(value, expected) and not (
            isinstance(value, bool) and bool not in expected)
        if not ok:
            hint = f" (one name: [{value}])" if option.type is list and \
                isinstance(value, str) else ""
            problems.append(error(path, line, f"'{key}' must be {_type_name(option.type)}, "
                                              f"got {as_written(value)}{hint}"))
            continue
        if isinstance(value, list):
            if not all(isinstance(v, str) and v.strip() for v in value):
                problems.append(error(path, line, f"'{key}' must be a list of names, "
                                                  f"got {as_written(value)}"))
                continue
            value = tuple(" ".join(v.split()) for v in value)
        values[str(key)] = value
    config = Config(root=root, lines=tuple(sorted(lines.items())), **values)
    if "title" in values and not config.title.strip():
        problems.append(error(path, lines.get("title"), "'title' must not be empty: it is "
                              "every page's <title> and the feed's"))
    if "theme" in values and not config.theme.strip():
        problems.append(error(path, lines.get("theme"), "'theme' must name a theme, such "
                              "as default"))
    if "feed_size" in values and config.feed_size < 1:
        problems.append(error(path, lines.get("feed_size"), "'feed_size' must be at least 1"))
    if "page_size" in values and config.page_size < 0:
        problems.append(error(path, lines.get("page_size"),
                              "'page_size' must be 0 (no pages) or more"))
    if config.default_status not in STATUSES:
        problems.append(error(path, lines.get("default_status"), f"'default_status' must be one "
                              f"of {', '.join(STATUSES)}, got {as_written(config.default_status)}"))
    url_problem = base_url_problem(config.base_url)
    if url_problem is not None:
        problems.append(error(path, lines.get("base_url"), f"'base_url' {url_problem}"))
    if config.overrides_path is not None and config.overrides_path.exists() and \
            not config.overrides_path.is_dir():
        problems.append(error(path, lines.get("theme_overrides"), f"'theme_overrides' must "
                              f"be a folder (of templates/ and static/), not the file "
                              f"{config.theme_overrides}"))
    unsafe = output_problem(config, config.output_path)
    if unsafe is not None:  # (at the line of the other folder's key, output_dir not set)
        line = lines.get("output_dir") or next(
            (lines[key] for key in ("content_dir", "themes_dir", "theme_overrides")
             if key in lines and f" {key} (" in unsafe), None)
        problems.append(error(path, line, f"'output_dir' {unsafe}"))
    return config, problems


def base_url_problem(url: str) -> str | None:
    """Why ``url`` cannot be the address the site is published at, or None. Page paths are
    put after it (``<base_url>papers/x/``), so a query or a fragment would end up in the
    middle of every feed and sitemap link."""
    if not url:
        return None
    if not url.startswith(("http://", "https://")):
        return f"must start with http:// or https://, got {as_written(url)}"
    parts = urlsplit(url)
    if not parts.hostname or any(c.isspace() for c in url):
        return f"must be an address such as https://user.github.io/repo/, got {as_written(url)}"
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        return f"must not have a query or a fragment (? or #), got {as_written(url)}"
    return None


def output_problem(config: Config, out: Path) -> str | None:
    """Why ``out`` cannot be the folder a build writes, or None. A build replaces that
    folder whole (``writer.swap_in``), so it must hold none of the project's own files
    (``output_dir: .`` with a GitHub Pages ``.nojekyll`` in the project replaced the
    project, notes and all, with the site), nor lie among the files a build reads. (Inside
    the project or the content folder is fine: with ``content_dir: .`` the site is there.)"""
    out = out.resolve()
    own = [("the project", config.root, False), ("content_dir", config.content_path, False),
           ("the papers folder", config.papers_path, True),
           ("themes_dir", config.root / config.themes_dir, True),
           ("theme_overrides", config.overrides_path, True),
           ("the cache", config.root / ".cache", True)]
    for name, folder, not_inside in own:
        if folder is None:
            continue
        folder = folder.resolve()
        if out == folder or out in folder.parents:
            return f"holds {name} ({folder}); a build replaces its output folder whole: " \
                   f"choose a folder of its own, such as site"
        if not_inside and folder in out.parents:
            return f"is inside {name} ({folder}); choose a folder of its own, such as site"
    return None


def load_config(path: Path, environ: dict[str, str] | None = None
                ) -> tuple[Config, list[Diagnostic]]:
    """Read and validate a config file; a missing file means all defaults. An empty
    ``base_url`` is taken from $READINGLIST_BASE_URL when that is set."""
    root = path.parent
    text: str | None = None
    problems: list[Diagnostic] = []
    try:
        read = universal_text(path.read_bytes(), str(path))
        if isinstance(read, Diagnostic):  # (an editor saved it in another encoding)
            problems.append(read)
        else:
            text = read
    except FileNotFoundError:
        pass
    except OSError as exc:
        problems.append(error(str(path), None, f"cannot read: {exc.strerror or exc}"))
    if text is not None:
        config, problems = parse_config(text, str(path), root)
        config = replace(config, source=str(path))
    else:
        config = Config(root=root)
    published = (os.environ if environ is None else environ).get(BASE_URL_VARIABLE, "")
    if not config.base_url and published.strip():
        config = replace(config, base_url=published.strip())
        url_problem = base_url_problem(config.base_url)
        if url_problem is not None:
            problems.append(error(BASE_URL_VARIABLE, None, url_problem))
    return config, problems
