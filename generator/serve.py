"""`readinglist serve`: build in memory, serve over http, watch, rebuild, reload the browser.

    watch (content/, theme, overrides, config.yaml) ─change→ build() in memory
        ├─ ok     → swap in the new files, bump the version → open tabs reload
        └─ errors → keep the last good files, publish the problems → tabs show an overlay

Only files of the last good build are served (looked up in a dict: no path reaches the file
system, so there is nothing to traverse). The live-reload script is added to HTML responses
here, on the way out; a normal build never contains it. Everything is served under the path
of ``base_url`` (e.g. ``/readinglist/``), like GitHub Pages does, and ``/`` redirects there.
"""

from __future__ import annotations

import atexit
import html
import json
import logging
import mimetypes
import multiprocessing
import os
import re
import socket
import sys
import threading
import time
import traceback
import weakref
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit

from generator.config import Config, load_config
from generator.diagnostics import BuildError, Diagnostic, error

log = logging.getLogger(__name__)

RELOAD_PATH = "__livereload"  # under the site prefix: /readinglist/__livereload
KEEPALIVE_SECONDS = 15.0
SETTLE_SECONDS = 0.05  # a save is several file operations: wait for them all

# Types that mimetypes gets wrong or lacks on some Python versions or systems (it reads the
# system's tables too, and a browser refuses a stylesheet or script of the wrong type).
_TYPES = {".css": "text/css", ".js": "text/javascript", ".mjs": "text/javascript",
          ".xml": "application/xml", ".woff2": "font/woff2",
          ".webmanifest": "application/manifest+json"}
_TEXT = ("text/", "application/json", "application/xml", "image/svg+xml",
         "application/manifest+json")


def site_prefix(config: Config) -> str:
    """The URL path the site lives under: the path of base_url, '/' when there is none;
    percent-encoded as a browser asks for it (``/my papers/``, ``/bücher/``, written as
    such in base_url, matched no request, and the redirect to it was not UTF-8)."""
    path = urlsplit(config.base_url).path if config.base_url else ""
    path = quote("/" + unquote(path).strip("/"), safe="/!$&'()*+,;=:@~")
    return path if path == "/" else path + "/"


def content_type(name: str) -> str:
    """Output path -> Content-Type header value (text types in UTF-8)."""
    ext = os.path.splitext(name)[1].lower()
    kind = _TYPES.get(ext) or mimetypes.guess_type(name)[0] or "application/octet-stream"
    return f"{kind}; charset=utf-8" if kind.startswith(_TEXT) else kind


# --- the live-reload script ------------------------------------------------------------

# The page's side of live reload: shows the build problems over the page (as text, never
# markup) and reloads it when the served files change.
LIVE_RELOAD_JS = (Path(__file__).parent / "livereload.js").read_text(encoding="utf-8")


def live_reload_script(prefix: str, version: int) -> str:
    """The <script> tag added to served HTML. The code is a separate file (a page's
    Content-Security-Policy may forbid inline scripts); it listens for reload and problem
    events at the stream URL and knows which version of the site the page shows."""
    url = html.escape(prefix + RELOAD_PATH, quote=True)
    return (f'<script src="{url}.js" data-url="{url}" data-version="{int(version)}" '
            f"data-readinglist-live-reload></script>")


_BODY_END = re.compile(rb"</body\s*>", re.IGNORECASE)
_HEAD = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)


def inject(page: bytes, script: str) -> bytes:
    """Put ``script`` before the last </body> of an HTML page (at the end if it has none)."""
    data = script.encode("utf-8")
    ends = list(_BODY_END.finditer(page))
    if not ends:
        return page + data
    at = ends[-1].start()
    return page[:at] + data + page[at:]


def base_at(page: bytes, href: str) -> bytes:
    """Give an HTML page a ``<base href>`` (after its <head> tag; first if it has none)."""
    tag = f'<base href="{html.escape(href, quote=True)}">'.encode()
    head = _HEAD.search(page)
    return page[:head.end()] + tag + page[head.end():] if head else tag + page


def problem_payload(diagnostics: Iterable[Diagnostic]) -> list[dict[str, Any]]:
    """Diagnostics -> the JSON the overlay shows (errors only; warnings stay in the
    terminal), each path as the terminal shows it (config and template errors name their
    file by its absolute path)."""
    shown = [d.shown() for d in diagnostics if d.severity == "error"]
    return [{**d.as_dict(), "text": str(d)} for d in shown]


