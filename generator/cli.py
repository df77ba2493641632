"""The `readinglist` command: the only module that prints; exit codes live here.

Exit status: 0 success, 1 the content or config had errors (nothing or not everything
done), 2 a mistake on the command line (a bad option value, an input file that cannot be
read, a slug that names no paper), 3 an internal error (a bug: one line, no traceback).
"""

from __future__ import annotations

import argparse
import difflib
import errno
import json
import os
import re
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from generator import __version__
from generator.config import CONFIG_NAME, Config, load_config
from generator.diagnostics import BuildError, Diagnostic, Severity, has_errors, shown_path
from generator.model import DATED_FORMATS, FORMATS, PAGE_FORMATS, STATUSES
from generator.writer import clear_leftovers

# Control characters (C0, DEL, C1): from a file's text, an escape sequence in a message
# would recolour, retitle or clear the terminal, and a line end would start a line that
# reads as another message
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def _visible(text: str) -> str:
    """Text as a message shows it: each control character written as ``\\xNN``."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found[0]):02x}", text)


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
        d = d.shown()  # (as check shows it)
        where = f"{d.path}:{d.line}" if d.line else d.path
        sev = self._paint(d.severity, "1;31" if d.severity == "error" else "1;33")
        print(f"{_visible(where)}: {sev}: {_visible(d.message)}", file=self.err, flush=True)

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


def _config_path(args: argparse.Namespace) -> Path:
    """--config's file; a folder given for it is the project, its config.yaml the file.
    Without --config, the working folder's config.yaml, or, in a folder of a list (say
    content/papers/, where its files are edited), the list's (see ``_list_around``)."""
    if not args.config:
        return _list_around(Path.cwd()) or Path.cwd() / CONFIG_NAME
    path = Path(args.config)
    return path / CONFIG_NAME if path.is_dir() else path


def _list_around(here: Path) -> Path | None:
    """The config.yaml of the list whose content folder ``here`` is in, when ``here`` has
    none: the nearest folder above with a config.yaml whose papers folder exists. (Run in
    content/papers/, ``new`` made content/papers/content/papers/.)"""
    if (here / CONFIG_NAME).exists():
        return None
    for folder in here.parents:
        path = folder / CONFIG_NAME
        if path.is_file():
            config, _ = load_config(path)
            if config.papers_path.is_dir() and here.is_relative_to(config.content_path):
                return path
            return None
    return None


def _missing_config(args: argparse.Namespace, out: Output) -> bool:
    """Whether --config names a file that is not there (said, if so)."""
    path = _config_path(args)
    if args.config and not path.exists():
        out.diagnostic(Diagnostic(str(path), None, "error", "config file not found"))
        return True
    return False


def _load(args: argparse.Namespace, out: Output) -> Config | None:
    """The config, its problems said; None when it has errors (or is missing)."""
    from generator.check import shown_config

    if _missing_config(args, out):
        return None
    path = _config_path(args)
    config, problems = load_config(path)
    problems = shown_config(problems, path)
    out.diagnostics(problems)
    return None if has_errors(problems) else config


def _no_papers(config: Config, out: Output, *, severity: Severity) -> bool:
    """Whether the project has no papers folder (said, if so)."""
    from generator.check import no_papers_folder

    if config.papers_path.is_dir():
        return False
    out.diagnostic(no_papers_folder(config, severity))
    return True


# --- import ----------------------------------------------------------------------------

