"""Shared fixtures: a small, complete sample project written with the content writer, built
once per session (tests/test_build.py, tests/test_browser_build.py)."""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Mapping
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from generator.build import BuildResult, build_to_disk
from generator.config import Config, load_config
from generator.content import render_file

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")  # Debian's package; never a downloaded browser
AXE = REPO / "node_modules" / "axe-core" / "axe.min.js"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]


def require(path: Path, how: str) -> Path:
    """``path``, or skip the test (fail in CI, where everything must be installed)."""
    if not path.exists():
        message = f"{path} is missing ({how})"
        if os.environ.get("CI"):
            pytest.fail(f"{message}; CI is set, so this is an error")
        pytest.skip(message)
    return path


PREFIX = "/repo/"  # a GitHub Pages project site lives under /<repo>/


class _SubPathHandler(SimpleHTTPRequestHandler):
    """Serves a folder under PREFIX only, as GitHub Pages serves a project site."""

    def translate_path(self, path: str) -> str:
        if not path.startswith(PREFIX):
            return str(Path(self.directory) / "\x00missing")
        return super().translate_path("/" + path[len(PREFIX):])

    def log_message(self, format: str, *args: object) -> None:  # keep pytest output clean
        pass


@contextlib.contextmanager
def serve_under_prefix(folder: Path) -> Iterator[str]:
    """Serve ``folder`` on a free loopback port; yields its URL, ending in PREFIX."""
    handler = functools.partial(_SubPathHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}{PREFIX}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Debian Chromium driven by Playwright, one per test module.

    Module scope, not session: Playwright's threads must be gone before later modules
    test forked (parallel) builds, which refuse to fork while other threads run."""
    require(CHROMIUM, "apt-get install chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core's script, from node_modules (npm ci)."""
    return require(AXE, "npm ci")
SAMPLE_SITE_URL = "https://example.org/reading/"
# The bundled list leaves base_url to the Pages workflow, which sets this variable.
PUBLISHED = {"READINGLIST_BASE_URL": "https://example.github.io/readinglist/"}

# (slug, front matter, notes): realistic papers covering every field and the hard cases.
SAMPLE_PAPERS: list[tuple[str, dict, str]] = [
    ("focusllm", {
        "title": "FocusLLM: Precise Understanding of Long Context by Dynamic Condensing",
        "authors": ["Zhenyu Li", "Yike Zhang", "Tengyu Pan", "Yutao Sun", "Zhichao Duan"],
        "author_count": 5,
        "authors_truncated": False,
        "year": 2025,
        "venue": "Proceedings of the 63rd Annual Meeting of the Association for "
                 "Computational Linguistics (Volume 1: Long Papers)",
        "abstract": "We present **FocusLLM**, a framework that uses the **_dynamic "
                    "condensing_** process. Our code is available at "
                    "https://github.com/leezythu/FocusLLM.",
        "links": ["https://github.com/leezythu/FocusLLM"],
        "sources": [{"file": "000_ff23be9fabf58e73.txt", "format": "acl-anthology"}],
        "added": "2026-01-10",
        "tags": ["long-context", "LLM"],
        "status": "read",
        "rating": 4,
        "url": "https://aclanthology.org/2025.acl-long.1/",
        "pdf": "https://aclanthology.org/2025.acl-long.1.pdf",
    }, "## Why it matters\n\nCondensing *works*.[^chunks] <b>raw html</b>\n\n"
       "[bad](javascript:alert(1)) and [ok](https://example.com/ok).\n\n"
       # what reading notes hold: a to-do list, a table, a footnote (axe-core, the HTML
       # checker and the safety tests read this page)
       "- [ ] reread section 3\n- [x] run the released code\n\n"
       "| Context | Accuracy |\n|---|---:|\n| 8K | 0.91 |\n| 128K | 0.74 |\n\n"
       "[^chunks]: In chunks of 2K tokens; see section 3.\n"),
    ("self-improvement-paradox", {
        "title": "The Self-Improvement Paradox: Can Language Models Bootstrap Reasoning "
                 "Capabilities without External Scaffolding?",
        "authors": ["Yutao Sun", "Mingshuai Chen", "Tiancheng Zhao"],
        "year": 2025,
        "venue": "Findings of the Association for Computational Linguistics: ACL 2025",
        "abstract": "Self-improving large language models (LLMs) -- i.e., models that "
                    "fine-tune on their own data -- are promising.",
        "sources": [{"file": "000_ff23be9fabf58e73.txt", "format": "acl-anthology"}],
        "added": "2026-01-10",
        "tags": ["reasoning", "llm"],
    }, ""),
    ("relu2-wins", {
        "title": "ReLU$^2$ Wins: Discovering Efficient Activation Functions for Sparse LLMs",
        "authors": ["Zhengyan Zhang", "Yixin Song", "Guanghui Yu"],
        "authors_truncated": True,
        "date": "2024-02-06",
        "category": "LG",
        "has_code": True,
        "score": 92.0,
        "abstract": "We find that \\textbf{ReLU$^2$} excels, with a 2$\\times$ speedup and "
                    "``standard tricks'' reaching 0.5\\% loss; see O(L^{3/2}) costs and "
                    "$\\alpha \\leq \\beta$ in \\url{https://github.com/example/relu2}.",
        "links": ["https://github.com/example/relu2"],
        "sources": [{"file": "002_ae8b9bc7ec52ca07.txt", "format": "compact-listing"}],
        "added": "2026-01-12",
        "tags": ["efficiency", "sparsity"],
        "status": "reading",
    }, ""),
    ("xss", {
        "title": "<script>alert(1)</script>",
        "authors": ["Mallory <img src=x onerror=alert(2)>"],
        "date": "2023-05-01",
        "abstract": "<img src=x onerror=alert(3)> and [click](javascript:alert(4)) and "
                    "<javascript:alert(5)>.",
        "added": "2026-01-05",
        "tags": ["<b>tag</b>"],
    }, "<script>alert(6)</script>\n"),
    ("hf-tencent", {
        "title": "Training LLMs over Neurally Compressed Text",
        "author_count": 5,
        "authors_truncated": True,
        "organizations": ["Tencent"],
        "date": "2026-01-07",
        "upvotes": 12,
        "comments": 3,
        "abstract": "Text na\\\"ively compressed into <eos> tokens gives 22--25\\% entropy "
                    "reduction; models use ''<think>'' tokens.",
        "sources": [{"file": "004_8b85c1ec6b425d2e.txt", "format": "hf-daily-papers"}],
        "added": "2026-01-07",
        "tags": ["long-context", "compression"],
    }, ""),
    ("mem-alpha", {
        "title": "Mem-α: Learning Memory Construction via Reinforcement Learning",
        "authors": ["Yu Wang", "Ryuichi Takanobu", "Zhiqi Liang", "Yuzhen Mao"],
        "date": "2025-09-30",
        "venue": "Transactions of the Association for Computational Linguistics",
        "abstract": "Memory agents & the *Mem-α* framework: 50% gains, #1 on MemoryAgentBench.",
        "added": "2026-01-03",
        "tags": ["memory"],
        "rating": 5,
        "doi": "10.1162/tacl_a_00001",
        "url": "https://arxiv.org/abs/2509.25911",
    }, "Short note.\n"),
    ("undated-notes", {
        "title": "Undated Notes on Attention",
        "tags": ["attention"],
    }, ""),
]


