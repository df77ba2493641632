"""`readinglist serve`: the dev server in a subprocess on a tiny project (rebuild, reload
signal, error overlay, clean SIGINT), and its URL handling in-process with a stand-in build."""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

import pytest

from generator.config import load_config
from generator.content import load_papers, render_file
from generator.diagnostics import BuildError, has_errors
from generator.serve import (
    LIVE_RELOAD_JS,
    RELOAD_PATH,
    DevServer,
    IncrementalBuild,
    content_type,
    inject,
    live_reload_script,
    problem_payload,
    site_prefix,
)

ROOT = Path(__file__).resolve().parent.parent
THEMES = ROOT / "themes"
PREFIX = "/readinglist/"
SCRIPT_MARK = "data-readinglist-live-reload"
# How long a test waits for what it waits on (a deadline: it goes on as soon as that is
# seen). Generous: CI runs on a fresh 2-core machine, often busy with other work.
PATIENCE = 60.0
PATIENCE_MS = int(PATIENCE * 1000)  # (as Playwright counts)


def make_project(root: Path) -> Path:
    """A complete small project: config (theme from the repo) and three papers."""
    papers = root / "content" / "papers"
    papers.mkdir(parents=True)
    (root / "config.yaml").write_text(
        "title: Serve test\n"
        "base_url: https://example.github.io/readinglist/\n"
        f"themes_dir: {THEMES}\n", encoding="utf-8")
    entries = {
        "landmark-attention": ({"title": "Landmark Attention", "authors": ["A. Mohtashami"],
                                "date": "2023-05-25", "added": "2026-01-01",
                                "tags": ["long-context"], "status": "read", "rating": 4},
                               "Landmark tokens retrieve blocks."),
        "focusllm": ({"title": "FocusLLM", "date": "2024-08-21", "added": "2026-01-01",
                      "tags": ["llm"], "status": "unread"}, ""),
        "ring-attention": ({"title": "Ring Attention", "date": "2023-10-03",
                            "added": "2026-01-01", "tags": [], "status": "reading"}, ""),
    }
    for slug, (front, notes) in entries.items():
        (papers / f"{slug}.md").write_text(render_file(front, notes), encoding="utf-8")
    return root / "config.yaml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(port: int, path: str, method: str = "GET") -> tuple[int, dict[str, str], str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, \
            resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def page_version(page: str) -> int:
    match = re.search(r'data-version="(\d+)"', page)
    assert match, "no live-reload script in the page"
    return int(match.group(1))


class Events:
    """A Server-Sent Events client for the live-reload stream, read on a thread."""

    def __init__(self, port: int, version: int, prefix: str = PREFIX):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.conn.request("GET", f"{prefix}{RELOAD_PATH}?version={version}")
        self.resp = self.conn.getresponse()
        assert self.resp.status == 200
        assert self.resp.getheader("Content-Type", "").startswith("text/event-stream")
        self.queue: queue.Queue[tuple[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        name = None
        try:
            for raw in iter(self.resp.fp.readline, b""):
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: ") and name:
                    self.queue.put((name, json.loads(line[6:])))
                    name = None
        except (OSError, ValueError):
            pass
        self.queue.put(("closed", None))

    def wait_for(self, want: Callable[[str, Any], bool], timeout: float = PATIENCE) -> Any:
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            try:
                name, data = self.queue.get(timeout=max(0.01, deadline - time.monotonic()))
            except queue.Empty:
                break
            seen.append((name, data))
            if want(name, data):
                return data
        raise AssertionError(f"event not seen in {timeout} s; got {seen}")

    def close(self) -> None:
        self.conn.close()


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- end to end: `readinglist serve` in a subprocess -----------------------------------

@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[str], int, Path, queue.Queue]]:
    config = make_project(tmp_path / "project")
    port = free_port()
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--port", str(port),
         "--config", str(config)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.put(line.rstrip("\n"))
        lines.put("<EOF>")

    threading.Thread(target=pump, daemon=True).start()
    try:
        wait_line(lines, f"Serving http://127.0.0.1:{port}{PREFIX}")
        yield proc, port, config.parent, lines
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)


def wait_line(lines: queue.Queue, start: str, timeout: float = PATIENCE) -> str:
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        try:
            line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if line.startswith(start):
            return line
        if line == "<EOF>":
            break
    raise AssertionError(f"no line starting {start!r}; output was:\n" + "\n".join(seen))


