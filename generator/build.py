"""The whole pipeline: content/ -> papers -> site model -> {path: bytes} -> site/.

``build`` works in memory (tests and the dev server use it); ``build_to_disk`` adds the
writer. Any error diagnostic stops the build before anything is written.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from generator.config import Config
from generator.content import load_papers
from generator.diagnostics import BuildError, Diagnostic, has_errors
from generator.feeds import (
    atom_feed,
    bibtex_entry,
    bibtex_keys,
    papers_bib,
    papers_json,
    robots_txt,
    sitemap,
)
from generator.model import Paper
from generator.render import feed_texts, html_pages, make_environment, paper_view, render_pages
from generator.site import build_site
from generator.theme import load_theme, static_files
from generator.writer import merge_outputs, write_site

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildResult:
    files: dict[str, bytes]  # site-relative posix path -> bytes
    diagnostics: list[Diagnostic]  # warnings (errors raise)
    papers: int


def _search_outputs(papers: list[Paper], config: Config) -> dict[str, bytes]:
    try:  # guarded until the search stage lands everywhere
        search = importlib.import_module("generator.search")
    except ModuleNotFoundError as exc:
        if exc.name != "generator.search":
            raise
        return {}
    return dict(search.search_outputs(papers, config))


def build(config: Config, *, progress: Progress | None = None) -> BuildResult:
    """Config -> every output file in memory; raises BuildError with all diagnostics."""
    papers, diagnostics = load_papers(config.papers_path, config.root)
    theme, theme_problems = load_theme(config)
    site, site_problems = build_site(papers)
    diagnostics = sorted([*diagnostics, *theme_problems, *site_problems],
                         key=lambda d: (d.path, d.line or 0, d.message))
    if has_errors(diagnostics):
        raise BuildError(diagnostics)
    keys = bibtex_keys(p.paper for p in site.papers)
    entries = {p.slug: bibtex_entry(p.paper, keys[p.slug]) for p in site.papers}
    views = {p.slug: paper_view(p, config, keys[p.slug], entries[p.slug]) for p in site.papers}
    pages = render_pages(site, config, make_environment(theme), views, progress=progress)
    data = {"feed.xml": atom_feed(site, config, feed_texts(views)),
            "robots.txt": robots_txt(config), "papers.bib": papers_bib(entries, keys),
            "papers.json": papers_json(site, config, keys), ".nojekyll": b""}
    map_xml = sitemap(site, config, html_pages(pages))
    if map_xml is not None:
        data["sitemap.xml"] = map_xml
    files = merge_outputs([
        ("pages", pages), ("theme static files", static_files(theme)), ("feeds", data),
        ("search", _search_outputs([p.paper for p in site.papers], config)),
    ])
    return BuildResult(files, diagnostics, len(site.papers))


def build_to_disk(config: Config, out: Path | None = None, *,
                  progress: Progress | None = None) -> BuildResult:
    """build(), then write the files into ``out`` (default: config.output_path)."""
    result = build(config, progress=progress)
    write_site(result.files, out if out is not None else config.output_path)
    return result
