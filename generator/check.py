"""`readinglist check`: every mistake in the content, config and theme, found without building.

Each content file goes through ``content.parse_paper`` (schema, types, dates, ratings,
statuses, links, unknown keys with "did you mean"), the same parse the build uses; on top of
that this module looks across files: duplicate papers (``site.duplicate_papers``, which the
build reports too), slug collisions, tags spelled two ways. The theme must exist and every
template must compile. Nothing is written.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import yaml

from generator.config import Config, load_config
from generator.content import (
    FrontMatterError,
    body_line,
    content_files,
    parse_paper,
    read_front_matter,
    slug_for_path,
    split_front_matter,
)
from generator.diagnostics import (
    Diagnostic,
    Severity,
    error,
    has_errors,
    shown_path,
    universal_text,
    warning,
)
from generator.markdown import note_targets
from generator.model import WINDOWS_RESERVED, is_safe_slug, new_slug
from generator.project import workflow_problems
from generator.site import duplicate_papers
from generator.theme import STATIC_PREFIX, Theme, load_theme, template_file

if TYPE_CHECKING:
    import jinja2


@dataclass(frozen=True)
class CheckResult:
    """What ``check_project`` found: sorted diagnostics and how many files it read."""

    diagnostics: tuple[Diagnostic, ...]
    files: int
    config: Config

    @property
    def errors(self) -> int:
        return sum(d.severity == "error" for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return sum(d.severity == "warning" for d in self.diagnostics)


def shown_config(problems: Iterable[Diagnostic], config_path: Path) -> list[Diagnostic]:
    """Diagnostics with the config file named as ``shown_path`` names it."""
    shown = shown_path(config_path)
    return [Diagnostic(shown, d.line, d.severity, d.message) if d.path == str(config_path)
            else d for d in problems]


_SEPARATORS = re.compile(r"[\s_\-./]+")


def tag_key(tag: str) -> str:
    """A tag's identity for spotting variants: case, separators and a plural 's' ignored."""
    key = _SEPARATORS.sub("-", tag.casefold()).strip("-")
    if len(key) > 3 and key.endswith("s") and not key.endswith("ss"):
        key = key[:-1]
    return key


# --- content ---------------------------------------------------------------------------

@dataclass
class _File:
    path: str  # as shown in messages
    slug: str
    data: dict[str, Any]
    lines: dict[str, int]  # key -> line
    tags: list[str | None]  # each tags item, spaces folded (None: not text), in order
    tag_lines: list[int]  # line of each tags item, in order
    notes: str = ""
    notes_line: int = 1  # the line the notes start on


def _tag_lines(text: str, tags: Iterable[Any], key_line: int) -> list[int]:
    """Line of each item of the top-level ``tags`` list (the key's line as a fallback)."""
    count = len(list(tags))
    try:
        fm, _, first = split_front_matter(text)
        node = yaml.compose(fm, Loader=yaml.SafeLoader)
    except (FrontMatterError, yaml.YAMLError):
        return [key_line] * count
    if isinstance(node, yaml.MappingNode):
        for k, v in node.value:
            if k.value == "tags" and isinstance(v, yaml.SequenceNode):
                found = [item.start_mark.line + first for item in v.value]
                if len(found) == count:
                    return found
    return [key_line] * count


def _read(file: Path, shown: str, problems: list[Diagnostic]) -> _File | None:
    try:
        text = universal_text(file.read_bytes(), shown)  # (as the build reads it)
    except OSError as exc:
        problems.append(error(shown, None, f"cannot read: {exc.strerror}"))
        return None
    if isinstance(text, Diagnostic):
        problems.append(text)
        return None
    slug = slug_for_path(file)
    _, found = parse_paper(text, shown, slug)
    problems.extend(found)
    try:
        data, notes, lines = read_front_matter(text)
    except FrontMatterError:
        return None  # parse_paper has reported it
    notes_line = body_line(text, notes)
    tags = data.get("tags")
    tags = [tags] if isinstance(tags, str) else tags if isinstance(tags, list) else []
    texts = [" ".join(str(tag).split()) if isinstance(tag, (str, int, float))
             and not isinstance(tag, bool) else None for tag in tags]
    tag_lines = _tag_lines(text, tags, lines.get("tags", 2)) if tags else []
    return _File(shown, slug, data, lines, texts, tag_lines, notes, notes_line)