def error_page(problems: Sequence[Mapping[str, Any]]) -> bytes:
    """The page served while no build has ever succeeded: the problems, escaped."""
    items = "\n".join(f"<li>{html.escape(str(p['text']))}</li>" for p in problems)
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>Build failed</title></head><body>\n<h1>The site could not be built</h1>"
            f"\n<p>Fix the problems below; this page reloads by itself.</p>\n<ul>\n{items}\n"
            f"</ul>\n</body></html>\n").encode()


# --- state shared by the builder and the request handlers ------------------------------

@dataclass
class SiteState:
    """The last good site and the current problems; handlers wait on ``changed``."""

    prefix: str = "/"
    relative_404: bool = False  # 404.html's links are relative (the site has no URL)
    files: dict[str, bytes] = field(default_factory=dict)
    built: bool = False  # has any build succeeded?
    version: int = 0  # bumps whenever the served files change
    problems: list[dict[str, Any]] = field(default_factory=list)
    serial: int = 0  # bumps on every change of the above
    closed: bool = False
    changed: threading.Condition = field(default_factory=threading.Condition)

    def publish(self, *, files: dict[str, bytes] | None = None,
                problems: list[dict[str, Any]], prefix: str | None = None,
                relative_404: bool | None = None) -> bool:
        """Swap in a new build (or just new problems); True when the files changed (or
        moved: a new prefix is a new version too, so open pages go to the new place)."""
        with self.changed:
            new_files = files is not None and (not self.built or files != self.files or
                                               prefix not in (None, self.prefix))
            if files is not None:
                self.files = files
                self.built = True
            if new_files:
                self.version += 1
            if prefix is not None:
                self.prefix = prefix
            if relative_404 is not None:
                self.relative_404 = relative_404
            self.problems = problems
            self.serial += 1
            self.changed.notify_all()
            return new_files

    def close(self) -> None:
        with self.changed:
            self.closed = True
            self.changed.notify_all()


# --- watching --------------------------------------------------------------------------

def _shown(path: str, roots: Sequence[Path]) -> bool:
    """A change worth a rebuild: not in a dot file or folder below a watched folder, not an
    editor's backup (``name~``)."""
    if path.endswith("~"):
        return False
    for root in roots:
        try:
            rel = Path(path).relative_to(root)
        except ValueError:
            continue
        return not any(part.startswith(".") for part in rel.parts)
    return True


class Watcher(threading.Thread):
    """Watches the paths (``watchfiles``: the system's file events, no polling); calls
    ``on_change(paths)`` once a change has settled (no event for ``settle`` seconds).

    A watch follows what it was set up on, so when a watched path appears, goes or is
    replaced (an editor saving config.yaml by a rename, content/ moved away and another
    put in its place) or the config names other paths, watching starts afresh. The new
    watch is set up before the old one ends, so no change in between is lost; a watched
    path replaced or made while no watch was on it (between a rebuild and the new watch,
    or while it was missing) is a change too. A folder's identity does not change with
    what is in it, so a folder the old watch was not on is a change once the new one is:
    a save in it before that (after the rebuild read it) was seen by neither watch."""

    def __init__(self, paths: Callable[[], list[Path]], on_change: Callable[[list[str]], Any],
                 stop: threading.Event, settle: float = SETTLE_SECONDS):
        super().__init__(name="readinglist-watcher", daemon=True)
        self.paths = paths
        self.on_change = on_change
        self.stop = stop
        self.settle = settle
        self.ready = threading.Event()  # set once the file system is watched

    def _roots(self) -> list[Path]:
        return [path.absolute() for path in self.paths() if path.exists()]

    def _watch(self, roots: list[Path]) -> Iterator[set[tuple[Any, str]]]:
        """The changes under ``roots``, a set at a time; an empty set when there was none
        for a while (the first answer: the watch is set up)."""
        import watchfiles

        return watchfiles.watch(*roots, stop_event=self.stop, yield_on_timeout=True,
                                step=max(1, int(self.settle * 1000)), rust_timeout=200,
                                watch_filter=None, raise_interrupt=False)

    def _identities(self) -> dict[str, tuple[int, ...] | None]:
        """Each watched path -> what tells a new file or folder there from the one seen
        (None: missing). A file's changes in place count too: a watch of a file is
        started afresh after each (the config may name other paths)."""
        found: dict[str, tuple[int, ...] | None] = {}
        for path in self.paths():
            try:
                st = path.stat()
            except OSError:
                found[str(path.absolute())] = None
                continue
            found[str(path.absolute())] = (st.st_ino,) if path.is_dir() else \
                (st.st_ino, st.st_size, st.st_mtime_ns)
        return found

    def run(self) -> None:
        try:
            self._run()
        finally:
            self.ready.set()  # (start() waits for it, also when no watch could be set up)

    def _run(self) -> None:
        # What is watched and what the last build may have read, taken before the watch is
        # set up: a path that changes meanwhile differs at the next look, and is watched then.
        watched = known = self._identities()
        roots = self._roots()
        watch = self._watch(roots)
        first = next(watch, None)  # (the watch is set up)
        pending: set[tuple[Any, str]] = first or set()
        while True:
            self.ready.set()
            changes: set[tuple[Any, str]] | None = pending if pending else next(watch, None)
            if changes is None:  # stopped
                return
            pending = set()
            changed = sorted({path for _, path in changes if _shown(path, roots)})
            if changed:
                known = self._identities()
                try:
                    self.on_change(changed)
                except Exception:  # a bug must not stop the watching
                    log.exception("rebuild failed")
            current = self._identities()
            if current == watched:
                continue
            before, watched = watched, current  # (before the new watch is set up, as above)
            now = self._roots()
            new = self._watch(now)
            first = next(new, None)  # (the new watch is set up...)
            rest = next(watch, None)  # (...and what the old one saw since is kept)
            close = getattr(watch, "close", None)
            if close is not None:
                close()
            if first is None:
                return
            missed = {("replaced", path) for path, now_is in watched.items()
                      if known.get(path) != now_is or  # (saved since the build read it)
                      (before.get(path) != now_is and os.path.isdir(path))}
            known = watched
            watch, roots, pending = new, now, first | (rest or set()) | missed


