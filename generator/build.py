"""The whole pipeline, one paper's way from its file to its page (``_build``):

    content/ ─scan→ inputs (cache.scan_inputs; all as before and site/ intact: done)
             ─changes→ the files changed since the last build (plan.changes)
             ─load→ papers and their shapes: the last site model kept, or every file
                    parsed (plan.load)
             ─search_part→ the search index, in a process of its own (search.py)
             ─plan→ the site model, every part keyed (plan.plan: site, render, feeds)
             ─make→ the parts whose key changed, on every core (make.make_parts)
             ─finish→ site/ (writer) and .cache/ (cache), or memory

``build_to_disk`` writes ``site/`` and keeps what the next build may reuse in
``<project>/.cache/`` (``Disk``); ``build`` keeps it all in memory, for the dev server
(``Memory``). Both run the one pipeline: only where the last build's files are and where
the new ones go differ. A part whose key is the one the last build recorded, and whose
files are as that build left them, is reused. Any error diagnostic stops the build before
anything is written.
"""

from __future__ import annotations

import gc
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.cache import CACHE_DIR, BuildCache, CacheStore, Manifest, intact, scan_inputs
from generator.config import Config, output_problem
from generator.content import Source
from generator.diagnostics import BuildError, Diagnostic, error, has_errors
from generator.plan import (
    Clock,
    Part,
    Plan,
    changes,
    early_search,
    load,
    plan,
    search_part,
)
from generator.writer import (
    SiteFiles,
    check_paths,
    clear_leftovers,
    is_our_site,
    merge_paths,
    staging_path,
    swap_in,
    update_site,
)

if TYPE_CHECKING:
    import jinja2

    from generator.cache import Inputs
    from generator.make import Made
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
    often while building. What exists once the papers are loaded (the caches read, the
    papers, the site model) and before each fork is frozen (``_long_lived``): no
    collection walks it again, and a worker's never touches (and copies) the memory
    pages it shares with this process. Measured on a one-edit rebuild at 10,000 papers:
    without the freeze after loading, keying the pages took 0.04-0.10 s instead of
    0.02-0.04 s (a full collection over the site model just read). While the caches are
    read and the papers loaded there is no collection at all (``_no_collections``), and
    ``before_exit`` is the last of it."""
    old = gc.get_threshold()
    gc.set_threshold(70_000, 20, 20)
    try:
        yield
    finally:
        gc.unfreeze()
        gc.set_threshold(*old)


def _long_lived() -> None:
    gc.freeze()


@contextmanager
def _no_collections() -> Iterator[None]:
    """Reading the caches and loading the papers makes many objects and no garbage: no
    collection meanwhile (the manifest of 10,000 papers reads in 18 ms instead of 22-29)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def before_exit() -> None:
    """The process ends now: freeze what is left for the collector (a build's cyclic
    garbage), so that the interpreter's exit does not walk and free it one object at a
    time. Measured at 10,000 papers: exiting took 0.12 s after a one-edit rebuild (of
    0.95 s in all), 0.02-0.04 s with this."""
    gc.freeze()


def build(config: Config, *, progress: Progress | None = None,
          cache: BuildCache | None = None, jobs: int | None = None) -> BuildResult:
    """Config -> every output file in memory; raises BuildError with all diagnostics.

    With a ``cache`` (the dev server keeps one between rebuilds) the parts whose inputs did
    not change are taken from the last build instead of being made again. ``jobs``:
    processes to make parts in (default: one per core)."""
    return _build(config, Memory(cache if cache is not None else BuildCache()), progress, jobs)


def build_to_disk(config: Config, out: Path | None = None, *,
                  progress: Progress | None = None, jobs: int | None = None) -> BuildResult:
    """build(), written into ``out`` (default: config.output_path), reusing what the last
    build of that folder left in ``<project>/.cache/``.

    A site the last build wrote (its manifest in .cache/) is updated in place: changed
    files only, each renamed in atomically, files no longer built deleted (files someone
    added by hand are left alone). Any other folder gets a whole new site written beside it
    and swapped in. Either way every file is made (in a staging folder) before the output
    is touched: a build that fails leaves it as it was."""
    out = (out if out is not None else config.output_path).absolute()
    if out.is_symlink():  # (site/ -> a web server's folder: the site goes there, link stays)
        out = Path(os.path.realpath(out))
    unsafe = output_problem(config, out)
    if unsafe is not None:
        raise BuildError([error(str(out), None, f"the output folder {unsafe}")])
    return _build(config, Disk(config, out), progress, jobs)