@pytest.mark.slow
def test_serve_rebuilds_reloads_shows_errors_and_stops_cleanly(served):
    proc, port, project, lines = served
    paper = project / "content" / "papers" / "landmark-attention.md"

    # Redirect to the sub-path, then the home page with the live-reload script.
    status, headers, _ = fetch(port, "/")
    assert (status, headers["location"]) == (302, PREFIX)
    status, headers, home = fetch(port, PREFIX)
    assert status == 200 and headers["content-type"] == "text/html; charset=utf-8"
    assert "Landmark Attention" in home and SCRIPT_MARK in home
    assert f'<script src="{PREFIX}{RELOAD_PATH}.js" data-url="{PREFIX}{RELOAD_PATH}"' in home
    status, headers, code = fetch(port, f"{PREFIX}{RELOAD_PATH}.js")
    assert status == 200 and headers["content-type"] == "text/javascript; charset=utf-8"
    assert "EventSource" in code
    version = page_version(home)
    page_path = re.search(r'href="([^"]*landmark-attention[^"]*)"', home)
    assert page_path, "the home page links to the paper"

    events = Events(port, version)
    try:
        assert events.wait_for(lambda n, d: n == "problems") == \
            {"version": version, "problems": []}

        # Edit a paper: the page is rebuilt and open pages get the reload signal.
        edit(paper, "Landmark tokens retrieve blocks.", "Landmark tokens retrieve blocks, "
                                                        "EDITED-NOTE.")
        reload = events.wait_for(lambda n, d: n == "reload")
        assert reload["version"] > version
        wait_line(lines, "[")  # "[HH:MM:SS] Rebuilt in ... after a change to ..."
        found = [fetch(port, p)[2] for p in paper_urls(port, home)]
        assert any("EDITED-NOTE" in page for page in found)

        # Break the front matter: the error reaches the browser, the old site stays up.
        good_version = reload["version"]
        edit(paper, "status: read", "status: [read")
        problems = events.wait_for(lambda n, d: n == "problems" and d["problems"])["problems"]
        assert len(problems) == 1
        assert problems[0]["path"].endswith("landmark-attention.md")
        assert problems[0]["severity"] == "error"
        assert problems[0]["text"].startswith(f"{problems[0]['path']}:")
        assert "invalid YAML in front matter" in problems[0]["message"]
        wait_line(lines, "[")  # "... Build failed ...: still serving the last good site."
        status, _, again = fetch(port, PREFIX)
        assert status == 200 and "Landmark Attention" in again
        assert page_version(again) == good_version

        # A page opened while it is broken gets the problems on connect.
        late = Events(port, good_version)
        assert late.wait_for(lambda n, d: n == "problems")["problems"] == problems
        late.close()

        # Fix it: the overlay clears (and the fixed page reloads).
        edit(paper, "status: [read", "status: read")
        events.wait_for(lambda n, d: n == "problems" and d["problems"] == [])
    finally:
        events.close()

    proc.send_signal(signal.SIGINT)
    assert proc.wait(PATIENCE) == 0
    rest = []
    while (line := lines.get(timeout=PATIENCE)) != "<EOF>":
        rest.append(line)
    assert rest[-1] == "Stopped."
    assert not any("Traceback" in line for line in rest)


def paper_urls(port: int, home: str) -> list[str]:
    """Absolute paths of the paper pages the home page links to."""
    links = re.findall(r'href="([^"#?]+)"', home)
    return [PREFIX + link.lstrip("./") for link in links
            if "landmark-attention" in link and not link.startswith(("http", "/"))]


@pytest.mark.slow
def test_first_build_broken_serves_an_error_page_until_fixed(tmp_path):
    config = make_project(tmp_path / "project")
    paper = config.parent / "content/papers/focusllm.md"
    edit(paper, "status: unread", "status: <script>alert(1)</script>")
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "generator", "serve", "--port", str(port), "--config",
         str(config)], env={**os.environ, "NO_COLOR": "1"}, cwd=tmp_path,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + PATIENCE
        while True:
            try:
                status, _, page = fetch(port, PREFIX)
                break
            except OSError:
                assert time.monotonic() < deadline and proc.poll() is None
                time.sleep(0.2)
        assert status == 503
        assert "status: expected one of unread, reading, read, got " \
               "&#x27;&lt;script&gt;alert(1)&lt;/script&gt;&#x27;" in page
        assert "<script>alert(1)" not in page
        events = Events(port, page_version(page))
        edit(paper, "status: <script>alert(1)</script>", "status: unread")
        events.wait_for(lambda n, d: n == "reload")
        events.close()
        status, _, page = fetch(port, PREFIX)
        assert status == 200 and "FocusLLM" in page
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=PATIENCE)
    assert proc.returncode == 0, out
    assert "Build failed: 1 error; serving an error page until it is fixed." in out
    assert out.rstrip().endswith("Stopped.")


def test_a_normal_build_has_no_live_reload_script(tmp_path):
    from generator.build import build

    config, problems = load_config(make_project(tmp_path))
    assert not has_errors(problems)
    result = build(config)
    pages = [name for name in result.files if name.endswith(".html")]
    assert pages
    for name, data in result.files.items():
        assert SCRIPT_MARK.encode() not in data, name
        assert RELOAD_PATH.encode() not in data, name


def test_port_in_use_is_a_clear_error(tmp_path):
    config = make_project(tmp_path)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            [sys.executable, "-m", "generator", "serve", "--port", str(port), "--config",
             str(config)], env={**os.environ, "NO_COLOR": "1"}, capture_output=True,
            text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert f"127.0.0.1:{port}: error: cannot listen here: " in done.stderr
    assert "(try another --port)" in done.stderr


def test_an_address_that_is_not_this_machines_is_a_clear_error(tmp_path):
    config = make_project(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "generator", "serve", "--host", "192.0.2.1", "--port", "0",
         "--config", str(config)], env={**os.environ, "NO_COLOR": "1"},
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "192.0.2.1:0: error: cannot listen here: " in done.stderr
    assert "(try another --host)" in done.stderr and "--port" not in done.stderr


# --- in-process: URL handling with a stand-in build ------------------------------------

