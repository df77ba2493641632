"""Benchmark: `readinglist import` of a 10,000-entry BibTeX library into an empty list.

    python benchmarks/import_bib.py              # N = 10,000, median of 3 runs
    python benchmarks/import_bib.py --n 1000 --repeat 5

The library is made from the benchmark's synthetic papers (benchmarks/synth.py) in the
shapes reference managers export: ACL Anthology style ("Last, First  and" across lines,
`month = jul`), Zotero/Better BibTeX style (capitals in braces, keywords, file fields), arXiv
@misc with eprint, and one name in five with a LaTeX accent. Each run is a fresh process
importing into a new empty folder, as a user runs it; then once more over the imported list
(every paper unchanged). Runs are kept until the next benchmark: on this VM, creating files
in the minute after thousands were deleted is several times slower. Not part of the test
suite.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from synth import synthetic_papers  # noqa: E402

ACCENTS = {"a": r"{\'a}", "e": r"{\"e}", "o": r"{\"o}", "u": r"{\"u}", "c": r"{\c{c}}",
           "s": r"{\v{s}}"}


def _name(name: str, i: int) -> str:
    first, _, last = name.partition(" ")
    if i % 5 == 0:  # one name in five written with a LaTeX accent
        for plain, latex in ACCENTS.items():
            if plain in last:
                last = last.replace(plain, latex, 1)
                break
    return f"{last}, {first}"


def library(n: int) -> str:
    """n synthetic papers as one BibTeX file, in three exporters' shapes."""
    entries = []
    for i, (slug, front, _) in enumerate(synthetic_papers(n)):
        authors = [_name(a, i + j) for j, a in enumerate(front["authors"])]
        year, month = front["date"][:4], int(front["date"][5:7])
        month_name = "jan feb mar apr may jun jul aug sep oct nov dec".split()[month - 1]
        title = front["title"]
        if i % 3 == 0:  # the ACL Anthology's
            entries.append(
                f"@inproceedings{{{slug},\n    title = \"{title}\",\n    author = \""
                + "  and\n      ".join(authors) + f"\",\n    booktitle = \""
                f"{front.get('venue') or 'Proceedings of ACL'}\",\n    month = {month_name},\n"
                f"    year = \"{year}\",\n    doi = \"10.18653/v1/{year}.acl-long.{i}\",\n"
                f"    pages = \"{i % 500 + 1}--{i % 500 + 12}\",\n    abstract = \""
                f"{front['abstract']}\",\n}}\n")
        elif i % 3 == 1:  # Zotero with Better BibTeX
            braced = " ".join(f"{{{w}}}" if w[:1].isupper() else w for w in title.split())
            entries.append(
                f"@article{{{slug},\n\ttitle = {{{braced}}},\n\tauthor = {{"
                + " and ".join(authors) + f"}},\n\tyear = {{{year}}},\n\tmonth = {month_name},\n"
                f"\tjournal = {{{front.get('venue') or 'Transactions of the ACL'}}},\n"
                f"\tabstract = {{{front['abstract']}}},\n\tkeywords = {{"
                + ",".join(front.get("tags") or ["reading"]) + f"}},\n\tfile = {{Full Text "
                f"PDF:/home/ada/Zotero/storage/{i:08d}/paper.pdf:application/pdf}}\n}}\n")
        else:  # arXiv's
            entries.append(
                f"@misc{{{slug},\n      title={{{title}}},\n      author={{"
                + " and ".join(a.split(", ")[1] + " " + a.split(", ")[0] for a in authors)
                + f"}},\n      year={{{year}}},\n      eprint={{{year[2:]}{month:02d}."
                f"{i:05d}}},\n      archivePrefix={{arXiv}},\n      primaryClass={{cs.CL}},\n"
                f"      url={{https://arxiv.org/abs/{year[2:]}{month:02d}.{i:05d}}},\n}}\n")
    return "\n".join(entries)


def timed(args: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return took


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=HERE / "work" / "import-bib")
    args = parser.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    bib = args.work / f"library-{args.n}.bib"
    bib.write_text(library(args.n), encoding="utf-8")
    command = [sys.executable, "-m", "generator", "import", str(bib)]
    cold, again = [], []
    for old in args.work.glob("run-*"):  # (the last run's: deleted before, not between)
        shutil.rmtree(old)
    time.sleep(60 if args.n >= 5000 else 0)  # this VM creates files slowly just after
    for run in range(args.repeat):       # thousands were deleted, which a user never sees
        project = args.work / f"run-{time.time_ns()}"  # a new folder
        (project / "content" / "papers").mkdir(parents=True)
        cold.append(timed(command, project))
        again.append(timed(command, project))
        print(f"run {run + 1}: {cold[-1]:.2f} s into an empty list, {again[-1]:.2f} s again",
              flush=True)
    print(f"{args.n:,} entries ({bib.stat().st_size / 1e6:.1f} MB): import into an empty "
          f"list {statistics.median(cold):.2f} s, again (all unchanged) "
          f"{statistics.median(again):.2f} s (medians of {args.repeat})")


if __name__ == "__main__":
    main()