def cmd_import(args: argparse.Namespace, out: Output) -> int:
    from generator.ingest import apply_plan, plan_import, today
    from generator.listings import decode_file, parse_listing

    config = _load(args, out)
    if config is None:
        return 1
    year = args.year or int(today()[:4])
    clear_leftovers(config.papers_path, below=True)  # (what a killed import or edit left)
    texts = []
    for name in args.files:
        try:
            text, problem = decode_file(Path(name).read_bytes(), name)
            texts.append((name, text))
            if problem is not None:
                out.diagnostic(problem)
        except OSError as exc:
            out.diagnostic(Diagnostic(name, None, "error",
                                      f"cannot read: {exc.strerror or exc}"))
    if len(texts) < len(args.files):
        out.line("Nothing imported.")
        return 2
    listings = [parse_listing(text, name, year=year, format=args.format)
                for name, text in texts]
    if args.year is None and any(listing.format in PAGE_FORMATS and
                                 listing.format not in DATED_FORMATS for listing in listings):
        out.line(f"Dates without a year are read as {year} (set --year to change).")
    plan = plan_import(listings, config.papers_path, added=today(), root=config.root)
    out.diagnostics(plan.diagnostics)
    shown = {"create": "create", "update": "update", "unchanged": "same"}
    for change in plan.changes:
        if change.action == "unchanged" and not args.verbose and not args.dry_run:
            continue
        rel = os.path.relpath(change.path)
        detail = f" ({', '.join(change.fields)})" if change.fields else ""
        prefix = "would " if args.dry_run and change.action != "unchanged" else ""
        out.line(f"{prefix}{shown[change.action]:>6} {rel}{detail}")
    left = [] if args.dry_run else apply_plan(plan, config.papers_path)
    out.diagnostics(left)
    out.line(("Dry run, nothing written: " if args.dry_run else "") + plan.summary()
             + (f" ({len(left)} left as they were, see above)" if left else ""))
    if not plan.changes:
        out.line("Nothing could be imported; see the messages above.")
        return 1
    # An entry skipped with an error is a content problem: exit 1 so
    # that scripts notice, even though the rest was imported. Warnings alone exit 0.
    return 1 if has_errors(plan.diagnostics) or left else 0


# --- init ------------------------------------------------------------------------------

def cmd_init(args: argparse.Namespace, out: Output) -> int:
    from generator.project import REQUIREMENT_EXAMPLE, copy_theme, init_project

    root = Path(args.dir)
    if root.exists() and not root.is_dir():
        out.diagnostic(Diagnostic(args.dir, None, "error", "exists and is not a folder"))
        return 2
    try:
        made = init_project(root)
        if args.copy_theme:
            copied = copy_theme(root)
            made.created += copied.created
            made.kept += copied.kept
    except OSError as exc:
        out.diagnostic(Diagnostic(str(exc.filename or args.dir), None, "error",
                                  f"cannot write: {exc.strerror or exc}"))
        return 1
    for path in made.created:
        out.line(f"created {shown_path(path)}{'/' if path.is_dir() else ''}")
    for path, lines in made.extended:
        out.line(f"  added {', '.join(lines)} to {shown_path(path)} (the rest kept)")
    for path in made.kept:
        out.line(f"   kept {shown_path(path)} (it was there; not overwritten)")
    if made.unnamed is not None:
        why = "" if made.requirement else (": readinglist was not installed from a public "
                                           "git repository (or a clone of one)"
                                           if shutil.which("git") else
                                           ": git, which tells the repository of the clone "
                                           "readinglist came from, is missing")
        out.diagnostic(Diagnostic(
            shown_path(made.unnamed), None, "warning",
            f"names no readinglist for the GitHub Pages workflow to install{why}; write "
            f"the line {made.requirement or REQUIREMENT_EXAMPLE} there"))
    if made.from_pypi is not None:
        path, number, line = made.from_pypi
        out.diagnostic(Diagnostic(
            shown_path(path), number, "warning",
            f"'{line}' is another project on PyPI, which the GitHub Pages workflow cannot "
            f"build this site with; write the line {made.requirement or REQUIREMENT_EXAMPLE} "
            "instead"))
    go = "" if root.resolve() == Path.cwd().resolve() else f"cd {shlex.quote(args.dir)}\n  "
    out.line(f"""
Your reading list is ready. Next:
  {go}readinglist import PAGE.txt    # a listing page you copied (README: Import reference)
  readinglist serve              # preview at http://127.0.0.1:8000/, rebuilt as you edit
  readinglist build              # the site, in site/
To publish on GitHub Pages: make a repository for it, choose Settings -> Pages -> Source:
GitHub Actions, then push (the workflow cannot deploy before that).""")
    return 0


