"""Making a build's parts on every core: forked workers (``parallel.fork_map``), in two rounds.

    round 1: paper pages, and the cards of the list pages to make, by runs of papers
             (a paper's view, with its Markdown, is made once for its page and its cards)
             — the search index is made alongside, in a process of its own (``Background``)
    round 2: list pages (home, tags, authors, years, venues) from those cards, the feeds

Workers write their files into the staging folder (or send them back when the build is in
memory) with the cards they rendered. What a part contains does not depend on who made it.
"""

from __future__ import annotations

import dataclasses
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator import parallel
from generator.writer import FolderWriter

if TYPE_CHECKING:
    from generator.plan import Part
    from generator.render import Renderer

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


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


@dataclass
class _Done:
    """What one task made: parts' files, cards rendered (by card key), memo entries made
    (BibTeX entries... by (kind, key)), files written into staging."""

    made: Made
    cards: dict[str, str]
    memo: dict[tuple[str, str], Any]
    written: list[str]


def _files(part: Part, writer: FolderWriter | None) -> Any:
    files = part.files if part.files is not None else part.make()  # type: ignore[misc]
    if part.after is not None:
        part.after()
    if writer is None:
        return files
    return {path: writer.write(path, data) for path, data in files.items()}


def _work(job: _Job, index: int) -> _Done:
    """In a worker: make one task of the job."""
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
    return _Done(made, renderer.new_cards, dict(renderer.fresh),
                 writer.written if writer is not None else [])


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
    total = len(parts)
    report = _Progress(total, progress)
    made: Made = {}
    job = _Job(parts, renderer, staging, site, same)
    if jobs < 2 or total < parallel.PARALLEL_MIN or not parallel.can_fork():
        writer = FolderWriter(staging, site, same) if staging is not None else None
        for part in parts:
            began = time.perf_counter()
            made[part.name] = _files(part, writer)
            log.debug("made %s in %.3f s", part.name, time.perf_counter() - began)
            report.add(1)
        if idle is not None:
            idle()
        return made, writer.written if writer is not None else []
    # Parts that wait on a background process (the search index) are collected last.
    waiting = [i for i, p in enumerate(parts) if p.stage == "search"]
    papers = [i for i, p in enumerate(parts) if p.page is not None and "paper" in p.page.context
              and not p.page.cards]
    taken = set(waiting) | set(papers)
    lists = [i for i in range(total) if i not in taken]
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
    for chunk in _chunks(runs, jobs * parallel.TASKS_PER_JOB):
        job.tasks.append(_Task([i for t in chunk for i in t.parts],
                               [c for t in chunk for c in t.cards]))
    _run(jobs, range(len(job.tasks)), job, made, report)
    # round 2: forked again, so the workers have every card of round 1. The data files
    # (papers.json, papers.bib, the feeds: each about all papers) go first, a task each,
    # then the pages, each task a stripe of them by size: no task is left to run alone
    first = len(job.tasks)
    files = [i for i in lists if parts[i].stage == "feeds" and parts[i].make is not None]
    alone = set(files)
    pages = sorted((i for i in lists if i not in alone), key=lambda i: -_size(parts[i]))
    job.tasks += [_Task([i]) for i in files]
    for n in range(min(len(pages), jobs * parallel.TASKS_PER_JOB)):
        job.tasks.append(_Task(pages[n::jobs * parallel.TASKS_PER_JOB]))
    _run(jobs, range(first, len(job.tasks)), job, made, report, idle)
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


def _run(jobs: int, tasks: Iterable[int], job: _Job, made: Made,
         report: _Progress, idle: Callable[[], None] | None = None) -> None:
    for done in parallel.fork_map(lambda index: _work(job, index), list(tasks), jobs=jobs,
                                  minimum=1, idle=idle):
        made.update(done.made)
        job.renderer.cards.update(done.cards)
        job.renderer.memo.update(done.memo)
        job.written.extend(done.written)
        report.add(len(done.made))


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


def _background(make: Callable[[], Any], after: Callable[[], None] | None, conn: Any,
                parents: Any) -> None:
    """In a forked child: make, and send back ("ok", result) or ("error", exception); then
    do the part's ``after`` work (writing its cache), which the build need not wait for.
    ``parents``: the parent's end of the pipe, inherited, closed here: open, it made the
    child its own reader, so with the parent killed a result bigger than the pipe holds
    waited for ever to be read (a process left behind by each killed build)."""
    parents.close()
    parallel.ignore_interrupt()
    try:
        result: tuple[str, Any] = ("ok", make())
    except BaseException as exc:  # noqa: BLE001 - handed to the parent, raised there
        result = ("error", exc)
    try:
        conn.send(result)
    except OSError:  # the parent is gone (killed): no one to tell
        return
    except Exception as exc:  # an exception that does not pickle
        conn.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    conn.close()
    if result[0] == "ok" and after is not None:
        after()


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

    def finish(self) -> None:
        """Wait for the processes whose results came: they may still be doing what they
        given to do ``after`` (writing a cache); the build waits for them last."""
        for process in self.running:
            process.join()
        self.running.clear()
        self.received.clear()
        self.started.clear()

    def start(self, part: Part) -> Part:
        """``part``, its making started in a process of its own when forking is worth it."""
        make = part.make
        if make is None or self.jobs < 2 or not parallel.can_fork():
            return part
        context = multiprocessing.get_context("fork")
        receive, send = context.Pipe(duplex=False)
        process = context.Process(target=_background, args=(make, part.after, send, receive),
                                  daemon=True)
        with parallel.stops_held():  # (a Ctrl+C meanwhile stops the build after the fork)
            process.start()
            self.running.append(process)  # (so that leaving the ``with`` block ends it)
        send.close()

        def wait() -> dict[str, bytes]:
            try:
                status, value = receive.recv()
                self.received.append(process)
            except EOFError:
                raise RuntimeError(f"making {part.name} in a worker process failed "
                                   f"(exit code {process.exitcode})") from None
            finally:  # (the process may go on with its ``after``: joined at exit)
                receive.close()
            if status == "error":
                raise value
            return value

        started = dataclasses.replace(part, make=wait, after=None)
        self.started[id(started)] = (started, process)
        return started

    def cancel(self, part: Part) -> None:
        """Stop making ``part`` (as ``start`` gave it back): its result is of no use."""
        found = self.started.pop(id(part), None)
        if found is not None and found[0] is part and found[1] in self.running:
            found[1].terminate()
            found[1].join()
            self.running.remove(found[1])