def fake_build(config, *, progress=None):
    """A tiny stand-in for generator.build.build: one page per paper, a CSS file."""
    papers, problems = load_papers(config.papers_path, config.root)
    if has_errors(problems):
        raise BuildError(problems)
    files = {"index.html": b"<html><body><h1>Home</h1></body></html>",
             "404.html": b"<html><body>Custom not found</body></html>",
             "page-2.html": b"<html><body><h1>Page 2</h1></body></html>",
             "static/style.css": b"body { color: black }",
             "search.json": b"{}"}
    for p in papers:
        files[f"papers/{p.slug}/index.html"] = \
            f"<html><BODY><h1>{p.title}</h1><p>{p.notes}</p></BODY></html>".encode()

    class Result:
        pass

    result = Result()
    result.files, result.diagnostics, result.papers = files, problems, len(papers)
    return result


@contextmanager
def serving(dev: DevServer) -> Iterator[DevServer]:
    """``dev`` started (its first build made) and answering on a thread of its own, then
    shut down."""
    dev.start()
    thread = threading.Thread(target=dev.serve_forever, daemon=True)
    thread.start()
    try:
        yield dev
    finally:
        assert dev.httpd is not None
        dev.httpd.shutdown()
        dev.close()
        thread.join(5)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[DevServer]:
    config_path = make_project(tmp_path)
    (tmp_path / "secret.txt").write_text("do not serve me")
    config, _ = load_config(config_path)
    reports = []
    dev = DevServer(config_path, config, port=0, report=reports.append, build=fake_build,
                    interval=0.05)
    dev.reports = reports  # type: ignore[attr-defined]
    with serving(dev):
        yield dev


def test_site_prefix_from_base_url(tmp_path):
    config, _ = load_config(make_project(tmp_path))
    assert site_prefix(config) == PREFIX
    assert site_prefix(config.__class__()) == "/"
    assert site_prefix(config.__class__(base_url="https://x.org")) == "/"
    assert site_prefix(config.__class__(base_url="https://x.org/a/b")) == "/a/b/"
    # as a browser asks for it (base_url may be written either way)
    assert site_prefix(config.__class__(base_url="https://x.org/my papers/")) == \
        site_prefix(config.__class__(base_url="https://x.org/my%20papers")) == "/my%20papers/"
    assert site_prefix(config.__class__(base_url="https://x.org/bücher/~me/")) == \
        "/b%C3%BCcher/~me/"


def _ipv6() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


@pytest.mark.skipif(not _ipv6(), reason="no IPv6 on this machine")
@pytest.mark.parametrize(("host", "shown"), [("::1", "[::1]"), ("::", "localhost")])
def test_an_ipv6_address_is_listened_on(tmp_path, host, shown):
    """(--host ::1 and --host :: were 'cannot listen here: Address family for hostname not
    supported', while the address shown was made ready for them.)"""
    config_path = make_project(tmp_path)
    config, _ = load_config(config_path)
    dev = DevServer(config_path, config, host=host, port=0, build=fake_build, interval=0.05)
    with serving(dev):
        assert dev.url == f"http://{shown}:{dev.port}{PREFIX}"
        conn = http.client.HTTPConnection("::1", dev.port, timeout=10)
        try:
            conn.request("GET", PREFIX)
            response = conn.getresponse()
            assert response.status == 200 and b"<h1>Home</h1>" in response.read()
        finally:
            conn.close()


@pytest.mark.parametrize("path", ["bücher", "my papers", "my%20papers"])
def test_a_base_url_path_with_spaces_or_accents_is_served(tmp_path, path):
    """(Written as such in base_url, no request matched it: every page was a 404, and the
    redirect from / went to a Latin-1 address.)"""
    config_path = make_project(tmp_path)
    edit(config_path, "/readinglist/", f"/{path}/")
    config, _ = load_config(config_path)
    dev = DevServer(config_path, config, port=0, build=fake_build, interval=0.05)
    with serving(dev):
        location = fetch(dev.port, "/")[1]["location"]
        assert location == "/" + quote(unquote(path)) + "/"
        status, _, page = fetch(dev.port, location)
        assert status == 200 and "<h1>Home</h1>" in page
        script = re.search(r'<script src="([^"]+)"', page)
        assert script and fetch(dev.port, script.group(1))[0] == 200  # (live reload)


def test_urls_under_the_sub_path(server):
    port = server.port
    assert server.url == f"http://127.0.0.1:{port}{PREFIX}"
    assert fetch(port, "/")[:2][0] == 302
    assert fetch(port, "/readinglist")[1]["location"] == PREFIX
    status, headers, page = fetch(port, PREFIX + "papers/focusllm")
    assert (status, headers["location"]) == (302, PREFIX + "papers/focusllm/")
    status, headers, page = fetch(port, PREFIX + "papers/focusllm/")
    assert status == 200 and "<h1>FocusLLM</h1>" in page
    assert page.index(SCRIPT_MARK) < page.index("</BODY>")
    assert headers["cache-control"] == "no-store"
    status, headers, css = fetch(port, PREFIX + "static/style.css")
    assert (status, headers["content-type"], css) == \
        (200, "text/css; charset=utf-8", "body { color: black }")
    status, headers, body = fetch(port, PREFIX + "papers/focusllm/", "HEAD")
    assert status == 200 and body == "" and int(headers["content-length"]) > 0
    # as on GitHub Pages, a page file answers without its .html
    for path in ("page-2", "page-2.html"):
        status, _, page = fetch(port, PREFIX + path)
        assert status == 200 and "<h1>Page 2</h1>" in page, path


