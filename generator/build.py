"""The whole pipeline: content/ -> papers -> site model -> {path: bytes} -> site/.

    inputs ─scan→ hashes ─plan→ parts, each keyed by its inputs ─make→ files ─write→ site/
                  (generator.cache)   (generator.plan)      (generator.parallel)  (writer)

A build makes only the parts whose key differs from the one the last build recorded and
reuses the rest: from memory (``build`` given the dev server's ``BuildCache``) or from
site/ itself (``build_to_disk``, whose caches and manifest live in ``<project>/.cache/``).
When every input hashes as before and site/ is as the last build left it,
``build_to_disk`` loads and renders nothing at all. Any error diagnostic stops the build
before anything is written.
"""

from __future__ import annotations

import gc
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.cache import CACHE_DIR, BuildCache, CacheStore, Manifest, intact, scan_inputs
from generator.config import Config
from generator.content import Reader, Source
from generator.diagnostics import Diagnostic
from generator.plan import Clock, Part, plan
from generator.writer import (
    SiteFiles,
    check_paths,
    is_our_site,
    merge_paths,
    staging_folder,
    swap_in,
    update_site,
)

if TYPE_CHECKING:
    from generator.make import Background
    from generator.theme import Theme

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class BuildResult:
    files: Mapping[str, bytes]  # site-relative posix path -> bytes
    diagnostics: list[Diagnostic]  # warnings (errors raise)
    papers: int
    made: int = 0  # parts made by this build (pages, feeds, search...); the rest was reused


@contextmanager
def _rare_collections() -> Iterator[None]:
    """The one place the garbage collector is tuned. A build allocates millions of objects
    that live to its end (papers, views, cards): the cycle collector's default pace
    re-walks them hundreds of times for little garbage, so it runs a hundred times less
    often while building; and before each fork (``_before_fork``) what exists is frozen,
    so the collector of a worker never touches (and copies) the pages it shares with
    this process."""
    old = gc.get_threshold()
    gc.set_threshold(70_000, 20, 20)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*old)


def _before_fork() -> None:
    gc.freeze()


def _started(background: Background, part: Part) -> Part:
    _before_fork()
    return background.start(part)


