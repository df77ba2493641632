"""Starting a list of your own: `init`, a project without config.yaml or themes/, the
bundled theme, `check` and `build` agreeing, and the README's walkthrough as typed."""

from __future__ import annotations

import functools
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest
import yaml
from conftest import REPO, read_tree

from generator import cli
from generator.config import Config, load_config, parse_config
from generator.project import commented_config, requirement, requirements_file

T = TypeVar("T")

FIXTURE = Path(__file__).parent / "fixtures" / "check"
GOOD = (FIXTURE / "content" / "papers" / "also-good.md").read_text(encoding="utf-8")


def status(*argv: str) -> int:
    """The exit status the shell sees (argparse's usage errors exit through SystemExit)."""
    try:
        return cli.main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


@pytest.fixture
def quiet(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.delenv("READINGLIST_BASE_URL", raising=False)


# --- init ------------------------------------------------------------------------------

def test_init_makes_a_ready_project_and_never_overwrites(tmp_path, monkeypatch, capsys, quiet):
    monkeypatch.chdir(tmp_path)
    assert status("init", "lab list") == 0
    out, err = capsys.readouterr()
    root = tmp_path / "lab list"
    for made in ("config.yaml", "content/papers/", "content/listings/", "overrides/templates/",
                 "overrides/static/", "overrides/README.md", ".github/workflows/pages.yml",
                 ".gitignore", "requirements.txt"):
        assert (root / made).exists(), made
        assert f"created lab list/{made}" in out, made
    assert "cd 'lab list'" in out and "readinglist import" in out and \
        "readinglist serve" in out and "readinglist build" in out
    # Pages set to GitHub Actions first: pushed before, the first run stops (the README)
    assert "choose Settings -> Pages -> Source:\nGitHub Actions, then push" in out
    config, problems = load_config(root / "config.yaml", {})
    assert problems == [] and config == Config(root=root, source=str(root / "config.yaml"))
    ignored = (root / ".gitignore").read_text().split()
    assert "/site/" in ignored and "/.cache/" in ignored
    workflow = yaml.safe_load((root / ".github/workflows/pages.yml").read_text())
    build = next(s for s in workflow["jobs"]["build"]["steps"] if s.get("name") == "Build")
    assert build["env"] == {"READINGLIST_BASE_URL": "${{ steps.pages.outputs.base_url }}"}
    install = next(s for s in workflow["jobs"]["build"]["steps"]
                   if s.get("name") == "Install readinglist")
    assert "pip install -r requirements.txt" in install["run"]
    # what it installs is this readinglist's repository, or nothing yet (then init says so)
    # — never the name alone, another project's on PyPI
    wanted = [line for line in (root / "requirements.txt").read_text().splitlines()
              if line and not line.startswith("#")]
    assert wanted == [] or re.fullmatch(r"readinglist @ git\+https://\S+", wanted[0])
    assert ("lab list/requirements.txt: warning: names no readinglist" in err) == \
        (wanted == [])

    (root / "config.yaml").write_text("title: Mine\n")
    assert status("init", "lab list") == 0
    out = capsys.readouterr().out
    assert "created" not in out
    assert "kept lab list/config.yaml (it was there; not overwritten)" in out
    assert (root / "config.yaml").read_text() == "title: Mine\n"


def test_init_in_a_project_made_by_an_older_readinglist_adds_what_it_lacks(
        tmp_path, monkeypatch, capsys, quiet):
    """A project made before builds kept a spare site beside site/: its .gitignore (as that
    init wrote it) gets the missing pattern, so `git add -A` does not commit the spare, and
    its requirements.txt, which asked PyPI for another project of the same name, is named
    with its line."""
    monkeypatch.chdir(tmp_path)
    older = ("# Made by `readinglist build`; GitHub Pages publishes it from the workflow.\n"
             "/site/\n# What `readinglist build` keeps between builds to rebuild quickly.\n"
             "/.cache/\nnotes-private.txt")  # and a line of the user's, no newline at the end
    (tmp_path / ".gitignore").write_text(older)
    (tmp_path / "requirements.txt").write_text(
        "# The readinglist that builds this site (the GitHub Pages workflow installs it).\n"
        "readinglist==0.1.0\n")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "papers" / "also-good.md").write_text(GOOD)
    assert status("init") == 0
    out, err = capsys.readouterr()
    assert "added /.site.*/ to .gitignore (the rest kept)" in out
    assert (tmp_path / ".gitignore").read_text().startswith(older + "\n")
    assert "requirements.txt:2: warning: 'readinglist==0.1.0' is another project on PyPI" \
        in err
    assert (tmp_path / "requirements.txt").read_text().endswith("readinglist==0.1.0\n")

    for more in ("More.", "And more."):  # the second build keeps a spare tree beside site/
        (tmp_path / "content" / "papers" / "also-good.md").write_text(f"{GOOD}\n{more}\n")
        assert status("build") == 0
    run = functools.partial(subprocess.run, cwd=tmp_path, check=True, capture_output=True,
                            text=True)
    assert list(tmp_path.glob(".site.*"))
    run(["git", "init", "-q"])
    added = re.findall(r"add '([^']+)'", run(["git", "add", "--all", "--dry-run"]).stdout)
    assert "content/papers/also-good.md" in added
    assert {path.split("/")[0] for path in added} == {
        ".gitignore", "requirements.txt", "config.yaml", "content", "overrides", ".github"}

    assert status("init") == 0  # again: nothing more to add
    out, err = capsys.readouterr()
    assert "kept .gitignore" in out and "added" not in out


