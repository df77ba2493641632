"""The benchmark: build and search speed at 1,000 and 10,000 papers (100,000 with --huge).

    python benchmarks/run.py             # N = 1,000 and 10,000; writes benchmarks/RESULTS.md
    python benchmarks/run.py --sizes 1000 --repeat 3 --no-browser

For each N it generates a deterministic synthetic project (benchmarks/synth.py) and measures,
each build in a fresh process as a user runs it: cold build (no cache, no output: the last
ones are moved aside, see ``clean``), no-op rebuild, rebuild after editing one paper's notes,
rebuild after adding one paper, peak memory (in one more cold build: the build's processes
together, their PSS summed, sampled every 50 ms, so forked workers count; sampling slows a
build, so the timed runs are not sampled; and the largest one's RSS), output size, search
index bytes raw and gzip; then in headless Chromium (Debian's /usr/bin/chromium) served over
HTTP with and without gzip (compressed once per file and kept, as GitHub Pages' CDN does;
one untimed page load warms that cache): time from navigation start to the first result of a query
typed in the header box, per-keystroke latency (p50/p95) over a fixed query set, and the
bytes transferred before the first result. Figures are medians. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import gzip
import http.server
import io
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import threading
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))

from synth import render_file, synthetic_papers, write_project  # noqa: E402

try:
    from generator.ingest import set_rating, set_status
except ImportError:  # (an older commit, measured with this script: edit.py had them)
    from generator.edit import set_rating, set_status  # type: ignore[no-redef]

QUERIES = ["attention", "long context", "distill*", "transfomer~1", "author:wang",
           "retrieval benchmark", "year:2024 reasoning", "sparse mixture experts"]
CHROMIUM = "/usr/bin/chromium"


def _tree_pss_kb(root: int) -> int:
    """Proportional set size of a process and all its descendants, in kB: memory shared
    between forked workers counts once, split between them."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                ppid = int(handle.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, [root]
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, ()))
        try:
            with open(f"/proc/{pid}/smaps_rollup", "rb") as handle:
                for line in handle:
                    if line.startswith(b"Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


def run_build(config: Path, sampled: bool = False) -> tuple[float, int, int]:
    """One `readinglist build` in a fresh process -> (seconds, peak memory in MB of the
    whole process tree, peak RSS in MB of the largest single process). Dirty pages of
    earlier runs are flushed first, so a run does not pay for the previous one's writes.

    ``sampled``: the tree's peak is its PSS (forked workers count, what they share once),
    read every 50 ms from /proc/*/smaps_rollup. Reading that walks the page tables of the
    processes measured, which slows them (by 10-20% here at 1,000 papers): timed runs are
    not sampled, and their tree peak is 0."""
    os.sync()
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "generator", "--config", str(config),
                             "build"], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=BUILD_ENV)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        try:  # the sampler must not take CPU from the build it measures
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), 19)
        except (AttributeError, OSError):
            pass
        while not done.wait(0.05):
            peak[0] = max(peak[0], _tree_pss_kb(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    if sampled and Path("/proc/self/smaps_rollup").exists():
        sampler.start()
    _, status, usage = os.wait4(proc.pid, 0)
    took = time.perf_counter() - started
    done.set()
    if sampler.is_alive():
        sampler.join()
    out = proc.stdout.read().decode() if proc.stdout else ""
    err = proc.stderr.read().decode() if proc.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"build failed:\n{out}\n{err}")
    # ru_maxrss of wait4: the largest of the process and the children it waited for
    return took, (max(peak[0], usage.ru_maxrss) if sampled else 0) // 1024, \
        usage.ru_maxrss // 1024


# Builds run as on a user's machine, where Python keeps the bytecode of our modules: an
# environment with PYTHONDONTWRITEBYTECODE (this sandbox's) would have every build compile
# the generator's source again (see compile_generator).
BUILD_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def compile_generator() -> None:
    """Write the bytecode of the generator's modules before the first timed build, as
    `pip install` does for an installed package (an editable one: its first run)."""
    import compileall
    compileall.compile_dir(str(REPO / "generator"), quiet=1)


def calibrate() -> float:
    """Seconds a fixed pure-Python loop takes here (median of 3): how fast the machine is
    at the time. This VM's speed drifts by a third and more within minutes; results quote
    this with their figures, so that runs can be compared (about 0.6 s when it is quick,
    0.8-1.2 s in its slow periods)."""
    def once() -> float:
        started = time.perf_counter()
        total = 0
        for i in range(20_000_000):
            total += i
        return time.perf_counter() - started

    return statistics.median(once() for _ in range(3))


TRASH = "trash"  # under --work: outputs moved aside, deleted when the run is over
DELETED = ".deleted"  # under --work: when the last run deleted its trash
RECENT = 65.0  # seconds the kernel treats freed inodes as recently deleted (60, once synced)


def clean(folder: Path) -> None:
    """Move the output and the cache aside (deleted at the end of the run) for a cold build.

    Not deleted here: on this VM's ext4 (no journal) the kernel skips inodes freed in the
    last minutes when it allocates new ones, scanning past each of them, so deleting a
    15,000-file site makes creating files several times slower for minutes afterwards. A
    user's cold build (a fresh clone, a CI runner) does not follow a mass deletion; the
    benchmark should not bill one to it."""
    trash = folder.parent / TRASH
    trash.mkdir(exist_ok=True)
    for name in ("site", ".cache"):
        if (folder / name).exists():
            (folder / name).rename(trash / f"{folder.name}-{name}-{time.time_ns()}")
    os.sync()


def empty_trash(work: Path) -> None:
    """Delete the outputs moved aside, and note when (see settle)."""
    shutil.rmtree(work / TRASH, ignore_errors=True)
    os.sync()
    (work / DELETED).write_text(str(time.time()))


def settle(work: Path) -> None:
    """Wait until what an earlier run deleted no longer slows file creation (see clean)."""
    if (work / TRASH).exists():
        empty_trash(work)
    try:
        wait = float((work / DELETED).read_text()) + RECENT - time.time()
    except (OSError, ValueError):
        return
    if wait > 0:
        print(f"waiting {wait:.0f} s for the file system to settle after the last "
              "deletion…", flush=True)
        time.sleep(wait)


def measure_builds(folder: Path, config: Path, repeat: int) -> dict:
    cold, rss = [], []
    for _ in range(repeat):
        clean(folder)
        seconds, _, largest = run_build(config)
        cold.append(seconds)
        rss.append(largest)
    noop = [run_build(config)[0] for _ in range(repeat)]
    edit = []
    papers = sorted((folder / "content" / "papers").glob("*.md"))
    for i in range(repeat):
        target = papers[(i * 7919) % len(papers)]
        with target.open("a", encoding="utf-8") as handle:
            handle.write(f"\nAn edited note, round {i}.\n")
        edit.append(run_build(config)[0])
    # a status and a rating set, as `readinglist status`/`rate` set them (the queue and the
    # stats page show them for every paper; the card of the paper changes)
    mark = []
    for i in range(repeat):
        target = papers[(i * 104729 + 13) % len(papers)]
        set_status(target, ("read", "reading", "unread")[i % 3])
        set_rating(target, 1 + i % 5)
        mark.append(run_build(config)[0])
    # a paper added (as an import adds them): new papers of the same generator, newest
    # first in the site; removed again (and built, untimed) before the next measurement
    add, n = [], len(papers)
    added = list(synthetic_papers(n + repeat))[n:]
    for slug, front, notes in added:
        (folder / "content" / "papers" / f"new-{slug}.md").write_text(
            render_file(front, notes), encoding="utf-8")
        add.append(run_build(config)[0])
    for slug, _, _ in added:
        (folder / "content" / "papers" / f"new-{slug}.md").unlink()
    run_build(config)
    return {"cold": statistics.median(cold), "noop": statistics.median(noop),
            "edit": statistics.median(edit), "mark": statistics.median(mark),
            "add": statistics.median(add), "mark_runs": mark,
            "rss_mb": max(rss), "cold_runs": cold, "noop_runs": noop, "edit_runs": edit,
            "add_runs": add}


def measure_output(site: Path) -> dict:
    total = sum(p.stat().st_size for p in site.rglob("*") if p.is_file())
    index = [p for p in (site / "search").glob("*.js")]
    raw = sum(p.stat().st_size for p in index)
    gz = sum(len(gzip.compress(p.read_bytes(), 6)) for p in index)
    return {"files": sum(1 for p in site.rglob("*") if p.is_file()), "site_mb": total / 1e6,
            "index_mb": raw / 1e6, "index_gz_mb": gz / 1e6}


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files, gzip-compressed like GitHub Pages when the server is told to."""

    gzip_on = False
    compressed: dict[str, bytes] = {}  # path -> gzip bytes, shared by the servers of a run

    def log_message(self, *args) -> None:  # quiet
        pass

    def send_head(self):  # noqa: ANN201
        path = Path(self.translate_path(self.path))
        if path.is_dir():
            path = path / "index.html"
        if not self.gzip_on or not path.is_file() or "gzip" not in self.headers.get(
                "Accept-Encoding", ""):
            return super().send_head()
        body = self.compressed.get(str(path))
        if body is None:  # GitHub Pages serves gzip, compressed once and cached
            body = self.compressed[str(path)] = gzip.compress(path.read_bytes(), 6)
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", "gzip")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        return io.BytesIO(body)


def serve(site: Path, gzip_on: bool) -> tuple[http.server.ThreadingHTTPServer, str]:
    handler = type("H", (_Handler,), {"gzip_on": gzip_on})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0),
                                             partial(handler, directory=str(site)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"


FIRST_RESULT_JS = """async (query) => {
  const input = document.querySelector('#rl-q');
  input.focus();
  input.value = query;
  input.dispatchEvent(new Event('input', {bubbles: true}));
  const box = document.querySelector('[data-rl-listbox]');
  while (!box.querySelector('[role=option]')) { await new Promise(r => setTimeout(r, 2)); }
  const t = performance.now();
  const res = performance.getEntriesByType('resource').concat(
      performance.getEntriesByType('navigation'));
  return {ms: t, transfer: res.reduce((s, e) => s + (e.transferSize || 0), 0),
          decoded: res.reduce((s, e) => s + (e.decodedBodySize || 0), 0)};
}"""

KEYSTROKE_JS = """async (query) => {
  // search.js fires 'rl:results' on the form once a query's results are on screen.
  const input = document.querySelector('#rl-q');
  const form = input.form;
  input.focus(); input.value = '';
  input.dispatchEvent(new Event('input', {bubbles: true}));
  await new Promise(r => setTimeout(r, 50));
  const times = [];
  let typed = '';
  for (const ch of query) {
    typed += ch;
    const want = typed;
    const done = new Promise(resolve => {
      const on = (e) => { if (e.detail.query === want) {
        form.removeEventListener('rl:results', on); resolve(performance.now()); } };
      form.addEventListener('rl:results', on);
    });
    const t0 = performance.now();
    input.value = typed;
    input.dispatchEvent(new Event('input', {bubbles: true}));
    const t1 = await Promise.race([done, new Promise(r => setTimeout(() => r(null), 2000))]);
    if (t1 !== null) times.push(t1 - t0);
    await new Promise(r => requestAnimationFrame(() => r()));
  }
  return times;
}"""


def warm_up(browser, base: str, site: Path) -> None:  # noqa: ANN001
    """One untimed visit of the pages measured, so the server has their files compressed."""
    paper = sorted((site / "papers").iterdir())[0].name
    for url in ("index.html", f"papers/{paper}/index.html"):
        context = browser.new_context()
        page = context.new_page()
        page.goto(base + url, wait_until="load")
        page.evaluate(FIRST_RESULT_JS, QUERIES[0])
        page.wait_for_timeout(500)  # text.js too
        context.close()


def measure_browser(site: Path, repeat: int) -> dict:
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        for gzip_on in (True, False):
            server, base = serve(site, gzip_on)
            firsts, transfer, keystrokes = [], [], []
            warm_up(browser, base, site)
            try:
                for i in range(repeat):
                    context = browser.new_context()  # cold cache every time
                    page = context.new_page()
                    page.goto(base + "index.html", wait_until="load")
                    got = page.evaluate(FIRST_RESULT_JS, QUERIES[i % len(QUERIES)])
                    firsts.append(got["ms"])
                    transfer.append(got["transfer"])
                    if i == 0:
                        page.wait_for_timeout(1500)  # let the full-text part arrive
                        for q in QUERIES:
                            keystrokes.extend(page.evaluate(KEYSTROKE_JS, q))
                    context.close()
            finally:
                server.shutdown()
            key = "gzip" if gzip_on else "plain"
            results[key] = {"first_ms": statistics.median(firsts),
                            "transfer_mb": statistics.median(transfer) / 1e6}
            if gzip_on:  # the same from a paper page: the header box without a long list
                server, base = serve(site, gzip_on)
                paper = sorted((site / "papers").iterdir())[0].name
                on_paper = []
                try:
                    for i in range(repeat):
                        context = browser.new_context()
                        page = context.new_page()
                        page.goto(f"{base}papers/{paper}/index.html", wait_until="load")
                        on_paper.append(page.evaluate(FIRST_RESULT_JS,
                                                      QUERIES[i % len(QUERIES)])["ms"])
                        context.close()
                finally:
                    server.shutdown()
                results[key]["paper_first_ms"] = statistics.median(on_paper)
            if keystrokes:
                keystrokes.sort()
                results[key]["key_p50_ms"] = statistics.median(keystrokes)
                results[key]["key_p95_ms"] = keystrokes[int(0.95 * (len(keystrokes) - 1))]
        browser.close()
    return results


def table(rows: list[dict]) -> str:
    head = ("| papers | cold build | no-op rebuild | one-edit rebuild | status + rating set | "
            "one paper added | "
            "peak memory "
            "(largest process) | "
            "site | index raw / gzip | first result: home (gzip) | home (plain) | "
            "paper page (gzip) | "
            "bytes before first result (gzip / plain) | keystroke p50 / p95 |")
    lines = [head, "|---" * (head.count("|") - 1) + "|"]
    for r in rows:
        b = r.get("browser", {})
        g, p = b.get("gzip", {}), b.get("plain", {})
        first_g = f"{g['first_ms'] / 1000:.2f} s" if g else "n/a"
        first_p = f"{p['first_ms'] / 1000:.2f} s" if p else "n/a"
        first_paper = f"{g['paper_first_ms'] / 1000:.2f} s" if g else "n/a"
        sent = (f"{g['transfer_mb']:.2f} / {p['transfer_mb']:.2f} MB" if g and p else "n/a")
        keys = (f"{g['key_p50_ms']:.0f} / {g['key_p95_ms']:.0f} ms"
                if g.get("key_p50_ms") is not None else "n/a")
        lines.append(
            f"| {r['n']:,} | {r['cold']:.2f} s | {r['noop']:.2f} s | {r['edit']:.2f} s | "
            f"{r['mark']:.2f} s | {r['add']:.2f} s | "
            f"{r['peak_mb']} MB ({r['rss_mb']} MB) | {r['site_mb']:.1f} MB | "
            f"{r['index_mb']:.2f} / "
            f"{r['index_gz_mb']:.2f} MB | {first_g} | {first_p} | {first_paper} | {sent} | "
            f"{keys} |")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--huge", action="store_true", help="also N = 100,000")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--no-browser", action="store_true")
    parser.add_argument("--work", type=Path, default=HERE / "work")
    parser.add_argument("--output", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args()
    sizes = args.sizes + ([100_000] if args.huge else [])
    settle(args.work)
    compile_generator()
    speed = [calibrate()]
    print(f"calibration: {speed[0]:.2f} s", flush=True)
    rows = []
    for n in sizes:
        folder = args.work / str(n)
        print(f"[{n:,} papers] generating…", flush=True)
        config = write_project(folder, n)
        row: dict = {"n": n, **measure_builds(folder, config, args.repeat)}
        clean(folder)  # one more cold build, sampled for the memory of its process tree
        _, row["peak_mb"], largest = run_build(config, sampled=True)
        row["rss_mb"] = max(row["rss_mb"], largest)
        row.update(measure_output(folder / "site"))
        if not args.no_browser and Path(CHROMIUM).exists():
            row["browser"] = measure_browser(folder / "site", args.repeat)
        rows.append(row)
        print(json.dumps(row, indent=1), flush=True)
    empty_trash(args.work)
    speed.append(calibrate())
    text = table(rows)
    print(text)
    print(f"calibration: {speed[0]:.2f} s before, {speed[1]:.2f} s after")
    cpu = platform.processor() or platform.machine()
    args.output.write_text(
        "# Benchmark results\n\n"
        f"Measured by `python benchmarks/run.py` on {os.cpu_count()} cores ({cpu}), "
        f"Python {platform.python_version()}, {time.strftime('%Y-%m-%d')}. Medians of "
        f"{args.repeat} runs; builds run in a fresh process each, cold builds with the last "
        "output and cache moved aside; peak memory from one more cold build, sampled "
        "(sampling slows a build, so timed builds are not sampled); browser figures "
        "from headless Chromium over "
        "loopback HTTP with a cold browser cache, the server's gzip cache warmed by one "
        "untimed load.\n\n" + text + "\n\n"
        f"Machine speed during the run (`calibrate()`: a fixed Python loop, median of 3; "
        f"lower is faster; about 0.6 s when this VM is quick, 0.8-1.2 s in its slow "
        f"periods): {speed[0]:.2f} s before, "
        f"{speed[1]:.2f} s after.\n",
        encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