def _check_names(files: list[tuple[Path, str]], problems: list[Diagnostic]) -> None:
    by_slug: dict[str, str] = {}
    for file, shown in files:
        slug = slug_for_path(file)
        if slug in WINDOWS_RESERVED:  # (another name Windows refuses is not a slug: below)
            problems.append(warning(shown, None, f"'{file.stem}' is a device name on Windows, "
                                    f"where this file and its page's folder cannot be made; "
                                    f"rename it to {new_slug(slug)}.md (its page moves)"))
        elif not is_safe_slug(file.stem):
            problems.append(warning(shown, None, f"file name is not a slug; the page will be "
                                    f"'{slug}' (rename the file to {slug}.md)"))
        if slug in by_slug:
            problems.append(error(shown, None, f"slug '{slug}' is already used by "
                                  f"{by_slug[slug]}; rename one of the files"))
        else:
            by_slug[slug] = shown


def _check_duplicates(files: list[_File], problems: list[Diagnostic]) -> None:
    titled = [(f.path, f.lines.get("title"), str(f.data["title"])) for f in files
              if isinstance(f.data.get("title"), (str, int, float))
              and not isinstance(f.data.get("title"), bool)]
    problems.extend(duplicate_papers(titled))


def _check_tags(files: list[_File], problems: list[Diagnostic]) -> None:
    # key -> spelling -> files using it, in file order
    spellings: dict[str, dict[str, list[str]]] = {}
    for f in files:
        for tag in f.tags:
            if tag:
                spellings.setdefault(tag_key(tag), {}).setdefault(tag, []).append(f.path)
    preferred: dict[str, str] = {}
    for key, spelled in spellings.items():
        if len(spelled) > 1:
            # The most used spelling wins; on a tie, the one seen first.
            preferred[key] = max(spelled, key=lambda s: len(spelled[s]))
    for f in files:
        for tag, line in zip(f.tags, f.tag_lines, strict=True):
            if tag is None:
                continue
            best = preferred.get(tag_key(tag))
            if best is None or tag == best:
                continue
            uses = len(spellings[tag_key(tag)][best])
            problems.append(warning(f.path, line, f"tags: '{tag}' looks like the tag '{best}' "
                                    f"used in {uses} file{'s' if uses != 1 else ''}; use one "
                                    f"spelling"))


