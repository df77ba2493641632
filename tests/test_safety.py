"""Nothing lost, nothing leaked: bounded YAML, comments kept through every edit."""

from __future__ import annotations

import ctypes
import html
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator import cli
from generator.content import edit_front_matter, render_file
from generator.ingest import apply_plan, plan_import
from generator.model import Entry, Listing

GOOD = "---\ntitle: A Good Paper\ndate: 2024-08-21\n---\n"
BOMB = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
    f"{c}: &{c} [" + ", ".join([f"*{p}"] * 9) + "]\n"
    for p, c in zip("abcdefgh", "bcdefghi", strict=True))
DEEP = "[" * 5000 + "]" * 5000
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def project(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    (tmp_path / "content" / "papers").mkdir(parents=True)
    (tmp_path / "content" / "papers" / "good.md").write_text(GOOD)
    return tmp_path


def status(*argv: str) -> int:
    try:
        return cli.main(list(argv))
    except SystemExit as exc:
        return int(exc.code or 0)


def site_bytes(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes()
            for p in sorted((root / "site").rglob("*")) if p.is_file()}


@pytest.mark.parametrize(("where", "text", "line", "message"), [
    ("content", f"---\ntitle: Bomb\nextra:\n{BOMB}---\n", None,
     "YAML aliases expand to more than 100,000 values"),
    ("content", f"---\ntitle: Deep\ntags: {DEEP}\n---\n", 3,
     "YAML nested too deep (more than 32 levels)"),
    ("content", "---\ntitle: Big\nabstract: " + "x" * 1_100_000 + "\n---\n", 2,
     "YAML too large"),
    ("config", f"title: x\n{BOMB}", None, "YAML aliases expand to more than 100,000 values"),
    ("config", f"title: {DEEP}\n", 1, "YAML nested too deep (more than 32 levels)"),
])
def test_yaml_that_would_explode_is_an_error_in_check_build_and_import(
        project, capsys, where, text, line, message):
    assert status("build") == 0
    before = site_bytes(project)
    file = project / ("content/papers/bad.md" if where == "content" else "config.yaml")
    file.write_text(text)
    shown = file.relative_to(project).as_posix()
    started = time.monotonic()
    assert status("check") == 1
    assert status("build") == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "RecursionError" not in err
    assert err.count(f"{shown}:") >= 2 and message in err, err
    if line is not None:
        assert f"{shown}:{line}: error: {message}" in err
    assert site_bytes(project) == before
    if where == "content":  # one such file never blocks an import of the others
        (project / "page.bib").write_text("@misc{k, title={A Fresh Paper}}\n")
        assert status("import", "page.bib") == 0
        assert (project / "content/papers/a-fresh-paper.md").exists()
        assert "bad.md" in capsys.readouterr().err  # (named as left alone)
    assert time.monotonic() - started < 30


# --- comments survive every edit -------------------------------------------------------

COMMENT = st.from_regex(r"#[ a-z!?.]{0,20}", fullmatch=True)
INDENT = st.sampled_from(["", "  ", "    ", "\t"])


@settings(max_examples=1000, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture,
                                 HealthCheck.too_slow])
@given(comments=st.lists(st.tuples(st.integers(0, 12), INDENT, COMMENT), max_size=6),
       body=st.text(max_size=60), abstract=st.text(min_size=1, max_size=200),
       authors=st.lists(st.from_regex(r"[A-Z][a-z]{1,8} [A-Z][a-z]{1,8}", fullmatch=True),
                        min_size=1, max_size=5), tags=st.lists(
        st.from_regex(r"[a-z]{2,8}", fullmatch=True), max_size=3))
def test_reimport_keeps_every_user_byte_comments_at_any_indentation(
        tmp_path_factory, comments, body, abstract, authors, tags):
    """Random user edits (comments anywhere in the front matter, at any indentation, tags,
    a key of their own, notes), then a re-import of a changed listing: every line the user
    wrote is still there, in order."""
    papers = tmp_path_factory.mktemp("papers")
    first = Entry(title="Landmark Attention", authors=("Ada One",), abstract="Old text.",
                  date="2023-05-25", line=1)
    plan = plan_import([Listing("a.txt", "hf-daily-papers", entries=(first,))], papers,
                       added="2026-01-01")
    apply_plan(plan, papers)
    (path,) = papers.glob("*.md")
    lines = path.read_text().split("\n")
    fm_end = lines.index("---", 1)
    user_lines = []
    for at, indent, comment in comments:  # comments at random places inside the front matter
        where = 1 + at % (fm_end - 1) if fm_end > 1 else 1
        lines.insert(where, indent + comment)
        user_lines.append(indent + comment)
        fm_end += 1
    lines.insert(fm_end, "mine: kept as written")
    user_lines.append("mine: kept as written")
    text = "\n".join(lines)
    text = edit_front_matter(text, {"tags": tags}) if tags else text
    safe_body = "".join(ch for ch in body if ch.isprintable() and ch != "-").strip()
    text = text.rstrip("\n") + "\n" + (f"\n{safe_body}\n" if safe_body else "")
    path.write_text(text)
    try:
        yaml.safe_load(text.split("---\n")[1])
    except yaml.YAMLError:
        return  # (a comment where YAML does not allow one: not a file a user keeps)
    changed = Entry(title="Landmark Attention", authors=tuple(authors),
                    abstract=abstract.strip() or "x", date="2023-05-25", line=1)
    apply_plan(plan_import([Listing("b.txt", "hf-daily-papers", entries=(changed,))],
                           papers, added="2026-02-02"), papers)
    after = path.read_text().split("\n")
    for line in user_lines:
        assert after.count(line) >= user_lines.count(line), (line, after)
    if safe_body:
        assert path.read_text().endswith(f"\n{safe_body}\n")
    shutil.rmtree(papers)