@pytest.mark.parametrize("path", [
    PREFIX + "../secret.txt", PREFIX + "%2e%2e/secret.txt", PREFIX + "..%2fsecret.txt",
    PREFIX + "static/../../secret.txt", PREFIX + "..\\secret.txt", "/secret.txt",
    PREFIX + "config.yaml", PREFIX + "content/papers/focusllm.md", "//etc/passwd",
])
def test_only_built_files_are_served(server, path):
    status, _, body = fetch(server.port, path)
    assert status == 404
    assert "do not serve me" not in body and "title:" not in body


def test_missing_page_uses_the_sites_404_page(server):
    status, _, body = fetch(server.port, PREFIX + "nope/")
    assert status == 404 and "Custom not found" in body and SCRIPT_MARK in body


@pytest.mark.parametrize("base_url", ["https://example.github.io/readinglist/", ""])
def test_a_missing_page_below_the_top_links_back_into_the_served_site(tmp_path, base_url):
    """A paper deleted or renamed while its page is open reloads into the 404 page: its
    stylesheet and links must reach the site being served, from any depth (not the
    published site, and not the missing page's own folder)."""
    from html.parser import HTMLParser
    from urllib.parse import urljoin, urlsplit

    from generator.build import build

    config_path = make_project(tmp_path)
    config_path.write_text(config_path.read_text().replace(
        "https://example.github.io/readinglist/", base_url))
    config, _ = load_config(config_path)
    dev = DevServer(config_path, config, port=0, build=lambda c, progress=None: build(c),
                    interval=0.05)

    class Links(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.base, self.refs = "", []

        def handle_starttag(self, tag, attrs):
            found = dict(attrs)
            if tag == "base":
                self.base = found["href"]
            elif tag in ("a", "link") and not found.get("href", "#").startswith("#"):
                self.refs.append((found.get("rel"), found["href"]))
            elif tag == "script" and found.get("src"):
                self.refs.append((None, found["src"]))

    with serving(dev):
        prefix = site_prefix(config)
        for missing in ("nope.html", "papers/gone/index.html", "papers/gone/"):
            url = f"http://127.0.0.1:{dev.port}{prefix}{missing}"
            status, _, body = fetch(dev.port, urlsplit(url).path)
            assert status == 404 and "Page not found" in body
            links = Links()
            links.feed(body)
            base = urljoin(url, links.base)
            assert links.refs
            for rel, ref in links.refs:
                if rel in ("canonical", "alternate"):
                    continue
                target = urlsplit(urljoin(base, ref))
                assert target.netloc == f"127.0.0.1:{dev.port}", (missing, ref)
                assert fetch(dev.port, target.path)[0] == 200, (missing, ref)


def test_rebuild_reload_and_problems_in_process(server, tmp_path):
    port = server.port
    version = page_version(fetch(port, PREFIX)[2])
    events = Events(port, version)
    try:
        events.wait_for(lambda n, d: n == "problems")
        paper = tmp_path / "content/papers/focusllm.md"
        reports = server.reports  # type: ignore[attr-defined]
        seen = len(reports)
        edit(paper, "title: FocusLLM", "title: FocusLLM v2")
        assert events.wait_for(lambda n, d: n == "reload")["version"] == version + 1
        assert "FocusLLM v2" in fetch(port, PREFIX + "papers/focusllm/")[2]
        wait_until(lambda: any(r.ok for r in reports[seen:]))  # (made after the event)
        report = next(r for r in reports[seen:] if r.ok)
        assert report.reloaded and report.changed == (str(paper),)

        edit(paper, "status: unread", "status: done")
        problems = events.wait_for(lambda n, d: n == "problems" and d["problems"])["problems"]
        assert [p["text"] for p in problems] == [
            "content/papers/focusllm.md:7: error: status: expected one of unread, reading, "
            "read, got 'done'"]
        assert "FocusLLM v2" in fetch(port, PREFIX + "papers/focusllm/")[2]

        seen = len(reports)
        edit(paper, "status: done", "status: unread")
        events.wait_for(lambda n, d: n == "problems" and d["problems"] == [])
        # Same output as the last good build: nothing to reload.
        wait_until(lambda: any(r.ok for r in reports[seen:]))
        assert not next(r for r in reports[seen:] if r.ok).reloaded
        assert page_version(fetch(port, PREFIX)[2]) == version + 1
    finally:
        events.close()


def test_config_change_is_picked_up_and_a_broken_config_is_reported(server, tmp_path,
                                                                     monkeypatch):
    monkeypatch.chdir(tmp_path)  # (paths are shown relative to the working folder)
    config = tmp_path / "config.yaml"
    events = Events(server.port, page_version(fetch(server.port, PREFIX)[2]))
    try:
        events.wait_for(lambda n, d: n == "problems")
        config.write_text(config.read_text() + "feed_sise: 3\n")
        problems = events.wait_for(lambda n, d: n == "problems" and d["problems"])["problems"]
        assert problems[0]["message"] == "unknown key 'feed_sise'; did you mean 'feed_size'?"
        # as the terminal shows it, not by its absolute path
        assert problems[0]["text"] == "config.yaml:4: error: unknown key 'feed_sise'; did " \
                                      "you mean 'feed_size'?"
        config.write_text(config.read_text().replace(
            "feed_sise: 3\n", "").replace("/readinglist/", "/papers-site/"))
        events.wait_for(lambda n, d: n == "problems" and d["problems"] == [])
    finally:
        events.close()
    assert server.url.endswith("/papers-site/")
    assert fetch(server.port, "/")[1]["location"] == "/papers-site/"
    assert fetch(server.port, "/papers-site/")[0] == 200


def test_a_new_base_url_sends_open_pages_to_its_path(server, tmp_path):
    """Open pages reload when base_url moves the site (even when no file changed), told
    where it is now: their own address has stopped answering."""
    config = tmp_path / "config.yaml"
    version = page_version(fetch(server.port, PREFIX)[2])
    events = Events(server.port, version)
    try:
        events.wait_for(lambda n, d: n == "problems")
        config.write_text(config.read_text().replace("/readinglist/", "/papers-site/"))
        reload = events.wait_for(lambda n, d: n == "reload")
    finally:
        events.close()
    assert reload == {"version": version + 1, "prefix": "/papers-site/"}
    assert fetch(server.port, PREFIX)[0] == 404
    assert page_version(fetch(server.port, "/papers-site/")[2]) == version + 1


def wait_until(ready: Callable[[], bool], timeout: float = PATIENCE) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.05)