def _check_note_targets(files: list[_File], static_dirs: Sequence[Path],
                        problems: list[Diagnostic]) -> None:
    """A link in the notes to a paper that is not in the list, or an image the site does
    not publish (only ``static/`` files are copied), would be dead; a ``javascript:`` (or
    ``data:``...) link is shown as text; a footnote cited without its note is shown as
    written, and a note nothing cites is left out."""
    slugs = {f.slug for f in files}
    for f in files:
        if "](" not in f.notes and "]:" not in f.notes and "[^" not in f.notes:
            continue  # no inline link or image, no link reference definition, no footnote
        for line, kind, value in note_targets(f.notes):
            if kind == "paper" and value not in slugs:
                problems.append(warning(f.path, f.notes_line + line,
                                        f"notes: link to '{value}', but no paper's file "
                                        f"is named {value}.md; the link would be dead"))
            elif kind == "refused":
                scheme = value.split(":", 1)[0].strip().lower()
                problems.append(warning(f.path, f.notes_line + line,
                                        f"notes: a {scheme}: link is never made a link; "
                                        f"the site shows it as text"))
            elif kind == "no-footnote":
                problems.append(warning(f.path, f.notes_line + line,
                                        f"notes: [^{value}] cites no footnote (no line "
                                        f"'[^{value}]: ...'); the site shows it as written"))
            elif kind == "uncited":
                problems.append(warning(f.path, f.notes_line + line,
                                        f"notes: footnote [^{value}] is cited nowhere (no "
                                        f"'[^{value}]' in the text); the site leaves it out"))
            elif kind == "image":
                path = unquote(value.split("#")[0].split("?")[0])
                target = posixpath.normpath(posixpath.join("papers", f.slug, path))
                rel = target.removeprefix(STATIC_PREFIX)
                if target == rel:  # outside static/: nothing else is copied
                    message = (f"notes: image '{value}' is not a file the site publishes; "
                               f"put it in overrides/static/ and write ../../static/"
                               f"{posixpath.basename(path) or 'figure.png'}")
                elif not any((folder / rel).is_file() for folder in static_dirs):
                    message = f"notes: image '{value}': no overrides/static/{rel}"
                else:
                    continue
                problems.append(warning(f.path, f.notes_line + line, message))


def no_papers_folder(config: Config, severity: Severity) -> Diagnostic:
    """A project without a papers folder: an empty site, and without a config.yaml either,
    most likely a command run in the wrong folder."""
    where = "" if config.source else " and no config.yaml"
    return Diagnostic(shown_path(config.papers_path), None, severity,
                      f"no papers folder{where}, so no papers to show (run this in your "
                      f"list's folder, give --config, or start a list with 'readinglist "
                      f"init')")


def check_content(config: Config) -> tuple[list[Diagnostic], int]:
    """Every content file of a project -> (diagnostics, number of files read)."""
    problems: list[Diagnostic] = []
    papers_dir = config.papers_path
    if not papers_dir.is_dir():  # (not a list at all: an error, as build makes it)
        problems.append(no_papers_folder(config, "warning" if config.source else "error"))
        return problems, 0
    found = content_files(papers_dir, config.root)  # what the build reads, and why not
    problems.extend(found.problems)
    problems.extend(warning(other, None, "not a .md file; ignored") for other in found.others)
    files = [(Path(path), shown_path(path)) for _, path in found.papers]
    _check_names(files, problems)
    read = [f for f in (_read(file, shown, problems) for file, shown in files) if f]
    _check_duplicates(read, problems)
    _check_tags(read, problems)
    theme, broken = load_theme(config)
    _check_note_targets(read, () if broken else theme.static_dirs, problems)
    return problems, len(files)


def check_theme(config: Config) -> list[Diagnostic]:
    """The theme exists and each of its templates (and the overrides') compiles."""
    import jinja2

    from generator.render import TEMPLATE_SUFFIXES, NotText, make_environment, page_templates

    theme, problems = load_theme(config)
    if has_errors(problems):
        return problems
    env = make_environment(theme)
    for choice in page_templates():
        if all(template_file(theme, name) is None for name in choice):
            problems.append(error(str(theme.templates), None, f"the theme has no "
                                                              f"{' or '.join(choice)}, which "
                                                              f"a build needs"))
    named: set[str] | None = {name for choice in page_templates() for name in choice}
    looked: set[str | None] = set()  # (a theme's file is both NAME and !theme/NAME)
    for name in sorted(env.list_templates()):
        try:
            template = env.get_template(name)
            if template.filename in looked:
                continue
            looked.add(template.filename)
            found, reached = _references(theme, template)
            problems.extend(found)
            named = None if named is None or reached is None else named | reached
        except jinja2.TemplateSyntaxError as exc:
            if isinstance(exc, NotText) and not name.endswith(TEMPLATE_SUFFIXES):
                continue  # not a template (an image kept beside them), unless a page uses it
            where = shown_path(exc.filename) if exc.filename else name
            problems.append(error(where, exc.lineno, f"template does not compile: "
                                                     f"{exc.message}"))
        except (UnicodeDecodeError, jinja2.TemplateError):
            continue  # not a template (an image kept beside them); never rendered
    if named is not None:
        problems.extend(_unused_overrides(theme, config.overrides_path, named,
                                          TEMPLATE_SUFFIXES))
    return problems