def test_an_indented_comment_after_an_imported_key_survives_reimport(tmp_path):
    text = render_file({"title": "A", "abstract": "Old."})
    text = text.replace("abstract: Old.\n", "abstract: Old.\n  # my note about the abstract\n")
    new = edit_front_matter(text, {"abstract": "A new, longer abstract."})
    assert "  # my note about the abstract\n" in new
    assert yaml.safe_load(new.split("---\n")[1]) == {"title": "A",
                                                      "abstract": "A new, longer abstract."}


# --- quiet acceptance --------------------------------------------------------------------

@pytest.mark.parametrize(("front", "message"), [
    ("year: 99999999999", "3: error: year: expected a four-digit year, got 99999999999"),
    ("year: 99", "3: error: year: expected a four-digit year, got 99"),
    ("author_count: -1", "3: error: author_count: expected a count from 0, got -1"),
])
def test_numbers_out_of_range_fail_check_and_build(project, capsys, front, message):
    (project / "content/papers/odd.md").write_text(f"---\ntitle: Odd\n{front}\n---\n")
    assert status("check") == 1
    assert status("build") == 1
    assert capsys.readouterr().err.count(f"content/papers/odd.md:{message}") == 2


def test_a_key_written_twice_is_an_error_in_content_and_config(project, capsys):
    (project / "content/papers/twice.md").write_text(
        "---\ntitle: A\ndate: 2024-01-02\ntitle: B\n---\n")
    assert status("check") == 1
    assert status("build") == 1
    assert capsys.readouterr().err.count(
        "content/papers/twice.md:4: error: invalid YAML in front matter: duplicate key "
        "'title' (first on line 2); keep one") == 2
    (project / "content/papers/twice.md").unlink()
    (project / "config.yaml").write_text("title: A\nfeed_size: 5\ntitle: B\n")
    assert status("check") == 1
    assert status("build") == 1
    assert capsys.readouterr().err.count(
        "config.yaml:3: error: duplicate key 'title' (first on line 1); keep one") == 2
    # the value YAML keeps is the last one: a problem with it names the last line
    (project / "config.yaml").write_text("page_size: 10\ntitle: A\npage_size: -3\n")
    assert status("check") == 1
    err = capsys.readouterr().err
    assert "config.yaml:3: error: 'page_size' must be 0 (no pages) or more" in err
    assert "config.yaml:1: error: 'page_size'" not in err


# --- one rule for what is content ---------------------------------------------------------

def test_hidden_files_are_neither_checked_nor_built(project, capsys):
    papers = project / "content" / "papers"
    (papers / ".hidden.md").write_text("---\ntitle: [broken\n")
    (papers / ".backup").mkdir()
    (papers / ".backup" / "old.md").write_text(GOOD)
    assert status("check", "--strict") == 0
    assert status("build") == 0
    assert "Built 1 paper, " in capsys.readouterr().out


def test_a_link_inside_the_project_is_followed(project, capsys):
    (project / "notes").mkdir()
    (project / "notes" / "real.md").write_text("---\ntitle: Linked Paper\n---\n")
    (project / "content/papers/linked.md").symlink_to(project / "notes" / "real.md")
    assert status("check", "--strict") == 0
    assert status("build") == 0
    assert (project / "site/papers/linked/index.html").exists()


@pytest.mark.parametrize("kind", ["outside", "loop", "dangling", "fifo"])
def test_links_out_of_the_project_or_in_a_loop_and_pipes_fail_check_and_build(
        project, tmp_path_factory, capsys, kind):
    assert status("build") == 0
    before = site_bytes(project)
    papers = project / "content" / "papers"
    if kind == "outside":
        secret = tmp_path_factory.mktemp("elsewhere") / "private.md"
        secret.write_text("---\ntitle: Private Diary\n---\nDo not publish.\n")
        (papers / "x.md").symlink_to(secret)
        message = f"content/papers/x.md: error: a link to {secret.resolve()}, outside the " \
                  f"project; copy the file here instead"
    elif kind == "loop":
        (papers / "loop").symlink_to(papers)
        message = "content/papers/loop: error: a link that leads back to a folder it is in"
    elif kind == "dangling":
        (papers / "gone.md").symlink_to(project / "nowhere.md")
        message = "content/papers/gone.md: error: a link to nothing; remove it"
    else:  # (it was called a link to nothing)
        os.mkfifo(papers / "pipe.md")
        message = "content/papers/pipe.md: error: not a file (a named pipe, a socket or a " \
                  "device); remove it"
    assert status("check") == 1
    assert status("build") == 1
    err = capsys.readouterr().err
    assert err.count(message) == 2, err
    assert "Traceback" not in err and "Private Diary" not in err
    assert site_bytes(project) == before
    (project / "page.bib").write_text("@misc{k, title={A Fresh Paper}}\n")
    assert status("import", "page.bib") == 0  # (the link is named and left alone)
    assert "left alone" in capsys.readouterr().err


# --- crash-safe site updates ---------------------------------------------------------------