def test_a_watched_path_that_appears_is_a_change(server, tmp_path, monkeypatch):
    """config.yaml deleted and written again (as some editors and git do), an overrides/
    folder made while serving: no watch saw them appear, yet each is a change."""
    monkeypatch.delenv("READINGLIST_BASE_URL", raising=False)
    config = tmp_path / "config.yaml"
    text = config.read_text()
    reports = server.reports  # type: ignore[attr-defined]
    seen = len(reports)
    config.unlink()
    wait_until(lambda: any(str(config) in r.changed for r in reports[seen:]))
    assert server.url.endswith(f":{server.port}/")  # no config: every setting its default
    config.write_text(text.replace("/readinglist/", "/papers-site/"))
    wait_until(lambda: server.url.endswith("/papers-site/"))
    assert fetch(server.port, "/papers-site/")[0] == 200

    seen = len(reports)
    (tmp_path / "overrides" / "static").mkdir(parents=True)
    wait_until(lambda: any(str(tmp_path / "overrides") in r.changed for r in reports[seen:]))


def test_a_papers_folder_gone_while_serving_is_said(server, tmp_path):
    """content_dir mistyped in config.yaml (or content/ moved away) while serving: the site
    of no papers is served, and the terminal says why (it said 'Rebuilt', nothing more)."""
    config = tmp_path / "config.yaml"
    reports = server.reports  # type: ignore[attr-defined]
    seen = len(reports)
    config.write_text(config.read_text() + "content_dir: contnet\n")
    wait_until(lambda: any(str(config) in r.changed for r in reports[seen:]))
    report = next(r for r in reports[seen:] if str(config) in r.changed)
    assert report.ok and [(d.severity, d.message) for d in report.diagnostics] == [
        ("warning", "no papers folder, so no papers to show (run this in your list's "
                    "folder, give --config, or start a list with 'readinglist init')")]
    assert report.diagnostics[0].path.endswith("contnet/papers")


def test_a_page_open_across_a_restart_reloads(tmp_path):
    """Stop serve, edit, serve again: the open page reconnects to the new server, which
    must not take it for one of its own (both counted versions from the same start)."""
    config_path = make_project(tmp_path)
    config, _ = load_config(config_path)
    versions = []
    for run in range(2):
        dev = DevServer(config_path, config, port=0, build=fake_build, interval=0.05)
        with serving(dev):
            if run:
                events = Events(dev.port, versions[0])
                try:
                    events.wait_for(lambda n, d: n == "reload")
                finally:
                    events.close()
            versions.append(page_version(fetch(dev.port, PREFIX)[2]))
    assert versions[1] != versions[0]


def test_a_config_saved_in_another_encoding_is_shown_as_a_problem(server, tmp_path,
                                                                  monkeypatch):
    """(It was a traceback in the terminal, and nothing over the page.)"""
    monkeypatch.chdir(tmp_path)
    config = tmp_path / "config.yaml"
    text = config.read_text()
    events = Events(server.port, page_version(fetch(server.port, PREFIX)[2]))
    try:
        events.wait_for(lambda n, d: n == "problems")
        config.write_bytes((text + "author: José\n").encode("latin-1"))
        problems = events.wait_for(lambda n, d: n == "problems" and d["problems"])["problems"]
        assert [p["text"] for p in problems] == [
            f"config.yaml:{text.count(chr(10)) + 1}: error: not UTF-8 text (invalid "
            "continuation byte); save it as UTF-8"]
        config.write_text(text + "author: José\n", encoding="utf-8")
        events.wait_for(lambda n, d: n == "problems" and d["problems"] == [])
    finally:
        events.close()