# --- build -----------------------------------------------------------------------------

def cmd_build(args: argparse.Namespace, out: Output) -> int:
    from generator.build import build_to_disk

    config = _load(args, out)
    if config is None:
        return 1
    lost = not config.source  # no config.yaml: without papers either, not a list
    if _no_papers(config, out, severity="error" if lost else "warning") and lost:
        return 1  # nothing written in the wrong folder
    started = time.perf_counter()
    target = Path(args.output) if args.output else config.output_path
    try:
        result = build_to_disk(config, target, progress=out.progress("Rendering"))
    except BuildError as exc:
        out.diagnostics(exc.diagnostics)
        errors = sum(d.severity == "error" for d in exc.diagnostics)
        out.line(f"Build failed: {errors} error{'s' * (errors != 1)}; "
                 f"{shown_path(target)} was left as it was.")
        return 1
    except OSError as exc:  # (a file's name is lost when a worker raised it)
        if exc.errno not in REFUSED:
            raise
        out.diagnostic(refused(exc, "build", target))
        return 1
    out.diagnostics(result.diagnostics)
    took = time.perf_counter() - started
    out.line(f"Built {result.papers} paper{'s' * (result.papers != 1)}, "
             f"{len(result.files)} files into {shown_path(target)} "
             f"in {took:.2f} s.")
    return 0


# --- check -----------------------------------------------------------------------------

def cmd_check(args: argparse.Namespace, out: Output) -> int:
    from generator.check import check_project

    if _missing_config(args, out):
        return 1
    path = _config_path(args)
    result = check_project(path)
    diagnostics = list(result.diagnostics)
    errors, warnings = result.errors, result.warnings
    failed = errors > 0 or (args.strict and warnings > 0)
    if args.format == "json":
        out.line(json.dumps([d.as_dict() for d in diagnostics], indent=2, ensure_ascii=False))
        return 1 if failed else 0
    out.diagnostics(diagnostics)
    counts = f"{errors} error{'s' * (errors != 1)}, {warnings} warning{'s' * (warnings != 1)}"
    files = f"{result.files} content file{'s' * (result.files != 1)}"
    verdict = "failed" if failed else "passed"
    note = " (--strict: warnings fail)" if args.strict and warnings and not errors else ""
    what = f"{shown_path(path)} and {files}" if path.exists() else \
        f"{files} (no config file: every setting is its default)"
    out.line(f"Checked {what}: {counts}; {verdict}{note}.")
    return 1 if failed else 0


# --- new, tag, status, rate ------------------------------------------------------------

def cmd_new(args: argparse.Namespace, out: Output) -> int:
    from generator.ingest import EditError, create_entry

    config = _load(args, out)
    if config is None:
        return 1
    try:
        path = create_entry(config.papers_path, args.title, config.root,
                            authors=args.author or (), tags=args.tag or (), url=args.url,
                            pdf=args.pdf, date=args.date, venue=args.venue, status=args.status)
    except EditError as exc:
        out.diagnostic(Diagnostic("new", None, "error", str(exc)))
        return 1
    out.line(shown_path(path))
    return 0


def _edit_many(args: argparse.Namespace, out: Output, edit: Callable[[Path], object]) -> int:
    from generator.ingest import Edit, EditError, resolve

    config = _load(args, out)
    if config is None:
        return 1
    clear_leftovers(config.papers_path, below=True)
    paths, problems, matched = resolve(args.papers, config.papers_path, config.root)
    if problems:
        out.diagnostics(problems)
        out.line("Nothing changed.")
        return 2
    for ref, path in matched:
        out.line(f"'{ref}' is {shown_path(path)}")
    failed = 0
    for path in paths:
        try:
            result = edit(path)
        except EditError as exc:
            out.diagnostic(Diagnostic(shown_path(path), exc.line, "error", str(exc)))
            failed += 1
            continue
        except OSError as exc:
            out.diagnostic(Diagnostic(shown_path(path), None, "error",
                                      f"cannot edit: {exc.strerror or exc}"))
            failed += 1
            continue
        assert isinstance(result, Edit)
        verb = "updated" if result.changed else "unchanged"
        detail = f" ({result.detail})" if result.detail else ""
        out.line(f"{verb:>9} {shown_path(path)}{detail}")
    return 1 if failed else 0


