"""Work on every core: ``fork_map``, a map over forked worker processes.

Workers are forked, so they share what this process holds (the site model, keys, compiled
templates): nothing is pickled to them but an index, only their results come back. The
work being mapped sits in the one module-level slot a fork needs (``_WORK``), set for the
duration of the call. Without fork, with one job, or with other threads running (where
forking is unsafe) the map runs here.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

PARALLEL_MIN = 300  # items below which forking costs more than it saves
TASKS_PER_JOB = 8  # chunks per worker: small enough to balance the load
STOPS = frozenset({signal.SIGINT, signal.SIGTERM})  # the signals that stop a command


def default_jobs() -> int:
    """How many processes to work in: the cores this process may run on."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def can_fork() -> bool:
    """Forking is available and safe: no other thread holds a lock the child could need."""
    return "fork" in multiprocessing.get_all_start_methods() and \
        threading.active_count() == 1


def ignore_interrupt() -> None:
    """In a forked child: Ctrl+C is the parent's to handle (it ends the children), and the
    SIGTERM that ends a child must end it quietly, not run a handler it inherited (the dev
    server's raises KeyboardInterrupt): either would print a traceback of the child's."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, STOPS)  # (held if forked in stops_held)


@contextmanager
def stops_held() -> Iterator[None]:
    """Ctrl+C and SIGTERM wait until this process has forked: arriving during the fork,
    Python runs their handler in fork's own hooks, which print and drop the
    KeyboardInterrupt it raises (``readinglist serve`` then went on running)."""
    held = signal.pthread_sigmask(signal.SIG_BLOCK, STOPS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, held)


_WORK: tuple[Callable[[Any], Any], list[Any]] | None = None  # what forked workers map


def _map_chunk(bounds: tuple[int, int]) -> list[Any]:
    assert _WORK is not None
    function, items = _WORK
    return [function(item) for item in items[bounds[0]:bounds[1]]]


def fork_map(function: Callable[[Any], Any], items: list[Any], *, jobs: int,
             minimum: int | None = None, idle: Callable[[], None] | None = None
             ) -> list[Any]:
    """[function(item) for item in items], on ``jobs`` forked processes when there are at
    least ``minimum`` items (default: PARALLEL_MIN) and forking is safe; the results come
    back in order. ``idle``: work for this process while the workers work (or after)."""
    global _WORK
    if jobs < 2 or len(items) < (PARALLEL_MIN if minimum is None else minimum) or \
            not can_fork():
        results = [function(item) for item in items]
        if idle is not None:
            idle()
        return results
    size = max(1, -(-len(items) // (jobs * TASKS_PER_JOB)))
    bounds = [(start, start + size) for start in range(0, len(items), size)]
    _WORK = (function, items)
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(bounds)),
                                                  ignore_interrupt) as pool:
            chunks = pool.imap(_map_chunk, bounds)
            if idle is not None:  # (results queue up meanwhile)
                idle()
            return [result for chunk in chunks for result in chunk]
    finally:
        _WORK = None