def _unused_overrides(theme: Theme, overrides: Path | None, named: set[str],
                      suffixes: tuple[str, ...]) -> list[Diagnostic]:
    """Templates in the overrides that replace none of the theme's, make no page and are
    included by no template: a name mistyped (``paper_cards.html``), or a page put beside
    ``templates/``, whose change would silently show nowhere."""
    if overrides is None:
        return []
    folder = overrides / "templates"
    problems = []
    for file in sorted(folder.rglob("*")) if folder.is_dir() else ():
        name = file.relative_to(folder).as_posix()
        if not file.is_file() or not name.endswith(suffixes) or \
                any(part.startswith(".") for part in file.relative_to(folder).parts):
            continue
        if name not in named and not any((d / name).is_file() for d in theme.own_templates):
            problems.append(warning(str(file), None, f"replaces no template of the theme, "
                                                     f"and no page or template uses {name}"))
    return problems


def _references(theme: Theme, template: jinja2.Template
                ) -> tuple[list[Diagnostic], set[str] | None]:
    """The templates ``template`` extends, includes or imports by a name that no file has
    (``{% include "partials/x.html" ignore missing %}`` aside), found without rendering;
    and every name it reaches them by (None: one is not written out, so any may be)."""
    import jinja2
    from jinja2 import nodes

    if template.filename is None or (source := _template_source(template.filename)) is None:
        return [], set()
    try:
        tree = template.environment.parse(source)
    except jinja2.TemplateSyntaxError:
        return [], set()  # (reported as it compiles)
    problems = []
    named: set[str] | None = set()
    kinds = (nodes.Extends, nodes.Include, nodes.Import, nodes.FromImport)
    for node in tree.find_all(kinds):
        if not isinstance(node, kinds) or (  # (find_all's type: a node of any kind)
                isinstance(node, nodes.Include) and node.ignore_missing):
            continue
        target = node.template
        names = [target.value] if isinstance(target, nodes.Const) else \
            [item.value for item in target.items if isinstance(item, nodes.Const)] \
            if isinstance(target, (nodes.List, nodes.Tuple)) else []
        if not names or not all(isinstance(n, str) for n in names):
            named = None
        elif named is not None:
            named.update(names)
        files = [template_file(theme, n) if isinstance(n, str) else None for n in names]
        if names and not any(files):
            problems.append(error(shown_path(template.filename), node.lineno,
                                  f"no such template: {' or '.join(names)}"))
        elif files and files[0] is not None and str(files[0]) == template.filename:
            verb = "extends" if isinstance(node, nodes.Extends) else "includes"
            how = "\"!theme/\" names the theme's own files, this one among them" \
                if names[0].startswith("!theme/") else \
                f"to reach the theme's {names[0]}, write \"!theme/{names[0]}\""
            problems.append(error(shown_path(template.filename), node.lineno,
                                  f"{verb} itself, without end; {how}"))
    return problems, named


def _template_source(path: str) -> str | None:
    try:
        return Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None


def check_project(config_path: Path) -> CheckResult:
    """A project's config file -> every problem in it and its content, sorted by place."""
    config, problems = load_config(config_path)
    problems = shown_config(problems, config_path)
    problems.extend(shown_config(check_theme(config), config_path))
    found, count = check_content(config)
    problems.extend(found)
    problems.extend(workflow_problems(config.root))
    ordered = sorted(problems, key=lambda d: (d.path, d.line or 0, d.severity, d.message))
    return CheckResult(tuple(ordered), count, config)