def cmd_tag(args: argparse.Namespace, out: Output) -> int:
    from generator.ingest import edit_tags

    add = [t for t in args.add if t.strip()]
    remove = [t for t in args.remove if t.strip()]
    if not add and not remove:
        # "readinglist tag PAPER rag": the last word may be meant as the tag
        *papers, last = map(shlex.quote, args.papers)
        meant = f" (to add the tag {last}: readinglist tag {' '.join(papers)} --add {last})" \
            if papers else ""
        print("readinglist tag: error: nothing to do; give --add TAG and/or --remove TAG"
              + meant, file=out.err)
        return 2
    return _edit_many(args, out, lambda path: edit_tags(path, add, remove))


def cmd_status(args: argparse.Namespace, out: Output) -> int:
    from generator.ingest import set_status

    return _edit_many(args, out, lambda path: set_status(path, args.state))


def cmd_rate(args: argparse.Namespace, out: Output) -> int:
    from generator.ingest import set_rating

    return _edit_many(args, out, lambda path: set_rating(path, args.rating))


def _year(text: str) -> int:
    if re.fullmatch(r"[12]\d{3}", text.strip()):
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a four-digit year such as 2025, got {text!r}")


def _date(text: str) -> str:
    from generator.content import normalize_date

    if normalize_date(text) is None:
        raise argparse.ArgumentTypeError(f"expected YYYY-MM-DD (or YYYY-MM, YYYY), got "
                                         f"{text!r}")
    return text


def _link(text: str) -> str:
    if not re.match(r"https?://[^\s/]+", text.strip()):
        raise argparse.ArgumentTypeError(f"expected an http(s) link, got {text!r}")
    return text.strip()