def _project_of(root: Path, n: int) -> Path:
    papers = root / "content" / "papers"
    papers.mkdir(parents=True)
    for i in range(n):
        (papers / f"paper-{i:04d}.md").write_text(render_file({
            "title": f"A paper on topic {i}", "authors": [f"Ada Writer{i % 17}"],
            "date": f"20{10 + i % 15}-0{1 + i % 9}-1{i % 9}", "tags": [f"tag-{i % 11}"],
            "abstract": "Words about the topic. " * 20}, f"Notes {i}.\n"))
    return root


def _edit(root: Path) -> None:
    """An edit and a new paper: a handful of pages change, most stay."""
    first = root / "content/papers/paper-0001.md"
    first.write_text(first.read_text() + "\nMore notes.\n")
    (root / "content/papers/zz-new.md").write_text("---\ntitle: A new paper\n---\n")


def _run(root: Path, *args: str) -> subprocess.Popen:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.slow
def test_a_build_killed_at_any_moment_leaves_the_old_site_or_the_new_never_a_mix(tmp_path):
    reference = _project_of(tmp_path / "reference", 400)
    assert _run(reference, "build").wait(120) == 0
    old = site_bytes(reference)
    _edit(reference)
    assert _run(reference, "build").wait(120) == 0
    new = site_bytes(reference)
    assert old != new
    root = _project_of(tmp_path / "p", 400)
    outcomes = []
    for trial in range(6):
        shutil.rmtree(root / "content")
        shutil.copytree(tmp_path / "reference" / "content", root / "content")
        for name in ("paper-0001.md", "zz-new.md"):  # back to the old content
            (root / "content/papers" / name).unlink()
        (root / "content/papers/paper-0001.md").write_text(
            (tmp_path / "reference/content/papers/paper-0001.md").read_text()
            .replace("\nMore notes.\n", ""))
        assert _run(root, "build").wait(120) == 0
        assert site_bytes(root) == old
        _edit(root)
        site_inode = os.stat(root / "site").st_ino
        proc = _run(root, "build")
        deadline = time.monotonic() + (0.05 + 0.3 * trial if trial % 2 else 60)
        while proc.poll() is None and time.monotonic() < deadline:
            try:  # the first change of site/: kill right then (odd trials: at some moment)
                if trial % 2 == 0 and os.stat(root / "site").st_ino != site_inode:
                    break
            except FileNotFoundError:
                break
        proc.kill()
        proc.wait(30)
        if (root / "site").exists():
            now = site_bytes(root)
            assert now in (old, new), trial  # never a mix
            outcomes.append("new" if now == new else "old")
        else:  # the instant between two renames where the system cannot swap: recovered
            outcomes.append("missing")
        assert _run(root, "build").wait(120) == 0  # (it puts back, cleans up, builds)
        assert site_bytes(root) == new
        assert not [p.name for p in root.iterdir() if p.name.startswith((".site.new-",
                                                                          ".site.old-"))]
    assert "new" in outcomes or "old" in outcomes


CTRL_C_DURING_A_FORK = """
import os, signal, sys
from generator.make import Background
from generator.parallel import fork_map
from generator.plan import Part

os.register_at_fork(before=lambda: os.kill(os.getpid(), signal.SIGINT))
try:
    if sys.argv[1] == "workers":
        fork_map(abs, list(range(1000)), jobs=2)
    else:
        with Background(jobs=2) as background:
            background.start(Part("search", "search", "k", make=dict))
    print("went on")
except KeyboardInterrupt:
    print("stopped")
"""


@pytest.mark.parametrize("fork", ["workers", "background"])
def test_ctrl_c_while_a_build_forks_stops_it(tmp_path, fork):
    """A Ctrl+C (or SIGTERM) that came while the build forked its workers or its search
    index's process was run in fork's own hooks, which print 'Exception ignored' and drop
    the KeyboardInterrupt: the build went on. It waits for the fork, then stops it."""
    done = subprocess.run([sys.executable, "-c", CTRL_C_DURING_A_FORK, fork], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.stdout, done.stderr) == ("stopped\n", "")


KILLED_PARENT = """
import os, signal, sys
from generator.make import Background
from generator.plan import Part

with Background(jobs=2) as background:
    background.start(Part("big", "search", "k", make=lambda: {"x": bytes(4 << 20)}))
    print(background.running[0].pid, flush=True)
    sys.stdin.readline()  # (the child is making its result)
    os.kill(os.getpid(), signal.SIGKILL)  # killed before it reads the result
"""


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"  # (not yet reaped)
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
def test_a_background_worker_of_a_killed_build_ends(tmp_path):
    """A build killed while a worker makes a big part (the search index): the worker ends.
    It kept the parent's end of their pipe open, so its result, bigger than a pipe holds,
    waited for ever for a reader (a process left behind by each killed build)."""
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT], cwd=tmp_path,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert parent.stdout is not None and parent.stdin is not None
    child = int(parent.stdout.readline())
    parent.stdin.write("\n")
    parent.stdin.close()
    assert parent.wait(30) == -9
    deadline = time.monotonic() + 30
    try:
        while not _gone(child):
            assert time.monotonic() < deadline, "the worker of the killed build lives on"
            time.sleep(0.05)
    finally:
        if not _gone(child):
            os.kill(child, 9)


