"""The `readinglist` command: the only module that prints; exit codes live here.

Exit status: 0 success, 1 the input had errors (nothing or not everything done),
2 usage error (argparse).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from generator import __version__
from generator.config import CONFIG_NAME, Config, load_config
from generator.diagnostics import BuildError, Diagnostic, has_errors


class Output:
    """Terminal output: colours unless NO_COLOR or not a TTY; progress only on a TTY."""

    def __init__(self, stream=None, err=None):
        self.out = stream or sys.stdout
        self.err = err or sys.stderr
        self.tty = self.err.isatty()
        self.color = self.tty and "NO_COLOR" not in os.environ and \
            os.environ.get("TERM") != "dumb"

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def diagnostic(self, d: Diagnostic) -> None:
        where = f"{d.path}:{d.line}" if d.line else d.path
        sev = self._paint(d.severity, "1;31" if d.severity == "error" else "1;33")
        print(f"{where}: {sev}: {d.message}", file=self.err, flush=True)

    def diagnostics(self, items: Sequence[Diagnostic]) -> None:
        for d in items:
            self.diagnostic(d)

    def progress(self, label: str) -> Callable[[int, int], None] | None:
        if not self.tty:
            return None

        def show(done: int, total: int) -> None:
            end = "\n" if done >= total else ""
            print(f"\r{label} {done}/{total}", end=end, file=self.err, flush=True)
        return show


def _load(args: argparse.Namespace, out: Output, *, strict: bool = True) -> Config | None:
    path = Path(args.config) if args.config else Path.cwd() / CONFIG_NAME
    if args.config and not path.exists():
        out.diagnostic(Diagnostic(str(path), None, "error", "config file not found"))
        return None
    config, problems = load_config(path)
    out.diagnostics(problems)
    if strict and has_errors(problems):
        return None
    return config


# --- import ----------------------------------------------------------------------------

def cmd_import(args: argparse.Namespace, out: Output) -> int:
    from generator.ingest import apply_plan, plan_import, today
    from generator.listings import parse_listing

    config = _load(args, out)
    if config is None:
        return 1
    year = args.year
    if year is None:
        year = int(today()[:4])
        out.line(f"Dates without a year are read as {year} (set --year to change).")
    listings = []
    for name in args.files:
        path = Path(name)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            out.diagnostic(Diagnostic(name, None, "error", f"cannot read: {exc.strerror}"))
            continue
        text = raw.decode("utf-8", errors="replace")
        listings.append(parse_listing(text, name, year=year, format=args.format))
    plan = plan_import(listings, config.papers_path, added=today())
    out.diagnostics(plan.diagnostics)
    shown = {"create": "create", "update": "update", "unchanged": "same"}
    for change in plan.changes:
        if change.action == "unchanged" and not args.verbose and not args.dry_run:
            continue
        rel = os.path.relpath(change.path)
        detail = f" ({', '.join(change.fields)})" if change.fields else ""
        prefix = "would " if args.dry_run and change.action != "unchanged" else ""
        out.line(f"{prefix}{shown[change.action]:>6} {rel}{detail}")
    if not args.dry_run:
        apply_plan(plan, config.papers_path)
    out.line(("Dry run, nothing written: " if args.dry_run else "") + plan.summary())
    if not plan.changes:
        out.line("Nothing could be imported; see the messages above.")
        return 1
    return 0


# --- build -----------------------------------------------------------------------------

def cmd_build(args: argparse.Namespace, out: Output) -> int:
    from generator.build import build_to_disk

    config = _load(args, out)
    if config is None:
        return 1
    started = time.perf_counter()
    target = Path(args.output) if args.output else None
    try:
        result = build_to_disk(config, target, progress=out.progress("Rendering"))
    except BuildError as exc:
        out.diagnostics(exc.diagnostics)
        out.line(f"Build failed: {sum(d.severity == 'error' for d in exc.diagnostics)} "
                 f"error(s); {target or config.output_path} was left as it was.")
        return 1
    out.diagnostics(result.diagnostics)
    took = time.perf_counter() - started
    out.line(f"Built {result.papers} papers, {len(result.files)} files into "
             f"{target or config.output_path} in {took:.2f} s.")
    return 0


# --- parser ----------------------------------------------------------------------------

EXAMPLES = {
    "import": """examples:
  readinglist import acl-page.txt
  readinglist import content/listings/*.txt --year 2026
  readinglist import hf.txt --dry-run        # show what would change
  readinglist import page.txt --format compact-listing""",
    "build": """examples:
  readinglist build
  readinglist build --output /tmp/preview
  readinglist --config ~/lab/config.yaml build""",
}


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help=f"project config (default: ./{CONFIG_NAME})")
    parser = argparse.ArgumentParser(
        prog="readinglist", parents=[common],
        description="Turn pasted paper listings into a searchable reading-list website.",
        epilog="Run 'readinglist COMMAND --help' for a command's options and examples.")
    parser.add_argument("--version", action="version", version=f"readinglist {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_, description=help_,
                              epilog=EXAMPLES.get(name),
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("import", "Parse listing files into content/papers/*.md, merging with what "
                          "is there.")
    p.add_argument("files", nargs="+", metavar="FILE", help="listing text files")
    p.add_argument("--format", choices=["acl-anthology", "hf-daily-papers", "compact-listing"],
                   help="skip detection and parse as this format")
    p.add_argument("--year", type=int, help="year for dates shown without one (default: "
                                            "this year)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write "
                                                          "nothing")
    p.add_argument("-v", "--verbose", action="store_true", help="also list unchanged papers")
    p.set_defaults(run=cmd_import)

    p = command("build", "Render content/ through the theme into site/.")
    p.add_argument("--output", "-o", metavar="DIR", help="build here instead of output_dir")
    p.set_defaults(run=cmd_build)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    out = Output()
    try:
        return int(args.run(args, out))
    except KeyboardInterrupt:
        out.line("Interrupted.")
        return 130