@_rare_collections()
def _build(config: Config, output: Memory | Disk, progress: Progress | None,
           jobs: int | None) -> BuildResult:
    """The pipeline, for either output."""
    from generator import parallel
    from generator.make import Background
    from generator.parallel import default_jobs
    from generator.theme import load_theme

    clock = Clock()
    theme, theme_problems = load_theme(config)
    jobs = jobs or default_jobs()
    # nothing to reuse: every file is read and parsed at once, on every core
    fused = _ReadAndParse(jobs, theme, output.compiled) if output.fresh() else None
    inputs = scan_inputs(config, theme.folders, output.last, fused)
    clock("scan inputs")
    if has_errors(inputs.problems):  # (a link out of the project, say: before all else)
        raise BuildError(list(inputs.problems))
    done = output.unchanged(inputs)
    if done is not None:
        return done
    cache = output.open(fused.parsed if fused is not None else None)
    clock("load cache")
    background = Background(jobs)
    big = len(inputs.sources) >= parallel.PARALLEL_MIN  # (small sites: no process of its own)

    def start(part: Part) -> Part:
        if output.reuses(part) or not big:
            return part
        _long_lived()
        return background.start(part)

    try:
        with background:
            with _no_collections():
                change = changes(config, inputs, theme, cache)
            # an edit's search index needs no site model: it starts before that is read
            early = start(early_search(config, inputs, cache, change)) \
                if change is not None and big else None
            with _no_collections():
                loaded = load(inputs, theme_problems, cache, jobs, change)
            _long_lived()
            search = search_part(config, inputs, loaded, cache)
            if early is not None and loaded.edit is not None and early.key == search.key:
                search = early
            else:  # (not an edit after all: a paper's shape changed)
                if early is not None:
                    background.cancel(early)
                search = start(search)
            site_plan = plan(config, inputs, theme, loaded, cache, search, output.compiled,
                             output.read, fused.env if fused is not None else None)
            clock("plan")
            todo = [part for part in site_plan.parts if not output.reuses(part)]
            _long_lived()
            made, written, record = output.make(todo, site_plan, cache, jobs, progress)
            clock(f"make {len(todo)} parts")
        result = output.finish(site_plan, inputs, cache, made, written, record)
        clock(f"write {len(written)} files, save cache")
        return result
    finally:  # what runs on in the background (a cache being written) is waited for last
        output.discard()
        background.finish()


class Memory:
    """The dev server's output: the files in memory, and the cache kept between builds."""

    compiled = None  # (templates are compiled in memory)

    def __init__(self, cache: BuildCache):
        self.cache = cache
        self.last = cache.last
        self.files = cache.files or {}

    def fresh(self) -> bool:
        return self.last is None and not self.cache.parsed

    def unchanged(self, inputs: Inputs) -> BuildResult | None:
        last = self.last
        if last is None or last.fingerprint != inputs.fingerprint or self.cache.files is None:
            return None
        return BuildResult(dict(self.files), list(last.diagnostics), last.papers)

    def open(self, parsed: dict[tuple[str, str, str], Any] | None) -> BuildCache:
        if parsed:
            self.cache.parsed.update(parsed)
        return self.cache

    def reuses(self, part: Part) -> bool:
        return _reusable(part, self.last, self.files)

    def read(self, path: str) -> bytes | None:
        return self.files.get(path)

    def discard(self) -> None:
        """(Nothing is made outside memory.)"""

    def make(self, todo: list[Part], site_plan: Plan, cache: BuildCache, jobs: int,
             progress: Progress | None) -> tuple[Made, list[str], _Record]:
        from generator.make import make_parts

        made, _ = make_parts(todo, site_plan.renderer, jobs=jobs, progress=progress)
        return made, [], _outputs(site_plan.parts, made, self.last)

    def finish(self, site_plan: Plan, inputs: Inputs, cache: BuildCache, made: Made,
               written: list[str], record: _Record) -> BuildResult:
        out: dict[str, bytes] = {}
        for name, (_, paths) in record.items():
            source = made.get(name, self.files)
            for path in paths:
                out[path] = source[path]
        out = dict(sorted(out.items()))
        cache.memo = site_plan.memo
        cache.shape = site_plan.shape
        cache.last = Manifest(inputs.fingerprint, site_plan.papers, site_plan.diagnostics,
                              record, sources=inputs.known, scanned_ns=inputs.scanned_ns,
                              plan=site_plan.keys)
        cache.files = out
        return BuildResult(out, site_plan.diagnostics, site_plan.papers, len(made))