def test_a_watched_folder_replaced_by_another_is_watched(server, tmp_path):
    """content/ moved away and another put in its place (a sync tool, a script): the new
    folder is the one watched."""
    import shutil

    content = tmp_path / "content"
    reports = server.reports  # type: ignore[attr-defined]
    seen = len(reports)
    shutil.copytree(content, tmp_path / "content-new")
    content.rename(tmp_path / "content-old")
    (tmp_path / "content-new").rename(content)
    wait_until(lambda: any(r.ok for r in reports[seen:]))  # (the swap is noticed)
    paper = content / "papers" / "focusllm.md"
    # A save before the new folder's watch is on is built by the rebuild that follows it
    # (no report names the paper then); once that save shows, the watch is on, and only
    # it can see the next one.
    for old, new in [("FocusLLM", "FocusLLM v2"), ("FocusLLM v2", "FocusLLM v3")]:
        seen = len(reports)
        edit(paper, f"title: {old}\n", f"title: {new}\n")
        wait_until(lambda new=new: f"<h1>{new}</h1>" in
                   fetch(server.port, PREFIX + "papers/focusllm/")[2])
    wait_until(lambda: any(str(paper) in r.changed for r in reports[seen:]))  # (a watch saw it)


def test_a_save_in_a_replaced_folder_before_its_new_watch_is_not_lost(tmp_path,
                                                                       monkeypatch):
    """content/ replaced: the rebuild reads the new folder, then a new watch is set up on
    it. A save in between (a sync tool writing on, the user quick; seconds on a loaded
    machine) was seen by neither watch, and the page stayed stale until the next edit."""
    import shutil

    from generator.serve import Watcher

    config_path = make_project(tmp_path)
    config, _ = load_config(config_path)
    content, paper = tmp_path / "content", tmp_path / "content/papers/focusllm.md"
    watch = Watcher._watch

    def save_then_watch(self: Watcher, roots: list[Path]) -> Any:
        if not saved and content.exists() and content.stat().st_ino != first_content:
            edit(paper, "title: FocusLLM", "title: FocusLLM Saved Meanwhile")
            saved.append(paper)
        return watch(self, roots)

    first_content, saved = content.stat().st_ino, []
    monkeypatch.setattr(Watcher, "_watch", save_then_watch)
    dev = DevServer(config_path, config, port=0, build=fake_build, interval=0.05)
    with serving(dev):
        shutil.copytree(content, tmp_path / "content-new")
        content.rename(tmp_path / "content-old")
        (tmp_path / "content-new").rename(content)
        wait_until(lambda: "Saved Meanwhile" in
                   fetch(dev.port, PREFIX + "papers/focusllm/")[2])


def test_a_folder_made_as_its_watch_is_set_up_is_watched(tmp_path, monkeypatch):
    """overrides/ made just after the watcher looked for the paths to watch, before the
    watch was on: it was taken for watched, and nothing saved in it was ever seen."""
    from generator.serve import Watcher

    config_path = make_project(tmp_path)
    config, _ = load_config(config_path)
    overrides = tmp_path / "overrides"
    roots = Watcher._roots

    def roots_then_made(self: Watcher) -> list[Path]:
        found = roots(self)
        overrides.mkdir(exist_ok=True)
        return found

    monkeypatch.setattr(Watcher, "_roots", roots_then_made)
    reports: list[Any] = []
    dev = DevServer(config_path, config, port=0, report=reports.append, build=fake_build,
                    interval=0.05)
    with serving(dev):
        wait_until(lambda: any(str(overrides) in r.changed for r in reports))
        seen = len(reports)
        (overrides / "style.css").write_text("body { color: red }")
        wait_until(lambda: any(str(overrides / "style.css") in r.changed
                               for r in reports[seen:]))


@pytest.mark.parametrize("linked_at_start", [True, False])
def test_a_save_to_the_file_a_content_link_leads_to_is_a_change(tmp_path, linked_at_start):
    """A content file that is a link to a file elsewhere in the project (the README: such a
    file is edited where it points): a save there, by hand or by `readinglist tag`, is no
    event in content/, yet it changes the site. (It was missed: the page stayed stale.)"""
    config_path = make_project(tmp_path)
    notes = tmp_path / "notes"
    notes.mkdir()
    target = notes / "linked.md"
    target.write_text("---\ntitle: Linked Paper\n---\n", encoding="utf-8")
    link = tmp_path / "content/papers/linked.md"
    if linked_at_start:
        link.symlink_to("../../notes/linked.md")
    config, _ = load_config(config_path)
    reports: list[Any] = []
    dev = DevServer(config_path, config, port=0, report=reports.append, build=fake_build,
                    interval=0.05)
    with serving(dev):
        if not linked_at_start:
            link.symlink_to("../../notes/linked.md")
            wait_until(lambda: "Linked Paper" in fetch(dev.port, PREFIX + "papers/linked/")[2])
        for n in range(3):
            title = f"Linked Paper v{n}"
            saved = notes / "saved.tmp" if n else target  # (then as editors do: a rename)
            saved.write_text(f"---\ntitle: {title}\n---\n", encoding="utf-8")
            saved.replace(target)
            wait_until(lambda title=title: f"<h1>{title}</h1>" in
                       fetch(dev.port, PREFIX + "papers/linked/")[2])