def test_check_names_an_action_an_older_init_wrote_at_an_old_version(
        tmp_path, monkeypatch, capsys, quiet):
    """`init` never overwrites the Pages workflow, so a project made by an older init keeps
    its action versions until GitHub retires them and the site stops deploying: check says
    so at the line, and a workflow as init writes it today is fine."""
    monkeypatch.chdir(tmp_path)
    assert status("init") == 0
    capsys.readouterr()
    assert status("check", "--strict") == 0
    workflow = tmp_path / ".github" / "workflows" / "pages.yml"
    lines = workflow.read_text().splitlines()
    at = next(n for n, line in enumerate(lines, 1) if "actions/checkout@" in line)
    today = re.search(r"@v(\d+)", lines[at - 1])[1]  # type: ignore[index]
    lines[at - 1] = lines[at - 1].replace(f"@v{today}", "@v4")
    workflow.write_text("\n".join(lines) + "\n")
    capsys.readouterr()
    assert status("check") == 0  # (a warning)
    assert status("check", "--strict") == 1
    err = capsys.readouterr().err
    assert f".github/workflows/pages.yml:{at}: warning: actions/checkout@v4 is older than " \
        f"the v{today} that 'readinglist init' writes today" in err
    assert err.count("pages.yml:") == 2  # (once for each check run, nothing else)


def test_a_site_kept_in_the_repository_has_no_second_copy_committed(tmp_path, monkeypatch,
                                                                     quiet):
    """A list published from a branch's docs/ commits its site; the spare tree the builds
    keep beside it (.docs.spare/) stays out of git, and the site has no .gitignore of its
    own, whatever the list's .gitignore says."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("title: Mine\noutput_dir: docs\n")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    for more in ("", "More.", "And more."):  # the second build and on keep a spare
        (tmp_path / "content" / "papers" / "also-good.md").write_text(f"{GOOD}\n{more}\n")
        assert status("build") == 0
        assert not (tmp_path / "docs" / ".gitignore").exists()
    assert (tmp_path / ".docs.spare" / "index.html").is_file()
    run = functools.partial(subprocess.run, cwd=tmp_path, check=True, capture_output=True,
                            text=True)
    run(["git", "init", "-q"])
    added = re.findall(r"add '([^']+)'", run(["git", "add", "--all", "--dry-run"]).stdout)
    assert "docs/index.html" in added
    assert {path.split("/")[0] for path in added} == {"config.yaml", "content", "docs"}


def test_init_without_git_says_that_is_why_it_names_no_readinglist(tmp_path, monkeypatch,
                                                                   capsys, quiet):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("generator.project._direct_url",
                        lambda: {"url": REPO.as_uri(), "dir_info": {}})  # `pip install .`
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    assert status("init", "list") == 0
    assert "list/requirements.txt: warning: names no readinglist for the GitHub Pages " \
           "workflow to install: git, which tells the repository of the clone readinglist " \
           "came from, is missing; write the line readinglist @ " \
           "git+https://github.com/OWNER/readinglist there" in capsys.readouterr().err


def test_init_again_reminds_of_a_requirements_txt_still_to_write(tmp_path, monkeypatch,
                                                                 capsys, quiet):
    """A list made when init could not tell which readinglist to name, run again once it
    can (say readinglist was installed again, from its repository): the line to write."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "requirements.txt").write_text(requirements_file(None))
    monkeypatch.setattr("generator.project._direct_url", lambda: {
        "url": "https://github.com/me/readinglist.git",
        "vcs_info": {"vcs": "git", "commit_id": "0123abc"}})
    assert status("init") == 0
    assert "requirements.txt: warning: names no readinglist for the GitHub Pages workflow " \
           "to install; write the line readinglist @ " \
           "git+https://github.com/me/readinglist.git@0123abc there\n" in \
           capsys.readouterr().err
    assert (tmp_path / "requirements.txt").read_text() == requirements_file(None)
    with (tmp_path / "requirements.txt").open("a") as file:
        file.write("readinglist @ git+https://github.com/me/readinglist.git@0123abc\n")
    assert status("init") == 0
    assert "warning" not in capsys.readouterr().err


def test_the_commented_config_lists_every_key_with_its_default():
    text = commented_config()
    config, problems = parse_config(text, "config.yaml", Path("."))
    assert problems == [] and config == Config()
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0].isalpha()]
    assert keys == [f for f in Config.__dataclass_fields__ if f not in ("root", "source", "lines")]


def test_copy_theme_puts_the_whole_theme_in_the_project(tmp_path, capsys, quiet):
    assert status("init", str(tmp_path / "p"), "--copy-theme") == 0
    copied = tmp_path / "p" / "themes" / "default"
    assert read_tree(copied) == read_tree(REPO / "themes" / "default")
    (copied / "templates" / "base.html").write_text("mine")
    assert status("init", str(tmp_path / "p"), "--copy-theme") == 0
    assert (copied / "templates" / "base.html").read_text() == "mine"
    assert "kept" in capsys.readouterr().out