def _title(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("the title is empty")
    return text


def _port(text: str) -> int:
    if text.strip().isdigit() and int(text) <= 65535:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a port number from 0 to 65535, got {text!r}")


def _rating(text: str) -> int | None:
    from generator.model import RATING_RANGE

    if text.lower() in ("none", "clear"):
        return None
    low, high = RATING_RANGE
    if text.isdigit() and low <= int(text) <= high:
        return int(text)
    raise argparse.ArgumentTypeError(f"expected a whole number from {low} to {high} "
                                     f"(or 'none'), got {text!r}")


# --- serve -----------------------------------------------------------------------------

def _report_build(out: Output, report: object, first: list[bool]) -> None:
    from generator.serve import BuildReport

    assert isinstance(report, BuildReport)
    stamp = time.strftime("%H:%M:%S")
    out.diagnostics(report.diagnostics)
    if report.crash:
        print(report.crash, file=out.err, end="", flush=True)
    changed = ""
    if report.changed:
        shown = [shown_path(p) for p in report.changed]
        changed = " after a change to " + ", ".join(shown[:3]) + (
            f" and {len(shown) - 3} more" if len(shown) > 3 else "")
    if not report.ok:
        errors = sum(d.severity == "error" for d in report.diagnostics)
        keep = "still serving the last good site" if not first[0] else \
            "serving an error page until it is fixed"
        out.line(f"[{stamp}] Build failed{changed}: {errors} error{'s' * (errors != 1)}; "
                 f"{keep}.")
        return
    first[0] = False
    if not report.changed:
        out.line(f"[{stamp}] Built {report.papers} paper{'s' * (report.papers != 1)}, "
                 f"{report.files} files in {report.seconds:.2f} s.")
    else:
        what = "pages reloaded" if report.reloaded else "no page changed"
        out.line(f"[{stamp}] Rebuilt in {report.seconds:.2f} s{changed} ({what}).")


def cmd_serve(args: argparse.Namespace, out: Output) -> int:
    from generator.serve import DevServer

    config = _load(args, out)
    if config is None:
        return 1
    first = [True]  # no build has succeeded yet
    server = DevServer(_config_path(args), config, host=args.host, port=args.port,
                       report=lambda report: _report_build(out, report, first))

    try:  # (SIGTERM stops it as Ctrl+C does: see main)
        try:
            server.start(progress=out.progress("Rendering"))
        except OSError as exc:
            taken = exc.errno in (errno.EADDRINUSE, errno.EACCES)  # (else: the address)
            out.diagnostic(Diagnostic(f"{args.host}:{args.port}", None, "error",
                                      f"cannot listen here: {exc.strerror or exc} "
                                      f"(try another {'--port' if taken else '--host'})"))
            return 2  # the remedy is an option on the command line
        out.line(f"Serving {server.url} (Ctrl+C to stop)")
        out.line(f"Watching {', '.join(_shown_paths(server.watched()))}")
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.close()
    out.line("Stopped.")
    return 0


def _shown_paths(paths: Sequence[Path]) -> list[str]:
    return [shown_path(p) + ("/" if p.is_dir() else "") for p in paths if p.exists()]


# --- parser ----------------------------------------------------------------------------

EXAMPLES = {
    "init": """examples:
  readinglist init my-papers
  readinglist init                           # here: adds what is missing, keeps the rest
  readinglist init --copy-theme              # the whole theme in themes/default/, to edit

Writes config.yaml (every key with its default), content/papers/, content/listings/,
overrides/, .github/workflows/pages.yml, .gitignore and requirements.txt. Never overwrites
a file.""",
    "import": """examples:
  readinglist import acl-page.txt
  readinglist import arxiv-cs-cl-new.txt     # an arXiv list page, as copied
  readinglist import content/listings/*.txt --year 2026
  readinglist import hf.txt --dry-run        # show what would change
  readinglist import page.txt --format compact-listing
  readinglist import library.bib            # a Zotero, JabRef or Mendeley export""",
    "build": """examples:
  readinglist build
  readinglist build --output /tmp/preview
  readinglist --config ~/lab/config.yaml build""",
    "check": """examples:
  readinglist check
  readinglist check --strict                 # warnings fail too (for CI)
  readinglist check --format json | jq '.[] | select(.severity == "error")'

Prints 'path:line: error: message' lines; exit status 1 when there are errors.""",
    "new": """examples:
  readinglist new "Attention Is All You Need"
  readinglist new "Landmark Attention" --author "Amirkeivan Mohtashami" \\
      --author "Martin Jaggi" --tag long-context --url https://arxiv.org/abs/2305.16300
  $EDITOR "$(readinglist new 'Some Paper' --date 2024-05-01)"

Prints the path of the new file (content/papers/SLUG.md); never overwrites a file.""",
    "tag": """examples:
  readinglist tag landmark-attention --add long-context
  readinglist tag paper-a paper-b --add to-discuss --remove later
  readinglist tag content/papers/focusllm.md --add llm
  readinglist tag landmark --add long-context   # a unique start of a slug is enough""",
    "status": """examples:
  readinglist status landmark-attention read
  readinglist status paper-a paper-b reading""",
    "rate": """examples:
  readinglist rate landmark-attention 5
  readinglist rate paper-a paper-b 3
  readinglist rate paper-a none              # remove the rating""",
    "serve": """examples:
  readinglist serve
  readinglist serve --port 8080
  readinglist serve --host 0.0.0.0           # reachable from other machines

Builds the site in memory (site/ is not touched), serves it under the path of base_url,
rebuilds when content/, the theme, the overrides or config.yaml change, and reloads open
pages. Errors show in the terminal and over the page; the last good site stays up.""",
}


class _Parser(argparse.ArgumentParser):
    """argparse's parser, naming the choice a misspelt one is close to (`readinglist buidl`,
    `--format bibtx`: Python only does so from 3.14)."""

    def error(self, message: str) -> NoReturn:
        found = re.search(r"invalid choice: (.*) \(choose from (.*)\)$", message)
        if found:
            choices = [choice.strip("'") for choice in found[2].split(", ")]
            close = difflib.get_close_matches(found[1].strip("'"), choices, n=1)
            if close:
                message += f"; did you mean '{close[0]}'?"
        super().error(message)


def build_parser() -> argparse.ArgumentParser:
    config_help = f"project config, or its folder (default: ./{CONFIG_NAME})"
    # --config works before or after the command; the command's copy must not reset the
    # value given before it, so it has no default of its own.
    common = _Parser(add_help=False)
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS,
                        help=config_help)
    parser = _Parser(
        prog="readinglist",
        description="Turn pasted paper listings into a searchable reading-list website.",
        epilog="Run 'readinglist COMMAND --help' for a command's options and examples.")
    parser.add_argument("--config", metavar="PATH", help=config_help)
    parser.add_argument("--version", action="version", version=f"readinglist {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help_: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, parents=[common], help=help_, description=help_,
                              epilog=EXAMPLES.get(name),
                              formatter_class=argparse.RawDescriptionHelpFormatter)

    p = command("init", "Make a new reading-list project in DIR (default: here).")
    p.add_argument("dir", nargs="?", default=".", metavar="DIR",
                   help="the project folder; made if missing")
    p.add_argument("--copy-theme", action="store_true",
                   help="also copy the default theme into themes/default/ to change all of it")
    p.set_defaults(run=cmd_init)

    p = command("import", "Parse listing files into content/papers/*.md, merging with what "
                          "is there.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="listing pages you copied (.txt), or a reference manager's export "
                        "(BibTeX .bib, CSL-JSON .json, RIS .ris)")
    p.add_argument("--format", choices=list(FORMATS),
                   help="skip detection and parse as this format")
    p.add_argument("--year", type=_year, help="year for dates shown without one (default: "
                                              "this year)")
    p.add_argument("--dry-run", action="store_true", help="show what would change; write "
                                                          "nothing")
    p.add_argument("-v", "--verbose", action="store_true", help="also list unchanged papers")
    p.set_defaults(run=cmd_import)

    p = command("build", "Render content/ through the theme into site/.")
    p.add_argument("--output", "-o", metavar="DIR", help="build here instead of output_dir")
    p.set_defaults(run=cmd_build)

    p = command("serve", "Build, serve and rebuild on change, with live reload in the "
                         "browser.")
    p.add_argument("--port", "-p", type=_port, default=8000, help="port (default: 8000; 0: "
                                                                "any free port)")
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                                                       "127.0.0.1, this machine only)")
    p.set_defaults(run=cmd_serve)

    p = command("check", "Check content and config for mistakes without building.")
    p.add_argument("--strict", action="store_true", help="fail on warnings too")
    p.add_argument("--format", choices=["text", "json"], default="text",
                   help="text (default): path:line: lines; json: a list for tools")
    p.set_defaults(run=cmd_check)

    p = command("new", "Create a content file for a paper and print its path.")
    p.add_argument("title", type=_title, help="the paper's title (quote it)")
    p.add_argument("--author", "-a", action="append", metavar="NAME",
                   help="an author; repeat for each, in order")
    p.add_argument("--tag", "-t", action="append", metavar="TAG", help="a tag; repeatable")
    p.add_argument("--url", type=_link, help="the paper's page (http or https)")
    p.add_argument("--pdf", type=_link, help="link to the PDF (http or https)")
    p.add_argument("--date", type=_date, help="publication date: YYYY-MM-DD, YYYY-MM or "
                                              "YYYY")
    p.add_argument("--venue", help="where it appeared, e.g. 'ACL 2025'")
    p.add_argument("--status", type=str.lower, choices=list(STATUSES), default="unread",
                   help="reading status (default: unread)")
    p.set_defaults(run=cmd_new)

    paper_help = ("a paper's slug (its file name without .md), a unique start of one, its "
                  "title, or the path of its file")
    p = command("tag", "Add or remove tags of one or more papers.")
    p.add_argument("papers", nargs="+", metavar="SLUG", help=paper_help)
    p.add_argument("--add", action="append", default=[], metavar="TAG",
                   help="tag to add; repeatable")
    p.add_argument("--remove", action="append", default=[], metavar="TAG",
                   help="tag to remove (any case); repeatable")
    p.set_defaults(run=cmd_tag)

    p = command("status", "Set the reading status of one or more papers.")
    p.add_argument("papers", nargs="+", metavar="SLUG", help=paper_help)
    p.add_argument("state", type=str.lower, choices=list(STATUSES), metavar="|".join(STATUSES),
                   help="the new status")
    p.set_defaults(run=cmd_status)

    p = command("rate", "Rate one or more papers from 1 to 5.")
    p.add_argument("papers", nargs="+", metavar="SLUG", help=paper_help)
    p.add_argument("rating", type=_rating, metavar="N", help="1 to 5, or 'none' to remove "
                                                             "the rating")
    p.set_defaults(run=cmd_rate)
    return parser