# --- building --------------------------------------------------------------------------

@dataclass(frozen=True)
class BuildReport:
    """One (re)build, for the terminal: what triggered it and how it went."""

    ok: bool
    diagnostics: tuple[Diagnostic, ...]
    seconds: float
    changed: tuple[str, ...] = ()  # files whose change triggered it; () for the first build
    files: int = 0
    papers: int = 0
    reloaded: bool = False  # the served files changed, open pages were told to reload
    crash: str | None = None  # traceback of an unexpected exception (a bug)


BuildFn = Callable[..., Any]


class IncrementalBuild:
    """The dev server's build: ``generator.build.build`` with one cache kept between
    rebuilds, so a rebuild parses the changed files only and renders only the pages whose
    inputs changed (the same keys as ``readinglist build``, kept in memory).

    It runs in a process of its own (``start``), forked before the server starts a thread:
    forking a process that runs threads is unsafe, and this one forks workers as
    ``readinglist build`` does. Each build sends back the files that changed since the
    last; the files as a whole are kept on both sides."""

    def __init__(self) -> None:
        self.conn: Any = None
        self.files: dict[str, bytes] = {}
        self.stop: Callable[[], Any] = lambda: None
        self.cache: Any = None  # (when no process could be forked: the build runs here)

    def start(self) -> None:
        """Fork the building process, once, if forking is safe now."""
        from generator.parallel import can_fork, stops_held

        if self.conn is not None or not can_fork():
            return
        context = multiprocessing.get_context("fork")
        self.conn, child = context.Pipe()
        process = context.Process(target=_builder, args=(child, self.conn),
                                  name="readinglist-builder")
        with stops_held():  # (a Ctrl+C meanwhile waits until the process can be stopped)
            process.start()  # (not a daemon: it forks workers; stopped at exit, see _stop)
            self.stop = weakref.finalize(self, _stop, self.conn, process)
            atexit.register(self.stop)  # (before multiprocessing's own exit waits for it)
        child.close()

    def __call__(self, config: Config, *, progress: Any = None) -> Any:
        from generator.build import BuildResult, build
        from generator.cache import BuildCache

        self.start()
        if self.conn is None:
            self.cache = self.cache or BuildCache()
            return build(config, progress=progress, cache=self.cache)
        try:
            self.conn.send(config)
            while True:
                kind, *value = self.conn.recv()
                if kind == "progress":
                    if progress is not None:
                        progress(*value)
                    continue
                break
        except (EOFError, OSError):  # it was killed (the system short of memory, say):
            self.close()  # builds go on in this process (a thread runs: no fork again)
            self.conn = None
            log.warning("the building process stopped; building in the server's own")
            return self(config, progress=progress)
        if kind == "error":
            raise BuildError(value[0])
        if kind == "crash":
            raise value[0] from _Crash(value[1])
        changed, removed, diagnostics, papers, made = value
        self.files.update(changed)
        for path in removed:
            del self.files[path]
        return BuildResult(dict(self.files), diagnostics, papers, made)

    def close(self) -> None:
        self.stop()