def test_the_override_example_init_writes_works_on_every_page(tmp_path, monkeypatch, capsys,
                                                              quiet):
    """overrides/README.md's example, as written: a base.html that adds a stylesheet in the
    head block reaches every page (the paper pages' own head block keeps it)."""
    monkeypatch.chdir(tmp_path)
    assert status("init") == 0
    guide = (tmp_path / "overrides" / "README.md").read_text()
    example = re.search(r"e\.g\. `templates/base\.html`:\n\n((?:      .*\n)+)", guide)[1]
    (tmp_path / "overrides" / "templates" / "base.html").write_text(
        "".join(line[6:] + "\n" for line in example.splitlines()))
    (tmp_path / "overrides" / "static" / "css").mkdir()
    (tmp_path / "overrides" / "static" / "css" / "extra.css").write_text("body{}\n")
    (tmp_path / "content" / "papers" / "also-good.md").write_text(GOOD)
    assert status("build") == 0
    pages = sorted((tmp_path / "site").rglob("*.html"))
    assert any("/papers/" in page.as_posix() for page in pages)
    for page in pages:
        root = "../" * (len(page.relative_to(tmp_path / "site").parts) - 1)
        if page.name == "404.html":
            continue  # (its links start at the site's root, wherever it is shown)
        assert f'<link rel="stylesheet" href="{root}static/css/extra.css">' in \
            page.read_text(), page
    assert (tmp_path / "site" / "static" / "css" / "extra.css").is_file()


def test_a_theme_copied_by_an_older_readinglist_still_builds(tmp_path, monkeypatch, capsys,
                                                              quiet):
    """A copy made before a page was added to the theme: that page comes from the bundled
    theme, inside the copy's base.html; `!theme/` reaches it too. (The build failed:
    "none of the templates given were found: queue.html", where check had passed.)"""
    monkeypatch.chdir(tmp_path)
    assert status("init", "--copy-theme") == 0
    copied = tmp_path / "themes" / "default"
    for added_later in ("templates/queue.html", "templates/stats.html",
                        "templates/partials/filters.html"):
        (copied / added_later).unlink()
    base = copied / "templates" / "base.html"
    base.write_text(base.read_text().replace("</footer>", "<p>My own footer.</p></footer>"))
    (tmp_path / "overrides" / "templates" / "stats.html").write_text(
        '{% extends "!theme/stats.html" %}\n'
        '{% block content %}<p>Counted weekly.</p>{{ super() }}{% endblock %}\n')
    (tmp_path / "content" / "papers" / "also-good.md").write_text(GOOD)
    capsys.readouterr()
    assert status("check", "--strict") == 0
    assert status("build") == 0, capsys.readouterr().err
    queue = (tmp_path / "site" / "queue" / "index.html").read_text()
    stats = (tmp_path / "site" / "stats" / "index.html").read_text()
    assert "Reading queue" in queue and "My own footer." in queue
    assert "Counted weekly." in stats and "Papers by year" in stats and \
        "My own footer." in stats
    assert (tmp_path / "site" / "static" / "css" / "style.css").read_bytes() == \
        (copied / "static" / "css" / "style.css").read_bytes()


# --- a project with nothing but content ------------------------------------------------

def test_every_command_works_without_config_or_theme_folder(tmp_path, monkeypatch, capsys,
                                                            quiet):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "papers" / "also-good.md").write_text(GOOD)
    assert status("check", "--strict") == 0
    assert status("build") == 0
    assert status("status", "also", "read") == 0
    assert status("rate", "also-good", "4") == 0
    assert status("new", "Another Paper") == 0
    captured = capsys.readouterr()
    assert "config.yaml" not in captured.out + captured.err
    assert "Checked 1 content file (no config file: every setting is its default)" in captured.out
    page = (tmp_path / "site" / "papers" / "also-good" / "index.html").read_text()
    assert "FocusLLM: Scaling LLM's Context by Parallel Decoding</h1>" in page
    assert (tmp_path / "site" / "static" / "vendor" / "lunr" / "lunr.min.js").is_file()


def test_build_in_a_folder_that_is_not_a_list_writes_nothing(tmp_path, monkeypatch,
                                                                capsys, quiet):
    """No config.yaml and no content/: most likely the wrong folder (a home folder, the
    parent of the list), where a site/ and .cache/ of nothing would be litter."""
    monkeypatch.chdir(tmp_path)
    said = ("content/papers: error: no papers folder and no config.yaml, so no papers to "
            "show (run this in your list's folder, give --config, or start a list with "
            "'readinglist init')\n")
    assert status("build") == 1
    assert capsys.readouterr().err == said
    assert status("check") == 1  # not a pass before a build that fails
    assert capsys.readouterr().err == said
    assert list(tmp_path.iterdir()) == []


def test_a_new_list_with_no_papers_builds_a_site_that_says_what_to_do(tmp_path,
                                                                      monkeypatch, capsys,
                                                                      quiet):
    monkeypatch.chdir(tmp_path)
    assert status("init", "list") == 0
    monkeypatch.chdir(tmp_path / "list")
    capsys.readouterr()
    assert status("build") == 0
    page = (tmp_path / "list" / "site" / "index.html").read_text()
    assert "No papers yet." in page and "readinglist import" in page
    assert "warning" not in capsys.readouterr().err  # init made content/papers/
    shutil.rmtree(tmp_path / "list" / "content")
    assert status("build") == 0
    assert "content/papers: warning: no papers folder, so no papers to show" in \
        capsys.readouterr().err