def run() -> NoReturn:
    """The command's entry point: ``main()``, then exit with its code."""
    code = main()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except OSError:  # a closed pipe: nothing more can be said, nor flushed at exit
        code = code or 1
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.dup2(devnull, sys.stderr.fileno())
    build = sys.modules.get("generator.build")  # (imported by the verbs that build)
    if build is not None:
        build.before_exit()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "run", None):
        parser.print_help()
        return 2
    out = Output()
    previous = signal.signal(signal.SIGTERM, _interrupt(os.getpid()))
    try:
        return int(args.run(args, out))
    except KeyboardInterrupt:
        out.line("Interrupted.")
        return 130
    except BrokenPipeError:  # the reader of our output went away (`| head`)
        return 1
    except OSError as exc:
        if exc.errno not in REFUSED:
            print(internal_error(exc, args.command), file=out.err, flush=True)
            return 3
        out.diagnostic(refused(exc, args.command))
        return 1
    except Exception as exc:  # noqa: BLE001 - a bug: say so in one line, never a traceback
        print(internal_error(exc, args.command), file=out.err, flush=True)
        return 3
    finally:
        signal.signal(signal.SIGTERM, previous)


def _interrupt(pid: int) -> Callable[[int, object], None]:
    """SIGTERM (``kill``, ``timeout``, a closing terminal's session) stops a command as
    Ctrl+C does: what it was writing is removed, not left half made. A forked worker that
    has not yet put back the default (``parallel.ignore_interrupt``) just ends."""

    def handle(signum: int, frame: object) -> None:
        if os.getpid() != pid:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)
            return
        raise KeyboardInterrupt
    return handle


# What the machine, not readinglist, refuses: no bug, and nothing to report.
REFUSED = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM,
                     errno.EIO, errno.EFBIG})


def refused(exc: OSError, command: str, where: Path | str | None = None) -> Diagnostic:
    """A write the system refused (a full disk, a read-only folder) as an error that says
    what was kept: every file is replaced whole or not at all, and a site only in one
    step."""
    kept = "the site was left as it was" if command == "build" else \
        "each file is as it was or fully written"
    return Diagnostic(shown_path(where or exc.filename or command), None, "error",
                      f"{exc.strerror or exc}; {kept}: make room or give write access, "
                      f"then run '{command}' again")


def internal_error(exc: BaseException, command: str) -> str:
    """One line for a bug: what failed, where in readinglist, and where to report it."""
    import traceback

    frames = traceback.extract_tb(exc.__traceback__)
    ours = [f for f in frames if "generator" in Path(f.filename).parts] or frames
    where = f" at {Path(ours[-1].filename).name}:{ours[-1].lineno}" if ours else ""
    return (f"readinglist: internal error in '{command}'{where}: {type(exc).__name__}: "
            f"{exc}. This is a bug in readinglist {__version__}; please report it on the "
            f"project's issue tracker with this line and the command you ran.")