class _Crash(Exception):
    """The building process's traceback, as text."""


def _builder(conn: Any, servers: Any) -> None:
    """The building process: a build for each config received, its result sent back (the
    files that changed since the last one sent); ends when the server closes the pipe
    (``servers``: the server's end, inherited, closed here so that it can)."""
    from generator.build import build
    from generator.cache import BuildCache
    from generator.parallel import ignore_interrupt

    ignore_interrupt()
    servers.close()
    cache = BuildCache()
    sent: dict[str, bytes] = {}
    try:
        while True:
            config = conn.recv()
            try:
                result = build(config, cache=cache, progress=lambda done, total: conn.send(
                    ("progress", done, total)))
            except BuildError as exc:
                conn.send(("error", exc.diagnostics))
                continue
            except Exception as exc:  # a bug: the server reports it and goes on
                text = traceback.format_exc()
                try:
                    conn.send(("crash", exc, text))
                except Exception:  # noqa: BLE001 - an exception that does not pickle
                    conn.send(("crash", RuntimeError(f"{type(exc).__name__}: {exc}"), text))
                continue
            files = result.files
            changed = {path: data for path, data in files.items() if sent.get(path) is not data}
            removed = [path for path in sent if path not in files]
            sent = dict(files)
            conn.send(("ok", changed, removed, result.diagnostics, result.papers, result.made))
    except (EOFError, OSError):  # the server is gone
        return


def _stop(conn: Any, process: Any) -> None:
    """End the building process: it ends when its pipe closes (at the latest, at exit,
    before multiprocessing waits for it)."""
    conn.close()
    process.join(5)
    if process.is_alive():
        process.terminate()
        process.join()