class Disk:
    """An output folder (site/): the last build's files are those still there as it left
    them; the caches and the manifest live in ``<project>/.cache/``."""

    def __init__(self, config: Config, out: Path):
        self.out = out
        clear_leftovers(out.absolute().parent, out.absolute())  # (a killed build's, first)
        self.store = CacheStore(config.root / CACHE_DIR, out)
        clear_leftovers(self.store.folder)  # (a cache file a killed build was writing)
        with _no_collections():
            self.last = self.store.manifest()
        self.compiled: Path | None = self.store.folder / "jinja"
        self.previous: Manifest | None = None  # the last build, when the folder is its
        self.kept: set[str] = set()  # its files still as it left them
        self.staging: Path | None = None  # the next site, made beside it

    def fresh(self) -> bool:
        return self.last is None and not self.store.has_parsed()

    def unchanged(self, inputs: Inputs) -> BuildResult | None:
        last = self.last
        if last is None or not is_our_site(self.out):
            return None
        self.previous, self.kept = last, intact(self.out, last.stats)
        if last.fingerprint != inputs.fingerprint or len(self.kept) != len(last.stats):
            return None
        return BuildResult(SiteFiles(self.out, last.stats), list(last.diagnostics),
                           last.papers)

    def open(self, parsed: dict[tuple[str, str, str], Any] | None) -> BuildCache:
        cache = self.store.load(self.last)
        if parsed:
            cache.parsed = parsed
        return cache

    def reuses(self, part: Part) -> bool:
        return _reusable(part, self.previous, self.kept)

    def read(self, path: str) -> bytes | None:
        if path not in self.kept:
            return None
        try:
            return (self.out / path).read_bytes()
        except OSError:
            return None

    def make(self, todo: list[Part], site_plan: Plan, cache: BuildCache, jobs: int,
             progress: Progress | None) -> tuple[Made, list[str], _Record]:
        """Make the parts into a staging folder beside the output (removed on failure);
        files the site has as the last build left them are compared, not rewritten. The
        caches that are final once planned are saved while the workers make the last
        round."""
        from generator.make import make_parts

        self.staging = staging_path(self.out)  # (named first: a stop from here removes it)
        self.staging.mkdir(0o755)
        made, written = make_parts(
            todo, site_plan.renderer, staging=self.staging, site=self.out,
            same=self.kept if self.previous is not None else frozenset(), jobs=jobs,
            progress=progress,
            idle=lambda: self.store.save_ahead(cache, site_plan.shape, site_plan.memo))
        return made, written, _outputs(site_plan.parts, made, self.previous)

    def discard(self) -> None:
        """What a build that failed or was stopped (Ctrl+C, SIGTERM) made goes; a build that
        finished has moved its staging folder into place already."""
        if self.staging is not None:
            shutil.rmtree(self.staging, ignore_errors=True)

    def finish(self, site_plan: Plan, inputs: Inputs, cache: BuildCache, made: Made,
               written: list[str], record: _Record) -> BuildResult:
        """Bring the output up to date (or swap the new site in), then save the caches
        and the manifest. A file keeps its stat when renamed into place."""
        paths = [path for _, files in record.values() for path in files]
        new = {path: stat for files in made.values() for path, stat in files.items() if stat}
        assert self.staging is not None  # (made by make)
        self.store.forget_manifest()
        last = self.previous
        if last is not None:
            update_site(self.out, self.staging, written, set(last.stats) - set(paths),
                        was=last.fingerprint, now=inputs.fingerprint)
            stats = {path: new.get(path) or last.stats[path] for path in paths}
        else:
            swap_in(self.staging, self.out)
            stats = {path: new[path] for path in paths}
        cache.memo = site_plan.memo
        cache.shape = site_plan.shape
        cache.last = Manifest(inputs.fingerprint, site_plan.papers, site_plan.diagnostics,
                              record, stats, inputs.known, inputs.scanned_ns, site_plan.keys)
        self.store.save(cache)
        return BuildResult(SiteFiles(self.out, paths), site_plan.diagnostics,
                           site_plan.papers, len(made))


_Record = dict[str, tuple[str, tuple[str, ...]]]  # part -> (key, its files): Manifest.parts


def _reusable(part: Part, last: Manifest | None, files: Any) -> bool:
    """The part as the last build made it: same key, its files all still there (in
    ``files``), and (for a part made up front) the same paths."""
    old = last.parts.get(part.name) if last is not None else None
    if old is None or old[0] != part.key or not all(f in files for f in old[1]):
        return False
    return part.files is None or old[1] == tuple(sorted(part.files))


def _outputs(parts: list[Part], made: Made, last: Manifest | None) -> _Record:
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


class _ReadAndParse:
    """A reader of content files (see ``content.read_sources``) for a build with nothing
    to reuse, which would otherwise read every file here, then parse them: the workers
    read, hash and parse each file at once (``parsed``, keyed as ``BuildCache.parsed``),
    while this process imports the later stages and compiles the theme's templates
    (``env``), what the plan would do first with one core idle."""

    def __init__(self, jobs: int, theme: Theme, compiled: Path | None):
        self.jobs = jobs
        self.theme = theme
        self.compiled = compiled
        self.parsed: dict[tuple[str, str, str], Any] = {}
        self.env: jinja2.Environment | None = None

    def __call__(self, files: list[tuple[str, str, str]]) -> list[Source]:
        from generator.content import read_and_parse
        from generator.parallel import fork_map

        sources = []
        for source, found in fork_map(read_and_parse, files, jobs=self.jobs,
                                      idle=self.warm_up):
            self.parsed[(source.shown, source.slug, source.digest)] = found
            sources.append(source)
        return sources

    def warm_up(self) -> None:
        import generator.feeds  # noqa: F401
        from generator.render import make_environment

        env = make_environment(self.theme, self.compiled)
        for name in env.list_templates():
            try:
                env.get_template(name)
            except Exception:  # noqa: BLE001 - reported where the template is used
                continue
        self.env = env