def _outputs(parts: list[Part], made: Mapping[str, dict[str, bytes]],
             last: Manifest | None) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Every part -> (key, its files), made now or as the last build recorded; checked."""
    record = {}
    for part in parts:
        files = made.get(part.name)
        if files is not None:
            record[part.name] = (part.key, tuple(sorted(files)))
        else:
            assert last is not None
            record[part.name] = last.parts[part.name]
    if last is None or len(record) != len(last.parts) or \
            any(paths != last.parts.get(name, ("", None))[1] for name, (_, paths) in
                record.items()):  # (the last build's paths were checked)
        merge_paths((part.stage, record[part.name][1]) for part in parts)
        check_paths(path for _, paths in record.values() for path in paths)
    return record


@_rare_collections()
def build(config: Config, *, progress: Progress | None = None,
          cache: BuildCache | None = None, jobs: int | None = None) -> BuildResult:
    """Config -> every output file in memory; raises BuildError with all diagnostics.

    With a ``cache`` (the dev server keeps one between rebuilds) the parts whose inputs did
    not change are taken from the last build instead of being made again. ``jobs``:
    processes to make parts in (default: one per core)."""
    from generator.make import Background, make_parts
    from generator.parallel import default_jobs
    from generator.theme import load_theme

    theme, theme_problems = load_theme(config)
    cache = cache if cache is not None else BuildCache()
    jobs = jobs or default_jobs()
    parsed: dict[tuple[str, str, str], Any] = {}
    env: list[Any] = []
    fused = cache.last is None and not cache.parsed  # (the dev server's first build)
    inputs = scan_inputs(config, theme.folders, cache.last, _read_and_parse(
        jobs, parsed, _warm_up(theme, None, env)) if fused else None)
    if fused:
        cache.parsed.update(parsed)
    last, files = cache.last, cache.files or {}
    if last is not None and last.fingerprint == inputs.fingerprint and cache.files is not None:
        return BuildResult(dict(files), list(last.diagnostics), last.papers)

    def reuse(part: Part) -> bool:
        old = last.parts.get(part.name) if last is not None else None
        return old is not None and old[0] == part.key and all(f in files for f in old[1])

    background = Background(jobs)
    try:
        with background:
            site_plan = plan(config, inputs, theme, theme_problems, cache, jobs=jobs,
                             start=lambda part: part if reuse(part) else _started(background, part),
                             previous=files.get, cancel=background.cancel,
                             env=env[0] if env else None)
            todo = [part for part in site_plan.parts if not reuse(part)]
            _before_fork()
            made, _ = make_parts(todo, site_plan.renderer, jobs=jobs, progress=progress)
        record = _outputs(site_plan.parts, made, last)
        out: dict[str, bytes] = {}
        for name, (_, paths) in record.items():
            source = made.get(name, files)
            for path in paths:
                out[path] = source[path]
        out = dict(sorted(out.items()))
        cache.memo = site_plan.memo
        cache.shape = site_plan.shape
        cache.last = Manifest(inputs.fingerprint, site_plan.papers, site_plan.diagnostics, record,
                              sources=inputs.known, scanned_ns=inputs.scanned_ns,
                              plan=site_plan.keys)
        cache.files = out
        return BuildResult(out, site_plan.diagnostics, site_plan.papers, len(made))
    finally:  # what runs on in the background (a cache being written) is waited for last
        background.finish()


def _warm_up(theme: Theme, compiled: Path | None, env: list[Any]) -> Callable[[], None]:
    """Work for this process while the workers parse (what the plan would do first, with
    one core idle): import the stages it runs and compile the theme's templates, into
    ``env``."""
    def warm_up() -> None:
        import generator.feeds  # noqa: F401
        from generator.render import make_environment

        made = make_environment(theme, compiled)
        for name in made.list_templates():
            try:
                made.get_template(name)
            except Exception:  # noqa: BLE001 - reported where the template is used
                continue
        env.append(made)

    return warm_up


def _read_and_parse(jobs: int, parsed: dict[tuple[str, str, str], Any],
                    idle: Callable[[], None]) -> Reader:
    """A reader of content files (see ``content.read_sources``) that parses each file as it
    reads it, on every core, into ``parsed`` (keyed as ``BuildCache.parsed``): for a build
    with nothing to reuse, which would otherwise read every file here, then parse them.
    ``idle``: work for this process meanwhile."""
    from generator.content import read_and_parse
    from generator.parallel import fork_map

    def read(files: list[tuple[str, str, str]]) -> list[Source]:
        sources = []
        for source, found in fork_map(read_and_parse, files, jobs=jobs, idle=idle):
            parsed[(source.shown, source.slug, source.digest)] = found
            sources.append(source)
        return sources

    return read


def _file_bytes(out: Path, path: str) -> bytes | None:
    try:
        return (out / path).read_bytes()
    except OSError:
        return None


@_rare_collections()
def build_to_disk(config: Config, out: Path | None = None, *,
                  progress: Progress | None = None, jobs: int | None = None) -> BuildResult:
    """build(), written into ``out`` (default: config.output_path), reusing what the last
    build of that folder left in ``<project>/.cache/``.

    A site the last build wrote (its manifest in .cache/) is updated in place: changed
    files only, each renamed in atomically, files no longer built deleted (files someone
    added by hand are left alone). Any other folder gets a whole new site written beside it
    and swapped in. Either way every file is made (in a staging folder) before the output
    is touched: a build that fails leaves it as it was."""
    from generator.make import Background, make_parts
    from generator.parallel import default_jobs
    from generator.theme import load_theme

    clock = Clock()
    out = (out if out is not None else config.output_path).absolute()
    theme, theme_problems = load_theme(config)
    store = CacheStore(config.root / CACHE_DIR, out)
    last = store.manifest()
    jobs = jobs or default_jobs()
    parsed: dict[tuple[str, str, str], Any] = {}
    env: list[Any] = []  # the theme's environment, its templates compiled while parsing
    fused = last is None and not store.has_parsed()  # nothing to reuse: read and parse
    inputs = scan_inputs(config, theme.folders, last, _read_and_parse(
        jobs, parsed, _warm_up(theme, store.folder / "jinja", env)) if fused else None)
    clock("scan inputs")
    ours = last is not None and is_our_site(out)
    kept = intact(out, last.stats) if ours and last is not None else set()
    clock("manifest, output intact")
    if ours and last is not None and last.fingerprint == inputs.fingerprint and \
            len(kept) == len(last.stats):
        return BuildResult(SiteFiles(out, last.stats), list(last.diagnostics), last.papers)
    cache = store.load(last)
    if fused:
        cache.parsed = parsed
    clock("load cache")
    previous = last if ours else None

    def reuse(part: Part) -> bool:
        old = previous.parts.get(part.name) if previous is not None else None
        if old is None or old[0] != part.key or not all(f in kept for f in old[1]):
            return False
        return part.files is None or old[1] == tuple(sorted(part.files))

    background = Background(jobs)
    try:
        with background:
            site_plan = plan(config, inputs, theme, theme_problems, cache, store.folder / "jinja",
                             jobs, lambda part: part if reuse(part) else _started(background, part),
                             lambda path: _file_bytes(out, path) if path in kept else None,
                             background.cancel, env[0] if env else None)
            clock("plan")
            todo = [part for part in site_plan.parts if not reuse(part)]
            staging = staging_folder(out)
            _before_fork()
            try:  # files the site has as the last build left them: compared, not rewritten
                made, written = make_parts(todo, site_plan.renderer, staging=staging, site=out,
                                           same=kept if previous is not None else frozenset(),
                                           jobs=jobs, progress=progress,
                                           idle=lambda: store.save_ahead(
                                               cache, site_plan.shape, site_plan.memo))
                record = _outputs(site_plan.parts, made, previous)
            except BaseException:
                shutil.rmtree(staging, ignore_errors=True)
                raise
        clock(f"make {len(todo)} parts")
        paths = [path for _, files in record.values() for path in files]
        # a file keeps its stat when renamed into place (its folder, or itself)
        new = {path: stat for files in made.values() for path, stat in files.items() if stat}
        store.forget_manifest()
        if previous is not None and last is not None:
            update_site(out, staging, written, set(last.stats) - set(paths))
            stats = {path: new.get(path) or last.stats[path] for path in paths}
        else:
            swap_in(staging, out)
            stats = {path: new[path] for path in paths}
        clock(f"write {len(written)} files")
        cache.memo = site_plan.memo
        cache.shape = site_plan.shape
        cache.last = Manifest(inputs.fingerprint, site_plan.papers, site_plan.diagnostics,
                              record, stats, inputs.known, inputs.scanned_ns, site_plan.keys)
        store.save(cache)
        clock("save cache")
        return BuildResult(SiteFiles(out, paths), site_plan.diagnostics, site_plan.papers,
                           len(made))
    finally:  # what runs on in the background (a cache being written) is waited for last
        background.finish()