class DevServer:
    """Builds a project, serves the result, and rebuilds when a watched file changes."""

    def __init__(self, config_path: Path, config: Config, *, host: str = "127.0.0.1",
                 port: int = 8000, report: Callable[[BuildReport], None] = lambda r: None,
                 build: BuildFn | None = None, interval: float = SETTLE_SECONDS):
        self.config_path = config_path
        self.config = config
        self.host = host
        self.port = port
        self.report = report
        self.build = build if build is not None else IncrementalBuild()
        self.interval = interval
        # Versions count on from the time this server started, not from 0: a page still
        # open from an earlier run reconnects to this one and must not pass for current.
        self.state = SiteState(prefix=site_prefix(config), version=time.time_ns() // 1_000_000)
        self.config_errors: list[Diagnostic] = []  # of config.yaml as saved, until fixed
        self.stop = threading.Event()
        self.lock = threading.Lock()  # one build at a time
        self.httpd: _Server | None = None
        self.watcher: Watcher | None = None
        self.links_out: list[Path] = []  # see _find_links_out

    # paths

    def watched(self) -> list[Path]:
        """What a change in triggers a rebuild: config file, content, theme, overrides, and
        the files that content files linked from elsewhere in the project lead to (a save
        there is no event in content/; a linked folder is watched through its link)."""
        config = self.config
        from generator.theme import theme_folder

        paths = [self.config_path, config.content_path, theme_folder(config) or
                 config.theme_path]
        if config.overrides_path is not None:
            paths.append(config.overrides_path)
        return paths + self.links_out

    def _find_links_out(self) -> None:
        """Where the content files that are links to files outside content/ lead, found
        when a build may have changed them (at the start, after each rebuild: a link made
        or removed is a change in content/), not each time the watcher looks at the
        watched paths (five times a second: a walk of content/papers, 30 ms at 10,000
        papers)."""
        from generator.content import content_files

        config = self.config
        content = os.path.realpath(config.content_path) + os.sep
        self.links_out = [Path(target) for target in
                          content_files(config.papers_path, config.root).linked
                          if not target.startswith(content)]

    @property
    def url(self) -> str:
        address = self.httpd.server_address if self.httpd else (self.host, self.port)
        host, port = str(address[0]), int(address[1])
        shown = host if ":" not in host else f"[{host}]"
        if shown in ("0.0.0.0", "[::]"):
            shown = "localhost"
        return f"http://{shown}:{port}{self.state.prefix}"

    # building

    def rebuild(self, changed: Sequence[str] = (), *, progress: Any = None) -> BuildReport:
        """Build once and publish the result; never raises for bad content."""
        with self.lock:
            started = time.perf_counter()
            report = self._rebuild(tuple(changed), progress, started)
            self._find_links_out()  # (before the watcher compares what it watches)
        self.report(report)
        return report

    def _config_changed(self, changed: Sequence[str]) -> bool:
        target = os.path.abspath(self.config_path)
        return any(os.path.abspath(p) == target for p in changed)

    def _rebuild(self, changed: tuple[str, ...], progress: Any, started: float) -> BuildReport:
        def failed(diagnostics: Sequence[Diagnostic], crash: str | None = None) -> BuildReport:
            self.state.publish(problems=problem_payload(diagnostics))
            return BuildReport(False, tuple(diagnostics), time.perf_counter() - started,
                               changed, crash=crash)

        config = self.config
        if self._config_changed(changed):
            config, problems = load_config(self.config_path)
            self.config_errors = [d for d in problems if d.severity == "error"]
            if self.config_errors:
                return failed(problems)
            self.config = config
        elif self.config_errors:  # still broken: an edit elsewhere does not hide it
            return failed(self.config_errors)
        try:
            result = self.build(config, progress=progress)
        except BuildError as exc:
            return failed(exc.diagnostics)
        except Exception as exc:  # a bug in a template or the generator: say so, keep going
            crash = traceback.format_exc()
            where = str(self.config_path)
            return failed([error(where, None, f"build crashed: {type(exc).__name__}: {exc}")],
                          crash)
        files = {str(k).replace(os.sep, "/").lstrip("/"): bytes(v)
                 for k, v in result.files.items()}
        reloaded = self.state.publish(files=files, problems=[], prefix=site_prefix(config),
                                      relative_404=not config.site_url)
        diagnostics = list(result.diagnostics)
        if not config.papers_path.is_dir():  # (content_dir mistyped, the folder moved away)
            from generator.check import no_papers_folder

            diagnostics.append(no_papers_folder(config, "warning"))
        return BuildReport(True, tuple(diagnostics), time.perf_counter() - started,
                           changed, files=len(files), papers=result.papers,
                           reloaded=reloaded)

    # running

    def start(self, *, progress: Any = None) -> BuildReport:
        """Listen (raises OSError when the port is taken), start watching, build once.
        Watching starts first: a file saved while the first build runs (seconds, on a
        long list) is a change like any other, not lost."""
        server = _Server6 if ":" in self.host else _Server  # (--host ::1, --host ::)
        self.httpd = server((self.host, self.port), _Handler)
        self.httpd.state = self.state
        self.port = self.httpd.server_address[1]
        if isinstance(self.build, IncrementalBuild):
            self.build.start()  # (no other thread yet: it may fork)
        self._find_links_out()
        self.watcher = Watcher(self.watched, self.rebuild, self.stop, self.interval)
        self.watcher.start()
        self.watcher.ready.wait()  # (however long a busy machine takes: no save is lost)
        return self.rebuild(progress=progress)

    def serve_forever(self) -> None:
        """Answer requests until shutdown() from another thread or KeyboardInterrupt."""
        assert self.httpd is not None, "start() first"
        self.httpd.serve_forever(poll_interval=0.25)

    def close(self) -> None:
        """Stop watching, end the live-reload streams, release the port."""
        self.stop.set()
        self.state.close()
        if self.httpd is not None:
            self.httpd.server_close()
        if self.watcher is not None:
            self.watcher.join(timeout=2)
        if isinstance(self.build, IncrementalBuild):
            self.build.close()


# --- http ------------------------------------------------------------------------------

class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # a page load opens many connections at once; queue them
    state: SiteState

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A browser that hangs up mid-answer is routine, not an error to print; anything
        else goes to the log, never as a traceback on the user's terminal."""
        kind, exc = sys.exc_info()[:2]
        if kind is not None and issubclass(kind, (ConnectionError, TimeoutError)):
            return
        log.warning("answering %s failed: %s: %s", client_address[0],
                    kind.__name__ if kind else "error", exc)


class _Server6(_Server):
    """An IPv6 address to listen on (the standard server takes IPv4 ones only)."""

    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "readinglist-serve"

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s - %s", self.address_string(), format % args)

    def do_HEAD(self) -> None:
        self._get(head=True)

    def do_GET(self) -> None:
        self._get(head=False)

    def _send(self, status: int, body: bytes, kind: str, *, head: bool,
              headers: Mapping[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _redirect(self, location: str, *, head: bool) -> None:
        body = f"Moved to {location}\n".encode()
        self._send(302, body, "text/plain; charset=utf-8", head=head,
                   headers={"Location": location})

    def _get(self, *, head: bool) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        path, query = parts.path, parts.query
        with state.changed:
            prefix, files, version = state.prefix, state.files, state.version
            relative_404 = state.relative_404
            built, problems = state.built, list(state.problems)
        if path == prefix + RELOAD_PATH or (path.startswith("/") and path.endswith(
                "/" + RELOAD_PATH)):  # (a page an earlier run served under another base_url)
            self._events(query, head=head)
            return
        if path == prefix + RELOAD_PATH + ".js":
            self._send(200, LIVE_RELOAD_JS.encode(), "text/javascript; charset=utf-8",
                       head=head)
            return
        if not path.startswith(prefix):
            if path == "/" or path + "/" == prefix:
                self._redirect(prefix, head=head)
                return
            body = f"Not found. The site is served under {prefix}\n".encode()
            self._send(404, body, "text/plain; charset=utf-8", head=head)
            return
        rel = unquote(path[len(prefix):])
        segments = rel.split("/")
        if any(s in (".", "..") for s in segments) or "\\" in rel or "\0" in rel:
            self._send(404, b"Not found.\n", "text/plain; charset=utf-8", head=head)
            return
        key = rel + "index.html" if rel == "" or rel.endswith("/") else rel
        script = live_reload_script(prefix, version)
        if not built:
            page = inject(error_page(problems), script)
            self._send(503, page, "text/html; charset=utf-8", head=head)
            return
        if key not in files and f"{key}/index.html" in files:
            self._redirect(path + "/" + (f"?{query}" if query else ""), head=head)
            return
        if key not in files and f"{key}.html" in files:  # as GitHub Pages: /page-2
            key = f"{key}.html"
        status = 200
        if key not in files:
            status, key = 404, "404.html"
            if key not in files:
                self._send(404, b"Not found.\n", "text/plain; charset=utf-8", head=head)
                return
        body = files[key]
        kind = content_type(key)
        if status == 404 and relative_404 and "/" in rel:
            body = base_at(body, prefix)  # its links start at the site's root, not here
        if kind.startswith("text/html"):
            body = inject(body, script)
        self._send(status, body, kind, head=head)

    def _events(self, query: str, *, head: bool) -> None:
        """Server-Sent Events: 'reload' when the files changed since the page was served
        (with the prefix they are served under now: a page whose base_url changed moves
        there, as its old address no longer answers), 'problems' with the current build
        errors (an empty list clears the overlay)."""
        state = self.server.state
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        if head:
            return
        match = re.search(r"(?:^|&)version=(\d+)", query)
        seen_version = int(match.group(1)) if match else None
        seen_serial = -1
        sent_problems: list[dict[str, Any]] | None = None
        try:
            while True:
                with state.changed:
                    if state.serial == seen_serial and not state.closed:
                        state.changed.wait(KEEPALIVE_SECONDS)
                    if state.closed:
                        return
                    serial, version = state.serial, state.version
                    problems, built = list(state.problems), state.built
                    prefix = state.prefix
                if serial == seen_serial:
                    self.wfile.write(b": keepalive\n\n")
                    self.wfile.flush()
                    continue
                seen_serial = serial
                if built and seen_version is not None and version != seen_version:
                    self._event("reload", {"version": version, "prefix": prefix})
                    seen_version = version
                if problems != sent_problems:
                    self._event("problems", {"version": version, "problems": problems})
                    sent_problems = problems
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            return

    def _event(self, name: str, data: Any) -> None:
        payload = json.dumps(data, sort_keys=True, ensure_ascii=True)
        self.wfile.write(f"event: {name}\ndata: {payload}\n\n".encode())
        self.wfile.flush()