def test_builds_go_on_when_the_building_process_is_killed(tmp_path):
    """The building process killed (by the system, short of memory, say): every rebuild
    after it failed with 'the building process stopped' until serve was restarted. Now
    the build runs in the server's process instead, and makes what a cold build makes."""
    import multiprocessing

    from generator.build import build

    config_path = make_project(tmp_path)
    config, _ = load_config(config_path)
    builder = IncrementalBuild()
    builder.start()
    try:
        forked = [p for p in multiprocessing.active_children()
                  if p.name == "readinglist-builder"]
        if not forked:
            pytest.skip("no building process: forking is not safe here")
        assert builder(config, progress=None).papers == 3
        os.kill(forked[0].pid, signal.SIGKILL)
        forked[0].join(10)
        edit(tmp_path / "content/papers/focusllm.md", "title: FocusLLM", "title: FocusLLM v2")
        result = builder(config, progress=None)
        assert dict(result.files) == dict(build(config).files)
        assert b"FocusLLM v2" in result.files["papers/focusllm/index.html"]
    finally:
        builder.close()


CTRL_C_DURING_THE_FORK = """
import os, signal
from generator.serve import IncrementalBuild

os.register_at_fork(before=lambda: os.kill(os.getpid(), signal.SIGINT))
try:
    IncrementalBuild().start()
    print("went on")
except KeyboardInterrupt:
    print("stopped")
"""


def test_ctrl_c_while_serve_forks_its_building_process_stops_it():
    """Ctrl+C during the fork was run in fork's own hooks, which dropped the
    KeyboardInterrupt ('Exception ignored in: _releaseLock'): serve went on running."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_DURING_THE_FORK], cwd=ROOT,
                          capture_output=True, text=True, timeout=PATIENCE, check=False)
    assert (done.stdout, done.stderr) == ("stopped\n", "")


def test_a_save_during_the_first_build_is_not_lost(tmp_path):
    """The first build of a long list takes seconds; a paper saved meanwhile is built."""
    config_path = make_project(tmp_path)
    config, _ = load_config(config_path)
    paper = tmp_path / "content/papers/focusllm.md"
    calls = []

    def slow_first_build(config, *, progress=None):
        result = fake_build(config)
        if not calls:  # the user saves while the first build runs
            edit(paper, "title: FocusLLM", "title: FocusLLM Saved Meanwhile")
        calls.append(config)
        return result

    dev = DevServer(config_path, config, port=0, build=slow_first_build, interval=0.05)
    with serving(dev):
        wait_until(lambda: "Saved Meanwhile" in fetch(dev.port, PREFIX + "papers/focusllm/")[2])


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_serve_starts_when_no_watch_can_be_set_up(tmp_path, monkeypatch):
    """start() waits for the watch however long it takes (it gave up after 5 s, and a save
    during a slow start was lost); a watch that fails must not keep it waiting."""
    from generator.serve import Watcher

    def no_watch(self: Watcher, roots: list[Path]) -> Any:
        raise OSError("OS file watch limit reached")

    monkeypatch.setattr(Watcher, "_watch", no_watch)
    config_path = make_project(tmp_path)
    config, _ = load_config(config_path)
    dev = DevServer(config_path, config, port=0, build=fake_build, interval=0.05)
    started = threading.Thread(target=dev.start, daemon=True)
    started.start()
    started.join(PATIENCE)
    try:
        assert not started.is_alive(), "start() waits for ever"
        assert dev.state.built
    finally:
        dev.close()


def test_a_broken_config_stays_reported_until_it_is_fixed(server, tmp_path):
    """An edit of a paper while config.yaml is broken rebuilds with the last good config,
    but must not clear the config's error: the site is not what config.yaml says."""
    config = tmp_path / "config.yaml"
    paper = tmp_path / "content/papers/focusllm.md"
    reports = server.reports  # type: ignore[attr-defined]
    events = Events(server.port, page_version(fetch(server.port, PREFIX)[2]))
    try:
        events.wait_for(lambda n, d: n == "problems")
        config.write_text(config.read_text() + "feed_size: lots\n")
        problems = events.wait_for(lambda n, d: n == "problems" and d["problems"])["problems"]
        seen = len(reports)
        edit(paper, "title: FocusLLM", "title: FocusLLM v2")
        wait_until(lambda: any(r.changed == (str(paper),) for r in reports[seen:]))
        report = next(r for r in reports[seen:] if r.changed == (str(paper),))
        assert not report.ok
        assert problem_payload(report.diagnostics) == problems
        assert server.state.problems == problems
        config.write_text(config.read_text().replace("feed_size: lots\n", ""))
        events.wait_for(lambda n, d: n == "problems" and d["problems"] == [])
        assert "FocusLLM v2" in fetch(server.port, PREFIX + "papers/focusllm/")[2]
    finally:
        events.close()


def test_a_page_served_under_an_earlier_base_url_is_sent_to_the_new_one(server):
    """Stop serve, change base_url, serve again: a page still open reconnects at its old
    path; it is told to reload, and where the site is now (not a 404 that ends its
    stream for good)."""
    events = Events(server.port, 1, prefix="/earlier-base/")
    try:
        reload = events.wait_for(lambda n, d: n == "reload")
    finally:
        events.close()
    assert reload["prefix"] == PREFIX


