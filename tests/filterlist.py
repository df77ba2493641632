"""A small reading list with varied statuses, ratings, notes, tags, years, venues, code and
PDF links, and short list pages (page_size 4), for the filter, sort, facet and BibTeX
tests. Each paper's facts come from ``spec`` so tests can work out what to expect."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from conftest import REPO

from generator.build import build_to_disk
from generator.config import load_config
from generator.content import render_file

COUNT = 30
WORDS = ("attention", "retrieval", "memory", "reasoning", "distillation")
STATUSES = (None, "unread", "read", "reading")  # None: the default (unread)


def spec(i: int) -> dict[str, Any]:
    """Paper i's front matter and notes."""
    tags = []
    if i % 2 == 0:
        tags.append("rag")
    if i % 3 == 0:
        tags.append("attention-study")
    if i % 5 == 0:
        tags.append("LLM")
    if i == 7:
        tags.append("llm")  # the same tag as LLM, spelled otherwise: one tag page
    front: dict[str, Any] = {
        "title": f"{WORDS[i % 5].capitalize()} study {chr(65 + (i * 7) % 26)}{i:02d}",
        "authors": ["Ada Lovelace", f"Author {i % 4}"],
        "date": f"{2020 + i % 5}-{i % 12 + 1:02d}-{i % 27 + 1:02d}",
        "venue": ("ACL 2024", "NeurIPS", None)[i % 3],
        "abstract": f"We study {WORDS[(i + 1) % 5]} with transformers, case {i}.",
        "added": f"2026-01-{(i * 7) % 28 + 1:02d}",
        "tags": tags,
        "status": STATUSES[i % 4],
        "rating": (None, 1, 2, 3, 4, 5)[i % 6],
        "has_code": True if i % 4 == 1 else None,
        "pdf": f"https://example.org/{i}.pdf" if i % 5 == 2 else None,
    }
    notes = f"My notes on case {i}." if i % 3 == 0 else ""
    return {"front": front, "notes": notes, "slug": f"paper-{i:02d}"}


PAPERS = [spec(i) for i in range(COUNT)]


def status(p: dict[str, Any]) -> str:
    return p["front"]["status"] or "unread"


def rating(p: dict[str, Any]) -> int:
    return p["front"]["rating"] or 0


def build(root: Path) -> Path:
    """Write the list into ``root`` and build it -> the site folder."""
    papers = root / "content" / "papers"
    papers.mkdir(parents=True, exist_ok=True)
    for p in PAPERS:
        (papers / f"{p['slug']}.md").write_text(render_file(p["front"], p["notes"]),
                                                encoding="utf-8")
    config_path = root / "config.yaml"
    config_path.write_text("title: Filter list\npage_size: 4\n"
                           f"themes_dir: {(REPO / 'themes').as_posix()}\n", encoding="utf-8")
    config, problems = load_config(config_path)
    assert not problems, problems
    out = root / "site"
    build_to_disk(config, out)
    return out


def shard(site: Path, name: str) -> dict[str, Any]:
    """The payload of search/<name>.js (a script that hands a JSON string to search.js)."""
    text = (site / "search" / f"{name}.js").read_text(encoding="ascii")
    found = re.search(r"JSON\.parse\('(.*)'\)\]\);\n$", text, re.S)
    assert found is not None
    return json.loads(re.sub(r"\\(.)", r"\1", found[1]))


def bibtex_keys(site: Path) -> dict[str, str]:
    """slug -> BibTeX key, from papers.json."""
    data = json.loads((site / "papers.json").read_text(encoding="utf-8"))
    return {p["slug"]: p["bibtex_key"] for p in data["papers"]}


def bib_entries(text: str) -> dict[str, str]:
    """A .bib file's entries by key."""
    return {m[1]: m[0] for m in re.finditer(r"@\w+\{([^,]+),\n.*?\n\}\n", text, re.S)}
