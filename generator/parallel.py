"""Making a build's parts on every core: forked workers, in two rounds.

    round 1: paper pages, and the cards of the list pages to make, by runs of papers
             (a paper's view, with its Markdown, is made once for its page and its cards)
             — the search index is made alongside, in a process of its own
    round 2: list pages (home, tags, authors, years, venues) from those cards, the feeds

Workers are forked: they share the parent's site model, keys and compiled templates, and
write their files into the staging folder (or send them back when the build is in memory)
with the cards they rendered. What a part contains does not depend on who made it.
Without fork (or with other threads running, where forking is unsafe) parts are made here.
"""

from __future__ import annotations

import dataclasses
import gc
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.writer import FolderWriter

if TYPE_CHECKING:
    from generator.plan import Part
    from generator.render import Renderer

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
PARALLEL_MIN = 300  # parts to make below which forking costs more than it saves
TASKS_PER_JOB = 8  # tasks per worker and round: small enough to balance the load


def default_jobs() -> int:
    """How many processes to make parts in: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Forking is available and safe: no other thread holds a lock the child could need."""
    return "fork" in multiprocessing.get_all_start_methods() and \
        threading.active_count() == 1


def _ignore_interrupt() -> None:
    """In a forked child: Ctrl+C is the parent's to handle (it ends the children), and the
    SIGTERM that ends a child must end it quietly, not run a handler it inherited (the dev
    server's raises KeyboardInterrupt): either would print a traceback of the child's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _before_fork() -> None:
    """Keep the garbage collectors off the objects a forked child shares with its parent:
    touching them would copy the memory pages the two share. (Undone when the build's
    ``Background`` block ends.)"""
    gc.freeze()


Made = dict[str, Any]  # part name -> its files: {path: bytes}, or {path: stat} when staged


@dataclass
class _Task:
    parts: list[int] = field(default_factory=list)  # indexes into the job's parts
    cards: list[tuple[str, str]] = field(default_factory=list)  # slug, page showing it


@dataclass
class _Job:
    parts: list[Part]
    renderer: Renderer
    staging: Path | None
    site: Path | None  # the live site: files of ``same`` there are compared, not rewritten
    same: Set[str]
    tasks: list[_Task] = field(default_factory=list)
    written: list[str] = field(default_factory=list)  # files written into staging


_JOB: _Job | None = None  # what forked workers work on (set in the parent before forking)


def _files(part: Part, writer: FolderWriter | None) -> Any:
    files = part.files if part.files is not None else part.make()  # type: ignore[misc]
    if writer is None:
        return files
    return {path: writer.write(path, data) for path, data in files.items()}


def _work(index: int) -> tuple[Made, dict[Any, Any], list[str]]:
    """In a worker: make one task -> (made parts, what it added to the memo: new cards by
    card key, BibTeX entries by (kind, key); files written)."""
    job = _JOB
    assert job is not None
    started = time.perf_counter()
    task = job.tasks[index]
    renderer = job.renderer
    renderer.forget()  # views of the last task's papers: not needed again, memory back
    renderer.new_cards = {}
    renderer.fresh.clear()
    for slug, page in task.cards:
        renderer.card_text(slug, page)
    carded = time.perf_counter()
    writer = FolderWriter(job.staging, job.site, job.same) if job.staging is not None else None
    made = {job.parts[i].name: _files(job.parts[i], writer) for i in task.parts}
    log.debug("task %d (pid %d): %d cards in %.2f s, %d parts in %.2f s", index, os.getpid(),
              len(task.cards), carded - started, len(task.parts),
              time.perf_counter() - carded)
    return made, renderer.new_cards | renderer.fresh, \
        writer.written if writer is not None else []


_MAP: tuple[Callable[[Any], Any], list[Any]] | None = None  # fork_map's work, for workers


def _map_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _MAP is not None
    function, items = _MAP
    return [function(item) for item in items[bounds[0]:bounds[1]]]


def fork_map(function: Callable[[Any], Any], items: list[Any], *, jobs: int,
             minimum: int | None = None, idle: Callable[[], None] | None = None
             ) -> list[Any]:
    """[function(item) for item in items], on ``jobs`` forked processes when there are at
    least ``minimum`` items (default: PARALLEL_MIN) and forking is safe; the results come
    back in order. ``idle``: work for this process while the workers work (or after)."""
    global _MAP
    if jobs < 2 or len(items) < (PARALLEL_MIN if minimum is None else minimum) or \
            not can_fork():
        results = [function(item) for item in items]
        if idle is not None:
            idle()
        return results
    size = max(1, -(-len(items) // (jobs * TASKS_PER_JOB)))
    bounds = [(start, start + size) for start in range(0, len(items), size)]
    _MAP = (function, items)
    _before_fork()
    try:
        with multiprocessing.get_context("fork").Pool(jobs, _ignore_interrupt) as pool:
            chunks = pool.imap(_map_chunk, bounds)
            if idle is not None:  # (results queue up meanwhile)
                idle()
            return [result for chunk in chunks for result in chunk]
    finally:
        _MAP = None


def _chunks(items: list[Any], count: int) -> Iterator[list[Any]]:
    size = max(1, -(-len(items) // max(1, count)))
    for start in range(0, len(items), size):
        yield items[start:start + size]


def make_parts(parts: list[Part], renderer: Renderer, *, staging: Path | None = None,
               site: Path | None = None, same: Set[str] = frozenset(), jobs: int = 1,
               progress: Progress | None = None,
               idle: Callable[[], None] | None = None) -> tuple[Made, list[str]]:
    """Make ``parts`` -> (part name -> files, files written into ``staging``).

    In memory the files are {path: bytes}; with a ``staging`` folder they are written there
    and given as {path: stat}, except that a file of ``same`` whose bytes are those the
    live ``site`` has is not written (its stat: None). Cards the renderer makes go into its
    card memo. ``idle``: work for this process while workers make the last round (or,
    without workers, once the parts are made)."""
    global _JOB
    total = len(parts)
    report = _Progress(total, progress)
    made: Made = {}
    job = _Job(parts, renderer, staging, site, same)
    if jobs < 2 or total < PARALLEL_MIN or not can_fork():
        writer = FolderWriter(staging, site, same) if staging is not None else None
        for part in parts:
            began = time.perf_counter()
            made[part.name] = _files(part, writer)
            log.debug("made %s in %.3f s", part.name, time.perf_counter() - began)
            report.add(1)
        if idle is not None:
            idle()
        return made, writer.written if writer is not None else []
    context = multiprocessing.get_context("fork")
    # Parts that wait on a background process (the search index) are collected last.
    waiting = [i for i, p in enumerate(parts) if p.stage == "search"]
    papers = [i for i, p in enumerate(parts) if p.page is not None and "paper" in p.page.context
              and not p.page.cards]
    taken = set(waiting) | set(papers)
    lists = [i for i in range(total) if i not in taken]
    _JOB = job
    try:
        # round 1: runs of papers, each with its pages and the cards list pages need
        order = {p.slug: n for n, p in enumerate(renderer.site.papers)}
        want: dict[str, str] = {}  # slug -> the first page listing its card
        for i in lists:
            page = parts[i].page
            if page is not None and page.cards:
                for slug in page.cards:
                    want.setdefault(slug, page.path)
        by_paper: dict[int, _Task] = {}
        for i in papers:
            slug = parts[i].page.context["paper"].slug  # type: ignore[union-attr]
            by_paper.setdefault(order[slug], _Task()).parts.append(i)
        for slug, page_path in want.items():
            by_paper.setdefault(order[slug], _Task()).cards.append((slug, page_path))
        runs = [by_paper[n] for n in sorted(by_paper)]
        for chunk in _chunks(runs, jobs * TASKS_PER_JOB):
            job.tasks.append(_Task([i for t in chunk for i in t.parts],
                                   [c for t in chunk for c in t.cards]))
        _run(context, jobs, range(len(job.tasks)), job, made, report)
        # round 2: forked again, so the workers have every card of round 1. The data files
        # (papers.json, papers.bib, the feeds: each about all papers) go first, a task each,
        # then the pages, each task a stripe of them by size: no task is left to run alone
        first = len(job.tasks)
        files = [i for i in lists if parts[i].stage == "feeds" and parts[i].make is not None]
        alone = set(files)
        pages = sorted((i for i in lists if i not in alone), key=lambda i: -_size(parts[i]))
        job.tasks += [_Task([i]) for i in files]
        for n in range(min(len(pages), jobs * TASKS_PER_JOB)):
            job.tasks.append(_Task(pages[n::jobs * TASKS_PER_JOB]))
        _run(context, jobs, range(first, len(job.tasks)), job, made, report, idle)
    finally:
        _JOB = None
    writer = FolderWriter(staging, site, same) if staging is not None else None
    for i in waiting:
        made[parts[i].name] = _files(parts[i], writer)
        report.add(1)
    return made, job.written + (writer.written if writer is not None else [])


def _size(part: Part) -> int:
    """How much a page shows, roughly: its cards, or the terms of an index page."""
    page = part.page
    if page is None:
        return 0
    index = page.context.get("index") if "groups" in page.context else None
    return len(page.cards) + (len(index.terms) if index is not None else 0)


def _run(context: Any, jobs: int, tasks: Iterable[int], job: _Job, made: Made,
         report: _Progress, idle: Callable[[], None] | None = None) -> None:
    tasks = list(tasks)
    if not tasks:
        if idle is not None:
            idle()
        return
    _before_fork()
    with context.Pool(min(jobs, len(tasks)), _ignore_interrupt) as pool:
        results = pool.imap_unordered(_work, tasks)
        if idle is not None:  # (results queue up meanwhile: the workers do not wait)
            idle()
        for found, new, written in results:
            made.update(found)
            for key, value in new.items():  # cards by card key, the rest by (kind, key)
                if type(key) is str:
                    job.renderer.cards[key] = value
                else:
                    job.renderer.memo[key] = value
            job.written.extend(written)
            report.add(sum(1 for _ in found))


class _Progress:
    def __init__(self, total: int, progress: Progress | None):
        self.total = total
        self.done = 0
        self.progress = progress
        self.step = max(1, total // 100)
        self.shown = 0

    def add(self, count: int) -> None:
        self.done += count
        if self.progress and (self.done - self.shown >= self.step or self.done == self.total):
            self.shown = self.done
            self.progress(self.done, self.total)


_LATER: list[Callable[[], None]] | None = None  # in a background process: work for after


def later(work: Callable[[], None]) -> None:
    """Do ``work`` (writing a cache, say) once the result it follows is handed back: in a
    background process after sending it, so the build need not wait; else now."""
    if _LATER is None:
        work()
    else:
        _LATER.append(work)


def _background(make: Callable[[], Any], conn: Any) -> None:
    """In a forked child: make, and send back ("ok", result) or ("error", exception); then
    do what ``later`` was given."""
    global _LATER
    _LATER = []
    _ignore_interrupt()
    try:
        result: tuple[str, Any] = ("ok", make())
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, raised there
        result = ("error", exc)
    try:
        conn.send(result)
    except Exception as exc:  # an exception that does not pickle
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()
    if result[0] == "ok":
        for work in _LATER:
            work()


class Background:
    """Starts long pieces of work (the search index) in forked processes right away, so
    they run while the rest of the build goes on; their parts then wait for the result.
    Leaving the ``with`` block ends the processes whose results did not come (a failed
    build); ``finish`` waits for the others, which may still be writing a cache. A plain
    process and a pipe: no helper thread in this process, so later forks stay safe."""

    def __init__(self, jobs: int):
        self.jobs = jobs
        self.running: list[Any] = []
        self.received: list[Any] = []
        self.started: dict[int, tuple[Part, Any]] = {}  # id(part given back) -> its process

    def __enter__(self) -> Background:
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        for process in list(self.running):
            if kind is not None or process not in self.received:  # of no use now
                process.terminate()
                process.join()
                self.running.remove(process)
        gc.unfreeze()  # every fork of this build is over

    def finish(self) -> None:
        """Wait for the processes whose results came: they may still be doing what they
        were given to do ``later`` (writing a cache); the build waits for them last."""
        for process in self.running:
            process.join()
        self.running.clear()
        self.received.clear()
        self.started.clear()

    def start(self, part: Part) -> Part:
        """``part``, its making started in a process of its own when forking is worth it."""
        make = part.make
        if make is None or self.jobs < 2 or not can_fork():
            return part
        context = multiprocessing.get_context("fork")
        _before_fork()
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_background, args=(make, send), daemon=True)
        process.start()
        send.close()
        self.running.append(process)

        def wait() -> dict[str, bytes]:
            try:
                status, value = receive.recv()
                self.received.append(process)
            except EOFError:
                raise RuntimeError(f"making {part.name} in a worker process failed "
                                   f"(exit code {process.exitcode})") from None
            finally:  # (the process may go on with what it does ``later``: joined at exit)
                receive.close()
            if status == "error":
                raise value
            return value

        started = dataclasses.replace(part, make=wait)
        self.started[id(started)] = (started, process)
        return started

    def cancel(self, part: Part) -> None:
        """Stop making ``part`` (as ``start`` gave it back): its result is of no use."""
        found = self.started.pop(id(part), None)
        if found is not None and found[0] is part and found[1] in self.running:
            found[1].terminate()
            found[1].join()
            self.running.remove(found[1])