def test_shutdown_ends_the_event_streams(server):
    events = Events(server.port, 1)
    events.wait_for(lambda n, d: n == "problems")
    server.state.close()
    events.wait_for(lambda n, d: n == "closed")


def test_inject_and_script_tag():
    script = live_reload_script("/a/", 3)
    assert script == ('<script src="/a/__livereload.js" data-url="/a/__livereload" '
                      'data-version="3" data-readinglist-live-reload></script>')
    assert inject(b"<p>no body</p>", script).endswith(script.encode())
    page = inject(b"<body>x</body><!-- </body> -->\n</body>", "S")
    assert page == b"<body>x</body><!-- </body> -->\nS</body>"
    # Problems are shown as text, never parsed as HTML.
    assert "textContent" in LIVE_RELOAD_JS and "innerHTML" not in LIVE_RELOAD_JS


@pytest.mark.parametrize(("name", "kind"), [
    ("index.html", "text/html; charset=utf-8"), ("a/search.json", "application/json; "
                                                 "charset=utf-8"),
    ("feed.xml", "application/xml; charset=utf-8"), ("x.js", "text/javascript; charset=utf-8"),
    ("img.png", "image/png"), ("blob", "application/octet-stream"),
])
def test_content_types(name, kind):
    assert content_type(name) == kind


# --- in a real browser -----------------------------------------------------------------

@pytest.mark.browser
@pytest.mark.slow
def test_browser_reloads_and_shows_the_overlay(served, browser):
    proc, port, project, _ = served
    paper = project / "content" / "papers" / "focusllm.md"
    context = browser.new_context()
    try:
        page = context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto(f"http://127.0.0.1:{port}/")
        assert page.url == f"http://127.0.0.1:{port}{PREFIX}"
        page.evaluate("window.notReloaded = true")
        edit(paper, "title: FocusLLM", "title: FocusLLM Renamed")
        page.wait_for_function("window.notReloaded === undefined", timeout=PATIENCE_MS)
        assert "FocusLLM Renamed" in page.content()

        edit(paper, "status: unread", "status: <b>bold</b>")
        overlay = page.wait_for_selector("#readinglist-build-errors", timeout=PATIENCE_MS)
        assert overlay is not None
        assert "status: expected one of unread, reading, read, got '<b>bold</b>'" in \
            overlay.inner_text()
        assert page.locator("#readinglist-build-errors b").count() == 0  # escaped

        edit(paper, "status: <b>bold</b>", "status: unread")
        page.wait_for_selector("#readinglist-build-errors", state="detached",
                               timeout=PATIENCE_MS)
        assert errors == []
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.slow
def test_browser_follows_a_new_base_url_to_the_same_page(served, browser):
    proc, port, project, _ = served
    config = project / "config.yaml"
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{port}{PREFIX}papers/focusllm/#notes")
        assert "FocusLLM" in page.title()
        page.evaluate("window.notReloaded = true")
        edit(config, "/readinglist/", "/elsewhere/")
        page.wait_for_url(f"http://127.0.0.1:{port}/elsewhere/papers/focusllm/#notes",
                          timeout=PATIENCE_MS)
        page.wait_for_function("window.notReloaded === undefined", timeout=PATIENCE_MS)
        assert "FocusLLM" in page.title()
        # and back to the root: still the same page, still live
        edit(config, "https://example.github.io/elsewhere/", "''")
        page.wait_for_url(f"http://127.0.0.1:{port}/papers/focusllm/#notes", timeout=PATIENCE_MS)
        page.wait_for_selector(f"script[{SCRIPT_MARK}]", state="attached", timeout=PATIENCE_MS)
        assert "FocusLLM" in page.title()
    finally:
        context.close()


# Lets a test put a page in the background (headless Chromium shows every page).
BACKGROUND = """
Object.defineProperty(Document.prototype, "visibilityState", {
  configurable: true, get: function () { return window.inBackground ? "hidden" : "visible"; }
});
window.toBackground = function (hidden) {
  window.inBackground = hidden;
  document.dispatchEvent(new Event("visibilitychange"));
};
"""


@pytest.mark.browser
@pytest.mark.slow
def test_many_tabs_load_and_a_tab_shown_again_catches_up(served, browser):
    """A browser opens six connections to a server at most; each tab's live-reload stream
    held one, so a seventh tab never loaded. Tabs in the background let theirs go."""
    proc, port, project, _ = served
    paper = project / "content" / "papers" / "focusllm.md"
    context = browser.new_context()
    context.add_init_script(BACKGROUND)
    try:
        tabs = []
        for _ in range(9):
            tab = context.new_page()
            tab.goto(f"http://127.0.0.1:{port}{PREFIX}papers/focusllm/", timeout=PATIENCE_MS)
            assert "FocusLLM" in tab.title()
            tab.evaluate("window.toBackground(true)")
            tabs.append(tab)
        first = tabs[0]
        first.evaluate("window.notReloaded = true")
        edit(paper, "title: FocusLLM", "title: FocusLLM Renamed")
        first.evaluate("window.toBackground(false)")  # shown again: it hears of the edit
        first.wait_for_function("window.notReloaded === undefined", timeout=PATIENCE_MS)
        first.wait_for_load_state()
        assert "FocusLLM Renamed" in first.title()
    finally:
        context.close()