def test_edits_keep_a_files_mode_and_clear_what_a_killed_edit_left(project, capsys):
    paper = project / "content/papers/good.md"
    paper.chmod(0o644)
    leftover = project / "content/papers/.good.md.999999-0123abcd.tmp"  # (pid 999999: gone)
    leftover.write_text("half")
    in_use = project / f"content/papers/.good.md.{os.getpid()}-0123abcd.tmp"  # (alive)
    in_use.write_text("being written")
    assert status("status", "good", "read") == 0
    assert (paper.stat().st_mode & 0o777) == 0o644
    assert not leftover.exists() and in_use.exists()
    assert status("tag", "good", "--add", "x") == 0
    assert status("rate", "good", "3") == 0
    assert (paper.stat().st_mode & 0o777) == 0o644
    (project / "page.bib").write_text("@misc{k, title={A Good Paper}, author={Ada One}}\n")
    assert status("import", "page.bib") == 0
    assert (paper.stat().st_mode & 0o777) == 0o644 and "Ada One" in paper.read_text()


def test_a_new_file_gets_the_users_usual_mode(project):
    old = os.umask(0o022)
    try:
        assert status("new", "Brand New Paper") == 0
        (project / "page.bib").write_text("@misc{k, title={Imported Paper}}\n")
        assert status("import", "page.bib") == 0
    finally:
        os.umask(old)
    for name in ("brand-new-paper.md", "imported-paper.md"):
        assert (project / "content/papers" / name).stat().st_mode & 0o777 == 0o644


# --- links, full disks, stopped commands ---------------------------------------------------

def test_edits_write_through_a_link_and_the_link_stays(project, capsys):
    """A content file kept elsewhere in the project and linked in: tag, status, rate and a
    re-import change the file it points to; the link stays a link."""
    (project / "notes").mkdir()
    real = project / "notes" / "real.md"
    real.write_text("---\ntitle: Linked Paper\n---\nMy notes.\n")
    link = project / "content/papers/linked.md"
    link.symlink_to(Path("../../notes/real.md"))
    assert status("status", "linked", "read") == 0
    assert status("tag", "linked", "--add", "kept") == 0
    assert status("rate", "linked", "4") == 0
    (project / "page.bib").write_text("@misc{k, title={Linked Paper}, author={Ada One}}\n")
    assert status("import", "page.bib") == 0
    assert link.is_symlink() and os.readlink(link) == "../../notes/real.md"
    text = real.read_text()
    assert "status: read" in text and "- kept" in text and "rating: 4" in text
    assert "Ada One" in text and text.endswith("My notes.\n")
    assert sorted(p.name for p in real.parent.iterdir()) == ["real.md"]  # (no temp file)


def test_atomic_write_never_replaces_a_file_when_asked_for_a_new_one(tmp_path):
    from generator.writer import atomic_write

    mine = tmp_path / "mine.md"
    mine.write_text("written meanwhile")
    with pytest.raises(FileExistsError):
        atomic_write(mine, b"new", exclusive=True)
    assert mine.read_text() == "written meanwhile"
    atomic_write(tmp_path / "other.md", b"new", exclusive=True)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mine.md", "other.md"]


def _limited(root: Path, size: int, *args: str) -> subprocess.CompletedProcess:
    """A command run where no file may grow past ``size`` bytes: a disk that fills up."""
    import resource

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (size, size))

    env = {**os.environ, "NO_COLOR": "1", "PYTHONPATH": str(Path(__file__).parent.parent)}
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=root, env=env,
                          capture_output=True, text=True, preexec_fn=limit, timeout=120)


@pytest.mark.skipif(sys.platform != "linux", reason="needs RLIMIT_FSIZE")
def test_a_full_disk_is_a_clear_error_and_nothing_is_half_written(project):
    assert status("build") == 0
    before = site_bytes(project)
    files = sorted(p.name for p in (project / "content/papers").iterdir())
    ran = _limited(project, 40, "new", "A Paper Written On A Full Disk")
    assert ran.returncode == 1, ran.stderr
    assert ran.stderr.startswith("content/papers/a-paper-written-on-a-full-disk.md: error: "
                                 "File too large; each file is as it was or fully written")
    (project / "page.bib").write_text("@misc{k, title={A Paper Imported On A Full Disk}}\n")
    ran = _limited(project, 40, "import", "page.bib")
    assert ran.returncode == 1 and "error: File too large" in ran.stderr, ran.stderr
    assert sorted(p.name for p in (project / "content/papers").iterdir()) == files
    (project / "content/papers/good.md").write_text(GOOD + "New notes, not yet built.\n")
    ran = _limited(project, 2000, "build")
    assert ran.returncode == 1, ran.stderr
    assert "site: error: File too large; the site was left as it was" in ran.stderr
    assert "Traceback" not in ran.stderr + ran.stdout and "internal error" not in ran.stderr
    assert site_bytes(project) == before
    assert [p.name for p in project.iterdir() if p.name.startswith(".site.")] in (
        [], [".site.spare"])


@pytest.mark.slow
def test_a_build_stopped_by_sigterm_removes_what_it_made(tmp_path):
    """``kill`` or ``timeout`` stop a build as Ctrl+C does: the next site it was making
    goes, the site stays as it was."""
    root = _project_of(tmp_path / "p", 400)
    assert _run(root, "build").wait(120) == 0
    old = site_bytes(root)
    _edit(root)
    proc = _run(root, "build")
    deadline = time.monotonic() + 60
    while not [p for p in root.iterdir() if p.name.startswith(".site.new-")]:
        assert proc.poll() is None and time.monotonic() < deadline
    proc.terminate()
    output, _ = proc.communicate(timeout=60)
    if proc.returncode == 0:  # (it had finished: the new site)
        return
    assert proc.returncode == 130 and "Traceback" not in output, output
    assert output.strip().endswith("Interrupted.")
    assert [p.name for p in root.iterdir() if p.name.startswith(".site.new-")] == []
    assert site_bytes(root) == old


def test_what_a_killed_run_left_is_cleared_in_every_folder_and_only_that(project):
    papers = project / "content/papers"
    (papers / "2024").mkdir()
    (papers / "2024" / "deep.md").write_text("---\ntitle: Deep Paper\n---\n")
    left = [papers / "2024" / ".deep.md.999999-0123abcd.tmp",
            project / ".cache" / ".shape.pickle.999999-0123abcd.tmp"]
    mine = [papers / ".backup.2024-deadbeef", papers / ".notes.md.999999-0123abcd"]
    assert status("build") == 0
    for path in left + mine:
        path.write_text("x")
    assert status("build") == 0
    assert not left[1].exists()
    assert status("status", "deep", "read") == 0
    assert not left[0].exists()
    assert all(path.exists() for path in mine)  # (not names of ours: the user's files)


def test_a_static_override_where_the_theme_has_a_folder_is_a_clear_error(project, capsys):
    assert status("build") == 0
    before = site_bytes(project)
    static = project / "overrides" / "static"
    static.mkdir(parents=True)
    (static / "css").write_text("body { color: red }")  # the theme has static/css/
    assert status("check") == 1
    assert status("build") == 1
    err = capsys.readouterr().err
    assert err.count("overrides/static/css: error: a file where the theme has the folder "
                     "static/css/; give it another name") == 2, err
    (static / "css").unlink()
    (static / "favicon.svg").mkdir()  # the theme has the file static/favicon.svg
    (static / "favicon.svg" / "icon.svg").write_text("<svg/>")
    (project / "content/papers/good.md").write_text(GOOD + "Notes.\n")  # (an edit too)
    assert status("build") == 1
    assert status("check") == 1
    err = capsys.readouterr().err
    assert err.count("overrides/static/favicon.svg: error: a folder where the theme has the "
                     "file static/favicon.svg; give it another name") == 2, err
    assert site_bytes(project) == before


def test_a_list_whose_content_is_the_project_folder_builds_its_site_there(project, capsys):
    """content_dir: . (papers/ at the project's top) keeps the site in site/ beside it."""
    (project / "content/papers").rename(project / "papers")
    (project / "config.yaml").write_text("content_dir: .\n")
    assert status("check") == 0 and status("build") == 0, capsys.readouterr().err
    assert (project / "site/index.html").is_file()
    assert (project / "papers/good.md").read_text() == GOOD


@pytest.mark.parametrize("output", [".", "..", "content", "content/papers/site", ".cache"])
def test_a_build_never_replaces_the_project_or_its_files_with_the_site(project, capsys,
                                                                       output):
    """A build replaces its output folder whole: ``output_dir: .`` in a GitHub Pages
    repository (a ``.nojekyll`` at its root) replaced the project, notes and all."""
    (project / ".nojekyll").touch()
    (project / "content/.nojekyll").touch()
    before = {p: p.read_bytes() for p in project.rglob("*") if p.is_file()}
    (project / "config.yaml").write_text(f"output_dir: {output}\n")
    assert status("check") == 1
    assert status("build") == 1
    assert "config.yaml:1: error: 'output_dir' " in capsys.readouterr().err
    (project / "config.yaml").unlink()
    assert status("build", "--output", output) == 1
    err = capsys.readouterr().err
    assert "error: the output folder " in err and "choose a folder of its own" in err, err
    assert {p: p.read_bytes() for p in project.rglob("*") if p.is_file()} == before


def _without_reading_every_file() -> None:
    """(In the child, before it runs the command:) a root that cannot read or search
    whatever it likes, as any other user: the capabilities that let it leave the bounding
    set, so the command starts without them."""
    prctl = ctypes.CDLL(None, use_errno=True).prctl
    for capability in (1, 2):  # CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH
        if prctl(24, capability, 0, 0, 0) != 0:  # PR_CAPBSET_DROP
            raise OSError(ctypes.get_errno(), "cannot drop a capability")


def test_a_file_that_cannot_be_read_is_named_by_check_build_and_import(project):
    """Another user's file, unreadable: check and build name it (build left the site as
    it was with an internal error), import warns and imports the rest. The commands run
    in a process of their own, which under root gives up reading every file."""
    drop = _without_reading_every_file if os.geteuid() == 0 else None

    def run(*argv: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "generator", *argv], cwd=project,
                              env={**os.environ, "NO_COLOR": "1"}, capture_output=True,
                              text=True, timeout=120, check=False, preexec_fn=drop)

    assert run("build").returncode == 0
    before = site_bytes(project)
    secret = project / "content/papers/secret.md"
    secret.write_text("---\ntitle: Secret Paper\n---\n")
    secret.chmod(0)
    message = "content/papers/secret.md: error: cannot read: Permission denied"
    for command in ("check", "build"):  # (build: it was an internal error)
        done = run(command)
        assert done.returncode == 1 and message in done.stderr, done.stderr
    assert site_bytes(project) == before
    (project / "page.bib").write_text("@misc{k, title={A Fresh Paper}}\n")
    done = run("import", "page.bib")  # (it was an error, nothing imported)
    assert done.returncode == 0, done.stderr
    assert "secret.md: warning: cannot read: Permission denied" in done.stderr
    assert (project / "content/papers/a-fresh-paper.md").exists()


def test_a_cache_file_cut_short_never_fails_or_changes_the_next_build(project, capsys):
    """``.cache/`` is written without waiting for the disk: after a power cut any of its
    files may be cut short. The next build is as a cold build would make it."""
    for i in range(3):
        (project / f"content/papers/p{i}.md").write_text(
            f"---\ntitle: Paper {i}\ntags: [t{i}]\n---\nNotes {i}.\n")
    assert status("build") == 0
    (project / "content/papers/p1.md").write_text("---\ntitle: Paper 1\n---\nNew notes.\n")
    cache = project / ".cache"
    for file in sorted(cache.rglob("*")):
        if file.is_file() and file.suffix in (".pickle", ".cache"):
            file.write_bytes(file.read_bytes()[:50])  # (inside the checksum of a template)
    assert status("build") == 0, capsys.readouterr().err
    warm = site_bytes(project)
    shutil.rmtree(cache)
    shutil.rmtree(project / "site")
    assert status("build") == 0
    assert site_bytes(project) == warm


def test_import_never_writes_a_file_the_build_refuses(project, capsys):
    """An entry of megabytes (an abstract pasted whole) made a file past the YAML limits:
    the build refused it, and each import after left it alone and wrote another copy."""
    (project / "huge.bib").write_text("@misc{k, title={A Huge Paper}, abstract={"
                                      + "word " * 250_000 + "}}\n")
    for _ in range(2):
        assert status("import", "huge.bib") == 1
        err = capsys.readouterr().err
        assert "content/papers/a-huge-paper.md: error: not written: YAML too large" in err
    assert sorted(p.name for p in (project / "content/papers").iterdir()) == ["good.md"]
    assert status("build") == 0


def test_a_site_folder_that_is_a_link_is_built_where_it_points(project, tmp_path_factory):
    """``site -> /var/www/papers``: the link was swapped away for a folder of its own, and
    the folder it pointed to was never updated again."""
    served = tmp_path_factory.mktemp("www") / "papers"
    served.mkdir()
    (project / "site").symlink_to(served)
    for notes in ("", "More notes.\n"):
        (project / "content/papers/good.md").write_text(GOOD + notes)
        assert status("build") == 0
        assert (project / "site").is_symlink()
        page = (served / "papers/good/index.html").read_text()
        assert ("More notes." in page) == bool(notes)
    assert not [p.name for p in project.iterdir() if p.name.startswith(".site.")]


def test_one_paper_in_two_files_is_an_error_for_check_build_and_serve(project, capsys):
    """The site has one page per paper: a second file of the same paper (a copy kept
    while editing, an import under another name) would publish it twice, so check, build
    and the dev server's build (``build.build``, in memory) all refuse it, alike."""
    from generator.build import build
    from generator.config import load_config
    from generator.diagnostics import BuildError

    (project / "content/papers/copy.md").write_text(GOOD.replace("A Good", "a good"))
    assert status("check") == 1
    assert status("build") == 1
    out, err = capsys.readouterr()
    message = "error: title: same paper as content/papers/good.md"
    # check and build alike name the title's line in each file
    assert err.count(f"content/papers/copy.md:2: {message}:2; keep one file") == 2, err
    assert "Build failed: 2 errors;" in out
    config, _ = load_config(project / "config.yaml")
    with pytest.raises(BuildError) as raised:
        build(config)
    assert [(d.path, d.line) for d in raised.value.diagnostics] == [
        ("content/papers/copy.md", 2), ("content/papers/good.md", 2)]


def test_a_brace_in_an_arxiv_id_or_category_cannot_add_a_bibtex_entry(project):
    """``arxiv`` and ``category`` written by hand went into papers.bib as they were: a
    ``}}`` closed the entry and whatever followed was read as an entry of its own."""
    from generator.listings import parse_listing

    (project / "content/papers/good.md").write_text(
        "---\ntitle: A Good Paper\ndate: 2024-08-21\n"
        "arxiv: '2408.00001}} @misc{evil1, title={Injected by arxiv}'\n"
        "category: 'CL}} @misc{evil2, title={Injected by category}'\n---\n")
    assert status("build") == 0
    for bib in ("papers.bib", "years/2024/papers.bib"):
        back = parse_listing((project / "site" / bib).read_text(), bib, year=2024)
        assert [e.title for e in back.entries] == ["A Good Paper"], bib
        assert not [d for d in back.diagnostics if d.severity == "error"], bib


@pytest.mark.parametrize("title, unsafe", [
    (r"Reading \input{/etc/passwd} for fun", r"\input"),
    (r"Shell \immediate\write18{rm -rf ~}", r"\write18"),
    (r"Math $\csname input\endcsname{x}$ too", r"\csname"),
    (r"Redefined \def\LaTeX{pwned}", r"\def"),
    ("Caret ^^5cinput{secret} trick", "^^5c"),
])
def test_a_title_cannot_run_latex_in_a_document_that_cites_it(project, title, unsafe):
    """papers.bib keeps a title's LaTeX (``\\textit``, ``$O(n^2)$``) for the documents
    that cite it; a title from a pasted page that reads files, runs programs or defines
    commands there is written as text (TeX also reads ``^^5c`` as a backslash)."""
    (project / "content/papers/good.md").write_text(
        f"---\ntitle: '{title}'\nauthors: ['A \\input{{x}} B']\ndate: 2024-08-21\n---\n")
    assert status("build") == 0
    page = html.unescape((project / "site/papers/good/index.html").read_text())
    block = page.split('id="cite-bibtex"', 1)[1].split("</pre>", 1)[0]
    for bib in ("papers.bib", "years/2024/papers.bib", "the page's BibTeX"):
        text = block if bib == "the page's BibTeX" else (project / "site" / bib).read_text()
        assert unsafe not in text.replace("\\textbackslash{}", "!"), bib
        assert "\\input{x}" not in text.replace("\\textbackslash{}", "!"), bib
    assert "\\textbackslash{}" in (project / "site/papers.bib").read_text()


def test_a_control_character_in_content_leaves_every_feed_well_formed(project):
    """XML 1.0 has no escape for most C0 controls: one pasted in a title, an author or
    notes made feed.xml unreadable to every feed reader."""
    import xml.etree.ElementTree as ET

    (project / "config.yaml").write_text('title: "My \\x07 list"\n'
                                         'base_url: "https://example.org/"\n')
    (project / "content/papers/good.md").write_text(
        '---\ntitle: "Bell \\x07 and \\x1b escape"\nauthors: ["Ann \\x02 Lee"]\n'
        'tags: ["t\\x0bag"]\ndate: 2024-08-21\nabstract: "form \\x0c feed"\n---\n'
        "Notes \x01 here.\n")
    assert status("build") == 0
    feeds = sorted((project / "site").rglob("*.xml"))
    assert [p.name for p in feeds].count("feed.xml") == 2
    for path in feeds:
        root = ET.parse(path).getroot()  # (raises on a character XML forbids)
        assert not any(c in ET.tostring(root, encoding="unicode")
                       for c in "\x01\x02\x07\x0b\x0c\x1b")
    atom = "{http://www.w3.org/2005/Atom}"
    entry = ET.parse(project / "site/feed.xml").getroot().find(atom + "entry")
    assert entry is not None
    assert (entry.findtext(atom + "title") or "").split() == ["Bell", "and", "escape"]


@pytest.mark.parametrize("where", ["content", "config"])
def test_half_a_character_escaped_in_yaml_is_an_error_not_a_crash(project, capsys, where):
    """``"\\uD83D"`` alone (half of an emoji's escape): PyYAML reads it, no UTF-8 file can
    hold it, and the build stopped with an internal error writing the first page."""
    if where == "content":
        (project / "content/papers/good.md").write_text(
            '---\ntitle: A Good Paper\nabstract: "smile \\uD83D here"\n---\n')
        shown = "content/papers/good.md:3"
    else:
        (project / "config.yaml").write_text('title: Mine\ndescription: "a \\uD83D"\n')
        shown = "config.yaml:2"
    for verb in ("check", "build"):
        assert status(verb) == 1
        err = capsys.readouterr().err
        assert f"{shown}: error: a '\\uD800'-'\\uDFFF' escape alone is half a character" \
            in err, err
        assert "internal error" not in err
    (project / "content/papers/good.md").write_text(  # a whole pair is one character
        "---\ntitle: A Good Paper\nabstract: \"smile \\U0001F600\"\n"
        "venue: '\\uD83D as text'\n---\n")
    (project / "config.yaml").write_text("title: Mine\n")
    assert status("build") == 0


def test_half_a_character_in_csl_json_is_imported_as_a_replacement_character(project,
                                                                             capsys):
    """A CSL-JSON export with a lone ``\\ud83d`` (a tool that cut an emoji in two): the
    import stopped with an internal error writing the content file."""
    (project / "zotero.json").write_text(
        '[{"type": "article-journal", "title": "Cut \\ud83d emoji \\ud83d\\ude00",'
        ' "issued": {"date-parts": [[2024]]}}]')
    assert status("import", "zotero.json") == 0
    written = (project / "content/papers/cut-emoji.md").read_text(encoding="utf-8")
    assert yaml.safe_load(written.split("---")[1])["title"] == "Cut \ufffd emoji \U0001F600"
    assert status("build") == 0
    assert "internal error" not in capsys.readouterr().err


@pytest.mark.parametrize(("month", "day"), [("²", "1"), ("1", "³"), ("9" * 5000, "1"),
                                            ("1", "9" * 5000)])
def test_odd_digits_in_an_exported_date_never_stop_the_import(month, day):
    """``str.isdigit`` takes "²" and 5,000 digits, which ``int()`` refuses: the parser,
    which never raises on bad text, raised ValueError."""
    from generator.listings import parse_listing

    bib = f"@article{{k, title={{A Title}}, year={{2024}}, month={{{month}}}, day={{{day}}}}}"
    csl = ('[{"type": "article-journal", "title": "A Title", "issued": {"date-parts": '
           f'[[2024, "{month}", "{day}"]]}}}}]')
    for text, source in ((bib, "a.bib"), (csl, "a.json")):
        entry, = parse_listing(text, source, year=2024).entries
        assert entry.date in ("2024", "2024-01"), source


def test_a_count_of_thousands_of_digits_in_a_pasted_page_never_stops_the_import():
    """'May 6 999…' (a comment count) or '• 999… authors' of 5,000 digits: ``int()``
    refused them and the import stopped with an internal error."""
    from generator.listings import parse_listing

    abstract = "We study things carefully and report what we found. " * 5
    huge = "9" * 5000
    for footer, read in ((f"  • 1 author\n·\nMay 15, 2025 {huge}\n", [(None, 1)]),
                         (f"  • {huge} authors\n·\nMay 15\n", []),  # (no count: no paper)
                         ("  • 2 authors\n·\nMay 15, 2025 4\n", [(4, 2)])):  # (as ever)
        text = f"Daily Papers\n\nJan 7, 2026\n\n3\nFirst\n\n{abstract}\n\n{footer}"
        listing = parse_listing(text, "hf.txt", year=2025)
        assert [(e.comments, e.author_count) for e in listing.entries] == read


def test_a_byline_of_one_long_word_is_read_in_linear_time(monkeypatch):
    """A pasted line of 20,000 characters like "aZaZ…" in a compact listing: each capital
    was tried as the start of a name, each try reading the rest of the line (quadratic:
    over a minute). Only a name's length at the end of the line is tried now."""
    from generator.listings import compact, parse_listing

    calls: list[str] = []

    def counted(name: str) -> float:
        calls.append(name)
        return real(name)

    real = compact.name_cost
    monkeypatch.setattr(compact, "name_cost", counted)
    lines = (FIXTURES / "listings/002_ae8b9bc7ec52ca07.txt").read_text().split("\n")
    assert parse_listing("\n".join(lines), "a.txt", year=2024).entries
    usual = len(calls)
    byline = next(i for i, line in enumerate(lines) if " et al." in line)
    lines[byline] = "aZ" * 10_000 + "Zhengyan Zhang, Yuxian Gu, Xu Han et al."
    calls.clear()
    parse_listing("\n".join(lines), "a.txt", year=2024)
    assert len(calls) < usual + 2 * compact.MAX_NAME_CHARS  # (it was usual + 10,000)


def test_a_number_of_thousands_of_digits_in_csl_json_is_an_error_not_a_crash(project,
                                                                             capsys):
    """``"volume": 999…`` (5,000 digits): Python's JSON reader raises a plain ValueError
    for it, and the import stopped with an internal error."""
    (project / "zotero.json").write_text(
        '[{"type": "article-journal", "title": "A Title", "volume": ' + "9" * 5000 + "}]")
    assert status("import", "zotero.json") == 1
    err = capsys.readouterr().err
    assert "zotero.json:1: error: not valid JSON: a number too long to read" in err, err
    assert "internal error" not in err


def test_notes_of_many_urls_in_a_row_are_read_in_linear_time(monkeypatch):
    """"https://a" 20,000 times in notes: at each "://" the whole text before it was
    searched for the scheme (quadratic: minutes for a page of them). Only the end of it
    is searched now, and links are found as before."""
    from generator import markdown

    class Recorded:
        def __init__(self, pattern):
            self.pattern, self.lengths = pattern, []

        def search(self, text):
            self.lengths.append(len(text))
            return self.pattern.search(text)

    scheme = Recorded(markdown._SCHEME_RE)
    monkeypatch.setattr(markdown, "_SCHEME_RE", scheme)
    markdown.render_markdown_with_text("https://a" * 2_000)
    assert len(scheme.lengths) >= 2_000 and max(scheme.lengths) <= 64
    html, _ = markdown.render_markdown_with_text(
        "See https://example.org/x, " + "y" * 40 + "https://b.org and mailto:a@b.org.")
    assert html == ('<p>See <a href="https://example.org/x" rel="noopener">'
                    "https://example.org/x</a>, " + "y" * 40 + "https://b.org and "
                    "mailto:a@b.org.</p>\n")


@pytest.mark.parametrize(("where", "value"), [
    ("content", "9" * 5000), ("content", "0x" + "f" * 5000), ("config", "9" * 5000)])
def test_a_number_too_long_to_read_is_an_error_not_a_crash(project, capsys, where, value):
    """An unquoted number of 5,000 digits (an id pasted whole): PyYAML's int() refused it,
    or a hex one loaded and could not be printed in the message about it; check and
    build stopped with an internal error."""
    if where == "content":
        (project / "content/papers/good.md").write_text(f"{GOOD}".replace(
            "date:", f"upvotes: {value}\ndate:"))
        shown = "content/papers/good.md:3: error: invalid YAML in front matter: "
    else:
        (project / "config.yaml").write_text(f"title: Mine\npage_size: {value}\n")
        shown = "config.yaml:2: error: invalid YAML: "
    for verb in ("check", "build"):
        assert status(verb) == 1
        err = capsys.readouterr().err
        assert shown + "a number of more than 100 characters; put it in quotes if it is " \
            "text" in err, err
        assert "internal error" not in err


def test_a_url_cannot_add_markdown_to_the_markdown_citation():
    """The Markdown citation shown for copying put a paper's URL in ``<…>``: a ``>`` in the
    URL ended it, and the rest of the URL was read as Markdown of its own (a link to
    ``javascript:`` in a renderer that lets one through)."""
    from markdown_it import MarkdownIt

    from generator.feeds import citation_markdown
    from generator.model import Paper

    url = "https://x.org/a>[click](javascript:alert(1))<b> (c)"
    text = citation_markdown(Paper(slug="a", title="T", url=url), "T", url)
    lax = MarkdownIt("commonmark")
    lax.validateLink = lambda href: True  # (a renderer that keeps every link)
    links = [t for t in lax.parseInline(text)[0].children or [] if t.type == "link_open"]
    assert [t.attrGet("href") for t in links] == [
        "https://x.org/a%3E%5Bclick%5D(javascript:alert(1))%3Cb%3E%20(c)"]