def test_the_published_address_comes_from_the_environment_when_base_url_is_empty(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text("title: x\n")
    env = {"READINGLIST_BASE_URL": "https://you.github.io/papers"}
    assert load_config(path, env)[0].site_url == "https://you.github.io/papers/"
    path.write_text("base_url: https://papers.example.org/\n")
    assert load_config(path, env)[0].site_url == "https://papers.example.org/"
    path.write_text("title: x\n")
    config, problems = load_config(path, {"READINGLIST_BASE_URL": "you.github.io"})
    assert [str(p) for p in problems] == [
        "READINGLIST_BASE_URL: error: must start with http:// or https://, got "
        "'you.github.io'"]


# --- check and build agree --------------------------------------------------------------

CASES = sorted(p.relative_to(FIXTURE / "content" / "papers").as_posix()
               for p in (FIXTURE / "content" / "papers").rglob("*") if p.is_file())
COMPANIONS = {"duplicate.md": ["landmark-attention.md"], "sub/rating.md": ["rating.md"]}


def _project(root: Path, case: str) -> Path:
    papers = root / "content" / "papers"
    papers.mkdir(parents=True)
    (papers / "also-good.md").write_text(GOOD)
    for name in [case, *COMPANIONS.get(case, [])]:
        (papers / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(FIXTURE / "content" / "papers" / name, papers / name)
    if case == "sub/rating.md":  # only the slug collision, not the bad rating
        (papers / "rating.md").write_text(GOOD.replace("FocusLLM", "RatedLLM"))
    return root


@pytest.mark.parametrize("case", CASES)
def test_check_and_build_agree_on_each_broken_content_fixture(tmp_path, monkeypatch, capsys,
                                                              case, quiet):
    root = tmp_path / "p"
    root.mkdir()
    (root / "content" / "papers").mkdir(parents=True)
    (root / "content" / "papers" / "also-good.md").write_text(GOOD)
    monkeypatch.chdir(root)
    assert status("build") == 0
    before = read_tree(root / "site")
    shutil.rmtree(root / "content")
    _project(root, case)
    checked = status("check")
    built = status("build")
    out = capsys.readouterr()
    assert (checked, built) in ((0, 0), (1, 1)), out
    if built:
        assert read_tree(root / "site") == before
        assert "error:" in out.err


def test_a_missing_theme_fails_check_and_build(tmp_path, monkeypatch, capsys, quiet):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.yaml").write_text("theme: nope\n")
    assert status("check") == 1
    assert status("build") == 1
    err = capsys.readouterr().err
    assert err.count("config.yaml:1: error: theme 'nope' not found: neither themes/nope/"
                     "templates/ nor a bundled theme of that name exists (available: "
                     "default)") == 2


def test_a_theme_of_its_own_without_a_page_template_names_it(tmp_path, monkeypatch, capsys,
                                                              quiet):
    """(The message was "?: error: template error in queue.html …: none of the templates
    given were found".) A theme of another name has no bundled one beneath it."""
    monkeypatch.chdir(tmp_path)
    shutil.copytree(REPO / "themes" / "default", tmp_path / "themes" / "mine")
    (tmp_path / "themes" / "mine" / "templates" / "queue.html").unlink()
    (tmp_path / "config.yaml").write_text("theme: mine\n")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "papers" / "also-good.md").write_text(GOOD)
    assert status("build") == 1
    assert capsys.readouterr().err == (
        "queue.html: error: no such template in the theme or the overrides: "
        "queue/index.html is made with queue.html\n")


def _with_paper_template(root: Path, template: bytes) -> None:
    """A list of one good paper, and an override of the theme's paper.html."""
    (root / "content" / "papers").mkdir(parents=True)
    (root / "content" / "papers" / "also-good.md").write_text(GOOD)
    templates = root / "overrides" / "templates"
    templates.mkdir(parents=True)
    (templates / "paper.html").write_bytes(template)


def test_a_template_that_does_not_compile_fails_check_and_build(tmp_path, monkeypatch,
                                                                capsys, quiet):
    monkeypatch.chdir(tmp_path)
    _with_paper_template(tmp_path, b'{% extends "!theme/paper.html" %}\n'
                                   b'{% block content %}{% if x %}{% endblock %}\n')
    assert status("check") == 1
    assert "\noverrides/templates/paper.html:2: error: template does not compile: " \
           in "\n" + capsys.readouterr().err
    assert status("build") == 1  # the same file, named the same way (not from the root)
    assert "\noverrides/templates/paper.html:2: error: template error in paper.html " \
           in "\n" + capsys.readouterr().err


@pytest.mark.parametrize(("code", "message"), [
    ("{{ 1 / 0 }}", "ZeroDivisionError: division by zero"),
    ("{{ paper.title + 1 }}", "TypeError: "),
    ("{{ paper.title | wordwrap(0) }}", "ValueError: invalid width 0"),
])
def test_a_template_that_fails_as_it_runs_is_a_theme_error(tmp_path, monkeypatch, capsys,
                                                           quiet, code, message):
    """Not "an internal error ... a bug in readinglist" (exit 3): the theme's line."""
    monkeypatch.chdir(tmp_path)
    _with_paper_template(tmp_path, ('{% extends "!theme/paper.html" %}\n{% block content %}'
                                    + code + '{% endblock %}\n').encode())
    assert status("build") == 1
    err = capsys.readouterr().err
    assert "overrides/templates/paper.html:2: error: template error in paper.html while " \
           "rendering papers/also-good/index.html: " + message in err
    assert not (tmp_path / "site").exists()


def test_a_template_saved_in_another_encoding_is_a_theme_error(tmp_path, monkeypatch,
                                                               capsys, quiet):
    """(It was an internal error, exit status 3; under serve, 'build crashed' and a
    traceback. Then the message went on with a line of its own, '  File "/…/paper.html",
    line 1', and check passed: the template was taken for an image kept beside them.)"""
    monkeypatch.chdir(tmp_path)
    _with_paper_template(tmp_path, '{% extends "!theme/paper.html" %}\n'
                                   '{# Café #}\n'.encode("latin-1"))
    (tmp_path / "overrides" / "templates" / "logo.png").write_bytes(b"\x89PNG\xff")
    assert status("build") == 1
    assert capsys.readouterr().err == (
        "overrides/templates/paper.html:2: error: template error in paper.html while "
        "rendering papers/also-good/index.html: not UTF-8 text (invalid continuation "
        "byte); save it as UTF-8\n")
    assert status("check") == 1  # (the image is no template: no word of it)
    assert capsys.readouterr().err == (
        "overrides/templates/paper.html:2: error: template does not compile: not UTF-8 text "
        "(invalid continuation byte); save it as UTF-8\n")


def test_a_template_that_includes_one_not_there_names_it(tmp_path, monkeypatch, capsys,
                                                         quiet):
    """(The message ended in the name alone: '…while rendering …: nope.html'.)"""
    monkeypatch.chdir(tmp_path)
    _with_paper_template(tmp_path, b'{% extends "!theme/paper.html" %}\n'
                                   b'{% block content %}{% include "nope.html" %}'
                                   b'{% endblock %}\n')
    assert status("build") == 1
    assert capsys.readouterr().err == (
        "overrides/templates/paper.html:2: error: template error in paper.html while "
        "rendering papers/also-good/index.html: no such template: nope.html\n")


# --- the README, as typed ---------------------------------------------------------------

def _walkthrough_commands(heading: str = "## Walkthrough") -> list[str]:
    """Every command of a section of the README (the Walkthrough), in order (``serve``
    lines aside: they run until stopped, and tests/test_serve.py drives them)."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text[text.index(f"\n{heading}\n") + 1:]
    level = len(heading.split()[0])  # up to the next heading of its level or above
    section = section[:re.search(rf"\n#{{1,{level}}} |$", section).start()]
    commands = []
    for block in re.findall(r"```sh\n(.*?)```", section, re.S):
        for command in block.replace("\\\n", " ").splitlines():
            command = command.strip()
            if command and not command.startswith("#") and "readinglist serve" not in command:
                commands.append(command)
    return commands


@pytest.mark.slow
def test_the_readme_walkthrough_runs_as_written_on_the_bundled_list(tmp_path):
    commands = _walkthrough_commands()
    assert len(commands) >= 12 and any(c.startswith("readinglist tag") for c in commands)
    project = tmp_path / "bundled"
    project.mkdir()
    for name in ("config.yaml", "content", "themes"):
        source = REPO / name
        (shutil.copytree if source.is_dir() else shutil.copyfile)(source, project / name)
    env = {**_launcher(tmp_path), "EDITOR": "true"}
    for command in commands:
        done = subprocess.run(["bash", "-c", command], cwd=project, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, f"{command}\n{done.stdout}{done.stderr}"
        assert "Traceback" not in done.stdout + done.stderr, command
    ring = project / "content/papers/ring-attention-with-blockwise-transformers-for-near.md"
    text = ring.read_text()
    assert "long-context" in text and "2023-10-03" in text
    landmark = (project / "content/papers/"
                "landmark-attention-random-access-infinite-context-length.md").read_text()
    assert "status: read" in landmark and "rating: 5" in landmark


def _launcher(tmp_path: Path) -> dict[str, str]:
    """An environment whose ``readinglist`` is this checkout's, as `pip install .` gives."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    launcher = bin_dir / "readinglist"
    launcher.write_text(f"#!/bin/sh\nPYTHONPATH={REPO} exec {sys.executable} -m generator "
                        f"\"$@\"\n")
    launcher.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
           "NO_COLOR": "1", "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
           "GIT_CONFIG_GLOBAL": os.devnull, "GIT_AUTHOR_NAME": "t",
           "GIT_AUTHOR_EMAIL": "t@e.org", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@e.org"}
    env.pop("READINGLIST_BASE_URL", None)
    return env


@pytest.mark.slow
def test_the_readmes_start_your_own_list_runs_as_written(tmp_path):
    """"Start your own list" and the Pages section's build, as typed in one shell (the
    install lines, serve and the push to GitHub aside), with a Hugging Face page pasted
    where the README says: a list that builds, whose commit holds no site/ or .cache/."""
    commands = [c for c in _walkthrough_commands("## Start your own list")
                if not re.match(r"(python3 -m venv|pip install|git remote)", c)]
    assert commands[0].startswith("readinglist init my-papers ") and \
        commands[1] == "cd my-papers", commands
    paste = REPO / "content" / "listings" / "003_c1d69bd0da7ca0d9.txt"
    at = next(i for i, c in enumerate(commands) if c.startswith("readinglist import "))
    commands.insert(at, f"cp {shlex.quote(str(paste))} content/listings/hf-today.txt")
    published = [c for c in _walkthrough_commands("### 7. Publish on GitHub Pages")
                 if "readinglist build" in c]
    assert published == ["READINGLIST_BASE_URL=https://you.github.io/my-papers/ "
                         "readinglist build"]
    script = "set -e\n" + "\n".join(commands + published) + "\n"
    done = subprocess.run(["bash", "-c", script], cwd=tmp_path, env=_launcher(tmp_path),
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, script + done.stdout + done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert "47 created, 0 updated, 0 unchanged, 0 skipped" in done.stdout
    site = tmp_path / "my-papers" / "site"
    assert len(list((site / "papers").glob("*/index.html"))) == 47
    assert "<id>https://you.github.io/my-papers/</id>" in (site / "feed.xml").read_text()
    committed = subprocess.run(["git", "ls-files"], cwd=tmp_path / "my-papers",
                               capture_output=True, text=True, check=True).stdout.split()
    assert "content/listings/hf-today.txt" in committed and "config.yaml" in committed
    assert not [f for f in committed if f.startswith(("site/", ".cache/", ".site."))]


# --- serve: no traceback ----------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.slow
@pytest.mark.parametrize("when", ["during the first build", "after a client hung up"])
def test_serve_stops_on_ctrl_c_without_a_traceback(tmp_path, when):
    project = tmp_path / "bundled"
    shutil.copytree(REPO / "content", project / "content")
    port = _free_port()
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--port", str(port)],
                            cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        if when == "during the first build":  # it listens, then builds 183 papers
            _once_serving(proc, lambda: socket.create_connection(("127.0.0.1", port)).close())
        else:
            def hang_up() -> None:  # ask for the biggest file, then leave without reading
                with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                    sock.sendall(b"GET /papers.json HTTP/1.1\r\nHost: x\r\n\r\n")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                    b"\x01\x00\x00\x00\x00\x00\x00\x00")

            _once_serving(proc, hang_up)
            time.sleep(0.5)
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert "Traceback" not in out and "Error" not in out, out
    assert proc.returncode in (0, 130), out


# --- a new user, from the wheel ---------------------------------------------------------

def _once_serving(proc: subprocess.Popen, attempt: Callable[[], T]) -> T:
    """``attempt()`` once the server answers: tried again on OSError (not listening yet)
    for up to 60 s, while ``proc`` runs."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return attempt()
        except OSError:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)


def _run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    assert "Traceback" not in done.stdout + done.stderr, done.stdout + done.stderr
    return done


@pytest.mark.slow
@pytest.mark.browser
def test_a_new_user_installs_the_wheel_and_starts_a_list(tmp_path, browser):
    """pip install of the built wheel into a fresh venv, then init, import, check, build
    and serve in an empty folder; the site searches from file://."""
    source = tmp_path / "source"  # what a clone holds that the package is built from
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "generator", "themes"):
        (shutil.copytree if (REPO / name).is_dir() else shutil.copyfile)(
            REPO / name, source / name)
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "READINGLIST_BASE_URL")}
    env["NO_COLOR"] = "1"
    built = _run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w",
                  str(tmp_path / "wheels"), str(source)], tmp_path, env)
    assert built.returncode == 0, built.stderr
    wheel = next((tmp_path / "wheels").glob("readinglist-*.whl"))
    # every file of the package and the theme ships: templates, static files, the
    # scaffold init writes (dot-files too), livereload.js, any data a module reads
    with zipfile.ZipFile(wheel) as archive:
        shipped = {name for name in archive.namelist() if ".dist-info/" not in name}
    wanted = {f"generator/{p.relative_to(source / 'generator').as_posix()}"
              for p in (source / "generator").rglob("*") if p.is_file()} | \
        {f"generator/themes/{p.relative_to(source / 'themes').as_posix()}"
         for p in (source / "themes").rglob("*") if p.is_file()}
    assert shipped == {name for name in wanted if "__pycache__" not in name}
    venv = tmp_path / "venv"
    assert _run([sys.executable, "-m", "venv", str(venv)], tmp_path, env).returncode == 0
    installed = _run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], tmp_path, env)
    assert installed.returncode == 0, installed.stderr
    tool = str(venv / "bin" / "readinglist")

    home = tmp_path / "empty"
    home.mkdir()
    assert _run([tool, "init"], home, env).returncode == 0
    listing = home / "content" / "listings" / "hf.txt"
    shutil.copyfile(REPO / "content" / "listings" / "003_c1d69bd0da7ca0d9.txt", listing)
    imported = _run([tool, "import", "content/listings/hf.txt", "--year", "2026"], home, env)
    assert imported.returncode == 0, imported.stdout + imported.stderr
    papers = sorted((home / "content" / "papers").glob("*.md"))
    assert len(papers) > 20
    checked = _run([tool, "check", "--strict"], home, env)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    done = _run([tool, "build"], home, env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (home / "site" / "static" / "vendor" / "lunr" / "lunr.min.js").read_bytes() == \
        (REPO / "themes/default/static/vendor/lunr/lunr.min.js").read_bytes()

    port = _free_port()
    proc = subprocess.Popen([tool, "serve", "--port", str(port)], cwd=home,
                            env={**env, "PYTHONUNBUFFERED": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        def front_page() -> bytes:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
                sock.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
                answer = b""
                while chunk := sock.recv(65536):
                    answer += chunk
            return answer

        answer = _once_serving(proc, front_page)
        assert answer.startswith(b"HTTP/1.0 200") and b"<!DOCTYPE html>" in answer
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Traceback" not in out, out
    assert out.rstrip().endswith("Stopped.")

    title = yaml.safe_load(papers[0].read_text().split("---")[1])["title"]
    words = " ".join(re.findall(r"[A-Za-z]{4,}", title)[:2]).lower()
    context = browser.new_context()
    page = context.new_page()
    page.goto((home / "site" / "index.html").as_uri())
    page.locator("#rl-q").click()
    page.keyboard.type(words, delay=20)
    page.wait_for_function(
        """t => [...document.querySelectorAll('#rl-q-listbox [role=option] .rl-result-title')]
               .some(o => o.textContent === t)""", arg=title, timeout=10_000)
    context.close()


@pytest.mark.slow
def test_serve_answers_a_burst_of_500_simultaneous_requests(tmp_path):
    """Loopback only, bounded: 500 GETs at once, every one answered within 10 s."""
    from concurrent.futures import ThreadPoolExecutor

    project = tmp_path / "p"
    (project / "content" / "papers").mkdir(parents=True)
    (project / "content" / "papers" / "also-good.md").write_text(GOOD)
    port = _free_port()
    env = {**os.environ, "NO_COLOR": "1", "PYTHONUNBUFFERED": "1", "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-m", "generator", "serve", "--port", str(port)],
                            cwd=project, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)

    def get(_: int) -> bytes:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"GET /papers/also-good/ HTTP/1.0\r\nHost: x\r\n\r\n")
            answer = b""
            while chunk := sock.recv(65536):
                answer += chunk
            return answer[:12]

    try:
        assert _once_serving(proc, lambda: get(0)) == b"HTTP/1.0 200"
        started = time.monotonic()
        with ThreadPoolExecutor(500) as pool:
            answers = list(pool.map(get, range(500)))
        took = time.monotonic() - started
    finally:
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert answers == [b"HTTP/1.0 200"] * 500
    assert took < 10, took
    assert "Traceback" not in out, out


# --- which readinglist the Pages workflow installs -------------------------------------

def test_the_workflow_installs_the_repository_readinglist_came_from(tmp_path):
    """pip's record of the install names the repository: a git install its URL and commit;
    `pip install .` the folder, whose clone knows its origin (an SSH one rewritten to https,
    a CI machine has no key). Never "readinglist==VERSION": that name on PyPI is another
    project's."""
    git = {"url": "https://github.com/me/readinglist.git",
           "vcs_info": {"vcs": "git", "commit_id": "0123abc"}}
    assert requirement(git) == "readinglist @ git+https://github.com/me/readinglist.git@0123abc"

    clone = tmp_path / "readinglist"
    clone.mkdir()
    run = functools.partial(subprocess.run, cwd=clone, check=True, capture_output=True)
    run(["git", "init", "-q"])
    run(["git", "-c", "user.name=t", "-c", "user.email=t@e.org", "commit", "-q",
         "--allow-empty", "-m", "x"])
    head = run(["git", "rev-parse", "HEAD"], text=True).stdout.strip()
    folder = {"url": clone.as_uri(), "dir_info": {"editable": True}}
    assert requirement(folder) is None  # no remote: nothing a CI machine could clone
    run(["git", "remote", "add", "origin", "git@github.com:me/readinglist.git"])
    # HEAD only here: the machine could not fetch it, it gets the remote's default branch
    assert requirement(folder) == "readinglist @ git+https://github.com/me/readinglist.git"
    run(["git", "update-ref", "refs/remotes/origin/main", "HEAD"])  # as if pushed
    assert requirement(folder) == f"readinglist @ git+https://github.com/me/readinglist.git@{head}"
    for origin, public in (
            ("https://x-access-token:ghp_SECRET@github.com/me/rl.git",  # never published
             "https://github.com/me/rl.git"),
            ("ssh://git@github.com:22/me/rl.git", "https://github.com/me/rl.git"),
            ("https://git.example.org:8443/me/rl.git", "https://git.example.org:8443/me/rl.git"),
            ("/srv/git/readinglist", None), ("file:///srv/git/readinglist", None)):
        run(["git", "remote", "set-url", "origin", origin])
        assert requirement(folder) == (f"readinglist @ git+{public}@{head}" if public
                                       else None), origin
    # a downloaded copy (no clone of its own) inside the user's list repository: not the
    # list's origin
    copy = clone / "readinglist-main"
    copy.mkdir()
    assert requirement({"url": copy.as_uri(), "dir_info": {}}) is None
    assert requirement({"url": "https://files.example/readinglist.tar.gz",
                        "archive_info": {}}) is None

    # the file: the line, after the help; or only the help, which the workflow refuses
    text = requirements_file("readinglist @ git+https://github.com/me/readinglist.git")
    assert text.endswith("\nreadinglist @ git+https://github.com/me/readinglist.git\n")
    assert all(line.startswith("#") for line in requirements_file(None).splitlines())
    workflow = yaml.safe_load((REPO / "generator/scaffold/pages.yml").read_text())
    install = next(s for s in workflow["jobs"]["build"]["steps"]
                   if s.get("name") == "Install readinglist")
    # a list made with `git init` and pushed as it is: its first branch publishes
    fresh = tmp_path / "fresh"
    fresh.mkdir()
    plain = {**os.environ, "HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1",
             "GIT_CONFIG_GLOBAL": os.devnull}
    for command in (["git", "init", "-q"], ["git", "-c", "user.name=t", "-c",
                                            "user.email=t@e.org", "commit", "-q",
                                            "--allow-empty", "-m", "x"]):
        subprocess.run(command, cwd=fresh, env=plain, check=True, capture_output=True)
    branch = subprocess.run(["git", "branch", "--show-current"], cwd=fresh, env=plain,
                            check=True, capture_output=True, text=True).stdout.strip()
    pushed = workflow[True]["push"]["branches"]  # YAML 1.1 reads the key `on` as True
    assert branch in pushed and "main" in pushed, (branch, pushed)
    refuse = "\n".join(install["run"].splitlines()[:-1])  # all but the pip install
    assert install["run"].splitlines()[-1] == "pip install -r requirements.txt"
    for text, ok in ((requirements_file(None), False),
                     (requirements_file("readinglist @ git+https://e.org/r.git"), True),
                     (requirements_file("git+https://e.org/r.git@abc"), True),
                     (requirements_file("readinglist==0.1.0"), False),  # PyPI's namesake
                     (requirements_file("ReadingList >= 0.2"), False),
                     (requirements_file("readinglist"), False)):
        (tmp_path / "requirements.txt").write_text(text)
        done = subprocess.run(  # as the Actions runner runs a step
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", refuse],
            cwd=tmp_path, capture_output=True, text=True, check=False)
        assert (done.returncode == 0) == ok
        assert ok or "::error file=requirements.txt::" in done.stdout


def _run_steps(workflow: dict, cwd: Path, bin_dir: Path) -> list[subprocess.CompletedProcess]:
    """The build job's `run` steps, as the Actions runner runs them, until one fails; the
    address configure-pages gives a project site is https://you.github.io/lab (no slash)."""
    done = []
    for step in workflow["jobs"]["build"]["steps"]:
        if "run" not in step:
            continue
        env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
               "NO_COLOR": "1"}
        env.pop("READINGLIST_BASE_URL", None)
        env.pop("SOURCE_DATE_EPOCH", None)
        for name, value in (step.get("env") or {}).items():
            env[name] = value.replace("${{ steps.pages.outputs.base_url }}",
                                      "https://you.github.io/lab")
        done.append(subprocess.run(["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c",
                                    step["run"]], cwd=cwd, env=env, capture_output=True,
                                   text=True, check=False))
        if done[-1].returncode:
            break
    return done


def test_the_workflow_init_writes_builds_the_folder_it_uploads(tmp_path, monkeypatch, capsys,
                                                                quiet):
    """The workflow's steps run as written (pip stands in: it has nothing to fetch here) in
    a list made by init: the upload step's folder holds the site at the Pages address, also
    with output_dir set (the workflow uploaded site/, built elsewhere: a failed deploy);
    without requirements.txt the install step says that is what is missing."""
    monkeypatch.chdir(tmp_path)
    assert status("init", "lab") == 0
    root = tmp_path / "lab"
    (root / "config.yaml").write_text("title: Lab\noutput_dir: public\n")
    (root / "content" / "papers" / "also-good.md").write_text(GOOD)
    (root / "requirements.txt").write_text(
        requirements_file("readinglist @ git+https://github.com/me/readinglist@0123abc"))
    git = functools.partial(subprocess.run, cwd=root, check=True, capture_output=True)
    git(["git", "init", "-q"])
    git(["git", "add", "-A"])
    git(["git", "-c", "user.name=t", "-c", "user.email=t@e.org", "commit", "-q", "-m", "x"])
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "pip").write_text('#!/bin/sh\necho "pip $*"\n')
    (shims / "pip").chmod(0o755)
    (shims / "readinglist").symlink_to(Path(sys.executable).parent / "readinglist")
    workflow = yaml.safe_load((root / ".github/workflows/pages.yml").read_text())

    done = _run_steps(workflow, root, shims)
    assert [d.returncode for d in done] == [0, 0, 0], [d.stdout + d.stderr for d in done]
    assert "pip install -r requirements.txt" in done[0].stdout
    upload = next(s for s in workflow["jobs"]["build"]["steps"]
                  if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    index = (root / upload["with"]["path"] / "index.html").read_text(encoding="utf-8")
    assert '<link rel="canonical" href="https://you.github.io/lab/">' in index
    assert "https://you.github.io/lab/sitemap.xml" in \
        (root / upload["with"]["path"] / "robots.txt").read_text()

    # this repository's own workflow uses the same actions, at the same versions
    def actions(flow: dict) -> set[str]:
        return {s["uses"] for job in flow["jobs"].values() for s in job["steps"] if "uses" in s}
    assert actions(yaml.safe_load((REPO / ".github/workflows/pages.yml").read_text())) == \
        actions(workflow)

    (root / "requirements.txt").unlink()
    (failed,) = _run_steps(workflow, root, shims)
    assert failed.returncode == 1 and "::error::no requirements.txt" in failed.stdout
    assert "pip install" not in failed.stdout