def write_sample_project(root: Path, *, extra_config: str = "") -> Path:
    """Write the sample project into ``root``; returns its config.yaml path."""
    papers = root / "content" / "papers"
    papers.mkdir(parents=True, exist_ok=True)
    for slug, front, notes in SAMPLE_PAPERS:
        (papers / f"{slug}.md").write_text(render_file(front, notes), encoding="utf-8")
    config = root / "config.yaml"
    config.write_text(
        "title: Sample reading list\n"
        "description: Papers on long context, with notes.\n"
        "author: Ada Researcher\n"
        f"base_url: {SAMPLE_SITE_URL}\n"
        f"themes_dir: {(REPO / 'themes').as_posix()}\n"
        "feed_size: 5\n" + extra_config, encoding="utf-8")
    return config


def write_list(root: Path, papers: Mapping[str, str], config: str = "title: T\n") -> Config:
    """A small project: each paper's file (slug -> its text) and config.yaml -> its config."""
    folder = root / "content" / "papers"
    folder.mkdir(parents=True, exist_ok=True)
    for slug, text in papers.items():
        (folder / f"{slug}.md").write_text(text, encoding="utf-8")
    (root / "config.yaml").write_text(config, encoding="utf-8")
    loaded, problems = load_config(root / "config.yaml", {})
    assert not problems, problems
    return loaded


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A function writing a fresh sample project into a temp folder -> config path."""
    def make(name: str = "project", extra_config: str = "") -> Path:
        return write_sample_project(tmp_path / name, extra_config=extra_config)
    return make


@pytest.fixture(scope="session")
def sample_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, BuildResult]:
    """The sample project built to disk once per session -> (site folder, result)."""
    root = tmp_path_factory.mktemp("sample")
    config, problems = load_config(write_sample_project(root))
    assert not problems, problems
    out = root / "site"
    result = build_to_disk(config, out)
    return out, result


@pytest.fixture(scope="session")
def sample_site(sample_build: tuple[Path, BuildResult]) -> Path:
    return sample_build[0]


def read_tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` (posix path relative to it) -> its bytes."""
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def copy_tree(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst
