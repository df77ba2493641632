"""Deterministic synthetic reading lists for the benchmark.

Field lengths and vocabulary follow the bundled content: words come from the bundled
listings' abstracts and titles, author names are recombined from the real first names and
surnames, tags/venues/categories from small realistic pools. The same (n, seed) always
gives the same files, so runs are comparable across machines and commits.
"""

from __future__ import annotations

import random
import re
from collections import Counter
from pathlib import Path

from generator.content import render_file

REPO = Path(__file__).resolve().parent.parent
LISTINGS = REPO / "content" / "listings"

TAGS = ["long-context", "attention", "efficiency", "reasoning", "rl", "distillation",
        "moe", "retrieval", "benchmark", "agents", "multimodal", "speech", "survey",
        "kv-cache", "sparse-attention", "tokenization", "evaluation", "legal-nlp"]
VENUES = ["Proceedings of the 63rd Annual Meeting of the Association for Computational "
          "Linguistics (Volume 1: Long Papers)",
          "Findings of the Association for Computational Linguistics: ACL 2025",
          "Proceedings of the 2024 Conference on Empirical Methods in Natural Language "
          "Processing", "International Conference on Learning Representations",
          "Advances in Neural Information Processing Systems"]
CATEGORIES = ["CL", "LG", "AI", "CV", "IR"]
_WORD = re.compile(r"[A-Za-z][A-Za-z\-]{1,20}")
_NAME = re.compile(r"^[A-Z][a-z]+(?:[- ][A-Z]?[a-z]+)* [A-Z][a-z]+(?:-[a-z]+)?$")


def vocabulary() -> tuple[list[str], list[str], list[str], list[str]]:
    """(abstract words weighted by frequency, capitalised title words, first names, surnames)."""
    words: Counter[str] = Counter()
    title_words: Counter[str] = Counter()
    firsts: set[str] = set()
    lasts: set[str] = set()
    for file in sorted(LISTINGS.glob("*.txt")):
        for line in file.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if _NAME.match(line):  # ACL author lines
                first, last = line.rsplit(" ", 1)
                firsts.add(first)
                lasts.add(last)
            elif len(line) > 200:
                words.update(w.lower() for w in _WORD.findall(line))
            elif 20 < len(line) <= 200:
                title_words.update(w for w in _WORD.findall(line) if w[0].isupper())
    for name in ("Yujia Qin", "Shengding Hu", "Yankai Lin", "Feng Yao", "Chaojun Xiao",
                 "Xiaozhi Wang", "Zhen Leng Thai", "Daniel Zhang-li", "Martin Jaggi"):
        first, last = name.rsplit(" ", 1)
        firsts.add(first)
        lasts.add(last)
    vocab = [w for w, n in sorted(words.items()) for _ in range(min(n, 20))]
    return vocab, sorted(title_words), sorted(firsts), sorted(lasts)


def synthetic_papers(n: int, seed: int = 1) -> list[tuple[str, dict, str]]:
    """n papers as (slug, front matter, notes), reproducibly."""
    rng = random.Random(seed)
    vocab, title_words, firsts, lasts = vocabulary()
    papers = []
    for i in range(n):
        title_len = rng.randint(5, 14)
        title = " ".join(rng.choice(title_words) if rng.random() < 0.6 else rng.choice(vocab)
                         for _ in range(title_len))
        title = f"{title[0].upper()}{title[1:]}: {rng.choice(title_words)} {i}"
        n_authors = rng.choice([1, 2, 3, 3, 4, 5, 6, 8, 12])
        authors = [f"{rng.choice(firsts)} {rng.choice(lasts)}" for _ in range(n_authors)]
        words = rng.randint(140, 260)
        sentences, current = [], []
        for _ in range(words):
            current.append(rng.choice(vocab))
            if len(current) > rng.randint(12, 30):
                sentences.append(" ".join(current).capitalize() + ".")
                current = []
        if current:
            sentences.append(" ".join(current).capitalize() + ".")
        year = rng.randint(2017, 2026)
        front: dict = {
            "title": title,
            "authors": authors,
            "date": f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
            "venue": rng.choice(VENUES) if rng.random() < 0.4 else None,
            "category": rng.choice(CATEGORIES) if rng.random() < 0.3 else None,
            "abstract": " ".join(sentences),
            "added": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
            "tags": sorted(set(rng.sample(TAGS, rng.randint(0, 3)))),
            "status": rng.choice(["unread", "unread", "reading", "read"]),
        }
        if rng.random() < 0.2:
            front["rating"] = rng.randint(1, 5)
        notes = ""
        if rng.random() < 0.3:
            notes = "## Notes\n\n" + " ".join(rng.choice(vocab) for _ in range(40)) + ".\n"
        papers.append((f"paper-{i:06d}", {k: v for k, v in front.items() if v is not None},
                       notes))
    return papers


def write_project(folder: Path, n: int, seed: int = 1) -> Path:
    """A complete project of n synthetic papers using the repo's themes; returns its config."""
    papers_dir = folder / "content" / "papers"
    papers_dir.mkdir(parents=True, exist_ok=True)
    wanted = set()
    for slug, front, notes in synthetic_papers(n, seed):
        file = papers_dir / f"{slug}.md"
        wanted.add(file.name)
        text = render_file(front, notes)
        # rewritten only when it differs: deleting and creating 10,000 files would make
        # the next minute's file creation slow on this VM's ext4 (see run.clean)
        if not file.exists() or file.read_text(encoding="utf-8") != text:
            file.write_text(text, encoding="utf-8")
    for old in papers_dir.glob("*.md"):
        if old.name not in wanted:
            old.unlink()
    config = folder / "config.yaml"
    config.write_text(f"title: Benchmark ({n} papers)\nbase_url: https://example.org/bench/\n"
                      f"themes_dir: {REPO / 'themes'}\ntheme_overrides: null\n",
                      encoding="utf-8")
    return config


if __name__ == "__main__":
    import sys

    target = Path(sys.argv[2] if len(sys.argv) > 2 else "benchmarks/work/synth")
    print(write_project(target, int(sys.argv[1]) if len(sys.argv) > 1 else 1000))
